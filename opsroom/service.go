package opsroom

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Publisher is where the service announces changes as they commit: the
// console, which fans them out to the browsers.
type Publisher interface {
	// OpsItemChanged goes to every operations-room screen.
	OpsItemChanged(v ItemView)
	// OpsItemToAgent goes to the agent who forwarded the item, so their
	// desk shows the acknowledgement and the status updates.
	OpsItemToAgent(username string, v ItemView)
	// OpsEscalated goes to the operations room (the alert repeats) and to
	// the coordinators.
	OpsEscalated(e Escalation)
	// OpsHotspotsChanged goes to every operations-room screen when the
	// hotspots changed with the passing of time alone: a group that stops
	// growing turns steady then falling, and leaves the hour.
	OpsHotspotsChanged(hs []HotspotView)
}

// Escalation is one round of escalation: the items still waiting.
type Escalation struct {
	At    time.Time  `json:"at"`
	Items []ItemView `json:"items"`
	// Called says whether the room's number is being phoned.
	Called bool `json:"called"`
}

// Phone phones the operations room and plays a recorded message: the lead
// satisfies it with the ARI controller (Dial, Play, Collect, Hangup).
type Phone interface {
	// Announce calls Number, plays Media in order and asks for 1 to
	// confirm the message was heard (replaying it once if not); it returns
	// once the call is over.
	Announce(ctx context.Context, a Announcement) (AnnounceResult, error)
}

// Announcement is one call to the operations room.
type Announcement struct {
	Number   string
	LinkedID string // ties the call record to what caused it: "opsroom-escalation-ITEMID"
	Media    []string
}

// AnnounceResult says how the call went.
type AnnounceResult struct {
	Answered  bool
	Confirmed bool // someone pressed 1
}

// Options wires the service.
type Options struct {
	Store     *store.DB
	Clock     clock.Clock
	Log       *zap.Logger
	Config    Config
	Publisher Publisher     // nil: nothing is announced
	Phone     Phone         // nil: escalations do not phone
	Mail      *mail.Service // nil: no email
	// HTTPClient posts the webhook (default: 10 s timeout, no redirects).
	HTTPClient *http.Client
	Registry   prometheus.Registerer
	// Workers bounds concurrent webhook posts (default 4), so a slow
	// receiver holds at most that many and delays nothing else.
	Workers int
}

// Service is the operations-room feed.
type Service struct {
	o      Options
	cfg    Config
	db     *store.DB
	clock  clock.Clock
	log    *zap.Logger
	pub    Publisher
	labels labels

	mu       sync.Mutex
	runCtx   context.Context
	timer    clock.Timer
	timerAt  time.Time
	calling  atomic.Bool
	wakeHook chan struct{}
	armed    chan struct{} // closed once Run has armed the escalation timer
	wg       sync.WaitGroup

	mForwarded   *prometheus.CounterVec
	mEscalations prometheus.Counter
	mWebhook     *prometheus.CounterVec
	mAck         prometheus.Histogram
}

// New builds the service; nothing runs until Run.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("opsroom: a store is required")
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	o.Config.fill()
	s := &Service{o: o, cfg: o.Config, db: o.Store, clock: o.Clock, log: o.Log, pub: o.Publisher,
		wakeHook: make(chan struct{}, 1), armed: make(chan struct{}), runCtx: context.Background()}
	if s.pub == nil {
		s.pub = nopPublisher{}
	}
	s.mForwarded = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ascolto_opsroom_forwarded_total",
		Help: "Items forwarded to the operations room, by kind (rescue, report)."}, []string{"kind"})
	s.mEscalations = prometheus.NewCounter(prometheus.CounterOpts{Name: "ascolto_opsroom_escalations_total",
		Help: "Items escalated because nobody acknowledged them in time."})
	s.mWebhook = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ascolto_opsroom_webhook_attempts_total",
		Help: "Webhook attempts by result (sent, retry, failed)."}, []string{"result"})
	s.mAck = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ascolto_opsroom_ack_seconds",
		Help:    "Time from forwarding to acknowledgement by the operations room.",
		Buckets: []float64{10, 30, 60, 120, 300, 600, 1800, 3600}})
	if o.Registry != nil {
		for _, c := range []prometheus.Collector{s.mForwarded, s.mEscalations, s.mWebhook, s.mAck} {
			if err := o.Registry.Register(c); err != nil {
				return nil, fmt.Errorf("opsroom: register metrics: %w", err)
			}
		}
	}
	return s, nil
}

