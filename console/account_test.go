package console

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

func TestAccountPasswordAndSecondFactor(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	b, other := r.browser(), r.browser()
	b.login("rossi")
	other.login("rossi")
	pw := func(cur, n, c string) got {
		return b.submit("/account", "/account/password", url.Values{"current": {cur}, "new": {n}, "confirm": {c}})
	}
	tests := []struct {
		name          string
		cur, new, cfm string
		code          int
		text          string
	}{
		{"wrong current", "nope", "nuova-password-ok", "nuova-password-ok", 401, "La password attuale non è corretta"},
		{"mismatch", "rossi-password", "nuova-password-ok", "nuova-password-ko", 400, "non coincidono"},
		{"weak", "rossi-password", "corta", "corta", 400, "troppo debole"},
		{"missing", "rossi-password", "", "", 400, "troppo debole"},
	}
	for _, tt := range tests {
		if p := pw(tt.cur, tt.new, tt.cfm); p.code != tt.code || !strings.Contains(p.body, tt.text) {
			t.Errorf("%s: %d, want %d with %q", tt.name, p.code, tt.code, tt.text)
		}
	}
	if p := pw("rossi-password", "nuova-password-ok", "nuova-password-ok"); p.location != "/account?done=password" {
		t.Fatalf("change: %d %q", p.code, p.location)
	}
	if p := b.get("/account"); p.code != 200 {
		t.Fatalf("the changing session must stay: %d", p.code)
	}
	if p := other.get("/account"); p.code != http.StatusSeeOther {
		t.Fatalf("the other session must end: %d", p.code)
	}

	// Enrol a second factor from the account page, then remove it.
	p := b.get("/account")
	m := secretField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("no enrolment form on the account page")
	}
	if p := b.submit("/account", "/account/totp", url.Values{"secret": {m[1]}, "secret_sig": {m[2]}, "code": {"123"}}); p.code != 400 {
		t.Fatalf("bad code: %d", p.code)
	}
	code, _ := TOTPCode(m[1], r.clk.Now())
	if p := b.submit("/account", "/account/totp", url.Values{"secret": {m[1]}, "secret_sig": {"forged"}, "code": {code}}); p.code != 400 {
		t.Fatalf("forged signature: %d", p.code)
	}
	if p := b.submit("/account", "/account/totp", url.Values{"secret": {m[1]}, "secret_sig": {m[2]}, "code": {code}}); p.location != "/account?done=totp" {
		t.Fatalf("enrol: %d %q", p.code, p.location)
	}
	if u, _ := r.db.UserByName(bg, "rossi"); u.TOTPSecret != m[1] {
		t.Fatal("secret not stored")
	}
	if p := b.submit("/account", "/account/totp/remove", url.Values{"current": {"wrong"}}); p.code != 401 {
		t.Fatalf("remove with a wrong password: %d", p.code)
	}
	if p := b.submit("/account", "/account/totp/remove", url.Values{"current": {"nuova-password-ok"}}); p.location != "/account?done=totpoff" {
		t.Fatalf("remove: %d %q", p.code, p.location)
	}
	for _, a := range []string{"user.passwd", "user.totp.set", "user.totp.clear"} {
		a := a
		if log, _ := r.db.AuditLog(bg, store.AuditFilter{Action: &a}); len(log) != 1 || log[0].Actor != "rossi" {
			t.Errorf("%s audited: %+v", a, log)
		}
	}
}

func TestSecondFactorCannotBeRemovedWhenRequired(t *testing.T) {
	r := newRig(t, Config{TOTPRequired: true})
	r.user("capo", store.RoleAdmin)
	secret, _ := NewTOTPSecret()
	r.db.SetTOTP(bg, "capo", secret, "test")
	b := r.browser()
	b.login("capo")
	code, _ := TOTPCode(secret, r.clk.Now())
	if p := b.submit("/login/totp", "/login/totp", url.Values{"code": {code}}); p.code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", p.code)
	}
	if p := b.submit("/account", "/account/totp/remove", url.Values{"current": {"capo-password"}}); p.code != 403 {
		t.Fatalf("removing a required factor: %d", p.code)
	}
}

