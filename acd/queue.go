package acd

import (
	"fmt"
	"time"
)

// MaxLevel is the highest skill level a member can have and a call can require.
const MaxLevel = 9

// Strategy names how a queue chooses among its available members.
type Strategy string

// The routing strategies. Within a strategy, members with a lower penalty are always tried first.
const (
	// LongestIdle offers the call to the member whose last call ended longest ago.
	LongestIdle Strategy = "longest-idle"
	// RoundRobin offers calls to members in turn, remembering where it stopped.
	RoundRobin Strategy = "round-robin"
	// RingAll rings every available member of the best penalty tier at once; the first to answer takes the call.
	RingAll Strategy = "ring-all"
	// FewestCalls offers the call to the member who has taken the fewest calls from this queue.
	FewestCalls Strategy = "fewest-calls"
	// Random offers the call to a member drawn from the engine's seeded random source.
	Random Strategy = "random"
)

func (s Strategy) valid() bool {
	switch s {
	case LongestIdle, RoundRobin, RingAll, FewestCalls, Random:
		return true
	}
	return false
}

// TargetKind says where an overflowing call goes.
type TargetKind string

// Overflow target kinds.
const (
	// TargetNone means the queue never overflows; it may then set neither MaxWait nor MaxLen.
	TargetNone TargetKind = ""
	// TargetQueue moves the call to another queue, possibly at another site; it keeps its place by arrival time.
	TargetQueue TargetKind = "queue"
	// TargetReport sends the caller to the recorder to leave a report; the call leaves the engine.
	TargetReport TargetKind = "report"
	// TargetCallback offers the caller a callback and keeps them waiting meanwhile.
	TargetCallback TargetKind = "callback"
)

// Target is where a queue sends calls that wait too long or find it full.
type Target struct {
	Kind  TargetKind
	Queue string // for TargetQueue
}

// ServiceTarget is a service-level objective: Percent of calls answered within Within (80/20).
type ServiceTarget struct {
	Percent float64
	Within  time.Duration
}

// CallbackPolicy says whether and how a queue calls people back.
type CallbackPolicy struct {
	Attempts    int           // dial attempts before the callback is recorded as failed; 0 disables callbacks
	Interval    time.Duration // wait between a failed attempt and the next; default 2 minutes
	DialTimeout time.Duration // how long the citizen's phone may ring; default 30 seconds
}

// Member puts an agent in a queue.
type Member struct {
	Agent   string
	Penalty int // lower is tried first; a higher tier gets calls only when no lower-tier member is available
	Level   int // skill level 0..MaxLevel; a call requiring level L goes only to members with Level >= L
	// EmergencyOnly members (operators from other sites, reserve staff) get calls
	// only while the engine is in emergency mode.
	EmergencyOnly bool
}

// Queue configures one automatic call distribution queue.
type Queue struct {
	Name          string
	Site          string
	Strategy      Strategy // default LongestIdle
	Members       []Member
	RingTimeout   time.Duration // default 15 s; then RONA
	WrapUp        time.Duration // after-call work; 0 means none
	MaxWait       time.Duration // 0 means no limit
	MaxLen        int           // live callers waiting; 0 means no limit
	Overflow      Target        // required when MaxWait or MaxLen is set
	AnnounceEvery time.Duration // position and estimated wait; 0 means never
	ServiceLevel  ServiceTarget // default 80/20
	Callback      CallbackPolicy
	// ExpectedHandle is the handle time assumed for wait estimates until the
	// queue has handled calls of its own; 0 means no estimate until then.
	ExpectedHandle time.Duration
}

// Default values applied by normalized.
const (
	DefaultRingTimeout      = 15 * time.Second
	DefaultCallbackInterval = 2 * time.Minute
	DefaultDialTimeout      = 30 * time.Second
)

