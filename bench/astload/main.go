// Command astload measures ascolto's queues against Asterisk's own
// app_queue on the same real Asterisk, the same callers and the same agents.
//
// For each system and each rate it starts a fresh Asterisk from the
// project's asterisk-conf/ (internal/asttest), 200 desk phones played by
// one SIPp (ring 300 ms, talk 2 s, then the agent hangs up), and a SIPp
// stream of callers who wait for the agent's hang-up. app_queue runs
// Queue() from a dialplan extension beside Stasis (queues.conf written
// here: leastrecent, no wrap-up, ringinuse=no); ascolto runs `ascolto
// serve` with a flow that queues at once (no prompts), the same queue
// settings, and the same 200 seats logged in.
//
// It reports, per system and rate: calls connected and failed, the time
// from the caller's INVITE to the agent's answer (the INVITE→BYE time less
// the agent's fixed talk), CPU per connected call (Asterisk, and the
// controller for ascolto), and for ascolto the dispatch delay and ARI
// events per call from its /metrics.
//
//	ASCOLTO_TEST_ASTERISK=/opt/asterisk-20.20.1 go run ./bench/astload -rates 10,25,50,75 -seconds 30
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ascolto/ascolto/bench/internal/scrape"
	"github.com/ascolto/ascolto/internal/asttest"
)

func main() {
	rates := flag.String("rates", "10,25,50,75", "new calls a second, comma-separated")
	seconds := flag.Int("seconds", 30, "how long each rate's callers keep arriving")
	agents := flag.Int("agents", 200, "agents (desk phones)")
	talk := flag.Duration("talk", 2*time.Second, "each call's talk time")
	ring := flag.Duration("ring", 300*time.Millisecond, "each phone's ring before answering")
	systems := flag.String("systems", "app_queue,ascolto", "what to measure")
	dbURL := flag.String("database-url", "", "PostgreSQL for ascolto (empty: SQLite)")
	scenario := flag.String("scenario", "queue", "queue: callers straight to agents, app_queue against ascolto; ivr: callers through the default emergency flow to a queue nobody answers (ascolto only)")
	hold := flag.Duration("hold", 10*time.Second, "ivr: how long each caller waits in the queue before hanging up")
	flag.StringVar(&profDir, "pprof", "", "write a CPU profile of ascolto (the middle of each run's arrivals) into this folder")
	flag.StringVar(&keepDir, "keep", "", "copy each run's SIPp error log and Asterisk's full.log into this folder")
	repeat := flag.Int("repeat", 1, "measure each rate this many times, the systems taking turns, and print the median ratio of ascolto's CPU per call to app_queue's (one pair says little on a machine whose speed drifts 10 % between runs)")
	prebuilt := flag.String("ascolto", "", "an ascolto binary to measure instead of building ./cmd/ascolto (e.g. an older commit's, to bisect)")
	flag.Parse()
	if os.Getenv(asttest.EnvPrefix) == "" {
		fmt.Fprintf(os.Stderr, "astload: set %s to a real Asterisk's install prefix\n", asttest.EnvPrefix)
		os.Exit(2)
	}
	bin := *prebuilt
	if bin == "" {
		b, err := buildAscolto()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer os.RemoveAll(filepath.Dir(b))
		bin = b
	} else if _, err := os.Stat(bin); err != nil {
		fmt.Fprintln(os.Stderr, "astload:", err)
		os.Exit(2)
	}
	host, _ := os.Hostname()
	if *scenario == "ivr" {
		fmt.Printf("# astload -scenario ivr %s on %s, %d cores; Asterisk at %s; key 3 at %s, then %s in the queue; %d s per rate\n",
			time.Now().UTC().Format("2006-01-02 15:04"), host, nproc(), os.Getenv(asttest.EnvPrefix), ivrKeyTime, *hold, *seconds)
		fmt.Println(ivrHeader)
		for _, rate := range parseRates(*rates) {
			r := &runner{name: fmt.Sprintf("ivr-%g", rate)}
			var res ivrResult
			if out := r.run(func() result { res = measureIVR(r, bin, *dbURL, rate, *seconds, *hold); return result{} }); out.err != nil {
				res.err = out.err
			}
			fmt.Println(res.row(rate))
		}
		return
	}
	fmt.Printf("# astload %s on %s, %d cores; Asterisk at %s; %d agents, ring %s, talk %s, %d s per rate\n",
		time.Now().UTC().Format("2006-01-02 15:04"), host, nproc(), os.Getenv(asttest.EnvPrefix), *agents, *ring, *talk, *seconds)
	fmt.Println("| system | calls/s | calls | connected | failed | INVITE→agent answer p50 / p99 | CPU per call (Asterisk + controller) | dispatch p50 / p99 | ARI events / REST requests per call | most waiting | agents idle while callers wait (mean) | samples with an agent on two channels (of them, held ≥ 0.5 s) |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|")
	var summary []string
	for _, rate := range parseRates(*rates) {
		var ratios []float64
		for range max(*repeat, 1) {
			cpu := map[string]time.Duration{}
			for _, sys := range strings.Split(*systems, ",") {
				r := &runner{name: fmt.Sprintf("%s-%g", sys, rate)}
				res := r.run(func() result {
					return measure(r, sys, bin, *dbURL, rate, *seconds, *agents, *ring, *talk)
				})
				fmt.Println(res.row(sys, rate))
				if res.err == nil && res.failed == 0 {
					cpu[sys] = res.cpuAst + res.cpuCtl + res.cpuDB
				}
				if len(res.restByOp) > 0 {
					fmt.Fprintf(os.Stderr, "%s REST requests per call by operation: %v\n", r.name, res.restByOp)
					fmt.Fprintf(os.Stderr, "%s ARI events per call by type: %v\n", r.name, res.eventsByType)
					fmt.Fprintf(os.Stderr, "%s scheduler threads before and after the load: %v\n", r.name, res.threads)
				}
			}
			if cpu["app_queue"] > 0 && cpu["ascolto"] > 0 {
				ratios = append(ratios, float64(cpu["ascolto"])/float64(cpu["app_queue"]))
			}
		}
		if *repeat > 1 && len(ratios) > 0 {
			summary = append(summary, fmt.Sprintf("%g calls/s: %s", rate, ratioSummary(ratios)))
		}
	}
	for _, l := range summary {
		fmt.Println("ascolto's CPU per call against app_queue's at", l)
	}
}

