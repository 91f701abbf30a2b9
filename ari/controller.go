package ari

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/ascolto/ascolto/acd"
	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/live"
	"github.com/ascolto/ascolto/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Options wires a Controller.
type Options struct {
	Client *Client
	Store  *store.DB
	Live   *live.State
	Clock  clock.Clock
	Log    *zap.Logger
	// Registry receives the controller's metrics (nil: unregistered).
	Registry prometheus.Registerer
	// Ready is told when the link to Asterisk comes and goes, and why.
	Ready func(ready bool, detail string)
	// Faxes receives what fax reception in the dialplan reports (nil: it is
	// only logged).
	Faxes FaxSink
	// PingEvery and DeadAfter tune the events WebSocket keepalive
	// (defaults 5 s and 15 s).
	PingEvery, DeadAfter time.Duration
	// MaxBackoff caps the wait between connection attempts (default 30 s).
	MaxBackoff time.Duration
}

// Controller is the Stasis application: it holds the link to Asterisk and
// one goroutine per call.
type Controller struct {
	o      Options
	log    *zap.Logger
	nonce  string // distinguishes this process's playback ids from a predecessor's
	m      *metrics
	mu     sync.Mutex
	chans  map[string]owner // channel id -> the goroutine that owns it
	router *router
	holds  sync.Map          // holding bridges known to exist
	holdMu sync.Mutex        // serialises their creation; guards holdIn, holdOf
	holdIn map[string]int    // callers counted in each holding bridge (takeHold)
	holdOf map[string]string // channel → holding bridge at the last reconcile

	reportOnce sync.Once
	report     *ivr.Flow
	reportErr  error
	wg         sync.WaitGroup
	state      atomic.Value // string
	conns      atomic.Int64
	// startup is Asterisk's startup_time at the last connection (Run's
	// goroutine only): another one at the next means it restarted.
	startup string
	// runCtx is the context of everything the controller starts: made at
	// construction (so a Dial before Run reads no nil), ended when Run's
	// context ends.
	runCtx    context.Context
	cancelRun context.CancelFunc
	stopped   chan struct{}
}

// FaxSink takes a received fax: the intake turns it into a case.
type FaxSink interface {
	// FaxReceived is called on the call's goroutine once the dialplan has
	// returned the channel; it must not block for long (it may queue work).
	FaxReceived(ctx context.Context, f FaxResult)
}

// FaxResult is what Asterisk's ReceiveFAX reported, with the call it came on.
type FaxResult struct {
	ChannelID       string
	CallID          int64  // the call record, 0 if it could not be stored
	Caller          string // the sender's number
	Called          string
	Status          string // FAXSTATUS: SUCCESS, FAILED
	Error           string // FAXERROR when it failed
	Pages           int    // FAXPAGES
	RemoteStationID string // REMOTESTATIONID
	File            string // FAXFILE: the TIFF on Asterisk's disk (shared with ascolto)
	At              time.Time
}

// New builds a controller; Run connects it.
func New(o Options) (*Controller, error) {
	if o.Client == nil || o.Store == nil || o.Live == nil {
		return nil, errors.New("ari: controller needs a client, a store and the live configuration")
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Ready == nil {
		o.Ready = func(bool, string) {}
	}
	if o.PingEvery <= 0 {
		o.PingEvery = 5 * time.Second
	}
	if o.DeadAfter <= 0 {
		o.DeadAfter = 15 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	b := make([]byte, 3)
	rand.Read(b)
	c := &Controller{o: o, log: o.Log, nonce: hex.EncodeToString(b), m: newMetrics(o.Registry),
		chans: map[string]owner{}, stopped: make(chan struct{})}
	c.runCtx, c.cancelRun = context.WithCancel(context.Background())
	c.router = newRouter(c)
	if o.Registry != nil {
		o.Registry.MustRegister(newKPICollector(c.router))
	}
	c.state.Store("starting")
	return c, nil
}

// State describes the link to Asterisk for people ("connected to Asterisk 20.20.1").
func (c *Controller) State() string { return c.state.Load().(string) }

// ActiveCalls is the number of calls the controller is handling.
func (c *Controller) ActiveCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, o := range c.chans {
		if _, ok := o.(*call); ok {
			n++
		}
	}
	return n
}

// owner is whatever holds a channel: an inbound call, an agent's leg, a callback.
type owner interface {
	box() *mailbox
}

func (c *Controller) setState(ready bool, s string) {
	c.state.Store(s)
	c.o.Ready(ready, s)
	if ready {
		c.m.connected.Set(1)
	} else {
		c.m.connected.Set(0)
	}
}

// Run keeps the controller connected until ctx ends. It never blocks on a
// dead or misconfigured Asterisk: every attempt is bounded, and the reason
// it is not connected is reported through Options.Ready. When ctx ends the
// call goroutines stop, but no call is hung up and no record closed: the
// calls live on in Asterisk and the next controller re-adopts them.
func (c *Controller) Run(ctx context.Context) error {
	defer close(c.stopped)
	context.AfterFunc(ctx, c.cancelRun)
	ctx = c.runCtx
	recStop, recDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(recDone); c.router.records.run(recStop) }()
	c.wg.Add(1)
	go func() { defer c.wg.Done(); c.router.run(ctx) }()
	c.wg.Add(1)
	go func() { defer c.wg.Done(); c.followMode(ctx) }()
	backoff := 250 * time.Millisecond
	for ctx.Err() == nil {
		connected, err := c.connectOnce(ctx)
		if ctx.Err() != nil {
			break
		}
		if connected {
			backoff = 250 * time.Millisecond
		}
		c.setState(false, describe(err, c.o.Client))
		c.log.Warn("ARI not connected; retrying", zap.Error(err), zap.Duration("retry_in", backoff))
		c.m.reconnects.Inc()
		t := c.o.Clock.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C():
		}
		backoff = min(backoff*2, c.o.MaxBackoff)
	}
	c.setState(false, "stopped")
	c.wg.Wait()
	close(recStop) // last: the goroutines above may have recorded on their way out
	<-recDone
	return nil
}

