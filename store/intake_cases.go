package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ascolto/ascolto/geo"
)

// CaseQuery is what an operator types to find a case, and the case
// list's filters. Text matches a tracking id, a phone number, an email
// address, a comune (name or ISTAT code) or words in the case's summary,
// notes and timeline (email bodies, form descriptions, the OCR text of
// faxes); the other fields narrow it. Empty fields do not filter.
type CaseQuery struct {
	Text     string
	Status   string // "" any, open, closed, merged
	Category string
	Urgency  string
	Channel  string
	Comune   string // ISTAT code
	Owner    string // a user name, or OwnerNobody
	// EventID keeps the cases opened while that emergency event was open.
	EventID int64
	// Overdue keeps the open cases past their due time without an answer.
	Overdue bool
	Sort    string // "" newest first, SortDue soonest due first
	Limit   int    // default 50, at most 500
	Offset  int
}

// Case-list orders and owner filters.
const (
	SortDue     = "due"
	OwnerNobody = "-"
)

// likeEscape escapes LIKE's wildcards so the operator's text is literal.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// where builds the query's conditions, every one in SQL so the database
// filters on its indexes and pages what is left.
func (db *DB) caseWhere(ctx context.Context, q CaseQuery) (string, []any, error) {
	where := []string{"1=1"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	for _, f := range []struct{ col, v string }{{"status", q.Status}, {"category", q.Category}, {"urgency", q.Urgency},
		{"channel", q.Channel}, {"comune_code", q.Comune}} {
		if f.v != "" {
			where = append(where, f.col+" = "+arg(f.v))
		}
	}
	switch q.Owner {
	case "":
	case OwnerNobody:
		where = append(where, "owner = ''")
	default:
		where = append(where, "owner = "+arg(q.Owner))
	}
	if q.EventID != 0 {
		e, err := db.EventByID(ctx, q.EventID)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "created_at >= "+arg(e.StartedAt))
		if !e.EndedAt.IsZero() {
			where = append(where, "created_at < "+arg(e.EndedAt))
		}
	}
	if q.Overdue {
		where = append(where, "status = 'open' AND answered_at IS NULL AND due_at < "+arg(db.clock.Now()))
	}
	if text := strings.TrimSpace(q.Text); text != "" {
		lower := strings.ToLower(text)
		pat := arg("%" + likeEscape(lower) + "%")
		alts := []string{
			`LOWER(tracking_id) LIKE ` + pat + ` ESCAPE '\'`,
			`LOWER(contact_email) LIKE ` + pat + ` ESCAPE '\'`,
			`LOWER(contact_name) LIKE ` + pat + ` ESCAPE '\'`,
			`LOWER(summary) LIKE ` + pat + ` ESCAPE '\'`,
			`LOWER(notes) LIKE ` + pat + ` ESCAPE '\'`,
			`LOWER(address) LIKE ` + pat + ` ESCAPE '\'`,
			`EXISTS (SELECT 1 FROM case_contacts cc WHERE cc.case_id = cases.id AND LOWER(cc.content) LIKE ` + pat + ` ESCAPE '\')`,
		}
		if digits := phoneDigits(text); len(digits) >= 4 {
			alts = append(alts, `REPLACE(REPLACE(contact_phone, ' ', ''), '+', '') LIKE `+arg("%"+digits+"%"))
		}
		if isDigits(text, 6) {
			alts = append(alts, `comune_code = `+arg(text))
		}
		if key := geo.Normalize(text); key != "" {
			alts = append(alts, `comune_code IN (SELECT code FROM comuni WHERE search_key = `+arg(key)+
				` OR search_key_other = `+arg(key)+`)`)
		}
		where = append(where, "("+strings.Join(alts, " OR ")+")")
	}
	return strings.Join(where, " AND "), args, nil
}

