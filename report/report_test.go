package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/report"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

var bg = context.Background()

var rome, _ = time.LoadLocation("Europe/Rome")

// t0 is a Saturday evening in May, when the flood begins.
var t0 = time.Date(2026, 5, 16, 18, 0, 0, 0, rome)

type gen struct {
	id                                          int64
	tid                                         string
	at                                          time.Time
	category, outcome, channel, urgency, comune string
	provincia, regione                          string
	geolocated                                  bool
}

type rig struct {
	t     *testing.T
	db    *store.DB
	clk   *clock.Fake
	svc   *report.Service
	flood store.EmergencyEvent
	all   []gen
}

var comuni = []string{"037006", "037054", "039014", "040012", "039001", "066049", "058091", ""}

// newRig generates a flood: 30 requests before it, 400 during two days.
func newRig(t *testing.T, e storetest.Engine) *rig {
	t.Helper()
	clk := clock.NewFake(t0.Add(-6 * time.Hour))
	db := e.Open(t, clk)
	ds, err := geo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SeedGeo(bg, ds); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, db: db, clk: clk, svc: report.New(report.Options{Store: db, Clock: clk})}
	rng := rand.New(rand.NewPCG(3, 5))
	places := map[string][2]string{}
	for _, c := range comuni[:len(comuni)-1] {
		p, err := db.ComuneByCode(bg, c)
		if err != nil {
			t.Fatal(err)
		}
		places[c] = [2]string{p.ProvinciaCode, p.RegioneCode}
	}
	make := func(n int, step time.Duration) {
		for range n {
			g := gen{at: clk.Now(), category: []string{"idraulico", "disalimentazione", "viabilita", "soccorso"}[rng.IntN(4)],
				outcome: []string{"informazione-fornita", "segnalazione-registrata"}[rng.IntN(2)],
				channel: []string{"phone", "phone", "web", "email"}[rng.IntN(4)], urgency: []string{"none", "rescue"}[rng.IntN(2)],
				comune: comuni[rng.IntN(len(comuni))], geolocated: rng.IntN(3) == 0}
			g.provincia, g.regione = places[g.comune][0], places[g.comune][1]
			c := store.Case{Channel: g.channel, Category: g.category, Outcome: g.outcome, Urgency: g.urgency, ComuneCode: g.comune}
			if g.geolocated {
				lat, lon := 44.4+rng.Float64()/10, 11.3+rng.Float64()/10
				c.Lat, c.Lon = &lat, &lon
			}
			if err := db.CreateCase(bg, &c); err != nil {
				t.Fatal(err)
			}
			g.id, g.tid = c.ID, c.TrackingID
			r.all = append(r.all, g)
			clk.Advance(time.Duration(rng.Int64N(int64(step))))
		}
	}
	make(30, 20*time.Minute)
	clk.Set(t0)
	r.flood = store.EmergencyEvent{Name: "Alluvione Emilia-Romagna, maggio 2026", Area: []string{"08"}}
	if err := db.OpenEvent(bg, &r.flood, "coordinatore"); err != nil {
		t.Fatal(err)
	}
	make(400, 14*time.Minute)
	if _, err := r.svc.CatchUp(bg); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) inFlood(g gen) bool { return !g.at.Before(r.flood.StartedAt) }

func (r *rig) ask(v url.Values) report.Result {
	r.t.Helper()
	q, err := report.ParseQuery(v)
	if err != nil {
		r.t.Fatal(err)
	}
	res, err := r.svc.Ask(bg, q, "it")
	if err != nil {
		r.t.Fatal(err)
	}
	return res
}

func keyed(res report.Result) map[string]int64 {
	out := map[string]int64{}
	for _, row := range res.Rows {
		k := ""
		if !row.Bucket.IsZero() {
			k = row.Bucket.In(rome).Format("2006-01-02T15:04")
		}
		for _, x := range row.Keys {
			k += "|" + x
		}
		out[k] += row.N
	}
	return out
}

func same(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: nothing to compare", what)
	}
	for k, n := range want {
		if got[k] != n {
			t.Fatalf("%s: %s = %d, want %d (got %d groups, want %d)", what, k, got[k], n, len(got), len(want))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d groups, want %d", what, len(got), len(want))
	}
}

