package report

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
)

// Formats of reports and exports.
const (
	FormatCSV     = "csv"
	FormatJSON    = "json"
	FormatGeoJSON = "geojson"
	FormatCAP     = "cap"
)

// safeCell keeps a spreadsheet from reading a text cell as a formula.
func safeCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

func isoLocal(t time.Time) string { return t.In(rome).Format("2006-01-02T15:04:05-07:00") }

// WriteCSV writes a report's answer: one line per bucket and group, or,
// without buckets, one per group with the previous period when asked.
// Each field has its code and its label.
func WriteCSV(w io.Writer, res Result) error {
	cw := csv.NewWriter(w)
	var head []string
	if res.Bucket != "" {
		head = append(head, "bucket")
	}
	for _, f := range res.By {
		head = append(head, f, f+"_label")
	}
	head = append(head, "n")
	totals := res.Bucket == "" && !res.PrevFrom.IsZero()
	if totals {
		head = append(head, "prev", "change")
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	line := func(b time.Time, keys []string, n int64, extra ...string) error {
		rec := make([]string, 0, len(head))
		if res.Bucket != "" {
			rec = append(rec, isoLocal(b))
		}
		for i, f := range res.By {
			rec = append(rec, safeCell(keys[i]), safeCell(res.Labels[f][keys[i]]))
		}
		rec = append(rec, strconv.FormatInt(n, 10))
		return cw.Write(append(rec, extra...))
	}
	if totals {
		for _, t := range res.Totals {
			change := ""
			if t.Change != nil {
				change = strconv.FormatFloat(*t.Change, 'f', 4, 64)
			}
			if err := line(time.Time{}, t.Keys, t.N, strconv.FormatInt(t.Prev, 10), change); err != nil {
				return err
			}
		}
	} else {
		for _, r := range res.Rows {
			if err := line(r.Bucket, r.Keys, r.N); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes a report's answer as JSON.
func WriteJSON(w io.Writer, res Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// geoFeature is one GeoJSON feature; geometry null when the place has no
// shape or point.
type geoFeature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

var nullGeometry = json.RawMessage("null")

// pointGeometry is a GeoJSON point, or null for a point that is not on
// Earth (a NaN stored before they were refused would otherwise be written
// as -9223372036854.775 by round6).
func pointGeometry(lat, lon float64) json.RawMessage {
	if !geo.ValidPoint(lat, lon) {
		return nullGeometry
	}
	b, _ := json.Marshal(map[string]any{"type": "Point", "coordinates": []float64{round6(lon), round6(lat)}})
	return b
}

func round6(f float64) float64 { return float64(int64(f*1e6+0.5*sign(f))) / 1e6 }

func sign(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}

// Precisions of an aggregate feature's geometry, in its "precision"
// property.
const (
	// PrecisionBoundary: the place's own boundary.
	PrecisionBoundary = "boundary"
	// PrecisionRequests: the mean point of the place's geolocated requests.
	PrecisionRequests = "requests"
)

// WriteGeoJSON writes a report broken down by a geographic level as a
// FeatureCollection: a feature per place with its ISTAT code, name,
// count (and previous count), and, when the report has a second field,
// the counts by its values. Provinces and regions carry their boundary
// (imported, else bundled); comuni their boundary when imported, else the
// mean point of their geolocated requests, else their province's centroid.
// A "precision" property says which (boundary, requests, provincia); the
// geometry is null only for a place the atlas does not know.
func (s *Service) WriteGeoJSON(ctx context.Context, w io.Writer, p Plan, res Result) error {
	geoAt, dimAt := -1, -1
	for i, f := range res.By {
		if isGeo(f) {
			geoAt = i
		} else {
			dimAt = i
		}
	}
	if geoAt < 0 {
		return problem("il GeoJSON richiede un livello geografico in by (comune, provincia o regione)",
			"GeoJSON needs a geographic level in by (comune, provincia or regione)")
	}
	if res.Bucket != "" {
		return problem("il GeoJSON degli aggregati non ha intervalli di tempo: togli bucket",
			"GeoJSON aggregates have no time buckets: drop bucket")
	}
	level := res.By[geoAt]
	type shape struct {
		g         json.RawMessage
		precision string
	}
	shapes := map[string]shape{}
	if level == FieldComune {
		pts, err := s.db.ComunePoints(ctx, store.CountQuery{From: p.From, To: p.To, EventID: p.EventID, SiteID: p.SiteID, Mode: p.Mode})
		if err != nil {
			return err
		}
		for code, pt := range pts {
			if geo.ValidPoint(pt.Lat, pt.Lon) {
				shapes[code] = shape{pointGeometry(pt.Lat, pt.Lon), PrecisionRequests}
			}
		}
	}
	atlas, err := s.db.Atlas(ctx)
	if err != nil {
		return err
	}
	for _, b := range atlas.Boundaries(level) {
		shapes[b.Code] = shape{b.Geometry, PrecisionBoundary}
	}
	n, err := s.namesOf(ctx)
	if err != nil {
		return err
	}
	type place struct {
		n, prev int64
		by      map[string]int64
	}
	places := map[string]*place{}
	var order []string
	for _, t := range res.Totals {
		code := t.Keys[geoAt]
		pl := places[code]
		if pl == nil {
			pl = &place{by: map[string]int64{}}
			places[code] = pl
			order = append(order, code)
		}
		pl.n += t.N
		pl.prev += t.Prev
		if dimAt >= 0 {
			pl.by[t.Keys[dimAt]] += t.N
		}
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(`{"type":"FeatureCollection","features":[`)
	enc := json.NewEncoder(bw)
	for i, code := range order {
		pl := places[code]
		props := map[string]any{"level": level, "istat": code, "name": n.label(level, code, "it"), "n": pl.n}
		if level == FieldComune {
			if pc, ok := n.places[code]; ok {
				props["name"], props["provincia_code"], props["sigla"], props["regione_code"] = pc.Name, pc.ProvinciaCode, pc.Sigla, pc.RegioneCode
			}
		}
		if !res.PrevFrom.IsZero() {
			props["prev"] = pl.prev
		}
		if dimAt >= 0 {
			props[res.By[dimAt]] = pl.by
		}
		sh, ok := shapes[code]
		if !ok && level == FieldComune {
			if loc, found := atlas.Locate(nil, nil, code, n.places[code].ProvinciaCode); found {
				sh = shape{pointGeometry(loc.Lat, loc.Lon), loc.Precision}
			}
		}
		g := sh.g
		if g == nil {
			g = nullGeometry
		} else {
			props["precision"] = sh.precision
		}
		if i > 0 {
			bw.WriteString(",")
		}
		if err := enc.Encode(geoFeature{Type: "Feature", Geometry: g, Properties: props}); err != nil {
			return err
		}
	}
	fmt.Fprintf(bw, `],"properties":{"from":%q,"to":%q,"total":%d}}`+"\n", isoLocal(res.From), isoLocal(res.To), res.Total)
	return bw.Flush()
}

// requestHeader is the CSV export's header: one line per request, no
// personal data.
var requestHeader = []string{"tracking_id", "received_at", "channel", "category", "outcome", "caller_type", "urgency", "status",
	"comune_istat", "comune", "provincia_istat", "sigla", "regione_istat", "regione", "lat", "lon", "event_id", "site_id", "mode",
	"hazard", "people", "vulnerable"}

// ExportRequests streams every request of the plan's period and filters,
// as CSV or as GeoJSON points, reading and writing one row at a time:
// memory stays flat for ten million rows. A GeoJSON point is the
// citizen's coordinates, else the comune's centroid, else its province's,
// with a "precision" property saying which (exact, comune, provincia);
// requests without coordinates or comune have no place and are left out.
// flush, when set, is called every few thousand rows (to push an HTTP
// response along).
func (s *Service) ExportRequests(ctx context.Context, w io.Writer, p Plan, format string, flush func()) (int64, error) {
	if flush == nil {
		flush = func() {}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	q := store.CountQuery{From: p.From, To: p.To, EventID: p.EventID, SiteID: p.SiteID, Mode: p.Mode, Where: p.Where}
	var n int64
	fl := func(f *float64) string {
		if f == nil {
			return ""
		}
		return strconv.FormatFloat(*f, 'f', 6, 64)
	}
	var err error
	switch format {
	case FormatCSV:
		cw := csv.NewWriter(bw)
		if err := cw.Write(requestHeader); err != nil {
			return 0, err
		}
		rec := make([]string, len(requestHeader))
		err = s.db.StreamRequests(ctx, q, false, func(r *store.RequestRow) error {
			lat, lon := r.Lat, r.Lon
			if lat != nil && lon != nil && !geo.ValidPoint(*lat, *lon) {
				lat, lon = nil, nil // not a point on Earth: no coordinates rather than NaN
			}
			rec = append(rec[:0], r.TrackingID, isoLocal(r.At), r.Channel, r.Category, r.Outcome, r.CallerType, r.Urgency,
				r.Status, r.ComuneCode, safeCell(r.Comune), r.ProvinciaCode, r.Sigla, r.RegioneCode, safeCell(r.Regione),
				fl(lat), fl(lon), strconv.FormatInt(r.EventID, 10), strconv.FormatInt(r.SiteID, 10), r.Mode, r.Hazard, people(r),
				r.Vulnerable)
			for i := 3; i <= 5; i++ {
				rec[i] = safeCell(rec[i])
			}
			n++
			if err := cw.Write(rec); err != nil {
				return err
			}
			if n%4096 == 0 {
				cw.Flush()
				if err := bw.Flush(); err != nil {
					return err
				}
				flush()
			}
			return nil
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
	case FormatGeoJSON:
		atlas, aerr := s.db.Atlas(ctx)
		if aerr != nil {
			return 0, aerr
		}
		bw.WriteString(`{"type":"FeatureCollection","features":[`)
		props := map[string]any{}
		err = s.db.StreamRequests(ctx, q, true, func(r *store.RequestRow) error {
			loc, ok := atlas.Locate(r.Lat, r.Lon, r.ComuneCode, r.ProvinciaCode)
			if !ok {
				return nil // a comune of a province the atlas lacks (a newer ISTAT list than its boundaries)
			}
			if n > 0 {
				bw.WriteString(",\n")
			}
			n++
			clear(props)
			props["tracking_id"], props["received_at"], props["channel"], props["category"] = r.TrackingID, isoLocal(r.At), r.Channel, r.Category
			props["outcome"], props["urgency"], props["status"] = r.Outcome, r.Urgency, r.Status
			props["comune_istat"], props["comune"], props["provincia_istat"], props["regione_istat"] = r.ComuneCode, r.Comune, r.ProvinciaCode, r.RegioneCode
			props["precision"] = loc.Precision
			if r.Hazard != "" {
				props["hazard"], props["people"], props["vulnerable"] = r.Hazard, r.People, strings.Fields(r.Vulnerable)
			}
			b, err := json.Marshal(geoFeature{Type: "Feature", Geometry: pointGeometry(loc.Lat, loc.Lon), Properties: props})
			if err != nil {
				return err
			}
			bw.Write(b)
			if n%4096 == 0 {
				if err := bw.Flush(); err != nil {
					return err
				}
				flush()
			}
			return nil
		})
		bw.WriteString("]}\n")
	default:
		return 0, problem("formato %q non previsto per l'esportazione delle richieste (ammessi: csv, geojson, cap)",
			"format %q is not available for exporting requests (allowed: csv, geojson, cap)", format)
	}
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// ExportComuni writes the per-comune aggregates of the plan as GeoJSON:
// a feature per comune with its ISTAT codes, its count and its counts by
// category, placed as WriteGeoJSON places comuni.
func (s *Service) ExportComuni(ctx context.Context, w io.Writer, p Plan) error {
	q := p.Query
	q.By, q.Bucket, q.Trend = []string{FieldCategory, FieldComune}, "", false
	pp, err := s.Check(ctx, q)
	if err != nil {
		return err
	}
	res, err := s.Run(ctx, pp, "it")
	if err != nil {
		return err
	}
	return s.WriteGeoJSON(ctx, w, pp, res)
}

// people is a rescue request's people for the CSV ("" without one).
func people(r *store.RequestRow) string {
	if r.Hazard == "" {
		return ""
	}
	return strconv.Itoa(r.People)
}
