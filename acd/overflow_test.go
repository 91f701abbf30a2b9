package acd

import (
	"testing"
	"time"
)

func TestOverflowTargets(t *testing.T) {
	// Nobody logged in at "main": every call overflows after 60 s (or at once when full).
	backup := Queue{Name: "backup", Site: "RM", Members: members("r1")}
	tests := []struct {
		name     string
		overflow Target
		maxLen   int
		check    func(t *testing.T, h *harness, out []Decision)
	}{
		{
			name:     "max wait to another queue",
			overflow: Target{Kind: TargetQueue, Queue: "backup"},
			check: func(t *testing.T, h *harness, out []Decision) {
				ex := records(out, LogExitWithTimeout)
				if len(ex) != 1 || ex[0].Final || ex[0].Queue != "main" || ex[0].Wait != time.Minute {
					t.Fatalf("EXITWITHTIMEOUT %+v, want non-final from main after 60s", ex)
				}
				if en := records(out, LogEnterQueue); len(en) != 1 || en[0].Queue != "backup" {
					t.Fatalf("ENTERQUEUE %+v, want backup", en)
				}
				if m := find[Moved](out); len(m) != 1 || m[0].From != "main" || m[0].To != "backup" {
					t.Fatalf("Moved %+v", m)
				}
				if a := h.rungAgent(out, "c1"); a != "r1" {
					t.Fatalf("rang %s, want r1 at the backup queue", a)
				}
			},
		},
		{
			name:     "max wait to the report recorder",
			overflow: Target{Kind: TargetReport},
			check: func(t *testing.T, h *harness, out []Decision) {
				ex := records(out, LogExitWithTimeout)
				if len(ex) != 1 || !ex[0].Final {
					t.Fatalf("EXITWITHTIMEOUT %+v, want final", ex)
				}
				if s := find[SendToReport](out); len(s) != 1 || s[0].Call != "c1" {
					t.Fatalf("SendToReport %+v", s)
				}
				h.wantErr(Hangup{Call: "c1"}, ErrUnknownCall)
				if q := h.queueStats("main"); q.TimedOut != 1 || q.Waiting != 0 {
					t.Errorf("stats %+v, want one timed out, none waiting", q.Figures)
				}
			},
		},
		{
			name:     "max wait offers a callback",
			overflow: Target{Kind: TargetCallback},
			check: func(t *testing.T, h *harness, out []Decision) {
				if o := find[OfferCallback](out); len(o) != 1 {
					t.Fatalf("want one callback offer: %s", describe(out))
				}
				// The caller declines by not pressing: still waiting, offered only once.
				h.at(10 * time.Minute)
				if out := h.do(Tick{}); len(find[OfferCallback](out)) != 0 {
					t.Fatalf("offered again: %s", describe(out))
				}
				h.do(RequestCallback{Call: "c1", Number: "0862000000"})
				if q := h.queueStats("main"); q.Callbacks != 1 || q.Waiting != 0 {
					t.Errorf("stats %+v, want one callback and no live caller", q.Figures)
				}
			},
		},
		{
			name:     "full queue to another queue",
			overflow: Target{Kind: TargetQueue, Queue: "backup"},
			maxLen:   1,
			check: func(t *testing.T, h *harness, _ []Decision) {
				out := h.do(Arrive{Call: "c2", Queue: "main"})
				if f := records(out, LogFull); len(f) != 1 || f[0].Final || f[0].Queue != "main" {
					t.Fatalf("FULL %+v, want non-final at main", f)
				}
				if a := h.rungAgent(out, "c2"); a != "r1" {
					t.Fatalf("c2 rang %s, want r1", a)
				}
			},
		},
		{
			name:     "full queue to the recorder, except a rescue call",
			overflow: Target{Kind: TargetReport},
			maxLen:   1,
			check: func(t *testing.T, h *harness, _ []Decision) {
				out := h.do(Arrive{Call: "c2", Queue: "main"})
				if f := records(out, LogFull); len(f) != 1 || !f[0].Final || len(find[SendToReport](out)) != 1 {
					t.Fatalf("want a final FULL and the recorder: %s", describe(out))
				}
				out = h.do(Arrive{Call: "r", Queue: "main", Rescue: true})
				if len(records(out, LogFull)) != 0 || len(records(out, LogEnterQueue)) != 1 {
					t.Fatalf("rescue call refused: %s", describe(out))
				}
			},
		},
		{
			name:     "full queue offers a callback",
			overflow: Target{Kind: TargetCallback},
			maxLen:   1,
			check: func(t *testing.T, h *harness, _ []Decision) {
				out := h.do(Arrive{Call: "c2", Queue: "main"})
				if len(records(out, LogEnterQueue)) != 1 || len(find[OfferCallback](out)) != 1 {
					t.Fatalf("want c2 admitted and offered a callback: %s", describe(out))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			main := Queue{Name: "main", Site: "AQ", Members: members("a1"), MaxLen: tt.maxLen,
				Overflow: tt.overflow, Callback: CallbackPolicy{Attempts: 2}}
			if tt.maxLen == 0 {
				main.MaxWait = time.Minute
			}
			h := newHarness(t, []Queue{backup, main}, agents("a1", "r1"))
			h.login("r1")
			h.do(Pause{Agent: "r1", Reason: "break"})
			h.do(Arrive{Call: "c1", Queue: "main"})
			h.do(Unpause{Agent: "r1"})
			var out []Decision
			if tt.maxLen == 0 {
				h.at(time.Minute)
				out = h.do(Tick{})
			}
			tt.check(t, h, out)
		})
	}
}

func TestRescueNeverGoesToTheRecorder(t *testing.T) {
	q := Queue{Name: "main", Members: members("a1"), MaxWait: time.Minute, Overflow: Target{Kind: TargetReport}}
	h := newHarness(t, []Queue{q}, agents("a1"))
	h.do(Arrive{Call: "r", Queue: "main", Rescue: true})
	h.at(5 * time.Minute)
	out := h.do(Tick{})
	if len(find[SendToReport](out)) != 0 || len(records(out, LogExitWithTimeout)) != 0 {
		t.Fatalf("rescue call overflowed to the recorder: %s", describe(out))
	}
	out = h.do(Login{Agent: "a1"})
	if a := h.rungAgent(out, "r"); a != "a1" {
		t.Fatalf("rang %s, want a1", a)
	}
}

func TestMaxWaitWhileRingingWaitsForTheRing(t *testing.T) {
	q := Queue{Name: "main", RingTimeout: 20 * time.Second, Members: members("a1"), MaxWait: 30 * time.Second,
		Overflow: Target{Kind: TargetReport}}
	h := newHarness(t, []Queue{q}, agents("a1"))
	h.do(Arrive{Call: "c1", Queue: "main"})
	h.at(20 * time.Second)
	h.login("a1") // rings until +40s; max wait falls at +30s
	h.at(15 * time.Second)
	out := h.do(Tick{})
	if len(find[SendToReport](out)) != 0 {
		t.Fatalf("overflowed in the middle of a ring: %s", describe(out))
	}
	h.at(10 * time.Second)
	out = h.do(Tick{})
	if len(records(out, LogRingNoAnswer)) != 1 || len(find[SendToReport](out)) != 1 {
		t.Fatalf("want RONA then overflow: %s", describe(out))
	}
}

func TestTwoSitesShareAnOverflowQueue(t *testing.T) {
	// L'Aquila and Rome each have a queue overflowing after 30 s to a
	// national queue staffed at both sites. Calls keep their arrival order there.
	qs := []Queue{
		{Name: "national", Site: "IT", Strategy: LongestIdle, Members: members("n1")},
		{Name: "aquila", Site: "AQ", Members: members("aq1"), MaxWait: 30 * time.Second, Overflow: Target{Kind: TargetQueue, Queue: "national"}},
		{Name: "roma", Site: "RM", Members: members("rm1"), MaxWait: 30 * time.Second, Overflow: Target{Kind: TargetQueue, Queue: "national"}},
	}
	as := []Agent{{ID: "aq1", Site: "AQ"}, {ID: "rm1", Site: "RM"}, {ID: "n1", Site: "RM"}}
	h := newHarness(t, qs, as)
	h.do(Arrive{Call: "aq-1", Queue: "aquila"})
	h.at(5 * time.Second)
	h.do(Arrive{Call: "rm-1", Queue: "roma"})
	h.at(5 * time.Second)
	h.do(Arrive{Call: "aq-2", Queue: "aquila"})
	h.at(30 * time.Second) // all three have overflowed
	out := h.do(Tick{})
	if got := len(records(out, LogExitWithTimeout)); got != 3 {
		t.Fatalf("%d overflows, want 3: %s", got, describe(out))
	}
	if q := h.queueStats("national"); q.Waiting != 3 || q.LongestWait != 40*time.Second {
		t.Fatalf("national: %d waiting, longest %v; want 3 and 40s (kept from arrival)", q.Waiting, q.LongestWait)
	}
	var order []string
	out = h.do(Login{Agent: "n1"})
	for range 3 {
		call := find[Ring](out)[0].Call
		order = append(order, call)
		h.do(Answer{Call: call, Agent: "n1"})
		h.at(time.Minute)
		out = h.do(Hangup{Call: call})
	}
	if want := []string{"aq-1", "rm-1", "aq-2"}; order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
		t.Errorf("served %v, want %v", order, want)
	}
	snap := h.e.Snapshot(h.now)
	got := map[string]SiteStats{}
	for _, s := range snap.Sites {
		got[s.Site] = s
	}
	if got["AQ"].TimedOut != 2 || got["RM"].TimedOut != 1 || got["IT"].Answered != 3 {
		t.Errorf("sites AQ %+v RM %+v IT %+v: want 2 and 1 timed out, 3 answered nationally",
			got["AQ"].Figures, got["RM"].Figures, got["IT"].Figures)
	}
	if got["RM"].Agents.LoggedOut != 1 || got["RM"].Agents.Available != 1 || got["AQ"].Agents.LoggedOut != 1 {
		t.Errorf("agent counts per site: AQ %+v RM %+v", got["AQ"].Agents, got["RM"].Agents)
	}
}

func TestOverflowLoopStops(t *testing.T) {
	// a and b are both full and overflow into each other: the call must land somewhere, not loop.
	qs := []Queue{
		{Name: "a", MaxLen: 1, Overflow: Target{Kind: TargetQueue, Queue: "b"}},
		{Name: "b", MaxLen: 1, Overflow: Target{Kind: TargetReport}},
	}
	h := newHarness(t, qs, nil)
	h.do(UpdateQueue{Queue: Queue{Name: "b", MaxLen: 1, Overflow: Target{Kind: TargetQueue, Queue: "a"}}})
	h.do(Arrive{Call: "c1", Queue: "a"})
	h.do(Arrive{Call: "c2", Queue: "b"})
	out := h.do(Arrive{Call: "c3", Queue: "a"})
	if en := records(out, LogEnterQueue); len(en) != 1 || en[0].Queue != "b" {
		t.Fatalf("c3 entered %+v, want b (over capacity, loop closed)", en)
	}
}
