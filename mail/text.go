package mail

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// Text from a sender is cleaned here, at the edge, before anything is
// stored: PostgreSQL refuses NUL bytes and invalid UTF-8 (a message carrying
// them was answered 451 for ever), and SQLite, which takes them, must store
// the same thing. Invalid UTF-8 becomes U+FFFD; NUL is dropped.

// cleanText cleans a body text: valid UTF-8, no NUL, no control characters
// other than tab and newline.
func cleanText(s string) string {
	if isCleanText(s, false) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n':
			return r
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
}

// cleanLine cleans a one-line field (a subject, a name, a file name):
// valid UTF-8, and no control characters at all, so a field cannot start a
// line of its own where it is shown; line breaks and tabs become spaces,
// other controls and the bidirectional overrides that disguise a file's
// extension are dropped.
func cleanLine(s string) string {
	if isCleanText(s, true) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			return ' '
		case r < 0x20 || (r >= 0x7f && r < 0xa0) || isBidiControl(r):
			return -1
		}
		return r
	}, s)
}

func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f'
}

// isCleanText is the fast path: most text needs nothing.
func isCleanText(s string, line bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			if line {
				return false // the slow path checks the separators and controls beyond ASCII
			}
			continue
		}
		if c == 0x7f || (c < 0x20 && (line || (c != '\t' && c != '\n'))) {
			return false
		}
	}
	return utf8.ValidString(s)
}

// cleanAddress cleans an email address; one longer than SMTP allows (254)
// is no address.
func cleanAddress(s string) string {
	s = strings.ReplaceAll(cleanLine(s), " ", "")
	if len(s) > 254 {
		return ""
	}
	return s
}

// cleanID keeps a Message-ID usable as a key: printable ASCII of a sane
// length is kept as it is; anything else (control bytes, 8-bit bytes, an
// id longer than an index can hold) is replaced by a digest of itself, the
// same for every message that names it, so threading still works.
func cleanID(id string) string {
	if len(id) <= 250 {
		ok := true
		for i := 0; i < len(id); i++ {
			if c := id[i]; c <= 0x20 || c >= 0x7f || c == '<' || c == '>' {
				ok = false
				break
			}
		}
		if ok {
			return id
		}
	}
	sum := sha256.Sum256([]byte(id))
	return "id-" + hex.EncodeToString(sum[:16]) + "@ascolto.invalid"
}
