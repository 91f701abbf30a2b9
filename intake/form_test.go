package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

var bg = context.Background()

type rig struct {
	t    *testing.T
	db   *store.DB
	form *Form
	srv  *httptest.Server
}

func newRig(t *testing.T, db *store.DB, o Options) *rig {
	t.Helper()
	svc, err := mail.NewService(mail.ServiceOptions{Store: db, From: "Contact Center <contactcenter@example.org>"})
	if err != nil {
		t.Fatal(err)
	}
	o.Store, o.Mail = db, svc
	if o.PerAddress.Burst == 0 {
		o.PerAddress = Limit{Burst: 100, Every: time.Second}
	}
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	f.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &rig{t: t, db: db, form: f, srv: srv}
}

type file struct {
	name string
	data []byte
}

// post sends the form as a browser does: multipart, over a real socket.
func (r *rig) post(fields map[string]string, files ...file) (int, string) {
	r.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for _, f := range files {
		fw, _ := w.CreateFormFile("allegati", f.name)
		fw.Write(f.data)
	}
	w.Close()
	resp, err := http.Post(r.srv.URL+"/segnalazione", w.FormDataContentType(), &body)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func valid() map[string]string {
	return map[string]string{
		"categoria":   "idrogeologico",
		"descrizione": "Una frana ha chiuso la strada per Paganica al km 4.",
		"comune_nome": "L'Aquila",
		"indirizzo":   "SP 36, km 4",
		"lat":         "42.3731",
		"lon":         "13.4510",
		"nome":        "Maria Rossi",
		"email":       "maria.rossi@example.it",
		"telefono":    "+39 0862 123456",
		"consenso":    "si",
	}
}

func with(m map[string]string, kv ...string) map[string]string {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "\x00" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

var trackingRE = regexp.MustCompile(`id="tracking-id">(CC-\d{4}-\d{6})<`)

func countCases(t *testing.T, db *store.DB) int {
	cs, err := db.Cases(bg, store.CaseFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

var (
	jpeg = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F'}, bytes.Repeat([]byte{1}, 100)...)
	pdf  = []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	exe  = append([]byte("MZ\x90\x00\x03"), bytes.Repeat([]byte{0}, 200)...)
)

func TestSubmissionBecomesACaseWithAcknowledgement(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, Options{})
		code, page := r.post(valid(), file{"frana.jpg", jpeg}, file{"verbale.PDF", pdf}, file{"scatto", jpeg})
		if code != http.StatusOK {
			t.Fatalf("status %d\n%s", code, page)
		}
		m := trackingRE.FindStringSubmatch(page)
		if m == nil || !strings.Contains(page, "maria.rossi@example.it") {
			t.Fatalf("no tracking id on the answer page:\n%s", page)
		}
		c, err := db.CaseByTrackingID(bg, m[1])
		if err != nil {
			t.Fatal(err)
		}
		if c.Channel != store.ChannelWeb || c.ComuneCode != "066049" || c.Category != "idrogeologico" || c.ContactPhone != "+39 0862 123456" ||
			c.Lat == nil || *c.Lat != 42.3731 || c.Address != "SP 36, km 4" || c.ContactName != "Maria Rossi" {
			t.Fatalf("case %+v", c)
		}
		tl, err := db.FullTimeline(bg, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.Entries) != 1 || !strings.Contains(tl.Entries[0].Content, "Consenso privacy: sì") ||
			!strings.Contains(tl.Entries[0].Content, "Comune: L'Aquila (AQ)") {
			t.Fatalf("timeline %+v", tl.Entries)
		}
		var names []string
		for _, a := range tl.Entries[0].Attachments {
			names = append(names, a.Filename+"="+a.ContentType)
		}
		if strings.Join(names, ",") != "frana.jpg=image/jpeg,verbale.PDF=application/pdf,scatto.jpg=image/jpeg" {
			t.Fatalf("attachments %v", names)
		}
		outs, _ := db.OutboxByCase(bg, c.ID)
		if len(outs) != 1 || outs[0].Template != "conferma-modulo" || outs[0].To != "maria.rossi@example.it" ||
			!strings.Contains(outs[0].Subject, c.TrackingID) || tl.Entries[0].Outbox == nil || tl.Entries[0].Outbox.State != store.OutboxQueued {
			t.Fatalf("acknowledgement %+v", outs)
		}
		// The same in English.
		code, page = r.post(with(valid(), "lang", "en"))
		if code != http.StatusOK || !strings.Contains(page, "Your case number is") || !strings.Contains(page, `lang="en"`) {
			t.Fatalf("english: %d\n%s", code, page)
		}
	})
}

func TestBadSubmissionsAreRefusedAndNothingIsStored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, Options{})
		for _, tc := range []struct {
			name   string
			fields map[string]string
			files  []file
			code   int
			want   []string
		}{
			{"empty", map[string]string{}, nil, 422, []string{"Scelga l'argomento", "Descriva la situazione", "Indichi il comune",
				"Indichi un indirizzo email valido", "serve il consenso", `href="#f-email"`}},
			{"overlong", with(valid(), "descrizione", strings.Repeat("a", 5001), "nome", strings.Repeat("n", 101),
				"indirizzo", strings.Repeat("x", 201)), nil, 422, []string{"troppo lunga", "nome è troppo lungo", "indirizzo è troppo lungo"}},
			{"bad email", with(valid(), "email", "maria at example"), nil, 422, []string{"email valido"}},
			{"email with name", with(valid(), "email", "Maria <m@example.it>"), nil, 422, []string{"email valido"}},
			{"bad phone", with(valid(), "telefono", "chiamami"), nil, 422, []string{"solo cifre"}},
			{"bad coords", with(valid(), "lat", "200", "lon", "x"), nil, 422, []string{"coordinate non sono valide"}},
			{"NaN coords", with(valid(), "lat", "NaN", "lon", "13.4"), nil, 422, []string{"coordinate non sono valide"}},
			{"infinite coords", with(valid(), "lat", "42.3", "lon", "-Inf"), nil, 422, []string{"coordinate non sono valide"}},
			{"hexadecimal coords", with(valid(), "lat", "0x1.5p5", "lon", "13.4"), nil, 422, []string{"coordinate non sono valide"}},
			{"unknown category", with(valid(), "categoria", "ufo"), nil, 422, []string{"argomento"}},
			{"unknown comune", with(valid(), "comune_nome", "Atlantide"), nil, 422, []string{"Nessun comune trovato"}},
			{"forged comune code", with(valid(), "comune", "999999"), nil, 422, []string{"Nessun comune trovato"}},
			{"no consent", with(valid(), "consenso", "\x00"), nil, 422, []string{"consenso"}},
			{"exe named pdf", valid(), []file{{"verbale.pdf", exe}}, 422, []string{"verbale.pdf non è una foto", "alleghi di nuovo"}},
			{"pdf without end", valid(), []file{{"x.pdf", []byte("%PDF-1.4 truncated")}}, 422, []string{"x.pdf non è una foto"}},
			{"six files", valid(), []file{{"1.jpg", jpeg}, {"2.jpg", jpeg}, {"3.jpg", jpeg}, {"4.jpg", jpeg}, {"5.jpg", jpeg}, {"6.jpg", jpeg}},
				422, []string{"al massimo 5 file"}},
			{"file over 10 MB", valid(), []file{{"big.jpg", append(append([]byte{}, jpeg...), make([]byte, 10<<20)...)}}, 422, []string{"big.jpg supera i 10 MB"}},
			{"honeypot", with(valid(), "sito_web", "http://spam.example"), nil, 400, []string{"non può essere inviato"}},
			{"english errors", with(map[string]string{}, "lang", "en"), nil, 422, []string{"Choose the topic", "valid email address"}},
		} {
			code, page := r.post(tc.fields, tc.files...)
			if code != tc.code {
				t.Fatalf("%s: status %d, want %d\n%s", tc.name, code, tc.code, page)
			}
			for _, w := range tc.want {
				if !strings.Contains(page, w) && !strings.Contains(page, templateEscape(w)) {
					t.Fatalf("%s: page lacks %q\n%s", tc.name, w, page)
				}
			}
		}
		// Over 25 MB in all: refused before anything is read whole.
		big := make([]byte, 9<<20)
		copy(big, jpeg)
		code, page := r.post(valid(), file{"a.jpg", big}, file{"b.jpg", big}, file{"c.jpg", big})
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(page, "25 MB") {
			t.Fatalf("oversize: %d\n%s", code, page)
		}
		if n := countCases(t, db); n != 0 {
			t.Fatalf("%d cases stored from bad submissions", n)
		}
	})
}

