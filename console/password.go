package console

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters (OWASP's recommended minimum: 19 MiB, 2 passes, one
// lane). They are written into every hash, so raising them later still
// verifies old hashes.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password length limits: long enough to resist guessing, short enough
// that hashing cannot be used to burn CPU.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// ErrWeakPassword means a new password breaks the length or content rules.
var ErrWeakPassword = errors.New("console: password too weak")

// WeakPasswordError says which rule a new password breaks; it is an
// ErrWeakPassword.
type WeakPasswordError struct {
	// Rule is "short", "long", "username", "repeated", "sequence" or "common".
	Rule string
}

func (e *WeakPasswordError) Error() string { return ErrWeakPassword.Error() + ": " + e.Rule }

// Unwrap makes errors.Is(err, ErrWeakPassword) hold.
func (e *WeakPasswordError) Unwrap() error { return ErrWeakPassword }

// weakPasswordKey is the catalog key that explains err to the person.
func weakPasswordKey(err error) string {
	var we *WeakPasswordError
	if errors.As(err, &we) {
		return "password." + we.Rule
	}
	return "error.weakpassword"
}

// PasswordProblem explains, in lang ("it" or "en"), why CheckNewPassword
// refused a password; the command line shows it as the console does.
func PasswordProblem(err error, lang string) string {
	return sharedCatalog().t(lang, weakPasswordKey(err))
}

// sharedCatalog is the console's catalog for callers without a Console.
var sharedCatalog = sync.OnceValue(newCatalog)

// CheckNewPassword says whether a new password is acceptable for username:
// MinPasswordLen characters at least, MaxPasswordLen bytes at most, and
// nothing a guesser tries first: the username in it, one character or a
// short pattern repeated, a run along the alphabet, the digits or a
// keyboard row (1234567890, qwertyuiop), or a password of the bundled list
// of the most common ones (commonpasswords.txt), even with digits and
// symbols around it or letters swapped for look-alikes.
func CheckNewPassword(username, pw string) error {
	weak := func(rule string) error { return &WeakPasswordError{Rule: rule} }
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return weak("short")
	case len(pw) > MaxPasswordLen:
		return weak("long")
	}
	low := plain(pw)
	switch {
	case hasUsername(low, username):
		return weak("username")
	case repetitive(low):
		return weak("repeated")
	case sequential(low):
		return weak("sequence")
	case common(low):
		return weak("common")
	}
	return nil
}

// plain lowercases s and drops Italian accents, as the list is written.
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case 'à', 'á':
			return 'a'
		case 'è', 'é':
			return 'e'
		case 'ì', 'í':
			return 'i'
		case 'ò', 'ó':
			return 'o'
		case 'ù', 'ú':
			return 'u'
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
}

// hasUsername: the password contains the username, or a part of it (mario
// in mario.rossi) long enough to be a name, plainly or in look-alikes.
func hasUsername(low, username string) bool {
	u := plain(username)
	if u == "" {
		return false
	}
	if len(u) < 3 {
		return low == u
	}
	names := []string{u}
	for _, part := range strings.FieldsFunc(u, func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		if len(part) >= 4 {
			names = append(names, part)
		}
	}
	for _, form := range []string{low, unleet(low)} {
		for _, n := range names {
			if strings.Contains(form, n) {
				return true
			}
		}
	}
	return false
}

// repetitive: few distinct characters (aaaaaaaaaa, 1122112211), one
// character making up half of it, or a short pattern repeated
// (abcabcabca, amoreamore).
func repetitive(low string) bool {
	rs := []rune(low)
	count := map[rune]int{}
	most := 0
	for _, r := range rs {
		count[r]++
		most = max(most, count[r])
	}
	if len(count) < 4 || 2*most > len(rs) {
		return true
	}
	for p := 1; p <= len(rs)/2; p++ {
		periodic := true
		for i := p; i < len(rs) && periodic; i++ {
			periodic = rs[i] == rs[i-p]
		}
		if periodic {
			return true
		}
	}
	return false
}