// describe turns a connection failure into what an operator should check.
func describe(err error, cl *Client) string {
	var e *Error
	switch {
	case errors.As(err, &e) && e.Status == http.StatusUnauthorized:
		return fmt.Sprintf("ARI refused the user %q: wrong user or password (401 %s); check ASCOLTO_ARI_USER/ASCOLTO_ARI_PASSWORD against ari.conf", cl.user, e.Message)
	case errors.As(err, &e) && e.Status == http.StatusNotFound:
		// A booting Asterisk answers 404 until res_ari has loaded.
		return fmt.Sprintf("no ARI at %s (404): Asterisk may still be starting (this clears once res_ari has loaded); otherwise check ASCOLTO_ARI_URL (it ends in /ari) and that res_ari is loaded", cl.base)
	case err != nil && strings.Contains(err.Error(), "connection refused"):
		return fmt.Sprintf("Asterisk not reachable at %s (connection refused): is it running, with http.conf enabled?", cl.base)
	case err != nil:
		return "ARI: " + err.Error()
	}
	return "ARI: disconnected"
}

// EventTypes are the ARI events the controller acts on; the application's
// event filter lets only these through.
var EventTypes = []string{"StasisStart", "StasisEnd", "ChannelHangupRequest", "ChannelDestroyed",
	"ChannelDtmfReceived", "ChannelUserevent", "PlaybackFinished", "RecordingFinished", "RecordingFailed",
	"EndpointStateChange", "DeviceStateChanged", "ApplicationReplaced"}

// connectOnce probes, opens the events WebSocket, reconciles, and reads
// events until the link fails. It reports whether it got connected.
func (c *Controller) connectOnce(ctx context.Context) (bool, error) {
	info, err := c.o.Client.Info(ctx)
	if err != nil {
		return false, err
	}
	ec, err := c.o.Client.dialEvents(ctx, c.o.PingEvery, c.o.DeadAfter)
	if err != nil {
		return false, err
	}
	defer ec.close()
	// Only what the controller acts on crosses the WebSocket: on a real
	// Asterisk ~86 events reached the application per call, 50 of them
	// ChannelVarset. Events before the filter is in place are read as usual.
	if err := c.o.Client.SetEventFilter(ctx, EventTypes); err != nil {
		c.log.Warn("ARI event filter not set; every event will be read", zap.Error(err))
	}
	// An Asterisk that started again since the last connection lost every
	// call it had: the calls found gone were lost with it.
	restarted := c.startup != "" && info.Status.StartupTime != "" && info.Status.StartupTime != c.startup
	if info.Status.StartupTime != "" {
		c.startup = info.Status.StartupTime
	}
	n := c.conns.Add(1)
	c.log.Info("ARI connected", zap.String("asterisk", info.System.Version), zap.String("app", c.o.Client.app), zap.Int64("connection", n))
	c.setState(true, fmt.Sprintf("connected to Asterisk %s as %s", info.System.Version, c.o.Client.app))
	// Reconcile concurrently with reading: events that arrive meanwhile go
	// to the calls as usual, and adoption is idempotent per channel.
	// The reconciliation belongs to this connection: when it fails, what
	// the reconciliation read is stale (Asterisk may have restarted), so it
	// stops, and the next connection's own reconciliation takes over.
	rctx, cancel := context.WithCancel(ctx)
	reconciled := make(chan struct{})
	defer func() { cancel(); <-reconciled }()
	ctx = rctx
	go func() {
		defer close(reconciled)
		// A failed reconciliation (the database blinked) is retried: until
		// it succeeds the ACD may not even exist.
		wait := time.Second
		for {
			err := c.reconcile(ctx, restarted)
			if err == nil || ctx.Err() != nil {
				return
			}
			c.log.Error("reconciliation after connect failed; retrying", zap.Error(err), zap.Duration("retry_in", wait))
			t := c.o.Clock.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
			wait = min(wait*2, 30*time.Second)
		}
	}()
	err = ec.run(rctx, c.o.Clock.Now, c.dispatch, c.skip)
	return true, err
}

