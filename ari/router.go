package ari

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/ascolto/ascolto/acd"
	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// router runs the ACD. It owns the acd.Engine in one goroutine (an actor):
// everything that happens to queued calls and to agents reaches it as a
// function on its inbox, and each decision the engine returns is handed to
// the goroutine that owns the channel concerned, so the actor itself never
// waits on Asterisk or on the database.
type router struct {
	ctl *Controller
	log *zap.Logger
	in  chan func()
	// started and stopped bound the actor's life: ask waits for the first
	// and gives up at the second, so nobody waits on an actor that is gone.
	started, stopped chan struct{}

	eng     *acd.Engine
	cause   time.Time     // when the event being handled happened, for the ring delay
	built   chan struct{} // closed once the engine exists
	early   []func()      // events that came before the engine was built
	timer   clock.Timer
	timerAt time.Time

	callers map[string]*call           // ACD call id -> the caller's side now (inbound call or callback leg)
	legs    map[string]map[string]*leg // ACD call id -> agent -> that agent's phone leg
	agents  map[string]store.Agent     // extension -> seat
	queues  map[string]store.Queue     // name -> settings
	holds   map[string]bool            // holding bridges known to exist

	snap    atomic.Pointer[acd.Snapshot]
	live    atomic.Pointer[LiveSnapshot]
	rates   arrivals
	records *recorder
	seq     atomic.Int64
	mu      sync.Mutex // guards reach and earlyPhones, read by the console outside the actor
	reach   map[string]bool
	// earlyPhones holds phones' states (device -> reachable) that arrived before
	// the engine was built: r.agents is not the actor's to read until then.
	earlyPhones map[string]bool
	snapshot    func(LiveSnapshot) // published after each refresh (console hub), may be nil
	// onAgent and onRing tell the console (hooks set by Desk.Attach before Run).
	onAgent func(acd.AgentChanged, store.Agent)
	onRing  func(call, agent, queue string, a store.Agent, info CallInfo)
	// onTransferRefused tells the agent whose blind transfer the number
	// did not take that the caller is back in the queue.
	onTransferRefused func(agent string, t RefusedTransfer)
	info              map[string]CallInfo   // ACD call id -> what the IVR learnt, for screen pops
	usernames         map[string]string     // extension -> console user, guarded by mu
	onLogin           func(username string) // told when a seat logs in (on-call arrival)
	lastCall          map[string]string     // agent -> the call they were last bridged with
	watches           map[string]*watch     // supervisor -> their running supervision
	onWatch           func([]Supervision)   // told every running supervision after a change (the wallboards)
	// dropped counts, per agent, the answered calls in a row whose leg was
	// gone before the bridge was made (see bridgeFailed).
	dropped map[string]int
	// owedDirty says the engine handled an event since its description
	// (the callbacks owed, the queues' counters) was last saved: nearly
	// every event moves a counter, so any does. The next one-second tick
	// saves it (saves, latest wins).
	owedDirty bool
	saves     chan acdSave
	// countDay is the local date the queues' counters belong to: they
	// start again at midnight, and a restart the same day takes them back.
	countDay string
}

// acdSave is one description of the engine to write to the store.
type acdSave struct {
	at   time.Time
	body []byte
}

func newRouter(ctl *Controller) *router {
	return &router{ctl: ctl, log: ctl.log.Named("acd"), in: make(chan func(), 4096), built: make(chan struct{}),
		started: make(chan struct{}), stopped: make(chan struct{}),
		callers: map[string]*call{}, legs: map[string]map[string]*leg{}, agents: map[string]store.Agent{},
		queues: map[string]store.Queue{}, holds: map[string]bool{}, reach: map[string]bool{}, earlyPhones: map[string]bool{},
		records: newRecorder(ctl), usernames: map[string]string{}, lastCall: map[string]string{}, info: map[string]CallInfo{},
		dropped: map[string]int{}, watches: map[string]*watch{},
		saves: make(chan acdSave, 1)}
}

// post runs f on the actor. It never blocks the caller for long: the inbox
// is large, and a full inbox is a bug worth a log line, not a lost event.
func (r *router) post(f func()) {
	select {
	case r.in <- f:
	default:
		r.log.Warn("ACD inbox full; waiting")
		select {
		case r.in <- f:
		case <-r.stopped: // nobody would run it
		}
	}
}

// errACDStopped answers those who ask an actor that has stopped.
var errACDStopped = errors.New("the ACD has stopped")

