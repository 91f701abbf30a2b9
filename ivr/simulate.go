package ivr

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// SimInput is a dry run: when the call arrives, in which mode, on which site
// calendar, in which language, and what the caller presses at each menu.
type SimInput struct {
	At       time.Time
	Mode     Mode
	Calendar *Calendar
	Lang     string
	// Inputs are consumed one per menu wait: a key ("0"-"9", "*", "#"), "-"
	// for no input (the menu times out) or "h" for the caller hanging up.
	// When they run out the caller stays silent.
	Inputs []string
}

// Trace is what a dry run heard and did, for the CLI and for tests.
type Trace struct {
	Flow        string
	Digest      string
	Site        string
	At          time.Time
	Mode        Mode
	Inputs      []string
	Steps       []TraceStep
	Lang        string // the caller's language at the end
	Tags        Tags   // the call's tags at the end
	Outcome     Outcome
	Recorded    bool
	Unused      []string  // inputs the call never asked for
	NextOpening time.Time // when the site next opens, if the call was turned away by the calendar
}

// TraceStep is one node visited.
type TraceStep struct {
	Node        string
	Kind        Kind
	Heard       []Heard
	Interrupted bool    // the caller pressed a key during a menu prompt (barge-in)
	Inputs      []Input // keys pressed, or "-" for no input, while at this node
	Hours       *Status // hours nodes: the calendar's answer
	Mode        Mode    // mode nodes: the mode seen
	Tags        *Tags   // tag nodes: the call's tags after this node
	Record      *RecordSpec
}

// Heard is one prompt the caller heard, with its text.
type Heard struct {
	Prompt string
	Lang   string
	Text   string
	Seq    int // order among everything heard and pressed in the call
}

// Input is a key the caller pressed ("-" for none) and what the menu did with it.
type Input struct {
	Key        string
	Valid      bool // a choice of this menu
	Passed     bool // not a choice here: passed on to the next menu
	TypedAhead bool // pressed at an earlier menu and passed on to this one
	Seq        int  // order among everything heard and pressed in the call
}

type inputResult uint8

const (
	inputNone inputResult = iota
	inputValid
	inputInvalid
	inputPassed
)

// Tags are the call's category, urgency and priority.
type Tags struct {
	Category string
	Urgency  Urgency
	Priority int
}

// RecordSpec is how a record node records.
type RecordSpec struct {
	MaxSeconds   int
	Beep         bool
	TerminateKey string
}

// tracer collects a trace while a session runs; a nil tracer (every real
// call) does nothing and costs one nil check per hook.
type tracer struct {
	steps []TraceStep
	seq   int
}

func (t *tracer) enter(n *node) {
	if t != nil {
		t.steps = append(t.steps, TraceStep{Node: n.id, Kind: n.kind})
	}
}

func (t *tracer) last() *TraceStep { return &t.steps[len(t.steps)-1] }

func (t *tracer) heard(names []string, lang string) {
	if t == nil {
		return
	}
	st := t.last()
	for _, n := range names {
		t.seq++
		st.Heard = append(st.Heard, Heard{Prompt: n, Lang: lang, Seq: t.seq})
	}
}

func (t *tracer) bargeIn() {
	if t != nil {
		t.last().Interrupted = true
	}
}

func (t *tracer) input(key byte, r inputResult, typedAhead bool) {
	if t != nil {
		st := t.last()
		t.seq++
		st.Inputs = append(st.Inputs, Input{Key: string(key), Valid: r == inputValid, Passed: r == inputPassed,
			TypedAhead: typedAhead, Seq: t.seq})
	}
}

func (t *tracer) tag(category string, u Urgency, prio int) {
	if t != nil {
		t.last().Tags = &Tags{Category: category, Urgency: u, Priority: prio}
	}
}

func (t *tracer) hours(st Status) {
	if t != nil {
		t.last().Hours = &st
	}
}

func (t *tracer) mode(m Mode) {
	if t != nil {
		t.last().Mode = m
	}
}

func (t *tracer) record(n *node) {
	if t != nil {
		t.last().Record = &RecordSpec{MaxSeconds: n.maxSeconds, Beep: n.beep, TerminateKey: n.terminateKey}
	}
}

