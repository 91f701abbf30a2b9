package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// CountSource says which table a count is read from; the report package
// picks the cheapest one that can answer a question.
type CountSource int

// Count sources, cheapest first.
const (
	FromRollup15m  CountSource = iota // report_rollup, 15-minute buckets by provincia, one dimension
	FromRollupHour                    // report_rollup, hourly buckets by provincia, one dimension
	FromComuni                        // report_comuni, Italian days by comune, one dimension
	FromFacts                         // report_facts, one row per case: any combination
)

// Geographic levels a count can be grouped or filtered by.
const (
	GeoRegione   = "regione"
	GeoProvincia = "provincia"
	GeoComune    = "comune"
)

// CountQuery asks for request counts.
type CountQuery struct {
	Source   CountSource
	From, To time.Time // [From, To); FromComuni reads whole Italian days From..To-1ns
	EventID  int64     // 0: any
	SiteID   int64     // 0: any
	Mode     string    // "": any
	// Dim is the dimension the rollups are read for (DimChannel for plain
	// totals: every request has exactly one channel).
	Dim string
	// Where keeps only the listed values of a dimension or a geographic
	// level (GeoRegione, GeoProvincia, GeoComune).
	Where map[string][]string
	// GroupBy lists dimensions and geographic levels, in output order.
	GroupBy []string
	// Bucket groups by time: seconds (900, 3600) for the rollups and the
	// facts; ByDay groups by Italian calendar day (comuni and facts).
	Bucket int64
	ByDay  bool
	// Groups, when set, is told how many groups are coming before the
	// first is handed over, where the store knows (the rollups), so the
	// caller can make room for them at once.
	Groups func(n int)
}

// CountRow is one group: its time bucket (Unix seconds of its start, or
// YYYYMMDD with ByDay; 0 without time grouping), its keys in GroupBy order,
// and how many requests.
type CountRow struct {
	Bucket int64
	Keys   []string
	N      int64
}

// countColumns maps dimensions and levels to a source's SQL.
func countColumn(src CountSource, name, dim string) (string, error) {
	isDim := slices.Contains(ReportDims, name)
	switch src {
	case FromRollup15m, FromRollupHour:
		switch {
		case isDim && name == dim:
			return "r.val", nil
		case name == GeoProvincia:
			return "r.provincia_code", nil
		case name == GeoRegione:
			return "COALESCE(p.regione_code, '')", nil
		}
	case FromComuni:
		switch {
		case isDim && name == dim:
			return "r.val", nil
		case name == GeoComune:
			return "r.comune_code", nil
		case name == GeoProvincia:
			return "COALESCE(m.provincia_code, '')", nil
		case name == GeoRegione:
			return "COALESCE(p.regione_code, '')", nil
		}
	case FromFacts:
		switch {
		case isDim:
			return "r." + name, nil
		case name == GeoComune, name == GeoProvincia, name == GeoRegione:
			return "r." + name + "_code", nil
		}
	}
	return "", invalid("cannot count by %q from this source", name)
}

func usesRegione(q CountQuery) bool {
	_, ok := q.Where[GeoRegione]
	return ok || slices.Contains(q.GroupBy, GeoRegione)
}

