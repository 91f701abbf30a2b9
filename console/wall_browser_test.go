package console

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// wallBE is the memBackend with queue figures the test sets.
type wallBE struct {
	*memBackend
	qmu    sync.Mutex
	queues []QueueView
}

func (w *wallBE) Snapshot(ctx context.Context) (Snapshot, error) {
	s, err := w.memBackend.Snapshot(ctx)
	w.qmu.Lock()
	s.Queues = append([]QueueView(nil), w.queues...)
	w.qmu.Unlock()
	return s, err
}

// publish sets the queues' figures and publishes the snapshot as the controller does each second.
func (w *wallBE) publish(c *Console, qs ...QueueView) {
	w.qmu.Lock()
	w.queues = qs
	w.qmu.Unlock()
	s, _ := w.Snapshot(bg)
	c.PublishSnapshot(s)
}

func TestBrowserWall(t *testing.T) {
	browser := startBrowser(t)
	shots := artifactsDir(t)
	t.Logf("screenshots in %s", shots)
	var be *wallBE
	r := newRigWith(t, storetest.Engines()[0], Config{IdleTimeout: time.Hour}, func(c *Console) {
		be = &wallBE{memBackend: c.backend.(*memBackend)}
		c.backend = be
	})
	r.user("coord", store.RoleSupervisor)
	// 300 agents over three queues and two sites; 1003 has been paused for
	// 20 minutes (past the default 15), 1004 in wrap-up for 3 (amber).
	const n = 300
	qs := []string{"informazioni", "segnalazioni", "soccorso"}
	states := []string{StateAvailable, StateOnCall, StateOnCall, StatePaused, StateWrapUp, StateOnCall}
	be.mu.Lock()
	for i := range n {
		id := fmt.Sprint(1000 + i)
		st, since := states[i%len(states)], t0.Add(-time.Duration(i%50)*time.Second)
		switch id {
		case "1003":
			since = t0.Add(-20 * time.Minute)
		case "1004":
			since = t0.Add(-3 * time.Minute)
		}
		be.agents[id] = &AgentView{ID: id, Name: fmt.Sprintf("Operatore %d", i), Site: []string{"aq", "rm"}[i%2], State: st, Since: since,
			Reachable: true, Queues: []string{qs[i%3], qs[(i+1)%3]}}
	}
	be.mu.Unlock()
	// The day so far for 1001: two calls of 3 min + 30 s wrap-up and 1 min, and a 10-minute pause.
	day := []store.QueueEvent{
		{At: t0.Add(-time.Hour), CallID: "c1", Queue: "soccorso", Agent: "1001", Event: "CONNECT"},
		{At: t0.Add(-57 * time.Minute), CallID: "c1", Queue: "soccorso", Agent: "1001", Event: "COMPLETECALLER", Data: [5]string{"3", "180", "1"}},
		{At: t0.Add(-56 * time.Minute), CallID: "c1", Queue: "soccorso", Agent: "1001", Event: "WRAPUPEND", Data: [5]string{"30", "180", "0"}},
		{At: t0.Add(-50 * time.Minute), CallID: "c2", Queue: "soccorso", Agent: "1001", Event: "CONNECT"},
		{At: t0.Add(-49 * time.Minute), CallID: "c2", Queue: "soccorso", Agent: "1001", Event: "COMPLETEAGENT", Data: [5]string{"3", "60", "1"}},
		{At: t0.Add(-40 * time.Minute), Queue: "NONE", Agent: "1001", Event: "PAUSE", Data: [5]string{"pausa"}},
		{At: t0.Add(-30 * time.Minute), Queue: "NONE", Agent: "1001", Event: "UNPAUSE"},
	}
	if err := r.db.AppendQueueEvents(bg, day...); err != nil {
		t.Fatal(err)
	}
	calm := []QueueView{
		{Name: "informazioni", Site: "aq", Waiting: 2, LongestWaitS: 12, ServiceLevel: .91, Answered: 120, Abandoned: 4, AgentsReady: 20, AgentsBusy: 60, StaffingNeeded: 70},
		{Name: "segnalazioni", Site: "aq", Waiting: 0, ServiceLevel: .88, Answered: 40, Abandoned: 1, AgentsReady: 15, AgentsBusy: 50, StaffingNeeded: 40},
		{Name: "soccorso", Site: "aq", Waiting: 1, LongestWaitS: 4, ServiceLevel: .97, Answered: 60, Abandoned: 0, AgentsReady: 10, AgentsBusy: 40, StaffingNeeded: 30},
	}
	be.publish(r.c, calm...)

	b := r.tabFor(t, browser, shots, 6*time.Minute)
	b.login("coord", "coord-password")
	t.Log("signed in")
	b.open("/supervisor/wall")
	t.Log("wall opened")
	b.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
	// The 300 and the coordinator's own seat.
	b.waitFor(`document.querySelectorAll("#wall-agents tbody tr").length === 301`)
	card := func(q, f string) string { return fmt.Sprintf(`#wall-queues .wcard[data-name=%q] [data-f=%q]`, q, f) }
	// Sites: aq and rm; the coordinator's seat has none, and makes no «—» tile.
	if sites := b.eval(`({s: Array.from(document.querySelectorAll("#wall-sites .wcard")).map(c => c.dataset.name).join(",")})`); sites["s"] != "aq,rm" {
		t.Errorf("site tiles %v, want aq,rm", sites["s"])
	}
	if got := b.text(card("informazioni", "waiting") + " .wv"); got != "2" {
		t.Errorf("waiting at first: %q", got)
	}
	if got := b.text(card("informazioni", "sl") + " .wv"); got != "91%" {
		t.Errorf("service level at first: %q", got)
	}
	// The paused agent past 15 minutes is the only breach: red row, words and the banner.
	b.waitFor(`document.querySelector('#wall-agents tr[data-agent="1003"]').classList.contains("lv-red")`)
	if txt := b.text(`#wall-agents tr[data-agent="1003"] .wa-st`); !strings.Contains(txt, "da troppo tempo") {
		t.Errorf("the paused agent's level is colour only: %q", txt)
	}
	if !b.eval(`({a: document.querySelector('#wall-agents tr[data-agent="1004"]').classList.contains("lv-amber")})`)["a"].(bool) {
		t.Errorf("the agent in wrap-up for 3 minutes is not amber")
	}
	b.waitFor(`!document.getElementById("wall-alert").hidden`)
	if txt := b.text("#wall-alert-list"); !strings.Contains(txt, "1003 Operatore 3 in pausa da 20:00 (soglia 15:00)") {
		t.Errorf("alert for the long pause: %q", txt)
	}
	// Figures of the day: 2 calls, AHT (210 + 60) / 2 = 2:15, 10 min of pause.
	row := b.text(`#wall-agents tr[data-agent="1001"]`)
	for _, want := range []string{"2", "2:15", "10 min"} {
		if !strings.Contains(row, want) {
			t.Errorf("1001's figures of the day lack %q: %q", want, row)
		}
	}
	b.waitFor(`window.__wallPerf.paint > 0`)
	perf := b.eval(`window.__wallPerf`)
	t.Logf("300 agents: first render %.1f ms, painted %.1f ms after", perf["render"], perf["paint"])
	if perf["paint"].(float64) > 1500 {
		t.Errorf("300 agents took %.0f ms to paint", perf["paint"])
	}
	b.do(chromedp.Click(chromedp.CSS("#wall-ack")))
	b.waitFor(`document.getElementById("wall-alert").hidden`)
	b.shot("40-wall")

	// The numbers move live.
	calm[0].Waiting, calm[0].LongestWaitS = 7, 18
	be.publish(r.c, calm...)
	b.waitFor(fmt.Sprintf(`document.querySelector('%s .wv').textContent === "7"`, card("informazioni", "waiting")))
	if got := b.text(card("informazioni", "longest") + " .wv"); got != "0:18" {
		t.Errorf("longest wait after the update: %q", got)
	}

	// A breach: soccorso's service level falls under its 80% target and a caller waits over a minute.
	crisis := append([]QueueView(nil), calm...)
	crisis[2] = QueueView{Name: "soccorso", Site: "aq", Waiting: 9, LongestWaitS: 95, ServiceLevel: .62, Answered: 50, Abandoned: 12,
		AgentsReady: 0, AgentsBusy: 40, StaffingNeeded: 48}
	be.publish(r.c, crisis...)
	b.waitFor(fmt.Sprintf(`document.querySelector('%s').classList.contains("lv-red")`, card("soccorso", "sl")))
	for _, f := range []string{"sl", "longest", "abandoned", "staff"} {
		cls := b.eval(fmt.Sprintf(`({c: document.querySelector('%s').className, t: document.querySelector('%s').textContent})`, card("soccorso", f), card("soccorso", f)))
		if !strings.Contains(cls["c"].(string), "lv-red") || !strings.Contains(cls["t"].(string), "fuori soglia") {
			t.Errorf("soccorso %s is not red in colour and words: %v", f, cls)
		}
	}
	b.waitFor(`!document.getElementById("wall-alert").hidden`)
	alert := b.text("#wall-alert-list")
	for _, want := range []string{"soccorso: livello di servizio 62%, sotto l'obiettivo 80%", "soccorso: un chiamante attende da 1:35 (soglia 1:00)", "soccorso: abbandonate 19,4% (soglia 10%)"} {
		if !strings.Contains(alert, want) {
			t.Errorf("the alert lacks %q: %q", want, alert)
		}
	}
	b.shot("41-wall-breach")
	t.Log("breach shown")

	// Big numbers fit their tiles: nothing drawn inside a tile reaches out
	// of it, whatever its length ("158 / 150", four-digit queues).
	huge := append([]QueueView(nil), crisis...)
	huge[2].Waiting, huge[2].AgentsBusy, huge[2].StaffingNeeded = 1234, 150, 158
	huge[2].LongestWaitS = 12*3600 + 34*60
	be.publish(r.c, huge...)
	b.waitFor(fmt.Sprintf(`document.querySelector('%s .wv').textContent === "1234"`, card("soccorso", "waiting")))
	if got := b.text(card("soccorso", "staff") + " .wv"); !strings.HasPrefix(got, "158 / 1") || len(got) < 9 {
		t.Errorf("staffing tile reads %q", got)
	}
	over := b.eval(`(() => { const out = [];
		document.querySelectorAll(".wt").forEach(tile => { const t = tile.getBoundingClientRect();
			tile.querySelectorAll("*").forEach(e => { const r = e.getBoundingClientRect();
				if (r.width && (r.left < t.left - 0.5 || r.right > t.right + 0.5 || r.top < t.top - 0.5 || r.bottom > t.bottom + 0.5)) {
					out.push(tile.closest(".wcard").dataset.name + "/" + tile.dataset.f + ": " + e.tagName + " " + e.textContent.trim().slice(0, 20)); } }); });
		return {n: document.querySelectorAll(".wt").length, over: out}; })()`)
	if n, _ := over["n"].(float64); n < 6 {
		t.Fatalf("%v tiles on the wall", over["n"])
	}
	if o, _ := over["over"].([]any); len(o) > 0 {
		t.Errorf("elements overflow their tiles: %v", o)
	}
	b.shot("41b-wall-big-numbers")
	be.publish(r.c, crisis...)
	b.waitFor(fmt.Sprintf(`document.querySelector('%s .wv').textContent === "9"`, card("soccorso", "waiting")))

	// A threshold set for the queue (as `ascolto queue threshold set soccorso --wait-red 2m` does) applies live.
	if err := r.db.SetQueueThreshold(bg, &store.QueueThreshold{Queue: "soccorso", WaitRedS: intp(120)}, "cli:test"); err != nil {
		t.Fatal(err)
	}
	if err := r.c.RefreshWall(bg); err != nil {
		t.Fatal(err)
	}
	b.waitFor(fmt.Sprintf(`document.querySelector('%s').classList.contains("lv-amber")`, card("soccorso", "longest")))
	if txt := b.text(card("soccorso", "longest")); !strings.Contains(txt, "2:00") || !strings.Contains(strings.ToLower(txt), "attenzione") {
		t.Errorf("the new wait threshold is not shown: %q", txt)
	}

	// 300 agents change state at once: every row follows, quickly.
	start := time.Now()
	for i := range n {
		be.setState(fmt.Sprint(1000+i), StateAvailable, "")
	}
	b.waitFor(`Array.from(document.querySelectorAll("#wall-agents tbody tr")).filter(r => r.dataset.agent.length === 4).every(r => r.querySelector(".badge").textContent === "disponibile")`)
	perf = b.eval(`window.__wallPerf`)
	// The one-second pass over the rows, timed on its own 50 times with
	// every cell to rewrite (the machine's other work can stretch any single
	// run): the median.
	tick := b.eval(`(() => { const p = window.__wallPerf, ms = [];
		const cells = document.querySelectorAll("#wall-agents .wa-in");
		for (let i = 0; i < 50; i++) { cells.forEach(c => { c.textContent = ""; }); const t0 = performance.now(); p.tick(); ms.push(performance.now() - t0); }
		ms.sort((a, b) => a - b); return {median: ms[25], max: ms[49]}; })()`)
	t.Logf("300 agent updates: all shown %.0f ms after the first was published; in the page %.1f ms in total for %v messages (%.2f ms at most for one); "+
		"the 1 s pass over 301 rows: median %.2f ms, max %.2f ms of 50; the figures %.2f ms at most",
		float64(time.Since(start).Microseconds())/1000, perf["updateTotal"], perf["updates"], perf["updateMax"], tick["median"], tick["max"], perf["figures"])
	if perf["updateTotal"].(float64)/perf["updates"].(float64) > 5 || tick["median"].(float64) > 16 {
		t.Errorf("the agent table lags: %v, tick %v", perf, tick)
	}

	// The actions are in one menu per row, reachable by keyboard.
	b.do(chromedp.Click(chromedp.CSS(`#wall-agents tr[data-agent="1001"] .wa-open`)))
	b.waitFor(`!document.getElementById("wall-menu").hidden && document.activeElement.getAttribute("role") === "menuitem"`)
	items := b.text("#wall-menu")
	for _, want := range []string{"Metti in pausa: Pausa", "Disconnetti", "Ascolta", "Sposta da segnalazioni a informazioni"} {
		if !strings.Contains(items, want) {
			t.Errorf("the menu lacks %q: %q", want, items)
		}
	}
	b.shot("42-wall-menu")
	t.Log("menu shown")
	b.do(chromedp.KeyEvent(kb.Escape))
	b.waitFor(`document.getElementById("wall-menu").hidden && document.activeElement.classList.contains("wa-open")`)
	// Pausing from the menu reaches the ACD.
	b.do(chromedp.Click(chromedp.CSS(`#wall-agents tr[data-agent="1001"] .wa-open`)))
	b.waitFor(`!document.getElementById("wall-menu").hidden`)
	b.do(chromedp.Click(chromedp.CSS(`#wall-menu button:first-child`)))
	b.waitFor(`document.querySelector('#wall-agents tr[data-agent="1001"] .badge').textContent.startsWith("in pausa")`)

	// The wallboard carries the same tiles on top, and the same compact
	// agent table: 300 agents drawn and updated as quickly.
	b.open("/supervisor")
	b.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
	b.waitFor(fmt.Sprintf(`document.querySelector('%s').classList.contains("lv-red")`, card("soccorso", "sl")))
	b.waitFor(`document.querySelectorAll("#wall-agents tbody tr").length === 301`)
	if row := b.text(`#wall-agents tr[data-agent="1001"]`); !strings.Contains(row, "2:15") || !strings.Contains(row, "10 min") {
		t.Errorf("1001's figures of the day on the wallboard: %q", row)
	}
	b.waitFor(`window.__wallPerf.paint > 0`)
	first := b.eval(`window.__wallPerf`)
	start = time.Now()
	for i := range n {
		be.setState(fmt.Sprint(1000+i), StateOnCall, "c")
	}
	b.waitFor(`Array.from(document.querySelectorAll("#wall-agents tbody tr")).filter(r => r.dataset.agent.length === 4).every(r => r.querySelector(".badge").textContent.startsWith("in conversazione"))`)
	perf = b.eval(`window.__wallPerf`)
	t.Logf("wallboard, 300 agents: first render %.1f ms, painted %.1f ms after; 300 updates all shown %.0f ms after the first was published, %.1f ms in the page for %v messages (%.2f ms at most for one)",
		first["render"], first["paint"], float64(time.Since(start).Microseconds())/1000, perf["updateTotal"], perf["updates"], perf["updateMax"])
	if perf["updateTotal"].(float64)/perf["updates"].(float64) > 5 || first["paint"].(float64) > 1500 {
		t.Errorf("the wallboard's agent table lags: %v, first %v", perf, first)
	}
	b.shot("43-supervisor-wallboard-300")
	t.Log("wallboard checked")

	// English.
	b.open("/supervisor/wall")
	b.do(chromedp.Click(chromedp.CSS(`form.lang button[value="en"]`)))
	b.waitFor(`document.documentElement.lang === "en" && document.querySelectorAll("#wall-agents tbody tr").length === 301`)
	b.waitFor(fmt.Sprintf(`document.querySelector('%s').textContent.includes("breach")`, card("soccorso", "sl")))
	if txt := b.text("h1"); txt != "Queue wall display" {
		t.Errorf("English heading %q", txt)
	}
	b.shot("44-wall-en")
	b.open("/supervisor")
	b.waitFor(`document.documentElement.lang === "en" && document.querySelectorAll("#wall-agents tbody tr").length === 301`)
	if txt := b.text("#wa-h"); txt != "Agents (301)" {
		t.Errorf("English wallboard's agents heading %q", txt)
	}
	b.shot("44b-supervisor-en")
	b.noJSErrors()
}
