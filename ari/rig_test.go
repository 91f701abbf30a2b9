package ari_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/live"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// The tests run the real controller against the ARI simulator over real
// sockets, on a clock that runs `speed` times faster than the wall clock
// (prompts last a second or two and menus wait six), starting at a chosen
// moment in Rome, so hours and holidays are what the test says.

const speed = 40

var rome = mustRome()

func mustRome() *time.Location {
	l, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return l
}

// tuesday10 is an ordinary working morning: the center is open.
var tuesday10 = time.Date(2026, 11, 24, 10, 0, 0, 0, rome)

type rig struct {
	t      *testing.T
	clk    clock.Clock
	sim    *arisim.Server
	url    string
	db     *store.DB
	state  *live.State
	ctl    *ari.Controller
	client *ari.Client
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan struct{}
	ready  chan string
	faxes  ari.FaxSink
	// beforeRun, when set, is called with each new controller before it runs.
	beforeRun func(*ari.Controller)
	// restTimeout, when set, bounds each ARI request instead of the
	// client's default: a test that holds a request longer sets it.
	restTimeout time.Duration
}

type rigOption func(*rigConfig)

type rigConfig struct {
	at       time.Time
	password string
	simOpts  []arisim.Option
	noStart  bool
	fax      arisim.FaxResult
}

func at(t time.Time) rigOption { return func(c *rigConfig) { c.at = t } }
func dontStart() rigOption     { return func(c *rigConfig) { c.noStart = true } }

// withSim passes options to the simulator.
func withSim(o ...arisim.Option) rigOption {
	return func(c *rigConfig) { c.simOpts = append(c.simOpts, o...) }
}

// faxResult is what the dialplan's ReceiveFAX reports.
func faxResult(f arisim.FaxResult) rigOption { return func(c *rigConfig) { c.fax = f } }

var goodFax = arisim.FaxResult{Status: "SUCCESS", Pages: 2, RemoteStationID: "+39 0862 000000", Duration: 20 * time.Second}

// productionDialplan loads asterisk-conf/extensions.conf itself, so the
// controller is tested against the dialplan production runs.
func productionDialplan(t *testing.T, fax arisim.FaxResult) *arisim.Dialplan {
	t.Helper()
	d, err := arisim.LoadDialplan("../asterisk-conf/extensions.conf", arisim.WithFaxResult(fax))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func newRig(t *testing.T, opts ...rigOption) *rig {
	t.Helper()
	cfg := rigConfig{at: tuesday10, password: "secret", fax: goodFax}
	for _, o := range opts {
		o(&cfg)
	}
	clk := clock.Scaled(cfg.at, speed)
	sim := arisim.New(append([]arisim.Option{arisim.WithCredentials("ascolto", "secret"), arisim.WithClock(clk),
		arisim.WithDialplan(productionDialplan(t, cfg.fax))}, cfg.simOpts...)...)
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	db := storetest.Engines()[0].Open(t, clk)
	r := &rig{t: t, clk: clk, sim: sim, url: url, db: db, ready: make(chan string, 64)}
	r.state, err = live.New(db, clk, zap.NewNop(), "aq")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.state.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !cfg.noStart {
		r.start(cfg.password)
	}
	return r
}

// start runs a controller (again, after stop: a restart).
func (r *rig) start(password string) {
	r.t.Helper()
	client, err := ari.NewClient(ari.ClientOptions{URL: r.url, User: "ascolto", Password: password, App: "ascolto", Timeout: r.restTimeout})
	if err != nil {
		r.t.Fatal(err)
	}
	r.client = client
	r.reg = prometheus.NewRegistry()
	r.ctl, err = ari.New(ari.Options{Client: client, Store: r.db, Live: r.state, Clock: r.clk,
		Log: zaptest.NewLogger(r.t, zaptest.Level(zap.WarnLevel)), Registry: r.reg, Faxes: r.faxes,
		PingEvery: 200 * time.Millisecond, DeadAfter: time.Second, MaxBackoff: time.Second,
		Ready: func(ok bool, detail string) {
			select {
			case r.ready <- detail:
			default:
			}
		}})
	if err != nil {
		r.t.Fatal(err)
	}
	if r.beforeRun != nil {
		r.beforeRun(r.ctl)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	ctl := r.ctl
	done := r.done
	go func() { ctl.Run(ctx); close(done) }()
	r.t.Cleanup(r.stop)
	r.waitState("connected")
	select {
	case <-r.ctl.ACDReady():
	case <-time.After(10 * time.Second):
		r.t.Fatal("the ACD did not start")
	}
}

// stop stops the controller as a crash or a deploy would: calls stay up in Asterisk.
func (r *rig) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
	r.cancel = nil
}

func (r *rig) waitState(want string) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(r.ctl.State(), want) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.t.Fatalf("controller state %q, want %q", r.ctl.State(), want)
}

// call places a scripted call from a number.
func (r *rig) call(from string, steps ...arisim.Step) *arisim.Call {
	return r.sim.Call(arisim.CallSpec{From: from, To: "800840840"}, steps...)
}

// wait blocks until the call's channel is gone.
func (r *rig) wait(c *arisim.Call) arisim.CallReport {
	r.t.Helper()
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		r.t.Fatalf("call %s still up: %+v", c.ChannelID(), c.Report())
	}
	return c.Report()
}

// pausedFor reports whether the live snapshot shows the agent paused for reason.
func (r *rig) pausedFor(agent, reason string) func() bool {
	return func() bool {
		snap := r.ctl.Snapshot()
		if snap == nil {
			return false
		}
		for _, a := range snap.Agents {
			if a.ID == agent {
				return a.Paused && a.Reason == reason
			}
		}
		return false
	}
}

// record waits until the call's record is closed and returns it.
func (r *rig) record(channel string) store.Call {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		rec, err := r.db.CallByChannel(context.Background(), channel)
		if err == nil && !rec.EndedAt.IsZero() {
			return rec
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			r.t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	rec, err := r.db.CallByChannel(context.Background(), channel)
	r.t.Fatalf("record of %s not closed: %+v %v", channel, rec, err)
	return store.Call{}
}

// eventually polls cond for up to 10 s of wall time.
func (r *rig) eventually(what string, cond func() bool) {
	r.t.Helper()
	r.within(10*time.Second, what, cond)
}

// within polls cond for up to d of wall time.
func (r *rig) within(d time.Duration, what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.t.Fatalf("timed out waiting for %s", what)
}

// heard lists the prompt names a party heard, in order.
func heard(rep arisim.CallReport) []string {
	var out []string
	for _, h := range rep.Heard {
		if name, ok := strings.CutPrefix(h.URI, "sound:ascolto/"); ok {
			out = append(out, name)
		} else {
			out = append(out, h.URI)
		}
	}
	return out
}

func metric(r *rig, name string, labels ...string) float64 {
	mfs, err := r.reg.Gather()
	if err != nil {
		r.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var sum float64
	next:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
		return sum
	}
	return 0
}
