package console

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
)

func TestSiteTotals(t *testing.T) {
	s := Snapshot{
		Queues: []QueueView{
			{Name: "soccorso", Site: "aq", Waiting: 2, LongestWaitS: 40, ServiceLevel: 1, Answered: 10, Abandoned: 0, ASAS: 5, AHTS: 100, StaffingNeeded: 3},
			{Name: "informazioni", Site: "aq", Waiting: 5, LongestWaitS: 90, ServiceLevel: .5, Answered: 30, Abandoned: 10, ASAS: 25, AHTS: 200, StaffingNeeded: 6},
			{Name: "roma", Site: "rm", Waiting: 0, ServiceLevel: 0, Answered: 0},
		},
		Agents: []AgentView{
			{ID: "101", Site: "aq", State: StateAvailable, Queues: []string{"soccorso", "informazioni"}},
			{ID: "102", Site: "aq", State: StateOnCall},
			{ID: "103", Site: "aq", State: StateWrapUp},
			{ID: "104", Site: "aq", State: StatePaused},
			{ID: "201", Site: "rm", State: StateLoggedOut},
		},
	}
	got := SiteTotals(s)
	if len(got) != 2 || got[0].Name != "aq" || got[1].Name != "rm" {
		t.Fatalf("sites %+v", got)
	}
	aq := got[0]
	// SL weighted by calls: (1*10 + 0.5*40) / 50 = 0.6; ASA and AHT by answered.
	want := QueueView{Name: "aq", Site: "aq", Waiting: 7, LongestWaitS: 90, ServiceLevel: .6, Answered: 40, Abandoned: 10,
		ASAS: (5*10 + 25*30) / 40, AHTS: (100*10 + 200*30) / 40, AgentsReady: 1, AgentsBusy: 2, StaffingNeeded: 9}
	if aq != want {
		t.Fatalf("aq\n got %+v\nwant %+v", aq, want)
	}
	if rm := got[1]; rm.ServiceLevel != 1 || rm.AgentsReady != 0 || rm.ASAS != 0 {
		t.Fatalf("a site without calls: %+v", rm)
	}
}

