package console

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Browser tests: Debian's chromium, headless, driven through the DevTools
// protocol, against the console on a real port. They skip when no browser
// is installed (.ci/install-browser installs it). Screenshots of every
// page are written to $ASCOLTO_TEST_ARTIFACTS, or to
// $TMPDIR/ascolto-console-screenshots; the test log says where. Every page
// screenshot is checked with axe-core first when $ASCOLTO_TEST_AXE names
// its axe.min.js.

func chromiumPath(t *testing.T) string {
	p := os.Getenv("ASCOLTO_TEST_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no browser at %s (run .ci/install-browser): browser tests skipped", p)
	}
	return p
}

func artifactsDir(t *testing.T) string {
	dir := os.Getenv("ASCOLTO_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "ascolto-console-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startBrowser starts one headless Chromium for the test, with the flags
// CI needs and a fresh profile.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browser, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browser
}

// tab is one signed-in (or not) browser profile: its own cookies.
type tab struct {
	t     *testing.T
	ctx   context.Context
	r     *rig
	shots string

	mu     sync.Mutex
	jsErrs []string // uncaught exceptions and console.error calls, as they come
}

func (r *rig) tab(t *testing.T, browser context.Context, shots string) *tab {
	return r.tabFor(t, browser, shots, 90*time.Second)
}

// tabFor is tab with its own time limit, for a long walk (the wall's 300 agents).
func (r *rig) tabFor(t *testing.T, browser context.Context, shots string, limit time.Duration) *tab {
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, limit)
	t.Cleanup(cancelT)
	b := &tab{t: t, ctx: ctx, r: r, shots: shots}
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = e.ExceptionDetails.Text
			if ex := e.ExceptionDetails.Exception; ex != nil {
				msg += " " + ex.Description
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			msg = "console.error:"
			for _, a := range e.Args {
				msg += " " + a.Description + string(a.Value)
			}
		default:
			return
		}
		b.mu.Lock()
		b.jsErrs = append(b.jsErrs, msg)
		b.mu.Unlock()
	})
	if err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	return b
}

// noJSErrors fails the test if a page in the tab threw or logged an error.
func (b *tab) noJSErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.jsErrs {
		b.t.Errorf("JavaScript error: %s", e)
	}
}

// axeSource is axe-core's axe.min.js, named by $ASCOLTO_TEST_AXE (.ci/run
// fetches the npm package); without it the accessibility check is skipped,
// except under CI, where a missing axe-core is an error.
var axeSource = sync.OnceValues(func() (string, error) {
	p := os.Getenv("ASCOLTO_TEST_AXE")
	if p == "" {
		if os.Getenv("CI") != "" {
			return "", errors.New("CI is set but ASCOLTO_TEST_AXE is not: the accessibility checks cannot run")
		}
		return "", nil
	}
	b, err := os.ReadFile(p)
	return string(b), err
})

// axe runs axe-core on the page as it is now and fails the test on any
// critical or serious finding.
func (b *tab) axe(name string) {
	b.t.Helper()
	src, err := axeSource()
	if err != nil {
		b.t.Fatalf("axe-core: %v", err)
	}
	if src == "" {
		b.t.Logf("%s: accessibility not checked (set ASCOLTO_TEST_AXE to axe.min.js)", name)
		return
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](src+";0")); err != nil {
		b.t.Fatalf("load axe-core: %v", err)
	}
	res := b.eval(`axe.run(document, {resultTypes: ["violations"]}).then(r => ({found: r.violations
		.filter(v => v.impact === "critical" || v.impact === "serious")
		.map(v => v.impact + " " + v.id + ": " + v.help + " — " + v.nodes.map(n => n.target.join(" ")).join(", "))}))`)
	if found, _ := res["found"].([]any); len(found) > 0 {
		for _, f := range found {
			b.t.Errorf("%s: axe-core: %v", name, f)
		}
	}
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func (b *tab) open(path string) { b.t.Helper(); b.do(chromedp.Navigate(b.r.srv.URL + path)) }

// text is the visible text of the first element sel matches, once there
// is one. It is read in one evaluation: a list the page redraws live may
// replace the element between finding it and reading it, which failed
// chromedp.Text's two steps ("No node with given id found").
func (b *tab) text(sel string) string {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	el := "document.querySelector(" + string(q) + ")"
	b.waitFor(el + " !== null")
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[*string]("(() => { const e = "+el+"; return e === null ? null : e.innerText })()"))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	if s == nil {
		b.t.Fatalf("text of %s: the element went away", sel)
	}
	return *s
}

