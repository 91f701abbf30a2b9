package ivr

import (
	"os"
	"strings"
	"testing"
	"time"
)

// FuzzValidate feeds arbitrary bytes to the validator: it must never panic,
// must report positions inside the file, must agree with Load, and any flow
// it accepts must run under arbitrary events without panicking.
func FuzzValidate(f *testing.F) {
	every, err := os.ReadFile("testdata/every-kind.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(DefaultFlowSource())
	f.Add(every)
	f.Add([]byte("start: a\nnodes:\n  a: &x\n    kind: hangup\n  b: *x\n"))
	f.Add([]byte("start: a\nnodes:\n  a:\n    kind: play\n    prompts: benvenuto\n    next: a\n"))
	f.Add([]byte("start: m\nnodes:\n  m:\n    kind: menu\n    prompts: [menu-ordinario]\n    choices: {\"1\": m, \"#\": q}\n    timeout: 5s\n    after_retries: q\n  q:\n    kind: hangup\n"))
	f.Add([]byte("{start: [x], nodes: {a: {kind: [1]}}}"))
	f.Add([]byte("\t- :"))
	cat := testCatalog(f)
	site, err := DefaultSite()
	if err != nil {
		f.Fatal(err)
	}
	cal, err := NewCalendar(site)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		problems := Validate(src, cat)
		// YAML breaks lines at \n, \r\n, a lone \r and the Unicode separators.
		text := strings.ReplaceAll(string(src), "\r\n", "\n")
		lineCount := 1
		for _, sep := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
			lineCount += strings.Count(text, sep)
		}
		for _, p := range problems {
			if p.Line < 1 || p.Column < 1 || p.Line > lineCount+1 {
				t.Fatalf("problem outside the file (%d lines): %s", lineCount, p)
			}
			if p.Message(LangItalian) == "" || p.Message(LangEnglish) == "" {
				t.Fatalf("empty message for %s", p.Code)
			}
		}
		flow, err := Load(src, cat)
		if (err == nil) != (len(problems) == 0) {
			t.Fatalf("Load error %v but Validate found %d problems", err, len(problems))
		}
		if flow == nil {
			return
		}
		s, err := NewSession(flow)
		if err != nil {
			t.Fatal(err)
		}
		modes := []Mode{ModeOrdinary, ModeEmergency, ModeClosed}
		at := time.Date(2026, 11, 26, 8, 0, 0, 0, site.Location)
		acts, err := s.Start(Env{At: at, Mode: modes[len(src)%3], Calendar: cal})
		if err != nil {
			t.Fatal(err)
		}
		var playID, timerID int
		for i := 0; i < 64 && !s.Done(); i++ {
			for _, a := range acts {
				switch a.Kind {
				case ActionPlay:
					playID = a.ID
				case ActionStartTimer:
					timerID = a.ID
				}
			}
			b := src[i%len(src)]
			var ev Event
			switch b % 5 {
			case 0:
				ev = Event{Kind: EventPlaybackFinished, ID: playID}
			case 1:
				ev = Event{Kind: EventDigit, Digit: "0123456789*#A"[int(b)%13]}
			case 2:
				ev = Event{Kind: EventTimerFired, ID: timerID, At: at.Add(time.Duration(i) * time.Hour)}
			case 3:
				ev = Event{Kind: EventRecordingFinished, Recording: "r"}
			default:
				ev = Event{Kind: EventPlaybackFinished, ID: playID, Mode: modes[int(b)%3]}
			}
			acts = s.Handle(ev)
		}
	})
}

// FuzzDiff checks that a diff of any two texts turns the first into the second.
func FuzzDiff(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd\n")
	f.Add("", "x\n")
	f.Add(string(DefaultFlowSource()), "start: x\n")
	f.Fuzz(func(t *testing.T, a, b string) {
		la, lb := splitLines(a), splitLines(b)
		got := applyUnified(t, la, Diff("a", []byte(a), "b", []byte(b)))
		if len(got) != len(lb) {
			t.Fatalf("applying the diff gives %d lines, want %d", len(got), len(lb))
		}
		for i := range got {
			if got[i] != lb[i] {
				t.Fatalf("line %d = %q, want %q", i, got[i], lb[i])
			}
		}
	})
}
