package console

import (
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"github.com/chromedp/chromedp"
)

// TestBrowserACDAdmin: an admin creates a queue (after being told, next to
// the field, what was wrong), adds a seat to it and edits the on-call
// roster, in a real browser; every page is screenshotted and checked with
// axe-core.
func TestBrowserACDAdmin(t *testing.T) {
	browser := startBrowser(t)
	shots := artifactsDir(t)
	t.Logf("screenshots in %s", shots)
	fr := &fakeRoster{}
	r := newRigWith(t, storetest.Engines()[0], Config{IdleTimeout: time.Hour}, func(c *Console) { fr.Backend = c.backend; c.backend = fr })
	r.user("capo", store.RoleAdmin)
	b := r.tab(t, browser, shots)
	b.login("capo", "capo-password")

	b.open("/admin/queues")
	b.waitFor(`document.querySelector('nav a[href="/admin/queues"]') !== null`)
	b.shot("acd-queues-empty")
	b.submit(`a[href="/admin/queues/new"]`)
	b.waitFor(`document.querySelector('#q-name') !== null`)
	b.do(chromedp.SetValue(chromedp.CSS("#q-name"), "prova"), chromedp.SetValue(chromedp.CSS("#q-sl"), "80"),
		chromedp.SetValue(chromedp.CSS("#q-max-wait"), "300"))
	b.submit(`form[action="/admin/queues"] button[type="submit"]`)
	b.waitFor(`document.querySelector('#q-sl-err') !== null`)
	if s := b.text("#q-sl-err"); !strings.Contains(s, "PERCENTUALE/SECONDI") {
		t.Errorf("service-level error reads %q", s)
	}
	b.shot("acd-queue-errors")
	b.do(chromedp.SetValue(chromedp.CSS("#q-sl"), "80/20"), chromedp.SetValue(chromedp.CSS("#q-max-wait"), "0"))
	b.submit(`form[action="/admin/queues"] button[type="submit"]`)
	b.waitFor(`location.pathname === "/admin/queues/prova"`)
	if q, err := r.db.QueueByName(bg, "prova"); err != nil || q.SLPercent != 80 || q.SLSeconds != 20 {
		t.Fatalf("queue stored as %+v, %v", q, err)
	}
	b.shot("acd-queue")

	b.open("/admin/seats/new")
	b.waitFor(`document.querySelector('#s-ext') !== null`)
	b.do(chromedp.SetValue(chromedp.CSS("#s-ext"), "2001"), chromedp.SetValue(chromedp.CSS("#s-ep"), "PJSIP/2001"),
		chromedp.SetValue(chromedp.CSS("#s-name"), "Anna Rossi"), chromedp.Click(chromedp.CSS(`input[name="queues"][value="prova"]`)))
	b.shot("acd-seat-new")
	b.submit(`form[action="/admin/seats"] button[type="submit"]`)
	b.waitFor(`location.pathname === "/admin/seats/2001"`)
	if q, _ := r.db.QueueByName(bg, "prova"); len(q.Members) != 1 || q.Members[0].Extension != "2001" {
		t.Errorf("seat not in the queue: %+v", q.Members)
	}
	b.open("/admin/seats")
	b.waitFor(`document.querySelector('a[href="/admin/seats/2001"]') !== null`)
	b.shot("acd-seats")

	b.open("/admin/roster")
	b.waitFor(`document.querySelector('#r-yaml') !== null`)
	b.do(chromedp.SetValue(chromedp.CSS("#r-yaml"), "quorum: 2\n"), chromedp.SetValue(chromedp.CSS("#r-comment"), "turni di dicembre"))
	b.submit(`form[action="/admin/roster"] button[type="submit"]`)
	b.waitFor(`document.querySelector('.alert.ok') !== null`)
	if fr.yaml != "quorum: 2\n" || fr.by != "capo" {
		t.Errorf("roster saved as %q by %q", fr.yaml, fr.by)
	}
	b.shot("acd-roster")
	b.noJSErrors()
}