// Simulate runs a flow without a phone: it drives a real Session, finishing
// every playback at once, answering each menu wait with the next input and
// each recording with an empty message, and returns what happened. Prompt
// texts come from prompts (nil leaves them empty).
func Simulate(f *Flow, prompts *Prompts, in SimInput) (*Trace, error) {
	s, err := NewSession(f)
	if err != nil {
		return nil, fmt.Errorf("ivr: simulate: %w", err)
	}
	s.trace = &tracer{}
	acts, err := s.Start(Env{At: in.At, Mode: in.Mode, Calendar: in.Calendar, Lang: in.Lang})
	if err != nil {
		return nil, fmt.Errorf("ivr: simulate: %w", err)
	}
	pos := 0
	// Each step consumes a playback, a menu wait or a recording; a validated
	// flow ends long before this bound.
	for guard := 0; !s.Done(); guard++ {
		if guard > 100_000 {
			return nil, fmt.Errorf("ivr: simulate: call did not end after %d steps", guard)
		}
		var playID, timerID int
		var playing, waiting, recording bool
		for _, a := range acts {
			switch a.Kind {
			case ActionPlay:
				playID, playing = a.ID, true
			case ActionStopPlayback:
				playing = false
			case ActionStartTimer:
				timerID, waiting = a.ID, true
			case ActionRecord:
				recording = true
			}
		}
		var ev Event
		switch {
		case playing:
			ev = Event{Kind: EventPlaybackFinished, ID: playID}
		case waiting:
			ev = Event{Kind: EventTimerFired, ID: timerID}
			if pos < len(in.Inputs) {
				tok := in.Inputs[pos]
				pos++
				switch tok {
				case "-":
				case "h":
					ev = Event{Kind: EventHangup}
				default:
					ev = Event{Kind: EventDigit, Digit: tok[0]}
				}
			}
		case recording:
			ev = Event{Kind: EventRecordingFinished, Recording: "simulation"}
		default:
			return nil, fmt.Errorf("ivr: simulate: call stuck at node %q", s.flow.nodes[s.cur].id)
		}
		acts = s.Handle(ev)
	}

	tr := &Trace{Flow: f.name, Digest: f.digest, At: in.At, Mode: s.mode, Inputs: in.Inputs, Steps: s.trace.steps,
		Lang: s.lang, Outcome: s.outcome, Unused: in.Inputs[pos:]}
	if in.Calendar != nil {
		tr.Site = in.Calendar.site.Name
	}
	tr.Tags.Category, tr.Tags.Urgency, tr.Tags.Priority = s.Tags()
	_, tr.Recorded = s.Recording()
	for i := range tr.Steps {
		st := &tr.Steps[i]
		for j := range st.Heard {
			if prompts != nil {
				st.Heard[j].Text, _ = prompts.Text(st.Heard[j].Prompt, st.Heard[j].Lang)
			}
		}
		if st.Hours != nil && !st.Hours.Open && in.Calendar != nil {
			tr.NextOpening, _ = in.Calendar.NextOpening(in.At, s.mode)
		}
	}
	return tr, nil
}

// ParseInputs reads the caller's keys for a dry run: "1,3", "9, -, 2", "-"
// (no input) or "h" (hang up). An empty string means no input at all.
func ParseInputs(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []string
	for tok := range strings.SplitSeq(s, ",") {
		tok = strings.TrimSpace(tok)
		if tok == "-" || tok == "h" || (len(tok) == 1 && dtmfIndex(tok[0]) >= 0) {
			out = append(out, tok)
			continue
		}
		return nil, fmt.Errorf("ivr: input %q (use 0-9, *, #, - for no input, h to hang up): %w", tok, ErrBadInput)
	}
	return out, nil
}

// ParseTime reads a dry-run time: RFC 3339, or "2026-12-25T10:00" (also with
// a space, or with seconds) as a wall-clock time in loc.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("ivr: time %q (use 2026-12-25T10:00): %w", s, ErrBadInput)
}