// SearchCases finds cases as an operator's search box and the case list's
// filters do, newest first or soonest due first, one page at a time. A
// well-formed tracking id is looked up exactly (following merges).
func (db *DB) SearchCases(ctx context.Context, q CaseQuery) ([]Case, error) {
	text := strings.TrimSpace(q.Text)
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	if tid := strings.ToUpper(text); ValidTrackingID(tid) {
		c, err := db.CaseByTrackingID(ctx, tid)
		if err != nil {
			return nil, err
		}
		if c.Status == "merged" {
			if c, err = db.SurvivingCase(ctx, c.ID); err != nil {
				return nil, err
			}
		}
		return []Case{c}, nil
	}
	where, args, err := db.caseWhere(ctx, q)
	if err != nil {
		return nil, err
	}
	order := `created_at DESC, id DESC`
	if q.Sort == SortDue {
		// Cases with no due time last, on both engines.
		order = `CASE WHEN due_at IS NULL THEN 1 ELSE 0 END, due_at, id`
	}
	rows, err := db.reader().query(ctx, `SELECT `+caseColumns+` FROM cases WHERE `+where+
		fmt.Sprintf(` ORDER BY %s LIMIT %d OFFSET %d`, order, limit, max(q.Offset, 0)), args...)
	if err != nil {
		return nil, fmt.Errorf("store: search cases: %w", err)
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

// CountCases counts the cases a query finds (every page), for the list's
// pager. A tracking id counts as SearchCases finds it.
func (db *DB) CountCases(ctx context.Context, q CaseQuery) (int, error) {
	if ValidTrackingID(strings.ToUpper(strings.TrimSpace(q.Text))) {
		cs, err := db.SearchCases(ctx, q)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return 0, err
		}
		return len(cs), nil
	}
	where, args, err := db.caseWhere(ctx, q)
	if err != nil {
		return 0, err
	}
	var n int
	if err := db.reader().queryRow(ctx, `SELECT COUNT(*) FROM cases WHERE `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count cases: %w", err)
	}
	return n, nil
}

// phoneDigits keeps the digits of what looks like a phone number ("0862
// 123 456", "+39 0862…"), or returns "" when the text has letters.
func phoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '+' || r == '-' || r == '.' || r == '/' || r == '(' || r == ')':
		default:
			return ""
		}
	}
	return b.String()
}

