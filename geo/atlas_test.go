package geo

import (
	"encoding/json"
	"math"
	"testing"
)

func TestCentroid(t *testing.T) {
	cases := []struct {
		name     string
		geometry string
		lat, lon float64
	}{
		{"square", `{"type":"Polygon","coordinates":[[[10,40],[12,40],[12,42],[10,42],[10,40]]]}`, 41, 11},
		// The largest polygon counts, not the islands around it.
		{"with an island", `{"type":"MultiPolygon","coordinates":[[[[17,38],[17.1,38],[17.1,38.1],[17,38]]],
			[[[10,40],[12,40],[12,42],[10,42],[10,40]]]]}`, 41, 11},
		// A C open to the east: the area's centroid (x≈10.6) lies in the
		// bay; the point goes to the middle of the widest stretch of land
		// along its parallel (the C's back, 10 to 10.5).
		{"crescent", `{"type":"Polygon","coordinates":[[[10,40],[13,40],[13,40.5],[10.5,40.5],[10.5,41.5],[13,41.5],[13,42],[10,42],[10,40]]]}`, 41, 10.25},
		// A hole in the middle (a lake, an enclave) moves the point onto land.
		{"hole", `{"type":"Polygon","coordinates":[[[10,40],[12,40],[12,42],[10,42],[10,40]],[[10.5,40.5],[11.5,40.5],[11.5,41.5],[10.5,41.5],[10.5,40.5]]]}`, 41, 10.25},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Centroid(json.RawMessage(c.geometry))
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(p.Lat-c.lat) > 1e-9 || math.Abs(p.Lon-c.lon) > 1e-9 {
				t.Fatalf("centroid %+v, want %v,%v", p, c.lat, c.lon)
			}
		})
	}
	for _, bad := range []string{`{"type":"Point","coordinates":[11,44]}`, `{"type":"MultiPolygon","coordinates":[]}`, `nope`} {
		if _, err := Centroid(json.RawMessage(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestAtlasLocate(t *testing.T) {
	faenza := Boundary{Level: LevelComune, Code: "039010", Name: "Faenza",
		Geometry: json.RawMessage(`{"type":"MultiPolygon","coordinates":[[[[11.8,44.2],[12,44.2],[12,44.4],[11.8,44.4],[11.8,44.2]]]]}`)}
	a, err := NewAtlas([]Boundary{faenza})
	if err != nil {
		t.Fatal(err)
	}
	ra, _ := a.Centroid(LevelProvincia, "039") // Ravenna, from the bundle
	if ra.Lat == 0 {
		t.Fatal("no bundled centroid for Ravenna")
	}
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		name              string
		lat, lon          *float64
		comune, provincia string
		want              Location
		found             bool
	}{
		{"citizen's coordinates", f(44.285), f(11.883), "039010", "039", Location{Point{44.285, 11.883}, PrecisionExact}, true},
		{"comune's centroid", nil, nil, "039010", "039", Location{Point{44.3, 11.9}, PrecisionComune}, true},
		{"invalid coordinates: comune's centroid", f(math.NaN()), f(11.8), "039010", "039", Location{Point{44.3, 11.9}, PrecisionComune}, true},
		{"province's centroid", nil, nil, "039001", "039", Location{ra, PrecisionProvincia}, true},
		{"half a point is none", f(44.1), nil, "039001", "039", Location{ra, PrecisionProvincia}, true},
		{"unknown province", nil, nil, "999001", "999", Location{}, false},
		{"nothing", nil, nil, "", "", Location{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := a.Locate(c.lat, c.lon, c.comune, c.provincia)
			if ok != c.found || math.Abs(got.Lat-c.want.Lat) > 1e-9 || math.Abs(got.Lon-c.want.Lon) > 1e-9 || got.Precision != c.want.Precision {
				t.Fatalf("got %+v %v, want %+v %v", got, ok, c.want, c.found)
			}
			if ok && got.Approximate() != (c.want.Precision != PrecisionExact) {
				t.Fatalf("approximate %v", got.Approximate())
			}
		})
	}
	if a.Bundled(LevelComune) || !a.Bundled(LevelProvincia) || len(a.Boundaries(LevelComune)) != 1 {
		t.Fatalf("levels: %v", a.Counts())
	}
}

// TestAtlasImportedReplacesBundled: an imported level is used whole, the
// bundled one not at all (no mix of two sources' shapes on one map).
func TestAtlasImportedReplacesBundled(t *testing.T) {
	er := Boundary{Level: LevelRegione, Code: "08", Name: "Emilia-Romagna",
		Geometry: json.RawMessage(`{"type":"MultiPolygon","coordinates":[[[[9,44],[12,44],[12,45],[9,45],[9,44]]]]}`)}
	a, err := NewAtlas([]Boundary{er})
	if err != nil {
		t.Fatal(err)
	}
	if c := a.Counts(); c[LevelRegione] != 1 || c[LevelProvincia] != 107 || a.Bundled(LevelRegione) {
		t.Fatalf("counts %v", c)
	}
}
