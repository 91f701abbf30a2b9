package console

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

func TestSignInAndHomes(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			r := newRigOn(t, e, Config{})
			r.user("rossi", store.RoleAgent)
			r.user("verdi", store.RoleSupervisor)
			r.user("sala", store.RoleOpsRoom)
			r.user("capo", store.RoleAdmin)
			b := r.browser()
			if p := b.get("/"); p.code != http.StatusSeeOther || p.location != "/login" {
				t.Fatalf("signed-out / = %d %q", p.code, p.location)
			}
			if p := b.get("/agent"); p.code != http.StatusSeeOther || p.location != "/login?next=%2Fagent" {
				t.Fatalf("signed-out /agent = %d %q", p.code, p.location)
			}
			p := b.get("/login")
			if p.code != 200 || !strings.Contains(p.body, `lang="it"`) || !strings.Contains(p.body, "Accedi alla console") {
				t.Fatalf("login page: %d %.300s", p.code, p.body)
			}
			for _, c := range []struct{ name, home string }{
				{"rossi", "/agent"}, {"verdi", "/supervisor"}, {"sala", "/kb"}, {"capo", "/supervisor"},
			} {
				b := r.browser()
				if p := b.login(c.name); p.location != c.home {
					t.Errorf("%s lands on %q, want %q", c.name, p.location, c.home)
				}
				if p := b.get("/"); p.location != c.home {
					t.Errorf("%s: / sends to %q", c.name, p.location)
				}
				if p := b.get(c.home); p.code != 200 {
					t.Errorf("%s: %s = %d", c.name, c.home, p.code)
				}
			}
			// next= brings the person where they were going, never off-site.
			b = r.browser()
			p = b.submit("/login", "/login", url.Values{"username": {"rossi"}, "password": {"rossi-password"}, "next": {"/kb?q=frana"}})
			if p.location != "/kb?q=frana" {
				t.Fatalf("next: %q", p.location)
			}
			b = r.browser()
			p = b.submit("/login", "/login", url.Values{"username": {"rossi"}, "password": {"rossi-password"}, "next": {"//evil.example/x"}})
			if p.location != "/agent" {
				t.Fatalf("off-site next followed: %q", p.location)
			}
		})
	}
}

func TestSignInRefusals(t *testing.T) {
	r := newRig(t, Config{})
	u := r.user("rossi", store.RoleAgent)
	long := strings.Repeat("x", 300)
	tests := []struct {
		name, user, pw string
		code           int
		text           string
	}{
		{"wrong password", "rossi", "sbagliata-davvero", 401, "Nome utente o password errati"},
		{"unknown user", "nessuno", "rossi-password", 401, "Nome utente o password errati"},
		{"missing password", "rossi", "", 400, "Inserisci nome utente e password"},
		{"missing username", "", "x", 400, "Inserisci nome utente e password"},
		{"oversized password", "rossi", long, 400, "Nome utente o password errati"},
		{"oversized username", long, "x", 400, "Nome utente o password errati"},
	}
	b := r.browser()
	for _, tt := range tests {
		p := b.submit("/login", "/login", url.Values{"username": {tt.user}, "password": {tt.pw}})
		if p.code != tt.code || !strings.Contains(p.body, tt.text) {
			t.Errorf("%s: %d, want %d with %q", tt.name, p.code, tt.code, tt.text)
		}
		if strings.Contains(p.body, "rossi-password") {
			t.Errorf("%s: the page echoes a password", tt.name)
		}
	}
	if err := r.db.SetUserDisabled(bg, u.Username, true, "test"); err == nil {
		p := b.submit("/login", "/login", url.Values{"username": {"rossi"}, "password": {"rossi-password"}})
		if p.code != 401 {
			t.Errorf("disabled user signs in: %d", p.code)
		}
	}
	act := "login.failed"
	if log, err := r.db.AuditLog(bg, store.AuditFilter{Action: &act}); err != nil || len(log) < 3 {
		t.Errorf("failed sign-ins audited: %d %v", len(log), err)
	}
}

