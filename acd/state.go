package acd

import (
	"fmt"
	"slices"
	"time"
)

// State is the persisted description of an engine: its configuration and,
// after a run, the agents' statuses and the calls in progress. New builds an
// engine from it; Engine.State returns it. The controller can also write one
// by hand after a crash, from the store (queues, agents, calls with their
// original arrival times) and from Asterisk (which calls are bridged to whom).
type State struct {
	At        time.Time
	Emergency bool
	Queues    []Queue
	Agents    []Agent
	Calls     []Call
	// Counters are the queues' cumulative figures by queue name (queues
	// with nothing counted are left out). A restore takes them back, so
	// the day's figures survive a restart; leave them out to start at zero.
	Counters map[string]Counters `json:",omitempty"`
}

// State describes the engine as of its current time, for persistence. It
// walks every call: call it on shutdown or periodically, not per event.
func (e *Engine) State() State {
	st := State{At: e.now, Emergency: e.emergency}
	for _, name := range sortedKeys(e.queues) {
		q := e.queues[name]
		cfg := q.cfg
		ms := make([]*member, 0, len(q.members))
		for _, m := range q.members {
			ms = append(ms, m)
		}
		slices.SortFunc(ms, func(x, y *member) int { return x.index - y.index })
		cfg.Members = make([]Member, 0, len(ms))
		for _, m := range ms {
			cfg.Members = append(cfg.Members, Member{Agent: m.a.id, Penalty: m.penalty, Level: m.level, EmergencyOnly: m.emergencyOnly})
		}
		st.Queues = append(st.Queues, cfg)
		if q.st != (Counters{}) {
			if st.Counters == nil {
				st.Counters = map[string]Counters{}
			}
			st.Counters[name] = q.st
		}
	}
	for _, id := range sortedKeys(e.agents) {
		a := e.agents[id]
		d := Agent{ID: a.id, Name: a.name, Site: a.site, LoggedIn: a.loggedIn, Paused: a.paused, PauseReason: a.reason,
			Unreachable: !a.reachable, IdleSince: a.idleSince}
		if a.activity == wrappingUp && a.tWrap != nil {
			d.WrapUpUntil, d.WrapUpCall = a.tWrap.at, a.wrap.call
			if a.wrap.q != nil {
				d.WrapUpQueue = a.wrap.q.cfg.Name
			}
		}
		for _, m := range a.members {
			if m.calls > 0 {
				if d.Calls == nil {
					d.Calls = map[string]int{}
				}
				d.Calls[m.q.cfg.Name] = m.calls
			}
		}
		st.Agents = append(st.Agents, d)
	}
	calls := make([]*call, 0, len(e.calls))
	for _, c := range e.calls {
		calls = append(calls, c)
	}
	slices.SortFunc(calls, func(a, b *call) int {
		if a.seq < b.seq {
			return -1
		}
		if a.seq > b.seq {
			return 1
		}
		return 0
	})
	for _, c := range calls {
		t := e.totals(c)
		d := Call{ID: c.id, Queue: c.q.cfg.Name, CallerID: c.callerID, Priority: c.priority, Rescue: c.rescue, MinLevel: c.minLevel,
			Arrived: c.arrived, Since: c.since, Entered: c.entered, Status: c.state, OnHold: c.onHold,
			CallbackNumber: c.number, Attempts: c.attempts, RetryAt: c.retryAt, CallbackLive: c.callbackLive,
			Wait: t[segWait], Ring: t[segRing], Talk: t[segTalk], Hold: t[segHold], OrigPosition: c.origPos, CallbackOffered: c.cbOffered}
		if c.state == CallConnected {
			d.Agent = c.agent.id
			d.ConnectedAt = c.connAt
		}
		st.Calls = append(st.Calls, d)
	}
	return st
}

// restore builds the engine's contents from st. It reports the first
// inconsistency and leaves nothing half-built behind (New discards the engine).
func (e *Engine) restore(st State) error {
	e.emergency = st.Emergency
	for _, d := range st.Agents {
		if err := e.addAgent(Agent{ID: d.ID, Name: d.Name, Site: d.Site}); err != nil {
			return err
		}
	}
	cfgs := make([]Queue, 0, len(st.Queues))
	for _, q := range st.Queues {
		cfg, err := q.normalized()
		if err != nil {
			return err
		}
		if e.queues[cfg.Name] != nil {
			return fmt.Errorf("acd: restore: queue %q: %w", cfg.Name, ErrExists)
		}
		e.queues[cfg.Name] = newQueue(cfg)
		cfgs = append(cfgs, cfg)
	}
	for _, cfg := range cfgs {
		if err := e.checkTarget(cfg); err != nil {
			return err
		}
		if err := e.checkMembers(cfg); err != nil {
			return err
		}
		for _, m := range cfg.Members {
			e.addMember(e.queues[cfg.Name], m)
		}
	}
	e.out = nil // the ADDMEMBER records of a restore are not news
	for name, c := range st.Counters {
		if q := e.queues[name]; q != nil {
			q.st = c
		}
	}
	for _, d := range st.Agents {
		a := e.agents[d.ID]
		a.loggedIn = d.LoggedIn
		a.paused, a.reason = d.LoggedIn && d.Paused, d.PauseReason
		if !a.paused {
			a.reason = ""
		}
		a.reachable = !d.Unreachable
		a.idleSince = d.IdleSince
		if a.idleSince.IsZero() {
			a.idleSince = st.At
		}
		for qname, n := range d.Calls {
			if q := e.queues[qname]; q != nil {
				if m := q.members[a.id]; m != nil {
					m.calls = n
				}
			}
		}
		if a.loggedIn && d.WrapUpUntil.After(st.At) {
			a.activity = wrappingUp
			a.wrap = wrapInfo{call: d.WrapUpCall, q: e.queues[d.WrapUpQueue], start: st.At}
			if a.wrap.q == nil {
				a.wrap.q = newQueue(Queue{Name: d.WrapUpQueue})
			}
			e.arm(&a.tWrap, d.WrapUpUntil, timerWrapUp, nil, a)
		}
	}
	order := slices.Clone(st.Calls)
	slices.SortStableFunc(order, func(x, y Call) int { return x.Arrived.Compare(y.Arrived) })
	for _, d := range order {
		if err := e.restoreCall(d, st.At); err != nil {
			return err
		}
	}
	for _, id := range sortedKeys(e.agents) {
		e.touch(e.agents[id])
	}
	return nil
}