// ratioSummary describes the ratios of paired runs: median, range, count.
func ratioSummary(ratios []float64) string {
	s := slices.Clone(ratios)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf("median %.2f× (%.2f–%.2f× over %d pairs of runs without failures)", med, s[0], s[len(s)-1], len(s))
}

func parseRates(s string) []float64 {
	var out []float64
	for _, rs := range strings.Split(s, ",") {
		rate, err := strconv.ParseFloat(strings.TrimSpace(rs), 64)
		if err != nil || rate <= 0 {
			fmt.Fprintf(os.Stderr, "astload: bad rate %q\n", rs)
			os.Exit(2)
		}
		out = append(out, rate)
	}
	return out
}

type result struct {
	calls, ok, failed int
	p50, p99          time.Duration
	cpuAst, cpuCtl    time.Duration // per connected call
	cpuDB             time.Duration // PostgreSQL's processes, when ascolto uses it
	disp50, disp99    string
	events            float64
	rest              float64            // ARI REST requests per connected call
	restByOp          map[string]float64 // the same, by operation
	eventsByType      map[string]float64 // ARI events per connected call, by type
	threads           [2]float64         // the controller's scheduler threads before and after the load
	smp               samples
	err               error
}

// samples is what Asterisk's channel list showed twice a second during a
// run: callers waiting while agents sat idle, and agents with two calls.
type samples struct {
	n           int     // samples taken
	idleWaiting float64 // mean of min(callers waiting, agents idle) over samples with callers waiting
	maxWaiting  int     // most callers waiting at once
	busyOffered int     // samples in which an agent's phone had two channels
	// busyHeld counts samples in which an agent's phone had two channels
	// that were both there in the sample before too (half a second on): a
	// second call offered to a busy agent, not a new leg ringing while the
	// last one is torn down.
	busyHeld     int
	waitingCount int // samples with callers waiting
}

