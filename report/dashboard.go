package report

import (
	"context"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
)

// Named is one value of a field with its count.
type Named struct {
	Code   string   `json:"code"`
	Label  string   `json:"label"`
	N      int64    `json:"n"`
	Prev   int64    `json:"prev"`
	Change *float64 `json:"change,omitempty"`
}

// Point is one bucket of a time series.
type Point struct {
	At time.Time `json:"at"`
	N  int64     `json:"n"`
}

// OpenRescue is a rescue request or report still open in the operations room.
type OpenRescue struct {
	ID         int64     `json:"id"`
	TrackingID string    `json:"tracking_id"`
	Kind       string    `json:"kind"`
	State      string    `json:"state"`
	Comune     string    `json:"comune"`
	CreatedAt  time.Time `json:"created_at"`
	AckedBy    string    `json:"acked_by,omitempty"`
	Assignee   string    `json:"assignee,omitempty"`
}

// Dashboard is the live picture for the operations room and the
// coordinators.
type Dashboard struct {
	From       time.Time      `json:"from"`
	To         time.Time      `json:"to"`
	Event      string         `json:"event,omitempty"`
	Bucket     string         `json:"bucket"`
	Total      int64          `json:"total"`
	PrevTotal  int64          `json:"prev_total"`
	Series     []Point        `json:"series"`
	Categories []Named        `json:"categories"`
	Comuni     []Named        `json:"comuni"`
	Province   []Named        `json:"province"`
	Regioni    []Named        `json:"regioni"`
	Channels   []Named        `json:"channels"`
	Open       []OpenRescue   `json:"open"`
	OpenCounts map[string]int `json:"open_counts"` // by state
	Boundaries map[string]int `json:"boundaries"`  // imported or bundled, by level
	Lag        int64          `json:"lag"`         // cases not yet counted
}

// Dashboard answers the dashboard's questions for the period and filters
// of q (its By and Bucket are ignored): the series in 15-minute buckets
// up to a day, hourly up to a month, daily beyond.
func (s *Service) Dashboard(ctx context.Context, q Query, lang string) (Dashboard, error) {
	base, err := s.Check(ctx, Query{From: q.From, To: q.To, EventID: q.EventID, Site: q.Site, Mode: q.Mode, Where: q.Where})
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{From: base.From, To: base.To, OpenCounts: map[string]int{}}
	if base.Event != nil {
		d.Event = base.Event.Name
	}
	span := base.To.Sub(base.From)
	switch {
	case span <= 26*time.Hour:
		d.Bucket = Bucket15m
	case span <= 31*24*time.Hour:
		d.Bucket = BucketHour
	default:
		d.Bucket = BucketDay
	}
	ask := func(by []string, bucket string, trend bool) (Result, error) {
		qq := base.Query
		qq.From, qq.To, qq.By, qq.Bucket, qq.Trend = base.From, base.To, by, bucket, trend
		return s.Ask(ctx, qq, lang)
	}
	series, err := ask(nil, d.Bucket, true)
	if err != nil {
		return d, err
	}
	d.Total, d.PrevTotal = series.Total, series.PrevTotal
	for _, r := range series.Rows {
		d.Series = append(d.Series, Point{At: r.Bucket, N: r.N})
	}
	for _, part := range []struct {
		field string
		to    *[]Named
		top   int
	}{{FieldCategory, &d.Categories, 12}, {FieldComune, &d.Comuni, 15}, {FieldProvincia, &d.Province, 0},
		{FieldRegione, &d.Regioni, 0}, {FieldChannel, &d.Channels, 0}} {
		res, err := ask([]string{part.field}, "", true)
		if err != nil {
			return d, err
		}
		for _, t := range res.Totals {
			if t.N == 0 {
				continue
			}
			*part.to = append(*part.to, Named{Code: t.Keys[0], Label: res.Labels[part.field][t.Keys[0]], N: t.N, Prev: t.Prev, Change: t.Change})
			if part.top > 0 && len(*part.to) == part.top {
				break
			}
		}
	}
	items, err := s.db.OpsItems(ctx, store.OpsFilter{Open: true, Limit: 2000})
	if err != nil {
		return d, err
	}
	for _, it := range items {
		d.OpenCounts[it.State]++
		if len(d.Open) < 25 {
			d.Open = append(d.Open, OpenRescue{ID: it.ID, TrackingID: it.Case.TrackingID, Kind: it.Kind, State: it.State,
				Comune: it.Place.Comune, CreatedAt: it.CreatedAt, AckedBy: it.AckedBy, Assignee: it.Assignee})
		}
	}
	atlas, err := s.db.Atlas(ctx)
	if err != nil {
		return d, err
	}
	d.Boundaries = atlas.Counts()
	if _, lag, err := s.db.ReportLag(ctx); err == nil {
		d.Lag = lag
	}
	return d, nil
}

// Boundaries returns a level's boundaries for the maps: the imported
// ones, else the bundled regions and provinces.
func (s *Service) Boundaries(ctx context.Context, level string) ([]geo.Boundary, error) {
	atlas, err := s.db.Atlas(ctx)
	if err != nil {
		return nil, err
	}
	return atlas.Boundaries(level), nil
}
