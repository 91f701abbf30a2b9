package ari_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/store"
)

func hasHeard(name string) func(arisim.CallReport) bool {
	return func(r arisim.CallReport) bool { return slices.Contains(heard(r), name) }
}

func TestOrdinaryHoursCallReachesQueue(t *testing.T) {
	r := newRig(t)
	c := r.call("+390862123456",
		arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"),
		arisim.Press("3"),
		arisim.WaitUntil("music on hold", hasHeard("moh:default")),
		arisim.Wait(5*time.Second),
		arisim.HangUp())
	rep := r.wait(c)
	got := heard(rep)
	want := []string{"benvenuto", "per-inglese", "menu-ordinario", "attesa-operatore", "moh:default"}
	if !slices.Equal(got, want) {
		t.Fatalf("heard %v, want %v", got, want)
	}
	if !rep.Answered {
		t.Fatal("the controller never answered")
	}
	rec := r.record(c.ChannelID())
	if rec.Caller != "+390862123456" || rec.Called != "800840840" || rec.Queue != "informazioni" ||
		rec.Category != "informazioni" || rec.Digits != "3" || rec.Outcome != ari.OutcomeAbandonedQueue ||
		rec.HangupBy != "caller" || rec.Mode != "ordinary" || rec.QueuedAt.IsZero() {
		t.Fatalf("record %+v", rec)
	}
	if !strings.HasPrefix(rec.IVRPath, "benvenuto>modalita>orario>menu-ordinario>informazioni>coda-informazioni") {
		t.Fatalf("path %q", rec.IVRPath)
	}
}

func TestOutOfHoursAndHoliday(t *testing.T) {
	for name, when := range map[string]time.Time{
		"evening":   time.Date(2026, 11, 24, 20, 0, 0, 0, rome),
		"saturday":  time.Date(2026, 11, 28, 10, 0, 0, 0, rome),
		"christmas": time.Date(2026, 12, 25, 10, 0, 0, 0, rome),
		"patron":    time.Date(2026, 6, 10, 10, 0, 0, 0, rome), // San Massimo, L'Aquila
	} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, at(when))
			c := r.call("+390612345678")
			rep := r.wait(c)
			if got := heard(rep); !slices.Equal(got, []string{"benvenuto", "per-inglese", "fuori-orario"}) {
				t.Fatalf("heard %v", got)
			}
			if rep.HungUpBy != "controller" {
				t.Fatalf("hung up by %q", rep.HungUpBy)
			}
			rec := r.record(c.ChannelID())
			if rec.Outcome != ari.OutcomeIVRCompleted || rec.HangupBy != "system" || rec.HangupCause != 16 || !strings.HasSuffix(rec.IVRPath, "orario>fuori-orario") {
				t.Fatalf("record %+v", rec)
			}
		})
	}
}

func TestRescueTagging(t *testing.T) {
	r := newRig(t)
	// A caller in danger presses 1 during the greeting, without waiting for the menu.
	c := r.call("+390862000111",
		arisim.WaitPlaybackStarted("sound:ascolto/benvenuto"),
		arisim.Press("1"),
		arisim.WaitUntil("music on hold", hasHeard("moh:default")),
		arisim.HangUp())
	rep := r.wait(c)
	// The key cuts the greeting wherever it has got to (on a loaded machine
	// the press lands later): some of it, then the 112 notice and the queue.
	got := heard(rep)
	n := len(got) - 2
	if n < 1 || !slices.Equal(got[:n], []string{"benvenuto", "per-inglese", "menu-ordinario"}[:min(n, 3)]) ||
		!slices.Equal(got[n:], []string{"avviso-112", "moh:default"}) {
		t.Fatalf("heard %v", got)
	}
	rec := r.record(c.ChannelID())
	if rec.Urgency != store.UrgencyRescue || rec.Category != "soccorso" || rec.Queue != "soccorso" {
		t.Fatalf("record %+v", rec)
	}
}

func TestMenuErrorPaths(t *testing.T) {
	r := newRig(t)
	cases := []struct {
		name   string
		steps  []arisim.Step
		heard  []string
		queue  string
		digits string
	}{
		{"invalid digit then a valid one",
			[]arisim.Step{arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("7"),
				arisim.WaitPlaybackStarted("sound:ascolto/scelta-non-valida"), arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"),
				arisim.Press("2"), arisim.WaitUntil("moh", hasHeard("moh:default")), arisim.HangUp()},
			[]string{"benvenuto", "per-inglese", "menu-ordinario", "scelta-non-valida", "menu-ordinario", "attesa-operatore", "moh:default"},
			"segnalazioni", "72"},
		{"silence until the retries run out",
			[]arisim.Step{arisim.WaitUntil("moh", hasHeard("moh:default")), arisim.HangUp()},
			[]string{"benvenuto", "per-inglese", "menu-ordinario", "nessuna-scelta", "menu-ordinario", "nessuna-scelta", "menu-ordinario", "attesa-operatore", "moh:default"},
			"informazioni", ""},
		{"star repeats the menu",
			[]arisim.Step{arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("*"),
				arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("3"),
				arisim.WaitUntil("moh", hasHeard("moh:default")), arisim.HangUp()},
			nil, "informazioni", "*3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := r.call("+390862555000", tc.steps...)
			rep := r.wait(c)
			got := heard(rep)
			if tc.heard != nil && !slices.Equal(got, tc.heard) {
				t.Fatalf("heard %v\nwant  %v", got, tc.heard)
			}
			rec := r.record(c.ChannelID())
			if rec.Queue != tc.queue || rec.Digits != tc.digits {
				t.Fatalf("queue %q digits %q, want %q %q", rec.Queue, rec.Digits, tc.queue, tc.digits)
			}
		})
	}
}

func TestHangupMidPromptMidMenuMidRecording(t *testing.T) {
	r := newRig(t)
	if _, err := r.db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	em := store.ModeChange{Mode: store.ModeEmergency, Reason: "test", SetBy: "test"}
	if err := r.db.SetMode(context.Background(), &em); err != nil {
		t.Fatal(err)
	}
	if err := r.state.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]arisim.Step{
		"mid-prompt": {arisim.WaitPlaybackStarted("sound:ascolto/benvenuto"), arisim.Wait(300 * time.Millisecond), arisim.HangUp()},
		"mid-menu":   {arisim.WaitPlaybackFinished("sound:ascolto/menu-emergenza"), arisim.Wait(time.Second), arisim.HangUp()},
		"mid-recording": {arisim.WaitPlaybackStarted("sound:ascolto/menu-emergenza"), arisim.Press("4"),
			arisim.WaitPlaybackFinished("sound:beep"), arisim.Talk(3 * time.Second), arisim.HangUp()},
	}
	for name, steps := range cases {
		t.Run(name, func(t *testing.T) {
			c := r.call("+390862999999", steps...)
			r.wait(c)
			rec := r.record(c.ChannelID())
			if rec.HangupBy != "caller" {
				t.Fatalf("record %+v", rec)
			}
			want := ari.OutcomeAbandonedIVR
			if name == "mid-recording" {
				want = ari.OutcomeRecorded
			}
			if rec.Outcome != want {
				t.Fatalf("outcome %q, want %q (%+v)", rec.Outcome, want, rec)
			}
		})
	}
	r.eventually("no call left in the controller", func() bool { return r.ctl.ActiveCalls() == 0 })
}