// skip counts an event that could not be read, and goes on.
func (c *Controller) skip(err error, raw []byte) {
	reason := "malformed"
	if errors.Is(err, errUnknownEvent) {
		reason = "unknown"
	}
	c.m.skipped.WithLabelValues(reason).Inc()
	if len(raw) > 300 {
		raw = raw[:300]
	}
	c.log.Warn("ARI event skipped", zap.String("reason", reason), zap.Error(err), zap.ByteString("raw", raw))
}

// dispatch routes one event to the call it concerns. It runs on the
// events reader and must stay fast: it only looks up and enqueues.
func (c *Controller) dispatch(ev Event) {
	typ := ev.GetType()
	c.m.events.WithLabelValues(typ).Inc()
	switch e := ev.Event.(type) {
	case *ari.EndpointStateChange:
		c.router.endpointState(e.Endpoint)
		return
	case *ari.DeviceStateChanged:
		c.router.deviceState(e.DeviceState.Name, e.DeviceState.State)
		return
	}
	chID := channelOf(ev.Event)
	if chID == "" {
		return // bridge and device events: nothing to act on
	}
	c.mu.Lock()
	o := c.chans[chID]
	if o == nil {
		if st, ok := ev.Event.(*ari.StasisStart); ok {
			if originatedByUs(chID) {
				// A channel we originated whose owner has let it go (its
				// hang-up failed while Asterisk was overloaded) has just
				// been answered: it is not a new caller. End it.
				c.mu.Unlock()
				c.m.skipped.WithLabelValues("stale-leg").Inc()
				c.log.Warn("a leg no longer wanted was answered; hanging it up", zap.String("channel", chID), zap.Strings("args", st.Args))
				go func() {
					if err := c.o.Client.Hangup(c.runCtx, chID, "normal"); err != nil && !IsGone(err) {
						c.log.Error("stale leg not hung up", zap.String("channel", chID), zap.Error(err))
					}
				}()
				return
			}
			o = c.newCallLocked(chID, startNew, st.Channel, nil, st.Args)
		}
	}
	c.mu.Unlock()
	if o == nil {
		c.m.skipped.WithLabelValues("orphan").Inc()
		return
	}
	if d := o.box().put(msg{kind: msgEvent, ev: ev}); d > 256 && d%256 == 1 {
		c.log.Warn("call falls behind its events", zap.String("channel", chID), zap.Int("queued", d))
		c.m.backlog.Inc()
	}
}

// originatedByUs reports whether a channel id is one the controller chose for a
// channel it originated (an agent's leg, a callback): such a channel is
// never a caller arriving.
func originatedByUs(id string) bool {
	return strings.HasPrefix(id, "ascolto-leg-") || strings.HasPrefix(id, "ascolto-cb-")
}

