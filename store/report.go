package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Reports read counts that are kept up to date as cases are written,
// instead of counting millions of cases per question. report_facts holds,
// per case, the attributes last counted; RollUp compares each changed case
// with its fact and moves its count in the rollups (report_rollup: 15-min
// and hourly buckets by provincia, one dimension per row; report_comuni:
// Italian days by comune). A case examined twice changes nothing, so the
// worker may look again at a window of time as often as it likes.

// Report dimensions: what requests are counted by.
const (
	DimChannel    = "channel"
	DimCategory   = "category"
	DimOutcome    = "outcome"
	DimCallerType = "caller_type"
	DimUrgency    = "urgency"
)

// ReportDims lists the dimensions kept in the rollups.
var ReportDims = []string{DimChannel, DimCategory, DimOutcome, DimCallerType, DimUrgency}

// Rollup grains in seconds.
const (
	Grain15m  = 900
	GrainHour = 3600
)

// lockReportRollup serialises rollup passes across processes.
const lockReportRollup = 7421010

// reportFact is a case as last counted.
type reportFact struct {
	caseID                                            int64
	atS                                               int64
	day                                               int
	eventID, siteID                                   int64
	mode, channel, category, outcome, callerType, urg string
	comune, provincia, regione                        string
	counted                                           bool
	trackingID, status                                string
	lat, lon                                          sql.NullFloat64
}

func (f reportFact) dim(d string) string {
	switch d {
	case DimChannel:
		return f.channel
	case DimCategory:
		return f.category
	case DimOutcome:
		return f.outcome
	case DimCallerType:
		return f.callerType
	case DimUrgency:
		return f.urg
	}
	return ""
}

type rollKey struct {
	grain                     int
	eventID, siteID, bucket   int64
	dim, mode, val, provincia string
}

type comuniKey struct {
	eventID, siteID        int64
	day                    int
	dim, mode, val, comune string
}

type totalKey struct {
	grain               int
	eventID, bucket     int64
	dim, val, provincia string
}

// deltas accumulates count changes before they are written.
type deltas struct {
	roll   map[rollKey]int64
	totals map[totalKey]int64
	comuni map[comuniKey]int64
}

func (ds *deltas) add(f reportFact, n int64) {
	if !f.counted {
		return
	}
	for _, d := range ReportDims {
		v := f.dim(d)
		for _, g := range []int{Grain15m, GrainHour} {
			k := rollKey{grain: g, eventID: f.eventID, siteID: f.siteID, bucket: f.atS - f.atS%int64(g), dim: d,
				mode: f.mode, val: v, provincia: f.provincia}
			ds.roll[k] += n
			ds.totals[totalKey{grain: g, eventID: f.eventID, bucket: k.bucket, dim: d, val: v, provincia: f.provincia}] += n
		}
		ds.comuni[comuniKey{eventID: f.eventID, siteID: f.siteID, day: f.day, dim: d, mode: f.mode, val: v, comune: f.comune}] += n
	}
}

// modeSpan is one operating-mode change as the rollup reads it.
type modeSpan struct {
	mode         string
	setAt, until time.Time
}

// modeAt is the operating mode in force at t, as CurrentMode decides it.
func modeAt(spans []modeSpan, t time.Time) string {
	for i := len(spans) - 1; i >= 0; i-- {
		s := spans[i]
		if s.setAt.After(t) {
			continue
		}
		if s.until.IsZero() || s.until.After(t) {
			return s.mode
		}
	}
	return ModeOrdinary
}

// RollResult says what a rollup pass did.
type RollResult struct {
	Examined int       // cases looked at
	Changed  int       // cases whose counts moved
	Cursor   time.Time // where the worker has got to
	More     bool      // the pass stopped at its limit: call again
	lastID   int64
}

