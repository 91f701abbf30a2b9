package acd

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestRestartWith200CallsWaiting(t *testing.T) {
	qs := []Queue{
		{Name: "main", Site: "AQ", Members: members("a1", "a2", "a3"), WrapUp: 20 * time.Second, AnnounceEvery: time.Minute},
		{Name: "rescue", Site: "AQ", Members: members("a1")},
	}
	h := newHarness(t, qs, agents("a1", "a2", "a3"))
	h.login("a1", "a2")
	// Two calls connected, one on hold; then 200 waiting with mixed priorities.
	h.do(Arrive{Call: "busy1", Queue: "main"})
	h.do(Arrive{Call: "busy2", Queue: "main"})
	h.at(2 * time.Second)
	h.do(Answer{Call: "busy1", Agent: "a1"})
	h.do(Answer{Call: "busy2", Agent: "a2"})
	h.at(10 * time.Second)
	h.do(Hold{Call: "busy2"})
	for i := range 200 {
		h.at(time.Second)
		q, prio, rescue := "main", i%3, i%50 == 7
		h.do(Arrive{Call: fmt.Sprintf("w%03d", i), Queue: q, Priority: prio, Rescue: rescue})
	}
	h.at(30 * time.Second)
	h.do(Tick{})

	// The order the first engine would serve them in.
	want := serveOrder(t, h)

	// Restart from the first engine's State, at a later time (the process was down 45 s).
	st := h.e.State()
	if len(st.Calls) != 202 {
		t.Fatalf("state has %d calls, want 202", len(st.Calls))
	}
	st.At = st.At.Add(45 * time.Second)
	e2, out, err := New(st)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if len(find[Ring](out)) != 0 {
		t.Fatalf("rang with every agent busy or logged out: %s", describe(out))
	}
	h2 := &harness{t: t, e: e2, now: st.At}
	snap := h2.queueStats("main")
	if snap.Waiting != 200 || snap.Agents.OnCall != 2 || snap.Agents.LoggedOut != 1 {
		t.Fatalf("restored main: %d waiting, %+v", snap.Waiting, snap.Agents)
	}
	// The oldest waiting call arrived at t0+13s; it is now t0+12s+200s+30s+45s.
	if want := st.At.Sub(t0.Add(13 * time.Second)); snap.LongestWait != want {
		t.Errorf("longest wait %v, want %v (from the original arrival)", snap.LongestWait, want)
	}
	got := serveOrder(t, h2)
	if !slices.Equal(got, want) {
		t.Errorf("service order changed across the restart:\n got %v\nwant %v", got[:10], want[:10])
	}

	// A restored connected call keeps its accounting: busy2 was on hold.
	h2.at(5 * time.Second)
	out = h2.do(Hangup{Call: "busy2"})
	r := records(out, LogCompleteCaller)[0]
	if life := h2.now.Sub(t0); r.Wait+r.Ring+r.Talk+r.Hold != life || r.Ring != 2*time.Second || r.Talk != 10*time.Second {
		t.Errorf("busy2 accounted %v+%v+%v+%v, want ring 2s talk 10s, the rest on hold, every second of %v", r.Wait, r.Ring, r.Talk, r.Hold, life)
	}
}

// serveOrder serves every waiting call of a copy of h's engine with one agent
// and returns the order. It works on a State copy, leaving h untouched.
func serveOrder(t *testing.T, h *harness) []string {
	t.Helper()
	st := h.e.State()
	e, _, err := New(st)
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	c := &harness{t: t, e: e, now: st.At}
	var order []string
	out := c.do(Login{Agent: "a3"})
	for {
		var call string
		for _, r := range find[Ring](out) {
			if r.Agent == "a3" {
				call = r.Call
			}
		}
		if call == "" {
			out = c.do(DispositionSaved{Agent: "a3"})
			for _, r := range find[Ring](out) {
				call = r.Call
			}
			if call == "" {
				return order
			}
		}
		order = append(order, call)
		c.do(Answer{Call: call, Agent: "a3"})
		out = c.do(Hangup{Call: call})
	}
}

func TestStateRoundTrip(t *testing.T) {
	qs := []Queue{{Name: "main", Strategy: FewestCalls, Members: []Member{{Agent: "a1", Level: 3}, {Agent: "a2", Penalty: 1}},
		WrapUp: time.Minute, Callback: CallbackPolicy{Attempts: 2}}}
	h := newHarness(t, qs, agents("a1", "a2"))
	h.login("a1", "a2")
	h.do(Pause{Agent: "a2", Reason: "training"})
	h.do(Arrive{Call: "c1", Queue: "main"})
	h.do(Answer{Call: "c1", Agent: "a1"})
	h.at(time.Minute)
	h.do(Hangup{Call: "c1"})
	h.do(Arrive{Call: "c2", Queue: "main", MinLevel: 2})
	h.do(RequestCallback{Call: "c2", Number: "0862"})
	st := h.e.State()
	e2, _, err := New(st)
	if err != nil {
		t.Fatal(err)
	}
	st2 := e2.State()
	if fmt.Sprintf("%+v", st) != fmt.Sprintf("%+v", st2) {
		t.Errorf("state changed across a rebuild:\n%+v\n%+v", st, st2)
	}
	if st.Agents[0].WrapUpUntil != t0.Add(2*time.Minute) || st.Agents[0].Calls["main"] != 1 {
		t.Errorf("a1 state %+v, want wrap-up until +2m and 1 call", st.Agents[0])
	}
	if st.Calls[0].Status != CallCallbackWaiting || st.Calls[0].CallbackNumber != "0862" {
		t.Errorf("c2 state %+v", st.Calls[0])
	}
}

