package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kinds of operations-room items.
const (
	OpsRescue = "rescue" // a rescue request: someone's safety is in danger
	OpsReport = "report" // a situation report: a flooded underpass, a bridge down
)

// States of an operations-room item.
const (
	OpsNew          = "new"
	OpsAcknowledged = "acknowledged"
	OpsAssigned     = "assigned"
	OpsClosed       = "closed"
)

// OpsItem is a case forwarded to the operations room, with the case and
// its place as the room reads them.
type OpsItem struct {
	ID               int64
	CaseID           int64
	Kind             string
	State            string
	Assignee         string // VVF, 118, Prefettura … once assigned
	People           int    // people involved, 0 when unknown
	Advice           string // what the operator advised the caller
	EventID          int64
	Exercise         bool
	SubmittedBy      string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	AckedAt          time.Time
	AckedBy          string
	ClosedAt         time.Time
	Escalations      int
	NextEscalationAt time.Time
	Version          int

	Case  Case
	Place OpsPlace
	// Rescue is the structured rescue request recorded on the case, nil
	// when the agent recorded none.
	Rescue *RescueDetails
}

// OpsPlace names the case's comune with its provincia and regione.
type OpsPlace struct {
	Comune, Provincia, Sigla, ProvinciaCode, Regione, RegioneCode string
}

// OpsEvent is one thing that happened to an item.
type OpsEvent struct {
	ID     int64
	ItemID int64
	At     time.Time
	Kind   string // forwarded, acknowledged, status, escalated, called, email
	Actor  string
	Detail map[string]any
}

const opsItemColumns = `i.id, i.case_id, i.kind, i.state, i.assignee, i.people, i.advice, COALESCE(i.event_id, 0), i.exercise,
	i.submitted_by, i.created_at, i.updated_at, i.acked_at, i.acked_by, i.closed_at, i.escalations, i.next_escalation_at,
	i.version,
	c.id, c.tracking_id, c.channel, c.category, c.outcome, c.urgency, c.comune_code, c.caller_type, c.contact_name,
	c.contact_phone, c.contact_email, c.address, c.lat, c.lon, c.summary, c.notes, c.status, COALESCE(c.merged_into, 0),
	COALESCE(c.site_id, 0), c.created_at, c.updated_at, c.closed_at,
	COALESCE(m.name, ''), COALESCE(p.name, ''), COALESCE(p.sigla, ''), COALESCE(p.code, ''), COALESCE(r.name, ''),
	COALESCE(r.code, ''), ` + rescueColumns

const opsItemFrom = ` FROM ops_items i JOIN cases c ON c.id = i.case_id LEFT JOIN rescue_details rd ON rd.case_id = c.id
	LEFT JOIN comuni m ON m.code = c.comune_code LEFT JOIN province p ON p.code = m.provincia_code
	LEFT JOIN regioni r ON r.code = p.regione_code`

func scanOpsItem(sc interface{ Scan(...any) error }) (OpsItem, error) {
	var it OpsItem
	c := &it.Case
	var lat, lon sql.NullFloat64
	var rs rescueScan
	dest := []any{&it.ID, &it.CaseID, &it.Kind, &it.State, &it.Assignee, &it.People, &it.Advice, &it.EventID, &it.Exercise,
		&it.SubmittedBy, nullTime{&it.CreatedAt}, nullTime{&it.UpdatedAt}, nullTime{&it.AckedAt}, &it.AckedBy,
		nullTime{&it.ClosedAt}, &it.Escalations, nullTime{&it.NextEscalationAt}, &it.Version,
		&c.ID, &c.TrackingID, &c.Channel, &c.Category, &c.Outcome, &c.Urgency, &c.ComuneCode, &c.CallerType, &c.ContactName,
		&c.ContactPhone, &c.ContactEmail, &c.Address, &lat, &lon, &c.Summary, &c.Notes, &c.Status, &c.MergedInto,
		&c.SiteID, nullTime{&c.CreatedAt}, nullTime{&c.UpdatedAt}, nullTime{&c.ClosedAt},
		&it.Place.Comune, &it.Place.Provincia, &it.Place.Sigla, &it.Place.ProvinciaCode, &it.Place.Regione, &it.Place.RegioneCode}
	err := sc.Scan(append(dest, rs.dest()...)...)
	if lat.Valid && lon.Valid {
		c.Lat, c.Lon = &lat.Float64, &lon.Float64
	}
	it.Rescue = rs.done(*c)
	return it, err
}

