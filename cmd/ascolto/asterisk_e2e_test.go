package main

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ascolto/ascolto/internal/asttest"
	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/store"
)

// The tests in this file run `ascolto serve` against a real Asterisk
// configured by the project's own asterisk-conf/ (internal/asttest), with
// SIPp as the carrier's callers and as the agents' desk phones. They skip
// without ASCOLTO_TEST_ASTERISK.

// realRig is a real Asterisk, the agents' phones and a running ascolto.
type realRig struct {
	t       *testing.T
	ast     *asttest.Asterisk
	phones  *asttest.SIPp
	carrier *asttest.SIPp
	s       *server
	envs    []string
	db      *store.DB
}

// rigSpec says what a real rig starts with.
type rigSpec struct {
	Mode   []string           // `ascolto mode set` arguments, before the service starts
	Phones *asttest.PhoneSpec // desk phones for Seats
	Seats  []string           // agents' extensions, in every queue, logged in (in this order)
	// More are further groups of seats whose phones behave otherwise.
	More []phoneGroup
	// Softphones are seats (extension → PJSIP endpoint) whose agent uses
	// the console's in-page WebRTC softphone on one of production
	// pjsip.conf's agent-webrtc endpoints (e.g. 101): each is bound to the
	// console user "op<EXT>" (password softphonePassword), in every queue,
	// and left logged out; the console is given Asterisk's WSS address,
	// as a deployment is.
	Softphones map[string]string
	// Others are phones Asterisk knows (a supervisor's seat) that the rig
	// neither makes agents nor logs in: the test gives them their role.
	Others []phoneGroup
	// Queue are `ascolto queue set soccorso` flags, before the service starts.
	Queue []string
	// Flow, when set, is an IVR flow (YAML) applied before the service starts.
	Flow string
	// Site, when set, is the site's calendar (YAML, as ivr.ParseSite reads
	// it), saved before the service starts.
	Site string
	// ARIPassword, when set, is the ARI password the first service is
	// given instead of ari.conf's (r.envs keep the right one).
	ARIPassword string
	// AsteriskDown leaves Asterisk stopped when the service starts: the
	// test starts it with r.ast.Up().
	AsteriskDown bool
	// LoggedOut leaves the seats' agents logged out: the test logs them in.
	LoggedOut bool
	// Carrier, when set, starts the carrier's far end on the trunk's
	// contact, answering the numbers Asterisk dials through the trunk as
	// its lines say (r.carrier); the rig waits until the trunk is reachable.
	Carrier []asttest.CarrierLine
	// Env are settings of the service (NAME=value), e.g.
	// ASCOLTO_OPSROOM_NUMBER.
	Env []string
	// Before runs just before the service starts, with the store open.
	Before func(*realRig)
	// Dialplan is appended to extensions.conf: contexts only the test uses.
	Dialplan string
}

type phoneGroup struct {
	Phones asttest.PhoneSpec
	Seats  []string
}

