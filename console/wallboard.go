package console

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ascolto/ascolto/store"
)

// wallData is what the wallboard shows before the WebSocket takes over.
type wallData struct {
	wallAgents
	Snapshot Snapshot
	Sites    []QueueView
	Modes    []string
	CanMode  bool
}

// supervisorPage is the wallboard: the wall display's tiles, queues and
// sites live, charts of the last hours, the compact agent table the wall
// display has, and the supervisor's actions.
func (c *Console) supervisorPage(v *visit) error {
	shared, s, err := c.loadWallAgents(v.r.Context())
	if err != nil {
		return err
	}
	d := wallData{wallAgents: shared, Snapshot: s, Modes: []string{store.ModeOrdinary, store.ModeEmergency, store.ModeClosed},
		CanMode: c.policy.allows(v.user.Role, PermMode)}
	if d.Wired {
		d.Sites = SiteTotals(s)
	}
	p := c.newPage(v, "wall.title", d)
	p.Topics = "queues agents mode kb"
	p.Scripts = []string{"wallboard.js", "wall.js"}
	return c.render(v, http.StatusOK, "supervisor", p)
}

// SiteTotals adds the queues of each site up for the wallboard's per-site
// view: counts are summed, the longest wait is the longest, service
// level, ASA and AHT are weighted by the calls behind them, and agents
// are counted once per site from the agents' own states (an agent in
// three queues is one person). The staffing need is the sum of the
// queues' Erlang C estimates, an upper bound when agents serve several
// queues.
func SiteTotals(s Snapshot) []QueueView {
	by := map[string]*QueueView{}
	weightSL := map[string]float64{}
	var order []string
	site := func(name string) *QueueView {
		if name == "" {
			name = "—"
		}
		v := by[name]
		if v == nil {
			v = &QueueView{Name: name, Site: name}
			by[name] = v
			order = append(order, name)
		}
		return v
	}
	for _, q := range s.Queues {
		v := site(q.Site)
		v.Waiting += q.Waiting
		v.LongestWaitS = max(v.LongestWaitS, q.LongestWaitS)
		calls := float64(q.Answered + q.Abandoned)
		v.ServiceLevel += q.ServiceLevel * calls
		weightSL[v.Name] += calls
		v.ASAS += q.ASAS * q.Answered
		v.AHTS += q.AHTS * q.Answered
		v.Answered += q.Answered
		v.Abandoned += q.Abandoned
		v.StaffingNeeded += q.StaffingNeeded
	}
	for _, a := range s.Agents {
		v := site(a.Site)
		switch a.State {
		case StateAvailable:
			v.AgentsReady++
		case StateRinging, StateReserved, StateOnCall, StateWrapUp:
			v.AgentsBusy++
		}
	}
	out := make([]QueueView, 0, len(order))
	sort.Strings(order)
	for _, name := range order {
		v := by[name]
		if w := weightSL[name]; w > 0 {
			v.ServiceLevel /= w
		} else {
			v.ServiceLevel = 1
		}
		if v.Answered > 0 {
			v.ASAS /= v.Answered
			v.AHTS /= v.Answered
		}
		out = append(out, *v)
	}
	return out
}

