package ivr

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func rome(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func defaultCalendar(t testing.TB) *Calendar {
	t.Helper()
	site, err := DefaultSite()
	if err != nil {
		t.Fatal(err)
	}
	cal, err := NewCalendar(site)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func loadTestFlow(t testing.TB, path string) *Flow {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Load(src, testCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// call drives a session the way the controller would, remembering the ids of
// the current playback and timer.
type call struct {
	t       *testing.T
	s       *Session
	playID  int
	timerID int
	last    []Action // the actions of the last step, copied
	all     []Action
}

func startCall(t *testing.T, f *Flow, env Env) *call {
	t.Helper()
	s, err := NewSession(f)
	if err != nil {
		t.Fatal(err)
	}
	acts, err := s.Start(env)
	if err != nil {
		t.Fatal(err)
	}
	c := &call{t: t, s: s}
	c.absorb(acts)
	return c
}

func (c *call) absorb(acts []Action) {
	c.last = slices.Clone(acts)
	c.all = append(c.all, acts...)
	for _, a := range acts {
		switch a.Kind {
		case ActionPlay:
			c.playID = a.ID
		case ActionStartTimer:
			c.timerID = a.ID
		}
	}
}

func (c *call) send(ev Event) []Action {
	acts := c.s.Handle(ev)
	c.absorb(acts)
	return acts
}

// run plays a script: p = current playback finished, t = current timer fired,
// r = recording finished, h = caller hangs up, a key = that DTMF digit.
func (c *call) run(script string) {
	for _, tok := range strings.Fields(script) {
		switch tok {
		case "p":
			c.send(Event{Kind: EventPlaybackFinished, ID: c.playID})
		case "t":
			c.send(Event{Kind: EventTimerFired, ID: c.timerID})
		case "r":
			c.send(Event{Kind: EventRecordingFinished, Recording: "rec-1", Duration: 42 * time.Second})
		case "h":
			c.send(Event{Kind: EventHangup})
		default:
			c.send(Event{Kind: EventDigit, Digit: tok[0]})
		}
	}
}

func kinds(acts []Action) []ActionKind {
	var out []ActionKind
	for _, a := range acts {
		out = append(out, a.Kind)
	}
	return out
}

func (c *call) heard() []string {
	var out []string
	for _, a := range c.all {
		if a.Kind == ActionPlay {
			out = append(out, a.Prompts...)
		}
	}
	return out
}

func TestSessionWalksEveryNodeKind(t *testing.T) {
	f := loadTestFlow(t, "testdata/every-kind.yaml")
	cal := defaultCalendar(t)
	loc := rome(t)
	open := time.Date(2026, 11, 26, 10, 0, 0, 0, loc)    // Thursday
	evening := time.Date(2026, 11, 26, 20, 0, 0, 0, loc) // after 18:00
	sunday := time.Date(2026, 11, 29, 3, 0, 0, 0, loc)
	tests := []struct {
		name     string
		at       time.Time
		mode     Mode
		script   string
		want     Outcome
		path     string
		digits   string
		tags     Tags
		lastActs []ActionKind
	}{
		{"rescue request", open, ModeOrdinary, "p 1 p",
			Outcome{Kind: OutcomeQueue, Node: "rescue-queue", Queue: "soccorso", Priority: 10},
			"start hours menu danger warn rescue-queue", "1", Tags{"soccorso", UrgencyRescue, 10}, []ActionKind{ActionQueue}},
		{"report takes the tag priority", open, ModeOrdinary, "p 2",
			Outcome{Kind: OutcomeQueue, Node: "report-queue", Queue: "segnalazioni", Priority: 5},
			"start hours menu report report-queue", "2", Tags{"segnalazione", UrgencyElevated, 5},
			[]ActionKind{ActionStopTimer, ActionTag, ActionQueue}},
		{"record a message", open, ModeOrdinary, "p 3 p r p",
			Outcome{Kind: OutcomeHangup, Node: "thanks"},
			"start hours menu message thanks", "3", Tags{}, []ActionKind{ActionHangup}},
		{"transfer to a regional line", open, ModeOrdinary, "p 4",
			Outcome{Kind: OutcomeTransfer, Node: "regional", Number: "+390862000000"},
			"start hours menu regional", "4", Tags{}, []ActionKind{ActionStopTimer, ActionTransfer}},
		{"fax", open, ModeOrdinary, "p 5 p",
			Outcome{Kind: OutcomeFax, Node: "fax"}, "start hours menu fax", "5", Tags{}, []ActionKind{ActionFax}},
		{"english then report", open, ModeOrdinary, "p 9 p 2",
			Outcome{Kind: OutcomeQueue, Node: "report-queue", Queue: "segnalazioni", Priority: 5},
			"start hours menu english menu report report-queue", "92", Tags{"segnalazione", UrgencyElevated, 5}, nil},
		{"invalid key then a valid one", open, ModeOrdinary, "p 7 p 1 p",
			Outcome{Kind: OutcomeQueue, Node: "rescue-queue", Queue: "soccorso", Priority: 10},
			"start hours menu danger warn rescue-queue", "71", Tags{"soccorso", UrgencyRescue, 10}, nil},
		{"no input then a valid key", open, ModeOrdinary, "p t p 2",
			Outcome{Kind: OutcomeQueue, Node: "report-queue", Queue: "segnalazioni", Priority: 5},
			"start hours menu report report-queue", "2", Tags{"segnalazione", UrgencyElevated, 5}, nil},
		{"retries exhausted by silence", open, ModeOrdinary, "p t p t p",
			Outcome{Kind: OutcomeQueue, Node: "operator", Queue: "informazioni"},
			"start hours menu operator", "", Tags{}, []ActionKind{ActionQueue}},
		{"retries exhausted by wrong keys", open, ModeOrdinary, "p 8 p 0 p",
			Outcome{Kind: OutcomeQueue, Node: "operator", Queue: "informazioni"},
			"start hours menu operator", "80", Tags{}, []ActionKind{ActionQueue}},
		{"out of hours", evening, ModeOrdinary, "p",
			Outcome{Kind: OutcomeHangup, Node: "closed-msg"}, "start hours closed-msg", "", Tags{}, []ActionKind{ActionHangup}},
		{"emergency mode skips the hours", sunday, ModeEmergency, "p 1 p",
			Outcome{Kind: OutcomeQueue, Node: "rescue-queue", Queue: "soccorso", Priority: 10},
			"start menu danger warn rescue-queue", "1", Tags{"soccorso", UrgencyRescue, 10}, nil},
		{"closed mode", open, ModeClosed, "p",
			Outcome{Kind: OutcomeHangup, Node: "closed-msg"}, "start closed-msg", "", Tags{}, nil},
		{"barge-in picks the choice at once", open, ModeOrdinary, "1",
			Outcome{Kind: OutcomeRunning}, "start hours menu danger warn", "1", Tags{"soccorso", UrgencyRescue, 10},
			[]ActionKind{ActionStopPlayback, ActionTag, ActionPlay}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startCall(t, f, Env{At: tt.at, Mode: tt.mode, Calendar: cal})
			c.run(tt.script)
			if got := c.s.Outcome(); got != tt.want {
				t.Errorf("outcome = %+v, want %+v", got, tt.want)
			}
			if got := strings.Join(c.s.Path(), " "); got != tt.path {
				t.Errorf("path = %q, want %q", got, tt.path)
			}
			if got := c.s.Digits(); got != tt.digits {
				t.Errorf("digits = %q, want %q", got, tt.digits)
			}
			var got Tags
			got.Category, got.Urgency, got.Priority = c.s.Tags()
			if got != tt.tags {
				t.Errorf("tags = %+v, want %+v", got, tt.tags)
			}
			if tt.lastActs != nil && !slices.Equal(kinds(c.last), tt.lastActs) {
				t.Errorf("last actions = %v, want %v", kinds(c.last), tt.lastActs)
			}
			if c.s.Done() != (tt.want.Kind != OutcomeRunning) {
				t.Errorf("Done = %v with outcome %v", c.s.Done(), tt.want.Kind)
			}
		})
	}
}

// TestSessionTransferFailed: a transfer the number did not take goes on
// at the node's `failed` target; without one the call stays ended.
func TestSessionTransferFailed(t *testing.T) {
	f := loadTestFlow(t, "testdata/every-kind.yaml")
	cal := defaultCalendar(t)
	open := time.Date(2026, 11, 26, 10, 0, 0, 0, rome(t))
	c := startCall(t, f, Env{At: open, Calendar: cal})
	if acts := c.s.TransferFailed(open); acts != nil {
		t.Fatalf("a call still in the menu took a transfer failure: %v", kinds(acts))
	}
	c.run("p 4")
	if o := c.s.Outcome(); o.Kind != OutcomeTransfer || !c.s.Done() {
		t.Fatalf("outcome %+v", o)
	}
	acts := c.s.TransferFailed(open.Add(time.Minute))
	c.absorb(acts)
	if !slices.Equal(kinds(acts), []ActionKind{ActionPlay}) || c.s.Done() {
		t.Fatalf("after the failure: %v, done %v", kinds(acts), c.s.Done())
	}
	c.run("p")
	want := Outcome{Kind: OutcomeQueue, Node: "operator", Queue: "informazioni"}
	if o := c.s.Outcome(); o != want {
		t.Fatalf("outcome %+v, want %+v", o, want)
	}
	if got := strings.Join(c.s.Path(), " "); got != "start hours menu regional operator" {
		t.Fatalf("path %q", got)
	}
	if acts := c.s.TransferFailed(open); acts != nil {
		t.Fatalf("a queued call took a transfer failure: %v", kinds(acts))
	}

	src, _ := os.ReadFile("testdata/every-kind.yaml")
	bare, err := Load([]byte(strings.Replace(string(src), "    failed: operator\n", "", 1)), testCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	c = startCall(t, bare, Env{At: open, Calendar: cal})
	c.run("p 4")
	if acts := c.s.TransferFailed(open); acts != nil || !c.s.Done() || c.s.Outcome().Kind != OutcomeTransfer {
		t.Fatalf("no failed target: %v, done %v, %+v", kinds(acts), c.s.Done(), c.s.Outcome())
	}
}

func TestSessionActionsCarryWhatTheControllerNeeds(t *testing.T) {
	f := loadTestFlow(t, "testdata/every-kind.yaml")
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, rome(t))
	c := startCall(t, f, Env{At: at, Calendar: defaultCalendar(t)})

	menu := c.last[0]
	if menu.Kind != ActionPlay || !menu.BargeIn || menu.Lang != "it" || !slices.Equal(menu.Media, []string{"sound:ascolto/menu-ordinario"}) {
		t.Fatalf("menu play = %+v", menu)
	}
	c.run("p")
	if k := kinds(c.last); !slices.Equal(k, []ActionKind{ActionStartTimer}) || c.last[0].Duration != 5*time.Second {
		t.Fatalf("after the menu prompt: %+v", c.last)
	}
	c.run("7")
	retry := c.last[1]
	if retry.Kind != ActionPlay || !slices.Equal(retry.Prompts, []string{"scelta-non-valida", "menu-ordinario"}) || retry.ID == menu.ID {
		t.Fatalf("after a wrong key: %+v", c.last)
	}
	// Switching language re-enters the menu, which resets its retries.
	c.run("p 9")
	if en := c.last[1]; en.Kind != ActionPlay || en.Lang != "en" || en.Prompts[0] != "menu-ordinario" {
		t.Fatalf("after 9: %+v", c.last)
	}
	c.run("p t")
	if silent := c.last[0]; !slices.Equal(silent.Prompts, []string{"nessuna-scelta", "menu-ordinario"}) || silent.Lang != "en" {
		t.Fatalf("after no input: %+v", c.last)
	}
	c.run("p 3")
	intro := c.last[len(c.last)-1]
	if intro.Kind != ActionPlay || intro.Lang != "en" || intro.BargeIn || intro.Prompts[0] != "registra-messaggio" {
		t.Fatalf("record intro = %+v", intro)
	}
	c.run("p")
	rec := c.last[0]
	if rec.Kind != ActionRecord || rec.MaxSeconds != 60 || rec.Beep || rec.TerminateKey != "*" || rec.Lang != "en" {
		t.Fatalf("record = %+v", rec)
	}
	c.run("r")
	r, ok := c.s.Recording()
	if !ok || r.Name != "rec-1" || r.Duration != 42*time.Second || r.Node != "message" {
		t.Errorf("recording = %+v, %v", r, ok)
	}
	if got := c.s.Lang(); got != "en" {
		t.Errorf("lang = %q", got)
	}
}

func TestSessionBargeInAndStaleEvents(t *testing.T) {
	f := loadTestFlow(t, "testdata/every-kind.yaml")
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, rome(t))
	c := startCall(t, f, Env{At: at, Calendar: defaultCalendar(t)})
	menuPlay := c.playID

	// A wrong key during the menu prompt stops it and plays the retry.
	c.run("8")
	if k := kinds(c.last); !slices.Equal(k, []ActionKind{ActionStopPlayback, ActionPlay}) || c.last[0].ID != menuPlay {
		t.Fatalf("barge-in actions = %+v", c.last)
	}
	// Asterisk still reports the stopped playback as finished: ignored.
	if acts := c.s.Handle(Event{Kind: EventPlaybackFinished, ID: menuPlay}); len(acts) != 0 {
		t.Fatalf("stale playback finished gave %v", kinds(acts))
	}
	c.run("p")
	timer := c.timerID
	c.run("2")
	if k := kinds(c.last); k[0] != ActionStopTimer || c.last[0].ID != timer {
		t.Fatalf("digit while waiting = %+v", c.last)
	}
	// The stopped timer firing late is ignored too.
	if acts := c.s.Handle(Event{Kind: EventTimerFired, ID: timer}); acts != nil {
		t.Fatalf("stale timer gave %v", kinds(acts))
	}
	if c.s.Outcome().Queue != "segnalazioni" {
		t.Errorf("outcome = %+v", c.s.Outcome())
	}
}

func TestSessionKeysDuringANoticeCarryToTheNextMenu(t *testing.T) {
	// A key pressed during a plain play that leads to no menu changes
	// nothing: the notice plays on and the call goes where it was going.
	f := loadTestFlow(t, "testdata/every-kind.yaml")
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, rome(t))
	c := startCall(t, f, Env{At: at, Calendar: defaultCalendar(t)})
	c.run("p 1") // to the warning, a plain play
	if acts := c.s.Handle(Event{Kind: EventDigit, Digit: '5'}); len(acts) != 0 {
		t.Fatalf("digit during a play node gave %v", kinds(acts))
	}
	c.run("p")
	if c.s.Outcome().Queue != "soccorso" || c.s.Digits() != "1" {
		t.Errorf("outcome = %+v, digits %q", c.s.Outcome(), c.s.Digits())
	}

	// In an emergency, a caller who presses 3 during the emergency notice
	// hears the notice to its end and goes straight to the information
	// queue, without the 20 s menu; the key is counted once.
	df, err := DefaultFlow()
	if err != nil {
		t.Fatal(err)
	}
	c = startCall(t, df, Env{At: at, Mode: ModeEmergency, Calendar: defaultCalendar(t)})
	c.run("p t") // greeting, no key: the emergency notice
	if path := strings.Join(c.s.Path(), " "); path != "benvenuto modalita avviso-emergenza" {
		t.Fatalf("path = %q", path)
	}
	if acts := c.s.Handle(Event{Kind: EventDigit, Digit: '3'}); len(acts) != 0 {
		t.Fatalf("a key stopped the notice: %v", kinds(acts))
	}
	c.run("2 p") // a second key is not kept
	if path := strings.Join(c.s.Path(), " "); path != "benvenuto modalita avviso-emergenza menu-emergenza informazioni coda-informazioni" {
		t.Fatalf("path = %q", path)
	}
	if heard := c.heard(); slices.Contains(heard, "menu-emergenza") {
		t.Errorf("the caller who typed ahead still heard the menu: %v", heard)
	}
	c.run("p") // "please hold"
	if c.s.Digits() != "3" || c.s.Outcome().Queue != "informazioni" {
		t.Errorf("digits %q outcome %+v", c.s.Digits(), c.s.Outcome())
	}
}

func TestSessionHangupEndsTheCall(t *testing.T) {
	f := loadTestFlow(t, "testdata/every-kind.yaml")
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, rome(t))
	tests := []struct {
		name   string
		script string
		node   string
	}{
		{"mid-prompt", "", "menu"},
		{"mid-menu, waiting for a key", "p", "menu"},
		{"mid-retry prompt", "p 8", "menu"},
		{"mid-play", "p 1", "warn"},
		{"mid-recording", "p 3 p", "message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startCall(t, f, Env{At: at, Calendar: defaultCalendar(t)})
			c.run(tt.script)
			if acts := c.s.Handle(Event{Kind: EventHangup}); len(acts) != 0 {
				t.Fatalf("hangup gave actions %v", kinds(acts))
			}
			if !c.s.Done() || c.s.Outcome() != (Outcome{Kind: OutcomeCallerHangup, Node: tt.node}) {
				t.Fatalf("after hangup: done %v outcome %+v", c.s.Done(), c.s.Outcome())
			}
			for _, ev := range []Event{{Kind: EventPlaybackFinished, ID: c.playID}, {Kind: EventTimerFired, ID: c.timerID},
				{Kind: EventDigit, Digit: '1'}, {Kind: EventRecordingFinished, Recording: "msg", Duration: 9 * time.Second},
				{Kind: EventHangup}} {
				if acts := c.s.Handle(ev); len(acts) != 0 {
					t.Errorf("event %v after hangup gave %v", ev.Kind, kinds(acts))
				}
			}
			// A message ended by hanging up is kept; no other call has one.
			rec, ok := c.s.Recording()
			if wantRec := tt.node == "message"; ok != wantRec || (ok && (rec.Name != "msg" || rec.Duration != 9*time.Second)) {
				t.Errorf("recording after hangup = %+v, %v; want one: %v", rec, ok, wantRec)
			}
		})
	}
}

