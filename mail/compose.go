package mail

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"time"
)

// Outgoing is an email ascolto sends: an operator's reply or an
// acknowledgement.
type Outgoing struct {
	From       Address
	To         Address
	Subject    string
	Body       string // plain text, \n line ends
	MessageID  string // without angle brackets
	InReplyTo  string
	References []string
	// AutoSubmitted is "auto-replied" for acknowledgements of mail,
	// "auto-generated" for other automatic mail, "" for a person's reply
	// (RFC 3834): it is what tells the citizen's autoresponder not to answer.
	AutoSubmitted string
	Date          time.Time
	Lang          string
}

// Bytes renders the message as it goes on the wire: CRLF line ends, UTF-8
// text in quoted-printable, headers encoded as RFC 2047 words when they
// are not ASCII.
func (o Outgoing) Bytes() []byte {
	var b bytes.Buffer
	hdr := func(k, v string) {
		if v != "" {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	hdr("Date", o.Date.Format(time.RFC1123Z))
	hdr("From", o.From.String())
	hdr("To", o.To.String())
	hdr("Subject", mime.QEncoding.Encode("utf-8", o.Subject))
	hdr("Message-ID", "<"+o.MessageID+">")
	if o.InReplyTo != "" {
		hdr("In-Reply-To", "<"+o.InReplyTo+">")
	}
	if len(o.References) > 0 {
		refs := make([]string, len(o.References))
		for i, r := range o.References {
			refs[i] = "<" + r + ">"
		}
		hdr("References", strings.Join(refs, "\r\n "))
	}
	hdr("Auto-Submitted", o.AutoSubmitted)
	if o.AutoSubmitted != "" {
		// Ask Exchange and others not to answer an automatic message.
		hdr("X-Auto-Response-Suppress", "All")
	}
	hdr("Content-Language", o.Lang)
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(o.Body, "\r\n", "\n")
	if !strings.HasSuffix(body, "\n") {
		body += "\n"
	}
	qp.Write([]byte(body))
	qp.Close()
	return b.Bytes()
}

// newMessageID makes a globally unique Message-ID in our domain. The
// tracking id in it lets a person reading raw headers see the case.
func newMessageID(trackingID, domain string) string {
	b := make([]byte, 10)
	rand.Read(b)
	prefix := "ascolto"
	if trackingID != "" {
		prefix = strings.ToLower(trackingID)
	}
	return prefix + "." + hex.EncodeToString(b) + "@" + domain
}

var trackingInText = regexp.MustCompile(`(?i)\bCC-(\d{4})-(\d{6,})\b`)

// TrackingIDIn finds a tracking id (CC-YYYY-NNNNNN) in a subject or text,
// in upper case, or "".
func TrackingIDIn(s string) string {
	m := trackingInText.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return "CC-" + m[1] + "-" + m[2]
}

// subjectWithID puts the tracking id in front of a subject, once.
func subjectWithID(trackingID, subject string) string {
	if trackingID == "" || strings.Contains(strings.ToUpper(subject), trackingID) {
		return subject
	}
	return "[" + trackingID + "] " + subject
}

//go:embed templates/*.txt
var templateFiles embed.FS

// ErrUnknownTemplate means a reply named a template that does not exist.
var ErrUnknownTemplate = errors.New("mail: unknown template")

// Template is one message model an operator can pick.
type Template struct {
	Name      string
	Lang      string
	Subject   string // the first line of the file
	NeedsText bool   // the operator must write the text ({{.Text}} outside an {{if}})
	// Closes says the model tells the citizen the case is closed: it must
	// go out only with the case closed, never while it stays open.
	Closes bool
	body   *template.Template
}

// TemplateClosing is the model that tells the citizen the case is closed.
const TemplateClosing = "chiusura"

// TemplateData is what a template can use. An automatic message (the
// acknowledgement of an email) quotes nothing its sender wrote, not even
// the name: anyone can write a stranger's address and a link in the
// subject, and the contact center's own address must not carry it.
type TemplateData struct {
	TrackingID string
	Name       string // the citizen's name, if known
	Text       string // the operator's words
	Operator   string
}

// Templates holds the Italian and English message models, read once.
type Templates struct {
	byKey map[string]*Template
	sig   map[string]string
}

// LoadTemplates parses the embedded templates: one file per model and
// language, named NAME.LANG.txt, whose first line is the subject.
func LoadTemplates() (*Templates, error) {
	entries, err := templateFiles.ReadDir("templates")
	if err != nil {
		return nil, fmt.Errorf("mail: read templates: %w", err)
	}
	t := &Templates{byKey: map[string]*Template{}, sig: map[string]string{}}
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".txt")
		name, lang, ok := strings.Cut(base, ".")
		if !ok {
			return nil, fmt.Errorf("mail: template %s is not named NAME.LANG.txt", e.Name())
		}
		raw, err := templateFiles.ReadFile("templates/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("mail: read template %s: %w", e.Name(), err)
		}
		if name == "firma" {
			t.sig[lang] = string(raw)
			continue
		}
		subject, body, _ := strings.Cut(string(raw), "\n")
		tpl, err := template.New(base).Option("missingkey=error").Parse(body)
		if err != nil {
			return nil, fmt.Errorf("mail: template %s: %w", e.Name(), err)
		}
		needs := strings.Contains(body, "{{.Text}}") && !strings.Contains(body, "{{if .Text}}")
		t.byKey[name+"."+lang] = &Template{Name: name, Lang: lang, Subject: subject, NeedsText: needs,
			Closes: name == TemplateClosing, body: tpl}
	}
	return t, nil
}

// List returns the models in one language, by name.
func (t *Templates) List(lang string) []Template {
	var out []Template
	for _, tp := range t.byKey {
		if tp.Lang == lang {
			out = append(out, *tp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Render fills a model: the subject carries the tracking id, the body
// ends with the signature.
func (t *Templates) Render(name, lang string, d TemplateData) (subject, body string, err error) {
	if lang != "en" {
		lang = "it"
	}
	tp, ok := t.byKey[name+"."+lang]
	if !ok {
		return "", "", fmt.Errorf("%w %q", ErrUnknownTemplate, name)
	}
	if tp.NeedsText && strings.TrimSpace(d.Text) == "" {
		return "", "", fmt.Errorf("mail: template %q needs the operator's text", name)
	}
	var b strings.Builder
	if err := tp.body.Execute(&b, d); err != nil {
		return "", "", fmt.Errorf("mail: render template %s: %w", name, err)
	}
	body = strings.TrimRight(b.String(), "\n") + "\n\n" + t.sig[lang]
	return subjectWithID(d.TrackingID, tp.Subject), body, nil
}