// Counts runs q and hands each group to fn, ordered by bucket then keys.
func (db *DB) Counts(ctx context.Context, q CountQuery, fn func(CountRow) error) error {
	var from, timeCol string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	var where []string
	switch q.Source {
	case FromRollup15m, FromRollupHour:
		grain := Grain15m
		if q.Source == FromRollupHour {
			grain = GrainHour
		}
		from = `report_rollup r`
		if q.SiteID == 0 && q.Mode == "" {
			from = `report_totals r` // every site and mode together
		}
		if usesRegione(q) { // the join only when the regione is asked for
			from += ` LEFT JOIN province p ON p.code = r.provincia_code`
		}
		where = append(where, `r.grain = `+arg(grain), `r.dim = `+arg(q.Dim))
		timeCol = "r.bucket"
	case FromComuni:
		from = `report_comuni r LEFT JOIN comuni m ON m.code = r.comune_code LEFT JOIN province p ON p.code = m.provincia_code`
		where = append(where, `r.dim = `+arg(q.Dim))
	case FromFacts:
		from = `report_facts r`
		where = append(where, `r.counted`)
		timeCol = "r.at_s"
	default:
		return invalid("count source %d", q.Source)
	}
	if q.Source != FromFacts && !slices.Contains(ReportDims, q.Dim) {
		return invalid("dimension %q (allowed: %s)", q.Dim, strings.Join(ReportDims, ", "))
	}
	if q.Source == FromComuni {
		fromDay, toDay := dayNumber(q.From.In(db.loc)), dayNumber(q.To.Add(-time.Nanosecond).In(db.loc))
		where = append(where, `r.day >= `+arg(fromDay), `r.day <= `+arg(toDay))
	} else {
		where = append(where, timeCol+` >= `+arg(q.From.Unix()), timeCol+` < `+arg(q.To.Unix()))
	}
	if q.EventID != 0 {
		where = append(where, `r.event_id = `+arg(q.EventID))
	}
	if q.SiteID != 0 {
		where = append(where, `r.site_id = `+arg(q.SiteID))
	}
	if q.Mode != "" {
		where = append(where, `r.mode = `+arg(q.Mode))
	}
	names := make([]string, 0, len(q.Where))
	for k := range q.Where {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		col, err := countColumn(q.Source, name, q.Dim)
		if err != nil {
			return err
		}
		vals := q.Where[name]
		if len(vals) == 0 {
			continue
		}
		ph := make([]string, len(vals))
		for i, v := range vals {
			ph[i] = arg(v)
		}
		where = append(where, col+` IN (`+strings.Join(ph, ",")+`)`)
	}
	var sel, group []string
	switch {
	case q.ByDay && q.Source == FromComuni:
		sel = append(sel, "r.day")
	case q.ByDay && q.Source == FromFacts:
		sel = append(sel, "r.day")
	case q.ByDay:
		return invalid("days are counted from the comuni or the facts, not the hourly rollup")
	case q.Bucket > 0 && q.Source == FromRollup15m && q.Bucket == Grain15m,
		q.Bucket > 0 && q.Source == FromRollupHour && q.Bucket == GrainHour:
		// The rollup's own buckets: grouped by the column itself, in the
		// primary key's order, so no sort is needed.
		sel = append(sel, timeCol)
	case q.Bucket > 0 && q.Source != FromComuni:
		sel = append(sel, fmt.Sprintf("(%s / %d) * %d", timeCol, q.Bucket, q.Bucket))
	case q.Bucket > 0:
		return invalid("the comuni counts have no buckets shorter than a day")
	default:
		sel = append(sel, "0")
	}
	if sel[0] != "0" { // a constant would read as a column position
		group = append(group, sel[0])
	}
	for _, g := range q.GroupBy {
		col, err := countColumn(q.Source, g, q.Dim)
		if err != nil {
			return err
		}
		sel = append(sel, col)
		group = append(group, col)
	}
	if q.Source != FromFacts {
		// One event's totals, grouped by all their columns, are one row
		// per group already.
		unique := q.Source != FromComuni && q.SiteID == 0 && q.Mode == "" && q.EventID != 0 && sel[0] == timeCol &&
			slices.Contains(q.GroupBy, q.Dim) && slices.Contains(q.GroupBy, GeoProvincia) && len(q.GroupBy) == 2
		return db.sumRollup(ctx, `SELECT `+strings.Join(sel, ", ")+`, r.n FROM `+from+` WHERE `+strings.Join(where, " AND "),
			args, len(q.GroupBy), unique, q.Groups, fn)
	}
	stmt := `SELECT ` + strings.Join(sel, ", ") + `, COUNT(*) FROM ` + from + ` WHERE ` + strings.Join(where, " AND ")
	if len(group) > 0 {
		stmt += ` GROUP BY ` + strings.Join(group, ", ") + ` ORDER BY ` + strings.Join(group, ", ")
	}
	rows, err := db.reader().query(ctx, stmt, args...)
	if err != nil {
		return fmt.Errorf("store: count requests: %w", err)
	}
	defer rows.Close()
	keys := make([]string, len(q.GroupBy))
	dest := make([]any, 0, len(keys)+2)
	var bucket, n int64
	dest = append(dest, &bucket)
	for i := range keys {
		dest = append(dest, &keys[i])
	}
	dest = append(dest, &n)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("store: read count: %w", err)
		}
		if err := fn(CountRow{Bucket: bucket, Keys: slices.Clone(keys), N: n}); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: count requests: %w", err)
	}
	return nil
}

