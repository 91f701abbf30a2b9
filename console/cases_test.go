package console

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
)

// caseFixture is a rescue case reported by phone and followed by email,
// with files of every kind, a review flag, a duplicate from the web form
// and an unrelated case with a file of its own.
type caseFixture struct {
	main, dup, other store.Case
	html, png, odd   int64 // attachment ids on main
	foreign          int64 // attachment id on other
	review           int64
}

func newCaseFixture(t *testing.T, r *rig) caseFixture {
	t.Helper()
	var f caseFixture
	err := r.db.InTx(bg, func(tx *store.Tx) error {
		f.main = store.Case{Channel: store.ChannelPhone, Category: "idraulico", Urgency: store.UrgencyRescue, ComuneCode: "",
			ContactName: "Mario Rossi", ContactPhone: "+390862000111", ContactEmail: "mario@example.it", Summary: "Acqua in casa, anziana bloccata"}
		if err := tx.CreateCase(bg, &f.main); err != nil {
			return err
		}
		call := store.Contact{CaseID: f.main.ID, Channel: store.ChannelPhone, Author: "rossi", Content: "Chiamata: l'acqua sale, chiede soccorso."}
		if err := tx.AddContact(bg, &call); err != nil {
			return err
		}
		em := store.Contact{CaseID: f.main.ID, Channel: store.ChannelEmail, Author: "mario@example.it", Content: "Vi mando le foto."}
		if err := tx.AddContact(bg, &em); err != nil {
			return err
		}
		for _, a := range []struct {
			name, ctype string
			to          *int64
		}{{"pagina.html", "text/html; charset=utf-8", &f.html}, {"foto.png", "image/png", &f.png}, {"strano.xyz", "application/x-strano", &f.odd}} {
			att := store.Attachment{CaseID: f.main.ID, ContactID: em.ID, Filename: a.name, ContentType: a.ctype, Data: []byte("<script>alert(1)</script>")}
			if err := tx.AddAttachment(bg, &att); err != nil {
				return err
			}
			*a.to = att.ID
		}
		if err := tx.FlagForReview(bg, f.main.ID, "il mittente non è quello della pratica"); err != nil {
			return err
		}
		f.dup = store.Case{Channel: store.ChannelWeb, ContactEmail: "mario@example.it", Summary: "Allagamento via Roma", Address: "Via Roma 1"}
		if err := tx.CreateCase(bg, &f.dup); err != nil {
			return err
		}
		f.other = store.Case{Channel: store.ChannelFax, Summary: "Fax del Comune"}
		if err := tx.CreateCase(bg, &f.other); err != nil {
			return err
		}
		att := store.Attachment{CaseID: f.other.ID, Filename: "fax.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4")}
		if err := tx.AddAttachment(bg, &att); err != nil {
			return err
		}
		f.foreign = att.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	revs, err := r.db.Reviews(bg, f.main.ID)
	if err != nil || len(revs) != 1 {
		t.Fatalf("reviews %v %v", revs, err)
	}
	f.review = revs[0].ID
	return f
}

func TestCaseSearchAndView(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	r.user("sala", store.RoleOpsRoom)
	f := newCaseFixture(t, r)
	b := r.browser()
	b.login("rossi")

	list := b.get("/cases")
	if list.code != 200 || !strings.Contains(list.body, f.main.TrackingID) || !strings.Contains(list.body, `class="rescue-row"`) ||
		!strings.Contains(list.body, "Richiesta di soccorso") {
		t.Fatalf("latest open cases: %d\n%.2000s", list.code, list.body)
	}
	byPhone := b.get("/cases?q=" + url.QueryEscape("0862 000111"))
	if !strings.Contains(byPhone.body, f.main.TrackingID) || strings.Contains(byPhone.body, f.other.TrackingID) {
		t.Fatalf("search by phone:\n%.2000s", byPhone.body)
	}
	if g := b.get("/cases?q=" + strings.ToLower(f.main.TrackingID)); g.code != http.StatusSeeOther || g.location != "/cases/"+f.main.TrackingID {
		t.Fatalf("tracking id search: %d %s", g.code, g.location)
	}
	if g := b.get("/cases?q=CC-2026-999999"); g.code != 200 || !strings.Contains(g.body, "Nessuna pratica") {
		t.Fatalf("unknown tracking id: %d", g.code)
	}
	for _, bad := range []string{"/cases?status=lost", "/cases?q=" + strings.Repeat("x", 201)} {
		if g := b.get(bad); g.code != http.StatusBadRequest {
			t.Errorf("%s: %d", bad[:20], g.code)
		}
	}

	v := b.get("/cases/" + f.main.TrackingID)
	for _, want := range []string{"urgency urgency-rescue", "Richiesta di soccorso", "segnalata alla Sala Operativa", "Rischio idraulico",
		"Chiamata: l&#39;acqua sale", "Vi mando le foto.", "pagina.html", fmt.Sprintf("/files/%d?download=1", f.png),
		"il mittente non è quello della pratica", fmt.Sprintf("/reviews/%d", f.review), "L&#39;email non è configurata",
		`action="/cases/` + f.main.TrackingID + `/merge"`, `action="/cases/` + f.main.TrackingID + `/close"`} {
		if !strings.Contains(v.body, want) {
			t.Errorf("case view lacks %q", want)
		}
	}
	if g := b.get("/cases/CC-2026-999999"); g.code != http.StatusNotFound {
		t.Errorf("unknown case: %d", g.code)
	}
	if g := b.get("/cases/not-a-case"); g.code != http.StatusNotFound {
		t.Errorf("malformed id: %d", g.code)
	}
	// The operations room reads cases too.
	s := r.browser()
	s.login("sala")
	if g := s.get("/cases/" + f.main.TrackingID); g.code != 200 {
		t.Errorf("opsroom case view: %d", g.code)
	}
	if g := r.browser().get("/cases/" + f.main.TrackingID); g.code != http.StatusSeeOther || !strings.HasPrefix(g.location, "/login") {
		t.Errorf("signed out: %d %s", g.code, g.location)
	}
}

func TestCaseFiles(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	f := newCaseFixture(t, r)
	b := r.browser()
	b.login("rossi")
	base := "/cases/" + f.main.TrackingID + "/files/"
	cases := []struct {
		path, ctype, disp string
		code              int
	}{
		{fmt.Sprint(f.html), "text/html; charset=utf-8", `attachment; filename=pagina.html`, 200},
		{fmt.Sprint(f.png), "image/png", `inline; filename=foto.png`, 200},
		{fmt.Sprint(f.png) + "?download=1", "image/png", `attachment; filename=foto.png`, 200},
		{fmt.Sprint(f.odd), "application/x-strano", `attachment; filename=strano.xyz`, 200},
		{fmt.Sprint(f.foreign), "", "", http.StatusNotFound}, // another case's file
		{"999999", "", "", http.StatusNotFound},
		{"x", "", "", http.StatusNotFound},
	}
	for _, c := range cases {
		g := b.get(base + c.path)
		if g.code != c.code {
			t.Errorf("%s: %d", c.path, g.code)
			continue
		}
		if c.code != 200 {
			continue
		}
		h := g.resp.Header
		if h.Get("Content-Type") != c.ctype || h.Get("Content-Disposition") != c.disp || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
			h.Get("X-Content-Type-Options") != "nosniff" || g.body != "<script>alert(1)</script>" {
			t.Errorf("%s: %v %q", c.path, h, g.body)
		}
	}
	// Parts of a file, as an audio player seeking in a recorded message asks.
	req, _ := http.NewRequest("GET", r.srv.URL+base+fmt.Sprint(f.png), nil)
	req.Header.Set("Range", "bytes=8-16")
	if g := b.do(req); g.code != http.StatusPartialContent || g.body != "alert(1)<" || g.resp.Header.Get("Content-Range") != "bytes 8-16/25" ||
		g.resp.Header.Get("Content-Type") != "image/png" || !strings.Contains(g.resp.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("Range: %d %v %q", g.code, g.resp.Header, g.body)
	}
	req, _ = http.NewRequest("GET", r.srv.URL+base+fmt.Sprint(f.png), nil)
	req.Header.Set("Range", "bytes=100-200")
	if g := b.do(req); g.code != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("Range past the end: %d", g.code)
	}
	// A file name with accents is quoted for the header, not passed raw.
	var id int64
	r.db.InTx(bg, func(tx *store.Tx) error {
		a := store.Attachment{CaseID: f.main.ID, Filename: "verbale città\r\n.pdf", ContentType: "application/pdf", Data: []byte("%PDF")}
		err := tx.AddAttachment(bg, &a)
		id = a.ID
		return err
	})
	g := b.get(fmt.Sprintf("%s%d", base, id))
	if d := g.resp.Header.Get("Content-Disposition"); g.code != 200 || strings.ContainsAny(d, "\r\n") || !strings.HasPrefix(d, "inline") {
		t.Errorf("odd file name: %d %q", g.code, d)
	}
}