// Config is the configuration in force (defaults filled in).
func (s *Service) Config() Config { return s.cfg }

type nopPublisher struct{}

func (nopPublisher) OpsItemChanged(ItemView)          {}
func (nopPublisher) OpsItemToAgent(string, ItemView)  {}
func (nopPublisher) OpsEscalated(Escalation)          {}
func (nopPublisher) OpsHotspotsChanged([]HotspotView) {}

// Forwarding rules: a rescue request always goes; any other case goes as
// a situation report when the operator's outcome says so.
const outcomeForwarded = "inoltrata-sala-operativa"

// KindFor says whether a disposition sends its case to the operations
// room, and as what.
func KindFor(urgency, outcome string) (string, bool) {
	switch {
	case urgency == store.UrgencyRescue:
		return store.OpsRescue, true
	case outcome == outcomeForwarded:
		return store.OpsReport, true
	}
	return "", false
}

// Submit is what the agent desk calls right after saving a disposition:
// when the case's latest disposition is a rescue request, or was
// forwarded to the operations room, the case goes there now — alerting
// the room, arming the escalation, queueing the webhook. It reports
// whether the case was forwarded; calling it for any other case does
// nothing. by is the operator's user name.
func (s *Service) Submit(ctx context.Context, caseID int64, by string) (ItemView, bool, error) {
	c, err := s.db.CaseByID(ctx, caseID)
	if err != nil {
		return ItemView{}, false, err
	}
	urgency, outcome, advice := c.Urgency, c.Outcome, ""
	if d, err := s.db.LatestDisposition(ctx, caseID); err == nil {
		urgency, outcome, advice = d.Urgency, d.Outcome, d.Notes
	} else if !errors.Is(err, store.ErrNotFound) {
		return ItemView{}, false, err
	}
	kind, ok := KindFor(urgency, outcome)
	if !ok {
		return ItemView{}, false, nil
	}
	people := 0
	if r, err := s.db.RescueDetailsOf(ctx, caseID); err == nil {
		people = r.People
	} else if !errors.Is(err, store.ErrNotFound) {
		return ItemView{}, false, err
	}
	v, err := s.Forward(ctx, Forward{CaseID: caseID, Kind: kind, People: people, Advice: advice, By: by})
	return v, err == nil, err
}

// Forward is a case sent to the operations room explicitly.
type Forward struct {
	CaseID int64
	Kind   string // store.OpsRescue or store.OpsReport; "" decides from the case's urgency
	People int    // people involved, 0 when unknown
	Advice string // what the operator advised the caller
	By     string // the operator
}

// Limits of what people type.
const (
	maxAdvice   = 2000
	maxNote     = 1000
	maxAssignee = 60
)

