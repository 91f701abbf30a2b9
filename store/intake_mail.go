package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Mail directions and kinds, as mail_messages records them.
const (
	MailIn  = "in"
	MailOut = "out"

	MailKindMail      = "mail"
	MailKindAutoReply = "auto-reply"
	MailKindBounce    = "bounce"
)

// MailMessage is one email that entered or left a case, indexed by its
// Message-ID so that replies find their case.
type MailMessage struct {
	ID        int64
	CaseID    int64
	ContactID int64
	Direction string // in, out
	MessageID string // without angle brackets
	// ContentSHA256 is the digest of what the sender wrote (see the mail
	// package), so that a different message reusing a Message-ID is told
	// apart from a copy; "" for outgoing mail.
	ContentSHA256 string
	InReplyTo     string
	Subject       string
	From          string
	To            string
	Kind          string // mail, auto-reply, bounce
	CreatedAt     time.Time
}

// RecordMail indexes an email inside the transaction that stored it. A
// message already recorded in the same direction with the same content is
// ErrConflict, and the caller rolls back: the message was stored before (a
// retry or a re-poll).
func (tx *Tx) RecordMail(ctx context.Context, m *MailMessage) error {
	if m.CaseID == 0 || m.MessageID == "" || (m.Direction != MailIn && m.Direction != MailOut) {
		return invalid("a mail record needs a case, a Message-ID and a direction")
	}
	if m.Kind == "" {
		m.Kind = MailKindMail
	}
	m.CreatedAt = tx.Now
	err := tx.queryRow(ctx, `INSERT INTO mail_messages (case_id, contact_id, direction, message_id, content_sha256,
		in_reply_to, subject, from_addr, to_addr, kind, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (direction, message_id, content_sha256) DO NOTHING RETURNING id`,
		m.CaseID, nullID(m.ContactID), m.Direction, m.MessageID, m.ContentSHA256, m.InReplyTo, m.Subject, m.From, m.To,
		m.Kind, tx.Now).Scan(&m.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: message <%s> already recorded", ErrConflict, m.MessageID)
	}
	if err != nil {
		return fmt.Errorf("store: record mail <%s>: %w", m.MessageID, err)
	}
	return nil
}

// MailSeen reports the case of a message already recorded in that
// direction with that Message-ID, whatever its content, or ErrNotFound.
func (db *DB) MailSeen(ctx context.Context, direction, messageID string) (int64, error) {
	var id int64
	err := db.reader().queryRow(ctx, `SELECT case_id FROM mail_messages WHERE direction = $1 AND message_id = $2
		ORDER BY id LIMIT 1`, direction, messageID).Scan(&id)
	if err != nil {
		return 0, notFound(err, "message <"+messageID+">")
	}
	return id, nil
}

// MailRecorded looks a message up by Message-ID and content digest. When a
// record in that direction has the id and the same digest (or none, being
// older than digests), it returns that record's case and same = true: the
// message was stored before. When only other messages carry the id, it
// returns the case of the first and same = false. ErrNotFound when no
// message has the id.
func (db *DB) MailRecorded(ctx context.Context, direction, messageID, contentSHA256 string) (caseID int64, same bool, err error) {
	rows, err := db.reader().query(ctx, `SELECT case_id, content_sha256 FROM mail_messages WHERE direction = $1
		AND message_id = $2 ORDER BY id`, direction, messageID)
	if err != nil {
		return 0, false, fmt.Errorf("store: look up message <%s>: %w", messageID, err)
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var cid int64
		var sum string
		if err := rows.Scan(&cid, &sum); err != nil {
			return 0, false, fmt.Errorf("store: read mail record: %w", err)
		}
		if sum == "" || sum == contentSHA256 {
			return cid, true, nil
		}
		if !found {
			caseID, found = cid, true
		}
	}
	if err := rows.Err(); err != nil {
		return 0, false, fmt.Errorf("store: look up message <%s>: %w", messageID, err)
	}
	if !found {
		return 0, false, fmt.Errorf("%w: message <%s>", ErrNotFound, messageID)
	}
	return caseID, false, nil
}

