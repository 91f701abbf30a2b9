package acd

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// loadedCentre builds an engine with the given agents, all on a call, and
// waiting calls behind them: 10 queues over 3 sites with mixed strategies,
// each agent in 3 queues with random penalties and skill levels, calls with
// random priorities, 1% rescue, a quarter needing a skill level.
func loadedCentre(b *testing.B, nAgents, nWaiting int, announce time.Duration) (*Engine, time.Time, [][2]string) {
	b.Helper()
	r := rand.New(rand.NewPCG(42, 42))
	strategies := []Strategy{LongestIdle, RoundRobin, FewestCalls, Random, RingAll}
	sites := []string{"AQ", "RM", "NA"}
	var queues []Queue
	for i := range 10 {
		queues = append(queues, Queue{Name: fmt.Sprintf("q%d", i), Site: sites[i%3], Strategy: strategies[i%5],
			AnnounceEvery: announce, ExpectedHandle: 3 * time.Minute, Callback: CallbackPolicy{Attempts: 2}})
	}
	var agents []Agent
	for i := range nAgents {
		id := fmt.Sprintf("op%03d", i)
		agents = append(agents, Agent{ID: id, Site: sites[i%3]})
		for _, qi := range r.Perm(10)[:3] {
			queues[qi].Members = append(queues[qi].Members, Member{Agent: id, Penalty: r.IntN(3), Level: 2 + r.IntN(4)})
		}
	}
	e, _, err := New(State{At: t0, Queues: queues, Agents: agents}, WithRand(rand.New(rand.NewPCG(1, 1))))
	if err != nil {
		b.Fatal(err)
	}
	now := t0
	var connected [][2]string // (call, agent), oldest first
	var handle func(ev Event)
	handle = func(ev Event) {
		out, err := e.Handle(ev)
		if err != nil {
			b.Fatal(err)
		}
		// Every agent rung answers at once, so the setup ends with everybody on a call.
		for _, d := range out {
			if ring, ok := d.(Ring); ok && e.calls[ring.Call] != nil && e.calls[ring.Call].state == CallRinging {
				handle(Answer{At: now, Call: ring.Call, Agent: ring.Agent})
				connected = append(connected, [2]string{ring.Call, ring.Agent})
			}
		}
	}
	for _, a := range agents {
		handle(Login{At: now, Agent: a.ID})
	}
	for n := 0; len(connected) < nAgents; n++ {
		handle(Arrive{At: now, Call: fmt.Sprintf("busy%d", n), Queue: fmt.Sprintf("q%d", r.IntN(10))})
	}
	// Calls that arrived when their queue had nobody free are still waiting: they hang up.
	for _, id := range sortedKeys(e.calls) {
		if e.calls[id].state == CallWaiting {
			handle(Hangup{At: now, Call: id})
		}
	}
	for i := range nWaiting {
		now = now.Add(5 * time.Millisecond)
		lvl := 0
		if r.IntN(4) == 0 {
			lvl = 1 + r.IntN(4)
		}
		handle(Arrive{At: now, Call: fmt.Sprintf("w%d", i), Queue: fmt.Sprintf("q%d", r.IntN(10)), Priority: r.IntN(3),
			Rescue: r.IntN(100) == 0, MinLevel: lvl})
	}
	if len(e.calls) != nAgents+nWaiting {
		b.Fatalf("setup left %d calls, want %d", len(e.calls), nAgents+nWaiting)
	}
	return e, now, connected
}

// latencies reports the distribution of per-event handling times.
func reportLatencies(b *testing.B, name string, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	pct := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Nanoseconds()) }
	b.ReportMetric(pct(0.50), name+"-p50-ns")
	b.ReportMetric(pct(0.99), name+"-p99-ns")
	b.ReportMetric(float64(d[len(d)-1].Nanoseconds()), name+"-max-ns")
}

// BenchmarkRouteWhenAgentFrees measures the decision the engine makes most
// under load: an agent hangs up and must be given the best of the 10,000
// waiting calls across their queues. Each iteration is one hangup (which
// routes the next call and rings the agent), its answer, and one new arrival,
// with time moving 100 ms so announcements fall due as in real life: with
// announce=1m0s each measured event also announces about 17 positions.
func BenchmarkRouteWhenAgentFrees(b *testing.B) {
	for _, announce := range []time.Duration{time.Minute, 0} {
		b.Run(fmt.Sprintf("announce=%v", announce), func(b *testing.B) { benchAgentFrees(b, announce) })
	}
}

