package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ascolto/ascolto/store"
)

func TestItalianStemming(t *testing.T) {
	same := [][]string{
		{"alluvione", "alluvioni", "Alluvioni", "ALLUVIONE"},
		{"terremoto", "terremòto", "terremoti", "Terremóti"},
		{"rischio", "rischi"},
		{"incendio", "incendi"},
		{"provincia", "province"},
		{"farmacia", "farmacie"},
		{"blocco", "blocchi"},
		{"banca", "banche"},
		{"sismico", "sismica", "sismici", "sismiche"},
		{"frana", "frane"},
		{"città", "citta"},
		{"emergenza", "emergenze"},
	}
	for _, g := range same {
		want := terms(g[0])
		for _, w := range g[1:] {
			if got := terms(w); len(got) != 1 || got[0] != want[0] {
				t.Errorf("%s → %v, %s → %v: should meet", g[0], want, w, got)
			}
		}
	}
	different := [][2]string{{"frana", "franco"}, {"vulcano", "vulcanico"}, {"mare", "maremoto"}}
	for _, d := range different {
		if terms(d[0])[0] == terms(d[1])[0] {
			t.Errorf("%s and %s collapse", d[0], d[1])
		}
	}
	if got := terms("dell'alluvione, nel 2024: cosa fare"); strings.Join(got, " ") != "alluvion 2024" {
		t.Errorf("elision, numbers and stopwords: %v", got)
	}
}

func TestKBIndexRanksAndFilters(t *testing.T) {
	x := newKBIndex()
	x.build("1", []store.KBArticle{
		{ID: 1, Title: "Alluvione: cosa fare", Body: "Sali ai piani alti.", Status: store.KBPublished},
		{ID: 2, Title: "Terremoto", Body: "Dopo una scossa, in caso di alluvioni...", Status: store.KBPublished},
		{ID: 3, Title: "Bozza sulle alluvioni", Status: store.KBDraft},
		{ID: 4, Title: "Frane", Tags: "smottamento", Status: store.KBPublished},
	})
	published := func(s string) bool { return s == store.KBPublished }
	tests := []struct {
		q    string
		want []int64
	}{
		{"alluvioni", []int64{1, 2}}, // the title match ranks first; the draft is hidden
		{"ALLUVIONE", []int64{1, 2}},
		{"allu", []int64{1, 2}},            // prefix while typing
		{"alluvione piani", []int64{1, 2}}, // matching every word ranks first
		{"smottamenti", []int64{4}},
		{"alluvione vulcano", []int64{1, 2}}, // nothing matches both: fall back to either
		{"il la di", nil},
		{"", nil},
	}
	for _, tt := range tests {
		hits := x.search(tt.q, published, 10)
		var ids []int64
		for _, h := range hits {
			ids = append(ids, h.Article.ID)
		}
		if len(ids) != len(tt.want) || (len(ids) > 0 && ids[0] != tt.want[0]) {
			t.Errorf("%q → %v, want %v", tt.q, ids, tt.want)
		}
	}
	if hits := x.search("alluvioni", func(string) bool { return true }, 10); len(hits) != 3 {
		t.Errorf("editors see drafts: %d hits", len(hits))
	}
	if hits := x.search("piani", published, 10); len(hits) != 1 || hits[0].Snippet != "Sali ai piani alti." {
		t.Errorf("snippet: %+v", hits)
	}
}

func TestRenderBodyIsSafe(t *testing.T) {
	in := "## Prima\n- uno **forte**\n- <script>alert(1)</script>\n\n1. primo\n2. secondo\ntesto https://www.protezionecivile.gov.it. fine\n\"q\" & <b>"
	out := string(renderBody(in))
	for _, want := range []string{"<h3>Prima</h3>", "<ul>\n<li>uno <strong>forte</strong></li>", "&lt;script&gt;", "<ol>",
		`<a href="https://www.protezionecivile.gov.it" rel="noopener noreferrer" target="_blank">`, "&#34;q&#34; &amp; &lt;b&gt;"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "<script>") || strings.Contains(out, "<b>") {
		t.Errorf("markup passed through:\n%s", out)
	}
}