func TestLanguageBeforeSignIn(t *testing.T) {
	r := newRig(t, Config{})
	b := r.browser()
	if p := b.submit("/login", "/lang", url.Values{"lang": {"en"}, "back": {"/login"}}); p.location != "/login" {
		t.Fatalf("switch: %d %q", p.code, p.location)
	}
	if p := b.get("/login"); !strings.Contains(p.body, "Sign in to the console") {
		t.Fatal("English not kept for the signed-out browser")
	}
	if p := b.submit("/login", "/lang", url.Values{"lang": {"de"}}); p.code != 400 {
		t.Fatalf("unknown language: %d", p.code)
	}
	if p := b.submit("/login", "/lang", url.Values{"lang": {"it"}, "back": {"https://evil.example/"}}); p.location != "/" {
		t.Fatalf("off-site back: %q", p.location)
	}
	// Without any cookie there is nothing to bind a token to.
	if p := r.browser().post("/lang", url.Values{"lang": {"en"}, "csrf": {b.token("/login")}}); p.code != 403 {
		t.Fatalf("cookie-less post: %d", p.code)
	}
}

func TestUnsubscribeStopsDelivery(t *testing.T) {
	r := newRig(t, Config{})
	r.user("verdi", store.RoleSupervisor)
	b := r.browser()
	b.login("verdi")
	w, _, _ := b.dial("/supervisor")
	w.call("subscribe", map[string]any{"topics": []string{"queues", "mode"}})
	if m := w.call("unsubscribe", map[string]any{"topics": []string{"queues"}}); m.Type != "ack" {
		t.Fatal(m.Data)
	}
	r.c.PublishSnapshot(Snapshot{Queues: []QueueView{{Name: "soccorso"}}})
	r.c.PublishMode(ModeView{Mode: "emergency", Reason: "alluvione"})
	// Order is kept per connection: a snapshot delivered would come first.
	for {
		m, err := w.read()
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == "queues.snapshot" {
			t.Fatal("an unsubscribed topic was delivered")
		}
		if m.Type == "mode" {
			if m.Data["mode"] != "emergency" {
				t.Fatalf("mode %v", m.Data)
			}
			break
		}
	}
	r.c.Offer("verdi", "call.offered", map[string]any{"caller": "0862000000"})
	if m := w.expect("call.offered"); m.Data["caller"] != "0862000000" {
		t.Fatalf("offer %v", m.Data)
	}
}

// TestAccountPasswordChecksAreThrottled: the current password asked by
// /account/password and /account/totp/remove is throttled as sign-in is:
// past the limit even the right one is refused (429) and nothing changes,
// and guesses sent at once get at most the limit of checks.
func TestAccountPasswordChecksAreThrottled(t *testing.T) {
	probe, setup := probeHashes(false)
	const limit = 3
	r := newRigWith(t, storetest.Engines()[0], Config{MaxFailuresPerUser: limit, MaxFailuresPerAddr: 1000, LoginWindow: 10 * time.Minute,
		HashConcurrency: 100}, setup)
	defer probe.free()
	r.user("rossi", store.RoleAgent)
	secret, _ := NewTOTPSecret()
	r.db.SetTOTP(bg, "rossi", secret, "test")
	b := r.browser()
	b.submit("/login", "/login", url.Values{"username": {"rossi"}, "password": {"rossi-password"}})
	code, _ := TOTPCode(secret, r.clk.Now())
	if p := b.submit("/login/totp", "/login/totp", url.Values{"code": {code}}); p.code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", p.code)
	}

	change := func(cur string) got {
		return b.submit("/account", "/account/password", url.Values{"current": {cur}, "new": {"nuova-password-ok"}, "confirm": {"nuova-password-ok"}})
	}
	remove := func(cur string) got {
		return b.submit("/account", "/account/totp/remove", url.Values{"current": {cur}})
	}
	for i := range limit {
		if p := change(fmt.Sprintf("sbagliata-%d", i)); p.code != http.StatusUnauthorized {
			t.Fatalf("wrong current password %d: %d", i, p.code)
		}
	}
	for name, try := range map[string]func(string) got{"password": change, "totp/remove": remove} {
		p := try("rossi-password")
		if p.code != http.StatusTooManyRequests || p.resp.Header.Get("Retry-After") == "" || !strings.Contains(p.body, "Troppi tentativi") {
			t.Errorf("/account/%s with the right password past the limit: %d %q", name, p.code, p.resp.Header.Get("Retry-After"))
		}
	}
	u, _ := r.db.UserByName(bg, "rossi")
	if !VerifyPassword(u.PasswordHash, "rossi-password") || u.TOTPSecret == "" {
		t.Fatal("a throttled request changed the account")
	}
	r.clk.Advance(10*time.Minute + time.Second)
	if p := remove("rossi-password"); p.location != "/account?done=totpoff" {
		t.Fatalf("after the window: %d %q", p.code, p.location)
	}

	// Guesses at once: the checks are reserved, not counted afterwards.
	r.clk.Advance(10*time.Minute + time.Second)
	probe.arm()
	const n = 12
	forms := make([]url.Values, n)
	for i := range n {
		forms[i] = url.Values{"csrf": {b.token("/account")}, "current": {fmt.Sprintf("sbagliata-%02d", i)},
			"new": {"nuova-password-ok"}, "confirm": {"nuova-password-ok"}}
	}
	results := burst(t, n, func(i int) (got, error) { return b.tryPost("/account/password", forms[i]) })
	throttled := settle(t, probe, results, n, 0)
	if total, _ := probe.counts(); total != limit {
		t.Errorf("%d current passwords checked for %d guesses at once, limit %d", total, n, limit)
	}
	for _, res := range throttled {
		if res.g.code != http.StatusTooManyRequests {
			t.Errorf("guess %d: %d", res.i, res.g.code)
		}
	}
	probe.free()
}

