package acd

import "fmt"

// Callbacks keep the caller's place. When the call reaches the head and an
// agent is free, the engine reserves that agent and dials the citizen first
// (DialCallback); only when the citizen answers does it ring the agent, who
// is connected on answer. Dialling the citizen first wastes a few seconds of
// an agent's time per callback, but never makes a citizen wait on the line
// for an operator, and the agent reserved is not offered other calls
// meanwhile. If the reserved agent goes away while the citizen is dialled,
// the answered citizen simply waits at the head of the queue like a caller.

func (e *Engine) requestCallback(ev RequestCallback) error {
	c, err := e.call("callback request", ev.Call)
	if err != nil {
		return err
	}
	if ev.Number == "" {
		return fmt.Errorf("acd: callback request %s: no number: %w", c.id, ErrInvalidEvent)
	}
	if c.state != CallWaiting && c.state != CallRinging || c.isCB {
		return fmt.Errorf("acd: callback request %s: caller not waiting (%v): %w", c.id, c.state, ErrWrongState)
	}
	if c.q.cfg.Callback.Attempts <= 0 {
		return fmt.Errorf("acd: callback request %s in %s: %w", c.id, c.q.cfg.Name, ErrCallbackDisabled)
	}
	e.cancelOffers(c)
	e.setLive(c, false)
	e.disarm(&c.tMaxWait)
	e.disarm(&c.tAnnounce)
	c.overdue = false
	c.number = ev.Number
	c.state = CallCallbackWaiting
	e.setSeg(c, segWait)
	e.setCB(c, true)
	e.list(c)
	c.q.st.CallbacksRequested++
	r := e.callRecord(LogCallbackRequested, c, "")
	r.Reason = ev.Number
	e.emit(r)
	e.markDirty(c)
	return nil
}

// reserve holds agent a for callback c and dials the citizen.
func (e *Engine) reserve(c *call, a *agent) {
	if e.onDispatch != nil {
		e.onDispatch(c, []*agent{a})
	}
	e.unlist(c)
	c.state = CallCallbackDialing
	c.agent = a
	c.attempts++
	a.activity, a.call = reserved, c
	until := e.now.Add(c.q.cfg.Callback.DialTimeout)
	e.arm(&c.tCallback, until, timerCallbackDial, c, nil)
	e.emit(DialCallback{Call: c.id, Queue: c.q.cfg.Name, Agent: a.id, Number: c.number, Attempt: c.attempts, Until: until})
	r := e.callRecord(LogCallbackDialed, c, a.id)
	r.Attempt = c.attempts
	e.emit(r)
	e.touch(a)
}

// unreserve lets the agent held for a callback go; the dial goes on.
func (e *Engine) unreserve(c *call) {
	a := c.agent
	c.agent = nil
	if a != nil && a.call == c {
		a.activity, a.call = idle, nil
		e.touch(a)
	}
}

func (e *Engine) callbackAnswered(ev CallbackAnswered) error {
	c, err := e.call("callback answered", ev.Call)
	if err != nil {
		return err
	}
	if c.state != CallCallbackDialing {
		return fmt.Errorf("acd: callback answered %s: not dialling (%v): %w", c.id, c.state, ErrWrongState)
	}
	e.disarm(&c.tCallback)
	c.callbackLive = true
	a := c.agent
	c.agent = nil
	if a == nil {
		// The reserved agent left meanwhile: the citizen waits at their place.
		c.state = CallWaiting
		e.list(c)
		e.markDirty(c)
		return nil
	}
	e.scratch = append(e.scratch[:0], a)
	e.offer(c, e.scratch)
	return nil
}

func (e *Engine) callbackFailed(ev CallbackFailed) error {
	c, err := e.call("callback failed", ev.Call)
	if err != nil {
		return err
	}
	if c.state != CallCallbackDialing {
		return fmt.Errorf("acd: callback failed %s: not dialling (%v): %w", c.id, c.state, ErrWrongState)
	}
	e.dialFailed(c, ev.Reason)
	return nil
}

// dialFailed frees the reserved agent and schedules the next attempt, or
// gives the callback up after the last one.
func (e *Engine) dialFailed(c *call, reason string) {
	e.disarm(&c.tCallback)
	agentID := ""
	if c.agent != nil {
		agentID = c.agent.id
	}
	e.unreserve(c)
	p := c.q.cfg.Callback
	if c.attempts < p.Attempts {
		c.state = CallCallbackScheduled
		c.retryAt = e.now.Add(p.Interval)
		e.arm(&c.tCallback, c.retryAt, timerCallbackRetry, c, nil)
		r := e.callRecord(LogCallbackRetry, c, agentID)
		r.Attempt, r.Reason = c.attempts, reason
		e.emit(r)
		return
	}
	r := e.callRecord(LogCallbackFailed, c, agentID)
	r.Attempt, r.Reason, r.Final = c.attempts, reason, true
	e.emit(r)
	c.q.st.CallbacksFailed++
	e.forget(c)
}

// callbackDue puts a scheduled callback back in its place for the next attempt.
func (e *Engine) callbackDue(c *call) {
	if c.state != CallCallbackScheduled {
		return
	}
	c.state = CallCallbackWaiting
	e.list(c)
	e.markDirty(c)
}
