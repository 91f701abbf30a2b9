package main

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/internal/asttest"
	"github.com/ascolto/ascolto/store"
)

// The three parties of a supervised call each speak a tone of their own;
// what each one hears is measured at its phone, in the RTP Asterisk sent it.
var superviseTones = map[string]float64{"caller": 600, "agent": 1000, "supervisor": 1500}

const (
	toneHeard  = 1500.0 // the tones are spoken at 6000
	toneSilent = 300.0
)

// TestRealAsteriskSupervision: a supervisor listens to, whispers to and
// barges into a live call between a caller and an agent, from the console,
// with their own desk phone. Listening hears both sides and is heard by
// neither; whispering is heard by the agent only; barging by both. Each
// supervision ends when the supervisor stops it from the console, leaving
// the call as it was. Then one supervision is switched listen → whisper →
// barge → listen on the phone answered once, and stopped.
func TestRealAsteriskSupervision(t *testing.T) {
	t.Parallel()
	asttest.Prefix(t)
	caller := asttest.NewMedia(t, asttest.CarrierIP, superviseTones["caller"])
	agent := asttest.NewMedia(t, "127.0.0.1", superviseTones["agent"])
	sup := asttest.NewMedia(t, "127.0.0.1", superviseTones["supervisor"])
	// The supervisor's phone stays up until the console stops the
	// supervision (it would hang up after 3 minutes).
	r := newRealRig(t, rigSpec{Flow: queueFlow, Phones: &asttest.PhoneSpec{Ring: 300 * time.Millisecond, Media: agent}, Seats: []string{"2501"},
		Others: []phoneGroup{{asttest.PhoneSpec{Ring: 300 * time.Millisecond, Talk: 3 * time.Minute, Media: sup}, []string{"2599"}}}})
	if out, errs, code := cliIn(t, r.envs, "password-di-luca\n", "user", "add", "verdi", "--role", "supervisor", "--name", "Luca Verdi", "--password-stdin"); code != 0 {
		t.Fatalf("user add: %s %s", out, errs)
	}
	if out, errs, code := cli(t, r.envs, "agent", "add", "2599", "--endpoint", "PJSIP/2599", "--name", "Luca Verdi", "--user", "verdi", "--wait", "0s"); code != 0 {
		t.Fatalf("agent add 2599: %s %s", out, errs)
	}
	boss := signIn(t, r.s.base, "verdi", "password-di-luca", "/supervisor")

	from := "+390862950001"
	call := r.ast.Call(t, asttest.CallSpec{From: from, Media: caller, Wait: 3 * time.Minute})
	r.eventually("the caller talking with the agent", 60*time.Second, func() bool {
		calls, _ := r.db.Calls(context.Background(), store.CallFilter{Caller: &from})
		return len(calls) == 1 && !calls[0].ConnectedAt.IsZero()
	})
	connected := time.Now()
	callerChan := r.channel(from)
	parties := map[string]*asttest.Media{"caller": caller, "agent": agent, "supervisor": sup}

	// Before any supervision: caller and agent hear each other.
	r.untilHears(agent, "the agent", "caller")
	heard := r.measure(parties, 2*time.Second)
	r.expect(heard, "no supervision", map[string][]string{"caller": {"agent"}, "agent": {"caller"}})

	// The supervisor stops: the phone, the snoop and its bridge go, the
	// call goes on, and nobody hears the supervisor any more.
	stopped := func(what, before string) {
		t.Helper()
		if err := boss.send("supervisor.stop", map[string]string{}); err != nil {
			t.Fatalf("stop after %s: %v", what, err)
		}
		r.eventually("the supervision over ("+what+")", 30*time.Second, func() bool {
			out := r.ast.MustCLI("bridge show all") + r.ast.MustCLI("core show channels")
			return !strings.Contains(out, "ascolto-watch-") && !regexp.MustCompile(`(?m)^(Snoop/|PJSIP/2599-)`).MatchString(out)
		})
		if after := r.ast.MustCLI("core show channels count"); !strings.Contains(after, "2 active channels") {
			t.Errorf("after %s: %s (before: %s)", what, after, before)
		}
		heard := r.measure(parties, time.Second)
		r.expect(heard, "after "+what, map[string][]string{"caller": {"agent"}, "agent": {"caller"}})
	}
	for _, c := range []struct {
		mode  string
		hears map[string][]string // who hears whom while it lasts
	}{
		{"listen", map[string][]string{"caller": {"agent"}, "agent": {"caller"}, "supervisor": {"caller", "agent"}}},
		{"whisper", map[string][]string{"caller": {"agent"}, "agent": {"caller", "supervisor"}, "supervisor": {"caller", "agent"}}},
		{"barge", map[string][]string{"caller": {"agent", "supervisor"}, "agent": {"caller", "supervisor"}, "supervisor": {"caller", "agent"}}},
	} {
		before := r.ast.MustCLI("core show channels count")
		if err := boss.send("supervisor."+c.mode, map[string]string{"agent": "2501"}); err != nil {
			t.Fatalf("%s: %v", c.mode, err)
		}
		r.untilHears(sup, "the supervisor ("+c.mode+")", "caller", "agent")
		topology := r.ast.MustCLI("bridge show all") + r.ast.MustCLI("core show channels")
		heard := r.measure(parties, 2*time.Second)
		r.expect(heard, c.mode, c.hears)
		snoop := regexp.MustCompile(`(?m)^Snoop/`).MatchString(topology)
		watchBridge := strings.Contains(topology, "ascolto-watch-")
		if (c.mode == "barge") == (snoop || watchBridge) {
			t.Errorf("%s: snoop channel %v, supervision bridge %v:\n%s", c.mode, snoop, watchBridge, topology)
		}
		stopped(c.mode, before)
	}

	// One supervision switched on the phone answered once: whisper is
	// heard by the agent, barge by both, listen again by neither.
	supPhones := func() int {
		return len(regexp.MustCompile(`(?m)^PJSIP/2599-`).FindAllString(r.ast.MustCLI("core show channels"), -1))
	}
	hears := func(m *asttest.Media, who string) bool {
		return asttest.Level(m.Heard(time.Now().Add(-time.Second)), superviseTones[who]) >= toneHeard
	}
	for _, c := range []struct {
		mode  string
		ready func() bool
		hears map[string][]string
	}{
		{"listen", func() bool { return hears(sup, "caller") && hears(sup, "agent") },
			map[string][]string{"caller": {"agent"}, "agent": {"caller"}, "supervisor": {"caller", "agent"}}},
		{"whisper", func() bool { return hears(agent, "supervisor") },
			map[string][]string{"caller": {"agent"}, "agent": {"caller", "supervisor"}, "supervisor": {"caller", "agent"}}},
		{"barge", func() bool { return hears(caller, "supervisor") },
			map[string][]string{"caller": {"agent", "supervisor"}, "agent": {"caller", "supervisor"}, "supervisor": {"caller", "agent"}}},
		{"listen", func() bool {
			return !hears(caller, "supervisor") && !hears(agent, "supervisor") && hears(sup, "caller")
		},
			map[string][]string{"caller": {"agent"}, "agent": {"caller"}, "supervisor": {"caller", "agent"}}},
	} {
		if err := boss.send("supervisor."+c.mode, map[string]string{"agent": "2501"}); err != nil {
			t.Fatalf("switch to %s: %v", c.mode, err)
		}
		r.eventually("switched to "+c.mode, 30*time.Second, c.ready)
		r.expect(r.measure(parties, 2*time.Second), "switched to "+c.mode, c.hears)
		if n := supPhones(); n != 1 {
			t.Errorf("%s: %d channels to the supervisor's phone, want the one answered", c.mode, n)
		}
	}
	stopped("the switches", r.ast.MustCLI("core show channels count"))

	// The call ends as any other, its talk counted from the connection to
	// now, across every supervision.
	talked := time.Since(connected)
	r.ast.MustCLI("channel request hangup " + callerChan)
	call.Wait(time.Minute)
	rec := r.record(from)
	if rec.Outcome != "answered" || rec.Agent != "2501" || float64(rec.TalkS) < talked.Seconds()-2 {
		t.Errorf("record %+v", rec)
	}
	if l := r.s.log(); strings.Contains(l, "supervision not connected") || strings.Contains(l, "not switched") || strings.Contains(l, "not hung up") {
		t.Errorf("ascolto's log:\n%s", asttest.Tail(l, 40))
	}
}