// CaseByMessageIDs finds the case any of the given Message-IDs belongs to
// (an In-Reply-To or References list, newest last), preferring the newest
// reference, and follows merges to the case that survives. ErrNotFound when
// none is known.
func (db *DB) CaseByMessageIDs(ctx context.Context, ids []string) (Case, error) {
	var clean []string
	for _, id := range ids {
		if id = strings.Trim(strings.TrimSpace(id), "<>"); id != "" {
			clean = append(clean, id)
		}
	}
	if len(clean) == 0 {
		return Case{}, fmt.Errorf("%w: no message ids", ErrNotFound)
	}
	if len(clean) > 100 {
		clean = clean[len(clean)-100:]
	}
	args := make([]any, len(clean))
	ph := make([]string, len(clean))
	for i, id := range clean {
		args[i], ph[i] = id, fmt.Sprintf("$%d", i+1)
	}
	rows, err := db.reader().query(ctx, `SELECT message_id, case_id FROM mail_messages WHERE message_id IN (`+
		strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return Case{}, fmt.Errorf("store: find case by message ids: %w", err)
	}
	found := map[string]int64{}
	for rows.Next() {
		var mid string
		var cid int64
		if err := rows.Scan(&mid, &cid); err != nil {
			rows.Close()
			return Case{}, fmt.Errorf("store: read mail index: %w", err)
		}
		found[mid] = cid
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Case{}, fmt.Errorf("store: read mail index: %w", err)
	}
	for i := len(clean) - 1; i >= 0; i-- {
		if cid, ok := found[clean[i]]; ok {
			return db.SurvivingCase(ctx, cid)
		}
	}
	return Case{}, fmt.Errorf("%w: no case for the referenced messages", ErrNotFound)
}

// MailParticipants lists, in lower case, the senders and recipients of
// the case's recorded messages that have the given Message-IDs: who may
// answer them without surprise. Messages of other cases do not count, so
// quoting one's own message beside a stranger's gains nothing.
func (db *DB) MailParticipants(ctx context.Context, caseID int64, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if len(ids) > 100 {
		ids = ids[len(ids)-100:]
	}
	args := []any{caseID}
	ph := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		ph[i] = fmt.Sprintf("$%d", i+2)
	}
	rows, err := db.reader().query(ctx, `SELECT from_addr, to_addr FROM mail_messages WHERE case_id = $1 AND message_id IN (`+
		strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: participants of messages: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var from, to string
		if err := rows.Scan(&from, &to); err != nil {
			return nil, fmt.Errorf("store: read mail participants: %w", err)
		}
		for _, a := range append([]string{from}, strings.Split(to, ",")...) {
			if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
				out = append(out, a)
			}
		}
	}
	return out, rows.Err()
}

// SurvivingCase returns the case, or the case it was merged into (and so
// on), so that a reply to a merged duplicate lands where operators look.
func (db *DB) SurvivingCase(ctx context.Context, id int64) (Case, error) {
	for range 16 {
		c, err := db.CaseByID(ctx, id)
		if err != nil {
			return Case{}, err
		}
		if c.Status != "merged" || c.MergedInto == 0 {
			return c, nil
		}
		id = c.MergedInto
	}
	return Case{}, fmt.Errorf("store: case %d: merge chain too long", id)
}

// MailMessages lists a case's emails, oldest first.
func (db *DB) MailMessages(ctx context.Context, caseID int64) ([]MailMessage, error) {
	rows, err := db.reader().query(ctx, `SELECT id, case_id, COALESCE(contact_id, 0), direction, message_id, in_reply_to,
		subject, from_addr, to_addr, kind, created_at FROM mail_messages WHERE case_id = $1 ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: mail of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []MailMessage
	for rows.Next() {
		var m MailMessage
		if err := rows.Scan(&m.ID, &m.CaseID, &m.ContactID, &m.Direction, &m.MessageID, &m.InReplyTo, &m.Subject,
			&m.From, &m.To, &m.Kind, nullTime{&m.CreatedAt}); err != nil {
			return nil, fmt.Errorf("store: read mail record: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// LastInboundMail returns the newest email the citizen sent on a case, the
// one an operator's reply answers; ErrNotFound when there is none.
func (db *DB) LastInboundMail(ctx context.Context, caseID int64) (MailMessage, error) {
	var m MailMessage
	err := db.reader().queryRow(ctx, `SELECT id, case_id, COALESCE(contact_id, 0), direction, message_id, in_reply_to,
		subject, from_addr, to_addr, kind, created_at FROM mail_messages WHERE case_id = $1 AND direction = 'in' AND kind = 'mail'
		ORDER BY created_at DESC, id DESC LIMIT 1`, caseID).Scan(&m.ID, &m.CaseID, &m.ContactID, &m.Direction, &m.MessageID,
		&m.InReplyTo, &m.Subject, &m.From, &m.To, &m.Kind, nullTime{&m.CreatedAt})
	if err != nil {
		return MailMessage{}, notFound(err, fmt.Sprintf("inbound mail of case %d", caseID))
	}
	return m, nil
}
