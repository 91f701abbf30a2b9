package report

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// Problem is a question refused before it reached the database, said in
// Italian and in English, with what to change.
type Problem struct{ IT, EN string }

func (p *Problem) Error() string { return "report: " + p.EN }

// Unwrap makes a Problem a store.ErrInvalid, which the edges map to 400.
func (p *Problem) Unwrap() error { return store.ErrInvalid }

// In returns the message in lang ("it" unless "en").
func (p *Problem) In(lang string) string {
	if lang == "en" {
		return p.EN
	}
	return p.IT
}

func problem(it, en string, args ...any) error {
	return &Problem{IT: fmt.Sprintf(it, args...), EN: fmt.Sprintf(en, args...)}
}

// Message returns err as a person should read it in lang: a Problem in
// their language, anything else as it is.
func Message(err error, lang string) string {
	var p *Problem
	if errors.As(err, &p) {
		return p.In(lang)
	}
	return err.Error()
}

// Fields a report can be broken down or filtered by.
const (
	FieldCategory   = store.DimCategory
	FieldOutcome    = store.DimOutcome
	FieldChannel    = store.DimChannel
	FieldCallerType = store.DimCallerType
	FieldUrgency    = store.DimUrgency
	FieldComune     = store.GeoComune
	FieldProvincia  = store.GeoProvincia
	FieldRegione    = store.GeoRegione
)

// Fields lists every field, dimensions first, then the geographic levels
// from the finest.
var Fields = []string{FieldCategory, FieldOutcome, FieldChannel, FieldCallerType, FieldUrgency, FieldComune, FieldProvincia, FieldRegione}

func isGeo(f string) bool { return f == FieldComune || f == FieldProvincia || f == FieldRegione }

// Buckets.
const (
	Bucket15m  = "15m"
	BucketHour = "hour"
	BucketDay  = "day"
)

// Limits on what one question may ask: a 15-minute series over a year
// would be 35,000 points per line.
var maxSpan = map[string]time.Duration{
	Bucket15m:  8 * 24 * time.Hour,
	BucketHour: 93 * 24 * time.Hour,
	BucketDay:  3700 * 24 * time.Hour,
	"":         3700 * 24 * time.Hour,
}

const (
	maxFilterValues = 200
	maxBy           = 3
	maxRows         = 2000000
)

// Query is a question about the requests.
type Query struct {
	From, To time.Time // [From, To); zero: the event's span, or the last 24 hours
	EventID  int64
	Site     string // site code
	Mode     string // ordinary, emergency, closed
	By       []string
	Bucket   string // "", 15m, hour, day
	Where    map[string][]string
	// Trend adds, per group, the count in the period just before.
	Trend bool
}

