package console

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/ascolto/ascolto/clock"
)

// DeskCall is a call on an agent's desk as the console follows it: the
// screen pop the ACD sent, whether the agent answered it, and whether its
// disposition was saved. A call answered and not saved once the agent has
// left it (wrap-up ended by the ACD's timer, or the next call) is overdue:
// the desk keeps reminding the agent until the form is saved, because an
// empty record must never pass silently.
type DeskCall struct {
	Call      string          `json:"call"`
	Pop       json.RawMessage `json:"pop"`
	OfferedAt time.Time       `json:"offered_at"`
	Answered  bool            `json:"answered"`
	Overdue   bool            `json:"overdue"`
	// Held says the agent put the caller on hold (the desk then offers
	// Resume, not Hold).
	Held       bool   `json:"held"`
	TrackingID string `json:"tracking_id,omitempty"`
}

// maxDeskCalls bounds what is kept per agent: the current call and the
// unsaved ones before it.
const maxDeskCalls = 8

// deskCalls follows each agent's calls from the offers and state changes
// the Backend publishes. It lives in memory: after a restart the agents'
// unsaved forms are no longer recalled (the calls without a disposition
// remain in the store for a supervisor to find).
type deskCalls struct {
	hub   *Hub
	clock clock.Clock

	mu     sync.Mutex
	byUser map[string][]*DeskCall
	state  map[string]string // last published state per user
	call   map[string]string // call the agent is on, when the Backend says
}

func newDeskCalls(h *Hub, c clock.Clock) *deskCalls {
	return &deskCalls{hub: h, clock: c, byUser: map[string][]*DeskCall{}, state: map[string]string{}, call: map[string]string{}}
}

// offered records a screen pop; payload is the Backend's pop, opaque here
// but for its "call" field.
func (d *deskCalls) offered(user string, payload any) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return
	}
	var id struct {
		Call string `json:"call"`
	}
	if json.Unmarshal(raw, &id) != nil || id.Call == "" {
		return
	}
	d.mu.Lock()
	list := d.byUser[user]
	// A new offer drops offers never answered and saved calls: only the
	// new call and unsaved answered ones stay on the desk.
	kept := list[:0]
	for _, c := range list {
		if c.Answered && c.TrackingID == "" && c.Call != id.Call {
			kept = append(kept, c)
		}
	}
	dc := &DeskCall{Call: id.Call, Pop: raw, OfferedAt: d.clock.Now()}
	if d.state[user] == StateOnCall {
		dc.Answered = true // the answer overtook the pop
	}
	kept = append(kept, dc)
	if len(kept) > maxDeskCalls {
		kept = kept[len(kept)-maxDeskCalls:]
	}
	d.byUser[user] = kept
	d.markOverdue(user)
	d.mu.Unlock()
	d.publish(user)
}

// agentChanged follows the agent's state: on-call answers the newest
// offer; leaving a call (wrap-up over, or the next call) makes an unsaved
// call overdue.
func (d *deskCalls) agentChanged(v AgentView) {
	d.mu.Lock()
	user := v.Username
	prev := d.state[user]
	d.state[user] = v.State
	if v.Call != "" {
		d.call[user] = v.Call
	}
	list := d.byUser[user]
	changed := false
	if v.State == StateOnCall && len(list) > 0 {
		cur := list[len(list)-1]
		if v.Call != "" {
			for _, c := range list {
				if c.Call == v.Call {
					cur = c
				}
			}
		}
		if !cur.Answered {
			cur.Answered, changed = true, true
		}
	}
	if (v.State == StateAvailable || v.State == StatePaused || v.State == StateLoggedOut || v.State == StateRinging) && len(list) > 0 {
		// Offers that rang out without an answer leave the desk.
		kept := list[:0]
		for i, c := range list {
			if !c.Answered && !(v.State == StateRinging && i == len(list)-1) {
				changed = true
				continue
			}
			kept = append(kept, c)
		}
		d.byUser[user] = kept
	}
	if d.markOverdue(user) {
		changed = true
	}
	d.mu.Unlock()
	if changed || prev != v.State {
		d.publish(user)
	}
}

// markOverdue flags answered, unsaved calls the agent is no longer on; it
// reports whether a flag changed. d.mu is held.
func (d *deskCalls) markOverdue(user string) bool {
	st := d.state[user]
	list := d.byUser[user]
	changed := false
	lastAnswered := -1
	for i, c := range list {
		if c.Answered {
			lastAnswered = i
		}
	}
	for i, c := range list {
		if !c.Answered || c.TrackingID != "" || c.Overdue {
			continue
		}
		onIt := i == lastAnswered && (st == StateOnCall || st == StateWrapUp)
		if !onIt {
			c.Overdue, changed = true, true
		}
	}
	return changed
}

// held records that the agent put their current call on hold or resumed
// it: the answered call they are on, or the newest answered one.
func (d *deskCalls) held(user string, on bool) {
	d.mu.Lock()
	var cur *DeskCall
	for _, c := range d.byUser[user] {
		if c.Answered && (cur == nil || c.Call == d.call[user]) {
			cur = c
		}
	}
	changed := cur != nil && cur.Held != on
	if changed {
		cur.Held = on
	}
	d.mu.Unlock()
	if changed {
		d.publish(user)
	}
}

// saved records that a call's disposition was saved.
func (d *deskCalls) saved(user, call, trackingID string) {
	d.mu.Lock()
	found := false
	for _, c := range d.byUser[user] {
		if c.Call == call {
			c.TrackingID, c.Overdue, found = trackingID, false, true
		}
	}
	if !found && call != "" {
		// Saved from another seat's tab or after a restart: nothing to remind.
		d.byUser[user] = append(d.byUser[user], &DeskCall{Call: call, Pop: json.RawMessage(`{"call":` + quote(call) + `}`),
			OfferedAt: d.clock.Now(), Answered: true, TrackingID: trackingID})
		if n := len(d.byUser[user]); n > maxDeskCalls {
			d.byUser[user] = d.byUser[user][n-maxDeskCalls:]
		}
	}
	d.mu.Unlock()
	d.publish(user)
}

// list returns a copy of the user's desk calls, oldest first.
func (d *deskCalls) list(user string) []DeskCall {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]DeskCall, 0, len(d.byUser[user]))
	for _, c := range d.byUser[user] {
		out = append(out, *c)
	}
	return out
}

// publish sends the user's desk calls to their tabs (every tab shows the
// same calls and the same reminders).
func (d *deskCalls) publish(user string) {
	d.hub.Send(UserTopic(user), "desk.calls", map[string]any{"calls": d.list(user)})
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
