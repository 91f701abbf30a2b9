package console

import (
	"context"
	"errors"
	"time"
)

// Backend is what the agent desk and the wallboard need from the ACD. The
// console never decides routing: it asks the Backend and shows what the
// Backend publishes. The controller in ari/ implements it; until it is
// wired, Unwired answers every call with ErrNotWired and the pages say so.
//
// Every method is called with the signed-in person as Actor after the
// console has checked their role; the Backend still refuses what the ACD
// state does not allow (logging out during a call ...) with an error the
// console shows to the person. Changes are announced by the Backend through
// Console.PublishAgent and friends, not by return values alone, so every
// open tab (and every supervisor) sees them.
type Backend interface {
	// AgentFor returns the seat bound to a console user, or ErrNoAgent.
	AgentFor(ctx context.Context, username string) (AgentView, error)
	// SetAgentState makes an agent available, paused with a reason, or
	// logged out; by is the agent themself or a supervisor.
	SetAgentState(ctx context.Context, by Actor, agentID string, to StateChange) (AgentView, error)
	// PauseReasons lists the pause reasons an agent may choose.
	PauseReasons(ctx context.Context) ([]PauseReason, error)
	// Snapshot is the live picture of queues and agents for the wallboard
	// and for a client resynchronising.
	Snapshot(ctx context.Context) (Snapshot, error)
	// CallAction answers, hangs up, holds, resumes or transfers the call
	// the agent is on.
	CallAction(ctx context.Context, by Actor, agentID string, a CallAction) error
	// SaveDisposition records the outcome of the agent's current or last
	// call, ending wrap-up, and returns the case's tracking id.
	SaveDisposition(ctx context.Context, by Actor, agentID string, d Disposition) (DispositionResult, error)
}

// Errors a Backend returns for the console to translate.
var (
	// ErrNotWired means no ACD is connected to the console yet.
	ErrNotWired = errors.New("console: the ACD is not connected")
	// ErrNoAgent means the user has no agent seat (extension) assigned.
	ErrNoAgent = errors.New("console: no agent seat for this user")
	// ErrRefused means the ACD refused the change in its current state;
	// wrap it with the reason a person should read.
	ErrRefused = errors.New("console: refused by the ACD")
)

// Actor is the person acting through the console, for the ACD and the audit log.
type Actor struct {
	Username string
	Role     string
	Remote   string
}

// Agent states as the console shows them (the names acd.AgentState prints).
const (
	StateLoggedOut = "logged-out"
	StateAvailable = "available"
	StateRinging   = "ringing"
	StateReserved  = "reserved"
	StateOnCall    = "on-call"
	StateWrapUp    = "wrap-up"
	StatePaused    = "paused"
)

