package store_test

import (
	"testing"

	"github.com/ascolto/ascolto/store"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, line, text string }{
		{"Maria Rossi", "Maria Rossi", "Maria Rossi"},
		{"  Maria\r\nBcc: x@example.com ", "Maria  Bcc: x@example.com", "  Maria\nBcc: x@example.com "},
		{"a\x00b\x7fc\u0085d\u009be", "abc de", "abcde"},
		{"a\tb\rc\u2028d", "a b c d", "a\tb\nc\u2028d"},
		{"bad \xff\xfe utf-8 \xc3", "bad \uFFFD utf-8 \uFFFD", "bad \uFFFD utf-8 \uFFFD"},
		{"\x1b[2Jclear", "[2Jclear", "[2Jclear"},
		{"città è già", "città è già", "città è già"},
		{"fattura\u202egpj.exe", "fatturagpj.exe", "fattura\u202egpj.exe"},
	} {
		if got := store.CleanLine(tc.in); got != tc.line {
			t.Errorf("CleanLine(%q) = %q, want %q", tc.in, got, tc.line)
		}
		if got := store.CleanText(tc.in); got != tc.text {
			t.Errorf("CleanText(%q) = %q, want %q", tc.in, got, tc.text)
		}
	}
}