// Forward puts a case in front of the operations room (again, if it was
// already: the same item is updated and a closed one opens again).
func (s *Service) Forward(ctx context.Context, f Forward) (ItemView, error) {
	if strings.TrimSpace(f.By) == "" {
		return ItemView{}, fmt.Errorf("%w: who forwards the case?", store.ErrInvalid)
	}
	if utf8.RuneCountInString(f.Advice) > maxAdvice {
		return ItemView{}, fmt.Errorf("%w: advice longer than %d characters", store.ErrInvalid, maxAdvice)
	}
	c, err := s.db.CaseByID(ctx, f.CaseID)
	if err != nil {
		return ItemView{}, err
	}
	if c.Status == "merged" {
		if c, err = s.db.SurvivingCase(ctx, c.ID); err != nil {
			return ItemView{}, err
		}
	}
	if f.Kind == "" {
		f.Kind = store.OpsReport
		if c.Urgency == store.UrgencyRescue {
			f.Kind = store.OpsRescue
		}
	}
	eventID, exercise, err := s.eventOf(ctx, c)
	if err != nil {
		return ItemView{}, err
	}
	now := s.clock.Now()
	var it store.OpsItem
	var alert bool
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		it, alert, err = tx.ForwardOpsItem(ctx, store.OpsForward{CaseID: c.ID, Kind: f.Kind, People: f.People, Advice: f.Advice,
			EventID: eventID, Exercise: exercise, SubmittedBy: f.By, EscalateAt: now.Add(s.cfg.EscalateAfter)})
		if err != nil {
			return err
		}
		kind := "updated"
		note := fmt.Sprintf("Aggiornamento inviato alla Sala Operativa (%s) / update sent to the operations room", kindIT(it.Kind))
		if alert {
			kind = "forwarded"
			note = fmt.Sprintf("Inoltrata alla Sala Operativa come %s / forwarded to the operations room", kindIT(it.Kind))
		}
		ev := store.OpsEvent{ItemID: it.ID, Kind: kind, Actor: f.By, Detail: map[string]any{"kind": it.Kind, "version": it.Version}}
		if err := tx.AddOpsEvent(ctx, &ev); err != nil {
			return err
		}
		if err := tx.AddContact(ctx, &store.Contact{CaseID: c.ID, Channel: store.ChannelNote, Direction: "internal",
			Author: f.By, Content: note}); err != nil {
			return err
		}
		if err := s.enqueueWebhook(ctx, tx, it, ev, "item."+kind); err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Actor: f.By, Action: "opsroom." + kind, Object: fmt.Sprintf("case:%d", c.ID),
			Detail: map[string]any{"item": it.ID, "kind": it.Kind}})
	})
	if err != nil {
		return ItemView{}, err
	}
	if alert {
		s.mForwarded.WithLabelValues(it.Kind).Inc()
	}
	v := s.view(ctx, it)
	s.pub.OpsItemChanged(v)
	s.arm()
	s.wakeWebhook()
	return v, nil
}

func kindIT(kind string) string {
	if kind == store.OpsRescue {
		return "richiesta di soccorso"
	}
	return "segnalazione"
}

// eventOf finds the emergency event open now that the case belongs to.
func (s *Service) eventOf(ctx context.Context, c store.Case) (int64, bool, error) {
	events, err := s.db.Events(ctx, true)
	if err != nil || len(events) == 0 {
		return 0, false, err
	}
	prov, reg := "", ""
	if c.ComuneCode != "" {
		if p, err := s.db.ComuneByCode(ctx, c.ComuneCode); err == nil {
			prov, reg = p.ProvinciaCode, p.RegioneCode
		}
	}
	id := store.EventFor(events, s.clock.Now(), prov, reg)
	for _, e := range events {
		if e.ID == id {
			return id, e.Exercise, nil
		}
	}
	return 0, false, nil
}

// Acknowledge records that a named person of the operations room took
// the item in charge: escalation stops, the case's timeline says so, and
// the agent who forwarded it is told.
func (s *Service) Acknowledge(ctx context.Context, id int64, by string) (ItemView, error) {
	var it store.OpsItem
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if it, err = tx.AckOpsItem(ctx, id, by); err != nil {
			return err
		}
		ev := store.OpsEvent{ItemID: it.ID, Kind: "acknowledged", Actor: by}
		if err := tx.AddOpsEvent(ctx, &ev); err != nil {
			return err
		}
		if err := tx.AddContact(ctx, &store.Contact{CaseID: it.CaseID, Channel: store.ChannelNote, Direction: "internal",
			Author: by, Content: "Presa in carico dalla Sala Operativa (" + by + ") / acknowledged by the operations room"}); err != nil {
			return err
		}
		if err := s.enqueueWebhook(ctx, tx, it, ev, "item.acknowledged"); err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Actor: by, Action: "opsroom.acknowledge", Object: fmt.Sprintf("case:%d", it.CaseID),
			Detail: map[string]any{"item": it.ID}})
	})
	if err != nil {
		return ItemView{}, err
	}
	s.mAck.Observe(it.AckedAt.Sub(it.CreatedAt).Seconds())
	v := s.view(ctx, it)
	s.pub.OpsItemChanged(v)
	s.pub.OpsItemToAgent(it.SubmittedBy, v)
	s.arm()
	s.wakeWebhook()
	return v, nil
}