// normalized fills defaults and checks the parts of a queue that do not
// depend on the rest of the engine (target queues and agents are checked there).
func (q Queue) normalized() (Queue, error) {
	bad := func(format string, args ...any) (Queue, error) {
		return Queue{}, fmt.Errorf("acd: queue %q: %s: %w", q.Name, fmt.Sprintf(format, args...), ErrInvalidConfig)
	}
	if q.Name == "" {
		return bad("no name")
	}
	if q.Strategy == "" {
		q.Strategy = LongestIdle
	}
	if !q.Strategy.valid() {
		return bad("unknown strategy %q", q.Strategy)
	}
	if q.RingTimeout == 0 {
		q.RingTimeout = DefaultRingTimeout
	}
	if q.RingTimeout < 0 || q.WrapUp < 0 || q.MaxWait < 0 || q.AnnounceEvery < 0 || q.ExpectedHandle < 0 {
		return bad("negative duration")
	}
	if q.MaxLen < 0 {
		return bad("negative max length %d", q.MaxLen)
	}
	if q.ServiceLevel.Percent == 0 {
		q.ServiceLevel.Percent = 80
	}
	if q.ServiceLevel.Within == 0 {
		q.ServiceLevel.Within = 20 * time.Second
	}
	if q.ServiceLevel.Percent < 0 || q.ServiceLevel.Percent > 100 || q.ServiceLevel.Within < 0 {
		return bad("service level %v/%v out of range", q.ServiceLevel.Percent, q.ServiceLevel.Within)
	}
	cb := &q.Callback
	if cb.Attempts < 0 || cb.Interval < 0 || cb.DialTimeout < 0 {
		return bad("negative callback policy")
	}
	if cb.Attempts > 0 {
		if cb.Interval == 0 {
			cb.Interval = DefaultCallbackInterval
		}
		if cb.DialTimeout == 0 {
			cb.DialTimeout = DefaultDialTimeout
		}
	}
	switch q.Overflow.Kind {
	case TargetNone:
		if q.MaxWait > 0 || q.MaxLen > 0 {
			return bad("max wait or max length set without an overflow target")
		}
	case TargetQueue:
		if q.Overflow.Queue == "" || q.Overflow.Queue == q.Name {
			return bad("overflow queue %q", q.Overflow.Queue)
		}
	case TargetReport:
	case TargetCallback:
		if cb.Attempts == 0 {
			return bad("overflow to callback but callbacks disabled")
		}
	default:
		return bad("unknown overflow kind %q", q.Overflow.Kind)
	}
	if q.Overflow.Kind != TargetQueue {
		q.Overflow.Queue = ""
	}
	seen := make(map[string]bool, len(q.Members))
	members := make([]Member, 0, len(q.Members))
	for _, m := range q.Members {
		if err := m.check(); err != nil {
			return bad("%v", err)
		}
		if seen[m.Agent] {
			return bad("agent %q listed twice", m.Agent)
		}
		seen[m.Agent] = true
		members = append(members, m)
	}
	q.Members = members
	return q, nil
}

func (m Member) check() error {
	if m.Agent == "" {
		return fmt.Errorf("member without an agent")
	}
	if m.Level < 0 || m.Level > MaxLevel {
		return fmt.Errorf("agent %q level %d outside 0..%d", m.Agent, m.Level, MaxLevel)
	}
	if m.Penalty < 0 {
		return fmt.Errorf("agent %q negative penalty %d", m.Agent, m.Penalty)
	}
	return nil
}

// queue is a queue's live state.
type queue struct {
	cfg       Queue // Members is not kept: members is the truth
	members   map[string]*member
	nextIndex int
	rrLast    int // round robin memory: index of the member last offered a call
	avail     []*member
	lists     [MaxLevel + 1]waitlist
	waiting   ixheap[*call] // live callers (waiting or ringing) by how long they have waited
	live      int           // live callers waiting or ringing, for MaxLen
	callbacks int           // calls in a callback state
	staffed   int           // members logged in, not paused, reachable, active in the current mode
	counts    [numAgentStates]int
	unreach   int // logged-in members whose phone is unreachable
	st        Counters
	marked    bool // scratch flag for batch dispatch
}

func newQueue(cfg Queue) *queue {
	return &queue{
		cfg:     cfg,
		members: make(map[string]*member),
		rrLast:  -1,
		waiting: ixheap[*call]{
			before: func(a, b *call) bool {
				if !a.since.Equal(b.since) {
					return a.since.Before(b.since)
				}
				return a.seq < b.seq
			},
			place: func(c *call, i int) { c.heapIdx = i },
		},
	}
}

func (q *queue) full() bool { return q.cfg.MaxLen > 0 && q.live >= q.cfg.MaxLen }

// member is an agent's membership of a queue.
type member struct {
	a             *agent
	q             *queue
	penalty       int
	level         int
	emergencyOnly bool
	index         int  // order of joining, for round robin
	calls         int  // calls taken from this queue, for fewest calls
	active        bool // counted in q.staffed
	avail         bool // in q.avail
}

// position is the 1-based place of c among the calls waiting in its queue.
func (q *queue) position(c *call) int {
	n := 1
	for i := range q.lists {
		n += q.lists[i].ahead(c)
	}
	return n
}

// queued counts the calls in the queue's waitlists.
func (q *queue) queued() int {
	n := 0
	for i := range q.lists {
		n += q.lists[i].len()
	}
	return n
}