func TestReportTotalsAgainstAnIndependentCount(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			r := newRig(t, e)
			ev := fmt.Sprint(r.flood.ID)
			// The question: category × provincia × hour for the event.
			res := r.ask(url.Values{"event": {ev}, "by": {"category,provincia"}, "bucket": {"hour"}})
			want := map[string]int64{}
			for _, g := range r.all {
				if r.inFlood(g) {
					want[fmt.Sprintf("%s|%s|%s", g.at.Truncate(time.Hour).In(rome).Format("2006-01-02T15:04"), g.category, g.provincia)]++
				}
			}
			same(t, "category×provincia×hour", keyed(res), want)
			if res.Source != "rollup-hour" || res.Labels["provincia"]["237"] != "Bologna" {
				t.Fatalf("source %s labels %v", res.Source, res.Labels["provincia"])
			}

			// Days are Italian days, and the rescue filter applies.
			res = r.ask(url.Values{"event": {ev}, "by": {"regione"}, "bucket": {"day"}, "urgency": {"rescue"}})
			want = map[string]int64{}
			for _, g := range r.all {
				if r.inFlood(g) && g.urgency == "rescue" {
					l := g.at.In(rome)
					want[time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, rome).Format("2006-01-02T15:04")+"|"+g.regione]++
				}
			}
			same(t, "rescue by regione and day", keyed(res), want)

			// Comuni, totals with the trend against the day before.
			from := time.Date(2026, 5, 17, 0, 0, 0, 0, rome)
			res = r.ask(url.Values{"from": {"2026-05-17"}, "to": {"2026-05-17"}, "by": {"comune"}, "trend": {"1"}})
			if res.Widened || !res.From.Equal(from) || !res.To.Equal(from.Add(24*time.Hour)) {
				t.Fatalf("period %s–%s widened %v", res.From, res.To, res.Widened)
			}
			now, prev := map[string]int64{}, map[string]int64{}
			for _, g := range r.all {
				switch {
				case !g.at.Before(from) && g.at.Before(from.Add(24*time.Hour)):
					now["|"+g.comune]++
				case !g.at.Before(from.Add(-24*time.Hour)) && g.at.Before(from):
					prev["|"+g.comune]++
				}
			}
			same(t, "comuni", keyed(res), now)
			for _, tot := range res.Totals {
				if tot.Prev != prev["|"+tot.Keys[0]] {
					t.Fatalf("previous day of %s: %d, want %d", tot.Keys[0], tot.Prev, prev["|"+tot.Keys[0]])
				}
			}
			if res.Source != "comuni" {
				t.Fatalf("comuni answered from %s", res.Source)
			}
			// A period that does not start on a day is widened to whole days, and says so.
			res = r.ask(url.Values{"from": {"2026-05-17T10:00"}, "to": {"2026-05-17T11:00"}, "by": {"comune"}})
			if !res.Widened || !res.From.Equal(from) {
				t.Fatalf("period %s widened %v", res.From, res.Widened)
			}

			// Two dimensions at once come from the facts.
			res = r.ask(url.Values{"event": {ev}, "by": {"channel,outcome"}})
			want = map[string]int64{}
			for _, g := range r.all {
				if r.inFlood(g) {
					want["|"+g.channel+"|"+g.outcome]++
				}
			}
			same(t, "channel×outcome", keyed(res), want)
			if res.Source != "facts" {
				t.Fatalf("two dimensions answered from %s", res.Source)
			}
		})
	}
}