func TestSessionTakesTimeAndModeFromEvents(t *testing.T) {
	f, err := DefaultFlow()
	if err != nil {
		t.Fatal(err)
	}
	loc := rome(t)
	cal := defaultCalendar(t)

	// The greeting starts at 08:59:55, but the hours node is reached at 09:00:02.
	c := startCall(t, f, Env{At: time.Date(2026, 11, 26, 8, 59, 55, 0, loc), Calendar: cal})
	c.send(Event{Kind: EventPlaybackFinished, ID: c.playID, At: time.Date(2026, 11, 26, 9, 0, 0, 0, loc)})
	c.send(Event{Kind: EventTimerFired, ID: c.timerID, At: time.Date(2026, 11, 26, 9, 0, 2, 0, loc)})
	if path := strings.Join(c.s.Path(), " "); path != "benvenuto modalita orario menu-ordinario" {
		t.Errorf("path = %q: the hours node did not see the event's time", path)
	}

	// A coordinator opens emergency mode while a caller hears the greeting.
	c = startCall(t, f, Env{At: time.Date(2026, 11, 29, 3, 0, 0, 0, loc), Mode: ModeOrdinary, Calendar: cal})
	c.run("p")
	c.send(Event{Kind: EventTimerFired, ID: c.timerID, Mode: ModeEmergency})
	if path := strings.Join(c.s.Path(), " "); path != "benvenuto modalita avviso-emergenza" {
		t.Errorf("path = %q: the mode node did not see the event's mode", path)
	}
}

