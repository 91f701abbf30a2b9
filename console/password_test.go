package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ascolto/ascolto/store"
)

func TestPasswordPolicy(t *testing.T) {
	tests := []struct {
		user, pw string
		rule     string // "" when accepted
	}{
		{"rossi", "corta", "short"},
		{"rossi", strings.Repeat("parola ", 40), "long"},
		{"rossi", "aaaaaaaaaa", "repeated"},
		{"rossi", "AAAAAAAAAAAA", "repeated"},
		{"rossi", "1212121212", "repeated"},
		{"rossi", "abcabcabcabc", "repeated"},
		{"rossi", "amoreamore", "repeated"},
		{"rossi", "aaaaaaaxyz!", "repeated"},
		{"rossi", "1234567890", "sequence"},
		{"rossi", "0987654321", "sequence"},
		{"rossi", "9876543210", "sequence"},
		{"rossi", "abcdefghijkl", "sequence"},
		{"rossi", "zyxwvutsrq", "sequence"},
		{"rossi", "qwertyuiop", "sequence"},
		{"rossi", "poiuytrewq", "sequence"},
		{"rossi", "asdfghjkl;", "sequence"},
		{"rossi", "zxcvbnm,./", "sequence"},
		{"rossi", "qwerty1234", "sequence"},
		{"rossi", "1111122222", "repeated"},
		{"rossi", "abcde12345", "sequence"},
		{"rossi", "aabbccddee", "sequence"},
		{"rossi", "password12", "common"},
		{"rossi", "Password123!", "common"},
		{"rossi", "P@ssw0rd!!", "common"},
		{"rossi", "juventus1897", "common"},
		{"rossi", "Juventus!!!", "common"},
		{"rossi", "ciao1234ciao", "common"},
		{"rossi", "ciao123456", "common"},
		{"rossi", "amore-mio-2024", "common"},
		{"rossi", "Ti amo tanto", "common"},
		{"rossi", "principessa", "common"},
		{"rossi", "forzanapoli", "common"},
		{"rossi", "1q2w3e4r5t", "common"},
		{"rossi", "protezionecivile", "common"},
		{"rossi", "ascolto-demo", "common"},
		{"rossi", "Francesca1990", "common"},
		{"rossi", "1password1", "common"},
		{"rossi", "1234567890-2024", "common"},
		{"rossi", "2024-123456789", "common"},
		{"rossi", "rossi12345!", "username"},
		{"rossi", "ROSSI     ", "username"},
		{"rossi", "il-r0ss1-2024", "username"},
		{"mario.bianchi", "bianchi-e-basta", "username"},
		{"mario.bianchi", "superman-mario", "username"},
		{"rossi", "abbastanza lunga", ""},
		{"rossi", "una-buona-password", ""},
		{"rossi", "nuova-password-ok", ""},
		{"rossi", "cavallo batteria graffetta", ""},
		{"rossi", "Tramonto sul Po 1987", ""},
		{"rossi", "juventus e torino, derby", ""},
		{"ab", "abbastanza lunga", ""}, // a two-letter username is not looked for inside
		{"ana", "la banana matura", "username"},
	}
	for _, tt := range tests {
		err := CheckNewPassword(tt.user, tt.pw)
		var we *WeakPasswordError
		switch {
		case tt.rule == "" && err != nil:
			t.Errorf("%q for %s refused: %v", tt.pw, tt.user, err)
		case tt.rule != "" && (!errors.As(err, &we) || we.Rule != tt.rule || !errors.Is(err, ErrWeakPassword)):
			t.Errorf("%q for %s: %v, want rule %q", tt.pw, tt.user, err, tt.rule)
		}
	}
}

