package mail

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"path"
	"regexp"
	"strings"
	"time"
)

// Message is an inbound email as ascolto understands it: who wrote, about
// what, the readable text, the files, and what kind of mail it is (a
// person's, an auto-reply, a bounce).
type Message struct {
	MessageID string // without angle brackets; synthesised from the bytes when missing
	// Digest is the SHA-256 of what the sender wrote (From, Subject, Date
	// and the body), in hex: a copy of the message has the same, a
	// different message reusing its Message-ID does not.
	Digest     string
	InReplyTo  []string
	References []string
	From       Address
	ReplyTo    Address
	To         []string
	Subject    string
	Date       time.Time
	// Text is the readable body: the text/plain parts, or the HTML turned
	// into text when the sender sent only HTML (then FromHTML is true).
	Text        string
	FromHTML    bool
	Attachments []Attachment
	// Header is the top-level header as received.
	Header netmail.Header
	// AutoReply is set for mail a program wrote in answer to another
	// (RFC 3834 Auto-Submitted, and the vendor headers that predate it).
	AutoReply bool
	// Bulk is set for list and bulk mail, which must never be answered
	// automatically.
	Bulk bool
	// Bounce is the delivery-status notification this message carries, if any.
	Bounce *Bounce
	// Problems lists what was wrong with the message and was worked around;
	// a message with problems is stored and flagged for an operator.
	Problems []string
}

// Address is a mailbox: a display name and an address.
type Address struct {
	Name  string
	Email string
}

// String formats the address for a header.
func (a Address) String() string {
	if a.Email == "" {
		return ""
	}
	return (&netmail.Address{Name: a.Name, Address: a.Email}).String()
}

// Attachment is a file that came with a message.
type Attachment struct {
	Filename    string
	ContentType string // as declared by the sender, lower case, without parameters
	ContentID   string // for inline images referenced from the HTML
	Inline      bool
	Data        []byte
}

// Bounce is what a delivery-status notification (RFC 3464) says about a
// message that did not arrive.
type Bounce struct {
	OriginalMessageID string
	Recipient         string
	Action            string // failed, delayed, delivered, relayed, expanded
	Status            string // e.g. 5.1.1
	Diagnostic        string
}

// Permanent reports whether the bounce means the message will never arrive.
func (b *Bounce) Permanent() bool {
	return b.Action == "failed" || strings.HasPrefix(b.Status, "5")
}

// Limits on the structure of a message, so a hostile one cannot make the
// parser recurse or allocate without end.
const (
	maxDepth = 12
	maxParts = 500
)

// Parse reads a raw RFC 5322 message. It is lenient: broken headers,
// unknown charsets, bad encodings and truncated multiparts are worked
// around and listed in Problems. It fails only when nothing resembling a
// message is there.
func Parse(raw []byte) (*Message, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("mail: empty message")
	}
	m := &Message{}
	head, body, problems := splitHeader(raw)
	m.Problems = append(m.Problems, problems...)
	hdr, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(head))).ReadMIMEHeader()
	if err != nil && len(hdr) == 0 {
		return nil, fmt.Errorf("mail: unreadable header: %w", err)
	}
	m.Header = netmail.Header(hdr)
	m.readHeader(raw)
	m.Digest = contentDigest(m.Header, body)
	p := &parser{m: m}
	p.walk(textproto.MIMEHeader(hdr), body, 0)
	m.Text = strings.TrimSpace(p.text())
	m.FromHTML = len(p.plain) == 0 && len(p.html) > 0
	m.Attachments = p.files
	m.classify()
	m.clean()
	return m, nil
}

// clean makes every text field safe to store (see text.go); the ids are
// cleaned as they are read.
func (m *Message) clean() {
	m.Subject = cleanLine(m.Subject)
	for _, a := range []*Address{&m.From, &m.ReplyTo} {
		a.Name, a.Email = cleanLine(a.Name), cleanAddress(a.Email)
	}
	for i := range m.To {
		m.To[i] = cleanAddress(m.To[i])
	}
	m.Text = cleanText(m.Text)
	for i := range m.Attachments {
		a := &m.Attachments[i]
		a.Filename, a.ContentType, a.ContentID = cleanLine(a.Filename), cleanLine(a.ContentType), cleanLine(a.ContentID)
	}
	if b := m.Bounce; b != nil {
		b.Recipient, b.Action, b.Status, b.Diagnostic = cleanAddress(b.Recipient), cleanLine(b.Action), cleanLine(b.Status),
			cleanLine(b.Diagnostic)
	}
	for i := range m.Problems {
		m.Problems[i] = cleanLine(m.Problems[i])
	}
}

