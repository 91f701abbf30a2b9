package fax_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/fax"
	"github.com/ascolto/ascolto/live"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// A caller presses 5 in the IVR, the controller hands the channel to the
// ascolto-fax dialplan context with ARI continue, the simulator's
// ReceiveFAX "receives" a real three-page TIFF and returns the channel,
// the controller reads FAXSTATUS/FAXPAGES/FAXFILE and hands the result to
// fax intake, which opens the case. Everything over real sockets.
func TestFaxThroughTheControllerAndTheSimulator(t *testing.T) {
	rome, _ := time.LoadLocation("Europe/Rome")
	clk := clock.Scaled(time.Date(2026, 11, 24, 10, 0, 0, 0, rome), 40) // a Tuesday morning: open
	tiff, err := filepath.Abs("testdata/fine-g4-3pages.tif")
	if err != nil {
		t.Fatal(err)
	}
	d := arisim.NewDialplan()
	d.Add("from-trunk", "800840840", arisim.AppSet("CHANNEL(language)", "it"), arisim.AppStasis("ascolto", "800840840"), arisim.AppHangup())
	d.Add("ascolto-fax", "receive",
		arisim.AppReceiveFAX(arisim.FaxResult{Status: "SUCCESS", Pages: 3, RemoteStationID: "COMUNE PAGANICA", File: tiff, Duration: 20 * time.Second}),
		arisim.AppStasis("ascolto", "fax-done"), arisim.AppHangup())
	sim := arisim.New(arisim.WithCredentials("ascolto", "secret"), arisim.WithClock(clk), arisim.WithDialplan(d))
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()

	db := storetest.Engines()[0].Open(t, clk)
	state, err := live.New(db, clk, zap.NewNop(), "aq")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../ivr/testdata/every-kind.yaml")
	if err != nil {
		t.Fatal(err)
	}
	flow := store.FlowVersion{Name: "test", Source: string(src)}
	if err := db.SaveFlow(context.Background(), &flow, true, "test"); err != nil {
		t.Fatal(err)
	}
	if err := state.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}

	faxes, err := fax.New(fax.Options{Store: db, Clock: clk, NoOCR: true, Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))})
	if err != nil {
		t.Fatal(err)
	}
	client, err := ari.NewClient(ari.ClientOptions{URL: url, User: "ascolto", Password: "secret", App: "ascolto"})
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := ari.New(ari.Options{Client: client, Store: db, Live: state, Clock: clk, Faxes: faxes,
		Log: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), PingEvery: 200 * time.Millisecond, DeadAfter: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctlDone, faxDone := make(chan struct{}), make(chan struct{})
	go func() { ctl.Run(ctx); close(ctlDone) }()
	go func() { faxes.Run(ctx); close(faxDone) }()
	defer func() { cancel(); <-ctlDone; <-faxDone }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(ctl.State(), "connected") {
		if time.Now().After(deadline) {
			t.Fatalf("controller %q", ctl.State())
		}
		time.Sleep(10 * time.Millisecond)
	}

	call := sim.Call(arisim.CallSpec{From: "+390862555001", To: "800840840"},
		arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("5"))
	select {
	case <-call.Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("call still up: %+v", call.Report())
	}
	var job store.FaxJob
	deadline = time.Now().Add(15 * time.Second)
	for {
		job, err = db.FaxJobByChannel(context.Background(), call.ChannelID())
		if err == nil && job.State == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fax job %+v %v", job, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	tl, err := db.FullTimeline(context.Background(), job.CaseID)
	if err != nil {
		t.Fatal(err)
	}
	if tl.Case.Channel != store.ChannelFax || tl.Case.ContactPhone != "+390862555001" || len(tl.Entries) != 1 ||
		len(tl.Entries[0].Attachments) != 2 || tl.Entries[0].CallID == 0 || len(tl.Reviews) != 0 ||
		!strings.Contains(tl.Entries[0].Content, "3 pagine annunciate, 3 leggibili") {
		t.Fatalf("fax case %+v", tl)
	}
	rec, err := db.CallByChannel(context.Background(), call.ChannelID())
	if err != nil || rec.CaseID != job.CaseID || rec.Outcome != ari.OutcomeFax {
		t.Fatalf("call record %+v %v", rec, err)
	}
}
