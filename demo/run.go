package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/console"
	"github.com/ascolto/ascolto/oncall"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// Options wires a Runner.
type Options struct {
	Scenario *Scenario
	Sim      *arisim.Server
	Store    *store.DB
	Ctl      *ari.Controller
	Desk     *ari.Desk
	Clock    clock.Clock // the scenario clock (clock.Scaled for --speed)
	Log      *zap.Logger
	// Trainee is the username whose seat takes calls in training ("" = none).
	Trainee string
	// Notify sends a message to one user's console tabs (the score of a
	// saved form); nil: scores are only logged and audited.
	Notify func(username, typ string, payload any)
	// Callout is the running service's on-call activation, for scenarios
	// that reopen the center (required by them, unused otherwise).
	Callout *oncall.Service
}

// Runner plays a scenario: it seeds simulated agents, places the scripted
// callers, records what the simulated agents would have recorded, and
// scores a trainee.
type Runner struct {
	o   Options
	log *zap.Logger

	mu       sync.Mutex
	calls    map[string]*placed // by channel id
	simUsers map[string]string  // simulated agent extension -> username
	scores   []Score
	placed   int
	arriving map[string]bool // on-call usernames whose arrival is scheduled
	// bg counts what the runner does in the background (timers of the
	// scenario's steps and arrivals, the activation's watch): Wait waits
	// for it, so nothing of the demo runs, or logs, after the service stops.
	bg     sync.WaitGroup
	timers []pending
	done   chan struct{}
}

// placed is one scripted caller in flight.
type placed struct {
	arrival Arrival
	caller  Caller
	place   Place
	says    string
	comune  string       // the comune the caller speaks of, what a score expects
	rescue  *RescueFacts // what a caller in danger tells, nil for others
	number  string
	offered time.Time // when an agent's phone first rang for it
	call    *arisim.Call
}

// Score is how a trainee handled one call against what the scenario expects.
type Score struct {
	Call        string        `json:"call"`
	Kind        string        `json:"kind"`
	TrackingID  string        `json:"tracking_id"`
	Category    bool          `json:"category"` // right category?
	Rescue      bool          `json:"rescue"`   // rescue flagged exactly when it should be?
	Comune      bool          `json:"comune"`   // right comune?
	Outcome     bool          `json:"outcome"`
	HandleTime  time.Duration `json:"handle_time"`
	Points      int           `json:"points"` // out of 100
	Expected    Expect        `json:"expected"`
	GotCategory string        `json:"got_category"`
	GotUrgency  string        `json:"got_urgency"`
	GotComune   string        `json:"got_comune"`
	// ExpectedComune is the ISTAT code of the comune the caller spoke of.
	ExpectedComune string `json:"expected_comune,omitempty"`
}

// pending is a timer of later, and how to count it done when stopped.
type pending struct {
	t    clock.Timer
	done func()
}

// later runs f after d on the scenario's clock, unless ctx has ended by
// then; Wait stops it or waits for it.
func (r *Runner) later(ctx context.Context, d time.Duration, f func()) {
	r.bg.Add(1)
	var once sync.Once
	done := func() { once.Do(r.bg.Done) }
	t := r.o.Clock.AfterFunc(d, func() {
		defer done()
		if ctx.Err() == nil {
			f()
		}
	})
	r.mu.Lock()
	r.timers = append(r.timers, pending{t: t, done: done})
	r.mu.Unlock()
}

// Wait returns once ctx has ended and everything the runner started has
// stopped: timers not yet fired are cancelled, work under way finishes.
func (r *Runner) Wait(ctx context.Context) {
	<-ctx.Done()
	r.mu.Lock()
	timers := r.timers
	r.timers = nil
	r.mu.Unlock()
	for _, p := range timers {
		if p.t.Stop() {
			p.done()
		}
	}
	r.bg.Wait()
}

// New builds a runner.
func New(o Options) *Runner {
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	return &Runner{o: o, log: o.Log, calls: map[string]*placed{}, simUsers: map[string]string{},
		arriving: map[string]bool{}, done: make(chan struct{})}
}

// Done is closed when every scripted caller has ended.
func (r *Runner) Done() <-chan struct{} { return r.done }

// Placed reports how many callers the runner has placed so far.
func (r *Runner) Placed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.placed
}

// Scores lists the trainee's scores so far.
func (r *Runner) Scores() []Score {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Score(nil), r.scores...)
}

