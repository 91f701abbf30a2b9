package geo

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

//go:embed data/boundaries.geojson.gz
var bundledBoundaries []byte

// BundledBoundariesFile is the bundled file's name under geo/data, for its
// generator.
const BundledBoundariesFile = "boundaries.geojson.gz"

// BoundariesAttribution is the credit the bundled boundaries require
// wherever a map shows them (CC BY).
const BoundariesAttribution = "Confini © ISTAT (CC BY), openpolis/geojson-italy (CC BY 4.0)"

var bundled struct {
	once sync.Once
	bs   []Boundary
	err  error
}

// Bundled returns the regions and provinces that ship with ascolto
// (ISTAT, June 2023, simplified; see data/ATTRIBUTION.md), so a fresh
// installation draws its maps without importing anything. Provinces carry
// the codes of the bundled ISTAT list (Bologna is 237, not openpolis' 037).
// The slice is shared: do not modify it.
func Bundled() ([]Boundary, error) {
	bundled.once.Do(func() { bundled.bs, bundled.err = ReadBundle(bundledBoundaries) })
	return bundled.bs, bundled.err
}

// bundleFeature is a boundary as the bundle stores it.
type bundleFeature struct {
	Type       string          `json:"type"`
	Properties bundleProps     `json:"properties"`
	Geometry   json.RawMessage `json:"geometry"`
}

type bundleProps struct {
	Level string `json:"level"`
	Code  string `json:"code"`
	Name  string `json:"name"`
}

// WriteBundle encodes boundaries of any level as one gzipped GeoJSON
// FeatureCollection, the bundle's format.
func WriteBundle(bs []Boundary) ([]byte, error) {
	fc := struct {
		Type     string          `json:"type"`
		Features []bundleFeature `json:"features"`
	}{Type: "FeatureCollection"}
	for _, b := range bs {
		fc.Features = append(fc.Features, bundleFeature{"Feature", bundleProps{b.Level, b.Code, b.Name}, b.Geometry})
	}
	raw, err := json.Marshal(fc)
	if err != nil {
		return nil, fmt.Errorf("geo: encode bundle: %w", err)
	}
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("geo: compress bundle: %w", err)
	}
	return out.Bytes(), nil
}

// ReadBundle decodes what WriteBundle wrote.
func ReadBundle(gz []byte) ([]Boundary, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("geo: open bundled boundaries: %w", err)
	}
	var fc struct {
		Features []bundleFeature `json:"features"`
	}
	if err := json.NewDecoder(zr).Decode(&fc); err != nil {
		return nil, fmt.Errorf("geo: read bundled boundaries: %w", err)
	}
	out := make([]Boundary, 0, len(fc.Features))
	for _, f := range fc.Features {
		polys, err := decodePolygons(f.Geometry)
		if err != nil {
			return nil, fmt.Errorf("geo: bundled %s %s: %w", f.Properties.Level, f.Properties.Code, err)
		}
		n := 0
		for _, p := range polys {
			for _, r := range p {
				n += len(r)
			}
		}
		out = append(out, Boundary{Level: f.Properties.Level, Code: f.Properties.Code, Name: f.Properties.Name,
			Geometry: f.Geometry, Points: n})
	}
	return out, nil
}
