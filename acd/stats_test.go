package acd

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestKPIs(t *testing.T) {
	q := Queue{Name: "main", Site: "AQ", WrapUp: 10 * time.Second, ServiceLevel: ServiceTarget{Percent: 80, Within: 20 * time.Second},
		Members: members("a1")}
	h := newHarness(t, []Queue{q}, agents("a1"))
	h.login("a1")
	// c1 answered after 5 s (in time); talk 50 s, wrap 10 s.
	h.do(Arrive{Call: "c1", Queue: "main"})
	h.at(5 * time.Second)
	h.do(Answer{Call: "c1", Agent: "a1"})
	h.do(Arrive{Call: "c2", Queue: "main"})
	h.do(Arrive{Call: "c3", Queue: "main"})
	h.at(50 * time.Second)
	h.do(Hangup{Call: "c1"})
	h.at(10 * time.Second) // wrap-up ends: c2 rings
	h.do(Tick{})
	// c2 answered 60 s after entering (late); c3 abandons at 61 s.
	h.do(Answer{Call: "c2", Agent: "a1"})
	h.at(time.Second)
	h.do(Hangup{Call: "c3"})
	h.at(29 * time.Second)
	h.do(Hangup{Call: "c2"})
	h.at(10 * time.Second)
	h.do(Tick{})
	h.at(10 * time.Second) // idle 10 s

	s := h.queueStats("main")
	if s.Offered != 3 || s.Answered != 2 || s.AnsweredInTime != 1 || s.Abandoned != 1 || s.Handled != 2 {
		t.Fatalf("counters %+v", s.Figures)
	}
	if math.Abs(s.ServiceLevel-1.0/3) > 1e-9 {
		t.Errorf("service level %v, want 1/3 (1 in time of 2 answered + 1 abandoned)", s.ServiceLevel)
	}
	if s.ASA != 32500*time.Millisecond {
		t.Errorf("ASA %v, want (5+60)/2 = 32.5s", s.ASA)
	}
	if s.AHT != 50*time.Second {
		t.Errorf("AHT %v, want ((50+10)+(30+10))/2 = 50s", s.AHT)
	}
	// a1 rang 5 s for c1, talked 50, wrapped up 10, took c2 at once, talked 30,
	// wrapped up 10, then sat available 10 s: busy 105 s of 115.
	if want := 105.0 / 115.0; math.Abs(s.Occupancy-want) > 1e-9 {
		t.Errorf("occupancy %v, want %v", s.Occupancy, want)
	}
	var site SiteStats
	for _, x := range h.e.Snapshot(h.now).Sites {
		if x.Site == "AQ" {
			site = x
		}
	}
	if site.Answered != 2 || site.Agents.Available != 1 || site.Staffed != 1 {
		t.Errorf("site %+v", site.Figures)
	}
}

func TestErlangC(t *testing.T) {
	tests := []struct {
		name string
		a    float64
		n    int
		want float64
	}{
		{"one erlang, two agents (exact 1/3)", 1, 2, 1.0 / 3},
		{"two erlangs, three agents (exact 4/9)", 2, 3, 4.0 / 9},
		{"overloaded", 5, 5, 1},
		{"no traffic", 0, 3, 0},
		// Ten erlangs: the classic table (Cooper; call centre helper's worked example).
		{"10 erlangs, 11 agents", 10, 11, 0.6821},
		{"10 erlangs, 13 agents", 10, 13, 0.2853},
		{"10 erlangs, 14 agents", 10, 14, 0.1741},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErlangC(tt.a, tt.n); math.Abs(got-tt.want) > 5e-5 {
				t.Errorf("ErlangC(%v, %d) = %.6f, want %.4f", tt.a, tt.n, got, tt.want)
			}
		})
	}
}

func TestStaffingExample(t *testing.T) {
	// DOMAIN.md: 120 calls/h at AHT 180 s → 9 operators for 80/20.
	aht := 180 * time.Second
	a := Traffic(120, aht)
	if a != 6 {
		t.Fatalf("traffic %v, want 6 erlangs", a)
	}
	if n := AgentsFor(a, aht, 20*time.Second, 0.80); n != 9 {
		t.Errorf("AgentsFor = %d, want 9", n)
	}
	if sl := ServiceLevel(a, 8, aht, 20*time.Second); sl >= 0.80 {
		t.Errorf("8 agents give SL %v, should be under 80%%", sl)
	}
	if sl := ServiceLevel(a, 9, aht, 20*time.Second); sl < 0.80 {
		t.Errorf("9 agents give SL %v, should reach 80%%", sl)
	}
	// ASA with 9 agents: C·AHT/(N−A).
	asa := AverageSpeedOfAnswer(a, 9, aht)
	if want := time.Duration(ErlangC(6, 9) * float64(aht) / 3); asa != want || asa < 11*time.Second || asa > 12*time.Second {
		t.Errorf("ASA %v, want %v (about 11.8 s)", asa, want)
	}
	// call centre helper's example: 10 erlangs, AHT 180 s, 80/20 → 14 agents.
	if n := AgentsFor(10, aht, 20*time.Second, 0.80); n != 14 {
		t.Errorf("AgentsFor(10 erlangs) = %d, want 14", n)
	}
}

