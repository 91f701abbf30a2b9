package geo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Boundary levels.
const (
	LevelRegione   = "regione"
	LevelProvincia = "provincia"
	LevelComune    = "comune"
)

// Boundary is the simplified shape of a regione, provincia or comune, for
// maps: a GeoJSON Polygon or MultiPolygon in WGS84.
type Boundary struct {
	Level    string
	Code     string // ISTAT code: 2, 3 or 6 digits
	Name     string
	Geometry json.RawMessage
	Points   int // vertices kept after simplification
}

// BoundaryOptions tunes the import.
type BoundaryOptions struct {
	// Tolerance is the Douglas-Peucker tolerance in degrees (default
	// 0.003, about 300 m): a national map needs no more, and a browser
	// draws 107 provinces at once.
	Tolerance float64
	// Decimals is how many decimals of a degree coordinates keep (default
	// 4, about 10 m; 3 is about 100 m, enough for a national map).
	Decimals int
}

// propertyKeys are the property names ISTAT's shapefiles (converted to
// GeoJSON) and openpolis' geojson-italy use for codes and names, per level,
// most specific level first.
var propertyKeys = []struct {
	level string
	codes []string
	names []string
	width int
}{
	{LevelComune, []string{"pro_com_t", "PRO_COM_T", "pro_com", "PRO_COM", "com_istat_code"}, []string{"name", "COMUNE", "comune", "com_name"}, 6},
	{LevelProvincia, []string{"prov_istat_code", "COD_UTS", "COD_PROV", "cod_prov"}, []string{"prov_name", "DEN_UTS", "DEN_PROV", "den_prov"}, 3},
	{LevelRegione, []string{"reg_istat_code", "COD_REG", "cod_reg"}, []string{"reg_name", "DEN_REG", "den_reg"}, 2},
}

type featureCollection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

