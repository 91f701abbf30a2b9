package store_test

import (
	"errors"
	"os"
	"testing"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
)

func TestBoundariesFromOpenpolis(t *testing.T) {
	f, err := os.Open("../../shared/geo/limits_IT_provinces.geojson")
	if err != nil {
		t.Skipf("../shared/geo not available: %v", err)
	}
	defer f.Close()
	parsed, err := geo.ParseBoundaries(f, geo.BoundaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eachOps(t, func(t *testing.T, db *store.DB, _ *clock.Fake) {
		bs := make([]store.Boundary, len(parsed))
		for i, b := range parsed {
			bs[i] = store.Boundary{Level: b.Level, Code: b.Code, Name: b.Name, Geometry: b.Geometry}
		}
		res, err := db.SaveBoundaries(opsCtx, store.GeoProvincia, bs, "test")
		if err != nil {
			t.Fatal(err)
		}
		// openpolis names metropolitan cities by their comuni's prefix.
		if res.Saved != 107 || res.Renamed["037"] != "237" || res.Renamed["058"] != "258" {
			t.Fatalf("saved %d, renamed %v", res.Saved, res.Renamed)
		}
		got, err := db.Boundaries(opsCtx, store.GeoProvincia)
		if err != nil || len(got) != 107 {
			t.Fatalf("%d boundaries %v", len(got), err)
		}
		province, _ := db.Province(opsCtx)
		known := map[string]bool{}
		for _, p := range province {
			known[p.Code] = true
		}
		for _, b := range got {
			if !known[b.Code] {
				t.Fatalf("boundary %s %s matches no provincia of the ISTAT list", b.Code, b.Name)
			}
		}
		// Unknown codes are refused and nothing changes.
		bad := []store.Boundary{{Code: "555", Name: "Atlantide", Geometry: bs[0].Geometry}}
		if _, err := db.SaveBoundaries(opsCtx, store.GeoProvincia, bad, "test"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("unknown code: %v", err)
		}
		if counts, _ := db.BoundaryCounts(opsCtx); counts[store.GeoProvincia] != 107 {
			t.Fatalf("counts after a refused import %v", counts)
		}
	})
}

// TestAtlasBundledThenImported: a fresh installation places requests on
// the bundled provinces; an import of comuni boundaries shows at once.
func TestAtlasBundledThenImported(t *testing.T) {
	eachOps(t, func(t *testing.T, db *store.DB, _ *clock.Fake) {
		a, err := db.Atlas(opsCtx)
		if err != nil {
			t.Fatal(err)
		}
		if c := a.Counts(); c[store.GeoRegione] != 20 || c[store.GeoProvincia] != 107 || !a.Bundled(store.GeoProvincia) {
			t.Fatalf("fresh atlas %v", c)
		}
		loc, ok := a.Locate(nil, nil, "039010", "039")
		if !ok || loc.Precision != geo.PrecisionProvincia {
			t.Fatalf("Faenza on a fresh installation: %+v %v", loc, ok)
		}
		faenza := store.Boundary{Code: "039010", Name: "Faenza",
			Geometry: []byte(`{"type":"MultiPolygon","coordinates":[[[[11.8,44.2],[12,44.2],[12,44.4],[11.8,44.4],[11.8,44.2]]]]}`)}
		if _, err := db.SaveBoundaries(opsCtx, store.GeoComune, []store.Boundary{faenza}, "test"); err != nil {
			t.Fatal(err)
		}
		a, err = db.Atlas(opsCtx)
		if err != nil {
			t.Fatal(err)
		}
		loc, ok = a.Locate(nil, nil, "039010", "039")
		if !ok || loc.Precision != geo.PrecisionComune || loc.Lat < 44.29 || loc.Lat > 44.31 {
			t.Fatalf("Faenza after importing its boundary: %+v %v", loc, ok)
		}
		if again, _ := db.Atlas(opsCtx); again != a {
			t.Fatal("atlas rebuilt although nothing changed")
		}
	})
}
