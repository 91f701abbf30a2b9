package console

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"github.com/chromedp/chromedp"
)

// TestBrowserPages: the case reply form, the account's second-factor
// card and the 404 page in a real browser, with screenshots, axe-core and
// no JavaScript errors.
func TestBrowserPages(t *testing.T) {
	browser := startBrowser(t)
	shots := artifactsDir(t)
	r := newRig(t, Config{IdleTimeout: time.Hour})
	r.user("rossi", store.RoleAgent)

	t.Run("case reply: no template preselected, the closing one closes", func(t *testing.T) {
		f := newCaseFixture(t, r)
		svc, err := mail.NewService(mail.ServiceOptions{Store: r.db, Clock: r.clk, From: "Protezione Civile <contactcenter@protezionecivile.example>"})
		if err != nil {
			t.Fatal(err)
		}
		r.c.mailer = svc
		b := r.tab(t, browser, shots)
		b.login("rossi", "rossi-password")
		b.open("/cases/" + f.main.TrackingID + "#mail")
		b.waitFor(`document.getElementById("r-template") !== null`)
		if v := b.eval(`({v: document.getElementById("r-template").value, hidden: document.getElementById("r-closing").hidden})`); v["v"] != "" || v["hidden"] != true {
			t.Fatalf("reply form at load: %v", v)
		}
		b.axe("case")
		b.do(chromedp.SetValue(chromedp.CSS("#r-template"), "chiusura"))
		b.eval(`(() => { document.getElementById("r-template").dispatchEvent(new Event("change")); return {}; })()`)
		b.waitFor(`!document.getElementById("r-closing").hidden && document.getElementById("r-outcome").required`)
		if txt := b.text("#r-closing"); !strings.Contains(txt, "la pratica viene chiusa") {
			t.Errorf("the closing notice says %q", txt)
		}
		if txt := b.text("#r-send"); txt != "Invia e chiudi la pratica" {
			t.Errorf("the send button says %q", txt)
		}
		b.do(chromedp.ScrollIntoView(chromedp.CSS("#mail")))
		b.shot("20-case-reply-closing")
		// Sending without an outcome is stopped in the page.
		b.do(chromedp.Click(chromedp.CSS(`#mail button[type="submit"]`)))
		if c, _ := r.db.CaseByID(bg, f.main.ID); c.Status != "open" {
			t.Fatal("closed without an outcome")
		}
		b.do(chromedp.SetValue(chromedp.CSS("#r-outcome"), "informazione-fornita"))
		b.submit(`#mail button[type="submit"]`)
		b.waitFor(`location.search.includes("done=repliedclosed")`)
		if c, _ := r.db.CaseByID(bg, f.main.ID); c.Status != "closed" {
			t.Fatalf("the closing reply left the case %s", c.Status)
		}
		if msg := b.text(".alert.ok"); !strings.Contains(msg, "Pratica chiusa e risposta messa in coda") {
			t.Errorf("notice %q", msg)
		}
		b.shot("21-case-closed-by-reply")
		// The other template choices hide the closing part again.
		f2 := f.dup
		b.open("/cases/" + f2.TrackingID)
		b.do(chromedp.SetValue(chromedp.CSS("#r-template"), "chiusura"))
		b.eval(`(() => { document.getElementById("r-template").dispatchEvent(new Event("change")); return {}; })()`)
		b.do(chromedp.SetValue(chromedp.CSS("#r-template"), "risposta"))
		b.eval(`(() => { document.getElementById("r-template").dispatchEvent(new Event("change")); return {}; })()`)
		b.waitFor(`document.getElementById("r-closing").hidden && !document.getElementById("r-outcome").required && document.getElementById("r-send").textContent === "Invia"`)
		b.noJSErrors()
	})

	t.Run("account: second factor optional, QR code, the address wraps", func(t *testing.T) {
		b := r.tab(t, browser, shots)
		b.login("rossi", "rossi-password")
		b.open("/account")
		b.waitFor(`document.querySelector("svg.qr") !== null`)
		v := b.eval(`(() => { const code = document.querySelectorAll("code.wrapall")[1], card = code.closest(".card"), qr = document.querySelector("svg.qr").getBoundingClientRect();
			return {codeRight: code.getBoundingClientRect().right, cardRight: card.getBoundingClientRect().right, overflow: card.scrollWidth - card.clientWidth,
				qr: qr.width, text: card.textContent}; })()`)
		if v["codeRight"].(float64) > v["cardRight"].(float64) || v["overflow"].(float64) > 0 {
			t.Errorf("the otpauth address overflows its card: %v", v)
		}
		if v["qr"].(float64) < 150 {
			t.Errorf("the QR code is %v px wide", v["qr"])
		}
		if txt := v["text"].(string); strings.Contains(txt, "Il secondo fattore è obbligatorio") || !strings.Contains(txt, "non è obbligatorio") {
			t.Errorf("the card says %q", txt)
		}
		b.do(chromedp.ScrollIntoView(chromedp.CSS("svg.qr")))
		b.shot("22-account-second-factor")
		b.noJSErrors()
	})

	t.Run("forced enrolment: required, with a QR code", func(t *testing.T) {
		r2 := newRig(t, Config{TOTPRequired: true})
		r2.user("capo", store.RoleAdmin)
		b := r2.tab(t, browser, shots)
		b.login("capo", "capo-password")
		if loc := b.location(); !strings.HasPrefix(loc, "/login/totp") {
			t.Fatalf("an admin without a second factor lands on %s", loc)
		}
		if txt := b.text("main"); !strings.Contains(txt, "Il secondo fattore è obbligatorio per il tuo ruolo") {
			t.Errorf("the enrolment page says %q", txt)
		}
		b.waitFor(`document.querySelector("svg.qr") !== null`)
		b.shot("23-totp-enrol")
		b.noJSErrors()
	})

	t.Run("404 page and favicon", func(t *testing.T) {
		b := r.tab(t, browser, shots)
		b.open("/login") // the language switch needs the pre-session cookie
		b.open("/pagina-che-non-esiste")
		if h := b.text("h1"); h != "Pagina non trovata" {
			t.Fatalf("404 heading %q", h)
		}
		b.shot("24-not-found")
		b.submit(`form.lang button[value="en"]`)
		b.waitFor(`document.documentElement.lang === "en"`)
		if h := b.text("h1"); h != "Page not found" {
			t.Fatalf("404 heading in English %q", h)
		}
		// A file missing under /assets/ and a form's address opened as a
		// link get the same layout, not the server's plain text.
		b.open("/assets/manca.js")
		if h := b.text("h1"); h != "Page not found" {
			t.Fatalf("asset miss heading %q", h)
		}
		b.open("/logout")
		if h := b.text("h1"); h != "Request not accepted" {
			t.Fatalf("405 heading %q", h)
		}
		b.shot("24b-method-not-allowed")
		if v := b.eval(`fetch("/favicon.ico").then(r => r.text().then(t => ({ok: r.ok, type: r.headers.get("content-type"), svg: t.startsWith("<svg")})))`); v["ok"] != true || v["svg"] != true {
			t.Errorf("favicon: %v", v)
		}
		b.noJSErrors()
	})
}

