package store

import (
	"context"
	"fmt"
	"time"
)

// Site is a contact-center location with its own calendar.
type Site struct {
	ID        int64
	Code      string
	Name      string
	Timezone  string
	Calendar  string // JSON understood by the ivr package's calendar
	CreatedAt time.Time
}

// Sites lists every site by code.
func (db *DB) Sites(ctx context.Context) ([]Site, error) {
	rows, err := db.reader().query(ctx, `SELECT id, code, name, timezone, calendar, created_at FROM sites ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("store: list sites: %w", err)
	}
	defer rows.Close()
	var out []Site
	for rows.Next() {
		var s Site
		if err := rows.Scan(&s.ID, &s.Code, &s.Name, &s.Timezone, &s.Calendar, nullTime{&s.CreatedAt}); err != nil {
			return nil, fmt.Errorf("store: read site: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SiteByCode returns one site.
func (db *DB) SiteByCode(ctx context.Context, code string) (Site, error) {
	var s Site
	err := db.reader().queryRow(ctx, `SELECT id, code, name, timezone, calendar, created_at FROM sites WHERE code = $1`, code).
		Scan(&s.ID, &s.Code, &s.Name, &s.Timezone, &s.Calendar, nullTime{&s.CreatedAt})
	if err != nil {
		return Site{}, notFound(err, "site "+code)
	}
	return s, nil
}

// SaveSite creates a site or updates the one with the same code, audited.
func (db *DB) SaveSite(ctx context.Context, s *Site, actor string) error {
	if s.Code == "" || s.Name == "" {
		return invalid("a site needs a code and a name")
	}
	if s.Timezone == "" {
		s.Timezone = "Europe/Rome"
	}
	if _, err := time.LoadLocation(s.Timezone); err != nil {
		return invalid("time zone %q is unknown", s.Timezone)
	}
	if s.Calendar == "" {
		s.Calendar = "{}"
	}
	return db.InTx(ctx, func(tx *Tx) error {
		err := tx.queryRow(ctx, `INSERT INTO sites (code, name, timezone, calendar, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (code) DO UPDATE SET name = $2, timezone = $3, calendar = $4 RETURNING id`,
			s.Code, s.Name, s.Timezone, s.Calendar, tx.Now).Scan(&s.ID)
		if err != nil {
			return fmt.Errorf("store: save site %s: %w", s.Code, err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "site.save", Object: "site:" + s.Code,
			Detail: map[string]any{"name": s.Name, "timezone": s.Timezone}})
	})
}