// AgentView is one agent's live state.
type AgentView struct {
	ID        string    `json:"id"`
	Username  string    `json:"username,omitempty"`
	Name      string    `json:"name"`
	Site      string    `json:"site,omitempty"`
	State     string    `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	Reachable bool      `json:"reachable"`
	Since     time.Time `json:"since"`
	Call      string    `json:"call,omitempty"`
	Queues    []string  `json:"queues"`
	// Phone is the registration and device state Asterisk reports.
	Phone PhoneView `json:"phone"`
}

// PhoneView is the agent's phone as Asterisk sees it.
type PhoneView struct {
	Kind       string `json:"kind,omitempty"` // "webrtc" or "sip"
	Endpoint   string `json:"endpoint,omitempty"`
	Registered bool   `json:"registered"`
	Device     string `json:"device,omitempty"` // NOT_INUSE, INUSE, RINGING, UNAVAILABLE ...
}

// StateChange is what an agent or a supervisor asks for.
type StateChange struct {
	State  string `json:"state"` // available, paused, logged-out
	Reason string `json:"reason,omitempty"`
}

// PauseReason is a reason code an agent picks when pausing.
type PauseReason struct {
	Code    string `json:"code"`
	LabelIT string `json:"label_it"`
	LabelEN string `json:"label_en"`
}

// Label returns the reason in lang.
func (p PauseReason) Label(lang string) string {
	if lang == "en" && p.LabelEN != "" {
		return p.LabelEN
	}
	return p.LabelIT
}

// QueueView is one queue's live figures for the wallboard.
type QueueView struct {
	Name           string  `json:"name"`
	Site           string  `json:"site,omitempty"`
	Waiting        int     `json:"waiting"`
	LongestWaitS   int     `json:"longest_wait_s"`
	ServiceLevel   float64 `json:"service_level"` // 0..1 today
	Answered       int     `json:"answered"`
	Abandoned      int     `json:"abandoned"`
	ASAS           int     `json:"asa_s"`
	AHTS           int     `json:"aht_s"`
	AgentsReady    int     `json:"agents_ready"`
	AgentsBusy     int     `json:"agents_busy"`
	StaffingNeeded int     `json:"staffing_needed"` // Erlang C estimate for the target
}

// Snapshot is the live picture the wallboard shows.
type Snapshot struct {
	At        time.Time   `json:"at"`
	Mode      string      `json:"mode,omitempty"`
	Emergency bool        `json:"emergency"`
	Queues    []QueueView `json:"queues"`
	Agents    []AgentView `json:"agents"`
}

// Call actions an agent may ask for.
const (
	CallAnswer   = "answer"
	CallHangup   = "hangup"
	CallHold     = "hold"
	CallUnhold   = "unhold"
	CallTransfer = "transfer"
)

// CallAction is an action on the agent's current call.
type CallAction struct {
	Action string `json:"action"`
	Target string `json:"target,omitempty"` // transfer destination (queue or extension)
}

// Disposition is what the agent records about a contact.
type Disposition struct {
	Call       string `json:"call"` // channel id of the call
	Category   string `json:"category"`
	Outcome    string `json:"outcome"`
	ComuneCode string `json:"comune"`
	CallerType string `json:"caller_type"`
	Notes      string `json:"notes"`
	Urgency    string `json:"urgency"` // none, elevated, rescue
	// Rescue is the structured rescue request, with urgency rescue.
	Rescue *RescueInput `json:"rescue,omitempty"`
}

// DispositionResult tells the agent the case's tracking id.
type DispositionResult struct {
	CaseID     int64  `json:"case_id"`
	TrackingID string `json:"tracking_id"`
	// Forwarded says the case went to the operations room, as what
	// (rescue, report); ForwardFailed that it should have and did not: the
	// agent must phone the room.
	Forwarded     string `json:"forwarded,omitempty"`
	ForwardFailed bool   `json:"forward_failed,omitempty"`
}

// Unwired is the Backend used until the ACD is connected.
type Unwired struct{}

// AgentFor reports ErrNotWired.
func (Unwired) AgentFor(context.Context, string) (AgentView, error) { return AgentView{}, ErrNotWired }

// SetAgentState reports ErrNotWired.
func (Unwired) SetAgentState(context.Context, Actor, string, StateChange) (AgentView, error) {
	return AgentView{}, ErrNotWired
}

// PauseReasons reports ErrNotWired.
func (Unwired) PauseReasons(context.Context) ([]PauseReason, error) { return nil, ErrNotWired }

// Snapshot reports ErrNotWired.
func (Unwired) Snapshot(context.Context) (Snapshot, error) { return Snapshot{}, ErrNotWired }

// CallAction reports ErrNotWired.
func (Unwired) CallAction(context.Context, Actor, string, CallAction) error { return ErrNotWired }

// SaveDisposition reports ErrNotWired.
func (Unwired) SaveDisposition(context.Context, Actor, string, Disposition) (DispositionResult, error) {
	return DispositionResult{}, ErrNotWired
}

// Supervisor is what the wallboard's actions need beyond Backend; the ari Desk implements it.
type Supervisor interface {
	// Supervise rings the supervisor's own phone (their seat) and, when answered, connects it to the
	// agent's current call: "listen" hears both sides, "whisper" speaks to the agent only, "barge" joins the call.
	// A supervisor has one supervision: asked again for the same call it switches mode on the phone
	// already answered; for another call it ends the first.
	Supervise(ctx context.Context, by Actor, agentID, mode string) error
	// StopSupervision ends the supervisor's supervision (their phone is hung up).
	StopSupervision(ctx context.Context, by Actor) error
	// MoveAgent moves an agent's membership from one queue to another (from may be "" to only add).
	MoveAgent(ctx context.Context, by Actor, agentID, from, to string) error
}

// SupervisionView is one running supervision as every wallboard shows it:
// who (the supervisor's username and name) is on which agent's call, and how.
type SupervisionView struct {
	Agent string `json:"agent"`
	By    string `json:"by"`
	Name  string `json:"name,omitempty"` // the supervisor's seat name, when it has one
	Mode  string `json:"mode"`           // listen, whisper or barge
}

// Supervision modes for Supervisor.Supervise.
const (
	SuperviseListen  = "listen"
	SuperviseWhisper = "whisper"
	SuperviseBarge   = "barge"
)
