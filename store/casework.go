package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ascolto/ascolto/ivr"
)

// Case work: who follows a case and by when it must be answered. The
// response time of each channel is data (case_slas, in working hours);
// the site's calendar (ivr) turns it into a due time when the case opens.

// nullTimeArg is a time for a nullable column: NULL when zero.
func nullTimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// calendarOf parses a site calendar, once per text: a case opens on every
// call, and a calendar changes rarely.
func (db *DB) calendarOf(text string) (*ivr.Calendar, error) {
	if v, ok := db.calendars.Load(text); ok {
		return v.(*ivr.Calendar), nil
	}
	var site ivr.Site
	var err error
	if text == "" || text == "{}" {
		site, err = ivr.DefaultSite()
	} else {
		site, err = ivr.ParseSite([]byte(text))
	}
	if err != nil {
		return nil, err
	}
	cal, err := ivr.NewCalendar(site)
	if err != nil {
		return nil, err
	}
	db.calendars.Store(text, cal)
	return cal, nil
}

// dueTime is when a case opened at `at` on a channel must be answered:
// the channel's response time in the working hours of the case's site (the
// default site's without one); zero when the channel has none.
func (tx *Tx) dueTime(ctx context.Context, channel string, siteID int64, at time.Time) (time.Time, error) {
	var hours int
	err := tx.queryRow(ctx, `SELECT working_hours FROM case_slas WHERE channel = $1`, channel).Scan(&hours)
	if isNoRows(err) || (err == nil && hours == 0) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: response time of channel %s: %w", channel, err)
	}
	text := ""
	if siteID != 0 {
		if err := tx.queryRow(ctx, `SELECT calendar FROM sites WHERE id = $1`, siteID).Scan(&text); err != nil && !isNoRows(err) {
			return time.Time{}, fmt.Errorf("store: calendar of site %d: %w", siteID, err)
		}
	}
	cal, err := tx.db.calendarOf(text)
	if err != nil {
		// A calendar the site saved once parsed; if it no longer does,
		// the case still opens, on the default hours.
		if cal, err = tx.db.calendarOf(""); err != nil {
			return time.Time{}, fmt.Errorf("store: default calendar: %w", err)
		}
	}
	due, ok := cal.AddWorkingTime(at, time.Duration(hours)*time.Hour)
	if !ok {
		return time.Time{}, nil
	}
	return due, nil
}

// CaseSLA is the response time of one channel, in working hours (0: none).
type CaseSLA struct {
	Channel      string
	WorkingHours int
	UpdatedBy    string
	UpdatedAt    time.Time
}

