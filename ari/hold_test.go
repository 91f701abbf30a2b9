package ari

import "testing"

// TestHoldingBridgesFillInOrder: waiting callers go to a queue's first
// holding bridge until it holds holdFill, then to the next; a bridge with
// room again is used before a later one; past every bridge's fill the
// least full takes the caller. One bridge for a moderate load keeps its
// music (an announcer channel Asterisk removes when it is alone) instead
// of Asterisk making one for nearly every caller.
func TestHoldingBridgesFillInOrder(t *testing.T) {
	ctl := &Controller{}
	var got []string
	for range holdFill + 1 {
		got = append(got, ctl.takeHold("q"))
	}
	for i, id := range got[:holdFill] {
		if id != "ascolto-hold-q" {
			t.Fatalf("caller %d waits in %s, want the first bridge", i, id)
		}
	}
	if got[holdFill] != "ascolto-hold-q-1" {
		t.Fatalf("caller %d waits in %s, want the second bridge", holdFill, got[holdFill])
	}
	ctl.releaseHold("ascolto-hold-q")
	if id := ctl.takeHold("q"); id != "ascolto-hold-q" {
		t.Fatalf("a caller after one left the full first bridge waits in %s", id)
	}
	if id := ctl.takeHold("other"); id != "ascolto-hold-other" {
		t.Fatalf("another queue's caller waits in %s", id)
	}
	// Everything full: the least full bridge.
	ctl = &Controller{}
	for range holdShards * holdFill {
		ctl.takeHold("q")
	}
	ctl.releaseHold("ascolto-hold-q-7")
	ctl.releaseHold("ascolto-hold-q-7")
	ctl.releaseHold("ascolto-hold-q-9")
	if id := ctl.takeHold("q"); id != "ascolto-hold-q-7" {
		t.Fatalf("with every bridge full the caller waits in %s, want the one with room", id)
	}
	ctl.takeHold("q") // q-7 full again
	ctl.takeHold("q") // q-9
	if id := ctl.takeHold("q"); id != "ascolto-hold-q" {
		t.Fatalf("past every bridge's fill the caller waits in %s, want the least full (the first of equals)", id)
	}
	// A caller taken back after a restart is counted where Asterisk has it.
	ctl = &Controller{}
	ctl.reconciledHolds(map[string]string{"ch1": "ascolto-hold-q-3"})
	if id, ok := ctl.adoptedHold("ch1"); !ok || id != "ascolto-hold-q-3" || ctl.holdIn[id] != 1 {
		t.Fatalf("adopted caller in %q (%v), counted %d", id, ok, ctl.holdIn[id])
	}
	if _, ok := ctl.adoptedHold("ch1"); ok {
		t.Fatal("a channel adopted twice")
	}
}
