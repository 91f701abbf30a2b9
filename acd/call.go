package acd

import (
	"fmt"
	"time"
)

// CallStatus is where a call stands in the engine.
type CallStatus int

// Call statuses.
const (
	// CallWaiting: the caller is on the line, waiting in a queue.
	CallWaiting CallStatus = iota
	// CallRinging: the call is offered to one agent (or several, for ring all).
	CallRinging
	// CallConnected: the caller talks with an agent (or is on hold).
	CallConnected
	// CallCallbackWaiting: the caller hung up asking to be called back; the call keeps its place.
	CallCallbackWaiting
	// CallCallbackScheduled: a callback attempt failed; the next one is due at RetryAt.
	CallCallbackScheduled
	// CallCallbackDialing: an agent is reserved and the citizen is being dialled.
	CallCallbackDialing
)

var callStatusNames = []string{"waiting", "ringing", "connected", "callback-waiting", "callback-scheduled", "callback-dialing"}

// String returns the status's stable name.
func (s CallStatus) String() string {
	if s < 0 || int(s) >= len(callStatusNames) {
		return fmt.Sprintf("CallStatus(%d)", int(s))
	}
	return callStatusNames[s]
}

// Call describes a call inside a State, so the engine can be rebuilt after a restart.
// Only ID, Queue, Arrived and, for connected calls, Agent and ConnectedAt are
// required; the rest has sensible defaults.
type Call struct {
	ID       string
	Queue    string
	CallerID string
	Priority int
	Rescue   bool
	MinLevel int

	Arrived time.Time // first arrival at the ACD; ordering and wait are counted from it
	Since   time.Time // ordering time in the current queue; default Arrived
	Entered time.Time // entry in the current queue, for service level; default Since

	// Status is Waiting, Connected or a callback status. A Ringing call is
	// restored as Waiting and a Dialing callback as CallbackWaiting, because
	// the rings and dials of the previous run are gone.
	Status      CallStatus
	Agent       string    // the connected agent
	ConnectedAt time.Time // when the agent answered
	OnHold      bool

	CallbackNumber string
	Attempts       int       // callback attempts made so far
	RetryAt        time.Time // for CallbackScheduled
	CallbackLive   bool      // a callback whose citizen answered and is on the line

	// Wait, Ring, Talk and Hold are the seconds accounted so far (as of State.At).
	// Left zero, they are derived: Wait up to ConnectedAt (or State.At), Talk after.
	Wait, Ring, Talk, Hold time.Duration
	OrigPosition           int
	CallbackOffered        bool // the overflow offer of a callback was already made
}

// segment is the part of a call's life a second is accounted to.
type segment uint8

const (
	segWait segment = iota
	segRing
	segTalk
	segHold
	numSegments
)

// call is a call's live state.
type call struct {
	id       string
	q        *queue
	callerID string
	priority int
	rescue   bool
	minLevel int
	seq      uint64

	node    treapNode
	list    *waitlist // the waitlist holding the call, if any
	heapIdx int       // index in q.waiting, -1 if not there
	isLive  bool      // counted in q.live and present in q.waiting
	isCB    bool      // counted in q.callbacks
	dirty   bool

	arrived, since, entered time.Time
	state                   CallStatus
	offers                  []*agent
	offerStart              time.Time
	agent                   *agent // connected, or reserved for a callback
	onHold                  bool

	seg      segment
	segStart time.Time
	acc      [numSegments]time.Duration
	connAt   time.Time     // when the current connection began
	connTalk time.Duration // talk and hold totals when the current connection began
	connHold time.Duration

	tRing, tMaxWait, tAnnounce, tCallback *timer

	number       string
	attempts     int
	retryAt      time.Time
	callbackLive bool
	overdue      bool // max wait passed while ringing: overflow once the ring ends
	cbOffered    bool
	origPos      int
}

// before orders calls within a queue: rescue first, then higher priority,
// then earlier arrival, then the engine's arrival sequence.
func (c *call) before(d *call) bool {
	if c.rescue != d.rescue {
		return c.rescue
	}
	if c.priority != d.priority {
		return c.priority > d.priority
	}
	if !c.since.Equal(d.since) {
		return c.since.Before(d.since)
	}
	return c.seq < d.seq
}

// setSeg closes the running segment at now and opens s.
func (e *Engine) setSeg(c *call, s segment) {
	c.acc[c.seg] += e.now.Sub(c.segStart)
	c.seg, c.segStart = s, e.now
}

// totals returns the call's accounted time up to now.
func (e *Engine) totals(c *call) [numSegments]time.Duration {
	t := c.acc
	t[c.seg] += e.now.Sub(c.segStart)
	return t
}

// callRecord fills a record with the call's identity and accounted time.
func (e *Engine) callRecord(ev RecordEvent, c *call, agentID string) Record {
	t := e.totals(c)
	name := ""
	if c.q != nil {
		name = c.q.cfg.Name
	}
	return Record{Time: e.now, Event: ev, Call: c.id, Queue: name, Agent: agentID, CallerID: c.callerID,
		Wait: t[segWait], Ring: t[segRing], Talk: t[segTalk], Hold: t[segHold], OrigPosition: c.origPos}
}

