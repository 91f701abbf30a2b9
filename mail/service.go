package mail

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// ServiceOptions wires a Service.
type ServiceOptions struct {
	Store *store.DB
	Log   *zap.Logger
	Clock clock.Clock
	// From is the contact center's address, "Name <addr@domain>" or a bare
	// address (--mail-from): the sender of every message and the address
	// whose own mail is never ingested (no loops).
	From string
	// Registry receives the metrics (nil: unregistered).
	Registry prometheus.Registerer
	// Wake is called after a message is queued, to nudge the sender.
	Wake func()
	// AcksPerHour bounds automatic acknowledgements to one address
	// (default 5): a last guard against loops with broken autoresponders.
	AcksPerHour int
	// SpoolDir is where an inbound message and its files wait on disk
	// while they are stored (default: the system's temporary directory).
	// The files are private (0600) and unlinked at once.
	SpoolDir string
}

// Service turns inbound email into cases and queues outbound email: the
// logic shared by the SMTP receiver, the IMAP poller, the public form and
// the operators' replies.
type Service struct {
	o       ServiceOptions
	db      *store.DB
	log     *zap.Logger
	from    Address
	domain  string
	tpl     *Templates
	mu      sync.Mutex
	acks    map[string][]time.Time
	ingests *prometheus.CounterVec
}

// NewService builds the service.
func NewService(o ServiceOptions) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("mail: service needs a store")
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Wake == nil {
		o.Wake = func() {}
	}
	if o.AcksPerHour <= 0 {
		o.AcksPerHour = 5
	}
	from := parseAddress(o.From)
	_, domain, ok := strings.Cut(from.Email, "@")
	if !ok || domain == "" {
		return nil, fmt.Errorf("mail: sender address %q is not name@domain (set --mail-from)", o.From)
	}
	tpl, err := LoadTemplates()
	if err != nil {
		return nil, err
	}
	s := &Service{o: o, db: o.Store, log: o.Log, from: from, domain: domain, tpl: tpl, acks: map[string][]time.Time{}}
	s.ingests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ascolto_mail_ingested_total",
		Help: "Inbound emails by what became of them (new-case, joined, duplicate, ignored, bounce, review)."}, []string{"result"})
	if o.Registry != nil {
		if err := o.Registry.Register(s.ingests); err != nil {
			return nil, fmt.Errorf("mail: register metrics: %w", err)
		}
	}
	return s, nil
}

// From is the contact center's address.
func (s *Service) From() Address { return s.from }

// Templates are the message models operators pick from.
func (s *Service) Templates() *Templates { return s.tpl }

// Envelope is what the SMTP transaction said, beside the message.
type Envelope struct {
	From   string // MAIL FROM; "" is the null sender of bounces and auto-replies
	To     []string
	Remote string // the client's address, for logs
	// NullSender is true when MAIL FROM was <> (as opposed to unknown, as
	// with IMAP).
	NullSender bool
}

// Result says what became of an inbound email.
type Result struct {
	CaseID     int64
	TrackingID string
	NewCase    bool
	Duplicate  bool   // stored before (a retry or a re-poll): nothing done
	Ignored    string // why it was dropped without a case (a loop, an unthreadable auto-reply)
	Review     []string
	Acked      bool // an acknowledgement was queued
}

// maxStoredText bounds the text kept in the timeline; the whole message
// is always kept as its .eml attachment.
const maxStoredText = 200_000

// batchLimit is the size under which a message is written through the
// group-commit batcher; larger ones get their own transaction.
const batchLimit = 256 << 10

// Ingest stores an inbound email: it joins the case it answers (by
// In-Reply-To/References, then by the tracking id in the subject) or opens
// a new one, with the text, the files and the original message, and
// queues the acknowledgement, all in one transaction. It returns an error
// only when the message could not be stored and the sender should retry.
func (s *Service) Ingest(ctx context.Context, raw []byte, env Envelope) (Result, error) {
	sp := newSpool(s.o.SpoolDir)
	defer sp.close()
	return s.ingest(ctx, bytes.NewReader(raw), int64(len(raw)), env, sp)
}

