package oncall

import (
	"slices"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
)

// TestWavesEscalateOnTime runs the decision on a fake clock: the reserve
// starts exactly when the primary wave's wait is over, not a second
// before, and the coordinators at once when the reserve can no longer make
// the quorum; retries come RetryAfter apart; the lines are never exceeded.
func TestWavesEscalateOnTime(t *testing.T) {
	clk := clock.NewFake(saturday15)
	pol := DefaultPolicy()
	open := clk.Now()
	s := State{OpenedAt: open, Quorum: 2, Waves: []WaveState{{Name: "primary", Wait: 5 * time.Minute, StartedAt: open},
		{Name: "reserve", Wait: 10 * time.Minute}, {Name: "coordinators", Wait: 0}}}
	for i := int64(1); i <= 4; i++ {
		s.People = append(s.People, Callee{ID: i, Wave: 0, Seq: int(i), Operator: true})
	}
	s.People = append(s.People, Callee{ID: 5, Wave: 1, Seq: 5, Operator: true}, Callee{ID: 6, Wave: 2, Seq: 6})
	d := Decide(s, clk.Now(), 3)
	if !slices.Equal(d.Call, []int64{1, 2, 3}) || len(d.StartWaves) != 0 || !d.Wake.IsZero() {
		t.Fatalf("at open: %+v", d)
	}
	// The three calls go unanswered; the fourth person is called as a line frees.
	for i := range s.People[:3] {
		s.People[i] = After(s.People[i], OutcomeNoAnswer, clk.Now().Add(30*time.Second), pol)
	}
	clk.Advance(30 * time.Second)
	d = Decide(s, clk.Now(), 3)
	if !slices.Equal(d.Call, []int64{4}) || !d.Wake.Equal(open.Add(30*time.Second+pol.RetryAfter)) {
		t.Fatalf("after the first round: %+v", d)
	}
	s.People[3].InFlight = true
	// One second before the wait is over: no reserve yet.
	clk.Set(open.Add(5*time.Minute - time.Second))
	for i := range s.People[:3] {
		s.People[i].InFlight = true // being retried
	}
	if d = Decide(s, clk.Now(), 3); len(d.StartWaves) != 0 || !d.Wake.Equal(open.Add(5*time.Minute)) {
		t.Fatalf("before the wait: %+v", d)
	}
	clk.Set(d.Wake)
	d = Decide(s, clk.Now(), 3)
	if !slices.Equal(d.StartWaves, []int{1}) || !slices.Equal(d.Call, []int64{5}) {
		t.Fatalf("at the wait: %+v", d)
	}
	s.Waves[1].StartedAt = clk.Now()
	// Everyone declines or is unreachable: the coordinators start at once,
	// long before the reserve's 10 minutes.
	clk.Advance(time.Minute)
	for i := range s.People[:5] {
		s.People[i].InFlight = false
		s.People[i].Status = StatusDeclined
	}
	d = Decide(s, clk.Now(), 3)
	if !slices.Equal(d.StartWaves, []int{2}) || !slices.Equal(d.Call, []int64{6}) || d.Phase != PhaseRunning {
		t.Fatalf("short of the quorum: %+v", d)
	}
	s.Waves[2].StartedAt = clk.Now()
	s.People[5].Status = StatusUnreachable
	if d = Decide(s, clk.Now(), 3); d.Phase != PhaseExhausted || len(d.Call) != 0 {
		t.Fatalf("exhausted: %+v", d)
	}
	// A late confirmation through the link still makes the quorum.
	s.People[0].Status, s.People[1].Status = StatusConfirmed, StatusConfirmed
	if d = Decide(s, clk.Now(), 3); d.Phase != PhaseQuorum {
		t.Fatalf("late quorum: %+v", d)
	}
}

func TestAfterRetries(t *testing.T) {
	pol := DefaultPolicy()
	now := saturday15
	p := Callee{ID: 1}
	for i := 0; i < pol.Retries; i++ {
		p = After(p, OutcomeBusy, now, pol)
		if p.Status.Final() || !p.NextAttemptAt.Equal(now.Add(pol.RetryAfter)) {
			t.Fatalf("retry %d: %+v", i, p)
		}
	}
	if p = After(p, OutcomeNoInput, now, pol); p.Status != StatusUnreachable {
		t.Fatalf("after the retries: %+v", p)
	}
	q := Callee{ID: 2}
	for i := 0; i < pol.MaxRefusals-1; i++ {
		q = After(q, OutcomeRefused, now, pol)
	}
	if q.Status.Final() || q.Attempts != 0 || !q.NextAttemptAt.Equal(now.Add(pol.RefusedAfter)) {
		t.Fatalf("refusals used the retries: %+v", q)
	}
	if q = After(q, OutcomeRefused, now, pol); q.Status != StatusUnreachable {
		t.Fatalf("endless refusals: %+v", q)
	}
}
