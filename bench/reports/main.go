// Command reports measures the report figures of issue 7 on this machine,
// through the real store and report packages, on generated data:
//
//   - a 30-day flood of N requests (default 10 million on PostgreSQL, 1
//     million on SQLite), 85% of them from the flooded region, written
//     straight into the cases table (COPY on PostgreSQL);
//   - the rollup worker counting them all (cases/s);
//   - the issue's question, category × provincia × hour for the event
//     (target: under 1 s on PostgreSQL with 10 million, under 2 s on
//     SQLite with 1 million), and a few others the dashboard asks;
//   - the CSV export of every request, streamed, with the heap sampled
//     while it runs (it must stay flat);
//
// and checks the report's totals against an independent GROUP BY on the
// cases. Each run uses a fresh PostgreSQL schema (dropped at the end) or
// a SQLite file in a temporary directory.
//
//	go run ./bench/reports -db postgres://postgres@127.0.0.1:5432/ascolto_test -contacts 10000000
//	go run ./bench/reports -db "" -contacts 1000000
//
// With -keep the PostgreSQL schema stays, and -reuse SCHEMA asks the
// questions again on it without generating (minutes instead of half an
// hour at ten million).
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/report"
	"github.com/ascolto/ascolto/store"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

func main() {
	dbURL := flag.String("db", envOr("ASCOLTO_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ascolto_test"),
		"PostgreSQL URL (a fresh schema is made in it); empty = SQLite in a temp dir")
	n := flag.Int("contacts", 0, "requests to generate (default 10,000,000 on PostgreSQL, 1,000,000 on SQLite)")
	days := flag.Int("days", 30, "length of the flood in days")
	runs := flag.Int("runs", 7, "times each question is asked")
	keep := flag.Bool("keep", false, "keep the schema or file afterwards")
	reuse := flag.String("reuse", "", "PostgreSQL: ask the questions again on a schema kept by -keep, without generating")
	flag.Parse()
	if *reuse != "" {
		if err := again(*dbURL, *reuse, *runs); err != nil {
			fmt.Fprintln(os.Stderr, "bench/reports:", err)
			os.Exit(1)
		}
		return
	}
	if *n == 0 {
		*n = 10_000_000
		if *dbURL == "" {
			*n = 1_000_000
		}
	}
	if err := run(*dbURL, *n, *days, *runs, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench/reports:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

type target struct {
	db      *store.DB
	raw     *sql.DB
	url     string // PostgreSQL with search_path, or ""
	path    string // SQLite file
	cleanup func()
}

func open(ctx context.Context, dbURL string, keep bool) (*target, error) {
	if dbURL == "" {
		dir, err := os.MkdirTemp("", "bench-reports")
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, "ascolto.db")
		db, err := store.Open(store.Options{SQLitePath: path})
		if err != nil {
			return nil, err
		}
		raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
		if err != nil {
			return nil, err
		}
		raw.SetMaxOpenConns(1)
		return &target{db: db, raw: raw, path: path, cleanup: func() {
			raw.Close()
			db.Close()
			if !keep {
				os.RemoveAll(dir)
			} else {
				fmt.Println("kept", path)
			}
		}}, nil
	}
	admin, err := sql.Open("pgx", dbURL)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 4)
	rand.Read(b)
	schema := "bench_reports_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		return nil, fmt.Errorf("create schema: %w", err)
	}
	u, _ := url.Parse(dbURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := store.Open(store.Options{URL: u.String()})
	if err != nil {
		return nil, err
	}
	raw, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, err
	}
	return &target{db: db, raw: raw, url: u.String(), cleanup: func() {
		raw.Close()
		db.Close()
		if !keep {
			admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		} else {
			fmt.Println("kept schema", schema)
		}
		admin.Close()
	}}, nil
}

