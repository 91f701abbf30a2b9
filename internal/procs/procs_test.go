package procs

import (
	"context"
	"runtime"
	"testing"
)

// The governor starts with every core, goes to one thread only after a
// sustained low load, and back to every core at the first busy period.
func TestGovernorFollowsTheLoad(t *testing.T) {
	g := New(4)
	steps := []struct {
		cores float64
		want  int
	}{
		{0.1, 4}, {0.1, 4}, {0.1, 4}, {0.1, 4}, {0.1, 4}, {0.1, 4}, {0.1, 4}, {0.1, 4}, {0.1, 4},
		{0.1, 1}, // the tenth low period in a row
		{0.5, 1}, // between the marks: no change
		{0.7, 4}, // busy: every core at once
		{0.2, 4}, {0.2, 4}, {0.2, 4}, {0.2, 4}, {0.2, 4},
		{0.4, 4}, // a middling period restarts the count
		{0.2, 4}, {0.2, 4}, {0.2, 4}, {0.2, 4}, {0.2, 4}, {0.2, 4}, {0.2, 4}, {0.2, 4}, {0.2, 4},
		{0.2, 1},
	}
	for i, s := range steps {
		if got := g.Next(s.cores); got != s.want {
			t.Fatalf("period %d (%.1f cores): %d threads, want %d", i+1, s.cores, got, s.want)
		}
	}
	one := New(1)
	if got := one.Next(2); got != 1 {
		t.Fatalf("one core: %d threads", got)
	}
}

// Run leaves GOMAXPROCS alone when the operator set it, and gives the
// cores back when it stops.
func TestRunRespectsTheOperator(t *testing.T) {
	t.Setenv("GOMAXPROCS", "3")
	before := runtime.GOMAXPROCS(0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	Run(ctx, func(int) { t.Error("changed GOMAXPROCS the operator set") })
	if runtime.GOMAXPROCS(0) != before {
		t.Fatal("GOMAXPROCS changed")
	}
}