// sample reads `core show channels concise` every 500 ms until stop: a
// carrier channel is a caller, a PJSIP/2xxx channel an agent's leg
// (ringing or talking); callers without a leg are waiting.
func sample(ast *asttest.Asterisk, agents int, stop <-chan struct{}) samples {
	var s samples
	var idleSum float64
	var prev map[string][]string
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			if s.waitingCount > 0 {
				s.idleWaiting = idleSum / float64(s.waitingCount)
			}
			return s
		case <-t.C:
		}
		out, err := ast.CLI("core show channels concise")
		if err != nil {
			continue
		}
		callers, legs := 0, 0
		perAgent := map[string]int{}
		chans := map[string][]string{}
		for _, l := range strings.Split(out, "\n") {
			name, _, _ := strings.Cut(l, "!")
			switch {
			case strings.HasPrefix(name, "PJSIP/trunk-"):
				callers++
			case strings.HasPrefix(name, "PJSIP/2"):
				legs++
				agent := name[:strings.LastIndexByte(name, '-')]
				perAgent[agent]++
				chans[agent] = append(chans[agent], name)
			}
		}
		s.n++
		for _, n := range perAgent {
			if n > 1 {
				s.busyOffered++
				break
			}
		}
		for agent, cs := range chans {
			if len(cs) > 1 && len(prev[agent]) > 1 && slices.Contains(prev[agent], cs[0]) && slices.Contains(prev[agent], cs[1]) {
				s.busyHeld++
				break
			}
		}
		prev = chans
		waiting := callers - legs
		if waiting > 0 {
			s.waitingCount++
			s.maxWaiting = max(s.maxWaiting, waiting)
			idleSum += float64(min(waiting, agents-len(perAgent)))
		}
	}
}

func (r result) row(sys string, rate float64) string {
	if r.err != nil {
		return fmt.Sprintf("| %s | %g | — | — | — | — | — | — | — | — | — | %v |", sys, rate, r.err)
	}
	cpu := fmt.Sprintf("%.1f ms", ms(r.cpuAst))
	disp, ev := "—", "—"
	if sys == "ascolto" && r.cpuDB > 0 {
		cpu = fmt.Sprintf("%.1f + %.1f + %.1f (PostgreSQL) = %.1f ms", ms(r.cpuAst), ms(r.cpuCtl), ms(r.cpuDB), ms(r.cpuAst+r.cpuCtl+r.cpuDB))
	} else if sys == "ascolto" {
		cpu = fmt.Sprintf("%.1f + %.1f = %.1f ms", ms(r.cpuAst), ms(r.cpuCtl), ms(r.cpuAst+r.cpuCtl))
		disp = r.disp50 + " / " + r.disp99
		ev = fmt.Sprintf("%.1f / %.1f", r.events, r.rest)
	}
	return fmt.Sprintf("| %s | %g | %d | %d | %d | %.0f / %.0f ms | %s | %s | %s | %d | %.1f | %d (%d) of %d |", sys, rate, r.calls, r.ok, r.failed,
		ms(r.p50), ms(r.p99), cpu, disp, ev, r.smp.maxWaiting, r.smp.idleWaiting, r.smp.busyOffered, r.smp.busyHeld, r.smp.n)
}

// restPerCall reads the REST requests ascolto made per connected call from
// its latency histogram's counts, in all and by operation.
func restPerCall(after, before map[string]float64, calls int) (float64, map[string]float64) {
	return perCall(after, before, "ascolto_ari_rest_duration_seconds_count{", calls)
}

