package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/gorilla/websocket"
)

func TestRFC6238Vectors(t *testing.T) {
	// RFC 6238 appendix B, SHA-1 key "12345678901234567890"; our codes are
	// the last 6 digits of its 8-digit values.
	secret := b32.EncodeToString([]byte("12345678901234567890"))
	tests := []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}}
	for _, tt := range tests {
		got, err := TOTPCode(secret, time.Unix(tt.unix, 0))
		if err != nil || got != tt.want {
			t.Errorf("T=%d: %s %v, want %s", tt.unix, got, err, tt.want)
		}
	}
	now := time.Unix(1234567890, 0)
	step, ok := VerifyTOTP(secret, "005 924", now.Add(25*time.Second))
	if !ok || step != 1234567890/30 {
		t.Errorf("a code from the previous step is accepted: %d %v", step, ok)
	}
	for _, bad := range []string{"005925", "", "12345", "1234567", "abcdef"} {
		if _, ok := VerifyTOTP(secret, bad, now); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, ok := VerifyTOTP(secret, "005924", now.Add(2*time.Minute)); ok {
		t.Error("a code four steps old is accepted")
	}
	if _, ok := VerifyTOTP("not base32!", "005924", now); ok {
		t.Error("a broken secret verifies")
	}
	if u := TOTPURI("ascolto", "rossi", "ABC"); !strings.HasPrefix(u, "otpauth://totp/ascolto:rossi?") || !strings.Contains(u, "secret=ABC") {
		t.Errorf("uri %s", u)
	}
}

func TestPasswordHashing(t *testing.T) {
	h, err := HashPassword("una password lunga")
	if err != nil || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("%q %v", h, err)
	}
	h2, _ := HashPassword("una password lunga")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		hash, pw string
		ok       bool
	}{
		{h, "una password lunga", true},
		{h, "una password lungA", false},
		{h, "", false},
		{"", "x", false},
		{"$2a$10$bcrypt", "x", false},
		{strings.Replace(h, "m=19456", "m=99999999", 1), "una password lunga", false},
		{strings.Replace(h, "$v=19$", "$v=16$", 1), "una password lunga", false},
		{dummyHash, "anything", false},
	}
	for _, tt := range tests {
		if got := VerifyPassword(tt.hash, tt.pw); got != tt.ok {
			t.Errorf("verify(%.30q, %q) = %v", tt.hash, tt.pw, got)
		}
	}
	// The dummy hash must be well-formed, or unknown names would answer faster.
	parts := strings.Split(dummyHash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		t.Fatal("dummy hash is malformed")
	}
	for _, tt := range []struct {
		pw string
		ok bool
	}{{"corta", false}, {"rossi", false}, {"abbastanza lunga", true}, {strings.Repeat("x", 300), false}, {"ROSSI     ", false}} {
		if err := CheckNewPassword("rossi", tt.pw); (err == nil) != tt.ok {
			t.Errorf("CheckNewPassword(%q) = %v", tt.pw, err)
		}
	}
}

