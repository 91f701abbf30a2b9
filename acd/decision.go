package acd

import "time"

// Decision is something the controller must do, in the order given.
// Record is a Decision too: append it to the queue log.
type Decision interface {
	decision()
}

// Ring offers a call to an agent: ring their phone until Until. The engine
// times the ring out itself; the controller reports Answer or RingFailed.
type Ring struct {
	Call  string
	Agent string
	Queue string
	Until time.Time
}

// StopRinging withdraws an offer: stop ringing the agent's phone for the call
// (it timed out, another agent answered, the caller hung up ...).
type StopRinging struct {
	Call  string
	Agent string
}

// Bridge connects the caller with the agent who answered.
type Bridge struct {
	Call  string
	Agent string
}

// Announce tells a waiting caller their position (1 = next) and the
// estimated wait; EstimatedWait is 0 when the engine cannot estimate it.
type Announce struct {
	Call          string
	Position      int
	EstimatedWait time.Duration
}

// OfferCallback invites a waiting caller to press the key for a callback.
type OfferCallback struct {
	Call string
}

// DialCallback dials the citizen back at Number, until Until. Agent is held
// (Reserved) meanwhile; when the citizen answers, the engine rings the agent.
type DialCallback struct {
	Call    string
	Queue   string // the queue the callback keeps its place in
	Agent   string
	Number  string
	Attempt int
	Until   time.Time
}

// CancelCallback hangs up a callback dial that timed out.
type CancelCallback struct {
	Call string
}

// Moved says the call now waits in another queue (overflow, full queue,
// transfer, queue removed): play that queue's music and messages.
type Moved struct {
	Call string
	From string
	To   string
}

// SendToReport sends the caller to the recorder to leave a report; the call has left the engine.
type SendToReport struct {
	Call  string
	Queue string
}

// AgentChanged publishes an agent's new state for the console and the phone's presence.
type AgentChanged struct {
	Agent     string
	State     AgentState
	Paused    bool // also true while on a call when a pause is pending
	Reason    string
	Reachable bool
}

func (Ring) decision()           {}
func (StopRinging) decision()    {}
func (Bridge) decision()         {}
func (Announce) decision()       {}
func (OfferCallback) decision()  {}
func (DialCallback) decision()   {}
func (CancelCallback) decision() {}
func (Moved) decision()          {}
func (SendToReport) decision()   {}
func (AgentChanged) decision()   {}
func (Record) decision()         {}

func (e *Engine) emit(d Decision) { e.out = append(e.out, d) }