// CaseSLAs lists the response time of every channel.
func (db *DB) CaseSLAs(ctx context.Context) ([]CaseSLA, error) {
	rows, err := db.reader().query(ctx, `SELECT channel, working_hours, updated_by, updated_at FROM case_slas ORDER BY channel`)
	if err != nil {
		return nil, fmt.Errorf("store: response times: %w", err)
	}
	defer rows.Close()
	var out []CaseSLA
	for rows.Next() {
		var s CaseSLA
		if err := rows.Scan(&s.Channel, &s.WorkingHours, &s.UpdatedBy, nullTime{&s.UpdatedAt}); err != nil {
			return nil, fmt.Errorf("store: read response time: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// MaxSLAHours bounds a channel's response time (a month of working days).
const MaxSLAHours = 720

// SetCaseSLA changes a channel's response time for the cases opened from
// now on, audited.
func (db *DB) SetCaseSLA(ctx context.Context, channel string, hours int, actor string) error {
	switch channel {
	case ChannelPhone, ChannelFax, ChannelWeb, ChannelEmail:
	default:
		return invalid("case channel %q (allowed: phone, fax, web, email)", channel)
	}
	if hours < 0 || hours > MaxSLAHours {
		return invalid("response time %d working hours (allowed: 0 to %d)", hours, MaxSLAHours)
	}
	return db.InTx(ctx, func(tx *Tx) error {
		var old int
		if err := tx.queryRow(ctx, `SELECT working_hours FROM case_slas WHERE channel = $1`, channel).Scan(&old); err != nil && !isNoRows(err) {
			return fmt.Errorf("store: response time of %s: %w", channel, err)
		}
		if _, err := tx.exec(ctx, `INSERT INTO case_slas (channel, working_hours, updated_by, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (channel) DO UPDATE SET working_hours = $2, updated_by = $3, updated_at = $4`,
			channel, hours, actor, tx.Now); err != nil {
			return fmt.Errorf("store: set response time of %s: %w", channel, err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "case.sla", Object: "channel:" + channel,
			Detail: map[string]any{"from": old, "to": hours}})
	})
}

// lockOpenCase touches a case's row (taking its lock on PostgreSQL) and
// returns it; a merged case is ErrInvalid.
func (tx *Tx) lockOpenCase(ctx context.Context, id int64) (Case, error) {
	if _, err := tx.exec(ctx, `UPDATE cases SET updated_at = $1 WHERE id = $2`, tx.Now, id); err != nil {
		return Case{}, fmt.Errorf("store: lock case %d: %w", id, err)
	}
	c, err := scanCase(tx.queryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1`, id))
	if err != nil {
		return Case{}, notFound(err, fmt.Sprintf("case %d", id))
	}
	if c.Status == "merged" {
		return Case{}, invalid("case %s was merged into another", c.TrackingID)
	}
	return c, nil
}

// AssignCase gives a case to a console user (owner "" leaves it to
// nobody), audited with who had it before. The owner must be an enabled user.
func (db *DB) AssignCase(ctx context.Context, id int64, owner, actor string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if owner != "" {
			var disabled bool
			err := tx.queryRow(ctx, `SELECT disabled FROM users WHERE username = $1`, owner).Scan(&disabled)
			if isNoRows(err) || disabled {
				return fmt.Errorf("%w: user %s", ErrNotFound, owner)
			}
			if err != nil {
				return fmt.Errorf("store: user %s: %w", owner, err)
			}
		}
		c, err := tx.lockOpenCase(ctx, id)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE cases SET owner = $1 WHERE id = $2`, owner, id); err != nil {
			return fmt.Errorf("store: assign case %d: %w", id, err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "case.assign", Object: fmt.Sprintf("case:%d", id),
			Detail: map[string]any{"from": c.Owner, "to": owner}})
	})
}

// SetCaseDue changes when a case must be answered (zero: no due time),
// audited with the time it replaces.
func (db *DB) SetCaseDue(ctx context.Context, id int64, due time.Time, actor string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		c, err := tx.lockOpenCase(ctx, id)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `UPDATE cases SET due_at = $1 WHERE id = $2`, nullTimeArg(due), id); err != nil {
			return fmt.Errorf("store: set due time of case %d: %w", id, err)
		}
		detail := map[string]any{"from": "", "to": ""}
		if !c.DueAt.IsZero() {
			detail["from"] = c.DueAt.UTC().Format(time.RFC3339)
		}
		if !due.IsZero() {
			detail["to"] = due.UTC().Format(time.RFC3339)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "case.due", Object: fmt.Sprintf("case:%d", id), Detail: detail})
	})
}

// DuplicateWindow is how close in time two cases from the same phone
// number or email address must be opened to be suggested as duplicates.
const DuplicateWindow = 24 * time.Hour

// PhoneKey is a phone number as duplicate suggestions compare it: without
// spaces, dashes, dots, slashes or brackets, and without Italy's prefix
// (+39 or 0039), so "+39 340 111.2233" and "(340) 111-2233" are one
// number; another country's 00 becomes +. phoneKeySQL is the same rule in
// SQL, for rows written before the key was kept.
func PhoneKey(s string) string {
	s = phoneSeparators.Replace(s)
	switch {
	case strings.HasPrefix(s, "+39"):
		return s[3:]
	case strings.HasPrefix(s, "0039"):
		return s[4:]
	case strings.HasPrefix(s, "00"):
		return "+" + s[2:]
	}
	return s
}

