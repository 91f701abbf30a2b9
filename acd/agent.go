package acd

import (
	"fmt"
	"time"
)

// AgentState is what an agent is doing, as the console shows it.
type AgentState int

// Agent states. Reserved means held for a callback while the citizen is dialled.
const (
	LoggedOut AgentState = iota
	Available
	Ringing
	Reserved
	OnCall
	WrapUp
	Paused
	numAgentStates
)

var agentStateNames = [numAgentStates]string{"logged-out", "available", "ringing", "reserved", "on-call", "wrap-up", "paused"}

// String returns the state's stable name, for logs and metrics labels.
func (s AgentState) String() string {
	if s < 0 || s >= numAgentStates {
		return fmt.Sprintf("AgentState(%d)", int(s))
	}
	return agentStateNames[s]
}

// Pause reasons the engine sets by itself; operators and supervisors use their own codes.
const (
	ReasonNoAnswer = "no answer" // RONA: the phone rang out
	// ReasonNotPlaced: the PBX did not take the request to ring the phone.
	ReasonNotPlaced = "not placed"
	ReasonBusy      = "busy"     // the phone answered busy
	ReasonDeclined  = "declined" // the operator rejected the call
)

// Agent describes an operator. As configuration only ID, Name and Site matter;
// inside a State the other fields carry their status across a restart.
type Agent struct {
	ID   string
	Name string
	Site string

	LoggedIn    bool
	Paused      bool
	PauseReason string
	Unreachable bool      // the phone's device state says it cannot ring
	IdleSince   time.Time // end of the last call, for longest idle; zero means the login time
	// WrapUpUntil, when set, means the agent is in wrap-up after WrapUpCall from WrapUpQueue.
	WrapUpUntil time.Time
	WrapUpQueue string
	WrapUpCall  string
	Calls       map[string]int // calls taken per queue, for fewest calls
}

// activity is what an agent is busy with, if anything.
type activity uint8

const (
	idle activity = iota
	ringing
	reserved
	onCall
	wrappingUp
)

// agent is an operator's live state.
type agent struct {
	id, name, site string
	loggedIn       bool
	paused         bool
	reason         string
	reachable      bool
	activity       activity
	call           *call // the call ringing, reserved for, or connected
	idleSince      time.Time
	members        []*member
	wrap           wrapInfo
	tWrap          *timer
	dirty          bool

	// What was last announced, and the time spent in each shown state.
	shown       AgentState
	shownPaused bool
	shownReason string
	shownReach  bool
	shownSince  time.Time
	acc         [numAgentStates]time.Duration
}

// wrapInfo remembers the call an agent is wrapping up, so AHT can be credited at the end.
type wrapInfo struct {
	call      string
	q         *queue
	start     time.Time
	talk      time.Duration
	hold      time.Duration
	connected bool // false for a wrap-up restored after a restart: no talk figures to credit to AHT
}

func (a *agent) state() AgentState {
	if !a.loggedIn {
		return LoggedOut
	}
	switch a.activity {
	case ringing:
		return Ringing
	case reserved:
		return Reserved
	case onCall:
		return OnCall
	case wrappingUp:
		return WrapUp
	}
	if a.paused {
		return Paused
	}
	return Available
}

func (a *agent) memberOf(q *queue) *member {
	for _, m := range a.members {
		if m.q == q {
			return m
		}
	}
	return nil
}

// touch publishes a change of the agent, keeps the per-queue and per-site
// counters and time accounts right, and updates which queues may offer it calls.
// Every change to an agent's fields ends with touch.
func (e *Engine) touch(a *agent) {
	s := a.state()
	if s != a.shown || a.paused != a.shownPaused || a.reason != a.shownReason || a.reachable != a.shownReach {
		if s != a.shown {
			a.acc[a.shown] += e.now.Sub(a.shownSince)
			a.shownSince = e.now
		}
		e.countAgent(a, -1)
		a.shown, a.shownPaused, a.shownReason, a.shownReach = s, a.paused, a.reason, a.reachable
		e.countAgent(a, +1)
		e.emit(AgentChanged{Agent: a.id, State: s, Paused: a.paused, Reason: a.reason, Reachable: a.reachable})
	}
	e.refresh(a)
}

func (e *Engine) countAgent(a *agent, d int) {
	unreach := 0
	if a.shown != LoggedOut && !a.shownReach {
		unreach = d
	}
	for _, m := range a.members {
		m.q.counts[a.shown] += d
		m.q.unreach += unreach
	}
	s := e.site(a.site)
	s.counts[a.shown] += d
	s.unreach += unreach
}

// active says whether m may be offered calls when its agent is idle.
func (e *Engine) active(m *member) bool {
	a := m.a
	return a.loggedIn && !a.paused && a.reachable && (!m.emergencyOnly || e.emergency)
}

// refresh recomputes the agent's memberships: staffed counts and the
// available sets the strategies pick from. An agent that becomes available
// somewhere is queued for dispatch.
func (e *Engine) refresh(a *agent) {
	woke := false
	for _, m := range a.members {
		act := e.active(m)
		avail := act && a.activity == idle
		if act != m.active {
			m.active = act
			if act {
				m.q.staffed++
			} else {
				m.q.staffed--
			}
		}
		if avail != m.avail {
			m.avail = avail
			if avail {
				m.q.insertAvail(m)
				woke = true
			} else {
				m.q.removeAvail(m)
			}
		}
	}
	if woke {
		e.wake(a)
	}
}

