package oncall

import (
	"sort"
	"time"
)

// Policy is how an activation calls: frozen into the activation when it
// opens, so a call-out resumed after a restart follows the same rules.
type Policy struct {
	// Target is the time within which the center must be reopened (30 min).
	Target time.Duration `json:"target"`
	// Retries is how many more times an unanswered person is called.
	Retries int `json:"retries"`
	// RetryAfter is the wait before calling an unanswered person again.
	RetryAfter time.Duration `json:"retry_after"`
	// Ring is how long a call rings before it counts as not answered.
	Ring time.Duration `json:"ring"`
	// RefusedAfter is the wait after the trunk refused a call (full):
	// that is not the person's fault and does not use up their retries …
	RefusedAfter time.Duration `json:"refused_after"`
	// … up to MaxRefusals, after which the person counts as unreachable.
	MaxRefusals int `json:"max_refusals"`
	// DefaultETA is assumed for someone who confirmed without minutes.
	DefaultETA time.Duration `json:"default_eta"`
}

// DefaultPolicy is the policy a roster does not override.
func DefaultPolicy() Policy {
	return Policy{Target: 30 * time.Minute, Retries: 2, RetryAfter: 3 * time.Minute, Ring: 30 * time.Second,
		RefusedAfter: 15 * time.Second, MaxRefusals: 20, DefaultETA: 30 * time.Minute}
}

// Status is where a person of an activation is.
type Status string

// Person statuses (the store's words).
const (
	StatusWaiting     Status = "waiting"
	StatusConfirmed   Status = "confirmed"
	StatusDeclined    Status = "declined"
	StatusUnreachable Status = "unreachable"
)

// Final reports whether nothing more will be tried for the person.
func (s Status) Final() bool { return s != StatusWaiting && s != "" }

// Phase is how far an activation has come.
type Phase string

// Phases (the store's activation states).
const (
	PhaseRunning   Phase = "running"
	PhaseQuorum    Phase = "quorum"
	PhaseExhausted Phase = "exhausted"
)

// Callee is a person as the decision sees them.
type Callee struct {
	ID            int64
	Wave          int
	Seq           int
	Operator      bool // counts towards the quorum
	Status        Status
	Attempts      int       // calls that did not reach a choice
	Refusals      int       // calls our trunk refused
	NextAttemptAt time.Time // zero: as soon as the wave starts
	InFlight      bool      // a call is in progress
}

// WaveState is a wave of an activation.
type WaveState struct {
	Name      string
	Wait      time.Duration
	StartedAt time.Time // zero: not started
}

// State is what Decide looks at.
type State struct {
	OpenedAt time.Time
	Quorum   int
	Waves    []WaveState
	People   []Callee
}

// Decision is what to do now.
type Decision struct {
	Phase Phase
	// StartWaves are the waves to start now, in order.
	StartWaves []int
	// Call are the people to phone now, at most the free lines, most
	// urgent first (earlier wave, longer waiting, roster order).
	Call []int64
	// Wake is when to decide again if nothing happens before (zero: only
	// when something happens).
	Wake time.Time
	// Confirmed operators, and operators who may still confirm.
	Confirmed, Possible int
}

