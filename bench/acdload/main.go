// Command acdload measures the ACD end to end: the real `ascolto serve`
// binary, in its own process, with the ARI simulator (this process)
// playing callers and agents' phones over real sockets.
//
//	go run ./bench/acdload -agents 300 -rate 100 -duration 2m
//	go run ./bench/acdload -agents 300 -rate 100 -duration 1m -overload   # arrivals at twice capacity
//
// Every agent's phone answers after -answer and the agent talks for -talk,
// then hangs up; callers walk the default flow in emergency mode (prompts
// of -media) to the information queue. At the end it checks the records
// and prints the figures the ACD issue asks for:
//   - calls placed, answered, lost (placed minus records closed) and
//     double-assigned (a call connected twice, or an agent with two calls
//     at once, from the queue log);
//   - the delay from the event that frees an agent (or brings a call) to
//     that agent's phone being dialled, p50 and p99 (the service's
//     ascolto_acd_ring_delay_seconds);
//   - with -overload: the backlog's peak and drain rate, and how many
//     one-second snapshots showed an agent available while a caller waited.
package main

import (
	"context"
	"encoding/json"
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
	"sync/atomic"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/bench/internal/scrape"
	"github.com/ascolto/ascolto/store"
)

func main() {
	agents := flag.Int("agents", 300, "agents logged in")
	rate := flag.Float64("rate", 100, "new calls per second")
	duration := flag.Duration("duration", 2*time.Minute, "how long calls keep arriving")
	answer := flag.Duration("answer", time.Second, "how long an agent's phone rings before the answer")
	talk := flag.Duration("talk", 1500*time.Millisecond, "how long an agent talks")
	media := flag.Duration("media", 500*time.Millisecond, "duration of each prompt")
	overload := flag.Bool("overload", false, "make agents slow enough that arrivals are twice what they can serve")
	dbURL := flag.String("database-url", "", "PostgreSQL URL (default: embedded SQLite in a temp dir)")
	flag.Parse()
	if *overload {
		// capacity = agents / (answer + talk) = rate / 2
		*talk = time.Duration(float64(*agents)/(*rate/2)*float64(time.Second)) - *answer
	}
	if err := run(*agents, *rate, *duration, *answer, *talk, *media, *overload, *dbURL); err != nil {
		fmt.Fprintln(os.Stderr, "acdload:", err)
		os.Exit(1)
	}
}