func templateEscape(s string) string {
	return strings.NewReplacer("'", "&#39;", `"`, "&#34;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func TestComuneWithoutJavaScript(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), Options{})
	// Several comuni start with the name: a list to choose from.
	code, page := r.post(with(valid(), "comune_nome", "San Giovanni"))
	if code != 422 || !strings.Contains(page, `<select id="f-comune-pick" name="comune">`) || !strings.Contains(page, "San Giovanni Rotondo") {
		t.Fatalf("ambiguous comune: %d\n%s", code, page)
	}
	// The province path: pick the province, get its comuni, no error shown.
	code, page = r.post(map[string]string{"provincia": "AQ", "azione": "comuni"})
	if code != 200 || !strings.Contains(page, ">Pescasseroli<") || strings.Contains(page, `role="alert"`) {
		t.Fatalf("province list: %d\n%s", code, page)
	}
	// Choosing from the list stores the code picked.
	code, page = r.post(with(valid(), "comune_nome", "", "comune", "066066"))
	if code != 200 {
		t.Fatalf("picked comune: %d\n%s", code, page)
	}
	c, _ := r.db.CaseByTrackingID(bg, trackingRE.FindStringSubmatch(page)[1])
	if c.ComuneCode != "066066" {
		t.Fatalf("comune %q", c.ComuneCode)
	}
	// The type-ahead the script uses.
	resp, err := http.Get(r.srv.URL + "/segnalazione/comuni?q=" + url.QueryEscape("l'aqu"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var items []struct{ Code, Label string }
	if err := json.NewDecoder(resp.Body).Decode(&items); err != nil || len(items) == 0 || items[0].Code != "066049" {
		t.Fatalf("type-ahead %+v %v", items, err)
	}
}

func TestPagesAndAssets(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), Options{})
	for path, want := range map[string][]string{
		"/segnalazione":                 {`<html lang="it">`, `name="descrizione"`, `type="file"`, `name="sito_web"`, "Rischio idrogeologico", ">L&#39;Aquila (AQ)<", "112"},
		"/segnalazione?lang=en":         {`<html lang="en">`, "Send the report", "Landslide risk"},
		"/segnalazione/privacy":         {"Informativa sulla privacy", "2016/679"},
		"/segnalazione/static/form.css": {"--primary"},
		"/segnalazione/static/form.js":  {"combobox"},
	} {
		resp, err := http.Get(r.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Fatalf("%s lacks %q", path, w)
			}
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: no nosniff", path)
		}
	}
}

