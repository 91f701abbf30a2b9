package acd

import (
	"testing"
	"time"
)

func callbackQueue() Queue {
	return Queue{Name: "main", Members: members("a1", "a2"), RingTimeout: 10 * time.Second,
		Callback: CallbackPolicy{Attempts: 3, Interval: 5 * time.Minute, DialTimeout: 30 * time.Second}}
}

func TestCallbackKeepsPlaceAndConnects(t *testing.T) {
	h := newHarness(t, []Queue{callbackQueue()}, agents("a1", "a2"))
	h.do(Arrive{Call: "c1", Queue: "main"})
	h.at(time.Second)
	h.do(Arrive{Call: "c2", Queue: "main"})
	h.at(time.Minute)
	out := h.do(RequestCallback{Call: "c1", Number: "0862111111"})
	if r := records(out, LogCallbackRequested); len(r) != 1 || r[0].Final {
		t.Fatalf("CALLBACK_REQUESTED %+v", r)
	}
	h.wantErr(Hangup{Call: "c1"}, ErrWrongState)
	// c1 is still first: when a1 logs in, c1's citizen is dialled, a1 held.
	h.at(time.Minute)
	out = h.do(Login{Agent: "a1"})
	dial := find[DialCallback](out)
	if len(dial) != 1 || dial[0].Call != "c1" || dial[0].Agent != "a1" || dial[0].Number != "0862111111" || dial[0].Attempt != 1 {
		t.Fatalf("DialCallback %+v, want c1 via a1", dial)
	}
	if len(find[Ring](out)) != 0 {
		t.Fatalf("rang an agent before the citizen answered: %s", describe(out))
	}
	if s := h.agentState("a1").State; s != Reserved {
		t.Fatalf("a1 is %v, want reserved", s)
	}
	// c2 goes to a2, not to the reserved a1.
	out = h.do(Login{Agent: "a2"})
	if a := h.rungAgent(out, "c2"); a != "a2" {
		t.Fatalf("c2 rang %s, want a2", a)
	}
	h.at(8 * time.Second)
	out = h.do(CallbackAnswered{Call: "c1"})
	if a := h.rungAgent(out, "c1"); a != "a1" {
		t.Fatalf("after the citizen answered rang %s, want the reserved a1", a)
	}
	h.at(2 * time.Second)
	out = h.do(Answer{Call: "c1", Agent: "a1"})
	cc := records(out, LogCallbackConnected)
	if len(cc) != 1 || len(find[Bridge](out)) != 1 || len(records(out, LogConnect)) != 0 {
		t.Fatalf("want CALLBACK_CONNECTED and a bridge: %s", describe(out))
	}
	// 61s waiting live, 60s + 8s waiting for the callback, 2s ring.
	if cc[0].Wait != 129*time.Second || cc[0].Ring != 2*time.Second {
		t.Errorf("accounted wait %v ring %v, want 129s and 2s", cc[0].Wait, cc[0].Ring)
	}
	if q := h.queueStats("main"); q.CallbacksRequested != 1 || q.CallbacksConnected != 1 || q.Answered != 0 {
		t.Errorf("stats %+v", q.Figures)
	}
}

func TestCallbackRetriesThenFails(t *testing.T) {
	h := newHarness(t, []Queue{callbackQueue()}, agents("a1", "a2"))
	h.login("a1")
	h.do(Pause{Agent: "a1", Reason: "meeting"})
	h.do(Arrive{Call: "c1", Queue: "main"})
	h.do(RequestCallback{Call: "c1", Number: "0862111111"})
	out := h.do(Unpause{Agent: "a1"})
	if len(find[DialCallback](out)) != 1 {
		t.Fatalf("want a dial: %s", describe(out))
	}
	// Attempt 1 fails: a1 is free at once, the next attempt waits 5 minutes.
	h.at(10 * time.Second)
	out = h.do(CallbackFailed{Call: "c1", Reason: "busy"})
	if r := records(out, LogCallbackRetry); len(r) != 1 || r[0].Attempt != 1 || r[0].Final {
		t.Fatalf("CALLBACK_RETRY %+v", r)
	}
	if s := h.agentState("a1"); s.State != Available || s.Paused {
		t.Fatalf("a1 = %+v, want available (the citizen's failure is not theirs)", s)
	}
	// A new live call meanwhile goes straight to a1.
	out = h.do(Arrive{Call: "c2", Queue: "main"})
	if a := h.rungAgent(out, "c2"); a != "a1" {
		t.Fatalf("c2 rang %s", a)
	}
	h.do(Answer{Call: "c2", Agent: "a1"})
	h.login("a2")
	// Attempt 2 at +5 min goes to a2; it times out (the engine's own dial timeout).
	h.at(5 * time.Minute)
	out = h.do(Tick{})
	if d := find[DialCallback](out); len(d) != 1 || d[0].Attempt != 2 || d[0].Agent != "a2" {
		t.Fatalf("second dial %+v", d)
	}
	h.at(31 * time.Second)
	out = h.do(Tick{})
	if len(find[CancelCallback](out)) != 1 || len(records(out, LogCallbackRetry)) != 1 {
		t.Fatalf("want the dial cancelled and retried later: %s", describe(out))
	}
	// Attempt 3 fails: recorded as failed, final.
	h.at(5 * time.Minute)
	h.do(Tick{})
	out = h.do(CallbackFailed{Call: "c1", Reason: "no answer"})
	f := records(out, LogCallbackFailed)
	if len(f) != 1 || !f[0].Final || f[0].Attempt != 3 {
		t.Fatalf("CALLBACK_FAILED %+v", f)
	}
	h.wantErr(CallbackAnswered{Call: "c1"}, ErrUnknownCall)
	if q := h.queueStats("main"); q.CallbacksFailed != 1 || q.Callbacks != 0 {
		t.Errorf("stats %+v", q.Figures)
	}
}