func (e *Engine) restoreCall(d Call, at time.Time) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("acd: restore call %q: %s: %w", d.ID, fmt.Sprintf(format, args...), ErrInvalidConfig)
	}
	if d.ID == "" {
		return bad("no id")
	}
	if e.calls[d.ID] != nil {
		return fmt.Errorf("acd: restore call %q: %w", d.ID, ErrExists)
	}
	q := e.queues[d.Queue]
	if q == nil && d.Status == CallConnected && d.Queue != "" {
		// Its queue was removed while it was connected: it only needs a name
		// for its records. The queue's wrap-up time is lost with the queue.
		q = newQueue(Queue{Name: d.Queue})
	}
	if q == nil {
		return fmt.Errorf("acd: restore call %q: queue %q: %w", d.ID, d.Queue, ErrUnknownQueue)
	}
	if d.MinLevel < 0 || d.MinLevel > MaxLevel {
		return bad("level %d", d.MinLevel)
	}
	if d.Arrived.IsZero() || d.Arrived.After(at) {
		return bad("arrival %v not before the state's time %v", d.Arrived, at)
	}
	e.seq++
	c := &call{id: d.ID, q: q, callerID: d.CallerID, priority: d.Priority, rescue: d.Rescue, minLevel: d.MinLevel,
		seq: e.seq, heapIdx: -1, arrived: d.Arrived, since: d.Since, entered: d.Entered,
		number: d.CallbackNumber, attempts: d.Attempts, callbackLive: d.CallbackLive, origPos: d.OrigPosition,
		cbOffered: d.CallbackOffered}
	c.node.weight = weightFor(c.seq)
	if c.since.IsZero() {
		c.since = c.arrived
	}
	if c.entered.IsZero() {
		c.entered = c.since
	}
	status := d.Status
	switch status {
	case CallRinging:
		status = CallWaiting
	case CallCallbackDialing:
		status = CallCallbackWaiting
	}
	seg := segWait
	if status == CallConnected {
		seg = segTalk
		if d.OnHold {
			seg = segHold
		}
	}
	// Account every second since arrival: given figures as they are, the rest
	// to the segment the call is in now.
	c.acc = [numSegments]time.Duration{d.Wait, d.Ring, d.Talk, d.Hold}
	life := at.Sub(c.arrived)
	sum := d.Wait + d.Ring + d.Talk + d.Hold
	if sum == 0 && status == CallConnected && !d.ConnectedAt.IsZero() && !d.ConnectedAt.After(at) && !d.ConnectedAt.Before(c.arrived) {
		c.acc[segWait] = d.ConnectedAt.Sub(c.arrived)
		sum = c.acc[segWait]
	}
	if sum > life {
		return bad("accounted time %v exceeds its life %v", sum, life)
	}
	c.acc[seg] += life - sum
	c.seg, c.segStart = seg, at

	e.calls[c.id] = c
	switch status {
	case CallWaiting:
		c.state = CallWaiting
		e.list(c)
		if c.callbackLive {
			e.setCB(c, true)
		} else {
			e.setLive(c, true)
			e.armWaiting(c)
		}
		e.markDirty(c)
	case CallConnected:
		a := e.agents[d.Agent]
		if a == nil {
			delete(e.calls, c.id)
			return fmt.Errorf("acd: restore call %q: agent %q: %w", d.ID, d.Agent, ErrUnknownAgent)
		}
		if !a.loggedIn || a.activity != idle {
			delete(e.calls, c.id)
			return bad("agent %q is logged out or busy", a.id)
		}
		c.state, c.agent, c.onHold = CallConnected, a, d.OnHold
		c.connAt = d.ConnectedAt
		if !c.connAt.IsZero() {
			// The current connection's share: assume it was talk.
			c.connTalk = max(0, c.acc[segTalk]-at.Sub(c.connAt))
			c.connHold = c.acc[segHold]
			if d.OnHold {
				c.connHold = 0
			}
		}
		a.activity, a.call = onCall, c
	case CallCallbackWaiting:
		c.state = CallCallbackWaiting
		e.setCB(c, true)
		e.list(c)
		e.markDirty(c)
	case CallCallbackScheduled:
		c.state = CallCallbackScheduled
		e.setCB(c, true)
		c.retryAt = d.RetryAt
		if c.retryAt.Before(at) {
			c.retryAt = at
		}
		e.arm(&c.tCallback, c.retryAt, timerCallbackRetry, c, nil)
	default:
		delete(e.calls, c.id)
		return bad("status %v", d.Status)
	}
	if c.isCB && c.number == "" {
		e.forget(c)
		return bad("callback without a number")
	}
	return nil
}
