package wall

import (
	"strconv"
	"time"

	"github.com/ascolto/ascolto/store"
)

// AgentDay is one agent's figures since the start of the day.
type AgentDay struct {
	Calls      int           // calls connected (callbacks included)
	Handled    int           // calls whose talk ended, for AHT
	HandleTime time.Duration // talk + hold of those calls, plus their wrap-up
	Pause      time.Duration // time paused, up to now for a pause still running
	pausedAt   time.Time     // when the running pause began; zero when not paused
}

// AHT is the average handle time (talk + hold + wrap-up), 0 before any call.
func (d AgentDay) AHT() time.Duration {
	if d.Handled == 0 {
		return 0
	}
	return d.HandleTime / time.Duration(d.Handled)
}

// Paused says whether the log ends with the agent in a pause.
func (d AgentDay) Paused() bool { return !d.pausedAt.IsZero() }

// Day adds the queue log's agent events (in order, from dayStart) up per
// agent, at now. A pause that began before dayStart shows no PAUSE event:
// pausedSince gives the live pause start of the agents paused now, and
// their pause counts from it (or from dayStart, if earlier).
func Day(evs []store.QueueEvent, dayStart, now time.Time, pausedSince map[string]time.Time) map[string]AgentDay {
	out := map[string]AgentDay{}
	secs := func(s string) time.Duration {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	for _, e := range evs {
		if e.Agent == "" || e.At.Before(dayStart) {
			continue
		}
		d := out[e.Agent]
		switch e.Event {
		case store.QConnect, store.QCallbackConnected:
			d.Calls++
		case store.QCompleteCaller, store.QCompleteAgent:
			d.Handled++
			d.HandleTime += secs(e.Data[1])
		case store.QTransfer:
			d.Handled++
			d.HandleTime += secs(e.Data[3])
		case "WRAPUPEND":
			d.HandleTime += secs(e.Data[0])
		case store.QPause:
			if d.pausedAt.IsZero() {
				d.pausedAt = e.At
			}
		case store.QUnpause, "AGENTLOGOFF":
			if !d.pausedAt.IsZero() {
				d.Pause += e.At.Sub(d.pausedAt)
				d.pausedAt = time.Time{}
			}
		}
		out[e.Agent] = d
	}
	for id, since := range pausedSince {
		d := out[id]
		if d.pausedAt.IsZero() {
			d.pausedAt = since
			if since.Before(dayStart) {
				d.pausedAt = dayStart
			}
		}
		out[id] = d
	}
	for id, d := range out {
		if !d.pausedAt.IsZero() {
			if _, still := pausedSince[id]; still || pausedSince == nil {
				d.Pause += max(now.Sub(d.pausedAt), 0)
			}
		}
		out[id] = d
	}
	return out
}
