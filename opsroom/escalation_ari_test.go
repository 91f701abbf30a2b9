package opsroom_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/live"
	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// TestEscalationCallThroughTheSimulator: nobody acknowledges a rescue
// request; two minutes later the controller phones the operations room
// over the trunk, the room hears the tracking id and presses 1; once
// acknowledged, no more calls.
func TestEscalationCallThroughTheSimulator(t *testing.T) {
	const speed = 40
	const room = "+390668201"
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	clk := clock.Scaled(start, speed)
	sim := arisim.New(arisim.WithCredentials("ascolto", "secret"), arisim.WithClock(clk))
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()

	var mu sync.Mutex
	var heard []string
	sim.Remote(room, arisim.Answer(2*time.Second,
		arisim.WaitUntil("the tracking id is read", func(r arisim.CallReport) bool {
			mu.Lock()
			defer mu.Unlock()
			heard = heard[:0]
			for _, h := range r.Heard {
				heard = append(heard, h.URI)
			}
			return strings.Contains(strings.Join(heard, " "), "sound:ascolto/"+opsroom.PromptConfirm)
		}),
		arisim.Press("1"), arisim.Wait(30*time.Second)))

	db := storetest.Engines()[0].Open(t, clk)
	ds, err := geo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SeedGeo(bg, ds); err != nil {
		t.Fatal(err)
	}
	state, err := live.New(db, clk, zap.NewNop(), "aq")
	if err != nil {
		t.Fatal(err)
	}
	if err := state.Refresh(bg); err != nil {
		t.Fatal(err)
	}
	client, err := ari.NewClient(ari.ClientOptions{URL: url, User: "ascolto", Password: "secret", App: "ascolto"})
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := ari.New(ari.Options{Client: client, Store: db, Live: state, Clock: clk,
		Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), PingEvery: 200 * time.Millisecond, DeadAfter: time.Second,
		MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	ctlDone := make(chan struct{})
	go func() { ctl.Run(ctx); close(ctlDone) }()
	defer func() { cancel(); <-ctlDone }()
	waitFor(t, "the controller connects", func() bool { return strings.Contains(ctl.State(), "connected") })

	svc, err := opsroom.New(opsroom.Options{Store: db, Clock: clk, Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)),
		Config: opsroom.Config{RoomNumber: room}, Phone: ari.OpsRoomPhone(ctl)})
	if err != nil {
		t.Fatal(err)
	}
	svcDone := make(chan struct{})
	go func() { svc.Run(ctx); close(svcDone) }()
	defer func() { cancel(); <-svcDone }()

	c := store.Case{Channel: store.ChannelPhone, ComuneCode: "037006", Urgency: store.UrgencyRescue, Summary: "Famiglia sul tetto"}
	if err := db.CreateCase(bg, &c); err != nil {
		t.Fatal(err)
	}
	v, err := svc.Forward(bg, opsroom.Forward{CaseID: c.ID, By: "rossi"})
	if err != nil || v.Kind != store.OpsRescue {
		t.Fatalf("forward %+v %v", v, err)
	}
	// Two simulated minutes are three seconds here.
	waitFor(t, "the escalation call is confirmed", func() bool {
		d, err := svc.Item(bg, v.ID)
		if err != nil {
			return false
		}
		for _, h := range d.History {
			if h.Kind == "called" && h.Detail["confirmed"] == true {
				return true
			}
		}
		return false
	})
	mu.Lock()
	got := strings.Join(heard, " ")
	mu.Unlock()
	num := strings.TrimPrefix(c.TrackingID, "CC-2026-")
	if !strings.Contains(got, "sound:ascolto/"+opsroom.PromptAlert) || !strings.Contains(got, "characters:CC digits:2026 digits:"+num) {
		t.Fatalf("the room heard %q", got)
	}
	calls, err := db.Calls(bg, store.CallFilter{})
	if err != nil {
		t.Fatal(err)
	}
	outbound := func() (n int) {
		calls, _ := db.Calls(bg, store.CallFilter{})
		for _, cl := range calls {
			if cl.Direction == "outbound" && cl.LinkedID == "opsroom-escalation-"+strconv.FormatInt(v.ID, 10) {
				n++
			}
		}
		return n
	}
	if outbound() != 1 {
		t.Fatalf("calls %+v", calls)
	}
	if _, err := svc.Acknowledge(bg, v.ID, "verdi"); err != nil {
		t.Fatal(err)
	}
	// Acknowledged: nothing is due any more, so nobody is phoned again.
	if next, err := db.NextOpsEscalation(bg); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an escalation is still due at %v (%v)", next, err)
	}
	waitFor(t, "the call ends", func() bool { return !svc.Calling() })
	if n := outbound(); n != 1 {
		t.Fatalf("%d escalation calls, want 1", n)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
