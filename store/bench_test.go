package store_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// BenchmarkCallInsert measures committed call-record inserts with 16
// concurrent writers (each insert is durable before InsertCall returns).
// Figure to meet: 3,000/s on each engine.
func BenchmarkCallInsert(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			db := e.Open(b, nil)
			var seq atomic.Int64
			const writers = 16
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			per := (b.N + writers - 1) / writers
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < per; i++ {
						n := seq.Add(1)
						c := &store.Call{ChannelID: fmt.Sprintf("bench-%d", n), Caller: "+390862123456", Called: "800840840"}
						if err := db.InsertCall(ctx, c); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(seq.Load())/time.Since(start).Seconds(), "inserts/s")
		})
	}
}

// BenchmarkLookups measures the case lookup an operator's screen waits on,
// by tracking id among 20,000 cases. Figure to meet: p99 under 1 ms. (The
// comune type-ahead is served from memory: geo.BenchmarkIndexSearch.)
func BenchmarkLookups(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			db := e.Open(b, nil)
			ds, err := geo.Snapshot()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := db.ImportGeo(ctx, ds, "bench"); err != nil {
				b.Fatal(err)
			}
			const cases = 20000
			ids := make([]string, 0, cases)
			for i := 0; i < cases; i += 500 {
				err := db.InTx(ctx, func(tx *store.Tx) error {
					for j := 0; j < 500; j++ {
						c := store.Case{Channel: store.ChannelPhone, ComuneCode: ds.Comuni[(i+j)%len(ds.Comuni)].Code}
						if err := tx.CreateCase(ctx, &c); err != nil {
							return err
						}
						ids = append(ids, c.TrackingID)
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.Run("case-by-tracking-id", func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					if _, err := db.CaseByTrackingID(ctx, ids[(i*7919)%len(ids)]); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				reportPercentiles(b, lat)
			})
		})
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// BenchmarkCallLifecycle measures the store's share of one connected
// call's CPU, the writes the controller makes for a caller queued at once
// and answered by an agent (record, IVR path, queued, queue log, connect
// and final accounting, close), from 32 calls at once as under load. It
// reports the process's CPU time per call (getrusage), which is what the
// phone benchmark's "CPU per connected call" adds up.
func BenchmarkCallLifecycle(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) {
			db := e.Open(b, nil)
			var seq atomic.Int64
			const calls = 32
			var wg sync.WaitGroup
			per := (b.N + calls - 1) / calls
			cpu0 := cpuTime()
			b.ResetTimer()
			for w := 0; w < calls; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < per; i++ {
						if err := callLifecycle(db, fmt.Sprintf("bench-%d", seq.Add(1))); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(seq.Load()), "cpu-µs/call")
		})
	}
}

// BenchmarkPacedCalls is BenchmarkCallLifecycle as the phone benchmark
// loads the store: calls arrive at 75 a second and each one's writes come
// apart in time (the caller answered, queued, connected, hung up), so few
// writes are waiting whenever a commit starts. Each op is one call; the CPU
// per call is the process's, as the phone benchmark counts it.
func BenchmarkPacedCalls(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) { pacedCalls(b, e, 75, ctx) })
		// As the controller writes a call's record and the queue log:
		// lazily (store.Lazy), at the rate of the phone benchmark's
		// comparison with app_queue.
		b.Run(e.Name+"/lazy", func(b *testing.B) { pacedCalls(b, e, 25, store.Lazy(ctx)) })
	}
}

func pacedCalls(b *testing.B, e storetest.Engine, rate int, ctx context.Context) {
	db := e.Open(b, nil)
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			if err := pacedLifecycle(ctx, db, id); err != nil {
				b.Error(err)
			}
		}(fmt.Sprintf("paced-%d", i))
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/call")
}