// ingest stores the message of size bytes in src (the receiver's spool
// file, or bytes in memory). It reads the message as a stream, its files
// go to the spool sp, and the store writes large ones in pieces: memory
// does not grow with the size of the message.
func (s *Service) ingest(ctx context.Context, src io.ReaderAt, size int64, env Envelope, sp *spool) (Result, error) {
	whole := func() io.Reader { return io.NewSectionReader(src, 0, size) }
	m, err := parse(whole(), sp)
	if errors.Is(err, errSpool) {
		return Result{}, err
	}
	if err != nil {
		// Nothing resembling a message: keep the bytes for a person.
		h := sha256.New()
		if _, err := io.Copy(h, whole()); err != nil {
			return Result{}, fmt.Errorf("%w: read message: %w", errSpool, err)
		}
		sum := h.Sum(nil)
		m = &Message{Problems: []string{err.Error()}, MessageID: hashID(sum), Digest: hex.EncodeToString(sum)}
		m.clean()
	}
	env.From = cleanAddress(env.From)
	var review []string
	switch id, same, err := s.db.MailRecorded(ctx, store.MailIn, m.MessageID, m.Digest); {
	case err == nil && same:
		s.ingests.WithLabelValues("duplicate").Inc()
		return Result{CaseID: id, Duplicate: true}, nil
	case err == nil:
		// Another message carries this Message-ID: a broken client, or
		// someone who wants this one dropped as a copy. It is kept.
		review = append(review, fmt.Sprintf("un messaggio diverso con lo stesso Message-ID <%s> era già arrivato", m.MessageID))
	case !errors.Is(err, store.ErrNotFound):
		return Result{}, err
	}
	if m.From.Email != "" && m.From.Email == s.from.Email {
		s.ingests.WithLabelValues("ignored").Inc()
		s.log.Warn("mail from our own address ignored (loop)", zap.String("message_id", m.MessageID))
		return Result{Ignored: "mittente è il nostro stesso indirizzo"}, nil
	}
	if m.Bounce != nil {
		return s.ingestBounce(ctx, m, whole)
	}
	sender := senderAddress(m, env)
	var c store.Case
	found := false
	refs := append(append([]string{}, m.References...), m.InReplyTo...)
	if len(refs) > 0 {
		c, err = s.db.CaseByMessageIDs(ctx, refs)
		if err == nil {
			found = true
			// Message-IDs travel in every quoted header: anyone who saw
			// one can join a case with it. A sender who is neither the
			// case's citizen nor a party to the messages answered joins,
			// but an operator checks first, as with a tracking id.
			known, err := s.participant(ctx, c, sender.Email, refs)
			if err != nil {
				return Result{}, err
			}
			if !known {
				review = append(review, fmt.Sprintf("il mittente %s non partecipa alla conversazione a cui risponde (pratica di %s)",
					firstNonEmpty(sender.Email, "sconosciuto"), firstNonEmpty(c.ContactEmail, "nessun indirizzo")))
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return Result{}, err
		}
	}
	if tid := TrackingIDIn(m.Subject); !found && tid != "" {
		c, err = s.db.CaseByTrackingID(ctx, tid)
		switch {
		case err == nil:
			if c, err = s.db.SurvivingCase(ctx, c.ID); err != nil {
				return Result{}, err
			}
			found = true
			if c.ContactEmail != "" && !strings.EqualFold(c.ContactEmail, sender.Email) {
				review = append(review, fmt.Sprintf("il mittente %s non è quello della pratica (%s)",
					firstNonEmpty(sender.Email, "sconosciuto"), c.ContactEmail))
			}
		case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
			review = append(review, fmt.Sprintf("il codice pratica %s nell'oggetto non corrisponde a nessuna pratica", tid))
		default:
			return Result{}, err
		}
	}
	if !found && m.AutoReply {
		s.ingests.WithLabelValues("ignored").Inc()
		return Result{Ignored: "risposta automatica non collegata a una pratica"}, nil
	}
	if found && c.Status == "closed" {
		review = append(review, "nuovo messaggio su una pratica chiusa")
	}
	review = append(review, m.Problems...)
	if strings.TrimSpace(m.Text) == "" && len(m.Attachments) == 0 {
		review = append(review, "messaggio senza testo né allegati")
	}
	wantAck := !found && !m.AutoReply && !m.Bulk && !env.NullSender && sender.Email != ""

	var res Result
	write := func(tx *store.Tx) error {
		res = Result{}
		cs := c
		if !found {
			cs = store.Case{Channel: store.ChannelEmail, ContactEmail: sender.Email, ContactName: truncate(sender.Name, 200),
				Summary: truncate(m.Subject, 300)}
			if err := tx.CreateCase(ctx, &cs); err != nil {
				return err
			}
			res.NewCase = true
		}
		res.CaseID, res.TrackingID = cs.ID, cs.TrackingID
		ct := store.Contact{CaseID: cs.ID, Channel: store.ChannelEmail, Direction: "in", Author: m.From.Email,
			Content: timelineText(m)}
		if err := tx.AddContact(ctx, &ct); err != nil {
			return err
		}
		kind := store.MailKindMail
		if m.AutoReply {
			kind = store.MailKindAutoReply
		}
		inReplyTo := ""
		if len(m.InReplyTo) > 0 {
			inReplyTo = m.InReplyTo[0]
		}
		if err := tx.RecordMail(ctx, &store.MailMessage{CaseID: cs.ID, ContactID: ct.ID, Direction: store.MailIn,
			MessageID: m.MessageID, ContentSHA256: m.Digest, InReplyTo: inReplyTo, Subject: truncate(m.Subject, 500), From: m.From.Email,
			To: strings.Join(m.To, ", "), Kind: kind}); err != nil {
			return err
		}
		if err := tx.AddAttachmentFrom(ctx, &store.Attachment{CaseID: cs.ID, ContactID: ct.ID, Filename: "messaggio.eml",
			ContentType: "message/rfc822"}, whole()); err != nil {
			return err
		}
		for _, a := range m.Attachments {
			ctype := a.ContentType
			if ctype == "" {
				ctype = "application/octet-stream"
			}
			if err := tx.AddAttachmentFrom(ctx, &store.Attachment{CaseID: cs.ID, ContactID: ct.ID, Filename: a.Filename,
				ContentType: ctype}, a.Open()); err != nil {
				return err
			}
		}
		for _, r := range review {
			if err := tx.FlagForReview(ctx, cs.ID, truncate(r, 500)); err != nil {
				return err
			}
		}
		res.Review = review
		if wantAck && s.ackAllowed(sender.Email, tx.Now) {
			ack := store.Contact{CaseID: cs.ID, Channel: store.ChannelEmail, Direction: "out", Author: "system",
				Content: "Conferma di ricezione inviata a " + sender.Email}
			if err := tx.AddContact(ctx, &ack); err != nil {
				return err
			}
			_, err := s.enqueueTemplate(ctx, tx, enqueueRequest{c: cs, template: "conferma-email", lang: "it",
				to: Address{Email: sender.Email}, inReplyTo: m.MessageID, references: append(refs, m.MessageID),
				auto: "auto-replied", author: "system", contactID: ack.ID})
			if err != nil {
				return err
			}
			res.Acked = true
		}
		return nil
	}
	if size < batchLimit {
		err = s.db.Batch(ctx, write)
	} else {
		err = s.db.InTx(ctx, write)
	}
	if errors.Is(err, store.ErrConflict) {
		// The same message arrived twice at once; the other copy won.
		s.ingests.WithLabelValues("duplicate").Inc()
		return Result{Duplicate: true}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("mail: store message <%s>: %w", m.MessageID, err)
	}
	switch {
	case res.NewCase:
		s.ingests.WithLabelValues("new-case").Inc()
	default:
		s.ingests.WithLabelValues("joined").Inc()
	}
	if len(res.Review) > 0 {
		s.ingests.WithLabelValues("review").Inc()
	}
	if res.Acked {
		s.o.Wake()
	}
	return res, nil
}

// participant reports whether addr is the case's citizen or a sender or
// recipient of one of the case's messages referenced.
func (s *Service) participant(ctx context.Context, c store.Case, addr string, refs []string) (bool, error) {
	if addr == "" {
		return false, nil
	}
	if strings.EqualFold(addr, c.ContactEmail) {
		return true, nil
	}
	known, err := s.db.MailParticipants(ctx, c.ID, refs)
	if err != nil {
		return false, err
	}
	for _, k := range known {
		if strings.EqualFold(k, addr) {
			return true, nil
		}
	}
	return false, nil
}

// senderAddress is who wrote: the From address, or the envelope's when the
// header has none. The case is this person's and the acknowledgement goes
// here only: never to a Reply-To, which anyone can set to a stranger's
// address and so turn the contact center's acknowledgements into a spam
// reflector. An operator sees the Reply-To in the timeline and may answer
// there by choice.
func senderAddress(m *Message, env Envelope) Address {
	if m.From.Email != "" {
		return m.From
	}
	if strings.Contains(env.From, "@") {
		return Address{Email: strings.ToLower(env.From)}
	}
	return Address{}
}

func timelineText(m *Message) string {
	var b strings.Builder
	if m.From.Email != "" {
		fmt.Fprintf(&b, "Da: %s\n", m.From.String())
	}
	if m.ReplyTo.Email != "" && !strings.EqualFold(m.ReplyTo.Email, m.From.Email) {
		fmt.Fprintf(&b, "Rispondere a: %s\n", m.ReplyTo.String())
	}
	if m.Subject != "" {
		fmt.Fprintf(&b, "Oggetto: %s\n", m.Subject)
	}
	if b.Len() > 0 {
		b.WriteString("\n")
	}
	text := m.Text
	if text == "" {
		text = "(messaggio senza testo)"
	}
	b.WriteString(truncate(text, maxStoredText))
	if len(m.Attachments) > 0 {
		b.WriteString("\n\nAllegati:")
		for _, a := range m.Attachments {
			fmt.Fprintf(&b, "\n- %s (%s, %d byte)", a.Filename, a.ContentType, a.Size())
		}
	}
	return b.String()
}

// ackAllowed applies the per-address cap on acknowledgements.
func (s *Service) ackAllowed(addr string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	addr = strings.ToLower(addr)
	recent := s.acks[addr][:0]
	for _, t := range s.acks[addr] {
		if now.Sub(t) < time.Hour {
			recent = append(recent, t)
		}
	}
	if len(recent) >= s.o.AcksPerHour {
		s.acks[addr] = recent
		return false
	}
	s.acks[addr] = append(recent, now)
	if len(s.acks) > 100_000 {
		s.acks = map[string][]time.Time{} // bounded memory under a flood
	}
	return true
}

// ingestBounce records a delivery-status notification on the case of the
// message that bounced, and never answers it.
func (s *Service) ingestBounce(ctx context.Context, m *Message, whole func() io.Reader) (Result, error) {
	b := m.Bounce
	if b.OriginalMessageID == "" {
		s.ingests.WithLabelValues("ignored").Inc()
		s.log.Info("bounce without a reference ignored", zap.String("message_id", m.MessageID))
		return Result{Ignored: "notifica di mancato recapito senza riferimento al messaggio originale"}, nil
	}
	var res Result
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		res = Result{}
		reason := strings.TrimSpace(fmt.Sprintf("%s %s %s", b.Status, b.Recipient, b.Diagnostic))
		var om store.OutboxMessage
		var err error
		if b.Permanent() {
			om, err = tx.BounceOutbox(ctx, b.OriginalMessageID, truncate(reason, 500))
		} else {
			err = store.ErrNotFound
		}
		if errors.Is(err, store.ErrNotFound) {
			cs, cerr := s.db.CaseByMessageIDs(ctx, []string{b.OriginalMessageID})
			if cerr != nil {
				res.Ignored = "notifica di mancato recapito per un messaggio sconosciuto"
				return nil
			}
			om.CaseID = cs.ID
		} else if err != nil {
			return err
		}
		if om.CaseID == 0 {
			res.Ignored = "notifica di mancato recapito per un messaggio senza pratica"
			return nil
		}
		res.CaseID = om.CaseID
		what := "non consegnata"
		if !b.Permanent() {
			what = "in ritardo (" + b.Action + ")"
		}
		ct := store.Contact{CaseID: om.CaseID, Channel: store.ChannelEmail, Direction: "in", Author: m.From.Email,
			Content: fmt.Sprintf("Email %s a %s: %s", what, firstNonEmpty(b.Recipient, om.To), firstNonEmpty(reason, m.Subject))}
		if err := tx.AddContact(ctx, &ct); err != nil {
			return err
		}
		if err := tx.RecordMail(ctx, &store.MailMessage{CaseID: om.CaseID, ContactID: ct.ID, Direction: store.MailIn,
			MessageID: m.MessageID, ContentSHA256: m.Digest, InReplyTo: b.OriginalMessageID, Subject: truncate(m.Subject, 500), From: m.From.Email,
			Kind: store.MailKindBounce}); err != nil {
			return err
		}
		if err := tx.AddAttachmentFrom(ctx, &store.Attachment{CaseID: om.CaseID, ContactID: ct.ID, Filename: "mancato-recapito.eml",
			ContentType: "message/rfc822"}, whole()); err != nil {
			return err
		}
		if b.Permanent() {
			res.Review = []string{"email al cittadino non consegnata: verificare l'indirizzo"}
			return tx.FlagForReview(ctx, om.CaseID, res.Review[0])
		}
		return nil
	})
	if errors.Is(err, store.ErrConflict) {
		return Result{Duplicate: true}, nil
	}
	if err != nil {
		return Result{}, fmt.Errorf("mail: store bounce <%s>: %w", m.MessageID, err)
	}
	s.ingests.WithLabelValues("bounce").Inc()
	return res, nil
}