// sequences are the orders a guesser walks along: the alphabet, the digits
// and the rows of the US and Italian keyboards.
var sequences = []string{
	"abcdefghijklmnopqrstuvwxyz", "0123456789",
	"1234567890-=", "qwertyuiop[]", "asdfghjkl;'", "zxcvbnm,./",
	"1234567890'ì", "qwertyuiopè+", "asdfghjklòàù", "zxcvbnm,.-",
}

// neighbours says whether b comes right before or after a in a sequence.
func neighbours(a, b rune) bool {
	for _, s := range sequences {
		rs := []rune(s)
		for i, r := range rs {
			if r == a && (i > 0 && rs[i-1] == b || i+1 < len(rs) && rs[i+1] == b) {
				return true
			}
		}
	}
	return false
}

// sequential: the password is one or two runs, each a character repeated
// or a walk along a sequence, either way (1234567890, 9876543210,
// qwertyuiop, abcde12345, 1111122222).
func sequential(low string) bool {
	rs := []rune(low)
	runs := 1
	for i := 1; i < len(rs); i++ {
		if rs[i] != rs[i-1] && !neighbours(rs[i-1], rs[i]) {
			runs++
		}
	}
	return runs <= 2
}

//go:embed commonpasswords.txt
var commonList string

// commonSet is the bundled list, read once, with its longest entry (in
// characters).
type commonSet struct {
	words   map[string]bool
	longest int
}

var commonPasswords = sync.OnceValue(func() commonSet {
	c := commonSet{words: map[string]bool{}}
	for _, line := range strings.Split(commonList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			c.words[line] = true
			c.longest = max(c.longest, utf8.RuneCountInString(line))
		}
	}
	return c
})

// common: the password, or its core, is in the bundled list. The core is
// what is left once the digits and symbols people put around a common
// password are taken off (Juventus1897!, 1password1, 1234567890-2024),
// then with look-alikes undone (P@ssw0rd) and without the separators
// inside (amore-mio, ciao1234ciao).
func common(low string) bool {
	c := commonPasswords()
	rs := []rune(low)
	n := len(rs)
	lead := 0
	for lead < n && !unicode.IsLetter(rs[lead]) {
		lead++
	}
	tail := 0
	for tail < n-lead && !unicode.IsLetter(rs[n-1-tail]) {
		tail++
	}
	if lead == n { // no letters: the list's digit runs may sit anywhere
		tail = n
	}
	// Every way of taking non-letters off either end.
	for i := 0; i <= lead && i < n; i++ {
		for j := max(n-tail, i+1); j <= n && j-i <= c.longest; j++ {
			if c.words[string(rs[i:j])] {
				return true
			}
		}
	}
	if lead == n {
		return false
	}
	core := string(rs[lead : n-tail])
	for _, v := range []string{unleet(core), lettersOnly(core), lettersOnly(unleet(core))} {
		if c.words[v] {
			return true
		}
	}
	return false
}

// unleet undoes the usual look-alike swaps (p@ssw0rd).
func unleet(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '0':
			return 'o'
		case '1', '!':
			return 'i'
		case '3', '€':
			return 'e'
		case '4', '@':
			return 'a'
		case '5', '$':
			return 's'
		case '7':
			return 't'
		}
		return r
	}, s)
}

func lettersOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return r
		}
		return -1
	}, s)
}

// HashPassword hashes a password with argon2id into the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
func HashPassword(pw string) (string, error) {
	if len(pw) > MaxPasswordLen {
		return "", &WeakPasswordError{Rule: "long"}
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("console: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches an argon2id hash made by
// HashPassword; a malformed hash never matches.
func VerifyPassword(hash, pw string) bool {
	if len(pw) > MaxPasswordLen {
		return false
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var mem, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &threads); err != nil {
		return false
	}
	// Refuse absurd parameters a tampered row could carry.
	if mem == 0 || mem > 1<<20 || passes == 0 || passes > 16 || threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, passes, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is verified against when a username does not exist, so a
// wrong username takes as long as a wrong password.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jx9q1ZJ6tB0q6JH0QyIh8mO9Gv7Xr1hP2mP0m4xq1sQ"
