package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ascolto/ascolto/geo"
)

// Case channels: where a contact came from.
const (
	ChannelPhone = "phone"
	ChannelFax   = "fax"
	ChannelWeb   = "web"
	ChannelEmail = "email"
	ChannelNote  = "note"
)

// Case is a request from a citizen or an organisation, on any channel,
// followed to its outcome under one tracking id.
type Case struct {
	ID           int64
	TrackingID   string
	Channel      string
	Category     string
	Outcome      string
	Urgency      string
	ComuneCode   string
	CallerType   string
	ContactName  string
	ContactPhone string
	ContactEmail string
	Address      string
	Lat, Lon     *float64
	Summary      string
	Notes        string
	Status       string // open, closed, merged
	MergedInto   int64
	SiteID       int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ClosedAt     time.Time
	// Owner is the console user who follows the case ("" for nobody).
	Owner string
	// DueAt is when the case must have been answered (zero: no due
	// time); AnsweredAt when an operator first answered the citizen.
	DueAt, AnsweredAt time.Time
}

// Overdue reports whether an open case has passed its due time without
// an answer.
func (c Case) Overdue(now time.Time) bool {
	return c.Status == "open" && c.AnsweredAt.IsZero() && !c.DueAt.IsZero() && now.After(c.DueAt)
}

const caseColumns = `id, tracking_id, channel, category, outcome, urgency, comune_code, caller_type,
	contact_name, contact_phone, contact_email, address, lat, lon, summary, notes, status,
	COALESCE(merged_into, 0), COALESCE(site_id, 0), created_at, updated_at, closed_at, owner, due_at, answered_at`

func scanCase(sc interface{ Scan(...any) error }) (Case, error) {
	var c Case
	var lat, lon sql.NullFloat64
	err := sc.Scan(&c.ID, &c.TrackingID, &c.Channel, &c.Category, &c.Outcome, &c.Urgency, &c.ComuneCode, &c.CallerType,
		&c.ContactName, &c.ContactPhone, &c.ContactEmail, &c.Address, &lat, &lon, &c.Summary, &c.Notes, &c.Status,
		&c.MergedInto, &c.SiteID, nullTime{&c.CreatedAt}, nullTime{&c.UpdatedAt}, nullTime{&c.ClosedAt},
		&c.Owner, nullTime{&c.DueAt}, nullTime{&c.AnsweredAt})
	if lat.Valid && lon.Valid {
		c.Lat, c.Lon = &lat.Float64, &lon.Float64
	}
	return c, err
}

var trackingIDPattern = regexp.MustCompile(`^CC-(\d{4})-(\d{6,})$`)

// ValidTrackingID reports whether s has the shape CC-YYYY-NNNNNN.
func ValidTrackingID(s string) bool { return trackingIDPattern.MatchString(s) }

// nextTrackingID numbers cases per calendar year (Italian time), so a
// citizen's id tells the year it was opened.
func (tx *Tx) nextTrackingID(ctx context.Context) (string, error) {
	year := tx.Now.In(tx.db.loc).Year()
	var n int64
	err := tx.queryRow(ctx, `INSERT INTO tracking_counters (year, last) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET last = tracking_counters.last + 1 RETURNING last`, year).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("store: next tracking id: %w", err)
	}
	return fmt.Sprintf("CC-%d-%06d", year, n), nil
}

func (c *Case) check() error {
	switch c.Channel {
	case ChannelPhone, ChannelFax, ChannelWeb, ChannelEmail:
	default:
		return invalid("case channel %q (allowed: phone, fax, web, email)", c.Channel)
	}
	if c.Urgency == "" {
		c.Urgency = UrgencyNone
	}
	if !validUrgency(c.Urgency) {
		return invalid("urgency %q (allowed: none, elevated, rescue)", c.Urgency)
	}
	if c.ComuneCode != "" && !isDigits(c.ComuneCode, 6) {
		return invalid("comune code %q is not a 6-digit ISTAT code", c.ComuneCode)
	}
	if (c.Lat == nil) != (c.Lon == nil) {
		return invalid("coordinates need both latitude and longitude")
	}
	if c.Lat != nil && !geo.ValidPoint(*c.Lat, *c.Lon) {
		return invalid("coordinates %v,%v are not latitude and longitude in degrees", *c.Lat, *c.Lon)
	}
	return nil
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// CreateCase opens a case with a new tracking id, in its own transaction.
func (db *DB) CreateCase(ctx context.Context, c *Case) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.CreateCase(ctx, c) })
}