// ParseQuery reads a query from URL parameters (the dashboard and the
// exports) or flags (the CLI): from, to (2026-05-16, 2026-05-16T14:00 in
// Italian time, or RFC 3339; a bare date as `to` includes that day),
// event (an id), site, mode, by (comma-separated fields), bucket, trend
// (1/true), and a filter per field (category=idraulico,frana …).
func ParseQuery(v url.Values) (Query, error) {
	var q Query
	known := map[string]bool{"from": true, "to": true, "event": true, "site": true, "mode": true, "by": true, "bucket": true,
		"trend": true, "format": true, "kind": true, "lang": true}
	for k := range v {
		if !known[k] && !slices.Contains(Fields, k) {
			return q, problem("parametro sconosciuto %q (ammessi: from, to, event, site, mode, by, bucket, trend e i campi %s)",
				"unknown parameter %q (allowed: from, to, event, site, mode, by, bucket, trend and the fields %s)", k, strings.Join(Fields, ", "))
		}
		if len(v[k]) > 1 && k != "by" && !slices.Contains(Fields, k) {
			return q, problem("il parametro %q compare più volte", "parameter %q is given more than once", k)
		}
	}
	var err error
	if s := v.Get("from"); s != "" {
		if q.From, err = ParseTime(s, false); err != nil {
			return q, problem("from %q non è una data (es. 2026-05-16 o 2026-05-16T14:00)", "from %q is not a date (e.g. 2026-05-16 or 2026-05-16T14:00)", s)
		}
	}
	if s := v.Get("to"); s != "" {
		if q.To, err = ParseTime(s, true); err != nil {
			return q, problem("to %q non è una data (es. 2026-05-31 o 2026-05-31T18:00)", "to %q is not a date (e.g. 2026-05-31 or 2026-05-31T18:00)", s)
		}
	}
	if s := v.Get("event"); s != "" {
		if q.EventID, err = strconv.ParseInt(s, 10, 64); err != nil || q.EventID <= 0 {
			return q, problem("event %q non è il numero di un evento (vedi `ascolto event list`)", "event %q is not an event number (see `ascolto event list`)", s)
		}
	}
	q.Site = strings.TrimSpace(v.Get("site"))
	q.Mode = v.Get("mode")
	switch q.Mode {
	case "", store.ModeOrdinary, store.ModeEmergency, store.ModeClosed:
	default:
		return q, problem("mode %q non esiste (ammessi: ordinary, emergency, closed)", "mode %q does not exist (allowed: ordinary, emergency, closed)", q.Mode)
	}
	for _, s := range v["by"] {
		for _, f := range strings.Split(s, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if !slices.Contains(Fields, f) {
				return q, problem("by: campo sconosciuto %q (ammessi: %s)", "by: unknown field %q (allowed: %s)", f, strings.Join(Fields, ", "))
			}
			if slices.Contains(q.By, f) {
				return q, problem("by: %q compare due volte", "by: %q appears twice", f)
			}
			q.By = append(q.By, f)
		}
	}
	if len(q.By) > maxBy {
		return q, problem("by: al massimo %d campi", "by: at most %d fields", maxBy)
	}
	geo := 0
	for _, f := range q.By {
		if isGeo(f) {
			geo++
		}
	}
	if geo > 1 {
		return q, problem("by: scegli un solo livello geografico (comune, provincia o regione)", "by: choose one geographic level (comune, provincia or regione)")
	}
	q.Bucket = v.Get("bucket")
	switch q.Bucket {
	case "", Bucket15m, BucketHour, BucketDay:
	case "none":
		q.Bucket = ""
	default:
		return q, problem("bucket %q non esiste (ammessi: 15m, hour, day)", "bucket %q does not exist (allowed: 15m, hour, day)", q.Bucket)
	}
	switch v.Get("trend") {
	case "", "0", "false":
	case "1", "true":
		q.Trend = true
	default:
		return q, problem("trend vale 1 o 0", "trend is 1 or 0")
	}
	for _, f := range Fields {
		var vals []string
		for _, s := range v[f] {
			for _, x := range strings.Split(s, ",") {
				if x = strings.TrimSpace(x); x != "" && !slices.Contains(vals, x) {
					vals = append(vals, x)
				}
			}
		}
		if len(vals) == 0 {
			continue
		}
		if len(vals) > maxFilterValues {
			return q, problem("%s: al massimo %d valori", "%s: at most %d values", f, maxFilterValues)
		}
		if q.Where == nil {
			q.Where = map[string][]string{}
		}
		q.Where[f] = vals
	}
	return q, nil
}

var rome = mustRome()

func mustRome() *time.Location {
	l, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return l
}

// ParseTime reads a date or time as people write it (2026-05-16,
// 2026-05-16T18:00, 2026-05-16 18:00, RFC 3339), in Italian time; a bare
// date is midnight, or the midnight after it when it ends a period. The
// dashboard, the exports and the CLI read times with it.
func ParseTime(s string, end bool) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", s, rome); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, rome); err == nil {
			return t, nil
		}
	}
	return time.Parse(time.RFC3339, s)
}

// Options wires the service.
type Options struct {
	Store *store.DB
	Clock clock.Clock
	Log   *zap.Logger
}