func TestStarterSet(t *testing.T) {
	set, err := starterSet()
	if err != nil {
		t.Fatal(err)
	}
	if len(set) < 20 {
		t.Fatalf("%d starter articles, want about 20", len(set))
	}
	topics := map[string]bool{}
	for _, a := range set {
		topics[a.Topic] = true
		if !newCatalog().has("topic." + a.Topic) {
			t.Errorf("%s: topic %q has no label", a.Slug, a.Topic)
		}
		if len(a.Body) < 400 {
			t.Errorf("%s: body of %d bytes is too thin to help an operator", a.Slug, len(a.Body))
		}
	}
	for _, want := range kbTopics() {
		if !topics[want] {
			t.Errorf("no starter article in %s", want)
		}
	}
	if _, err := parseSeed("slug: x\n"); err == nil {
		t.Error("a seed without --- parses")
	}
}

func TestKBSearchAPI(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	b := r.browser()
	b.login("rossi")
	search := func(q string) (int, []kbResult) {
		p := b.get("/api/kb/search?" + q)
		var body struct{ Results []kbResult }
		json.Unmarshal([]byte(p.body), &body)
		return p.code, body.Results
	}
	found := func(q, slug string) {
		t.Helper()
		code, res := search("q=" + url.QueryEscape(q))
		for _, h := range res {
			if h.Slug == slug {
				return
			}
		}
		t.Errorf("%q: %d, %d results, %s not among them", q, code, len(res), slug)
	}
	found("alluvione", "alluvione-prima-durante-dopo")
	found("alluvioni", "alluvione-prima-durante-dopo")
	found("terremòto", "terremoto-prima-durante-dopo")
	found("terremoti", "terremoto-prima-durante-dopo")
	found("chi chiamare per un blackout", "interruzione-energia-elettrica")
	found("io non rischio", "io-non-rischio")
	found("IT-alert", "it-alert")
	found("zona rossa vesuvio", "rischio-vulcanico")
	if _, res := search("q=alluvioni"); len(res) == 0 || res[0].Slug != "alluvione-prima-durante-dopo" {
		t.Errorf("alluvioni: the flood article should come first, got %+v", res)
	}
	for _, bad := range []string{"", "q=", "q=" + strings.Repeat("a", 201), "q=frana&limit=0", "q=frana&limit=x", "q=frana&limit=51"} {
		if code, _ := search(bad); code != http.StatusBadRequest {
			t.Errorf("%.30q: %d, want 400", bad, code)
		}
	}
	if code, res := search("q=frana&limit=1"); code != 200 || len(res) != 1 {
		t.Errorf("limit 1: %d %d", code, len(res))
	}
}