// enqueueRequest is one message to render and queue.
type enqueueRequest struct {
	c          store.Case
	template   string
	lang       string
	to         Address
	inReplyTo  string
	references []string
	data       TemplateData
	auto       string
	author     string
	contactID  int64
}

func (s *Service) enqueueTemplate(ctx context.Context, tx *store.Tx, r enqueueRequest) (store.OutboxMessage, error) {
	r.data.TrackingID = r.c.TrackingID
	if r.data.Name == "" {
		r.data.Name = r.c.ContactName
	}
	subject, body, err := s.tpl.Render(r.template, r.lang, r.data)
	if err != nil {
		return store.OutboxMessage{}, err
	}
	out := Outgoing{From: s.from, To: r.to, Subject: subject, Body: body, MessageID: newMessageID(r.c.TrackingID, s.domain),
		InReplyTo: r.inReplyTo, References: lastN(r.references, 20), AutoSubmitted: r.auto, Date: tx.Now, Lang: r.lang}
	msg := store.OutboxMessage{CaseID: r.c.ID, ContactID: r.contactID, MessageID: out.MessageID, Template: r.template,
		From: s.from.Email, To: r.to.Email, Subject: subject, Raw: out.Bytes(), Author: r.author}
	if err := tx.EnqueueMail(ctx, &msg); err != nil {
		return store.OutboxMessage{}, err
	}
	return msg, nil
}