// TestPasswordProblemsAreExplained: every rule has its words in both
// languages, and the numbers in them are the limits the code enforces.
func TestPasswordProblemsAreExplained(t *testing.T) {
	for _, rule := range []string{"short", "long", "username", "repeated", "sequence", "common"} {
		err := &WeakPasswordError{Rule: rule}
		it, en := PasswordProblem(err, "it"), PasswordProblem(err, "en")
		if strings.Contains(it, "‹") || strings.Contains(en, "‹") || it == en {
			t.Errorf("%s: %q / %q", rule, it, en)
		}
	}
	if s := PasswordProblem(&WeakPasswordError{Rule: "short"}, "it"); !strings.Contains(s, fmt.Sprint(MinPasswordLen)) {
		t.Errorf("short: %q does not say %d", s, MinPasswordLen)
	}
	if s := PasswordProblem(&WeakPasswordError{Rule: "long"}, "en"); !strings.Contains(s, fmt.Sprint(MaxPasswordLen)) {
		t.Errorf("long: %q does not say %d", s, MaxPasswordLen)
	}
	if s := PasswordProblem(errors.New("other"), "it"); !strings.Contains(s, "troppo debole") {
		t.Errorf("a bare error: %q", s)
	}
}

// TestCommonPasswordList: the bundled list is several hundred entries,
// written as the matching expects them (lowercase, no accents, no blanks),
// and each entry long enough to be typed is refused.
func TestCommonPasswordList(t *testing.T) {
	set := commonPasswords().words
	if len(set) < 500 {
		t.Fatalf("%d common passwords", len(set))
	}
	for _, want := range []string{"password", "12345678", "qwertyuiop", "juventus", "ciao1234", "amore"} {
		if !set[want] {
			t.Errorf("%q missing", want)
		}
	}
	for w := range set {
		if w != plain(w) || strings.ContainsAny(w, " \t") {
			t.Errorf("entry %q is not plain lowercase", w)
		}
		if len(w) >= MinPasswordLen && CheckNewPassword("rossi", w) == nil {
			t.Errorf("entry %q accepted", w)
		}
		if CheckNewPassword("rossi", w+"2024!!") == nil && len(w+"2024!!") >= MinPasswordLen {
			t.Errorf("entry %q with a year accepted", w)
		}
	}
}

// TestWeakPasswordsRefusedEverywhere: the account page and the admin's
// forms say which rule a password breaks, in the person's language.
func TestWeakPasswordsRefusedEverywhere(t *testing.T) {
	r := newRig(t, Config{})
	r.user("capo", store.RoleAdmin)
	adm := r.browser()
	adm.login("capo")
	cases := []struct{ pw, it, en string }{
		{"aaaaaaaaaa", "caratteri ripetuti", "repeated characters"},
		{"1234567890", "è una sequenza", "is a sequence"},
		{"juventus1897", "tra le password più usate", "among the most used passwords"},
		{"capo-password-2", "nome utente", "username"},
	}
	for _, c := range cases {
		if p := adm.submit("/account", "/account/password", url.Values{"current": {"capo-password"}, "new": {c.pw}, "confirm": {c.pw}}); p.code != http.StatusBadRequest || !strings.Contains(p.body, c.it) {
			t.Errorf("account, %q: %d, want 400 with %q", c.pw, p.code, c.it)
		}
	}
	adm.submit("/account", "/account/lang", url.Values{"lang": {"en"}})
	for _, c := range cases {
		f := url.Values{"username": {"capo2"}, "role": {"agent"}, "password": {c.pw}, "confirm": {c.pw}}
		if c.en == "username" {
			f.Set("username", "nuovo")
			f.Set("password", "nuovo-arrivato")
			f.Set("confirm", "nuovo-arrivato")
		}
		if p := adm.submit("/admin/users", "/admin/users", f); p.code != http.StatusBadRequest || !strings.Contains(p.body, c.en) {
			t.Errorf("new user, %q: %d, want 400 with %q", f.Get("password"), p.code, c.en)
		}
	}
	r.user("rossi", store.RoleAgent)
	f := url.Values{"action": {"password"}, "password": {"qwertyuiop"}, "confirm": {"qwertyuiop"}}
	if p := adm.submit("/admin/users/rossi", "/admin/users/rossi", f); p.code != http.StatusBadRequest || !strings.Contains(p.body, "is a sequence") {
		t.Errorf("admin resets rossi's password to qwertyuiop: %d", p.code)
	}
	if u, _ := r.db.UserByName(bg, "rossi"); !VerifyPassword(u.PasswordHash, "rossi-password") {
		t.Error("a refused password was stored")
	}
}