// perCall reads a labelled counter's growth per connected call, in all
// and by label.
func perCall(after, before map[string]float64, prefix string, calls int) (float64, map[string]float64) {
	by := map[string]float64{}
	total := 0.0
	for k, v := range after {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		n := (v - before[k]) / float64(calls)
		by[strings.TrimSuffix(strings.TrimPrefix(k, prefix), "}")] = n
		total += n
	}
	return total, by
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func seats(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(2001 + i)
	}
	return out
}

// appQueue is the reference: app_queue loaded (production leaves it off),
// one queue with every seat, and an extension that answers and queues.
func appQueueOptions(exts []string) asttest.Options {
	var q strings.Builder
	q.WriteString("[general]\npersistentmembers = no\nshared_lastcall = yes\n\n[bench]\nstrategy = leastrecent\ntimeout = 15\nretry = 0\n" +
		"wrapuptime = 0\nringinuse = no\nautofill = yes\nannounce-frequency = 0\nperiodic-announce-frequency = 0\n" +
		"announce-holdtime = no\nannounce-position = no\njoinempty = yes\nleavewhenempty = no\nmusicclass = default\n")
	for _, e := range exts {
		fmt.Fprintf(&q, "member => PJSIP/%s\n", e)
	}
	return asttest.Options{
		Files:    map[string]string{"queues.conf": q.String()},
		Dialplan: "[from-trunk]\nexten => 800849999,1,Answer()\n same => n,Queue(bench,,,,600)\n same => n,Hangup()\n",
		Rewrites: []asttest.Rewrite{{File: "modules.conf", From: "noload = app_queue.so", To: "load = app_queue.so", Count: 1,
			Why: "the benchmark's reference is app_queue"}},
	}
}

