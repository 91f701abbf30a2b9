package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// EmergencyEvent is an emergency the contact center works on (a flood, an
// earthquake): while it is open, the requests that arrive belong to it,
// and reports can be run for it.
type EmergencyEvent struct {
	ID        int64
	Name      string
	Area      []string // ISTAT codes of regioni (2 digits) and province (3 digits); empty: all Italy
	Exercise  bool     // a drill: what it produces is marked as an exercise
	StartedAt time.Time
	EndedAt   time.Time // zero while open
	OpenedBy  string
	ClosedBy  string
	CreatedAt time.Time
}

// Open reports whether the event is still open.
func (e EmergencyEvent) Open() bool { return e.EndedAt.IsZero() }

// Covers reports whether a request at t from a comune of provincia and
// regione belongs to the event: within its period and, when the event has
// an area, inside it. Requests without a comune belong to any event open
// at the time.
func (e EmergencyEvent) Covers(t time.Time, provincia, regione string) bool {
	if t.Before(e.StartedAt) || (!e.EndedAt.IsZero() && !t.Before(e.EndedAt)) {
		return false
	}
	return e.InArea(provincia, regione)
}

// InArea reports whether a provincia or regione lies in the event's area.
func (e EmergencyEvent) InArea(provincia, regione string) bool {
	if len(e.Area) == 0 || (provincia == "" && regione == "") {
		return true
	}
	return slices.Contains(e.Area, provincia) || slices.Contains(e.Area, regione)
}

// EventFor picks the event a request at t from provincia/regione belongs
// to: of the events covering it, the one that started last; if none
// covers its place, the latest event open at t whatever its area (a
// flood's contact center also hears from relatives elsewhere). It returns
// 0 when no event was open at t.
func EventFor(events []EmergencyEvent, t time.Time, provincia, regione string) int64 {
	var best, anyOpen *EmergencyEvent
	for i := range events {
		e := &events[i]
		if !e.Covers(t, "", "") {
			continue
		}
		if anyOpen == nil || e.StartedAt.After(anyOpen.StartedAt) {
			anyOpen = e
		}
		if e.InArea(provincia, regione) && (best == nil || e.StartedAt.After(best.StartedAt)) {
			best = e
		}
	}
	switch {
	case best != nil:
		return best.ID
	case anyOpen != nil:
		return anyOpen.ID
	}
	return 0
}

// Event limits.
const (
	maxEventName  = 200
	maxEventAreas = 60
)

