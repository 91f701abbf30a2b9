package ari_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/store"
)

var bg = context.Background()

func setMode(t *testing.T, r *rig, mode string) {
	t.Helper()
	m := store.ModeChange{Mode: mode, Reason: "prova", SetBy: "test"}
	if err := r.db.SetMode(bg, &m); err != nil {
		t.Fatal(err)
	}
	if err := r.state.Refresh(bg); err != nil {
		t.Fatal(err)
	}
}

// applyFlow stores and activates a flow as `ascolto ivr apply` does.
func applyFlow(t *testing.T, r *rig, path string) int64 {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := store.FlowVersion{Name: "test", Source: string(src)}
	if err := r.db.SaveFlow(bg, &f, true, "test"); err != nil {
		t.Fatal(err)
	}
	if err := r.state.Refresh(bg); err != nil {
		t.Fatal(err)
	}
	if r.state.Flow().Version != f.Version {
		t.Fatalf("flow %d not active", f.Version)
	}
	return f.Version
}

func TestRecordedMessageBecomesACase(t *testing.T) {
	r := newRig(t)
	setMode(t, r, store.ModeEmergency)
	c := r.call("+390546123456",
		arisim.WaitPlaybackStarted("sound:ascolto/menu-emergenza"),
		arisim.Press("4"),
		arisim.WaitPlaybackFinished("sound:beep"),
		arisim.Talk(4*time.Second),
		arisim.Press("#"),
		arisim.WaitUntil("end", func(rep arisim.CallReport) bool { return rep.Ended }))
	rep := r.wait(c)
	if got := heard(rep); !slices.Contains(got, "messaggio-registrato") || got[len(got)-1] != "arrivederci" {
		t.Fatalf("heard %v", got)
	}
	rec := r.record(c.ChannelID())
	if rec.Outcome != ari.OutcomeRecorded || rec.HangupBy != "system" || rec.CaseID == 0 || rec.Mode != "emergency" {
		t.Fatalf("record %+v", rec)
	}
	cs, err := r.db.CaseByID(bg, rec.CaseID)
	if err != nil || cs.ContactPhone != "+390546123456" || cs.Channel != store.ChannelPhone {
		t.Fatalf("case %+v %v", cs, err)
	}
	// The caller talked 4 s; on a loaded machine the simulator's clock
	// runs on while the test's "#" is on its way (6 s seen under -race).
	var secs int
	if _, err := fmt.Sscanf(cs.Summary[strings.LastIndex(cs.Summary, "(")+1:], "%d s)", &secs); err != nil || secs < 4 || secs > 8 {
		t.Fatalf("case summary %q: want the message's length, 4 s", cs.Summary)
	}
	atts, _ := r.db.Attachments(bg, cs.ID)
	if len(atts) != 1 || atts[0].ContentType != "audio/wav" || atts[0].Size < 1000 {
		t.Fatalf("attachments %+v", atts)
	}
	wav, _ := r.db.AttachmentData(bg, atts[0].ID)
	if string(wav.Data[:4]) != "RIFF" || string(wav.Data[8:12]) != "WAVE" {
		t.Fatalf("attachment is not a WAV: % x", wav.Data[:12])
	}
	tl, _ := r.db.Timeline(bg, cs.ID)
	if len(tl) != 1 || tl[0].CallID != rec.ID {
		t.Fatalf("timeline %+v", tl)
	}
}

// TestUnrecordableMessageGoesToAnOperator: when Asterisk cannot record
// (its recording directory missing: it answers the request 500) the caller
// is not told the message was kept: the flow's failed branch puts them
// through to an operator, and no case claims a message that does not exist.
func TestUnrecordableMessageGoesToAnOperator(t *testing.T) {
	r := newRig(t)
	setMode(t, r, store.ModeEmergency)
	r.sim.RecordingsUnwritable(true)
	c := r.call("+390546123457",
		arisim.WaitPlaybackStarted("sound:ascolto/menu-emergenza"),
		arisim.Press("4"),
		arisim.WaitUntil("music on hold", hasHeard("moh:default")),
		arisim.HangUp())
	rep := r.wait(c)
	if got := heard(rep); slices.Contains(got, "messaggio-registrato") || !slices.Contains(got, "attesa-operatore") {
		t.Fatalf("heard %v", got)
	}
	rec := r.record(c.ChannelID())
	if rec.Outcome != ari.OutcomeAbandonedQueue || rec.Queue != "informazioni" || rec.CaseID != 0 ||
		!strings.HasSuffix(rec.IVRPath, "messaggio>operatore") {
		t.Fatalf("record %+v", rec)
	}
}

