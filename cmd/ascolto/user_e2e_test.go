package main

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/console"
	"github.com/ascolto/ascolto/store"
)

// cliIn runs the binary with stdin (not a terminal) and the USER the audit log names.
func cliIn(t *testing.T, envs []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(append(cleanEnv(), "USER=operatore"), envs...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestUserCommands(t *testing.T) {
	for name, envs := range engines(t) {
		t.Run(name, func(t *testing.T) {
			run := func(stdin string, args ...string) (string, string, int) { return cliIn(t, envs, stdin, args...) }
			// A fresh installation says how to create the first admin.
			out, errs, code := run("", "user", "list")
			if code != 0 || !strings.Contains(errs, "ascolto user add NOME --role admin") || !strings.Contains(out, "UTENTE") {
				t.Fatalf("fresh list: %d %q %q", code, out, errs)
			}
			refusals := []struct {
				stdin string
				args  []string
				want  string
			}{
				{"", []string{"user", "add", "capo", "--role", "admin"}, "--password-stdin"}, // stdin is no terminal
				{"corta\n", []string{"user", "add", "capo", "--role", "admin", "--password-stdin"}, "troppo debole"},
				{"capo\n", []string{"user", "add", "capo", "--role", "admin", "--password-stdin"}, "troppo debole"},
				{"", []string{"user", "add", "capo", "--role", "admin", "--password-stdin"}, "nessuna password"},
				{"una-password-lunga\n", []string{"user", "add", "capo", "--role", "boss", "--password-stdin"}, "--role"},
				{"una-password-lunga\n", []string{"user", "add", "Capo Rossi", "--role", "admin", "--password-stdin"}, "non valido"},
				{"una-password-lunga\n", []string{"user", "add", "capo", "--role", "admin", "--lang", "de", "--password-stdin"}, "--lang"},
			}
			for _, r := range refusals {
				if _, errs, code := run(r.stdin, r.args...); code == 0 || !strings.Contains(errs, r.want) {
					t.Errorf("%v: exit %d, stderr %q, want %q", r.args, code, errs, r.want)
				}
			}
			out, errs, code = run("una-password-lunga\n", "user", "add", "capo", "--role", "admin", "--name", "Anna Capo", "--password-stdin")
			if code != 0 || !strings.Contains(out, "Utente capo creato con ruolo admin") || strings.Contains(errs, "Attenzione") {
				t.Fatalf("first admin: %d %q %q", code, out, errs)
			}
			if _, errs, code := run("una-password-lunga\n", "user", "add", "capo", "--role", "agent", "--password-stdin"); code == 0 || !strings.Contains(errs, "esiste già") {
				t.Errorf("duplicate: %d %q", code, errs)
			}
			if _, errs, code := run("", "user", "role", "capo", "agent"); code == 0 || !strings.Contains(errs, "ultimo amministratore") {
				t.Errorf("demote the last admin: %d %q", code, errs)
			}
			if _, errs, code := run("", "user", "disable", "capo"); code == 0 || !strings.Contains(errs, "ultimo amministratore") {
				t.Errorf("disable the last admin: %d %q", code, errs)
			}
			run("password-di-anna\n", "user", "add", "rossi", "--role", "agent", "--password-stdin")
			steps := [][]string{
				{"user", "role", "rossi", "supervisor"},
				{"user", "disable", "rossi"},
				{"user", "enable", "rossi"},
			}
			for _, s := range steps {
				if out, errs, code := run("", s...); code != 0 {
					t.Errorf("%v: %d %q %q", s, code, out, errs)
				}
			}
			if out, errs, code := run("nuova-password-anna\n", "user", "passwd", "rossi", "--password-stdin"); code != 0 || !strings.Contains(out, "cambiata") {
				t.Errorf("passwd: %d %q %q", code, out, errs)
			}
			if _, errs, code := run("x\n", "user", "passwd", "nessuno", "--password-stdin"); code == 0 || !strings.Contains(errs, "non esiste") {
				t.Errorf("passwd of nobody: %d %q", code, errs)
			}
			out, _, code = run("", "user", "totp", "rossi")
			secret := regexp.MustCompile(`\n  ([A-Z2-7]{32})\n`).FindStringSubmatch(out)
			if code != 0 || secret == nil || !strings.Contains(out, "otpauth://totp/ascolto:rossi?") {
				t.Fatalf("totp: %d %q", code, out)
			}
			out, _, _ = run("", "--lang", "en", "user", "list")
			if !strings.Contains(out, "USER") || !regexp.MustCompile(`rossi\s+supervisor\s+\S*\s*it\s+totp\s+active`).MatchString(out) {
				t.Errorf("english list:\n%s", out)
			}

			// What the commands stored, read back from the database.
			db := openEnvStore(t, envs)
			ctx := context.Background()
			u, err := db.UserByName(ctx, "rossi")
			if err != nil || u.Role != store.RoleSupervisor || u.Disabled || u.TOTPSecret != secret[1] ||
				!console.VerifyPassword(u.PasswordHash, "nuova-password-anna") {
				t.Fatalf("rossi as stored: %+v %v", u, err)
			}
			capo, _ := db.UserByName(ctx, "capo")
			if capo.DisplayName != "Anna Capo" || strings.Contains(capo.PasswordHash, "una-password-lunga") {
				t.Fatalf("capo as stored: %+v", capo)
			}
			log, err := db.AuditLog(ctx, store.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, e := range log {
				if e.Actor == "cli:operatore" {
					seen[e.Action] = true
				}
			}
			for _, a := range []string{"user.add", "user.role", "user.disable", "user.enable", "user.passwd", "user.totp.set"} {
				if !seen[a] {
					t.Errorf("%s not audited as cli:operatore (saw %v)", a, seen)
				}
			}
			if _, _, code := run("", "user", "totp", "rossi", "--off"); code != 0 {
				t.Error("totp --off failed")
			}
		})
	}
}