// StatusUpdate moves an acknowledged item on.
type StatusUpdate struct {
	State    string // store.OpsAssigned or store.OpsClosed
	Assignee string // with assigned: VVF, 118, Prefettura …
	Note     string // optional, for the case's timeline
}

// Assignees are the authorities the room usually hands requests to; the
// console offers them, any other name up to 60 characters is accepted.
var Assignees = []string{"VVF", "118", "Prefettura", "Comune", "Forze dell'ordine", "Volontariato", "Regione"}

// SetStatus records a status update from the operations room and writes
// it on the case's timeline, for the agent who took the call.
func (s *Service) SetStatus(ctx context.Context, id int64, u StatusUpdate, by string) (ItemView, error) {
	u.Assignee, u.Note = strings.TrimSpace(u.Assignee), strings.TrimSpace(u.Note)
	if utf8.RuneCountInString(u.Assignee) > maxAssignee || strings.ContainsAny(u.Assignee, "\r\n") {
		return ItemView{}, fmt.Errorf("%w: the assignee is a name of at most %d characters", store.ErrInvalid, maxAssignee)
	}
	if utf8.RuneCountInString(u.Note) > maxNote {
		return ItemView{}, fmt.Errorf("%w: note longer than %d characters", store.ErrInvalid, maxNote)
	}
	if strings.TrimSpace(by) == "" {
		return ItemView{}, fmt.Errorf("%w: a status update needs a named user", store.ErrInvalid)
	}
	var it store.OpsItem
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if it, err = tx.SetOpsState(ctx, id, u.State, u.Assignee); err != nil {
			return err
		}
		detail := map[string]any{"state": it.State, "assignee": it.Assignee}
		if u.Note != "" {
			detail["note"] = u.Note
		}
		ev := store.OpsEvent{ItemID: it.ID, Kind: "status", Actor: by, Detail: detail}
		if err := tx.AddOpsEvent(ctx, &ev); err != nil {
			return err
		}
		text := "Sala Operativa (" + by + "): "
		if it.State == store.OpsClosed {
			text += "chiusa / closed"
		} else {
			text += "assegnata a / assigned to " + it.Assignee
		}
		if u.Note != "" {
			text += " — " + u.Note
		}
		if err := tx.AddContact(ctx, &store.Contact{CaseID: it.CaseID, Channel: store.ChannelNote, Direction: "internal",
			Author: by, Content: text}); err != nil {
			return err
		}
		if err := s.enqueueWebhook(ctx, tx, it, ev, "item.status"); err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Actor: by, Action: "opsroom.status", Object: fmt.Sprintf("case:%d", it.CaseID),
			Detail: map[string]any{"item": it.ID, "state": it.State, "assignee": it.Assignee}})
	})
	if err != nil {
		return ItemView{}, err
	}
	v := s.view(ctx, it)
	s.pub.OpsItemChanged(v)
	s.pub.OpsItemToAgent(it.SubmittedBy, v)
	s.wakeWebhook()
	return v, nil
}

// Items lists what the operations room's screen shows: every open item,
// and those closed within recent; unacknowledged first, rescue requests
// before situation reports, newest first.
func (s *Service) Items(ctx context.Context, recent time.Duration) ([]ItemView, error) {
	f := store.OpsFilter{Open: true, Limit: 2000}
	if recent > 0 {
		f.ClosedSince = s.clock.Now().Add(-recent)
	}
	items, err := s.db.OpsItems(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]ItemView, len(items))
	for i, it := range items {
		out[i] = s.view(ctx, it)
	}
	return out, nil
}

// Detail is an item with its history and webhook deliveries.
type Detail struct {
	Item       ItemView
	History    []store.OpsEvent
	Deliveries []store.OpsDelivery
}

// Item returns one item with its history.
func (s *Service) Item(ctx context.Context, id int64) (Detail, error) {
	it, err := s.db.OpsItemByID(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Item: s.view(ctx, it)}
	if d.History, err = s.db.OpsEvents(ctx, id); err != nil {
		return Detail{}, err
	}
	if d.Deliveries, err = s.db.OpsDeliveries(ctx, id, 50); err != nil {
		return Detail{}, err
	}
	return d, nil
}

