package ari

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/acd"
	"github.com/ascolto/ascolto/console"
	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/live"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// Desk is the console's view of the controller: it implements
// console.Backend for the agent desk and the wallboard, and publishes what
// changes (agents' states, the queues' picture, offers to agents, the
// operating mode) to the console's hub.
type Desk struct {
	ctl *Controller
	db  *store.DB
	log *zap.Logger
	pub Publisher

	geoOnce sync.Once
	geo     *geo.Index

	// Training: what each simulated caller says (the simulator has no
	// voice), and who wants to know about saved dispositions.
	transcript func(call string) string
	onSaved    func(agentID string, by console.Actor, d console.Disposition, res console.DispositionResult)
	// forward sends a case whose disposition calls for it to the
	// operations room, saying as what ("" when not forwarded).
	forward func(ctx context.Context, caseID int64, by string) (string, error)

	// since remembers when each agent entered the state last published, so
	// "time in state" does not restart on changes that keep the state.
	mu    sync.Mutex
	since map[string]stateSince
	// queues remembers the queues last published for each agent, so a
	// membership change (a move on the wallboard, a CLI change) reaches the
	// wallboard and the agent's desk without waiting for a state change.
	queues map[string][]string
}

type stateSince struct {
	state string
	at    time.Time
}

// OnAgentLogin is told the console user of each seat that logs in to the
// queues (the on-call activation marks confirmed operators as arrived).
func (d *Desk) OnAgentLogin(f func(username string)) {
	d.ctl.router.onLogin = f
}

// OnDisposition is called with each case right after an agent saves its
// disposition, before the agent hears back: the operations room's feed,
// which forwards rescue requests at once. It returns what the case was
// forwarded as ("" for nothing); an error is shown to the agent, so a rescue
// request that did not reach the room is never silent.
func (d *Desk) OnDisposition(f func(ctx context.Context, caseID int64, by string) (string, error)) {
	d.forward = f
}

// Train makes the desk show each call's transcript in the screen pop and
// report every saved disposition: the demo's training mode.
func (d *Desk) Train(transcript func(call string) string, onSaved func(agentID string, by console.Actor, in console.Disposition, res console.DispositionResult)) {
	d.transcript, d.onSaved = transcript, onSaved
}

// Publisher is where the Desk announces changes: the console.
type Publisher interface {
	PublishAgent(v console.AgentView)
	PublishSnapshot(s console.Snapshot)
	PublishMode(m console.ModeView)
	PublishSupervisions(list []console.SupervisionView)
	Offer(username, typ string, payload any)
}

// NewDesk joins a controller to a console. Call Attach before the
// controller runs, so every change is published from the start.
func NewDesk(ctl *Controller, db *store.DB) *Desk {
	return &Desk{ctl: ctl, db: db, log: ctl.log.Named("desk"), since: map[string]stateSince{},
		queues: map[string][]string{}}
}

// Attach starts publishing to p (the console).
func (d *Desk) Attach(p Publisher) {
	d.pub = p
	r := d.ctl.router
	r.snapshot = func(s LiveSnapshot) {
		p.PublishSnapshot(d.snapshotView(s))
		d.publishQueueChanges(s, r.agents)
	}
	r.onAgent = func(ch acd.AgentChanged, a store.Agent) { p.PublishAgent(d.agentView(a, ch)) }
	r.onWatch = func(list []Supervision) {
		out := make([]console.SupervisionView, len(list))
		for i, s := range list {
			out[i] = console.SupervisionView{Agent: s.Agent, By: s.Supervisor, Name: s.Name, Mode: s.Mode}
		}
		p.PublishSupervisions(out)
	}
	r.onRing = func(call, agent, queue string, a store.Agent, info CallInfo) {
		d.ctl.wg.Add(1) // called on the actor, which holds the group open
		go func() { defer d.ctl.wg.Done(); d.offer(call, queue, a, info) }()
	}
	r.onTransferRefused = func(agent string, t RefusedTransfer) {
		r.mu.Lock()
		user := r.usernames[agent]
		r.mu.Unlock()
		if user != "" {
			p.Offer(user, "transfer.refused", t)
		}
	}
}

