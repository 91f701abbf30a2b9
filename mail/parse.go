package mail

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"os"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/ascolto/ascolto/store"
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
	// Data holds the bytes when the message was parsed in memory (Parse);
	// a message being stored keeps them in its spool instead.
	Data []byte
	file *os.File
	size int64
}

// Size is the file's length in bytes.
func (a Attachment) Size() int64 {
	if a.file != nil {
		return a.size
	}
	return int64(len(a.Data))
}

// Open reads the file from its start.
func (a Attachment) Open() io.Reader {
	if a.file != nil {
		return io.NewSectionReader(a.file, 0, a.size)
	}
	return bytes.NewReader(a.Data)
}

// head is the file's first n bytes at most.
func (a Attachment) head(n int) []byte {
	b, _ := io.ReadAll(io.LimitReader(a.Open(), int64(n)))
	return b
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

// Limits on what one message can make the parser hold: the header and the
// text an operator reads are kept in memory, up to these sizes; files are
// streamed to the spool.
const (
	maxHeaderBytes = 1 << 20 // the header block; the rest of an endless header is skipped
	maxHeaderLine  = 64 << 10
	maxTextPart    = 1 << 20 // one text part, decoded; the whole message stays in the .eml
	maxText        = 2 << 20 // all text parts together
	maxSmallPart   = 64 << 10
)

// Parse reads a raw RFC 5322 message held in memory; its files are kept
// in memory too. It is lenient: broken headers, unknown charsets, bad
// encodings and truncated multiparts are worked around and listed in
// Problems. It fails only when nothing resembling a message is there.
func Parse(raw []byte) (*Message, error) {
	return parse(bytes.NewReader(raw), nil)
}

// errSpool means the message could not be read back or its files written
// to the spool: a temporary failure, answered 451, never a broken message.
var errSpool = errors.New("mail: spool")

// parse reads a message as a stream, in one pass: the header and the text
// parts are kept (within the limits above), the files go to the spool (or
// memory when sp is nil), and the digests are computed on the way. A 30
// MB message costs a few buffers, not its size.
func parse(r io.Reader, sp *spool) (*Message, error) {
	raw := sha256.New()
	src := &trap{r: io.TeeReader(r, raw)}
	br := bufio.NewReaderSize(src, maxHeaderLine)
	m := &Message{}
	head, blank, problems := readHeaderBlock(br)
	if src.err != nil {
		return nil, fmt.Errorf("%w: read message: %w", errSpool, src.err)
	}
	if blank {
		if rest, _ := br.Peek(maxHeaderLine); len(rest) < maxHeaderLine && len(bytes.TrimSpace(rest)) == 0 {
			return nil, errors.New("mail: empty message")
		}
	}
	m.Problems = append(m.Problems, problems...)
	hdr, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(head))).ReadMIMEHeader()
	if err != nil && len(hdr) == 0 {
		return nil, fmt.Errorf("mail: unreadable header: %w", err)
	}
	m.Header = netmail.Header(hdr)
	m.readHeader()
	digest := newContentDigest(m.Header)
	body := io.TeeReader(br, digest)
	p := &parser{m: m, sp: sp, textLeft: maxText}
	p.walk(textproto.MIMEHeader(hdr), body, 0)
	if _, err := io.Copy(io.Discard, body); err != nil && p.err == nil {
		p.err = err
	}
	if p.err == nil {
		p.err = src.err
	}
	if p.err != nil {
		return nil, fmt.Errorf("%w: %w", errSpool, p.err)
	}
	m.Digest = hex.EncodeToString(digest.Sum(nil))
	if m.MessageID == "" {
		m.MessageID = hashID(raw.Sum(nil))
	}
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
	m.Subject = store.CleanLine(m.Subject)
	for _, a := range []*Address{&m.From, &m.ReplyTo} {
		a.Name, a.Email = store.CleanLine(a.Name), cleanAddress(a.Email)
	}
	for i := range m.To {
		m.To[i] = cleanAddress(m.To[i])
	}
	m.Text = store.CleanText(m.Text)
	for i := range m.Attachments {
		a := &m.Attachments[i]
		a.Filename, a.ContentType, a.ContentID = store.CleanLine(a.Filename), store.CleanLine(a.ContentType), store.CleanLine(a.ContentID)
	}
	if b := m.Bounce; b != nil {
		b.Recipient, b.Action, b.Status, b.Diagnostic = cleanAddress(b.Recipient), store.CleanLine(b.Action), store.CleanLine(b.Status),
			store.CleanLine(b.Diagnostic)
	}
	for i := range m.Problems {
		m.Problems[i] = store.CleanLine(m.Problems[i])
	}
}