func benchAgentFrees(b *testing.B, announce time.Duration) {
	e, now, connected := loadedCentre(b, 500, 10_000, announce)
	var route, other []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		now = now.Add(100 * time.Millisecond)
		// The agent on the oldest connected call hangs up.
		call, agent := connected[0][0], connected[0][1]
		connected = connected[1:]
		start := time.Now()
		out, err := e.Handle(Hangup{At: now, Call: call, By: ByAgent})
		route = append(route, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		var rung string
		for _, d := range out {
			if r, ok := d.(Ring); ok && r.Agent == agent {
				rung = r.Call
			}
		}
		if rung == "" {
			b.Fatalf("agent %s got no call with %d calls in the engine", agent, len(e.calls))
		}
		start = time.Now()
		if _, err := e.Handle(Answer{At: now, Call: rung, Agent: agent}); err != nil {
			b.Fatal(err)
		}
		other = append(other, time.Since(start))
		connected = append(connected, [2]string{rung, agent})
		// A new caller keeps 10,000 waiting.
		start = time.Now()
		if _, err := e.Handle(Arrive{At: now, Call: fmt.Sprintf("n%d", i), Queue: fmt.Sprintf("q%d", i%10), Priority: i % 3}); err != nil {
			b.Fatal(err)
		}
		other = append(other, time.Since(start))
	}
	b.StopTimer()
	reportLatencies(b, "route", route)
	reportLatencies(b, "answer+arrive", other)
	if w := e.Snapshot(now).Sites; len(w) != 3 {
		b.Fatalf("snapshot has %d sites", len(w))
	}
}

// BenchmarkRouteWhenCallArrives measures the other direction: a call arrives
// and the queue's strategy picks among its available members. 250 of the 500
// agents are free, but the 10,000 waiting calls need a skill level none of
// them has, so the available sets are long and the waitlists full.
func BenchmarkRouteWhenCallArrives(b *testing.B) {
	for _, announce := range []time.Duration{time.Minute, 0} {
		b.Run(fmt.Sprintf("announce=%v", announce), func(b *testing.B) { benchCallArrives(b, announce) })
	}
}

func benchCallArrives(b *testing.B, announce time.Duration) {
	e, now, connected := loadedCentre(b, 500, 0, announce)
	for i := range 10_000 {
		now = now.Add(5 * time.Millisecond)
		if _, err := e.Handle(Arrive{At: now, Call: fmt.Sprintf("w%d", i), Queue: fmt.Sprintf("q%d", i%10), MinLevel: 9}); err != nil {
			b.Fatal(err)
		}
	}
	// Free half of the agents: they find nothing they can take.
	for _, c := range connected[:250] {
		if _, err := e.Handle(Hangup{At: now, Call: c[0], By: ByAgent}); err != nil {
			b.Fatal(err)
		}
	}
	var route []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		now = now.Add(100 * time.Millisecond)
		call := fmt.Sprintf("n%d", i)
		start := time.Now()
		out, err := e.Handle(Arrive{At: now, Call: call, Queue: fmt.Sprintf("q%d", i%10), Priority: i % 3})
		route = append(route, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		var agent string
		for _, d := range out {
			if r, ok := d.(Ring); ok && r.Call == call {
				agent = r.Agent
			}
		}
		if agent == "" {
			q := e.queues[fmt.Sprintf("q%d", i%10)]
			b.Fatalf("arrival %s rang nobody: %d avail, staffed %d, counts %v; %s", call, len(q.avail), q.staffed, q.counts, describe(out))
		}
		// The call is abandoned at once, so the same agents stay free for the next one.
		if _, err := e.Handle(Hangup{At: now, Call: call}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportLatencies(b, "route", route)
}

// BenchmarkSnapshot measures the live picture the console and the metrics
// read, with 500 agents and 10,000 waiting calls.
func BenchmarkSnapshot(b *testing.B) {
	e, now, _ := loadedCentre(b, 500, 10_000, time.Minute)
	var s Snapshot
	for b.Loop() {
		s = e.Snapshot(now)
	}
	waiting := 0
	for _, q := range s.Queues {
		waiting += q.Waiting
	}
	if waiting != 10_000 {
		b.Fatalf("snapshot counts %d waiting, want 10000", waiting)
	}
}
