package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
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

// hashProbe is the hash gate's test hook: once armed, it counts the
// password hashes that start and the most running at once, and holds each
// one until the test releases them all.
type hashProbe struct {
	mu                   sync.Mutex
	armed                bool
	running, peak, total int
	entered              chan struct{}
	release              chan struct{}
	once                 sync.Once
}

// probeHashes makes a hashProbe and the rig setup that installs it. The
// test must defer free: the server cannot close with requests held.
func probeHashes(armed bool) (*hashProbe, func(*Console)) {
	p := &hashProbe{armed: armed, entered: make(chan struct{}, 1000), release: make(chan struct{})}
	return p, func(c *Console) { c.gate.hook = p.hook }
}

func (p *hashProbe) arm() {
	p.mu.Lock()
	p.armed = true
	p.mu.Unlock()
}

func (p *hashProbe) hook() {
	p.mu.Lock()
	if !p.armed {
		p.mu.Unlock()
		return
	}
	p.running++
	p.total++
	p.peak = max(p.peak, p.running)
	p.mu.Unlock()
	p.entered <- struct{}{}
	<-p.release
	p.mu.Lock()
	p.running--
	p.mu.Unlock()
}

func (p *hashProbe) free() { p.once.Do(func() { close(p.release) }) }

func (p *hashProbe) counts() (total, peak int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total, p.peak
}

