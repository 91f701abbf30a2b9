package clock

import (
	"testing"
	"time"
)

func TestFakeFiresInDeadlineOrder(t *testing.T) {
	start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	f := NewFake(start)
	var got []string
	var seen []time.Time
	f.AfterFunc(3*time.Second, func() { got = append(got, "c"); seen = append(seen, f.Now()) })
	f.AfterFunc(1*time.Second, func() { got = append(got, "a"); seen = append(seen, f.Now()) })
	stopped := f.AfterFunc(2*time.Second, func() { got = append(got, "x") })
	f.AfterFunc(2*time.Second, func() { got = append(got, "b"); seen = append(seen, f.Now()) })
	if !stopped.Stop() {
		t.Fatal("Stop on an active timer reported inactive")
	}
	f.Advance(2500 * time.Millisecond)
	if want := "ab"; join(got) != want {
		t.Fatalf("after 2.5s fired %q, want %q", join(got), want)
	}
	if !seen[1].Equal(start.Add(2 * time.Second)) {
		t.Fatalf("timer saw now=%v, want its deadline", seen[1])
	}
	if !f.Now().Equal(start.Add(2500 * time.Millisecond)) {
		t.Fatalf("now = %v", f.Now())
	}
	f.Advance(time.Second)
	if join(got) != "abc" || f.Pending() != 0 {
		t.Fatalf("fired %q, pending %d", join(got), f.Pending())
	}
}

func TestFakeTimerChannelAndReset(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	tm := f.NewTimer(time.Second)
	f.Advance(500 * time.Millisecond)
	tm.Reset(time.Second)
	f.Advance(700 * time.Millisecond)
	select {
	case <-tm.C():
		t.Fatal("reset timer fired early")
	default:
	}
	f.Advance(300 * time.Millisecond)
	select {
	case v := <-tm.C():
		if !v.Equal(time.Unix(1, 500_000_000)) {
			t.Fatalf("fired at %v", v)
		}
	default:
		t.Fatal("timer did not fire")
	}
}

func TestScaledRunsFaster(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := Scaled(start, 1000)
	done := make(chan struct{})
	c.AfterFunc(time.Second, func() { close(done) }) // 1 ms of wall time
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("scaled timer did not fire within its wall-clock share")
	}
	if c.Now().Sub(start) < time.Second {
		t.Fatalf("scaled clock advanced only %v", c.Now().Sub(start))
	}
}

func join(s []string) string {
	out := ""
	for _, x := range s {
		out += x
	}
	return out
}
