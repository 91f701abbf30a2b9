package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ascolto/ascolto/wall"
	"go.uber.org/zap"
)

// The wall display (/supervisor/wall, and the top of /supervisor): each
// queue's and site's figures in large type, coloured by package wall
// against the queue's thresholds, the breaches that sound the alert, and
// the agents in one compact line each with their figures of the day. The
// figures ride on the queue snapshot the controller publishes each second
// ("wall.figures" on the queues topic); the agents' figures of the day are
// read from the queue log every wallDayEvery ("wall.agents" on the agents
// topic). Thresholds are read from the store every wallThEvery, so a change
// made with `ascolto queue threshold` in another process shows within that.
const (
	wallThEvery  = 5 * time.Second
	wallDayEvery = 15 * time.Second
	// wallDayPage is how many queue-log rows one read of the figures of
	// the day takes at most; a longer stretch is read in several.
	wallDayPage = 50000
)

// wallCache keeps what the wall needs from the store between reads.
type wallCache struct {
	mu     sync.Mutex
	thAt   time.Time
	th     map[string]wall.Thresholds // by queue
	target map[string][2]int          // by queue: percent, seconds
	dayAt  time.Time
	day    map[string]WallAgentDay
	// dayMu serialises the reads of the queue log into tally (screens
	// opening at once wait for one read instead of each making its own).
	dayMu sync.Mutex
	tally *wall.Tally
}

// WallThresholds are a queue's thresholds as the page shows them.
type WallThresholds struct {
	SLAmberPct      float64 `json:"sl_amber_pct"`
	SLRedPct        float64 `json:"sl_red_pct"`
	WaitAmberS      int     `json:"wait_amber_s"`
	WaitRedS        int     `json:"wait_red_s"`
	AbandonAmberPct float64 `json:"abandon_amber_pct"`
	AbandonRedPct   float64 `json:"abandon_red_pct"`
}

// WallFigure is one queue's or site's tile set.
type WallFigure struct {
	Name         string         `json:"name"`
	Site         string         `json:"site,omitempty"`
	Target       string         `json:"target,omitempty"` // "80/20"; empty for a site whose queues differ
	Waiting      int            `json:"waiting"`
	LongestWaitS int            `json:"longest_wait_s"`
	HasCalls     bool           `json:"has_calls"` // service level and abandoned share mean something
	SLPct        float64        `json:"sl_pct"`
	Answered     int            `json:"answered"`
	Abandoned    int            `json:"abandoned"`
	AbandonedPct float64        `json:"abandoned_pct"`
	Ready        int            `json:"ready"`
	Busy         int            `json:"busy"`
	Paused       int            `json:"paused"`
	Present      int            `json:"present"` // ready + busy
	Needed       int            `json:"needed"`  // Erlang C for the target at the current arrival rate
	Th           WallThresholds `json:"th"`
	V            wall.Verdict   `json:"v"`
}

// WallAgent is an agent judged by time in pause or wrap-up (amber or red only).
type WallAgent struct {
	ID    string     `json:"id"`
	Name  string     `json:"name"`
	State string     `json:"state"`
	Since time.Time  `json:"since"`
	Level wall.Level `json:"level"`
}

// WallBreach is one reason for the alert: a queue's figure or an agent past red.
type WallBreach struct {
	Kind    string  `json:"kind"`    // sl, wait, abandon, pause, wrap-up
	Subject string  `json:"subject"` // queue name or agent id
	Name    string  `json:"name"`    // what the page writes for the subject
	Unit    string  `json:"unit"`    // "pct" or "s": how the page writes value and limit
	Value   float64 `json:"value"`   // the figure
	Limit   float64 `json:"limit"`   // the threshold it crossed
}

// WallView is what the wall shows at one moment.
type WallView struct {
	At       time.Time    `json:"at"`
	Queues   []WallFigure `json:"queues"`
	Sites    []WallFigure `json:"sites"`
	Agents   []WallAgent  `json:"agents"`
	Breaches []WallBreach `json:"breaches"`
}

// WallAgentDay is one agent's figures of the day for the page.
type WallAgentDay struct {
	Calls  int `json:"calls"`
	AHTS   int `json:"aht_s"`
	PauseS int `json:"pause_s"`
}