func TestWallboardMessages(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	r.user("verdi", store.RoleSupervisor)
	a, s := r.browser(), r.browser()
	a.login("rossi")
	s.login("verdi")
	aw, _, err := a.dial("/agent")
	if err != nil {
		t.Fatal(err)
	}
	sw, _, err := s.dial("/supervisor")
	if err != nil {
		t.Fatal(err)
	}
	seat, _ := r.be.AgentFor(bg, "rossi")

	// An agent may not use any supervisor action.
	for _, m := range []struct {
		typ  string
		data any
	}{
		{"supervisor.agent.move", moveData{Agent: seat.ID, To: "soccorso"}},
		{"supervisor.listen", watchData{Agent: seat.ID}},
		{"supervisor.whisper", watchData{Agent: seat.ID}},
		{"supervisor.barge", watchData{Agent: seat.ID}},
		{"supervisor.stop", struct{}{}},
		{"supervisor.agent.state", stateData{Agent: seat.ID, State: StateLoggedOut}},
		{"mode.set", modeData{Mode: "emergency", Reason: "prova"}},
	} {
		if res := aw.call(m.typ, m.data); res.Data["code"] != "forbidden" {
			t.Errorf("agent's %s: %v", m.typ, res.Data)
		}
	}
	if len(r.be.moved)+len(r.be.watched) != 0 {
		t.Fatal("an agent's supervisor message reached the ACD")
	}
	if _, err := r.db.CurrentMode(bg, r.clk.Now()); err == nil {
		t.Fatal("an agent changed the mode")
	}

	bad := []struct {
		typ  string
		data any
		want string
	}{
		{"supervisor.agent.move", map[string]any{"agent": seat.ID}, "to is required"},
		{"supervisor.agent.move", map[string]any{"to": "soccorso"}, "agent is required"},
		{"supervisor.agent.move", map[string]any{"agent": seat.ID, "from": "soccorso", "to": "soccorso"}, "same queue"},
		{"supervisor.agent.move", map[string]any{"agent": seat.ID, "to": strings.Repeat("q", 65)}, "to is required"},
		{"supervisor.agent.move", map[string]any{"agent": 101, "to": "soccorso"}, "cannot unmarshal"},
		{"supervisor.listen", map[string]any{}, "agent is required"},
		{"supervisor.barge", map[string]any{"agent": seat.ID, "mode": "x"}, "unknown field"},
		{"supervisor.whisper", nil, "data is missing"},
		{"mode.set", map[string]any{"mode": "holiday", "reason": "festa"}, "mode must be"},
		{"mode.set", map[string]any{"mode": "emergency", "reason": "  "}, "reason is required"},
		{"mode.set", map[string]any{"mode": "emergency"}, "reason is required"},
		{"mode.set", map[string]any{"mode": "emergency", "reason": strings.Repeat("r", 501)}, "longer than 500"},
		{"mode.set", map[string]any{"mode": true, "reason": "prova"}, "cannot unmarshal"},
	}
	for _, b := range bad {
		res := sw.call(b.typ, b.data)
		if res.Type != "error" || res.Data["code"] != "bad_request" || !strings.Contains(res.Data["detail"].(string), b.want) {
			t.Errorf("%s %v: %v", b.typ, b.data, res.Data)
		}
	}

	// Listening needs a call; the ACD's refusal reaches the supervisor.
	if res := sw.call("supervisor.listen", watchData{Agent: seat.ID}); res.Data["code"] != "refused" || !strings.Contains(res.Data["detail"].(string), "not on a call") {
		t.Fatalf("listen to an idle agent: %v", res.Data)
	}
	r.be.setState(seat.ID, StateOnCall, "c1")
	for _, mode := range []string{"listen", "whisper", "barge"} {
		if res := sw.call("supervisor."+mode, watchData{Agent: seat.ID}); res.Type != "ack" || res.Data["mode"] != mode {
			t.Fatalf("%s: %v", mode, res.Data)
		}
	}
	if res := sw.call("supervisor.stop", struct{}{}); res.Type != "ack" {
		t.Fatalf("stop: %v", res.Data)
	}
	if res := sw.call("supervisor.stop", struct{}{}); res.Data["code"] != "refused" {
		t.Fatalf("stop with none running: %v", res.Data)
	}
	if got := strings.Join(r.be.watched, ","); got != seat.ID+" listen verdi,"+seat.ID+" whisper verdi,"+seat.ID+" barge verdi,stop verdi" {
		t.Fatalf("supervisions %s", got)
	}

	// A move reaches the ACD, is audited, and the agent's own desk hears it.
	if res := sw.call("supervisor.agent.move", moveData{Agent: seat.ID, From: "informazioni", To: "soccorso"}); res.Type != "ack" {
		t.Fatalf("move: %v", res.Data)
	}
	self := aw.until("agent.self", func(m inMsg) bool { return strings.Contains(string(m.Raw), `"soccorso"`) })
	if strings.Contains(string(self.Raw), `"informazioni"`) {
		t.Fatalf("moved agent's queues: %s", self.Raw)
	}
	verdi := "verdi"
	audit, _ := r.db.AuditLog(bg, store.AuditFilter{Actor: &verdi})
	actions := map[string]bool{}
	for _, e := range audit {
		actions[e.Action] = true
	}
	for _, want := range []string{"agent.move", "supervisor.listen", "supervisor.whisper", "supervisor.barge", "supervisor.stop"} {
		if !actions[want] {
			t.Errorf("audit lacks %s: %v", want, actions)
		}
	}

	// The mode: recorded with its reason, audited, and pushed to every page.
	aw.call("subscribe", topicsData{Topics: []string{TopicMode}})
	res := sw.call("mode.set", modeData{Mode: "emergency", Reason: "Alluvione, richiesta DPC"})
	if res.Type != "ack" || res.Data["mode"] != "emergency" || res.Data["set_by"] != "verdi" {
		t.Fatalf("mode.set: %v", res.Data)
	}
	m, err := r.db.CurrentMode(bg, r.clk.Now())
	if err != nil || m.Mode != "emergency" || m.Reason != "Alluvione, richiesta DPC" || m.SetBy != "verdi" {
		t.Fatalf("stored mode %+v %v", m, err)
	}
	if got := aw.until("mode", func(inMsg) bool { return true }); got.Data["mode"] != "emergency" {
		t.Fatalf("agent's page heard %v", got.Data)
	}

	// Without a Backend that supervises, the actions say the ACD is not there.
	r.c.backend = plainBackend{r.be}
	if res := sw.call("supervisor.barge", watchData{Agent: seat.ID}); res.Data["code"] != "notwired" {
		t.Fatalf("barge without a Supervisor: %v", res.Data)
	}
	if res := sw.call("supervisor.agent.move", moveData{Agent: seat.ID, To: "informazioni"}); res.Data["code"] != "notwired" {
		t.Fatalf("move without a Supervisor: %v", res.Data)
	}
	if p := s.get("/supervisor"); strings.Contains(p.body, `data-watch="true"`) {
		t.Fatal("the wallboard offers supervision the Backend cannot do")
	}
}

