package ari_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/console"
	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
)

// pubs records what the desk publishes, as the console would receive it.
type pubs struct {
	offers  chan ari.Pop
	agents  chan console.AgentView
	refused chan ari.RefusedTransfer

	mu   sync.Mutex
	sups [][]console.SupervisionView // every list of supervisions published
}

func (p *pubs) PublishSupervisions(list []console.SupervisionView) {
	p.mu.Lock()
	p.sups = append(p.sups, list)
	p.mu.Unlock()
}

// supervisions writes the last list published ("agent mode by name; ..."),
// and how many were published.
func (p *pubs) supervisions() (string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.sups) == 0 {
		return "", 0
	}
	var out []string
	for _, s := range p.sups[len(p.sups)-1] {
		out = append(out, s.Agent+" "+s.Mode+" "+s.By+" "+s.Name)
	}
	return strings.Join(out, "; "), len(p.sups)
}

func (p *pubs) PublishAgent(v console.AgentView) {
	select {
	case p.agents <- v:
	default:
	}
}
func (p *pubs) PublishSnapshot(console.Snapshot) {}
func (p *pubs) PublishMode(console.ModeView)     {}
func (p *pubs) Offer(user, typ string, payload any) {
	if pop, ok := payload.(ari.Pop); ok && typ == "call.offered" {
		p.offers <- pop
	}
	if rt, ok := payload.(ari.RefusedTransfer); ok && typ == "transfer.refused" && p.refused != nil {
		p.refused <- rt
	}
}

