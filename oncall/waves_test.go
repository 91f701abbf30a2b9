package oncall

import (
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/clock"
)

// TestWavesOnTimeWithTheController runs the runner, the real controller
// and the simulator all on one fake clock that the test moves by half a
// second at a time: the primary wave's person keeps not answering (and is
// retried RetryAfter after each ring-out), and the reserve is called when
// the primary wave's two minutes are over — not before.
func TestWavesOnTimeWithTheController(t *testing.T) {
	clk := clock.NewFake(saturday15)
	r := newRig(t, clk)
	r.sim.Remote("+393400000001", arisim.NoAnswer())
	r.sim.Remote("+393400000002", arisim.NoAnswer())
	s := r.service(Options{Poll: 500 * time.Millisecond})
	r.importRoster(`quorum: 1
retries: 5
retry_after: 1m
ring: 20s
waves: [{name: primary, wait: 2m}, {name: reserve, wait: 5m}]
people:
  - {id: anna, name: Anna, phone: "+393400000001", role: operator, wave: primary}
  - {id: bruno, name: Bruno, phone: "+393400000002", role: operator, wave: reserve}
`)
	r.run()
	a, err := s.Open(bg, OpenRequest{Event: "Sisma", RequestedBy: "DPC", Reason: "prova", By: "t"})
	if err != nil {
		t.Fatal(err)
	}
	open := a.OpenedAt
	const step = 500 * time.Millisecond
	pump := func(until time.Time) {
		for clk.Now().Before(until) {
			clk.Advance(step)
			time.Sleep(10 * time.Millisecond)
		}
	}
	pump(open.Add(2*time.Minute - time.Second))
	atts := r.attempts(a.ID)
	if len(atts["bruno"]) != 0 {
		t.Fatalf("the reserve was called %s after the open", atts["bruno"][0].StartedAt.Sub(open))
	}
	// Anna: rang out at 20 s, called again 1 min later.
	if len(atts["anna"]) != 2 || atts["anna"][0].Result != "no-answer" {
		t.Fatalf("anna's calls %+v", atts["anna"])
	}
	if gap := atts["anna"][1].StartedAt.Sub(atts["anna"][0].EndedAt); gap < time.Minute || gap > time.Minute+6*step {
		t.Fatalf("anna retried %s after the ring-out, want 1m", gap)
	}
	// Past the wave's two minutes by two steps, the clock stops while the
	// runner acts (it runs in real time: under load it may lag the test's
	// pumping, and a clock still moving would make it look late).
	pump(open.Add(2*time.Minute + 2*step))
	r.eventually("the reserve called", func() bool { return len(r.attempts(a.ID)["bruno"]) == 1 })
	started := r.attempts(a.ID)["bruno"][0].StartedAt.Sub(open)
	if started < 2*time.Minute || started > 2*time.Minute+3*step {
		t.Fatalf("the reserve was called %s after the open, want 2m", started)
	}
	waves, _ := r.db.ActivationWaves(bg, a.ID)
	if d := waves[1].StartedAt.Sub(open); d < 2*time.Minute || d > 2*time.Minute+3*step {
		t.Fatalf("the reserve wave started %s after the open", d)
	}
}