// untilHears waits until a party hears each of the others named (the
// last second of what it received).
func (r *realRig) untilHears(m *asttest.Media, who string, others ...string) {
	r.t.Helper()
	r.eventually(who+" hearing "+strings.Join(others, " and "), 30*time.Second, func() bool {
		s := m.Heard(time.Now().Add(-time.Second))
		if len(s) < 6000 {
			return false
		}
		for _, o := range others {
			if asttest.Level(s, superviseTones[o]) < toneHeard {
				return false
			}
		}
		return true
	})
}

// measure collects d of what every party hears from now on.
func (r *realRig) measure(parties map[string]*asttest.Media, d time.Duration) map[string][]int16 {
	r.t.Helper()
	from := time.Now()
	out := map[string][]int16{}
	r.eventually("audio to measure", d+20*time.Second, func() bool {
		for name, m := range parties {
			out[name] = m.Heard(from)
		}
		return time.Since(from) >= d && len(out["caller"]) >= int(d.Seconds()*8000*0.9) && len(out["agent"]) >= int(d.Seconds()*8000*0.9)
	})
	for name, s := range out {
		if max := int(d.Seconds() * 8000); len(s) > max {
			out[name] = s[:max]
		}
	}
	return out
}

// expect checks who hears whom: each party named hears the tones listed
// and none of the others'.
func (r *realRig) expect(heard map[string][]int16, when string, hears map[string][]string) {
	r.t.Helper()
	for party, want := range hears {
		s := heard[party]
		r.t.Logf("%s: the %s heard %s", when, party, asttest.Levels(s, superviseTones))
		for other, hz := range superviseTones {
			if other == party {
				continue
			}
			l := asttest.Level(s, hz)
			switch should := slices.Contains(want, other); {
			case should && l < toneHeard:
				r.t.Errorf("%s: the %s does not hear the %s (%s)", when, party, other, asttest.Levels(s, superviseTones))
			case !should && l > toneSilent:
				r.t.Errorf("%s: the %s hears the %s (%s)", when, party, other, asttest.Levels(s, superviseTones))
			}
		}
	}
}