func measure(r *runner, sys, bin, dbURL string, rate float64, seconds, agents int, ring, talk time.Duration) result {
	exts := seats(agents)
	phones := asttest.StartPhones(r, asttest.PhoneSpec{Ring: ring, Talk: talk})
	opts := asttest.Options{}
	to := "800840840"
	if sys == "app_queue" {
		opts = appQueueOptions(exts)
		to = "800849999"
	}
	opts.PJSIP = asttest.Seats(phones.Port, exts...)
	ast := asttest.Start(r, opts)
	// Both systems start with every phone known reachable: until its first
	// qualify (within qualify_frequency, 30 s) a contact is Unavailable,
	// and app_queue skips it.
	waitFor(r, "every phone reachable", 90*time.Second, func() bool {
		out, _ := ast.CLI("pjsip show contacts")
		return strings.Count(out, " Avail ") >= agents
	})
	var ctl *exec.Cmd
	var metricsURL, debugURL, svcDir string
	if sys == "ascolto" {
		svc := startAscolto(r, bin, dbURL, ast, exts)
		ctl, metricsURL, debugURL, svcDir = svc.cmd, svc.base+"/metrics", svc.debug, svc.dir
	} else {
		// Wait for app_queue to see every member.
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if out, _ := ast.CLI("queue show bench"); strings.Count(out, "PJSIP/") >= agents {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	before := metrics(metricsURL)
	stopSampling := make(chan struct{})
	sampled := make(chan samples, 1)
	go func() { sampled <- sample(ast, agents, stopSampling) }()
	astCPU0, ctlCPU0, dbCPU0 := cpu(ast.PID()), cpu(pidOf(ctl)), cpuOf("postgres")
	calls := int(rate * float64(seconds))
	load := ast.Load(r, asttest.LoadSpec{To: to, Rate: rate, Calls: calls, Wait: 5 * time.Minute})
	go profile(r.name, debugURL, time.Duration(seconds)*time.Second/4, time.Duration(seconds)*time.Second/2)
	select {
	case <-load.Done():
	case <-time.After(time.Duration(seconds)*time.Second + 8*time.Minute):
		load.Stop()
	}
	astCPU1, ctlCPU1, dbCPU1 := cpu(ast.PID()), cpu(pidOf(ctl)), cpuOf("postgres")
	close(stopSampling)
	smp := <-sampled
	after := metrics(metricsURL)
	keep(r.name, ast, load, svcDir)
	lr, err := load.Results()
	if err != nil {
		return result{err: err}
	}
	res := result{calls: calls, ok: lr.Successful, failed: calls - lr.Successful, smp: smp}
	var waits []time.Duration
	for _, d := range lr.UntilBye {
		waits = append(waits, d-talk)
	}
	slices.Sort(waits)
	res.p50, res.p99 = pct(waits, 0.50), pct(waits, 0.99)
	if res.ok > 0 {
		res.cpuAst = (astCPU1 - astCPU0) / time.Duration(res.ok)
		res.cpuCtl = (ctlCPU1 - ctlCPU0) / time.Duration(res.ok)
		if sys == "ascolto" && dbURL != "" {
			res.cpuDB = (dbCPU1 - dbCPU0) / time.Duration(res.ok)
		}
		res.events = (after["ascolto_ari_events_total"] - before["ascolto_ari_events_total"]) / float64(res.ok)
		res.rest, res.restByOp = restPerCall(after, before, res.ok)
		_, res.eventsByType = perCall(after, before, "ascolto_ari_events_total{", res.ok)
		res.threads = [2]float64{before["ascolto_scheduler_threads"], after["ascolto_scheduler_threads"]}
	}
	res.disp50, res.disp99 = histPct(after, before, "ascolto_acd_ring_delay_seconds", 0.5), histPct(after, before, "ascolto_acd_ring_delay_seconds", 0.99)
	return res
}

var keepDir, profDir string

// profile takes a CPU profile of the service for d, after a wait, into
// profDir (go tool pprof reads it).
func profile(name, base string, wait, d time.Duration) {
	if profDir == "" || base == "" {
		return
	}
	time.Sleep(wait)
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", base, int(d.Seconds())))
	if err != nil {
		fmt.Fprintln(os.Stderr, "astload: profile:", err)
		return
	}
	defer resp.Body.Close()
	os.MkdirAll(profDir, 0o755)
	f, err := os.Create(filepath.Join(profDir, name+".pprof"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "astload: profile:", err)
		return
	}
	defer f.Close()
	io.Copy(f, resp.Body)
}

// keep copies the evidence of one run (the callers' unexpected messages,
// Asterisk's log, ascolto's log when svcDir is its data folder) for a look
// afterwards.
func keep(name string, ast *asttest.Asterisk, load *asttest.SIPp, svcDir string) {
	if keepDir == "" {
		return
	}
	os.MkdirAll(keepDir, 0o755)
	os.WriteFile(filepath.Join(keepDir, name+"-asterisk.log"), []byte(ast.Log()), 0o644)
	if errs, err := os.ReadFile(load.ErrorFile()); err == nil {
		os.WriteFile(filepath.Join(keepDir, name+"-callers-errors.log"), errs, 0o644)
	}
	if svcDir != "" {
		if b, err := os.ReadFile(filepath.Join(svcDir, "serve.log")); err == nil {
			os.WriteFile(filepath.Join(keepDir, name+"-serve.log"), b, 0o644)
		}
	}
	rtts, _ := filepath.Glob(filepath.Join(filepath.Dir(load.ErrorFile()), "*_rtt.csv"))
	for _, f := range rtts {
		if b, err := os.ReadFile(f); err == nil {
			os.WriteFile(filepath.Join(keepDir, name+"-callers-rtt.csv"), b, 0o644)
		}
	}
}

func pct(s []time.Duration, p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1)]
}

