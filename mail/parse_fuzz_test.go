package mail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseInvariants feeds arbitrary bytes to the lenient MIME parser and
// checks what the rest of ascolto relies on: it never panics, it decides
// the same way twice, every message it accepts has an id, and every
// attachment's name is safe to show and to offer for download (no
// directory, no control character, no quote, bounded).
func FuzzParseInvariants(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.eml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("From: a@b.it\r\nSubject: =?utf-8?b?Y2lhbw==?=\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: application/pdf; name=\"..\\\\..\\\\evil\r\n.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--x--\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Disposition: attachment; filename*=utf-8''%2Fetc%2Fpasswd\n\nx\n--b--\n--a--\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		m2, err2 := Parse(raw)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("two parses disagree: %v / %v", err, err2)
		}
		if err != nil {
			return
		}
		if m.MessageID == "" || m.MessageID != m2.MessageID || m.Text != m2.Text || len(m.Attachments) != len(m2.Attachments) {
			t.Fatalf("two parses disagree: %q/%q, %d/%d attachments", m.MessageID, m2.MessageID, len(m.Attachments), len(m2.Attachments))
		}
		for _, a := range m.Attachments {
			n := a.Filename
			if n == "" || strings.ContainsAny(n, `/\"`) || utf8.RuneCountInString(n) > 121 || n == "." || n == ".." {
				t.Fatalf("attachment name %q", n)
			}
			for _, r := range n {
				if r < 32 || r == 127 {
					t.Fatalf("attachment name %q has a control character", n)
				}
			}
			// As declared (the console checks it again before serving it):
			// lower case, without parameters.
			if a.ContentType != strings.ToLower(a.ContentType) || strings.Contains(a.ContentType, ";") {
				t.Fatalf("content type %q", a.ContentType)
			}
		}
	})
}

// FuzzHTMLToText: any HTML turns into text without panicking, and valid
// UTF-8 in gives valid UTF-8 out.
func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{"<p>Ciao <b>Anna</b></p><br>riga<script>alert(1)</script>", "<table><tr><td>a<td>b</table>",
		"&amp;&lt;&#x1F600;&#0;&#xD800;&nbsp;", "<!-- x", "<style>p{}</style>", "<a href='x'>link</a>", "\xff<p>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := htmlToText(src)
		if utf8.ValidString(src) && !utf8.ValidString(out) {
			t.Fatalf("htmlToText(%q) = %q: invalid UTF-8", src, out)
		}
	})
}