// wallAgents is what the wall display and the wallboard share: the tiles,
// the compact agent table with its figures of the day, and its toolbar
// (the pause reason and the queue to move to, the "wall-agents" template).
type wallAgents struct {
	Wall    WallView
	Agents  []AgentView
	Day     map[string]WallAgentDay
	Wired   bool
	Reasons []PauseReason
	Queues  []string
	Watch   bool // the Backend can listen, whisper, barge and move
}

// Init is what wall.js starts from before the WebSocket delivers.
func (d wallAgents) Init() any {
	return map[string]any{"wall": d.Wall, "agents": d.Agents, "day": d.Day}
}

// loadWallAgents reads what the shared part of both pages shows, and the
// snapshot it was drawn from (empty when the ACD is not wired).
func (c *Console) loadWallAgents(ctx context.Context) (wallAgents, Snapshot, error) {
	d := wallAgents{Day: map[string]WallAgentDay{}, Agents: []AgentView{}}
	_, d.Watch = c.backend.(Supervisor)
	// The cached copies (at most 5 and 15 s old) serve every screen that
	// opens: a room of supervisors opening the page at once reads the day's
	// queue log once.
	if err := c.loadWallThresholds(ctx, false); err != nil {
		return d, Snapshot{}, err
	}
	s, err := c.backend.Snapshot(ctx)
	switch {
	case err == nil:
		d.Wired = true
		if s.Agents != nil {
			d.Agents = s.Agents
		}
		if err := c.loadAgentDay(ctx, s, false); err != nil {
			return d, s, err
		}
		if d.Reasons, err = c.backend.PauseReasons(ctx); err != nil {
			return d, s, err
		}
	case isNotWired(err):
		s = Snapshot{}
	default:
		return d, s, err
	}
	d.Wall = c.wallView(s)
	c.wall.mu.Lock()
	for k, x := range c.wall.day {
		d.Day[k] = x
	}
	c.wall.mu.Unlock()
	if d.Queues, err = c.db.QueueNames(ctx); err != nil {
		return d, s, err
	}
	return d, s, nil
}

func (c *Console) wallPage(v *visit) error {
	d, _, err := c.loadWallAgents(v.r.Context())
	if err != nil {
		return err
	}
	p := c.newPage(v, "wall.big.title", d)
	p.Topics = "queues agents mode"
	p.Scripts = []string{"wall.js"}
	return c.render(v, http.StatusOK, "wall", p)
}

func isNotWired(err error) bool { return errors.Is(err, ErrNotWired) }

// loadWallThresholds reads the queues' targets and thresholds when the copy
// is older than wallThEvery (or always, when force).
func (c *Console) loadWallThresholds(ctx context.Context, force bool) error {
	now := c.clock.Now()
	c.wall.mu.Lock()
	fresh := c.wall.th != nil && now.Sub(c.wall.thAt) < wallThEvery && !now.Before(c.wall.thAt)
	c.wall.mu.Unlock()
	if fresh && !force {
		return nil
	}
	qs, err := c.db.Queues(ctx)
	if err != nil {
		return err
	}
	set, err := c.db.QueueThresholds(ctx)
	if err != nil {
		return err
	}
	th := make(map[string]wall.Thresholds, len(qs))
	target := make(map[string][2]int, len(qs))
	for _, q := range qs {
		th[q.Name] = wall.Resolve(q.SLPercent, q.SLSeconds, set[q.Name])
		target[q.Name] = [2]int{q.SLPercent, q.SLSeconds}
	}
	c.wall.mu.Lock()
	c.wall.th, c.wall.target, c.wall.thAt = th, target, now
	c.wall.mu.Unlock()
	return nil
}