// channelOf names the channel an event is about ("" for none).
func channelOf(ev ari.Event) string {
	switch e := ev.(type) {
	case *ari.StasisStart:
		return e.Channel.ID
	case *ari.StasisEnd:
		return e.Channel.ID
	case *ari.ChannelDtmfReceived:
		return e.Channel.ID
	case *ari.ChannelHangupRequest:
		return e.Channel.ID
	case *ari.ChannelDestroyed:
		return e.Channel.ID
	case *ari.ChannelStateChange:
		return e.Channel.ID
	case *ari.ChannelEnteredBridge:
		return e.Channel.ID
	case *ari.ChannelLeftBridge:
		return e.Channel.ID
	case *ari.ChannelVarset:
		return e.Channel.ID
	case *ari.ChannelUserevent:
		return e.Channel.ID
	case *ari.ChannelHold:
		return e.Channel.ID
	case *ari.ChannelUnhold:
		return e.Channel.ID
	case *ari.Dial:
		return e.Peer.ID
	case *ari.PlaybackStarted:
		return targetChannel(e.Playback.TargetURI)
	case *ari.PlaybackFinished:
		return targetChannel(e.Playback.TargetURI)
	case *ari.RecordingStarted:
		return targetChannel(e.Recording.TargetURI)
	case *ari.RecordingFinished:
		return targetChannel(e.Recording.TargetURI)
	case *ari.RecordingFailed:
		return targetChannel(e.Recording.TargetURI)
	}
	return ""
}

func targetChannel(uri string) string {
	if id, ok := strings.CutPrefix(uri, "channel:"); ok {
		return id
	}
	return ""
}

// startKind says how a call object came to be.
type startKind uint8

const (
	startNew      startKind = iota + 1 // StasisStart seen live
	startAdopted                       // found alive at reconciliation
	startCallback                      // a callback: we dial the citizen
)

func (c *Controller) newCallLocked(id string, kind startKind, ch ari.ChannelData, rec *store.Call, args []string) *call {
	cl := newCall(c, id, kind, ch, rec, args)
	c.chans[id] = cl
	c.m.active.Inc()
	c.wg.Add(1)
	go cl.run(c.runCtx)
	return cl
}

// own registers a channel's owner before the channel exists (an originate),
// so no event about it is ever an orphan.
func (c *Controller) own(id string, o owner) {
	c.mu.Lock()
	c.chans[id] = o
	c.mu.Unlock()
}

// forget removes a channel's owner once it is done.
func (c *Controller) forget(id string, o owner) {
	c.mu.Lock()
	if c.chans[id] == o {
		delete(c.chans, id)
		if _, ok := o.(*call); ok {
			c.m.active.Dec()
		}
	}
	c.mu.Unlock()
}

