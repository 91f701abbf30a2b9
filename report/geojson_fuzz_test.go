package report_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/report"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// FuzzGeoJSONExport stores a request at an arbitrary position (what the
// store holds, whatever let it in) and exports it as GeoJSON: the output is
// always valid JSON, never carries NaN or Infinity, and a point it writes
// is a real place on Earth.
func FuzzGeoJSONExport(f *testing.F) {
	// NaN and infinities are in testdata/fuzz/FuzzGeoJSONExport.
	for _, p := range [][2]float64{{44.2227, 12.0407}, {-90, -180}, {90, 180}, {0, 0}, {1e300, -1e300},
		{44.4999995, 11.0000005}, {-0.0000005, 0.0000005}} {
		f.Add(p[0], p[1])
	}
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		f.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 5, 16, 8, 0, 0, 0, rome))
	// PostgreSQL when it is at hand: it keeps a NaN that SQLite turns into
	// NULL.
	engines := storetest.Engines()
	db := engines[len(engines)-1].Open(f, clk)
	ds, err := geo.Snapshot()
	if err != nil {
		f.Fatal(err)
	}
	if _, _, err := db.SeedGeo(bg, ds); err != nil {
		f.Fatal(err)
	}
	svc := report.New(report.Options{Store: db, Clock: clk})
	f.Fuzz(func(t *testing.T, lat, lon float64) {
		clk.Advance(time.Hour) // reports count by the hour: one request an hour
		at := clk.Now().In(rome)
		c := store.Case{Channel: store.ChannelWeb, Category: "idraulico", Outcome: "segnalazione-registrata", ComuneCode: "039010",
			Lat: &lat, Lon: &lon}
		if err := db.CreateCase(bg, &c); err != nil {
			return // the store may refuse what it cannot keep: nothing to export
		}
		if _, err := svc.CatchUp(bg); err != nil {
			t.Fatal(err)
		}
		q, err := report.ParseQuery(url.Values{"from": {at.Format("2006-01-02T15:04")}, "to": {at.Add(time.Minute).Format("2006-01-02T15:04")}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.Check(bg, q)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := svc.ExportRequests(bg, &b, p, report.FormatGeoJSON, nil); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
			t.Fatalf("GeoJSON carries a non-number: %s", out)
		}
		var fc struct {
			Type     string
			Features []struct {
				Geometry *struct {
					Type        string
					Coordinates []float64
				}
			}
		}
		if err := json.Unmarshal(b.Bytes(), &fc); err != nil || fc.Type != "FeatureCollection" {
			t.Fatalf("not GeoJSON (%v): %s", err, out)
		}
		if len(fc.Features) > 1 {
			t.Fatalf("%d features for one request", len(fc.Features))
		}
		for _, ft := range fc.Features {
			g := ft.Geometry
			if g == nil {
				continue
			}
			if g.Type != "Point" || len(g.Coordinates) != 2 || math.Abs(g.Coordinates[0]) > 180 || math.Abs(g.Coordinates[1]) > 90 {
				t.Fatalf("stored %v, %v; exported %+v", lat, lon, *g)
			}
		}
	})
}
