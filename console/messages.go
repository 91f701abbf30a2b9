package console

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ascolto/ascolto/store"
)

// builtinMessages are the inbound messages the console itself handles;
// the lead adds the call-panel and wallboard ones with HandleMessage.
func (c *Console) builtinMessages() map[string]MessageFunc {
	return map[string]MessageFunc{
		"subscribe":              c.msgSubscribe,
		"unsubscribe":            c.msgUnsubscribe,
		"sync":                   c.msgSync,
		"alive":                  c.msgAlive,
		"agent.state":            c.msgAgentState,
		"agent.call":             c.msgAgentCall,
		"disposition.save":       c.msgDisposition,
		"kb.pin":                 c.msgKBPin,
		"supervisor.agent.state": c.msgSupervisorAgentState,
		"supervisor.agent.move":  c.msgSupervisorMove,
		"supervisor.listen":      c.msgSupervise(SuperviseListen),
		"supervisor.whisper":     c.msgSupervise(SuperviseWhisper),
		"supervisor.barge":       c.msgSupervise(SuperviseBarge),
		"supervisor.stop":        c.msgSuperviseStop,
		"mode.set":               c.msgModeSet,
	}
}

type topicsData struct {
	Topics []string `json:"topics"`
}

func (d topicsData) check() error {
	if len(d.Topics) == 0 || len(d.Topics) > 20 {
		return badMessage("topics: 1 to 20 names")
	}
	for _, t := range d.Topics {
		if t == "" || len(t) > 100 {
			return badMessage("topics: names of 1 to 100 bytes")
		}
	}
	return nil
}

