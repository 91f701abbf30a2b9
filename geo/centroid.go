package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
)

// Point is a place on the map in WGS84 degrees.
type Point struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Centroid returns the point that stands for an area on a map: the
// centroid of its largest polygon or, when that falls outside it (a
// crescent of coast, a province around a bay), the middle of the widest
// stretch of the polygon along the centroid's parallel, so the point is
// always on land the area covers. geometry is a GeoJSON Polygon or
// MultiPolygon.
func Centroid(geometry json.RawMessage) (Point, error) {
	polys, err := decodePolygons(geometry)
	if err != nil {
		return Point{}, fmt.Errorf("geo: centroid: %w", err)
	}
	var best [][][2]float64
	bestArea := 0.0
	for _, p := range polys {
		if len(p) == 0 || len(p[0]) < 4 {
			continue
		}
		if a := math.Abs(ringArea(p[0])); best == nil || a > bestArea {
			best, bestArea = p, a
		}
	}
	if best == nil {
		return Point{}, errors.New("geo: centroid of an empty geometry")
	}
	c, ok := ringCentroid(best[0])
	if ok && insidePolygon(c, best) {
		return Point{Lat: c[1], Lon: c[0]}, nil
	}
	if !ok {
		c = best[0][0]
	}
	return widestSpan(best, c[1]), nil
}

func decodePolygons(raw json.RawMessage) ([][][][2]float64, error) {
	var g geometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("geometry: %w", err)
	}
	var polys [][][][2]float64
	switch g.Type {
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			return nil, fmt.Errorf("polygon coordinates: %w", err)
		}
		polys = [][][][2]float64{p}
	case "MultiPolygon":
		if err := json.Unmarshal(g.Coordinates, &polys); err != nil {
			return nil, fmt.Errorf("multipolygon coordinates: %w", err)
		}
	default:
		return nil, fmt.Errorf("geometry %q is not a Polygon or MultiPolygon", g.Type)
	}
	return polys, nil
}

// ringCentroid is the centroid of a closed ring's area; false for a ring
// without area.
func ringCentroid(r [][2]float64) ([2]float64, bool) {
	var a, cx, cy float64
	for i := 0; i+1 < len(r); i++ {
		f := r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
		a += f
		cx += (r[i][0] + r[i+1][0]) * f
		cy += (r[i][1] + r[i+1][1]) * f
	}
	if a == 0 {
		return [2]float64{}, false
	}
	return [2]float64{cx / (3 * a), cy / (3 * a)}, true
}

// insidePolygon reports whether p is inside the outer ring and outside
// every hole (even-odd rule over all rings).
func insidePolygon(p [2]float64, poly [][][2]float64) bool {
	in := false
	for _, r := range poly {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < a[0]+(p[1]-a[1])*(b[0]-a[0])/(b[1]-a[1]) {
				in = !in
			}
		}
	}
	return in
}

// widestSpan crosses the polygon along the parallel lat and returns the
// middle of the widest stretch inside it.
func widestSpan(poly [][][2]float64, lat float64) Point {
	var xs []float64
	for _, r := range poly {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if (a[1] > lat) != (b[1] > lat) {
				xs = append(xs, a[0]+(lat-a[1])*(b[0]-a[0])/(b[1]-a[1]))
			}
		}
	}
	sort.Float64s(xs)
	best, width := Point{Lat: poly[0][0][1], Lon: poly[0][0][0]}, -1.0
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > width {
			best, width = Point{Lat: lat, Lon: (xs[i] + xs[i+1]) / 2}, w
		}
	}
	return best
}