func lastN(s []string, n int) []string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// AcknowledgeForm queues the acknowledgement of a web-form submission
// inside the transaction that stored it, so the citizen is told exactly
// when the case exists. The message is tied to the submission's timeline
// entry (contactID), which so shows its delivery state. It is ErrInvalid
// when the case has no email.
func (s *Service) AcknowledgeForm(ctx context.Context, tx *store.Tx, c store.Case, contactID int64, lang string) (store.OutboxMessage, error) {
	if c.ContactEmail == "" {
		return store.OutboxMessage{}, fmt.Errorf("%w: case %s has no email address", store.ErrInvalid, c.TrackingID)
	}
	return s.enqueueTemplate(ctx, tx, enqueueRequest{c: c, template: "conferma-modulo", lang: lang,
		to: Address{Name: c.ContactName, Email: c.ContactEmail}, auto: "auto-generated", author: "system", contactID: contactID})
}

// Wake nudges the outbox sender (after a form's acknowledgement is committed).
func (s *Service) Wake() { s.o.Wake() }

// ReplyRequest is an operator's answer from the case view.
type ReplyRequest struct {
	CaseID   int64
	Template string // e.g. "risposta", "richiesta-informazioni", "chiusura"
	Lang     string // it (default) or en
	Text     string // the operator's words, where the template takes them
	Author   string // the operator's user name
	To       string // optional: another address than the case's
	Canned   string // the canned reply the text came from ("ID title"), for the audit log
}