// splitHeader separates the header block from the body and drops header
// lines that are not "Name: value" or a continuation, so one broken line
// does not lose the whole header.
func splitHeader(raw []byte) (head, body []byte, problems []string) {
	var out bytes.Buffer
	rest := raw
	first := true
	for len(rest) > 0 {
		line := rest
		i := bytes.IndexByte(rest, '\n')
		if i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		if len(trimmed) == 0 {
			out.WriteString("\r\n")
			return out.Bytes(), rest, problems
		}
		if first && bytes.HasPrefix(trimmed, []byte("From ")) {
			first = false
			continue // an mbox "From " line
		}
		first = false
		if i := bytes.IndexFunc(trimmed, isHeaderControl); i >= 0 {
			// textproto refuses the whole header for one NUL or other
			// control byte: drop them and keep the rest.
			trimmed = bytes.Map(func(r rune) rune {
				if isHeaderControl(r) {
					return -1
				}
				return r
			}, trimmed)
			problems = appendOnce(problems, "caratteri di controllo tolti dall'intestazione")
			if len(trimmed) == 0 {
				continue
			}
		}
		if trimmed[0] == ' ' || trimmed[0] == '\t' {
			out.Write(trimmed)
			out.WriteString("\r\n")
			continue
		}
		colon := bytes.IndexByte(trimmed, ':')
		if colon <= 0 || bytes.ContainsAny(trimmed[:colon], " \t") {
			problems = append(problems, fmt.Sprintf("riga di intestazione non valida scartata: %q", truncate(string(trimmed), 60)))
			continue
		}
		out.Write(trimmed)
		out.WriteString("\r\n")
	}
	out.WriteString("\r\n")
	problems = append(problems, "messaggio senza corpo")
	return out.Bytes(), nil, problems
}

func isHeaderControl(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }

func appendOnce(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	return append(list, s)
}

func (m *Message) readHeader(raw []byte) {
	h := m.Header
	m.Subject = strings.TrimSpace(decodeHeader(h.Get("Subject")))
	m.From = parseAddress(h.Get("From"))
	if m.From.Email == "" && h.Get("From") != "" {
		m.Problems = append(m.Problems, fmt.Sprintf("mittente non leggibile: %q", truncate(h.Get("From"), 80)))
	}
	m.ReplyTo = parseAddress(h.Get("Reply-To"))
	if list, err := netmail.ParseAddressList(h.Get("To")); err == nil {
		for _, a := range list {
			m.To = append(m.To, strings.ToLower(a.Address))
		}
	}
	m.MessageID = firstID(h.Get("Message-Id"))
	if m.MessageID == "" {
		m.MessageID = hashID(raw)
	}
	m.InReplyTo = msgIDs(h.Get("In-Reply-To"))
	m.References = msgIDs(h.Get("References"))
	if d, err := netmail.ParseDate(h.Get("Date")); err == nil {
		m.Date = d
	}
}

// contentDigest is the SHA-256, in hex, of the headers a sender writes
// once and the relays leave alone (From, Subject, Date) and of the body,
// carriage returns aside (a message fetched over IMAP or stored from an
// mbox may have lost them).
func contentDigest(h netmail.Header, body []byte) string {
	d := sha256.New()
	for _, k := range []string{"From", "Subject", "Date"} {
		fmt.Fprintf(d, "%s: %s\n", k, strings.TrimSpace(h.Get(k)))
	}
	d.Write([]byte("\n"))
	for len(body) > 0 {
		i := bytes.IndexByte(body, '\r')
		if i < 0 {
			d.Write(body)
			break
		}
		d.Write(body[:i])
		body = body[i+1:]
	}
	return hex.EncodeToString(d.Sum(nil))
}