func TestCaseActions(t *testing.T) {
	r := newRig(t, Config{IdleTimeout: time.Hour})
	r.user("rossi", store.RoleAgent)
	f := newCaseFixture(t, r)
	b := r.browser()
	b.login("rossi")
	page := "/cases/" + f.main.TrackingID
	act := func(what string, form url.Values) got {
		t.Helper()
		return b.submit(page, page+"/"+what, form)
	}

	// Notes.
	if g := act("note", url.Values{"note": {"  "}}); g.code != http.StatusBadRequest {
		t.Errorf("empty note: %d", g.code)
	}
	if g := act("note", url.Values{"note": {strings.Repeat("n", maxCaseNote+1)}}); g.code != http.StatusBadRequest {
		t.Errorf("long note: %d", g.code)
	}
	if g := b.post(page+"/note", url.Values{"note": {"senza token"}}); g.code != http.StatusForbidden {
		t.Errorf("note without a token: %d", g.code)
	}
	tok := b.token(page)
	if g := b.post(page+"/note", url.Values{"csrf": {tok}, "note": {"Richiamata la signora: al sicuro."}}); g.code != http.StatusSeeOther {
		t.Fatalf("note: %d %s", g.code, g.body)
	}
	if g := b.post(page+"/note", url.Values{"csrf": {tok}, "note": {"replayed"}}); g.code != http.StatusForbidden {
		t.Errorf("replayed token: %d", g.code)
	}
	tl, _ := r.db.Timeline(bg, f.main.ID)
	if last := tl[len(tl)-1]; last.Channel != store.ChannelNote || last.Author != "rossi" || last.Content != "Richiamata la signora: al sicuro." {
		t.Fatalf("note stored as %+v", last)
	}
	for _, c := range tl {
		if c.Content == "replayed" {
			t.Fatal("a replayed form was applied")
		}
	}

	// Replies: refused without a mailer, then queued with a real one.
	if g := act("reply", url.Values{"template": {"risposta"}, "text": {"Buongiorno"}}); g.code != http.StatusServiceUnavailable {
		t.Errorf("reply without mail: %d", g.code)
	}
	svc, err := mail.NewService(mail.ServiceOptions{Store: r.db, Clock: r.clk, From: "Protezione Civile <contactcenter@protezionecivile.example>"})
	if err != nil {
		t.Fatal(err)
	}
	r.c.mailer = svc
	bad := []struct {
		form url.Values
		key  string
	}{
		{url.Values{"template": {"inesistente"}}, "Modello di email sconosciuto"},
		{url.Values{"template": {"risposta"}}, "richiede il testo"},
		{url.Values{"template": {"risposta"}, "text": {strings.Repeat("t", maxReplyText+1)}}, "Testo troppo lungo"},
		{url.Values{"template": {"risposta"}, "text": {"x"}, "to": {"non-un-indirizzo"}}, "destinatario non valido"},
	}
	for _, c := range bad {
		if g := act("reply", c.form); g.code != http.StatusBadRequest || !strings.Contains(g.body, c.key) {
			t.Errorf("reply %v: %d", c.form, g.code)
		}
	}
	if g := act("reply", url.Values{"template": {"risposta"}, "text": {"La squadra è stata avvisata."}}); g.code != http.StatusSeeOther {
		t.Fatalf("reply: %d %s", g.code, g.body)
	}
	outs, _ := svc.Deliveries(bg, f.main.ID)
	if len(outs) != 1 || outs[0].To != "mario@example.it" || outs[0].State != store.OutboxQueued || outs[0].Author != "rossi" ||
		!strings.Contains(outs[0].Subject, f.main.TrackingID) {
		t.Fatalf("outbox %+v", outs)
	}
	v := b.get(page)
	if !strings.Contains(v.body, `class="badge delivery-queued"`) || !strings.Contains(v.body, "La squadra è stata avvisata.") {
		t.Fatal("the case view does not show the reply and its delivery state")
	}

	// Reviews.
	if g := act(fmt.Sprintf("reviews/%d", f.review+1000), nil2()); g.code != http.StatusNotFound {
		t.Errorf("someone else's review: %d", g.code)
	}
	if g := act(fmt.Sprintf("reviews/%d", f.review), nil2()); g.code != http.StatusSeeOther {
		t.Fatalf("resolve: %d %s", g.code, g.body)
	}
	if g := act(fmt.Sprintf("reviews/%d", f.review), nil2()); g.code != http.StatusConflict {
		t.Errorf("resolve twice: %d", g.code)
	}

	// Merge: confirmation required; then the duplicate leads here.
	if g := act("merge", url.Values{"duplicate": {f.dup.TrackingID}}); g.code != http.StatusBadRequest {
		t.Errorf("merge unconfirmed: %d", g.code)
	}
	if g := act("merge", url.Values{"duplicate": {"CC-12"}, "confirm": {"yes"}}); g.code != http.StatusBadRequest {
		t.Errorf("merge a malformed id: %d", g.code)
	}
	if g := act("merge", url.Values{"duplicate": {f.main.TrackingID}, "confirm": {"yes"}}); g.code != http.StatusBadRequest {
		t.Errorf("merge into itself: %d", g.code)
	}
	if g := act("merge", url.Values{"duplicate": {strings.ToLower(f.dup.TrackingID)}, "confirm": {"yes"}}); g.code != http.StatusSeeOther {
		t.Fatalf("merge: %d %s", g.code, g.body)
	}
	if dup, _ := r.db.CaseByID(bg, f.dup.ID); dup.Status != "merged" || dup.MergedInto != f.main.ID {
		t.Fatalf("duplicate after merge %+v", dup)
	}
	if g := b.get("/cases/" + f.dup.TrackingID); g.code != http.StatusSeeOther || !strings.HasPrefix(g.location, page+"?from=") {
		t.Fatalf("merged case: %d %s", g.code, g.location)
	}
	if g := b.submit(page, "/cases/"+f.dup.TrackingID+"/note", url.Values{"note": {"x"}}); g.code != http.StatusConflict {
		t.Errorf("note on a merged case: %d", g.code)
	}

	// Close: confirmation and a known outcome required; closing twice is a conflict.
	if g := act("close", url.Values{"outcome": {"informazione-fornita"}}); g.code != http.StatusBadRequest {
		t.Errorf("close unconfirmed: %d", g.code)
	}
	if g := act("close", url.Values{"outcome": {"boh"}, "confirm": {"yes"}}); g.code != http.StatusBadRequest {
		t.Errorf("close with an unknown outcome: %d", g.code)
	}
	if g := act("close", url.Values{"outcome": {"inoltrata-sala-operativa"}, "confirm": {"yes"}}); g.code != http.StatusSeeOther {
		t.Fatalf("close: %d %s", g.code, g.body)
	}
	if c, _ := r.db.CaseByID(bg, f.main.ID); c.Status != "closed" || c.Outcome != "inoltrata-sala-operativa" {
		t.Fatalf("closed case %+v", c)
	}
	if g := act("close", url.Values{"outcome": {"inoltrata-sala-operativa"}, "confirm": {"yes"}}); g.code != http.StatusConflict {
		t.Errorf("close twice: %d", g.code)
	}
	rossi := "rossi"
	audit, _ := r.db.AuditLog(bg, store.AuditFilter{Actor: &rossi})
	seen := map[string]bool{}
	for _, e := range audit {
		seen[e.Action] = true
	}
	for _, a := range []string{"case.note", "mail.reply", "review.resolve", "case.merge", "case.close"} {
		if !seen[a] {
			t.Errorf("audit lacks %s", a)
		}
	}

	// An expired session acts on nothing.
	r.clk.Advance(2 * time.Hour)
	if g := b.post(page+"/note", url.Values{"csrf": {"x"}, "note": {"tardi"}}); g.code != http.StatusSeeOther || !strings.Contains(g.location, "expired=1") {
		t.Errorf("expired session: %d %s", g.code, g.location)
	}
}