type moveData struct {
	Agent string `json:"agent"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// msgSupervisorMove moves an agent from one queue to another.
func (c *Console) msgSupervisorMove(ctx context.Context, m *Message) (any, error) {
	var d moveData
	if err := m.Decode(&d); err != nil {
		return nil, err
	}
	switch {
	case d.Agent == "" || len(d.Agent) > 64:
		return nil, badMessage("agent is required")
	case d.To == "" || len(d.To) > 64 || len(d.From) > 64:
		return nil, badMessage("to is required (a queue name); from is optional")
	case d.From == d.To:
		return nil, badMessage("from and to are the same queue")
	}
	sup, ok := c.backend.(Supervisor)
	if !ok {
		return nil, ErrNotWired
	}
	if err := sup.MoveAgent(ctx, m.Actor, d.Agent, d.From, d.To); err != nil {
		return nil, err
	}
	c.auditActor(ctx, m.Actor, "agent.move", "agent:"+d.Agent, map[string]any{"from": d.From, "to": d.To})
	return d, nil
}

type watchData struct {
	Agent string `json:"agent"`
}

// msgSupervise returns the handler of one supervision mode.
func (c *Console) msgSupervise(mode string) MessageFunc {
	return func(ctx context.Context, m *Message) (any, error) {
		var d watchData
		if err := m.Decode(&d); err != nil {
			return nil, err
		}
		if d.Agent == "" || len(d.Agent) > 64 {
			return nil, badMessage("agent is required")
		}
		sup, ok := c.backend.(Supervisor)
		if !ok {
			return nil, ErrNotWired
		}
		if err := sup.Supervise(ctx, m.Actor, d.Agent, mode); err != nil {
			return nil, err
		}
		c.auditActor(ctx, m.Actor, "supervisor."+mode, "agent:"+d.Agent, nil)
		return map[string]string{"agent": d.Agent, "mode": mode}, nil
	}
}

// msgSuperviseStop ends the supervisor's running supervision.
func (c *Console) msgSuperviseStop(ctx context.Context, m *Message) (any, error) {
	var d struct{}
	if err := m.Decode(&d); err != nil {
		return nil, err
	}
	sup, ok := c.backend.(Supervisor)
	if !ok {
		return nil, ErrNotWired
	}
	if err := sup.StopSupervision(ctx, m.Actor); err != nil {
		return nil, err
	}
	c.auditActor(ctx, m.Actor, "supervisor.stop", "", nil)
	return map[string]string{"stopped": "ok"}, nil
}

type modeData struct {
	Mode   string `json:"mode"`
	Reason string `json:"reason"`
}

// maxModeReason bounds the reason of a mode switch.
const maxModeReason = 500

// msgModeSet switches the operating mode; the reason is mandatory and the
// store audits the change. Everyone's pages hear the new mode at once.
func (c *Console) msgModeSet(ctx context.Context, m *Message) (any, error) {
	var d modeData
	if err := m.Decode(&d); err != nil {
		return nil, err
	}
	d.Reason = strings.TrimSpace(d.Reason)
	switch {
	case d.Mode != store.ModeOrdinary && d.Mode != store.ModeEmergency && d.Mode != store.ModeClosed:
		return nil, badMessage("mode must be ordinary, emergency or closed")
	case utf8.RuneCountInString(d.Reason) < 3:
		return nil, badMessage("reason is required (at least 3 characters)")
	case len(d.Reason) > maxModeReason:
		return nil, badMessage("reason longer than 500 bytes")
	}
	ch := store.ModeChange{Mode: d.Mode, Reason: d.Reason, SetBy: m.Actor.Username}
	if err := c.db.SetMode(ctx, &ch); err != nil {
		return nil, err
	}
	v := ModeView{Mode: ch.Mode, Reason: ch.Reason, SetBy: ch.SetBy, SetAt: ch.SetAt}
	c.PublishMode(v)
	return v, nil
}

// History of the last hours for the wallboard's charts, from the queue
// log: calls offered, answered and abandoned per quarter hour and queue.
const (
	historyStep = 15 * time.Minute
	historyTTL  = 5 * time.Second
	historyMaxH = 12
)

// QueueHistory is one queue's series, one value per step.
type QueueHistory struct {
	Offered   []int `json:"offered"`
	Answered  []int `json:"answered"`
	Abandoned []int `json:"abandoned"`
}

// History is what /api/wallboard/history returns.
type History struct {
	From   time.Time               `json:"from"`
	StepS  int                     `json:"step_s"`
	Queues map[string]QueueHistory `json:"queues"`
	Total  QueueHistory            `json:"total"`
}

// historyCache keeps the last answer a few seconds: every wallboard asks
// when it opens, and the queue log of hours of surge is not small.
type historyCache struct {
	mu    sync.Mutex
	at    time.Time
	hours int
	h     History
}

func (c *Console) wallHistory(v *visit) error {
	hours := 4
	if s := v.r.URL.Query().Get("hours"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > historyMaxH {
			return failure(http.StatusBadRequest, "wall.badhours")
		}
		hours = n
	}
	now := c.clock.Now()
	c.history.mu.Lock()
	defer c.history.mu.Unlock()
	if c.history.hours != hours || now.Sub(c.history.at) > historyTTL || now.Before(c.history.at) {
		h, err := c.buildHistory(v.r.Context(), now, hours)
		if err != nil {
			return err
		}
		c.history.at, c.history.hours, c.history.h = now, hours, h
	}
	writeJSON(v.w, http.StatusOK, c.history.h)
	return nil
}

func (c *Console) buildHistory(ctx context.Context, now time.Time, hours int) (History, error) {
	steps := hours * int(time.Hour/historyStep)
	from := now.Truncate(historyStep).Add(-time.Duration(steps-1) * historyStep)
	h := History{From: from, StepS: int(historyStep.Seconds()), Queues: map[string]QueueHistory{}, Total: newSeries(steps)}
	evs, err := c.db.QueueEvents(ctx, store.QueueEventFilter{Since: &from, Limit: 200000})
	if err != nil {
		return History{}, err
	}
	for _, e := range evs {
		i := int(e.At.Sub(from) / historyStep)
		if i < 0 || i >= steps {
			continue
		}
		q, ok := h.Queues[e.Queue]
		if !ok {
			q = newSeries(steps)
		}
		switch e.Event {
		case "ENTERQUEUE":
			q.Offered[i]++
			h.Total.Offered[i]++
		case "CONNECT":
			q.Answered[i]++
			h.Total.Answered[i]++
		case "ABANDON":
			q.Abandoned[i]++
			h.Total.Abandoned[i]++
		default:
			continue
		}
		h.Queues[e.Queue] = q
	}
	return h, nil
}

func newSeries(n int) QueueHistory {
	return QueueHistory{Offered: make([]int, n), Answered: make([]int, n), Abandoned: make([]int, n)}
}
