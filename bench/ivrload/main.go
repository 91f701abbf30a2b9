// Command ivrload measures the phone core under load, the way it runs in
// production: the real `ascolto serve` binary, in its own process, driving
// the ARI simulator (this process) over real sockets, on one machine.
//
//	go run ./bench/ivrload -rate 200 -duration 60s -hold 20s
//
// Callers arrive at -rate per second for -duration; each walks the default
// flow in emergency mode (greeting, emergency notice, menu, key 3, queue)
// and then waits on hold for -hold before hanging up, so the number of
// calls in flows at once climbs to about rate × (flow time + hold). At the
// end it prints the figures the ARI/IVR issue asks for, read from the
// service's own /metrics and from the call records:
//   - new calls per second sustained, and calls in flows at once (peak);
//   - IVR step latency (ARI event in → ARI command out), p50 and p99;
//   - controller memory per call in flight (heap in use at the peak minus
//     before, divided by the calls in flight);
//   - calls lost: placed minus records closed, and records closed twice.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/bench/internal/scrape"
	"github.com/ascolto/ascolto/store"
)

func main() {
	rate := flag.Float64("rate", 200, "new calls per second")
	duration := flag.Duration("duration", 60*time.Second, "how long calls keep arriving")
	hold := flag.Duration("hold", 20*time.Second, "how long each caller waits on hold in the queue before hanging up")
	media := flag.Duration("media", 2*time.Second, "duration of each prompt")
	dbURL := flag.String("database-url", "", "PostgreSQL URL (default: embedded SQLite in a temp dir)")
	bin := flag.String("binary", "", "ascolto binary (default: build ./cmd/ascolto)")
	flag.Parse()
	if err := run(*rate, *duration, *hold, *media, *dbURL, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "ivrload:", err)
		os.Exit(1)
	}
}

