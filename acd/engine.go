package acd

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Rand is the random source of the Random strategy; *rand.Rand from math/rand/v2 fits.
type Rand interface {
	IntN(n int) int
}

// Option adjusts an Engine built by New.
type Option func(*Engine)

// WithRand injects the random source of the Random strategy. Without it the
// engine uses a PCG source with a fixed seed, so runs are reproducible.
func WithRand(r Rand) Option { return func(e *Engine) { e.rnd = r } }

// Engine is the ACD state machine: queues, agents and calls. It is not safe
// for concurrent use; one goroutine owns it and feeds it events.
type Engine struct {
	now       time.Time
	emergency bool
	rnd       Rand
	queues    map[string]*queue
	agents    map[string]*agent
	calls     map[string]*call
	sites     map[string]*site
	timers    ixheap[*timer]
	seq       uint64

	out         []Decision
	dirtyAgents []*agent
	dirtyCalls  []*call
	scratch     []*agent

	// onDispatch, when set (tests only), sees every offer or reservation
	// before the agents' state changes.
	onDispatch func(c *call, to []*agent)
}

// site holds the agent counters of one site.
type site struct {
	counts  [numAgentStates]int
	unreach int
}

func (e *Engine) site(name string) *site {
	s := e.sites[name]
	if s == nil {
		s = &site{}
		e.sites[name] = s
	}
	return s
}

// New builds an engine from a description: a fresh configuration (queues and
// logged-out agents, no calls) or the State of a previous run. The returned
// decisions put restored waiting calls through to available agents.
func New(st State, opts ...Option) (*Engine, []Decision, error) {
	e := &Engine{
		now:    st.At,
		queues: make(map[string]*queue),
		agents: make(map[string]*agent),
		calls:  make(map[string]*call),
		sites:  make(map[string]*site),
		timers: newTimerHeap(),
	}
	for _, o := range opts {
		o(e)
	}
	if e.rnd == nil {
		e.rnd = rand.New(rand.NewPCG(1, 2))
	}
	if err := e.restore(st); err != nil {
		return nil, nil, err
	}
	e.settle()
	out := e.out
	e.out = nil
	return e, out, nil
}

// Now returns the engine's time: the latest event or deadline it has acted on.
func (e *Engine) Now() time.Time { return e.now }

// NextDeadline returns when the engine next needs a Tick, if ever.
func (e *Engine) NextDeadline() (time.Time, bool) {
	t, ok := e.timers.top()
	if !ok {
		return time.Time{}, false
	}
	return t.at, true
}

// Handle acts on one event and returns the decisions to execute, in order.
//
// Before the event itself, Handle acts on every deadline that fell due up to
// the event's time, so the outcome depends only on the events and their
// times, never on how punctually the controller ticks. An event whose time is
// before the engine's is taken as happening now. The returned decisions must
// be executed even when err is not nil: an error only rejects ev itself,
// which then changed nothing.
func (e *Engine) Handle(ev Event) ([]Decision, error) {
	if ev == nil {
		return nil, fmt.Errorf("acd: nil event: %w", ErrInvalidEvent)
	}
	at := ev.when()
	if at.IsZero() {
		return nil, fmt.Errorf("acd: %T without a time: %w", ev, ErrInvalidEvent)
	}
	e.out = nil
	e.advance(at)
	err := e.apply(ev)
	e.settle()
	out := e.out
	e.out = nil
	return out, err
}

// advance fires the deadlines due by at, each at its own time.
func (e *Engine) advance(at time.Time) {
	for {
		t, ok := e.timers.top()
		if !ok || t.at.After(at) {
			break
		}
		e.timers.remove(0)
		*t.slot = nil
		if t.at.After(e.now) {
			e.now = t.at
		}
		e.fire(t)
		e.settle()
	}
	if at.After(e.now) {
		e.now = at
	}
}

func (e *Engine) fire(t *timer) {
	switch t.kind {
	case timerRing:
		e.ringTimeout(t.call)
	case timerMaxWait:
		e.maxWaitReached(t.call)
	case timerAnnounce:
		e.announce(t.call)
	case timerCallbackRetry:
		e.callbackDue(t.call)
	case timerCallbackDial:
		e.emit(CancelCallback{Call: t.call.id})
		e.dialFailed(t.call, "timeout")
	case timerWrapUp:
		e.endWrapUp(t.agent)
		e.touch(t.agent)
	}
}