func (e *Engine) wake(a *agent) {
	if !a.dirty {
		a.dirty = true
		e.dirtyAgents = append(e.dirtyAgents, a)
	}
}

func (e *Engine) agentRecord(ev RecordEvent, a *agent, queue, reason string) Record {
	return Record{Time: e.now, Event: ev, Queue: queue, Agent: a.id, Reason: reason}
}

func (e *Engine) login(ev Login) error {
	a, err := e.agent("login", ev.Agent)
	if err != nil {
		return err
	}
	if a.loggedIn {
		return fmt.Errorf("acd: login %s: already logged in: %w", a.id, ErrWrongState)
	}
	a.loggedIn = true
	a.paused, a.reason = false, ""
	a.reachable = !ev.Unreachable
	a.idleSince = e.now
	e.emit(e.agentRecord(LogAgentLogin, a, "", ""))
	e.touch(a)
	return nil
}

func (e *Engine) logout(ev Logout) error {
	a, err := e.agent("logout", ev.Agent)
	if err != nil {
		return err
	}
	if !a.loggedIn {
		return fmt.Errorf("acd: logout %s: not logged in: %w", a.id, ErrWrongState)
	}
	if a.activity == onCall {
		return fmt.Errorf("acd: logout %s: %w", a.id, ErrAgentBusy)
	}
	a.loggedIn = false
	e.releaseAgent(a, "logged out")
	if a.activity == wrappingUp {
		e.endWrapUp(a)
	}
	a.paused, a.reason = false, ""
	e.emit(e.agentRecord(LogAgentLogoff, a, "", ""))
	e.touch(a)
	return nil
}

// releaseAgent takes back whatever the agent was offered or reserved for,
// after the caller has made it unable to take it (logged out, unreachable).
func (e *Engine) releaseAgent(a *agent, reason string) {
	switch a.activity {
	case ringing:
		e.withdraw(a.call, a, reason, false)
	case reserved:
		e.unreserve(a.call)
	}
}

func (e *Engine) pause(ev Pause) error {
	a, err := e.agent("pause", ev.Agent)
	if err != nil {
		return err
	}
	if !a.loggedIn {
		return fmt.Errorf("acd: pause %s: not logged in: %w", a.id, ErrWrongState)
	}
	if a.paused && a.reason == ev.Reason {
		return fmt.Errorf("acd: pause %s: already paused for %q: %w", a.id, ev.Reason, ErrWrongState)
	}
	a.paused, a.reason = true, ev.Reason
	e.emit(e.agentRecord(LogPause, a, "", ev.Reason))
	e.touch(a)
	return nil
}

func (e *Engine) unpause(ev Unpause) error {
	a, err := e.agent("unpause", ev.Agent)
	if err != nil {
		return err
	}
	if !a.loggedIn || !a.paused {
		return fmt.Errorf("acd: unpause %s: not paused: %w", a.id, ErrWrongState)
	}
	reason := a.reason
	a.paused, a.reason = false, ""
	e.emit(e.agentRecord(LogUnpause, a, "", reason))
	e.touch(a)
	return nil
}

func (e *Engine) deviceState(ev DeviceState) error {
	a, err := e.agent("device state", ev.Agent)
	if err != nil {
		return err
	}
	if a.reachable == ev.Reachable {
		return nil // device state repeats itself; nothing changes
	}
	a.reachable = ev.Reachable
	if !a.reachable {
		e.releaseAgent(a, "unreachable")
	}
	e.touch(a)
	return nil
}

func (e *Engine) disposition(ev DispositionSaved) error {
	a, err := e.agent("disposition", ev.Agent)
	if err != nil {
		return err
	}
	if a.activity != wrappingUp {
		return fmt.Errorf("acd: disposition %s: not in wrap-up: %w", a.id, ErrWrongState)
	}
	e.endWrapUp(a)
	e.touch(a)
	return nil
}

// startWrapUp puts the agent in after-call work (wrap long: the queue's
// wrap-up, or none) for the call that just left it.
func (e *Engine) startWrapUp(a *agent, c *call, q *queue, talk, hold, wrap time.Duration) {
	a.call = nil
	a.wrap = wrapInfo{call: c.id, q: q, start: e.now, talk: talk, hold: hold, connected: true}
	if wrap <= 0 {
		e.finishHandling(a, 0)
		a.activity = idle
		a.idleSince = e.now
		return
	}
	a.activity = wrappingUp
	e.arm(&a.tWrap, e.now.Add(wrap), timerWrapUp, nil, a)
}

// endWrapUp closes after-call work, early (disposition saved, logout) or on time.
func (e *Engine) endWrapUp(a *agent) {
	e.disarm(&a.tWrap)
	wrap := e.now.Sub(a.wrap.start)
	e.emit(Record{Time: e.now, Event: LogWrapUpEnd, Call: a.wrap.call, Queue: a.wrap.q.cfg.Name, Agent: a.id,
		Talk: a.wrap.talk, Hold: a.wrap.hold, WrapUp: wrap})
	e.finishHandling(a, wrap)
	a.activity = idle
	a.idleSince = e.now
}

// finishHandling credits a handled call to its queue's AHT.
func (e *Engine) finishHandling(a *agent, wrap time.Duration) {
	if a.wrap.connected {
		st := &a.wrap.q.st
		st.Handled++
		st.HandleTime += a.wrap.talk + a.wrap.hold + wrap
	}
	a.wrap = wrapInfo{}
}