func TestDeskShiftPopDispositionAndSupervision(t *testing.T) {
	r := newRig(t, dontStart())
	ds, err := geo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.ImportGeo(bg, ds, "test"); err != nil {
		t.Fatal(err)
	}
	setQueue(t, r, "soccorso", func(q *store.Queue) { q.WrapupS = 60 })
	setQueue(t, r, "segnalazioni", func(q *store.Queue) { q.MaxWaitS = 0; q.Overflow = "" })
	for _, u := range []store.User{{Username: "rossi", Role: store.RoleAgent}, {Username: "coord", Role: store.RoleSupervisor}} {
		u.PasswordHash = "x"
		if err := r.db.CreateUser(bg, &u, "test"); err != nil {
			t.Fatal(err)
		}
	}
	a := store.Agent{Extension: "101", Endpoint: "PJSIP/101", Name: "Mario Rossi", Username: "rossi"}
	if err := r.db.SaveAgent(bg, &a, "test"); err != nil {
		t.Fatal(err)
	}
	r.db.SetMembership(bg, "soccorso", "101", store.Member{}, "test")
	sup := store.Agent{Extension: "201", Endpoint: "PJSIP/201", Username: "coord", Name: "Carla Conti"}
	if err := r.db.SaveAgent(bg, &sup, "test"); err != nil {
		t.Fatal(err)
	}
	agentPhone := r.sim.Endpoint("PJSIP/101", arisim.Answer(time.Second))
	supPhone := r.sim.Endpoint("PJSIP/201", arisim.Answer(time.Second))
	var desk *ari.Desk
	p := &pubs{offers: make(chan ari.Pop, 4), agents: make(chan console.AgentView, 64)}
	r.beforeRun = func(ctl *ari.Controller) { desk = ari.NewDesk(ctl, r.db); desk.Attach(p) }
	r.start("secret")
	ctx := bg
	rossi := console.Actor{Username: "rossi", Role: store.RoleAgent}
	if _, err := desk.SetAgentState(ctx, rossi, "101", console.StateChange{State: console.StatePaused}); err == nil {
		t.Fatal("a pause without a reason was accepted")
	}
	v, err := desk.SetAgentState(ctx, rossi, "101", console.StateChange{State: console.StateAvailable})
	if err != nil || v.State != console.StateAvailable {
		t.Fatalf("available: %+v %v", v, err)
	}
	// A caller from L'Aquila in danger: the pop says so.
	c := r.call("+390862123456", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("1"), arisim.WaitBridged())
	var pop ari.Pop
	select {
	case pop = <-p.offers:
	case <-time.After(10 * time.Second):
		t.Fatal("no screen pop")
	}
	if pop.Caller != "+390862123456" || !pop.Rescue || pop.Comune != "L'Aquila (AQ)" || !slices.Contains(pop.IVRPath, "pericolo") || pop.Digits != "1" {
		t.Fatalf("pop %+v", pop)
	}
	r.eventually("bridged", func() bool { return c.Report().BridgedNow })

	// The coordinator listens in: their phone rings and hears the call.
	coord := console.Actor{Username: "coord", Role: store.RoleSupervisor}
	if err := desk.Supervise(ctx, coord, "101", "listen"); err != nil {
		t.Fatal(err)
	}
	// Every wallboard is told who supervises whom, and how.
	published := func(want string) {
		t.Helper()
		r.eventually("supervisions published: "+want, func() bool { got, _ := p.supervisions(); return got == want })
	}
	published("101 listen coord Carla Conti")
	r.eventually("supervisor bridged with a snoop", func() bool {
		l := supPhone.LastCall()
		return l != nil && l.Report().BridgedNow
	})
	nobody := console.Actor{Username: "nobody", Role: store.RoleSupervisor}
	if err := desk.Supervise(ctx, nobody, "101", "listen"); err == nil || !strings.Contains(err.Error(), "seat") {
		t.Fatalf("a supervisor without a phone: %v", err)
	}
	if err := desk.Supervise(ctx, coord, "101", "eavesdrop"); err == nil {
		t.Fatal("an unknown supervision mode was accepted")
	}
	// One supervision per supervisor, switched on the phone already
	// answered: whisper (a new snoop that speaks to the agent), barge (the
	// call's bridge), back to listen; then stopped.
	snoops := func(whisper string) int {
		n := 0
		for _, ch := range r.sim.Channels() {
			if strings.HasPrefix(ch.ID, "ascolto-snoop-") && ch.Whisper == whisper {
				n++
			}
		}
		return n
	}
	r.eventually("one listening snoop", func() bool { return snoops("none") == 1 && snoops("out") == 0 })
	mode := func() string {
		sv, err := r.ctl.Supervisions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return sv["coord"].Agent + ":" + sv["coord"].Mode
	}
	if err := desk.Supervise(ctx, coord, "101", "whisper"); err != nil {
		t.Fatal(err)
	}
	r.eventually("the listening snoop replaced by a whispering one", func() bool { return snoops("none") == 0 && snoops("out") == 1 })
	if m := mode(); m != "101:whisper" {
		t.Fatalf("supervision %q, want 101:whisper", m)
	}
	published("101 whisper coord Carla Conti")
	if err := desk.Supervise(ctx, coord, "101", "barge"); err != nil {
		t.Fatal(err)
	}
	r.eventually("barged: no snoop left, the phone in the call's bridge", func() bool {
		b := bridgeOf(r, c.ChannelID())
		return snoops("none")+snoops("out") == 0 && b != "" && b == bridgeOf(r, supPhone.LastCall().ChannelID())
	})
	if err := desk.Supervise(ctx, coord, "101", "listen"); err != nil {
		t.Fatal(err)
	}
	r.eventually("listening again", func() bool { return snoops("none") == 1 && supPhone.LastCall().Report().BridgedNow })
	if n := len(supPhone.Calls()); n != 1 {
		t.Fatalf("the supervisor's phone was rung %d times for one supervision", n)
	}
	published("101 listen coord Carla Conti")
	_, before := p.supervisions()
	if err := desk.StopSupervision(ctx, coord); err != nil {
		t.Fatal(err)
	}
	r.eventually("supervision over", func() bool {
		return supPhone.LastCall().Report().Ended && snoops("none")+snoops("out") == 0 && mode() == ":"
	})
	if got, n := p.supervisions(); got != "" || n != before+1 {
		t.Errorf("after the stop: %q published %d times (want once more, empty)", got, n-before)
	}
	if err := desk.StopSupervision(ctx, coord); err == nil {
		t.Fatal("stopping no supervision succeeded")
	}
	if !c.Report().BridgedNow {
		t.Fatal("the supervised call ended with the supervision")
	}

	// Listening again when the call ends: the supervision ends with it,
	// and the wallboards hear so.
	if err := desk.Supervise(ctx, coord, "101", "listen"); err != nil {
		t.Fatal(err)
	}
	published("101 listen coord Carla Conti")
	r.eventually("listening once more", func() bool { return snoops("none") == 1 && supPhone.LastCall().Report().BridgedNow })

	// The agent hangs up from the desk, then records the disposition.
	if err := desk.CallAction(ctx, rossi, "101", console.CallAction{Action: console.CallHangup}); err != nil {
		t.Fatal(err)
	}
	r.wait(c)
	published("")
	r.eventually("wrap-up", func() bool {
		v, _ := desk.AgentFor(ctx, "rossi")
		return v.State == console.StateWrapUp
	})
	res, err := desk.SaveDisposition(ctx, rossi, "101", console.Disposition{Category: "soccorso", Outcome: "inoltrata-sala-operativa",
		ComuneCode: "066049", CallerType: "cittadino", Urgency: store.UrgencyRescue, Notes: "Due persone bloccate al primo piano"})
	if err != nil || !store.ValidTrackingID(res.TrackingID) {
		t.Fatalf("disposition %+v %v", res, err)
	}
	r.eventually("available again after the form", func() bool {
		v, _ := desk.AgentFor(ctx, "rossi")
		return v.State == console.StateAvailable
	})
	cs, _ := r.db.CaseByTrackingID(ctx, res.TrackingID)
	rec := r.record(c.ChannelID())
	if cs.Urgency != store.UrgencyRescue || cs.ComuneCode != "066049" || rec.CaseID != cs.ID {
		t.Fatalf("case %+v, call %+v", cs, rec)
	}
	// The coordinator moves the agent to the reports queue.
	if err := desk.MoveAgent(ctx, coord, "101", "soccorso", "segnalazioni"); err != nil {
		t.Fatal(err)
	}
	v, _ = desk.AgentFor(ctx, "rossi")
	if !slices.Equal(v.Queues, []string{"segnalazioni"}) {
		t.Fatalf("queues after the move: %v", v.Queues)
	}
	_ = agentPhone
}