func (b *tab) location() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(s, b.r.srv.URL)
}

// eval runs a script, awaiting its promise.
func (b *tab) eval(js string) map[string]any {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string]any](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition; a page navigating meanwhile (its
// script context going away) is waited out.
func (b *tab) waitFor(cond string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := chromedp.Run(b.ctx, chromedp.Poll[bool]("(() => { try { return "+cond+" } catch (e) { return false } })()",
			chromedp.WithPollingTimeout(5*time.Second)))
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s: %v (at %s)", cond, err, b.location())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// submit clicks something that navigates and waits for the new page.
func (b *tab) submit(sel string) {
	b.t.Helper()
	if _, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("submit %s: %v", sel, err)
	}
}

// openMenu opens the actions menu of an agent's row on the wall display
// or the wallboard, and waits for the focus to be in it.
func (b *tab) openMenu(agent string) {
	b.t.Helper()
	b.waitFor(`document.querySelector('#wall-agents tr[data-agent="` + agent + `"] .wa-open') !== null`)
	b.do(chromedp.Click(chromedp.CSS(`#wall-agents tr[data-agent="` + agent + `"] .wa-open`)))
	b.waitFor(`!document.getElementById("wall-menu").hidden && document.activeElement.getAttribute("role") === "menuitem"`)
}

// menu picks the item of an agent's menu whose action is act (its
// data-act, as JSON), and waits for the menu to close.
func (b *tab) menu(agent, act string) {
	b.t.Helper()
	b.openMenu(agent)
	sel := `#wall-menu button[data-act='` + act + `']`
	b.waitFor(`(document.querySelector("` + strings.ReplaceAll(sel, `"`, `\"`) + `") || {disabled: true}).disabled === false`)
	b.do(chromedp.Click(chromedp.CSS(sel)))
	b.waitFor(`document.getElementById("wall-menu").hidden`)
}

// shot takes a screenshot of the page and checks it with axe-core.
func (b *tab) shot(name string) {
	b.t.Helper()
	b.axe(name)
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *tab) login(user, pw string) {
	b.t.Helper()
	b.open("/login")
	b.do(chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), pw))
	b.submit(`form[action="/login"] button[type="submit"]`)
}