// FollowMode publishes operating-mode changes until ctx ends.
func (d *Desk) FollowMode(ctx context.Context, st *live.State) {
	ch, cancel := st.Subscribe()
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-ch:
			if d.pub != nil {
				d.pub.PublishMode(console.ModeView{Mode: string(m.Mode), Reason: m.Reason, SetBy: m.SetBy, SetAt: m.SetAt})
			}
		}
	}
}

// AgentFor returns the seat bound to a console user.
func (d *Desk) AgentFor(ctx context.Context, username string) (console.AgentView, error) {
	agents, err := d.db.Agents(ctx)
	if err != nil {
		return console.AgentView{}, err
	}
	for _, a := range agents {
		if a.Username == username {
			return d.viewOf(a), nil
		}
	}
	return console.AgentView{}, console.ErrNoAgent
}

// viewOf describes an agent from the latest snapshot.
func (d *Desk) viewOf(a store.Agent) console.AgentView {
	v := console.AgentView{ID: a.Extension, Username: a.Username, Name: a.Name, Site: a.Site, State: console.StateLoggedOut,
		Phone: console.PhoneView{Endpoint: a.Endpoint, Kind: a.PhoneKind}}
	d.ctl.router.mu.Lock()
	v.Reachable = d.ctl.router.reach[a.Extension]
	d.ctl.router.mu.Unlock()
	v.Phone.Registered = v.Reachable
	if s := d.ctl.Snapshot(); s != nil {
		for _, st := range s.Agents {
			if st.ID == a.Extension {
				v.State, v.Reason, v.Since, v.Call, v.Queues = st.State.String(), st.Reason, st.Since, st.Call, st.Queues
				v.Reachable = st.Reachable
				if st.Paused && st.State != acd.OnCall && st.State != acd.WrapUp {
					v.State = console.StatePaused
				}
			}
		}
	}
	if v.Queues == nil {
		v.Queues = []string{}
	}
	v.Phone.Device = deviceState(v.State, v.Reachable)
	return v
}

func (d *Desk) agentView(a store.Agent, ch acd.AgentChanged) console.AgentView {
	v := d.viewOf(a)
	v.State, v.Reason, v.Reachable = ch.State.String(), ch.Reason, ch.Reachable
	if ch.Paused && ch.State != acd.OnCall && ch.State != acd.WrapUp {
		v.State = console.StatePaused
	}
	d.mu.Lock()
	prev, ok := d.since[a.Extension]
	if !ok || prev.state != v.State {
		prev = stateSince{state: v.State, at: d.ctl.o.Clock.Now()}
		d.since[a.Extension] = prev
	}
	d.queues[a.Extension] = slices.Clone(v.Queues)
	d.mu.Unlock()
	v.Since = prev.at
	v.Phone.Registered = ch.Reachable
	v.Phone.Device = deviceState(v.State, v.Reachable)
	return v
}

// publishQueueChanges republishes every agent whose queues differ from
// what was last published for it (or who was never published): the ACD
// announces state changes only, and the agents it announced at start were
// described before the first snapshot knew their queues. It runs on the
// router's actor, which owns agents.
func (d *Desk) publishQueueChanges(s LiveSnapshot, agents map[string]store.Agent) {
	for _, a := range s.Agents {
		queues := a.Queues
		if queues == nil {
			queues = []string{}
		}
		d.mu.Lock()
		old, ok := d.queues[a.ID]
		if _, known := d.since[a.ID]; !known && !a.Since.IsZero() {
			// Never published: in its state since the ACD says.
			st := a.State.String()
			if a.Paused && a.State != acd.OnCall && a.State != acd.WrapUp {
				st = console.StatePaused
			}
			d.since[a.ID] = stateSince{state: st, at: a.Since}
		}
		d.mu.Unlock()
		if ok && slices.Equal(old, queues) {
			continue
		}
		sa, known := agents[a.ID]
		if !known {
			continue
		}
		d.pub.PublishAgent(d.agentView(sa, acd.AgentChanged{Agent: a.ID, State: a.State, Paused: a.Paused,
			Reason: a.Reason, Reachable: a.Reachable}))
	}
}