// parseAddress reads a mailbox leniently: RFC 5322 first, then the
// address between angle brackets, then anything that looks like one.
func parseAddress(v string) Address {
	v = strings.TrimSpace(v)
	if v == "" {
		return Address{}
	}
	dec := &netmail.AddressParser{WordDecoder: wordDecoder}
	if a, err := dec.Parse(v); err == nil {
		return Address{Name: a.Name, Email: strings.ToLower(a.Address)}
	}
	if l, r := strings.LastIndex(v, "<"), strings.LastIndex(v, ">"); l >= 0 && r > l {
		name := strings.Trim(strings.TrimSpace(v[:l]), `"`)
		return Address{Name: decodeHeader(name), Email: strings.ToLower(strings.TrimSpace(v[l+1 : r]))}
	}
	if e := emailPattern.FindString(v); e != "" {
		return Address{Email: strings.ToLower(e)}
	}
	return Address{}
}

// hashID names a message without a Message-ID by its bytes, so the same
// bytes delivered twice are still recognised as one message.
func hashID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "sha256-" + hex.EncodeToString(sum[:16]) + "@ascolto.invalid"
}

var emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

var msgIDPattern = regexp.MustCompile(`<([^<>\s]+)>`)

// msgIDs lists the Message-IDs in an In-Reply-To or References header.
func msgIDs(v string) []string {
	var out []string
	for _, m := range msgIDPattern.FindAllStringSubmatch(v, 100) {
		out = append(out, cleanID(m[1]))
	}
	if len(out) == 0 {
		if v = strings.TrimSpace(v); v != "" && !strings.ContainsAny(v, " \t") {
			out = append(out, cleanID(strings.Trim(v, "<>")))
		}
	}
	return out
}

func firstID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// parser walks the MIME tree collecting text and files.
type parser struct {
	m     *Message
	plain []string
	html  []string
	files []Attachment
	parts int
}

func (p *parser) text() string {
	if len(p.plain) > 0 {
		return strings.Join(p.plain, "\n\n")
	}
	var out []string
	for _, h := range p.html {
		out = append(out, htmlToText(h))
	}
	return strings.Join(out, "\n\n")
}

func (p *parser) problem(format string, args ...any) {
	if len(p.m.Problems) < 50 {
		p.m.Problems = append(p.m.Problems, fmt.Sprintf(format, args...))
	}
}

// walk handles one MIME entity.
func (p *parser) walk(h textproto.MIMEHeader, body []byte, depth int) {
	p.parts++
	if p.parts > maxParts {
		if p.parts == maxParts+1 {
			p.problem("troppe parti MIME: oltre %d ignorate", maxParts)
		}
		return
	}
	ctype, params := contentType(h, p)
	data := p.decodeBody(h, body)
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	filename := decodeHeader(firstNonEmpty(dparams["filename"], params["name"]))
	attached := disp == "attachment" || (filename != "" && !strings.HasPrefix(ctype, "multipart/"))

	switch {
	case strings.HasPrefix(ctype, "multipart/"):
		if depth >= maxDepth {
			p.problem("parti MIME annidate troppo in profondità")
			return
		}
		p.walkMultipart(ctype, params, body, depth)
	case ctype == "message/delivery-status":
		p.readDeliveryStatus(data)
	case (ctype == "message/rfc822" || ctype == "text/rfc822-headers") && p.m.Bounce != nil:
		if id := originalID(data); id != "" {
			p.m.Bounce.OriginalMessageID = id
		}
		if ctype == "message/rfc822" {
			p.files = append(p.files, Attachment{Filename: "messaggio-originale.eml", ContentType: ctype, Data: data})
		}
	case ctype == "text/plain" && !attached:
		s, prob := decodeText(data, params["charset"])
		if prob != "" {
			p.problem("%s", prob)
		}
		p.plain = append(p.plain, strings.ReplaceAll(s, "\r\n", "\n"))
	case ctype == "text/html" && !attached:
		s, prob := decodeText(data, params["charset"])
		if prob != "" {
			p.problem("%s", prob)
		}
		p.html = append(p.html, s)
	default:
		if filename == "" {
			filename = defaultName(ctype, len(p.files)+1)
		}
		cid := strings.Trim(h.Get("Content-Id"), "<> ")
		p.files = append(p.files, Attachment{Filename: cleanFilename(filename), ContentType: ctype, ContentID: cid,
			Inline: disp == "inline" || (disp == "" && cid != ""), Data: data})
	}
}

