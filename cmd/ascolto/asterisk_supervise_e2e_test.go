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
// supervision ends when the supervisor hangs up, leaving the call as it was.
func TestRealAsteriskSupervision(t *testing.T) {
	t.Parallel()
	asttest.Prefix(t)
	caller := asttest.NewMedia(t, asttest.CarrierIP, superviseTones["caller"])
	agent := asttest.NewMedia(t, "127.0.0.1", superviseTones["agent"])
	sup := asttest.NewMedia(t, "127.0.0.1", superviseTones["supervisor"])
	// The supervisor's phone hangs up 12 s after answering: that is how a
	// supervision ends (the console has no "stop").
	r := newRealRig(t, rigSpec{Flow: queueFlow, Phones: &asttest.PhoneSpec{Ring: 300 * time.Millisecond, Media: agent}, Seats: []string{"2501"},
		Others: []phoneGroup{{asttest.PhoneSpec{Ring: 300 * time.Millisecond, Talk: 12 * time.Second, Media: sup}, []string{"2599"}}}})
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
	callerChan := r.channel(from)
	parties := map[string]*asttest.Media{"caller": caller, "agent": agent, "supervisor": sup}

	// Before any supervision: caller and agent hear each other.
	r.untilHears(agent, "the agent", "caller")
	heard := r.measure(parties, 2*time.Second)
	r.expect(heard, "no supervision", map[string][]string{"caller": {"agent"}, "agent": {"caller"}})

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
		// The supervisor hangs up: the snoop and its bridge go, the call
		// goes on, and nobody hears the supervisor any more.
		r.eventually("the supervision over ("+c.mode+")", 30*time.Second, func() bool {
			out := r.ast.MustCLI("bridge show all") + r.ast.MustCLI("core show channels")
			return !strings.Contains(out, "ascolto-watch-") && !regexp.MustCompile(`(?m)^(Snoop/|PJSIP/2599-)`).MatchString(out)
		})
		if after := r.ast.MustCLI("core show channels count"); !strings.Contains(after, "2 active channels") {
			t.Errorf("after %s: %s (before: %s)", c.mode, after, before)
		}
		heard = r.measure(parties, time.Second)
		r.expect(heard, "after "+c.mode, map[string][]string{"caller": {"agent"}, "agent": {"caller"}})
	}

	// The call ends as any other.
	r.ast.MustCLI("channel request hangup " + callerChan)
	call.Wait(time.Minute)
	rec := r.record(from)
	if rec.Outcome != "answered" || rec.Agent != "2501" || rec.TalkS < 30 {
		t.Errorf("record %+v", rec)
	}
	if l := r.s.log(); strings.Contains(l, "supervision not connected") || strings.Contains(l, "not hung up") {
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