// deviceState is the phone's state as Asterisk names it (NOT_INUSE,
// RINGING, INUSE, UNAVAILABLE), from what the ACD knows of the seat.
func deviceState(state string, reachable bool) string {
	switch {
	case !reachable:
		return "UNAVAILABLE"
	case state == console.StateRinging:
		return "RINGING"
	case state == console.StateOnCall:
		return "INUSE"
	}
	return "NOT_INUSE"
}

// SetAgentState makes an agent available, paused with a reason, or logged out.
func (d *Desk) SetAgentState(ctx context.Context, by console.Actor, agentID string, to console.StateChange) (console.AgentView, error) {
	cur, err := d.agentByID(ctx, agentID)
	if err != nil {
		return console.AgentView{}, err
	}
	v := d.viewOf(cur)
	var steps [][2]string
	switch to.State {
	case console.StateAvailable:
		if v.State == console.StateLoggedOut {
			steps = append(steps, [2]string{"login", ""})
		} else {
			steps = append(steps, [2]string{"unpause", ""})
		}
	case console.StatePaused:
		if strings.TrimSpace(to.Reason) == "" {
			return v, fmt.Errorf("%w: a pause needs a reason", console.ErrRefused)
		}
		if v.State == console.StateLoggedOut {
			steps = append(steps, [2]string{"login", ""})
		}
		steps = append(steps, [2]string{"pause", to.Reason})
	case console.StateLoggedOut:
		steps = append(steps, [2]string{"logout", ""})
	default:
		return v, fmt.Errorf("%w: unknown state %q", console.ErrRefused, to.State)
	}
	actor := by.Username
	if by.Role != "" && by.Username != cur.Username {
		actor = by.Username + " (" + by.Role + ")"
	}
	for _, s := range steps {
		if res := d.ctl.AgentCommand(ctx, s[0], agentID, s[1], actor); res != "ok" {
			return d.viewOf(cur), fmt.Errorf("%w: %s", console.ErrRefused, strings.TrimPrefix(res, "error: "))
		}
	}
	// The console audits the person's action; the ACD's change is in the queue log.
	d.ctl.router.refreshNow(ctx)
	return d.viewOf(cur), nil
}

func (d *Desk) agentByID(ctx context.Context, id string) (store.Agent, error) {
	agents, err := d.db.Agents(ctx)
	if err != nil {
		return store.Agent{}, err
	}
	for _, a := range agents {
		if a.Extension == id {
			return a, nil
		}
	}
	return store.Agent{}, fmt.Errorf("%w: unknown agent %s", console.ErrRefused, id)
}

// pauseReasons are the reason codes an agent picks from.
var pauseReasons = []console.PauseReason{
	{Code: "pausa", LabelIT: "Pausa", LabelEN: "Break"},
	{Code: "pranzo", LabelIT: "Pranzo", LabelEN: "Lunch"},
	{Code: "riunione", LabelIT: "Riunione", LabelEN: "Meeting"},
	{Code: "formazione", LabelIT: "Formazione", LabelEN: "Training"},
	{Code: "back-office", LabelIT: "Lavoro di back-office (email, fax)", LabelEN: "Back office (email, fax)"},
	{Code: "supervisione", LabelIT: "Richiesta del coordinatore", LabelEN: "Asked by the supervisor"},
}

// PauseReasons lists the pause reasons.
func (d *Desk) PauseReasons(context.Context) ([]console.PauseReason, error) { return pauseReasons, nil }

// Snapshot is the live picture for the wallboard.
func (d *Desk) Snapshot(context.Context) (console.Snapshot, error) {
	s := d.ctl.Live()
	if s == nil {
		return console.Snapshot{}, console.ErrNotWired
	}
	return d.snapshotView(*s), nil
}