// startAscolto runs `ascolto serve` on Asterisk with a flow that queues at
// once and the seats logged in to the queue, and returns it with the
// address of its /metrics.
func startAscolto(r *runner, bin, dbURL string, ast *asttest.Asterisk, exts []string) service {
	svc := launchAscolto(r, bin, dbURL, ast, func(dir string, run func(...string), try func(...string) error) {
		flow := filepath.Join(dir, "bench.yaml")
		os.WriteFile(flow, []byte("name: bench\nstart: coda\nnodes:\n  coda:\n    kind: queue\n    queue: informazioni\n"), 0o644)
		run("ivr", "apply", flow)
		run("queue", "set", "informazioni", "--wrapup", "0s", "--announce", "0s", "--ring-timeout", "15s", "--strategy", "longest-idle", "--wait", "0s")
		if err := parallel(exts, func(e string) error {
			return try("agent", "add", e, "--endpoint", "PJSIP/"+e, "--queues", "informazioni", "--wait", "0s")
		}); err != nil {
			r.Fatal(err)
		}
	})
	// A login is carried out by the running service, which reads the orders
	// every second: many at once.
	if err := parallelN(64, exts, func(e string) error { return svc.try("agent", "login", e, "--wait", "30s") }); err != nil {
		r.Fatal(err)
	}
	waitFor(r, "every agent available", 60*time.Second, func() bool {
		n := 0
		for k, v := range metrics(svc.base + "/metrics") {
			if strings.HasPrefix(k, "ascolto_agent_state{") && v == 1 {
				n++
			}
		}
		return n >= len(exts)
	})
	return svc
}

// service is a running `ascolto serve`.
type service struct {
	cmd       *exec.Cmd
	base, dir string
	debug     string // the profiler's base URL, when -pprof is set
	try       func(args ...string) error
}

// launchAscolto prepares a data folder with setup (CLI commands run before
// the service starts), starts `ascolto serve` on Asterisk and waits until
// it is ready.
func launchAscolto(r *runner, bin, dbURL string, ast *asttest.Asterisk, setup func(dir string, run func(...string), try func(...string) error)) service {
	dir := r.TempDir()
	env := append(os.Environ(), "ASCOLTO_DATA_DIR="+dir, "ASCOLTO_ARI_URL="+ast.ARIURL, "ASCOLTO_ARI_USER=ascolto",
		"ASCOLTO_ARI_PASSWORD=change-me-ascolto", "ASCOLTO_LOG_LEVEL=warn")
	if dbURL != "" {
		env = append(env, "ASCOLTO_DATABASE_URL="+dbURL)
	}
	try := func(args ...string) error {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("ascolto %v: %v\n%s", args, err, out)
		}
		return nil
	}
	run := func(args ...string) {
		if err := try(args...); err != nil {
			r.Fatal(err)
		}
	}
	setup(dir, run, try)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	args := []string{"serve", "--http-addr", addr}
	debug := ""
	if profDir != "" {
		dl, _ := net.Listen("tcp", "127.0.0.1:0")
		debug = dl.Addr().String()
		dl.Close()
		args = append(args, "--debug-addr", debug)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	logf, _ := os.Create(filepath.Join(dir, "serve.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		r.Fatal(err)
	}
	r.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	base := "http://" + addr
	waitFor(r, "ascolto ready", 60*time.Second, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	svc := service{cmd: cmd, base: base, dir: dir, try: try}
	if debug != "" {
		svc.debug = "http://" + debug
	}
	return svc
}

// parallel runs f on every item, a few at a time, and returns the first error.
func parallel(items []string, f func(string) error) error { return parallelN(8, items, f) }

func parallelN(n int, items []string, f func(string) error) error {
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	sem := make(chan struct{}, n)
	for _, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(it); err != nil {
				once.Do(func() { first = err })
			}
		}()
	}
	wg.Wait()
	return first
}