func (c conn) opsItem(ctx context.Context, where string, args ...any) (OpsItem, error) {
	it, err := scanOpsItem(c.queryRow(ctx, `SELECT `+opsItemColumns+opsItemFrom+` WHERE `+where, args...))
	if err != nil {
		return OpsItem{}, notFound(err, "operations-room item")
	}
	return it, nil
}

// OpsForward is a case sent to the operations room.
type OpsForward struct {
	CaseID      int64
	Kind        string // OpsRescue or OpsReport
	People      int
	Advice      string
	EventID     int64
	Exercise    bool
	SubmittedBy string
	// EscalateAt is when the item is escalated if nobody acknowledges it.
	EscalateAt time.Time
}

// ForwardOpsItem puts a case in front of the operations room inside tx:
// a new item, or — when the case was forwarded before — the same item
// updated (a rescue request outranks a situation report, a closed item
// opens again as new). It reports whether the item is new or re-opened,
// i.e. whether the room must be alerted.
func (tx *Tx) ForwardOpsItem(ctx context.Context, f OpsForward) (OpsItem, bool, error) {
	if f.Kind != OpsRescue && f.Kind != OpsReport {
		return OpsItem{}, false, invalid("operations-room item kind %q (allowed: rescue, report)", f.Kind)
	}
	if f.People < 0 || f.People > 100000 {
		return OpsItem{}, false, invalid("people %d out of range", f.People)
	}
	if f.SubmittedBy == "" {
		return OpsItem{}, false, invalid("an operations-room item needs who forwarded it")
	}
	cur, err := tx.opsItem(ctx, `i.case_id = $1`, f.CaseID)
	switch {
	case errors.Is(err, ErrNotFound):
		var id int64
		err := tx.queryRow(ctx, `INSERT INTO ops_items (case_id, kind, state, people, advice, event_id, exercise, submitted_by,
			created_at, updated_at, next_escalation_at) VALUES ($1, $2, 'new', $3, $4, $5, $6, $7, $8, $8, $9) RETURNING id`,
			f.CaseID, f.Kind, f.People, f.Advice, nullID(f.EventID), f.Exercise, f.SubmittedBy, tx.Now,
			timeArg(f.EscalateAt)).Scan(&id)
		if err != nil {
			if tx.d.isForeignKeyViolation(err) {
				return OpsItem{}, false, fmt.Errorf("%w: case %d", ErrNotFound, f.CaseID)
			}
			return OpsItem{}, false, fmt.Errorf("store: forward case %d: %w", f.CaseID, err)
		}
		it, err := tx.opsItem(ctx, `i.id = $1`, id)
		return it, true, err
	case err != nil:
		return OpsItem{}, false, err
	}
	kind := cur.Kind
	if f.Kind == OpsRescue {
		kind = OpsRescue
	}
	people := max(cur.People, f.People)
	advice := cur.Advice
	if f.Advice != "" {
		advice = f.Advice
	}
	alert := cur.State == OpsClosed
	q := `UPDATE ops_items SET kind = $1, people = $2, advice = $3, updated_at = $4, version = version + 1`
	args := []any{kind, people, advice, tx.Now}
	if alert {
		q += `, state = 'new', assignee = '', acked_at = NULL, acked_by = '', closed_at = NULL, escalations = 0,
			next_escalation_at = $5 WHERE id = $6`
		args = append(args, timeArg(f.EscalateAt), cur.ID)
	} else {
		q += ` WHERE id = $5`
		args = append(args, cur.ID)
	}
	if _, err := tx.exec(ctx, q, args...); err != nil {
		return OpsItem{}, false, fmt.Errorf("store: forward case %d again: %w", f.CaseID, err)
	}
	it, err := tx.opsItem(ctx, `i.id = $1`, cur.ID)
	return it, alert, err
}