// Service answers report questions.
type Service struct {
	db    *store.DB
	clock clock.Clock
	log   *zap.Logger

	mu    sync.Mutex
	names *names
}

// New builds the service.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	return &Service{db: o.Store, clock: o.Clock, log: o.Log}
}

// Plan is a checked query with what the store is asked.
type Plan struct {
	Query
	Event   *store.EmergencyEvent
	SiteID  int64
	Geo     string   // the geographic level of By, if any
	Dims    []string // the other fields of By
	count   store.CountQuery
	Source  string // which table answers: rollup-15m, rollup-hour, comuni, facts
	Widened bool   // the period was widened to whole buckets
}

// Check validates q against what the database knows (the event, the site,
// every code and vocabulary value), fills the defaults and plans it.
func (s *Service) Check(ctx context.Context, q Query) (Plan, error) {
	p := Plan{Query: q}
	if q.EventID != 0 {
		e, err := s.db.EventByID(ctx, q.EventID)
		if errors.Is(err, store.ErrNotFound) {
			return p, problem("l'evento %d non esiste (vedi `ascolto event list`)", "event %d does not exist (see `ascolto event list`)", q.EventID)
		}
		if err != nil {
			return p, err
		}
		p.Event = &e
		if p.From.IsZero() {
			p.From = e.StartedAt
		}
		if p.To.IsZero() {
			p.To = e.EndedAt
			if p.To.IsZero() {
				p.To = s.clock.Now()
			}
		}
	}
	now := s.clock.Now()
	if p.To.IsZero() {
		p.To = now
	}
	if p.From.IsZero() {
		p.From = p.To.Add(-24 * time.Hour)
	}
	if !p.From.Before(p.To) {
		return p, problem("il periodo è vuoto: from (%s) deve precedere to (%s)", "the period is empty: from (%s) must come before to (%s)",
			p.From.In(rome).Format("2006-01-02 15:04"), p.To.In(rome).Format("2006-01-02 15:04"))
	}
	if span := p.To.Sub(p.From); span > maxSpan[p.Bucket] {
		days, most := int(span.Hours()/24), int(maxSpan[p.Bucket].Hours()/24)
		pr := &Problem{IT: fmt.Sprintf("periodo troppo lungo: %d giorni (al massimo %d con questi intervalli)", days, most),
			EN: fmt.Sprintf("period too long: %d days (at most %d with these buckets)", days, most)}
		if hint := map[string]string{Bucket15m: "hour", BucketHour: "day"}[p.Bucket]; hint != "" {
			pr.IT += "; usa bucket=" + hint
			pr.EN += "; use bucket=" + hint
		}
		return p, pr
	}
	if q.Site != "" {
		site, err := s.db.SiteByCode(ctx, q.Site)
		if errors.Is(err, store.ErrNotFound) {
			return p, problem("la sede %q non esiste", "site %q does not exist", q.Site)
		}
		if err != nil {
			return p, err
		}
		p.SiteID = site.ID
	}
	if err := s.checkValues(ctx, q.Where); err != nil {
		return p, err
	}
	for _, f := range q.By {
		if isGeo(f) {
			p.Geo = f
		} else {
			p.Dims = append(p.Dims, f)
		}
	}
	s.plan(&p)
	return p, nil
}

