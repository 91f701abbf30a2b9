package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// AuditEntry is one line of the audit log: who did what, to what, from where.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  string // user name, "cli:<os user>", or "system"
	Action string // e.g. "ivr.apply", "mode.set", "user.add"
	Object string // what was acted on, e.g. "flow:3", "user:rossi"
	Detail map[string]any
	Remote string // client address for console actions
}

// Audit appends an entry in its own transaction.
func (db *DB) Audit(ctx context.Context, e AuditEntry) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.Audit(ctx, e) })
}

// Audit appends an entry inside the transaction that made the change, so
// the change and its record commit together or not at all.
func (tx *Tx) Audit(ctx context.Context, e AuditEntry) error {
	if e.Actor == "" || e.Action == "" {
		return invalid("audit entry needs an actor and an action")
	}
	detail := "{}"
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("store: audit detail: %w", err)
		}
		detail = string(b)
	}
	at := e.At
	if at.IsZero() {
		at = tx.Now
	}
	_, err := tx.exec(ctx, `INSERT INTO audit_log (at, actor, action, object, detail, remote) VALUES ($1, $2, $3, $4, $5, $6)`,
		at, e.Actor, e.Action, e.Object, detail, e.Remote)
	if err != nil {
		return fmt.Errorf("store: audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditFilter selects audit entries; unset fields do not filter.
type AuditFilter struct {
	Action *string
	Actor  *string
	Since  *time.Time
	Limit  int
}

// AuditLog lists entries, newest first.
func (db *DB) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	q := `SELECT id, at, actor, action, object, detail, remote FROM audit_log WHERE 1=1`
	var args []any
	if f.Action != nil {
		args = append(args, *f.Action)
		q += fmt.Sprintf(" AND action = $%d", len(args))
	}
	if f.Actor != nil {
		args = append(args, *f.Actor)
		q += fmt.Sprintf(" AND actor = $%d", len(args))
	}
	if f.Since != nil {
		args = append(args, *f.Since)
		q += fmt.Sprintf(" AND at >= $%d", len(args))
	}
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 200
	}
	q += fmt.Sprintf(" ORDER BY at DESC, id DESC LIMIT %d", limit)
	rows, err := db.reader().query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var detail string
		if err := rows.Scan(&e.ID, nullTime{&e.At}, &e.Actor, &e.Action, &e.Object, &detail, &e.Remote); err != nil {
			return nil, fmt.Errorf("store: read audit entry: %w", err)
		}
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, fmt.Errorf("store: audit entry %d detail: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
