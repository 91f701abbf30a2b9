package ari_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/acd"
	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/store"
)

// seat creates an agent (extension ext, endpoint PJSIP/ext) in the queues,
// and gives it a phone in the simulator that behaves as b.
func seat(t *testing.T, r *rig, ext string, b arisim.Behaviour, queues ...string) *arisim.Endpoint {
	t.Helper()
	a := store.Agent{Extension: ext, Endpoint: "PJSIP/" + ext, Name: "Operatore " + ext}
	if err := r.db.SaveAgent(bg, &a, "test"); err != nil {
		t.Fatal(err)
	}
	for _, q := range queues {
		if err := r.db.SetMembership(bg, q, ext, store.Member{}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	return r.sim.Endpoint("PJSIP/"+ext, b)
}

func setQueue(t *testing.T, r *rig, name string, edit func(q *store.Queue)) {
	t.Helper()
	q, err := r.db.QueueByName(bg, name)
	if err != nil {
		q = store.Queue{Name: name, Strategy: "longest-idle", RingTimeoutS: 15, SLPercent: 80, SLSeconds: 20, AnnounceS: 0}
	}
	edit(&q)
	if err := r.db.SaveQueue(bg, &q, "test"); err != nil {
		t.Fatal(err)
	}
}

func login(t *testing.T, r *rig, exts ...string) {
	t.Helper()
	for _, ext := range exts {
		if res := r.ctl.AgentCommand(bg, "login", ext, "", "test"); res != "ok" {
			t.Fatalf("login %s: %s", ext, res)
		}
	}
}

// queueEvents lists the queue-log event names of a call, in order.
func queueEvents(t *testing.T, r *rig, call string) []string {
	t.Helper()
	evs, err := r.db.QueueEvents(bg, store.QueueEventFilter{CallID: &call})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Event+":"+e.Agent)
	}
	return out
}

func waitEvents(t *testing.T, r *rig, call string, want ...string) []string {
	t.Helper()
	var got []string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if got = queueEvents(t, r, call); slices.Equal(got, want) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("queue events %v, want %v", got, want)
	return got
}

// informazioni: the caller presses 3 at the ordinary menu.
func toInformazioni(extra ...arisim.Step) []arisim.Step {
	return append([]arisim.Step{arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("3")}, extra...)
}

func TestACDAnswerTalkAndWrapUp(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.WrapupS = 20; q.MaxWaitS = 0; q.Overflow = "" })
	phone := seat(t, r, "101", arisim.Answer(2*time.Second, arisim.Wait(30*time.Second), arisim.HangUp()), "informazioni")
	r.start("secret")
	login(t, r, "101")

	c := r.call("+390862500001", toInformazioni(arisim.WaitBridged(), arisim.Wait(10*time.Second), arisim.HangUp())...)
	rep := r.wait(c)
	if len(rep.Bridged) == 0 {
		t.Fatalf("caller never bridged: %+v", rep)
	}
	ag := phone.LastCall().Report()
	if len(ag.Bridged) == 0 || !slices.Contains(ag.Bridged[0].With, c.ChannelID()) {
		t.Fatalf("agent's phone was not bridged with the caller: %+v", ag)
	}
	waitEvents(t, r, c.ChannelID(), "ENTERQUEUE:", "CONNECT:101", "COMPLETECALLER:101")
	rec := r.record(c.ChannelID())
	r.eventually("the ACD's accounting on the record", func() bool {
		rec, _ = r.db.CallByChannel(bg, c.ChannelID())
		return rec.TalkS >= 9 && !rec.ConnectedAt.IsZero()
	})
	if rec.Outcome != ari.OutcomeAnswered || rec.Agent != "101" || rec.HangupBy != "caller" {
		t.Fatalf("record %+v", rec)
	}
	// The agent's leg was hung up with the caller, and wrap-up follows.
	r.eventually("agent leg gone", func() bool { return phone.LastCall().Report().Ended })
	r.eventually("wrap-up recorded", func() bool {
		got, _ := r.db.CallByChannel(bg, c.ChannelID())
		return got.WrapupS >= 19
	})
}