// ask runs f on the actor and returns what it returns. It waits only as
// long as ctx lasts and the actor runs: an HTTP handler asking before the
// controller started or after it stopped gets an error, not a hang.
func ask[T any](ctx context.Context, r *router, f func() T) (T, error) {
	var zero T
	select {
	case <-r.started:
	case <-r.stopped:
		return zero, errACDStopped
	case <-ctx.Done():
		return zero, fmt.Errorf("the ACD has not started: %w", ctx.Err())
	}
	done := make(chan T, 1)
	select {
	case r.in <- func() { done <- f() }:
	case <-r.stopped:
		return zero, errACDStopped
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	select {
	case v := <-done:
		return v, nil
	case <-r.stopped:
		return zero, errACDStopped
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// askResult is ask for the actor's "ok" / "error: …" answers.
func askResult(ctx context.Context, r *router, f func() string) string {
	res, err := ask(ctx, r, f)
	if err != nil {
		return "error: " + err.Error()
	}
	return res
}

// run is the actor's loop.
func (r *router) run(ctx context.Context) {
	close(r.started)
	defer close(r.stopped)
	snapEvery := r.ctl.o.Clock.NewTimer(time.Second)
	r.ctl.wg.Add(1)
	go func() { defer r.ctl.wg.Done(); r.pollCommands(ctx) }()
	saverDone := make(chan struct{})
	go func() { defer close(saverDone); r.saver(ctx) }()
	for {
		var tick <-chan time.Time
		if r.timer != nil {
			tick = r.timer.C()
		}
		select {
		case <-ctx.Done():
			<-saverDone // a periodic save must not land after the final one
			r.saveState()
			return
		case f := <-r.in:
			f()
		case <-tick:
			r.timer = nil
			r.handle(acd.Tick{At: r.now()})
		case <-snapEvery.C():
			r.refreshSnapshot(ctx)
			r.followCounters()
			if r.owedDirty {
				r.saveOwed()
			}
			snapEvery.Reset(time.Second)
		}
	}
}

func (r *router) now() time.Time { return r.ctl.o.Clock.Now() }

// handle feeds one event to the engine and carries out its decisions.
// Before the engine exists (the first reconciliation builds it), events
// wait their turn.
func (r *router) handle(ev acd.Event) error {
	if r.eng == nil {
		r.early = append(r.early, func() { r.handle(ev) })
		return nil
	}
	r.cause = eventTime(ev)
	r.owedDirty = true
	ds, err := r.eng.Handle(ev)
	r.execute(ds)
	if err != nil {
		_, disp := ev.(acd.DispositionSaved)
		if errors.Is(err, acd.ErrUnknownCall) || (disp && errors.Is(err, acd.ErrWrongState)) {
			// A form saved after the wrap-up ran out is normal: the agent
			// already went back to taking calls.
			r.log.Debug("ACD event that no longer applies", zap.String("event", fmt.Sprintf("%T", ev)), zap.Error(err))
		} else {
			r.log.Warn("ACD refused an event", zap.String("event", fmt.Sprintf("%T", ev)), zap.Error(err))
		}
	}
	r.rearm()
	return err
}

// rearm sets the timer for the engine's next deadline.
func (r *router) rearm() {
	at, ok := r.eng.NextDeadline()
	if !ok {
		if r.timer != nil {
			r.timer.Stop()
			r.timer = nil
		}
		return
	}
	if r.timer != nil && r.timerAt.Equal(at) {
		return
	}
	if r.timer != nil {
		r.timer.Stop()
	}
	r.timerAt = at
	r.timer = r.ctl.o.Clock.NewTimer(max(at.Sub(r.now()), 0))
}

// execute hands each decision to whoever can carry it out. A call's final
// record may come before the decisions that finish it (SendToReport), so
// the router lets go of finished calls only after the whole batch.
func (r *router) execute(ds []acd.Decision) {
	var finished []string
	defer func() {
		for _, id := range finished {
			r.forgetCall(id)
		}
	}()
	for _, d := range ds {
		switch d := d.(type) {
		case acd.Ring:
			r.ring(d)
		case acd.StopRinging:
			if l := r.legs[d.Call][d.Agent]; l != nil {
				l.stop()
				r.dropLeg(d.Call, d.Agent)
			}
		case acd.Bridge:
			r.bridge(d)
		case acd.Announce:
			if c := r.callers[d.Call]; c != nil {
				c.do(func(c *call) { c.announce(d.Position, d.EstimatedWait) })
			}
		case acd.OfferCallback:
			if c := r.callers[d.Call]; c != nil {
				c.do(func(c *call) { c.offerCallback() })
			}
		case acd.DialCallback:
			r.dialCallback(d)
		case acd.CancelCallback:
			if c := r.callers[d.Call]; c != nil && c.kind == startCallback {
				c.do(func(c *call) { c.hangup(c.ctl.runCtx) })
			}
		case acd.Moved:
			if c := r.callers[d.Call]; c != nil {
				q := d.To
				c.do(func(c *call) {
					c.queue = q
					c.update.Queue, c.dirty = &q, true
					c.joinQueue(q)
				})
			}
		case acd.SendToReport:
			if c := r.callers[d.Call]; c != nil {
				delete(r.callers, d.Call)
				c.do(func(c *call) { c.leaveToReport() })
			}
		case acd.AgentChanged:
			r.ctl.m.agentState.WithLabelValues(d.Agent).Set(float64(d.State))
			if r.onAgent != nil {
				r.onAgent(d, r.agents[d.Agent])
			}
		case acd.Record:
			// The ACD knows a callback by the call the citizen asked from;
			// what happens on the callback (agent, talk) is the callback
			// leg's record.
			channel := d.Call
			if c := r.callers[d.Call]; c != nil && c.kind == startCallback {
				channel = c.id
			}
			r.records.add(d, channel)
			if d.Final {
				finished = append(finished, d.Call)
			}
		}
	}
}

// forgetCall drops what the router held for a call the engine has finished.
func (r *router) forgetCall(id string) {
	delete(r.callers, id)
	delete(r.info, id)
	for agent, l := range r.legs[id] {
		if !l.isConnected() {
			l.stop()
		}
		delete(r.legs[id], agent)
	}
	delete(r.legs, id)
}

func (r *router) dropLeg(callID, agent string) {
	if m := r.legs[callID]; m != nil {
		delete(m, agent)
		if len(m) == 0 {
			delete(r.legs, callID)
		}
	}
}

// ring originates a channel to the agent's phone, showing the caller's number.
func (r *router) ring(d acd.Ring) {
	a, ok := r.agents[d.Agent]
	if !ok {
		r.handle(acd.RingFailed{At: r.now(), Call: d.Call, Agent: d.Agent, Reason: acd.Unreachable})
		return
	}
	caller := ""
	if c := r.callers[d.Call]; c != nil {
		caller = c.acdCallerID
	}
	l := newLeg(r, d.Call, d.Agent, a.Endpoint, caller, d.Until.Sub(r.now())+5*time.Second)
	l.cause = r.cause
	if r.legs[d.Call] == nil {
		r.legs[d.Call] = map[string]*leg{}
	}
	r.legs[d.Call][d.Agent] = l
	l.start()
	if r.onRing != nil {
		r.onRing(d.Call, d.Agent, d.Queue, a, r.info[d.Call])
	}
}

// bridge joins the caller and the agent who answered.
func (r *router) bridge(d acd.Bridge) {
	c := r.callers[d.Call]
	l := r.legs[d.Call][d.Agent]
	if c == nil || l == nil {
		r.log.Warn("bridge without both sides", zap.String("call", d.Call), zap.String("agent", d.Agent),
			zap.Bool("caller", c != nil), zap.Bool("agent_leg", l != nil))
		if l != nil {
			l.stop()
		}
		return
	}
	l.connected.Store(true)
	agentChan := l.id
	agent := d.Agent
	r.lastCall[agent] = d.Call
	c.do(func(c *call) { c.bridgeTo(agent, agentChan) })
}

// dialCallback calls the citizen back; when they answer, an agent is rung.
func (r *router) dialCallback(d acd.DialCallback) {
	id := fmt.Sprintf("ascolto-cb-%s-%d", r.ctl.nonce, r.seq.Add(1))
	cb := newCallbackCall(r.ctl, id, d.Call, d.Number, d.Until.Sub(r.now()))
	cb.queue = d.Queue
	r.callers[d.Call] = cb
	r.ctl.mu.Lock()
	r.ctl.chans[id] = cb
	r.ctl.m.active.Inc()
	r.ctl.wg.Add(1)
	r.ctl.mu.Unlock()
	go cb.run(r.ctl.runCtx)
}

// endpointState follows an agent's phone: an offline endpoint is never rung.
func (r *router) endpointState(ep ari.EndpointData) {
	r.phoneState(ep.Technology+"/"+ep.Resource, ep.State == "online")
}

// deviceState takes a phone's device state: it can ring unless Asterisk
// says it is unavailable (no reachable contact) or invalid.
func (r *router) deviceState(device, state string) {
	r.phoneState(device, state != "UNAVAILABLE" && state != "INVALID")
}

// phoneState applies a phone's reachability to the agents whose phone it
// is; before the engine exists it is kept for build.
func (r *router) phoneState(device string, reachable bool) {
	r.post(func() {
		if !r.isBuilt() {
			r.mu.Lock()
			r.earlyPhones[device] = reachable
			r.mu.Unlock()
			return
		}
		for ext, a := range r.agents {
			if a.Endpoint == device {
				r.setReachable(ext, reachable)
			}
		}
	})
}

func (r *router) setReachable(ext string, reachable bool) {
	r.mu.Lock()
	prev, known := r.reach[ext]
	r.reach[ext] = reachable
	r.mu.Unlock()
	if known && prev == reachable {
		return
	}
	r.handle(acd.DeviceState{At: r.now(), Agent: ext, Reachable: reachable})
}

// Enqueue hands an answered caller to a queue: called from the caller's
// goroutine once it has joined the queue's holding bridge.
func (r *router) enqueue(c *call, queue string, priority int, rescue bool, info CallInfo) {
	id, callerID := c.acdID, c.acdCallerID
	at := r.now()
	r.post(func() {
		r.callers[id] = c
		r.info[id] = info
		r.handle(acd.Arrive{At: at, Call: id, Queue: queue, CallerID: callerID, Priority: priority, Rescue: rescue})
	})
}

// callerLeft tells the engine a caller hung up (by is ByCaller), or that
// the switch lost the call (BySwitch).
func (r *router) callerLeft(c *call, by acd.Party) {
	id := c.acdID
	at := r.now()
	r.post(func() {
		if r.callers[id] != c {
			return // the engine already let go of it (report, callback)
		}
		for agent, l := range r.legs[id] {
			if l.isConnected() {
				l.stop()
				r.dropLeg(id, agent)
			}
		}
		r.handle(acd.Hangup{At: at, Call: id, By: by})
	})
}

// legLost: the agent's leg, ringing or answered, was lost with the switch
// (Asterisk shut down or restarted under it). The agent neither hung up
// nor left the phone ringing (no RONA pause): the caller's side, lost too,
// ends as lost, whichever of the two Asterisk reports first.
func (r *router) legLost(l *leg) {
	r.legEnded(l, acd.BySwitch, func(c *call, _ time.Time) { c.lostToSwitch(r.ctl.runCtx) })
}

// legEnded drops an agent's leg that ended. When its caller is still
// known, withCaller runs on the caller's goroutine to end that side;
// otherwise the engine hears the call ended, by by.
func (r *router) legEnded(l *leg, by acd.Party, withCaller func(c *call, at time.Time)) {
	at := r.now()
	r.post(func() {
		if r.legs[l.callID][l.agent] != l {
			return
		}
		r.dropLeg(l.callID, l.agent)
		c := r.callers[l.callID]
		if c == nil {
			r.handle(acd.Hangup{At: at, Call: l.callID, By: by})
			return
		}
		c.do(func(c *call) { withCaller(c, at) })
	})
}

// agentLeft: the agent's phone hung up after answering. When the caller
// was bridged with it, the conversation is over and the caller's side
// ends too. When the agent hung up before the bridge was made (a phone
// answered and dropped at once), the caller's goroutine finds the agent
// gone as it bridges and puts the caller back in line (bridgeFailed): the
// caller must not be cut off for it. The caller's goroutine holds the
// bridge request ahead of this check, so by the time the check runs it
// knows which of the two happened.
func (r *router) agentLeft(l *leg) {
	r.legEnded(l, acd.ByAgent, func(c *call, at time.Time) {
		if !c.connected {
			return // back in line through bridgeFailed
		}
		// The agent is free now: tell the ACD before hanging up the
		// caller, a round trip to Asterisk that the agent's next call
		// must not wait for (under load it took seconds, and agents sat
		// idle while callers waited).
		r.post(func() {
			delete(r.dropped, l.agent) // a conversation was had: the phone works
			if r.callers[l.callID] == c {
				r.handle(acd.Hangup{At: at, Call: l.callID, By: acd.ByAgent})
			}
		})
		c.endedByAgent()
	})
}

// bridgeFailed: the agent answered but the bridge could not be made; the
// caller is put back in the queue (as a transfer to it, so the agent's
// side is closed the usual way). When Asterisk did not answer, the agent
// is not at fault. When the agent's leg was gone, it may be a person who
// answered, heard nothing while a starved Asterisk made the bridge, and
// hung up: pausing them would take an agent away exactly when callers
// pile up (at 75 calls/s on a loaded machine, 81 of 200 agents were paused
// this way and the queue collapsed). It may also be a phone that answers
// and drops at once, which would be offered caller after caller: so the
// agent is paused, as for a ring with no answer, on the second such call
// in a row.
func (r *router) bridgeFailed(c *call, agent, queue string, agentGone bool) {
	id, at := c.acdID, r.now()
	r.post(func() {
		if l := r.legs[id][agent]; l != nil {
			l.stop()
			r.dropLeg(id, agent)
		}
		if r.callers[id] != c {
			return
		}
		if agentGone {
			r.dropped[agent]++
		}
		if r.dropped[agent] >= 2 {
			delete(r.dropped, agent)
			if err := r.handle(acd.Pause{At: at, Agent: agent, Reason: acd.ReasonNoAnswer}); err != nil {
				r.log.Debug("agent not paused after a failed bridge", zap.String("agent", agent), zap.Error(err))
			}
		}
		r.handle(acd.Transfer{At: at, Call: id, Queue: queue})
	})
}

// legAnswered reports an agent answering.
func (r *router) legAnswered(l *leg) {
	at := r.now()
	r.post(func() {
		if r.legs[l.callID][l.agent] != l {
			l.stop() // the offer was withdrawn meanwhile
			return
		}
		r.handle(acd.Answer{At: at, Call: l.callID, Agent: l.agent})
	})
}

// legFailed reports an agent's phone that did not answer.
func (r *router) legFailed(l *leg, reason acd.RingFailure) {
	at := r.now()
	r.post(func() {
		if r.legs[l.callID][l.agent] != l {
			return
		}
		if reason == acd.Unreachable {
			// The ACD now takes the phone as unreachable: so must our own
			// view, or the device state that says it is back would be
			// taken for no change and the agent never rung again.
			r.mu.Lock()
			r.reach[l.agent] = false
			r.mu.Unlock()
		}
		r.dropLeg(l.callID, l.agent)
		r.handle(acd.RingFailed{At: at, Call: l.callID, Agent: l.agent, Reason: reason})
	})
}

// callbackRequested: the caller pressed the key to be called back.
func (r *router) callbackRequested(c *call, number string) {
	id := c.acdID
	at := r.now()
	r.post(func() {
		if r.callers[id] != c {
			return
		}
		delete(r.callers, id)
		r.handle(acd.RequestCallback{At: at, Call: id, Number: number})
	})
}

// callbackAnswered / callbackFailed report the citizen's side of a callback.
func (r *router) callbackAnswered(c *call) {
	id, at := c.acdID, r.now()
	r.post(func() {
		if r.callers[id] == c {
			r.handle(acd.CallbackAnswered{At: at, Call: id})
		}
	})
}

func (r *router) callbackFailed(c *call, reason string) {
	id, at := c.acdID, r.now()
	r.post(func() {
		if r.callers[id] == c {
			delete(r.callers, id)
			r.handle(acd.CallbackFailed{At: at, Call: id, Reason: reason})
		}
	})
}

// agentCommand applies a login, logout, pause or unpause and keeps it in
// the store so a restart restores it. It returns what to tell the person.
func (r *router) agentCommand(kind, ext, arg, actor string) string {
	a, ok := r.agents[ext]
	if !ok {
		return "error: unknown agent " + ext
	}
	at := r.now()
	var ev acd.Event
	switch kind {
	case "login":
		r.mu.Lock()
		reach, known := r.reach[ext]
		r.mu.Unlock()
		ev = acd.Login{At: at, Agent: ext, Unreachable: known && !reach}
		a.LoggedIn, a.Paused, a.Reason = true, false, ""
	case "logout":
		ev = acd.Logout{At: at, Agent: ext}
		a.LoggedIn, a.Paused, a.Reason = false, false, ""
	case "pause":
		if arg == "" {
			arg = "pausa"
		}
		ev = acd.Pause{At: at, Agent: ext, Reason: arg}
		a.Paused, a.Reason = true, arg
	case "unpause":
		ev = acd.Unpause{At: at, Agent: ext}
		a.Paused, a.Reason = false, ""
	default:
		return "error: unknown command " + kind
	}
	if r.eng == nil {
		return "error: the ACD is not running yet (Asterisk not connected)"
	}
	ds, err := r.eng.Handle(ev)
	r.execute(ds)
	r.rearm()
	if err != nil {
		return "error: " + err.Error()
	}
	r.agents[ext] = a
	r.records.agentState(ext, a.LoggedIn, a.Paused, a.Reason, actor)
	if kind == "login" && r.onLogin != nil && a.Username != "" {
		r.ctl.wg.Add(1)
		go func() { defer r.ctl.wg.Done(); r.onLogin(a.Username) }()
	}
	return "ok"
}

// pollCommands applies commands other processes (the CLI) left in the store.
func (r *router) pollCommands(ctx context.Context) {
	for {
		t := r.ctl.o.Clock.NewTimer(250 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		cmds, err := r.ctl.o.Store.PendingACDCommands(ctx)
		if err != nil {
			continue
		}
		for _, cmd := range cmds {
			if ok, err := r.ctl.o.Store.ClaimACDCommand(ctx, cmd.ID); err != nil || !ok {
				continue // withdrawn by its author, who was told it failed
			}
			done := make(chan string, 1)
			cmd := cmd
			r.post(func() {
				if cmd.Kind == "reload" {
					done <- r.reload(ctx)
					return
				}
				done <- r.agentCommand(cmd.Kind, cmd.Agent, cmd.Arg, cmd.Actor)
			})
			var res string
			select {
			case res = <-done:
			case <-ctx.Done():
				return
			}
			if err := r.ctl.o.Store.FinishACDCommand(ctx, cmd.ID, res); err != nil {
				r.log.Warn("command result not stored", zap.Int64("command", cmd.ID), zap.Error(err))
			}
			r.log.Info("command applied", zap.String("kind", cmd.Kind), zap.String("agent", cmd.Agent),
				zap.String("by", cmd.Actor), zap.String("result", res))
		}
	}
}

// engineQueue maps a queue's stored settings to the engine's.
func engineQueue(q store.Queue) acd.Queue {
	eq := acd.Queue{Name: q.Name, Site: q.Site, Strategy: acd.Strategy(q.Strategy),
		RingTimeout: time.Duration(q.RingTimeoutS) * time.Second, WrapUp: time.Duration(q.WrapupS) * time.Second,
		MaxWait: time.Duration(q.MaxWaitS) * time.Second, MaxLen: q.MaxLen,
		AnnounceEvery: time.Duration(q.AnnounceS) * time.Second,
		ServiceLevel:  acd.ServiceTarget{Percent: float64(q.SLPercent), Within: time.Duration(q.SLSeconds) * time.Second},
		Callback:      acd.CallbackPolicy{Attempts: q.CallbackAttempts, Interval: time.Duration(q.CallbackIntervalS) * time.Second}}
	switch {
	case q.Overflow == "record":
		eq.Overflow = acd.Target{Kind: acd.TargetReport}
	case q.Overflow == "callback":
		eq.Overflow = acd.Target{Kind: acd.TargetCallback}
	case strings.HasPrefix(q.Overflow, "queue:"):
		eq.Overflow = acd.Target{Kind: acd.TargetQueue, Queue: strings.TrimPrefix(q.Overflow, "queue:")}
	}
	for _, m := range q.Members {
		eq.Members = append(eq.Members, acd.Member{Agent: m.Extension, Penalty: m.Penalty, Level: m.Level, EmergencyOnly: m.EmergencyOnly})
	}
	return eq
}

// adopted is a queued caller found alive at the first reconciliation.
type adopted struct {
	c   *call
	rec store.Call
}

// build creates the engine once Asterisk is connected: queues and agents
// from the store, callbacks still owed from the saved state, and the
// callers found waiting in Asterisk, in their original order.
func (r *router) build(ctx context.Context, waiting []adopted, connected []connectedCall) error {
	qs, err := r.ctl.o.Store.Queues(ctx)
	if err != nil {
		return err
	}
	as, err := r.ctl.o.Store.Agents(ctx)
	if err != nil {
		return err
	}
	// build runs on the reconciling goroutine while the actor already
	// serves events and commands: the actor's own fields are filled in on
	// the actor, below; here only local copies are written.
	st := acd.State{At: r.now(), Emergency: r.ctl.o.Live.Mode().Mode == "emergency"}
	queues := make(map[string]store.Queue, len(qs))
	for _, q := range qs {
		queues[q.Name] = q
		st.Queues = append(st.Queues, engineQueue(q))
	}
	for _, a := range as {
		r.mu.Lock()
		if v, ok := r.earlyPhones[a.Endpoint]; ok {
			r.reach[a.Extension] = v
		}
		reach, known := r.reach[a.Extension]
		r.usernames[a.Extension] = a.Username
		r.mu.Unlock()
		st.Agents = append(st.Agents, acd.Agent{ID: a.Extension, Name: a.Name, Site: a.Site, LoggedIn: a.LoggedIn,
			Paused: a.Paused, PauseReason: a.Reason, Unreachable: known && !reach})
	}
	if _, body, err := r.ctl.o.Store.ACDState(ctx); err == nil {
		var saved acd.State
		if json.Unmarshal([]byte(body), &saved) == nil {
			for _, c := range saved.Calls {
				if _, ok := queues[c.Queue]; ok && owedCallback(c.Status) {
					st.Calls = append(st.Calls, c)
				}
			}
			if r.day(saved.At) == r.day(st.At) {
				st.Counters = saved.Counters // the day's figures go on after a restart
			}
		}
	}
	countDay := r.day(st.At)
	for _, w := range waiting {
		if _, ok := queues[w.rec.Queue]; !ok {
			continue
		}
		arrived := w.rec.QueuedAt
		if arrived.IsZero() {
			arrived = w.rec.ArrivedAt
		}
		st.Calls = append(st.Calls, acd.Call{ID: w.c.acdID, Queue: w.rec.Queue, CallerID: w.rec.Caller,
			Priority: w.rec.Priority, Rescue: w.rec.Urgency == store.UrgencyRescue, Arrived: arrived, Status: acd.CallWaiting})
	}
	var legs []*leg
	for _, cc := range connected {
		if _, ok := queues[cc.rec.Queue]; !ok || cc.leg == "" {
			continue
		}
		st.Calls = append(st.Calls, acd.Call{ID: cc.c.acdID, Queue: cc.rec.Queue, CallerID: cc.rec.Caller,
			Priority: cc.rec.Priority, Rescue: cc.rec.Urgency == store.UrgencyRescue, Arrived: cc.rec.QueuedAt,
			Status: acd.CallConnected, Agent: cc.rec.Agent, ConnectedAt: cc.rec.ConnectedAt})
		legs = append(legs, adoptLeg(r, cc.leg, cc.c.acdID, cc.rec.Agent))
		c := cc.c
		c.do(func(c *call) { c.connected = true })
	}
	eng, ds, err := acd.New(st)
	if err != nil {
		return fmt.Errorf("ari: build the ACD: %w", err)
	}
	done := make(chan struct{})
	r.post(func() {
		defer close(done)
		r.eng = eng
		for name, q := range queues {
			r.queues[name] = q
		}
		for _, a := range as {
			r.agents[a.Extension] = a
		}
		r.countDay = countDay
		for _, w := range waiting {
			r.callers[w.c.acdID] = w.c
		}
		for _, cc := range connected {
			r.callers[cc.c.acdID] = cc.c
		}
		for _, l := range legs {
			if r.legs[l.callID] == nil {
				r.legs[l.callID] = map[string]*leg{}
			}
			r.legs[l.callID][l.agent] = l
		}
		r.execute(ds)
		for _, f := range r.early {
			f()
		}
		r.early = nil
		r.rearm()
		close(r.built)
	})
	select {
	case <-done:
	case <-r.stopped:
		return errACDStopped
	}
	r.log.Info("ACD running", zap.Int("queues", len(st.Queues)), zap.Int("agents", len(st.Agents)),
		zap.Int("calls_restored", len(st.Calls)))
	return nil
}

func (r *router) isBuilt() bool {
	select {
	case <-r.built:
		return true
	default:
		return false
	}
}

// watchEndpoints subscribes to every agent's phone's device state, so
// their states arrive as events, and reads their current states. Device
// state, not the endpoint: an endpoint subscription also sends every event
// of every channel on that phone a second time (shared/ari/traces,
// surprise 13), a third of all the events a real Asterisk sent per call.
func (r *router) watchEndpoints(ctx context.Context) {
	agents, err := r.ctl.o.Store.Agents(ctx)
	if err != nil {
		r.log.Warn("agents not read", zap.Error(err))
		return
	}
	eps, err := r.ctl.o.Client.Endpoints(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("endpoints not read", zap.Error(err))
		}
		return
	}
	state := map[string]string{}
	for _, ep := range eps {
		state[ep.Technology+"/"+ep.Resource] = ep.State
	}
	for _, a := range agents {
		if err := r.ctl.o.Client.Subscribe(ctx, "deviceState:"+a.Endpoint); err != nil && !IsGone(err) && ctx.Err() == nil {
			r.log.Warn("endpoint not watched", zap.String("endpoint", a.Endpoint), zap.Error(err))
		}
		st, ok := state[a.Endpoint]
		reachable := ok && st == "online"
		ext := a.Extension
		if r.isBuilt() {
			r.post(func() { r.setReachable(ext, reachable) })
			continue
		}
		r.mu.Lock()
		r.reach[ext] = reachable
		r.mu.Unlock()
	}
}

// reload re-reads queues and agents after a configuration change.
func (r *router) reload(ctx context.Context) string {
	qs, err := r.ctl.o.Store.Queues(ctx)
	if err != nil {
		return "error: " + err.Error()
	}
	as, err := r.ctl.o.Store.Agents(ctx)
	if err != nil {
		return "error: " + err.Error()
	}
	at := r.now()
	var problems []string
	note := func(err error) {
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	for _, a := range as {
		d := acd.Agent{ID: a.Extension, Name: a.Name, Site: a.Site}
		if old, ok := r.agents[a.Extension]; !ok {
			note(r.handle(acd.AddAgent{At: at, Agent: d}))
		} else if old.Name != a.Name || old.Site != a.Site {
			note(r.handle(acd.UpdateAgent{At: at, Agent: d}))
		}
		prev := r.agents[a.Extension]
		a.LoggedIn, a.Paused, a.Reason = prev.LoggedIn, prev.Paused, prev.Reason
		r.agents[a.Extension] = a
		r.mu.Lock()
		r.usernames[a.Extension] = a.Username
		r.mu.Unlock()
	}
	for _, q := range qs {
		var err error
		if _, ok := r.queues[q.Name]; ok {
			err = r.handle(acd.UpdateQueue{At: at, Queue: engineQueue(q)})
		} else {
			err = r.handle(acd.AddQueue{At: at, Queue: engineQueue(q)})
		}
		note(err)
		if err == nil {
			r.queues[q.Name] = q
		}
	}
	// New seats' phones: watch them and learn whether they are online.
	r.watchEndpointsAsync(ctx)
	if len(problems) > 0 {
		return "error: " + strings.Join(problems, "; ")
	}
	return "ok"
}

// watchEndpointsAsync runs watchEndpoints off the actor (it calls
// Asterisk), in the controller's wait group like every goroutine it starts
// (called on the actor, which holds the group open).
func (r *router) watchEndpointsAsync(ctx context.Context) {
	r.ctl.wg.Add(1)
	go func() { defer r.ctl.wg.Done(); r.watchEndpoints(ctx) }()
}

// refreshSnapshot computes the live picture for the console, metrics and
// (in the background) the CLI's status view.
func (r *router) refreshSnapshot(ctx context.Context) {
	if r.eng == nil {
		return
	}
	s := r.eng.Snapshot(r.now())
	r.snap.Store(&s)
	rates, needed := r.rates.observe(s)
	ls := LiveSnapshot{Snapshot: s, ArrivalPerHour: rates, Needed: needed}
	r.live.Store(&ls)
	if r.snapshot != nil {
		r.snapshot(ls)
	}
	r.records.snapshot(ls)
}

// day names the contact center's local date of t (the site calendar's
// time zone), the span of the queues' counters.
func (r *router) day(t time.Time) string {
	loc := time.UTC
	if cal := r.ctl.o.Live.Calendar(); cal != nil && cal.Site().Location != nil {
		loc = cal.Site().Location
	}
	return t.In(loc).Format(time.DateOnly)
}

// followCounters starts the queues' counters again at local midnight.
func (r *router) followCounters() {
	if r.eng == nil || r.countDay == "" {
		return
	}
	if d := r.day(r.now()); d != r.countDay {
		r.countDay = d
		r.handle(acd.ResetCounters{At: r.now()})
	}
}

// saveOwed hands the saver the engine's description with only the calls a
// start would restore from it — the callbacks owed — and the queues'
// counters, so that a crash does not lose a caller's promise of a call
// back nor the day's figures. It runs on the actor; the
// write happens on the saver's goroutine, so routing never waits on the
// database. A callback completed since the last save may be placed again
// after a crash: a second call is better than none.
func (r *router) saveOwed() {
	r.owedDirty = false
	st := r.eng.State()
	owed := st.Calls[:0]
	for _, c := range st.Calls {
		if owedCallback(c.Status) {
			owed = append(owed, c)
		}
	}
	st.Calls = owed
	b, err := json.Marshal(st)
	if err != nil {
		r.log.Warn("ACD state not encoded", zap.Error(err))
		return
	}
	select { // latest wins: replace a save still waiting
	case <-r.saves:
	default:
	}
	r.saves <- acdSave{at: st.At, body: b}
}

// saver writes the descriptions saveOwed hands it, until ctx ends.
func (r *router) saver(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-r.saves:
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := r.ctl.o.Store.SaveACDState(wctx, s.at, string(s.body)); err != nil && ctx.Err() == nil {
				r.log.Warn("callbacks owed not saved", zap.Error(err))
				r.post(func() { r.owedDirty = true }) // try again on the next tick
			}
			cancel()
		}
	}
}

// owedCallback reports whether a call in this status is a callback still
// owed to a caller, which a start restores from the saved state.
func owedCallback(s acd.CallStatus) bool {
	switch s {
	case acd.CallCallbackWaiting, acd.CallCallbackScheduled, acd.CallCallbackDialing:
		return true
	}
	return false
}

// saveState keeps the engine's description for the next start.
func (r *router) saveState() {
	if r.eng == nil {
		return
	}
	st := r.eng.State()
	b, err := json.Marshal(st)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.ctl.o.Store.SaveACDState(ctx, st.At, string(b)); err != nil {
		r.log.Warn("ACD state not saved", zap.Error(err))
	}
}

// ACDReady is closed once the ACD runs (after the first connection to Asterisk).
func (c *Controller) ACDReady() <-chan struct{} { return c.router.built }

// Snapshot returns the latest live picture of queues and agents (nil before
// the ACD runs).
func (c *Controller) Snapshot() *acd.Snapshot { return c.router.snap.Load() }

// Live returns the latest published picture, with arrival rates and the
// staffing Erlang C suggests (nil before the ACD runs).
func (c *Controller) Live() *LiveSnapshot { return c.router.live.Load() }

// AgentCommand logs an agent in or out, or pauses or unpauses them, as
// the console does; it returns "ok" or what went wrong.
func (c *Controller) AgentCommand(ctx context.Context, kind, ext, arg, actor string) string {
	return askResult(ctx, c.router, func() string { return c.router.agentCommand(kind, ext, arg, actor) })
}

// holdShards is how many holding bridges a queue's waiting callers are
// spread over. Every caller joining or leaving a holding bridge makes
// Asterisk reset the bridge variables of every channel in it
// (set_bridge_peer_vars_holding in main/bridge.c), publishing a channel
// snapshot for each: each of those is a task for the ARI application's
// one taskprocessor, as all of them are its channels. With N callers in a
// bridge that is N tasks per arrival and per answer, O(N²) in all: with a
// thousand waiting in eight bridges the application's queue sat at its
// limit of 500, events reached the controller seconds late, answered
// agents were bridged after their phones had hung up, and the queue
// collapsed below the agents' capacity. (A bridge-wide music stream, used
// then, also reached every caller from the bridge's one thread, which fell
// behind with a thousand callers: "Exceptionally long voice queue length
// … to Announcer/ARI_MOH". Each caller now has its own music, played from
// its own channel's thread.) Sixty-four bridges of holdFill keep N in the
// tens.
const holdShards = 64

// holdFill is how many callers a holding bridge takes before the next one
// is used (past holdShards × holdFill, the least full). Filling bridges in
// order, rather than spreading callers by a hash, opens a queue's further
// bridges only when a surge needs them.
const holdFill = 16

// holdBridgeName names a queue's n-th holding bridge.
func holdBridgeName(queue string, n int) string {
	if n == 0 {
		return "ascolto-hold-" + queue
	}
	return "ascolto-hold-" + queue + "-" + strconv.Itoa(n)
}

// takeHold chooses the holding bridge for a caller about to wait in
// queue, and counts the caller in it.
func (ctl *Controller) takeHold(queue string) string {
	ctl.holdMu.Lock()
	defer ctl.holdMu.Unlock()
	if ctl.holdIn == nil {
		ctl.holdIn = map[string]int{}
	}
	least, leastN := "", 0
	for n := 0; n < holdShards; n++ {
		id := holdBridgeName(queue, n)
		k := ctl.holdIn[id]
		if k < holdFill {
			ctl.holdIn[id] = k + 1
			return id
		}
		if least == "" || k < leastN {
			least, leastN = id, k
		}
	}
	ctl.holdIn[least]++
	return least
}

// releaseHold counts a caller out of a holding bridge.
func (ctl *Controller) releaseHold(id string) {
	ctl.holdMu.Lock()
	defer ctl.holdMu.Unlock()
	if ctl.holdIn[id] > 1 {
		ctl.holdIn[id]--
	} else {
		delete(ctl.holdIn, id)
	}
}

// adoptedHold says which holding bridge Asterisk had a channel in when
// the controller last reconciled (a caller taken back after a restart is
// left where it waits), and counts it there.
func (ctl *Controller) adoptedHold(channel string) (string, bool) {
	ctl.holdMu.Lock()
	defer ctl.holdMu.Unlock()
	id, ok := ctl.holdOf[channel]
	if ok {
		delete(ctl.holdOf, channel)
		if ctl.holdIn == nil {
			ctl.holdIn = map[string]int{}
		}
		ctl.holdIn[id]++
	}
	return id, ok
}

// reconciledHolds records who waits in which holding bridge, as Asterisk
// reports it, and starts the counts afresh.
func (ctl *Controller) reconciledHolds(of map[string]string) {
	ctl.holdMu.Lock()
	defer ctl.holdMu.Unlock()
	ctl.holdOf, ctl.holdIn = of, map[string]int{}
}

func callBridgeID(callID string) string { return "ascolto-call-" + callID }

// Transfer moves a connected call, as the agent's blind transfer: to
// another queue (the caller waits there, keeping priority) or to an
// external number (the dialplan dials it). It returns "ok" or the reason.
func (c *Controller) Transfer(ctx context.Context, callID, queue, number, actor string) string {
	return askResult(ctx, c.router, func() string { return c.router.transfer(callID, queue, number, actor) })
}

func (r *router) transfer(callID, queue, number, actor string) string {
	if r.eng == nil {
		return "error: the ACD is not running yet"
	}
	if (queue == "") == (number == "") {
		return "error: give a queue or a number"
	}
	var lg *leg
	for _, l := range r.legs[callID] {
		if l.isConnected() {
			lg = l
		}
	}
	c := r.callers[callID]
	if lg == nil || c == nil {
		return "error: call " + callID + " is not connected to an agent"
	}
	ds, err := r.eng.Handle(acd.Transfer{At: r.now(), Call: callID, Queue: queue, Destination: number})
	if err != nil {
		r.execute(ds)
		r.rearm()
		return "error: " + err.Error()
	}
	// The caller moves first, so the agent's leg going down does not end the call.
	agent := lg.agent
	c.do(func(c *call) { c.transferred(queue, number, agent) })
	lg.stop()
	r.dropLeg(callID, lg.agent)
	if queue == "" {
		delete(r.callers, callID)
	}
	r.execute(ds)
	r.rearm()
	r.log.Info("call transferred", zap.String("call", callID), zap.String("agent", lg.agent),
		zap.String("queue", queue), zap.String("number", number), zap.String("by", actor))
	return "ok"
}

// eventTime is when an ACD event happened (the time it carries).
func eventTime(ev acd.Event) time.Time {
	switch e := ev.(type) {
	case acd.Tick:
		return e.At
	case acd.Arrive:
		return e.At
	case acd.Hangup:
		return e.At
	case acd.Answer:
		return e.At
	case acd.RingFailed:
		return e.At
	case acd.Login:
		return e.At
	case acd.Unpause:
		return e.At
	case acd.DeviceState:
		return e.At
	case acd.DispositionSaved:
		return e.At
	case acd.CallbackAnswered:
		return e.At
	case acd.Transfer:
		return e.At
	}
	return time.Time{}
}

// refreshNow recomputes the live picture at once (after a person's action,
// so their screen does not wait for the next second).
func (r *router) refreshNow(ctx context.Context) {
	ask(ctx, r, func() struct{} { r.refreshSnapshot(r.ctl.runCtx); return struct{}{} })
}

// connectedLeg finds the leg an agent talks on, and its call.
func (r *router) connectedLeg(agent string) (*leg, string) {
	for call, m := range r.legs {
		if l := m[agent]; l != nil && l.isConnected() {
			return l, call
		}
	}
	return nil, ""
}

// agentCall returns the call an agent is connected to ("" for none).
func (c *Controller) agentCall(ctx context.Context, agent string) string {
	call, _ := ask(ctx, c.router, func() string { _, call := c.router.connectedLeg(agent); return call })
	return call
}

// agentLastCall returns the call an agent talks on now or talked on last.
func (c *Controller) agentLastCall(ctx context.Context, agent string) string {
	call, _ := ask(ctx, c.router, func() string {
		if _, call := c.router.connectedLeg(agent); call != "" {
			return call
		}
		return c.router.lastCall[agent]
	})
	return call
}

// hangupAgent ends the call an agent is on, from the desk.
func (c *Controller) hangupAgent(ctx context.Context, agent string) string {
	return askResult(ctx, c.router, func() string {
		l, _ := c.router.connectedLeg(agent)
		if l == nil {
			return "error: no call to hang up"
		}
		// Reported like the agent hanging up the phone.
		l.mb.put(msg{kind: msgFunc, fn: func() {
			if err := c.o.Client.Hangup(c.runCtx, l.id, "normal"); err != nil && !IsGone(err) {
				l.log().Warn("agent's leg not hung up", zap.Error(err))
			}
		}})
		return "ok"
	})
}

// hold puts the caller of an agent's call on hold (music) or back.
func (c *Controller) hold(ctx context.Context, agent string, on bool) string {
	return askResult(ctx, c.router, func() string {
		_, callID := c.router.connectedLeg(agent)
		caller := c.router.callers[callID]
		if caller == nil {
			return "error: no call to hold"
		}
		at := c.router.now()
		var ev acd.Event = acd.Unhold{At: at, Call: callID}
		if on {
			ev = acd.Hold{At: at, Call: callID}
		}
		ds, err := c.router.eng.Handle(ev)
		c.router.execute(ds)
		c.router.rearm()
		if err != nil {
			return "error: " + err.Error()
		}
		caller.do(func(cl *call) {
			var err error
			if on {
				err = c.o.Client.StartMOH(c.runCtx, cl.id, "")
			} else {
				err = c.o.Client.StopMOH(c.runCtx, cl.id)
			}
			if err != nil && !IsGone(err) {
				cl.log().Warn("hold not applied", zap.Bool("hold", on), zap.Error(err))
			}
		})
		return "ok"
	})
}

// dispositionSaved ends an agent's wrap-up: the form is saved.
func (c *Controller) dispositionSaved(agent string) {
	c.router.post(func() { c.router.handle(acd.DispositionSaved{At: c.router.now(), Agent: agent}) })
}

// Reload has the ACD re-read queues, agents and memberships.
func (c *Controller) Reload(ctx context.Context) string {
	return askResult(ctx, c.router, func() string { return c.router.reload(c.runCtx) })
}

// CallInfo is what the IVR learnt about a caller, for the agent's screen pop.
type CallInfo struct {
	Caller     string
	CallerName string
	IVRPath    []string
	Digits     string
	Urgency    string
	Category   string
	ArrivedAt  time.Time
}