func (d *Desk) snapshotView(s LiveSnapshot) console.Snapshot {
	out := console.Snapshot{At: s.At, Emergency: s.Emergency, Mode: string(d.ctl.o.Live.Mode().Mode)}
	for _, q := range s.Queues {
		out.Queues = append(out.Queues, console.QueueView{Name: q.Name, Site: q.Site, Waiting: q.Waiting,
			LongestWaitS: int(q.LongestWait.Seconds()), ServiceLevel: q.ServiceLevel, Answered: q.Answered,
			Abandoned: q.Abandoned, ASAS: int(q.ASA.Seconds()), AHTS: int(q.AHT.Seconds()), AgentsReady: q.Agents.Available,
			AgentsBusy: q.Agents.Ringing + q.Agents.Reserved + q.Agents.OnCall + q.Agents.WrapUp, StaffingNeeded: s.Needed[q.Name]})
	}
	d.ctl.router.mu.Lock()
	users := d.ctl.router.usernames
	d.ctl.router.mu.Unlock()
	for _, a := range s.Agents {
		v := console.AgentView{ID: a.ID, Name: a.Name, Site: a.Site, State: a.State.String(), Reason: a.Reason,
			Reachable: a.Reachable, Since: a.Since, Call: a.Call, Queues: a.Queues, Username: users[a.ID]}
		if a.Paused && a.State != acd.OnCall && a.State != acd.WrapUp {
			v.State = console.StatePaused
		}
		if v.Queues == nil {
			v.Queues = []string{}
		}
		out.Agents = append(out.Agents, v)
	}
	return out
}

// CallAction acts on the agent's current call.
func (d *Desk) CallAction(ctx context.Context, by console.Actor, agentID string, a console.CallAction) error {
	var res string
	switch a.Action {
	case console.CallHangup:
		res = d.ctl.hangupAgent(ctx, agentID)
	case console.CallHold, console.CallUnhold:
		res = d.ctl.hold(ctx, agentID, a.Action == console.CallHold)
	case console.CallTransfer:
		call := d.ctl.agentCall(ctx, agentID)
		if call == "" {
			return fmt.Errorf("%w: no call to transfer", console.ErrRefused)
		}
		target := strings.TrimSpace(a.Target)
		if target == "" {
			return fmt.Errorf("%w: say where to transfer (a queue or a number)", console.ErrRefused)
		}
		if isPhoneNumber(target) {
			res = d.ctl.Transfer(ctx, call, "", target, by.Username)
		} else {
			res = d.ctl.Transfer(ctx, call, target, "", by.Username)
		}
	case console.CallAnswer:
		return fmt.Errorf("%w: answer on your phone (the softphone in the page, or your desk phone)", console.ErrRefused)
	default:
		return fmt.Errorf("%w: unknown action %q", console.ErrRefused, a.Action)
	}
	if res != "ok" {
		return fmt.Errorf("%w: %s", console.ErrRefused, strings.TrimPrefix(res, "error: "))
	}
	return nil // the console audits the agent's action
}

func isPhoneNumber(s string) bool {
	n := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n++
		case r == '+' && i == 0, r == ' ':
		default:
			return false
		}
	}
	return n >= 5
}