// sumRollup reads rollup rows as they lie and sums them by bucket and
// keys here: the rows of a question are few enough to hold, and summing
// them as they stream costs both engines less than grouping and sorting
// them (PostgreSQL spills that sort to disk with its default work_mem).
// Groups are handed to fn by bucket, then keys.
func (db *DB) sumRollup(ctx context.Context, stmt string, args []any, width int, unique bool, announce func(int), fn func(CountRow) error) error {
	if width > maxGroupBy {
		return invalid("at most %d fields to group by", maxGroupBy)
	}
	// Values repeat (a few categories, a hundred province): each is kept
	// once and groups are keyed by small numbers, read without allocating.
	ids := map[string]uint32{}
	var vals []string
	intern := func(b []byte) uint32 {
		if id, ok := ids[string(b)]; ok {
			return id
		}
		id := uint32(len(vals))
		vals = append(vals, string(b))
		ids[vals[id]] = id
		return id
	}
	type slot struct {
		bucket int64
		keys   [maxGroupBy]uint32
	}
	type group struct {
		slot
		n int64
	}
	var groups []group
	index := map[slot]int{} // unused when each row is its own group
	err := db.rawRows(ctx, stmt, args, width, func(bucket int64, raw [][]byte, n int64) {
		k := slot{bucket: bucket}
		for i, b := range raw {
			k.keys[i] = intern(b)
		}
		if !unique {
			if i, ok := index[k]; ok {
				groups[i].n += n
				return
			}
			index[k] = len(groups)
		}
		groups = append(groups, group{slot: k, n: n})
	})
	if err != nil {
		return fmt.Errorf("store: count requests: %w", err)
	}
	// Values are compared by their rank, found once.
	order := make([]uint32, len(vals))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return strings.Compare(vals[a], vals[b]) })
	rank := make([]uint32, len(vals))
	for r, id := range order {
		rank[id] = uint32(r)
	}
	if len(vals) <= 1<<16 {
		// Ranks fit in 16 bits and keys are at most four: one number
		// compares a group's keys (a third of the sort's time at half a
		// million groups, against looking each rank up).
		type sortKey struct {
			bucket int64
			packed uint64
			at     int
		}
		sks := make([]sortKey, len(groups))
		for gi := range groups {
			var p uint64
			for i := range width {
				p = p<<16 | uint64(rank[groups[gi].keys[i]])
			}
			sks[gi] = sortKey{groups[gi].bucket, p, gi}
		}
		slices.SortFunc(sks, func(a, b sortKey) int {
			if a.bucket != b.bucket {
				return cmp.Compare(a.bucket, b.bucket)
			}
			return cmp.Compare(a.packed, b.packed)
		})
		sorted := make([]group, len(groups))
		for i, k := range sks {
			sorted[i] = groups[k.at]
		}
		groups = sorted
	} else {
		slices.SortFunc(groups, func(a, b group) int {
			if a.bucket != b.bucket {
				return cmp.Compare(a.bucket, b.bucket)
			}
			for i := range width {
				if ra, rb := rank[a.keys[i]], rank[b.keys[i]]; ra != rb {
					return cmp.Compare(ra, rb)
				}
			}
			return 0
		})
	}
	if announce != nil {
		announce(len(groups))
	}
	keys := make([]string, len(groups)*width)
	for gi, g := range groups {
		if g.n == 0 {
			continue // everything counted there moved away
		}
		row := keys[gi*width : (gi+1)*width : (gi+1)*width]
		for i := range width {
			row[i] = vals[g.keys[i]]
		}
		if err := fn(CountRow{Bucket: g.bucket, Keys: row, N: g.n}); err != nil {
			return err
		}
	}
	return nil
}

