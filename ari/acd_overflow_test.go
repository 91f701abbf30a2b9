package ari_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/console"
	"github.com/ascolto/ascolto/store"
)

// eventsWith waits, up to 10 s, until a call's queue log holds every one
// of names: the ACD's recorder writes it a moment after the fact (its
// writes are group-committed lazily).
func eventsWith(t *testing.T, r *rig, call string, names ...string) []string {
	t.Helper()
	var evs []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		evs = queueEvents(t, r, call)
		all := true
		for _, n := range names {
			all = all && hasEvent(evs, n)
		}
		if all {
			return evs
		}
	}
	t.Fatalf("%s: queue events %v, want %v among them", call, evs, names)
	return nil
}

func hasEvent(evs []string, name string) bool {
	for _, e := range evs {
		if strings.HasPrefix(e, name+":") {
			return true
		}
	}
	return false
}

// TestOverflowToAnotherSitesSharedQueue: two queues at two sites overflow
// after their maximum wait into one shared queue, served by another site.
func TestOverflowToAnotherSitesSharedQueue(t *testing.T) {
	r := newRig(t, dontStart())
	er := store.Site{Code: "er", Name: "Sala Emilia-Romagna"}
	if err := r.db.SaveSite(bg, &er, "test"); err != nil {
		t.Fatal(err)
	}
	setQueue(t, r, "condivisa", func(q *store.Queue) { q.Site = "er"; q.WrapupS = 0 })
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.MaxWaitS = 20; q.Overflow = "queue:condivisa"; q.WrapupS = 0 })
	setQueue(t, r, "segnalazioni", func(q *store.Queue) { q.MaxWaitS = 20; q.Overflow = "queue:condivisa"; q.WrapupS = 0 })
	far := seat(t, r, "201", arisim.Answer(time.Second), "condivisa")
	r.start("secret")
	login(t, r, "201")
	info := r.call("+390862700001", toInformazioni(arisim.WaitBridged(), arisim.Wait(3*time.Second), arisim.HangUp())...)
	rep := r.wait(info)
	if len(rep.Bridged) == 0 {
		t.Fatalf("information caller never reached the other site: %+v", rep)
	}
	report := r.call("+390862700002", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("2"),
		arisim.WaitBridged(), arisim.Wait(3*time.Second), arisim.HangUp())
	r.wait(report)
	if n := len(far.Calls()); n != 2 {
		t.Fatalf("the shared queue's agent took %d calls, want 2", n)
	}
	for _, c := range []*arisim.Call{info, report} {
		eventsWith(t, r, c.ChannelID(), "EXITWITHTIMEOUT", "CONNECT")
		if rec := r.record(c.ChannelID()); rec.Outcome != ari.OutcomeAnswered || rec.Agent != "201" {
			t.Fatalf("record %+v", rec)
		}
	}
}

func TestOverflowToReport(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "segnalazioni", func(q *store.Queue) { q.MaxWaitS = 10; q.Overflow = "record" })
	r.start("secret")
	c := r.call("+390862700003", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("2"),
		arisim.WaitPlaybackFinished("sound:beep"), arisim.Talk(5*time.Second), arisim.Press("#"),
		arisim.WaitUntil("end", func(rep arisim.CallReport) bool { return rep.Ended }))
	rep := r.wait(c)
	got := heard(rep)
	if !slices.Contains(got, "registra-messaggio") || got[len(got)-1] != "arrivederci" {
		t.Fatalf("heard %v", got)
	}
	rec := r.record(c.ChannelID())
	if rec.Outcome != ari.OutcomeRecorded || rec.CaseID == 0 || !strings.Contains(rec.IVRPath, "coda-segnalazioni>registra") {
		t.Fatalf("record %+v", rec)
	}
	eventsWith(t, r, c.ChannelID(), "EXITWITHTIMEOUT")
	cs, _ := r.db.CaseByID(bg, rec.CaseID)
	if cs.Urgency != store.UrgencyElevated || cs.Category != "segnalazione" {
		t.Fatalf("case %+v", cs)
	}
}