func newRealRig(t *testing.T, spec rigSpec) *realRig {
	t.Helper()
	asttest.Prefix(t)
	r := &realRig{t: t}
	opts := asttest.Options{Dialplan: spec.Dialplan}
	seats := spec.Seats
	if spec.Phones != nil {
		r.phones = asttest.StartPhones(t, *spec.Phones)
		opts.PJSIP = asttest.Seats(r.phones.Port, spec.Seats...)
	}
	for _, g := range spec.More {
		p := asttest.StartPhones(t, g.Phones)
		opts.PJSIP += asttest.Seats(p.Port, g.Seats...)
		seats = append(seats, g.Seats...)
	}
	var others []string
	for _, g := range spec.Others {
		p := asttest.StartPhones(t, g.Phones)
		opts.PJSIP += asttest.Seats(p.Port, g.Seats...)
		others = append(others, g.Seats...)
	}
	if spec.AsteriskDown {
		r.ast = asttest.New(t, opts)
	} else {
		r.ast = asttest.Start(t, opts)
	}
	if len(spec.Carrier) > 0 {
		if spec.AsteriskDown {
			t.Fatal("the carrier's far end waits for a running Asterisk")
		}
		r.carrier = r.ast.StartCarrier(t, spec.Carrier...)
		r.ast.WaitPhones(t, "trunk")
	}
	if len(seats)+len(others) > 0 {
		r.ast.WaitPhones(t, append(slices.Clip(seats), others...)...)
	}
	ariURL := r.ast.ARIURL
	if dir := os.Getenv(asttest.EnvTraces); dir != "" && !spec.AsteriskDown {
		// (Not when Asterisk is down at start: the test checks that the
		// service names Asterisk's own address as refusing it.)
		// Record the ARI traffic of this test, for ari/arisim's replay tests.
		name := strings.NewReplacer("/", "-", " ", "-").Replace(strings.TrimPrefix(t.Name(), "TestRealAsterisk"))
		conf := "the project's asterisk-conf/ with internal/asttest's test rewrites"
		if len(seats) > 0 {
			conf += "; seats " + strings.Join(seats, ",") + " on SIPp desk phones"
		}
		rec := asttest.RecordARI(t, r.ast.ARIURL, filepath.Join(dir, "e2e-"+name+".jsonl"), map[string]any{
			"scenario": t.Name(),
			"asterisk": "20.20.1 (" + r.ast.Prefix + ")",
			"config":   conf,
			"recorded": time.Now().UTC().Format("2006-01-02"),
		})
		ariURL = rec.URL
	}
	r.envs = append([]string{"ASCOLTO_DATA_DIR=" + t.TempDir(), "ASCOLTO_ARI_URL=" + ariURL,
		"ASCOLTO_ARI_USER=ascolto", "ASCOLTO_ARI_PASSWORD=change-me-ascolto"}, spec.Env...)
	if len(spec.Softphones) > 0 {
		r.envs = append(r.envs, "ASCOLTO_SOFTPHONE_WSS="+r.ast.WSSURL)
	}
	if len(spec.Mode) > 0 {
		if out, errs, code := cli(t, r.envs, append([]string{"mode", "set"}, spec.Mode...)...); code != 0 {
			t.Fatalf("mode set: %s %s", out, errs)
		}
	}
	if spec.Flow != "" {
		f := filepath.Join(t.TempDir(), "flow.yaml")
		os.WriteFile(f, []byte(spec.Flow), 0o600)
		if out, errs, code := cli(t, r.envs, "ivr", "apply", f); code != 0 {
			t.Fatalf("ivr apply: %s %s", out, errs)
		}
	}
	if len(spec.Queue) > 0 {
		if out, errs, code := cli(t, r.envs, append([]string{"queue", "set", "soccorso", "--wait", "0s"}, spec.Queue...)...); code != 0 {
			t.Fatalf("queue set: %s %s", out, errs)
		}
	}
	for _, ext := range seats {
		if out, errs, code := cli(t, r.envs, "agent", "add", ext, "--endpoint", "PJSIP/"+ext, "--name", "Operatore "+ext,
			"--queues", "soccorso,segnalazioni,informazioni", "--wait", "0s"); code != 0 {
			t.Fatalf("agent add %s: %s %s", ext, out, errs)
		}
	}
	for ext, endpoint := range spec.Softphones {
		if out, errs, code := cliIn(t, r.envs, softphonePassword+"\n", "user", "add", "op"+ext, "--role", "agent",
			"--name", "Operatore "+ext, "--password-stdin"); code != 0 {
			t.Fatalf("user add op%s: %s %s", ext, out, errs)
		}
		if out, errs, code := cli(t, r.envs, "agent", "add", ext, "--endpoint", "PJSIP/"+endpoint, "--name", "Operatore "+ext,
			"--phone", "webrtc", "--user", "op"+ext, "--queues", "soccorso,segnalazioni,informazioni", "--wait", "0s"); code != 0 {
			t.Fatalf("agent add %s: %s %s", ext, out, errs)
		}
	}
	r.db = openEnvStore(t, r.envs)
	if spec.Site != "" {
		if _, err := r.db.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := r.db.SaveSite(context.Background(), &store.Site{Code: "aq", Name: "Test", Calendar: spec.Site}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if spec.Before != nil {
		spec.Before(r)
	}
	t.Cleanup(func() {
		if t.Failed() && r.s != nil {
			t.Logf("ascolto's log (end):\n%s", asttest.Tail(r.s.log(), 80))
		}
	})
	if spec.ARIPassword != "" || spec.AsteriskDown {
		if len(seats) > 0 {
			t.Fatal("a rig whose service cannot connect at first has no seats to log in")
		}
		r.s = startServe(t, append(slices.Clip(r.envs), "ASCOLTO_ARI_PASSWORD="+cmp.Or(spec.ARIPassword, "change-me-ascolto")))
		return r
	}
	r.s = startServe(t, r.envs)
	r.waitReady(30 * time.Second)
	if !spec.LoggedOut {
		for _, ext := range seats {
			r.login(ext)
		}
	}
	return r
}

// login logs an agent in through the running service.
func (r *realRig) login(ext string) {
	r.t.Helper()
	if out, errs, code := cli(r.t, r.envs, "agent", "login", ext); code != 0 {
		r.t.Fatalf("agent login %s: %s %s\n%s", ext, out, errs, r.s.log())
	}
}

// waitReady waits until the service's /readyz answers 200.
func (r *realRig) waitReady(d time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for {
		code, body := getReady(r.t, r.s.base)
		if code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("not ready with a real Asterisk within %s: %+v\n%s", d, body, r.s.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the service with SIGTERM, as systemd or docker stop would, and
// returns its exit code; it fails the test unless the process is gone
// within d.
func (r *realRig) stop(d time.Duration) int {
	r.t.Helper()
	start := time.Now()
	r.s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { r.s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		r.t.Fatalf("ascolto still running %s after SIGTERM:\n%s", d, asttest.Tail(r.s.log(), 40))
	}
	r.t.Logf("ascolto stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	return r.s.cmd.ProcessState.ExitCode()
}

// record waits for the closed record of the caller's call (and, for a call
// an agent took, the ACD's accounting, written just after the close).
func (r *realRig) record(caller string) store.Call {
	r.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		calls, err := r.db.Calls(context.Background(), store.CallFilter{Caller: &caller})
		if err != nil {
			r.t.Fatal(err)
		}
		if len(calls) == 1 && !calls[0].EndedAt.IsZero() && (calls[0].ConnectedAt.IsZero() || calls[0].TalkS > 0) {
			return calls[0]
		}
		if len(calls) > 1 {
			r.t.Fatalf("%d records for one call from %s: %+v", len(calls), caller, calls)
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("no closed record for %s: %+v", caller, calls)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var (
	playingRe = regexp.MustCompile(`<(PJSIP/trunk-[0-9a-f]+)> Playing '([^']+)\.[a-z0-9]+' \(language '([a-z_A-Z]+)'\)`)
	arrivalRe = regexp.MustCompile(`NoOp\("(PJSIP/trunk-[0-9a-f]+)", "ascolto: call (\S+) -> `)
)

// channel names the Asterisk channel of the caller's (last) call, from
// full.log: the from-trunk dialplan's NoOp names the channel of each
// caller's number.
func (r *realRig) channel(caller string) string {
	r.t.Helper()
	channel := ""
	for _, m := range arrivalRe.FindAllStringSubmatch(r.ast.Log(), -1) {
		if m[2] == caller {
			channel = m[1]
		}
	}
	if channel == "" {
		r.t.Fatalf("no call from %s in Asterisk's log", caller)
	}
	return channel
}

// heard lists what Asterisk played to the caller's channel, in order, as
// "lang:file", from full.log's verbose lines.
func (r *realRig) heard(caller string) []string {
	r.t.Helper()
	channel := r.channel(caller)
	log := r.ast.Log()
	var out []string
	for _, m := range playingRe.FindAllStringSubmatch(log, -1) {
		if m[1] == channel {
			out = append(out, m[3]+":"+strings.TrimPrefix(m[2], "ascolto/"))
		}
	}
	return out
}

// eventually waits until cond holds, polling.
// connectedAgain waits until the service, after losing Asterisk, has
// connected a second time and is ready.
func (r *realRig) connectedAgain(t *testing.T) {
	t.Helper()
	r.eventually("ascolto connected and ready again", 60*time.Second, func() bool {
		code, _ := getReady(t, r.s.base)
		return code == 200 && strings.Count(r.s.log(), `"msg":"ARI connected"`) == 2
	})
}

// noOpenRecords fails the test for every call record not closed.
func (r *realRig) noOpenRecords(t *testing.T) {
	t.Helper()
	calls, err := r.db.Calls(context.Background(), store.CallFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if c.EndedAt.IsZero() {
			t.Errorf("record left open: %+v", c)
		}
	}
}

func (r *realRig) eventually(what string, d time.Duration, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }

func (r *realRig) noMissingSounds() {
	r.t.Helper()
	if m := r.ast.MissingSounds(); len(m) > 0 {
		r.t.Fatalf("Asterisk could not find sounds:\n%s", strings.Join(m, "\n"))
	}
}

// TestRealAsteriskIVREmergency walks every branch of the default flow's
// emergency menu on a real Asterisk: what the caller hears (the whole of
// each multi-file prompt, in Italian or English), and the call record.
func TestRealAsteriskIVREmergency(t *testing.T) {
	t.Parallel()
	r := newRealRig(t, rigSpec{Mode: []string{"emergency", "--reason", "Test su Asterisk reale"}})
	cases := []struct {
		name, from, keys string
		hangUp           time.Duration
		heard            []string
		check            func(store.Call) error
	}{
		{"rescue pressed during the greeting", "+390862100001", "1500ms:1", 28 * time.Second,
			[]string{"it:benvenuto", "it:avviso-emergenza", "it:avviso-112"},
			func(c store.Call) error {
				if c.Queue != "soccorso" || c.Urgency != store.UrgencyRescue || c.Category != "soccorso" || c.Digits != "1" {
					return fmt.Errorf("queue %q urgency %q category %q digits %q", c.Queue, c.Urgency, c.Category, c.Digits)
				}
				return nil
			}},
		{"information from the emergency menu", "+390862100002", "21s:3", 30 * time.Second,
			[]string{"it:benvenuto", "it:per-inglese", "it:avviso-emergenza", "it:menu-emergenza", "it:attesa-operatore"},
			func(c store.Call) error {
				if c.Queue != "informazioni" || c.Digits != "3" || c.Mode != "emergency" ||
					!strings.Contains(c.IVRPath, "avviso-emergenza>menu-emergenza>informazioni") {
					return fmt.Errorf("queue %q digits %q mode %q path %q", c.Queue, c.Digits, c.Mode, c.IVRPath)
				}
				return nil
			}},
		{"a key pressed during the notice skips the menu", "+390862100004", "12s:3", 27 * time.Second,
			[]string{"it:benvenuto", "it:per-inglese", "it:avviso-emergenza", "it:attesa-operatore"},
			func(c store.Call) error {
				if c.Queue != "informazioni" || c.Digits != "3" {
					return fmt.Errorf("queue %q digits %q", c.Queue, c.Digits)
				}
				return nil
			}},
		{"english, an invalid key, then a report", "+390862100003", "1s:9 11s:7 3s:2", 26 * time.Second,
			[]string{"it:benvenuto", "en:avviso-emergenza", "en:menu-emergenza", "en:scelta-non-valida", "en:menu-emergenza", "en:attesa-operatore"},
			func(c store.Call) error {
				if c.Lang != "en" || c.Queue != "segnalazioni" || c.Urgency != store.UrgencyElevated || c.Digits != "972" {
					return fmt.Errorf("lang %q queue %q urgency %q digits %q", c.Lang, c.Queue, c.Urgency, c.Digits)
				}
				return nil
			}},
	}
	// The callers call at once, as they would.
	calls := make([]*asttest.SIPp, len(cases))
	for i, c := range cases {
		calls[i] = r.ast.Call(t, asttest.CallSpec{From: c.from, Keys: c.keys, HangUpAfter: c.hangUp})
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls[i].Wait(time.Minute)
			rec := r.record(c.from)
			got := r.heard(c.from)
			if len(got) < len(c.heard) || !slices.Equal(got[:len(c.heard)], c.heard) {
				t.Errorf("heard %v, want %v first", got, c.heard)
			}
			if err := c.check(rec); err != nil {
				t.Errorf("record: %v (%+v)", err, rec)
			}
			if rec.HangupBy != "caller" || rec.HangupCause != 16 || rec.Outcome != "abandoned-queue" || rec.ArrivedAt.IsZero() ||
				rec.AnsweredAt.Before(rec.ArrivedAt) || rec.QueuedAt.Before(rec.AnsweredAt) {
				t.Errorf("record %+v: want a caller abandoning in the queue, queued after arriving", rec)
			}
		})
	}
	r.noMissingSounds()
}

// TestRealAsteriskIVRClosedAndMessage: the closed line says so and hangs
// up; in emergency a caller leaves a recorded message that lands on disk.
func TestRealAsteriskIVRClosedAndMessage(t *testing.T) {
	t.Parallel()
	t.Run("closed", func(t *testing.T) {
		t.Parallel()
		r := newRealRig(t, rigSpec{Mode: []string{"closed", "--reason", "Servizio sospeso per test"}})
		r.ast.Call(t, asttest.CallSpec{From: "+390862200001"}).Wait(time.Minute)
		rec := r.record("+390862200001")
		if got := r.heard("+390862200001"); !slices.Equal(got, []string{"it:benvenuto", "it:per-inglese", "it:servizio-sospeso"}) {
			t.Errorf("heard %v", got)
		}
		if rec.HangupBy != "system" || rec.HangupCause != 16 || rec.Outcome != "ivr-completed" || rec.Mode != "closed" {
			t.Errorf("record %+v", rec)
		}
		r.noMissingSounds()
	})
	t.Run("message", func(t *testing.T) {
		t.Parallel()
		r := newRealRig(t, rigSpec{Mode: []string{"emergency", "--reason", "Test messaggio"}})
		// 4 during the emergency notice, talk for 4 s after the beep, then #.
		r.ast.Call(t, asttest.CallSpec{From: "+390862200002", Keys: "12s:4 24s:#"}).Wait(time.Minute)
		rec := r.record("+390862200002")
		got := r.heard("+390862200002")
		if !inOrder(got, []string{"it:benvenuto", "it:per-inglese", "it:avviso-emergenza", "it:registra-messaggio"}) ||
			!slices.Contains(got, "it:messaggio-registrato") || !slices.Contains(got, "it:arrivederci") {
			t.Errorf("heard %v", got)
		}
		if rec.Outcome != "recorded" || rec.HangupBy != "system" {
			t.Errorf("record %+v", rec)
		}
		files, _ := filepath.Glob(filepath.Join(r.ast.Spool, "recording", "*"))
		var sized []string
		for _, f := range files {
			if st, err := os.Stat(f); err == nil && st.Size() > 8000 {
				sized = append(sized, filepath.Base(f))
			}
		}
		if len(sized) == 0 {
			t.Errorf("no recording with sound in %s: %v", filepath.Join(r.ast.Spool, "recording"), files)
		}
		r.noMissingSounds()
	})
	t.Run("message that cannot be written", func(t *testing.T) {
		t.Parallel()
		r := newRealRig(t, rigSpec{Mode: []string{"emergency", "--reason", "Test messaggio perso"}})
		// Asterisk cannot write the recording (its directory is gone, as on a
		// full or misconfigured disk): the caller must not be told the
		// message was kept, and goes to an operator instead.
		if err := os.RemoveAll(filepath.Join(r.ast.Spool, "recording")); err != nil {
			t.Fatal(err)
		}
		r.ast.Call(t, asttest.CallSpec{From: "+390862200003", Keys: "12s:4 24s:#", HangUpAfter: 40 * time.Second}).Wait(time.Minute)
		rec := r.record("+390862200003")
		got := r.heard("+390862200003")
		if slices.Contains(got, "it:messaggio-registrato") || !slices.Contains(got, "it:attesa-operatore") {
			t.Errorf("heard %v", got)
		}
		if rec.Outcome != "abandoned-queue" || rec.Queue != "informazioni" || !strings.HasSuffix(rec.IVRPath, "messaggio>operatore") {
			t.Errorf("record %+v", rec)
		}
	})
}

// alwaysOpen is a site calendar with service hours all day, every day: in
// ordinary mode the line is open whenever the test runs, as it is on a
// working day between 9 and 18 with the default hours — except on a
// national holiday, which closes the whole day whatever the hours.
const alwaysOpen = `name: Test
timezone: Europe/Rome
hours: {mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", fri: "00:00-24:00", sat: "00:00-24:00", sun: "00:00-24:00"}
`

// TestRealAsteriskIVROrdinaryOpen: in ordinary mode within service hours
// the caller hears the welcome and the ordinary menu, presses 3 and waits
// in the information queue.
func TestRealAsteriskIVROrdinaryOpen(t *testing.T) {
	t.Parallel()
	site, err := ivr.ParseSite([]byte(alwaysOpen))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ivr.NewCalendar(site)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{time.Now(), time.Now().Add(5 * time.Minute)} {
		if st := cal.Status(at, ivr.ModeOrdinary); !st.Open {
			t.Skipf("the line is closed all day in ordinary mode at %s whatever the hours: %s", at.Format(time.DateTime), st.Message("en"))
		}
	}
	r := newRealRig(t, rigSpec{Mode: []string{"ordinary", "--reason", "Test orario ordinario"}, Site: alwaysOpen})
	from := "+390862250001"
	// The menu starts after the welcome (about 7 s) and the 2 s for 9; the
	// caller is in the queue after "attesa-operatore" (5 s), and hangs up
	// with a margin for a loaded machine.
	r.ast.Call(t, asttest.CallSpec{From: from, Keys: "12s:3", HangUpAfter: 28 * time.Second}).Wait(time.Minute)
	rec := r.record(from)
	want := []string{"it:benvenuto", "it:per-inglese", "it:menu-ordinario", "it:attesa-operatore"}
	if got := r.heard(from); len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("heard %v, want %v first", got, want)
	}
	if rec.Mode != "ordinary" || rec.Queue != "informazioni" || rec.Category != "informazioni" || rec.Digits != "3" ||
		!strings.Contains(rec.IVRPath, "orario>menu-ordinario>informazioni>coda-informazioni") ||
		rec.Outcome != "abandoned-queue" || rec.HangupBy != "caller" || rec.QueuedAt.IsZero() {
		t.Errorf("record %+v: want the ordinary menu's information queue, abandoned there", rec)
	}
	r.noMissingSounds()
}

// inOrder reports whether want appears in got in order (not
// necessarily adjacent: music and position announcements may come between).
func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// TestRealAsteriskQueueToAgent: a caller in danger is queued, the agent's
// desk phone rings and answers, the two talk, and either side hangs up; the
// record is closed once with the path, the digits, the urgency, the queue,
// the agent, the wait and the talk.
func TestRealAsteriskQueueToAgent(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		phone   asttest.PhoneSpec
		hangUp  time.Duration
		by      string
		minTalk int
	}{
		{"caller hangs up", asttest.PhoneSpec{Ring: 500 * time.Millisecond}, 34 * time.Second, "caller", 5},
		{"agent hangs up", asttest.PhoneSpec{Ring: 500 * time.Millisecond, Talk: 4 * time.Second}, 0, "agent", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newRealRig(t, rigSpec{Mode: []string{"emergency", "--reason", "Test coda"}, Phones: &c.phone, Seats: []string{"2001"}})
			from := "+390862300001"
			r.ast.Call(t, asttest.CallSpec{From: from, Keys: "1500ms:1", HangUpAfter: c.hangUp}).Wait(time.Minute)
			rec := r.record(from)
			if rec.Outcome != "answered" || rec.Agent != "2001" || rec.Queue != "soccorso" || rec.Urgency != store.UrgencyRescue ||
				rec.Digits != "1" || rec.HangupBy != c.by || rec.TalkS < c.minTalk || rec.ConnectedAt.IsZero() ||
				rec.AnsweredAt.Before(rec.ArrivedAt) || rec.QueuedAt.Before(rec.AnsweredAt) || rec.ConnectedAt.Before(rec.QueuedAt) {
				t.Fatalf("record %+v", rec)
			}
			if !strings.Contains(rec.IVRPath, "pericolo>avviso-112>coda-soccorso") {
				t.Errorf("path %q", rec.IVRPath)
			}
			// The agent's leg is an outbound record of its own, closed too.
			legs, err := r.db.Calls(context.Background(), store.CallFilter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range legs {
				if l.EndedAt.IsZero() {
					t.Errorf("record left open: %+v", l)
				}
			}
			if out := r.ast.MustCLI("core show channels count"); !strings.Contains(out, "0 active channels") {
				t.Errorf("channels left in Asterisk:\n%s", out)
			}
			r.noMissingSounds()
		})
	}
}

// TestRealAsteriskBusyAndNoAnswer: the first agent's phone answers 486, the
// second rings out (RONA); the third takes the call. Both are paused, the
// queue's log says why, and the caller waited through it all.
func TestRealAsteriskBusyAndNoAnswer(t *testing.T) {
	t.Parallel()
	r := newRealRig(t, rigSpec{Mode: []string{"emergency", "--reason", "Test RONA"}, Queue: []string{"--ring-timeout", "4s"},
		More: []phoneGroup{
			{asttest.PhoneSpec{Busy: true}, []string{"2101"}},
			{asttest.PhoneSpec{Ring: time.Minute}, []string{"2102"}},
			{asttest.PhoneSpec{Ring: 500 * time.Millisecond}, []string{"2103"}},
		}})
	from := "+390862400001"
	r.ast.Call(t, asttest.CallSpec{From: from, Keys: "1500ms:1", HangUpAfter: 40 * time.Second}).Wait(time.Minute)
	rec := r.record(from)
	if rec.Outcome != "answered" || rec.Agent != "2103" || rec.RingS < 4 {
		t.Fatalf("record %+v: want answered by 2103 after a busy phone and a 4 s ring", rec)
	}
	evs, err := r.db.QueueEvents(context.Background(), store.QueueEventFilter{CallID: &rec.ChannelID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Event+":"+e.Agent+":"+strings.Join(e.Data[:], ","))
	}
	joined := strings.Join(got, " ")
	for _, want := range []string{"RINGNOANSWER:2101", "RINGNOANSWER:2102", "CONNECT:2103"} {
		if !strings.Contains(joined, want) {
			t.Errorf("queue log lacks %s: %v", want, got)
		}
	}
	// The live state (the ACD's pauses) is in queue status, published every second.
	untilOutput(t, r.envs, `(?m)^2101\s.*in pausa(.|\n)*^2102\s.*in pausa`, "queue", "status")
}

// TestRealAsteriskFailedFax: a flow sends the caller to fax reception; the
// caller (SIPp) sends no fax and hangs up, so Asterisk's ReceiveFAX fails
// in the dialplan and the channel never returns to Stasis. The h
// extension's user event still tells ascolto, which records the failed fax.
func TestRealAsteriskFailedFax(t *testing.T) {
	t.Parallel()
	r := newRealRig(t, rigSpec{Flow: "name: fax\nstart: fax\nnodes:\n  fax:\n    kind: fax\n"})
	from := "+390862500001"
	r.ast.Call(t, asttest.CallSpec{From: from, HangUpAfter: 6 * time.Second}).Wait(time.Minute)
	rec := r.record(from)
	if rec.Outcome != "fax" {
		t.Fatalf("record %+v", rec)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		job, err := r.db.FaxJobByChannel(context.Background(), rec.ChannelID)
		if err == nil {
			if job.Status == "SUCCESS" {
				t.Fatalf("a fax that was never sent was taken as received: %+v", job)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no fax job for the failed reception: %v\n%s", err, asttest.Tail(r.ast.Log(), 40))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(r.ast.Log(), "UserEvent(\"PJSIP/trunk-") {
		t.Errorf("the h extension's UserEvent did not run:\n%s", asttest.Tail(r.ast.Log(), 40))
	}
}

// TestRealAsteriskControllerKilled: with one caller talking to the only
// agent and another waiting, the controller dies (kill -9) and a new one
// starts: the talk goes on in Asterisk, the waiting caller is served once
// the agent is free, and each record is closed once.
func TestRealAsteriskControllerKilled(t *testing.T) {
	t.Parallel()
	r := newRealRig(t, rigSpec{Mode: []string{"emergency", "--reason", "Test kill -9"},
		Phones: &asttest.PhoneSpec{Ring: 300 * time.Millisecond, Talk: 12 * time.Second}, Seats: []string{"2201"}})
	first := r.ast.Call(t, asttest.CallSpec{From: "+390862600001", Keys: "1500ms:1", Wait: 2 * time.Minute})
	// The first caller talks with the agent (after the emergency and 112 notices).
	r.eventually("the first caller talking", 60*time.Second, func() bool {
		out, _, _ := cli(t, r.envs, "queue", "status")
		return regexp.MustCompile(`(?m)^2201\s.*in chiamata`).MatchString(out)
	})
	second := r.ast.Call(t, asttest.CallSpec{From: "+390862600002", Keys: "1500ms:1", Wait: 2 * time.Minute})
	// The second caller reaches the queue while the first talks.
	r.eventually("the second caller waiting", 60*time.Second, func() bool {
		calls, _ := r.db.Calls(context.Background(), store.CallFilter{Caller: ptr("+390862600002")})
		return len(calls) == 1 && !calls[0].QueuedAt.IsZero()
	})
	r.s.cmd.Process.Kill()
	r.s.cmd.Wait()
	r.s = startServe(t, r.envs)
	first.Wait(2 * time.Minute)
	second.Wait(2 * time.Minute)
	for _, from := range []string{"+390862600001", "+390862600002"} {
		rec := r.record(from)
		if rec.Outcome != "answered" || rec.Agent != "2201" || rec.HangupBy != "agent" {
			t.Errorf("%s: record %+v", from, rec)
		}
	}
	if out := r.ast.MustCLI("core show channels count"); !strings.Contains(out, "0 active channels") {
		t.Errorf("channels left in Asterisk:\n%s", out)
	}
}

// TestRealAsteriskCrash: Asterisk is killed (kill -9) with a caller
// waiting in a queue and started again: ascolto reconnects by itself,
// closes the lost call's record once, and serves the next caller.
// (TestRealAsteriskRestartWithCallers adds a caller talking with an agent.)
func TestRealAsteriskCrash(t *testing.T) {
	t.Parallel()
	r := newRealRig(t, rigSpec{Flow: "name: coda\nstart: coda\nnodes:\n  coda:\n    kind: queue\n    queue: informazioni\n"})
	lost := "+390862700001"
	r.ast.Call(t, asttest.CallSpec{From: lost, Wait: time.Minute}) // ended by the crash; its SIPp is stopped at cleanup
	r.eventually("the caller waiting", 30*time.Second, func() bool {
		calls, _ := r.db.Calls(context.Background(), store.CallFilter{Caller: &lost})
		return len(calls) == 1 && !calls[0].QueuedAt.IsZero()
	})
	r.ast.Kill()
	r.ast.Restart()
	rec := r.record(lost)
	// Lost with Asterisk (a new startup_time): the system ended it, not the caller.
	if rec.Outcome != "abandoned-queue" || rec.HangupBy != "system" || rec.HangupCause != 0 {
		t.Errorf("the lost call's record %+v", rec)
	}
	r.eventually("ascolto ready again", 60*time.Second, func() bool { code, _ := getReady(t, r.s.base); return code == 200 })
	next := "+390862700002"
	r.ast.Call(t, asttest.CallSpec{From: next, HangUpAfter: 3 * time.Second}).Wait(time.Minute)
	if rec := r.record(next); rec.Outcome != "abandoned-queue" || rec.Queue != "informazioni" || rec.HangupBy != "caller" {
		t.Errorf("the call after the restart: %+v", rec)
	}
}

// queueFlow sends every caller straight to the information queue.
const queueFlow = "name: coda\nstart: coda\nnodes:\n  coda:\n    kind: queue\n    queue: informazioni\n"

// TestRealAsteriskWrongARIPassword: with a wrong ARI password the service
// stays up and keeps trying, /readyz says 503 naming the user and the
// password as the problem (never the password itself), and Asterisk is
// unharmed; restarted with the right password, the service connects and
// serves a call.
func TestRealAsteriskWrongARIPassword(t *testing.T) {
	t.Parallel()
	r := newRealRig(t, rigSpec{Mode: []string{"closed", "--reason", "Test password ARI"}, ARIPassword: "not-the-password"})
	var code int
	var detail string
	r.eventually("/readyz saying the password is wrong", 30*time.Second, func() bool {
		code, detail = checkDetail(t, r.s.base, "asterisk")
		return strings.Contains(detail, "refused")
	})
	if want := `ARI refused the user "ascolto": wrong user or password (401`; code != http.StatusServiceUnavailable ||
		!strings.Contains(detail, want) || !strings.Contains(detail, "ASCOLTO_ARI_PASSWORD") {
		t.Errorf("readyz %d, asterisk: %q; want 503 with %q", code, detail, want)
	}
	if strings.Contains(detail, "not-the-password") {
		t.Errorf("readyz shows the password: %q", detail)
	}
	// It keeps trying, and nothing falls over.
	r.eventually("a second refused attempt", 30*time.Second, func() bool {
		return strings.Count(r.s.log(), "ARI not connected; retrying") >= 2
	})
	if err := r.s.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("ascolto is gone: %v\n%s", err, r.s.log())
	}
	if m := getBody(t, r.s.base+"/metrics"); !strings.Contains(m, "ascolto_ari_connected 0") {
		t.Errorf("metrics say connected:\n%s", m)
	}
	if out := r.ast.MustCLI("core show uptime"); !strings.Contains(out, "System uptime") {
		t.Errorf("Asterisk: %s", out)
	}
	if l := r.s.log(); strings.Contains(l, "panic") || strings.Contains(l, "not-the-password") {
		t.Errorf("ascolto's log:\n%s", l)
	}

	// The operator fixes the password and restarts the service.
	if code := r.stop(30 * time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM", code)
	}
	r.s = startServe(t, r.envs)
	r.waitReady(60 * time.Second)
	if _, detail := checkDetail(t, r.s.base, "asterisk"); !strings.Contains(detail, "connected to Asterisk 20.") {
		t.Errorf("asterisk: %q", detail)
	}
	from := "+390862900001"
	r.ast.Call(t, asttest.CallSpec{From: from}).Wait(time.Minute)
	if rec := r.record(from); rec.Outcome != "ivr-completed" || rec.Mode != "closed" {
		t.Errorf("record %+v", rec)
	}
	if got := r.heard(from); !slices.Equal(got, []string{"it:benvenuto", "it:per-inglese", "it:servizio-sospeso"}) {
		t.Errorf("heard %v", got)
	}
}

// TestRealAsteriskDownAtStart: the service starts before Asterisk. Until
// Asterisk runs, /readyz says 503 and that Asterisk is not reachable; once
// it runs, the service connects by itself and serves a call.
func TestRealAsteriskDownAtStart(t *testing.T) {
	t.Parallel()
	r := newRealRig(t, rigSpec{Mode: []string{"emergency", "--reason", "Test Asterisk spento"}, AsteriskDown: true})
	var code int
	var detail string
	r.eventually("/readyz saying Asterisk is not reachable", 30*time.Second, func() bool {
		code, detail = checkDetail(t, r.s.base, "asterisk")
		return strings.Contains(detail, "not reachable")
	})
	if want := "Asterisk not reachable at http://127.0.0.1:" + strconv.Itoa(r.ast.HTTPPort); code != http.StatusServiceUnavailable ||
		!strings.Contains(detail, want) || !strings.Contains(detail, "connection refused") {
		t.Errorf("readyz %d, asterisk: %q; want 503 with %q", code, detail, want)
	}
	r.ast.Up()
	r.waitReady(90 * time.Second)
	from := "+390862900101"
	// The menu starts after the emergency notice (about 18 s); the caller is
	// in the queue after "attesa-operatore" (5 s).
	r.ast.Call(t, asttest.CallSpec{From: from, Keys: "21s:3", HangUpAfter: 34 * time.Second}).Wait(time.Minute)
	rec := r.record(from)
	want := []string{"it:benvenuto", "it:per-inglese", "it:avviso-emergenza", "it:menu-emergenza", "it:attesa-operatore"}
	if got := r.heard(from); len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("heard %v, want %v first", got, want)
	}
	if rec.Queue != "informazioni" || rec.Digits != "3" || rec.Outcome != "abandoned-queue" || rec.HangupBy != "caller" {
		t.Errorf("record %+v", rec)
	}
	if n := strings.Count(r.s.log(), `"msg":"ARI connected"`); n != 1 {
		t.Errorf("ARI connected %d times:\n%s", n, r.s.log())
	}
}

// TestRealAsteriskControllerStopped: the service is stopped (SIGTERM) while
// a caller waits in a queue. It exits cleanly and at once; the caller stays
// in Asterisk hearing the music; a new service takes the caller back, still
// in line and still hearing music, and gives the call to the agent who
// logs in. The record is closed once, answered.
func TestRealAsteriskControllerStopped(t *testing.T) {
	t.Parallel()
	r := newRealRig(t, rigSpec{Flow: queueFlow, Phones: &asttest.PhoneSpec{Ring: 300 * time.Millisecond, Talk: 3 * time.Second},
		Seats: []string{"2301"}, LoggedOut: true})
	from := "+390862900201"
	caller := r.ast.Call(t, asttest.CallSpec{From: from, Wait: 2 * time.Minute})
	r.eventually("the caller waiting", 30*time.Second, func() bool {
		calls, _ := r.db.Calls(context.Background(), store.CallFilter{Caller: &from})
		return len(calls) == 1 && !calls[0].QueuedAt.IsZero()
	})
	if code := r.stop(30 * time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, asttest.Tail(r.s.log(), 30))
	}
	if l := r.s.log(); !strings.Contains(l, "ascolto stopped") {
		t.Errorf("no clean stop in the log:\n%s", asttest.Tail(l, 30))
	}
	ch := r.channel(from)
	if out := r.ast.MustCLI("core show channels"); !regexp.MustCompile(regexp.QuoteMeta(ch) + `\s.*\sUp\s+Stasis\(ascolto`).MatchString(out) {
		t.Fatalf("the caller's channel %s is not up in Stasis:\n%s", ch, out)
	}
	r.hearsMusic(from, "with the service stopped")
	select {
	case <-caller.Done():
		t.Fatal("the caller's call ended with the service")
	default:
	}

	r.s = startServe(t, r.envs)
	r.waitReady(60 * time.Second)
	r.eventually("the caller re-adopted", 30*time.Second, func() bool {
		return strings.Contains(r.s.log(), `"adopted":1`)
	})
	r.hearsMusic(from, "after the new service took the call back")
	if calls, _ := r.db.Calls(context.Background(), store.CallFilter{Caller: &from}); len(calls) != 1 || !calls[0].EndedAt.IsZero() || calls[0].Queue != "informazioni" {
		t.Fatalf("while waiting again: %+v", calls)
	}
	r.login("2301")
	caller.Wait(time.Minute) // the agent hangs up after 3 s
	rec := r.record(from)
	if rec.Outcome != "answered" || rec.Agent != "2301" || rec.HangupBy != "agent" || rec.Queue != "informazioni" {
		t.Errorf("record %+v", rec)
	}
	if strings.Contains(r.s.log(), "already closed") {
		t.Errorf("a record closed twice:\n%s", r.s.log())
	}
	r.eventually("no channel left in Asterisk", 30*time.Second, func() bool {
		return strings.Contains(r.ast.MustCLI("core show channels count"), "0 active channels")
	})
}

// TestRealAsteriskMusicInEmptiedBridge: Asterisk takes a holding bridge's
// music out when the bridge's last caller leaves; a caller who waits in
// that bridge later hears music all the same.
func TestRealAsteriskMusicInEmptiedBridge(t *testing.T) {
	t.Parallel()
	r := newRealRig(t, rigSpec{Flow: queueFlow})
	// Callers wait in the queue's holding bridges and hang up, leaving
	// the bridges they were in empty.
	var first []*asttest.SIPp
	for i := range 8 {
		first = append(first, r.ast.Call(t, asttest.CallSpec{From: fmt.Sprintf("+3908629004%02d", i), HangUpAfter: 4 * time.Second}))
	}
	for i, c := range first {
		c.Wait(time.Minute)
		r.record(fmt.Sprintf("+3908629004%02d", i))
	}
	emptied := map[string]bool{}
	for _, l := range strings.Split(r.ast.MustCLI("bridge show all"), "\n") {
		if f := strings.Fields(l); len(f) >= 3 && strings.HasPrefix(f[0], "ascolto-hold-informazioni") && f[2] == "0" {
			emptied[f[0]] = true
		}
	}
	if len(emptied) == 0 {
		t.Fatalf("no empty holding bridge after the callers left:\n%s", r.ast.MustCLI("bridge show all"))
	}
	// Holding bridges fill in order, so the next caller waits in the first
	// one, which the callers above emptied; callers come one after the
	// other until one waits in an emptied bridge.
	bridgeRe := regexp.MustCompile(`(?m)^\s*Bridge ID: (\S+)`)
	for i := range 20 {
		from := fmt.Sprintf("+3908629005%02d", i)
		c := r.ast.Call(t, asttest.CallSpec{From: from, HangUpAfter: 15 * time.Second})
		r.eventually("the caller waiting", 30*time.Second, func() bool {
			calls, _ := r.db.Calls(context.Background(), store.CallFilter{Caller: &from})
			return len(calls) == 1 && !calls[0].QueuedAt.IsZero()
		})
		var bridge string
		r.eventually("the caller in a holding bridge", 10*time.Second, func() bool {
			m := bridgeRe.FindStringSubmatch(r.ast.MustCLI("core show channel " + r.channel(from)))
			if m != nil {
				bridge = m[1]
			}
			return m != nil
		})
		if emptied[bridge] {
			r.hearsMusic(from, "in a bridge whose last caller had left")
			c.Wait(time.Minute)
			return
		}
		c.Wait(time.Minute)
	}
	t.Fatalf("none of 20 callers waited in one of the emptied bridges %v", emptied)
}

// hearsMusic waits until Asterisk has sent the caller another 8 s of audio
// (50 RTP packets a second): music on hold, as the queue announcements are
// shorter. A caller who waits in silence gets no packets.
func (r *realRig) hearsMusic(caller, when string) {
	r.t.Helper()
	from, _ := r.sentTo(caller)
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, stats := r.sentTo(caller)
		if n >= from+400 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the caller is not hearing music %s: %d RTP packets sent in 30 s\n%s", when, n-from, stats)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// sentTo is how many RTP packets Asterisk has sent to the caller's channel
// ("pjsip show channelstats", Transmit Count; a channel Asterisk has sent
// nothing to yet is not listed), and the statistics it read.
func (r *realRig) sentTo(caller string) (int, string) {
	r.t.Helper()
	st, out := r.rtp(strings.TrimPrefix(r.channel(caller), "PJSIP/"))
	return st.Sent, out
}

// rtpStats are one channel's line of "pjsip show channelstats".
type rtpStats struct {
	Codec          string
	Received, Sent int
}

// rtp reads the RTP statistics of the channel id (e.g. 101-00000002; zero
// when Asterisk has none for it yet), and the whole table.
func (r *realRig) rtp(id string) (rtpStats, string) {
	r.t.Helper()
	out := r.ast.MustCLI("pjsip show channelstats")
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		for i, v := range f {
			// ChannelId UpTime Codec Receive(Count Lost Pct Jitter) Transmit(Count ...)
			if v == id && i+7 < len(f) {
				rx, err1 := strconv.Atoi(f[i+3])
				tx, err2 := strconv.Atoi(f[i+7])
				if err1 != nil || err2 != nil {
					r.t.Fatalf("channelstats: %q: %v %v", l, err1, err2)
				}
				return rtpStats{Codec: f[i+2], Received: rx, Sent: tx}, out
			}
		}
	}
	return rtpStats{}, out
}

// TestRealAsteriskRestartDuringTalk: Asterisk restarts (core stop now, then
// started again) while a caller talks with an agent. The service
// reconnects by itself, closes the lost call's record once, leaves no
// record open, and the agent takes the next call.
func TestRealAsteriskRestartDuringTalk(t *testing.T) {
	t.Parallel()
	// No wrap-up after a call, so the agent is free for the next one at once.
	r := newRealRig(t, rigSpec{Flow: "name: coda\nstart: coda\nnodes:\n  coda:\n    kind: queue\n    queue: soccorso\n",
		Queue: []string{"--wrapup", "0s"}, Phones: &asttest.PhoneSpec{Ring: 300 * time.Millisecond}, Seats: []string{"2401"}})
	lost := "+390862900301"
	r.ast.Call(t, asttest.CallSpec{From: lost, Wait: 2 * time.Minute}) // ended by the restart; its SIPp is stopped at cleanup
	// Asterisk restarts when they have talked for 2 s.
	r.eventually("the caller talking with the agent", 30*time.Second, func() bool {
		calls, _ := r.db.Calls(context.Background(), store.CallFilter{Caller: &lost})
		return len(calls) == 1 && !calls[0].ConnectedAt.IsZero() && time.Since(calls[0].ConnectedAt) > 2*time.Second
	})
	r.ast.Restart()
	r.ast.WaitPhones(t, "2401")
	rec := r.record(lost)
	if rec.Outcome != "answered" || rec.Agent != "2401" || rec.EndedAt.IsZero() {
		t.Errorf("the lost call's record %+v", rec)
	}
	r.noOpenRecords(t)
	r.connectedAgain(t)
	next := "+390862900302"
	r.ast.Call(t, asttest.CallSpec{From: next, HangUpAfter: 20 * time.Second}).Wait(time.Minute)
	if rec := r.record(next); rec.Outcome != "answered" || rec.Agent != "2401" || rec.HangupBy != "caller" || rec.TalkS < 1 {
		t.Errorf("the call after the restart: %+v", rec)
	}
	if strings.Contains(r.s.log(), "already closed") {
		t.Errorf("a record closed twice:\n%s", r.s.log())
	}
}

// TestRealAsteriskRestartWithCallers: Asterisk goes down under one caller
// talking with the only agent and another waiting for them, restarted by
// an operator ("core restart now": every channel hung up, the process
// execs itself again) or killed (kill -9, then started again). Each record
// is closed once, saying the system ended it with no cause (neither the
// caller nor the agent hung up); the service reconnects by itself and is
// ready again; and the agent, given no wrap-up for a call the switch lost
// (the queue's is 10 minutes), takes the next caller at once.
func TestRealAsteriskRestartWithCallers(t *testing.T) {
	t.Parallel()
	for i, c := range []struct {
		name string
		down func(*asttest.Asterisk)
	}{
		{"core restart now", func(a *asttest.Asterisk) { a.RestartNow() }},
		{"kill -9", func(a *asttest.Asterisk) { a.Kill(); a.Up() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			seat := fmt.Sprintf("250%d", i+1)
			r := newRealRig(t, rigSpec{Flow: "name: coda\nstart: coda\nnodes:\n  coda:\n    kind: queue\n    queue: soccorso\n",
				Queue: []string{"--wrapup", "10m"}, Phones: &asttest.PhoneSpec{Ring: 300 * time.Millisecond}, Seats: []string{seat}})
			talking, waiting, next := fmt.Sprintf("+39086291%d001", i), fmt.Sprintf("+39086291%d002", i), fmt.Sprintf("+39086291%d003", i)
			// Both lost to the restart; their SIPps are stopped at cleanup.
			r.ast.Call(t, asttest.CallSpec{From: talking, Wait: 3 * time.Minute})
			r.eventually("the first caller talking with the agent", 30*time.Second, func() bool {
				calls, _ := r.db.Calls(context.Background(), store.CallFilter{Caller: &talking})
				return len(calls) == 1 && !calls[0].ConnectedAt.IsZero() && time.Since(calls[0].ConnectedAt) > 2*time.Second
			})
			r.ast.Call(t, asttest.CallSpec{From: waiting, Wait: 3 * time.Minute})
			r.eventually("the second caller waiting", 30*time.Second, func() bool {
				calls, _ := r.db.Calls(context.Background(), store.CallFilter{Caller: &waiting})
				return len(calls) == 1 && !calls[0].QueuedAt.IsZero()
			})
			c.down(r.ast)
			r.ast.WaitPhones(t, seat)
			if rec := r.record(talking); rec.Outcome != "answered" || rec.Agent != seat || rec.HangupBy != "system" || rec.HangupCause != 0 {
				t.Errorf("the talking caller's record %+v", rec)
			}
			if rec := r.record(waiting); rec.Outcome != "abandoned-queue" || rec.HangupBy != "system" || rec.HangupCause != 0 {
				t.Errorf("the waiting caller's record %+v", rec)
			}
			r.noOpenRecords(t)
			r.connectedAgain(t)
			r.ast.Call(t, asttest.CallSpec{From: next, HangUpAfter: 15 * time.Second}).Wait(time.Minute)
			if rec := r.record(next); rec.Outcome != "answered" || rec.Agent != seat || rec.HangupBy != "caller" || rec.TalkS < 1 {
				t.Errorf("the call after the restart: %+v", rec)
			}
			lost := r.record(talking).ChannelID
			evs, err := r.db.QueueEvents(context.Background(), store.QueueEventFilter{CallID: &lost})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range evs {
				if e.Event == "WRAPUPEND" {
					t.Errorf("a wrap-up for the call the switch lost: %+v", e)
				}
			}
			if strings.Contains(r.s.log(), "already closed") {
				t.Errorf("a record closed twice:\n%s", r.s.log())
			}
		})
	}
}

// TestRealAsteriskRestartWhileAgentRings: Asterisk restarts ("core
// restart now") while the only agent's phone rings for a waiting caller.
// The ring was lost with the switch, not left unanswered: after the
// restart the agent is free, not paused for no answer (RONA).
func TestRealAsteriskRestartWhileAgentRings(t *testing.T) {
	t.Parallel()
	r := newRealRig(t, rigSpec{Flow: "name: coda\nstart: coda\nnodes:\n  coda:\n    kind: queue\n    queue: soccorso\n",
		Queue: []string{"--ring-timeout", "60s", "--wrapup", "0s"}, Phones: &asttest.PhoneSpec{Ring: 2 * time.Minute}, Seats: []string{"2611"}})
	r.ast.Call(t, asttest.CallSpec{From: "+390862920001", Wait: 3 * time.Minute}) // lost to the restart
	r.eventually("the agent's phone ringing", 30*time.Second, func() bool {
		out, _ := r.ast.CLI("core show channels")
		return strings.Contains(out, "PJSIP/2611-")
	})
	r.ast.RestartNow()
	r.ast.WaitPhones(t, "2611")
	if rec := r.record("+390862920001"); rec.Outcome != "abandoned-queue" || rec.HangupBy != "system" {
		t.Errorf("the waiting caller's record %+v", rec)
	}
	r.connectedAgain(t)
	untilOutput(t, r.envs, `(?m)^2611\s.*libero`, "queue", "status")
	if out, _, _ := cli(t, r.envs, "queue", "status"); regexp.MustCompile(`(?m)^2611\s.*in pausa`).MatchString(out) {
		t.Errorf("2611 paused for a ring the switch lost:\n%s", out)
	}
}
