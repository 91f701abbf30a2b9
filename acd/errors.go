package acd

import "errors"

// Errors returned by Handle and New, wrapped with details; test them with errors.Is.
var (
	// ErrInvalidEvent means the event is malformed (no time, empty identifiers, out-of-range values).
	ErrInvalidEvent = errors.New("invalid event")
	// ErrInvalidConfig means a queue, member or agent description is not acceptable.
	ErrInvalidConfig = errors.New("invalid configuration")
	// ErrUnknownQueue means the event names a queue the engine does not have.
	ErrUnknownQueue = errors.New("unknown queue")
	// ErrUnknownAgent means the event names an agent the engine does not have.
	ErrUnknownAgent = errors.New("unknown agent")
	// ErrUnknownCall means the event names a call the engine does not have (never seen, or already ended).
	ErrUnknownCall = errors.New("unknown call")
	// ErrExists means the event would create something that already exists.
	ErrExists = errors.New("already exists")
	// ErrWrongState means the event does not fit the current state of the call or agent
	// (an answer for a call that is not ringing that agent, a disposition outside wrap-up ...).
	ErrWrongState = errors.New("wrong state")
	// ErrAgentBusy means the agent is on a call and cannot do what was asked (log out, be removed).
	ErrAgentBusy = errors.New("agent busy")
	// ErrQueueInUse means the queue cannot be removed: calls wait in it or another queue overflows to it.
	ErrQueueInUse = errors.New("queue in use")
	// ErrCallbackDisabled means the call's queue does not offer callbacks.
	ErrCallbackDisabled = errors.New("callback disabled")
)