func TestBadQuestionsAreRefused(t *testing.T) {
	r := newRig(t, storetest.Engines()[0])
	cases := []struct {
		v    url.Values
		want string
	}{
		{url.Values{"by": {"colour"}}, "unknown field \"colour\""},
		{url.Values{"by": {"category,category"}}, "appears twice"},
		{url.Values{"by": {"comune,provincia"}}, "one geographic level"},
		{url.Values{"bucket": {"week"}}, "bucket \"week\""},
		{url.Values{"from": {"16/05/2026"}}, "from \"16/05/2026\" is not a date"},
		{url.Values{"from": {"2026-05-17"}, "to": {"2026-05-16"}}, "must come before"},
		{url.Values{"from": {"2025-01-01"}, "to": {"2026-05-01"}, "bucket": {"hour"}}, "period too long: 485 days (at most 93"},
		{url.Values{"from": {"2026-01-01"}, "to": {"2026-05-01"}, "bucket": {"15m"}}, "use bucket=hour"},
		{url.Values{"comune": {"999999"}}, "ISTAT code 999999 matches no known comune"},
		{url.Values{"comune": {"37006"}}, "is not a 6-digit ISTAT code"},
		{url.Values{"provincia": {"037"}}, "matches no known provincia"},
		{url.Values{"category": {"alieni"}}, "unknown value \"alieni\""},
		{url.Values{"event": {"x"}}, "is not an event number"},
		{url.Values{"event": {"999"}}, "event 999 does not exist"},
		{url.Values{"mode": {"panic"}}, "mode \"panic\""},
		{url.Values{"site": {"roma"}}, "site \"roma\" does not exist"},
		{url.Values{"colour": {"red"}}, "unknown parameter \"colour\""},
		{url.Values{"trend": {"maybe"}}, "trend is 1 or 0"},
	}
	for _, c := range cases {
		q, err := report.ParseQuery(c.v)
		if err == nil {
			_, err = r.svc.Ask(bg, q, "en")
		}
		var p *report.Problem
		if !errors.As(err, &p) || !errors.Is(err, store.ErrInvalid) || !strings.Contains(p.EN, c.want) || p.IT == "" {
			t.Errorf("%v: %v, want %q", c.v, err, c.want)
		}
	}
}