func (e *Engine) apply(ev Event) error {
	switch ev := ev.(type) {
	case Arrive:
		return e.arrive(ev)
	case Hangup:
		return e.hangup(ev)
	case Answer:
		return e.answer(ev)
	case RingFailed:
		return e.ringFailed(ev)
	case Hold:
		return e.hold(ev)
	case Unhold:
		return e.unhold(ev)
	case Transfer:
		return e.transfer(ev)
	case RequestCallback:
		return e.requestCallback(ev)
	case CallbackAnswered:
		return e.callbackAnswered(ev)
	case CallbackFailed:
		return e.callbackFailed(ev)
	case Login:
		return e.login(ev)
	case Logout:
		return e.logout(ev)
	case Pause:
		return e.pause(ev)
	case Unpause:
		return e.unpause(ev)
	case DeviceState:
		return e.deviceState(ev)
	case DispositionSaved:
		return e.disposition(ev)
	case SetEmergency:
		return e.setEmergency(ev)
	case Tick:
		return nil
	case ResetCounters:
		for _, q := range e.queues {
			q.st = Counters{}
		}
		return nil
	case AddQueue:
		return e.addQueue(ev.Queue)
	case UpdateQueue:
		return e.updateQueue(ev.Queue)
	case RemoveQueue:
		return e.removeQueue(ev)
	case AddMember:
		return e.addMemberEvent(ev)
	case RemoveMember:
		return e.removeMemberEvent(ev)
	case AddAgent:
		return e.addAgent(ev.Agent)
	case RemoveAgent:
		return e.removeAgent(ev)
	case UpdateAgent:
		return e.updateAgent(ev.Agent)
	}
	return fmt.Errorf("acd: unknown event %T: %w", ev, ErrInvalidEvent)
}

// settle matches available agents with waiting calls until no agent that
// could take a waiting call is left available (the engine is work-conserving).
//
// Agents that became available choose first, each taking the best call of
// its queues; then a single call that became waiting goes to the agent its
// queue's strategy prefers. When many calls become waiting at once (restart,
// a queue removed), the available members of their queues choose instead,
// which keeps every agent's choice the best one for it.
func (e *Engine) settle() {
	for {
		if len(e.dirtyAgents) > 0 {
			a := e.dirtyAgents[0]
			e.dirtyAgents = e.dirtyAgents[1:]
			if len(e.dirtyAgents) == 0 {
				e.dirtyAgents = nil
			}
			a.dirty = false
			e.dispatchAgent(a)
			continue
		}
		switch len(e.dirtyCalls) {
		case 0:
			return
		case 1:
			c := e.dirtyCalls[0]
			e.dirtyCalls = e.dirtyCalls[:0]
			c.dirty = false
			e.dispatchCall(c)
		default:
			calls := e.dirtyCalls
			e.dirtyCalls = nil
			var marked []*queue
			for _, c := range calls {
				c.dirty = false
				if q := c.q; q != nil && !q.marked {
					q.marked = true
					marked = append(marked, q)
				}
			}
			for _, q := range marked {
				q.marked = false
				for _, m := range q.avail {
					e.wake(m.a)
				}
			}
		}
	}
}

// dispatchAgent gives an available agent the best call it can take.
func (e *Engine) dispatchAgent(a *agent) {
	if a.activity != idle {
		return
	}
	c, m := e.bestCall(a)
	if c == nil {
		return
	}
	if m.q.cfg.Strategy == RoundRobin {
		m.q.rrLast = m.index
	}
	if c.state == CallCallbackWaiting {
		e.reserve(c, a)
		return
	}
	e.scratch = append(e.scratch[:0], a)
	e.offer(c, e.scratch)
}

// dispatchCall offers a waiting call to the agents its queue's strategy picks.
func (e *Engine) dispatchCall(c *call) {
	if e.calls[c.id] != c || c.list == nil || (c.state != CallWaiting && c.state != CallCallbackWaiting) {
		return
	}
	to := e.pick(c.q, c)
	if len(to) == 0 {
		return
	}
	if c.state == CallCallbackWaiting {
		e.reserve(c, to[0])
		return
	}
	e.offer(c, to)
}

// offer rings the agents for the call.
func (e *Engine) offer(c *call, to []*agent) {
	if e.onDispatch != nil {
		e.onDispatch(c, to)
	}
	q := c.q
	e.unlist(c)
	c.state = CallRinging
	e.setSeg(c, segRing)
	c.offerStart = e.now
	c.offers = append(c.offers[:0], to...)
	until := e.now.Add(q.cfg.RingTimeout)
	e.arm(&c.tRing, until, timerRing, c, nil)
	for _, a := range c.offers {
		a.activity, a.call = ringing, c
		e.emit(Ring{Call: c.id, Agent: a.id, Queue: q.cfg.Name, Until: until})
		e.touch(a)
	}
}

func (e *Engine) queue(what, name string) (*queue, error) {
	q := e.queues[name]
	if q == nil {
		return nil, fmt.Errorf("acd: %s: queue %q: %w", what, name, ErrUnknownQueue)
	}
	return q, nil
}

func (e *Engine) agent(what, id string) (*agent, error) {
	a := e.agents[id]
	if a == nil {
		return nil, fmt.Errorf("acd: %s: agent %q: %w", what, id, ErrUnknownAgent)
	}
	return a, nil
}

func (e *Engine) call(what, id string) (*call, error) {
	c := e.calls[id]
	if c == nil {
		return nil, fmt.Errorf("acd: %s: call %q: %w", what, id, ErrUnknownCall)
	}
	return c, nil
}

func (e *Engine) setEmergency(ev SetEmergency) error {
	if e.emergency == ev.On {
		return nil
	}
	e.emergency = ev.On
	for _, id := range sortedKeys(e.agents) {
		e.touch(e.agents[id])
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
