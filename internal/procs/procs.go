// Package procs sizes the Go scheduler to the controller's load.
//
// ascolto shares its host with Asterisk, whose media threads are what a
// phone load needs most. With one scheduler thread per core (Go's
// default), a lightly loaded controller wakes an idle thread for nearly
// every event it handles, and the woken thread spins looking for work
// before it sleeps again: on the real Asterisk at 25 calls/s that spinning
// was a fifth of the controller's CPU, taken from Asterisk's cores (see
// BENCHMARKS.md). The Governor runs the scheduler on one thread while the
// process uses less than one core, and gives it every core as soon as it
// needs more (a surge of calls, a report), then takes them back once the
// load has been low for a while.
package procs

import (
	"context"
	"os"
	"runtime"
	"syscall"
	"time"
)

// Governor decides how many scheduler threads (GOMAXPROCS) to run from
// the CPU time the process used in the last periods.
type Governor struct {
	Max      int           // the most threads: the cores the process may use
	Every    time.Duration // how often the load is read
	RaiseAt  float64       // cores used over one period that bring Max threads
	LowerAt  float64       // cores used over LowerFor below which one thread is enough
	LowerFor int           // periods of low load before going back to one thread

	n   int
	low int
}

// New returns a governor for a process that may use max cores.
func New(max int) *Governor {
	return &Governor{Max: max, Every: time.Second, RaiseAt: 0.6, LowerAt: 0.3, LowerFor: 10, n: max}
}

// Next is the number of threads to run after a period in which the
// process used cores (CPU seconds per second).
func (g *Governor) Next(cores float64) int {
	if g.n == 0 {
		g.n = g.Max
	}
	switch {
	case g.Max <= 1:
		g.n = 1
	case cores >= g.RaiseAt:
		g.n, g.low = g.Max, 0
	case cores < g.LowerAt:
		if g.low++; g.low >= g.LowerFor {
			g.n = 1
		}
	default:
		g.low = 0
	}
	return g.n
}

// Run governs GOMAXPROCS until ctx ends, then gives back the cores Go
// would use by default. It does nothing when GOMAXPROCS is set in the
// environment (the operator decided) or there is one core.
func Run(ctx context.Context, onChange func(threads int)) {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	max := runtime.GOMAXPROCS(0)
	if max <= 1 {
		return
	}
	defer runtime.GOMAXPROCS(max)
	g := New(max)
	t := time.NewTicker(g.Every)
	defer t.Stop()
	last, lastAt := cpuTime(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, at := cpuTime(), time.Now()
		cores := float64(now-last) / float64(at.Sub(lastAt))
		last, lastAt = now, at
		if n := g.Next(cores); n != runtime.GOMAXPROCS(0) {
			runtime.GOMAXPROCS(n)
			if onChange != nil {
				onChange(n)
			}
		}
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