// SimExt is the extension of the i-th simulated agent (9001, 9002 …).
func SimExt(i int) string { return strconv.Itoa(9001 + i) }

// Phones gives the simulated agents their phones in the simulator. Call it
// before the controller connects, so their endpoints are online from the
// first look.
func Phones(sim *arisim.Server, s *Scenario) {
	for i := 0; i < s.Agents; i++ {
		sim.Endpoint("PJSIP/"+SimExt(i), arisim.Answer(s.Answer))
	}
	if a := s.Activation; a != nil {
		// The on-call people's own phones: they pick up, press 1 as the
		// message starts, then say in how many minutes they will be in.
		for i := 0; i < s.Agents-a.Unreachable; i++ {
			eta := a.ETA[i%len(a.ETA)]
			sim.Remote(OnCallNumber(i), arisim.Answer(a.Answer, arisim.WaitPlaybackStarted(oncall.PromptActivation),
				arisim.Press("1"), arisim.Wait(3*time.Second), arisim.Press(strconv.Itoa(eta)+"#"), arisim.Wait(15*time.Second)))
		}
	}
}

// OnCallNumber is the mobile number of the i-th simulated on-call person.
func OnCallNumber(i int) string { return fmt.Sprintf("+39335900%04d", i+1) }

// roster is the on-call roster of an activation scenario: every simulated
// agent, in one wave, with their console user so signing in is arriving.
func (r *Runner) roster() []byte {
	s := r.o.Scenario
	var b strings.Builder
	fmt.Fprintf(&b, "quorum: %d\ntarget: 30m\nring: 40s\nretries: 1\nretry_after: 2m\nwaves:\n  - {name: primary, wait: 5m}\npeople:\n", s.Activation.Quorum)
	for i := 0; i < s.Agents; i++ {
		fmt.Fprintf(&b, "  - {id: sim%02d, name: Operatore simulato %d, phone: %q, role: operator, username: simulato%02d, wave: primary}\n",
			i+1, i+1, OnCallNumber(i), i+1)
	}
	return []byte(b.String())
}

// Seed creates the simulated agents (users, seats, phones in the
// simulator, memberships of every queue) and the trainee's phone, and
// hooks the desk for training. Call it once the service runs.
func (r *Runner) Seed(ctx context.Context) error {
	s := r.o.Scenario
	queues, err := r.o.Store.QueueNames(ctx)
	if err != nil {
		return err
	}
	for i := 0; i < s.Agents; i++ {
		ext, user := SimExt(i), fmt.Sprintf("simulato%02d", i+1)
		if err := r.ensureUser(ctx, user, store.RoleAgent, "Operatore simulato "+strconv.Itoa(i+1)); err != nil {
			return err
		}
		a := store.Agent{Extension: ext, Endpoint: "PJSIP/" + ext, Name: "Operatore simulato " + strconv.Itoa(i+1), Username: user}
		if err := r.o.Store.SaveAgent(ctx, &a, "demo"); err != nil {
			return err
		}
		for _, q := range queues {
			if err := r.o.Store.SetMembership(ctx, q, ext, store.Member{Penalty: 1}, "demo"); err != nil {
				return err
			}
		}
		r.simUsers[ext] = user
	}
	if res := r.o.Ctl.Reload(ctx); res != "ok" {
		return fmt.Errorf("demo: reload: %s", res)
	}
	r.o.Desk.Train(r.transcript, r.saved)
	if s.Activation != nil {
		// The agents are the people on call: they sign in when they arrive.
		if r.o.Callout == nil {
			return errors.New("demo: the scenario opens an activation, and no call-out service was given")
		}
		if _, _, err := r.o.Callout.ImportRoster(ctx, r.roster(), "demo", "scenario "+s.Name); err != nil {
			return fmt.Errorf("demo: on-call roster: %w", err)
		}
		return nil
	}
	for i := 0; i < s.Agents; i++ {
		if res := r.o.Ctl.AgentCommand(ctx, "login", SimExt(i), "", "demo"); res != "ok" {
			return fmt.Errorf("demo: log in %s: %s", SimExt(i), res)
		}
	}
	return nil
}

func (r *Runner) ensureUser(ctx context.Context, name, role, display string) error {
	if _, err := r.o.Store.UserByName(ctx, name); err == nil {
		return nil
	}
	b := make([]byte, 16)
	rand.Read(b)
	// Simulated agents never sign in: their password is random and unknown.
	u := store.User{Username: name, Role: role, DisplayName: display, PasswordHash: "!disabled-" + hex.EncodeToString(b)}
	if err := r.o.Store.CreateUser(ctx, &u, "demo"); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}