// RollUp examines up to limit cases updated since the worker's cursor,
// oldest first, moves their counts, and advances the cursor, in one
// transaction that holds the rollup lock (two processes never count a
// case twice).
func (db *DB) RollUp(ctx context.Context, limit int) (RollResult, error) {
	var res RollResult
	err := db.InTx(ctx, func(tx *Tx) error {
		if err := tx.lock(ctx, lockReportRollup); err != nil {
			return err
		}
		var at time.Time
		var id int64
		err := tx.queryRow(ctx, `SELECT updated_at, case_id FROM report_cursor WHERE id = 1`).Scan(nullTime{&at}, &id)
		if err != nil && !isNoRows(err) {
			return fmt.Errorf("store: read report cursor: %w", err)
		}
		res, err = tx.rollPage(ctx, at, id, time.Time{}, limit)
		if err != nil || res.Examined == 0 {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO report_cursor (id, updated_at, case_id) VALUES (1, $1, $2)
			ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, case_id = excluded.case_id`,
			res.Cursor, res.lastID); err != nil {
			return fmt.Errorf("store: move report cursor: %w", err)
		}
		return nil
	})
	return res, err
}

// RollUpWindow examines again every case updated from since up to the
// cursor: a transaction on PostgreSQL may commit after a later one the
// worker has already passed, and this finds what it wrote. The cursor
// does not move.
func (db *DB) RollUpWindow(ctx context.Context, since time.Time) (RollResult, error) {
	var total RollResult
	at, id := since, int64(0)
	for {
		var res RollResult
		err := db.InTx(ctx, func(tx *Tx) error {
			if err := tx.lock(ctx, lockReportRollup); err != nil {
				return err
			}
			var until time.Time
			var cid int64
			err := tx.queryRow(ctx, `SELECT updated_at, case_id FROM report_cursor WHERE id = 1`).Scan(nullTime{&until}, &cid)
			if isNoRows(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("store: read report cursor: %w", err)
			}
			res, err = tx.rollPage(ctx, at, id, until, 2000)
			at, id = res.Cursor, res.lastID
			return err
		})
		if err != nil {
			return total, err
		}
		total.Examined += res.Examined
		total.Changed += res.Changed
		if !res.More {
			return total, nil
		}
	}
}

// ResetReports forgets every fact, count and the cursor: the next passes
// count every case again from the start (after a change of how cases are
// attached to events, or to rebuild from scratch).
func (db *DB) ResetReports(ctx context.Context, actor string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if err := tx.lock(ctx, lockReportRollup); err != nil {
			return err
		}
		for _, t := range []string{"report_facts", "report_rollup", "report_totals", "report_comuni", "report_cursor"} {
			if _, err := tx.exec(ctx, `DELETE FROM `+t); err != nil {
				return fmt.Errorf("store: reset %s: %w", t, err)
			}
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "report.reset", Object: "reports"})
	})
}

// ReportLag is how far behind the rollups are: the cursor's time (zero
// before the first pass) and how many cases were updated after it.
func (db *DB) ReportLag(ctx context.Context) (time.Time, int64, error) {
	var at time.Time
	var id int64
	err := db.reader().queryRow(ctx, `SELECT updated_at, case_id FROM report_cursor WHERE id = 1`).Scan(nullTime{&at}, &id)
	if err != nil && !isNoRows(err) {
		return time.Time{}, 0, fmt.Errorf("store: read report cursor: %w", err)
	}
	var n int64
	if at.IsZero() {
		err = db.reader().queryRow(ctx, `SELECT COUNT(*) FROM cases`).Scan(&n)
	} else {
		err = db.reader().queryRow(ctx, `SELECT COUNT(*) FROM cases WHERE (updated_at, id) > ($1, $2)`, at, id).Scan(&n)
	}
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("store: report lag: %w", err)
	}
	return at, n, nil
}

// rollPage is one page of a pass: cases after (at, id) in (updated_at,
// id) order, up to until when set.
func (tx *Tx) rollPage(ctx context.Context, at time.Time, id int64, until time.Time, limit int) (RollResult, error) {
	limit = max(1, min(limit, 20000))
	res := RollResult{Cursor: at, lastID: id}
	q := `SELECT c.id, c.created_at, c.updated_at, c.channel, c.category, c.outcome, c.caller_type, c.urgency, c.comune_code,
		COALESCE(p.code, ''), COALESCE(p.regione_code, ''), COALESCE(c.site_id, 0), c.status, c.tracking_id, c.lat, c.lon
		FROM cases c LEFT JOIN comuni m ON m.code = c.comune_code LEFT JOIN province p ON p.code = m.provincia_code`
	var where []string
	var args []any
	if !at.IsZero() {
		args = append(args, at, id)
		// A row comparison, so that both engines walk cases_updated from
		// the cursor instead of filtering it from the start.
		where = append(where, `(c.updated_at, c.id) > ($1, $2)`)
	}
	if !until.IsZero() {
		args = append(args, until)
		where = append(where, fmt.Sprintf(`c.updated_at <= $%d`, len(args)))
	}
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(` ORDER BY c.updated_at, c.id LIMIT %d`, limit+1)
	// One statement at a time: a transaction's connection serves one
	// result set.
	events, err := tx.events(ctx)
	if err != nil {
		return res, err
	}
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return res, fmt.Errorf("store: read cases to count: %w", err)
	}
	var facts []reportFact
	for rows.Next() {
		if len(facts) == limit {
			res.More = true
			break
		}
		var f reportFact
		var created, updated time.Time
		if err := rows.Scan(&f.caseID, nullTime{&created}, nullTime{&updated}, &f.channel, &f.category, &f.outcome,
			&f.callerType, &f.urg, &f.comune, &f.provincia, &f.regione, &f.siteID, &f.status, &f.trackingID, &f.lat,
			&f.lon); err != nil {
			rows.Close()
			return res, fmt.Errorf("store: read case to count: %w", err)
		}
		f.atS = created.Unix()
		f.day = dayNumber(created.In(tx.db.loc))
		f.eventID = EventFor(events, created, f.provincia, f.regione)
		f.counted = f.status != "merged"
		if !f.lat.Valid || !f.lon.Valid {
			f.lat, f.lon = sql.NullFloat64{}, sql.NullFloat64{}
		}
		facts = append(facts, f)
		res.Cursor, res.lastID = updated, f.caseID
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return res, fmt.Errorf("store: read cases to count: %w", err)
	}
	rows.Close()
	res.Examined = len(facts)
	if len(facts) == 0 {
		return res, nil
	}
	spans, err := tx.modeSpans(ctx)
	if err != nil {
		return res, err
	}
	for i := range facts {
		facts[i].mode = modeAt(spans, time.Unix(facts[i].atS, 0))
	}
	old, err := tx.facts(ctx, facts)
	if err != nil {
		return res, err
	}
	ds := deltas{roll: map[rollKey]int64{}, totals: map[totalKey]int64{}, comuni: map[comuniKey]int64{}}
	var changed []reportFact
	for _, f := range facts {
		prev, seen := old[f.caseID]
		if seen && prev == f {
			continue
		}
		if seen {
			ds.add(prev, -1)
		}
		ds.add(f, 1)
		changed = append(changed, f)
	}
	res.Changed = len(changed)
	if err := tx.writeFacts(ctx, changed); err != nil {
		return res, err
	}
	return res, tx.writeDeltas(ctx, ds)
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// dayNumber is a calendar day as YYYYMMDD.
func dayNumber(t time.Time) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }

func (tx *Tx) modeSpans(ctx context.Context) ([]modeSpan, error) {
	rows, err := tx.query(ctx, `SELECT mode, set_at, until_at FROM mode_changes ORDER BY set_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: read mode changes: %w", err)
	}
	defer rows.Close()
	var out []modeSpan
	for rows.Next() {
		var s modeSpan
		if err := rows.Scan(&s.mode, nullTime{&s.setAt}, nullTime{&s.until}); err != nil {
			return nil, fmt.Errorf("store: read mode change: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

const factColumns = `case_id, at_s, day, event_id, site_id, mode, channel, category, outcome, caller_type, urgency,
	comune_code, provincia_code, regione_code, counted, tracking_id, status, lat, lon`

// facts reads the facts of the given cases.
func (tx *Tx) facts(ctx context.Context, of []reportFact) (map[int64]reportFact, error) {
	out := make(map[int64]reportFact, len(of))
	chunk := tx.paramBudget()
	for start := 0; start < len(of); start += chunk {
		part := of[start:min(start+chunk, len(of))]
		ph := make([]string, len(part))
		args := make([]any, len(part))
		for i, f := range part {
			ph[i] = fmt.Sprintf("$%d", i+1)
			args[i] = f.caseID
		}
		rows, err := tx.query(ctx, `SELECT `+factColumns+` FROM report_facts WHERE case_id IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: read report facts: %w", err)
		}
		for rows.Next() {
			var f reportFact
			if err := rows.Scan(&f.caseID, &f.atS, &f.day, &f.eventID, &f.siteID, &f.mode, &f.channel, &f.category, &f.outcome,
				&f.callerType, &f.urg, &f.comune, &f.provincia, &f.regione, &f.counted, &f.trackingID, &f.status, &f.lat,
				&f.lon); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: read report fact: %w", err)
			}
			out[f.caseID] = f
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: read report facts: %w", err)
		}
	}
	return out, nil
}

// paramBudget is how many parameters one statement should carry. SQLite
// (modernc) binds numbered parameters by looking each name up in a list,
// in time that grows with their number: past a hundred or two, binding
// costs more than the round trips saved. PostgreSQL gains from large
// statements up to its 65,535-parameter limit.
func (tx *Tx) paramBudget() int {
	if tx.d.name == postgres {
		return 6000
	}
	return 150
}

// upsert writes rows with multi-row INSERT … ON CONFLICT statements.
func (tx *Tx) upsert(ctx context.Context, head, conflict string, width, n int, row func(i int) []any) error {
	chunk := max(1, tx.paramBudget()/width)
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		var sb strings.Builder
		sb.WriteString(head)
		args := make([]any, 0, (end-start)*width)
		for i := start; i < end; i++ {
			if i > start {
				sb.WriteString(",")
			}
			sb.WriteString("(")
			for j := range width {
				if j > 0 {
					sb.WriteString(",")
				}
				fmt.Fprintf(&sb, "$%d", len(args)+j+1)
			}
			sb.WriteString(")")
			args = append(args, row(i)...)
		}
		sb.WriteString(conflict)
		if _, err := tx.exec(ctx, sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) writeFacts(ctx context.Context, fs []reportFact) error {
	err := tx.upsert(ctx, `INSERT INTO report_facts (`+factColumns+`) VALUES `,
		` ON CONFLICT (case_id) DO UPDATE SET at_s = excluded.at_s, day = excluded.day, event_id = excluded.event_id,
		site_id = excluded.site_id, mode = excluded.mode, channel = excluded.channel, category = excluded.category,
		outcome = excluded.outcome, caller_type = excluded.caller_type, urgency = excluded.urgency,
		comune_code = excluded.comune_code, provincia_code = excluded.provincia_code, regione_code = excluded.regione_code,
		counted = excluded.counted, tracking_id = excluded.tracking_id, status = excluded.status, lat = excluded.lat,
		lon = excluded.lon`, 19, len(fs), func(i int) []any {
			f := fs[i]
			return []any{f.caseID, f.atS, f.day, f.eventID, f.siteID, f.mode, f.channel, f.category, f.outcome, f.callerType,
				f.urg, f.comune, f.provincia, f.regione, f.counted, f.trackingID, f.status, f.lat, f.lon}
		})
	if err != nil {
		return fmt.Errorf("store: write report facts: %w", err)
	}
	return nil
}

func (tx *Tx) writeDeltas(ctx context.Context, ds deltas) error {
	roll := changed(ds.roll, func(a, b rollKey) int {
		return cmp.Or(cmp.Compare(a.grain, b.grain), cmp.Compare(a.eventID, b.eventID), cmp.Compare(a.dim, b.dim),
			cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.val, b.val), cmp.Compare(a.provincia, b.provincia),
			cmp.Compare(a.siteID, b.siteID), cmp.Compare(a.mode, b.mode))
	})
	err := tx.upsert(ctx, `INSERT INTO report_rollup (grain, event_id, dim, bucket, site_id, mode, val, provincia_code, n) VALUES `,
		` ON CONFLICT (grain, event_id, dim, bucket, val, provincia_code, site_id, mode) DO UPDATE SET n = report_rollup.n + excluded.n`,
		9, len(roll), func(i int) []any {
			k := roll[i]
			return []any{k.grain, k.eventID, k.dim, k.bucket, k.siteID, k.mode, k.val, k.provincia, ds.roll[k]}
		})
	if err != nil {
		return fmt.Errorf("store: write report rollup: %w", err)
	}
	tot := changed(ds.totals, func(a, b totalKey) int {
		return cmp.Or(cmp.Compare(a.grain, b.grain), cmp.Compare(a.eventID, b.eventID), cmp.Compare(a.dim, b.dim),
			cmp.Compare(a.bucket, b.bucket), cmp.Compare(a.val, b.val), cmp.Compare(a.provincia, b.provincia))
	})
	err = tx.upsert(ctx, `INSERT INTO report_totals (grain, event_id, dim, bucket, val, provincia_code, n) VALUES `,
		` ON CONFLICT (grain, event_id, dim, bucket, val, provincia_code) DO UPDATE SET n = report_totals.n + excluded.n`,
		7, len(tot), func(i int) []any {
			k := tot[i]
			return []any{k.grain, k.eventID, k.dim, k.bucket, k.val, k.provincia, ds.totals[k]}
		})
	if err != nil {
		return fmt.Errorf("store: write report totals: %w", err)
	}
	com := changed(ds.comuni, func(a, b comuniKey) int {
		return cmp.Or(cmp.Compare(a.eventID, b.eventID), cmp.Compare(a.dim, b.dim), cmp.Compare(a.day, b.day),
			cmp.Compare(a.val, b.val), cmp.Compare(a.comune, b.comune), cmp.Compare(a.siteID, b.siteID), cmp.Compare(a.mode, b.mode))
	})
	err = tx.upsert(ctx, `INSERT INTO report_comuni (event_id, dim, day, site_id, mode, val, comune_code, n) VALUES `,
		` ON CONFLICT (event_id, dim, day, val, comune_code, site_id, mode) DO UPDATE SET n = report_comuni.n + excluded.n`,
		8, len(com), func(i int) []any {
			k := com[i]
			return []any{k.eventID, k.dim, k.day, k.siteID, k.mode, k.val, k.comune, ds.comuni[k]}
		})
	if err != nil {
		return fmt.Errorf("store: write report comuni: %w", err)
	}
	return nil
}

// changed lists the keys whose count moved, in the primary key's order: two
// writers then take their row locks in the same order.
func changed[K comparable](m map[K]int64, order func(a, b K) int) []K {
	out := make([]K, 0, len(m))
	for k, n := range m {
		if n != 0 {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, order)
	return out
}

// AnalyzeReports refreshes the database's statistics of the report tables,
// which the planner needs to read them well after a large change.
func (db *DB) AnalyzeReports(ctx context.Context) error {
	for _, t := range []string{"report_facts", "report_rollup", "report_totals", "report_comuni"} {
		if _, err := db.writer().exec(ctx, "ANALYZE "+t); err != nil {
			return fmt.Errorf("store: analyze %s: %w", t, err)
		}
	}
	return nil
}
