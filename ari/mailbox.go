package ari

import "sync"

// msgKind says what a call's mailbox message carries.
type msgKind uint8

const (
	msgEvent  msgKind = iota + 1 // an ARI event for this call
	msgTimer                     // an IVR timer fired
	msgGone                      // reconciliation: the channel no longer exists
	msgResync                    // reconciliation: events may have been lost; check what we wait for
	msgFunc                      // run fn on the owner's goroutine (decisions of the ACD)
)

type msg struct {
	kind  msgKind
	ev    Event
	timer int
	fn    func()
	// lost, on msgGone, says Asterisk restarted meanwhile: the channel
	// was lost with it, nobody hung up.
	lost bool
}

// mailbox is a call's inbox: unbounded, so the dispatcher never blocks on
// a slow call and never drops an event. Its depth is watched instead: a
// call that falls behind shows up in a metric and the log, not as a lost
// hang-up.
type mailbox struct {
	mu     sync.Mutex
	items  []msg
	spare  []msg
	signal chan struct{}
}

func newMailbox() *mailbox { return &mailbox{signal: make(chan struct{}, 1)} }

// put queues m and returns the depth after it.
func (m *mailbox) put(x msg) int {
	m.mu.Lock()
	m.items = append(m.items, x)
	n := len(m.items)
	m.mu.Unlock()
	select {
	case m.signal <- struct{}{}:
	default:
	}
	return n
}

// drain takes everything queued; the slice is valid until the next drain.
func (m *mailbox) drain() []msg {
	m.mu.Lock()
	out := m.items
	m.items = m.spare[:0]
	m.spare = out
	m.mu.Unlock()
	return out
}
