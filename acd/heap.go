package acd

import "time"

// ixheap is a binary min-heap whose items know their own index, so that an
// item can be removed or re-keyed in O(log n) without a search. It backs the
// engine's timers and each queue's longest-wait order.
type ixheap[T any] struct {
	items  []T
	before func(a, b T) bool
	place  func(x T, i int) // records x's index; -1 once removed
}

func (h *ixheap[T]) len() int { return len(h.items) }

func (h *ixheap[T]) top() (T, bool) {
	if len(h.items) == 0 {
		var zero T
		return zero, false
	}
	return h.items[0], true
}

func (h *ixheap[T]) push(x T) {
	h.items = append(h.items, x)
	i := len(h.items) - 1
	h.place(x, i)
	h.up(i)
}

func (h *ixheap[T]) remove(i int) {
	last := len(h.items) - 1
	x := h.items[i]
	if i != last {
		h.swap(i, last)
	}
	var zero T
	h.items[last] = zero
	h.items = h.items[:last]
	h.place(x, -1)
	if i != last {
		if !h.down(i) {
			h.up(i)
		}
	}
}

func (h *ixheap[T]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.place(h.items[i], i)
	h.place(h.items[j], j)
}

func (h *ixheap[T]) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.before(h.items[i], h.items[p]) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *ixheap[T]) down(i int) bool {
	start := i
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.before(h.items[r], h.items[l]) {
			m = r
		}
		if !h.before(h.items[m], h.items[i]) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}

// timerKind says what a deadline is for.
type timerKind uint8

const (
	timerRing          timerKind = iota // the offer to the agent(s) times out: RONA
	timerMaxWait                        // the caller has waited the queue's maximum: overflow
	timerAnnounce                       // time to tell the caller their position
	timerCallbackRetry                  // a failed callback may be dialled again
	timerCallbackDial                   // the callback's dial timed out
	timerWrapUp                         // the agent's wrap-up time is over
)

// timer is one pending deadline. It lives in the engine's heap and in a slot
// of the call or agent it belongs to, so that either side can cancel it.
type timer struct {
	at    time.Time
	seq   uint64
	kind  timerKind
	call  *call
	agent *agent
	slot  **timer
	idx   int
}

func newTimerHeap() ixheap[*timer] {
	return ixheap[*timer]{
		before: func(a, b *timer) bool {
			if !a.at.Equal(b.at) {
				return a.at.Before(b.at)
			}
			return a.seq < b.seq
		},
		place: func(t *timer, i int) { t.idx = i },
	}
}

// arm sets the deadline held in slot, replacing any previous one.
func (e *Engine) arm(slot **timer, at time.Time, kind timerKind, c *call, a *agent) {
	e.disarm(slot)
	e.seq++
	t := &timer{at: at, seq: e.seq, kind: kind, call: c, agent: a, slot: slot, idx: -1}
	*slot = t
	e.timers.push(t)
}

// disarm cancels the deadline held in slot, if any.
func (e *Engine) disarm(slot **timer) {
	t := *slot
	if t == nil {
		return
	}
	if t.idx >= 0 {
		e.timers.remove(t.idx)
	}
	*slot = nil
}
