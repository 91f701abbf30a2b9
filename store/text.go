package store

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// PostgreSQL refuses a NUL byte or invalid UTF-8 in text, where SQLite keeps
// them: a write carrying one fails there every time it is retried. The
// edges that take text from the public (the form, mail) clean it with
// CleanLine and CleanText before it reaches the store, so both engines
// store the same thing.

// CleanLine makes s fit a one-line field (a name, an address, a phone, a
// subject, a file name): each run of invalid UTF-8 becomes one U+FFFD, line
// breaks and tabs become spaces, other control characters and the
// bidirectional overrides that disguise a file's extension
// ("fattura\u202egpj.exe") are dropped, and the ends are trimmed. A name
// that carried a line break would otherwise start a line of its own in the
// acknowledgement email built from it.
func CleanLine(s string) string {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			return ' '
		case unicode.IsControl(r) || isBidiControl(r):
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// isBidiControl reports the marks and overrides that change the direction
// text is shown in.
func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f'
}

// CleanText makes s fit a multi-line field (a description, a message):
// each run of invalid UTF-8 becomes one U+FFFD, CRLF and a lone CR become
// LF, and control characters other than LF and tab are dropped.
func CleanText(s string) string {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}