// romeDay is the start of the day in Italy: the counters of the day start
// again at local midnight.
func romeDay(t time.Time) time.Time {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// loadAgentDay brings the agents' figures of the day up to date from the
// queue log when older than wallDayEvery (or always, when force), and
// publishes them. Only the rows written since the last read are read: the
// day so far is kept in a wall.Tally.
func (c *Console) loadAgentDay(ctx context.Context, s Snapshot, force bool) error {
	c.wall.dayMu.Lock()
	defer c.wall.dayMu.Unlock()
	now := c.clock.Now()
	c.wall.mu.Lock()
	fresh := c.wall.day != nil && now.Sub(c.wall.dayAt) < wallDayEvery && !now.Before(c.wall.dayAt)
	c.wall.mu.Unlock()
	if fresh && !force {
		return nil
	}
	start := romeDay(now)
	t := c.wall.tally
	if t == nil || !t.Start().Equal(start) {
		t = wall.NewTally(start)
	}
	for from := t.ReadFrom(); ; {
		evs, err := c.db.AgentEvents(ctx, from, wallDayPage)
		if err != nil {
			return err
		}
		t.Add(evs)
		if len(evs) < wallDayPage || !evs[len(evs)-1].At.After(from) {
			break
		}
		from = evs[len(evs)-1].At
	}
	c.wall.tally = t
	paused := map[string]time.Time{}
	for _, a := range s.Agents {
		if a.State == StatePaused {
			paused[a.ID] = a.Since
		}
	}
	days := t.At(now, paused)
	out := make(map[string]WallAgentDay, len(days))
	for id, d := range days {
		out[id] = WallAgentDay{Calls: d.Calls, AHTS: int(d.AHT().Round(time.Second) / time.Second), PauseS: int(d.Pause / time.Second)}
	}
	c.wall.mu.Lock()
	c.wall.day, c.wall.dayAt = out, now
	c.wall.mu.Unlock()
	c.hub.Publish(TopicAgents, "wall.agents", "", out)
	return nil
}

// runWall keeps the wall's thresholds and the agents' figures of the day
// fresh until ctx ends, and republishes the wall with them.
func (c *Console) runWall(ctx context.Context) {
	t := time.NewTicker(wallThEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := c.loadWallThresholds(ctx, false); err != nil && ctx.Err() == nil {
			c.log.Warn("wall: read thresholds", zap.Error(err))
			continue
		}
		s, err := c.backend.Snapshot(ctx)
		if err != nil {
			continue // not wired yet: nothing to show
		}
		if err := c.loadAgentDay(ctx, s, false); err != nil && ctx.Err() == nil {
			c.log.Warn("wall: agents' figures of the day", zap.Error(err))
		}
	}
}

// publishWall announces the wall's view of a snapshot.
func (c *Console) publishWall(s Snapshot) {
	c.hub.Publish(TopicQueues, "wall.figures", "", c.wallView(s))
}

// RefreshWall rereads the thresholds and the agents' figures now and
// republishes the wall: for a change that should show at once (and tests).
func (c *Console) RefreshWall(ctx context.Context) error {
	if err := c.loadWallThresholds(ctx, true); err != nil {
		return err
	}
	s, err := c.backend.Snapshot(ctx)
	if err != nil {
		return err
	}
	if err := c.loadAgentDay(ctx, s, true); err != nil {
		return err
	}
	c.publishWall(s)
	return nil
}

// wallView judges a snapshot with the cached thresholds (the defaults for a
// queue not read yet).
func (c *Console) wallView(s Snapshot) WallView {
	c.wall.mu.Lock()
	th, target := c.wall.th, c.wall.target
	c.wall.mu.Unlock()
	return buildWall(s, th, target, c.clock.Now())
}

// buildWall is the wall's view of a snapshot: queues and sites with their
// verdicts, the agents too long in pause or wrap-up, and the breaches.
func buildWall(s Snapshot, th map[string]wall.Thresholds, target map[string][2]int, now time.Time) WallView {
	w := WallView{At: s.At, Queues: []WallFigure{}, Sites: []WallFigure{}, Agents: []WallAgent{}, Breaches: []WallBreach{}}
	if w.At.IsZero() {
		w.At = now
	}
	thOf := func(q string) wall.Thresholds {
		if t, ok := th[q]; ok {
			return t
		}
		return wall.Defaults(0, 0)
	}
	pausedQ, pausedSite := map[string]int{}, map[string]int{}
	for _, a := range s.Agents {
		if a.State == StatePaused {
			for _, q := range a.Queues {
				pausedQ[q]++
			}
			site := a.Site
			if site == "" {
				site = "—"
			}
			pausedSite[site]++
		}
	}
	siteTh := map[string][]wall.Thresholds{}
	siteTarget := map[string]string{}
	for _, q := range s.Queues {
		t := thOf(q.Name)
		f := wallFigure(q, t, pausedQ[q.Name])
		if tg, ok := target[q.Name]; ok {
			f.Target = fmt.Sprintf("%d/%d", tg[0], tg[1])
		}
		w.Queues = append(w.Queues, f)
		site := q.Site
		if site == "" {
			site = "—"
		}
		siteTh[site] = append(siteTh[site], t)
		if old, ok := siteTarget[site]; !ok {
			siteTarget[site] = f.Target
		} else if old != f.Target {
			siteTarget[site] = ""
		}
		for _, b := range f.V.Breaches {
			w.Breaches = append(w.Breaches, queueBreach(b, f))
		}
	}
	_, unsitedQueue := siteTh["—"]
	for _, site := range SiteTotals(s) {
		if site.Name == "—" && !unsitedQueue {
			// Only seats without a site: no place to show, and their
			// agents are counted on their queues' tiles.
			continue
		}
		t := wall.Strictest(siteTh[site.Name]...)
		f := wallFigure(site, t, pausedSite[site.Name])
		f.Target = siteTarget[site.Name]
		w.Sites = append(w.Sites, f)
	}
	for _, a := range s.Agents {
		if a.State != StatePaused && a.State != StateWrapUp {
			continue
		}
		ts := make([]wall.Thresholds, 0, len(a.Queues))
		for _, q := range a.Queues {
			ts = append(ts, thOf(q))
		}
		t := wall.Strictest(ts...)
		in := now.Sub(a.Since)
		lv := wall.EvaluateAgent(a.State, in, t)
		if lv == wall.OK {
			continue
		}
		name := a.ID
		if a.Name != "" {
			name += " " + a.Name
		}
		w.Agents = append(w.Agents, WallAgent{ID: a.ID, Name: a.Name, State: a.State, Since: a.Since, Level: lv})
		if lv == wall.Red {
			limit := t.PauseRed
			if a.State == StateWrapUp {
				limit = t.WrapupRed
			}
			w.Breaches = append(w.Breaches, WallBreach{Kind: a.State, Subject: a.ID, Name: name, Unit: "s",
				Value: float64(in / time.Second), Limit: float64(limit / time.Second)})
		}
	}
	sort.SliceStable(w.Breaches, func(i, j int) bool { return w.Breaches[i].Kind < w.Breaches[j].Kind })
	return w
}

func wallFigure(q QueueView, t wall.Thresholds, paused int) WallFigure {
	f := wall.Figures{Waiting: q.Waiting, LongestWait: time.Duration(q.LongestWaitS) * time.Second, ServiceLevel: q.ServiceLevel,
		Answered: q.Answered, Abandoned: q.Abandoned, Ready: q.AgentsReady, Busy: q.AgentsBusy, Needed: q.StaffingNeeded}
	return WallFigure{Name: q.Name, Site: q.Site, Waiting: q.Waiting, LongestWaitS: q.LongestWaitS,
		HasCalls: q.Answered+q.Abandoned > 0, SLPct: round1(q.ServiceLevel * 100), Answered: q.Answered, Abandoned: q.Abandoned,
		AbandonedPct: round1(f.AbandonedShare() * 100), Ready: q.AgentsReady, Busy: q.AgentsBusy, Paused: paused,
		Present: q.AgentsReady + q.AgentsBusy, Needed: q.StaffingNeeded,
		Th: WallThresholds{SLAmberPct: round1(t.SLAmber * 100), SLRedPct: round1(t.SLRed * 100),
			WaitAmberS: int(t.WaitAmber / time.Second), WaitRedS: int(t.WaitRed / time.Second),
			AbandonAmberPct: round1(t.AbandonAmber * 100), AbandonRedPct: round1(t.AbandonRed * 100)},
		V: wall.Evaluate(f, t)}
}

func queueBreach(kind string, f WallFigure) WallBreach {
	b := WallBreach{Kind: kind, Subject: f.Name, Name: f.Name}
	switch kind {
	case wall.BreachSL:
		b.Unit, b.Value, b.Limit = "pct", f.SLPct, f.Th.SLRedPct
	case wall.BreachWait:
		b.Unit, b.Value, b.Limit = "s", float64(f.LongestWaitS), float64(f.Th.WaitRedS)
	case wall.BreachAbandon:
		b.Unit, b.Value, b.Limit = "pct", f.AbandonedPct, f.Th.AbandonRedPct
	}
	return b
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

// Num writes a number with at most one decimal, Italian style in Italian
// ("4,5"), for the wall's percentages.
func (p *page) Num(f float64) string {
	s := strings.TrimSuffix(fmt.Sprintf("%.1f", f), ".0")
	if p.Lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// LevelOf names the level of one of the figure's verdicts (sl, wait,
// abandon, staffing), for the templates.
func (f WallFigure) LevelOf(which string) string {
	switch which {
	case "sl":
		return f.V.SL.String()
	case "wait":
		return f.V.Wait.String()
	case "abandon":
		return f.V.Abandon.String()
	case "staffing":
		return f.V.Staffing.String()
	}
	return wall.OK.String()
}

// wallTile is one big number of a card, written as the page shows it.
type wallTile struct {
	F, Label, Value, Level, Sub string
	Parts                       []wallPart // several small numbers in place of Value (agents)
}

type wallPart struct{ Value, Label string }

// N is how many characters the tile's value has, up to 10: the wall's
// style sheet sizes a long value ("158 / 150") down to fit its tile.
func (t wallTile) N() int { return min(utf8.RuneCountInString(t.Value), 10) }

// WallTiles writes a figure's tiles in the page's language; wall.js
// writes the same tiles from the live figures.
func (p *page) WallTiles(f WallFigure) []wallTile {
	th := f.Th
	sl, ab := "—", "—"
	slSub, abSub := p.T("wall.big.nocalls"), p.T("wall.big.nocalls")
	if f.HasCalls {
		sl, ab = p.Num(f.SLPct)+"%", p.Num(f.AbandonedPct)+"%"
		slSub = p.Tf("wall.big.limits", p.Num(th.SLAmberPct)+"%", p.Num(th.SLRedPct)+"%")
		abSub = p.Tf("wall.big.ofcalls", f.Abandoned, f.Answered+f.Abandoned)
	}
	staffSub := p.T("wall.big.enough")
	if f.Present < f.Needed {
		staffSub = p.Tf("wall.big.short", f.Needed-f.Present)
	}
	return []wallTile{
		{F: "waiting", Label: p.T("wall.big.waiting"), Value: fmt.Sprint(f.Waiting), Level: "ok"},
		{F: "longest", Label: p.T("wall.big.longest"), Value: minsec(f.LongestWaitS), Level: f.V.Wait.String(),
			Sub: p.Tf("wall.big.limits", minsec(th.WaitAmberS), minsec(th.WaitRedS))},
		{F: "sl", Label: p.T("wall.big.sl"), Value: sl, Level: f.V.SL.String(), Sub: slSub},
		{F: "abandoned", Label: p.T("wall.big.abandoned"), Value: ab, Level: f.V.Abandon.String(), Sub: abSub},
		{F: "agents", Label: p.T("wall.big.agents"), Level: "ok", Parts: []wallPart{
			{fmt.Sprint(f.Ready), p.T("wall.big.free")}, {fmt.Sprint(f.Busy), p.T("wall.big.busy")}, {fmt.Sprint(f.Paused), p.T("wall.big.paused")}}},
		{F: "staff", Label: p.T("wall.big.staff"), Value: fmt.Sprintf("%d / %d", f.Needed, f.Present), Level: f.V.Staffing.String(), Sub: staffSub},
	}
}

func minsec(s int) string { return fmt.Sprintf("%d:%02d", s/60, s%60) }

// wallCardArg carries the page along with one figure into the card template.
type wallCardArg struct {
	P    *page
	F    WallFigure
	Kind string // "q" for a queue, "s" for a site: ids stay unique
}

// WallCard pairs the page with a figure for the "wall-card" template.
func (p *page) WallCard(f WallFigure, kind string) wallCardArg {
	return wallCardArg{P: p, F: f, Kind: kind}
}