func TestCallbackWhenReservedAgentLeaves(t *testing.T) {
	h := newHarness(t, []Queue{callbackQueue()}, agents("a1", "a2"))
	h.do(Arrive{Call: "c1", Queue: "main"})
	h.do(RequestCallback{Call: "c1", Number: "0862111111"})
	h.login("a1")
	out := h.do(Logout{Agent: "a1"})
	if len(find[DialCallback](out)) != 0 {
		t.Fatalf("dialled again on logout: %s", describe(out))
	}
	// The citizen answers with nobody reserved: they wait first in line.
	h.do(CallbackAnswered{Call: "c1"})
	out = h.do(Login{Agent: "a2"})
	if a := h.rungAgent(out, "c1"); a != "a2" {
		t.Fatalf("rang %s, want a2", a)
	}
}

func TestCallbackDisabled(t *testing.T) {
	h := newHarness(t, []Queue{{Name: "main"}}, nil)
	h.do(Arrive{Call: "c1", Queue: "main"})
	h.wantErr(RequestCallback{Call: "c1", Number: "1"}, ErrCallbackDisabled)
	h.wantErr(RequestCallback{Call: "c1"}, ErrInvalidEvent)
}

func TestTransfer(t *testing.T) {
	qs := []Queue{
		{Name: "front", WrapUp: 10 * time.Second, Members: members("a1")},
		{Name: "experts", Members: members("e1")},
	}
	h := newHarness(t, qs, agents("a1", "e1"))
	h.login("a1")
	h.do(Arrive{Call: "c1", Queue: "front", Priority: 3})
	h.do(Answer{Call: "c1", Agent: "a1"})
	h.at(30 * time.Second)
	h.do(Arrive{Call: "other", Queue: "experts"}) // waiting before c1 gets there, but lower priority
	h.at(30 * time.Second)
	out := h.do(Transfer{Call: "c1", Queue: "experts"})
	tr := records(out, LogTransfer)
	if len(tr) != 1 || tr[0].Final || tr[0].Reason != "experts" || tr[0].Talk != time.Minute {
		t.Fatalf("TRANSFER %+v, want non-final to experts after 60s talk", tr)
	}
	if s := h.agentState("a1").State; s != WrapUp {
		t.Fatalf("a1 is %v, want wrap-up", s)
	}
	out = h.do(Login{Agent: "e1"})
	if a := h.rungAgent(out, "c1"); a != "e1" {
		t.Fatalf("experts served %v first, want c1 (priority kept)", find[Ring](out))
	}
	h.do(Answer{Call: "c1", Agent: "e1"})
	h.at(time.Minute)
	out = h.do(Transfer{Call: "c1", Destination: "112"})
	tr = records(out, LogTransfer)
	if len(tr) != 1 || !tr[0].Final || tr[0].Reason != "112" || tr[0].Talk != 2*time.Minute {
		t.Fatalf("TRANSFER out %+v, want final to 112 with 120s talk in total", tr)
	}
	if a := h.rungAgent(out, "other"); a != "e1" {
		t.Fatalf("e1 (no wrap-up) should take the next call: %s", describe(out))
	}
	h.wantErr(Transfer{Call: "other", Queue: "front"}, ErrWrongState)
}
