package report_test

import (
	"bytes"
	"database/sql"
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

// TestNonFinitePointsNeverReachTheExports: PostgreSQL keeps a NaN
// coordinate that an older version let through (SQLite turns it into NULL).
// The comune's averaged point, the per-request GeoJSON and the CSV then
// carry no coordinates for it, never NaN or -9223372036854.775.
func TestNonFinitePointsNeverReachTheExports(t *testing.T) {
	u := storetest.PostgresURL(t)
	clk := clock.NewFake(t0)
	db, err := store.Open(store.Options{URL: u, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(bg); err != nil {
		t.Fatal(err)
	}
	ds, err := geo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SeedGeo(bg, ds); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for range 3 {
		lat, lon := 42.3731, 13.4510
		c := store.Case{Channel: store.ChannelWeb, Category: "idrogeologico", ComuneCode: "066049", Lat: &lat, Lon: &lon}
		if err := db.CreateCase(bg, &c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
		clk.Advance(time.Minute)
	}
	raw, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE cases SET lat = 'NaN', lon = 'NaN' WHERE id = $1`, ids[1]); err != nil {
		t.Fatal(err)
	}
	svc := report.New(report.Options{Store: db, Clock: clk})
	if _, err := svc.CatchUp(bg); err != nil {
		t.Fatal(err)
	}
	q, err := report.ParseQuery(url.Values{"from": {t0.Format("2006-01-02")}, "to": {t0.Format("2006-01-02")}, "by": {"comune"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Check(bg, q)
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Run(bg, p, "it")
	if err != nil {
		t.Fatal(err)
	}
	check := func(what, out string) {
		t.Helper()
		for _, bad := range []string{"NaN", "Inf", "-9223372036854"} {
			if strings.Contains(out, bad) {
				t.Fatalf("%s carries %s:\n%s", what, bad, out)
			}
		}
	}
	var b bytes.Buffer
	if err := svc.WriteGeoJSON(bg, &b, p, res); err != nil {
		t.Fatal(err)
	}
	check("comuni GeoJSON", b.String())
	if !strings.Contains(b.String(), `"istat":"066049"`) {
		t.Fatalf("the comune is missing:\n%s", b.String())
	}
	for _, format := range []string{report.FormatGeoJSON, report.FormatCSV} {
		b.Reset()
		n, err := svc.ExportRequests(bg, &b, p, format, nil)
		if err != nil || n != 3 {
			t.Fatalf("%s: %d rows, %v", format, n, err)
		}
		check(format+" export", b.String())
		if !strings.Contains(b.String(), "13.451") {
			t.Fatalf("%s lost the good points:\n%s", format, b.String())
		}
	}
}