func TestCallbackKeepsThePlace(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) {
		q.MaxWaitS = 10
		q.Overflow = "callback"
		q.WrapupS = 0
		q.CallbackAttempts = 2
		q.CallbackIntervalS = 30
	})
	phone := seat(t, r, "101", arisim.Answer(time.Second), "informazioni")
	r.start("secret")
	const citizen = "+390862700004"
	r.sim.Remote(citizen, arisim.Answer(2*time.Second, arisim.WaitBridged(), arisim.Wait(4*time.Second), arisim.HangUp()))
	c := r.call(citizen, toInformazioni(arisim.WaitPlaybackStarted("sound:ascolto/richiamata-offerta"), arisim.Press("1"),
		arisim.WaitUntil("end", func(rep arisim.CallReport) bool { return rep.Ended }))...)
	rep := r.wait(c)
	if got := heard(rep); got[len(got)-1] != "richiamata-confermata" || rep.HungUpBy != "controller" {
		t.Fatalf("heard %v, hung up by %s", got, rep.HungUpBy)
	}
	if rec := r.record(c.ChannelID()); rec.Outcome != ari.OutcomeCallbackRequested {
		t.Fatalf("record %+v", rec)
	}
	// An operator frees up: the citizen is called back and put through.
	login(t, r, "101")
	r.eventually("agent talked to the citizen", func() bool {
		return phone.LastCall() != nil && len(phone.LastCall().Report().Bridged) > 0
	})
	want := []string{"CALLBACK_REQUESTED", "CALLBACK_DIALED", "CALLBACK_CONNECTED"}
	r.eventually("callback records", func() bool {
		evs := queueEvents(t, r, c.ChannelID())
		for _, w := range want {
			if !hasEvent(evs, w) {
				return false
			}
		}
		return true
	})
	r.eventually("callback leg closed", func() bool {
		calls, _ := r.db.Calls(bg, store.CallFilter{})
		for _, cl := range calls {
			if cl.Direction == "outbound" && cl.Called == citizen && !cl.EndedAt.IsZero() && cl.LinkedID == c.ChannelID() {
				return true
			}
		}
		return false
	})
}

// TestCallbackAgentAnswersDuringGreeting: Asterisk adds a channel to a
// bridge only after the playback the channel is running, as the
// simulator does. The agent who answers while the citizen called back is
// still being greeted gets them at once, the greeting cut short; the
// callback's record says who took it, for how long, from which queue.
func TestCallbackAgentAnswersDuringGreeting(t *testing.T) {
	// A greeting of 20 minutes (30 s here) outlasts any request.
	r := newRig(t, dontStart(), withSim(arisim.WithMediaDuration("sound:ascolto/richiamata-saluto", 20*time.Minute)))
	setQueue(t, r, "informazioni", func(q *store.Queue) {
		q.MaxWaitS = 10
		q.Overflow = "callback"
		q.WrapupS = 0
		q.CallbackAttempts = 2
		q.CallbackIntervalS = 30
	})
	seat(t, r, "101", arisim.Answer(time.Second), "informazioni")
	r.start("secret")
	const citizen = "+390862700005"
	r.sim.Remote(citizen, arisim.Answer(2*time.Second, arisim.WaitBridged(), arisim.Wait(4*time.Second), arisim.HangUp()))
	c := r.call(citizen, toInformazioni(arisim.WaitPlaybackStarted("sound:ascolto/richiamata-offerta"), arisim.Press("1"),
		arisim.WaitUntil("end", func(rep arisim.CallReport) bool { return rep.Ended }))...)
	r.wait(c)
	login(t, r, "101")
	var cb store.Call
	r.eventually("the callback's record closed", func() bool {
		calls, _ := r.db.Calls(bg, store.CallFilter{})
		for _, cl := range calls {
			if cl.Direction == "outbound" && cl.Called == citizen && !cl.EndedAt.IsZero() && cl.TalkS > 0 {
				cb = cl
				return true
			}
		}
		return false
	})
	if cb.Outcome != ari.OutcomeCallback || cb.Agent != "101" || cb.Queue != "informazioni" || cb.ConnectedAt.IsZero() ||
		cb.TalkS < 3 || cb.LinkedID != c.ChannelID() {
		t.Fatalf("the callback's record %+v", cb)
	}
}