func TestAbuseLimits(t *testing.T) {
	db := storetest.SQLite(t)
	r := newRig(t, db, Options{PerAddress: Limit{Burst: 2, Every: time.Hour}})
	for i := range 2 {
		if code, page := r.post(valid()); code != 200 {
			t.Fatalf("submission %d: %d\n%s", i, code, page)
		}
	}
	code, page := r.post(valid())
	if code != http.StatusTooManyRequests || !strings.Contains(page, "molte segnalazioni") {
		t.Fatalf("third submission: %d\n%s", code, page)
	}
	// Work in flight is bounded: with every slot taken the form answers at once.
	r2 := newRig(t, db, Options{MaxInFlight: 1})
	r2.form.inflight <- struct{}{}
	start := time.Now()
	code, page = r2.post(valid())
	if code != http.StatusServiceUnavailable || !strings.Contains(page, "molto richiesto") || time.Since(start) > 2*time.Second {
		t.Fatalf("busy: %d after %v\n%s", code, time.Since(start), page)
	}
	<-r2.form.inflight
	// The database away: an Italian message, nothing half-stored.
	// (A PostgreSQL that refuses connections: opening never connects.)
	down, err := store.Open(store.Options{URL: "postgres://ascolto@127.0.0.1:1/ascolto?connect_timeout=2"})
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	r3 := newRig(t, down, Options{})
	r3.form.cats, r3.form.catsAt = r.form.cats, time.Now() // known from before the outage
	code, page = r3.post(valid())
	if code != http.StatusServiceUnavailable || !strings.Contains(page, "Nulla è stato salvato") {
		t.Fatalf("database down: %d\n%s", code, page)
	}
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"jpeg", jpeg, "image/jpeg"},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "image/png"},
		{"webp", []byte("RIFF\x10\x00\x00\x00WEBPVP8 "), "image/webp"},
		{"heic", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00"), "image/heic"},
		{"pdf", pdf, "application/pdf"},
		{"exe", exe, ""},
		{"elf", []byte("\x7fELF\x02\x01\x01"), ""},
		{"html", []byte("<html><script>"), ""},
		{"zip", []byte("PK\x03\x04"), ""},
		{"empty", nil, ""},
	} {
		k, ok := sniff(tc.b)
		if k.ContentType != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: %+v %v", tc.name, k, ok)
		}
	}
}

func TestRateLimiterRefills(t *testing.T) {
	lm := newLimiter(Limit{Burst: 2, Every: time.Minute})
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for i, want := range []bool{true, true, false} {
		if ok, _ := lm.allow("a", t0); ok != want {
			t.Fatalf("take %d: %v", i, ok)
		}
	}
	if ok, wait := lm.allow("a", t0.Add(30*time.Second)); ok || wait != 30*time.Second {
		t.Fatalf("half refilled: %v %v", ok, wait)
	}
	if ok, _ := lm.allow("a", t0.Add(61*time.Second)); !ok {
		t.Fatal("not refilled after a minute")
	}
	if ok, _ := lm.allow("b", t0); !ok {
		t.Fatal("another address limited")
	}
}
