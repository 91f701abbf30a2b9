package ivr

import (
	"runtime"
	"testing"
	"time"
)

// The controller runs one IVR step per ARI event. These benchmarks measure a
// step, a whole default-flow call and a population of 5,000 calls in flight.
// Figures are recorded in the package report; run with
//
//	go test ./ivr -run XXX -bench . -benchmem

func benchSetup(b *testing.B) (*Flow, *Calendar, time.Time) {
	b.Helper()
	f, err := DefaultFlow()
	if err != nil {
		b.Fatal(err)
	}
	cal := defaultCalendar(b)
	return f, cal, time.Date(2026, 11, 26, 10, 0, 0, 0, cal.Site().Location)
}

// BenchmarkStep measures one event in, actions out: a caller at the main menu
// presses "*" (stop timer, replay the menu) and the replay finishes (start
// the timer), alternately.
func BenchmarkStep(b *testing.B) {
	f, cal, at := benchSetup(b)
	s, err := NewSession(f)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Start(Env{At: at, Calendar: cal}); err != nil {
		b.Fatal(err)
	}
	s.Handle(Event{Kind: EventPlaybackFinished, ID: s.playID}) // greeting
	s.Handle(Event{Kind: EventTimerFired, ID: s.timerID})      // no key: main menu
	s.Handle(Event{Kind: EventPlaybackFinished, ID: s.playID}) // menu prompt done: waiting
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var acts []Action
		if i%2 == 0 {
			acts = s.Handle(Event{Kind: EventDigit, Digit: '*', At: at})
		} else {
			acts = s.Handle(Event{Kind: EventPlaybackFinished, ID: s.playID, At: at})
		}
		if len(acts) == 0 {
			b.Fatal("no actions")
		}
		if len(s.path) > 1000 {
			s.path = s.path[:0] // a real call does not loop a million times
			s.digits = s.digits[:0]
		}
	}
}

// BenchmarkCall measures a whole ordinary-hours call on the default flow:
// greeting, no key, main menu, key 2, tag, hold message, queue.
func BenchmarkCall(b *testing.B) {
	f, cal, at := benchSetup(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := NewSession(f)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Start(Env{At: at, Calendar: cal}); err != nil {
			b.Fatal(err)
		}
		s.Handle(Event{Kind: EventPlaybackFinished, ID: s.playID})
		s.Handle(Event{Kind: EventTimerFired, ID: s.timerID})
		s.Handle(Event{Kind: EventPlaybackFinished, ID: s.playID})
		s.Handle(Event{Kind: EventDigit, Digit: '2'})
		s.Handle(Event{Kind: EventPlaybackFinished, ID: s.playID})
		if s.Outcome().Kind != OutcomeQueue {
			b.Fatalf("outcome %+v", s.Outcome())
		}
	}
}

// BenchmarkInFlight keeps 5,000 calls in the IVR at once and feeds them
// events round-robin, replacing each finished call by a new one, as the
// controller would during a surge. One op is one event.
func BenchmarkInFlight(b *testing.B) {
	const inFlight = 5000
	f, cal, at := benchSetup(b)
	scripts := [][]byte{
		[]byte("pt p2p"),   // report
		[]byte("pt p1pp"),  // rescue (warning, then queue)
		[]byte("pt p7p3p"), // wrong key, then information
		[]byte("9p5p"),     // English (typed during the greeting), then fax
	}
	type live struct {
		s      *Session
		script []byte
		pos    int
	}
	newCall := func(n int) live {
		s, err := NewSession(f)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Start(Env{At: at, Calendar: cal}); err != nil {
			b.Fatal(err)
		}
		return live{s: s, script: scripts[n%len(scripts)]}
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	calls := make([]live, inFlight)
	for i := range calls {
		calls[i] = newCall(i)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perSession := float64(after.HeapAlloc-before.HeapAlloc) / inFlight

	started := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := &calls[i%inFlight]
		if c.s.Done() || c.pos >= len(c.script) {
			started++
			*c = newCall(started)
			continue
		}
		var ev Event
		switch tok := c.script[c.pos]; tok {
		case 'p':
			ev = Event{Kind: EventPlaybackFinished, ID: c.s.playID}
		case 't':
			ev = Event{Kind: EventTimerFired, ID: c.s.timerID}
		case 'r':
			ev = Event{Kind: EventRecordingFinished, Recording: "r", Duration: time.Second}
		default:
			ev = Event{Kind: EventDigit, Digit: tok}
		}
		c.pos++
		c.s.Handle(ev)
	}
	b.StopTimer()
	b.ReportMetric(float64(started)/float64(b.N), "newcalls/op")
	b.ReportMetric(perSession, "heapB/session")
}

// BenchmarkLoad measures parsing and validating the default flow, what the
// CLI pays on validate/apply.
func BenchmarkLoad(b *testing.B) {
	cat := testCatalog(b)
	src := DefaultFlowSource()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Load(src, cat); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCalendarStatus measures one open/closed decision.
func BenchmarkCalendarStatus(b *testing.B) {
	cal := defaultCalendar(b)
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, cal.Site().Location)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if !cal.IsOpen(at, ModeOrdinary) {
			b.Fatal("closed")
		}
	}
}
