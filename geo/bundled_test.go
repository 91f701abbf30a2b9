package geo

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// The bundled boundaries are generated once from ../shared/geo's files
// (openpolis/geojson-italy, ISTAT June 2023) with
//
//	go test ./geo -run TestRegenerateBundle -regen-bundle "$PWD/../shared/geo"
//
// and committed; TestBundleMatchesSource checks, when the files are
// there, that the committed bundle is what they give.
var regenBundle = flag.String("regen-bundle", "", "rebuild data/"+BundledBoundariesFile+" from this folder's limits_IT_regions.geojson and limits_IT_provinces.geojson")

// bundleOptions keep the bundle a few tens of KB: about 500 m of
// simplification and 100 m of rounding, invisible on a national map.
var bundleOptions = BoundaryOptions{Tolerance: 0.005, Decimals: 3}

// buildBundle reads the regions and provinces of dir and gives the
// provinces the codes of the bundled ISTAT list: openpolis names a
// metropolitan city by its old province's code (Bologna 037), the list
// by the città metropolitana's (237); its comuni' codes still start with
// 037, which is how the two are matched.
func buildBundle(dir string) ([]Boundary, error) {
	ds, err := Snapshot()
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, p := range ds.Province {
		known[p.Code] = true
	}
	byPrefix := map[string]map[string]bool{}
	for _, c := range ds.Comuni {
		if byPrefix[c.Code[:3]] == nil {
			byPrefix[c.Code[:3]] = map[string]bool{}
		}
		byPrefix[c.Code[:3]][c.ProvinciaCode] = true
	}
	var out []Boundary
	for _, name := range []string{"limits_IT_regions.geojson", "limits_IT_provinces.geojson"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		bs, err := ParseBoundaries(f, bundleOptions)
		f.Close()
		if err != nil {
			return nil, err
		}
		for i, b := range bs {
			if b.Level != LevelProvincia || known[b.Code] {
				continue
			}
			if len(byPrefix[b.Code]) != 1 {
				return nil, &LineError{Line: i + 1, Problem: "provincia " + b.Code + " matches no single province of the ISTAT list"}
			}
			for code := range byPrefix[b.Code] {
				bs[i].Code = code
			}
		}
		sort.Slice(bs, func(i, j int) bool { return bs[i].Code < bs[j].Code })
		out = append(out, bs...)
	}
	return out, nil
}

func TestRegenerateBundle(t *testing.T) {
	if *regenBundle == "" {
		t.Skip("run with -regen-bundle DIR to rebuild the bundled boundaries")
	}
	bs, err := buildBundle(*regenBundle)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := WriteBundle(bs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("data", BundledBoundariesFile), gz, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d boundaries, %d bytes", len(bs), len(gz))
}

func TestBundleMatchesSource(t *testing.T) {
	if _, err := os.Stat("../../shared/geo/limits_IT_provinces.geojson"); err != nil {
		t.Skip("../shared/geo not available")
	}
	want, err := buildBundle("../../shared/geo")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("bundle has %d boundaries, the source gives %d: regenerate it", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Level != w.Level || g.Code != w.Code || g.Name != w.Name || g.Points != w.Points || string(g.Geometry) != string(w.Geometry) {
			t.Fatalf("boundary %d: bundle has %s %s %q (%d points), the source gives %s %s %q (%d points): regenerate it",
				i, g.Level, g.Code, g.Name, g.Points, w.Level, w.Code, w.Name, w.Points)
		}
	}
}

// TestBundled checks what a fresh installation gets: every region and
// province of the bundled ISTAT list has a shape and a centroid inside
// it, and the whole stays small.
func TestBundled(t *testing.T) {
	if len(bundledBoundaries) > 150<<10 {
		t.Fatalf("bundle is %d bytes: simplify more", len(bundledBoundaries))
	}
	bs, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAtlas(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := a.Counts(); c[LevelRegione] != 20 || c[LevelProvincia] != 107 || c[LevelComune] != 0 {
		t.Fatalf("counts %v", c)
	}
	names := map[string]string{}
	points := 0
	for _, b := range bs {
		names[b.Level+b.Code] = b.Name
		points += b.Points
	}
	if points > 30000 {
		t.Fatalf("%d vertices: a browser draws them all at once", points)
	}
	for _, r := range ds.Regioni {
		if names[LevelRegione+r.Code] == "" {
			t.Errorf("regione %s %s has no bundled shape", r.Code, r.Name)
		}
	}
	for _, p := range ds.Province {
		if names[LevelProvincia+p.Code] == "" {
			t.Errorf("provincia %s %s has no bundled shape", p.Code, p.Name)
			continue
		}
		c, ok := a.Centroid(LevelProvincia, p.Code)
		if !ok || c.Lat < 35.4 || c.Lat > 47.1 || c.Lon < 6.6 || c.Lon > 18.6 {
			t.Errorf("provincia %s: centroid %v outside Italy", p.Code, c)
		}
	}
	// Bologna's centroid lies in the plain north of the Apennines, around
	// 44.45N 11.3E; Venezia's (a province around a lagoon) on its land.
	bo, _ := a.Centroid(LevelProvincia, "237")
	if math.Abs(bo.Lat-44.45) > 0.2 || math.Abs(bo.Lon-11.3) > 0.3 {
		t.Errorf("Bologna's centroid %v", bo)
	}
	for _, b := range a.Boundaries(LevelProvincia) {
		c, _ := a.Centroid(LevelProvincia, b.Code)
		polys, _ := decodePolygons(b.Geometry)
		in := false
		for _, p := range polys {
			in = in || insidePolygon([2]float64{c.Lon, c.Lat}, p)
		}
		if !in {
			t.Errorf("provincia %s %s: centroid %v outside its shape", b.Code, b.Name, c)
		}
	}
}

func TestBundleRoundTrip(t *testing.T) {
	in := []Boundary{{Level: LevelRegione, Code: "08", Name: "Emilia-Romagna",
		Geometry: []byte(`{"type":"MultiPolygon","coordinates":[[[[11,44],[12,44],[12,45],[11,44]]]]}`), Points: 4}}
	gz, err := WriteBundle(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ReadBundle(gz)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("%+v", out)
	}
}