func TestRestoreRejectsInconsistentState(t *testing.T) {
	base := func() State {
		return State{At: t0, Queues: []Queue{{Name: "main", Members: members("a1")}}, Agents: []Agent{{ID: "a1", LoggedIn: true}}}
	}
	tests := []struct {
		name string
		edit func(*State)
		want error
	}{
		{"unknown queue", func(s *State) { s.Calls = []Call{{ID: "c", Queue: "x", Arrived: t0}} }, ErrUnknownQueue},
		{"arrival after state time", func(s *State) { s.Calls = []Call{{ID: "c", Queue: "main", Arrived: t0.Add(time.Second)}} }, ErrInvalidConfig},
		{"member without agent", func(s *State) { s.Queues[0].Members = members("ghost") }, ErrUnknownAgent},
		{"overflow to nowhere", func(s *State) {
			s.Queues[0].MaxWait = time.Minute
			s.Queues[0].Overflow = Target{Kind: TargetQueue, Queue: "nowhere"}
		}, ErrUnknownQueue},
		{"two calls on one agent", func(s *State) {
			s.Calls = []Call{
				{ID: "c1", Queue: "main", Arrived: t0, Status: CallConnected, Agent: "a1", ConnectedAt: t0},
				{ID: "c2", Queue: "main", Arrived: t0, Status: CallConnected, Agent: "a1", ConnectedAt: t0},
			}
		}, ErrInvalidConfig},
		{"more time than life", func(s *State) {
			s.Calls = []Call{{ID: "c", Queue: "main", Arrived: t0.Add(-time.Second), Wait: time.Hour}}
		}, ErrInvalidConfig},
		{"duplicate queue", func(s *State) { s.Queues = append(s.Queues, s.Queues[0]) }, ErrExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := base()
			tt.edit(&st)
			if _, _, err := New(st); !errors.Is(err, tt.want) {
				t.Errorf("New: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestRuntimeConfigurationKeepsWaitingCalls(t *testing.T) {
	qs := []Queue{{Name: "main", Members: members("a1")}, {Name: "spare"}}
	h := newHarness(t, qs, agents("a1", "a2"))
	for i := range 5 {
		h.at(time.Second)
		h.do(Arrive{Call: fmt.Sprintf("c%d", i), Queue: "main"})
	}
	h.do(UpdateQueue{Queue: Queue{Name: "main", Strategy: RoundRobin, Members: members("a1", "a2"), AnnounceEvery: time.Minute}})
	if q := h.queueStats("main"); q.Waiting != 5 || q.Strategy != RoundRobin {
		t.Fatalf("after update: %d waiting, %s", q.Waiting, q.Strategy)
	}
	h.at(time.Minute)
	out := h.do(Tick{})
	if a := find[Announce](out); len(a) != 5 || a[0].Position != 1 || a[4].Position != 5 {
		t.Fatalf("announcements %+v, want positions 1..5", a)
	}
	h.wantErr(RemoveQueue{Name: "main"}, ErrQueueInUse)
	h.do(AddMember{Queue: "spare", Member: Member{Agent: "a2"}})
	out = h.do(RemoveQueue{Name: "main", MoveTo: "spare"})
	if m := find[Moved](out); len(m) != 5 {
		t.Fatalf("moved %d calls, want 5", len(m))
	}
	h.wantErr(Arrive{Call: "x", Queue: "main"}, ErrUnknownQueue)
	out = h.do(Login{Agent: "a2"})
	if a := h.rungAgent(out, "c0"); a != "a2" {
		t.Fatalf("rang %s for c0", a)
	}
	if q := h.queueStats("spare"); q.Waiting != 5 || q.Staffed != 1 {
		t.Errorf("spare: %+v", q.Figures)
	}
	h.do(RemoveMember{Queue: "spare", Agent: "a2"})
	h.wantErr(RemoveAgent{Agent: "a2"}, ErrAgentBusy)
}

func TestEmergencyOnlyMembers(t *testing.T) {
	q := Queue{Name: "main", Members: []Member{{Agent: "local"}, {Agent: "roma", EmergencyOnly: true}}}
	h := newHarness(t, []Queue{q}, agents("local", "roma"))
	h.login("roma")
	out := h.do(Arrive{Call: "c1", Queue: "main"})
	if len(find[Ring](out)) != 0 {
		t.Fatalf("emergency-only member rang in ordinary mode: %s", describe(out))
	}
	out = h.do(SetEmergency{On: true})
	if a := h.rungAgent(out, "c1"); a != "roma" {
		t.Fatalf("rang %s in emergency mode, want roma", a)
	}
}
