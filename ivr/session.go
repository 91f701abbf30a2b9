package ivr

import (
	"fmt"
	"time"
)

// ActionKind is what the controller must do for an Action.
type ActionKind uint8

// The actions a session asks of the controller.
const (
	// ActionPlay plays Media (in order, as one ARI playback) with lang=Lang.
	// If BargeIn is set, a digit stops it: the session then sends
	// ActionStopPlayback. The controller reports the end with
	// EventPlaybackFinished carrying the action's ID.
	ActionPlay ActionKind = iota + 1
	// ActionStopPlayback stops the playback with ID (barge-in). Asterisk will
	// still report it finished; the session ignores that stale event.
	ActionStopPlayback
	// ActionStartTimer starts a timer of Duration; when it fires the controller
	// sends EventTimerFired with the action's ID. It is how a menu collects a
	// digit with a timeout: digits arrive as EventDigit meanwhile.
	ActionStartTimer
	// ActionStopTimer cancels the timer with ID.
	ActionStopTimer
	// ActionRecord records the caller (ARI record: MaxSeconds, Beep,
	// TerminateKey); the controller reports EventRecordingFinished, also
	// after the caller hung up mid-message (the session then keeps the
	// recording and returns nothing). The recording becomes a case with the
	// call's tags.
	ActionRecord
	// ActionTag sets Category, Urgency and Priority on the call (the values
	// are the call's totals so far, not a delta).
	ActionTag
	// ActionQueue hands the call to Queue with Priority. The IVR part ends.
	ActionQueue
	// ActionTransfer transfers the call to Number. The IVR part ends.
	ActionTransfer
	// ActionFax hands the call to fax reception. The IVR part ends.
	ActionFax
	// ActionHangup hangs up. The IVR part ends.
	ActionHangup
)

// String names the action kind.
func (k ActionKind) String() string {
	switch k {
	case ActionPlay:
		return "play"
	case ActionStopPlayback:
		return "stop-playback"
	case ActionStartTimer:
		return "start-timer"
	case ActionStopTimer:
		return "stop-timer"
	case ActionRecord:
		return "record"
	case ActionTag:
		return "tag"
	case ActionQueue:
		return "queue"
	case ActionTransfer:
		return "transfer"
	case ActionFax:
		return "fax"
	case ActionHangup:
		return "hangup"
	}
	return fmt.Sprintf("action(%d)", uint8(k))
}

// Action is one thing the controller must do, in the order given. Only the
// fields of its Kind are set. Slices are shared with the flow: do not modify.
type Action struct {
	Kind ActionKind
	ID   int    // playback or timer id, unique within the session
	Node string // the node that asked for it

	Prompts []string // ActionPlay: prompt names, for the transcript
	Media   []string // ActionPlay: media URIs ("sound:ascolto/NAME")
	Lang    string   // ActionPlay, ActionQueue, ActionRecord: the caller's language
	BargeIn bool     // ActionPlay: a digit interrupts it

	Duration time.Duration // ActionStartTimer

	MaxSeconds   int    // ActionRecord
	Beep         bool   // ActionRecord
	TerminateKey string // ActionRecord: "#" etc.; empty means none

	Category string  // ActionTag, ActionQueue, ActionRecord
	Urgency  Urgency // ActionTag, ActionQueue, ActionRecord
	Priority int     // ActionTag, ActionQueue

	Queue  string // ActionQueue
	Number string // ActionTransfer
}

// EventKind is what happened on the call.
type EventKind uint8

// The events a controller feeds to a session.
const (
	EventPlaybackFinished  EventKind = iota + 1 // a playback ended (done or failed); ID = the play action's ID
	EventDigit                                  // the caller pressed Digit
	EventTimerFired                             // a timer ran out; ID = the start-timer action's ID
	EventRecordingFinished                      // a recording ended; Recording and Duration say what was kept, Failed that nothing was
	EventHangup                                 // the caller hung up
)

// Event is something that happened on the call. At and Mode are optional: a
// non-zero At moves the session's notion of now (hours nodes use it), a
// non-empty Mode changes the operating mode seen by later mode nodes.
type Event struct {
	Kind      EventKind
	ID        int
	Digit     byte // '0'-'9', '*', '#'
	Recording string
	Duration  time.Duration
	// Failed, on EventRecordingFinished, says the recording could not be
	// made (Asterisk refused or lost it): there is no message to keep.
	Failed bool
	At     time.Time
	Mode   Mode
}

// Env is what a session needs to start: the time the call arrived, the
// operating mode, the site calendar (required when the flow has an hours
// node) and the starting language ("it" when empty).
type Env struct {
	At       time.Time
	Mode     Mode
	Calendar *Calendar
	Lang     string
}