func run(nAgents int, rate float64, duration, answer, talk, media time.Duration, overload bool, dbURL string) error {
	dir, err := os.MkdirTemp("", "acdload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "ascolto")
	fmt.Println("building ascolto …")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ascolto").CombinedOutput(); err != nil {
		return fmt.Errorf("build: %v\n%s", err, out)
	}
	dataDir := filepath.Join(dir, "data")
	ctx := context.Background()
	db, err := store.Open(store.Options{URL: dbURL, DataDir: dataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	q, err := db.QueueByName(ctx, "informazioni")
	if err != nil {
		return err
	}
	q.MaxWaitS, q.Overflow, q.WrapupS, q.AnnounceS, q.RingTimeoutS = 0, "", 0, 0, 15
	if err := db.SaveQueue(ctx, &q, "bench"); err != nil {
		return err
	}
	sim := arisim.New(arisim.WithCredentials("ascolto", "bench"), arisim.WithDefaultMediaDuration(media), arisim.WithoutVarsetNoise())
	for i := 0; i < nAgents; i++ {
		ext := strconv.Itoa(1000 + i)
		a := store.Agent{Extension: ext, Endpoint: "PJSIP/" + ext}
		if err := db.SaveAgent(ctx, &a, "bench"); err != nil {
			return err
		}
		if err := db.SetMembership(ctx, "informazioni", ext, store.Member{}, "bench"); err != nil {
			return err
		}
		sim.Endpoint("PJSIP/"+ext, arisim.Answer(answer, arisim.Wait(talk), arisim.HangUp()))
	}
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
		"ASCOLTO_DATA_DIR="+dataDir, fmt.Sprintf("ASCOLTO_HTTP_ADDR=127.0.0.1:%d", port), "ASCOLTO_LOG_LEVEL=warn")
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
	for i := 0; i < nAgents; i++ {
		c := store.ACDCommand{Kind: "login", Agent: strconv.Itoa(1000 + i), Actor: "bench"}
		if err := db.QueueACDCommand(ctx, &c); err != nil {
			return err
		}
	}
	if err := waitFor(30*time.Second, func() bool {
		s, err := snapshot(ctx, db)
		return err == nil && len(s.Queues) > 0 && available(s) == nAgents
	}); err != nil {
		return fmt.Errorf("agents not logged in: %w", err)
	}
	time.Sleep(1500 * time.Millisecond) // the mode poll

	capacity := float64(nAgents) / (answer + talk).Seconds()
	fmt.Printf("%d agents (capacity %.0f calls/s), %.0f calls/s for %s, prompts %s, on %d CPUs …\n",
		nAgents, capacity, rate, duration, media, runtime.NumCPU())
	var placed atomic.Int64
	var calls []*arisim.Call
	stop := make(chan struct{})
	var peakWaiting, idleWhileWaiting, samples atomic.Int64
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
			s, err := snapshot(ctx, db)
			if err != nil || len(s.Queues) == 0 {
				continue
			}
			samples.Add(1)
			w := s.Queues[indexOf(s, "informazioni")].Waiting
			if int64(w) > peakWaiting.Load() {
				peakWaiting.Store(int64(w))
			}
			// "Waiting" counts callers ringing an agent too; an agent is
			// idle while a caller waits only if more callers wait than ring.
			qs := s.Queues[indexOf(s, "informazioni")]
			if qs.Agents.Available > 0 && qs.Waiting > qs.Agents.Ringing {
				idleWhileWaiting.Add(1)
			}
		}
	}()
	start := time.Now()
	interval := time.Duration(float64(time.Second) / rate)
	next := start
	for time.Since(start) < duration {
		n := placed.Add(1)
		calls = append(calls, sim.Call(arisim.CallSpec{From: fmt.Sprintf("+39333%07d", n)},
			arisim.WaitPlaybackStarted("sound:ascolto/menu-emergenza"), arisim.Press("3")))
		next = next.Add(interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
	}
	elapsed := time.Since(start)
	fmt.Printf("placed %d calls in %s (%.1f/s); waiting for the backlog to drain …\n", placed.Load(), elapsed.Round(time.Millisecond), float64(placed.Load())/elapsed.Seconds())
	drainStart := time.Now()
	ended := 0
	deadline := time.Now().Add(duration*2 + 2*time.Minute)
	for _, c := range calls {
		select {
		case <-c.Done():
			ended++
		case <-time.After(time.Until(deadline)):
		}
	}
	drain := time.Since(drainStart)
	close(stop)
	time.Sleep(2 * time.Second)
	m, err := scrape.Metrics(base)
	if err != nil {
		return err
	}
	srv.Process.Signal(os.Interrupt)
	srv.Wait()

	closed, open, err := db.CallCounts(ctx)
	if err != nil {
		return err
	}
	answered, doubleConnect, overlap, err := checkLog(ctx, db)
	if err != nil {
		return err
	}
	p50, p99 := quantile(m, "ascolto_acd_ring_delay_seconds", 0.5), quantile(m, "ascolto_acd_ring_delay_seconds", 0.99)
	fmt.Printf("\n== ascolto acdload, %s, %d CPUs, %s\n", time.Now().Format("2006-01-02"), runtime.NumCPU(), map[bool]string{true: "overload (arrivals twice capacity)", false: "sustained"}[overload])
	fmt.Printf("agents / capacity             %d / %.0f calls/s (answer %s, talk %s)\n", nAgents, capacity, answer, talk)
	fmt.Printf("calls placed                  %d at %.1f/s for %s\n", placed.Load(), float64(placed.Load())/elapsed.Seconds(), elapsed.Round(time.Second))
	fmt.Printf("calls ended / answered        %d / %d\n", ended, answered)
	fmt.Printf("records closed / still open   %d / %d (lost: %d)\n", closed, open, placed.Load()-int64(closed))
	fmt.Printf("double-assigned               %d calls connected twice, %d overlapping calls on one agent\n", doubleConnect, overlap)
	fmt.Printf("agent freed -> phone dialled  p50 %.1f ms, p99 %.1f ms\n", p50*1000, p99*1000)
	fmt.Printf("backlog peak / drain after    %d callers / %s (%.1f calls/s after arrivals stopped)\n", peakWaiting.Load(), drain.Round(time.Second),
		float64(peakWaiting.Load())/math.Max(drain.Seconds(), 1))
	fmt.Printf("snapshots with an idle agent while callers waited: %d of %d\n", idleWhileWaiting.Load(), samples.Load())
	fmt.Printf("simulator events dropped      %d\n", sim.Stats().EventsDropped)
	if open != 0 || int64(closed) != placed.Load() || doubleConnect != 0 || overlap != 0 || answered != int(placed.Load()) {
		return fmt.Errorf("calls lost, unanswered or double-assigned")
	}
	return nil
}

// checkLog reads the queue log: every answered call connected once, no
// agent with two calls at once.
func checkLog(ctx context.Context, db *store.DB) (answered, doubleConnect, overlap int, err error) {
	evs, err := db.QueueEvents(ctx, store.QueueEventFilter{Limit: 10_000_000})
	if err != nil {
		return 0, 0, 0, err
	}
	connects := map[string]int{}
	open := map[string]time.Time{} // agent -> connected since
	for _, e := range evs {
		switch e.Event {
		case store.QConnect:
			connects[e.CallID]++
			if _, busy := open[e.Agent]; busy {
				overlap++
			}
			open[e.Agent] = e.At
		case store.QCompleteCaller, store.QCompleteAgent, store.QTransfer:
			delete(open, e.Agent)
		}
	}
	for _, n := range connects {
		answered++
		if n > 1 {
			doubleConnect++
		}
	}
	return answered, doubleConnect, overlap, nil
}

func snapshot(ctx context.Context, db *store.DB) (ari.LiveSnapshot, error) {
	var s ari.LiveSnapshot
	_, body, err := db.ACDSnapshot(ctx)
	if err != nil {
		return s, err
	}
	err = json.Unmarshal([]byte(body), &s)
	return s, err
}

func indexOf(s ari.LiveSnapshot, q string) int {
	for i, x := range s.Queues {
		if x.Name == q {
			return i
		}
	}
	return 0
}

func available(s ari.LiveSnapshot) int {
	n := 0
	for _, a := range s.Agents {
		if a.State.String() == "available" {
			n++
		}
	}
	return n
}

func waitFor(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("timed out after %s", d)
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
	return waitFor(d, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

func quantile(m map[string]float64, name string, q float64) float64 {
	type bucket struct{ le, n float64 }
	var bs []bucket
	for k, v := range m {
		le, ok := strings.CutPrefix(k, name+`_bucket{le="`)
		if !ok {
			continue
		}
		le = strings.TrimSuffix(le, `"}`)
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
