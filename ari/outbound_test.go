package ari_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/store"
)

// TestOutboundScriptedConversation: the on-call call-out's conversation
// shape — answer, a message, "press 1", minutes to arrival then #.
func TestOutboundScriptedConversation(t *testing.T) {
	r := newRig(t)
	const op = "+393401234567"
	r.sim.Remote(op, arisim.Answer(2*time.Second, arisim.WaitPlaybackStarted("sound:ascolto/arrivederci"),
		arisim.Press("1"), arisim.Wait(4*time.Second), arisim.PressGap("20#", 300*time.Millisecond), arisim.Wait(20*time.Second)))
	out, err := r.ctl.Dial(bg, ari.DialRequest{Number: op, Purpose: "callout", LinkedID: "activation-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Play(bg, "sound:ascolto/arrivederci"); err != nil {
		t.Fatal(err)
	}
	key, err := out.Collect(bg, ari.CollectOptions{Max: 1, First: 10 * time.Second})
	if err != nil || key != "1" {
		t.Fatalf("key %q %v", key, err)
	}
	eta, err := out.Collect(bg, ari.CollectOptions{Terminator: '#', First: 15 * time.Second})
	if err != nil || eta != "20" {
		t.Fatalf("eta %q %v", eta, err)
	}
	if err := out.Hangup(bg); err != nil {
		t.Fatal(err)
	}
	rec := r.record(out.ChannelID())
	// The service hung up, asking Asterisk for Normal Clearing: the soft
	// hang-up request's cause field (32) is no Q.850 cause.
	if rec.Direction != "outbound" || rec.Outcome != "callout" || rec.Called != op || rec.LinkedID != "activation-1" ||
		rec.HangupBy != "system" || rec.HangupCause != 16 {
		t.Fatalf("record %+v", rec)
	}
}

func TestOutboundFailures(t *testing.T) {
	r := newRig(t)
	cases := []struct {
		number string
		b      arisim.Behaviour
		reason string
	}{
		{"+393400000001", arisim.Busy(), "busy"},
		{"+393400000002", arisim.NoAnswer(), "no-answer"},
	}
	for _, c := range cases {
		r.sim.Remote(c.number, c.b)
		_, err := r.ctl.Dial(bg, ari.DialRequest{Number: c.number, Purpose: "callout", Timeout: 10 * time.Second})
		var de *ari.DialError
		if !errors.As(err, &de) || de.Reason != c.reason {
			t.Fatalf("%s: err %v, want %s", c.number, err, c.reason)
		}
	}
	r.sim.RefuseOriginates("PJSIP/+39340")
	_, err := r.ctl.Dial(bg, ari.DialRequest{Number: "+393400000003", Purpose: "callout"})
	var de *ari.DialError
	if !errors.As(err, &de) || de.Err == nil {
		t.Fatalf("refused originate: %v", err)
	}
	// A person who answers and hangs up without pressing anything.
	r.sim.AcceptOriginates()
	r.sim.Remote("+393400000004", arisim.Answer(time.Second, arisim.Wait(time.Second), arisim.HangUp()))
	out, err := r.ctl.Dial(bg, ari.DialRequest{Number: "+393400000004", Purpose: "callout"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := out.Collect(bg, ari.CollectOptions{Max: 1}); !errors.Is(err, ari.ErrHungUp) {
		t.Fatalf("collect after hang-up: %v", err)
	}
	if rec := r.record(out.ChannelID()); rec.HangupBy != "callee" || rec.HangupCause != 16 {
		t.Fatalf("the person hung up: record %+v", rec)
	}
	calls, _ := r.db.Calls(bg, store.CallFilter{})
	var outcomes []string
	for _, c := range calls {
		outcomes = append(outcomes, c.Outcome)
	}
	for _, want := range []string{"callout-busy", "callout-no-answer", "callout"} {
		if !slices.Contains(outcomes, want) {
			t.Fatalf("outcomes %v lack %s", outcomes, want)
		}
	}
}