// SaveDisposition records what the agent noted on the call, on its case
// (opened now if the call has none), and ends the agent's wrap-up.
func (d *Desk) SaveDisposition(ctx context.Context, by console.Actor, agentID string, in console.Disposition) (console.DispositionResult, error) {
	channel := in.Call
	if channel == "" {
		channel = d.ctl.agentLastCall(ctx, agentID)
	}
	if channel == "" {
		return console.DispositionResult{}, fmt.Errorf("%w: no call to record", console.ErrRefused)
	}
	// The call's record is written lazily (store.Lazy): what it has
	// handed over must be committed before it is read.
	if err := d.db.Flush(ctx); err != nil {
		return console.DispositionResult{}, err
	}
	rec, err := d.db.CallByChannel(ctx, channel)
	if err != nil {
		return console.DispositionResult{}, fmt.Errorf("%w: call %s: %v", console.ErrRefused, channel, err)
	}
	if rec.Agent != "" && rec.Agent != agentID && by.Role == store.RoleAgent {
		return console.DispositionResult{}, fmt.Errorf("%w: the call was not yours", console.ErrRefused)
	}
	user, _ := d.db.UserByName(ctx, by.Username)
	var cs store.Case
	if rec.CaseID != 0 {
		if cs, err = d.db.CaseByID(ctx, rec.CaseID); err != nil {
			return console.DispositionResult{}, err
		}
	} else {
		cs = store.Case{Channel: store.ChannelPhone, ContactPhone: rec.Caller, ContactName: rec.CallerName,
			Category: in.Category, Urgency: in.Urgency, ComuneCode: in.ComuneCode, CallerType: in.CallerType,
			Summary: firstLine(in.Notes)}
		err = d.db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateCase(ctx, &cs); err != nil {
				return err
			}
			return tx.AddContact(ctx, &store.Contact{CaseID: cs.ID, Channel: store.ChannelPhone, Direction: "in",
				Author: by.Username, Content: fmt.Sprintf("Chiamata da %s, risposta dall'operatore %s (%s).", rec.Caller, agentID, rec.Queue),
				CallID: rec.ID})
		})
		if err != nil {
			return console.DispositionResult{}, fmt.Errorf("%w: %v", console.ErrRefused, err)
		}
		id := cs.ID
		if err := d.db.SetCallCase(ctx, channel, id); err != nil {
			d.log.Warn("call not linked to its case", zap.String("channel", channel), zap.Error(err))
		}
	}
	disp := store.Disposition{CaseID: cs.ID, CallID: rec.ID, UserID: user.ID, Category: in.Category, Outcome: in.Outcome,
		Urgency: in.Urgency, ComuneCode: in.ComuneCode, CallerType: in.CallerType, Notes: in.Notes}
	if in.Rescue != nil && in.Urgency == store.UrgencyRescue {
		r := in.Rescue.Details()
		disp.Rescue = &r
	}
	if err := d.db.SaveDisposition(ctx, &disp, by.Username); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return console.DispositionResult{}, fmt.Errorf("%w: %v", console.ErrRefused, err)
		}
		return console.DispositionResult{}, err
	}
	d.ctl.dispositionSaved(agentID)
	res := console.DispositionResult{CaseID: cs.ID, TrackingID: cs.TrackingID}
	if d.forward != nil {
		kind, err := d.forward(ctx, cs.ID, by.Username)
		if err != nil {
			d.log.Error("case not forwarded to the operations room", zap.String("case", cs.TrackingID), zap.Error(err))
			res.ForwardFailed = true
		}
		res.Forwarded = kind
	}
	if d.onSaved != nil {
		in.Call = channel
		d.onSaved(agentID, by, in, res)
	}
	return res, nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// Pop is the screen pop an agent's desk shows when a call is offered.
type Pop struct {
	Call        string    `json:"call"`
	Queue       string    `json:"queue"`
	Caller      string    `json:"caller"`
	CallerName  string    `json:"caller_name,omitempty"`
	IVRPath     []string  `json:"ivr_path"`
	Digits      string    `json:"digits"`
	Urgency     string    `json:"urgency"`
	Rescue      bool      `json:"rescue"`
	Category    string    `json:"category,omitempty"`
	Comune      string    `json:"comune,omitempty"`      // likely comune from the area code: "L'Aquila (AQ)"
	ComuneCode  string    `json:"comune_code,omitempty"` // its ISTAT code
	ArrivedAt   time.Time `json:"arrived_at"`
	Previous    []PopCase `json:"previous"` // earlier cases from the same number, newest first
	CaseTracker string    `json:"case,omitempty"`
	// Transcript is what a simulated caller says, in training (the simulator has no voice).
	Transcript string `json:"transcript,omitempty"`
}

// PopCase is an earlier contact from the same number.
type PopCase struct {
	TrackingID string    `json:"tracking_id"`
	CreatedAt  time.Time `json:"created_at"`
	Category   string    `json:"category"`
	Urgency    string    `json:"urgency"`
	Status     string    `json:"status"`
	Summary    string    `json:"summary"`
}

// offer sends the screen pop to the agent whose phone rings.
func (d *Desk) offer(call, queue string, a store.Agent, info CallInfo) {
	if d.pub == nil || a.Username == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pop, err := d.pop(ctx, call, queue, info)
	if err != nil {
		d.log.Warn("screen pop incomplete", zap.String("call", call), zap.Error(err))
	}
	d.pub.Offer(a.Username, "call.offered", pop)
}

