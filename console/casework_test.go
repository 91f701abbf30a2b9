package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
)

func seedGeo(t *testing.T, r *rig) {
	t.Helper()
	ds, err := geo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.db.SeedGeo(bg, ds); err != nil {
		t.Fatal(err)
	}
}

func auditOf(t *testing.T, r *rig, action string) []store.AuditEntry {
	t.Helper()
	es, err := r.db.AuditLog(bg, store.AuditFilter{Action: &action})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// rows returns the tracking ids of the case list's rows, in order.
func rows(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `<tr data-case="`)[1:] {
		out = append(out, part[:strings.Index(part, `"`)])
	}
	return out
}

func TestCaseListFiltersAndPagesInTheURL(t *testing.T) {
	r := newRig(t, Config{IdleTimeout: 48 * time.Hour, SessionMax: 72 * time.Hour})
	r.user("rossi", store.RoleAgent)
	r.user("bianchi", store.RoleAgent)
	seedGeo(t, r)
	// Web forms with no response time here: only the email case falls due.
	if err := r.db.SetCaseSLA(bg, store.ChannelWeb, 0, "test"); err != nil {
		t.Fatal(err)
	}
	var all []store.Case
	mk := func(c store.Case) store.Case {
		t.Helper()
		r.clk.Advance(time.Minute)
		if err := r.db.CreateCase(bg, &c); err != nil {
			t.Fatal(err)
		}
		all = append(all, c)
		return c
	}
	faenza := mk(store.Case{Channel: store.ChannelEmail, Category: "idraulico", ComuneCode: "039010", ContactEmail: "a@example.it"})
	rescue := mk(store.Case{Channel: store.ChannelPhone, Category: "idraulico", Urgency: store.UrgencyRescue, ComuneCode: "039010"})
	for i := 0; i < 30; i++ {
		mk(store.Case{Channel: store.ChannelWeb, Category: "sismico", Summary: fmt.Sprintf("modulo %d", i)})
	}
	if err := r.db.AssignCase(bg, rescue.ID, "rossi", "bianchi"); err != nil {
		t.Fatal(err)
	}
	b := r.browser()
	b.login("rossi")

	first := b.get("/cases")
	if first.code != 200 || len(rows(first.body)) != casesPerPage || !strings.Contains(first.body, "32 pratiche · pagina 1 di 2") {
		t.Fatalf("first visit: %d rows %v\n%.1500s", first.code, len(rows(first.body)), first.body)
	}
	m := regexpFind(t, first.body, `rel="next" href="([^"]+)"`)
	next := b.get(strings.ReplaceAll(m, "&amp;", "&"))
	if got := rows(next.body); len(got) != 32-casesPerPage || got[len(got)-1] != faenza.TrackingID {
		t.Fatalf("page 2 (%s): %v", m, got)
	}
	if !strings.Contains(next.body, `rel="prev"`) || strings.Contains(next.body, `rel="next"`) {
		t.Error("page 2 links")
	}

	tests := []struct {
		query string
		want  []string
	}{
		{"status=open&channel=email", []string{faenza.TrackingID}},
		{"status=&category=idraulico", []string{rescue.TrackingID, faenza.TrackingID}},
		{"status=open&urgency=rescue", []string{rescue.TrackingID}},
		{"status=&comune=Faenza", []string{rescue.TrackingID, faenza.TrackingID}},
		{"status=&comune=039010&channel=phone", []string{rescue.TrackingID}},
		{"status=&owner=me", []string{rescue.TrackingID}},
		{"status=&owner=-&category=idraulico", []string{faenza.TrackingID}},
		{"status=closed", nil},
	}
	for _, tt := range tests {
		g := b.get("/cases?" + tt.query)
		if g.code != 200 {
			t.Fatalf("%s: %d %.500s", tt.query, g.code, g.body)
		}
		if got := rows(g.body); strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: %v, want %v", tt.query, got, tt.want)
		}
	}
	// The filters are in the form as the URL set them.
	g := b.get("/cases?status=open&category=idraulico&owner=me&sort=due&comune=Faenza")
	for _, want := range []string{`<option value="idraulico" selected>`, `<option value="me" selected>`, `<option value="due" selected>`,
		`name="comune" value="Faenza"`, `aria-sort="ascending"`} {
		if !strings.Contains(g.body, want) {
			t.Errorf("the filter form lacks %s", want)
		}
	}
	for _, bad := range []string{"urgency=maybe", "channel=pigeon", "sort=random", "page=0", "event=x", "comune=Atlantide", "status=lost", "event=99"} {
		if g := b.get("/cases?" + bad); g.code != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, g.code)
		}
	}

	// Overdue: the email case is due 8 working hours after it opened
	// (Thursday 9:31 → 17:31); the next morning it is late, in words and
	// colour, and first when sorted by due time.
	if faenza.DueAt.IsZero() || !rescue.DueAt.IsZero() {
		t.Fatalf("due times: email %s, phone %s", faenza.DueAt, rescue.DueAt)
	}
	r.clk.Set(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC))
	late := b.get("/cases?status=open&overdue=1")
	if got := rows(late.body); len(got) != 1 || got[0] != faenza.TrackingID {
		t.Fatalf("overdue: %v", got)
	}
	if !strings.Contains(late.body, `class=" overdue-row"`) || !strings.Contains(late.body, "In ritardo") {
		t.Error("the overdue row is not marked")
	}
	byDue := b.get("/cases?status=open&sort=due")
	if got := rows(byDue.body); got[0] != faenza.TrackingID {
		t.Errorf("sorted by due: %v", got[:3])
	}
}