// Decide is the activation's whole policy, pure: given the state at now
// and the number of free outgoing lines, which waves start and who is
// called. The next wave starts when the previous one has waited its wait,
// or at once when the waves started so far can no longer make the quorum
// (everyone answered, declined or could not be reached).
func Decide(s State, now time.Time, free int) Decision {
	var d Decision
	started := func(i int) bool { return i < len(s.Waves) && !s.Waves[i].StartedAt.IsZero() }
	startedAt := map[int]bool{}
	for i := range s.Waves {
		if started(i) {
			startedAt[i] = true
		}
	}
	count := func() (confirmed, possible int) {
		for _, p := range s.People {
			if !p.Operator {
				continue
			}
			switch {
			case p.Status == StatusConfirmed:
				confirmed++
			case !p.Status.Final() && startedAt[p.Wave]:
				possible++
			}
		}
		return
	}
	d.Confirmed, d.Possible = count()
	if d.Confirmed >= s.Quorum {
		d.Phase = PhaseQuorum
		return d
	}
	// Waves, in order: each one only after the previous has started.
	for i := range s.Waves {
		if startedAt[i] {
			continue
		}
		if i == 0 {
			startedAt[0] = true
			d.StartWaves = append(d.StartWaves, 0)
			d.Confirmed, d.Possible = count()
			continue
		}
		if !startedAt[i-1] {
			break
		}
		prev := s.Waves[i-1].StartedAt
		if prev.IsZero() { // started in this decision
			prev = now
		}
		due := prev.Add(s.Waves[i-1].Wait)
		if !now.Before(due) || d.Confirmed+d.Possible < s.Quorum {
			startedAt[i] = true
			d.StartWaves = append(d.StartWaves, i)
			d.Confirmed, d.Possible = count()
			continue
		}
		d.Wake = due
		break
	}
	// Calls: waiting people of started waves whose turn has come.
	var ready []Callee
	allFinal := true
	for _, p := range s.People {
		if !startedAt[p.Wave] {
			allFinal = false
			continue
		}
		if p.Status.Final() {
			continue
		}
		allFinal = false
		if p.InFlight {
			continue
		}
		if p.NextAttemptAt.After(now) {
			d.Wake = earliest(d.Wake, p.NextAttemptAt)
			continue
		}
		ready = append(ready, p)
	}
	sort.SliceStable(ready, func(i, j int) bool {
		a, b := ready[i], ready[j]
		if a.Wave != b.Wave {
			return a.Wave < b.Wave
		}
		if !a.NextAttemptAt.Equal(b.NextAttemptAt) {
			return a.NextAttemptAt.Before(b.NextAttemptAt)
		}
		return a.Seq < b.Seq
	})
	for _, p := range ready {
		if len(d.Call) >= free {
			break
		}
		d.Call = append(d.Call, p.ID)
	}
	if len(d.Call) < len(ready) {
		d.Wake = time.Time{} // a line freeing up wakes the runner
	}
	d.Phase = PhaseRunning
	if allFinal && len(d.StartWaves) == 0 && allWavesStarted(s.Waves, startedAt) {
		d.Phase = PhaseExhausted
		d.Wake = time.Time{}
	}
	return d
}

func allWavesStarted(w []WaveState, started map[int]bool) bool {
	for i := range w {
		if !started[i] {
			return false
		}
	}
	return true
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// Outcome is how one phone call ended.
type Outcome string

// Call outcomes.
const (
	OutcomeConfirmed   Outcome = "confirmed"   // pressed 1
	OutcomeDeclined    Outcome = "declined"    // pressed 2
	OutcomeBusy        Outcome = "busy"        // the line was busy
	OutcomeNoAnswer    Outcome = "no-answer"   // rang out
	OutcomeUnreachable Outcome = "unreachable" // the network could not reach the phone
	OutcomeRefused     Outcome = "refused"     // our trunk refused the call (full)
	OutcomeNoInput     Outcome = "no-input"    // answered (or voicemail), no digit
	OutcomeHungUp      Outcome = "hung-up"     // answered and hung up without choosing
	OutcomeInterrupted Outcome = "interrupted" // the controller stopped during the call
	OutcomeError       Outcome = "error"       // something else failed
)

// After says what becomes of a waiting person after a call: confirmed and
// declined are final; a refused call (our trunk) is tried again soon
// without using up the person's retries; anything else is retried after
// RetryAfter until the retries are used up, and then the person is
// unreachable by phone (the email or SMS link still works).
func After(p Callee, o Outcome, now time.Time, pol Policy) Callee {
	switch o {
	case OutcomeConfirmed:
		p.Status = StatusConfirmed
	case OutcomeDeclined:
		p.Status = StatusDeclined
	case OutcomeRefused:
		p.Refusals++
		if p.Refusals >= pol.MaxRefusals {
			p.Status = StatusUnreachable
			p.NextAttemptAt = time.Time{}
		} else {
			p.NextAttemptAt = now.Add(pol.RefusedAfter)
		}
	default:
		p.Attempts++
		if p.Attempts > pol.Retries {
			p.Status = StatusUnreachable
			p.NextAttemptAt = time.Time{}
		} else {
			p.NextAttemptAt = now.Add(pol.RetryAfter)
		}
	}
	p.InFlight = false
	return p
}
