package geo

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Precision says how exactly a located point stands for a request.
const (
	// PrecisionExact is the citizen's own coordinates.
	PrecisionExact = "exact"
	// PrecisionComune is the centroid of the comune's boundary.
	PrecisionComune = "comune"
	// PrecisionProvincia is the centroid of the province's boundary.
	PrecisionProvincia = "provincia"
)

// Location is where a request goes on a map, and how exactly.
type Location struct {
	Point
	Precision string `json:"precision"`
}

// Approximate reports whether the point is a stand-in (a comune's or a
// province's centroid) rather than the citizen's own position.
func (l Location) Approximate() bool { return l.Precision != PrecisionExact }

// Atlas is the geography a map draws and places requests on: boundaries
// by level and the centroid of every comune and province that has one.
// Imported boundaries replace the bundled ones level by level; comuni have
// no bundled shapes (their centroids come only from an import). It is
// immutable and safe to share.
type Atlas struct {
	levels    map[string][]Boundary
	bundled   map[string]bool
	centroids map[string]map[string]Point // level → code → point
}

// NewAtlas builds an atlas from imported boundaries (any levels, possibly
// none) over the bundled regions and provinces.
func NewAtlas(imported []Boundary) (*Atlas, error) {
	a := &Atlas{levels: map[string][]Boundary{}, bundled: map[string]bool{},
		centroids: map[string]map[string]Point{LevelComune: {}, LevelProvincia: {}}}
	for _, b := range imported {
		a.levels[b.Level] = append(a.levels[b.Level], b)
	}
	bs, err := Bundled()
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		if _, ok := a.levels[b.Level]; ok && !a.bundled[b.Level] {
			continue // imported: the bundle's level is not used
		}
		a.bundled[b.Level] = true
		a.levels[b.Level] = append(a.levels[b.Level], b)
	}
	for level, m := range a.centroids {
		for _, b := range a.levels[level] {
			p, err := Centroid(b.Geometry)
			if err != nil {
				return nil, fmt.Errorf("geo: %s %s: %w", level, b.Code, err)
			}
			m[b.Code] = p
		}
	}
	return a, nil
}

// Boundaries lists a level's boundaries, sorted by code as imported or
// bundled. The slice is shared: do not modify it.
func (a *Atlas) Boundaries(level string) []Boundary { return a.levels[level] }

// Bundled reports whether a level's boundaries are the bundled ones.
func (a *Atlas) Bundled(level string) bool { return a.bundled[level] }

// Counts says how many boundaries each level has.
func (a *Atlas) Counts() map[string]int {
	out := map[string]int{}
	for l, bs := range a.levels {
		out[l] = len(bs)
	}
	return out
}

// Centroid returns the point standing for a comune or province.
func (a *Atlas) Centroid(level, code string) (Point, bool) {
	p, ok := a.centroids[level][code]
	return p, ok
}

// Locate places a request: at the citizen's coordinates when given and
// valid, else at its comune's centroid (when comuni boundaries were
// imported), else at its province's. False when none is known.
func (a *Atlas) Locate(lat, lon *float64, comune, provincia string) (Location, bool) {
	if lat != nil && lon != nil && ValidPoint(*lat, *lon) {
		return Location{Point{*lat, *lon}, PrecisionExact}, true
	}
	if p, ok := a.centroids[LevelComune][comune]; ok && comune != "" {
		return Location{p, PrecisionComune}, true
	}
	if p, ok := a.centroids[LevelProvincia][provincia]; ok && provincia != "" {
		return Location{p, PrecisionProvincia}, true
	}
	return Location{}, false
}

// Boundary returns the boundary of one comune, province or region by
// ISTAT code (comuni only when their boundaries were imported).
func (a *Atlas) Boundary(level, code string) (Boundary, bool) {
	bs := a.levels[level]
	i, ok := slices.BinarySearchFunc(bs, code, func(b Boundary, c string) int { return strings.Compare(b.Code, c) })
	if ok {
		return bs[i], true
	}
	for _, b := range bs { // not sorted after all: an import in another order
		if b.Code == code {
			return b, true
		}
	}
	return Boundary{}, false
}

// Polygons decodes a GeoJSON Polygon or MultiPolygon into its polygons,
// each a list of rings (the outer ring first) of [lon, lat] pairs.
func Polygons(geometry json.RawMessage) ([][][][2]float64, error) {
	polys, err := decodePolygons(geometry)
	if err != nil {
		return nil, fmt.Errorf("geo: %w", err)
	}
	return polys, nil
}
