package wall

import (
	"time"

	"github.com/ascolto/ascolto/store"
)

// Level is how a figure stands against its thresholds.
type Level int

// Levels, in increasing gravity.
const (
	OK Level = iota
	Amber
	Red
)

// String names the level as the console's CSS classes and messages do.
func (l Level) String() string {
	switch l {
	case Amber:
		return "amber"
	case Red:
		return "red"
	}
	return "ok"
}

// MarshalText writes the level's name into JSON.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// Thresholds are one queue's resolved thresholds. A service level below
// SLAmber is amber, below SLRed red; a wait, an abandoned share, a pause or
// a wrap-up above its amber value is amber, above its red value red.
type Thresholds struct {
	SLAmber, SLRed           float64 // 0..1
	WaitAmber, WaitRed       time.Duration
	AbandonAmber, AbandonRed float64 // 0..1
	PauseAmber, PauseRed     time.Duration
	WrapupAmber, WrapupRed   time.Duration
}

// Defaults a queue's thresholds take from its service-level target
// (percent of calls answered within seconds) when nobody set them:
//   - service level: red below the target (the breach), amber within 5 points above it;
//   - longest wait: amber past the target's seconds (this caller already misses
//     it), red past three times them;
//   - abandoned: red above half the share the target leaves unanswered
//     (10% for 80/20), at least 2%; amber at half of red;
//   - pause: amber after 10 minutes, red after 15; wrap-up: amber after 2, red after 5.
func Defaults(slPercent, slSeconds int) Thresholds {
	if slPercent <= 0 || slPercent > 100 {
		slPercent = 80
	}
	if slSeconds <= 0 {
		slSeconds = 20
	}
	within := time.Duration(slSeconds) * time.Second
	abandonRed := max(float64(100-slPercent)/2, 2) / 100
	return Thresholds{
		SLRed: float64(slPercent) / 100, SLAmber: min(float64(slPercent+5), 100) / 100,
		WaitAmber: within, WaitRed: 3 * within,
		AbandonAmber: abandonRed / 2, AbandonRed: abandonRed,
		PauseAmber: 10 * time.Minute, PauseRed: 15 * time.Minute,
		WrapupAmber: 2 * time.Minute, WrapupRed: 5 * time.Minute,
	}
}

// Resolve is the queue's thresholds: those set in the store, the defaults
// from its target for the rest. A value set on one side only moves the
// default on the other side with it when they would cross, so amber always
// warns before red.
func Resolve(slPercent, slSeconds int, set store.QueueThreshold) Thresholds {
	t := Defaults(slPercent, slSeconds)
	pct := func(dst *float64, v *int) {
		if v != nil {
			*dst = float64(*v) / 100
		}
	}
	secs := func(dst *time.Duration, v *int) {
		if v != nil {
			*dst = time.Duration(*v) * time.Second
		}
	}
	pct(&t.SLAmber, set.SLAmberPct)
	pct(&t.SLRed, set.SLRedPct)
	secs(&t.WaitAmber, set.WaitAmberS)
	secs(&t.WaitRed, set.WaitRedS)
	pct(&t.AbandonAmber, set.AbandonAmberPct)
	pct(&t.AbandonRed, set.AbandonRedPct)
	secs(&t.PauseAmber, set.PauseAmberS)
	secs(&t.PauseRed, set.PauseRedS)
	secs(&t.WrapupAmber, set.WrapupAmberS)
	secs(&t.WrapupRed, set.WrapupRedS)
	// Keep amber on the warning side of red whichever side was set.
	if t.SLAmber < t.SLRed {
		if set.SLAmberPct != nil {
			t.SLRed = t.SLAmber
		} else {
			t.SLAmber = t.SLRed
		}
	}
	order := func(amber, red *time.Duration, amberSet bool) {
		if *amber > *red {
			if amberSet {
				*red = *amber
			} else {
				*amber = *red
			}
		}
	}
	order(&t.WaitAmber, &t.WaitRed, set.WaitAmberS != nil)
	order(&t.PauseAmber, &t.PauseRed, set.PauseAmberS != nil)
	order(&t.WrapupAmber, &t.WrapupRed, set.WrapupAmberS != nil)
	if t.AbandonAmber > t.AbandonRed {
		if set.AbandonAmberPct != nil {
			t.AbandonRed = t.AbandonAmber
		} else {
			t.AbandonAmber = t.AbandonRed
		}
	}
	return t
}

// Strictest combines the thresholds of several queues, each at its least
// patient: an agent serving several queues is judged by the strictest, and
// so is a site by its queues.
func Strictest(ts ...Thresholds) Thresholds {
	if len(ts) == 0 {
		return Defaults(0, 0)
	}
	out := ts[0]
	for _, t := range ts[1:] {
		out.SLAmber = max(out.SLAmber, t.SLAmber)
		out.SLRed = max(out.SLRed, t.SLRed)
		out.WaitAmber = min(out.WaitAmber, t.WaitAmber)
		out.WaitRed = min(out.WaitRed, t.WaitRed)
		out.AbandonAmber = min(out.AbandonAmber, t.AbandonAmber)
		out.AbandonRed = min(out.AbandonRed, t.AbandonRed)
		out.PauseAmber = min(out.PauseAmber, t.PauseAmber)
		out.PauseRed = min(out.PauseRed, t.PauseRed)
		out.WrapupAmber = min(out.WrapupAmber, t.WrapupAmber)
		out.WrapupRed = min(out.WrapupRed, t.WrapupRed)
	}
	return out
}