func TestSignInThrottling(t *testing.T) {
	r := newRig(t, Config{MaxFailuresPerUser: 3, MaxFailuresPerAddr: 5, LoginWindow: 10 * time.Minute})
	r.user("rossi", store.RoleAgent)
	r.user("bianchi", store.RoleAgent)
	b := r.browser()
	try := func(user, pw string) got {
		return b.submit("/login", "/login", url.Values{"username": {user}, "password": {pw}})
	}
	for i := range 3 {
		if p := try("rossi", "no"); p.code != 401 {
			t.Fatalf("failure %d: %d", i, p.code)
		}
	}
	p := try("rossi", "rossi-password")
	if p.code != http.StatusTooManyRequests || !strings.Contains(p.body, "Troppi tentativi") || p.resp.Header.Get("Retry-After") == "" {
		t.Fatalf("4th attempt with the right password: %d %q", p.code, p.resp.Header.Get("Retry-After"))
	}
	// Another user from the same address is still allowed, until the
	// address itself has failed too often.
	if p := try("bianchi", "bianchi-password"); p.code != http.StatusSeeOther {
		t.Fatalf("other user: %d", p.code)
	}
	b = r.browser()
	try("x1", "no")
	try("x2", "no")
	if p := try("bianchi", "bianchi-password"); p.code != http.StatusTooManyRequests {
		t.Fatalf("address throttle: %d", p.code)
	}
	r.clk.Advance(10*time.Minute + time.Second)
	if p := try("rossi", "rossi-password"); p.code != http.StatusSeeOther {
		t.Fatalf("after the window: %d", p.code)
	}
}

func TestCSRFRefusals(t *testing.T) {
	r := newRig(t, Config{SessionMax: 2 * time.Hour, IdleTimeout: 3 * time.Hour})
	r.user("rossi", store.RoleAgent)
	b := r.browser()
	b.login("rossi")
	other := r.browser()
	other.login("rossi")
	foreign := other.token("/account")
	good := b.token("/account")
	tests := []struct {
		name  string
		token string
		code  int
	}{
		{"missing", "", 403},
		{"malformed", "not-a-token", 403},
		{"from another browser", foreign, 403},
		{"good", good, 303},
		{"replayed", good, 403},
	}
	for _, tt := range tests {
		p := b.post("/account/lang", url.Values{"csrf": {tt.token}, "lang": {"en"}})
		if p.code != tt.code {
			t.Errorf("%s token: %d, want %d", tt.name, p.code, tt.code)
		}
		if tt.code == 403 && !strings.Contains(p.body, "Ricarica la pagina") && !strings.Contains(p.body, "Reload the page") {
			t.Errorf("%s: no explanation: %.200s", tt.name, p.body)
		}
	}
	// A token older than its lifetime is refused even if never used (on
	// the sign-in form, which has no session to expire with it).
	x := r.browser()
	old := x.token("/login")
	r.clk.Advance(2*time.Hour + time.Minute)
	if p := x.post("/login", url.Values{"csrf": {old}, "username": {"rossi"}, "password": {"rossi-password"}}); p.code != 403 {
		t.Errorf("expired sign-in token: %d", p.code)
	}
	// The sign-in form's token is bound to the browser's pre-session cookie.
	x, y := r.browser(), r.browser()
	tok := x.token("/login")
	y.get("/login")
	if p := y.post("/login", url.Values{"csrf": {tok}, "username": {"rossi"}, "password": {"rossi-password"}}); p.code != 403 {
		t.Errorf("sign-in with another browser's token: %d", p.code)
	}
}