// Run places the scenario's callers on its clock until done or ctx ends.
func (r *Runner) Run(ctx context.Context) {
	s := r.o.Scenario
	start := r.o.Clock.Now()
	if s.Mode != "" {
		r.setMode(ctx, s.Mode, s.Reason)
	}
	if s.Event != "" {
		r.openEvent(ctx)
	}
	for _, st := range s.Steps {
		st := st
		r.later(ctx, st.At, func() { r.setMode(ctx, st.Mode, st.Reason) })
	}
	if s.Activation != nil {
		r.later(ctx, s.Activation.At, func() { r.activate(ctx) })
	}
	var wg sync.WaitGroup
	defer wg.Wait() // the callers' watchers end with their call or ctx
	complete := true
plan:
	for _, a := range s.Plan() {
		wait := a.At - r.o.Clock.Now().Sub(start)
		if wait > 0 {
			t := r.o.Clock.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				complete = false
				break plan
			case <-t.C():
			}
		}
		p := r.place(a)
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-p.call.Done():
				r.afterCall(ctx, p)
			case <-ctx.Done():
			}
		}()
	}
	wg.Wait()
	if complete {
		r.recordsClosed(ctx)
		close(r.done)
	}
}

// recordsClosed waits, up to ten seconds, until no call record is open:
// the controller closes a call's record a moment after the call ends (its
// writes are group-committed), and a scenario is over when its records
// are complete, not when its last caller hung up.
func (r *Runner) recordsClosed(ctx context.Context) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, open, err := r.o.Store.CallCounts(ctx)
		if err != nil || open == 0 || time.Now().After(deadline) {
			return
		}
		t := time.NewTimer(20 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// openEvent opens the scenario's emergency event, so that its contacts
// are counted under it in the operations room's reports — or finds it
// open already (a demo run again on kept data).
func (r *Runner) openEvent(ctx context.Context) {
	s := r.o.Scenario
	ref, err := oncall.StoreEvents{DB: r.o.Store}.OpenEvent(ctx, oncall.EventRequest{Name: s.Event, Area: s.Area, By: "demo"})
	if err != nil {
		r.log.Warn("demo: event not opened", zap.String("event", s.Event), zap.Error(err))
		return
	}
	r.log.Info("demo: event open", zap.String("event", ref), zap.String("name", s.Event))
}

func (r *Runner) setMode(ctx context.Context, mode, reason string) {
	if reason == "" {
		reason = "scenario " + r.o.Scenario.Name
	}
	m := store.ModeChange{Mode: mode, Reason: reason, SetBy: "demo"}
	if err := r.o.Store.SetMode(ctx, &m); err != nil {
		r.log.Warn("demo: mode not set", zap.Error(err))
	}
}

// activate opens the scenario's activation, as the Department's request
// reaches the coordinator, and brings in each person who confirms once the
// minutes they gave have passed.
func (r *Runner) activate(ctx context.Context) {
	a := r.o.Scenario.Activation
	act, err := r.o.Callout.Open(ctx, oncall.OpenRequest{Event: a.Event, RequestedBy: a.RequestedBy, Reason: a.Reason,
		By: "demo", Quorum: a.Quorum})
	if err != nil {
		r.log.Error("demo: activation not opened", zap.Error(err))
		return
	}
	r.log.Info("demo: activation opened", zap.Int64("activation", act.ID), zap.String("event", a.Event))
	r.bg.Add(1)
	go func() { defer r.bg.Done(); r.watchArrivals(ctx, act.ID) }()
}

// watchArrivals signs in, at the time they said, every on-call person who
// confirmed: their seat logs in as a person's would, which the call-out
// records as their arrival.
func (r *Runner) watchArrivals(ctx context.Context, id int64) {
	for {
		people, err := r.o.Store.ActivationPeople(ctx, id)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("demo: activation not read", zap.Error(err))
		}
		for _, p := range people {
			if p.ConfirmedAt.IsZero() || !p.ArrivedAt.IsZero() {
				continue
			}
			if p.ETAMinutes < 0 && r.o.Clock.Now().Sub(p.ConfirmedAt) < time.Minute {
				continue // the minutes come right after the "1"
			}
			r.mu.Lock()
			scheduled := r.arriving[p.Username]
			r.arriving[p.Username] = true
			r.mu.Unlock()
			if scheduled {
				continue
			}
			eta := time.Duration(max(p.ETAMinutes, 0)) * time.Minute
			in := p.ConfirmedAt.Add(eta).Sub(r.o.Clock.Now())
			ext := ""
			for e, u := range r.simUsers {
				if u == p.Username {
					ext = e
				}
			}
			if ext == "" {
				continue
			}
			r.later(ctx, max(in, 0), func() {
				if res := r.o.Ctl.AgentCommand(ctx, "login", ext, "", p.Username); res != "ok" {
					r.log.Warn("demo: on-call person did not sign in", zap.String("agent", ext), zap.String("result", res))
				}
			})
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// place dials one scripted caller.
func (r *Runner) place(a Arrival) *placed {
	s := r.o.Scenario
	c := s.Callers[a.Caller]
	p := &placed{arrival: a, caller: c}
	p.place, p.says, p.comune = c.turn(a.Seq)
	p.rescue = c.rescue(a.Seq)
	p.number = number(p.place.Prefix, a)
	steps := []arisim.Step{arisim.WaitPlaybackStarted("sound:ascolto/benvenuto"), arisim.Wait(time.Second)}
	if c.Keys != "" {
		// The greeting takes keys ahead of the menu, in every mode.
		steps = append(steps, arisim.Press(c.Keys))
	}
	talk := c.Talk
	if talk <= 0 {
		talk = 2 * time.Minute
	}
	steps = append(steps, arisim.WaitBridged(), arisim.Wait(talk), arisim.HangUp())
	p.call = r.o.Sim.Call(arisim.CallSpec{From: p.number, To: "800840840"}, steps...)
	r.mu.Lock()
	r.calls[p.call.ChannelID()] = p
	r.placed++
	r.mu.Unlock()
	if c.Patience > 0 {
		// A caller who waits longer than their patience gives up.
		r.o.Clock.AfterFunc(c.Patience, func() {
			if rep := p.call.Report(); !rep.Ended && len(rep.Bridged) == 0 {
				p.call.HangUp()
			}
		})
	}
	return p
}

// number makes a plausible caller number: a landline in the area code, or
// a mobile when there is none.
func number(prefix string, a Arrival) string {
	n := 1000000 + (a.Seq*7919+a.Caller*104729)%8999999
	if prefix == "" {
		return fmt.Sprintf("+39347%07d", n)
	}
	digits := 10 - len(prefix)
	lo := pow10(digits - 1) // no leading zero after the area code
	return fmt.Sprintf("+39%s%d", prefix, lo+n%(pow10(digits)-lo))
}

func pow10(n int) int {
	p := 1
	for i := 0; i < n; i++ {
		p *= 10
	}
	return p
}

// transcript tells the trainee's desk what a caller says.
func (r *Runner) transcript(call string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.calls[call]
	if p == nil {
		return ""
	}
	if p.offered.IsZero() {
		p.offered = r.o.Clock.Now()
	}
	return p.says
}

// afterCall records what a simulated agent would have recorded.
func (r *Runner) afterCall(ctx context.Context, p *placed) {
	if len(p.call.Report().Bridged) == 0 {
		return // abandoned, or ended in the IVR
	}
	ch := p.call.ChannelID()
	var agent string
	for i := 0; i < 50 && agent == "" && ctx.Err() == nil; i++ {
		rec, err := r.o.Store.CallByChannel(ctx, ch)
		if err == nil {
			agent = rec.Agent
		}
		if agent == "" {
			time.Sleep(100 * time.Millisecond)
		}
	}
	user, simulated := r.simUsers[agent]
	if !simulated {
		return // a person took it: they record it themselves
	}
	e := p.caller.Expect
	d := console.Disposition{Call: ch, Category: e.Category, Outcome: e.Outcome, ComuneCode: p.comune,
		CallerType: e.CallerType, Urgency: e.Urgency, Notes: p.says}
	if e.Urgency == store.UrgencyRescue && p.rescue != nil {
		d.Rescue = rescueInput(p)
	}
	if _, err := r.o.Desk.SaveDisposition(ctx, console.Actor{Username: user, Role: store.RoleAgent}, agent, d); err != nil && ctx.Err() == nil {
		r.log.Warn("demo: simulated disposition not saved", zap.String("call", ch), zap.Error(err))
	}
}

// rescueInput is the rescue section a simulated agent fills for a caller
// in danger, as an agent would on the desk: the caller's facts, the number
// they call from (now and then another one they give, a relative's
// mobile), and a pin dropped near the place they name. Two callers in
// three drop it within about 150 m of the place, as the neighbours of one
// flooded street do; the third from 600 m to 2 km off. All is derived from
// the caller's turn, so a run is the same each time.
func rescueInput(p *placed) *console.RescueInput {
	f, seq := p.rescue, p.arrival.Seq
	in := &console.RescueInput{Place: f.Place, People: f.People, Vulnerable: append([]string(nil), f.Vulnerable...),
		Callback: p.number, Hazard: f.Hazard, HazardNote: f.HazardNote, RadiusM: 100}
	if seq%4 == 3 {
		in.Callback = fmt.Sprintf("+39333%07d", 1000000+(seq*6151+p.arrival.Caller*7877)%8999999)
	}
	// The golden angle spreads successive pins around the place evenly.
	angle := float64(seq) * 2.39996
	dist := 30 + float64((seq*53)%120) // metres
	if seq%3 == 2 {
		dist, in.RadiusM = 600+float64((seq*389)%1400), 250
	}
	lat := f.Pin[0] + dist*math.Cos(angle)/111320
	lon := f.Pin[1] + dist*math.Sin(angle)/(111320*math.Cos(f.Pin[0]*math.Pi/180))
	in.Lat, in.Lon = &lat, &lon
	return in
}

// saved scores a trainee's disposition against the scenario.
func (r *Runner) saved(agentID string, by console.Actor, in console.Disposition, res console.DispositionResult) {
	if by.Username != r.o.Trainee || r.o.Trainee == "" {
		return
	}
	r.mu.Lock()
	p := r.calls[in.Call]
	r.mu.Unlock()
	if p == nil {
		return
	}
	e := p.caller.Expect
	sc := Score{Call: in.Call, Kind: p.caller.Kind, TrackingID: res.TrackingID, Expected: e,
		GotCategory: in.Category, GotUrgency: in.Urgency, GotComune: in.ComuneCode,
		Category: in.Category == e.Category, Outcome: e.Outcome == "" || in.Outcome == e.Outcome,
		Rescue:         (in.Urgency == store.UrgencyRescue) == (e.Urgency == store.UrgencyRescue),
		ExpectedComune: p.comune,
		// The comune the caller spoke of, not the one their number suggests
		// (which the desk shows as likely, and the trainee must check).
		Comune: p.comune == "" || in.ComuneCode == p.comune}
	if !p.offered.IsZero() {
		sc.HandleTime = r.o.Clock.Now().Sub(p.offered)
	}
	// Rescue flagged right weighs most: it decides whether the operations
	// room hears of someone in danger.
	for _, part := range []struct {
		ok     bool
		points int
	}{{sc.Rescue, 40}, {sc.Category, 25}, {sc.Comune, 20}, {sc.Outcome, 15}} {
		if part.ok {
			sc.Points += part.points
		}
	}
	r.mu.Lock()
	r.scores = append(r.scores, sc)
	r.mu.Unlock()
	if r.o.Notify != nil {
		r.o.Notify(by.Username, "training.score", sc)
	}
	r.log.Info("training: call scored", zap.String("trainee", by.Username), zap.String("call", in.Call),
		zap.Int("points", sc.Points), zap.Duration("handle_time", sc.HandleTime))
	if err := r.o.Store.Audit(context.Background(), store.AuditEntry{Actor: "demo", Action: "training.score",
		Object: "user:" + by.Username, Detail: map[string]any{"call": in.Call, "points": sc.Points, "kind": sc.Kind,
			"category": sc.Category, "rescue": sc.Rescue, "comune": sc.Comune, "outcome": sc.Outcome,
			"handle_s": int(sc.HandleTime.Seconds()), "tracking_id": sc.TrackingID}}); err != nil {
		r.log.Warn("training score not stored", zap.Error(err))
	}
}

// Summary describes what the runner did, for the console's log and tests.
func (r *Runner) Summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d callers placed", r.placed)
	if len(r.scores) > 0 {
		total := 0
		for _, s := range r.scores {
			total += s.Points
		}
		fmt.Fprintf(&b, "; trainee: %d calls, average %d/100", len(r.scores), total/len(r.scores))
	}
	return b.String()
}