func run(dbURL string, n, days, runs int, keep bool) error {
	ctx := context.Background()
	tg, err := open(ctx, dbURL, keep)
	if err != nil {
		return err
	}
	defer tg.cleanup()
	engine := tg.db.Engine()
	fmt.Printf("bench/reports on %s, %d CPUs, %s, %s requests over %d days\n", engine, runtime.NumCPU(),
		time.Now().Format("2006-01-02"), thousands(int64(n)), days)
	if _, err := tg.db.Migrate(ctx); err != nil {
		return err
	}
	ds, err := geo.Snapshot()
	if err != nil {
		return err
	}
	if _, _, err := tg.db.SeedGeo(ctx, ds); err != nil {
		return err
	}
	// The flood: 30 days, over, in Emilia-Romagna.
	end := time.Now().Truncate(time.Hour).Add(-time.Hour)
	start := end.Add(-time.Duration(days) * 24 * time.Hour)
	flood := store.EmergencyEvent{Name: "Alluvione Emilia-Romagna (bench)", Area: []string{"08"}, StartedAt: start}
	if err := tg.db.OpenEvent(ctx, &flood, "bench"); err != nil {
		return err
	}
	if _, err := tg.db.CloseEvent(ctx, flood.ID, end, "bench"); err != nil {
		return err
	}

	t0 := time.Now()
	g, err := newGenerator(ctx, tg.db, start, days)
	if err != nil {
		return err
	}
	if tg.url != "" {
		err = g.copyPostgres(ctx, tg.url, n)
	} else {
		err = g.insertSQLite(ctx, tg.raw, n)
	}
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	gen := time.Since(t0)
	fmt.Printf("generated        %s requests in %s (%s/s)\n", thousands(int64(n)), gen.Round(time.Second), thousands(int64(float64(n)/gen.Seconds())))
	if tg.url != "" {
		tg.raw.ExecContext(ctx, "ANALYZE cases")
	}

	svc := report.New(report.Options{Store: tg.db})
	t0 = time.Now()
	counted, err := svc.CatchUp(ctx)
	if err != nil {
		return fmt.Errorf("roll up: %w", err)
	}
	roll := time.Since(t0)
	fmt.Printf("rollup worker    %s cases counted in %s (%s cases/s)\n", thousands(int64(counted)), roll.Round(time.Second),
		thousands(int64(float64(counted)/roll.Seconds())))
	var rollRows, comRows int64
	tg.raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM report_rollup WHERE grain = 3600 AND dim = 'category'").Scan(&rollRows)
	tg.raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM report_comuni WHERE dim = 'category'").Scan(&comRows)
	fmt.Printf("rollup size      %s hourly category×provincia rows, %s daily category×comune rows\n", thousands(rollRows), thousands(comRows))

	issue, err := ask(ctx, svc, flood.ID, end, runs)
	if err != nil {
		return err
	}
	if err := check(ctx, tg, issue, start, end); err != nil {
		return err
	}
	issue = report.Result{} // let the big answer go before measuring the export's memory
	return export(ctx, svc, flood.ID, n)
}

// again asks the questions on a schema a run with -keep left behind.
func again(dbURL, schema string, runs int) error {
	ctx := context.Background()
	u, err := url.Parse(dbURL)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := store.Open(store.Options{URL: u.String()})
	if err != nil {
		return err
	}
	defer db.Close()
	evs, err := db.Events(ctx, false)
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		return fmt.Errorf("schema %s holds no flood", schema)
	}
	flood := evs[0]
	fmt.Printf("bench/reports on postgres, %d CPUs, %s, again on %s (%s)\n", runtime.NumCPU(), time.Now().Format("2006-01-02"), schema, flood.Name)
	_, err = ask(ctx, report.New(report.Options{Store: db}), flood.ID, flood.EndedAt, runs)
	return err
}