// TestAgentDropsBeforeTheBridge: an agent's phone answers and hangs up at
// once, before the caller can be bridged with it. The caller is not cut
// off: they go back in line and the next agent takes them. The agent is
// not paused for one such call (a person who heard nothing while a busy
// Asterisk made the bridge and hung up), but a phone that does it twice in
// a row is, as for a ring with no answer.
func TestAgentDropsBeforeTheBridge(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	dropper := seat(t, r, "101", arisim.Answer(0, arisim.HangUp()), "informazioni")
	seat(t, r, "102", arisim.Answer(time.Second), "informazioni")
	r.start("secret")
	login(t, r, "101")
	// 101 logged in first (each login is answered before the next): idle longest, rung first.
	login(t, r, "102")
	c := r.call("+390862500003", toInformazioni(arisim.WaitBridged(), arisim.Wait(5*time.Second), arisim.HangUp())...)
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("caller still up; queue events %v", queueEvents(t, r, c.ChannelID()))
	}
	if rep := c.Report(); len(rep.Bridged) == 0 {
		t.Fatalf("caller never bridged: %+v", rep)
	}
	// 101, still longest idle and not paused after one drop, is offered
	// the caller again; after the second drop it is paused, and 102 takes
	// the caller. (The record's ACD figures are written with the queue
	// log: once its last line is there, the record is final.)
	waitEvents(t, r, c.ChannelID(), "ENTERQUEUE:", "CONNECT:101", "TRANSFER:101", "ENTERQUEUE:", "CONNECT:101", "TRANSFER:101",
		"ENTERQUEUE:", "CONNECT:102", "COMPLETECALLER:102")
	if rec := r.record(c.ChannelID()); rec.Outcome != ari.OutcomeAnswered || rec.Agent != "102" || rec.HangupBy != "caller" {
		t.Fatalf("record %+v: want answered by 102, hung up by the caller", rec)
	}
	if n := len(dropper.Calls()); n != 2 {
		t.Fatalf("101 rung %d times, want 2", n)
	}
	for _, call := range dropper.Calls() {
		if len(call.Report().Bridged) != 0 {
			t.Fatal("101's phone was bridged")
		}
	}
	r.eventually("101 paused for no answer", r.pausedFor("101", "no answer"))
}

func TestACDRONAAndNextAgent(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.RingTimeoutS = 10; q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	seat(t, r, "101", arisim.NoAnswer(), "informazioni")
	seat(t, r, "102", arisim.Answer(time.Second), "informazioni")
	r.start("secret")
	login(t, r, "101")
	// 101 logged in first (each login is answered before the next): idle longest, rung first.
	login(t, r, "102")
	c := r.call("+390862500002", toInformazioni(arisim.WaitBridged(), arisim.Wait(5*time.Second), arisim.HangUp())...)
	r.wait(c)
	got := waitEvents(t, r, c.ChannelID(), "ENTERQUEUE:", "RINGNOANSWER:101", "CONNECT:102", "COMPLETECALLER:102")
	_ = got
	none := "NONE"
	evs, _ := r.db.QueueEvents(bg, store.QueueEventFilter{CallID: &none})
	paused := false
	for _, e := range evs {
		paused = paused || (e.Event == store.QPause && e.Agent == "101" && e.Data[0] == "no answer")
	}
	if !paused {
		t.Fatalf("101 not paused after RONA: %+v", evs)
	}
	r.eventually("snapshot shows 101 paused", r.pausedFor("101", "no answer"))
}

