package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ascolto/ascolto/internal/asttest"
	"github.com/ascolto/ascolto/store"
)

// The IVR scenario is bench/ivrload's load on the real Asterisk: callers
// walk the default flow in emergency mode (greeting, emergency notice,
// menu, key 3), wait in the queue with nobody to answer for -hold, and hang
// up, so the calls in flows at once climb to about rate × (flow + hold).
// Every prompt is a file Asterisk plays to the caller (GSM to µ-law), every
// waiting caller hears music: this measures where Asterisk's own CPU stops
// the line, and the controller's share of the machine on the way there.

// ivrKeys is when each caller presses 3: once the emergency menu plays
// (the e2e tests' timing); a key typed earlier carries into the menu.
const (
	ivrKeys    = "21s:3"
	ivrKeyTime = 21 * time.Second
)

type ivrResult struct {
	calls           int
	records, closed int
	queued          int           // records that reached the queue by key 3
	twice           int           // callers with more than one record
	flow50, flow99  time.Duration // answer → queued
	step50, step99  string
	peakActive      int
	cpuAst, cpuCtl  float64 // share of one core over the run
	cpuSIPp         float64
	ctlPerCall      time.Duration
	missing         int
	err             error
}

func (r ivrResult) row(rate float64) string {
	if r.err != nil {
		return fmt.Sprintf("| %g | — | — | — | — | — | — | — | — | %v |", rate, r.err)
	}
	return fmt.Sprintf("| %g | %d | %d (%d twice) | %d | %.1f / %.1f s | %s / %s | %d | %.0f %% / %.0f %% / %.0f %% | %.1f ms | %d |",
		rate, r.calls, r.closed, r.twice, r.queued, r.flow50.Seconds(), r.flow99.Seconds(), r.step50, r.step99, r.peakActive,
		r.cpuAst*100, r.cpuCtl*100, r.cpuSIPp*100, ms(r.ctlPerCall), r.missing)
}

const ivrHeader = "| calls/s | calls | records closed | reached the queue | answer → queued p50 / p99 | IVR step p50 / p99 | most calls in the controller | CPU Asterisk / controller / SIPp (of one core) | controller CPU per call | missing sounds |\n" +
	"|---|---|---|---|---|---|---|---|---|---|"

func measureIVR(r *runner, bin, dbURL string, rate float64, seconds int, hold time.Duration) ivrResult {
	ast := asttest.Start(r, asttest.Options{})
	svc := launchAscolto(r, bin, dbURL, ast, func(_ string, run func(...string), _ func(...string) error) {
		run("mode", "set", "emergency", "--reason", "benchmark")
	})
	ctl, metricsURL, dataDir := svc.cmd, svc.base+"/metrics", svc.dir
	before := metrics(metricsURL)
	stop := make(chan struct{})
	peak := make(chan int, 1)
	go func() {
		n := 0
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				peak <- n
				return
			case <-t.C:
				n = max(n, int(metrics(metricsURL)["ascolto_calls_active"]))
			}
		}
	}()
	start := time.Now()
	ast0, ctl0 := cpu(ast.PID()), cpu(pidOf(ctl))
	calls := int(rate * float64(seconds))
	load := ast.Load(r, asttest.LoadSpec{To: "800840840", Rate: rate, Calls: calls, Keys: ivrKeys,
		HangUpAfter: ivrKeyTime + hold, Wait: time.Minute})
	go profile(r.name, svc.debug, ivrKeyTime, time.Duration(seconds)*time.Second/2)
	select {
	case <-load.Done():
	case <-time.After(time.Duration(seconds)*time.Second + ivrKeyTime + hold + 3*time.Minute):
		load.Stop()
	}
	wall := time.Since(start)
	ast1, ctl1 := cpu(ast.PID()), cpu(pidOf(ctl))
	close(stop)
	res := ivrResult{calls: calls, peakActive: <-peak}
	keep(r.name, ast, load, svc.dir)
	// Let the last records close.
	db, err := openBenchStore(dbURL, dataDir)
	if err != nil {
		return ivrResult{err: err}
	}
	defer db.Close()
	since := start.Add(-time.Minute)
	var recs []store.Call
	waitFor(r, "every record closed", 2*time.Minute, func() bool {
		recs, err = db.Calls(context.Background(), store.CallFilter{Since: &since, Limit: calls * 2})
		if err != nil {
			return false
		}
		for _, c := range recs {
			if c.EndedAt.IsZero() {
				return false
			}
		}
		return len(recs) >= calls
	})
	after := metrics(metricsURL)
	perCaller := map[string]int{}
	var flows []time.Duration
	for _, c := range recs {
		res.records++
		perCaller[c.Caller]++
		if !c.EndedAt.IsZero() {
			res.closed++
		}
		if c.Queue == "informazioni" && strings.HasSuffix(c.Digits, "3") && !c.QueuedAt.IsZero() {
			res.queued++
			flows = append(flows, c.QueuedAt.Sub(c.AnsweredAt))
		}
	}
	for _, n := range perCaller {
		if n > 1 {
			res.twice++
		}
	}
	slices.Sort(flows)
	res.flow50, res.flow99 = pct(flows, 0.5), pct(flows, 0.99)
	res.step50 = histPct(after, before, "ascolto_ivr_step_seconds", 0.5)
	res.step99 = histPct(after, before, "ascolto_ivr_step_seconds", 0.99)
	res.cpuAst = float64(ast1-ast0) / float64(wall)
	res.cpuCtl = float64(ctl1-ctl0) / float64(wall)
	res.cpuSIPp = float64(load.CPU()) / float64(wall) // the callers' SIPp
	if res.records > 0 {
		res.ctlPerCall = (ctl1 - ctl0) / time.Duration(res.records)
	}
	res.missing = len(ast.MissingSounds())
	return res
}

func openBenchStore(dbURL, dataDir string) (*store.DB, error) {
	return store.Open(store.Options{URL: dbURL, DataDir: dataDir})
}