func TestSessionTypeAheadAtTheGreeting(t *testing.T) {
	f, err := DefaultFlow()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, rome(t))
	c := startCall(t, f, Env{At: at, Calendar: defaultCalendar(t)})
	c.run("1") // pressed during the greeting: it means "someone is in danger"
	if path := strings.Join(c.s.Path(), " "); path != "benvenuto modalita orario menu-ordinario pericolo avviso-112" {
		t.Fatalf("path = %q", path)
	}
	heard := c.heard()
	if slices.Contains(heard, "menu-ordinario") {
		t.Errorf("the caller who typed ahead still heard the menu: %v", heard)
	}
	if c.s.Digits() != "1" {
		t.Errorf("digits = %q, want the key counted once", c.s.Digits())
	}
}

func TestSessionTagsOnlyRise(t *testing.T) {
	src := lines(
		"start: a",
		"nodes:",
		"  a:",
		"    kind: tag",
		"    category: soccorso",
		"    urgency: rescue",
		"    priority: 10",
		"    next: b",
		"  b:",
		"    kind: tag",
		"    category: informazioni",
		"    urgency: elevated",
		"    priority: 3",
		"    next: q",
		"  q:",
		"    kind: queue",
		"    queue: informazioni",
	)
	f, err := Load(src, testCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	c := startCall(t, f, Env{})
	q := c.last[len(c.last)-1]
	if q.Kind != ActionQueue || q.Category != "informazioni" || q.Urgency != UrgencyRescue || q.Priority != 10 {
		t.Errorf("queue action = %+v; urgency and priority must not drop", q)
	}
}

func TestSessionStartErrors(t *testing.T) {
	f, err := DefaultFlow()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewSession(nil); !errors.Is(err, ErrNotLoaded) {
		t.Errorf("NewSession(nil) = %v", err)
	}
	if _, err := NewSession(&Flow{}); !errors.Is(err, ErrNotLoaded) {
		t.Errorf("NewSession(zero flow) = %v", err)
	}
	s, _ := NewSession(f)
	if _, err := s.Start(Env{At: time.Now()}); !errors.Is(err, ErrNoCalendar) {
		t.Errorf("Start without calendar = %v", err)
	}
	s, _ = NewSession(f)
	if _, err := s.Start(Env{Mode: "party", Calendar: defaultCalendar(t)}); !errors.Is(err, ErrBadMode) {
		t.Errorf("Start with a bad mode = %v", err)
	}
	s, _ = NewSession(f)
	if _, err := s.Start(Env{Calendar: defaultCalendar(t)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(Env{Calendar: defaultCalendar(t)}); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start = %v", err)
	}
	idle, _ := NewSession(f)
	if acts := idle.Handle(Event{Kind: EventDigit, Digit: '1'}); acts != nil {
		t.Errorf("Handle before Start gave %v", kinds(acts))
	}
}

func TestSessionKeepsItsFlowVersion(t *testing.T) {
	cat := testCatalog(t)
	v1src := lines("start: m", "nodes:", "  m:", "    kind: menu", "    prompts: menu-ordinario", "    choices:",
		`      "1": q`, "    timeout: 5s", "    after_retries: q", "  q:", "    kind: queue", "    queue: informazioni")
	v1, err := Load(v1src, cat)
	if err != nil {
		t.Fatal(err)
	}
	c := startCall(t, v1, Env{})
	// The admin applies v2, which sends key 1 elsewhere; the call in progress
	// keeps running on v1.
	v2, err := Load([]byte(strings.Replace(string(v1src), "queue: informazioni", "queue: soccorso", 1)), cat)
	if err != nil {
		t.Fatal(err)
	}
	c.run("p 1")
	if c.s.Outcome().Queue != "informazioni" || c.s.Flow() != v1 || v1.Digest() == v2.Digest() {
		t.Errorf("outcome %+v on flow %s", c.s.Outcome(), c.s.Flow().Digest())
	}
}