// msgSubscribe subscribes to topics; if any is not allowed, none is.
func (c *Console) msgSubscribe(_ context.Context, m *Message) (any, error) {
	var d topicsData
	if err := m.Decode(&d); err != nil {
		return nil, err
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	for _, t := range d.Topics {
		if !c.policy.topic(m.Actor.Username, m.Actor.Role, t) {
			return nil, &wsError{"forbidden", "ws.forbidden", "topic " + t}
		}
	}
	c.hub.subscribe(m.c, d.Topics)
	return d, nil
}

func (c *Console) msgUnsubscribe(_ context.Context, m *Message) (any, error) {
	var d topicsData
	if err := m.Decode(&d); err != nil {
		return nil, err
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	c.hub.unsubscribe(m.c, d.Topics)
	return d, nil
}

// msgSync sends the full current state of every subscribed topic, one
// "state" message per topic, then the user's own agent, then "synced".
// Clients send it after connecting and whenever told to resync.
func (c *Console) msgSync(ctx context.Context, m *Message) (any, error) {
	kept, empty := c.hub.state(m.c)
	_, agentsKept := kept[TopicAgents]
	if agentsKept || slices.Contains(empty, TopicAgents) || slices.Contains(empty, TopicQueues) {
		// Nothing published yet (the service just started), or agents the
		// ACD has not announced since (no state change): ask the ACD, so
		// every agent's row is live, with its queues and actions.
		if s, err := c.backend.Snapshot(ctx); err == nil {
			if slices.Contains(empty, TopicAgents) || slices.Contains(empty, TopicQueues) {
				c.PublishSnapshot(s)
			}
			for _, a := range s.Agents {
				if !c.hub.retains(TopicAgents, "agent.state", a.ID) {
					c.hub.Publish(TopicAgents, "agent.state", a.ID, a)
				}
			}
			kept, _ = c.hub.state(m.c)
		}
	}
	for t, frames := range kept {
		if !strings.HasPrefix(t, "user:") {
			b, _ := c.hub.encode(t, "state", "", frames)
			m.c.enqueue(b)
		}
	}
	if a, err := c.backend.AgentFor(ctx, m.Actor.Username); err == nil {
		b, _ := c.hub.encode(UserTopic(m.Actor.Username), "agent.self", "", a)
		m.c.enqueue(b)
	}
	if c.policy.allows(m.Actor.Role, PermAgentSelf) {
		b, _ := c.hub.encode(UserTopic(m.Actor.Username), "desk.calls", "", map[string]any{"calls": c.desk.list(m.Actor.Username)})
		m.c.enqueue(b)
	}
	b, _ := c.hub.encode("", "synced", "", nil)
	m.c.enqueue(b)
	return nil, nil
}

// msgAlive records that the person is at the keyboard (session idle time).
func (c *Console) msgAlive(ctx context.Context, m *Message) (any, error) {
	return nil, c.db.TouchSession(ctx, m.c.session)
}

type stateData struct {
	Agent  string `json:"agent,omitempty"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

func (d stateData) check(needAgent bool) error {
	switch d.State {
	case StateAvailable, StateLoggedOut:
	case StatePaused:
		if d.Reason == "" {
			return badMessage("reason is required to pause")
		}
	default:
		return badMessage("state must be available, paused or logged-out")
	}
	if len(d.Reason) > 64 {
		return badMessage("reason longer than 64 bytes")
	}
	if needAgent && (d.Agent == "" || len(d.Agent) > 64) {
		return badMessage("agent is required")
	}
	return nil
}

// msgAgentState changes the sender's own state.
func (c *Console) msgAgentState(ctx context.Context, m *Message) (any, error) {
	var d stateData
	if err := m.Decode(&d); err != nil {
		return nil, err
	}
	if err := d.check(false); err != nil {
		return nil, err
	}
	if d.Agent != "" {
		return nil, badMessage("agent: use supervisor.agent.state to change another agent")
	}
	a, err := c.backend.AgentFor(ctx, m.Actor.Username)
	if err != nil {
		return nil, err
	}
	return c.changeAgent(ctx, m.Actor, a.ID, d)
}

// msgSupervisorAgentState pauses, frees or logs out another agent.
func (c *Console) msgSupervisorAgentState(ctx context.Context, m *Message) (any, error) {
	var d stateData
	if err := m.Decode(&d); err != nil {
		return nil, err
	}
	if err := d.check(true); err != nil {
		return nil, err
	}
	return c.changeAgent(ctx, m.Actor, d.Agent, d)
}

func (c *Console) changeAgent(ctx context.Context, by Actor, agentID string, d stateData) (any, error) {
	v, err := c.backend.SetAgentState(ctx, by, agentID, StateChange{State: d.State, Reason: d.Reason})
	if err != nil {
		return nil, err
	}
	c.auditActor(ctx, by, "agent.state", "agent:"+agentID, map[string]any{"state": d.State, "reason": d.Reason})
	return v, nil
}

// msgAgentCall acts on the sender's current call.
func (c *Console) msgAgentCall(ctx context.Context, m *Message) (any, error) {
	var d CallAction
	if err := m.Decode(&d); err != nil {
		return nil, err
	}
	switch d.Action {
	case CallAnswer, CallHangup, CallHold, CallUnhold:
		if d.Target != "" {
			return nil, badMessage("target is only for transfer")
		}
	case CallTransfer:
		if d.Target == "" || len(d.Target) > 64 {
			return nil, badMessage("transfer needs a target")
		}
	default:
		return nil, badMessage("action must be answer, hangup, hold, unhold or transfer")
	}
	a, err := c.backend.AgentFor(ctx, m.Actor.Username)
	if err != nil {
		return nil, err
	}
	if err := c.backend.CallAction(ctx, m.Actor, a.ID, d); err != nil {
		return nil, err
	}
	if d.Action == CallHold || d.Action == CallUnhold {
		c.desk.held(m.Actor.Username, d.Action == CallHold)
	}
	c.auditActor(ctx, m.Actor, "call."+d.Action, "agent:"+a.ID, map[string]any{"target": d.Target})
	return nil, nil
}

// Disposition limits.
const maxNotes = 4000

// msgDisposition saves the outcome of the sender's call.
func (c *Console) msgDisposition(ctx context.Context, m *Message) (any, error) {
	var d Disposition
	if err := m.Decode(&d); err != nil {
		return nil, err
	}
	switch {
	case d.Call == "" || len(d.Call) > 128:
		return nil, badMessage("call is required")
	case d.Category == "" || len(d.Category) > 64 || d.Outcome == "" || len(d.Outcome) > 64:
		return nil, badMessage("category and outcome are required")
	case len(d.CallerType) > 64:
		return nil, badMessage("caller_type longer than 64 bytes")
	case len(d.Notes) > maxNotes:
		return nil, badMessage(fmt.Sprintf("notes longer than %d bytes", maxNotes))
	case d.ComuneCode != "" && !sixDigits(d.ComuneCode):
		return nil, badMessage("comune must be a 6-digit ISTAT code")
	}
	if d.Urgency == "" {
		d.Urgency = store.UrgencyNone
	}
	if d.Urgency != store.UrgencyNone && d.Urgency != store.UrgencyElevated && d.Urgency != store.UrgencyRescue {
		return nil, badMessage("urgency must be none, elevated or rescue")
	}
	if err := checkRescue(&d); err != nil {
		return nil, err
	}
	a, err := c.backend.AgentFor(ctx, m.Actor.Username)
	if err != nil {
		return nil, err
	}
	res, err := c.backend.SaveDisposition(ctx, m.Actor, a.ID, d)
	if err != nil {
		return nil, err
	}
	c.desk.saved(m.Actor.Username, d.Call, res.TrackingID)
	return res, nil
}

func sixDigits(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

type pinData struct {
	Article int64  `json:"article"`
	Case    string `json:"case"`
}

// msgKBPin pins a published article to a case by its tracking id.
func (c *Console) msgKBPin(ctx context.Context, m *Message) (any, error) {
	var d pinData
	if err := m.Decode(&d); err != nil {
		return nil, err
	}
	if d.Article <= 0 {
		return nil, badMessage("article must be a positive id")
	}
	return c.pin(ctx, m.Actor.Username, d.Case, d.Article)
}

func (c *Console) pin(ctx context.Context, username, trackingID string, article int64) (store.KBPin, error) {
	trackingID = strings.ToUpper(strings.TrimSpace(trackingID))
	if !store.ValidTrackingID(trackingID) {
		return store.KBPin{}, badMessage("case must be a tracking id like CC-2026-000123")
	}
	cs, err := c.db.CaseByTrackingID(ctx, trackingID)
	if err != nil {
		return store.KBPin{}, err
	}
	return c.db.PinKBArticle(ctx, cs.ID, article, username)
}

func (c *Console) auditActor(ctx context.Context, by Actor, action, object string, detail map[string]any) {
	if err := c.db.Audit(ctx, store.AuditEntry{Actor: by.Username, Action: action, Object: object, Detail: detail, Remote: by.Remote}); err != nil {
		c.log.Warn("audit: " + err.Error())
	}
}