// TestCaseReplyClosingTemplate: the reply form preselects no template,
// and the closing template ("La sua pratica è stata chiusa") closes the
// case with an outcome, so no citizen is told an open case is closed. On
// a case already closed it is an ordinary reply.
func TestCaseReplyClosingTemplate(t *testing.T) {
	r := newRig(t, Config{IdleTimeout: time.Hour})
	r.user("rossi", store.RoleAgent)
	f := newCaseFixture(t, r)
	svc, err := mail.NewService(mail.ServiceOptions{Store: r.db, Clock: r.clk, From: "Protezione Civile <contactcenter@protezionecivile.example>"})
	if err != nil {
		t.Fatal(err)
	}
	r.c.mailer = svc
	b := r.browser()
	b.login("rossi")
	page := "/cases/" + f.main.TrackingID
	v := b.get(page)
	sel := regexp.MustCompile(`(?s)<select id="r-template"[^>]*>(.*?)</select>`).FindStringSubmatch(v.body)
	if sel == nil {
		t.Fatalf("no template list:\n%s", v.body)
	}
	if first := regexp.MustCompile(`<option [^>]*>`).FindString(sel[1]); first != `<option value="" selected>` {
		t.Errorf("the first template option is %s, want an empty one, selected", first)
	}
	if strings.Count(sel[1], "selected") != 1 {
		t.Errorf("more than one template preselected: %s", sel[1])
	}
	if !strings.Contains(sel[1], `data-closes="1">La sua pratica è stata chiusa — chiude la pratica</option>`) {
		t.Errorf("the closing template does not say it closes the case: %s", sel[1])
	}
	act := func(form url.Values) got {
		t.Helper()
		return b.submit(page, page+"/reply", form)
	}
	for _, form := range []url.Values{
		{"text": {"Buongiorno"}},                             // no template chosen
		{"template": {"chiusura"}},                           // closing without an outcome
		{"template": {"chiusura"}, "outcome": {"boh"}},       // an unknown outcome
		{"template": {"chiusura"}, "outcome": {""}, "x": {}}, // an empty one
	} {
		if g := act(form); g.code != http.StatusBadRequest {
			t.Errorf("reply %v: %d", form, g.code)
		}
	}
	if outs, _ := svc.Deliveries(bg, f.main.ID); len(outs) != 0 {
		t.Fatalf("refused replies were queued: %+v", outs)
	}
	if c, _ := r.db.CaseByID(bg, f.main.ID); c.Status != "open" {
		t.Fatalf("a refused reply closed the case: %+v", c)
	}
	if g := act(url.Values{"template": {"chiusura"}, "outcome": {"informazione-fornita"}}); g.code != http.StatusSeeOther ||
		!strings.Contains(g.location, "done=repliedclosed") {
		t.Fatalf("closing reply: %d %s %s", g.code, g.location, g.body)
	}
	if c, _ := r.db.CaseByID(bg, f.main.ID); c.Status != "closed" || c.Outcome != "informazione-fornita" {
		t.Fatalf("the closing reply left the case %s (%s)", c.Status, c.Outcome)
	}
	outs, _ := svc.Deliveries(bg, f.main.ID)
	if len(outs) != 1 || !strings.Contains(outs[0].Subject, "La sua pratica è stata chiusa") {
		t.Fatalf("outbox %+v", outs)
	}
	// The case is closed now: the template is an ordinary reply.
	v = b.get(page)
	if strings.Contains(v.body, `data-closes`) || strings.Contains(v.body, `id="r-closing"`) {
		t.Error("a closed case still offers to close it by email")
	}
	if g := act(url.Values{"template": {"chiusura"}}); g.code != http.StatusSeeOther || !strings.Contains(g.location, "done=replied") {
		t.Fatalf("closing template on a closed case: %d %s", g.code, g.body)
	}
}