func regexpFind(t *testing.T, body, pattern string) string {
	t.Helper()
	i := strings.Index(pattern, "(")
	pre, post := pattern[:i], pattern[strings.Index(pattern, ")")+1:]
	j := strings.Index(body, pre)
	if j < 0 {
		t.Fatalf("no %s in page", pre)
	}
	rest := body[j+len(pre):]
	return rest[:strings.Index(rest, post)]
}

func TestCaseOwnerDueAndMergeSuggestion(t *testing.T) {
	r := newRig(t, Config{IdleTimeout: 48 * time.Hour, SessionMax: 72 * time.Hour})
	r.user("rossi", store.RoleAgent)
	r.user("bianchi", store.RoleAgent)
	f := newCaseFixture(t, r)
	b := r.browser()
	b.login("rossi")
	page := "/cases/" + f.main.TrackingID
	act := func(what string, form url.Values) got {
		return b.submit(page, page+"/"+what, form)
	}

	if g := act("assign", url.Values{"owner": {"me"}}); g.code != http.StatusSeeOther || !strings.Contains(g.location, "done=assigned") {
		t.Fatalf("assign to me: %d %s", g.code, g.location)
	}
	if c, _ := r.db.CaseByID(bg, f.main.ID); c.Owner != "rossi" {
		t.Fatalf("owner %q", c.Owner)
	}
	if g := act("assign", url.Values{"owner": {"bianchi"}}); g.code != http.StatusSeeOther {
		t.Fatalf("assign to a colleague: %d", g.code)
	}
	if g := act("assign", url.Values{"owner": {"fantasma"}}); g.code != http.StatusBadRequest || !strings.Contains(g.body, "Collega sconosciuto") {
		t.Errorf("assign to nobody known: %d", g.code)
	}
	v := b.get(page)
	if !strings.Contains(v.body, `id="case-owner">Bianchi (bianchi)`) || !strings.Contains(v.body, `id="assign-me"`) {
		t.Errorf("the case page does not show the owner")
	}
	a := auditOf(t, r, "case.assign")
	if len(a) != 2 || a[0].Actor != "rossi" || a[0].Detail["from"] != "rossi" || a[0].Detail["to"] != "bianchi" {
		t.Errorf("assign audit %+v", a)
	}

	// The phone case has no due time; one set by hand, in Italian time.
	if !f.main.DueAt.IsZero() {
		t.Fatalf("phone case due %s", f.main.DueAt)
	}
	if g := act("due", url.Values{"due": {"domani"}}); g.code != http.StatusBadRequest {
		t.Errorf("bad due: %d", g.code)
	}
	if g := act("due", url.Values{"due": {"2026-11-26T12:00"}}); g.code != http.StatusSeeOther {
		t.Fatalf("due: %d %s", g.code, g.body)
	}
	c, _ := r.db.CaseByID(bg, f.main.ID)
	if want := time.Date(2026, 11, 26, 11, 0, 0, 0, time.UTC); !c.DueAt.Equal(want) {
		t.Fatalf("due %s, want %s", c.DueAt, want)
	}
	r.clk.Set(time.Date(2026, 11, 26, 11, 30, 0, 0, time.UTC))
	v = b.get(page)
	if !strings.Contains(v.body, `class="badge overdue"`) || !strings.Contains(v.body, "senza risposta") || !strings.Contains(v.body, `value="2026-11-26T12:00"`) {
		t.Error("the case page does not flag the overdue case")
	}
	if g := act("due", url.Values{"clear": {"1"}}); g.code != http.StatusSeeOther {
		t.Fatalf("clear due: %d", g.code)
	}
	if c, _ := r.db.CaseByID(bg, f.main.ID); !c.DueAt.IsZero() {
		t.Fatal("due not cleared")
	}
	if a := auditOf(t, r, "case.due"); len(a) != 2 || a[1].Detail["to"] != "2026-11-26T11:00:00Z" {
		t.Errorf("due audit %+v", a)
	}

	// The web-form case with the same email is suggested; the unrelated
	// fax is not. Merging from the suggestion keeps both histories.
	if !strings.Contains(v.body, `data-duplicate="`+f.dup.TrackingID+`"`) || strings.Contains(v.body, `data-duplicate="`+f.other.TrackingID+`"`) ||
		!strings.Contains(v.body, "stessa email") {
		t.Fatalf("suggestions:\n%.3000s", v.body[strings.Index(v.body, `id="duplicates"`):])
	}
	if g := act("merge", url.Values{"duplicate": {f.dup.TrackingID}, "confirm": {"yes"}}); g.code != http.StatusSeeOther {
		t.Fatalf("merge: %d", g.code)
	}
	v = b.get(page)
	if strings.Contains(v.body, `data-duplicate="`) || !strings.Contains(v.body, "Nessun possibile duplicato") ||
		!strings.Contains(v.body, "unita a questa") {
		t.Error("after the merge the suggestion is still shown or the note is missing")
	}
	if a := auditOf(t, r, "case.merge"); len(a) != 1 || a[0].Actor != "rossi" {
		t.Errorf("merge audit %+v", a)
	}
	// The merged case's forms refuse.
	dup := "/cases/" + f.dup.TrackingID
	if g := b.submit(page, dup+"/assign", url.Values{"owner": {"me"}}); g.code != http.StatusConflict {
		t.Errorf("assign a merged case: %d", g.code)
	}
}

