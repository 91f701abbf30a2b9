package ari_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/store"
	"github.com/prometheus/client_golang/prometheus"
)

// TestRestartReadoptsCalls: stopping the controller (a crash, a deploy)
// drops no caller; the next controller re-adopts every call still up and
// closes the records of those that ended while nobody watched.
func TestRestartReadoptsCalls(t *testing.T) {
	r := newRig(t)
	queued := r.call("+390862200001", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("2"))
	inMenu := r.call("+390862200002", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"))
	leaving := r.call("+390862200003", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"))
	r.eventually("queued caller on hold", func() bool { return slices.Contains(heard(queued.Report()), "moh:default") })
	r.eventually("others in the menu", func() bool {
		return slices.Contains(heard(inMenu.Report()), "menu-ordinario") && slices.Contains(heard(leaving.Report()), "menu-ordinario")
	})
	r.eventually("records stored", func() bool {
		open, _ := r.db.OpenCalls(bg)
		return len(open) == 3 && open[0].Queue != "" || len(open) == 3 && slices.ContainsFunc(open, func(c store.Call) bool { return c.Queue == "segnalazioni" })
	})

	r.stop()
	leaving.HangUp() // while no controller is watching
	r.wait(leaving)
	time.Sleep(50 * time.Millisecond)
	r.start("secret")

	// The caller who left is closed, once, as abandoned.
	rec := r.record(leaving.ChannelID())
	if rec.Outcome != ari.OutcomeAbandonedIVR || rec.HangupBy != "unknown" {
		t.Fatalf("unseen hang-up %+v", rec)
	}
	// The caller in the menu hears the flow again and can go on.
	r.eventually("menu replayed", func() bool {
		return strings.Count(strings.Join(heard(inMenu.Report()), ","), "menu-ordinario") >= 2
	})
	inMenu.Press("3")
	r.eventually("re-adopted caller queued", func() bool { return slices.Contains(heard(inMenu.Report()), "moh:default") })
	inMenu.HangUp()
	rec = r.record(inMenu.ChannelID())
	if rec.Queue != "informazioni" || !strings.HasPrefix(rec.IVRPath, "|benvenuto") || rec.Outcome != ari.OutcomeAbandonedQueue {
		t.Fatalf("re-adopted IVR caller %+v", rec)
	}
	// The queued caller is still waiting, with music, then leaves.
	if queued.Report().Ended {
		t.Fatal("queued caller dropped by the restart")
	}
	r.eventually("queued caller hearing music", func() bool { return hearingNow(queued.Report(), "moh:default") })
	queued.HangUp()
	rec = r.record(queued.ChannelID())
	if rec.Queue != "segnalazioni" || rec.Outcome != ari.OutcomeAbandonedQueue || rec.HangupBy != "caller" {
		t.Fatalf("queued caller %+v", rec)
	}
	calls, _ := r.db.Calls(bg, store.CallFilter{})
	if len(calls) != 3 {
		t.Fatalf("%d call records for 3 calls", len(calls))
	}
}

// TestLinkFaults: a dropped WebSocket, one that goes silent without
// closing, and an Asterisk restart; calls survive the first two, and the
// third closes the records of the calls Asterisk lost.
func TestLinkFaults(t *testing.T) {
	r := newRig(t)
	c := r.call("+390862300001", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"))
	r.eventually("in the menu", func() bool { return slices.Contains(heard(c.Report()), "menu-ordinario") })

	conns := metric(r, "ascolto_ari_connect_failures_total")
	r.sim.DropConnections()
	r.eventually("reconnected after a drop", func() bool {
		return metric(r, "ascolto_ari_connect_failures_total") > conns && metric(r, "ascolto_ari_connected") == 1
	})
	// Events lost while disconnected are recovered: the menu timer and
	// playbacks go on, and the caller can still choose.
	c.Press("3")
	r.eventually("queued after the drop", func() bool { return slices.Contains(heard(c.Report()), "moh:default") })

	r.sim.SetSilent(true)
	r.eventually("silence noticed", func() bool { return metric(r, "ascolto_ari_connect_failures_total") > conns+1 })
	r.sim.SetSilent(false)
	r.waitState("connected")
	if c.Report().Ended {
		t.Fatal("call dropped by a silent link")
	}

	r.sim.Restart(200 * time.Millisecond)
	r.wait(c)
	rec := r.record(c.ChannelID())
	// Lost with Asterisk (a new startup_time): the system, not the caller.
	if rec.Outcome != ari.OutcomeAbandonedQueue || rec.HangupBy != "system" || rec.HangupCause != 0 {
		t.Fatalf("after the Asterisk restart %+v", rec)
	}
	r.waitState("connected")
	// And the controller serves new calls.
	c2 := r.call("+390862300002", arisim.WaitUntil("menu", hasHeard("menu-ordinario")), arisim.HangUp())
	r.wait(c2)
	if rec := r.record(c2.ChannelID()); rec.Outcome != ari.OutcomeAbandonedIVR {
		t.Fatalf("after restart %+v", rec)
	}
}

// TestCallArrivingDuringReconcile: a call that reaches the controller while
// a reconciliation reads Asterisk's lists is not in the channels read a
// moment before, and must not be taken for one that ended (it was left
// without its menu, seen as a flaky TestLinkFaults on a loaded machine).
func TestCallArrivingDuringReconcile(t *testing.T) {
	r := newRig(t)
	hold := r.sim.HoldNext("GET", "/bridges") // the reconciliation reads channels, then bridges
	r.sim.DropConnections()
	select {
	case <-hold.Arrived():
	case <-time.After(10 * time.Second):
		t.Fatal("no reconciliation after the reconnect")
	}
	c := r.call("+390862300009", arisim.WaitUntil("menu", hasHeard("menu-ordinario")), arisim.HangUp())
	r.eventually("welcome playing", func() bool { return slices.Contains(heard(c.Report()), "benvenuto") })
	hold.Release()
	r.wait(c)
	if rec := r.record(c.ChannelID()); rec.Outcome != ari.OutcomeAbandonedIVR {
		t.Fatalf("record %+v", rec)
	}
}

// TestBadEventsAreSkipped: event types the library does not know, garbage,
// and duplicated events neither crash the controller nor count twice.
func TestBadEventsAreSkipped(t *testing.T) {
	r := newRig(t)
	c := r.call("+390862400001", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"))
	r.eventually("in the menu", func() bool { return slices.Contains(heard(c.Report()), "menu-ordinario") })
	for _, typ := range []string{"ApplicationRegistered", "ChannelTransfer", "CallBroadcast", "RESTResponse"} {
		if err := r.sim.InjectEvent("ascolto", typ, map[string]any{}); err != nil {
			t.Fatal(err)
		}
	}
	r.sim.InjectRaw("ascolto", []byte(`{"type":"StasisStart","channel":{"id":42}}`))
	r.sim.InjectRaw("ascolto", []byte(`not json at all`))
	r.eventually("skips counted", func() bool {
		return metric(r, "ascolto_ari_events_skipped_total", "reason", "unknown") == 4 &&
			metric(r, "ascolto_ari_events_skipped_total", "reason", "malformed") == 2
	})
	r.sim.DuplicateChannelEvents(c.ChannelID(), true)
	c.Press("*") // duplicated DTMF must be one key: the menu replays once
	r.eventually("menu replayed", func() bool {
		return strings.Count(strings.Join(heard(c.Report()), ","), "menu-ordinario") == 2
	})
	c.Press("3")
	r.eventually("queued", func() bool { return slices.Contains(heard(c.Report()), "moh:default") })
	c.HangUp()
	rec := r.record(c.ChannelID())
	if rec.Digits != "*3" {
		t.Fatalf("digits %q: a duplicated event was counted twice", rec.Digits)
	}
	if metric(r, "ascolto_ari_events_skipped_total", "reason", "duplicate") == 0 {
		t.Fatal("duplicates were not noticed")
	}
	if metric(r, "ascolto_ari_connected") != 1 {
		t.Fatal("bad events forced a reconnect")
	}
}

func TestWrongPassword(t *testing.T) {
	r := newRig(t, dontStart())
	client, err := ari.NewClient(ari.ClientOptions{URL: r.url, User: "ascolto", Password: "wrong", App: "ascolto"})
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 16)
	ctl, err := ari.New(ari.Options{Client: client, Store: r.db, Live: r.state, Clock: r.clk, MaxBackoff: time.Second,
		Ready: func(ok bool, detail string) {
			select {
			case ready <- detail:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ctl.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case d := <-ready:
			if strings.Contains(d, "wrong user or password (401") {
				if strings.Contains(d, "wrong\"") || strings.Contains(d, ":wrong") {
					t.Fatalf("the password leaked into %q", d)
				}
				return
			}
		case <-deadline:
			t.Fatalf("a wrong password was never reported (state %q)", ctl.State())
		}
	}
}

// TestThousandCallsNoLeaks runs 1,000 concurrent calls through the default
// flow and checks that goroutines and file descriptors return to where
// they were, and that every call has exactly one closed record.
func TestThousandCallsNoLeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 calls: skipped with -short")
	}
	r := newRig(t)
	// Warm up the pools, then take the baseline.
	r.wait(r.call("+390000000000", arisim.WaitUntil("menu", hasHeard("menu-ordinario")), arisim.HangUp()))
	time.Sleep(100 * time.Millisecond)
	g0, fd0 := runtime.NumGoroutine(), openFDs()
	const n = 1000
	calls := make([]*arisim.Call, n)
	for i := range calls {
		// Each caller goes as far as the test lets it, then waits there
		// until all 1,000 are in flight: three in four in a queue, one in
		// four still in the greeting.
		steps := []arisim.Step{arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press(fmt.Sprint(1 + i%3))}
		if i%4 == 0 {
			steps = []arisim.Step{arisim.WaitPlaybackStarted("sound:ascolto/benvenuto")}
		}
		calls[i] = r.call(fmt.Sprintf("+39333%07d", i), steps...)
	}
	peak := 0
	r.within(time.Minute, "all 1,000 in flight at once", func() bool {
		peak = max(peak, r.ctl.ActiveCalls())
		return peak == n+0 && r.ctl.ActiveCalls() == n
	})
	for _, c := range calls {
		c.HangUp()
	}
	for _, c := range calls {
		r.wait(c)
	}
	// Records are written by the calls' goroutines as they end: wait for
	// all of them, then check there is exactly one per call.
	r.within(time.Minute, "every record written and closed", func() bool {
		closed, open, _ := r.db.CallCounts(bg)
		return open == 0 && closed >= n+1
	})
	all, _ := r.db.Calls(bg, store.CallFilter{Limit: 5000})
	if len(all) != n+1 {
		t.Fatalf("%d records for %d calls", len(all), n+1)
	}
	r.eventually("controller idle", func() bool { return r.ctl.ActiveCalls() == 0 })
	var g, fd int
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The REST pool keeps up to 256 idle connections on purpose;
		// close them so only leaks remain.
		r.client.CloseIdle()
		runtime.GC()
		g, fd = runtime.NumGoroutine(), openFDs()
		if g <= g0+5 && fd <= fd0+5 {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines %d -> %d, fds %d -> %d\n%s", g0, g, fd0, fd, buf[:min(len(buf), 20000)])
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("peak %d calls in flight; goroutines %d -> %d, fds %d -> %d", peak, g0, g, fd0, fd)
}

func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(ents)
}

// A leg the controller let go (its hang-up failed while Asterisk was
// overloaded) that is answered later enters Stasis again: it must be hung
// up, not taken for a new caller and run through the IVR.
func TestStaleLegAnsweredIsNotACaller(t *testing.T) {
	r := newRig(t)
	phone := r.sim.Endpoint("PJSIP/199", arisim.Answer(200*time.Millisecond))
	if _, err := r.client.Originate(bg, ari.OriginateRequest{ChannelID: "ascolto-leg-gone-1", Endpoint: "PJSIP/199",
		AppArgs: "agent,1234.5", Timeout: 10 * time.Second}); err != nil {
		t.Fatal(err)
	}
	r.eventually("the stale leg hung up", func() bool {
		c := phone.LastCall()
		return c != nil && c.Report().Ended
	})
	if c := phone.LastCall().Report(); !c.Answered || c.HungUpBy != "controller" {
		t.Fatalf("leg %+v", c)
	}
	if calls, err := r.db.Calls(bg, store.CallFilter{}); err != nil || len(calls) != 0 {
		t.Fatalf("the stale leg got a call record: %+v %v", calls, err)
	}
}

// TestAskingAStoppedOrUnstartedACD: the console's calls into the ACD give
// up when the controller has stopped, or has not started and the request
// ends, instead of hanging the HTTP handler forever.
func TestAskingAStoppedOrUnstartedACD(t *testing.T) {
	r := newRig(t)
	r.stop()
	answer := func(ctx context.Context) string {
		res := make(chan string, 1)
		go func() { res <- r.ctl.AgentCommand(ctx, "login", "101", "", "test") }()
		select {
		case s := <-res:
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("AgentCommand still waiting on an actor that is gone")
			return ""
		}
	}
	if res := answer(bg); !strings.Contains(res, "stopped") {
		t.Fatalf("stopped controller answered %q", res)
	}

	ctl, err := ari.New(ari.Options{Client: r.client, Store: r.db, Live: r.state, Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	r.ctl = ctl // never run
	ctx, cancel := context.WithCancel(bg)
	cancel() // the browser went away
	if res := answer(ctx); !strings.Contains(res, "not started") {
		t.Fatalf("unstarted controller answered %q", res)
	}
}

// TestShutdownWritesEveryRecord: what the ACD decided just before a stop
// (here, agents logging in) is all in the store once Run has returned; the
// recorder used to stop with the context and drop writes in flight.
func TestShutdownWritesEveryRecord(t *testing.T) {
	r := newRig(t, dontStart())
	exts := make([]string, 40)
	for i := range exts {
		exts[i] = fmt.Sprintf("%d", 200+i)
		seat(t, r, exts[i], arisim.Answer(time.Second), "informazioni")
	}
	for round := 0; round < 4; round++ {
		r.start("secret")
		kind := "login"
		if round%2 == 1 {
			kind = "logout"
		}
		for _, ext := range exts {
			if res := r.ctl.AgentCommand(bg, kind, ext, "", "test"); res != "ok" {
				t.Fatalf("%s %s: %s", kind, ext, res)
			}
		}
		r.stop()
		agents, err := r.db.Agents(bg)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range agents {
			if a.LoggedIn == (kind == "login") {
				n++
			}
		}
		if n != len(exts) {
			t.Fatalf("round %d: %d of %d agents' %s stored when the controller had stopped", round, n, len(exts), kind)
		}
	}
}

// hearingNow reports whether the party hears uri at the moment.
func hearingNow(rep arisim.CallReport, uri string) bool {
	for _, h := range rep.Heard {
		if h.URI == uri && h.End.IsZero() {
			return true
		}
	}
	return false
}

// TestSlowAnswerKeepsItsConnection: a request Asterisk received but does
// not answer in time fails for its caller, but its connection stays open
// until Asterisk answers. Closing it would not stop Asterisk working on the
// request, only let the client open another connection: under load
// Asterisk's HTTP sessions then passed its sessionlimit and it refused
// calls.
func TestSlowAnswerKeepsItsConnection(t *testing.T) {
	r := newRig(t, dontStart())
	reg := prometheus.NewRegistry()
	client, err := ari.NewClient(ari.ClientOptions{URL: r.url, User: "ascolto", Password: "secret", App: "ascolto",
		Timeout: 200 * time.Millisecond, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	hold := r.sim.HoldNext("GET", "/asterisk/info")
	_, err = client.Info(bg)
	if err == nil || !strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("held request: %v, want no answer in time", err)
	}
	select {
	case <-hold.Arrived():
	default:
		t.Fatal("the request never reached the simulator")
	}
	// The caller has its error; the request is still on its connection.
	// Another request meanwhile goes on another connection and is answered.
	if _, err := client.Info(bg); err != nil {
		t.Fatal(err)
	}
	hold.Release()
	if hold.ClientGone() {
		t.Fatal("the client closed the connection of a request Asterisk was still working on")
	}
	mfs, _ := reg.Gather()
	late := 0.0
	for _, mf := range mfs {
		if mf.GetName() == "ascolto_ari_rest_late_total" {
			for _, m := range mf.GetMetric() {
				late += m.GetCounter().GetValue()
			}
		}
	}
	if late != 1 {
		t.Fatalf("ascolto_ari_rest_late_total = %v, want 1", late)
	}
}

// asteriskRestarts are the two ways Asterisk goes away under calls: an
// operator's "core restart now" and a crash.
var asteriskRestarts = []struct {
	name string
	do   func(*arisim.Server)
}{
	{"core restart now", func(s *arisim.Server) { s.RestartNow(200 * time.Millisecond) }},
	{"crash", func(s *arisim.Server) { s.Restart(200 * time.Millisecond) }},
}

// TestAsteriskRestartWithCallsUp: Asterisk restarts while one caller talks
// with the only agent and another waits: restarted by an operator ("core
// restart now": every channel gets a soft hang-up request with cause 4,
// AST_SOFTHANGUP_SHUTDOWN) or crashed (everything gone without events, a
// new startup_time). Both records say the system ended them, with no cause
// (not the caller, not the agent); the agent gets no wrap-up for a call the
// switch lost, so the next caller is theirs at once.
func TestAsteriskRestartWithCallsUp(t *testing.T) {
	for i, restart := range asteriskRestarts {
		t.Run(restart.name, func(t *testing.T) {
			r := newRig(t, dontStart())
			setQueue(t, r, "informazioni", func(q *store.Queue) { q.WrapupS = 1200; q.MaxWaitS = 0; q.Overflow = "" })
			phone := seat(t, r, "101", arisim.Answer(time.Second), "informazioni")
			r.start("secret")
			login(t, r, "101")
			talking := r.call(fmt.Sprintf("+39086230%d101", i), toInformazioni(arisim.WaitBridged())...)
			r.eventually("the first caller talking", func() bool { return len(talking.Report().Bridged) > 0 })
			waiting := r.call(fmt.Sprintf("+39086230%d102", i), toInformazioni()...)
			r.eventually("the second caller waiting", func() bool {
				rec, err := r.db.CallByChannel(bg, waiting.ChannelID())
				return err == nil && !rec.QueuedAt.IsZero()
			})
			restart.do(r.sim)
			r.wait(talking)
			r.wait(waiting)
			if rec := r.record(talking.ChannelID()); rec.Outcome != ari.OutcomeAnswered || rec.Agent != "101" || rec.HangupBy != "system" || rec.HangupCause != 0 {
				t.Errorf("the talking caller's record %+v", rec)
			}
			if rec := r.record(waiting.ChannelID()); rec.Outcome != ari.OutcomeAbandonedQueue || rec.HangupBy != "system" || rec.HangupCause != 0 {
				t.Errorf("the waiting caller's record %+v", rec)
			}
			r.waitState("connected")
			next := r.call(fmt.Sprintf("+39086230%d103", i), toInformazioni(arisim.WaitBridged(), arisim.HangUp())...)
			r.wait(next)
			if len(next.Report().Bridged) == 0 || !phone.LastCall().Report().Answered {
				t.Fatalf("the next caller was not put through to 101: %+v", next.Report())
			}
			if evs := queueEvents(t, r, talking.ChannelID()); slices.Contains(evs, "WRAPUPEND:101") {
				t.Errorf("a wrap-up for the call the switch lost: %v", evs)
			}
		})
	}
}

// TestAsteriskRestartWhileAgentRings: Asterisk restarts while the agent's
// phone rings for a waiting caller. The ring was lost with the switch, not
// left unanswered: the agent is not paused for it (no RONA), and takes
// the next caller.
func TestAsteriskRestartWhileAgentRings(t *testing.T) {
	for _, restart := range asteriskRestarts {
		t.Run(restart.name, func(t *testing.T) {
			r := newRig(t, dontStart())
			setQueue(t, r, "informazioni", func(q *store.Queue) { q.RingTimeoutS = 600; q.WrapupS = 0; q.MaxWaitS = 0; q.Overflow = "" })
			phone := seat(t, r, "101", arisim.Answer(time.Hour), "informazioni")
			r.start("secret")
			login(t, r, "101")
			waiting := r.call("+390862300201", toInformazioni()...)
			r.eventually("the agent's phone ringing", func() bool {
				calls := phone.Calls()
				return len(calls) == 1 && !calls[0].Report().Ended
			})
			restart.do(r.sim)
			r.wait(waiting)
			if rec := r.record(waiting.ChannelID()); rec.Outcome != ari.OutcomeAbandonedQueue || rec.HangupBy != "system" {
				t.Errorf("the waiting caller's record %+v", rec)
			}
			r.waitState("connected")
			if r.pausedFor("101", "no answer")() {
				t.Fatal("101 paused for a ring the switch lost")
			}
			phone.SetBehaviour(arisim.Answer(time.Second))
			next := r.call("+390862300202", toInformazioni(arisim.WaitBridged(), arisim.HangUp())...)
			r.wait(next)
			if len(next.Report().Bridged) == 0 {
				t.Fatalf("the next caller was not put through to 101: %+v", next.Report())
			}
		})
	}
}

// TestCallerAnsweredLateIsServed: Asterisk, starved of CPU, answers the
// request that answers a ringing caller after the client's timeout. The
// caller is not given up on (under load, a timed-out answer ended the call
// as failed and left the channel in Stasis): the answer is waited for with
// patience, and the caller reaches the agent.
func TestCallerAnsweredLateIsServed(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	seat(t, r, "101", arisim.Answer(time.Second), "informazioni")
	r.restTimeout = 200 * time.Millisecond
	r.start("secret")
	login(t, r, "101")
	hold := r.sim.HoldNext("POST", "/channels/*/answer")
	c := r.call("+390862500021", toInformazioni(arisim.WaitBridged(), arisim.Wait(time.Second), arisim.HangUp())...)
	select {
	case <-hold.Arrived():
	case <-time.After(30 * time.Second):
		t.Fatal("the caller was never answered")
	}
	// A request of another client with the same timeout, held too, ends
	// in its timeout: the answer has waited past the controller's.
	probe, err := ari.NewClient(ari.ClientOptions{URL: r.url, User: "ascolto", Password: "secret", App: "ascolto", Timeout: r.restTimeout})
	if err != nil {
		t.Fatal(err)
	}
	probeHold := r.sim.HoldNext("GET", "/asterisk/info")
	if _, err := probe.Info(bg); err == nil {
		t.Fatal("the probe was answered while held")
	}
	probeHold.Release()
	hold.Release()
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("caller still up")
	}
	if rep := c.Report(); len(rep.Bridged) == 0 {
		t.Fatalf("caller answered late never reached the agent: %+v", rep)
	}
	if rec := r.record(c.ChannelID()); rec.Outcome != ari.OutcomeAnswered || rec.Agent != "101" {
		t.Fatalf("record %+v: want answered by 101", rec)
	}
}
