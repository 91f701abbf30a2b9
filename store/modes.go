package store

import (
	"context"
	"fmt"
	"time"
)

// The operating modes.
const (
	ModeOrdinary  = "ordinary"
	ModeEmergency = "emergency"
	ModeClosed    = "closed"
)

// ModeChange is one switch of the operating mode.
type ModeChange struct {
	ID     int64
	Mode   string
	Reason string
	Until  time.Time // zero: until changed again
	SetBy  string
	SetAt  time.Time
}

// SetMode records a mode change, audited. A reason is required: the
// timeline must say why the center changed how it runs.
func (db *DB) SetMode(ctx context.Context, m *ModeChange) error {
	switch m.Mode {
	case ModeOrdinary, ModeEmergency, ModeClosed:
	default:
		return invalid("mode %q (allowed: ordinary, emergency, closed)", m.Mode)
	}
	if m.Reason == "" || m.SetBy == "" {
		return invalid("a mode change needs a reason and who made it")
	}
	return db.InTx(ctx, func(tx *Tx) error {
		m.SetAt = tx.Now
		if !m.Until.IsZero() && !m.Until.After(tx.Now) {
			return invalid("until %s is not in the future", m.Until.Format(time.RFC3339))
		}
		if err := tx.queryRow(ctx, `INSERT INTO mode_changes (mode, reason, until_at, set_by, set_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, m.Mode, m.Reason, timeArg(m.Until), m.SetBy, tx.Now).Scan(&m.ID); err != nil {
			return fmt.Errorf("store: set mode: %w", err)
		}
		detail := map[string]any{"mode": m.Mode, "reason": m.Reason}
		if !m.Until.IsZero() {
			detail["until"] = m.Until.UTC().Format(time.RFC3339)
		}
		return tx.Audit(ctx, AuditEntry{Actor: m.SetBy, Action: "mode.set", Object: "mode", Detail: detail})
	})
}

// CurrentMode returns the change in force at `at`: the newest whose
// `until` has not passed, so a temporary switch falls back to the one it
// overrode. With none it returns ErrNotFound: the ordinary calendar applies.
func (db *DB) CurrentMode(ctx context.Context, at time.Time) (ModeChange, error) {
	var m ModeChange
	err := db.reader().queryRow(ctx, `SELECT id, mode, reason, until_at, set_by, set_at FROM mode_changes
		WHERE set_at <= $1 AND (until_at IS NULL OR until_at > $1) ORDER BY set_at DESC, id DESC LIMIT 1`, at).
		Scan(&m.ID, &m.Mode, &m.Reason, nullTime{&m.Until}, &m.SetBy, nullTime{&m.SetAt})
	if err != nil {
		return ModeChange{}, notFound(err, "mode change")
	}
	return m, nil
}

// ModeHistory lists mode changes, newest first.
func (db *DB) ModeHistory(ctx context.Context, limit int) ([]ModeChange, error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	rows, err := db.reader().query(ctx, fmt.Sprintf(`SELECT id, mode, reason, until_at, set_by, set_at FROM mode_changes
		ORDER BY set_at DESC, id DESC LIMIT %d`, limit))
	if err != nil {
		return nil, fmt.Errorf("store: mode history: %w", err)
	}
	defer rows.Close()
	var out []ModeChange
	for rows.Next() {
		var m ModeChange
		if err := rows.Scan(&m.ID, &m.Mode, &m.Reason, nullTime{&m.Until}, &m.SetBy, nullTime{&m.SetAt}); err != nil {
			return nil, fmt.Errorf("store: read mode change: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