func TestACDCallerLeavesWhileRingingAndAgentHangsUpFirst(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.RingTimeoutS = 20; q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	slow := seat(t, r, "101", arisim.NoAnswer(), "informazioni")
	r.start("secret")
	login(t, r, "101")
	// Abandon while the agent's phone rings.
	c := r.call("+390862500003", toInformazioni(arisim.WaitUntil("music", hasHeard("moh:default")), arisim.Wait(4*time.Second), arisim.HangUp())...)
	r.wait(c)
	r.eventually("agent rung", func() bool { return slow.LastCall() != nil })
	waitEvents(t, r, c.ChannelID(), "ENTERQUEUE:", "ABANDON:")
	r.eventually("ringing leg hung up", func() bool { return slow.LastCall().Report().Ended })
	if rec := r.record(c.ChannelID()); rec.Outcome != ari.OutcomeAbandonedQueue {
		t.Fatalf("abandon record %+v", rec)
	}

	// The agent hangs up first.
	slow.SetBehaviour(arisim.Answer(time.Second, arisim.Wait(4*time.Second), arisim.HangUp()))
	c2 := r.call("+390862500004", toInformazioni(arisim.WaitBridged())...)
	rep := r.wait(c2)
	if rep.HungUpBy != "controller" {
		t.Fatalf("caller hung up by %q after the agent left", rep.HungUpBy)
	}
	waitEvents(t, r, c2.ChannelID(), "ENTERQUEUE:", "CONNECT:101", "COMPLETEAGENT:101")
	if rec := r.record(c2.ChannelID()); rec.Outcome != ari.OutcomeAnswered || rec.HangupBy != "agent" || rec.HangupCause != 16 || rec.AnsweredAt.IsZero() || rec.QueuedAt.Before(rec.ArrivedAt) {
		t.Fatalf("agent-first record %+v", rec)
	}
}

func TestACDUnreachablePhoneIsNeverRung(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	dead := seat(t, r, "101", arisim.Unreachable(), "informazioni")
	r.start("secret")
	login(t, r, "101")
	c := r.call("+390862500005", toInformazioni(arisim.Wait(8*time.Second))...)
	time.Sleep(400 * time.Millisecond) // 16 s of scaled time
	if dead.LastCall() != nil {
		t.Fatal("an unreachable phone was rung")
	}
	// The phone registers: the waiting caller is put through.
	dead.SetBehaviour(arisim.Answer(time.Second))
	r.eventually("caller bridged once the phone is back", func() bool { return c.Report().BridgedNow })
	c.HangUp()
	r.wait(c)
}

