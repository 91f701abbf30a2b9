package acd

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestStrategies(t *testing.T) {
	// Five agents, taking and finishing calls one after the other; each
	// strategy must pick the agents in its own order.
	tests := []struct {
		strategy Strategy
		setup    func(h *harness)
		want     []string
	}{
		{
			// a1..a5 log in one second apart: a1 idle longest. After each call the
			// agent goes to the back.
			strategy: LongestIdle,
			want:     []string{"a1", "a2", "a3", "a4", "a5", "a1", "a2"},
		},
		{
			// Round robin goes on after the last one rung, whatever idle times say.
			strategy: RoundRobin,
			want:     []string{"a1", "a2", "a3", "a4", "a5", "a1", "a2"},
		},
		{
			// Fewest calls: a1..a3 start with calls taken from an earlier day.
			strategy: FewestCalls,
			setup: func(h *harness) {
				q := h.e.queues["main"]
				q.members["a1"].calls, q.members["a2"].calls, q.members["a3"].calls = 3, 2, 1
				// the available set is ordered by calls: rebuild it after poking the counters
				q.resort()
			},
			// counts 3 2 1 0 0 → a4, a5 (0 each, join order); then a3 a4 a5 tie at 1
			// → a3, a4, a5; then a2..a5 tie at 2 → a2, a3.
			want: []string{"a4", "a5", "a3", "a4", "a5", "a2", "a3"},
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.strategy), func(t *testing.T) {
			ids := []string{"a1", "a2", "a3", "a4", "a5"}
			h := newHarness(t, []Queue{{Name: "main", Strategy: tt.strategy, Members: members(ids...)}}, agents(ids...))
			for _, id := range ids {
				h.at(time.Second)
				h.do(Login{Agent: id})
			}
			if tt.setup != nil {
				tt.setup(h)
			}
			var got []string
			for i := range tt.want {
				h.at(time.Second)
				call := "c" + string(rune('A'+i))
				out := h.do(Arrive{Call: call, Queue: "main"})
				a := h.rungAgent(out, call)
				got = append(got, a)
				h.at(time.Second)
				h.do(Answer{Call: call, Agent: a})
				h.at(time.Second)
				h.do(Hangup{Call: call, By: ByCaller})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("agents rung %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRoundRobinRemembersWhileOthersAreBusy(t *testing.T) {
	ids := []string{"a1", "a2", "a3"}
	h := newHarness(t, []Queue{{Name: "main", Strategy: RoundRobin, Members: members(ids...)}}, agents(ids...))
	h.login(ids...)
	out := h.do(Arrive{Call: "c1", Queue: "main"}) // a1
	if a := h.rungAgent(out, "c1"); a != "a1" {
		t.Fatalf("first call to %s, want a1", a)
	}
	h.do(Answer{Call: "c1", Agent: "a1"})
	out = h.do(Arrive{Call: "c2", Queue: "main"}) // a2
	if a := h.rungAgent(out, "c2"); a != "a2" {
		t.Fatalf("second call to %s, want a2", a)
	}
	h.do(Hangup{Call: "c1"}) // a1 free again, but a3 is next in turn
	out = h.do(Arrive{Call: "c3", Queue: "main"})
	if a := h.rungAgent(out, "c3"); a != "a3" {
		t.Fatalf("third call to %s, want a3 (memory)", a)
	}
	out = h.do(Arrive{Call: "c4", Queue: "main"})
	if a := h.rungAgent(out, "c4"); a != "a1" {
		t.Fatalf("fourth call to %s, want a1 (wrap around)", a)
	}
}

func TestRoundRobinSkipsMembersWithoutTheSkill(t *testing.T) {
	q := Queue{Name: "main", Strategy: RoundRobin, Members: []Member{{Agent: "a1", Level: 3}, {Agent: "a2", Level: 0}, {Agent: "a3", Level: 3}}}
	h := newHarness(t, []Queue{q}, agents("a1", "a2", "a3"))
	h.login("a1", "a2", "a3")
	out := h.do(Arrive{Call: "c1", Queue: "main"})
	h.do(Answer{Call: "c1", Agent: h.rungAgent(out, "c1")}) // a1
	h.do(Hangup{Call: "c1"})
	// a2 is next in turn but lacks level 2: the turn passes to a3.
	out = h.do(Arrive{Call: "c2", Queue: "main", MinLevel: 2})
	if a := h.rungAgent(out, "c2"); a != "a3" {
		t.Fatalf("level-2 call rang %s, want a3", a)
	}
	h.do(Answer{Call: "c2", Agent: "a3"})
	h.do(Hangup{Call: "c2"})
	// After a3 the turn wraps to a1, the first member with the skill.
	out = h.do(Arrive{Call: "c3", Queue: "main", MinLevel: 2})
	if a := h.rungAgent(out, "c3"); a != "a1" {
		t.Fatalf("level-2 call rang %s, want a1", a)
	}
}

func TestRingAll(t *testing.T) {
	ids := []string{"a1", "a2", "a3", "b1"}
	q := Queue{Name: "main", Strategy: RingAll, Members: []Member{{Agent: "a1"}, {Agent: "a2"}, {Agent: "a3"}, {Agent: "b1", Penalty: 1}}}
	h := newHarness(t, []Queue{q}, agents(ids...))
	h.login(ids...)
	out := h.do(Arrive{Call: "c1", Queue: "main"})
	if got := rings(out, "c1"); !slices.Equal(got, []string{"a1", "a2", "a3"}) {
		t.Fatalf("ring all rang %v, want the penalty-0 tier a1 a2 a3", got)
	}
	h.at(3 * time.Second)
	out = h.do(Answer{Call: "c1", Agent: "a2"})
	var stopped []string
	for _, s := range find[StopRinging](out) {
		stopped = append(stopped, s.Agent)
	}
	if !slices.Equal(stopped, []string{"a1", "a3"}) {
		t.Errorf("stopped %v, want a1 a3", stopped)
	}
	if len(find[Bridge](out)) != 1 {
		t.Errorf("want one bridge: %s", describe(out))
	}
	if s := h.agentState("a1").State; s != Available {
		t.Errorf("a1 is %v after another agent answered, want available", s)
	}
}

func TestRandomStrategyUsesInjectedSource(t *testing.T) {
	ids := []string{"a1", "a2", "a3", "a4"}
	run := func(seed uint64) []string {
		h := newHarness(t, []Queue{{Name: "main", Strategy: Random, Members: members(ids...)}}, agents(ids...),
			WithRand(rand.New(rand.NewPCG(seed, 7))))
		h.login(ids...)
		var got []string
		for i := range 40 {
			call := "c" + string(rune('A'+i))
			out := h.do(Arrive{Call: call, Queue: "main"})
			a := h.rungAgent(out, call)
			got = append(got, a)
			h.do(Answer{Call: call, Agent: a})
			h.do(Hangup{Call: call})
		}
		return got
	}
	first, again, other := run(1), run(1), run(99)
	if !slices.Equal(first, again) {
		t.Errorf("same seed gave different picks:\n%v\n%v", first, again)
	}
	if slices.Equal(first, other) {
		t.Errorf("different seeds gave the same 40 picks: %v", first)
	}
	for _, id := range ids {
		if !slices.Contains(first, id) {
			t.Errorf("agent %s never picked in 40 random calls: %v", id, first)
		}
	}
}

func TestPenaltyTiersAndLevels(t *testing.T) {
	q := Queue{Name: "main", Members: []Member{
		{Agent: "junior", Level: 1},
		{Agent: "senior", Level: 5},
		{Agent: "backup", Penalty: 2, Level: 9},
	}}
	h := newHarness(t, []Queue{q}, agents("junior", "senior", "backup"))
	h.at(time.Second)
	h.do(Login{Agent: "senior"})
	h.at(time.Second)
	h.do(Login{Agent: "junior"})
	h.do(Login{Agent: "backup"})

	// senior has waited longest, so gets an ordinary call.
	out := h.do(Arrive{Call: "c1", Queue: "main"})
	if a := h.rungAgent(out, "c1"); a != "senior" {
		t.Fatalf("c1 to %s, want senior (longest idle, lowest tier)", a)
	}
	// A call needing level 3: junior cannot, senior is busy: backup's tier takes it.
	out = h.do(Arrive{Call: "c2", Queue: "main", MinLevel: 3})
	if a := h.rungAgent(out, "c2"); a != "backup" {
		t.Fatalf("c2 (level 3) to %s, want backup", a)
	}
	// A call needing level 6 waits: only backup qualifies, and it is ringing.
	out = h.do(Arrive{Call: "c3", Queue: "main", MinLevel: 6})
	if got := rings(out, "c3"); len(got) != 0 {
		t.Fatalf("c3 (level 6) rang %v, want nobody", got)
	}
	// An ordinary call still goes to junior meanwhile: c3 does not block it.
	out = h.do(Arrive{Call: "c4", Queue: "main"})
	if a := h.rungAgent(out, "c4"); a != "junior" {
		t.Fatalf("c4 to %s, want junior", a)
	}
}

func TestRescueGoesFirst(t *testing.T) {
	h := newHarness(t, []Queue{{Name: "main", Members: members("a1")}}, agents("a1"))
	for i, p := range []int{0, 5, 0} {
		h.at(time.Second)
		h.do(Arrive{Call: "c" + string(rune('1'+i)), Queue: "main", Priority: p})
	}
	h.at(time.Second)
	h.do(Arrive{Call: "rescue", Queue: "main", Rescue: true})
	h.at(time.Second)
	var order []string
	out := h.do(Login{Agent: "a1"})
	for range 4 {
		var call string
		for _, r := range find[Ring](out) {
			call = r.Call
		}
		if call == "" {
			t.Fatalf("nothing rang: %s", describe(out))
		}
		order = append(order, call)
		h.do(Answer{Call: call, Agent: "a1"})
		out = h.do(Hangup{Call: call})
	}
	want := []string{"rescue", "c2", "c1", "c3"}
	if !slices.Equal(order, want) {
		t.Errorf("served %v, want %v (rescue, then priority, then arrival)", order, want)
	}
}

func TestRONA(t *testing.T) {
	q := Queue{Name: "main", RingTimeout: 10 * time.Second, Members: members("a1", "a2")}
	h := newHarness(t, []Queue{q}, agents("a1", "a2"))
	h.login("a1")
	h.at(time.Second)
	h.login("a2")
	out := h.do(Arrive{Call: "c1", Queue: "main"})
	if a := h.rungAgent(out, "c1"); a != "a1" {
		t.Fatalf("rang %s, want a1", a)
	}
	if d, ok := h.e.NextDeadline(); !ok || !d.Equal(h.now.Add(10*time.Second)) {
		t.Fatalf("next deadline %v %v, want the ring timeout %v", d, ok, h.now.Add(10*time.Second))
	}
	h.at(12 * time.Second)
	out = h.do(Tick{})
	rna := records(out, LogRingNoAnswer)
	if len(rna) != 1 || rna[0].Agent != "a1" || rna[0].Duration != 10*time.Second || rna[0].Reason != ReasonNoAnswer {
		t.Fatalf("RINGNOANSWER %+v, want a1 after 10s", rna)
	}
	if p := records(out, LogPause); len(p) != 1 || p[0].Agent != "a1" || p[0].Reason != ReasonNoAnswer {
		t.Fatalf("PAUSE %+v, want a1 paused for no answer", p)
	}
	if a := h.rungAgent(out, "c1"); a != "a2" {
		t.Fatalf("re-offered to %s, want a2", a)
	}
	st := h.agentState("a1")
	if st.State != Paused || st.Reason != ReasonNoAnswer {
		t.Errorf("a1 is %v (%q), want paused for no answer", st.State, st.Reason)
	}
	// The second ring started at the timeout (t+10s), not at the tick (t+12s).
	if r := find[Ring](out); r[0].Until != h.now.Add(-2*time.Second).Add(10*time.Second) {
		t.Errorf("second ring until %v, want %v", r[0].Until, h.now.Add(8*time.Second))
	}
	// Busy also pauses; the call then waits for somebody.
	out = h.do(RingFailed{Call: "c1", Agent: "a2", Reason: Busy})
	if st := h.agentState("a2"); st.State != Paused || st.Reason != ReasonBusy {
		t.Errorf("a2 is %v (%q), want paused busy", st.State, st.Reason)
	}
	if len(find[Ring](out)) != 0 {
		t.Errorf("rang again with everybody paused: %s", describe(out))
	}
	out = h.do(Unpause{Agent: "a1"})
	if a := h.rungAgent(out, "c1"); a != "a1" {
		t.Errorf("after unpause rang %s, want a1", a)
	}
}

func TestUnreachablePhoneIsNeverOffered(t *testing.T) {
	h := newHarness(t, []Queue{{Name: "main", Members: members("a1", "a2")}}, agents("a1", "a2"))
	h.login("a1", "a2")
	h.do(DeviceState{Agent: "a1", Reachable: false})
	out := h.do(Arrive{Call: "c1", Queue: "main"})
	if a := h.rungAgent(out, "c1"); a != "a2" {
		t.Fatalf("rang %s, want a2 (a1 unreachable)", a)
	}
	// a2's phone dies while ringing: no pause, but unreachable; the call waits.
	out = h.do(RingFailed{Call: "c1", Agent: "a2", Reason: Unreachable})
	if len(find[Ring](out)) != 0 {
		t.Fatalf("rang with both phones unreachable: %s", describe(out))
	}
	if st := h.agentState("a2"); st.State != Available || st.Reachable || st.Paused {
		t.Errorf("a2 = %+v, want available, unreachable, not paused", st)
	}
	out = h.do(DeviceState{Agent: "a1", Reachable: true})
	if a := h.rungAgent(out, "c1"); a != "a1" {
		t.Errorf("rang %s once a1 is back, want a1", a)
	}
}

// A ring the PBX never placed (Asterisk overloaded, the link down) is not
// the agent's doing: no pause, still reachable, and the call is offered
// again at once rather than waiting for a RONA pause to end.
func TestRingNotPlacedLeavesTheAgentAvailable(t *testing.T) {
	h := newHarness(t, []Queue{{Name: "main", Members: members("a1")}}, agents("a1"))
	h.login("a1")
	out := h.do(Arrive{Call: "c1", Queue: "main"})
	if a := h.rungAgent(out, "c1"); a != "a1" {
		t.Fatalf("rang %q", a)
	}
	h.at(time.Second)
	out = h.do(RingFailed{Call: "c1", Agent: "a1", Reason: NotPlaced})
	if a := h.rungAgent(out, "c1"); a != "a1" {
		t.Fatalf("the call was not offered again: %s", describe(out))
	}
	if st := h.agentState("a1"); st.Paused || !st.Reachable {
		t.Fatalf("a1 = %+v after a ring that was not placed, want reachable and not paused", st)
	}
	for _, r := range find[Record](out) {
		if r.Event == LogRingNoAnswer && r.Reason != ReasonNotPlaced {
			t.Errorf("reason %q", r.Reason)
		}
	}
}

func TestWrapUp(t *testing.T) {
	q := Queue{Name: "main", WrapUp: 30 * time.Second, Members: members("a1")}
	h := newHarness(t, []Queue{q}, agents("a1"))
	h.login("a1")
	h.do(Arrive{Call: "c1", Queue: "main"})
	h.at(2 * time.Second)
	h.do(Answer{Call: "c1", Agent: "a1"})
	h.at(60 * time.Second)
	h.do(Hangup{Call: "c1", By: ByAgent})
	if s := h.agentState("a1").State; s != WrapUp {
		t.Fatalf("a1 is %v after the call, want wrap-up", s)
	}
	h.at(time.Second)
	out := h.do(Arrive{Call: "c2", Queue: "main"})
	if len(find[Ring](out)) != 0 {
		t.Fatalf("rang an agent in wrap-up: %s", describe(out))
	}
	// Wrap-up ends by timeout at +30s: c2 rings then.
	h.at(40 * time.Second)
	out = h.do(Tick{})
	w := records(out, LogWrapUpEnd)
	if len(w) != 1 || w[0].WrapUp != 30*time.Second || w[0].Talk != 60*time.Second || w[0].Call != "c1" {
		t.Fatalf("WRAPUPEND %+v, want c1 with 30s wrap-up and 60s talk", w)
	}
	if a := h.rungAgent(out, "c2"); a != "a1" {
		t.Fatalf("c2 rang %s, want a1", a)
	}
	h.do(Answer{Call: "c2", Agent: "a1"})
	h.at(20 * time.Second)
	h.do(Hangup{Call: "c2", By: ByCaller})
	// Saving the disposition ends wrap-up early.
	h.at(5 * time.Second)
	out = h.do(DispositionSaved{Agent: "a1"})
	if w := records(out, LogWrapUpEnd); len(w) != 1 || w[0].WrapUp != 5*time.Second {
		t.Fatalf("WRAPUPEND %+v, want 5s", w)
	}
	if s := h.agentState("a1").State; s != Available {
		t.Errorf("a1 is %v after the disposition, want available", s)
	}
	h.wantErr(DispositionSaved{Agent: "a1"}, ErrWrongState)
	// AHT = ((60+30) + (20+5)) / 2
	if got := h.queueStats("main").AHT; got != 57500*time.Millisecond {
		t.Errorf("AHT %v, want 57.5s", got)
	}
}

// A call the switch lost (Asterisk restarted under it) gives the agent no
// wrap-up: they finished nothing and are free at once for the callers who
// ring again; the waiting caller lost with it is an abandon.
func TestLostToTheSwitch(t *testing.T) {
	q := Queue{Name: "main", WrapUp: 30 * time.Second, Members: members("a1")}
	h := newHarness(t, []Queue{q}, agents("a1"))
	h.login("a1")
	h.do(Arrive{Call: "c1", Queue: "main"})
	h.at(2 * time.Second)
	h.do(Answer{Call: "c1", Agent: "a1"})
	h.at(time.Second)
	h.do(Arrive{Call: "c2", Queue: "main"})
	h.at(20 * time.Second)
	out := h.do(Hangup{Call: "c1", By: BySwitch})
	if rs := records(out, LogCompleteCaller); len(rs) != 1 || !rs[0].Final || rs[0].Talk != 21*time.Second {
		t.Fatalf("want one final COMPLETECALLER with 21s talk: %s", describe(out))
	}
	out = append(out, h.do(Hangup{Call: "c2", By: BySwitch})...)
	if ab := records(out, LogAbandon); len(ab) != 1 || ab[0].Call != "c2" {
		t.Fatalf("want c2 abandoned: %s", describe(out))
	}
	if st := h.agentState("a1"); st.State != Available || st.Paused {
		t.Fatalf("a1 = %+v after a call lost to the switch, want available at once", st)
	}
	h.at(time.Second)
	if a := h.rungAgent(h.do(Arrive{Call: "c3", Queue: "main"}), "c3"); a != "a1" {
		t.Fatalf("c3 rang %q, want a1 at once", a)
	}
}

func TestHangups(t *testing.T) {
	tests := []struct {
		name  string
		by    Party
		event RecordEvent
	}{
		{"caller hangs up first", ByCaller, LogCompleteCaller},
		{"agent hangs up first", ByAgent, LogCompleteAgent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, []Queue{{Name: "main", Members: members("a1")}}, agents("a1"))
			h.do(Arrive{Call: "c1", Queue: "main"})
			h.at(7 * time.Second)
			h.login("a1")
			h.at(3 * time.Second)
			h.do(Answer{Call: "c1", Agent: "a1"})
			h.at(40 * time.Second)
			h.do(Hold{Call: "c1"})
			h.at(15 * time.Second)
			h.do(Unhold{Call: "c1"})
			h.at(5 * time.Second)
			out := h.do(Hangup{Call: "c1", By: tt.by})
			rs := records(out, tt.event)
			if len(rs) != 1 {
				t.Fatalf("want one %s: %s", tt.event, describe(out))
			}
			r := rs[0]
			if !r.Final || r.Agent != "a1" || r.Wait != 7*time.Second || r.Ring != 3*time.Second ||
				r.Talk != 45*time.Second || r.Hold != 15*time.Second {
				t.Errorf("%s = %+v, want final, a1, wait 7s ring 3s talk 45s hold 15s", tt.event, r)
			}
			h.wantErr(Hangup{Call: "c1"}, ErrUnknownCall)
		})
	}
}

func TestAbandonWhileRinging(t *testing.T) {
	h := newHarness(t, []Queue{{Name: "main", Strategy: RingAll, Members: members("a1", "a2")}}, agents("a1", "a2"))
	h.login("a1", "a2")
	h.do(Arrive{Call: "c1", Queue: "main"})
	h.at(4 * time.Second)
	out := h.do(Hangup{Call: "c1", By: ByCaller})
	if len(find[StopRinging](out)) != 2 {
		t.Errorf("want both rings stopped: %s", describe(out))
	}
	ab := records(out, LogAbandon)
	if len(ab) != 1 || !ab[0].Final || ab[0].Ring != 4*time.Second || ab[0].Wait != 0 {
		t.Fatalf("ABANDON %+v, want final with 4s ring", ab)
	}
	for _, id := range []string{"a1", "a2"} {
		if st := h.agentState(id); st.State != Available || st.Paused {
			t.Errorf("%s = %+v, want available and not paused (not their fault)", id, st)
		}
	}
	if got := h.queueStats("main").Abandoned; got != 1 {
		t.Errorf("abandoned %d, want 1", got)
	}
}
