package mail

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, line, text string }{
		{"Frana a Paganica", "Frana a Paganica", "Frana a Paganica"},
		{"città è", "città è", "città è"},
		{"a\x00b", "ab", "ab"},
		{"a\xffb", "a\uFFFDb", "a\uFFFDb"},
		{"riga\r\nBcc: x\tfine", "riga  Bcc: x fine", "rigaBcc: x\tfine"},
		{"uno\ndue", "uno due", "uno\ndue"},
		{"fattura\u202egpj.exe", "fatturagpj.exe", "fattura\u202egpj.exe"},
		{"esc\x1b[31m", "esc[31m", "esc[31m"},
	} {
		if got := store.CleanLine(tc.in); got != tc.line {
			t.Errorf("store.CleanLine(%q) = %q, want %q", tc.in, got, tc.line)
		}
		if got := store.CleanText(strings.ReplaceAll(tc.in, "\r\n", "")); got != tc.text {
			t.Errorf("store.CleanText(%q) = %q, want %q", tc.in, got, tc.text)
		}
	}
	if got := cleanID("ok.123@example.it"); got != "ok.123@example.it" {
		t.Errorf("a clean id changed: %q", got)
	}
	for _, bad := range []string{"a\x00b@x", "\xff@x", strings.Repeat("x", 300) + "@x"} {
		got := cleanID(bad)
		if got == bad || got != cleanID(bad) || !strings.HasSuffix(got, "@ascolto.invalid") {
			t.Errorf("cleanID(%q) = %q", bad, got)
		}
	}
}

// A message full of NUL bytes and invalid UTF-8 is accepted (not 451 for
// ever, as PostgreSQL refused it) and both engines store the same clean
// text.
func TestPoisonedMailIsStoredCleanOnEveryEngine(t *testing.T) {
	raw := "From: =?utf-8?q?Maria=00_Rossi=FF?= <maria.rossi@example.it>\r\n" +
		"To: contactcenter@example.org\r\n" +
		"Subject: Frana\x00 a Paganica =?utf-8?q?=FF_via_Roma=0D=0Ariga?=\r\n" +
		"Message-ID: <id-\xff@example.it>\r\n" +
		"In-Reply-To: <nessuno-\xfe@example.it>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"La strada\x00 è chiusa \xff\xfe.\r\n" +
		// An 8-bit file name is read as Windows-1252, as in headers.
		"--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename*=utf-8''foto%00%FF.jpg\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n--b--\r\n"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := startReceiver(t, db, ReceiverOptions{})
		if err := in.send("maria.rossi@example.it", "contactcenter@example.org", []byte(raw)); err != nil {
			t.Fatalf("poisoned mail refused: %v", err)
		}
		cs, err := db.Cases(bg, store.CaseFilter{Limit: 10})
		if err != nil || len(cs) != 1 {
			t.Fatalf("cases %+v %v", cs, err)
		}
		c, _ := db.CaseByID(bg, cs[0].ID)
		if want := "Frana a Paganica \uFFFD via Roma  riga"; c.Summary != want {
			t.Errorf("summary %q, want %q", c.Summary, want)
		}
		if want := "Maria Rossi\uFFFD"; c.ContactName != want {
			t.Errorf("name %q, want %q", c.ContactName, want)
		}
		tl, err := db.FullTimeline(bg, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		text := tl.Entries[0].Content
		if !strings.Contains(text, "La strada è chiusa \uFFFD.") || strings.ContainsRune(text, 0) || !utf8.ValidString(text) {
			t.Errorf("timeline text %q", text)
		}
		var names []string
		for _, a := range tl.Entries[0].Attachments {
			names = append(names, a.Filename)
		}
		if strings.Join(names, ",") != "messaggio.eml,fotoÿ.jpg" {
			t.Errorf("attachments %q", names)
		}
		mm, err := db.MailMessages(bg, c.ID)
		if err != nil || len(mm) != 2 || mm[0].Direction != store.MailIn {
			t.Fatalf("mail records %+v %v", mm, err)
		}
		if mm[0].MessageID != cleanID("id-\xff@example.it") || mm[0].InReplyTo != cleanID("nessuno-\xfe@example.it") ||
			mm[0].Subject != c.Summary {
			t.Errorf("mail record %+v", mm[0])
		}
		// Sent again, it is recognised by its cleaned id: one case.
		if err := in.send("maria.rossi@example.it", "contactcenter@example.org", []byte(raw)); err != nil {
			t.Fatal(err)
		}
		if n := countCases(t, db); n != 1 {
			t.Fatalf("%d cases after a retry", n)
		}
	})
}
