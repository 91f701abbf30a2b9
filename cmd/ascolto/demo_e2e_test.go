package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ascolto/ascolto/demo"
	"github.com/ascolto/ascolto/internal/asttest"
	"github.com/ascolto/ascolto/store"
	"github.com/chromedp/chromedp"
)

// TestDemoScenario runs `ascolto demo` on a fresh folder at speed 60: it
// must be ready within 10 s, serve the console, and the scenario must put
// exactly its planned mix of calls through to cases.
func TestDemoScenario(t *testing.T) {
	data := t.TempDir()
	scenario := "testdata/demo-breve.yaml"
	var hot []demoHotspot
	runDemo(t, scenario, data, func(base string) {
		// The operations room sees the rescue requests the simulated agents
		// filled in cluster: same hazard, same comune, pins close together.
		room := signIn(t, base, "salaoperativa", demoPassword, "/opsroom")
		resp, body := room.get("/opsroom/api/hotspots", nil)
		var res struct{ Hotspots []demoHotspot }
		if code := resp.StatusCode; code != http.StatusOK || json.Unmarshal([]byte(body), &res) != nil {
			t.Fatalf("room's hotspots: %d %.300s", resp.StatusCode, body)
		}
		hot = res.Hotspots
		// A case's reply form offers the demo's canned replies, Italian
		// and English.
		if len(hot) == 0 || len(hot[0].Members) == 0 {
			t.Fatalf("no hotspot member to open: %+v", hot)
		}
		op := signIn(t, base, "operatore", demoPassword, "/agent")
		resp, body = op.get("/cases/"+hot[0].Members[0].TrackingID, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<select id="r-canned"`) {
			t.Fatalf("case page %d without the canned-reply picker:\n%.2000s", resp.StatusCode, body)
		}
		for _, r := range demoReplies {
			if !strings.Contains(html.UnescapeString(body), ">"+r.Title+" ("+r.Lang+")</option>") {
				t.Errorf("the picker lacks %q (%s)", r.Title, r.Lang)
			}
		}
	})
	want, err := os.ReadFile(scenario)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := demo.Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	counts := sc.Counts()
	db, err := store.Open(store.Options{SQLitePath: filepath.Join(data, "ascolto.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bg := context.Background()
	closed, open, _ := db.CallCounts(bg)
	total := 0
	for _, n := range counts {
		total += n
	}
	if open != 0 || closed != total {
		t.Fatalf("%d calls closed, %d open; the scenario placed %d", closed, open, total)
	}
	byCategory := map[string]int{}
	var deadline = time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		cases, _ := db.Cases(bg, store.CaseFilter{Limit: 1000})
		byCategory = map[string]int{}
		for _, c := range cases {
			byCategory[c.Category]++
		}
		if len(cases) == total {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, c := range sc.Callers {
		if byCategory[c.Expect.Category] != counts[c.Kind] {
			t.Fatalf("cases by category %v; the scenario planned %v", byCategory, counts)
		}
	}
	rescue := store.UrgencyRescue
	rs, _ := db.Cases(bg, store.CaseFilter{Urgency: &rescue, Limit: 1000})
	if len(rs) != counts["rescue"] {
		t.Fatalf("%d rescue cases, %d rescue callers", len(rs), counts["rescue"])
	}
	// Every rescue request went on to the operations room as it was saved,
	// every power outage as a situation report (the scenario's agents
	// forward them), and nothing else did.
	items, err := db.OpsItems(bg, store.OpsFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := db.Cases(bg, store.CaseFilter{Limit: 1000})
	category := map[int64]string{}
	for _, c := range all {
		category[c.ID] = c.Category
	}
	kinds := map[string]int{}
	for _, it := range items {
		want := map[string]string{"soccorso": store.OpsRescue, "disalimentazione": store.OpsReport}[category[it.CaseID]]
		if it.Kind != want {
			t.Fatalf("operations-room item %+v: case of category %q", it, category[it.CaseID])
		}
		kinds[it.Kind]++
	}
	if kinds[store.OpsRescue] != counts["rescue"] || kinds[store.OpsReport] != counts["power"] {
		t.Fatalf("operations room has %v; the scenario placed %d rescue requests and %d power outages",
			kinds, counts["rescue"], counts["power"])
	}
	// Every rescue request carries what its caller said, as the desk
	// records it: hazard, people, callback, and a pin near the place.
	for _, it := range items {
		if it.Kind != store.OpsRescue {
			continue
		}
		r, err := db.RescueDetailsOf(bg, it.CaseID)
		if err != nil || r.Hazard != store.HazardWater || r.People != 3 || !r.Children || r.Callback == "" || r.Lat == nil ||
			r.Place != "via Ravegnana 14" {
			t.Fatalf("rescue request of case %d: %+v, %v", it.CaseID, r, err)
		}
	}
	var water *demoHotspot
	for i, h := range hot {
		if h.Hazard == store.HazardWater {
			water = &hot[i]
		}
	}
	if water == nil || water.Count != counts["rescue"] || !water.Located || water.Where.Code != "039010" ||
		len(water.Members) != water.Count {
		t.Fatalf("the room shows hotspots %+v; want the %d rescue requests of Faenza grouped", hot, counts["rescue"])
	}
	t.Logf("hotspot: %d requests, %s, trend %s", water.Count, water.Where.Name, water.Trend)
	// Out of the box, the room's map has every item somewhere: nothing was
	// imported, the bundled provinces place those without coordinates.
	atlas, err := db.Atlas(bg)
	if err != nil {
		t.Fatal(err)
	}
	placed := 0
	for _, it := range items {
		if it.Case.ComuneCode == "" {
			continue
		}
		if _, ok := atlas.Locate(it.Case.Lat, it.Case.Lon, it.Case.ComuneCode, it.Place.ProvinciaCode); !ok {
			t.Fatalf("item %d of comune %s (provincia %q) has no place on the map", it.ID, it.Case.ComuneCode, it.Place.ProvinciaCode)
		}
		placed++
	}
	if placed == 0 {
		t.Fatalf("none of the %d items has a comune: nothing to place", len(items))
	}
	t.Logf("%d of %d operations-room items placed on the map", placed, len(items))
	// The scenario opened its event; every request is counted under it.
	db.Close()
	out, _, code := cli(t, []string{"ASCOLTO_DATA_DIR=" + data}, "report", "--event", "Prova alluvione", "--by", "category", "--format", "json")
	var res struct {
		Total  int64
		Totals []struct {
			Keys []string
			N    int64
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Total != int64(total) {
		t.Fatalf("report on the scenario's event: exit %d, %d requests of %d: %.300s", code, res.Total, total, out)
	}
	for _, tot := range res.Totals {
		if int(tot.N) != byCategory[tot.Keys[0]] {
			t.Fatalf("report says %d %s, the cases %d", tot.N, tot.Keys[0], byCategory[tot.Keys[0]])
		}
	}
}

// demoHotspot is a hotspot as the room's API sends it.
type demoHotspot struct {
	Hazard  string
	Count   int
	Trend   string
	Located bool
	Where   struct{ Code, Name string }
	Members []struct {
		ID         int64
		TrackingID string `json:"tracking_id"`
	}
}

func itoaPort(p int) string { return strconv.Itoa(p) }

// runDemo runs `ascolto demo` on a scenario file at speed 60 in data until
// the scenario is over, then calls whileUp with the console's address
// before stopping it. It must be ready within 10 s and answer /readyz.
func runDemo(t *testing.T, scenario, data string, whileUp ...func(base string)) {
	t.Helper()
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "demo", "--scenario", scenario, "--speed", "60", "--data", data,
		"--http-addr", "127.0.0.1:"+itoaPort(port), "--log-level", "warn")
	cmd.Env = cleanEnv()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	ready := false
	var seen []string
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("demo exited; output:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if strings.Contains(l, "/login") && !ready {
				ready = true
				if took := time.Since(start); took > 10*time.Second {
					t.Fatalf("demo ready after %s, want under 10 s", took)
				}
				if code, _ := getReady(t, "http://127.0.0.1:"+itoaPort(port)); code != 200 {
					t.Fatalf("readyz %d once the demo said it was ready", code)
				}
			}
			if strings.Contains(l, "Scenario concluso") {
				for _, f := range whileUp {
					f("http://127.0.0.1:" + itoaPort(port))
				}
				return
			}
		case <-ctx.Done():
			t.Fatalf("scenario not over in time; output:\n%s", strings.Join(seen, "\n"))
		}
	}
}

// TestDemoActivation: a scenario that reopens the center at night. The
// activation phones the simulated on-call people through the real
// controller; those who answer confirm with 1 and the minutes they need,
// sign in at that time (which the activation records as their arrival),
// and only then take the callers waiting in the queues.
func TestDemoActivation(t *testing.T) {
	data := t.TempDir()
	scenario := "testdata/demo-riapertura.yaml"
	runDemo(t, scenario, data)
	src, err := os.ReadFile(scenario)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := demo.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(store.Options{SQLitePath: filepath.Join(data, "ascolto.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bg := context.Background()
	act, err := db.LatestActivation(bg, false)
	if err != nil {
		t.Fatal(err)
	}
	// The demo runs at ×60 on the wall clock, so a second of delay on a
	// loaded machine is a minute of scenario time: the bounds below are
	// what the scenario promises (order, never early), with slack for that.
	const slack = 10 * time.Minute
	if want := sc.StartTime().Add(sc.Activation.At); act.OpenedAt.Sub(want).Abs() > slack {
		t.Fatalf("activation opened at %s, the scenario says %s", act.OpenedAt, want)
	}
	people, err := db.ActivationPeople(bg, act.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(people) != sc.Agents {
		t.Fatalf("%d people called, the roster has %d", len(people), sc.Agents)
	}
	arrived := map[string]time.Time{}
	for i, p := range people {
		reachable := i < sc.Agents-sc.Activation.Unreachable
		if !reachable {
			if !p.ConfirmedAt.IsZero() || !p.ArrivedAt.IsZero() {
				t.Fatalf("%s never picks up, yet %+v", p.Name, p)
			}
			continue
		}
		eta := sc.Activation.ETA[i%len(sc.Activation.ETA)]
		if p.ConfirmedAt.IsZero() || p.ETAMinutes != eta || p.ArrivedAt.IsZero() {
			t.Fatalf("%s: confirmed %s, eta %d (said %d), arrived %s", p.Name, p.ConfirmedAt, p.ETAMinutes, eta, p.ArrivedAt)
		}
		if late := p.ArrivedAt.Sub(p.ConfirmedAt.Add(time.Duration(eta) * time.Minute)); late < 0 || late > slack {
			t.Fatalf("%s arrived %s after the minutes they gave", p.Name, late)
		}
		arrived[strings.TrimPrefix(p.Username, "simulato")] = p.ArrivedAt
	}
	calls, err := db.Calls(bg, store.CallFilter{})
	if err != nil {
		t.Fatal(err)
	}
	answered := 0
	for _, c := range calls {
		if c.Direction != "inbound" || c.Agent == "" {
			continue
		}
		answered++
		n, _ := strconv.Atoi(c.Agent)
		at, ok := arrived[fmt.Sprintf("%02d", n-9000)]
		if !ok {
			t.Fatalf("call %s answered by %s, who never arrived", c.ChannelID, c.Agent)
		}
		if c.ConnectedAt.Before(at) {
			t.Fatalf("call %s answered by %s at %s, before they arrived at %s", c.ChannelID, c.Agent, c.ConnectedAt, at)
		}
	}
	if answered == 0 {
		t.Fatal("no caller reached the on-call agents")
	}
}

// TestDemoTraining: a trainee takes a simulated rescue call in the real
// console in headless Chromium, reads what the caller says, records it, and
// gets a score.
func TestDemoTraining(t *testing.T) {
	data := t.TempDir()
	base, shots, browser := demoInBrowser(t, "--scenario", "testdata/demo-training.yaml", "--speed", "20", "--train", "--data", data)
	// The trainee's seat exists once the demo has seeded its people.
	time.Sleep(500 * time.Millisecond)
	trainee := openTab(t, browser, base, shots)
	trainee.login("operatore", "ascolto-demo")
	trainee.waitFor(`location.pathname === "/agent" && document.getElementById("ws-status").dataset.state === "online"`)
	trainee.click(`button[data-agent-state="available"]`)
	trainee.waitFor(`document.getElementById("pop-caller").textContent.startsWith("+390546")`)
	trainee.waitFor(`!document.getElementById("pop-transcript").hidden`)
	if say := trainee.text("#pop-transcript-text"); !strings.Contains(say, "Ravegnana") {
		t.Fatalf("transcript %q", say)
	}
	trainee.shot("demo-01-training-pop")
	// Training starts from an empty form: saving it unchanged is refused,
	// and nothing the IVR or the number suggested is filled in.
	form := trainee.evalMap(`({cat: document.getElementById("d-category").value, comune: document.getElementById("d-comune").value,
		urgency: document.querySelector('input[name="urgency"]:checked').value})`)
	if form["cat"] != "" || form["comune"] != "" || form["urgency"] != "none" {
		t.Fatalf("the training form starts filled in: %v", form)
	}
	trainee.click("#d-save")
	trainee.waitFor(`!document.getElementById("disp-error").hidden`)
	trainee.click(`input[name="urgency"][value="rescue"]`)
	trainee.do(chromedp.SetValue(chromedp.CSS("#d-category"), "soccorso"),
		chromedp.SetValue(chromedp.CSS("#d-outcome"), "inoltrata-sala-operativa"),
		chromedp.SetValue(chromedp.CSS("#d-caller-type"), "cittadino"),
		chromedp.SetValue(chromedp.CSS("#d-comune"), "039010"),
		chromedp.SendKeys(chromedp.CSS("#d-notes"), "Due persone al primo piano, acqua in aumento."))
	trainee.click("#d-save")
	trainee.waitFor(`!document.getElementById("training-score").hidden`)
	score := trainee.text("#training-score")
	if !strings.Contains(score, "100/100") {
		t.Fatalf("score %q", score)
	}
	trainee.shot("demo-02-training-score")
	db, err := store.Open(store.Options{SQLitePath: filepath.Join(data, "ascolto.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	action := "training.score"
	log, err := db.AuditLog(context.Background(), store.AuditFilter{Action: &action})
	if err != nil || len(log) != 1 || log[0].Detail["points"] != float64(100) || log[0].Detail["rescue"] != true {
		t.Fatalf("score in the audit log: %+v %v", log, err)
	}
}

// TestDemoActivationBoardLive: the coordinator opens /activation before
// the scenario's activation; the board appears by itself when it opens
// and follows the confirmations, in words, with a countdown on the demo's
// clock (which runs in May 2026, ten times faster than the wall clock).
func TestDemoActivationBoardLive(t *testing.T) {
	// The activation opens 2 scenario minutes in: 12 s at ×10.
	base, shots, browser := demoInBrowser(t, "--scenario", "testdata/demo-riapertura.yaml", "--speed", "10", "--data", t.TempDir())
	coord := openTab(t, browser, base, shots)
	coord.login("coordinatore", demoPassword)
	coord.open("/activation")
	if !coord.eval(`document.getElementById("activation-none") !== null && !document.getElementById("activation-open").hidden`) {
		t.Fatalf("before the activation /activation shows %q", coord.text("main"))
	}
	coord.waitFor(`document.getElementById("activation") !== null && document.getElementById("activation-open").hidden`)
	coord.waitFor(`Number(document.getElementById("confirmed").textContent) >= 1`)
	// The board is swapped whole on each update: what it says is read in
	// one evaluation each, waiting until it says it.
	coord.waitFor(`(() => { const m = /^(\d+):\d\d$/.exec(document.getElementById("countdown").textContent); return m !== null && Number(m[1]) <= 30 })()`)
	coord.waitFor(`(() => { const b = document.getElementById("activation").textContent;
		return b.includes("ha confermato") && b.includes("primaria") && !b.includes("primary") && !b.includes("confirmed") })()`)
	coord.shot("demo-03-activation-live")
}

// TestDemoStopsCleanly: the demo's people exist before the console looks
// for an admin (no "no console admin" warning), and Ctrl-C in the middle of
// a scenario — callers waiting, the on-call activation phoning — stops
// everything before the last line, "ascolto stopped".
func TestDemoStopsCleanly(t *testing.T) {
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "demo", "--scenario", "testdata/demo-riapertura.yaml", "--speed", "60",
		"--data", t.TempDir(), "--http-addr", "127.0.0.1:"+itoaPort(port), "--log-level", "info")
	cmd.Env = cleanEnv()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs asttest.SyncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	for sc.Scan() && !strings.Contains(sc.Text(), "/login") {
	}
	go io.Copy(io.Discard, out)
	// The coordinator's page hears each board of the activation (at 2 min,
	// 2 s at x60): Ctrl-C once it says people are being phoned.
	coord := signIn(t, "http://127.0.0.1:"+itoaPort(port), "coordinatore", demoPassword, "/supervisor")
	if err := coord.send("subscribe", map[string]any{"topics": []string{"activation"}}); err != nil {
		t.Fatal(err)
	}
	for phoning := false; !phoning; {
		var f struct {
			Type string
			Data struct{ Calling int }
		}
		coord.ws.SetReadDeadline(time.Now().Add(time.Minute))
		if err := coord.ws.ReadJSON(&f); err != nil {
			t.Fatalf("no activation board phoning its people: %v\n%s", err, logs.String())
		}
		phoning = f.Type == "activation.board" && f.Data.Calling > 0
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("demo after Ctrl-C: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Signal(syscall.SIGQUIT) // its goroutines, to see what it waits for
		<-exited
		t.Fatalf("demo still running 30 s after Ctrl-C:\n%s", logs.String())
	}
	text := logs.String()
	if strings.Contains(text, "no console admin exists yet") {
		t.Errorf("the demo warns of a missing admin:\n%s", text)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	var last struct{ Msg string }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || last.Msg != "ascolto stopped" {
		t.Fatalf("last line %q, want \"ascolto stopped\":\n%s", lines[len(lines)-1], text)
	}
}

// demoInBrowser starts `ascolto demo` with args on a free port, waits until
// it is ready, and returns its console's address, the folder for
// screenshots ($ASCOLTO_TEST_ARTIFACTS or a temp dir) and a headless
// browser.
func demoInBrowser(t *testing.T, args ...string) (base, shots string, browser context.Context) {
	t.Helper()
	chromium := realChromium(t)
	shots = os.Getenv("ASCOLTO_TEST_ARTIFACTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "ascolto-demo-e2e")
	}
	os.MkdirAll(shots, 0o755)
	port := freePort(t)
	base = "http://127.0.0.1:" + itoaPort(port)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binary, append([]string{"demo", "--http-addr", "127.0.0.1:" + itoaPort(port), "--log-level", "warn"}, args...)...)
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("demo not ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return base, shots, newHeadless(t, chromium)
}
