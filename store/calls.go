package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Call is one channel's record: an inbound call from arrival to hang-up, or
// an outbound leg the controller placed.
type Call struct {
	ID          int64
	ChannelID   string
	LinkedID    string
	Direction   string // inbound, outbound
	Caller      string
	CallerName  string
	Called      string
	SiteID      int64
	ArrivedAt   time.Time
	AnsweredAt  time.Time
	QueuedAt    time.Time
	ConnectedAt time.Time
	EndedAt     time.Time
	Queue       string
	Agent       string
	WaitS       int
	RingS       int
	TalkS       int
	HoldS       int
	WrapupS     int
	IVRPath     string
	Digits      string
	FlowVersion int
	Priority    int
	Mode        string
	Lang        string
	Category    string
	Urgency     string
	Outcome     string
	HangupCause int
	HangupBy    string
	CaseID      int64
}

const callColumns = `id, channel_id, linked_id, direction, caller, caller_name, called, COALESCE(site_id, 0),
	arrived_at, answered_at, queued_at, connected_at, ended_at, queue, agent,
	wait_s, ring_s, talk_s, hold_s, wrapup_s, ivr_path, digits, flow_version, mode, lang,
	category, urgency, outcome, hangup_cause, hangup_by, COALESCE(case_id, 0), priority`

func scanCall(sc interface{ Scan(...any) error }) (Call, error) {
	var c Call
	err := sc.Scan(&c.ID, &c.ChannelID, &c.LinkedID, &c.Direction, &c.Caller, &c.CallerName, &c.Called, &c.SiteID,
		nullTime{&c.ArrivedAt}, nullTime{&c.AnsweredAt}, nullTime{&c.QueuedAt}, nullTime{&c.ConnectedAt}, nullTime{&c.EndedAt},
		&c.Queue, &c.Agent, &c.WaitS, &c.RingS, &c.TalkS, &c.HoldS, &c.WrapupS, &c.IVRPath, &c.Digits, &c.FlowVersion,
		&c.Mode, &c.Lang, &c.Category, &c.Urgency, &c.Outcome, &c.HangupCause, &c.HangupBy, &c.CaseID, &c.Priority)
	return c, err
}

// Urgency levels, shared by calls, cases and dispositions.
const (
	UrgencyNone     = "none"
	UrgencyElevated = "elevated"
	UrgencyRescue   = "rescue"
)