// pacedLifecycle makes callLifecycle's writes with the gaps of a call
// queued at once and answered: 20 ms between them, 300 ms of ringing and
// 2 s of talk.
func pacedLifecycle(ctx context.Context, db *store.DB, id string) error {
	now := time.Now()
	c := &store.Call{ChannelID: id, Caller: "+390862123456", Called: "800840840", ArrivedAt: now, AnsweredAt: now}
	gap := func(d time.Duration) { time.Sleep(d) }
	if err := db.InsertCall(ctx, c); err != nil {
		return err
	}
	path, digits, lang, urg, queue := "coda", "", "it", "none", "informazioni"
	gap(20 * time.Millisecond)
	if err := db.UpdateCall(ctx, id, store.CallUpdate{IVRPath: &path, Digits: &digits, Lang: &lang, Urgency: &urg, QueuedAt: &now, Queue: &queue}); err != nil {
		return err
	}
	if err := db.AppendQueueEvents(ctx, store.QueueEvent{At: now, CallID: id, Queue: queue, Event: "ENTERQUEUE"}); err != nil {
		return err
	}
	gap(300 * time.Millisecond)
	if err := db.AppendQueueEvents(ctx, store.QueueEvent{At: now, CallID: id, Queue: queue, Agent: "2001", Event: "CONNECT", Data: [5]string{"0", "1"}}); err != nil {
		return err
	}
	if err := db.SetCallACDs(ctx, []store.CallACDUpdate{{ChannelID: id, CallACD: store.CallACD{Queue: queue, Agent: "2001", ConnectedAt: now, RingS: 1}}}); err != nil {
		return err
	}
	gap(2 * time.Second)
	if err := db.AppendQueueEvents(ctx, store.QueueEvent{At: now, CallID: id, Queue: queue, Agent: "2001", Event: "COMPLETEAGENT", Data: [5]string{"0", "2"}}); err != nil {
		return err
	}
	if err := db.SetCallACDs(ctx, []store.CallACDUpdate{{ChannelID: id, CallACD: store.CallACD{Queue: queue, Agent: "2001", RingS: 1, TalkS: 2}}}); err != nil {
		return err
	}
	gap(20 * time.Millisecond)
	return db.CloseCall(ctx, id, store.CallEnd{Outcome: "answered", HangupCause: 16, HangupBy: "agent"})
}

func callLifecycle(db *store.DB, id string) error {
	now := time.Now()
	c := &store.Call{ChannelID: id, Caller: "+390862123456", Called: "800840840", ArrivedAt: now, AnsweredAt: now}
	if err := db.InsertCall(ctx, c); err != nil {
		return err
	}
	path, digits, lang, urg, queue := "coda", "", "it", "none", "informazioni"
	if err := db.UpdateCall(ctx, id, store.CallUpdate{IVRPath: &path, Digits: &digits, Lang: &lang, Urgency: &urg}); err != nil {
		return err
	}
	if err := db.UpdateCall(ctx, id, store.CallUpdate{QueuedAt: &now, Queue: &queue}); err != nil {
		return err
	}
	if err := db.AppendQueueEvents(ctx, store.QueueEvent{At: now, CallID: id, Queue: queue, Event: "ENTERQUEUE"}); err != nil {
		return err
	}
	if err := db.AppendQueueEvents(ctx, store.QueueEvent{At: now, CallID: id, Queue: queue, Agent: "2001", Event: "CONNECT", Data: [5]string{"0", "1"}}); err != nil {
		return err
	}
	if err := db.SetCallACDs(ctx, []store.CallACDUpdate{{ChannelID: id, CallACD: store.CallACD{Queue: queue, Agent: "2001", ConnectedAt: now, RingS: 1}}}); err != nil {
		return err
	}
	if err := db.AppendQueueEvents(ctx, store.QueueEvent{At: now, CallID: id, Queue: queue, Agent: "2001", Event: "COMPLETEAGENT", Data: [5]string{"0", "2"}}); err != nil {
		return err
	}
	if err := db.SetCallACDs(ctx, []store.CallACDUpdate{{ChannelID: id, CallACD: store.CallACD{Queue: queue, Agent: "2001", RingS: 1, TalkS: 2}}}); err != nil {
		return err
	}
	return db.CloseCall(ctx, id, store.CallEnd{Outcome: "answered", HangupCause: 16, HangupBy: "agent"})
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