// tryPost is post for goroutines other than the test's: it reports a
// transport error instead of failing the test.
func (b *browser) tryPost(path string, form url.Values) (got, error) {
	req, _ := http.NewRequest("POST", b.r.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.client.Do(req)
	if err != nil {
		return got{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return got{code: resp.StatusCode, body: string(body), location: resp.Header.Get("Location"), resp: resp}, err
}

// result is one request of a burst.
type result struct {
	i int
	g got
}

// burst sends every request at once, each from its own goroutine, and
// returns the channel their answers arrive on.
func burst(t *testing.T, n int, send func(i int) (got, error)) <-chan result {
	out := make(chan result, n)
	start := make(chan struct{})
	for i := range n {
		go func() {
			<-start
			g, err := send(i)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
			}
			out <- result{i, g}
		}()
	}
	close(start)
	return out
}

// settle waits until each of n requests of a burst has either started a
// hash (and is held there) or answered; it returns the answers. A request
// neither hashing nor answering within a minute fails the test.
func settle(t *testing.T, p *hashProbe, results <-chan result, n int, already int) []result {
	t.Helper()
	var answered []result
	entered := already
	deadline := time.After(time.Minute)
	for entered+len(answered) < n {
		select {
		case <-p.entered:
			entered++
		case r := <-results:
			answered = append(answered, r)
		case <-deadline:
			t.Fatalf("after a minute, %d requests hash and %d answered, of %d", entered, len(answered), n)
		}
	}
	return answered
}

// TestSignInHashingIsBounded: with two hashing slots, six sign-ins at once
// run at most two password hashes together; the other four wait a moment
// and are told, in the person's language, to come back (429 and
// Retry-After). A refusal is not counted as a failed attempt. An admin
// adding a user meanwhile is told the same.
func TestSignInHashingIsBounded(t *testing.T) {
	probe, setup := probeHashes(false)
	const slots, n = 2, 6
	r := newRigWith(t, storetest.Engines()[0], Config{HashConcurrency: slots, HashWait: 20 * time.Millisecond,
		MaxFailuresPerUser: n - slots}, setup)
	defer probe.free()
	for i := range slots {
		r.user(fmt.Sprintf("primo%d", i), store.RoleAgent)
	}
	r.user("rossi", store.RoleAgent)
	r.user("capo", store.RoleAdmin)
	adm := r.browser()
	adm.login("capo")
	probe.arm()
	forms := make([]url.Values, n)
	browsers := make([]*browser, n)
	for i := range n {
		browsers[i] = r.browser()
		name := "rossi" // as many attempts as rossi's failure limit
		if i < slots {
			name = fmt.Sprintf("primo%d", i)
		}
		if i == n-1 {
			browsers[i].submit("/login", "/lang", url.Values{"lang": {"en"}, "back": {"/login"}})
		}
		forms[i] = url.Values{"csrf": {browsers[i].token("/login")}, "username": {name}, "password": {name + "-password"}}
	}
	// The first ones take the slots and are held in them.
	first := burst(t, slots, func(i int) (got, error) { return browsers[i].tryPost("/login", forms[i]) })
	for range slots {
		select {
		case <-probe.entered:
		case res := <-first:
			t.Fatalf("sign-in %d answered %d before hashing", res.i, res.g.code)
		}
	}
	rest := burst(t, n-slots, func(i int) (got, error) { return browsers[slots+i].tryPost("/login", forms[slots+i]) })
	refused := settle(t, probe, rest, n-slots, 0)
	if total, peak := probe.counts(); peak > slots || total != slots {
		t.Errorf("%d hashes started, at most %d at once; want %d, at most %d", total, peak, slots, slots)
	}
	for _, res := range refused {
		i := slots + res.i
		text := "Troppi accessi in questo momento"
		if i == n-1 {
			text = "Too many sign-ins at this moment"
		}
		if res.g.code != http.StatusTooManyRequests || res.g.resp.Header.Get("Retry-After") == "" || !strings.Contains(res.g.body, text) {
			t.Errorf("sign-in %d beyond the slots: %d, Retry-After %q, %q wanted in %.300s", i, res.g.code,
				res.g.resp.Header.Get("Retry-After"), text, res.g.body)
		}
	}
	add := adm.submit("/admin/users", "/admin/users", url.Values{"username": {"nuovo"}, "role": {"agent"},
		"password": {"cavallo batteria graffetta"}, "confirm": {"cavallo batteria graffetta"}})
	if add.code != http.StatusTooManyRequests || add.resp.Header.Get("Retry-After") == "" || !strings.Contains(add.body, "molto occupato") {
		t.Errorf("adding a user with every slot taken: %d", add.code)
	}
	probe.free()
	for range slots {
		if res := <-first; res.g.code != http.StatusSeeOther {
			t.Errorf("sign-in %d holding a slot: %d", res.i, res.g.code)
		}
	}
	// Refusals for want of a slot are no failures: rossi, refused as many
	// times as his limit, still signs in.
	r.browser().login("rossi")
}

// TestConcurrentGuessesAreThrottled: a hundred wrong passwords for one
// user at once get at most the limit of checks; the right password sent
// while the checked ones still run is refused as throttled, and stays
// refused until the window moves on. On both engines.
func TestConcurrentGuessesAreThrottled(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			probe, setup := probeHashes(true)
			const limit, n = 5, 100
			r := newRigWith(t, e, Config{MaxFailuresPerUser: limit, MaxFailuresPerAddr: 1000, HashConcurrency: 200,
				LoginWindow: 10 * time.Minute}, setup)
			defer probe.free()
			r.user("rossi", store.RoleAgent)
			browsers := make([]*browser, n+1)
			forms := make([]url.Values, n+1)
			for i := range n + 1 {
				browsers[i] = r.browser()
				browsers[i].client.Timeout = 2 * time.Minute
				forms[i] = url.Values{"csrf": {browsers[i].token("/login")}, "username": {"rossi"}, "password": {fmt.Sprintf("guess-%03d", i)}}
			}
			forms[n].Set("password", "rossi-password")
			wrong := burst(t, n, func(i int) (got, error) { return browsers[i].tryPost("/login", forms[i]) })
			throttled := settle(t, probe, wrong, n, 0)
			if total, _ := probe.counts(); total != limit {
				t.Fatalf("%d passwords checked for %d guesses at once, limit %d", total, n, limit)
			}
			for _, res := range throttled {
				if res.g.code != http.StatusTooManyRequests {
					t.Errorf("guess %d not checked but answered %d", res.i, res.g.code)
				}
			}
			// While the checked guesses are still running, the right
			// password arrives: it is not even checked.
			answer := burst(t, 1, func(int) (got, error) { return browsers[n].tryPost("/login", forms[n]) })
			if res := settle(t, probe, answer, 1, 0); len(res) == 0 {
				t.Fatal("the right password was checked during the attack")
			} else if right := res[0].g; right.code != http.StatusTooManyRequests || cookieNamed(right.resp, cookieSession) != nil ||
				!strings.Contains(right.body, "Troppi tentativi") {
				t.Fatalf("the right password during the attack: %d, session cookie %v", right.code, cookieNamed(right.resp, cookieSession))
			}
			probe.free()
			for range limit {
				if res := <-wrong; res.g.code != http.StatusUnauthorized {
					t.Errorf("checked guess %d: %d", res.i, res.g.code)
				}
			}
			b := r.browser()
			if p := b.submit("/login", "/login", url.Values{"username": {"rossi"}, "password": {"rossi-password"}}); p.code != http.StatusTooManyRequests {
				t.Fatalf("the right password after the attack, within the window: %d", p.code)
			}
			r.clk.Advance(10*time.Minute + time.Second)
			b.login("rossi")
		})
	}
}