// TestEmergencySwitchWhileCallsInProgress: a mode change reaches the next
// IVR decision; a call already queued keeps its place.
func TestEmergencySwitchWhileCallsInProgress(t *testing.T) {
	evening := time.Date(2026, 11, 24, 20, 0, 0, 0, rome)
	r := newRig(t, at(evening))
	before := r.call("+390862100001")
	if got := heard(r.wait(before)); !slices.Equal(got, []string{"benvenuto", "per-inglese", "fuori-orario"}) {
		t.Fatalf("before the switch: %v", got)
	}
	// A caller is in the greeting when the Department opens the emergency.
	during := r.call("+390862100002",
		arisim.WaitPlaybackStarted("sound:ascolto/benvenuto"),
		arisim.WaitUntil("emergency menu", hasHeard("menu-emergenza")),
		arisim.Press("3"),
		arisim.WaitUntil("moh", hasHeard("moh:default")),
		arisim.HangUp())
	r.eventually("caller in the greeting", func() bool { return slices.Contains(heard(during.Report()), "benvenuto") })
	setMode(t, r, store.ModeEmergency)
	rep := r.wait(during)
	if got := heard(rep); !slices.Contains(got, "avviso-emergenza") || slices.Contains(got, "fuori-orario") {
		t.Fatalf("during the switch: %v", got)
	}
	after := r.call("+390862100003", arisim.WaitUntil("emergency menu", hasHeard("menu-emergenza")), arisim.HangUp())
	r.wait(after)
	if rec := r.record(after.ChannelID()); rec.Mode != "emergency" {
		t.Fatalf("after: %+v", rec)
	}
	setMode(t, r, store.ModeClosed)
	closed := r.call("+390862100004")
	if got := heard(r.wait(closed)); !slices.Contains(got, "servizio-sospeso") {
		t.Fatalf("closed: %v", got)
	}
}