type feature struct {
	Type       string          `json:"type"`
	Properties map[string]any  `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

type geometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// ParseBoundaries reads a GeoJSON FeatureCollection of Italian
// administrative areas — ISTAT's or openpolis' files — and returns one
// simplified boundary per area. Every feature must be of the same level
// and carry its ISTAT code; the first problem is reported with the
// feature's position, and nothing is returned.
func ParseBoundaries(r io.Reader, o BoundaryOptions) ([]Boundary, error) {
	if o.Tolerance <= 0 {
		o.Tolerance = 0.003
	}
	if o.Decimals <= 0 || o.Decimals > 7 {
		o.Decimals = 4
	}
	var fc featureCollection
	dec := json.NewDecoder(io.LimitReader(r, 200<<20))
	if err := dec.Decode(&fc); err != nil {
		return nil, fmt.Errorf("geo: not a GeoJSON file: %w", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("geo: the file is a GeoJSON %q, not a FeatureCollection", fc.Type)
	}
	if len(fc.Features) == 0 {
		return nil, errors.New("geo: the file has no features")
	}
	level := ""
	seen := map[string]bool{}
	out := make([]Boundary, 0, len(fc.Features))
	for i, f := range fc.Features {
		b, err := parseFeature(f, o)
		if err != nil {
			return nil, fmt.Errorf("geo: feature %d: %w", i+1, err)
		}
		if level == "" {
			level = b.Level
		} else if b.Level != level {
			return nil, fmt.Errorf("geo: feature %d is a %s, the file's first is a %s: import one level per file", i+1, b.Level, level)
		}
		if seen[b.Code] {
			return nil, fmt.Errorf("geo: feature %d: %s %s appears twice", i+1, b.Level, b.Code)
		}
		seen[b.Code] = true
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

func parseFeature(f feature, o BoundaryOptions) (Boundary, error) {
	var b Boundary
	for _, k := range propertyKeys {
		code, ok := property(f.Properties, k.codes, k.width)
		if !ok {
			continue
		}
		b.Level, b.Code = k.level, code
		for _, n := range k.names {
			if s, ok := f.Properties[n].(string); ok && s != "" {
				b.Name = s
				break
			}
		}
		break
	}
	if b.Level == "" {
		return b, errors.New("no ISTAT code in its properties (looked for reg_istat_code, prov_istat_code, pro_com_t and ISTAT's COD_REG, COD_UTS, PRO_COM)")
	}
	if len(f.Geometry) == 0 || string(f.Geometry) == "null" {
		return b, fmt.Errorf("%s %s has no geometry", b.Level, b.Code)
	}
	polys, err := decodePolygons(f.Geometry)
	if err != nil {
		return b, fmt.Errorf("%s %s: %w", b.Level, b.Code, err)
	}
	for _, p := range polys {
		for _, ring := range p {
			for _, pt := range ring {
				if !ValidPoint(pt[1], pt[0]) {
					return b, fmt.Errorf("%s %s: point %v is not longitude,latitude in degrees (is the file in WGS84?)", b.Level, b.Code, pt)
				}
			}
		}
	}
	simple, n := simplifyPolygons(polys, o.Tolerance, math.Pow10(o.Decimals))
	if n == 0 {
		return b, fmt.Errorf("%s %s: empty geometry", b.Level, b.Code)
	}
	raw, err := json.Marshal(struct {
		Type        string           `json:"type"`
		Coordinates [][][][2]float64 `json:"coordinates"`
	}{"MultiPolygon", simple})
	if err != nil {
		return b, err
	}
	b.Geometry, b.Points = raw, n
	return b, nil
}

// property reads an ISTAT code that may be a string ("001") or a number (1).
func property(props map[string]any, keys []string, width int) (string, bool) {
	for _, k := range keys {
		switch v := props[k].(type) {
		case string:
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			if _, err := strconv.Atoi(v); err != nil || len(v) > width {
				continue
			}
			return strings.Repeat("0", width-len(v)) + v, true
		case float64:
			if v < 0 || v != math.Trunc(v) {
				continue
			}
			s := strconv.Itoa(int(v))
			if len(s) > width {
				continue
			}
			return strings.Repeat("0", width-len(s)) + s, true
		}
	}
	return "", false
}

// simplifyPolygons simplifies every ring with Douglas-Peucker and rounds
// coordinates to 1/scale of a degree (1e4: about 10 m); rings that
// collapse are dropped, but the largest polygon is always kept. It returns
// the vertices kept.
func simplifyPolygons(polys [][][][2]float64, tol, scale float64) ([][][][2]float64, int) {
	var out [][][][2]float64
	largest, largestArea := -1, -1.0
	n := 0
	for i, p := range polys {
		if len(p) == 0 || len(p[0]) < 4 {
			continue
		}
		if a := math.Abs(ringArea(p[0])); a > largestArea {
			largest, largestArea = i, a
		}
	}
	for i, p := range polys {
		if len(p) == 0 || len(p[0]) < 4 {
			continue
		}
		var rings [][][2]float64
		for j, ring := range p {
			s := roundRing(douglasPeucker(ring, tol), scale)
			if len(s) < 4 {
				if j == 0 && i == largest {
					s = roundRing(ring, scale)
				} else if j == 0 {
					break
				} else {
					continue
				}
			}
			rings = append(rings, s)
		}
		if len(rings) > 0 {
			out = append(out, rings)
			for _, r := range rings {
				n += len(r)
			}
		}
	}
	return out, n
}

func roundRing(r [][2]float64, scale float64) [][2]float64 {
	out := make([][2]float64, 0, len(r))
	for _, p := range r {
		q := [2]float64{math.Round(p[0]*scale) / scale, math.Round(p[1]*scale) / scale}
		if len(out) > 0 && out[len(out)-1] == q {
			continue
		}
		out = append(out, q)
	}
	if len(out) > 0 && out[0] != out[len(out)-1] {
		out = append(out, out[0])
	}
	return out
}

func ringArea(r [][2]float64) float64 {
	var a float64
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a / 2
}

// douglasPeucker keeps the points of a line that matter at tolerance tol.
func douglasPeucker(pts [][2]float64, tol float64) [][2]float64 {
	if len(pts) < 3 {
		return pts
	}
	keep := make([]bool, len(pts))
	keep[0], keep[len(pts)-1] = true, true
	type span struct{ a, b int }
	stack := []span{{0, len(pts) - 1}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		far, dmax := -1, tol
		for i := s.a + 1; i < s.b; i++ {
			if d := segmentDistance(pts[i], pts[s.a], pts[s.b]); d > dmax {
				far, dmax = i, d
			}
		}
		if far >= 0 {
			keep[far] = true
			stack = append(stack, span{s.a, far}, span{far, s.b})
		}
	}
	out := make([][2]float64, 0, len(pts)/4+2)
	for i, p := range pts {
		if keep[i] {
			out = append(out, p)
		}
	}
	return out
}

func segmentDistance(p, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	if dx == 0 && dy == 0 {
		return math.Hypot(p[0]-a[0], p[1]-a[1])
	}
	t := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(p[0]-(a[0]+t*dx), p[1]-(a[1]+t*dy))
}