func TestKBEditing(t *testing.T) {
	r := newRig(t, Config{})
	r.user("capo", store.RoleAdmin)
	r.user("rossi", store.RoleAgent)
	adm, ag := r.browser(), r.browser()
	adm.login("capo")
	ag.login("rossi")
	art := url.Values{"slug": {"avviso-alluvione-emilia"}, "topic": {"avvisi"}, "title": {"Alluvione in Emilia-Romagna: avviso"},
		"summary": {"Comuni colpiti e numeri utili"}, "body": {"## Numeri utili\n- Comune: numero dedicato"}, "tags": {"alluvione"},
		"status": {"draft"}, "comment": {"prima stesura"}}
	bad := []struct {
		field, value string
		code         int
	}{
		{"slug", "Con Spazi", 400},
		{"title", "", 400},
		{"title", strings.Repeat("t", 201), 400},
		{"body", strings.Repeat("b", store.KBMaxBody+1), 400},
		{"body", strings.Repeat("b", maxFormBytes+10), 413},
		{"slug", "terremoto-prima-durante-dopo", 409},
	}
	for _, bb := range bad {
		f := url.Values{}
		for k, v := range art {
			f[k] = v
		}
		f.Set(bb.field, bb.value)
		if p := adm.submit("/kb/new", "/kb", f); p.code != bb.code {
			t.Errorf("%s=%.20q: %d, want %d", bb.field, bb.value, p.code, bb.code)
		}
	}
	if p := adm.submit("/kb/new", "/kb", art); p.location != "/kb/avviso-alluvione-emilia?done=saved" {
		t.Fatalf("create: %d %q", p.code, p.location)
	}
	// A draft is invisible to agents, in the list, the search and by address.
	if p := ag.get("/kb/avviso-alluvione-emilia"); p.code != 404 {
		t.Errorf("agent sees a draft: %d", p.code)
	}
	if p := ag.get("/api/kb/search?q=emilia"); strings.Contains(p.body, "avviso-alluvione-emilia") {
		t.Error("draft found by an agent's search")
	}
	// Two editors: the stale save is refused with an explanation.
	form := adm.get("/kb/avviso-alluvione-emilia/edit")
	if !strings.Contains(form.body, `name="version" value="1"`) {
		t.Fatalf("edit form: %.300s", form.body)
	}
	edit := url.Values{"version": {"1"}, "topic": {"avvisi"}, "title": {"Alluvione in Emilia-Romagna"}, "body": {"Testo aggiornato"}}
	if p := adm.submit("/kb/avviso-alluvione-emilia/edit", "/kb/avviso-alluvione-emilia", edit); p.code != 303 {
		t.Fatalf("edit: %d", p.code)
	}
	if p := adm.submit("/kb/avviso-alluvione-emilia/edit", "/kb/avviso-alluvione-emilia", edit); p.code != 409 || !strings.Contains(p.body, "nel frattempo") {
		t.Fatalf("stale edit: %d", p.code)
	}
	if p := adm.submit("/kb/avviso-alluvione-emilia", "/kb/avviso-alluvione-emilia/status", url.Values{"status": {"bogus"}}); p.code != 400 {
		t.Errorf("bad status: %d", p.code)
	}
	if p := adm.submit("/kb/avviso-alluvione-emilia", "/kb/avviso-alluvione-emilia/status", url.Values{"status": {"published"}, "comment": {"ok"}}); p.code != 303 {
		t.Fatalf("publish: %d", p.code)
	}
	if p := ag.get("/api/kb/search?q=emilia"); !strings.Contains(p.body, "avviso-alluvione-emilia") {
		t.Errorf("published article not found: %s", p.body)
	}
	h := adm.get("/kb/avviso-alluvione-emilia/history")
	if strings.Count(h.body, "<strong>v") != 3 || !strings.Contains(h.body, "prima stesura") {
		t.Errorf("history: %.500s", h.body)
	}
	// Pinning from the article page: a bad tracking id, a missing case, a good one.
	c := store.Case{Channel: store.ChannelPhone}
	if err := r.db.CreateCase(bg, &c); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		cs   string
		code int
	}{{"12", 400}, {"CC-2026-999999", 404}, {strings.ToLower(c.TrackingID), 303}} {
		if p := ag.submit("/kb/avviso-alluvione-emilia", "/kb/avviso-alluvione-emilia/pin", url.Values{"case": {tt.cs}}); p.code != tt.code {
			t.Errorf("pin to %q: %d, want %d", tt.cs, p.code, tt.code)
		}
	}
	pins, _ := r.db.KBPins(bg, c.ID)
	if len(pins) != 1 || pins[0].PinnedBy != "rossi" || pins[0].Version != 3 {
		t.Errorf("pins: %+v", pins)
	}
	if p := adm.submit("/kb/avviso-alluvione-emilia", "/kb/avviso-alluvione-emilia/status", url.Values{"status": {"retired"}}); p.code != 303 {
		t.Fatalf("retire: %d", p.code)
	}
	if p := ag.get("/kb/avviso-alluvione-emilia"); p.code != 404 {
		t.Errorf("agent sees a retired article: %d", p.code)
	}
}