func TestCannedRepliesAdminAndReply(t *testing.T) {
	r := newRig(t, Config{IdleTimeout: 48 * time.Hour, SessionMax: 72 * time.Hour})
	r.user("capo", store.RoleAdmin)
	r.user("rossi", store.RoleAgent)
	f := newCaseFixture(t, r)
	svc, err := mail.NewService(mail.ServiceOptions{Store: r.db, Clock: r.clk, From: "Protezione Civile <contactcenter@protezionecivile.example>"})
	if err != nil {
		t.Fatal(err)
	}
	r.c.mailer = svc

	agent := r.browser()
	agent.login("rossi")
	if g := agent.get("/admin/replies"); g.code != http.StatusForbidden {
		t.Errorf("an agent reaches the canned replies: %d", g.code)
	}
	if g := agent.submit("/cases", "/admin/replies", url.Values{"title": {"x"}, "lang": {"it"}, "template": {"risposta"}, "body": {"x"}}); g.code != http.StatusForbidden {
		t.Errorf("an agent creates a canned reply: %d", g.code)
	}

	admin := r.browser()
	admin.login("capo")
	home := admin.get("/admin/replies")
	if home.code != 200 || !strings.Contains(home.body, `href="/admin/replies" aria-current="page"`) || !strings.Contains(home.body, `name="hours-email"`) {
		t.Fatalf("admin page: %d\n%.1500s", home.code, home.body)
	}
	create := func(form url.Values) got { return admin.submit("/admin/replies", "/admin/replies", form) }
	body := "Le strade chiuse sono sul sito del Comune; per un pericolo immediato chiami il 112."
	if g := create(url.Values{"title": {"Strade chiuse"}, "lang": {"it"}, "template": {"risposta"}, "body": {body}}); g.code != http.StatusSeeOther ||
		!strings.Contains(g.location, "done=cannedcreated") {
		t.Fatalf("create: %d %s %.300s", g.code, g.location, g.body)
	}
	for _, bad := range []struct {
		form url.Values
		code int
	}{
		{url.Values{"title": {"Strade chiuse"}, "lang": {"it"}, "template": {"risposta"}, "body": {"altro"}}, http.StatusConflict},
		{url.Values{"title": {""}, "lang": {"it"}, "template": {"risposta"}, "body": {"x"}}, http.StatusBadRequest},
		{url.Values{"title": {"x"}, "lang": {"it"}, "template": {"chiusura"}, "body": {"x"}}, http.StatusBadRequest},
		{url.Values{"title": {"x"}, "lang": {"de"}, "template": {"risposta"}, "body": {"x"}}, http.StatusBadRequest},
	} {
		if g := create(bad.form); g.code != bad.code {
			t.Errorf("create %v: %d, want %d", bad.form, g.code, bad.code)
		}
	}
	list, _ := r.db.CannedReplies(bg, "")
	if len(list) != 1 {
		t.Fatalf("replies %+v", list)
	}
	id := list[0].ID
	edit := fmt.Sprintf("/admin/replies/%d", id)
	if g := admin.get(edit); g.code != 200 || !strings.Contains(g.body, "Strade chiuse") {
		t.Fatalf("edit page %d", g.code)
	}
	body2 := body + " Grazie."
	if g := admin.submit(edit, edit, url.Values{"title": {"Strade chiuse"}, "lang": {"it"}, "template": {"risposta"}, "body": {body2}}); g.code != http.StatusSeeOther {
		t.Fatalf("save: %d", g.code)
	}
	// Response times.
	if g := admin.submit("/admin/replies", "/admin/sla", url.Values{"hours-email": {"16"}, "hours-web": {"8"}, "hours-fax": {"8"}, "hours-phone": {"0"}}); g.code != http.StatusSeeOther {
		t.Fatalf("sla: %d", g.code)
	}
	if g := admin.submit("/admin/replies", "/admin/sla", url.Values{"hours-email": {"-3"}}); g.code != http.StatusBadRequest {
		t.Errorf("negative hours: %d", g.code)
	}
	if a := auditOf(t, r, "case.sla"); len(a) != 1 || a[0].Actor != "capo" {
		t.Errorf("sla audit %+v", a)
	}

	// The operator picks it in the reply form; with the text left empty
	// the server fills it (the page's script fills it in the browser).
	page := "/cases/" + f.main.TrackingID
	v := agent.get(page)
	if !strings.Contains(v.body, `id="r-canned"`) || !strings.Contains(v.body, `data-template="risposta" data-lang="it"`) {
		t.Fatal("the reply form has no canned replies")
	}
	if g := agent.submit(page, page+"/reply", url.Values{"canned": {"999"}}); g.code != http.StatusBadRequest {
		t.Errorf("unknown canned reply: %d", g.code)
	}
	if g := agent.submit(page, page+"/reply", url.Values{"canned": {fmt.Sprint(id)}, "lang": {"it"}}); g.code != http.StatusSeeOther {
		t.Fatalf("reply with a canned text: %d %.500s", g.code, g.body)
	}
	tl, _ := r.db.Timeline(bg, f.main.ID)
	last := tl[len(tl)-1]
	if last.Direction != "out" || !strings.Contains(last.Content, "Grazie.") {
		t.Fatalf("the reply sent %+v", last)
	}
	if c, _ := r.db.CaseByID(bg, f.main.ID); c.AnsweredAt.IsZero() {
		t.Error("the reply did not mark the case answered")
	}
	if a := auditOf(t, r, "mail.reply"); len(a) != 1 || a[0].Detail["canned"] != fmt.Sprintf("%d Strade chiuse", id) {
		t.Errorf("reply audit %+v", a)
	}

	// Delete, with confirmation.
	if g := admin.submit(edit, edit+"/delete", url.Values{}); g.code != http.StatusBadRequest {
		t.Errorf("delete without confirmation: %d", g.code)
	}
	if g := admin.submit(edit, edit+"/delete", url.Values{"confirm": {"yes"}}); g.code != http.StatusSeeOther {
		t.Fatalf("delete: %d", g.code)
	}
	if g := admin.get(edit); g.code != http.StatusNotFound {
		t.Errorf("deleted reply: %d", g.code)
	}
	for action, n := range map[string]int{"canned.create": 1, "canned.update": 1, "canned.delete": 1} {
		if a := auditOf(t, r, action); len(a) != n || a[0].Actor != "capo" {
			t.Errorf("%s audit %+v", action, a)
		}
	}
}

func TestCaseWorkPagesInBothLanguages(t *testing.T) {
	r := newRig(t, Config{})
	r.user("ad", store.RoleAdmin)
	f := newCaseFixture(t, r)
	reply := store.CannedReply{Title: "Prova", Lang: "it", Template: "risposta", Body: "Testo"}
	if err := r.db.SaveCannedReply(bg, &reply, "ad"); err != nil {
		t.Fatal(err)
	}
	paths := []string{"/cases", "/cases?status=&sort=due&overdue=1", "/cases/" + f.main.TrackingID, "/admin/replies",
		fmt.Sprintf("/admin/replies/%d", reply.ID)}
	r.pagesTranslated("ad", paths)
}
