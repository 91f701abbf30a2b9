package wall

import "time"

// Figures are a queue's (or a site's) live figures as the wall reads them.
type Figures struct {
	Waiting      int
	LongestWait  time.Duration
	ServiceLevel float64 // 0..1 today, over Answered + Abandoned
	Answered     int
	Abandoned    int
	Ready        int // agents free
	Busy         int // agents ringing, on a call or in wrap-up
	Needed       int // Erlang C: agents the target needs at the current arrival rate
}

// Breaches a queue can be in; each sounds the wall's alert.
const (
	BreachSL      = "sl"      // service level below its red threshold (the target, by default)
	BreachWait    = "wait"    // a caller waiting longer than the red threshold
	BreachAbandon = "abandon" // abandoned share above its red threshold
)

// Verdict is how a queue's figures stand.
type Verdict struct {
	SL       Level    `json:"sl"`
	Wait     Level    `json:"wait"`
	Abandon  Level    `json:"abandon"`
	Staffing Level    `json:"staffing"`
	Breaches []string `json:"breaches,omitempty"`
}

// Worst is the gravest level of the verdict.
func (v Verdict) Worst() Level { return max(v.SL, v.Wait, v.Abandon, v.Staffing) }

// AbandonedShare is the share of the calls that ended today that were
// abandoned, 0 before any.
func (f Figures) AbandonedShare() float64 {
	if n := f.Answered + f.Abandoned; n > 0 {
		return float64(f.Abandoned) / float64(n)
	}
	return 0
}

// Evaluate judges a queue's figures against its thresholds. A service
// level or abandoned share with no call behind it yet is OK: 100% of
// nothing is no news. Staffing is amber when fewer agents are present
// (free or busy) than Erlang C needs, red when also callers wait with
// nobody free; it colours but is no breach, since the figure is an
// estimate and the waits it predicts are judged by themselves.
func Evaluate(f Figures, t Thresholds) Verdict {
	var v Verdict
	calls := f.Answered + f.Abandoned
	if calls > 0 {
		switch {
		case f.ServiceLevel < t.SLRed:
			v.SL = Red
		case f.ServiceLevel < t.SLAmber:
			v.SL = Amber
		}
		switch ab := f.AbandonedShare(); {
		case ab > t.AbandonRed:
			v.Abandon = Red
		case ab > t.AbandonAmber:
			v.Abandon = Amber
		}
	}
	if f.Waiting > 0 {
		switch {
		case f.LongestWait > t.WaitRed:
			v.Wait = Red
		case f.LongestWait > t.WaitAmber:
			v.Wait = Amber
		}
	}
	if present := f.Ready + f.Busy; present < f.Needed {
		v.Staffing = Amber
		if f.Waiting > 0 && f.Ready == 0 {
			v.Staffing = Red
		}
	}
	if v.SL == Red {
		v.Breaches = append(v.Breaches, BreachSL)
	}
	if v.Wait == Red {
		v.Breaches = append(v.Breaches, BreachWait)
	}
	if v.Abandon == Red {
		v.Breaches = append(v.Breaches, BreachAbandon)
	}
	return v
}

// Agent states the wall judges by time (the names acd.AgentState prints).
const (
	statePaused = "paused"
	stateWrapUp = "wrap-up"
)

// EvaluateAgent judges how long an agent has been paused or in wrap-up; any
// other state is OK whatever its length. Red is a breach.
func EvaluateAgent(state string, inState time.Duration, t Thresholds) Level {
	amber, red := time.Duration(0), time.Duration(0)
	switch state {
	case statePaused:
		amber, red = t.PauseAmber, t.PauseRed
	case stateWrapUp:
		amber, red = t.WrapupAmber, t.WrapupRed
	default:
		return OK
	}
	switch {
	case inState > red:
		return Red
	case inState > amber:
		return Amber
	}
	return OK
}