func TestCallbackFailsAfterRetries(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) {
		q.MaxWaitS = 10
		q.Overflow = "callback"
		q.CallbackAttempts = 2
		q.CallbackIntervalS = 20
	})
	seat(t, r, "101", arisim.Answer(time.Second), "informazioni")
	r.start("secret")
	const citizen = "+390862700005"
	r.sim.Remote(citizen, arisim.Busy())
	c := r.call(citizen, toInformazioni(arisim.WaitPlaybackStarted("sound:ascolto/richiamata-offerta"), arisim.Press("1"))...)
	r.wait(c)
	login(t, r, "101")
	r.eventually("callback given up", func() bool { return hasEvent(queueEvents(t, r, c.ChannelID()), "CALLBACK_FAILED") })
	evs := queueEvents(t, r, c.ChannelID())
	dials := 0
	for _, e := range evs {
		if strings.HasPrefix(e, "CALLBACK_DIALED:") {
			dials++
		}
	}
	if dials != 2 {
		t.Fatalf("%d dials for 2 attempts: %v", dials, evs)
	}
}

// TestCallbackSurvivesACrash: a callback promised to a caller is in the
// store within seconds, while the controller runs, so a crash (no saving on
// the way out) does not lose it: the next controller calls the citizen back.
func TestCallbackSurvivesACrash(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) {
		q.MaxWaitS = 10
		q.Overflow = "callback"
		q.WrapupS = 0
		q.CallbackAttempts = 2
		q.CallbackIntervalS = 30
	})
	phone := seat(t, r, "101", arisim.Answer(time.Second), "informazioni")
	r.start("secret")
	const citizen = "+390862700007"
	r.sim.Remote(citizen, arisim.Answer(time.Second, arisim.WaitBridged(), arisim.Wait(2*time.Second), arisim.HangUp()))
	c := r.call(citizen, toInformazioni(arisim.WaitPlaybackStarted("sound:ascolto/richiamata-offerta"), arisim.Press("1"),
		arisim.WaitUntil("end", func(rep arisim.CallReport) bool { return rep.Ended }))...)
	r.wait(c)
	// What a crash would leave behind: the state saved while running.
	var crashed string
	r.within(10*time.Second, "callback owed saved while running", func() bool {
		_, body, err := r.db.ACDState(bg)
		if err == nil && strings.Contains(body, citizen) {
			crashed = body
			return true
		}
		return false
	})
	r.stop()
	if err := r.db.SaveACDState(bg, r.clk.Now(), crashed); err != nil { // undo the save on the way out
		t.Fatal(err)
	}
	r.start("secret")
	login(t, r, "101")
	r.eventually("agent talked to the citizen after the crash", func() bool {
		return phone.LastCall() != nil && len(phone.LastCall().Report().Bridged) > 0
	})
	r.eventually("callback connected", func() bool { return hasEvent(queueEvents(t, r, c.ChannelID()), "CALLBACK_CONNECTED") })
}