func (p *parser) walkMultipart(ctype string, params map[string]string, body []byte, depth int) {
	boundary := params["boundary"]
	if boundary == "" {
		p.problem("multipart senza boundary: corpo tenuto come testo")
		s, _ := decodeText(body, "")
		p.plain = append(p.plain, s)
		return
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	type child struct {
		h    textproto.MIMEHeader
		body []byte
	}
	var children []child
	for {
		part, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			p.problem("multipart interrotto: %v", err)
			break
		}
		b, err := io.ReadAll(part)
		if err != nil {
			p.problem("parte MIME troncata: %v", err)
		}
		children = append(children, child{part.Header, b})
		if len(children) > maxParts {
			break
		}
	}
	if len(children) == 0 {
		p.problem("multipart senza parti leggibili")
		// A multipart whose boundary never appears is most likely plain
		// text with a wrong header: keep it readable rather than lose it.
		if !bytes.Contains(body, []byte("--"+boundary)) {
			s, _ := decodeText(body, "")
			p.plain = append(p.plain, s)
		}
		return
	}
	if ctype == "multipart/report" && params["report-type"] == "delivery-status" && p.m.Bounce == nil {
		p.m.Bounce = &Bounce{}
	}
	if ctype != "multipart/alternative" {
		for _, c := range children {
			p.walk(c.h, c.body, depth+1)
		}
		return
	}
	// multipart/alternative: the same content several ways; take the
	// plain text if there is one, else the richest version, but keep the
	// files of the chosen version (inline images of the HTML).
	best := -1
	var bestParser *parser
	for i, c := range children {
		sub := &parser{m: p.m, parts: p.parts}
		sub.walk(c.h, c.body, depth+1)
		p.parts = sub.parts
		if len(sub.plain) > 0 {
			best, bestParser = i, sub
			break
		}
		if len(sub.html) > 0 || bestParser == nil {
			best, bestParser = i, sub
		}
	}
	if best >= 0 {
		p.plain = append(p.plain, bestParser.plain...)
		p.html = append(p.html, bestParser.html...)
		p.files = append(p.files, bestParser.files...)
	}
}

func contentType(h textproto.MIMEHeader, p *parser) (string, map[string]string) {
	v := h.Get("Content-Type")
	if v == "" {
		return "text/plain", map[string]string{}
	}
	ct, params, err := mime.ParseMediaType(v)
	if err != nil {
		// mime.ParseMediaType refuses a few common sins (duplicate or
		// unquoted parameters); take the type and the parameters that read.
		ct = strings.ToLower(strings.TrimSpace(strings.SplitN(v, ";", 2)[0]))
		params = map[string]string{}
		for _, kv := range strings.Split(v, ";")[1:] {
			k, val, ok := strings.Cut(kv, "=")
			if ok {
				params[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(val), `"`)
			}
		}
		if !strings.Contains(ct, "/") {
			p.problem("Content-Type non valido %q: letto come testo", truncate(v, 60))
			ct = "text/plain"
		}
	}
	return ct, params
}

// decodeBody undoes the Content-Transfer-Encoding, leniently.
func (p *parser) decodeBody(h textproto.MIMEHeader, body []byte) []byte {
	switch cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); cte {
	case "base64":
		return p.decodeBase64(body)
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			p.problem("quoted-printable non valido: %v", err)
		}
		return out
	case "", "7bit", "8bit", "binary":
		return body
	default:
		p.problem("codifica %q sconosciuta: parte tenuta com'è", cte)
		return body
	}
}

