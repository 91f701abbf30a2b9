package console

import (
	"errors"
	"net/http"
)

// deskData is what the agent desk shows before the WebSocket takes over.
type deskData struct {
	Agent   AgentView
	HasSeat bool
	Reasons []PauseReason
	Notice  string // catalog key: ACD not connected, no seat
}

// agentPage is the agent desk: state control, phone, queues, the call
// panel placeholder (the lead's), and the knowledge-base panel.
func (c *Console) agentPage(v *visit) error {
	ctx := v.r.Context()
	d := deskData{}
	a, err := c.backend.AgentFor(ctx, v.user.Username)
	switch {
	case err == nil:
		d.Agent, d.HasSeat = a, true
	case errors.Is(err, ErrNotWired):
		d.Notice = "error.notwired"
	case errors.Is(err, ErrNoAgent):
		d.Notice = "error.noagent"
	default:
		return err
	}
	if d.HasSeat {
		if d.Reasons, err = c.backend.PauseReasons(ctx); err != nil && !errors.Is(err, ErrNotWired) {
			return err
		}
	}
	p := c.newPage(v, "desk.title", d)
	p.Topics = "queues mode kb"
	return c.render(v, http.StatusOK, "agent", p)
}

// wallData is what the wallboard shows before the WebSocket takes over.
type wallData struct {
	Snapshot Snapshot
	Wired    bool
	Reasons  []PauseReason
}

// supervisorPage is the wallboard: queues and agents live, with the
// placeholder where the lead plugs in figures, charts and actions.
func (c *Console) supervisorPage(v *visit) error {
	ctx := v.r.Context()
	d := wallData{}
	s, err := c.backend.Snapshot(ctx)
	switch {
	case err == nil:
		d.Snapshot, d.Wired = s, true
	case errors.Is(err, ErrNotWired):
	default:
		return err
	}
	if d.Wired {
		if d.Reasons, err = c.backend.PauseReasons(ctx); err != nil {
			return err
		}
	}
	p := c.newPage(v, "wall.title", d)
	p.Topics = "queues agents mode kb"
	return c.render(v, http.StatusOK, "supervisor", p)
}