// OutcomeKind says how the IVR part of a call ended.
type OutcomeKind uint8

// The ways a call leaves the IVR.
const (
	OutcomeRunning      OutcomeKind = iota // still in the IVR
	OutcomeQueue                           // handed to a queue
	OutcomeTransfer                        // transferred to an external number
	OutcomeFax                             // handed to fax reception
	OutcomeHangup                          // the flow hung up
	OutcomeCallerHangup                    // the caller hung up in the IVR
)

// String names the outcome kind.
func (k OutcomeKind) String() string {
	switch k {
	case OutcomeRunning:
		return "running"
	case OutcomeQueue:
		return "queue"
	case OutcomeTransfer:
		return "transfer"
	case OutcomeFax:
		return "fax"
	case OutcomeHangup:
		return "hangup"
	case OutcomeCallerHangup:
		return "caller-hangup"
	}
	return fmt.Sprintf("outcome(%d)", uint8(k))
}

// Outcome is where a call ended up.
type Outcome struct {
	Kind     OutcomeKind
	Node     string // the node where it ended
	Queue    string
	Priority int
	Number   string
}

// Recording is a message the caller left.
type Recording struct {
	Node     string
	Name     string
	Duration time.Duration
}

type state uint8

const (
	stIdle       state = iota // not started
	stPlaying                 // a node's prompts are playing; its job follows
	stMenuPrompt              // a menu's prompts are playing; a digit interrupts
	stMenuWait                // waiting for a digit, timer running
	stRecording               // recording the caller
	stDone                    // left the IVR
)

// Session walks one call through a flow. It is deterministic: the same
// events give the same actions. It is owned by one goroutine.
type Session struct {
	flow  *Flow
	cal   *Calendar
	now   time.Time
	mode  Mode
	lang  string
	cur   int
	state state

	playID   int
	playing  bool
	timerID  int
	timerOn  bool
	attempts int
	ahead    byte // a key typed ahead, for the next menu
	// aheadNew: ahead was pressed during a notice and not yet counted in
	// digits (a key passed on by a menu already was).
	aheadNew bool
	// recording is under way: many callers end a message by hanging up,
	// and that message must still become a case.
	recPending bool

	path      []string
	digits    []byte
	category  string
	urgency   Urgency
	priority  int
	recording Recording
	outcome   Outcome

	out   []Action
	trace *tracer
}

// NewSession makes a session on f; f must come from Load.
func NewSession(f *Flow) (*Session, error) {
	if f == nil || f.nodes == nil || f.start < 0 {
		return nil, fmt.Errorf("ivr: new session: %w", ErrNotLoaded)
	}
	return &Session{flow: f, path: make([]string, 0, 12), out: make([]Action, 0, 4)}, nil
}

// Start begins the call and returns the first actions. The returned slice is
// reused by the next call to Start or Handle.
func (s *Session) Start(env Env) ([]Action, error) {
	if s.state != stIdle {
		return nil, fmt.Errorf("ivr: start: %w", ErrStarted)
	}
	if env.Mode == "" {
		env.Mode = ModeOrdinary
	}
	if _, err := ParseMode(string(env.Mode)); err != nil {
		return nil, fmt.Errorf("ivr: start: %w", err)
	}
	if s.flow.usesHours && env.Calendar == nil {
		return nil, fmt.Errorf("ivr: start: %w", ErrNoCalendar)
	}
	s.cal, s.now, s.mode, s.lang = env.Calendar, env.At, env.Mode, env.Lang
	if s.lang != LangEnglish {
		s.lang = LangItalian
	}
	s.out = s.out[:0]
	s.enter(s.flow.start)
	return s.out, nil
}