// plainBackend hides memBackend's Supervisor methods.
type plainBackend struct{ Backend }

func TestWallboardPageAndHistory(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	r.user("verdi", store.RoleSupervisor)
	s := r.browser()
	s.login("verdi")
	p := s.get("/supervisor")
	for _, want := range []string{`id="sites"`, `id="chart-calls"`, `id="mode-dialog"`, `<option value="emergency">`, `id="move-to"`,
		`data-watch="true"`, `src="/assets/wallboard.js"`, `<td data-f="waiting">2</td>`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("wallboard lacks %s", want)
		}
	}
	// Queue log: 3 offered, 2 answered, 1 abandoned an hour ago; one older
	// than the window, one in the future of the window.
	now := r.clk.Now()
	hourAgo := now.Add(-time.Hour)
	evs := []store.QueueEvent{
		{At: hourAgo, CallID: "a", Queue: "informazioni", Event: "ENTERQUEUE"},
		{At: hourAgo.Add(time.Second), CallID: "b", Queue: "informazioni", Event: "ENTERQUEUE"},
		{At: hourAgo.Add(2 * time.Second), CallID: "c", Queue: "soccorso", Event: "ENTERQUEUE"},
		{At: hourAgo.Add(20 * time.Second), CallID: "a", Queue: "informazioni", Agent: "101", Event: "CONNECT"},
		{At: hourAgo.Add(30 * time.Second), CallID: "c", Queue: "soccorso", Agent: "101", Event: "CONNECT"},
		{At: hourAgo.Add(40 * time.Second), CallID: "b", Queue: "informazioni", Event: "ABANDON"},
		{At: hourAgo.Add(50 * time.Second), CallID: "NONE", Queue: "informazioni", Agent: "101", Event: "PAUSE"},
		{At: now.Add(-5 * time.Hour), CallID: "old", Queue: "informazioni", Event: "ENTERQUEUE"},
	}
	if err := r.db.AppendQueueEvents(bg, evs...); err != nil {
		t.Fatal(err)
	}
	g := s.get("/api/wallboard/history")
	if g.code != 200 {
		t.Fatalf("history %d %s", g.code, g.body)
	}
	var h History
	if err := json.Unmarshal([]byte(g.body), &h); err != nil {
		t.Fatal(err)
	}
	sum := func(xs []int) int {
		n := 0
		for _, x := range xs {
			n += x
		}
		return n
	}
	if len(h.Total.Offered) != 16 || h.StepS != 900 || sum(h.Total.Offered) != 3 || sum(h.Total.Answered) != 2 || sum(h.Total.Abandoned) != 1 {
		t.Fatalf("history totals %+v", h.Total)
	}
	i := int(hourAgo.Sub(h.From) / (15 * time.Minute))
	if h.Queues["informazioni"].Offered[i] != 2 || h.Queues["soccorso"].Answered[i] != 1 {
		t.Fatalf("history per queue at %d: %+v", i, h.Queues)
	}
	for _, bad := range []string{"0", "13", "x", "-1"} {
		if g := s.get("/api/wallboard/history?hours=" + bad); g.code != http.StatusBadRequest {
			t.Errorf("hours=%s: %d", bad, g.code)
		}
	}
	a := r.browser()
	a.login("rossi")
	if g := a.get("/api/wallboard/history"); g.code != http.StatusForbidden {
		t.Fatalf("agent reads the history: %d", g.code)
	}
	if g := a.get("/supervisor"); g.code != http.StatusForbidden {
		t.Fatalf("agent opens the wallboard: %d", g.code)
	}
}