// maxGroupBy bounds the fields a count is grouped by.
const maxGroupBy = 4

// RequestRow is one request as the exports write it: no personal data.
type RequestRow struct {
	CaseID        int64
	TrackingID    string
	At            time.Time
	Channel       string
	Category      string
	Outcome       string
	CallerType    string
	Urgency       string
	Status        string
	ComuneCode    string
	Comune        string
	ProvinciaCode string
	Sigla         string
	RegioneCode   string
	Regione       string
	Lat, Lon      *float64
	EventID       int64
	SiteID        int64
	Mode          string
	// The structured rescue request, when the agent recorded one: its
	// hazard ("" for none), people and vulnerable people (codes joined by
	// spaces). The place in words and the callback number are personal
	// data and are not exported.
	Hazard     string
	People     int
	Vulnerable string
}

// streamPage is how many requests one statement of StreamRequests reads.
var streamPage = 20000

// StreamRequests hands every counted request matching q's period and
// filters (its Source, grouping and Dim are ignored) to fn in time order,
// reading them from the facts alone a page at a time, from where the last
// page ended: memory stays flat whatever the number, and the first rows
// come at once. Times are to the second. With placed set, only requests
// a map can place: with coordinates or a comune.
func (db *DB) StreamRequests(ctx context.Context, q CountQuery, placed bool, fn func(*RequestRow) error) error {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := []string{`r.counted`, `r.at_s >= ` + arg(q.From.Unix()), `r.at_s < ` + arg(q.To.Unix())}
	if q.EventID != 0 {
		where = append(where, `r.event_id = `+arg(q.EventID))
	}
	if q.SiteID != 0 {
		where = append(where, `r.site_id = `+arg(q.SiteID))
	}
	if q.Mode != "" {
		where = append(where, `r.mode = `+arg(q.Mode))
	}
	names := make([]string, 0, len(q.Where))
	for k := range q.Where {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		col, err := countColumn(FromFacts, name, "")
		if err != nil {
			return err
		}
		if vals := q.Where[name]; len(vals) > 0 {
			ph := make([]string, len(vals))
			for i, v := range vals {
				ph[i] = arg(v)
			}
			where = append(where, col+` IN (`+strings.Join(ph, ",")+`)`)
		}
	}
	if placed {
		where = append(where, `((r.lat IS NOT NULL AND r.lon IS NOT NULL) OR r.comune_code <> '')`)
	}
	page := streamPage
	base := `SELECT r.at_s, r.case_id, r.tracking_id, r.channel, r.category, r.outcome, r.caller_type,
		r.urgency, r.status, r.comune_code, COALESCE(m.name, ''), r.provincia_code, COALESCE(p.sigla, ''), r.regione_code,
		COALESCE(g.name, ''), r.lat, r.lon, r.event_id, r.site_id, r.mode, COALESCE(rd.hazard, ''), COALESCE(rd.people, 0),
		COALESCE(rd.children, FALSE), COALESCE(rd.elderly, FALSE), COALESCE(rd.disabled, FALSE), COALESCE(rd.medical, FALSE)
		FROM report_facts r LEFT JOIN comuni m ON m.code = r.comune_code
		LEFT JOIN rescue_details rd ON rd.case_id = r.case_id
		LEFT JOIN province p ON p.code = r.provincia_code LEFT JOIN regioni g ON g.code = r.regione_code
		WHERE ` + strings.Join(where, " AND ")
	after := fmt.Sprintf(` AND (r.at_s, r.case_id) > ($%d, $%d)`, len(args)+1, len(args)+2)
	tail := fmt.Sprintf(` ORDER BY r.at_s, r.case_id LIMIT %d`, page)
	var row RequestRow
	var lat, lon sql.NullFloat64
	var atS int64
	var vuln [4]bool
	started := false
	for {
		stmt, a := base+tail, args
		if started {
			stmt, a = base+after+tail, append(append([]any{}, args...), atS, row.CaseID)
		}
		rows, err := db.reader().query(ctx, stmt, a...)
		if err != nil {
			return fmt.Errorf("store: stream requests: %w", err)
		}
		n := 0
		for rows.Next() {
			if err := rows.Scan(&atS, &row.CaseID, &row.TrackingID, &row.Channel, &row.Category, &row.Outcome,
				&row.CallerType, &row.Urgency, &row.Status, &row.ComuneCode, &row.Comune, &row.ProvinciaCode, &row.Sigla,
				&row.RegioneCode, &row.Regione, &lat, &lon, &row.EventID, &row.SiteID, &row.Mode, &row.Hazard, &row.People,
				&vuln[0], &vuln[1], &vuln[2], &vuln[3]); err != nil {
				rows.Close()
				return fmt.Errorf("store: read request: %w", err)
			}
			n++
			row.At = time.Unix(atS, 0).UTC()
			row.Vulnerable = RescueDetails{Children: vuln[0], Elderly: vuln[1], Disabled: vuln[2], Medical: vuln[3]}.vulnerableText()
			row.Lat, row.Lon = nil, nil
			if lat.Valid && lon.Valid {
				la, lo := lat.Float64, lon.Float64
				row.Lat, row.Lon = &la, &lo
			}
			if err := fn(&row); err != nil {
				rows.Close()
				return err
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("store: stream requests: %w", err)
		}
		if n < page {
			return nil
		}
		started = true
	}
}

// ComunePoint is where a comune's geolocated requests are, on average.
type ComunePoint struct {
	Lat, Lon float64
	N        int64
}

// ComunePoints averages the coordinates of the geolocated requests
// matching q's period and filters, by comune: a point for comuni whose
// shape is not loaded.
func (db *DB) ComunePoints(ctx context.Context, q CountQuery) (map[string]ComunePoint, error) {
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := []string{`r.counted`, `r.comune_code <> ''`, `r.lat IS NOT NULL`, `r.lon IS NOT NULL`,
		`r.at_s >= ` + arg(q.From.Unix()), `r.at_s < ` + arg(q.To.Unix())}
	if q.EventID != 0 {
		where = append(where, `r.event_id = `+arg(q.EventID))
	}
	if q.SiteID != 0 {
		where = append(where, `r.site_id = `+arg(q.SiteID))
	}
	if q.Mode != "" {
		where = append(where, `r.mode = `+arg(q.Mode))
	}
	rows, err := db.reader().query(ctx, `SELECT r.comune_code, AVG(r.lat), AVG(r.lon), COUNT(*) FROM report_facts r
		WHERE `+strings.Join(where, " AND ")+` GROUP BY r.comune_code`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: comune points: %w", err)
	}
	defer rows.Close()
	out := map[string]ComunePoint{}
	for rows.Next() {
		var code string
		var p ComunePoint
		if err := rows.Scan(&code, &p.Lat, &p.Lon, &p.N); err != nil {
			return nil, fmt.Errorf("store: read comune point: %w", err)
		}
		out[code] = p
	}
	return out, rows.Err()
}
