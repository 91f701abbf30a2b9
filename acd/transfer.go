package acd

import "fmt"

// transfer handles a blind transfer of a connected call. The agent goes to
// wrap-up as after any call. To a queue, the call re-enters keeping its
// priority and rescue flag; its place is by the transfer time, since it has
// been served once and the callers already waiting there have not. Out, the
// call leaves the engine with a final TRANSFER record.
func (e *Engine) transfer(ev Transfer) error {
	c, err := e.call("transfer", ev.Call)
	if err != nil {
		return err
	}
	if c.state != CallConnected {
		return fmt.Errorf("acd: transfer %s: not connected (%v): %w", c.id, c.state, ErrWrongState)
	}
	if (ev.Queue == "") == (ev.Destination == "") {
		return fmt.Errorf("acd: transfer %s: give a queue or a destination: %w", c.id, ErrInvalidEvent)
	}
	var to *queue
	if ev.Queue != "" {
		if to, err = e.queue("transfer "+c.id, ev.Queue); err != nil {
			return err
		}
	}
	a := c.agent
	from := c.q
	t := e.totals(c)
	talk, hold := t[segTalk]-c.connTalk, t[segHold]-c.connHold
	r := e.callRecord(LogTransfer, c, a.id)
	r.Reason = ev.Destination
	if to != nil {
		r.Reason = to.cfg.Name
	} else {
		r.Final = true
	}
	e.emit(r)
	from.st.Transferred++
	c.agent, c.onHold = nil, false
	if to == nil {
		e.forget(c)
	} else {
		c.since = e.now
		e.enter(c, to, from, false)
	}
	e.startWrapUp(a, c, from, talk, hold, from.cfg.WrapUp)
	e.touch(a)
	return nil
}