// list puts the call in its queue's waitlist for its skill level.
func (e *Engine) list(c *call) {
	if c.list != nil {
		return
	}
	w := &c.q.lists[c.minLevel]
	w.insert(c)
	c.list = w
}

func (e *Engine) unlist(c *call) {
	if c.list == nil {
		return
	}
	c.list.remove(c)
	c.list = nil
}

// setLive counts the call among its queue's live callers (waiting or ringing).
func (e *Engine) setLive(c *call, live bool) {
	if c.isLive == live {
		return
	}
	c.isLive = live
	if live {
		c.q.live++
		c.q.waiting.push(c)
	} else {
		c.q.live--
		c.q.waiting.remove(c.heapIdx)
	}
}

func (e *Engine) setCB(c *call, cb bool) {
	if c.isCB == cb {
		return
	}
	c.isCB = cb
	if cb {
		c.q.callbacks++
	} else {
		c.q.callbacks--
	}
}

// detach removes the call from everything its queue counts it in.
func (e *Engine) detach(c *call) {
	e.unlist(c)
	e.setLive(c, false)
	e.setCB(c, false)
	e.disarm(&c.tMaxWait)
	e.disarm(&c.tAnnounce)
}

// forget ends the call's life in the engine; its final record is already out.
func (e *Engine) forget(c *call) {
	e.detach(c)
	e.disarm(&c.tRing)
	e.disarm(&c.tCallback)
	e.setSeg(c, c.seg)
	delete(e.calls, c.id)
}

func (e *Engine) markDirty(c *call) {
	if !c.dirty {
		c.dirty = true
		e.dirtyCalls = append(e.dirtyCalls, c)
	}
}

func (e *Engine) arrive(ev Arrive) error {
	if ev.Call == "" {
		return fmt.Errorf("acd: arrival without a call id: %w", ErrInvalidEvent)
	}
	if _, ok := e.calls[ev.Call]; ok {
		return fmt.Errorf("acd: arrival %s: %w", ev.Call, ErrExists)
	}
	q, err := e.queue("arrival "+ev.Call, ev.Queue)
	if err != nil {
		return err
	}
	if ev.MinLevel < 0 || ev.MinLevel > MaxLevel {
		return fmt.Errorf("acd: arrival %s: level %d outside 0..%d: %w", ev.Call, ev.MinLevel, MaxLevel, ErrInvalidEvent)
	}
	e.seq++
	c := &call{id: ev.Call, callerID: ev.CallerID, priority: ev.Priority, rescue: ev.Rescue, minLevel: ev.MinLevel,
		seq: e.seq, heapIdx: -1, arrived: e.now, since: e.now, seg: segWait, segStart: e.now}
	c.node.weight = weightFor(c.seq)
	e.calls[c.id] = c
	e.enter(c, q, q, false)
	return nil
}

func (e *Engine) hangup(ev Hangup) error {
	c, err := e.call("hangup", ev.Call)
	if err != nil {
		return err
	}
	switch c.state {
	case CallWaiting, CallRinging:
		if ev.By == ByAgent {
			return fmt.Errorf("acd: hangup %s by agent: call not connected: %w", c.id, ErrWrongState)
		}
		e.abandon(c)
	case CallConnected:
		ev2 := LogCompleteCaller
		if ev.By == ByAgent {
			ev2 = LogCompleteAgent
		}
		a := c.agent
		t := e.totals(c)
		talk, hold := t[segTalk]-c.connTalk, t[segHold]-c.connHold
		r := e.callRecord(ev2, c, a.id)
		r.Final = true
		e.emit(r)
		e.forget(c)
		wrap := c.q.cfg.WrapUp
		if ev.By == BySwitch {
			wrap = 0
		}
		e.startWrapUp(a, c, c.q, talk, hold, wrap)
		e.touch(a)
	default:
		return fmt.Errorf("acd: hangup %s: caller is not on the line (%v): %w", c.id, c.state, ErrWrongState)
	}
	return nil
}

// abandon ends a call whose caller hung up before being connected.
func (e *Engine) abandon(c *call) {
	e.cancelOffers(c)
	r := e.callRecord(LogAbandon, c, "")
	r.Position = c.q.position(c)
	r.Final = true
	e.emit(r)
	if c.isCB {
		c.q.st.CallbacksAbandoned++
	} else {
		c.q.st.Abandoned++
	}
	e.forget(c)
}

// cancelOffers stops every ring of the call without blaming the agents.
func (e *Engine) cancelOffers(c *call) {
	for _, a := range c.offers {
		e.emit(StopRinging{Call: c.id, Agent: a.id})
		a.activity, a.call = idle, nil
		e.touch(a)
	}
	c.offers = c.offers[:0]
	e.disarm(&c.tRing)
}

