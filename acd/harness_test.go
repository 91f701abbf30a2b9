package acd

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// t0 is the morning the tests happen on.
var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// harness drives an engine the way the controller would, keeping every decision.
type harness struct {
	t   *testing.T
	e   *Engine
	now time.Time
	all []Decision
}

func newHarness(t *testing.T, queues []Queue, agents []Agent, opts ...Option) *harness {
	t.Helper()
	e, out, err := New(State{At: t0, Queues: queues, Agents: agents}, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &harness{t: t, e: e, now: t0, all: out}
}

func agents(ids ...string) []Agent {
	out := make([]Agent, len(ids))
	for i, id := range ids {
		out[i] = Agent{ID: id, Site: "AQ"}
	}
	return out
}

func members(ids ...string) []Member {
	out := make([]Member, len(ids))
	for i, id := range ids {
		out[i] = Member{Agent: id}
	}
	return out
}

// at moves the harness clock by d and returns the new time.
func (h *harness) at(d time.Duration) time.Time {
	h.now = h.now.Add(d)
	return h.now
}

// do handles an event stamped with the harness clock and fails on error.
func (h *harness) do(ev Event) []Decision {
	h.t.Helper()
	out, err := h.e.Handle(stamp(ev, h.now))
	h.all = append(h.all, out...)
	if err != nil {
		h.t.Fatalf("%T: %v", ev, err)
	}
	return out
}

// try handles an event and returns its error.
func (h *harness) try(ev Event) ([]Decision, error) {
	out, err := h.e.Handle(stamp(ev, h.now))
	h.all = append(h.all, out...)
	return out, err
}

// wantErr handles an event that must fail with target.
func (h *harness) wantErr(ev Event, target error) {
	h.t.Helper()
	if _, err := h.try(ev); !errors.Is(err, target) {
		h.t.Fatalf("%T: got error %v, want %v", ev, err, target)
	}
}

// stamp sets the event's time when the test left it zero.
func stamp(ev Event, at time.Time) Event {
	switch v := ev.(type) {
	case Arrive:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case Hangup:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case Answer:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case RingFailed:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case Hold:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case Unhold:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case Transfer:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case RequestCallback:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case CallbackAnswered:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case CallbackFailed:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case Login:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case Logout:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case Pause:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case Unpause:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case DeviceState:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case DispositionSaved:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case SetEmergency:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case Tick:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case AddQueue:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case UpdateQueue:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case RemoveQueue:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case AddMember:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case RemoveMember:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case AddAgent:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case RemoveAgent:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case UpdateAgent:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	case ResetCounters:
		if v.At.IsZero() {
			v.At = at
		}
		return v
	}
	panic(fmt.Sprintf("stamp: unknown event %T", ev))
}

func (h *harness) login(ids ...string) {
	h.t.Helper()
	for _, id := range ids {
		h.do(Login{Agent: id})
	}
}

// rings returns the agents rung for call in out, in order.
func rings(out []Decision, call string) []string {
	var ids []string
	for _, d := range out {
		if r, ok := d.(Ring); ok && r.Call == call {
			ids = append(ids, r.Agent)
		}
	}
	return ids
}

// rungAgent returns the single agent rung for call in out, failing otherwise.
func (h *harness) rungAgent(out []Decision, call string) string {
	h.t.Helper()
	ids := rings(out, call)
	if len(ids) != 1 {
		h.t.Fatalf("call %s rang %v, want exactly one agent; decisions: %s", call, ids, describe(out))
	}
	return ids[0]
}

// records returns the records of out with the given event.
func records(out []Decision, ev RecordEvent) []Record {
	var rs []Record
	for _, d := range out {
		if r, ok := d.(Record); ok && r.Event == ev {
			rs = append(rs, r)
		}
	}
	return rs
}

func find[T Decision](out []Decision) []T {
	var ts []T
	for _, d := range out {
		if t, ok := d.(T); ok {
			ts = append(ts, t)
		}
	}
	return ts
}

func describe(out []Decision) string {
	var b strings.Builder
	for _, d := range out {
		fmt.Fprintf(&b, "\n  %T %+v", d, d)
	}
	return b.String()
}

// agentState returns an agent's state as the snapshot shows it.
func (h *harness) agentState(id string) AgentStatus {
	h.t.Helper()
	for _, a := range h.e.Snapshot(h.now).Agents {
		if a.ID == id {
			return a
		}
	}
	h.t.Fatalf("agent %s not in snapshot", id)
	return AgentStatus{}
}

func (h *harness) queueStats(name string) QueueStats {
	h.t.Helper()
	for _, q := range h.e.Snapshot(h.now).Queues {
		if q.Name == name {
			return q
		}
	}
	h.t.Fatalf("queue %s not in snapshot", name)
	return QueueStats{}
}