// TestCaseShowsRescueRequest: the case page shows the structured rescue
// request the agent recorded — hazard, people, vulnerable people, callback,
// place and pin — in Italian and in English; a case without one shows no
// such section.
func TestCaseShowsRescueRequest(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	f := newCaseFixture(t, r)
	b := r.browser()
	b.login("rossi")
	if v := b.get("/cases/" + f.main.TrackingID); strings.Contains(v.body, `id="rescue-h"`) {
		t.Fatalf("a case without a rescue request shows one:\n%.2000s", v.body)
	}
	u, err := r.db.UserByName(bg, "rossi")
	if err != nil {
		t.Fatal(err)
	}
	lat, lon := 44.29851, 11.87953
	rd := store.RescueDetails{Place: "via Ravegnana 14", Lat: &lat, Lon: &lon, RadiusM: 100, People: 2, Elderly: true,
		Medical: true, Callback: "+39 333 765 4321", Hazard: store.HazardWater}
	d := store.Disposition{CaseID: f.main.ID, UserID: u.ID, Category: "idraulico", Outcome: "inoltrata-sala-operativa",
		Urgency: store.UrgencyRescue, ComuneCode: "039010", Notes: "Acqua al primo piano", Rescue: &rd}
	if err := r.db.SaveDisposition(bg, &d, "rossi"); err != nil {
		t.Fatal(err)
	}
	v := b.get("/cases/" + f.main.TrackingID)
	for _, want := range []string{`id="rescue-h">Richiesta di soccorso`, "Acqua in aumento", `id="rescue-people">2<`,
		"anziani, esigenze mediche", `href="tel:`, "333 765 4321</a>", `id="rescue-place">via Ravegnana 14`, "44.29851, 11.87953 · raggio 100 m"} {
		if !strings.Contains(v.body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
	if p := b.submit("/cases/"+f.main.TrackingID, "/lang", url.Values{"lang": {"en"}, "back": {"/cases/" + f.main.TrackingID}}); p.code != http.StatusSeeOther {
		t.Fatalf("switch to English: %d", p.code)
	}
	v = b.get("/cases/" + f.main.TrackingID)
	for _, want := range []string{`id="rescue-h">Rescue request`, "Water rising", "elderly people, medical needs", "radius 100 m", "Callback number"} {
		if !strings.Contains(v.body, want) {
			t.Errorf("English case page lacks %q", want)
		}
	}
}