func (d *Desk) pop(ctx context.Context, call, queue string, info CallInfo) (Pop, error) {
	p := Pop{Call: call, Queue: queue, Caller: info.Caller, CallerName: info.CallerName, IVRPath: info.IVRPath,
		Digits: info.Digits, Urgency: info.Urgency, Category: info.Category, ArrivedAt: info.ArrivedAt,
		Rescue: info.Urgency == store.UrgencyRescue, Previous: []PopCase{}}
	if p.IVRPath == nil {
		p.IVRPath = []string{}
	}
	if d.transcript != nil {
		p.Transcript = d.transcript(call)
	}
	if idx := d.geoIndex(ctx); idx != nil {
		if pl, ok := idx.LikelyComune(p.Caller); ok {
			p.Comune, p.ComuneCode = pl.Label(), pl.Code
		}
	}
	if p.Caller != "" {
		phone := p.Caller
		cases, err := d.db.Cases(ctx, store.CaseFilter{Phone: &phone, Limit: 5})
		if err != nil {
			return p, err
		}
		for _, c := range cases {
			p.Previous = append(p.Previous, PopCase{TrackingID: c.TrackingID, CreatedAt: c.CreatedAt, Category: c.Category,
				Urgency: c.Urgency, Status: c.Status, Summary: c.Summary})
		}
		sort.Slice(p.Previous, func(i, j int) bool { return p.Previous[i].CreatedAt.After(p.Previous[j].CreatedAt) })
	}
	return p, nil
}

// geoIndex loads the comuni once, for the likely-comune guess.
func (d *Desk) geoIndex(ctx context.Context) *geo.Index {
	d.geoOnce.Do(func() {
		places, err := d.db.Places(ctx)
		if err != nil || len(places) == 0 {
			d.log.Warn("comuni not loaded: no likely comune on screen pops", zap.Error(err))
			return
		}
		d.geo = geo.NewIndex(places)
	})
	return d.geo
}

// Supervise rings the supervisor's own phone (their seat) and connects it
// to the agent's current call: listen, whisper or barge.
func (d *Desk) Supervise(ctx context.Context, by console.Actor, agentID, mode string) error {
	agents, err := d.db.Agents(ctx)
	if err != nil {
		return err
	}
	endpoint, name := "", ""
	for _, a := range agents {
		if a.Username == by.Username {
			endpoint, name = a.Endpoint, a.Name
		}
	}
	if endpoint == "" {
		return fmt.Errorf("%w: you have no phone (seat) to listen with; an admin can assign one with `ascolto agent add`", console.ErrRefused)
	}
	if res := d.ctl.supervise(ctx, agentID, mode, endpoint, by.Username, name); res != "ok" {
		return fmt.Errorf("%w: %s", console.ErrRefused, strings.TrimPrefix(res, "error: "))
	}
	return nil // the console audits the supervisor's action
}

// StopSupervision ends the supervisor's supervision.
func (d *Desk) StopSupervision(ctx context.Context, by console.Actor) error {
	if res := d.ctl.stopSupervision(ctx, by.Username); res != "ok" {
		return fmt.Errorf("%w: %s", console.ErrRefused, strings.TrimPrefix(res, "error: "))
	}
	return nil
}

// MoveAgent moves an agent from one queue to another (from "" only adds),
// and has the running ACD pick it up.
func (d *Desk) MoveAgent(ctx context.Context, by console.Actor, agentID, from, to string) error {
	if to == "" {
		return fmt.Errorf("%w: say which queue to move the agent to", console.ErrRefused)
	}
	actor := by.Username
	if err := d.db.SetMembership(ctx, to, agentID, store.Member{}, actor); err != nil {
		return fmt.Errorf("%w: %v", console.ErrRefused, err)
	}
	if from != "" && from != to {
		if err := d.db.RemoveMembership(ctx, from, agentID, actor); err != nil {
			return fmt.Errorf("%w: %v", console.ErrRefused, err)
		}
	}
	if res := d.ctl.Reload(ctx); res != "ok" {
		return fmt.Errorf("%w: %s", console.ErrRefused, strings.TrimPrefix(res, "error: "))
	}
	d.ctl.router.refreshNow(ctx)
	return nil
}
