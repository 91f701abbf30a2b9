package oncall

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/store"
)

const sixPeople = `quorum: 2
retries: 1
retry_after: 2m
ring: 10s
waves:
  - {name: primary, wait: 10m}
  - {name: reserve, wait: 10m}
people:
  - {id: anna, name: Anna, phone: "+393400000001", role: operator, wave: primary}
  - {id: bruno, name: Bruno, phone: "+393400000002", role: operator, wave: primary}
  - {id: carla, name: Carla, phone: "+393400000003", role: operator, wave: primary}
  - {id: dario, name: Dario, phone: "+393400000004", role: operator, wave: primary}
  - {id: elena, name: Elena, phone: "+393400000005", role: operator, wave: primary}
  - {id: franco, name: Franco, phone: "+393400000006", role: operator, wave: primary}
  - {id: gina, name: Gina, phone: "+393400000007", role: operator, wave: reserve}
`

// TestCallOutReachesQuorum: the scripted people against the real
// controller: one comes in 20 minutes, one declines, one does not answer,
// one answers and hangs up, one is busy, one comes in 5 minutes. The
// quorum (2) is reached in the first wave, the mode is emergency, every
// step is in the timeline, and the reserve is never called.
func TestCallOutReachesQuorum(t *testing.T) {
	r := newRig(t, nil)
	r.sim.Remote("+393400000001", comes("20"))
	r.sim.Remote("+393400000002", declines())
	r.sim.Remote("+393400000003", arisim.NoAnswer())
	r.sim.Remote("+393400000004", hangsUp())
	r.sim.Remote("+393400000005", arisim.Busy())
	r.sim.Remote("+393400000006", comes("5"))
	r.sim.Remote("+393400000007", comes("1"))
	var pubMu sync.Mutex
	var published []Board
	s := r.service(Options{MaxCalls: 10, Publish: func(b Board) {
		pubMu.Lock()
		published = append(published, b)
		pubMu.Unlock()
	}})
	r.importRoster(sixPeople)
	r.run()
	a, err := s.Open(bg, OpenRequest{Event: "Alluvione Emilia-Romagna", RequestedBy: "DPC Sala Situazione", Reason: "richiesta riapertura", By: "cli:test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(bg, OpenRequest{Event: "di nuovo", RequestedBy: "x", Reason: "y", By: "cli:test"}); !errors.Is(err, ErrAlreadyOpen) {
		t.Fatalf("second open: %v", err)
	}
	if m, err := r.db.CurrentMode(bg, r.clk.Now()); err != nil || m.Mode != store.ModeEmergency {
		t.Fatalf("mode %+v %v", m, err)
	}
	r.eventually("quorum", func() bool { return r.activation(a.ID).State == store.ActivationQuorum })
	// Let the calls still up finish.
	r.eventually("calls over", func() bool {
		for _, atts := range r.attempts(a.ID) {
			for _, at := range atts {
				if at.EndedAt.IsZero() {
					return false
				}
			}
		}
		return true
	})
	// The board was pushed as things happened, not only at the end.
	r.eventually("a published board with the quorum", func() bool {
		pubMu.Lock()
		defer pubMu.Unlock()
		return len(published) > 2 && published[len(published)-1].Confirmed == 2 && published[0].Confirmed < 2
	})
	ps := r.people(a.ID)
	if p := ps["anna"]; p.Status != store.PersonConfirmed || p.ETAMinutes != 20 || p.ConfirmedVia != "phone" {
		t.Errorf("anna %+v", p)
	}
	if p := ps["franco"]; p.Status != store.PersonConfirmed || p.ETAMinutes != 5 {
		t.Errorf("franco %+v", p)
	}
	if p := ps["bruno"]; p.Status != store.PersonDeclined {
		t.Errorf("bruno %+v", p)
	}
	atts := r.attempts(a.ID)
	for who, want := range map[string]string{"carla": "no-answer", "dario": "hung-up", "elena": "busy", "anna": "confirmed", "bruno": "declined"} {
		if len(atts[who]) != 1 || atts[who][0].Result != want {
			t.Errorf("%s attempts %+v, want one %s", who, atts[who], want)
		}
	}
	if len(atts["gina"]) != 0 {
		t.Errorf("the reserve was called after the quorum: %+v", atts["gina"])
	}
	b, err := s.Board(bg, a.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if b.Confirmed != 2 || b.Declined != 1 || b.QuorumETA.IsZero() || b.Alert != "" || b.Remaining <= 0 {
		t.Errorf("board %+v", b)
	}
	// Franco (5 min) and Anna (20 min): the quorum is in place when Anna arrives.
	if want := ps["anna"].ConfirmedAt.Add(20 * time.Minute); !b.QuorumETA.Equal(want) {
		t.Errorf("quorum expected at %s, want %s", b.QuorumETA, want)
	}
	tl, err := r.db.ActivationTimeline(bg, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	acts := actions(tl)
	for act, min := range map[string]int{"activation.open": 1, "activation.mode": 1, "activation.call": 6, "activation.call.end": 6,
		"activation.confirm": 2, "activation.decline": 1, "activation.quorum": 1} {
		if acts[act] < min {
			t.Errorf("timeline has %d %s, want at least %d (%v)", acts[act], act, min, acts)
		}
	}
	// The report's PDF says how each call ended in the board's words.
	if _, err := exec.LookPath("pdftotext"); err == nil {
		rep, err := s.Report(bg, a.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "r.pdf")
		var buf bytes.Buffer
		if err := rep.WritePDF(&buf); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(f, buf.Bytes(), 0o600)
		out, err := exec.Command("pdftotext", "-layout", f, "-").CombinedOutput()
		if err != nil {
			t.Fatalf("pdftotext: %v %s", err, out)
		}
		txt := string(out)
		for _, w := range []string{"ha confermato (tasto 1)", "non disponibile (tasto 2)", "nessuna risposta", "occupato", "ha riagganciato",
			"primaria", "ondata primaria", "con telefono", "modalità: emergenza (H24)"} {
			if !strings.Contains(txt, w) {
				t.Errorf("the PDF lacks %q", w)
			}
		}
		if codes := regexp.MustCompile(`\b(no-answer|hung-up|busy|confirmed|declined|primary|waiting|phone)\b`).FindAllString(txt, -1); len(codes) > 0 {
			t.Errorf("the PDF speaks codes %v:\n%s", codes, txt)
		}
	}
	// Close: back to the ordinary mode.
	if _, err := s.Close(bg, CloseRequest{By: "cli:test", Reason: "fine"}); err != nil {
		t.Fatal(err)
	}
	if m, _ := r.db.CurrentMode(bg, r.clk.Now()); m.Mode != store.ModeOrdinary {
		t.Fatalf("mode after close %s", m.Mode)
	}
	if _, err := s.Close(bg, CloseRequest{By: "cli:test"}); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("second close: %v", err)
	}
}

// TestCallOutRetriesAndExhaustion: a busy person is called 1+retries
// times RetryAfter apart, then counted unreachable; with every wave tried
// and the quorum short, the activation is exhausted and the board alerts.
func TestCallOutRetriesAndExhaustion(t *testing.T) {
	r := newRig(t, nil)
	r.sim.Remote("+393400000001", arisim.Busy())
	r.sim.Remote("+393400000002", arisim.NoAnswer())
	s := r.service(Options{})
	r.importRoster(`quorum: 2
retries: 2
retry_after: 1m
ring: 10s
waves: [{name: primary, wait: 5m}]
people:
  - {id: anna, name: Anna, phone: "+393400000001", role: operator, wave: primary}
  - {id: bruno, name: Bruno, phone: "+393400000002", role: operator, wave: primary}
`)
	r.run()
	a, err := s.Open(bg, OpenRequest{Event: "Sisma", RequestedBy: "DPC", Reason: "prova", By: "t"})
	if err != nil {
		t.Fatal(err)
	}
	r.eventually("exhausted", func() bool { return r.activation(a.ID).State == store.ActivationExhausted })
	atts := r.attempts(a.ID)
	for who, want := range map[string]string{"anna": "busy", "bruno": "no-answer"} {
		if len(atts[who]) != 3 {
			t.Fatalf("%s called %d times, want 3", who, len(atts[who]))
		}
		for i, at := range atts[who] {
			if at.Result != want {
				t.Errorf("%s attempt %d: %s", who, i, at.Result)
			}
			if i > 0 {
				gap := at.StartedAt.Sub(atts[who][i-1].EndedAt)
				if gap < time.Minute || gap > time.Minute+20*time.Second {
					t.Errorf("%s retried %s after the previous call, want 1m", who, gap)
				}
			}
		}
	}
	ps := r.people(a.ID)
	if ps["anna"].Status != store.PersonUnreachable || ps["anna"].Attempts != 3 {
		t.Errorf("anna %+v", ps["anna"])
	}
	b, _ := s.Board(bg, a.ID, false)
	if b.Alert != "short" || b.Unreachable != 2 {
		t.Errorf("board alert %q unreachable %d", b.Alert, b.Unreachable)
	}
}

// TestTrunkFullIsRetriedWithoutUsingRetries: Asterisk refusing originates
// is our trunk's fault, not the person's: the call is tried again soon and
// the retries are kept for the person; it is recorded all the same.
func TestTrunkFullIsRetriedWithoutUsingRetries(t *testing.T) {
	r := newRig(t, nil)
	r.sim.Remote("+393400000001", comes("10"))
	r.sim.RefuseOriginates("PJSIP/+39340")
	s := r.service(Options{})
	r.importRoster(`quorum: 1
retries: 0
ring: 10s
waves: [{name: primary, wait: 5m}]
people:
  - {id: anna, name: Anna, phone: "+393400000001", role: operator, wave: primary}
`)
	r.run()
	a, err := s.Open(bg, OpenRequest{Event: "Sisma", RequestedBy: "DPC", Reason: "prova", By: "t"})
	if err != nil {
		t.Fatal(err)
	}
	r.eventually("two refusals", func() bool { return r.people(a.ID)["anna"].Refusals >= 2 })
	r.sim.AcceptOriginates()
	r.eventually("quorum", func() bool { return r.activation(a.ID).State == store.ActivationQuorum })
	r.eventually("the call's end", func() bool {
		atts := r.attempts(a.ID)["anna"]
		return !atts[len(atts)-1].EndedAt.IsZero() && r.people(a.ID)["anna"].ETAMinutes == 10
	})
	atts := r.attempts(a.ID)["anna"]
	if len(atts) < 3 || atts[0].Result != "refused" || atts[len(atts)-1].Result != "confirmed" {
		t.Fatalf("attempts %+v", atts)
	}
	if p := r.people(a.ID)["anna"]; p.Attempts != 0 || p.ETAMinutes != 10 {
		t.Fatalf("anna %+v", p)
	}
}

// TestDrillIsKeptApart: an exercise calls for real with ESERCITAZIONE
// first, leaves the operating mode (what citizens hear) alone, runs beside
// a real activation, and its calls are recorded as drill calls.
func TestDrillIsKeptApart(t *testing.T) {
	r := newRig(t, nil)
	r.sim.Remote("+393400000001", arisim.Answer(2*time.Second, arisim.WaitPlaybackStarted(PromptExercise),
		arisim.WaitPlaybackStarted(PromptActivation), arisim.Press("1"), arisim.Wait(4*time.Second), arisim.Press("15#"), arisim.Wait(20*time.Second)))
	s := r.service(Options{})
	r.importRoster(`quorum: 1
waves: [{name: primary, wait: 5m}]
people:
  - {id: anna, name: Anna, phone: "+393400000001", role: operator, wave: primary}
`)
	r.run()
	d, err := s.Open(bg, OpenRequest{Event: "Esercitazione sisma", RequestedBy: "DPC", Reason: "esercitazione trimestrale", By: "t", Exercise: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.CurrentMode(bg, r.clk.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a drill changed the mode: %v", err)
	}
	r.eventually("drill quorum", func() bool { return r.activation(d.ID).State == store.ActivationQuorum })
	r.eventually("minutes to arrival", func() bool { return r.people(d.ID)["anna"].ETAMinutes == 15 })
	r.eventually("call record", func() bool {
		calls, _ := r.db.Calls(bg, store.CallFilter{})
		for _, c := range calls {
			if c.Direction == "outbound" && c.Outcome == "callout-drill" && c.LinkedID == "activation-"+itoa(d.ID) {
				return true
			}
		}
		return false
	})
	// A real activation opens beside the drill; the drill's board stays its own.
	real, err := s.Open(bg, OpenRequest{Event: "Alluvione", RequestedBy: "DPC", Reason: "vera", By: "t", Quorum: 1})
	if err != nil {
		t.Fatalf("real activation beside a drill: %v", err)
	}
	if real.Exercise || real.ID == d.ID {
		t.Fatal("the real activation is the drill")
	}
	b, err := s.Board(bg, 0, true)
	if err != nil || b.ID != d.ID || !b.Exercise {
		t.Fatalf("drill board %+v %v", b, err)
	}
	rep, err := s.Report(bg, d.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	if err := rep.WriteCSV(&csv); err != nil || !strings.Contains(csv.String(), "ESERCITAZIONE") || rep.TimeToQuorum <= 0 {
		t.Fatalf("drill report: %v %s", err, csv.String())
	}
}

// TestCloseEndsCallsInProgress: closing an activation hangs up its calls
// and records them as interrupted by the close.
func TestCloseEndsCallsInProgress(t *testing.T) {
	r := newRig(t, nil)
	r.sim.Remote("+393400000001", arisim.Answer(time.Second, arisim.Wait(10*time.Minute)))
	s := r.service(Options{})
	r.importRoster(`quorum: 1
waves: [{name: primary, wait: 5m}]
people:
  - {id: anna, name: Anna, phone: "+393400000001", role: operator, wave: primary}
`)
	r.run()
	a, err := s.Open(bg, OpenRequest{Event: "Sisma", RequestedBy: "DPC", Reason: "prova", By: "t"})
	if err != nil {
		t.Fatal(err)
	}
	r.eventually("the call", func() bool { return len(r.attempts(a.ID)["anna"]) == 1 })
	if _, err := s.Close(bg, CloseRequest{By: "t", Reason: "falso allarme"}); err != nil {
		t.Fatal(err)
	}
	r.eventually("the call ended", func() bool {
		at := r.attempts(a.ID)["anna"][0]
		return !at.EndedAt.IsZero()
	})
	if at := r.attempts(a.ID)["anna"][0]; at.Result != string(OutcomeInterrupted) || at.Detail != "activation closed" {
		t.Fatalf("attempt %+v", at)
	}
	r.eventually("no channel left", func() bool { return len(r.sim.Channels()) == 0 })
}