// Report writes the trace as a readable report in Italian or English.
func (t *Trace) Report(w io.Writer, lang string) error {
	en := lang == LangEnglish
	p := func(it, eng string) string { return pickLang(en, it, eng) }
	var b strings.Builder
	digest := t.Digest
	if len(digest) > 12 {
		digest = digest[:12]
	}
	fmt.Fprintf(&b, "%s «%s» (%s %s)\n", p("Simulazione del flusso", "Dry run of flow"), t.Flow, p("versione", "version"), digest)
	when := formatWhen(t.At, lang)
	if t.Site != "" {
		when += ", " + t.Site
	}
	fmt.Fprintf(&b, "%s: %s · %s: %s\n", p("Quando", "When"), when, p("modalità", "mode"), t.Mode.Label(lang))
	keys := p("nessuno", "none")
	if len(t.Inputs) > 0 {
		keys = strings.Join(t.Inputs, ", ")
	}
	fmt.Fprintf(&b, "%s: %s\n\n", p("Tasti", "Keys"), keys)

	for i, st := range t.Steps {
		fmt.Fprintf(&b, "%3d. %s (%s)", i+1, st.Node, st.Kind)
		switch {
		case st.Hours != nil:
			fmt.Fprintf(&b, " → %s", st.Hours.Message(lang))
		case st.Mode != "":
			fmt.Fprintf(&b, " → %s", st.Mode.Label(lang))
		case st.Kind == KindLanguage && i+1 < len(t.Steps):
			fmt.Fprintf(&b, " → %s", p("lingua cambiata", "language changed"))
		}
		b.WriteByte('\n')
		heard := st.Heard
		for _, in := range st.Inputs {
			for len(heard) > 0 && heard[0].Seq < in.Seq {
				writeHeard(&b, heard[0])
				heard = heard[1:]
			}
			if in.Key == "-" {
				fmt.Fprintf(&b, "       %s\n", p("⌛ nessun tasto entro il tempo", "⌛ no key before the timeout"))
				continue
			}
			note := ""
			switch {
			case in.Passed:
				note = p(" (passato al menu successivo)", " (passed on to the next menu)")
			case !in.Valid:
				note = p(" (non valido)", " (not valid)")
			}
			if in.TypedAhead {
				note += p(" (digitato in anticipo)", " (typed ahead)")
			}
			fmt.Fprintf(&b, "       ☎ %s %s%s\n", p("tasto", "key"), in.Key, note)
		}
		for _, h := range heard {
			writeHeard(&b, h)
		}
		if st.Interrupted {
			fmt.Fprintf(&b, "       %s\n", p("(il chiamante ha interrotto un messaggio premendo un tasto)", "(the caller interrupted a prompt with a key)"))
		}
		if st.Tags != nil {
			fmt.Fprintf(&b, "       🏷 %s\n", t.tagLine(*st.Tags, lang))
		}
		if r := st.Record; r != nil {
			fmt.Fprintf(&b, "       ● %s\n", recordLine(*r, lang))
		}
	}
	b.WriteByte('\n')
	fmt.Fprintf(&b, "%s: %s\n", p("Esito", "Outcome"), outcomeLine(t.Outcome, lang))
	if t.Recorded {
		fmt.Fprintf(&b, "%s\n", p("Il messaggio registrato diventa una pratica con la registrazione allegata.",
			"The recorded message becomes a case with the recording attached."))
	}
	fmt.Fprintf(&b, "%s: %s\n", p("Classificazione", "Tags"), t.tagLine(t.Tags, lang))
	fmt.Fprintf(&b, "%s: %s\n", p("Lingua", "Language"), t.Lang)
	if !t.NextOpening.IsZero() {
		fmt.Fprintf(&b, "%s: %s\n", p("Prossima apertura", "Next opening"), formatWhen(t.NextOpening, lang))
	}
	if len(t.Unused) > 0 {
		fmt.Fprintf(&b, "%s: %s\n", p("Tasti non usati", "Keys not used"), strings.Join(t.Unused, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeHeard(b *strings.Builder, h Heard) {
	text := h.Text
	if text == "" {
		text = "…"
	}
	fmt.Fprintf(b, "       ♪ [%s] «%s»\n", h.Prompt, text)
}

func (t *Trace) tagLine(tg Tags, lang string) string {
	en := lang == LangEnglish
	cat := tg.Category
	if cat == "" {
		cat = "-"
	}
	return fmt.Sprintf("%s %s · %s %s · %s %d", pickLang(en, "categoria", "category"), cat,
		pickLang(en, "urgenza", "urgency"), tg.Urgency, pickLang(en, "priorità", "priority"), tg.Priority)
}

func recordLine(r RecordSpec, lang string) string {
	en := lang == LangEnglish
	s := fmt.Sprintf(pickLang(en, "registrazione del messaggio (massimo %d s", "message recorded (at most %d s"), r.MaxSeconds)
	if r.Beep {
		s += pickLang(en, ", segnale acustico", ", beep")
	}
	if r.TerminateKey != "" {
		s += pickLang(en, ", termina con ", ", ends with ") + r.TerminateKey
	}
	return s + ")"
}

func outcomeLine(o Outcome, lang string) string {
	en := lang == LangEnglish
	switch o.Kind {
	case OutcomeQueue:
		return fmt.Sprintf(pickLang(en, "in coda «%s» con priorità %d", "queued to «%s» with priority %d"), o.Queue, o.Priority)
	case OutcomeTransfer:
		return fmt.Sprintf(pickLang(en, "trasferita al numero %s", "transferred to %s"), o.Number)
	case OutcomeFax:
		return pickLang(en, "passata alla ricezione fax", "handed to fax reception")
	case OutcomeHangup:
		return fmt.Sprintf(pickLang(en, "il flusso chiude la chiamata (nodo %s)", "the flow hangs up (node %s)"), o.Node)
	case OutcomeCallerHangup:
		return fmt.Sprintf(pickLang(en, "il chiamante riaggancia (nodo %s)", "the caller hangs up (node %s)"), o.Node)
	}
	return pickLang(en, "in corso", "still running")
}

// formatWhen writes a time with its weekday, in its own location.
func formatWhen(t time.Time, lang string) string {
	if t.IsZero() {
		return "-"
	}
	day := t.Weekday().String()
	if lang != LangEnglish {
		day = []string{"domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"}[t.Weekday()]
		return fmt.Sprintf("%s %s (%s)", day, t.Format("02/01/2006 15:04"), t.Location())
	}
	return fmt.Sprintf("%s %s (%s)", day, t.Format("2006-01-02 15:04"), t.Location())
}