// MergeCases folds the duplicate case into the one kept: its timeline,
// attachments, emails, outgoing mail, calls, dispositions, reviews and
// faxes move over, the duplicate is marked merged (so its tracking id still
// leads to the survivor), and both the note and the audit entry say who
// did it. Merging a case into itself, or into or from a merged case, is
// ErrInvalid.
func (db *DB) MergeCases(ctx context.Context, keepID, dupID int64, actor string) error {
	if keepID == dupID {
		return invalid("a case cannot be merged into itself")
	}
	return db.InTx(ctx, func(tx *Tx) error {
		var keep, dup Case
		for _, p := range []struct {
			id int64
			c  *Case
		}{{keepID, &keep}, {dupID, &dup}} {
			// Touching the row first takes its lock on PostgreSQL, so two
			// crossed merges cannot both pass the checks below.
			if _, err := tx.exec(ctx, `UPDATE cases SET updated_at = $1 WHERE id = $2`, tx.Now, p.id); err != nil {
				return fmt.Errorf("store: lock case %d: %w", p.id, err)
			}
			c, err := scanCase(tx.queryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE id = $1`, p.id))
			if err != nil {
				return notFound(err, fmt.Sprintf("case %d", p.id))
			}
			if c.Status == "merged" {
				return invalid("case %s is already merged into another", c.TrackingID)
			}
			*p.c = c
		}
		for _, table := range []string{"case_contacts", "attachments", "mail_messages", "outbox", "calls",
			"dispositions", "case_reviews", "fax_jobs"} {
			if _, err := tx.exec(ctx, `UPDATE `+table+` SET case_id = $1 WHERE case_id = $2`, keepID, dupID); err != nil {
				return fmt.Errorf("store: move %s from case %d to %d: %w", table, dupID, keepID, err)
			}
		}
		if _, err := tx.exec(ctx, `UPDATE cases SET status = 'merged', merged_into = $1, updated_at = $2, closed_at = $2
			WHERE id = $3`, keepID, tx.Now, dupID); err != nil {
			return fmt.Errorf("store: mark case %d merged: %w", dupID, err)
		}
		// Fill what the survivor lacks from the duplicate, so no detail
		// a citizen gave is lost with the merge.
		if _, err := tx.exec(ctx, `UPDATE cases SET
			contact_email_key = CASE WHEN contact_email = '' THEN $8 ELSE contact_email_key END,
			contact_phone_key = CASE WHEN contact_phone = '' THEN $9 ELSE contact_phone_key END,
			contact_email = CASE WHEN contact_email = '' THEN $1 ELSE contact_email END,
			contact_phone = CASE WHEN contact_phone = '' THEN $2 ELSE contact_phone END,
			contact_name = CASE WHEN contact_name = '' THEN $3 ELSE contact_name END,
			comune_code = CASE WHEN comune_code = '' THEN $4 ELSE comune_code END,
			address = CASE WHEN address = '' THEN $5 ELSE address END,
			owner = CASE WHEN owner = '' THEN $6 ELSE owner END
			WHERE id = $7`, dup.ContactEmail, dup.ContactPhone, dup.ContactName, dup.ComuneCode, dup.Address, dup.Owner, keepID,
			EmailKey(dup.ContactEmail), PhoneKey(dup.ContactPhone)); err != nil {
			return fmt.Errorf("store: complete case %d from %d: %w", keepID, dupID, err)
		}
		note := &Contact{CaseID: keepID, Channel: ChannelNote, Direction: "internal", Author: actor,
			Content: fmt.Sprintf("Pratica %s unita a questa / case %s merged into this one", dup.TrackingID, dup.TrackingID)}
		if err := tx.AddContact(ctx, note); err != nil {
			return err
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "case.merge", Object: fmt.Sprintf("case:%d", keepID),
			Detail: map[string]any{"merged": dup.TrackingID, "into": keep.TrackingID}})
	})
}

// Review is a reason an operator must look at a case before trusting it.
type Review struct {
	ID         int64
	CaseID     int64
	Reason     string
	CreatedAt  time.Time
	ResolvedAt time.Time
	ResolvedBy string
}

// FlagForReview records why a case needs an operator's look, inside the
// transaction that stored what prompted it.
func (tx *Tx) FlagForReview(ctx context.Context, caseID int64, reason string) error {
	if reason == "" {
		return invalid("a review needs a reason")
	}
	if _, err := tx.exec(ctx, `INSERT INTO case_reviews (case_id, reason, created_at) VALUES ($1, $2, $3)`,
		caseID, reason, tx.Now); err != nil {
		if tx.d.isForeignKeyViolation(err) {
			return fmt.Errorf("%w: case %d", ErrNotFound, caseID)
		}
		return fmt.Errorf("store: flag case %d for review: %w", caseID, err)
	}
	return nil
}

// Reviews lists a case's review flags, oldest first.
func (db *DB) Reviews(ctx context.Context, caseID int64) ([]Review, error) {
	rows, err := db.reader().query(ctx, `SELECT id, case_id, reason, created_at, resolved_at, resolved_by
		FROM case_reviews WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: reviews of case %d: %w", caseID, err)
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		var r Review
		if err := rows.Scan(&r.ID, &r.CaseID, &r.Reason, nullTime{&r.CreatedAt}, nullTime{&r.ResolvedAt}, &r.ResolvedBy); err != nil {
			return nil, fmt.Errorf("store: read review: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ResolveReview marks a review flag as dealt with; resolving twice is
// ErrAlreadyClosed.
func (db *DB) ResolveReview(ctx context.Context, id int64, actor string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE case_reviews SET resolved_at = $1, resolved_by = $2 WHERE id = $3 AND resolved_at IS NULL`,
			tx.Now, actor, id)
		if err != nil {
			return fmt.Errorf("store: resolve review %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			var caseID int64
			if err := tx.queryRow(ctx, `SELECT case_id FROM case_reviews WHERE id = $1`, id).Scan(&caseID); err != nil {
				return notFound(err, fmt.Sprintf("review %d", id))
			}
			return fmt.Errorf("%w: review %d", ErrAlreadyClosed, id)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "review.resolve", Object: fmt.Sprintf("review:%d", id)})
	})
}

// TimelineEntry is one contact of a case with what came with it: its
// files, and for an email its Message-ID and, when it went out, its
// delivery state.
type TimelineEntry struct {
	Contact
	Attachments []Attachment
	Mail        *MailMessage
	Outbox      *OutboxMessage
}

// CaseTimeline is everything the case view shows: the case, every contact
// on every channel in order with its files and mail state, files that
// belong to no contact, and the review flags.
type CaseTimeline struct {
	Case     Case
	Entries  []TimelineEntry
	Unlinked []Attachment
	Reviews  []Review
}

// FullTimeline assembles a case's timeline across channels.
func (db *DB) FullTimeline(ctx context.Context, caseID int64) (CaseTimeline, error) {
	var out CaseTimeline
	var err error
	if out.Case, err = db.CaseByID(ctx, caseID); err != nil {
		return CaseTimeline{}, err
	}
	contacts, err := db.Timeline(ctx, caseID)
	if err != nil {
		return CaseTimeline{}, err
	}
	atts, err := db.Attachments(ctx, caseID)
	if err != nil {
		return CaseTimeline{}, err
	}
	mails, err := db.MailMessages(ctx, caseID)
	if err != nil {
		return CaseTimeline{}, err
	}
	outs, err := db.OutboxByCase(ctx, caseID)
	if err != nil {
		return CaseTimeline{}, err
	}
	if out.Reviews, err = db.Reviews(ctx, caseID); err != nil {
		return CaseTimeline{}, err
	}
	index := map[int64]int{}
	for _, c := range contacts {
		index[c.ID] = len(out.Entries)
		out.Entries = append(out.Entries, TimelineEntry{Contact: c})
	}
	for _, a := range atts {
		if i, ok := index[a.ContactID]; ok && a.ContactID != 0 {
			out.Entries[i].Attachments = append(out.Entries[i].Attachments, a)
		} else {
			out.Unlinked = append(out.Unlinked, a)
		}
	}
	for i := range mails {
		if j, ok := index[mails[i].ContactID]; ok && mails[i].ContactID != 0 {
			out.Entries[j].Mail = &mails[i]
		}
	}
	for i := range outs {
		if j, ok := index[outs[i].ContactID]; ok && outs[i].ContactID != 0 {
			out.Entries[j].Outbox = &outs[i]
		}
	}
	return out, nil
}