func (e *Engine) answer(ev Answer) error {
	c, err := e.call("answer", ev.Call)
	if err != nil {
		return err
	}
	a, err := e.agent("answer "+c.id, ev.Agent)
	if err != nil {
		return err
	}
	if c.state != CallRinging || a.call != c || a.activity != ringing {
		return fmt.Errorf("acd: answer %s by %s: call is not ringing that agent: %w", c.id, a.id, ErrWrongState)
	}
	ring := e.now.Sub(c.offerStart)
	for _, o := range c.offers {
		if o != a {
			e.emit(StopRinging{Call: c.id, Agent: o.id})
			o.activity, o.call = idle, nil
			e.touch(o)
		}
	}
	c.offers = c.offers[:0]
	e.disarm(&c.tRing)
	q := c.q
	e.setLive(c, false)
	e.disarm(&c.tMaxWait)
	e.disarm(&c.tAnnounce)
	c.state, c.agent = CallConnected, a
	e.setSeg(c, segTalk)
	c.connAt, c.connTalk, c.connHold = e.now, c.acc[segTalk], c.acc[segHold]
	a.activity, a.call = onCall, c
	if m := a.memberOf(q); m != nil {
		m.calls++
	}
	ev2 := LogConnect
	if c.isCB {
		ev2 = LogCallbackConnected
		q.st.CallbacksConnected++
		e.setCB(c, false)
	} else {
		wait := e.now.Sub(c.entered)
		q.st.Answered++
		q.st.AnswerDelay += wait
		if wait <= q.cfg.ServiceLevel.Within {
			q.st.AnsweredInTime++
		}
	}
	e.emit(Bridge{Call: c.id, Agent: a.id})
	r := e.callRecord(ev2, c, a.id)
	r.Duration = ring
	e.emit(r)
	e.touch(a)
	return nil
}

func (e *Engine) ringFailed(ev RingFailed) error {
	c, err := e.call("ring failure", ev.Call)
	if err != nil {
		return err
	}
	a, err := e.agent("ring failure "+c.id, ev.Agent)
	if err != nil {
		return err
	}
	if c.state != CallRinging || a.call != c || a.activity != ringing {
		return fmt.Errorf("acd: ring failure %s at %s: call is not ringing that agent: %w", c.id, a.id, ErrWrongState)
	}
	switch ev.Reason {
	case NoAnswer:
		e.withdraw(c, a, ReasonNoAnswer, true)
	case Busy:
		e.withdraw(c, a, ReasonBusy, true)
	case Declined:
		e.withdraw(c, a, ReasonDeclined, true)
	case Unreachable:
		a.reachable = false
		e.withdraw(c, a, "unreachable", false)
	case NotPlaced:
		e.withdraw(c, a, ReasonNotPlaced, false)
	default:
		return fmt.Errorf("acd: ring failure %s at %s: unknown reason %d: %w", c.id, a.id, ev.Reason, ErrInvalidEvent)
	}
	return nil
}

// withdraw ends one agent's offer of a call that was not answered. With
// pause, the agent is paused with the reason (RONA), so the next call does not
// ring an empty desk again. When no offer is left the call waits again.
func (e *Engine) withdraw(c *call, a *agent, reason string, pause bool) {
	for i, o := range c.offers {
		if o == a {
			c.offers = append(c.offers[:i], c.offers[i+1:]...)
			break
		}
	}
	e.emit(StopRinging{Call: c.id, Agent: a.id})
	r := e.callRecord(LogRingNoAnswer, c, a.id)
	r.Duration = e.now.Sub(c.offerStart)
	r.Reason = reason
	e.emit(r)
	a.activity, a.call = idle, nil
	if pause && !a.paused {
		a.paused, a.reason = true, reason
		e.emit(e.agentRecord(LogPause, a, c.q.cfg.Name, reason))
	}
	e.touch(a)
	if len(c.offers) == 0 {
		e.disarm(&c.tRing)
		e.requeue(c)
	}
}

// ringTimeout is RONA for every agent still ringing.
func (e *Engine) ringTimeout(c *call) {
	for len(c.offers) > 0 {
		e.withdraw(c, c.offers[0], ReasonNoAnswer, true)
	}
}

// requeue puts a call whose offer ended back in its place.
func (e *Engine) requeue(c *call) {
	c.state = CallWaiting
	e.setSeg(c, segWait)
	e.list(c)
	if c.overdue {
		c.overdue = false
		e.overflow(c)
		if e.calls[c.id] != c || c.state != CallWaiting {
			return
		}
	}
	e.markDirty(c)
}

func (e *Engine) hold(ev Hold) error {
	c, err := e.call("hold", ev.Call)
	if err != nil {
		return err
	}
	if c.state != CallConnected || c.onHold {
		return fmt.Errorf("acd: hold %s: not connected or already on hold: %w", c.id, ErrWrongState)
	}
	c.onHold = true
	e.setSeg(c, segHold)
	e.emit(e.callRecord(LogHold, c, c.agent.id))
	return nil
}

func (e *Engine) unhold(ev Unhold) error {
	c, err := e.call("unhold", ev.Call)
	if err != nil {
		return err
	}
	if c.state != CallConnected || !c.onHold {
		return fmt.Errorf("acd: unhold %s: not on hold: %w", c.id, ErrWrongState)
	}
	c.onHold = false
	e.setSeg(c, segTalk)
	e.emit(e.callRecord(LogUnhold, c, c.agent.id))
	return nil
}