func TestSessionExpiry(t *testing.T) {
	r := newRig(t, Config{IdleTimeout: 30 * time.Minute, SessionMax: 2 * time.Hour})
	r.user("rossi", store.RoleAgent)
	b := r.browser()
	b.login("rossi")
	// Activity every 20 minutes keeps the session until its absolute end.
	for range 5 {
		r.clk.Advance(20 * time.Minute)
		if p := b.get("/kb"); p.code != 200 {
			t.Fatalf("active session ended early at %s: %d %q", r.clk.Now(), p.code, p.location)
		}
	}
	r.clk.Advance(21 * time.Minute) // 2h01 after sign-in
	if p := b.get("/kb"); p.code != http.StatusSeeOther || p.location != "/login?expired=1&next=%2Fkb" {
		t.Fatalf("past the absolute end: %d %q", p.code, p.location)
	}
	p := b.get("/login?expired=1")
	if !strings.Contains(p.body, "La sessione è scaduta") {
		t.Fatal("no expiry notice")
	}
	b.login("rossi")
	r.clk.Advance(31 * time.Minute)
	if p := b.get("/agent"); p.code != http.StatusSeeOther || !strings.Contains(p.location, "expired=1") {
		t.Fatalf("idle session: %d %q", p.code, p.location)
	}
	// Logout ends the session on the server: the old cookie opens nothing.
	b.login("rossi")
	u, _ := url.Parse(r.srv.URL)
	old := b.client.Jar.Cookies(u)
	if p := b.submit("/account", "/logout", url.Values{}); p.code != http.StatusSeeOther || p.location != "/login?out=1" {
		t.Fatalf("logout: %d %q", p.code, p.location)
	}
	thief := r.browser()
	thief.client.Jar.SetCookies(u, old)
	if p := thief.get("/agent"); p.code != http.StatusSeeOther {
		t.Fatalf("cookie after logout: %d", p.code)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		header string
		secure bool
	}{
		{"plain http", Config{}, "", false},
		{"https from an untrusted peer", Config{}, "https", false},
		{"https from a trusted proxy", Config{TrustedProxies: loopback()}, "https", true},
		{"http from a trusted proxy", Config{TrustedProxies: loopback()}, "http", false},
		{"always", Config{SecureCookies: "always"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.cfg)
			r.user("rossi", store.RoleAgent)
			// No cookie jar: it would not send Secure cookies over plain http.
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			req, _ := http.NewRequest("GET", r.srv.URL+"/login", nil)
			req.Header.Set("X-Forwarded-Proto", tt.header)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			pre := cookieNamed(resp, cookiePre)
			if pre == nil || pre.Secure != tt.secure || !pre.HttpOnly {
				t.Fatalf("pre-session cookie: %+v", pre)
			}
			form := url.Values{"csrf": {csrfField.FindStringSubmatch(string(body))[1]}, "username": {"rossi"}, "password": {"rossi-password"}}
			req, _ = http.NewRequest("POST", r.srv.URL+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-Proto", tt.header)
			req.AddCookie(&http.Cookie{Name: pre.Name, Value: pre.Value})
			resp, err = client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			ck := cookieNamed(resp, cookieSession)
			if resp.StatusCode != http.StatusSeeOther || ck == nil {
				t.Fatalf("sign-in: %d, cookie %v", resp.StatusCode, ck)
			}
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure != tt.secure || ck.Path != "/" {
				t.Errorf("session cookie flags: httponly %v samesite %v secure %v path %q", ck.HttpOnly, ck.SameSite, ck.Secure, ck.Path)
			}
		})
	}
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, ck := range resp.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

func loopback() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

func TestClientAddress(t *testing.T) {
	c := &Console{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	tests := []struct {
		peer, xff, proto string
		want             string
		secure           bool
	}{
		{"198.51.100.7:5000", "", "", "198.51.100.7", false},
		{"198.51.100.7:5000", "203.0.113.9", "https", "198.51.100.7", false}, // untrusted peer: headers ignored
		{"10.1.1.1:5000", "203.0.113.9", "https", "203.0.113.9", true},
		{"10.1.1.1:5000", "192.0.2.66, 203.0.113.9, 10.2.2.2", "https,http", "203.0.113.9", true}, // spoofed left part ignored
		{"10.1.1.1:5000", "garbage", "http", "10.1.1.1", false},
	}
	for _, tt := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tt.peer
		if tt.xff != "" {
			req.Header.Set("X-Forwarded-For", tt.xff)
		}
		if tt.proto != "" {
			req.Header.Set("X-Forwarded-Proto", tt.proto)
		}
		got, secure := c.client(req)
		if got != tt.want || secure != tt.secure {
			t.Errorf("%s %q %q: %s %v, want %s %v", tt.peer, tt.xff, tt.proto, got, secure, tt.want, tt.secure)
		}
	}
}
