package geo

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// sharedGeo opens a file of ../shared/geo or skips the test.
func sharedGeo(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open("../../shared/geo/" + name)
	if err != nil {
		t.Skipf("../shared/geo/%s not available: %v", name, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestParseBoundariesOpenpolis(t *testing.T) {
	cases := []struct {
		file, level string
		count       int
		code, name  string
	}{
		{"limits_IT_provinces.geojson", LevelProvincia, 107, "037", "Bologna"},
		{"limits_IT_regions.geojson", LevelRegione, 20, "08", "Emilia-Romagna"},
	}
	for _, c := range cases {
		t.Run(c.level, func(t *testing.T) {
			f := sharedGeo(t, c.file)
			st, _ := f.Stat()
			bs, err := ParseBoundaries(f, BoundaryOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(bs) != c.count {
				t.Fatalf("%d boundaries, want %d", len(bs), c.count)
			}
			total := 0
			var found *Boundary
			for i, b := range bs {
				if b.Level != c.level {
					t.Fatalf("%s has level %s", b.Code, b.Level)
				}
				total += len(b.Geometry)
				if b.Code == c.code {
					found = &bs[i]
				}
			}
			if found == nil || found.Name != c.name {
				t.Fatalf("%s %s not found: %+v", c.level, c.code, found)
			}
			var g struct {
				Type        string
				Coordinates [][][][2]float64
			}
			if err := json.Unmarshal(found.Geometry, &g); err != nil || g.Type != "MultiPolygon" || len(g.Coordinates) == 0 {
				t.Fatalf("geometry of %s: %v %s", c.code, err, found.Geometry[:min(80, len(found.Geometry))])
			}
			// Bologna lies around 11.3E 44.5N: its shape must too.
			ring := g.Coordinates[0][0]
			if ring[0] != ring[len(ring)-1] || len(ring) < 4 {
				t.Fatalf("outer ring not closed: %v … %v", ring[0], ring[len(ring)-1])
			}
			for _, p := range ring {
				if p[0] < 6 || p[0] > 19 || p[1] < 35 || p[1] > 48 {
					t.Fatalf("point %v outside Italy", p)
				}
			}
			// Simplification keeps the map light for a browser.
			if int64(total) > st.Size()/2 {
				t.Fatalf("simplified geometry %d bytes of %d: not simplified", total, st.Size())
			}
		})
	}
}

func TestParseBoundariesRefusals(t *testing.T) {
	square := `{"type":"Polygon","coordinates":[[[11,44],[12,44],[12,45],[11,45],[11,44]]]}`
	cases := []struct {
		name, in, want string
	}{
		{"not json", `hello`, "not a GeoJSON file"},
		{"not a collection", `{"type":"Feature"}`, "not a FeatureCollection"},
		{"empty", `{"type":"FeatureCollection","features":[]}`, "no features"},
		{"no code", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"x"},"geometry":` + square + `}]}`, "no ISTAT code"},
		{"point", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"reg_istat_code":"08"},"geometry":{"type":"Point","coordinates":[11,44]}}]}`, "not a Polygon"},
		{"projected", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"COD_REG":8},"geometry":{"type":"Polygon","coordinates":[[[686000,4930000],[687000,4930000],[687000,4931000],[686000,4930000]]]}}]}`, "WGS84"},
		{"mixed levels", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"reg_istat_code":"08"},"geometry":` + square + `},{"type":"Feature","properties":{"prov_istat_code":"037"},"geometry":` + square + `}]}`, "one level per file"},
		{"twice", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"COD_PROV":37},"geometry":` + square + `},{"type":"Feature","properties":{"prov_istat_code":"037"},"geometry":` + square + `}]}`, "appears twice"},
		{"no geometry", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"reg_istat_code":"08"},"geometry":null}]}`, "no geometry"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseBoundaries(strings.NewReader(c.in), BoundaryOptions{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestParseBoundariesISTATNumericCodes(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"PRO_COM":66049,"COMUNE":"L'Aquila"},
		"geometry":{"type":"Polygon","coordinates":[[[13.3,42.3],[13.5,42.3],[13.5,42.4],[13.3,42.4],[13.3,42.3]]]}}]}`
	bs, err := ParseBoundaries(strings.NewReader(in), BoundaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 1 || bs[0].Level != LevelComune || bs[0].Code != "066049" || bs[0].Name != "L'Aquila" {
		t.Fatalf("%+v", bs)
	}
}

func TestDouglasPeuckerKeepsShape(t *testing.T) {
	// A square with points along its edges: only the corners matter.
	var ring [][2]float64
	for i := 0; i <= 10; i++ {
		ring = append(ring, [2]float64{float64(i) / 10, 0})
	}
	for i := 1; i <= 10; i++ {
		ring = append(ring, [2]float64{1, float64(i) / 10})
	}
	ring = append(ring, [2]float64{0, 1}, [2]float64{0, 0})
	got := douglasPeucker(ring, 0.01)
	if len(got) != 5 {
		t.Fatalf("kept %d points %v, want the 4 corners closed (5)", len(got), got)
	}
}

// TestSimplifyRoundsAndKeepsRingsClosed: with Decimals 3 every coordinate
// keeps at most 3 decimals, points that round together are merged, rings
// stay closed, and an island smaller than the tolerance is dropped while
// the main polygon, however small, stays.
func TestSimplifyRoundsAndKeepsRingsClosed(t *testing.T) {
	in := `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"prov_istat_code":"039"},
		"geometry":{"type":"MultiPolygon","coordinates":[
		[[[11.80012,44.20049],[11.80031,44.20041],[11.9,44.2],[12.00049,44.20004],[12.0,44.4],[11.8,44.4],[11.80012,44.20049]]],
		[[[12.5,44.5],[12.5001,44.5],[12.5001,44.5001],[12.5,44.5]]]]}}]}`
	bs, err := ParseBoundaries(strings.NewReader(in), BoundaryOptions{Tolerance: 0.005, Decimals: 3})
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Coordinates [][][][2]float64 }
	if err := json.Unmarshal(bs[0].Geometry, &g); err != nil {
		t.Fatal(err)
	}
	want := [][2]float64{{11.8, 44.2}, {12, 44.2}, {12, 44.4}, {11.8, 44.4}, {11.8, 44.2}}
	if len(g.Coordinates) != 1 || len(g.Coordinates[0]) != 1 || !reflect.DeepEqual(g.Coordinates[0][0], want) {
		t.Fatalf("simplified to %v, want %v", g.Coordinates, want)
	}
	if bs[0].Points != len(want) {
		t.Fatalf("%d points counted", bs[0].Points)
	}
	// Defaults: 4 decimals, 0.003°.
	bs, err = ParseBoundaries(strings.NewReader(in), BoundaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(bs[0].Geometry), "12.0005") {
		t.Fatalf("default rounding lost the 4th decimal: %s", bs[0].Geometry)
	}
}
