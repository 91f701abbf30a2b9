package acd

import "time"

// Event is something that happened, fed to Engine.Handle. Every event carries
// the time it happened; the engine never reads a clock.
type Event interface {
	when() time.Time
}

// Party says who hung up.
type Party int

// The two sides of a call, and the switch itself.
const (
	ByCaller Party = iota
	ByAgent
	// BySwitch: neither side hung up; the PBX lost the call (it was
	// stopped, restarted or crashed). Waiting or ringing, it is an
	// abandon; connected, the call completes without wrap-up: the agent
	// finished nothing, and is free for the callers who ring again.
	BySwitch
)

// RingFailure says why an agent's phone did not take an offered call.
type RingFailure int

// Ring failures. The first three pause the agent (RONA); Unreachable marks
// the phone unreachable; NotPlaced (the PBX did not take the request to ring
// it: overloaded, or the link to it failed) changes nothing about the agent:
// the call is offered again at once, to them or to another.
const (
	NoAnswer RingFailure = iota
	Busy
	Declined
	Unreachable
	NotPlaced
)

// Arrive puts a new call in a queue.
type Arrive struct {
	At       time.Time
	Call     string
	Queue    string
	CallerID string
	Priority int  // higher goes first
	Rescue   bool // a rescue request: ahead of every other call
	MinLevel int  // skill level the agent needs, 0..MaxLevel
}

// Hangup reports that one side hung up: while waiting or ringing that is an
// abandon (By must be ByCaller or BySwitch; an agent rejecting an offer is
// RingFailed with Declined), while connected it completes the call.
type Hangup struct {
	At   time.Time
	Call string
	By   Party
}

// Answer reports that an agent picked up a call offered to them.
type Answer struct {
	At    time.Time
	Call  string
	Agent string
}

// RingFailed reports that an agent's phone did not take an offered call.
// The ring timeout itself is the engine's: the controller need not report it.
type RingFailed struct {
	At     time.Time
	Call   string
	Agent  string
	Reason RingFailure
}

// Hold reports that the agent put the caller on hold.
type Hold struct {
	At   time.Time
	Call string
}

// Unhold reports that the caller is back from hold.
type Unhold struct {
	At   time.Time
	Call string
}

// Transfer reports a blind transfer of a connected call: to Queue, where it
// re-enters keeping its priority and rescue flag, or out to Destination.
type Transfer struct {
	At          time.Time
	Call        string
	Queue       string
	Destination string
}

// RequestCallback reports that the caller pressed the key to be called back at
// Number and hung up; the call keeps its place.
type RequestCallback struct {
	At     time.Time
	Call   string
	Number string
}

// CallbackAnswered reports that the citizen picked up a callback.
type CallbackAnswered struct {
	At   time.Time
	Call string
}

// CallbackFailed reports that a callback dial failed (no answer, busy, error).
type CallbackFailed struct {
	At     time.Time
	Call   string
	Reason string
}

// Login reports that an agent logged in; their phone is taken as reachable unless Unreachable.
type Login struct {
	At          time.Time
	Agent       string
	Unreachable bool
}

// Logout reports that an agent logged out. Not allowed during a call.
type Logout struct {
	At    time.Time
	Agent string
}

// Pause reports that an agent paused with a reason code (break, training, ...).
// It takes effect for new offers; a call in progress goes on.
type Pause struct {
	At     time.Time
	Agent  string
	Reason string
}

// Unpause reports that an agent is ready again.
type Unpause struct {
	At    time.Time
	Agent string
}

// DeviceState reports whether an agent's phone can ring.
type DeviceState struct {
	At        time.Time
	Agent     string
	Reachable bool
}

// DispositionSaved reports that the agent saved the outcome: wrap-up ends now.
type DispositionSaved struct {
	At    time.Time
	Agent string
}

// SetEmergency switches emergency mode, in which emergency-only members take calls.
type SetEmergency struct {
	At time.Time
	On bool
}

// Tick lets time pass: the engine acts on every deadline up to At.
type Tick struct {
	At time.Time
}

// ResetCounters starts every queue's cumulative figures again from zero
// (a new day); live state — callers waiting, agents — is untouched.
type ResetCounters struct {
	At time.Time
}

// AddQueue creates a queue.
type AddQueue struct {
	At    time.Time
	Queue Queue
}

// UpdateQueue replaces a queue's configuration (strategy, timers, members ...);
// waiting calls stay, in their places.
type UpdateQueue struct {
	At    time.Time
	Queue Queue
}

// RemoveQueue deletes a queue. Calls still waiting move to MoveTo, which is
// then required; connected calls finish where they are.
type RemoveQueue struct {
	At     time.Time
	Name   string
	MoveTo string
}

// AddMember puts an agent in a queue.
type AddMember struct {
	At     time.Time
	Queue  string
	Member Member
}

// RemoveMember takes an agent out of a queue; a call already ringing them goes on.
type RemoveMember struct {
	At    time.Time
	Queue string
	Agent string
}

// AddAgent creates an agent (logged out).
type AddAgent struct {
	At    time.Time
	Agent Agent
}

// RemoveAgent deletes a logged-out agent and their memberships.
type RemoveAgent struct {
	At    time.Time
	Agent string
}

// UpdateAgent changes an agent's name and site, whatever their state:
// the site's figures count them from now on.
type UpdateAgent struct {
	At    time.Time
	Agent Agent
}

func (e Arrive) when() time.Time           { return e.At }
func (e Hangup) when() time.Time           { return e.At }
func (e Answer) when() time.Time           { return e.At }
func (e RingFailed) when() time.Time       { return e.At }
func (e Hold) when() time.Time             { return e.At }
func (e Unhold) when() time.Time           { return e.At }
func (e Transfer) when() time.Time         { return e.At }
func (e RequestCallback) when() time.Time  { return e.At }
func (e CallbackAnswered) when() time.Time { return e.At }
func (e CallbackFailed) when() time.Time   { return e.At }
func (e Login) when() time.Time            { return e.At }
func (e Logout) when() time.Time           { return e.At }
func (e Pause) when() time.Time            { return e.At }
func (e Unpause) when() time.Time          { return e.At }
func (e DeviceState) when() time.Time      { return e.At }
func (e DispositionSaved) when() time.Time { return e.At }
func (e SetEmergency) when() time.Time     { return e.At }
func (e Tick) when() time.Time             { return e.At }
func (e ResetCounters) when() time.Time    { return e.At }
func (e AddQueue) when() time.Time         { return e.At }
func (e UpdateQueue) when() time.Time      { return e.At }
func (e RemoveQueue) when() time.Time      { return e.At }
func (e AddMember) when() time.Time        { return e.At }
func (e RemoveMember) when() time.Time     { return e.At }
func (e AddAgent) when() time.Time         { return e.At }
func (e RemoveAgent) when() time.Time      { return e.At }
func (e UpdateAgent) when() time.Time      { return e.At }