// decodeBase64 ignores line breaks and stray characters and repairs
// missing padding, as mail clients do.
func (p *parser) decodeBase64(body []byte) []byte {
	clean := make([]byte, 0, len(body))
	stray := 0
	for _, c := range body {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '=', c == '\r', c == '\n', c == ' ', c == '\t':
		default:
			stray++
		}
	}
	if n := len(clean) % 4; n == 1 {
		clean = clean[:len(clean)-1]
		p.problem("base64 troncato")
	}
	out, err := base64.RawStdEncoding.DecodeString(string(clean))
	if err != nil {
		p.problem("base64 non valido: %v", err)
	}
	if stray > 0 {
		p.problem("base64 con %d caratteri estranei ignorati", stray)
	}
	return out
}

// readDeliveryStatus reads a message/delivery-status part (RFC 3464):
// a per-message block, then one block per recipient.
func (p *parser) readDeliveryStatus(data []byte) {
	if p.m.Bounce == nil {
		p.m.Bounce = &Bounce{}
	}
	b := p.m.Bounce
	for _, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "final-recipient", "original-recipient":
			if b.Recipient == "" {
				_, addr, _ := strings.Cut(v, ";")
				b.Recipient = strings.ToLower(strings.TrimSpace(addr))
			}
		case "action":
			if b.Action == "" || b.Action == "delayed" {
				b.Action = strings.ToLower(v)
			}
		case "status":
			if b.Status == "" || strings.HasPrefix(v, "5") {
				b.Status = v
			}
		case "diagnostic-code":
			_, d, _ := strings.Cut(v, ";")
			b.Diagnostic = strings.TrimSpace(d)
		}
	}
}

// originalID finds the Message-ID in the returned header or message.
func originalID(data []byte) string {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(data)))
	h, _ := r.ReadMIMEHeader()
	if id := firstID(h.Get("Message-Id")); id != "" {
		return id
	}
	if m := regexp.MustCompile(`(?im)^message-id:\s*<([^>\s]+)>`).FindSubmatch(data); m != nil {
		return cleanID(string(m[1]))
	}
	return ""
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// cleanFilename keeps a sender's file name safe to show and to offer for
// download: no directories, no control characters, a bounded length.
func cleanFilename(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 || r == '"' {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" || name == "" {
		name = "allegato"
	}
	return truncate(name, 120)
}

func defaultName(ctype string, n int) string {
	ext := ".bin"
	if exts, _ := mime.ExtensionsByType(ctype); len(exts) > 0 {
		ext = exts[0]
	}
	switch ctype {
	case "image/jpeg":
		ext = ".jpg"
	case "text/plain":
		ext = ".txt"
	}
	return fmt.Sprintf("allegato-%d%s", n, ext)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

var autoSubjects = regexp.MustCompile(`(?i)^(risposta automatica|automatic reply|auto[- ]?reply|out of (the )?office|fuori ufficio|assente|absence|abwesenheit|réponse automatique|autoreply)\b`)

// classify marks auto-replies, bulk mail and bounces (RFC 3834, RFC 3464
// and the vendor headers that came before them).
func (m *Message) classify() {
	h := m.Header
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		m.AutoReply = true
	}
	if h.Get("X-Autoreply") != "" || h.Get("X-Autorespond") != "" {
		m.AutoReply = true
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "auto_reply":
		m.AutoReply = true
	case "bulk", "list", "junk":
		m.Bulk = true
	}
	if h.Get("List-Id") != "" || h.Get("List-Unsubscribe") != "" {
		m.Bulk = true
	}
	if autoSubjects.MatchString(m.Subject) {
		m.AutoReply = true
	}
	from := strings.ToLower(m.From.Email)
	daemon := strings.HasPrefix(from, "mailer-daemon@") || strings.HasPrefix(from, "postmaster@")
	if m.Bounce == nil && daemon {
		// A bounce without the RFC 3464 structure (qmail, old Exchange):
		// the original's Message-ID is somewhere in the text.
		b := &Bounce{Action: "failed"}
		if mm := regexp.MustCompile(`(?im)^\s*message-id:\s*<([^>\s]+)>`).FindStringSubmatch(m.Text); mm != nil {
			b.OriginalMessageID = cleanID(mm[1])
		}
		for _, a := range m.Attachments {
			if id := originalID(a.Data); id != "" && b.OriginalMessageID == "" {
				b.OriginalMessageID = id
			}
		}
		m.Bounce = b
	}
	if m.Bounce != nil {
		m.AutoReply = true
	}
}
