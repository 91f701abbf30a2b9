package acd

import (
	"fmt"
	"slices"
)

// Configuration changes at runtime. None of them drops a waiting call:
// changing a strategy re-sorts the available agents, changing timers re-arms
// the waiting calls' deadlines, and removing a queue moves its calls.

func (e *Engine) addAgent(d Agent) error {
	if d.ID == "" {
		return fmt.Errorf("acd: add agent: no id: %w", ErrInvalidConfig)
	}
	if e.agents[d.ID] != nil {
		return fmt.Errorf("acd: add agent %s: %w", d.ID, ErrExists)
	}
	a := &agent{id: d.ID, name: d.Name, site: d.Site, reachable: true, shown: LoggedOut, shownReach: true, shownSince: e.now}
	e.agents[a.id] = a
	e.site(a.site).counts[LoggedOut]++
	return nil
}

func (e *Engine) updateAgent(d Agent) error {
	a, err := e.agent("update agent", d.ID)
	if err != nil {
		return err
	}
	a.name = d.Name
	if d.Site != a.site {
		e.countAgent(a, -1)
		a.site = d.Site
		e.countAgent(a, 1)
	}
	return nil
}

func (e *Engine) removeAgent(ev RemoveAgent) error {
	a, err := e.agent("remove agent", ev.Agent)
	if err != nil {
		return err
	}
	if a.loggedIn {
		return fmt.Errorf("acd: remove agent %s: still logged in: %w", a.id, ErrAgentBusy)
	}
	for len(a.members) > 0 {
		e.removeMember(a.members[0])
	}
	e.countAgent(a, -1)
	delete(e.agents, a.id)
	return nil
}

// checkTargets verifies that q's overflow target exists.
func (e *Engine) checkTarget(q Queue) error {
	if q.Overflow.Kind == TargetQueue && e.queues[q.Overflow.Queue] == nil {
		return fmt.Errorf("acd: queue %q: overflow to %q: %w", q.Name, q.Overflow.Queue, ErrUnknownQueue)
	}
	return nil
}

func (e *Engine) checkMembers(q Queue) error {
	for _, m := range q.Members {
		if e.agents[m.Agent] == nil {
			return fmt.Errorf("acd: queue %q: member %q: %w", q.Name, m.Agent, ErrUnknownAgent)
		}
	}
	return nil
}

func (e *Engine) addQueue(cfg Queue) error {
	cfg, err := cfg.normalized()
	if err != nil {
		return err
	}
	if e.queues[cfg.Name] != nil {
		return fmt.Errorf("acd: add queue %q: %w", cfg.Name, ErrExists)
	}
	if err := e.checkTarget(cfg); err != nil {
		return err
	}
	if err := e.checkMembers(cfg); err != nil {
		return err
	}
	q := newQueue(cfg)
	e.queues[cfg.Name] = q
	for _, m := range cfg.Members {
		e.addMember(q, m)
	}
	return nil
}

func (e *Engine) updateQueue(cfg Queue) error {
	cfg, err := cfg.normalized()
	if err != nil {
		return err
	}
	q, err := e.queue("update queue", cfg.Name)
	if err != nil {
		return err
	}
	if err := e.checkTarget(cfg); err != nil {
		return err
	}
	if err := e.checkMembers(cfg); err != nil {
		return err
	}
	old := q.cfg
	q.cfg = cfg
	if old.Strategy != cfg.Strategy {
		q.resort()
		q.rrLast = -1
	}
	want := make(map[string]Member, len(cfg.Members))
	for _, m := range cfg.Members {
		want[m.Agent] = m
	}
	for _, id := range sortedKeys(q.members) {
		if _, ok := want[id]; !ok {
			e.removeMember(q.members[id])
		}
	}
	for _, m := range cfg.Members {
		if cur := q.members[m.Agent]; cur != nil {
			e.changeMember(cur, m)
		} else {
			e.addMember(q, m)
		}
	}
	if old.MaxWait != cfg.MaxWait || old.AnnounceEvery != cfg.AnnounceEvery || old.Overflow != cfg.Overflow {
		for _, c := range e.queueCalls(q) {
			if c.isLive && !c.callbackLive {
				e.armWaiting(c)
			}
		}
	}
	return nil
}

// queueCalls lists the calls of q in a stable order (rare operations only: it scans every call).
func (e *Engine) queueCalls(q *queue) []*call {
	var out []*call
	for _, c := range e.calls {
		if c.q == q {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *call) int {
		if a.before(b) {
			return -1
		}
		if b.before(a) {
			return 1
		}
		return 0
	})
	return out
}

