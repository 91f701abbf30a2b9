package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Outbox delivery states.
const (
	OutboxQueued  = "queued"  // waiting for (another) attempt
	OutboxSent    = "sent"    // the relay accepted it
	OutboxFailed  = "failed"  // the relay refused it for good
	OutboxBounced = "bounced" // accepted, then a DSN said it never arrived
)

// OutboxMessage is an email waiting for, or past, delivery.
type OutboxMessage struct {
	ID            int64
	CaseID        int64
	ContactID     int64
	MessageID     string // without angle brackets
	Template      string
	From          string // envelope sender
	To            string // envelope recipient
	Subject       string
	Raw           []byte // the exact bytes sent; nil when listing
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
	Author        string
	CreatedAt     time.Time
	SentAt        time.Time
	// LeaseUntil is when the worker's hold on a claimed message ends.
	LeaseUntil time.Time
	// SendStartedAt is when an attempt began that has no outcome yet:
	// set on a claimed message, the process died during (or just after)
	// its SMTP transaction, and the relay may already have it.
	SendStartedAt time.Time
}

// ErrLeaseLost means a worker's lease on an outgoing message ran out and
// the message is no longer its to send.
var ErrLeaseLost = errors.New("store: outbox lease lost")

// EnqueueMail writes a message to the outbox inside the transaction that
// decided to send it, so the decision and the message commit together;
// when the message belongs to a case it is also indexed for threading.
// It sets ID, State, NextAttemptAt and CreatedAt.
func (tx *Tx) EnqueueMail(ctx context.Context, m *OutboxMessage) error {
	if m.MessageID == "" || m.From == "" || m.To == "" || len(m.Raw) == 0 {
		return invalid("an outgoing mail needs a Message-ID, a sender, a recipient and its bytes")
	}
	m.State, m.NextAttemptAt, m.CreatedAt = OutboxQueued, tx.Now, tx.Now
	err := tx.queryRow(ctx, `INSERT INTO outbox (case_id, contact_id, message_id, template, mail_from, rcpt_to, subject, raw,
		state, attempts, next_attempt_at, author, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', 0, $9, $10, $9)
		RETURNING id`, nullID(m.CaseID), nullID(m.ContactID), m.MessageID, m.Template, m.From, m.To, m.Subject, m.Raw,
		tx.Now, m.Author).Scan(&m.ID)
	if err != nil {
		if tx.d.isUniqueViolation(err) {
			return fmt.Errorf("%w: outgoing message <%s>", ErrConflict, m.MessageID)
		}
		return fmt.Errorf("store: enqueue mail <%s>: %w", m.MessageID, err)
	}
	if m.CaseID == 0 {
		return nil
	}
	return tx.RecordMail(ctx, &MailMessage{CaseID: m.CaseID, ContactID: m.ContactID, Direction: MailOut,
		MessageID: m.MessageID, Subject: m.Subject, From: m.From, To: m.To})
}

const outboxColumns = `id, COALESCE(case_id, 0), COALESCE(contact_id, 0), message_id, template, mail_from, rcpt_to, subject,
	state, attempts, next_attempt_at, last_error, author, created_at, sent_at, lease_until, send_started_at`

func scanOutbox(sc interface{ Scan(...any) error }, raw *[]byte) (OutboxMessage, error) {
	var m OutboxMessage
	dest := []any{&m.ID, &m.CaseID, &m.ContactID, &m.MessageID, &m.Template, &m.From, &m.To, &m.Subject, &m.State,
		&m.Attempts, nullTime{&m.NextAttemptAt}, &m.LastError, &m.Author, nullTime{&m.CreatedAt}, nullTime{&m.SentAt},
		nullTime{&m.LeaseUntil}, nullTime{&m.SendStartedAt}}
	if raw != nil {
		dest = append(dest, raw)
	}
	err := sc.Scan(dest...)
	return m, err
}