// Handle feeds one event and returns what to do next; nothing once the call
// has left the IVR or hung up. Stale events (an old playback or timer) are
// ignored. The returned slice is reused by the next call.
func (s *Session) Handle(ev Event) []Action {
	if ev.Kind == EventRecordingFinished && s.recPending {
		s.recPending = false
		if !ev.Failed {
			s.recording = Recording{Node: s.flow.nodes[s.cur].id, Name: ev.Recording, Duration: ev.Duration}
		}
		if s.state == stDone {
			return nil // the caller hung up to end the message: keep it, do nothing more
		}
	}
	if s.state == stIdle || s.state == stDone {
		return nil
	}
	s.out = s.out[:0]
	if !ev.At.IsZero() {
		s.now = ev.At
	}
	if ev.Mode == ModeOrdinary || ev.Mode == ModeEmergency || ev.Mode == ModeClosed {
		s.mode = ev.Mode
	}
	n := &s.flow.nodes[s.cur]
	switch ev.Kind {
	case EventHangup:
		s.finish(Outcome{Kind: OutcomeCallerHangup, Node: n.id})
		return nil
	case EventPlaybackFinished:
		if !s.playing || ev.ID != s.playID {
			return nil
		}
		s.playing = false
		switch s.state {
		case stPlaying:
			s.afterPrompts(n)
		case stMenuPrompt:
			s.timerID++
			s.timerOn = true
			s.state = stMenuWait
			s.emit(Action{Kind: ActionStartTimer, ID: s.timerID, Node: n.id, Duration: n.timeout})
		}
	case EventDigit:
		switch s.state {
		case stPlaying:
			// A notice (the emergency warning, the 112 advice) plays to the
			// end, but a caller who already knows the menu need not sit
			// through it: the first key pressed is kept for the next menu.
			if s.ahead == 0 && n.kind == KindPlay {
				s.ahead, s.aheadNew = ev.Digit, true
			}
		case stMenuPrompt:
			s.playing = false
			s.emit(Action{Kind: ActionStopPlayback, ID: s.playID, Node: n.id})
			s.trace.bargeIn()
			s.choose(n, ev.Digit, false)
		case stMenuWait:
			s.timerOn = false
			s.emit(Action{Kind: ActionStopTimer, ID: s.timerID, Node: n.id})
			s.choose(n, ev.Digit, false)
		}
	case EventTimerFired:
		if s.state != stMenuWait || !s.timerOn || ev.ID != s.timerID {
			return nil
		}
		s.timerOn = false
		s.trace.input('-', inputNone, false)
		s.retry(n, false)
	case EventRecordingFinished:
		if s.state != stRecording {
			return nil
		}
		if ev.Failed && n.failed >= 0 {
			// No message was kept: the caller must not hear that it was.
			s.enter(n.failed)
			break
		}
		s.enter(n.next)
	}
	return s.out
}

// TransferFailed reports that the number a transfer node dialled could
// not be reached (busy, no answer, congestion). When the node names a
// `failed` node the flow goes on there and its actions are returned;
// otherwise nil, and the call stays ended in the transfer (the controller
// apologises and hangs up). The returned slice is reused by the next call.
func (s *Session) TransferFailed(at time.Time) []Action {
	if s.state != stDone || s.outcome.Kind != OutcomeTransfer {
		return nil
	}
	n := &s.flow.nodes[s.cur]
	if n.kind != KindTransfer || n.failed < 0 {
		return nil
	}
	s.out = s.out[:0]
	if !at.IsZero() {
		s.now = at
	}
	s.outcome = Outcome{}
	s.state = stPlaying
	s.enter(n.failed)
	return s.out
}

func (s *Session) emit(a Action) { s.out = append(s.out, a) }

func (s *Session) play(n *node, names, media []string, bargeIn bool) {
	s.playID++
	s.playing = true
	s.emit(Action{Kind: ActionPlay, ID: s.playID, Node: n.id, Prompts: names, Media: media, Lang: s.lang, BargeIn: bargeIn})
	s.trace.heard(names, s.lang)
}

// enter walks from node i through the nodes that need no waiting (tag, hours,
// mode, language) until one that plays, waits or ends the call.
func (s *Session) enter(i int) {
	for hops := 0; ; hops++ {
		if i < 0 || hops > len(s.flow.nodes) {
			// Load refuses flows where this could happen; end the call
			// rather than spin if it ever does.
			s.emit(Action{Kind: ActionHangup, Node: s.flow.nodes[s.cur].id})
			s.finish(Outcome{Kind: OutcomeHangup, Node: s.flow.nodes[s.cur].id})
			return
		}
		n := &s.flow.nodes[i]
		s.cur = i
		s.path = append(s.path, n.id)
		s.trace.enter(n)
		switch n.kind {
		case KindTag:
			if n.category != "" {
				s.category = n.category
			}
			// Urgency and priority only rise: a caller who said someone is in
			// danger keeps that flag whatever they press afterwards.
			if n.setsUrgency && n.urgency > s.urgency {
				s.urgency = n.urgency
			}
			if n.setsPrio && n.priority > s.priority {
				s.priority = n.priority
			}
			s.emit(Action{Kind: ActionTag, Node: n.id, Category: s.category, Urgency: s.urgency, Priority: s.priority})
			s.trace.tag(s.category, s.urgency, s.priority)
			i = n.next
		case KindHours:
			st := s.cal.Status(s.now, s.mode)
			s.trace.hours(st)
			if st.Open {
				i = n.open
			} else {
				i = n.closed
			}
		case KindMode:
			s.trace.mode(s.mode)
			i = n.byMode[modeIndex(s.mode)]
		case KindLanguage:
			s.lang = n.language
			i = n.next
		case KindMenu:
			s.attempts = 0
			s.state = stMenuPrompt
			if d := s.ahead; d != 0 {
				s.ahead = 0
				s.choose(n, d, true)
				return
			}
			s.play(n, n.prompts, n.media, true)
			return
		default:
			if len(n.media) > 0 {
				s.state = stPlaying
				s.play(n, n.prompts, n.media, false)
				return
			}
			s.afterPrompts(n)
			return
		}
	}
}

