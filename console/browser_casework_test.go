package console

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
)

// TestBrowserCaseWork walks case work as a coordinator and an operator do
// it: an admin writes a canned reply, the operator filters the case list
// (the filters stay in the address), takes a case, sees another fall
// overdue, answers with the canned reply and merges the duplicate the
// case page suggests. Every step is a screenshot checked with axe-core.
func TestBrowserCaseWork(t *testing.T) {
	browser := startBrowser(t)
	shots := artifactsDir(t)
	t.Logf("screenshots in %s", shots)
	r := newRig(t, Config{IdleTimeout: 48 * time.Hour, SessionMax: 72 * time.Hour})
	r.user("capo", store.RoleAdmin)
	r.user("rossi", store.RoleAgent)
	r.user("bianchi", store.RoleAgent)
	f := newCaseFixture(t, r)
	svc, err := mail.NewService(mail.ServiceOptions{Store: r.db, Clock: r.clk, From: "Protezione Civile <contactcenter@protezionecivile.example>"})
	if err != nil {
		t.Fatal(err)
	}
	r.c.mailer = svc
	canned := "Le foto sono arrivate: la squadra del Comune passerà in giornata. Per un pericolo immediato chiami il 112."

	admin := r.tab(t, browser, shots)
	admin.login("capo", "capo-password")
	admin.open("/admin/replies")
	admin.do(chromedp.WaitVisible(chromedp.CSS("#cr-title")),
		chromedp.SendKeys(chromedp.CSS("#cr-title"), "Foto ricevute"),
		chromedp.SetValue(chromedp.CSS("#cr-body"), canned))
	admin.submit(`#new button[type="submit"]`)
	admin.waitFor(`location.search.includes("done=cannedcreated")`)
	if txt := admin.text("#canned-list"); !strings.Contains(txt, "Foto ricevute") {
		t.Fatalf("the admin list shows %q", txt)
	}
	admin.shot("40-canned-replies-admin")
	admin.noJSErrors()

	b := r.tab(t, browser, shots)
	b.login("rossi", "rossi-password")

	// Filter: open web-form cases. The filters land in the address.
	b.open("/cases")
	b.do(chromedp.WaitVisible(chromedp.CSS("#f-channel")),
		chromedp.SetValue(chromedp.CSS("#f-channel"), "web"))
	b.submit(`#case-filters button[type="submit"]`)
	b.waitFor(`location.search.includes("channel=web") && location.search.includes("status=open")`)
	if got := b.eval(`({rows: [...document.querySelectorAll("#case-list tbody tr")].map(r => r.dataset.case)})`); len(got["rows"].([]any)) != 1 ||
		got["rows"].([]any)[0] != f.dup.TrackingID {
		t.Fatalf("filtered rows %v", got)
	}
	shared := b.location()
	b.shot("41-cases-filtered")
	// The address is the filter: opened again, it gives the same list.
	b.open(shared)
	b.waitFor(`document.getElementById("f-channel").value === "web" && document.querySelectorAll("#case-list tbody tr").length === 1`)

	// Assign: the operator takes the rescue case.
	b.open("/cases/" + f.main.TrackingID)
	b.do(chromedp.WaitVisible(chromedp.CSS("#assign-me")))
	b.submit("#assign-me")
	b.waitFor(`location.search.includes("done=assigned")`)
	if txt := b.text("#case-owner"); !strings.Contains(txt, "rossi") {
		t.Fatalf("owner shown as %q", txt)
	}
	if c, _ := r.db.CaseByID(bg, f.main.ID); c.Owner != "rossi" {
		t.Fatalf("owner stored %q", c.Owner)
	}
	b.do(chromedp.ScrollIntoView(chromedp.CSS("#work")))
	b.shot("42-case-assigned")

	// Due and overdue: the web-form case (8 working hours from Thursday
	// 9:30) is late on Friday morning, first when sorted by due time.
	r.clk.Set(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC))
	b.open("/cases?status=open&sort=due")
	b.waitFor(`document.querySelector("#case-list tbody tr") !== null`)
	first := b.eval(`(() => { const r = document.querySelector("#case-list tbody tr"); return {id: r.dataset.case, cls: r.className, due: r.querySelector("td.due").textContent, bg: getComputedStyle(r.querySelector("td")).backgroundColor}; })()`)
	if first["id"] != f.dup.TrackingID || !strings.Contains(first["cls"].(string), "overdue-row") || !strings.Contains(first["due"].(string), "In ritardo") ||
		first["bg"] == "rgba(0, 0, 0, 0)" {
		t.Fatalf("the overdue case is not flagged first: %v", first)
	}
	b.shot("43-cases-overdue")

	// Canned reply: picking it fills the text and the template.
	b.open("/cases/" + f.main.TrackingID + "#mail")
	b.do(chromedp.WaitVisible(chromedp.CSS("#r-canned")))
	b.eval(`(() => { const s = document.getElementById("r-canned"); s.selectedIndex = 1; s.dispatchEvent(new Event("change")); return {}; })()`)
	b.waitFor(`document.getElementById("r-text").value.startsWith("Le foto sono arrivate") && document.getElementById("r-template").value === "risposta"`)
	b.do(chromedp.ScrollIntoView(chromedp.CSS("#mail")))
	b.shot("44-case-canned-reply")
	b.submit(`#mail button[type="submit"]`)
	b.waitFor(`location.search.includes("done=replied")`)
	tl, _ := r.db.Timeline(bg, f.main.ID)
	if last := tl[len(tl)-1]; last.Direction != "out" || !strings.Contains(last.Content, "la squadra del Comune passerà") {
		t.Fatalf("the reply sent: %+v", last)
	}

	// Merge: the case page suggests the web-form case with the same email.
	b.open("/cases/" + f.main.TrackingID + "#duplicates")
	b.do(chromedp.WaitVisible(chromedp.CSS(`#duplicates li[data-duplicate="` + f.dup.TrackingID + `"]`)))
	b.do(chromedp.ScrollIntoView(chromedp.CSS("#duplicates")))
	b.shot("45-case-duplicate-suggested")
	b.do(chromedp.Click(chromedp.CSS(`#duplicates input[name="confirm"]`)))
	b.submit(`#duplicates button[type="submit"]`)
	b.waitFor(`location.search.includes("done=merged")`)
	if txt := b.text("#duplicates"); !strings.Contains(txt, "Nessun possibile duplicato") {
		t.Errorf("after the merge the suggestions say %q", txt)
	}
	if txt := b.text("#timeline"); !strings.Contains(txt, f.dup.TrackingID) || !strings.Contains(txt, "Allagamento") && !strings.Contains(txt, "unita a questa") {
		t.Errorf("the timeline after the merge: %q", txt)
	}
	if c, _ := r.db.CaseByID(bg, f.dup.ID); c.Status != "merged" || c.MergedInto != f.main.ID {
		t.Fatalf("duplicate %s into %d", c.Status, c.MergedInto)
	}
	b.do(chromedp.ScrollIntoView(chromedp.CSS("#timeline")))
	b.shot("46-case-merged")
	b.noJSErrors()
}