// TestBrowserActivationLive: /activation opened before any activation
// shows the board when one opens, follows it, and shows the open form
// again when it closes, without a reload; the countdown follows the
// server's clock (the rig's clock is days away from the browser's), and
// the board speaks words, not codes.
func TestBrowserActivationLive(t *testing.T) {
	browser := startBrowser(t)
	shots := artifactsDir(t)
	var be *activationBE
	r := newRigWith(t, storetest.Engines()[0], Config{IdleTimeout: time.Hour}, func(c *Console) {
		be = &activationBE{memBackend: c.backend.(*memBackend)}
		c.backend = be
	})
	r.user("coord", store.RoleSupervisor)
	b := r.tab(t, browser, shots)
	b.login("coord", "coord-password")
	b.open("/activation")
	b.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
	if v := b.eval(`({none: !!document.getElementById("activation-none"), open: document.getElementById("activation-open").hidden,
		close: document.getElementById("activation-close").hidden})`); v["none"] != true || v["open"] != false || v["close"] != true {
		t.Fatalf("before any activation: %v", v)
	}
	// The checkboxes sit by their words.
	v := b.eval(`(() => { const out = {}; for (const id of ["act-exercise", "act-confirm"]) {
		const cb = document.getElementById(id).getBoundingClientRect(), lab = document.getElementById(id).closest("label").getBoundingClientRect();
		out[id] = cb.width < 40 && cb.left - lab.left < 5 && Math.abs(cb.top - lab.top) < 16; } return out; })()`)
	if v["act-exercise"] != true || v["act-confirm"] != true {
		t.Errorf("checkboxes away from their labels: %v", v)
	}
	b.shot("25-activation-none")

	// An activation opens: the board appears by itself.
	be.set(r.c, func(*testBoard) {})
	b.waitFor(`document.getElementById("activation") !== null && document.getElementById("activation-open").hidden && !document.getElementById("activation-close").hidden`)
	cd := b.text("#countdown")
	if !regexp.MustCompile(`^2[45]:\d\d$`).MatchString(cd) {
		t.Errorf("countdown %q: not the 25 minutes left on the server's clock", cd)
	}
	board := b.text("#activation")
	for _, w := range []string{"in corso", "primaria", "ha confermato", "in chiamata", "ha risposto senza scegliere", "telefono"} {
		if !strings.Contains(board, w) {
			t.Errorf("the board lacks %q", w)
		}
	}
	for _, code := range []string{"primary", "calling", "no-input", "running"} {
		if strings.Contains(board, code) {
			t.Errorf("the board shows the code %q", code)
		}
	}
	b.shot("26-activation-open")

	// Someone arrives: the board follows.
	be.set(r.c, func(bd *testBoard) {
		bd.Confirmed, bd.Arrived = 2, 1
		bd.People[1].State, bd.People[1].Last = "arrived", ""
	})
	b.waitFor(`document.getElementById("confirmed").textContent === "2" && document.querySelector('#people tr[data-id="2"] .badge').textContent === "in sala"`)
	if cd := b.text("#countdown"); strings.HasPrefix(cd, "-") {
		t.Errorf("countdown after an update %q", cd)
	}
	b.shot("27-activation-arrived")

	// A drill's board does not replace the real one.
	r.c.PublishActivation(9, testBoard{ID: 9, Exercise: true, Event: "Prova"})
	// It closes: the countdown goes, the open form comes back.
	be.set(r.c, func(bd *testBoard) { bd.ClosedAt, bd.State = t0.Add(10*time.Minute), "closed" })
	b.waitFor(`!document.getElementById("activation-open").hidden && document.getElementById("activation-close").hidden && document.getElementById("countdown") === null`)
	if txt := b.text("#activation"); !strings.Contains(txt, "chiusa") || strings.Contains(txt, "Prova") {
		t.Errorf("closed board: %q", txt)
	}
	b.shot("28-activation-closed")
	b.noJSErrors()
}