func TestRingAllAndTransfer(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.Strategy = "ring-all"; q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	setQueue(t, r, "segnalazioni", func(q *store.Queue) { q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	quick := seat(t, r, "101", arisim.Answer(time.Second), "informazioni")
	slow := seat(t, r, "102", arisim.Answer(5*time.Second), "informazioni")
	expert := seat(t, r, "103", arisim.Answer(time.Second, arisim.Wait(3*time.Second), arisim.HangUp()), "segnalazioni")
	r.start("secret")
	login(t, r, "101", "102", "103")
	c := r.call("+390862700006", toInformazioni(arisim.WaitBridged())...)
	r.eventually("bridged with the quicker agent", func() bool { return c.Report().BridgedNow })
	if slow.LastCall() == nil {
		t.Fatal("ring-all did not ring the second agent")
	}
	r.eventually("the slower phone stopped ringing", func() bool { return slow.LastCall().Report().Ended })
	if slow.LastCall().Report().Answered {
		t.Fatal("two agents answered one call")
	}
	// 101 transfers the caller to the reports queue; 103 takes it.
	if res := r.ctl.Transfer(bg, c.ChannelID(), "segnalazioni", "", "101"); res != "ok" {
		t.Fatalf("transfer: %s", res)
	}
	r.eventually("101's leg hung up", func() bool { return quick.LastCall().Report().Ended })
	r.eventually("103 took the transferred call", func() bool {
		return expert.LastCall() != nil && len(expert.LastCall().Report().Bridged) > 0
	})
	rep := r.wait(c)
	if rep.HungUpBy != "controller" {
		t.Fatalf("caller hung up by %q", rep.HungUpBy)
	}
	evs := waitEvents(t, r, c.ChannelID(), "ENTERQUEUE:", "CONNECT:101", "TRANSFER:101", "ENTERQUEUE:", "CONNECT:103", "COMPLETEAGENT:103")
	_ = evs
	if rec := r.record(c.ChannelID()); rec.Agent != "103" || rec.Queue != "segnalazioni" || rec.Outcome != ari.OutcomeAnswered {
		t.Fatalf("record %+v", rec)
	}
	if res := r.ctl.Transfer(bg, c.ChannelID(), "segnalazioni", "", "x"); !strings.HasPrefix(res, "error") {
		t.Fatalf("transfer of an ended call: %s", res)
	}
}

// TestAgentTransferToABusyNumber: an agent's blind transfer to a number
// that is busy brings the caller back to the head of the line they came
// from, told so, and an agent takes them again.
func TestAgentTransferToABusyNumber(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	phone := seat(t, r, "101", arisim.Answer(time.Second), "informazioni")
	u := store.User{Username: "rossi", Role: store.RoleAgent, PasswordHash: "x"}
	if err := r.db.CreateUser(bg, &u, "test"); err != nil {
		t.Fatal(err)
	}
	a := store.Agent{Extension: "101", Endpoint: "PJSIP/101", Name: "Mario Rossi", Username: "rossi"}
	if err := r.db.SaveAgent(bg, &a, "test"); err != nil {
		t.Fatal(err)
	}
	p := &pubs{offers: make(chan ari.Pop, 8), agents: make(chan console.AgentView, 64), refused: make(chan ari.RefusedTransfer, 1)}
	r.beforeRun = func(ctl *ari.Controller) { ari.NewDesk(ctl, r.db).Attach(p) }
	r.sim.Remote("+390544000000", arisim.Busy())
	r.start("secret")
	login(t, r, "101")
	c := r.call("+390862700007", toInformazioni(arisim.WaitBridged(),
		arisim.WaitUntil("told the transfer failed", hasHeard("trasferimento-non-riuscito-attesa")),
		arisim.WaitBridged(), arisim.Wait(2*time.Second), arisim.HangUp())...)
	r.eventually("bridged with 101", func() bool { return c.Report().BridgedNow })
	if res := r.ctl.Transfer(bg, c.ChannelID(), "", "+390544000000", "101"); res != "ok" {
		t.Fatalf("transfer: %s", res)
	}
	rep := r.wait(c)
	if rep.HungUpBy != "remote" || len(rep.Bridged) != 2 {
		t.Fatalf("caller hung up by %q after bridges %+v; heard %v", rep.HungUpBy, rep.Bridged, heard(rep))
	}
	if n := len(phone.Calls()); n != 2 || len(phone.LastCall().Report().Bridged) == 0 {
		t.Fatalf("101's phone rang %d times; the second call bridged: %+v", n, phone.LastCall().Report().Bridged)
	}
	waitEvents(t, r, c.ChannelID(), "ENTERQUEUE:", "CONNECT:101", "TRANSFER:101", "ENTERQUEUE:", "CONNECT:101", "COMPLETECALLER:101")
	if rec := r.record(c.ChannelID()); rec.Outcome != ari.OutcomeAnswered || rec.Agent != "101" || rec.Queue != "informazioni" {
		t.Fatalf("record %+v", rec)
	}
	// The agent who transferred was told, on their desk.
	select {
	case rt := <-p.refused:
		want := ari.RefusedTransfer{Call: c.ChannelID(), Caller: "+390862700007", Number: "+390544000000", Queue: "informazioni", Status: "BUSY"}
		if rt != want {
			t.Fatalf("refused transfer told as %+v, want %+v", rt, want)
		}
	default:
		t.Fatal("the agent was not told the transfer failed")
	}
}

// TestRestartWith200Waiting: 200 callers wait when the controller stops;
// the next one puts them back in line in their original order and serves
// them, losing none.
func TestRestartWith200Waiting(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	// Each agent talks for 2 s once bridged with the caller (a phone that
	// hangs up before the bridge is paused as for no answer).
	a1 := seat(t, r, "101", arisim.Answer(0, arisim.WaitBridged(), arisim.Wait(2*time.Second), arisim.HangUp()), "informazioni")
	a2 := seat(t, r, "102", arisim.Answer(0, arisim.WaitBridged(), arisim.Wait(2*time.Second), arisim.HangUp()), "informazioni")
	r.start("secret")
	const n = 200
	calls := make([]*arisim.Call, n)
	for i := range calls {
		calls[i] = r.call(fmt.Sprintf("+39347%07d", i), toInformazioni()...)
		time.Sleep(2 * time.Millisecond) // distinct arrival times
	}
	// The bounds below are failsafes, not figures: under -race on a loaded
	// two-core machine 200 callers take minutes to get through the IVR.
	r.within(5*time.Minute, "all 200 waiting", func() bool {
		qs, _ := r.db.QueuedCalls(bg)
		return len(qs) == n
	})
	r.stop()
	r.start("secret")
	login(t, r, "101", "102")
	served := time.After(5 * time.Minute)
	for _, c := range calls {
		select {
		case <-c.Done():
		case <-served:
			t.Fatalf("caller %s never served after the restart", c.ChannelID())
		}
	}
	// The queue log is written a moment after the calls end (the ACD's
	// recorder gathers its writes): complete once each call's last line
	// (COMPLETECALLER or COMPLETEAGENT) is there.
	r.within(time.Minute, "every call's queue log complete", func() bool {
		for _, c := range calls {
			if evs := queueEvents(t, r, c.ChannelID()); !hasEvent(evs, "COMPLETECALLER") && !hasEvent(evs, "COMPLETEAGENT") {
				return false
			}
		}
		return true
	})
	// Served in the order they reached the queue: each agent's calls
	// follow the callers' queue-entry times.
	order := map[string]int{}
	queued := map[string]time.Time{}
	for _, c := range calls {
		rec, err := r.db.CallByChannel(bg, c.ChannelID())
		if err != nil {
			t.Fatal(err)
		}
		queued[c.ChannelID()] = rec.QueuedAt
	}
	byEntry := slices.Clone(calls)
	slices.SortFunc(byEntry, func(a, b *arisim.Call) int { return queued[a.ChannelID()].Compare(queued[b.ChannelID()]) })
	for i, c := range byEntry {
		order[c.ChannelID()] = i
	}
	for _, phone := range []*arisim.Endpoint{a1, a2} {
		last := -1
		for _, leg := range phone.Calls() {
			rep := leg.Report()
			if len(rep.Bridged) == 0 {
				continue
			}
			i := -1
			for _, w := range rep.Bridged[0].With {
				if k, ok := order[w]; ok {
					i = k
				}
			}
			if i < 0 || hasEvent(queueEvents(t, r, byEntry[i].ChannelID()), "TRANSFER") {
				continue // put back in line after its agent vanished before the bridge
			}
			if i < last {
				t.Fatalf("%s served caller %d after caller %d", phone.Name(), i, last)
			}
			last = i
		}
	}
	r.within(time.Minute, "every record closed as answered", func() bool {
		closed, open, _ := r.db.CallCounts(bg)
		return open == 0 && closed >= n
	})
	answered := 0
	all, _ := r.db.Calls(bg, store.CallFilter{Limit: 1000})
	others := map[string]int{}
	for _, c := range all {
		if c.Outcome == ari.OutcomeAnswered {
			answered++
		} else {
			others[c.Outcome+"/"+c.HangupBy]++
		}
	}
	if answered != n {
		t.Fatalf("%d of %d answered; others %v", answered, n, others)
	}
}