// TestDeskPublishesQueues: an agent who never changes state is published
// with its queues once the ACD knows them, and a move reaches the console
// at once, with no state change to carry it.
func TestDeskPublishesQueues(t *testing.T) {
	r := newRig(t, dontStart())
	u := store.User{Username: "rossi", Role: store.RoleAgent, PasswordHash: "x"}
	if err := r.db.CreateUser(bg, &u, "test"); err != nil {
		t.Fatal(err)
	}
	a := store.Agent{Extension: "101", Endpoint: "PJSIP/101", Name: "Mario Rossi", Username: "rossi"}
	if err := r.db.SaveAgent(bg, &a, "test"); err != nil {
		t.Fatal(err)
	}
	if err := r.db.SetMembership(bg, "soccorso", "101", store.Member{}, "test"); err != nil {
		t.Fatal(err)
	}
	var desk *ari.Desk
	p := &pubs{offers: make(chan ari.Pop, 4), agents: make(chan console.AgentView, 64)}
	r.beforeRun = func(ctl *ari.Controller) { desk = ari.NewDesk(ctl, r.db); desk.Attach(p) }
	r.start("secret")
	wantQueues := func(what string, want ...string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case v := <-p.agents:
				if v.ID == "101" && slices.Equal(v.Queues, want) {
					return
				}
			case <-deadline:
				t.Fatalf("%s: agent 101 never published with queues %v", what, want)
			}
		}
	}
	wantQueues("at start", "soccorso")
	coord := console.Actor{Username: "coord", Role: store.RoleSupervisor}
	if err := desk.MoveAgent(bg, coord, "101", "soccorso", "segnalazioni"); err != nil {
		t.Fatal(err)
	}
	// MoveAgent returns after the live picture is refreshed: the new
	// queues are already published.
	for {
		select {
		case v := <-p.agents:
			if v.ID == "101" && slices.Equal(v.Queues, []string{"segnalazioni"}) {
				return
			}
		default:
			t.Fatal("the move was not published when MoveAgent returned")
		}
	}
}

// bridgeOf is the bridge a channel is in on the simulator ("" if none).
func bridgeOf(r *rig, channel string) string {
	for _, ch := range r.sim.Channels() {
		if ch.ID == channel {
			return ch.Bridge
		}
	}
	return ""
}