// TestSecondFactorGuessesAreThrottled: fifty wrong codes at once from a
// half-signed-in session get at most the limit of checks; the right code
// is then refused as throttled.
func TestSecondFactorGuessesAreThrottled(t *testing.T) {
	const limit, n = 5, 50
	r := newRig(t, Config{MaxFailuresPerUser: limit, MaxFailuresPerAddr: 1000})
	r.user("verdi", store.RoleSupervisor)
	secret, _ := NewTOTPSecret()
	r.db.SetTOTP(bg, "verdi", secret, "test")
	b := r.browser()
	if p := b.login("verdi"); p.location != "/login/totp" {
		t.Fatalf("sign-in: %q", p.location)
	}
	right, _ := TOTPCode(secret, r.clk.Now())
	forms := make([]url.Values, n)
	for i := range n {
		guess := fmt.Sprintf("%06d", i)
		if guess == right {
			guess = "999999"
		}
		forms[i] = url.Values{"csrf": {b.token("/login/totp")}, "code": {guess}}
	}
	results := burst(t, n, func(i int) (got, error) { return b.tryPost("/login/totp", forms[i]) })
	checked := 0
	for range n {
		switch res := <-results; res.g.code {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("code %d: %d", res.i, res.g.code)
		}
	}
	act := "login.totp.failed"
	log, err := r.db.AuditLog(bg, store.AuditFilter{Action: &act})
	if err != nil || checked != limit || len(log) != limit {
		t.Fatalf("%d codes checked (%d audited, %v) of %d at once, limit %d", checked, len(log), err, n, limit)
	}
	if p := b.submit("/login/totp", "/login/totp", url.Values{"code": {right}}); p.code != http.StatusTooManyRequests || cookieNamed(p.resp, cookieSession) != nil {
		t.Fatalf("the right code past the limit: %d", p.code)
	}
}

// TestHashGateHonoursTheRequest: a request that ends while waiting for a
// slot stops waiting at once, whatever the configured wait.
func TestHashGateHonoursTheRequest(t *testing.T) {
	g := newHashGate(1, time.Hour)
	held, release := make(chan struct{}), make(chan struct{})
	go g.run(bg, func() { close(held); <-release })
	<-held
	defer close(release)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error)
	go func() { done <- g.run(ctx, func() { t.Error("ran without a slot") }) }()
	cancel()
	if err := <-done; !errors.Is(err, errHashBusy) || g.busy.Load() != 1 {
		t.Fatalf("%v, %d refusals", err, g.busy.Load())
	}
}