func TestACDRescueGoesFirst(t *testing.T) {
	r := newRig(t, dontStart())
	for _, q := range []string{"informazioni", "soccorso"} {
		setQueue(t, r, q, func(q *store.Queue) { q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	}
	phone := seat(t, r, "101", arisim.Answer(time.Second, arisim.Wait(3*time.Second), arisim.HangUp()), "informazioni", "soccorso")
	r.start("secret")
	// Two callers wait before anyone logs in: information first, rescue second.
	info := r.call("+390862600001", toInformazioni(arisim.WaitBridged(), arisim.Wait(time.Second), arisim.HangUp())...)
	r.eventually("info waiting", func() bool { return slices.Contains(heard(info.Report()), "moh:default") })
	rescue := r.call("+390862600002", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("1"),
		arisim.WaitBridged(), arisim.Wait(time.Second), arisim.HangUp())
	r.eventually("rescue waiting", func() bool { return slices.Contains(heard(rescue.Report()), "avviso-112") })
	time.Sleep(100 * time.Millisecond)
	login(t, r, "101")
	r.wait(rescue)
	r.wait(info)
	calls := phone.Calls()
	if len(calls) < 2 || len(calls[0].Report().Bridged) == 0 || !slices.Contains(calls[0].Report().Bridged[0].With, rescue.ChannelID()) {
		t.Fatalf("the agent's first call was not the rescue call (%d calls)", len(calls))
	}
	if rec := r.record(rescue.ChannelID()); rec.Urgency != store.UrgencyRescue || rec.Priority != 10 {
		t.Fatalf("rescue record %+v", rec)
	}
}

func TestKPIMetricsAndStaffing(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	seat(t, r, "101", arisim.Answer(time.Second, arisim.Wait(2*time.Second), arisim.HangUp()), "informazioni")
	r.start("secret")
	login(t, r, "101")
	c := r.call("+390862800001", toInformazioni(arisim.WaitBridged())...)
	r.wait(c)
	r.eventually("answered counted", func() bool {
		return metric(r, "ascolto_queue_answered_total", "queue", "informazioni") == 1 &&
			metric(r, "ascolto_queue_offered_total", "queue", "informazioni") == 1
	})
	r.eventually("the agent shown available after the call", func() bool {
		return metric(r, "ascolto_queue_agents", "queue", "informazioni", "state", "available") == 1
	})
	r.eventually("arrival rate and staffing", func() bool {
		l := r.ctl.Live()
		return l != nil && l.ArrivalPerHour["informazioni"] > 0 && l.Needed["informazioni"] >= 1
	})
	// The CLI reads the same picture from the store.
	r.eventually("snapshot stored", func() bool {
		_, body, err := r.db.ACDSnapshot(bg)
		return err == nil && strings.Contains(body, `"ArrivalPerHour"`) && strings.Contains(body, `"informazioni"`)
	})
}

// TestEmergencyOnlyMembersJoinInAnEmergency: reserve staff (emergency-only
// members) take calls once the mode switches to emergency.
func TestEmergencyOnlyMembersJoinInAnEmergency(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	reserve := seat(t, r, "301", arisim.Answer(time.Second))
	if err := r.db.SetMembership(bg, "informazioni", "301", store.Member{EmergencyOnly: true}, "test"); err != nil {
		t.Fatal(err)
	}
	r.start("secret")
	login(t, r, "301")
	c := r.call("+390862900001", toInformazioni(arisim.WaitBridged(), arisim.Wait(time.Second), arisim.HangUp())...)
	r.eventually("caller waiting", func() bool { return slices.Contains(heard(c.Report()), "moh:default") })
	time.Sleep(200 * time.Millisecond)
	if reserve.LastCall() != nil {
		t.Fatal("an emergency-only member was rung in ordinary mode")
	}
	setMode(t, r, store.ModeEmergency)
	r.wait(c)
	if reserve.LastCall() == nil || len(c.Report().Bridged) == 0 {
		t.Fatal("the reserve agent did not take the call in the emergency")
	}
}

// TestQueueCountersForTheDay: the wallboard's figures for the day survive a
// controller restart, and start again at local midnight.
func TestQueueCountersForTheDay(t *testing.T) {
	r := newRig(t, at(time.Date(2026, 11, 24, 23, 55, 0, 0, rome)), dontStart())
	setMode(t, r, store.ModeEmergency) // open at night
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	seat(t, r, "101", arisim.Answer(time.Second), "informazioni")
	r.start("secret")
	login(t, r, "101")
	c := r.call("+390862500009", arisim.WaitUntil("emergency menu", hasHeard("menu-emergenza")), arisim.Press("3"),
		arisim.WaitBridged(), arisim.Wait(5*time.Second), arisim.HangUp())
	r.wait(c)
	counted := func(offered, answered int) func() bool {
		return func() bool {
			snap := r.ctl.Snapshot()
			if snap == nil {
				return false
			}
			for _, q := range snap.Queues {
				if q.Name == "informazioni" {
					return q.Offered == offered && q.Answered == answered
				}
			}
			return false
		}
	}
	r.eventually("the call counted", counted(1, 1))
	// What a crash would leave behind: the counters saved while running
	// (a clean stop saves them again on the way out, so that is undone).
	var crashed string
	r.eventually("counters saved while running", func() bool {
		_, body, err := r.db.ACDState(bg)
		var st acd.State
		if err == nil && json.Unmarshal([]byte(body), &st) == nil && st.Counters["informazioni"].Answered == 1 {
			crashed = body
			return true
		}
		return false
	})
	r.stop()
	if err := r.db.SaveACDState(bg, r.clk.Now(), crashed); err != nil {
		t.Fatal(err)
	}
	r.start("secret")
	r.eventually("the day's figures back after the restart", counted(1, 1))
	if now := r.clk.Now().In(rome); now.Day() != 24 {
		t.Fatalf("the test ran past midnight too soon (%s): lower its load", now)
	}
	r.eventually("the figures start again at midnight", counted(0, 0))
	if now := r.clk.Now().In(rome); now.Day() != 25 {
		t.Fatalf("counters reset at %s, before midnight", now)
	}
}

// TestReloadRenamesAndMovesAnAgent: a seat renamed and moved to another
// site while its agent is signed in shows so after a reload, still taking
// calls.
func TestReloadRenamesAndMovesAnAgent(t *testing.T) {
	r := newRig(t, dontStart())
	seat(t, r, "101", arisim.Answer(time.Second), "informazioni")
	r.start("secret")
	login(t, r, "101")
	rm := store.Site{Code: "rm", Name: "Roma"}
	if err := r.db.SaveSite(bg, &rm, "test"); err != nil {
		t.Fatal(err)
	}
	a := store.Agent{Extension: "101", Endpoint: "PJSIP/101", Name: "Maria Bianchi", Site: "rm"}
	if err := r.db.SaveAgent(bg, &a, "test"); err != nil {
		t.Fatal(err)
	}
	if res := r.ctl.Reload(bg); res != "ok" {
		t.Fatalf("reload: %s", res)
	}
	r.eventually("the wallboard shows the new name and site", func() bool {
		snap := r.ctl.Snapshot()
		if snap == nil {
			return false
		}
		for _, s := range snap.Sites {
			if s.Site == "aq" && s.Agents.Available != 0 {
				return false
			}
		}
		for _, ag := range snap.Agents {
			if ag.ID == "101" {
				return ag.Name == "Maria Bianchi" && ag.Site == "rm" && ag.State == acd.Available
			}
		}
		return false
	})
}

// TestAgentFreedBeforeTheCallerIsHungUp: when the agent hangs up, the
// agent is offered the next caller at once, not once Asterisk has answered
// the request that hangs up the last caller. Under load that answer took
// seconds, and agents sat idle while callers waited.
func TestAgentFreedBeforeTheCallerIsHungUp(t *testing.T) {
	r := newRig(t, dontStart())
	setQueue(t, r, "informazioni", func(q *store.Queue) { q.RingTimeoutS = 20; q.MaxWaitS = 0; q.Overflow = ""; q.WrapupS = 0 })
	phone := seat(t, r, "101", arisim.Answer(time.Second, arisim.Wait(3*time.Second), arisim.HangUp()), "informazioni")
	r.restTimeout = 5 * time.Minute // the hang-up below is held: it must not time out first
	r.start("secret")
	login(t, r, "101")
	first := r.call("+390862500011", toInformazioni(arisim.WaitBridged())...)
	hold := r.sim.HoldNext("DELETE", "/channels/"+first.ChannelID())
	r.eventually("first caller talking", func() bool { return len(first.Report().Bridged) > 0 })
	next := r.call("+390862500012", toInformazioni(arisim.WaitBridged())...)
	r.eventually("second caller waiting", func() bool { return slices.Contains(heard(next.Report()), "moh:default") })
	select {
	case <-hold.Arrived():
	case <-time.After(30 * time.Second):
		t.Fatal("the first caller was never hung up after the agent left")
	}
	r.eventually("agent rung for the next caller while the first one's hang-up is pending", func() bool {
		return len(phone.Calls()) == 2
	})
	hold.Release()
	rep := r.wait(next)
	if len(rep.Bridged) == 0 {
		t.Fatalf("next caller never bridged: %+v", rep)
	}
	r.wait(first)
	waitEvents(t, r, first.ChannelID(), "ENTERQUEUE:", "CONNECT:101", "COMPLETEAGENT:101")
}