func waitFor(r *runner, what string, d time.Duration, cond func() bool) {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			r.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// metrics reads the service's /metrics ("" when there is no service).
func metrics(url string) map[string]float64 {
	if url == "" {
		return map[string]float64{}
	}
	m, err := scrape.Metrics(strings.TrimSuffix(url, "/metrics"))
	if err != nil {
		return map[string]float64{}
	}
	return m
}

// histPct reads a percentile off a histogram's buckets (after − before) as
// "≤ bound".
func histPct(after, before map[string]float64, name string, p float64) string {
	type b struct {
		le float64
		n  float64
	}
	var bs []b
	for k, v := range after {
		if !strings.HasPrefix(k, name+"_bucket{le=\"") {
			continue
		}
		s := strings.TrimSuffix(strings.TrimPrefix(k, name+"_bucket{le=\""), "\"}")
		le, err := strconv.ParseFloat(s, 64)
		if s == "+Inf" {
			le, err = math.Inf(1), nil
		}
		if err != nil {
			continue
		}
		bs = append(bs, b{le, v - before[k]})
	}
	slices.SortFunc(bs, func(x, y b) int {
		switch {
		case x.le < y.le:
			return -1
		case x.le > y.le:
			return 1
		}
		return 0
	})
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return "—"
	}
	total := bs[len(bs)-1].n
	for _, x := range bs {
		if x.n >= p*total {
			if math.IsInf(x.le, 1) {
				return "> 1 s"
			}
			return fmt.Sprintf("≤ %g ms", x.le*1000)
		}
	}
	return "—"
}

func pidOf(c *exec.Cmd) int {
	if c == nil || c.Process == nil {
		return 0
	}
	return c.Process.Pid
}

// cpu is a process's user+system time so far (Linux /proc, 100 ticks/s).
func cpu(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// cpuOf adds up the CPU time of every process with that command name
// (PostgreSQL's backends, on a machine where nothing else uses it).
func cpuOf(comm string) time.Duration {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var total time.Duration
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "comm"))
		if err != nil || strings.TrimSpace(string(b)) != comm {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		total += cpu(pid)
	}
	return total
}

func nproc() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

func buildAscolto() (string, error) {
	dir, err := os.MkdirTemp("", "astload")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ascolto")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/ascolto").CombinedOutput(); err != nil {
		return "", fmt.Errorf("astload: build ascolto: %v\n%s", err, out)
	}
	return bin, nil
}

// runner is the harness's T for a command: Fatal ends the measurement of
// one system at one rate, and the cleanups run after each.
type runner struct {
	name     string
	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

type fatal struct{ msg string }

func (r *runner) run(f func() result) (res result) {
	defer func() {
		if p := recover(); p != nil {
			f, ok := p.(fatal)
			if !ok {
				panic(p)
			}
			res = result{err: fmt.Errorf("%s", f.msg)}
		}
		r.mu.Lock()
		cs := r.cleanups
		r.cleanups = nil
		r.mu.Unlock()
		for i := len(cs) - 1; i >= 0; i-- {
			cs[i]()
		}
	}()
	return f()
}

func (r *runner) Helper()           {}
func (r *runner) Fatal(args ...any) { r.failed = true; panic(fatal{fmt.Sprint(args...)}) }
func (r *runner) Fatalf(f string, args ...any) {
	r.failed = true
	panic(fatal{fmt.Sprintf(f, args...)})
}
func (r *runner) Logf(f string, args ...any)  { fmt.Fprintf(os.Stderr, r.name+": "+f+"\n", args...) }
func (r *runner) Skipf(f string, args ...any) { r.Fatalf(f, args...) }
func (r *runner) Cleanup(f func())            { r.mu.Lock(); r.cleanups = append(r.cleanups, f); r.mu.Unlock() }
func (r *runner) Name() string                { return r.name }
func (r *runner) Failed() bool                { return r.failed }
func (r *runner) TempDir() string {
	d, err := os.MkdirTemp("", "astload")
	if err != nil {
		r.Fatal(err)
	}
	r.Cleanup(func() { os.RemoveAll(d) })
	return d
}
