package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/store"
	"github.com/chromedp/chromedp"
)

// TestConsoleShiftInBrowser is an agent's shift and a supervisor's watch
// in headless Chromium, against the real binary and the ARI simulator: the
// agent signs in and goes available, simulated citizens call, the screen
// pop shows number, IVR path and urgency, the disposition is saved and is
// in the store, a rescue call is unmistakable, wrap-up running out without
// a record leaves a reminder, the wallboard counts move live, and an agent
// can neither open the wallboard nor send its messages. Screenshots of
// each page go to $ASCOLTO_TEST_ARTIFACTS (or a temp dir).
func TestConsoleShiftInBrowser(t *testing.T) {
	chromium := realChromium(t)
	shots := os.Getenv("ASCOLTO_TEST_ARTIFACTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "ascolto-console-e2e")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)

	// A fresh installation: schema, two users, the agent's seat in two
	// queues with a short wrap-up, and emergency mode (H24), so the IVR
	// does not depend on the hour the test runs at.
	envs := []string{"ASCOLTO_DATA_DIR=" + t.TempDir()}
	mustCLI := func(stdin string, args ...string) {
		t.Helper()
		if out, errs, code := cliIn(t, envs, stdin, args...); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errs)
		}
	}
	mustCLI("", "migrate")
	mustCLI("password-di-anna\n", "user", "add", "rossi", "--role", "agent", "--name", "Anna Rossi", "--password-stdin")
	mustCLI("password-di-luca\n", "user", "add", "verdi", "--role", "supervisor", "--name", "Luca Verdi", "--password-stdin")
	mustCLI("", "mode", "set", "emergency", "--reason", "prova della console")
	db := openEnvStore(t, envs)
	ctx := context.Background()
	seat := store.Agent{Extension: "101", Endpoint: "PJSIP/101", Name: "Anna Rossi", Username: "rossi"}
	if err := db.SaveAgent(ctx, &seat, "test"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"informazioni", "soccorso"} {
		if err := db.SetMembership(ctx, q, "101", store.Member{}, "test"); err != nil {
			t.Fatal(err)
		}
		qq, err := db.QueueByName(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		qq.WrapupS, qq.MaxWaitS, qq.Overflow = 4, 0, ""
		if err := db.SaveQueue(ctx, &qq, "test"); err != nil {
			t.Fatal(err)
		}
	}
	sim, simEnv := startSim(t)
	// The agent's desk phone answers after a second and stays on the line.
	sim.Endpoint("PJSIP/101", arisim.Answer(time.Second))
	srv := startServe(t, append(envs, simEnv...))
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := getReady(t, srv.base); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready:\n%s", srv.log())
		}
		time.Sleep(100 * time.Millisecond)
	}

	browser := newHeadless(t, chromium)
	agent := openTab(t, browser, srv.base, shots)
	agent.login("rossi", "password-di-anna")
	agent.waitFor(`location.pathname === "/agent" && document.getElementById("ws-status").dataset.state === "online"`)
	// No softphone configured: the page says "not registered" and works on.
	agent.waitFor(`window.ascoltoSoftphone && window.ascoltoSoftphone.state() === "unregistered"`)
	agent.click(`button[data-agent-state="available"]`)
	agent.waitFor(`document.getElementById("state-badge").textContent === "disponibile"`)
	agent.waitFor(`document.getElementById("phone-state").textContent.startsWith("registrato")`)
	agent.shot("e2e-01-desk-idle")

	sup := openTab(t, browser, srv.base, shots)
	sup.login("verdi", "password-di-luca")
	sup.waitFor(`location.pathname === "/supervisor" && document.getElementById("ws-status").dataset.state === "online"`)
	sup.waitFor(`(document.querySelector('#wall-agents tr[data-agent="101"] .badge') || {}).textContent === "disponibile"`)
	answered := func() int {
		var n int
		fmt.Sscan(sup.text(`#queues tr[data-name="informazioni"] td[data-f="answered"]`), &n)
		return n
	}
	sup.waitFor(`document.querySelector('#queues tr[data-name="informazioni"] td[data-f="answered"]') !== null`)
	before := answered()

	// Call 1: information; the record is saved during the call.
	c1 := sim.Call(arisim.CallSpec{From: "+390862123456"}, arisim.WaitPlaybackStarted("sound:ascolto/menu-emergenza"),
		arisim.Press("3"), arisim.WaitBridged())
	agent.waitFor(`document.getElementById("pop-caller").textContent === "+390862123456"`)
	if path := agent.text("#pop-path"); !strings.Contains(path, "menu-emergenza") || !strings.Contains(path, "informazioni") {
		t.Errorf("IVR path on the pop: %q", path)
	}
	if d := agent.text("#pop-digits"); !strings.Contains(d, "3") {
		t.Errorf("digits on the pop: %q", d)
	}
	if agent.eval(`!document.getElementById("pop-urgency").hidden && document.getElementById("pop-urgency").classList.contains("urgency-rescue")`) {
		t.Error("an information call is shown as a rescue")
	}
	if q := agent.text("#pop-queue"); q != "informazioni" {
		t.Errorf("queue on the pop: %q", q)
	}
	agent.waitFor(`document.getElementById("state-badge").textContent === "in conversazione"`)
	// The supervisor sees it live: the agent on the call, answered +1.
	sup.waitFor(`(document.querySelector('#wall-agents tr[data-agent="101"] .badge') || {}).textContent === "in conversazione"`)
	sup.waitFor(fmt.Sprintf(`Number(document.querySelector('#queues tr[data-name="informazioni"] td[data-f="answered"]').textContent) === %d`, before+1))
	agent.shot("e2e-02-desk-screen-pop")

	// The likely comune from the area code is already in the form.
	if v := agent.value("#d-comune"); v != "L'Aquila (AQ) · 066049" {
		t.Errorf("comune prefilled from the pop: %q", v)
	}
	agent.do(chromedp.SetValue(chromedp.CSS("#d-category"), "idraulico"),
		chromedp.SetValue(chromedp.CSS("#d-outcome"), "informazione-fornita"),
		chromedp.SetValue(chromedp.CSS("#d-caller-type"), "cittadino"))
	agent.eval(`(document.getElementById("d-comune").value = "", true)`)
	agent.do(chromedp.SendKeys(chromedp.CSS("#d-comune"), "Sulmo"))
	// The type-ahead suggests the comune; the agent takes the suggestion.
	agent.waitFor(`[...document.querySelectorAll("#d-comuni option")].some(o => o.value === "Sulmona (AQ) · 066098")`)
	agent.do(chromedp.SetValue(chromedp.CSS("#d-comune"), "Sulmona (AQ) · 066098"),
		chromedp.SendKeys(chromedp.CSS("#d-notes"), "Chiede come informarsi sulle allerte del suo comune."))
	agent.click("#d-save")
	agent.waitFor(`/^CC-\d{4}-\d{6}$/.test(document.getElementById("saved-id").textContent)`)
	tid1 := agent.text("#saved-id")
	if kb := agent.value("#kb-case"); kb != tid1 {
		t.Errorf("the KB panel is not on the call's case: %q", kb)
	}
	c1.HangUp()
	<-c1.Done()
	cs := waitCase(t, db, tid1)
	if cs.Category != "idraulico" || cs.ComuneCode != "066098" || cs.Outcome != "informazione-fornita" || cs.ContactPhone != "+390862123456" ||
		cs.Urgency != store.UrgencyNone {
		t.Fatalf("case 1 in the store: %+v", cs)
	}
	if ds, _ := db.Dispositions(ctx, cs.ID); len(ds) != 1 || !strings.Contains(ds[0].Notes, "allerte") {
		t.Fatalf("dispositions of case 1: %+v", ds)
	}
	agent.waitFor(`document.getElementById("state-badge").textContent === "disponibile"`)

	// Call 2: a rescue request (key 1); nothing saved during the call.
	c2 := sim.Call(arisim.CallSpec{From: "+390862999888"}, arisim.WaitPlaybackStarted("sound:ascolto/menu-emergenza"),
		arisim.Press("1"), arisim.WaitBridged())
	agent.waitFor(`document.getElementById("pop-caller").textContent === "+390862999888"`)
	agent.waitFor(`!document.getElementById("pop-urgency").hidden && document.getElementById("pop-urgency").classList.contains("urgency-rescue")`)
	if txt := agent.text("#pop-urgency"); !strings.Contains(txt, "RICHIESTA DI SOCCORSO") || !strings.Contains(txt, "⚠") {
		t.Errorf("rescue banner says %q", txt)
	}
	if say := agent.text("#desk-announce"); !strings.Contains(say, "richiesta di soccorso") {
		t.Errorf("screen readers hear %q", say)
	}
	if !agent.eval(`document.querySelector('input[name="urgency"][value="rescue"]').checked`) {
		t.Error("the form does not carry the rescue urgency")
	}
	agent.waitFor(`document.getElementById("state-badge").textContent === "in conversazione"`)
	agent.shot("e2e-03-desk-rescue-pop")
	sup.shot("e2e-04-wallboard-live")
	c2.HangUp()
	<-c2.Done()
	agent.waitFor(`document.getElementById("state-badge").textContent === "chiusura scheda"`)
	agent.shot("e2e-05-desk-wrap-up")
	// Wrap-up runs out (4 s) without a record: a reminder stays.
	agent.waitFor(`document.getElementById("state-badge").textContent === "disponibile" && document.getElementById("overdue") !== null`)
	if r := agent.text("#overdue"); !strings.Contains(r, "+390862999888") {
		t.Errorf("reminder says %q", r)
	}
	agent.shot("e2e-06-desk-reminder")
	agent.do(chromedp.SetValue(chromedp.CSS("#d-category"), "idrogeologico"),
		chromedp.SetValue(chromedp.CSS("#d-outcome"), "inoltrata-sala-operativa"),
		chromedp.SetValue(chromedp.CSS("#d-comune"), "066049"),
		chromedp.SendKeys(chromedp.CSS("#d-notes"), "Frana sulla strada, famiglia isolata."))
	agent.click("#d-save")
	agent.waitFor(`/^CC-\d{4}-\d{6}$/.test(document.getElementById("saved-id").textContent) && document.getElementById("saved-id").textContent !== "` + tid1 + `"`)
	agent.waitFor(`document.getElementById("overdue") === null`)
	tid2 := agent.text("#saved-id")
	cs2 := waitCase(t, db, tid2)
	if cs2.Urgency != store.UrgencyRescue || cs2.ContactPhone != "+390862999888" || cs2.ComuneCode != "066049" {
		t.Fatalf("rescue case in the store: %+v", cs2)
	}
	// Saved, the rescue request is in front of the operations room, and the
	// agent is told so on the desk.
	agent.waitFor(`document.getElementById("saved-ops").textContent.includes("Inoltrata alla Sala Operativa")`)
	if it, err := db.OpsItemByCase(ctx, cs2.ID); err != nil || it.Kind != store.OpsRescue || it.State != "new" {
		t.Fatalf("operations-room item of the rescue case: %+v, %v", it, err)
	}
	sup.waitFor(fmt.Sprintf(`Number(document.querySelector('#queues tr[data-name="informazioni"] td[data-f="answered"]').textContent) === %d`, before+1))
	sup.waitFor(`Number(document.querySelector('#queues tr[data-name="soccorso"] td[data-f="answered"]').textContent) >= 1`)
	sup.shot("e2e-07-wallboard")

	// The case view marks the rescue request.
	agent.open("/cases/" + tid2)
	agent.waitFor(`document.querySelector(".urgency.urgency-rescue") !== null`)
	if txt := agent.text(".urgency.urgency-rescue"); !strings.Contains(txt, "Richiesta di soccorso") {
		t.Errorf("case view banner: %q", txt)
	}
	if tl := agent.text("#timeline"); !strings.Contains(tl, "Frana sulla strada") {
		t.Errorf("case timeline: %q", tl)
	}
	agent.shot("e2e-08-case-view")
	agent.open("/cases?q=" + "0862999888")
	agent.waitFor(`document.querySelector('#case-list tr.rescue-row[data-case="` + tid2 + `"]') !== null`)
	agent.open("/kb?q=alluvione")
	agent.shot("e2e-09-kb")

	// Roles: the agent cannot open the wallboard nor send its messages.
	agent.open("/supervisor")
	if msg := agent.text(".alert.err"); !strings.Contains(msg, "Il tuo ruolo non consente") {
		t.Errorf("agent on the wallboard sees %q", msg)
	}
	agent.open("/agent")
	agent.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
	for _, js := range []string{
		`ascolto.send("supervisor.agent.state", {agent: "101", state: "logged-out"})`,
		`ascolto.send("mode.set", {mode: "closed", reason: "non autorizzato"})`,
		`ascolto.send("supervisor.listen", {agent: "101"})`,
	} {
		if res := agent.evalMap(js + `.then(() => ({code: "ok"}), e => e)`); res["code"] != "forbidden" {
			t.Errorf("%s: %v", js, res)
		}
	}
	if m, err := db.CurrentMode(ctx, time.Now()); err != nil || m.Mode != store.ModeEmergency {
		t.Fatalf("the agent changed the mode: %+v %v", m, err)
	}
}