// CreateCase opens a case inside tx; it sets ID, TrackingID and times.
func (tx *Tx) CreateCase(ctx context.Context, c *Case) error {
	if err := c.check(); err != nil {
		return err
	}
	tid, err := tx.nextTrackingID(ctx)
	if err != nil {
		return err
	}
	c.TrackingID, c.Status, c.CreatedAt, c.UpdatedAt = tid, "open", tx.Now, tx.Now
	if c.DueAt, err = tx.dueTime(ctx, c.Channel, c.SiteID, tx.Now); err != nil {
		return err
	}
	err = tx.queryRow(ctx, `INSERT INTO cases (tracking_id, channel, category, outcome, urgency, comune_code, caller_type,
		contact_name, contact_phone, contact_email, address, lat, lon, summary, notes, status, site_id, created_at, updated_at,
		owner, due_at, contact_phone_key, contact_email_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'open', $16, $17, $17, $18, $19, $20, $21) RETURNING id`,
		c.TrackingID, c.Channel, c.Category, c.Outcome, c.Urgency, c.ComuneCode, c.CallerType,
		c.ContactName, c.ContactPhone, c.ContactEmail, c.Address, c.Lat, c.Lon, c.Summary, c.Notes,
		nullID(c.SiteID), tx.Now, c.Owner, nullTimeArg(c.DueAt), PhoneKey(c.ContactPhone), EmailKey(c.ContactEmail)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("store: create case: %w", err)
	}
	return nil
}

// CaseByTrackingID returns the case a citizen or operator quotes.
func (db *DB) CaseByTrackingID(ctx context.Context, tid string) (Case, error) {
	tid = strings.ToUpper(strings.TrimSpace(tid))
	if !ValidTrackingID(tid) {
		return Case{}, invalid("tracking id %q is not of the form CC-YYYY-NNNNNN", tid)
	}
	c, err := scanCase(db.reader().queryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE tracking_id = $1`, tid))
	if err != nil {
		return Case{}, notFound(err, "case "+tid)
	}
	return c, nil
}

// CaseByID returns a case by its internal id.
func (db *DB) CaseByID(ctx context.Context, id int64) (Case, error) {
	c, err := scanCase(db.reader().queryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1`, id))
	if err != nil {
		return Case{}, notFound(err, fmt.Sprintf("case %d", id))
	}
	return c, nil
}

// CaseFilter selects cases; unset fields do not filter.
type CaseFilter struct {
	Phone      *string
	Email      *string
	ComuneCode *string
	Urgency    *string
	Status     *string
	Since      *time.Time
	Limit      int
}

// Cases lists cases matching f, newest first.
func (db *DB) Cases(ctx context.Context, f CaseFilter) ([]Case, error) {
	q := `SELECT ` + caseColumns + ` FROM cases WHERE 1=1`
	var args []any
	for _, p := range []struct {
		col string
		v   *string
	}{{"contact_phone", f.Phone}, {"contact_email", f.Email}, {"comune_code", f.ComuneCode},
		{"urgency", f.Urgency}, {"status", f.Status}} {
		if p.v != nil {
			args = append(args, *p.v)
			q += fmt.Sprintf(" AND %s = $%d", p.col, len(args))
		}
	}
	if f.Since != nil {
		args = append(args, *f.Since)
		q += fmt.Sprintf(" AND created_at >= $%d", len(args))
	}
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 100
	}
	q += fmt.Sprintf(" ORDER BY created_at DESC, id DESC LIMIT %d", limit)
	rows, err := db.reader().query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list cases: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read case: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CloseCase closes an open case with its outcome; closing twice is ErrAlreadyClosed.
func (db *DB) CloseCase(ctx context.Context, id int64, outcome, actor string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE cases SET status = 'closed', outcome = $1, closed_at = $2, updated_at = $2
			WHERE id = $3 AND status = 'open'`, outcome, tx.Now, id)
		if err != nil {
			return fmt.Errorf("store: close case %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var status string
			if err := tx.queryRow(ctx, `SELECT status FROM cases WHERE id = $1`, id).Scan(&status); err != nil {
				return notFound(err, fmt.Sprintf("case %d", id))
			}
			return fmt.Errorf("%w: case %d is %s", ErrAlreadyClosed, id, status)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "case.close", Object: fmt.Sprintf("case:%d", id),
			Detail: map[string]any{"outcome": outcome}})
	})
}

// Contact is one entry of a case's timeline.
type Contact struct {
	ID        int64
	CaseID    int64
	At        time.Time
	Channel   string // phone, fax, web, email, note
	Direction string // in, out, internal
	Author    string
	Content   string
	CallID    int64
	// Answer marks an operator's answer to the citizen (not an automatic
	// acknowledgement): the first one meets the case's due time.
	Answer bool
}

// AddContact appends to a case's timeline.
func (tx *Tx) AddContact(ctx context.Context, c *Contact) error {
	switch c.Channel {
	case ChannelPhone, ChannelFax, ChannelWeb, ChannelEmail, ChannelNote:
	default:
		return invalid("contact channel %q", c.Channel)
	}
	if c.Direction == "" {
		c.Direction = "in"
	}
	if c.At.IsZero() {
		c.At = tx.Now
	}
	err := tx.queryRow(ctx, `INSERT INTO case_contacts (case_id, at, channel, direction, author, content, call_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		c.CaseID, c.At, c.Channel, c.Direction, c.Author, c.Content, nullID(c.CallID)).Scan(&c.ID)
	if err != nil {
		if tx.d.isForeignKeyViolation(err) {
			return fmt.Errorf("%w: case %d", ErrNotFound, c.CaseID)
		}
		return fmt.Errorf("store: add contact to case %d: %w", c.CaseID, err)
	}
	if c.Answer {
		_, err = tx.exec(ctx, `UPDATE cases SET updated_at = $1, answered_at = COALESCE(answered_at, $1) WHERE id = $2`, tx.Now, c.CaseID)
	} else {
		_, err = tx.exec(ctx, `UPDATE cases SET updated_at = $1 WHERE id = $2`, tx.Now, c.CaseID)
	}
	return err
}

