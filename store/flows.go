package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// FlowVersion is one stored version of the IVR flow.
type FlowVersion struct {
	Version   int64
	Name      string
	Source    string // the YAML as the admin wrote it
	Checksum  string // sha256 of Source
	Comment   string
	CreatedAt time.Time
	CreatedBy string
	Active    bool
}

// SaveFlow stores a new version and, if activate is set, makes it the
// active one in the same transaction. Validation is the caller's job (the
// ivr package); the store only keeps what it was given.
func (db *DB) SaveFlow(ctx context.Context, f *FlowVersion, activate bool, actor string) error {
	if f.Source == "" || f.Name == "" {
		return invalid("a flow needs a name and a source")
	}
	sum := sha256.Sum256([]byte(f.Source))
	f.Checksum = hex.EncodeToString(sum[:])
	return db.InTx(ctx, func(tx *Tx) error {
		f.CreatedAt, f.CreatedBy = tx.Now, actor
		if err := tx.queryRow(ctx, `INSERT INTO ivr_flows (name, source, checksum, comment, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING version`,
			f.Name, f.Source, f.Checksum, f.Comment, tx.Now, actor).Scan(&f.Version); err != nil {
			return fmt.Errorf("store: save flow: %w", err)
		}
		if err := tx.Audit(ctx, AuditEntry{Actor: actor, Action: "ivr.save", Object: fmt.Sprintf("flow:%d", f.Version),
			Detail: map[string]any{"name": f.Name, "checksum": f.Checksum, "comment": f.Comment}}); err != nil {
			return err
		}
		if !activate {
			return nil
		}
		f.Active = true
		return tx.activateFlow(ctx, f.Version, actor, "ivr.apply")
	})
}

// ApplyFlow makes an existing version, stored inactive, the active one:
// the second half of SaveFlow with activate set, audited the same way
// ("ivr.apply"). The console stores an upload first and applies it once
// the admin has looked at it.
func (db *DB) ApplyFlow(ctx context.Context, version int64, actor string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		var one int
		if err := tx.queryRow(ctx, `SELECT 1 FROM ivr_flows WHERE version = $1`, version).Scan(&one); err != nil {
			return notFound(err, fmt.Sprintf("flow version %d", version))
		}
		return tx.activateFlow(ctx, version, actor, "ivr.apply")
	})
}

// ActivateFlow makes an existing version the active one (a rollback).
func (db *DB) ActivateFlow(ctx context.Context, version int64, actor string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		var one int
		if err := tx.queryRow(ctx, `SELECT 1 FROM ivr_flows WHERE version = $1`, version).Scan(&one); err != nil {
			return notFound(err, fmt.Sprintf("flow version %d", version))
		}
		return tx.activateFlow(ctx, version, actor, "ivr.rollback")
	})
}

func (tx *Tx) activateFlow(ctx context.Context, version int64, actor, action string) error {
	var prev int64
	_ = tx.queryRow(ctx, `SELECT version FROM ivr_active WHERE id = 1`).Scan(&prev)
	if _, err := tx.exec(ctx, `INSERT INTO ivr_active (id, version, activated_at, activated_by) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version, activated_at = excluded.activated_at,
		activated_by = excluded.activated_by`, version, tx.Now, actor); err != nil {
		return fmt.Errorf("store: activate flow %d: %w", version, err)
	}
	return tx.Audit(ctx, AuditEntry{Actor: actor, Action: action, Object: fmt.Sprintf("flow:%d", version),
		Detail: map[string]any{"previous": prev}})
}

// ActiveFlowVersion returns the active version number; ErrNotFound when no
// flow was ever applied.
func (db *DB) ActiveFlowVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := db.reader().queryRow(ctx, `SELECT version FROM ivr_active WHERE id = 1`).Scan(&v); err != nil {
		return 0, notFound(err, "active flow")
	}
	return v, nil
}

// PreviousFlowVersion returns the version that was active before the
// active one, as the last activation recorded it ("ivr.apply" or
// "ivr.rollback" in the audit log, written in the activation's own
// transaction); ErrNotFound when there is none: no flow applied yet, or
// the built-in default was active before.
func (db *DB) PreviousFlowVersion(ctx context.Context) (int64, error) {
	var object, detail string
	err := db.reader().queryRow(ctx, `SELECT object, detail FROM audit_log WHERE action IN ('ivr.apply', 'ivr.rollback')
		ORDER BY at DESC, id DESC LIMIT 1`).Scan(&object, &detail)
	if err != nil {
		return 0, notFound(err, "previous flow")
	}
	var d struct {
		Previous int64 `json:"previous"`
	}
	if err := json.Unmarshal([]byte(detail), &d); err != nil {
		return 0, fmt.Errorf("store: previous flow: audit detail: %w", err)
	}
	active, err := db.ActiveFlowVersion(ctx)
	if err != nil {
		return 0, err
	}
	// The last activation must be of the active version; anything else is
	// a history this method cannot read.
	if object != fmt.Sprintf("flow:%d", active) || d.Previous <= 0 || d.Previous == active {
		return 0, fmt.Errorf("store: previous flow: %w", ErrNotFound)
	}
	return d.Previous, nil
}

// Flow returns one version; version 0 means the active one.
func (db *DB) Flow(ctx context.Context, version int64) (FlowVersion, error) {
	q := `SELECT f.version, f.name, f.source, f.checksum, f.comment, f.created_at, f.created_by,
		COALESCE(a.version, 0) = f.version
		FROM ivr_flows f LEFT JOIN ivr_active a ON a.id = 1 WHERE f.version = `
	var args []any
	if version == 0 {
		q += `(SELECT version FROM ivr_active WHERE id = 1)`
	} else {
		q += `$1`
		args = append(args, version)
	}
	var f FlowVersion
	err := db.reader().queryRow(ctx, q, args...).Scan(&f.Version, &f.Name, &f.Source, &f.Checksum, &f.Comment,
		nullTime{&f.CreatedAt}, &f.CreatedBy, &f.Active)
	if err != nil {
		what := fmt.Sprintf("flow version %d", version)
		if version == 0 {
			what = "active flow"
		}
		return FlowVersion{}, notFound(err, what)
	}
	return f, nil
}

// Flows lists every version, newest first, without sources.
func (db *DB) Flows(ctx context.Context) ([]FlowVersion, error) {
	rows, err := db.reader().query(ctx, `SELECT f.version, f.name, f.checksum, f.comment, f.created_at, f.created_by,
		COALESCE(a.version, 0) = f.version
		FROM ivr_flows f LEFT JOIN ivr_active a ON a.id = 1 ORDER BY f.version DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: list flows: %w", err)
	}
	defer rows.Close()
	var out []FlowVersion
	for rows.Next() {
		var f FlowVersion
		if err := rows.Scan(&f.Version, &f.Name, &f.Checksum, &f.Comment, nullTime{&f.CreatedAt}, &f.CreatedBy, &f.Active); err != nil {
			return nil, fmt.Errorf("store: read flow: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