var secretField = regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"><input type="hidden" name="secret_sig" value="([^"]+)"`)

func TestSecondFactor(t *testing.T) {
	r := newRig(t, Config{TOTPRequired: true})
	r.user("verdi", store.RoleSupervisor)
	r.user("rossi", store.RoleAgent)

	// An agent is not required to enrol.
	b := r.browser()
	if p := b.login("rossi"); p.location != "/agent" {
		t.Fatalf("agent: %q", p.location)
	}

	// A supervisor without a second factor must enrol before anything else.
	b = r.browser()
	if p := b.login("verdi"); p.location != "/login/totp" {
		t.Fatalf("supervisor: %q", p.location)
	}
	if p := b.get("/supervisor"); p.location != "/login/totp" {
		t.Fatalf("half-signed-in session opens the wallboard: %d %q", p.code, p.location)
	}
	if err := b.dialRefused(); !websocket.IsCloseError(err, 4401) {
		t.Fatalf("half-signed-in session's websocket: %v, want closed at once with 4401", err)
	}
	p := b.get("/login/totp")
	m := secretField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no enrolment form: %.400s", p.body)
	}
	secret, sig := m[1], m[2]
	// A swapped secret is refused: the signature binds it to this session.
	other, _ := NewTOTPSecret()
	code, _ := TOTPCode(other, r.clk.Now())
	if p := b.submit("/login/totp", "/login/totp", url.Values{"secret": {other}, "secret_sig": {sig}, "code": {code}}); p.code != 400 {
		t.Fatalf("swapped secret: %d", p.code)
	}
	if p := b.submit("/login/totp", "/login/totp", url.Values{"secret": {secret}, "secret_sig": {sig}, "code": {"000000"}}); p.code != 401 {
		t.Fatalf("wrong code: %d", p.code)
	}
	code, _ = TOTPCode(secret, r.clk.Now())
	if p := b.submit("/login/totp", "/login/totp", url.Values{"secret": {secret}, "secret_sig": {sig}, "code": {code}}); p.location != "/supervisor" {
		t.Fatalf("enrolment: %d %q %.300s", p.code, p.location, p.body)
	}
	if p := b.get("/supervisor"); p.code != 200 {
		t.Fatalf("after enrolment: %d", p.code)
	}
	u, _ := r.db.UserByName(bg, "verdi")
	if u.TOTPSecret != secret {
		t.Fatal("secret not stored")
	}

	// Next sign-in asks for the code; the same code cannot be used twice.
	b = r.browser()
	b.login("verdi")
	if p := b.submit("/login/totp", "/login/totp", url.Values{"code": {code}}); p.code != 401 || !strings.Contains(p.body, "già stato usato") {
		t.Fatalf("replayed code: %d", p.code)
	}
	r.clk.Advance(30 * time.Second)
	code, _ = TOTPCode(secret, r.clk.Now())
	if p := b.submit("/login/totp", "/login/totp", url.Values{"code": {code}}); p.location != "/supervisor" {
		t.Fatalf("second sign-in: %d %q", p.code, p.location)
	}
	// A half-signed-in session expires after five minutes.
	b = r.browser()
	b.login("verdi")
	r.clk.Advance(6 * time.Minute)
	if p := b.get("/login/totp"); p.code != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") {
		t.Fatalf("stale half session: %d %q", p.code, p.location)
	}
}

// dialRefused opens the WebSocket as a tab without a session would and
// returns how it ended: the first read's error.
func (b *browser) dialRefused() error {
	u, _ := url.Parse(b.r.srv.URL)
	hdr := http.Header{}
	for _, ck := range b.client.Jar.Cookies(u) {
		hdr.Add("Cookie", ck.Name+"="+ck.Value)
	}
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(b.r.srv.URL, "http")+"/ws?t=x", hdr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = conn.ReadMessage()
	return err
}

func TestRolesOnEveryPage(t *testing.T) {
	r := newRig(t, Config{})
	for _, n := range []struct{ name, role string }{{"ag", store.RoleAgent}, {"su", store.RoleSupervisor}, {"op", store.RoleOpsRoom}, {"ad", store.RoleAdmin}} {
		r.user(n.name, n.role)
	}
	pages := []struct {
		path               string
		agent, sup, op, ad int
	}{
		{"/agent", 200, 200, 403, 200},
		{"/supervisor", 403, 200, 403, 200},
		{"/kb", 200, 200, 200, 200},
		{"/kb/terremoto-prima-durante-dopo", 200, 200, 200, 200},
		{"/kb/new", 403, 403, 403, 200},
		{"/kb/terremoto-prima-durante-dopo/edit", 403, 403, 403, 200},
		{"/kb/terremoto-prima-durante-dopo/history", 403, 403, 403, 200},
		{"/admin/users", 403, 403, 403, 200},
		{"/admin/users/ag", 403, 403, 403, 200},
		{"/account", 200, 200, 200, 200},
		{"/api/kb/search?q=frana", 200, 200, 200, 200},
	}
	browsers := map[string]*browser{}
	for _, n := range []string{"ag", "su", "op", "ad"} {
		browsers[n] = r.browser()
		browsers[n].login(n)
	}
	for _, p := range pages {
		for n, want := range map[string]int{"ag": p.agent, "su": p.sup, "op": p.op, "ad": p.ad} {
			got := browsers[n].get(p.path)
			if got.code != want {
				t.Errorf("%s %s: %d, want %d", n, p.path, got.code, want)
			}
		}
	}
	// Forms are checked too, not only pages: an agent posting the admin
	// form with a valid token is refused and nothing is created.
	ag := browsers["ag"]
	tok := ag.token("/account")
	if p := ag.post("/admin/users", url.Values{"csrf": {tok}, "username": {"intruso"}, "role": {"admin"},
		"password": {"abbastanza-lunga"}, "confirm": {"abbastanza-lunga"}}); p.code != 403 {
		t.Fatalf("agent creates a user: %d", p.code)
	}
	if _, err := r.db.UserByName(bg, "intruso"); err == nil {
		t.Fatal("the user was created")
	}
	// The signed-out API answers 401 in JSON.
	if p := r.browser().get("/api/kb/search?q=frana"); p.code != 401 || !strings.Contains(p.body, `"error"`) {
		t.Fatalf("signed-out API: %d %s", p.code, p.body)
	}
}

func TestEveryPageInBothLanguages(t *testing.T) {
	if err := newCatalog().check(); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, Config{})
	r.user("ad", store.RoleAdmin)
	r.user("ag", store.RoleAgent)
	paths := []string{"/agent", "/supervisor", "/kb", "/kb?q=alluvione", "/kb/terremoto-prima-durante-dopo", "/kb/new",
		"/kb/terremoto-prima-durante-dopo/edit", "/kb/terremoto-prima-durante-dopo/history", "/admin/users",
		"/admin/users/ad", "/account", "/kb/nessuno"}
	for _, lang := range []string{"it", "en"} {
		b := r.browser()
		b.login("ad")
		if p := b.submit("/account", "/lang", url.Values{"lang": {lang}, "back": {"/account"}}); p.location != "/account" {
			t.Fatalf("lang switch: %d %q", p.code, p.location)
		}
		for _, path := range paths {
			p := b.get(path)
			if strings.Contains(p.body, "‹") {
				i := strings.Index(p.body, "‹")
				t.Errorf("%s %s: untranslated key near %q", lang, path, p.body[i:min(len(p.body), i+40)])
			}
			if !strings.Contains(p.body, `<html lang="`+lang+`"`) {
				t.Errorf("%s %s: wrong html lang", lang, path)
			}
			for _, must := range []string{`<main id="main"`, `<nav class="nav" aria-label=`, `class="skip"`} {
				if !strings.Contains(p.body, must) {
					t.Errorf("%s %s: missing %s", lang, path, must)
				}
			}
		}
		// Every form control has a label.
		p := b.get("/admin/users")
		ids := regexp.MustCompile(`<(?:input|select|textarea) id="([^"]+)"`).FindAllStringSubmatch(p.body, -1)
		for _, id := range ids {
			if !strings.Contains(p.body, `for="`+id[1]+`"`) {
				t.Errorf("control %s has no label", id[1])
			}
		}
	}
	// The agent's desk in English once the agent chooses it.
	b := r.browser()
	b.login("ag")
	b.submit("/account", "/account/lang", url.Values{"lang": {"en"}})
	if p := b.get("/agent"); !strings.Contains(p.body, "My state") || !strings.Contains(p.body, `lang="en"`) {
		t.Fatal("the user's language is not applied")
	}
	if u, _ := r.db.UserByName(bg, "ag"); u.Lang != "en" {
		t.Fatal("the user's language was not saved")
	}
}