// Timeline lists a case's contacts in order.
func (db *DB) Timeline(ctx context.Context, caseID int64) ([]Contact, error) {
	rows, err := db.reader().query(ctx, `SELECT id, case_id, at, channel, direction, author, content, COALESCE(call_id, 0)
		FROM case_contacts WHERE case_id = $1 ORDER BY at, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: timeline of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var c Contact
		if err := rows.Scan(&c.ID, &c.CaseID, nullTime{&c.At}, &c.Channel, &c.Direction, &c.Author, &c.Content, &c.CallID); err != nil {
			return nil, fmt.Errorf("store: read contact: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Disposition is what an operator recorded at the end of a contact.
type Disposition struct {
	ID         int64
	CaseID     int64
	CallID     int64
	UserID     int64
	Category   string
	Outcome    string
	Urgency    string
	ComuneCode string
	CallerType string
	Notes      string
	CreatedAt  time.Time
	// Rescue is the structured rescue request the agent filled in, saved
	// with the disposition (nil: none; the urgency alone marks a rescue).
	Rescue *RescueDetails
}

// SaveDisposition records an operator's disposition and carries its fields
// onto the case, with an audit entry, in one transaction.
func (db *DB) SaveDisposition(ctx context.Context, d *Disposition, actor string) error {
	if d.Urgency == "" {
		d.Urgency = UrgencyNone
	}
	if !validUrgency(d.Urgency) {
		return invalid("urgency %q (allowed: none, elevated, rescue)", d.Urgency)
	}
	if d.ComuneCode != "" && !isDigits(d.ComuneCode, 6) {
		return invalid("comune code %q is not a 6-digit ISTAT code", d.ComuneCode)
	}
	return db.InTx(ctx, func(tx *Tx) error {
		d.CreatedAt = tx.Now
		err := tx.queryRow(ctx, `INSERT INTO dispositions (case_id, call_id, user_id, category, outcome, urgency, comune_code,
			caller_type, notes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			d.CaseID, nullID(d.CallID), nullID(d.UserID), d.Category, d.Outcome, d.Urgency, d.ComuneCode,
			d.CallerType, d.Notes, tx.Now).Scan(&d.ID)
		if err != nil {
			if tx.d.isForeignKeyViolation(err) {
				return fmt.Errorf("%w: case %d, call %d or user %d", ErrNotFound, d.CaseID, d.CallID, d.UserID)
			}
			return fmt.Errorf("store: save disposition: %w", err)
		}
		if _, err := tx.exec(ctx, `UPDATE cases SET category = $1, outcome = $2, urgency = $3, comune_code = $4,
			caller_type = $5, updated_at = $6 WHERE id = $7`,
			d.Category, d.Outcome, d.Urgency, d.ComuneCode, d.CallerType, tx.Now, d.CaseID); err != nil {
			return fmt.Errorf("store: update case %d from disposition: %w", d.CaseID, err)
		}
		if d.Rescue != nil {
			d.Rescue.CaseID = d.CaseID
			if err := tx.saveRescue(ctx, d.Rescue, actor); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "disposition.save", Object: fmt.Sprintf("case:%d", d.CaseID),
			Detail: map[string]any{"category": d.Category, "outcome": d.Outcome, "urgency": d.Urgency}})
	})
}

// Dispositions lists what was recorded on a case, oldest first.
func (db *DB) Dispositions(ctx context.Context, caseID int64) ([]Disposition, error) {
	rows, err := db.reader().query(ctx, `SELECT id, case_id, COALESCE(call_id, 0), COALESCE(user_id, 0), category, outcome,
		urgency, comune_code, caller_type, notes, created_at FROM dispositions WHERE case_id = $1 ORDER BY created_at, id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: dispositions of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []Disposition
	for rows.Next() {
		var d Disposition
		if err := rows.Scan(&d.ID, &d.CaseID, &d.CallID, &d.UserID, &d.Category, &d.Outcome, &d.Urgency,
			&d.ComuneCode, &d.CallerType, &d.Notes, nullTime{&d.CreatedAt}); err != nil {
			return nil, fmt.Errorf("store: read disposition: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
