package mail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The corpus holds odd real-world shapes of mail; each row says what a
// person must see when it is stored.
func TestParseCorpus(t *testing.T) {
	for _, tc := range []struct {
		file      string
		from      string
		subject   string
		text      []string // substrings of the readable text
		notText   []string
		files     []string // attachment file names
		auto      bool
		bulk      bool
		bounceOf  string
		problems  bool
		messageID string
	}{
		{file: "plain-utf8-qp.eml", from: "maria.rossi@example.it", subject: "Frana sulla strada per Paganica",
			text: []string{"all'altezza del km 4", "è completamente ostruita", "Città: L'Aquila"}, messageID: "20261126091158.1234@example.it"},
		{file: "latin1-qp-subject.eml", from: "jose@example.es", subject: "Perché non c'è acqua a Città di Castello?",
			text: []string{"non c'è acqua", "Quando tornerà?"}},
		{file: "windows1252-8bit.eml", from: "gverdi@example.com", text: []string{"50 €", "“popolazione colpita” – come"}},
		{file: "html-only-base64.eml", from: "luca@example.net", subject: "Albero caduto",
			text: []string{"Buongiorno,", "segnalo un albero caduto in via Roma 12.", "- nessun ferito\n- strada chiusa",
				"guarda la foto (https://example.net/foto/1)", "Ora\t08:30"},
			notText: []string{"alert", "color:red", "ignored", "<p>"}},
		{file: "related-inline-image.eml", text: []string{"La cantina e' allagata"}, notText: []string{"<img"}},
		{file: "attachment-rfc2231.eml", from: "comune@example.gov.invalid", text: []string{"In allegato l'ordinanza."},
			files: []string{"ordinanza n. 12 – città.pdf"}},
		{file: "unknown-charset.eml", text: []string{"Testo leggibile comunque."}, problems: true},
		{file: "no-text-only-attachment.eml", files: []string{"IMG_0001.PNG"}},
		{file: "truncated-multipart.eml", text: []string{"Prima parte arrivata."}, problems: true},
		{file: "broken-header-no-msgid.eml", from: "rotto@example.com", subject: "Intestazione rotta",
			text: []string{"Il testo c'e'."}, problems: true},
		{file: "auto-reply-rfc3834.eml", auto: true, text: []string{"in ferie"}},
		{file: "outlook-automatic-reply.eml", auto: true},
		{file: "dsn-bounce.eml", auto: true, bounceOf: "ORIGINAL-ID@example.org"},
		{file: "mailing-list.eml", bulk: true},
		{file: "bad-base64.eml", subject: "Alluvione a Forlì", text: []string{"L'acqua è arrivata al primo piano!"}, problems: true},
		{file: "mbox-lf-only.eml", from: "sender@example.com", subject: "Terremoto avvertito", text: []string{"crepe nei muri"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "corpus", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if tc.from != "" && m.From.Email != tc.from {
				t.Errorf("from %q, want %q", m.From.Email, tc.from)
			}
			if tc.subject != "" && m.Subject != tc.subject {
				t.Errorf("subject %q, want %q", m.Subject, tc.subject)
			}
			for _, s := range tc.text {
				if !strings.Contains(m.Text, s) {
					t.Errorf("text lacks %q:\n%s", s, m.Text)
				}
			}
			for _, s := range tc.notText {
				if strings.Contains(m.Text, s) {
					t.Errorf("text has %q:\n%s", s, m.Text)
				}
			}
			var names []string
			for _, a := range m.Attachments {
				names = append(names, a.Filename)
				if len(a.Data) == 0 {
					t.Errorf("attachment %s is empty", a.Filename)
				}
			}
			for _, f := range tc.files {
				found := false
				for _, n := range names {
					found = found || n == f
				}
				if !found {
					t.Errorf("attachments %q lack %q", names, f)
				}
			}
			if m.AutoReply != tc.auto || m.Bulk != tc.bulk {
				t.Errorf("auto %v bulk %v, want %v %v", m.AutoReply, m.Bulk, tc.auto, tc.bulk)
			}
			if tc.bounceOf != "" && (m.Bounce == nil || m.Bounce.OriginalMessageID != tc.bounceOf || !m.Bounce.Permanent()) {
				t.Errorf("bounce %+v, want one of <%s>", m.Bounce, tc.bounceOf)
			}
			if tc.bounceOf == "" && m.Bounce != nil {
				t.Errorf("not a bounce, got %+v", m.Bounce)
			}
			if (len(m.Problems) > 0) != tc.problems {
				t.Errorf("problems %q, want some: %v", m.Problems, tc.problems)
			}
			if m.MessageID == "" || (tc.messageID != "" && m.MessageID != tc.messageID) {
				t.Errorf("message id %q", m.MessageID)
			}
		})
	}
}

func TestRelatedKeepsInlineImageOfChosenVersion(t *testing.T) {
	raw, _ := os.ReadFile("testdata/corpus/related-inline-image.eml")
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	// The plain version is chosen; the HTML's inline image belongs to the
	// other version and is not duplicated into the case.
	if m.FromHTML || len(m.Attachments) != 0 {
		t.Fatalf("from html %v, attachments %+v", m.FromHTML, m.Attachments)
	}
	html := strings.Replace(string(raw), "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nLa cantina e' allagata, vedi foto.\r\n--ALT\r\n", "", 1)
	m, err = Parse([]byte(html))
	if err != nil {
		t.Fatal(err)
	}
	if !m.FromHTML || len(m.Attachments) != 1 || !m.Attachments[0].Inline || m.Attachments[0].ContentID != "foto1@x" ||
		!strings.Contains(m.Text, "La cantina è allagata, vedi foto: [foto]") {
		t.Fatalf("html version: %q %+v", m.Text, m.Attachments)
	}
}

func TestParseRefusesNothingButEmptiness(t *testing.T) {
	if _, err := Parse([]byte("  \r\n")); err == nil {
		t.Fatal("empty message parsed")
	}
	for _, raw := range []string{
		"just some words without any header",
		"Subject: only a header",
		"Content-Type: multipart/mixed\r\n\r\nno boundary here",
		"Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\n--zz\r\n--zz--",
		"Content-Type: text/plain; charset=\"utf-8\r\n\r\nunterminated quote",
	} {
		if _, err := Parse([]byte(raw)); err != nil {
			t.Errorf("%q: %v", raw, err)
		}
	}
}

func TestTrackingIDIn(t *testing.T) {
	for in, want := range map[string]string{
		"Re: [CC-2026-000123] Frana":            "CC-2026-000123",
		"R: cc-2026-000123 grazie":              "CC-2026-000123",
		"pratica CC-2026-1234567":               "CC-2026-1234567",
		"CC-2026-12345 too short":               "",
		"XCC-2026-000123 glued":                 "",
		"nessun codice":                         "",
		"Fwd: [CC-2025-000001][CC-2026-000002]": "CC-2025-000001",
	} {
		if got := TrackingIDIn(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/corpus/*.eml")
	for _, p := range files {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err == nil && m.MessageID == "" {
			t.Fatal("parsed message without an id")
		}
	})
}