func TestExportsStreamEveryRequest(t *testing.T) {
	r := newRig(t, storetest.Engines()[0])
	q, _ := report.ParseQuery(url.Values{"event": {fmt.Sprint(r.flood.ID)}})
	p, err := r.svc.Check(bg, q)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	flushes := 0
	n, err := r.svc.ExportRequests(bg, &b, p, report.FormatCSV, func() { flushes++ })
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]gen{}
	placed := 0 // with coordinates or a comune: a map can place them
	for _, g := range r.all {
		if r.inFlood(g) {
			want[g.tid] = g
			if g.geolocated || g.comune != "" {
				placed++
			}
		}
	}
	if int(n) != len(want) || len(recs) != len(want)+1 || recs[0][0] != "tracking_id" {
		t.Fatalf("%d rows (%d records), want %d", n, len(recs), len(want))
	}
	for _, rec := range recs[1:] {
		g, ok := want[rec[0]]
		if !ok || rec[3] != g.category || rec[8] != g.comune {
			t.Fatalf("row %v does not match %+v", rec, g)
		}
	}
	b.Reset()
	n, err = r.svc.ExportRequests(bg, &b, p, report.FormatGeoJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string
		Features []struct {
			Geometry struct {
				Type        string
				Coordinates []float64
			}
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(b.Bytes(), &fc); err != nil {
		t.Fatalf("GeoJSON: %v", err)
	}
	if int(n) != placed || len(fc.Features) != placed {
		t.Fatalf("%d points, want %d: %+v", len(fc.Features), placed, fc.Features[:1])
	}
	// Every request is a point: its own coordinates, else its province's
	// centroid (no comuni boundaries are loaded here), saying which.
	atlas, err := r.db.Atlas(bg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fc.Features {
		g := want[f.Properties["tracking_id"].(string)]
		if f.Geometry.Type != "Point" || len(f.Geometry.Coordinates) != 2 {
			t.Fatalf("%s: geometry %+v", g.tid, f.Geometry)
		}
		lon, lat := f.Geometry.Coordinates[0], f.Geometry.Coordinates[1]
		switch precision := f.Properties["precision"]; {
		case g.geolocated:
			if precision != geo.PrecisionExact || lat < 44.4 || lat > 44.5 || lon < 11.3 || lon > 11.4 {
				t.Fatalf("%s: geolocated request at %v,%v (%v)", g.tid, lat, lon, precision)
			}
		default:
			c, ok := atlas.Centroid(geo.LevelProvincia, g.provincia)
			if precision != geo.PrecisionProvincia || !ok || math.Abs(lat-c.Lat) > 1e-6 || math.Abs(lon-c.Lon) > 1e-6 {
				t.Fatalf("%s of comune %s: at %v,%v (%v), want its province %s's centroid %+v", g.tid, g.comune, lat, lon, precision, g.provincia, c)
			}
		}
	}
	// Per-comune aggregates carry ISTAT codes and counts by category.
	b.Reset()
	if err := r.svc.ExportComuni(bg, &b, p); err != nil {
		t.Fatal(err)
	}
	fc.Features = nil // a null geometry would otherwise keep the last decode's
	if err := json.Unmarshal(b.Bytes(), &fc); err != nil {
		t.Fatalf("GeoJSON: %v\n%s", err, b.Bytes())
	}
	perComune := map[string]int{}
	for _, g := range want {
		perComune[g.comune]++
	}
	for _, f := range fc.Features {
		code, _ := f.Properties["istat"].(string)
		if int(f.Properties["n"].(float64)) != perComune[code] {
			t.Fatalf("comune %s: %v, want %d", code, f.Properties["n"], perComune[code])
		}
		// A known comune is always somewhere: the mean of its geolocated
		// requests, else its province's centroid.
		if code != "" && (f.Geometry.Type != "Point" || f.Properties["precision"] == nil) {
			t.Fatalf("comune %s: geometry %+v, precision %v", code, f.Geometry, f.Properties["precision"])
		}
	}
	if len(fc.Features) != len(perComune) {
		t.Fatalf("%d comuni, want %d", len(fc.Features), len(perComune))
	}
}

func TestReportCSVAndGeoJSONWithBoundaries(t *testing.T) {
	r := newRig(t, storetest.Engines()[0])
	f, err := os.Open("../../shared/geo/limits_IT_provinces.geojson")
	loaded := err == nil // the shapes are checked only where the reference data is at hand
	if !loaded {
		t.Log("../../shared/geo absent: the provinces' shapes are not checked, only the counts")
	}
	if loaded {
		bs, err := geo.ParseBoundaries(f, geo.BoundaryOptions{})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		var sb []store.Boundary
		for _, b := range bs {
			sb = append(sb, store.Boundary{Code: b.Code, Name: b.Name, Geometry: b.Geometry})
		}
		if _, err := r.db.SaveBoundaries(bg, store.GeoProvincia, sb, "test"); err != nil {
			t.Fatal(err)
		}
	}
	q, _ := report.ParseQuery(url.Values{"event": {fmt.Sprint(r.flood.ID)}, "by": {"provincia,category"}, "trend": {"1"}})
	p, err := r.svc.Check(bg, q)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.svc.Run(bg, p, "it")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.WriteCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(&b).ReadAll()
	if strings.Join(recs[0], ",") != "category,category_label,provincia,provincia_label,n,prev,change" || len(recs) != len(res.Totals)+1 {
		t.Fatalf("csv %v", recs[:min(3, len(recs))])
	}
	b.Reset()
	if err := r.svc.WriteGeoJSON(bg, &b, p, res); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Geometry   json.RawMessage
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(b.Bytes(), &fc); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, f := range fc.Features {
		total += int64(f.Properties["n"].(float64))
		if loaded && f.Properties["istat"] == "237" && string(f.Geometry) == "null" {
			t.Fatal("Bologna has no shape although the boundaries are loaded")
		}
	}
	if total != res.Total {
		t.Fatalf("GeoJSON sums to %d, report to %d", total, res.Total)
	}
	// Time buckets have no place in a GeoJSON of aggregates.
	q.Bucket = report.BucketHour
	p, _ = r.svc.Check(bg, q)
	res, _ = r.svc.Run(bg, p, "it")
	if err := r.svc.WriteGeoJSON(bg, &b, p, res); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("bucketed GeoJSON: %v", err)
	}
}

func TestSitrepIsOnePage(t *testing.T) {
	r := newRig(t, storetest.Engines()[0])
	var b bytes.Buffer
	if err := r.svc.WriteSitrep(bg, &b, r.flood.ID); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", b.Bytes()[:20])
	}
	info, err := exec.LookPath("pdfinfo")
	if err != nil {
		t.Skip("pdfinfo not installed (poppler-utils): page count and text not checked")
	}
	f := filepath.Join(t.TempDir(), "sitrep.pdf")
	os.WriteFile(f, b.Bytes(), 0o600)
	out, err := exec.Command(info, f).CombinedOutput()
	if err != nil || !regexp.MustCompile(`(?m)^Pages:\s+1$`).Match(out) {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	text, err := exec.Command("pdftotext", "-layout", f, "-").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	var inFlood int
	for _, g := range r.all {
		if r.inFlood(g) {
			inFlood++
		}
	}
	for _, want := range []string{"Alluvione Emilia-Romagna, maggio 2026", "Richieste ricevute", fmt.Sprint(inFlood), "Bologna",
		"Rischio idraulico"} {
		if !strings.Contains(string(text), want) {
			t.Fatalf("sitrep lacks %q:\n%s", want, text)
		}
	}
}