// ask puts the report questions to the flood, each runs times, and
// returns the answer to the issue's.
func ask(ctx context.Context, svc *report.Service, floodID int64, end time.Time, runs int) (report.Result, error) {
	ev := fmt.Sprint(floodID)
	questions := []struct {
		name string
		v    url.Values
	}{
		{"category × provincia × hour, event (the issue's)", url.Values{"event": {ev}, "by": {"category,provincia"}, "bucket": {"hour"}}},
		{"category × regione × day, event", url.Values{"event": {ev}, "by": {"category,regione"}, "bucket": {"day"}}},
		{"comune totals with trend, event", url.Values{"event": {ev}, "by": {"comune"}, "trend": {"1"}}},
		{"15-min series, last 24 h of the event", url.Values{"from": {end.Add(-24 * time.Hour).Format(time.RFC3339)}, "to": {end.Format(time.RFC3339)}, "bucket": {"15m"}}},
		{"rescue requests by provincia × day", url.Values{"event": {ev}, "by": {"provincia"}, "bucket": {"day"}, "urgency": {"rescue"}}},
	}
	var issue report.Result
	for i, qq := range questions {
		q, err := report.ParseQuery(qq.v)
		if err != nil {
			return report.Result{}, err
		}
		var times []time.Duration
		var res report.Result
		for range runs {
			t0 := time.Now()
			if res, err = svc.Ask(ctx, q, "it"); err != nil {
				return report.Result{}, fmt.Errorf("%s: %w", qq.name, err)
			}
			times = append(times, time.Since(t0))
		}
		sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
		fmt.Printf("question         %-50s %6s rows  median %s  max %s  (%s)\n", qq.name, thousands(int64(len(res.Rows))),
			ms(times[len(times)/2]), ms(times[len(times)-1]), res.Source)
		if i == 0 {
			issue = res
		}
	}
	dq, _ := report.ParseQuery(url.Values{"event": {ev}})
	t0 := time.Now()
	if _, err := svc.Dashboard(ctx, dq, "it"); err != nil {
		return report.Result{}, err
	}
	fmt.Printf("dashboard        whole event (series, categories, comuni, province, regioni, channels): %s\n", ms(time.Since(t0)))
	return issue, nil
}