// reconcile brings the controller in line with Asterisk and the store
// after a (re)connect: events sent while we were away are lost, so it asks.
// The first reconciliation of a process also builds the ACD, with the
// callers it finds waiting back in line in their original order. When
// Asterisk restarted since the last connection, the calls found gone were
// lost with it.
func (c *Controller) reconcile(ctx context.Context, restarted bool) error {
	start := time.Now()
	// Only channels known before Asterisk is asked can be judged by its
	// answer: a call whose StasisStart arrives while the lists are read is
	// not in them, and is not gone.
	c.mu.Lock()
	before := make(map[string]bool, len(c.chans))
	for id := range c.chans {
		before[id] = true
	}
	c.mu.Unlock()
	app, err := c.o.Client.Application(ctx)
	if err != nil {
		return fmt.Errorf("ari: reconcile: %w", err)
	}
	chans, err := c.o.Client.Channels(ctx)
	if err != nil {
		return fmt.Errorf("ari: reconcile: %w", err)
	}
	bridges, err := c.o.Client.Bridges(ctx)
	if err != nil {
		return fmt.Errorf("ari: reconcile: %w", err)
	}
	alive := make(map[string]ari.ChannelData, len(chans))
	for _, ch := range chans {
		alive[ch.ID] = ch
	}
	ours := make(map[string]bool, len(app.ChannelIDs))
	for _, id := range app.ChannelIDs {
		ours[id] = true
	}
	// Holding bridges survive a controller restart, not an Asterisk one.
	c.holds.Range(func(k, _ any) bool { c.holds.Delete(k); return true })
	inBridge := map[string]string{} // channel -> the call bridge it is in
	inHold := map[string]string{}   // channel -> the holding bridge it waits in
	for _, b := range bridges {
		if strings.HasPrefix(b.ID, "ascolto-hold-") {
			c.holds.Store(b.ID, true)
			for _, ch := range b.ChannelIDs {
				inHold[ch] = b.ID
			}
		}
		if strings.HasPrefix(b.ID, "ascolto-call-") {
			for _, ch := range b.ChannelIDs {
				inBridge[ch] = b.ID
			}
		}
	}
	c.reconciledHolds(inHold)
	open, err := c.o.Store.OpenCalls(ctx)
	if err != nil {
		return fmt.Errorf("ari: reconcile: %w", err)
	}
	records := make(map[string]store.Call, len(open))
	for _, r := range open {
		records[r.ChannelID] = r
	}
	c.router.watchEndpoints(ctx)

	var resynced, gone, nAdopted, lost, stale int
	var waiting []adopted
	var connected []connectedCall
	var staleLegs []string
	c.mu.Lock()
	for id, o := range c.chans {
		if !before[id] {
			continue
		}
		if _, ok := alive[id]; ok {
			o.box().put(msg{kind: msgResync})
			resynced++
		} else {
			o.box().put(msg{kind: msgGone, lost: restarted})
			gone++
		}
	}
	built := c.router.isBuilt()
	for id := range ours {
		ch, ok := alive[id]
		if !ok || c.chans[id] != nil {
			continue
		}
		if originatedByUs(id) {
			staleLegs = append(staleLegs, id) // handled below, once callers are known
			continue
		}
		var rec *store.Call
		if r, ok := records[id]; ok {
			rec = &r
		}
		cl := c.newCallLocked(id, startAdopted, ch, rec, nil)
		nAdopted++
		if rec != nil && rec.Queue != "" && !built {
			if bridge, ok := inBridge[id]; ok && rec.Agent != "" {
				connected = append(connected, connectedCall{c: cl, rec: *rec, bridge: bridge})
			} else {
				waiting = append(waiting, adopted{c: cl, rec: *rec})
			}
		}
	}
	known := make(map[string]bool, len(c.chans))
	for id := range c.chans {
		known[id] = true
	}
	c.mu.Unlock()

	// Agents' legs from a previous run: one bridged with a caller we adopt
	// goes on; one still ringing is hung up (the ACD rings again).
	for _, id := range staleLegs {
		kept := false
		for i, cc := range connected {
			if inBridge[id] == cc.bridge {
				connected[i].leg = id
				kept = true
			}
		}
		if !kept {
			stale++
			if err := c.o.Client.Hangup(ctx, id, "normal"); err != nil && !IsGone(err) {
				c.log.Warn("stale leg not hung up", zap.String("channel", id), zap.Error(err))
			}
		}
	}
	if !built {
		if err := c.router.build(ctx, waiting, connected); err != nil {
			return err
		}
	}

	// Records of calls that ended while nobody was watching: close them, so
	// no record stays open forever. Only those that started before this
	// reconciliation began, so a call arriving right now is not touched.
	for id, r := range records {
		if known[id] || !r.ArrivedAt.Before(start) {
			continue
		}
		if _, ok := alive[id]; ok {
			continue
		}
		outcome := OutcomeAbandonedIVR
		switch {
		case r.Direction == "outbound":
			outcome = OutcomeCallback
		case r.Agent != "" && !r.ConnectedAt.IsZero():
			outcome = OutcomeAnswered
		case r.Queue != "":
			outcome = OutcomeAbandonedQueue
		}
		err := c.o.Store.CloseCall(ctx, id, store.CallEnd{Outcome: outcome, HangupBy: "unknown"})
		if err != nil && !errors.Is(err, store.ErrAlreadyClosed) {
			c.log.Error("closing a call that ended unseen", zap.String("channel", id), zap.Error(err))
			continue
		}
		c.m.outcomes.WithLabelValues(outcome).Inc()
		lost++
	}
	c.log.Info("reconciled with Asterisk", zap.Int("channels", len(chans)), zap.Int("resynced", resynced),
		zap.Int("gone", gone), zap.Int("adopted", nAdopted), zap.Int("stale_legs", stale), zap.Int("closed_unseen", lost))
	return nil
}

// connectedCall is a caller found bridged with an agent at the first
// reconciliation: both sides are adopted as they are.
type connectedCall struct {
	c      *call
	rec    store.Call
	bridge string
	leg    string
}

// dedup remembers the last events of a call to drop byte-identical
// duplicates (Asterisk repeats channel events when an endpoint
// subscription overlaps the channel's).
type dedup struct {
	seen [16]uint64
	next int
}

func (d *dedup) repeat(raw []byte) bool {
	h := fnv.New64a()
	h.Write(raw)
	sum := h.Sum64()
	for _, s := range d.seen {
		if s == sum {
			return true
		}
	}
	d.seen[d.next] = sum
	d.next = (d.next + 1) % len(d.seen)
	return false
}

// followMode tells the ACD when emergency running starts and stops, so
// emergency-only members (reserve staff, other sites) take calls then.
func (c *Controller) followMode(ctx context.Context) {
	ch, cancel := c.o.Live.Subscribe()
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-ch:
			on := m.Mode == ivr.ModeEmergency
			c.router.post(func() { c.router.handle(acd.SetEmergency{At: c.router.now(), On: on}) })
		}
	}
}