// checkValues refuses codes and values the database does not know.
func (s *Service) checkValues(ctx context.Context, where map[string][]string) error {
	n, err := s.namesOf(ctx)
	if err != nil {
		return err
	}
	for f, vals := range where {
		var known map[string]string
		var shape func(string) bool
		switch f {
		case FieldCategory:
			known = n.category
		case FieldOutcome:
			known = n.outcome
		case FieldCallerType:
			known = n.callerType
		case FieldChannel:
			known = map[string]string{"phone": "", "fax": "", "web": "", "email": ""}
		case FieldUrgency:
			known = map[string]string{"none": "", "elevated": "", "rescue": ""}
		case FieldComune:
			known, shape = n.comune, digitsOf(6)
		case FieldProvincia:
			known, shape = n.provincia, digitsOf(3)
		case FieldRegione:
			known, shape = n.regione, digitsOf(2)
		}
		for _, v := range vals {
			if shape != nil && !shape(v) {
				return problem("%s: %q non è un codice ISTAT di %d cifre", "%s: %q is not a %d-digit ISTAT code", f, v,
					map[string]int{FieldComune: 6, FieldProvincia: 3, FieldRegione: 2}[f])
			}
			if _, ok := known[v]; !ok {
				if shape != nil {
					return problem("%s: il codice ISTAT %s non corrisponde a nessun %s conosciuto", "%s: ISTAT code %s matches no known %s", f, v, f)
				}
				return problem("%s: valore sconosciuto %q", "%s: unknown value %q", f, v)
			}
		}
	}
	return nil
}

func digitsOf(n int) func(string) bool {
	return func(s string) bool {
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
}

// plan picks the cheapest table that answers the question and aligns the
// period to its buckets.
func (s *Service) plan(p *Plan) {
	c := store.CountQuery{EventID: p.EventID, SiteID: p.SiteID, Mode: p.Mode, Where: p.Where}
	// The dimension a rollup must be read for: the one grouped by, or the
	// one filtered on; any other needs the facts.
	dim := ""
	dimsOK := len(p.Dims) <= 1
	if len(p.Dims) == 1 {
		dim = p.Dims[0]
	}
	geoFilter := ""
	for f := range p.Where {
		switch {
		case isGeo(f):
			if geoFilter == "" || f == FieldComune {
				geoFilter = f
			}
		case dim == "":
			dim = f
		case dim != f:
			dimsOK = false
		}
	}
	if dim == "" {
		dim = store.DimChannel
	}
	comune := p.Geo == FieldComune || geoFilter == FieldComune
	switch {
	case dimsOK && !comune && p.Bucket == Bucket15m:
		c.Source, p.Source = store.FromRollup15m, "rollup-15m"
	case dimsOK && !comune:
		c.Source, p.Source = store.FromRollupHour, "rollup-hour"
	case dimsOK && (p.Bucket == "" || p.Bucket == BucketDay):
		c.Source, p.Source = store.FromComuni, "comuni"
	default:
		c.Source, p.Source = store.FromFacts, "facts"
	}
	c.Dim = dim
	from, to := p.From, p.To
	switch c.Source {
	case store.FromRollup15m:
		from, to = from.Truncate(15*time.Minute), ceil(to, 15*time.Minute)
	case store.FromRollupHour:
		from, to = from.Truncate(time.Hour), ceil(to, time.Hour)
	case store.FromComuni:
		from, to = dayStart(from), dayStart(to.Add(-time.Nanosecond)).AddDate(0, 0, 1)
	}
	if p.Bucket == BucketDay && c.Source != store.FromComuni {
		from, to = dayStart(from), dayStart(to.Add(-time.Nanosecond)).AddDate(0, 0, 1)
	}
	p.Widened = !from.Equal(p.From) || !to.Equal(p.To)
	p.From, p.To = from, to
	c.From, c.To = from, to
	c.GroupBy = append(append([]string{}, p.Dims...), p.Geo)
	if p.Geo == "" {
		c.GroupBy = c.GroupBy[:len(c.GroupBy)-1]
	}
	switch p.Bucket {
	case Bucket15m:
		c.Bucket = 900
	case BucketHour:
		c.Bucket = 3600
	case BucketDay:
		if c.Source == store.FromComuni || c.Source == store.FromFacts {
			c.ByDay = true
		} else {
			c.Bucket = 3600 // hours, folded into Italian days
		}
	}
	p.count = c
}

func ceil(t time.Time, d time.Duration) time.Time {
	if u := t.Truncate(d); !u.Equal(t) {
		return u.Add(d)
	}
	return t
}

func dayStart(t time.Time) time.Time {
	l := t.In(rome)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, rome)
}
