package console

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/wall"
)

func TestBuildWall(t *testing.T) {
	now := t0
	th := map[string]wall.Thresholds{
		"soccorso":     wall.Resolve(90, 10, store.QueueThreshold{}),
		"informazioni": wall.Resolve(80, 20, store.QueueThreshold{PauseRedS: intp(300)}),
	}
	target := map[string][2]int{"soccorso": {90, 10}, "informazioni": {80, 20}}
	s := Snapshot{At: now, Queues: []QueueView{
		{Name: "informazioni", Site: "aq", Waiting: 1, LongestWaitS: 5, ServiceLevel: .95, Answered: 95, Abandoned: 5, AgentsReady: 1, AgentsBusy: 2, StaffingNeeded: 3},
		{Name: "soccorso", Site: "aq", Waiting: 4, LongestWaitS: 45, ServiceLevel: .7, Answered: 20, Abandoned: 0, AgentsBusy: 2, StaffingNeeded: 5},
	}, Agents: []AgentView{
		{ID: "101", Name: "Anna", Site: "aq", State: StatePaused, Since: now.Add(-6 * time.Minute), Queues: []string{"informazioni"}},
		{ID: "102", Site: "aq", State: StatePaused, Since: now.Add(-11 * time.Minute), Queues: []string{"soccorso"}},
		{ID: "103", Site: "aq", State: StateWrapUp, Since: now.Add(-3 * time.Minute), Queues: []string{"soccorso"}},
		{ID: "104", Site: "aq", State: StateOnCall, Since: now.Add(-time.Hour), Queues: []string{"soccorso"}},
	}}
	w := buildWall(s, th, target, now)
	if len(w.Queues) != 2 || len(w.Sites) != 1 {
		t.Fatalf("queues %d sites %d", len(w.Queues), len(w.Sites))
	}
	info, socc := w.Queues[0], w.Queues[1]
	if info.Target != "80/20" || info.Paused != 1 || info.Present != 3 || info.AbandonedPct != 5 || info.V.Worst() != wall.OK {
		t.Errorf("informazioni %+v", info)
	}
	// soccorso: 70% against 90%, a caller at 45 s against 10/30 s, nobody free and 5 needed for 2 present.
	if socc.V.SL != wall.Red || socc.V.Wait != wall.Red || socc.V.Staffing != wall.Red || socc.Th.SLRedPct != 90 || socc.Th.WaitRedS != 30 {
		t.Errorf("soccorso %+v", socc)
	}
	// 101: paused 6 min against its queue's red at 5 min; 102: 11 min, amber
	// only (default 10/15); 103 in wrap-up 3 min: amber; 104 on a call: fine.
	levels := map[string]wall.Level{}
	for _, a := range w.Agents {
		levels[a.ID] = a.Level
	}
	if levels["101"] != wall.Red || levels["102"] != wall.Amber || levels["103"] != wall.Amber || len(levels) != 3 {
		t.Errorf("agents %v", levels)
	}
	var kinds []string
	for _, b := range w.Breaches {
		kinds = append(kinds, b.Kind+":"+b.Subject)
	}
	if got := strings.Join(kinds, " "); got != "paused:101 sl:soccorso wait:soccorso" {
		t.Errorf("breaches %q", got)
	}
	// The site is judged by its strictest queue: 90.8% over both is amber against soccorso's 95/90.
	site := w.Sites[0]
	if site.Paused != 2 || site.Target != "" || site.Th.SLRedPct != 90 || site.V.SL != wall.Amber || site.V.Staffing != wall.Red {
		t.Errorf("site %+v", site)
	}
}

func intp(v int) *int { return &v }

// wallSnapshot is a centre of n agents over three queues, a third of them
// on a call, some paused and some in wrap-up.
func wallSnapshot(n int, now time.Time) Snapshot {
	s := Snapshot{At: now}
	qs := []string{"informazioni", "segnalazioni", "soccorso"}
	for i, q := range qs {
		s.Queues = append(s.Queues, QueueView{Name: q, Site: "aq", Waiting: 3 * i, LongestWaitS: 25 * i, ServiceLevel: 0.9 - 0.1*float64(i),
			Answered: 100 * (i + 1), Abandoned: 4 * i, AgentsReady: n / 10, AgentsBusy: n / 4, StaffingNeeded: n / 3})
	}
	states := []string{StateAvailable, StateOnCall, StateOnCall, StateWrapUp, StatePaused, StateOnCall}
	for i := range n {
		st := states[i%len(states)]
		s.Agents = append(s.Agents, AgentView{ID: fmt.Sprintf("%04d", 1000+i), Name: fmt.Sprintf("Operatore %d", i), Site: []string{"aq", "rm"}[i%2],
			State: st, Since: now.Add(-time.Duration(i) * 7 * time.Second), Queues: []string{qs[i%3], qs[(i+1)%3]}})
	}
	return s
}

// BenchmarkBuildWall300 is the server's work per second of the wall with
// 300 agents: judging every queue, site and agent.
func BenchmarkBuildWall300(b *testing.B) {
	now := t0
	s := wallSnapshot(300, now)
	th := map[string]wall.Thresholds{}
	for _, q := range s.Queues {
		th[q.Name] = wall.Defaults(80, 20)
	}
	b.ReportAllocs()
	for b.Loop() {
		buildWall(s, th, nil, now)
	}
}