func TestBrowser(t *testing.T) {
	browser := startBrowser(t)
	shots := artifactsDir(t)
	t.Logf("screenshots in %s", shots)
	r := newRig(t, Config{MaxFailuresPerUser: 3, IdleTimeout: 30 * time.Minute})
	r.user("rossi", store.RoleAgent)
	r.user("bianchi", store.RoleAgent)
	r.user("verdi", store.RoleSupervisor)
	r.user("capo", store.RoleAdmin)
	for _, name := range []string{"neri", "gialli", "blu"} {
		r.be.seat(name, "2"+name[:2])
	}
	// Articles that hold only the plural, or only the unaccented word, so
	// the search must bridge the difference.
	for _, a := range []store.KBArticle{
		{Slug: "sportello-danni", Topic: "avvisi", Title: "Sportello per i danni delle alluvioni di novembre", Status: store.KBPublished,
			Body: "Le domande di contributo per i danni causati dalle alluvioni si presentano al Comune entro 60 giorni."},
		{Slug: "scuole-verifiche", Topic: "avvisi", Title: "Verifiche nelle scuole dopo il terremoto", Status: store.KBPublished,
			Body: "I tecnici verificano gli edifici scolastici: le scuole riaprono dopo il sopralluogo."},
	} {
		if err := r.db.CreateKBArticle(bg, &a, "test", "capo"); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.c.refreshKB(bg, true); err != nil {
		t.Fatal(err)
	}

	t.Run("sign in, wrong password, desk", func(t *testing.T) {
		b := r.tab(t, browser, shots)
		b.open("/")
		if loc := b.location(); loc != "/login" {
			t.Fatalf("signed-out / lands on %s", loc)
		}
		b.shot("01-login")
		b.login("rossi", "non-questa")
		if msg := b.text(".alert.err"); !strings.Contains(msg, "Nome utente o password errati") {
			t.Fatalf("wrong password says %q", msg)
		}
		b.shot("02-login-wrong-password")
		b.login("rossi", "rossi-password")
		if loc := b.location(); loc != "/agent" {
			t.Fatalf("agent lands on %s", loc)
		}
		b.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
		b.do(chromedp.Click(chromedp.CSS(`button[data-agent-state="available"]`)))
		b.waitFor(`document.getElementById("state-badge").textContent === "disponibile"`)
		if v, _ := r.be.AgentFor(bg, "rossi"); v.State != StateAvailable {
			t.Fatalf("the ACD did not hear it: %s", v.State)
		}
		// The phone in words, and the time in state as a duration.
		if got := b.text("#phone-state"); got != "registrato · libero" {
			t.Errorf("phone state reads %q", got)
		}
		b.waitFor(`/^da \d+ s$/.test(document.getElementById("state-since").textContent)`)
		// The knowledge-base panel: "alluvione" finds the article that
		// only says "alluvioni", and pins it to a case.
		c := store.Case{Channel: store.ChannelPhone}
		if err := r.db.CreateCase(bg, &c); err != nil {
			t.Fatal(err)
		}
		b.do(chromedp.SendKeys(chromedp.CSS("#kb-q"), "alluvione"),
			chromedp.SendKeys(chromedp.CSS("#kb-case"), c.TrackingID))
		b.waitFor(`[...document.querySelectorAll("#kb-results a")].some(a => a.textContent.includes("danni delle alluvioni"))`)
		b.do(chromedp.Click(chromedp.CSS(`#kb-results li:first-child button.pin`)))
		b.waitFor(`document.querySelector("#kb-results li:first-child [role=status]").textContent.includes("Collegato")`)
		if pins, _ := r.db.KBPins(bg, c.ID); len(pins) != 1 {
			t.Fatalf("pin not stored: %+v", pins)
		}
		b.shot("03-agent-desk")
		b.do(chromedp.EmulateViewport(1024, 768))
		b.shot("04-agent-desk-tablet")
		b.do(chromedp.EmulateViewport(1366, 768))
	})

	t.Run("throttling", func(t *testing.T) {
		b := r.tab(t, browser, shots)
		for range 3 {
			b.login("bianchi", "sbagliata")
		}
		b.login("bianchi", "bianchi-password")
		if msg := b.text(".alert.err"); !strings.Contains(msg, "Troppi tentativi") {
			t.Fatalf("throttled sign-in says %q", msg)
		}
		if loc := b.location(); loc != "/login" {
			t.Fatalf("throttled sign-in got in: %s", loc)
		}
		b.shot("05-login-throttled")
	})

	t.Run("roles", func(t *testing.T) {
		b := r.tab(t, browser, shots)
		b.login("rossi", "rossi-password")
		b.open("/supervisor")
		if msg := b.text(".alert.err"); !strings.Contains(msg, "Il tuo ruolo non consente") {
			t.Fatalf("agent on the wallboard sees %q", msg)
		}
		b.shot("06-agent-forbidden-wallboard")
		b.open("/agent")
		b.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
		res := b.eval(`ascolto.send("supervisor.agent.state", {agent: "2ne", state: "logged-out"}).then(() => ({ok: true}), e => e)`)
		if res["code"] != "forbidden" {
			t.Fatalf("agent's supervisor message: %v", res)
		}
		if v, _ := r.be.AgentFor(bg, "neri"); v.State != StateLoggedOut {
			t.Fatal("state changed")
		}
		// The supervisor's wallboard shows the agents live, one compact
		// line each, and acts on them from each row's menu.
		s := r.tab(t, browser, shots)
		s.login("verdi", "verdi-password")
		s.waitFor(`document.querySelector('#wall-agents tr[data-agent="2ne"]') !== null`)
		b.eval(`ascolto.send("agent.state", {state: "paused", reason: "pausa"}).then(v => v)`)
		seat, _ := r.be.AgentFor(bg, "rossi")
		me := `#wall-agents tr[data-agent="` + seat.ID + `"]`
		s.waitFor(`(document.querySelector('` + me + ` .badge') || {textContent: ""}).textContent.startsWith("in pausa")`)
		s.menu(seat.ID, `{"state":"available"}`)
		b.waitFor(`document.getElementById("state-badge").textContent === "disponibile"`)
		// Every agent's row, changed or not, has its queues, its phone in
		// words and its time in state as a duration.
		row := `#wall-agents tr[data-agent="2bl"]`
		cells := s.eval(`(() => { const td = document.querySelectorAll('` + row + ` td');
			return {queues: td[3].textContent, phone: td[4].textContent, since: td[2].textContent}; })()`)
		if cells["queues"] != "informazioni, segnalazioni" || cells["phone"] != "libero" {
			t.Errorf("untouched agent's row: %v", cells)
		}
		s.waitFor(`/^\d+ (h \d\d min|min \d\d s|s)$/.test(document.querySelectorAll('` + row + ` td')[2].textContent)`)
		// Moving that agent out of a queue redraws its row at once.
		s.do(chromedp.SetValue(chromedp.CSS("#move-to"), "soccorso"))
		s.menu("2bl", `{"from":"informazioni","to":"soccorso"}`)
		s.waitFor(`document.querySelectorAll('` + row + ` td')[3].textContent === "segnalazioni, soccorso"`)
		s.shot("07-supervisor-wallboard")
		// One supervision: its row marked with the mode, the mode's item
		// disabled in the menu, switched in place, and stopped.
		r.be.setState(seat.ID, StateOnCall, "c1")
		s.waitFor(`document.querySelector('` + me + ` .badge').textContent.startsWith("in conversazione")`)
		s.menu(seat.ID, `{"watch":"listen"}`)
		s.waitFor(`document.querySelector('` + me + `').classList.contains("watched") &&
			document.querySelector('` + me + ` .watch-mark').textContent === "in ascolto (tu)"`)
		s.menu(seat.ID, `{"watch":"whisper"}`)
		s.waitFor(`document.querySelector('` + me + ` .watch-mark').textContent === "suggerimento (tu)"`)
		s.openMenu(seat.ID)
		if st := s.eval(`(() => { const q = a => document.querySelector("#wall-menu button[data-act='" + a + "']");
			return {whisper: q('{"watch":"whisper"}').disabled, listen: q('{"watch":"listen"}').disabled, stop: q('{"stop":true}') !== null}; })()`); st["whisper"] != true || st["listen"] != false || st["stop"] != true {
			t.Errorf("the menu of the agent whispered to: %v", st)
		}
		s.shot("07b-supervisor-whispering")
		s.do(chromedp.KeyEvent(kb.Escape))
		s.menu(seat.ID, `{"stop":true}`)
		s.waitFor(`!document.querySelector('` + me + `').classList.contains("watched") && document.querySelector('` + me + ` .watch-mark').hidden`)
		r.be.mu.Lock()
		got := strings.Join(r.be.watched, ",")
		r.be.mu.Unlock()
		if got != seat.ID+" listen verdi,"+seat.ID+" whisper verdi,stop verdi" {
			t.Errorf("supervisions %s", got)
		}
		s.noJSErrors()
	})

	t.Run("knowledge base search", func(t *testing.T) {
		b := r.tab(t, browser, shots)
		b.login("rossi", "rossi-password")
		b.open("/kb")
		b.shot("08-kb-index")
		b.do(chromedp.SendKeys(chromedp.CSS("#q"), "terremòto"))
		b.submit(`form[role=search] button`)
		if hits := b.text("#kb-hits"); !strings.Contains(hits, "Verifiche nelle scuole dopo il terremoto") {
			t.Fatalf("terremòto did not find the terremoto article: %q", hits)
		}
		b.shot("09-kb-search")
		b.open("/kb/terremoto-prima-durante-dopo")
		b.shot("10-kb-article")
	})

	t.Run("csrf refusal", func(t *testing.T) {
		b := r.tab(t, browser, shots)
		b.login("capo", "capo-password")
		b.open("/account")
		// A forged token, then a token replayed after its form was accepted.
		b.eval(`(() => { const f = document.querySelector('form[action="/account/lang"]');
			f.querySelector('[name=csrf]').value = "AQAAAABrB-4IKtIs4j6Opk-8S3xHLnBXOwMj_DWmlA8HbDi4iQ"; f.submit(); return {}; })()`)
		b.waitFor(`document.querySelector(".alert.err") !== null`)
		if msg := b.text(".alert.err"); !strings.Contains(msg, "Il modulo è scaduto") {
			t.Fatalf("forged token: %q", msg)
		}
		b.shot("11-csrf-refused")
		b.open("/account")
		token := b.eval(`({t: document.querySelector('form[action="/account/lang"] [name=csrf]').value})`)["t"].(string)
		b.submit(`form[action="/account/lang"] button`)
		b.waitFor(`location.search.includes("done=saved")`)
		b.eval(`(() => { const f = document.createElement("form"); f.method = "post"; f.action = "/account/lang";
			for (const [k, v] of [["csrf", "` + token + `"], ["lang", "en"]]) { const i = document.createElement("input"); i.name = k; i.value = v; f.appendChild(i); }
			document.body.appendChild(f); f.submit(); return {}; })()`)
		b.waitFor(`document.querySelector(".alert.err") !== null`)
		if u, _ := r.db.UserByName(bg, "capo"); u.Lang == "en" {
			t.Fatal("the replayed form was applied")
		}
		b.open("/admin/users")
		b.shot("12-admin-users")
		b.open("/account")
		b.shot("13-account")
	})

	t.Run("session expiry", func(t *testing.T) {
		b := r.tab(t, browser, shots)
		b.login("rossi", "rossi-password")
		b.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
		r.clk.Advance(31 * time.Minute)
		// The housekeeping closes the expired session's socket; the page
		// goes to the sign-in form and says why.
		r.c.hub.expire(bg, r.c.sessionAlive)
		b.waitFor(`location.pathname === "/login" && location.search.includes("expired=1")`)
		if msg := b.text(".alert.ok"); !strings.Contains(msg, "La sessione è scaduta") {
			t.Fatalf("expiry notice: %q", msg)
		}
		b.shot("14-session-expired")
		// English, chosen on the sign-in page.
		b.submit(`form.lang button[value="en"]`)
		b.waitFor(`document.documentElement.lang === "en"`)
		b.shot("15-login-english")
	})
}

// TestBrowserCallPanelAndSoftphone: the desk's call panel in a real
// browser against the in-memory ACD, and the softphone pointed at a WSS
// address where nothing listens: JsSIP loads, the page says "not
// registered" (then that the PBX cannot be reached), and the desk works on.
func TestBrowserCallPanelAndSoftphone(t *testing.T) {
	browser := startBrowser(t)
	shots := artifactsDir(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	r := newRig(t, Config{Softphone: Softphone{WSSURL: "ws://" + dead + "/ws", Domain: "pbx.example.it"}})
	r.user("rossi", store.RoleAgent)
	ds, err := geo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.db.SeedGeo(bg, ds); err != nil {
		t.Fatal(err)
	}
	// The case the in-memory ACD's disposition names, for the pin.
	c := store.Case{Channel: store.ChannelPhone}
	if err := r.db.CreateCase(bg, &c); err != nil || c.TrackingID != "CC-2026-000001" {
		t.Fatalf("case %s %v", c.TrackingID, err)
	}
	b := r.tab(t, browser, shots)
	b.login("rossi", "rossi-password")
	b.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
	if st := b.eval(`({s: window.ascoltoSoftphone.state(), lib: typeof window.JsSIP})`); st["s"] != "unregistered" || st["lib"] != "object" {
		t.Fatalf("softphone at load: %v", st)
	}
	b.do(chromedp.SendKeys(chromedp.CSS("#sp-password"), "segreta"))
	b.do(chromedp.Click(chromedp.CSS(`#sp-form button[type="submit"]`)))
	b.waitFor(`["disconnected", "failed"].includes(window.ascoltoSoftphone.state())`)
	if txt := b.text("#sp-state"); !strings.Contains(txt, "centralino non raggiungibile") && !strings.Contains(txt, "non riuscita") {
		t.Errorf("softphone state reads %q", txt)
	}
	if v := b.eval(`({v: document.getElementById("sp-password").value})`); v["v"] != "" {
		t.Error("the password stays in the form")
	}

	seat, _ := r.be.AgentFor(bg, "rossi")
	r.be.setState(seat.ID, StateRinging, "")
	r.c.Offer("rossi", "call.offered", map[string]any{"call": "c1", "caller": "+390862600002", "queue": "soccorso",
		"ivr_path": []string{"benvenuto", "menu-ordinario", "pericolo"}, "digits": "1", "urgency": "rescue", "rescue": true,
		"comune": "L'Aquila (AQ)", "comune_code": "066049",
		"previous": []map[string]any{{"tracking_id": "CC-2025-000042", "category": "idraulico", "status": "closed", "summary": "Cantina allagata"}}})
	b.waitFor(`document.getElementById("pop-caller").textContent === "+390862600002"`)
	b.waitFor(`document.getElementById("desk-announce").textContent.includes("richiesta di soccorso")`)
	if prev := b.text("#pop-previous"); !strings.Contains(prev, "CC-2025-000042") || !strings.Contains(prev, "Cantina allagata") {
		t.Errorf("previous contacts: %q", prev)
	}
	r.be.setState(seat.ID, StateOnCall, "c1")
	b.waitFor(`!document.querySelector('#call-controls [data-call="hold"]').disabled`)
	if v := b.eval(`({off: document.querySelector('#call-controls [data-call="unhold"]').disabled})`); v["off"] != true {
		t.Error("Resume is offered on a call not on hold")
	}
	// Hold goes to the ACD (which accepts it on a call); then only Resume applies.
	b.do(chromedp.Click(chromedp.CSS(`#call-controls [data-call="hold"]`)))
	b.waitFor(`document.getElementById("desk-announce").textContent === "Fatto."`)
	b.waitFor(`document.querySelector('#call-controls [data-call="hold"]').disabled && !document.querySelector('#call-controls [data-call="unhold"]').disabled`)
	b.do(chromedp.Click(chromedp.CSS(`#call-controls [data-call="unhold"]`)))
	b.waitFor(`!document.querySelector('#call-controls [data-call="hold"]').disabled && document.querySelector('#call-controls [data-call="unhold"]').disabled`)
	// A transfer needs a target: said in the page, nothing sent.
	b.do(chromedp.Click(chromedp.CSS(`#call-controls [data-call="transfer"]`)))
	b.waitFor(`!document.getElementById("call-error").hidden`)
	// A blind transfer the number did not take: the agent is told the
	// caller is back in the queue.
	r.c.Offer("rossi", "transfer.refused", map[string]any{"call": "c0", "caller": "+390862600001", "number": "+390544000000",
		"queue": "informazioni", "status": "BUSY"})
	b.waitFor(`!document.getElementById("desk-notice").hidden`)
	if got := b.text("#desk-notice"); got != "Trasferimento non riuscito verso +390544000000 (occupato): il chiamante è tornato in testa alla coda informazioni (+390862600001)." {
		t.Errorf("refused transfer notice: %q", got)
	}
	b.shot("16-desk-call-panel-softphone")

	b.do(chromedp.SetValue(chromedp.CSS("#d-category"), "idraulico"), chromedp.SetValue(chromedp.CSS("#d-outcome"), "informazione-fornita"))
	// A comune typed without picking a suggestion: an ambiguous name asks
	// to choose, a unique one is taken as it is.
	b.eval(`(() => { document.getElementById("d-comune").value = ""; return {}; })()`)
	b.do(chromedp.SendKeys(chromedp.CSS("#d-comune"), "Castro"))
	b.do(chromedp.Click(chromedp.CSS("#d-save")))
	b.waitFor(`!document.getElementById("disp-error").hidden`)
	if msg := b.text("#disp-error"); !strings.Contains(msg, "Più comuni hanno questo nome") {
		t.Errorf("ambiguous comune says %q", msg)
	}
	if len(r.be.saved) != 0 {
		t.Fatal("saved with an ambiguous comune")
	}
	b.eval(`(() => { document.getElementById("d-comune").value = ""; return {}; })()`)
	b.do(chromedp.SendKeys(chromedp.CSS("#d-comune"), "faenza"))
	b.do(chromedp.Click(chromedp.CSS("#d-save")))
	b.waitFor(`document.getElementById("saved-id").textContent === "CC-2026-000001"`)
	if saved := r.be.saved; len(saved) != 1 || saved[0].Call != "c1" || saved[0].Urgency != "rescue" || saved[0].ComuneCode != "039010" {
		t.Fatalf("disposition sent: %+v", saved)
	}
	// The knowledge-base panel pins to the call's case without retyping it.
	b.do(chromedp.SendKeys(chromedp.CSS("#kb-q"), "terremoto"))
	b.waitFor(`document.querySelector("#kb-results li:first-child button.pin") !== null`)
	b.do(chromedp.Click(chromedp.CSS(`#kb-results li:first-child button.pin`)))
	b.waitFor(`document.querySelector("#kb-results li:first-child [role=status]").textContent.includes("Collegato")`)
	if pins, _ := r.db.KBPins(bg, c.ID); len(pins) != 1 {
		t.Fatalf("pin on the call's case: %+v", pins)
	}
	b.shot("17-desk-saved-and-pinned")
}
