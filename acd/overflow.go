package acd

import "time"

// enter admits a call to q, following the overflow chain while queues are
// full. from is the queue the call was headed for or comes from (for the
// Moved decision); force admits over capacity (a removed queue's calls must
// land somewhere).
//
// A rescue call is never refused nor sent to the recorder: when the chain
// ends at a report target it is admitted over capacity instead. A chain that
// comes back to a queue already tried admits the call where the loop closed.
func (e *Engine) enter(c *call, q, from *queue, force bool) {
	tried := make([]*queue, 0, 4)
	if from != nil && from != q {
		tried = append(tried, from)
	}
	for !force && q.full() {
		t := q.cfg.Overflow
		if t.Kind == TargetQueue {
			next := e.queues[t.Queue]
			if next == nil || next == q || contains(tried, next) {
				break
			}
			tried = append(tried, q)
			e.emit(e.fullRecord(c, q, false))
			q.st.Full++
			q = next
			continue
		}
		if t.Kind == TargetReport && !c.rescue {
			c.q = q
			e.emit(e.fullRecord(c, q, true))
			q.st.Full++
			e.emit(SendToReport{Call: c.id, Queue: q.cfg.Name})
			e.forget(c)
			return
		}
		break // callback target, or a rescue call: admit over capacity
	}
	e.admit(c, q, from)
	if q.cfg.Overflow.Kind == TargetCallback && q.cfg.MaxLen > 0 && q.live > q.cfg.MaxLen {
		e.offerCallback(c)
	}
}

func contains(qs []*queue, q *queue) bool {
	for _, x := range qs {
		if x == q {
			return true
		}
	}
	return false
}

func (e *Engine) fullRecord(c *call, q *queue, final bool) Record {
	prev := c.q
	c.q = q
	r := e.callRecord(LogFull, c, "")
	c.q = prev
	r.Final = final
	return r
}

// admit makes the call a live caller waiting in q.
func (e *Engine) admit(c *call, q, from *queue) {
	c.q = q
	c.entered = e.now
	c.state = CallWaiting
	c.overdue, c.cbOffered = false, false
	e.setSeg(c, segWait)
	e.list(c)
	e.setLive(c, true)
	c.origPos = q.position(c)
	q.st.Offered++
	r := e.callRecord(LogEnterQueue, c, "")
	r.Position = c.origPos
	e.emit(r)
	if from != nil && from != q {
		e.emit(Moved{Call: c.id, From: from.cfg.Name, To: q.cfg.Name})
	}
	e.armWaiting(c)
	e.markDirty(c)
}

// armWaiting sets the max-wait and announcement deadlines of a live waiting call.
func (e *Engine) armWaiting(c *call) {
	q := c.q
	e.disarm(&c.tMaxWait)
	e.disarm(&c.tAnnounce)
	if q.cfg.MaxWait > 0 && q.cfg.Overflow.Kind != TargetNone && !c.cbOffered {
		at := c.entered.Add(q.cfg.MaxWait)
		if at.Before(e.now) {
			at = e.now
		}
		e.arm(&c.tMaxWait, at, timerMaxWait, c, nil)
	}
	if q.cfg.AnnounceEvery > 0 {
		e.arm(&c.tAnnounce, e.now.Add(q.cfg.AnnounceEvery), timerAnnounce, c, nil)
	}
}

// maxWaitReached overflows a caller who waited the queue's maximum. A call
// ringing an agent right then gets the rest of the ring; it overflows only if
// the ring fails.
func (e *Engine) maxWaitReached(c *call) {
	if c.state == CallRinging {
		c.overdue = true
		return
	}
	e.overflow(c)
}

// overflow sends a waiting call to its queue's overflow target.
func (e *Engine) overflow(c *call) {
	q := c.q
	switch q.cfg.Overflow.Kind {
	case TargetCallback:
		e.offerCallback(c)
	case TargetReport:
		if c.rescue {
			return // a rescue request waits for a person, however long
		}
		r := e.callRecord(LogExitWithTimeout, c, "")
		r.Position = q.position(c)
		r.Reason = string(TargetReport)
		r.Final = true
		e.emit(r)
		q.st.TimedOut++
		e.emit(SendToReport{Call: c.id, Queue: q.cfg.Name})
		e.forget(c)
	case TargetQueue:
		next := e.queues[q.cfg.Overflow.Queue]
		if next == nil {
			return
		}
		r := e.callRecord(LogExitWithTimeout, c, "")
		r.Position = q.position(c)
		r.Reason = next.cfg.Name
		e.emit(r)
		q.st.TimedOut++
		e.detach(c)
		// The call keeps its ordering time: it already waited, and callers
		// who arrived after it at the other queue should not pass it.
		e.enter(c, next, q, false)
	}
}

// offerCallback invites a waiting caller, once, to ask for a callback.
func (e *Engine) offerCallback(c *call) {
	if c.cbOffered || c.isCB || c.rescue {
		return // a rescue caller stays on the line
	}
	c.cbOffered = true
	e.disarm(&c.tMaxWait)
	e.emit(OfferCallback{Call: c.id})
	e.emit(e.callRecord(LogCallbackOffered, c, ""))
}

// announce tells a waiting caller where they stand, and schedules the next announcement.
func (e *Engine) announce(c *call) {
	q := c.q
	if q.cfg.AnnounceEvery <= 0 || c.isCB {
		return
	}
	if c.state == CallWaiting {
		pos := q.position(c)
		e.emit(Announce{Call: c.id, Position: pos, EstimatedWait: e.estimate(q, pos)})
	}
	e.arm(&c.tAnnounce, e.now.Add(q.cfg.AnnounceEvery), timerAnnounce, c, nil)
}

// estimate guesses the wait at position pos: pos handle times shared among
// the staffed members. Zero means no estimate (nobody staffed, no handle time known).
func (e *Engine) estimate(q *queue, pos int) time.Duration {
	aht := q.cfg.ExpectedHandle
	if q.st.Handled > 0 {
		aht = q.st.HandleTime / time.Duration(q.st.Handled)
	}
	if q.staffed == 0 || aht <= 0 {
		return 0
	}
	d := time.Duration(pos) * aht / time.Duration(q.staffed)
	return d.Round(time.Second)
}