func TestTransferAndFax(t *testing.T) {
	r := newRig(t)
	applyFlow(t, r, "../ivr/testdata/every-kind.yaml")

	// The regional line answers and talks for a while, then hangs up.
	r.sim.Remote("+390862000000", arisim.Answer(2*time.Second, arisim.Wait(5*time.Second), arisim.HangUp()))
	tr := r.call("+390862777001", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("4"))
	rep := r.wait(tr)
	if len(rep.Bridged) == 0 {
		t.Fatalf("caller never talked to the regional line: %+v", rep)
	}
	if rec := r.record(tr.ChannelID()); rec.Outcome != ari.OutcomeTransferred {
		t.Fatalf("transfer record %+v", rec)
	}

	// The regional line is busy: the flow's transfer node goes on at its
	// `failed` target, the general queue.
	r.sim.Remote("+390862000000", arisim.Busy())
	back := r.call("+390862777004", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("4"),
		arisim.WaitUntil("back in the flow, waiting", hasHeard("moh:default")), arisim.HangUp())
	if got := heard(r.wait(back)); !slices.Contains(got, "attesa-operatore") {
		t.Fatalf("busy transfer with a failed target: heard %v", got)
	}
	if rec := r.record(back.ChannelID()); rec.Outcome != ari.OutcomeAbandonedQueue || rec.Queue != "informazioni" ||
		rec.IVRPath != "start>hours>menu>regional>operator" {
		t.Fatalf("busy transfer with a failed target: record %+v", rec)
	}

	// Without a failed target the caller comes back and is told.
	src, err := os.ReadFile("../ivr/testdata/every-kind.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(t.TempDir(), "bare.yaml")
	if err := os.WriteFile(bare, []byte(strings.Replace(string(src), "    failed: operator\n", "", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	applyFlow(t, r, bare)
	busy := r.call("+390862777002", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("4"))
	brep := r.wait(busy)
	if got := heard(brep); got[len(got)-1] != "trasferimento-non-riuscito" || brep.HungUpBy != "controller" {
		t.Fatalf("busy transfer: heard %v, hung up by %s", got, brep.HungUpBy)
	}
	if rec := r.record(busy.ChannelID()); rec.Outcome != ari.OutcomeTransferFailed || rec.HangupBy != "system" {
		t.Fatalf("busy transfer record %+v", rec)
	}
	applyFlow(t, r, "../ivr/testdata/every-kind.yaml")

	fax := r.call("+390862777003", arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("5"))
	frep := r.wait(fax)
	if !slices.Contains(heard(frep), "fax:receive") {
		t.Fatalf("fax never received: %v", heard(frep))
	}
	if rec := r.record(fax.ChannelID()); rec.Outcome != ari.OutcomeFax || rec.HangupBy != "system" {
		t.Fatalf("fax record %+v", rec)
	}
}

type faxes struct{ got chan ari.FaxResult }

func (f faxes) FaxReceived(_ context.Context, r ari.FaxResult) { f.got <- r }

// The fax's result reaches the sink whether ReceiveFAX succeeds (the
// channel comes back to Stasis with the variables) or fails (T.38 refused:
// Asterisk hangs the channel up in the dialplan, and only the h extension's
// user event brings the result).
func TestFaxResultReachesTheSink(t *testing.T) {
	for _, c := range []struct {
		name string
		fax  arisim.FaxResult
		from string
		ok   func(ari.FaxResult) bool
	}{
		{"received", goodFax, "+390862777009", func(f ari.FaxResult) bool {
			return f.Status == "SUCCESS" && f.Pages == 2 && f.File != "" && f.RemoteStationID == "+39 0862 000000"
		}},
		{"failed in the dialplan", arisim.FaxResult{Status: "FAILED", Error: "T.38 NEGOTIATION ERROR", Duration: 3 * time.Second, Fails: true},
			"+390862777010", func(f ari.FaxResult) bool { return f.Status == "FAILED" && f.Error == "T.38 NEGOTIATION ERROR" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, dontStart(), faxResult(c.fax))
			sink := faxes{got: make(chan ari.FaxResult, 1)}
			r.faxes = sink
			r.start("secret")
			applyFlow(t, r, "../ivr/testdata/every-kind.yaml")
			call := r.call(c.from, arisim.WaitPlaybackStarted("sound:ascolto/menu-ordinario"), arisim.Press("5"))
			r.wait(call)
			select {
			case f := <-sink.got:
				if !c.ok(f) || f.Caller != c.from || f.CallID == 0 {
					t.Fatalf("fax result %+v", f)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no fax reported")
			}
			if rec := r.record(call.ChannelID()); rec.Outcome != ari.OutcomeFax {
				t.Fatalf("record %+v", rec)
			}
		})
	}
}

// A call to the fax number goes straight to ReceiveFAX: ascolto first
// hears of it when the dialplan hands it over with the result. The result
// still names the number dialled (not the dialplan's "done" extension) and
// the call's record, which the case is linked to.
func TestFaxNumberResult(t *testing.T) {
	r := newRig(t, dontStart(), faxResult(goodFax))
	sink := faxes{got: make(chan ari.FaxResult, 1)}
	r.faxes = sink
	r.start("secret")
	call := r.sim.Call(arisim.CallSpec{From: "+390862777011", To: "0862000000"})
	r.wait(call)
	select {
	case f := <-sink.got:
		if f.Status != "SUCCESS" || f.Called != "0862000000" || f.CallID == 0 || f.Caller != "+390862777011" {
			t.Fatalf("fax result %+v", f)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no fax reported")
	}
	if rec := r.record(call.ChannelID()); rec.Outcome != ari.OutcomeFax || rec.Called != "0862000000" {
		t.Fatalf("record %+v", rec)
	}
}
