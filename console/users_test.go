package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ascolto/ascolto/store"
	"github.com/gorilla/websocket"
)

func TestAdminManagesUsers(t *testing.T) {
	r := newRig(t, Config{})
	r.user("capo", store.RoleAdmin)
	r.user("rossi", store.RoleAgent)
	adm := r.browser()
	adm.login("capo")
	agent := r.browser()
	agent.login("rossi")
	ws, _, err := agent.dial("/agent")
	if err != nil {
		t.Fatal(err)
	}

	create := func(f url.Values) got { return adm.submit("/admin/users", "/admin/users", f) }
	good := url.Values{"username": {"bianchi"}, "display_name": {"Anna Bianchi"}, "role": {"supervisor"},
		"password": {"una-buona-password"}, "confirm": {"una-buona-password"}, "lang": {"en"}}
	bad := []struct {
		name   string
		change func(url.Values)
		code   int
	}{
		{"bad name", func(f url.Values) { f.Set("username", "Anna B") }, 400},
		{"missing name", func(f url.Values) { f.Del("username") }, 400},
		{"bad role", func(f url.Values) { f.Set("role", "root") }, 400},
		{"short password", func(f url.Values) { f.Set("password", "corta"); f.Set("confirm", "corta") }, 400},
		{"mismatch", func(f url.Values) { f.Set("confirm", "altra-password-lunga") }, 400},
		{"oversized name", func(f url.Values) { f.Set("display_name", strings.Repeat("x", 101)) }, 400},
		{"taken", func(f url.Values) { f.Set("username", "rossi") }, 409},
	}
	for _, b := range bad {
		f := url.Values{}
		for k, v := range good {
			f[k] = append([]string(nil), v...)
		}
		b.change(f)
		if p := create(f); p.code != b.code {
			t.Errorf("%s: %d, want %d", b.name, p.code, b.code)
		}
	}
	if p := create(good); p.location != "/admin/users/bianchi?done=created" {
		t.Fatalf("create: %d %q %.300s", p.code, p.location, p.body)
	}
	u, err := r.db.UserByName(bg, "bianchi")
	if err != nil || u.Role != store.RoleSupervisor || u.Lang != "en" || !VerifyPassword(u.PasswordHash, "una-buona-password") {
		t.Fatalf("created %+v %v", u, err)
	}
	act := func(name string, f url.Values) got { return adm.submit("/admin/users/"+name, "/admin/users/"+name, f) }
	steps := []struct {
		name string
		user string
		form url.Values
		code int
	}{
		{"role", "bianchi", url.Values{"action": {"role"}, "role": {"admin"}}, 303},
		{"bad role", "bianchi", url.Values{"action": {"role"}, "role": {"x"}}, 400},
		{"unknown action", "bianchi", url.Values{"action": {"explode"}}, 400},
		{"unknown user", "nessuno", url.Values{"action": {"role"}, "role": {"agent"}}, 404},
		{"disable self", "capo", url.Values{"action": {"disable"}}, 409},
		{"profile", "rossi", url.Values{"action": {"profile"}, "display_name": {"Mario Rossi"}, "email": {"m@example.org"}}, 303},
		{"password too short", "rossi", url.Values{"action": {"password"}, "password": {"x"}, "confirm": {"x"}}, 400},
		{"disable rossi", "rossi", url.Values{"action": {"disable"}}, 303},
		{"demote capo, bianchi remains admin", "capo", url.Values{"action": {"role"}, "role": {"agent"}}, 303},
	}
	for _, s := range steps {
		if p := act(s.user, s.form); p.code != s.code {
			t.Errorf("%s: %d, want %d", s.name, p.code, s.code)
		}
	}
	// Disabling rossi ended his session and closed his WebSocket.
	var closed error
	for closed == nil {
		_, closed = ws.read()
	}
	if !websocket.IsCloseError(closed, 4401) {
		t.Errorf("disabled agent's websocket: %v, want close 4401", closed)
	}
	if p := agent.get("/agent"); p.code != http.StatusSeeOther {
		t.Errorf("disabled agent still in: %d", p.code)
	}
	// capo is an agent now: the next request is judged by the new role.
	if p := adm.get("/admin/users"); p.code != 403 {
		t.Errorf("demoted admin: %d", p.code)
	}
	for _, a := range []string{"user.add", "user.role", "user.disable", "user.update"} {
		a := a
		if log, err := r.db.AuditLog(bg, store.AuditFilter{Action: &a}); err != nil || len(log) == 0 || log[0].Actor != "capo" {
			t.Errorf("%s not audited by capo: %+v %v", a, log, err)
		}
	}
}