// ClaimOutbox leases up to limit due messages to the caller for lease and
// returns them with their bytes, oldest first. A message stays leased until
// it is marked, or until the lease runs out (its worker died), so two
// workers never hold the same message and a crash loses none.
func (db *DB) ClaimOutbox(ctx context.Context, limit int, lease time.Duration) ([]OutboxMessage, error) {
	if limit <= 0 {
		limit = 1
	}
	now := db.now()
	// The lease condition is repeated outside the sub-select: on
	// PostgreSQL a concurrent claimer re-checks it on the row it waited
	// for, and skips what the other one just took.
	rows, err := db.writer().query(ctx, `UPDATE outbox SET lease_until = $1, attempts = attempts + 1
		WHERE id IN (SELECT id FROM outbox WHERE state = 'queued' AND next_attempt_at <= $2
			AND (lease_until IS NULL OR lease_until < $2) ORDER BY next_attempt_at, id LIMIT $3)
		AND state = 'queued' AND (lease_until IS NULL OR lease_until < $2)
		RETURNING `+outboxColumns+`, raw`, now.Add(lease), now, limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		var raw []byte
		m, err := scanOutbox(rows, &raw)
		if err != nil {
			return nil, fmt.Errorf("store: read outbox message: %w", err)
		}
		m.Raw = raw
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claim outbox: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// BeginOutboxSend records, in a commit of its own, that the worker is about
// to hand a claimed message to the relay, and renews its lease. Nothing is
// sent unless this succeeds: a worker that cannot write cannot record the
// outcome either, and would send the message again and again. It is
// ErrLeaseLost when the message is no longer the worker's (its lease ran
// out and another worker claimed it, or it was sent or failed meanwhile).
func (db *DB) BeginOutboxSend(ctx context.Context, m *OutboxMessage, lease time.Duration) error {
	now := db.now()
	until := now.Add(lease)
	var n int64
	err := db.Batch(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE outbox SET send_started_at = $1, lease_until = $2
			WHERE id = $3 AND state = 'queued' AND lease_until = $4`, now, until, m.ID, m.LeaseUntil)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("store: begin sending outbox %d: %w", m.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: outgoing message %d", ErrLeaseLost, m.ID)
	}
	m.LeaseUntil, m.SendStartedAt = until, now
	return nil
}

// MarkOutboxSent records that the relay accepted a message. It is meant
// for Batch: many workers' marks share one commit.
func (tx *Tx) MarkOutboxSent(ctx context.Context, id int64) error {
	_, err := tx.exec(ctx, `UPDATE outbox SET state = 'sent', sent_at = $1, lease_until = NULL, last_error = '',
		send_started_at = NULL WHERE id = $2 AND state = 'queued'`, tx.Now, id)
	if err != nil {
		return fmt.Errorf("store: mark outbox %d sent: %w", id, err)
	}
	return nil
}

// RetryOutbox releases a message after a temporary failure, to be tried
// again at next.
func (db *DB) RetryOutbox(ctx context.Context, id int64, problem string, next time.Time) error {
	_, err := db.writer().exec(ctx, `UPDATE outbox SET lease_until = NULL, last_error = $1, next_attempt_at = $2,
		send_started_at = NULL WHERE id = $3 AND state = 'queued'`, problem, next, id)
	if err != nil {
		return fmt.Errorf("store: reschedule outbox %d: %w", id, err)
	}
	return nil
}

// FailOutbox records that the relay refused a message for good.
func (db *DB) FailOutbox(ctx context.Context, id int64, problem string) error {
	_, err := db.writer().exec(ctx, `UPDATE outbox SET state = 'failed', lease_until = NULL, last_error = $1,
		send_started_at = NULL WHERE id = $2 AND state = 'queued'`, problem, id)
	if err != nil {
		return fmt.Errorf("store: fail outbox %d: %w", id, err)
	}
	return nil
}

// BounceOutbox marks a sent message as bounced by a delivery-status
// notification, inside the transaction that records the bounce, and returns
// the message (ErrNotFound if no message has that id).
func (tx *Tx) BounceOutbox(ctx context.Context, messageID, problem string) (OutboxMessage, error) {
	m, err := scanOutbox(tx.queryRow(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE message_id = $1`, messageID), nil)
	if err != nil {
		return OutboxMessage{}, notFound(err, "outgoing message <"+messageID+">")
	}
	if _, err := tx.exec(ctx, `UPDATE outbox SET state = 'bounced', last_error = $1, lease_until = NULL WHERE id = $2`,
		problem, m.ID); err != nil {
		return OutboxMessage{}, fmt.Errorf("store: mark outbox %d bounced: %w", m.ID, err)
	}
	m.State, m.LastError = OutboxBounced, problem
	return m, nil
}

// OutboxByCase lists a case's outgoing messages with their delivery state,
// oldest first, without their bytes.
func (db *DB) OutboxByCase(ctx context.Context, caseID int64) ([]OutboxMessage, error) {
	return db.outboxWhere(ctx, `case_id = $1 ORDER BY created_at, id`, caseID)
}

// OutboxMessageByID returns one outgoing message with its bytes.
func (db *DB) OutboxMessageByID(ctx context.Context, id int64) (OutboxMessage, error) {
	var raw []byte
	m, err := scanOutbox(db.reader().queryRow(ctx, `SELECT `+outboxColumns+`, raw FROM outbox WHERE id = $1`, id), &raw)
	if err != nil {
		return OutboxMessage{}, notFound(err, fmt.Sprintf("outgoing message %d", id))
	}
	m.Raw = raw
	return m, nil
}

// OutboxCounts counts outgoing messages by state, for metrics and health.
func (db *DB) OutboxCounts(ctx context.Context) (map[string]int, error) {
	return db.countByState(ctx, "outbox", "outbox")
}

// countByState counts the rows of a durable queue table by state.
func (db *DB) countByState(ctx context.Context, table, what string) (map[string]int, error) {
	rows, err := db.reader().query(ctx, `SELECT state, COUNT(*) FROM `+table+` GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("store: count %s: %w", what, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("store: count %s: %w", what, err)
		}
		out[s] = n
	}
	return out, rows.Err()
}

// NextOutboxDue is when the earliest queued message falls due
// (ErrNotFound when nothing waits), so a worker can sleep until then.
func (db *DB) NextOutboxDue(ctx context.Context) (time.Time, error) {
	return db.nextDue(ctx, "outbox", "queued outgoing message")
}

// nextDue is when the earliest queued row of a durable queue table falls
// due (ErrNotFound, about what, when none waits).
func (db *DB) nextDue(ctx context.Context, table, what string) (time.Time, error) {
	var t time.Time
	err := db.reader().queryRow(ctx, `SELECT next_attempt_at FROM `+table+` WHERE state = 'queued'
		ORDER BY next_attempt_at LIMIT 1`).Scan(nullTime{&t})
	if err != nil {
		return time.Time{}, notFound(err, what)
	}
	return t, nil
}

func (db *DB) outboxWhere(ctx context.Context, where string, args ...any) ([]OutboxMessage, error) {
	rows, err := db.reader().query(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		m, err := scanOutbox(rows, nil)
		if err != nil {
			return nil, fmt.Errorf("store: read outbox message: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