func validUrgency(u string) bool {
	return u == UrgencyNone || u == UrgencyElevated || u == UrgencyRescue
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// InsertCall records a new call and returns once the row is committed. It
// sets c.ID. A channel id already recorded is ErrConflict (a re-adopted call
// must be looked up, not inserted again).
func (db *DB) InsertCall(ctx context.Context, c *Call) error {
	return db.InsertCallLater(ctx, c).Wait()
}

// InsertCallLater is InsertCall handed to the group commit: c.ID is set,
// and the verdict known, when Wait returns. c must not be read or changed
// until then. Writes submitted after it (UpdateCallLater, CloseCallLater)
// are committed after it.
func (db *DB) InsertCallLater(ctx context.Context, c *Call) *Pending {
	if c.ChannelID == "" {
		return failed(invalid("call without a channel id"))
	}
	if c.Direction == "" {
		c.Direction = "inbound"
	}
	if c.Urgency == "" {
		c.Urgency = UrgencyNone
	}
	if !validUrgency(c.Urgency) {
		return failed(invalid("urgency %q (allowed: none, elevated, rescue)", c.Urgency))
	}
	if c.Lang == "" {
		c.Lang = "it"
	}
	var id int64
	arrived, at := c.ArrivedAt, c.ArrivedAt
	p := db.batch.submit(ctx, func(tx *Tx) error {
		if at = arrived; at.IsZero() {
			at = tx.Now
		}
		return tx.queryRow(ctx, `INSERT INTO calls (channel_id, linked_id, direction, caller, caller_name, called, site_id,
			arrived_at, answered_at, queue, ivr_path, digits, flow_version, mode, lang, category, urgency, case_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
			c.ChannelID, c.LinkedID, c.Direction, c.Caller, c.CallerName, c.Called, nullID(c.SiteID),
			at, timeArg(c.AnsweredAt), c.Queue, c.IVRPath, c.Digits, c.FlowVersion, c.Mode, c.Lang,
			c.Category, c.Urgency, nullID(c.CaseID)).Scan(&id)
	})
	p.then = func(err error) error {
		if err != nil {
			if db.d.isUniqueViolation(err) {
				return fmt.Errorf("%w: call %s", ErrConflict, c.ChannelID)
			}
			return fmt.Errorf("store: insert call %s: %w", c.ChannelID, err)
		}
		c.ID, c.ArrivedAt = id, at
		return nil
	}
	return p
}

// CallUpdate changes the fields that are set (non-nil) on an open call.
type CallUpdate struct {
	AnsweredAt  *time.Time
	QueuedAt    *time.Time
	ConnectedAt *time.Time
	Queue       *string
	Agent       *string
	IVRPath     *string
	Digits      *string
	Category    *string
	Urgency     *string
	Outcome     *string
	Lang        *string
	Mode        *string
	FlowVersion *int
	Priority    *int
	WaitS       *int
	RingS       *int
	TalkS       *int
	HoldS       *int
	WrapupS     *int
	CaseID      *int64
}

func (u CallUpdate) assignments() ([]string, []any, error) {
	var sets []string
	var args []any
	add := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	if u.AnsweredAt != nil {
		add("answered_at", timeArg(*u.AnsweredAt))
	}
	if u.QueuedAt != nil {
		add("queued_at", timeArg(*u.QueuedAt))
	}
	if u.ConnectedAt != nil {
		add("connected_at", timeArg(*u.ConnectedAt))
	}
	for _, s := range []struct {
		col string
		v   *string
	}{{"queue", u.Queue}, {"agent", u.Agent}, {"ivr_path", u.IVRPath}, {"digits", u.Digits},
		{"category", u.Category}, {"outcome", u.Outcome}, {"lang", u.Lang}, {"mode", u.Mode}} {
		if s.v != nil {
			add(s.col, *s.v)
		}
	}
	if u.Urgency != nil {
		if !validUrgency(*u.Urgency) {
			return nil, nil, invalid("urgency %q (allowed: none, elevated, rescue)", *u.Urgency)
		}
		add("urgency", *u.Urgency)
	}
	for _, n := range []struct {
		col string
		v   *int
	}{{"flow_version", u.FlowVersion}, {"priority", u.Priority}, {"wait_s", u.WaitS}, {"ring_s", u.RingS}, {"talk_s", u.TalkS},
		{"hold_s", u.HoldS}, {"wrapup_s", u.WrapupS}} {
		if n.v != nil {
			if *n.v < 0 {
				return nil, nil, invalid("%s must not be negative", n.col)
			}
			add(n.col, *n.v)
		}
	}
	if u.CaseID != nil {
		add("case_id", nullID(*u.CaseID))
	}
	return sets, args, nil
}

// UpdateCall changes an open call. A closed call is ErrAlreadyClosed; an
// unknown channel is ErrNotFound.
func (db *DB) UpdateCall(ctx context.Context, channelID string, u CallUpdate) error {
	return db.UpdateCallLater(ctx, channelID, u).Wait()
}

// UpdateCallLater is UpdateCall handed to the group commit.
func (db *DB) UpdateCallLater(ctx context.Context, channelID string, u CallUpdate) *Pending {
	sets, args, err := u.assignments()
	if err != nil {
		return failed(err)
	}
	if len(sets) == 0 {
		return failed(nil)
	}
	args = append(args, channelID)
	q := fmt.Sprintf(`UPDATE calls SET %s WHERE channel_id = $%d AND ended_at IS NULL`, strings.Join(sets, ", "), len(args))
	return db.batch.submit(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("store: update call %s: %w", channelID, err)
		}
		return tx.expectOpenCall(ctx, res, channelID)
	})
}

// CallEnd is what is known when a call ends.
type CallEnd struct {
	EndedAt     time.Time // zero: now
	Outcome     string
	HangupCause int
	HangupBy    string // caller, agent, system
	Update      CallUpdate
}

// CloseCall ends a call exactly once: a second close is ErrAlreadyClosed and
// changes nothing.
func (db *DB) CloseCall(ctx context.Context, channelID string, e CallEnd) error {
	return db.CloseCallLater(ctx, channelID, e).Wait()
}

// CloseCallLater is CloseCall handed to the group commit.
func (db *DB) CloseCallLater(ctx context.Context, channelID string, e CallEnd) *Pending {
	sets, args, err := e.Update.assignments()
	if err != nil {
		return failed(err)
	}
	return db.batch.submit(ctx, func(tx *Tx) error {
		end := e.EndedAt
		if end.IsZero() {
			end = tx.Now
		}
		a := append(append([]any{}, args...), end, e.Outcome, e.HangupCause, e.HangupBy, channelID)
		n := len(args)
		all := append(append([]string{}, sets...),
			fmt.Sprintf("ended_at = $%d", n+1), fmt.Sprintf("outcome = $%d", n+2),
			fmt.Sprintf("hangup_cause = $%d", n+3), fmt.Sprintf("hangup_by = $%d", n+4))
		q := fmt.Sprintf(`UPDATE calls SET %s WHERE channel_id = $%d AND ended_at IS NULL`, strings.Join(all, ", "), n+5)
		res, err := tx.exec(ctx, q, a...)
		if err != nil {
			return fmt.Errorf("store: close call %s: %w", channelID, err)
		}
		return tx.expectOpenCall(ctx, res, channelID)
	})
}

// expectOpenCall turns "no row updated" into ErrAlreadyClosed or ErrNotFound.
func (tx *Tx) expectOpenCall(ctx context.Context, res interface{ RowsAffected() (int64, error) }, channelID string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: call %s: %w", channelID, err)
	}
	if n == 1 {
		return nil
	}
	var one int
	if err := tx.queryRow(ctx, `SELECT 1 FROM calls WHERE channel_id = $1`, channelID).Scan(&one); err != nil {
		return notFound(err, "call "+channelID)
	}
	return fmt.Errorf("%w: call %s", ErrAlreadyClosed, channelID)
}

// CallByChannel returns the call recorded for an Asterisk channel id.
func (db *DB) CallByChannel(ctx context.Context, channelID string) (Call, error) {
	c, err := scanCall(db.reader().queryRow(ctx, `SELECT `+callColumns+` FROM calls WHERE channel_id = $1`, channelID))
	if err != nil {
		return Call{}, notFound(err, "call "+channelID)
	}
	return c, nil
}

// OpenCalls lists the calls not yet ended, oldest first: what a restarted
// controller must re-adopt or close.
func (db *DB) OpenCalls(ctx context.Context) ([]Call, error) {
	return db.listCalls(ctx, `SELECT `+callColumns+` FROM calls WHERE ended_at IS NULL ORDER BY arrived_at, id`)
}

// CallFilter selects calls; unset fields do not filter.
type CallFilter struct {
	Caller *string
	Since  *time.Time
	Until  *time.Time
	Limit  int
}

// Calls lists calls matching f, newest first.
func (db *DB) Calls(ctx context.Context, f CallFilter) ([]Call, error) {
	var where []string
	var args []any
	if f.Caller != nil {
		args = append(args, *f.Caller)
		where = append(where, fmt.Sprintf("caller = $%d", len(args)))
	}
	if f.Since != nil {
		args = append(args, *f.Since)
		where = append(where, fmt.Sprintf("arrived_at >= $%d", len(args)))
	}
	if f.Until != nil {
		args = append(args, *f.Until)
		where = append(where, fmt.Sprintf("arrived_at < $%d", len(args)))
	}
	q := `SELECT ` + callColumns + ` FROM calls`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	q += fmt.Sprintf(" ORDER BY arrived_at DESC, id DESC LIMIT %d", limit)
	return db.listCalls(ctx, q, args...)
}

func (db *DB) listCalls(ctx context.Context, q string, args ...any) ([]Call, error) {
	rows, err := db.reader().query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list calls: %w", err)
	}
	defer rows.Close()
	var out []Call
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read call: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CallCounts reports how many call records are closed and how many open.
func (db *DB) CallCounts(ctx context.Context) (closed, open int, err error) {
	err = db.reader().queryRow(ctx, `SELECT COUNT(ended_at), COUNT(*) - COUNT(ended_at) FROM calls`).Scan(&closed, &open)
	if err != nil {
		return 0, 0, fmt.Errorf("store: count calls: %w", err)
	}
	return closed, open, nil
}

// SetCallCase links a call record, open or closed, to its case.
func (db *DB) SetCallCase(ctx context.Context, channelID string, caseID int64) error {
	res, err := db.writer().exec(ctx, `UPDATE calls SET case_id = $1 WHERE channel_id = $2`, caseID, channelID)
	if err != nil {
		return fmt.Errorf("store: link call %s to case %d: %w", channelID, caseID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: call %s", ErrNotFound, channelID)
	}
	return nil
}