// Reply queues an operator's email on a case: rendered from the template,
// with the tracking id in the subject and In-Reply-To/References pointing
// at the citizen's last message, recorded in the timeline and the audit
// log, in one transaction. Delivery happens in the background; Deliveries
// tells its state.
func (s *Service) Reply(ctx context.Context, r ReplyRequest) (store.OutboxMessage, error) {
	if r.Author == "" {
		return store.OutboxMessage{}, fmt.Errorf("%w: a reply needs its author", store.ErrInvalid)
	}
	c, err := s.db.SurvivingCase(ctx, r.CaseID)
	if err != nil {
		return store.OutboxMessage{}, err
	}
	to := parseAddress(r.To)
	if r.To == "" {
		to = Address{Name: c.ContactName, Email: c.ContactEmail}
	}
	if to.Email == "" || !strings.Contains(to.Email, "@") {
		return store.OutboxMessage{}, fmt.Errorf("%w: case %s has no email address to answer", store.ErrInvalid, c.TrackingID)
	}
	mails, err := s.db.MailMessages(ctx, c.ID)
	if err != nil {
		return store.OutboxMessage{}, err
	}
	var refs []string
	inReplyTo := ""
	for _, mm := range mails {
		if mm.Kind != store.MailKindMail {
			continue
		}
		refs = append(refs, mm.MessageID)
		if mm.Direction == store.MailIn || inReplyTo == "" {
			inReplyTo = mm.MessageID
		}
	}
	if last, err := s.db.LastInboundMail(ctx, c.ID); err == nil {
		inReplyTo = last.MessageID
	}
	var msg store.OutboxMessage
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		subject, body, err := s.tpl.Render(r.Template, r.Lang, TemplateData{TrackingID: c.TrackingID, Name: c.ContactName,
			Text: r.Text, Operator: r.Author})
		if err != nil {
			return err
		}
		ct := store.Contact{CaseID: c.ID, Channel: store.ChannelEmail, Direction: "out", Author: r.Author, Answer: true,
			Content: "A: " + to.String() + "\nOggetto: " + subject + "\n\n" + body}
		if err := tx.AddContact(ctx, &ct); err != nil {
			return err
		}
		msg, err = s.enqueueTemplate(ctx, tx, enqueueRequest{c: c, template: r.Template, lang: r.Lang, to: to,
			inReplyTo: inReplyTo, references: refs, data: TemplateData{Text: r.Text, Operator: r.Author},
			author: r.Author, contactID: ct.ID})
		if err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Actor: r.Author, Action: "mail.reply", Object: fmt.Sprintf("case:%d", c.ID),
			Detail: map[string]any{"template": r.Template, "to": to.Email, "message_id": msg.MessageID, "canned": r.Canned}})
	})
	if err != nil {
		return store.OutboxMessage{}, err
	}
	s.o.Wake()
	return msg, nil
}

// Deliveries lists a case's outgoing email with each message's delivery
// state (queued with attempts and last error, sent, failed, bounced).
func (s *Service) Deliveries(ctx context.Context, caseID int64) ([]store.OutboxMessage, error) {
	return s.db.OutboxByCase(ctx, caseID)
}