// readHeaderBlock reads the header block up to the empty line that ends
// it, dropping lines that are not "Name: value" or a continuation (so one
// broken line does not lose the whole header) and the control bytes that
// would make textproto refuse it all. It returns the block, CRLF-ended,
// and whether all it read was white space.
func readHeaderBlock(br *bufio.Reader) (head []byte, blank bool, problems []string) {
	var out bytes.Buffer
	first := true
	blank = true
	for {
		line, long, err := readLine(br)
		if len(line) == 0 && err != nil {
			break
		}
		blank = blank && len(bytes.TrimSpace(line)) == 0
		trimmed := bytes.TrimRight(line, "\r\n")
		if len(trimmed) == 0 {
			out.WriteString("\r\n")
			return out.Bytes(), blank, problems
		}
		if first && bytes.HasPrefix(trimmed, []byte("From ")) {
			first = false
			continue // an mbox "From " line
		}
		first = false
		if long {
			problems = appendOnce(problems, "riga di intestazione troppo lunga scartata")
			continue
		}
		if out.Len()+len(trimmed) > maxHeaderBytes {
			problems = appendOnce(problems, "intestazione troppo lunga: il resto è scartato")
			continue
		}
		if bytes.IndexFunc(trimmed, isHeaderControl) >= 0 {
			// textproto refuses the whole header for one NUL or other
			// control byte: drop them (byte by byte: 8-bit text is read
			// later) and keep the rest.
			kept := trimmed[:0:0]
			for _, c := range trimmed {
				if !isHeaderControl(rune(c)) {
					kept = append(kept, c)
				}
			}
			trimmed = kept
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
	return out.Bytes(), blank, problems
}

// readLine reads one line, at most maxHeaderLine bytes of it: the rest of
// a longer line is skipped and long is true.
func readLine(br *bufio.Reader) (line []byte, long bool, err error) {
	line, err = br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, false, err
	}
	line = append([]byte(nil), line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		_, err = br.ReadSlice('\n')
	}
	return line, true, err
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

func (m *Message) readHeader() {
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
	m.InReplyTo = msgIDs(h.Get("In-Reply-To"))
	m.References = msgIDs(h.Get("References"))
	if d, err := netmail.ParseDate(h.Get("Date")); err == nil {
		m.Date = d
	}
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

// hashID names a message without a Message-ID by the SHA-256 of its
// bytes, so the same bytes delivered twice are still recognised as one
// message.
func hashID(sum []byte) string {
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

// parser walks the MIME tree as a stream, collecting text and files.
type parser struct {
	m        *Message
	sp       *spool // where files go; nil keeps them in memory
	plain    []string
	html     []string
	files    []Attachment
	parts    int
	textLeft int   // bytes of text still to keep
	err      error // the spool failed: the message cannot be stored now
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

// walk handles one MIME entity, reading its body once.
func (p *parser) walk(h textproto.MIMEHeader, body io.Reader, depth int) {
	p.parts++
	if p.parts > maxParts {
		if p.parts == maxParts+1 {
			p.problem("troppe parti MIME: oltre %d ignorate", maxParts)
		}
		return
	}
	ctype, params := contentType(h, p)
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	filename := decodeHeader(firstNonEmpty(dparams["filename"], params["name"]))
	attached := disp == "attachment" || (filename != "" && !strings.HasPrefix(ctype, "multipart/"))

	switch {
	case strings.HasPrefix(ctype, "multipart/"):
		if depth >= maxDepth {
			p.problem("parti MIME annidate troppo in profondità")
			return
		}
		switch cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); cte {
		case "", "7bit", "8bit", "binary", "base64", "quoted-printable":
		default:
			p.problem("codifica %q sconosciuta: parte tenuta com'è", cte)
		}
		p.walkMultipart(ctype, params, body, depth)
	case ctype == "message/delivery-status":
		p.readDeliveryStatus(p.readSome(p.decode(h, body), maxSmallPart))
	case (ctype == "message/rfc822" || ctype == "text/rfc822-headers") && p.m.Bounce != nil:
		var head []byte
		if ctype == "message/rfc822" {
			keep := &prefix{max: maxSmallPart}
			p.files = append(p.files, p.save(io.TeeReader(p.decode(h, body), keep),
				Attachment{Filename: "messaggio-originale.eml", ContentType: ctype}))
			head = keep.b
		} else {
			head = p.readSome(p.decode(h, body), maxSmallPart)
		}
		if id := originalID(head); id != "" {
			p.m.Bounce.OriginalMessageID = id
		}
	case ctype == "text/plain" && !attached:
		s, prob := decodeText(p.readText(p.decode(h, body)), params["charset"])
		if prob != "" {
			p.problem("%s", prob)
		}
		p.plain = append(p.plain, strings.ReplaceAll(s, "\r\n", "\n"))
	case ctype == "text/html" && !attached:
		s, prob := decodeText(p.readText(p.decode(h, body)), params["charset"])
		if prob != "" {
			p.problem("%s", prob)
		}
		p.html = append(p.html, s)
	default:
		if filename == "" {
			filename = defaultName(ctype, len(p.files)+1)
		}
		cid := strings.Trim(h.Get("Content-Id"), "<> ")
		p.files = append(p.files, p.save(p.decode(h, body), Attachment{Filename: cleanFilename(filename), ContentType: ctype,
			ContentID: cid, Inline: disp == "inline" || (disp == "" && cid != "")}))
	}
}

func (p *parser) walkMultipart(ctype string, params map[string]string, body io.Reader, depth int) {
	boundary := params["boundary"]
	if boundary == "" {
		p.problem("multipart senza boundary: corpo tenuto come testo")
		s, _ := decodeText(p.readText(body), "")
		p.plain = append(p.plain, s)
		return
	}
	// The start is kept in case no part turns up: then it is most likely
	// plain text under a wrong header, and is kept readable.
	start := &prefix{max: maxTextPart}
	r := multipart.NewReader(io.TeeReader(body, start), boundary)
	alternative := ctype == "multipart/alternative"
	var best *parser
	n := 0
	for {
		part, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			p.problem("multipart interrotto: %v", err)
			break
		}
		if n++; n == 1 {
			start.max = 0
			if ctype == "multipart/report" && params["report-type"] == "delivery-status" && p.m.Bounce == nil {
				p.m.Bounce = &Bounce{}
			}
		}
		if n > maxParts {
			break
		}
		pr := &partReader{r: part, p: p}
		if !alternative {
			p.walk(part.Header, pr, depth+1)
			continue
		}
		// multipart/alternative: the same content several ways; take the
		// plain text if there is one, else the richest version, but keep
		// the files of the chosen version (inline images of the HTML).
		sub := &parser{m: p.m, sp: p.sp, parts: p.parts, textLeft: p.textLeft}
		sub.walk(part.Header, pr, depth+1)
		p.parts, p.textLeft = sub.parts, sub.textLeft
		if sub.err != nil && p.err == nil {
			p.err = sub.err
		}
		if len(sub.plain) > 0 {
			best = sub
			break
		}
		if len(sub.html) > 0 || best == nil {
			best = sub
		}
	}
	if n == 0 {
		p.problem("multipart senza parti leggibili")
		if !bytes.Contains(start.b, []byte("--"+boundary)) {
			s, _ := decodeText(start.b, "")
			p.plain = append(p.plain, s)
		}
		return
	}
	if best != nil {
		p.plain = append(p.plain, best.plain...)
		p.html = append(p.html, best.html...)
		p.files = append(p.files, best.files...)
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

// decode undoes the Content-Transfer-Encoding as the body is read,
// leniently; what is wrong is listed in Problems.
func (p *parser) decode(h textproto.MIMEHeader, body io.Reader) io.Reader {
	switch cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); cte {
	case "base64":
		return &base64Reader{r: body, p: p}
	case "quoted-printable":
		return &qpReader{r: quotedprintable.NewReader(body), p: p}
	case "", "7bit", "8bit", "binary":
		return body
	default:
		p.problem("codifica %q sconosciuta: parte tenuta com'è", cte)
		return body
	}
}

// readText reads a text part, keeping at most maxTextPart bytes of it and
// no more than the text still allowed for the message; the rest is read
// and dropped (the whole message is kept as its .eml).
func (p *parser) readText(r io.Reader) []byte {
	b := p.readSome(r, min(maxTextPart, max(p.textLeft, 0)))
	p.textLeft -= len(b)
	return b
}

// readSome reads up to n bytes of r and skips the rest.
func (p *parser) readSome(r io.Reader, n int) []byte {
	b, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err == nil {
		_, err = io.Copy(io.Discard, r)
	}
	if err != nil && p.err == nil {
		p.err = err
	}
	return b
}

// save stores a file's bytes: in the spool, or in memory when parsing a
// message held in memory.
func (p *parser) save(r io.Reader, a Attachment) Attachment {
	if p.sp == nil {
		a.Data = p.readSome(r, math.MaxInt)
		return a
	}
	f, err := p.sp.create()
	if err == nil {
		a.file = f
		a.size, err = io.Copy(f, r)
	}
	if err != nil && p.err == nil {
		p.err = err
	}
	return a
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
			if id := originalID(a.head(maxSmallPart)); id != "" && b.OriginalMessageID == "" {
				b.OriginalMessageID = id
			}
		}
		m.Bounce = b
	}
	if m.Bounce != nil {
		m.AutoReply = true
	}
}