// ItemForCase returns the item of a case (store.ErrNotFound if it was
// never forwarded), for the case view and the agent's desk.
func (s *Service) ItemForCase(ctx context.Context, caseID int64) (ItemView, error) {
	it, err := s.db.OpsItemByCase(ctx, caseID)
	if err != nil {
		return ItemView{}, err
	}
	return s.view(ctx, it), nil
}

// Run escalates, delivers the webhook and recovers forwards a crash lost,
// until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	s.runCtx = ctx
	s.mu.Unlock()
	s.arm()
	// The hotspots' first look is armed with the escalation, so a clock
	// moved forward once Armed is closed wakes it too.
	hotLast, _ := s.hotspotKey(ctx)
	hotTimer := s.clock.NewTimer(time.Minute)
	close(s.armed)
	if s.cfg.WebhookURL != "" {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.webhookLoop(ctx) }()
	}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.sweepLoop(ctx) }()
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.hotspotLoop(ctx, hotLast, hotTimer) }()
	<-ctx.Done()
	s.mu.Lock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// Armed is closed once Run has read the open rescue requests and armed
// their escalation and the hotspots' next look: from then on a clock moved
// forward escalates them and ages the hotspots.
func (s *Service) Armed() <-chan struct{} { return s.armed }

// hotspotLoop looks at the hotspots once a minute on the service's clock
// and announces them when they differ from the last look: the screens
// fetch them again on each item change, and this makes them age without
// one (a group from 70 minutes ago must not stay "rising"). The next look
// is armed before announcing, so a test that moves a fake clock on as soon
// as it hears the announcement still wakes it.
func (s *Service) hotspotLoop(ctx context.Context, last string, t clock.Timer) {
	for {
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		t = s.clock.NewTimer(time.Minute)
		key, hs := s.hotspotKey(ctx)
		if hs == nil || key == last {
			continue
		}
		last = key
		s.pub.OpsHotspotsChanged(hs)
	}
}

// hotspotKey is the hotspots now and what a screen shows of them (hazard,
// place, members, trend); nil hotspots when they could not be read.
func (s *Service) hotspotKey(ctx context.Context) (string, []HotspotView) {
	hs, err := s.Hotspots(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("operations room: hotspots not read", zap.Error(err))
		}
		return "", nil
	}
	var b strings.Builder
	for _, h := range hs {
		fmt.Fprintf(&b, "%s|%s|%s|%d|%s|", h.Hazard, h.Comune, h.Place, h.Count, h.Trend)
		for _, m := range h.Members {
			fmt.Fprintf(&b, "%d,", m.ID)
		}
		b.WriteByte('\n')
	}
	return b.String(), hs
}

// sweepLoop forwards the rescue requests whose disposition was saved but
// whose forwarding a crash interrupted: at start, then every 30 seconds.
func (s *Service) sweepLoop(ctx context.Context) {
	cursor, _, err := s.db.DispositionMarks(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("operations-room sweep: cannot read dispositions", zap.Error(err))
	}
	for {
		cursor = s.sweep(ctx, cursor)
		t := s.clock.NewTimer(30 * time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// sweep forwards what was lost after cursor and returns the new cursor.
// Dispositions younger than 10 s are left to the desk, which forwards
// them itself.
func (s *Service) sweep(ctx context.Context, cursor int64) int64 {
	_, newest, err := s.db.DispositionMarks(ctx)
	if err != nil {
		return cursor
	}
	for cursor < newest {
		lost, err := s.db.ForwardableDispositions(ctx, cursor, newest, 200)
		if err != nil {
			return cursor
		}
		if len(lost) == 0 {
			return newest
		}
		for _, d := range lost {
			if s.clock.Now().Sub(d.CreatedAt) < 10*time.Second {
				return cursor
			}
			by := "system"
			if d.UserID != 0 {
				if u, err := s.db.UserByID(ctx, d.UserID); err == nil {
					by = u.Username
				}
			}
			if _, _, err := s.Submit(ctx, d.CaseID, by); err != nil {
				s.log.Warn("operations-room sweep: case not forwarded", zap.Int64("case", d.CaseID), zap.Error(err))
			} else {
				s.log.Warn("operations-room sweep: forwarded a case whose forwarding was interrupted", zap.Int64("case", d.CaseID))
			}
			cursor = d.ID
		}
	}
	return cursor
}

func randomID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