func TestErlangLargeCentres(t *testing.T) {
	// Factorial formulas overflow far below these sizes; the recurrence must stay finite and monotone.
	for _, a := range []float64{500, 2000, 9000} {
		prev := 1.0
		for n := int(a) + 1; n < int(a)+400; n += 13 {
			c := ErlangC(a, n)
			if math.IsNaN(c) || c < 0 || c > 1 || c > prev {
				t.Fatalf("ErlangC(%v, %d) = %v after %v", a, n, c, prev)
			}
			prev = c
		}
		n := AgentsFor(a, 180*time.Second, 20*time.Second, 0.8)
		if float64(n) <= a || ServiceLevel(a, n, 180*time.Second, 20*time.Second) < 0.8 ||
			ServiceLevel(a, n-1, 180*time.Second, 20*time.Second) >= 0.8 {
			t.Errorf("AgentsFor(%v) = %d is not the minimum meeting 80/20", a, n)
		}
	}
}

// TestCountersSurviveARestartAndReset: a queue's counters go into the
// engine's state and come back from it, so the day's figures survive a
// restart; ResetCounters starts them again without touching live calls.
func TestCountersSurviveARestartAndReset(t *testing.T) {
	h := newHarness(t, []Queue{{Name: "main", Members: members("a1")}, {Name: "quiet"}}, agents("a1"))
	h.login("a1")
	h.do(Arrive{Call: "c1", Queue: "main"})
	h.at(5 * time.Second)
	h.do(Answer{Call: "c1", Agent: "a1"})
	h.do(Arrive{Call: "c2", Queue: "main"})
	h.at(time.Second)
	h.do(Hangup{Call: "c2"})
	before := h.queueStats("main")
	if before.Offered != 2 || before.Answered != 1 || before.Abandoned != 1 {
		t.Fatalf("counters before %+v", before.Figures)
	}
	st := h.e.State()
	if _, ok := st.Counters["quiet"]; ok || len(st.Counters) != 1 {
		t.Fatalf("state counters %+v: only queues with something counted", st.Counters)
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	stats := func(e *Engine) QueueStats {
		for _, q := range e.Snapshot(h.now).Queues {
			if q.Name == "main" {
				return q
			}
		}
		t.Fatal("no queue main")
		return QueueStats{}
	}
	e2, _, err := New(back)
	if err != nil {
		t.Fatal(err)
	}
	after := stats(e2)
	if after.Offered != 2 || after.Answered != 1 || after.Abandoned != 1 || after.ASA != before.ASA {
		t.Fatalf("counters after a restart %+v, before %+v", after.Figures, before.Figures)
	}
	back.Counters = nil
	e3, _, err := New(back)
	if err != nil {
		t.Fatal(err)
	}
	if s := stats(e3); s.Offered != 0 || s.Answered != 0 {
		t.Fatalf("a state without counters: %+v", s.Figures)
	}

	h.do(ResetCounters{At: h.now})
	s := h.queueStats("main")
	if s.Offered != 0 || s.Answered != 0 || s.Abandoned != 0 || s.Agents.OnCall != 1 {
		t.Fatalf("after the reset %+v", s.Figures)
	}
	h.at(10 * time.Second)
	h.do(Hangup{Call: "c1"})
	if s := h.queueStats("main"); s.Offered != 0 || s.Agents.OnCall != 0 {
		t.Fatalf("the call connected before the reset ends: %+v", s.Figures)
	}
}

// TestUpdateAgentMovesSite: a renamed agent moved to another site, while
// logged in, is counted at the new site from then on.
func TestUpdateAgentMovesSite(t *testing.T) {
	h := newHarness(t, []Queue{{Name: "main", Members: members("a1")}}, []Agent{{ID: "a1", Name: "Mario", Site: "AQ"}})
	h.login("a1")
	h.do(UpdateAgent{Agent: Agent{ID: "a1", Name: "Mario Rossi", Site: "RM"}})
	sites := map[string]SiteStats{}
	var a1 AgentStatus
	snap := h.e.Snapshot(h.now)
	for _, s := range snap.Sites {
		sites[s.Site] = s
	}
	for _, a := range snap.Agents {
		if a.ID == "a1" {
			a1 = a
		}
	}
	if sites["AQ"].Agents.Available != 0 || sites["RM"].Agents.Available != 1 || a1.Name != "Mario Rossi" || a1.Site != "RM" {
		t.Fatalf("sites %+v, agent %+v", sites, a1)
	}
	if h.agentState("a1").State != Available {
		t.Fatalf("a1 is %v after the update", h.agentState("a1").State)
	}
	h.wantErr(UpdateAgent{Agent: Agent{ID: "nobody"}}, ErrUnknownAgent)
}