func (e *Engine) removeQueue(ev RemoveQueue) error {
	q, err := e.queue("remove queue", ev.Name)
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(e.queues) {
		if o := e.queues[name]; o != q && o.cfg.Overflow.Kind == TargetQueue && o.cfg.Overflow.Queue == q.cfg.Name {
			return fmt.Errorf("acd: remove queue %q: %q overflows to it: %w", q.cfg.Name, name, ErrQueueInUse)
		}
	}
	var moving []*call
	for _, c := range e.queueCalls(q) {
		if c.state != CallConnected {
			moving = append(moving, c)
		}
	}
	var to *queue
	if len(moving) > 0 {
		if ev.MoveTo == "" {
			return fmt.Errorf("acd: remove queue %q: %d calls waiting and nowhere to move them: %w", q.cfg.Name, len(moving), ErrQueueInUse)
		}
		if to, err = e.queue("remove queue "+q.cfg.Name+": move to", ev.MoveTo); err != nil {
			return err
		}
		if to == q {
			return fmt.Errorf("acd: remove queue %q: cannot move calls to itself: %w", q.cfg.Name, ErrInvalidEvent)
		}
	}
	delete(e.queues, q.cfg.Name)
	for _, c := range moving {
		e.moveCall(c, to)
	}
	for _, id := range sortedKeys(q.members) {
		e.removeMember(q.members[id])
	}
	return nil
}

// moveCall takes a call of a removed queue to another queue, keeping its
// status and its place by ordering time.
func (e *Engine) moveCall(c *call, to *queue) {
	from := c.q
	r := e.callRecord(LogMoved, c, "")
	r.Reason = to.cfg.Name
	e.emit(r)
	switch c.state {
	case CallWaiting, CallRinging:
		if c.callbackLive {
			e.cancelOffers(c)
			e.unlist(c)
			e.setCB(c, false)
			c.q = to
			e.setCB(c, true)
			c.state = CallWaiting
			e.setSeg(c, segWait)
			e.list(c)
			e.markDirty(c)
			break
		}
		e.cancelOffers(c)
		e.detach(c)
		e.enter(c, to, from, true)
		return
	default: // callback states keep going in the new queue
		e.unlist(c)
		listed := c.state == CallCallbackWaiting
		e.setCB(c, false)
		c.q = to
		e.setCB(c, true)
		if listed {
			e.list(c)
			e.markDirty(c)
		}
	}
	e.emit(Moved{Call: c.id, From: from.cfg.Name, To: to.cfg.Name})
}

func (e *Engine) addMemberEvent(ev AddMember) error {
	q, err := e.queue("add member", ev.Queue)
	if err != nil {
		return err
	}
	if err := ev.Member.check(); err != nil {
		return fmt.Errorf("acd: add member to %q: %v: %w", q.cfg.Name, err, ErrInvalidConfig)
	}
	if _, err := e.agent("add member to "+q.cfg.Name, ev.Member.Agent); err != nil {
		return err
	}
	if q.members[ev.Member.Agent] != nil {
		return fmt.Errorf("acd: add member %s to %q: %w", ev.Member.Agent, q.cfg.Name, ErrExists)
	}
	e.addMember(q, ev.Member)
	return nil
}

func (e *Engine) removeMemberEvent(ev RemoveMember) error {
	q, err := e.queue("remove member", ev.Queue)
	if err != nil {
		return err
	}
	m := q.members[ev.Agent]
	if m == nil {
		return fmt.Errorf("acd: remove member %s from %q: not a member: %w", ev.Agent, q.cfg.Name, ErrUnknownAgent)
	}
	e.removeMember(m)
	return nil
}

func (e *Engine) addMember(q *queue, d Member) {
	a := e.agents[d.Agent]
	m := &member{a: a, q: q, penalty: d.Penalty, level: d.Level, emergencyOnly: d.EmergencyOnly, index: q.nextIndex}
	q.nextIndex++
	q.members[a.id] = m
	a.members = append(a.members, m)
	q.counts[a.shown]++
	if a.shown != LoggedOut && !a.shownReach {
		q.unreach++
	}
	e.emit(e.agentRecord(LogAddMember, a, q.cfg.Name, ""))
	e.refresh(a)
}

func (e *Engine) changeMember(m *member, d Member) {
	if m.penalty == d.Penalty && m.level == d.Level && m.emergencyOnly == d.EmergencyOnly {
		return
	}
	if m.avail {
		m.q.removeAvail(m)
		m.avail = false
	}
	m.penalty, m.level, m.emergencyOnly = d.Penalty, d.Level, d.EmergencyOnly
	e.refresh(m.a)
	if m.avail {
		e.wake(m.a) // a higher level may open calls it could not take before
	}
}

func (e *Engine) removeMember(m *member) {
	a, q := m.a, m.q
	if m.avail {
		q.removeAvail(m)
		m.avail = false
	}
	if m.active {
		q.staffed--
		m.active = false
	}
	q.counts[a.shown]--
	if a.shown != LoggedOut && !a.shownReach {
		q.unreach--
	}
	delete(q.members, a.id)
	a.members = slices.DeleteFunc(a.members, func(x *member) bool { return x == m })
	e.emit(e.agentRecord(LogRemoveMember, a, q.cfg.Name, ""))
}