// OpenEvent records a new emergency event, audited. The area's codes must
// be known regioni or province; StartedAt defaults to now and may be in
// the past (an event opened late) but not in the future.
func (db *DB) OpenEvent(ctx context.Context, e *EmergencyEvent, actor string) error {
	e.Name = strings.TrimSpace(e.Name)
	if e.Name == "" || utf8.RuneCountInString(e.Name) > maxEventName {
		return invalid("an event needs a name of 1 to %d characters", maxEventName)
	}
	if len(e.Area) > maxEventAreas {
		return invalid("an event's area lists at most %d regioni and province", maxEventAreas)
	}
	area := make([]string, 0, len(e.Area))
	for _, c := range e.Area {
		c = strings.TrimSpace(c)
		if !isDigits(c, 2) && !isDigits(c, 3) {
			return invalid("area code %q is neither a regione (2 digits, e.g. 08) nor a provincia (3 digits, e.g. 037)", c)
		}
		if !slices.Contains(area, c) {
			area = append(area, c)
		}
	}
	slices.Sort(area)
	e.Area = area
	if actor == "" {
		return invalid("an event needs who opened it")
	}
	return db.InTx(ctx, func(tx *Tx) error {
		for i, c := range e.Area {
			table := "regioni"
			if len(c) == 3 {
				table = "province"
			}
			var one int
			err := tx.queryRow(ctx, `SELECT 1 FROM `+table+` WHERE code = $1`, c).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) && len(c) == 3 {
				// A provincia named by its comuni's prefix (Bologna 037)
				// where the ISTAT list has the città metropolitana (237).
				var code string
				err = tx.queryRow(ctx, `SELECT MIN(provincia_code) FROM comuni WHERE code >= $1 AND code < $2
					HAVING COUNT(DISTINCT provincia_code) = 1`, c+"000", c+"999").Scan(&code)
				e.Area[i] = code
			}
			if errors.Is(err, sql.ErrNoRows) {
				return invalid("area code %s is not a known %s (ISTAT)", c, map[string]string{"regioni": "regione", "province": "provincia"}[table])
			}
			if err != nil {
				return fmt.Errorf("store: check area %s: %w", c, err)
			}
		}
		slices.Sort(e.Area)
		e.Area = slices.Compact(e.Area)
		if e.StartedAt.IsZero() {
			e.StartedAt = tx.Now
		}
		e.StartedAt = e.StartedAt.UTC().Truncate(time.Microsecond)
		if e.StartedAt.After(tx.Now) {
			return invalid("an event cannot start in the future (%s)", e.StartedAt.Format(time.RFC3339))
		}
		e.OpenedBy, e.CreatedAt, e.EndedAt, e.ClosedBy = actor, tx.Now, time.Time{}, ""
		if err := tx.queryRow(ctx, `INSERT INTO emergency_events (name, area, exercise, started_at, opened_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, e.Name, strings.Join(e.Area, ","), e.Exercise, e.StartedAt,
			actor, tx.Now).Scan(&e.ID); err != nil {
			return fmt.Errorf("store: open event: %w", err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "event.open", Object: fmt.Sprintf("event:%d", e.ID),
			Detail: map[string]any{"name": e.Name, "area": e.Area, "exercise": e.Exercise}})
	})
}

// CloseEvent ends an open event at `at` (zero: now); closing twice is
// ErrAlreadyClosed, an end before the start ErrInvalid.
func (db *DB) CloseEvent(ctx context.Context, id int64, at time.Time, actor string) (EmergencyEvent, error) {
	var e EmergencyEvent
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		if e, err = tx.event(ctx, id); err != nil {
			return err
		}
		if !e.Open() {
			return fmt.Errorf("%w: event %d %q ended at %s", ErrAlreadyClosed, id, e.Name, e.EndedAt.Format(time.RFC3339))
		}
		if at.IsZero() {
			at = tx.Now
		}
		at = at.UTC().Truncate(time.Microsecond)
		if !at.After(e.StartedAt) || at.After(tx.Now) {
			return invalid("an event ends after it started (%s) and not in the future", e.StartedAt.Format(time.RFC3339))
		}
		if _, err := tx.exec(ctx, `UPDATE emergency_events SET ended_at = $1, closed_by = $2 WHERE id = $3 AND ended_at IS NULL`,
			at, actor, id); err != nil {
			return fmt.Errorf("store: close event %d: %w", id, err)
		}
		e.EndedAt, e.ClosedBy = at, actor
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "event.close", Object: fmt.Sprintf("event:%d", id),
			Detail: map[string]any{"name": e.Name}})
	})
	return e, err
}

const eventColumns = `id, name, area, exercise, started_at, ended_at, opened_by, closed_by, created_at`

func scanEvent(sc interface{ Scan(...any) error }) (EmergencyEvent, error) {
	var e EmergencyEvent
	var area string
	err := sc.Scan(&e.ID, &e.Name, &area, &e.Exercise, nullTime{&e.StartedAt}, nullTime{&e.EndedAt}, &e.OpenedBy, &e.ClosedBy,
		nullTime{&e.CreatedAt})
	if area != "" {
		e.Area = strings.Split(area, ",")
	}
	return e, err
}

func (tx *Tx) event(ctx context.Context, id int64) (EmergencyEvent, error) {
	e, err := scanEvent(tx.queryRow(ctx, `SELECT `+eventColumns+` FROM emergency_events WHERE id = $1`, id))
	if err != nil {
		return EmergencyEvent{}, notFound(err, fmt.Sprintf("event %d", id))
	}
	return e, nil
}

// EventByID returns one event.
func (db *DB) EventByID(ctx context.Context, id int64) (EmergencyEvent, error) {
	e, err := scanEvent(db.reader().queryRow(ctx, `SELECT `+eventColumns+` FROM emergency_events WHERE id = $1`, id))
	if err != nil {
		return EmergencyEvent{}, notFound(err, fmt.Sprintf("event %d", id))
	}
	return e, nil
}

// Events lists every event, newest first; only the open ones when open is set.
func (db *DB) Events(ctx context.Context, open bool) ([]EmergencyEvent, error) {
	q := `SELECT ` + eventColumns + ` FROM emergency_events`
	if open {
		q += ` WHERE ended_at IS NULL`
	}
	rows, err := db.reader().query(ctx, q+` ORDER BY started_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: list events: %w", err)
	}
	defer rows.Close()
	var out []EmergencyEvent
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read event: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (tx *Tx) events(ctx context.Context) ([]EmergencyEvent, error) {
	rows, err := tx.query(ctx, `SELECT `+eventColumns+` FROM emergency_events ORDER BY started_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list events: %w", err)
	}
	defer rows.Close()
	var out []EmergencyEvent
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read event: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