func waitCase(t *testing.T, db *store.DB, tid string) store.Case {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := db.CaseByTrackingID(context.Background(), tid)
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("case %s: %v", tid, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// newHeadless starts a headless Chromium with a fresh profile; extra
// adds flags (fake media devices, a certificate to accept).
func newHeadless(t *testing.T, path string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 768),
	}
	opts = append(opts, extra...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	b, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(b); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

// consoleTab is one browser profile on the console.
type consoleTab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
}

func openTab(t *testing.T, browser context.Context, base, shots string) *consoleTab {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelT)
	return &consoleTab{t: t, ctx: ctx, base: base, shots: shots}
}

func (c *consoleTab) do(steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, steps...); err != nil {
		c.t.Fatal(err)
	}
}

func (c *consoleTab) open(path string) { c.t.Helper(); c.do(chromedp.Navigate(c.base + path)) }

func (c *consoleTab) click(sel string) { c.t.Helper(); c.do(chromedp.Click(chromedp.CSS(sel))) }

func (c *consoleTab) text(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (c *consoleTab) value(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("value of %s: %v", sel, err)
	}
	return s
}

func (c *consoleTab) eval(js string) bool {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		c.t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

func (c *consoleTab) evalMap(js string) map[string]any {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, chromedp.Evaluate[map[string]any](js, chromedp.EvalAwaitPromise))
	if err != nil {
		c.t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition for up to 20 s.
func (c *consoleTab) waitFor(cond string) {
	c.t.Helper()
	c.waitForWithin(cond, 20*time.Second)
}

// waitForWithin is waitFor for conditions that may take longer than 20 s.
func (c *consoleTab) waitForWithin(cond string, d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		_, err := chromedp.Run(c.ctx, chromedp.Poll[bool]("(() => { try { return "+cond+" } catch (e) { return false } })()",
			chromedp.WithPollingTimeout(5*time.Second)))
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(c.ctx, chromedp.Location())
			page, _ := chromedp.Run(c.ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 600)`))
			c.t.Fatalf("waiting for %s: %v (at %s)\n%s", cond, err, loc, page)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *consoleTab) login(user, pw string) {
	c.t.Helper()
	c.open("/login")
	c.do(chromedp.WaitVisible(chromedp.CSS("#username")), chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), pw))
	if _, err := chromedp.RunResponse(c.ctx, chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`))); err != nil {
		c.t.Fatalf("sign in: %v", err)
	}
}

func (c *consoleTab) shot(name string) {
	c.t.Helper()
	png, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(c.shots, name+".png"), png, 0o644); err != nil {
		c.t.Fatal(err)
	}
}
