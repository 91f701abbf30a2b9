package oncall

import (
	"context"
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

// The call-out tests run the real ARI controller against the simulator
// over real sockets, on a clock `speed` times faster than the wall clock
// (a call rings, answers and plays for seconds), with a real store.

const speed = 30

var bg = context.Background()

// saturday15 is a Saturday afternoon in Rome: the weekend shift is on.
var saturday15 = time.Date(2026, 11, 28, 15, 0, 0, 0, rome)

type rig struct {
	t      *testing.T
	clk    clock.Clock
	sim    *arisim.Server
	url    string
	db     *store.DB
	state  *live.State
	ctl    *ari.Controller
	cancel context.CancelFunc
	done   chan struct{}
	svc    *Service
	svcOff context.CancelFunc
	svcEnd chan struct{}
}

func newRig(t *testing.T, clk clock.Clock) *rig {
	t.Helper()
	if clk == nil {
		clk = clock.Scaled(saturday15, speed)
	}
	sim := arisim.New(arisim.WithCredentials("ascolto", "secret"), arisim.WithClock(clk), arisim.WithDefaultMediaDuration(2*time.Second))
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	db := storetest.Engines()[0].Open(t, clk)
	r := &rig{t: t, clk: clk, sim: sim, url: url, db: db}
	if r.state, err = live.New(db, clk, zap.NewNop(), "aq"); err != nil {
		t.Fatal(err)
	}
	r.startController()
	return r
}

func (r *rig) startController() {
	r.t.Helper()
	client, err := ari.NewClient(ari.ClientOptions{URL: r.url, User: "ascolto", Password: "secret", App: "ascolto"})
	if err != nil {
		r.t.Fatal(err)
	}
	r.ctl, err = ari.New(ari.Options{Client: client, Store: r.db, Live: r.state, Clock: r.clk,
		Log: zaptest.NewLogger(r.t, zaptest.Level(zap.ErrorLevel)), Registry: prometheus.NewRegistry(),
		PingEvery: 200 * time.Millisecond, DeadAfter: time.Second, MaxBackoff: time.Second})
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	r.cancel, r.done = cancel, make(chan struct{})
	ctl, done := r.ctl, r.done
	go func() { ctl.Run(ctx); close(done) }()
	r.t.Cleanup(r.stopController)
	r.eventually("controller connected", func() bool { return strings.Contains(r.ctl.State(), "connected") })
}

func (r *rig) stopController() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
	r.cancel = nil
}

// service builds the call-out service on the rig's controller and runs it.
func (r *rig) service(o Options) *Service {
	r.t.Helper()
	o.Store, o.Clock = r.db, r.clk
	if o.Phone == nil {
		o.Phone = ControllerPhone(r.ctl)
	}
	if o.Log == nil {
		o.Log = zaptest.NewLogger(r.t, zaptest.Level(zap.WarnLevel))
	}
	if o.PublicURL == "" {
		o.PublicURL = "https://ascolto.test"
	}
	s, err := New(o)
	if err != nil {
		r.t.Fatal(err)
	}
	r.svc = s
	return s
}

func (r *rig) run() {
	ctx, cancel := context.WithCancel(bg)
	r.svcOff, r.svcEnd = cancel, make(chan struct{})
	s, end := r.svc, r.svcEnd
	go func() { s.Run(ctx); close(end) }()
	r.t.Cleanup(r.stopRunner)
}

func (r *rig) stopRunner() {
	if r.svcOff == nil {
		return
	}
	r.svcOff()
	<-r.svcEnd
	r.svcOff = nil
}

func (r *rig) eventually(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.t.Fatalf("timed out waiting for %s", what)
}

func (r *rig) importRoster(src string) {
	r.t.Helper()
	if _, _, err := r.svc.ImportRoster(bg, []byte(src), "test", ""); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) people(id int64) map[string]store.ActivationPerson {
	r.t.Helper()
	ps, err := r.db.ActivationPeople(bg, id)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string]store.ActivationPerson{}
	for _, p := range ps {
		out[p.Person] = p
	}
	return out
}

func (r *rig) attempts(id int64) map[string][]store.ActivationAttempt {
	r.t.Helper()
	ps := r.people(id)
	byID := map[int64]string{}
	for k, p := range ps {
		byID[p.ID] = k
	}
	atts, err := r.db.ActivationAttempts(bg, id)
	if err != nil {
		r.t.Fatal(err)
	}
	out := map[string][]store.ActivationAttempt{}
	for _, a := range atts {
		if a.Channel == "phone" {
			out[byID[a.PersonID]] = append(out[byID[a.PersonID]], a)
		}
	}
	return out
}

func (r *rig) activation(id int64) store.Activation {
	r.t.Helper()
	a, err := r.db.Activation(bg, id)
	if err != nil {
		r.t.Fatal(err)
	}
	return a
}

func actions(tl []store.AuditEntry) map[string]int {
	out := map[string]int{}
	for _, e := range tl {
		out[e.Action]++
	}
	return out
}

// The scripted people of the issue.
func comes(minutes string) arisim.Behaviour {
	return arisim.Answer(2*time.Second, arisim.WaitPlaybackStarted(PromptActivation), arisim.Press("1"),
		arisim.Wait(4*time.Second), arisim.PressGap(minutes+"#", 300*time.Millisecond), arisim.Wait(20*time.Second))
}

func declines() arisim.Behaviour {
	return arisim.Answer(2*time.Second, arisim.WaitPlaybackStarted(PromptActivation), arisim.Press("2"), arisim.Wait(10*time.Second))
}

func hangsUp() arisim.Behaviour {
	return arisim.Answer(time.Second, arisim.Wait(time.Second), arisim.HangUp())
}
