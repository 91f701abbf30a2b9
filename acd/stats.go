package acd

import (
	"slices"
	"time"
)

// Counters are a queue's cumulative figures since the engine started, or
// since the counters were last reset (ResetCounters) or restored (State).
type Counters struct {
	Offered            int // calls that entered the queue
	Answered           int // calls connected to an agent (callbacks counted apart)
	AnsweredInTime     int // answered within the service-level threshold, counted from queue entry
	Abandoned          int
	TimedOut           int // left by the max-wait overflow
	Full               int // refused at entry because the queue was full
	Transferred        int
	AnswerDelay        time.Duration // sum of queue entry to answer, for ASA
	Handled            int           // calls whose after-call work is over, for AHT
	HandleTime         time.Duration // talk + hold + wrap-up of handled calls
	CallbacksRequested int
	CallbacksConnected int
	CallbacksFailed    int
	CallbacksAbandoned int // the citizen answered the callback, then hung up before an agent
}

// AgentCounts counts agents by state. Unreachable counts logged-in agents
// whose phone cannot ring, whatever their state.
type AgentCounts struct {
	LoggedOut, Available, Ringing, Reserved, OnCall, WrapUp, Paused int
	Unreachable                                                     int
}

func agentCounts(c [numAgentStates]int, unreach int) AgentCounts {
	return AgentCounts{LoggedOut: c[LoggedOut], Available: c[Available], Ringing: c[Ringing], Reserved: c[Reserved],
		OnCall: c[OnCall], WrapUp: c[WrapUp], Paused: c[Paused], Unreachable: unreach}
}

// Figures are the KPIs shared by queues and sites. Counters run since the
// engine started; ratios are 0 when nothing has been counted yet.
type Figures struct {
	Waiting     int           // live callers waiting or ringing
	Callbacks   int           // calls in a callback state
	LongestWait time.Duration // the live caller waiting longest (since their ordering time)
	Agents      AgentCounts
	Staffed     int // members logged in, not paused, reachable (a site counts its own agents)

	Offered, Answered, AnsweredInTime, Abandoned, TimedOut, Full, Transferred int
	CallbacksRequested, CallbacksConnected, CallbacksFailed                   int
	Handled                                                                   int

	// ServiceLevel is AnsweredInTime / (Answered + Abandoned + TimedOut), waits
	// counted from entry in the queue; callbacks are counted apart, not here.
	ServiceLevel float64
	ASA          time.Duration // average speed of answer
	AHT          time.Duration // average handle time: talk + hold + wrap-up
	Occupancy    float64       // busy time / (busy + available time) of the agents, busy = ringing, reserved, on call, wrap-up

	answerDelay, handleTime time.Duration
	busy, avail             time.Duration
}

// QueueStats is one queue's live state and KPIs.
type QueueStats struct {
	Name     string
	Site     string
	Strategy Strategy
	Target   ServiceTarget
	Figures
}

// SiteStats aggregates the queues of a site and the agents of that site.
type SiteStats struct {
	Site string
	Figures
}

// AgentStatus is one agent's live state.
type AgentStatus struct {
	ID, Name, Site string
	State          AgentState
	Paused         bool
	Reason         string
	Reachable      bool
	Since          time.Time // in this state since
	Call           string    // ringing, reserved for, or connected call
	Queues         []string
}

// Snapshot is the live picture the console and the metrics read.
type Snapshot struct {
	At        time.Time
	Emergency bool
	Queues    []QueueStats // by name
	Sites     []SiteStats  // by site
	Agents    []AgentStatus
}

// Snapshot computes the live picture at now (or the engine's time, if later):
// running waits and agent states are counted up to then. It reads and never
// changes the engine, so deadlines due before now are not acted on; the
// controller that ticks on NextDeadline has none pending. It costs a pass
// over queues, agents and memberships, never over waiting calls.
func (e *Engine) Snapshot(now time.Time) Snapshot {
	if now.Before(e.now) {
		now = e.now
	}
	s := Snapshot{At: now, Emergency: e.emergency}
	sites := map[string]*SiteStats{}
	siteOf := func(name string) *SiteStats {
		st := sites[name]
		if st == nil {
			st = &SiteStats{Site: name}
			sites[name] = st
		}
		return st
	}
	busyTime := func(a *agent) (busy, avail time.Duration) {
		acc := a.acc
		acc[a.shown] += now.Sub(a.shownSince)
		return acc[Ringing] + acc[Reserved] + acc[OnCall] + acc[WrapUp], acc[Available]
	}
	for _, name := range sortedKeys(e.queues) {
		q := e.queues[name]
		f := Figures{
			Waiting: q.live, Callbacks: q.callbacks, Agents: agentCounts(q.counts, q.unreach), Staffed: q.staffed,
		}
		if c, ok := q.waiting.top(); ok {
			f.LongestWait = now.Sub(c.since)
		}
		f.addCounters(q.st)
		for _, m := range q.members {
			b, av := busyTime(m.a)
			f.busy += b
			f.avail += av
		}
		f.finish()
		s.Queues = append(s.Queues, QueueStats{Name: name, Site: q.cfg.Site, Strategy: q.cfg.Strategy, Target: q.cfg.ServiceLevel, Figures: f})
		st := siteOf(q.cfg.Site)
		st.Waiting += f.Waiting
		st.Callbacks += f.Callbacks
		st.LongestWait = max(st.LongestWait, f.LongestWait)
		st.addCounters(q.st)
	}
	for _, id := range sortedKeys(e.agents) {
		a := e.agents[id]
		st := siteOf(a.site)
		b, av := busyTime(a)
		st.busy += b
		st.avail += av
		if a.loggedIn && !a.paused && a.reachable {
			st.Staffed++
		}
		as := AgentStatus{ID: a.id, Name: a.name, Site: a.site, State: a.shown, Paused: a.paused, Reason: a.reason,
			Reachable: a.reachable, Since: a.shownSince}
		if a.call != nil {
			as.Call = a.call.id
		}
		for _, m := range a.members {
			as.Queues = append(as.Queues, m.q.cfg.Name)
		}
		slices.Sort(as.Queues)
		s.Agents = append(s.Agents, as)
	}
	for name, x := range e.sites {
		st := siteOf(name)
		st.Agents = agentCounts(x.counts, x.unreach)
	}
	for _, name := range sortedKeys(sites) {
		st := sites[name]
		st.finish()
		s.Sites = append(s.Sites, *st)
	}
	return s
}

func (f *Figures) addCounters(c Counters) {
	f.Offered += c.Offered
	f.Answered += c.Answered
	f.AnsweredInTime += c.AnsweredInTime
	f.Abandoned += c.Abandoned
	f.TimedOut += c.TimedOut
	f.Full += c.Full
	f.Transferred += c.Transferred
	f.CallbacksRequested += c.CallbacksRequested
	f.CallbacksConnected += c.CallbacksConnected
	f.CallbacksFailed += c.CallbacksFailed
	f.Handled += c.Handled
	f.answerDelay += c.AnswerDelay
	f.handleTime += c.HandleTime
}

func (f *Figures) finish() {
	if n := f.Answered + f.Abandoned + f.TimedOut; n > 0 {
		f.ServiceLevel = float64(f.AnsweredInTime) / float64(n)
	}
	if f.Answered > 0 {
		f.ASA = f.answerDelay / time.Duration(f.Answered)
	}
	if f.Handled > 0 {
		f.AHT = f.handleTime / time.Duration(f.Handled)
	}
	if t := f.busy + f.avail; t > 0 {
		f.Occupancy = float64(f.busy) / float64(t)
	}
}