var phoneSeparators = strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "", "/", "")

// phoneKeySQL is PhoneKey over the contact_phone column, in SQL both
// engines speak (the migration that added the key fills it with this).
var phoneKeySQL = func() string {
	p := "contact_phone"
	for _, sep := range []string{" ", "-", ".", "(", ")", "/"} {
		p = "REPLACE(" + p + ", '" + sep + "', '')"
	}
	return "CASE WHEN " + p + " LIKE '+39%' THEN SUBSTR(" + p + ", 4) WHEN " + p + " LIKE '0039%' THEN SUBSTR(" + p + ", 5) " +
		"WHEN " + p + " LIKE '00%' THEN '+' || SUBSTR(" + p + ", 3) ELSE " + p + " END"
}()

// EmailKey is an email address as duplicate suggestions compare it:
// without surrounding spaces, in lower case (emailKeySQL in SQL).
func EmailKey(s string) string { return strings.ToLower(strings.Trim(s, " ")) }

const emailKeySQL = "LOWER(TRIM(contact_email))"

// DuplicateSuggestions lists the cases that may be the same request as c:
// not merged, opened within DuplicateWindow of it, from the same phone
// number or email address; oldest first.
func (db *DB) DuplicateSuggestions(ctx context.Context, c Case) ([]Case, error) {
	var alts []string
	args := []any{c.ID, c.CreatedAt.Add(-DuplicateWindow), c.CreatedAt.Add(DuplicateWindow)}
	if p := PhoneKey(c.ContactPhone); p != "" {
		args = append(args, p)
		alts = append(alts, fmt.Sprintf("contact_phone_key = $%d", len(args)))
	}
	if e := EmailKey(c.ContactEmail); e != "" {
		args = append(args, e)
		alts = append(alts, fmt.Sprintf("contact_email_key = $%d", len(args)))
	}
	if len(alts) == 0 {
		return nil, nil
	}
	rows, err := db.reader().query(ctx, `SELECT `+caseColumns+` FROM cases WHERE id <> $1 AND status <> 'merged'
		AND created_at >= $2 AND created_at <= $3 AND (`+strings.Join(alts, " OR ")+`) ORDER BY created_at, id LIMIT 20`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: duplicates of case %d: %w", c.ID, err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		d, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read case: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// CannedReply is a text admins keep ready for operators' email replies: it
// fills the operator's text of a mail template (Template names it).
type CannedReply struct {
	ID        int64
	Title     string
	Lang      string // it or en
	Template  string
	Body      string
	CreatedBy string
	UpdatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Canned-reply limits.
const (
	MaxCannedTitle = 120
	MaxCannedBody  = 8000
)

func (r *CannedReply) check() error {
	r.Title, r.Body, r.Template = strings.TrimSpace(r.Title), strings.TrimSpace(r.Body), strings.TrimSpace(r.Template)
	switch {
	case r.Title == "" || utf8.RuneCountInString(r.Title) > MaxCannedTitle:
		return invalid("a canned reply needs a title of 1 to %d characters", MaxCannedTitle)
	case r.Body == "" || len(r.Body) > MaxCannedBody:
		return invalid("a canned reply needs a text of 1 to %d bytes", MaxCannedBody)
	case r.Lang != "it" && r.Lang != "en":
		return invalid("canned reply language %q (allowed: it, en)", r.Lang)
	case r.Template == "":
		return invalid("a canned reply needs the email template it fills")
	}
	return nil
}

const cannedColumns = `id, title, lang, template, body, created_by, updated_by, created_at, updated_at`

func scanCanned(sc interface{ Scan(...any) error }) (CannedReply, error) {
	var r CannedReply
	err := sc.Scan(&r.ID, &r.Title, &r.Lang, &r.Template, &r.Body, &r.CreatedBy, &r.UpdatedBy,
		nullTime{&r.CreatedAt}, nullTime{&r.UpdatedAt})
	return r, err
}

// CannedReplies lists the canned replies in one language ("" every
// language), by title.
func (db *DB) CannedReplies(ctx context.Context, lang string) ([]CannedReply, error) {
	q := `SELECT ` + cannedColumns + ` FROM canned_replies`
	var args []any
	if lang != "" {
		q += ` WHERE lang = $1`
		args = append(args, lang)
	}
	rows, err := db.reader().query(ctx, q+` ORDER BY lang DESC, title, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: canned replies: %w", err)
	}
	defer rows.Close()
	var out []CannedReply
	for rows.Next() {
		r, err := scanCanned(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read canned reply: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CannedReplyByID returns one canned reply.
func (db *DB) CannedReplyByID(ctx context.Context, id int64) (CannedReply, error) {
	r, err := scanCanned(db.reader().queryRow(ctx, `SELECT `+cannedColumns+` FROM canned_replies WHERE id = $1`, id))
	if err != nil {
		return CannedReply{}, notFound(err, fmt.Sprintf("canned reply %d", id))
	}
	return r, nil
}

// SaveCannedReply creates (ID 0) or changes a canned reply, audited. A
// title already used in the same language is ErrConflict.
func (db *DB) SaveCannedReply(ctx context.Context, r *CannedReply, actor string) error {
	if err := r.check(); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *Tx) error {
		action := "canned.update"
		var err error
		if r.ID == 0 {
			action = "canned.create"
			r.CreatedBy, r.CreatedAt = actor, tx.Now
			r.UpdatedBy, r.UpdatedAt = actor, tx.Now
			err = tx.queryRow(ctx, `INSERT INTO canned_replies (title, lang, template, body, created_by, updated_by, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $5, $6, $6) RETURNING id`, r.Title, r.Lang, r.Template, r.Body, actor, tx.Now).Scan(&r.ID)
		} else {
			var res sql.Result
			res, err = tx.exec(ctx, `UPDATE canned_replies SET title = $1, lang = $2, template = $3, body = $4, updated_by = $5,
				updated_at = $6 WHERE id = $7`, r.Title, r.Lang, r.Template, r.Body, actor, tx.Now, r.ID)
			if err == nil {
				if n, _ := res.RowsAffected(); n != 1 {
					return fmt.Errorf("%w: canned reply %d", ErrNotFound, r.ID)
				}
			}
			r.UpdatedBy, r.UpdatedAt = actor, tx.Now
		}
		if err != nil {
			if tx.d.isUniqueViolation(err) {
				return fmt.Errorf("%w: a canned reply titled %q in %s", ErrConflict, r.Title, r.Lang)
			}
			return fmt.Errorf("store: save canned reply: %w", err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: action, Object: fmt.Sprintf("canned:%d", r.ID),
			Detail: map[string]any{"title": r.Title, "lang": r.Lang, "template": r.Template}})
	})
}

// DeleteCannedReply removes a canned reply, audited with its title and
// text (so what was deleted can be read back from the audit log).
func (db *DB) DeleteCannedReply(ctx context.Context, id int64, actor string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		r, err := scanCanned(tx.queryRow(ctx, `SELECT `+cannedColumns+` FROM canned_replies WHERE id = $1`, id))
		if err != nil {
			return notFound(err, fmt.Sprintf("canned reply %d", id))
		}
		if _, err := tx.exec(ctx, `DELETE FROM canned_replies WHERE id = $1`, id); err != nil {
			return fmt.Errorf("store: delete canned reply %d: %w", id, err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "canned.delete", Object: fmt.Sprintf("canned:%d", id),
			Detail: map[string]any{"title": r.Title, "lang": r.Lang, "template": r.Template, "body": r.Body}})
	})
}