// export streams the CSV export of every request, the heap sampled meanwhile.
func export(ctx context.Context, svc *report.Service, floodID int64, n int) error {
	ev := fmt.Sprint(floodID)
	q, _ := report.ParseQuery(url.Values{"event": {ev}})
	p, err := svc.Check(ctx, q)
	if err != nil {
		return err
	}
	runtime.GC()
	var peak, peakLive atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			metrics.Read(live)
			if v := live[0].Value.Uint64(); v > peakLive.Load() {
				peakLive.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	cw := &countWriter{}
	t0 := time.Now()
	cw.start = t0
	rows, err := svc.ExportRequests(ctx, cw, p, report.FormatCSV, nil)
	exp := time.Since(t0)
	close(stop)
	if err != nil {
		return err
	}
	fmt.Printf("CSV export       %s rows, %s MB in %s (%s rows/s), first bytes after %s; heap in use %s MB before, "+
		"peak %s MB during (live heap at most %s MB)\n",
		thousands(rows), thousands(cw.n>>20), exp.Round(time.Second), thousands(int64(float64(rows)/exp.Seconds())),
		ms(cw.first), thousands(int64(before.HeapInuse>>20)), thousands(int64(peak.Load()>>20)), thousands(int64(peakLive.Load()>>20)))
	if rows != int64(n) {
		return fmt.Errorf("the export wrote %d rows of %d", rows, n)
	}
	return nil
}

// check compares the issue's answer with an independent GROUP BY on the
// cases themselves.
func check(ctx context.Context, tg *target, res report.Result, start, end time.Time) error {
	hour := "to_char(date_trunc('hour', c.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24')"
	args := []any{start, end}
	if tg.url == "" {
		hour = "substr(c.created_at, 1, 13)"
		args = []any{start.UTC().Format("2006-01-02T15:04:05.000000Z"), end.UTC().Format("2006-01-02T15:04:05.000000Z")}
	}
	t0 := time.Now()
	rows, err := tg.raw.QueryContext(ctx, `SELECT `+hour+`, c.category, COALESCE(m.provincia_code, ''), COUNT(*)
		FROM cases c LEFT JOIN comuni m ON m.code = c.comune_code
		WHERE c.created_at >= $1 AND c.created_at < $2 GROUP BY 1, 2, 3`, args...)
	if err != nil {
		return fmt.Errorf("independent count: %w", err)
	}
	defer rows.Close()
	want := map[string]int64{}
	var total int64
	for rows.Next() {
		var h, cat, prov string
		var n int64
		if err := rows.Scan(&h, &cat, &prov, &n); err != nil {
			return err
		}
		want[h+"|"+cat+"|"+prov] = n
		total += n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	direct := time.Since(t0)
	got := map[string]int64{}
	for _, r := range res.Rows {
		got[r.Bucket.UTC().Format("2006-01-02T15")+"|"+r.Keys[0]+"|"+r.Keys[1]] += r.N
	}
	for k, n := range want {
		if got[k] != n {
			return fmt.Errorf("independent count differs at %s: report %d, cases %d", k, got[k], n)
		}
	}
	if len(got) != len(want) || res.Total != total {
		return fmt.Errorf("independent count differs: %d groups and %d requests in the report, %d and %d in the cases",
			len(got), res.Total, len(want), total)
	}
	fmt.Printf("check            the report equals a GROUP BY on the cases: %s groups, %s requests (that GROUP BY took %s)\n",
		thousands(int64(len(want))), thousands(total), ms(direct))
	return nil
}

type countWriter struct {
	n     int64
	start time.Time
	first time.Duration
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.n == 0 {
		c.first = time.Since(c.start)
	}
	c.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// generator draws requests the way a flood brings them: most from the
// flooded region (by population), the rest from all Italy; a peak in the
// first days that decays, quieter nights; categories, outcomes and
// channels in flood-like proportions.
type generator struct {
	rng                        *mrand.Rand
	start                      time.Time
	hours                      []float64 // cumulative weight per hour
	area, all                  picker
	categories, outcomes       picker
	channels, urgency, callers picker
}

type picker struct {
	vals []string
	cum  []float64
}

func newPicker(vals []string, weights []float64) picker {
	p := picker{vals: vals}
	sum := 0.0
	for _, w := range weights {
		sum += w
		p.cum = append(p.cum, sum)
	}
	for i := range p.cum {
		p.cum[i] /= sum
	}
	return p
}

func (p picker) pick(r *mrand.Rand) string {
	x := r.Float64()
	i := sort.SearchFloat64s(p.cum, x)
	if i >= len(p.vals) {
		i = len(p.vals) - 1
	}
	return p.vals[i]
}

func newGenerator(ctx context.Context, db *store.DB, start time.Time, days int) (*generator, error) {
	g := &generator{rng: mrand.New(mrand.NewPCG(2023, 5)), start: start}
	rome, _ := time.LoadLocation("Europe/Rome")
	sum := 0.0
	for h := range days * 24 {
		t := start.Add(time.Duration(h) * time.Hour).In(rome)
		w := math.Exp(-float64(h)/96) + 0.15
		if t.Hour() < 7 {
			w *= 0.3
		}
		sum += w
		g.hours = append(g.hours, sum)
	}
	for i := range g.hours {
		g.hours[i] /= sum
	}
	places, err := db.Places(ctx)
	if err != nil {
		return nil, err
	}
	var areaV, allV []string
	var areaW, allW []float64
	for _, p := range places {
		if !p.Active {
			continue
		}
		w := float64(max(p.Population, 100))
		allV, allW = append(allV, p.Code), append(allW, w)
		if p.RegioneCode == "08" {
			areaV, areaW = append(areaV, p.Code), append(areaW, w)
		}
	}
	if len(areaV) == 0 {
		return nil, errors.New("no comuni of Emilia-Romagna loaded")
	}
	g.area, g.all = newPicker(areaV, areaW), newPicker(allV, allW)
	g.categories = newPicker([]string{"idraulico", "disalimentazione", "viabilita", "soccorso", "assistenza", "acqua", "informazioni",
		"idrogeologico", "meteo-avverso", "volontariato", "dispersi", "donazioni", "altro"},
		[]float64{30, 18, 12, 8, 8, 6, 6, 4, 3, 2, 1, 1, 1})
	g.outcomes = newPicker([]string{"informazione-fornita", "segnalazione-registrata", "inoltrata-sala-operativa", "indirizzato-112",
		"indirizzato-comune", "indirizzato-vvf", "richiamata", "chiamata-muta"}, []float64{35, 25, 10, 5, 10, 5, 5, 5})
	g.channels = newPicker([]string{"phone", "web", "email", "fax"}, []float64{70, 15, 10, 5})
	g.urgency = newPicker([]string{"none", "elevated", "rescue"}, []float64{80, 15, 5})
	g.callers = newPicker([]string{"cittadino", "ente-locale", "volontariato", "pubblica-sicurezza"}, []float64{85, 6, 5, 4})
	return g, nil
}

type genRow struct {
	tid, channel, category, outcome, urgency, comune, caller string
	lat, lon                                                 *float64
	site                                                     *int64
	at                                                       time.Time
}

func (g *generator) row(i int) genRow {
	r := g.rng
	h := sort.SearchFloat64s(g.hours, r.Float64())
	at := g.start.Add(time.Duration(h)*time.Hour + time.Duration(r.Int64N(int64(time.Hour)))).UTC().Truncate(time.Microsecond)
	x := genRow{tid: fmt.Sprintf("CC-2025-%08d", i+1), channel: g.channels.pick(r), category: g.categories.pick(r),
		outcome: g.outcomes.pick(r), urgency: g.urgency.pick(r), caller: g.callers.pick(r), at: at}
	switch f := r.Float64(); {
	case f < 0.03:
	case f < 0.85:
		x.comune = g.area.pick(r)
	default:
		x.comune = g.all.pick(r)
	}
	if r.Float64() < 0.4 {
		lat, lon := 44.0+r.Float64()*1.0, 9.5+r.Float64()*3.0
		x.lat, x.lon = &lat, &lon
	}
	if r.Float64() < 0.8 {
		one := int64(1)
		x.site = &one
	}
	return x
}

var caseColumns = []string{"tracking_id", "channel", "category", "outcome", "urgency", "comune_code", "caller_type", "lat", "lon",
	"status", "site_id", "created_at", "updated_at"}

// copyPostgres writes the rows with COPY, the way a bulk load is done.
func (g *generator) copyPostgres(ctx context.Context, dbURL string, n int) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		x := g.row(i)
		i++
		return []any{x.tid, x.channel, x.category, x.outcome, x.urgency, x.comune, x.caller, x.lat, x.lon, "open", x.site,
			x.at, x.at}, nil
	})
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"cases"}, caseColumns, src)
	return err
}

// insertSQLite writes the rows with multi-row inserts, 100,000 rows a
// transaction.
func (g *generator) insertSQLite(ctx context.Context, raw *sql.DB, n int) error {
	const per = 500
	const layout = "2006-01-02T15:04:05.000000Z"
	text := func(rows int) string {
		var sb strings.Builder
		sb.WriteString("INSERT INTO cases (" + strings.Join(caseColumns, ",") + ") VALUES ")
		for j := range rows {
			if j > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(?,?,?,?,?,?,?,?,?,'open',?,?,?)")
		}
		return sb.String()
	}
	full := text(per)
	for done := 0; done < n; {
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for k := 0; k < 200 && done < n; k++ {
			m := min(per, n-done)
			args := make([]any, 0, m*12)
			for j := range m {
				x := g.row(done + j)
				ts := x.at.Format(layout)
				args = append(args, x.tid, x.channel, x.category, x.outcome, x.urgency, x.comune, x.caller, x.lat, x.lon, x.site, ts, ts)
			}
			stmt := full
			if m < per {
				stmt = text(m)
			}
			if _, err := tx.ExecContext(ctx, stmt, args...); err != nil {
				tx.Rollback()
				return err
			}
			done += m
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