func run(rate float64, duration, hold, media time.Duration, dbURL, bin string) error {
	dir, err := os.MkdirTemp("", "ivrload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if bin == "" {
		bin = filepath.Join(dir, "ascolto")
		fmt.Println("building ascolto …")
		if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ascolto").CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v\n%s", err, out)
		}
	}
	sim := arisim.New(arisim.WithCredentials("ascolto", "bench"), arisim.WithDefaultMediaDuration(media), arisim.WithoutVarsetNoise())
	simURL, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer sim.Close()

	port, err := freePort()
	if err != nil {
		return err
	}
	env := append(os.Environ(), "ASCOLTO_ARI_URL="+simURL, "ASCOLTO_ARI_USER=ascolto", "ASCOLTO_ARI_PASSWORD=bench",
		"ASCOLTO_DATA_DIR="+filepath.Join(dir, "data"), fmt.Sprintf("ASCOLTO_HTTP_ADDR=127.0.0.1:%d", port), "ASCOLTO_LOG_LEVEL=warn")
	if dbURL != "" {
		env = append(env, "ASCOLTO_DATABASE_URL="+dbURL)
	}
	if out, err := command(bin, env, "mode", "set", "emergency", "--reason", "benchmark").CombinedOutput(); err != nil {
		return fmt.Errorf("mode set: %v\n%s", err, out)
	}
	srv := command(bin, env, "serve")
	srv.Stdout, srv.Stderr = os.Stderr, os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { srv.Process.Signal(os.Interrupt); srv.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitReady(base, 30*time.Second); err != nil {
		return err
	}
	time.Sleep(1500 * time.Millisecond) // the mode poll
	m0, err := scrape.Metrics(base)
	if err != nil {
		return err
	}

	fmt.Printf("placing %.0f calls/s for %s (hold %s, prompts %s) on %d CPUs …\n", rate, duration, hold, media, runtime.NumCPU())
	var placed atomic.Int64
	var calls []*arisim.Call
	var mu sync.Mutex
	stop := make(chan struct{})
	var peak atomic.Int64
	var peakHeap atomic.Int64
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				m, err := scrape.Metrics(base)
				if err != nil {
					continue
				}
				if a := int64(m["ascolto_calls_active"]); a > peak.Load() {
					peak.Store(a)
					peakHeap.Store(int64(m["go_memstats_heap_inuse_bytes"]))
				}
			}
		}
	}()
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	next := start
	for time.Since(start) < duration {
		n := placed.Add(1)
		c := sim.Call(arisim.CallSpec{From: fmt.Sprintf("+39333%07d", n)},
			arisim.WaitPlaybackStarted("sound:ascolto/menu-emergenza"), arisim.Press("3"),
			arisim.WaitUntil("on hold", func(r arisim.CallReport) bool {
				for _, h := range r.Heard {
					if h.URI == "moh:default" {
						return true
					}
				}
				return false
			}),
			arisim.Wait(hold), arisim.HangUp())
		mu.Lock()
		calls = append(calls, c)
		mu.Unlock()
		next = next.Add(interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
	}
	elapsed := time.Since(start)
	fmt.Printf("placed %d calls in %s (%.1f/s); waiting for them to end …\n", placed.Load(), elapsed.Round(time.Millisecond), float64(placed.Load())/elapsed.Seconds())
	deadline := time.Now().Add(hold + 2*time.Minute)
	ended, queued := 0, 0
	for _, c := range calls {
		select {
		case <-c.Done():
			ended++
		case <-time.After(time.Until(deadline)):
		}
		if rep := c.Report(); rep.Pressed == "3" {
			queued++
		}
	}
	close(stop)
	time.Sleep(2 * time.Second) // last records
	m1, err := scrape.Metrics(base)
	if err != nil {
		return err
	}
	st := sim.Stats()
	p50, p99 := quantile(m1, "ascolto_ivr_step_seconds", 0.5), quantile(m1, "ascolto_ivr_step_seconds", 0.99)
	heap0 := m0["go_memstats_heap_inuse_bytes"]
	perCall := (float64(peakHeap.Load()) - heap0) / float64(max(peak.Load(), 1))

	srv.Process.Signal(os.Interrupt)
	srv.Wait()
	closed, open, err := countRecords(dbURL, filepath.Join(dir, "data", "ascolto.db"))
	if err != nil {
		return err
	}
	fmt.Printf("\n== ascolto ivrload, %s, %d CPUs\n", time.Now().Format("2006-01-02"), runtime.NumCPU())
	fmt.Printf("calls placed                 %d at %.1f/s (target %.0f/s)\n", placed.Load(), float64(placed.Load())/elapsed.Seconds(), rate)
	fmt.Printf("calls ended / reached queue  %d / %d\n", ended, queued)
	fmt.Printf("calls in flows at once, peak %d\n", peak.Load())
	fmt.Printf("IVR step latency             p50 %.2f ms, p99 %.2f ms (event in -> ARI command out)\n", p50*1000, p99*1000)
	fmt.Printf("controller heap per call     %.1f KiB (heap in use %.1f MiB at the peak, %.1f MiB before)\n", perCall/1024, float64(peakHeap.Load())/(1<<20), heap0/(1<<20))
	fmt.Printf("records closed / still open  %d / %d (lost: %d)\n", closed, open, placed.Load()-int64(closed))
	skipped := map[string]float64{}
	for k, v := range m1 {
		if r, ok := strings.CutPrefix(k, `ascolto_ari_events_skipped_total{reason="`); ok {
			skipped[strings.TrimSuffix(r, `"}`)] = v
		}
	}
	fmt.Printf("ARI events skipped           %v (orphan: events after a call ended, e.g. StasisEnd after the hang-up)\n", skipped)
	fmt.Printf("simulator events dropped     %d; REST statuses %v\n", st.EventsDropped, st.Requests)
	fmt.Printf("call errors                  %v\n", m1["ascolto_call_errors_total"])
	if open != 0 || int64(closed) != placed.Load() || st.EventsDropped != 0 {
		return fmt.Errorf("calls lost or records left open")
	}
	return nil
}

func command(bin string, env []string, args ...string) *exec.Cmd {
	c := exec.Command(bin, args...)
	c.Env = env
	return c
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(base string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("ascolto not ready after %s", d)
}

// quantile estimates a quantile from a histogram's buckets by linear
// interpolation inside the bucket that holds it.
func quantile(m map[string]float64, name string, q float64) float64 {
	type bucket struct{ le, n float64 }
	var bs []bucket
	for k, v := range m {
		if !strings.HasPrefix(k, name+"_bucket{le=\"") {
			continue
		}
		le := strings.TrimSuffix(strings.TrimPrefix(k, name+"_bucket{le=\""), "\"}")
		f, err := strconv.ParseFloat(le, 64)
		if le == "+Inf" {
			f = math.Inf(1)
		} else if err != nil {
			continue
		}
		bs = append(bs, bucket{f, v})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return 0
	}
	target := q * bs[len(bs)-1].n
	prevLE, prevN := 0.0, 0.0
	for _, b := range bs {
		if b.n >= target {
			if math.IsInf(b.le, 1) {
				return prevLE
			}
			return prevLE + (b.le-prevLE)*(target-prevN)/math.Max(b.n-prevN, 1)
		}
		prevLE, prevN = b.le, b.n
	}
	return prevLE
}

// countRecords counts closed and open call records after the run.
func countRecords(dbURL, sqlitePath string) (closed, open int, err error) {
	db, err := store.Open(store.Options{URL: dbURL, SQLitePath: sqlitePath})
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	return db.CallCounts(context.Background())
}
