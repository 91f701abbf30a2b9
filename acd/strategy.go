package acd

import (
	"slices"
	"sort"
)

// Each queue keeps its available members in a slice sorted by the strategy's
// key: penalty first, then longest idle (oldest end of last call), fewest
// calls, or join order for round robin, ring all and random. A member's key
// only changes while it is busy, hence out of the slice, so the order holds
// without re-sorting. Picking the agent for a call is then the first member
// whose skill level suffices; a 500-agent slice is small enough that inserts
// are a short memmove.

// compareMembers orders two members of q by the strategy's key.
func (q *queue) compareMembers(x, y *member) int {
	if x.penalty != y.penalty {
		return x.penalty - y.penalty
	}
	switch q.cfg.Strategy {
	case LongestIdle:
		if c := x.a.idleSince.Compare(y.a.idleSince); c != 0 {
			return c
		}
	case FewestCalls:
		if x.calls != y.calls {
			return x.calls - y.calls
		}
	}
	return x.index - y.index
}

func (q *queue) insertAvail(m *member) {
	i := sort.Search(len(q.avail), func(i int) bool { return q.compareMembers(q.avail[i], m) >= 0 })
	q.avail = slices.Insert(q.avail, i, m)
}

func (q *queue) removeAvail(m *member) {
	i := sort.Search(len(q.avail), func(i int) bool { return q.compareMembers(q.avail[i], m) >= 0 })
	if i < len(q.avail) && q.avail[i] == m {
		q.avail = slices.Delete(q.avail, i, i+1)
		return
	}
	// The key moved while m was in the slice (it must not); stay correct anyway.
	if j := slices.Index(q.avail, m); j >= 0 {
		q.avail = slices.Delete(q.avail, j, j+1)
	}
}

// resort restores the order after the strategy changed.
func (q *queue) resort() {
	slices.SortFunc(q.avail, q.compareMembers)
}

// pick returns the agents q's strategy offers c to: one, or for ring all the
// whole best penalty tier among the members skilled enough.
func (e *Engine) pick(q *queue, c *call) []*agent {
	to := e.scratch[:0]
	first := -1
	for i, m := range q.avail {
		if m.level >= c.minLevel {
			first = i
			break
		}
	}
	if first < 0 {
		return nil
	}
	tier := q.avail[first].penalty
	switch q.cfg.Strategy {
	case RoundRobin:
		chosen := q.avail[first]
		for _, m := range q.avail[first:] {
			if m.penalty != tier {
				break
			}
			if m.level >= c.minLevel && m.index > q.rrLast {
				chosen = m
				break
			}
		}
		q.rrLast = chosen.index
		to = append(to, chosen.a)
	case RingAll, Random:
		for _, m := range q.avail[first:] {
			if m.penalty != tier {
				break
			}
			if m.level >= c.minLevel {
				to = append(to, m.a)
			}
		}
		if q.cfg.Strategy == Random && len(to) > 1 {
			to[0] = to[e.rnd.IntN(len(to))]
			to = to[:1]
		}
		if c.state == CallCallbackWaiting {
			to = to[:1] // a callback reserves one agent, never a whole tier
		}
	default: // LongestIdle, FewestCalls: the slice order is the preference
		to = append(to, q.avail[first].a)
	}
	e.scratch = to
	return to
}

// bestCall returns the call an available agent should take among its
// queues, and the membership it comes through: rescue first, then the
// queue where the agent has the lowest penalty, then priority, then arrival.
func (e *Engine) bestCall(a *agent) (*call, *member) {
	var best *call
	var bm *member
	for _, m := range a.members {
		if !m.avail {
			continue
		}
		for l := 0; l <= m.level; l++ {
			c := m.q.lists[l].min()
			if c == nil {
				continue
			}
			if best == nil || betterFor(c, m, best, bm) {
				best, bm = c, m
			}
		}
	}
	return best, bm
}

// betterFor says whether call c reached through membership m beats call d through n.
func betterFor(c *call, m *member, d *call, n *member) bool {
	if c.rescue != d.rescue {
		return c.rescue
	}
	if m.penalty != n.penalty {
		return m.penalty < n.penalty
	}
	return c.before(d)
}