// TestAccountSecondFactorWording: /account says the second factor is
// mandatory only to the roles the configuration makes it mandatory for
// (supervisors and admins, with TOTPRequired), and shows the enrolment's
// otpauth:// address as a QR code of that very address, in a page no
// cache keeps.
func TestAccountSecondFactorWording(t *testing.T) {
	tests := []struct {
		required bool
		role     string
		says     bool
	}{
		{false, store.RoleAgent, false},
		{false, store.RoleSupervisor, false},
		{false, store.RoleAdmin, false},
		{true, store.RoleAgent, false},
		{true, store.RoleOpsRoom, false},
		{true, store.RoleSupervisor, true},
		{true, store.RoleAdmin, true},
	}
	uri := regexp.MustCompile(`<code class="select wrapall">(otpauth:[^<]+)</code>`)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s required=%v", tt.role, tt.required), func(t *testing.T) {
			r := newRig(t, Config{TOTPRequired: tt.required})
			r.user("u", tt.role)
			b := r.browser()
			b.login("u")
			if tt.says {
				// Enrolment is forced at sign-in; the same wording is right there.
				p := b.get("/login/totp")
				if !strings.Contains(p.body, "Il secondo fattore è obbligatorio per il tuo ruolo") || !strings.Contains(p.body, `<svg class="qr"`) {
					t.Fatalf("forced enrolment page:\n%s", p.body)
				}
				return
			}
			p := b.get("/account")
			if p.code != 200 {
				t.Fatalf("/account: %d", p.code)
			}
			if strings.Contains(p.body, "Il secondo fattore è obbligatorio") {
				t.Errorf("/account says the second factor is mandatory for %s", tt.role)
			}
			if !strings.Contains(p.body, "non è obbligatorio per il tuo ruolo") {
				t.Errorf("/account does not say it is optional")
			}
			if cc := p.resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			m := uri.FindStringSubmatch(p.body)
			if m == nil {
				t.Fatal("no otpauth address")
			}
			want, err := qrSVG(html.UnescapeString(m[1]), "Codice QR da inquadrare con l'app di autenticazione")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(p.body, string(want)) || !strings.HasPrefix(html.UnescapeString(m[1]), "otpauth://totp/") {
				t.Errorf("the QR code is not the page's otpauth address %s", m[1])
			}
		})
	}
	// Signed out, there is no page and no QR code.
	r := newRig(t, Config{})
	if p := r.browser().get("/account"); p.code != http.StatusSeeOther || strings.Contains(p.body, "<svg") {
		t.Errorf("signed out: %d", p.code)
	}
}