// AckOpsItem records that a named operations-room user took the item in
// charge. An item already acknowledged is ErrConflict (the error names who
// did it); a closed one ErrAlreadyClosed.
func (tx *Tx) AckOpsItem(ctx context.Context, id int64, by string) (OpsItem, error) {
	if strings.TrimSpace(by) == "" {
		return OpsItem{}, invalid("an acknowledgement needs a named user")
	}
	res, err := tx.exec(ctx, `UPDATE ops_items SET state = 'acknowledged', acked_at = $1, acked_by = $2, updated_at = $1,
		next_escalation_at = NULL, version = version + 1 WHERE id = $3 AND state = 'new'`, tx.Now, by, id)
	if err != nil {
		return OpsItem{}, fmt.Errorf("store: acknowledge item %d: %w", id, err)
	}
	it, err := tx.opsItem(ctx, `i.id = $1`, id)
	if err != nil {
		return OpsItem{}, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		if it.State == OpsClosed {
			return it, fmt.Errorf("%w: item %d", ErrAlreadyClosed, id)
		}
		return it, fmt.Errorf("%w: item %d was already acknowledged by %s", ErrConflict, id, it.AckedBy)
	}
	return it, nil
}

// SetOpsState moves an acknowledged item on: assigned (to assignee) or
// closed. An item still new must be acknowledged first (ErrInvalid); a
// closed one is ErrAlreadyClosed.
func (tx *Tx) SetOpsState(ctx context.Context, id int64, state, assignee string) (OpsItem, error) {
	switch state {
	case OpsAssigned:
		if strings.TrimSpace(assignee) == "" {
			return OpsItem{}, invalid("say to whom the request is assigned (VVF, 118, Prefettura …)")
		}
	case OpsClosed:
	default:
		return OpsItem{}, invalid("state %q (allowed: assigned, closed)", state)
	}
	cur, err := tx.opsItem(ctx, `i.id = $1`, id)
	if err != nil {
		return OpsItem{}, err
	}
	switch cur.State {
	case OpsNew:
		return cur, invalid("item %d must be acknowledged before its status changes", id)
	case OpsClosed:
		return cur, fmt.Errorf("%w: item %d", ErrAlreadyClosed, id)
	}
	if assignee == "" {
		assignee = cur.Assignee
	}
	q := `UPDATE ops_items SET state = $1, assignee = $2, updated_at = $3, version = version + 1`
	if state == OpsClosed {
		q += `, closed_at = $3`
	}
	res, err := tx.exec(ctx, q+` WHERE id = $4 AND state <> 'closed'`, state, assignee, tx.Now, id)
	if err != nil {
		return OpsItem{}, fmt.Errorf("store: set item %d to %s: %w", id, state, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return cur, fmt.Errorf("%w: item %d", ErrAlreadyClosed, id)
	}
	return tx.opsItem(ctx, `i.id = $1`, id)
}

// EscalateOpsItem counts one more escalation of an item that is still
// new and due (its next_escalation_at not after tx.Now), and sets the next
// one. It reports false when the item was acknowledged meanwhile or is not
// due: then there is nothing to escalate.
func (tx *Tx) EscalateOpsItem(ctx context.Context, id int64, next time.Time) (OpsItem, bool, error) {
	res, err := tx.exec(ctx, `UPDATE ops_items SET escalations = escalations + 1, next_escalation_at = $1
		WHERE id = $2 AND state = 'new' AND next_escalation_at IS NOT NULL AND next_escalation_at <= $3`, next, id, tx.Now)
	if err != nil {
		return OpsItem{}, false, fmt.Errorf("store: escalate item %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	it, err := tx.opsItem(ctx, `i.id = $1`, id)
	return it, n == 1 && err == nil, err
}

// AddOpsEvent appends to an item's history inside the change's transaction.
func (tx *Tx) AddOpsEvent(ctx context.Context, e *OpsEvent) error {
	detail := "{}"
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("store: item event detail: %w", err)
		}
		detail = string(b)
	}
	if e.At.IsZero() {
		e.At = tx.Now
	}
	if err := tx.queryRow(ctx, `INSERT INTO ops_events (item_id, at, kind, actor, detail) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		e.ItemID, e.At, e.Kind, e.Actor, detail).Scan(&e.ID); err != nil {
		return fmt.Errorf("store: item %d event %s: %w", e.ItemID, e.Kind, err)
	}
	return nil
}

// OpsItemByID returns one item with its case.
func (db *DB) OpsItemByID(ctx context.Context, id int64) (OpsItem, error) {
	return db.reader().opsItem(ctx, `i.id = $1`, id)
}

// OpsItemByCase returns the item of a case, if it was forwarded.
func (db *DB) OpsItemByCase(ctx context.Context, caseID int64) (OpsItem, error) {
	return db.reader().opsItem(ctx, `i.case_id = $1`, caseID)
}

// OpsFilter selects items; unset fields do not filter.
type OpsFilter struct {
	Open         bool      // not closed
	ClosedSince  time.Time // with Open: also closed ones updated since
	UpdatedSince time.Time
	DueBy        time.Time // still new with an escalation due by then
	EventID      int64     // of this emergency event
	Limit        int       // default 500, at most 5000
}

// OpsItems lists items: unacknowledged first, rescue requests before
// situation reports, newest first.
func (db *DB) OpsItems(ctx context.Context, f OpsFilter) ([]OpsItem, error) {
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	switch {
	case f.Open && !f.ClosedSince.IsZero():
		where = append(where, `(i.state <> 'closed' OR i.updated_at >= `+arg(f.ClosedSince)+`)`)
	case f.Open:
		where = append(where, `i.state <> 'closed'`)
	}
	if !f.UpdatedSince.IsZero() {
		where = append(where, `i.updated_at >= `+arg(f.UpdatedSince))
	}
	if f.EventID != 0 {
		where = append(where, `i.event_id = `+arg(f.EventID))
	}
	if !f.DueBy.IsZero() {
		where = append(where, `i.state = 'new' AND i.next_escalation_at IS NOT NULL AND i.next_escalation_at <= `+arg(f.DueBy))
	}
	q := `SELECT ` + opsItemColumns + opsItemFrom
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	limit = min(limit, 5000)
	q += fmt.Sprintf(` ORDER BY CASE i.state WHEN 'new' THEN 0 WHEN 'closed' THEN 2 ELSE 1 END,
		CASE i.kind WHEN 'rescue' THEN 0 ELSE 1 END, i.created_at DESC, i.id DESC LIMIT %d`, limit)
	rows, err := db.reader().query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list operations-room items: %w", err)
	}
	defer rows.Close()
	var out []OpsItem
	for rows.Next() {
		it, err := scanOpsItem(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read operations-room item: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// NextOpsEscalation is when the earliest escalation falls due
// (ErrNotFound when every item is acknowledged).
func (db *DB) NextOpsEscalation(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := db.reader().queryRow(ctx, `SELECT next_escalation_at FROM ops_items WHERE state = 'new'
		AND next_escalation_at IS NOT NULL ORDER BY next_escalation_at LIMIT 1`).Scan(nullTime{&t})
	if err != nil {
		return time.Time{}, notFound(err, "escalation due")
	}
	return t, nil
}

// OpsEvents lists an item's history, oldest first.
func (db *DB) OpsEvents(ctx context.Context, itemID int64) ([]OpsEvent, error) {
	rows, err := db.reader().query(ctx, `SELECT id, item_id, at, kind, actor, detail FROM ops_events WHERE item_id = $1 ORDER BY id`,
		itemID)
	if err != nil {
		return nil, fmt.Errorf("store: history of item %d: %w", itemID, err)
	}
	defer rows.Close()
	var out []OpsEvent
	for rows.Next() {
		var e OpsEvent
		var detail string
		if err := rows.Scan(&e.ID, &e.ItemID, nullTime{&e.At}, &e.Kind, &e.Actor, &detail); err != nil {
			return nil, fmt.Errorf("store: read item event: %w", err)
		}
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, fmt.Errorf("store: item event %d detail: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Webhook delivery states.
const (
	DeliveryQueued = "queued"
	DeliverySent   = "sent"
	DeliveryFailed = "failed"
)

// OpsDelivery is one webhook call owed to a receiver: the same
// DeliveryID and payload on every attempt.
type OpsDelivery struct {
	ID            int64
	DeliveryID    string
	ItemID        int64
	EventID       int64
	Event         string // item.forwarded, item.acknowledged …
	URL           string
	Payload       []byte // JSON
	State         string
	Attempts      int
	NextAttemptAt time.Time
	LastStatus    int
	LastError     string
	CreatedAt     time.Time
	SentAt        time.Time
}

// EnqueueOpsDelivery queues a webhook call inside the transaction that made
// the change it reports, so the change and the promise to report it commit
// together.
func (tx *Tx) EnqueueOpsDelivery(ctx context.Context, d *OpsDelivery) error {
	if d.DeliveryID == "" || d.URL == "" || len(d.Payload) == 0 || d.Event == "" {
		return invalid("a webhook delivery needs an id, a URL, an event and a payload")
	}
	d.State, d.NextAttemptAt, d.CreatedAt = DeliveryQueued, tx.Now, tx.Now
	err := tx.queryRow(ctx, `INSERT INTO ops_deliveries (delivery_id, item_id, event_id, event, url, payload, state,
		next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $7) RETURNING id`,
		d.DeliveryID, d.ItemID, d.EventID, d.Event, d.URL, string(d.Payload), tx.Now).Scan(&d.ID)
	if err != nil {
		if tx.d.isUniqueViolation(err) {
			return fmt.Errorf("%w: delivery %s", ErrConflict, d.DeliveryID)
		}
		return fmt.Errorf("store: queue delivery %s: %w", d.DeliveryID, err)
	}
	return nil
}

const deliveryColumns = `id, delivery_id, item_id, event_id, event, url, payload, state, attempts, next_attempt_at,
	last_status, last_error, created_at, sent_at`

func scanDelivery(sc interface{ Scan(...any) error }) (OpsDelivery, error) {
	var d OpsDelivery
	var payload string
	err := sc.Scan(&d.ID, &d.DeliveryID, &d.ItemID, &d.EventID, &d.Event, &d.URL, &payload, &d.State, &d.Attempts,
		nullTime{&d.NextAttemptAt}, &d.LastStatus, &d.LastError, nullTime{&d.CreatedAt}, nullTime{&d.SentAt})
	d.Payload = []byte(payload)
	return d, err
}

// ClaimOpsDeliveries leases up to limit due deliveries for lease, oldest
// first, counting the attempt. A delivery stays leased until it is marked
// or the lease runs out (its worker died).
func (db *DB) ClaimOpsDeliveries(ctx context.Context, limit int, lease time.Duration) ([]OpsDelivery, error) {
	limit = max(limit, 1)
	now := db.now()
	rows, err := db.writer().query(ctx, `UPDATE ops_deliveries SET lease_until = $1, attempts = attempts + 1
		WHERE id IN (SELECT id FROM ops_deliveries WHERE state = 'queued' AND next_attempt_at <= $2
			AND (lease_until IS NULL OR lease_until < $2) ORDER BY next_attempt_at, id LIMIT $3)
		AND state = 'queued' AND (lease_until IS NULL OR lease_until < $2)
		RETURNING `+deliveryColumns, now.Add(lease), now, limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	defer rows.Close()
	var out []OpsDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read delivery: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// FinishOpsDelivery records an attempt's result: sent; queued again for
// next (retry); or failed for good (next zero and failed set).
func (db *DB) FinishOpsDelivery(ctx context.Context, id int64, state string, status int, problem string, next time.Time) error {
	var q string
	args := []any{status, problem, id}
	switch state {
	case DeliverySent:
		q = `UPDATE ops_deliveries SET state = 'sent', last_status = $1, last_error = $2, lease_until = NULL, sent_at = $4
			WHERE id = $3 AND state = 'queued'`
		args = append(args, db.now())
	case DeliveryQueued:
		q = `UPDATE ops_deliveries SET last_status = $1, last_error = $2, lease_until = NULL, next_attempt_at = $4
			WHERE id = $3 AND state = 'queued'`
		args = append(args, next)
	case DeliveryFailed:
		q = `UPDATE ops_deliveries SET state = 'failed', last_status = $1, last_error = $2, lease_until = NULL
			WHERE id = $3 AND state = 'queued'`
	default:
		return invalid("delivery state %q", state)
	}
	if _, err := db.writer().exec(ctx, q, args...); err != nil {
		return fmt.Errorf("store: record delivery %d: %w", id, err)
	}
	return nil
}

// OpsDeliveries lists webhook deliveries, newest first: all of an item's
// when itemID is set, else the latest (limit, default 100).
func (db *DB) OpsDeliveries(ctx context.Context, itemID int64, limit int) ([]OpsDelivery, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q := `SELECT ` + deliveryColumns + ` FROM ops_deliveries`
	var args []any
	if itemID != 0 {
		q += ` WHERE item_id = $1`
		args = append(args, itemID)
	}
	rows, err := db.reader().query(ctx, q+fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list deliveries: %w", err)
	}
	defer rows.Close()
	var out []OpsDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read delivery: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// OpsDeliveryCounts counts deliveries by state.
func (db *DB) OpsDeliveryCounts(ctx context.Context) (map[string]int, error) {
	return db.countByState(ctx, "ops_deliveries", "deliveries")
}

// NextOpsDeliveryDue is when the earliest queued delivery falls due
// (ErrNotFound when none waits).
func (db *DB) NextOpsDeliveryDue(ctx context.Context) (time.Time, error) {
	return db.nextDue(ctx, "ops_deliveries", "queued delivery")
}

// DispositionMarks returns the newest disposition whose case reached the
// operations room, and the newest disposition of all: the span a sweep
// after a restart must look through for forwards a crash lost.
func (db *DB) DispositionMarks(ctx context.Context) (forwarded, newest int64, err error) {
	err = db.reader().queryRow(ctx, `SELECT COALESCE((SELECT MAX(d.id) FROM dispositions d JOIN ops_items i ON i.case_id = d.case_id), 0),
		COALESCE((SELECT MAX(id) FROM dispositions), 0)`).Scan(&forwarded, &newest)
	if err != nil {
		return 0, 0, fmt.Errorf("store: disposition marks: %w", err)
	}
	return forwarded, newest, nil
}

// ForwardableDispositions lists the dispositions with ids in (after, upTo]
// that should have reached the operations room — urgency rescue, or
// outcome inoltrata-sala-operativa — but whose case has no item, oldest
// first: what a crash between saving and forwarding left behind.
func (db *DB) ForwardableDispositions(ctx context.Context, after, upTo int64, limit int) ([]Disposition, error) {
	limit = max(1, min(limit, 1000))
	rows, err := db.reader().query(ctx, fmt.Sprintf(`SELECT d.id, d.case_id, COALESCE(d.call_id, 0), COALESCE(d.user_id, 0),
		d.category, d.outcome, d.urgency, d.comune_code, d.caller_type, d.notes, d.created_at FROM dispositions d
		WHERE d.id > $1 AND d.id <= $2 AND (d.urgency = 'rescue' OR d.outcome = 'inoltrata-sala-operativa')
		AND NOT EXISTS (SELECT 1 FROM ops_items i WHERE i.case_id = d.case_id)
		ORDER BY d.id LIMIT %d`, limit), after, upTo)
	if err != nil {
		return nil, fmt.Errorf("store: dispositions to forward: %w", err)
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

// LatestDisposition returns the newest disposition of a case.
func (db *DB) LatestDisposition(ctx context.Context, caseID int64) (Disposition, error) {
	var d Disposition
	err := db.reader().queryRow(ctx, `SELECT id, case_id, COALESCE(call_id, 0), COALESCE(user_id, 0), category, outcome,
		urgency, comune_code, caller_type, notes, created_at FROM dispositions WHERE case_id = $1
		ORDER BY created_at DESC, id DESC LIMIT 1`, caseID).Scan(&d.ID, &d.CaseID, &d.CallID, &d.UserID, &d.Category,
		&d.Outcome, &d.Urgency, &d.ComuneCode, &d.CallerType, &d.Notes, nullTime{&d.CreatedAt})
	if err != nil {
		return Disposition{}, notFound(err, fmt.Sprintf("disposition of case %d", caseID))
	}
	return d, nil
}