// afterPrompts does a node's job once its prompts have played.
func (s *Session) afterPrompts(n *node) {
	switch n.kind {
	case KindPlay:
		s.enter(n.next)
	case KindRecord:
		s.state = stRecording
		s.recPending = true
		s.emit(Action{Kind: ActionRecord, Node: n.id, MaxSeconds: n.maxSeconds, Beep: n.beep, TerminateKey: n.terminateKey,
			Lang: s.lang, Category: s.category, Urgency: s.urgency})
		s.trace.record(n)
	case KindQueue:
		prio := s.priority
		if n.setsPrio {
			prio = n.priority
		}
		s.emit(Action{Kind: ActionQueue, Node: n.id, Queue: n.queue, Priority: prio, Lang: s.lang,
			Category: s.category, Urgency: s.urgency})
		s.finish(Outcome{Kind: OutcomeQueue, Node: n.id, Queue: n.queue, Priority: prio})
	case KindTransfer:
		s.emit(Action{Kind: ActionTransfer, Node: n.id, Number: n.number})
		s.finish(Outcome{Kind: OutcomeTransfer, Node: n.id, Number: n.number})
	case KindFax:
		s.emit(Action{Kind: ActionFax, Node: n.id})
		s.finish(Outcome{Kind: OutcomeFax, Node: n.id})
	case KindHangup:
		s.emit(Action{Kind: ActionHangup, Node: n.id})
		s.finish(Outcome{Kind: OutcomeHangup, Node: n.id})
	}
}

// choose handles a digit pressed in a menu, or typed ahead at an earlier one.
func (s *Session) choose(n *node, d byte, typedAhead bool) {
	if !typedAhead || s.aheadNew {
		s.digits = append(s.digits, d)
		s.aheadNew = false
	}
	if k := dtmfIndex(d); k >= 0 && n.choices[k] >= 0 {
		s.trace.input(d, inputValid, typedAhead)
		s.enter(n.choices[k])
		return
	}
	if n.passOtherKeys {
		s.trace.input(d, inputPassed, typedAhead)
		s.ahead = d
		s.enter(n.afterRetries)
		return
	}
	s.trace.input(d, inputInvalid, typedAhead)
	s.retry(n, true)
}

// retry repeats the menu after a wrong key (invalid) or none, or leaves it
// through after_retries once the retries are used up.
func (s *Session) retry(n *node, invalid bool) {
	s.attempts++
	if s.attempts > n.retries {
		s.enter(n.afterRetries)
		return
	}
	s.state = stMenuPrompt
	if invalid {
		s.play(n, n.invalidNames, n.invalidMedia, true)
	} else {
		s.play(n, n.silentNames, n.silentMedia, true)
	}
}

func (s *Session) finish(o Outcome) {
	s.state = stDone
	s.outcome = o
	s.playing, s.timerOn = false, false
}

func modeIndex(m Mode) int {
	switch m {
	case ModeEmergency:
		return 1
	case ModeClosed:
		return 2
	}
	return 0
}

// Done reports whether the call has left the IVR (or hung up).
func (s *Session) Done() bool { return s.state == stDone }

// Outcome returns where the call ended; Kind is OutcomeRunning until then.
func (s *Session) Outcome() Outcome { return s.outcome }

// Path returns the ids of the nodes visited, in order, for the call record.
func (s *Session) Path() []string { return append([]string(nil), s.path...) }

// Digits returns the keys the caller pressed in menus, in order.
func (s *Session) Digits() string { return string(s.digits) }

// Tags returns the call's category, urgency and priority as set so far.
func (s *Session) Tags() (category string, urgency Urgency, priority int) {
	return s.category, s.urgency, s.priority
}

// Lang returns the caller's language, "it" or "en".
func (s *Session) Lang() string { return s.lang }

// Recording returns the message the caller left, if any.
func (s *Session) Recording() (Recording, bool) { return s.recording, s.recording.Node != "" }

// Flow returns the flow version the session runs on.
func (s *Session) Flow() *Flow { return s.flow }
