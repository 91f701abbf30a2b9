package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/geo"
)

// Boundary is the shape of a regione, provincia or comune for maps: a
// GeoJSON geometry (Polygon or MultiPolygon), simplified on import.
type Boundary struct {
	Level      string // GeoRegione, GeoProvincia, GeoComune
	Code       string // ISTAT code
	Name       string
	Geometry   json.RawMessage
	ImportedAt time.Time
}

// BoundaryImport says what SaveBoundaries stored.
type BoundaryImport struct {
	Saved int
	// Renamed maps a provincia code of the file to the code the ISTAT list
	// loaded here uses for it: openpolis names Bologna 037, the province of
	// its comuni' codes, where ISTAT's list has the città metropolitana 237.
	Renamed map[string]string
}

// SaveBoundaries replaces every boundary of a level with bs, in one
// transaction (all or nothing), audited. Every code must name a regione,
// provincia or comune of the loaded ISTAT list (a provincia may also be
// named by the first three digits of its comuni' codes); unknown codes are
// ErrInvalid, listed.
func (db *DB) SaveBoundaries(ctx context.Context, level string, bs []Boundary, actor string) (BoundaryImport, error) {
	res := BoundaryImport{Renamed: map[string]string{}}
	digits := map[string]int{GeoRegione: 2, GeoProvincia: 3, GeoComune: 6}[level]
	if digits == 0 {
		return res, invalid("boundary level %q (allowed: regione, provincia, comune)", level)
	}
	for _, b := range bs {
		if !isDigits(b.Code, digits) {
			return res, invalid("%s code %q is not %d ISTAT digits", level, b.Code, digits)
		}
		if !json.Valid(b.Geometry) {
			return res, invalid("%s %s: geometry is not JSON", level, b.Code)
		}
	}
	err := db.InTx(ctx, func(tx *Tx) error {
		table := map[string]string{GeoRegione: "regioni", GeoProvincia: "province", GeoComune: "comuni"}[level]
		var unknown []string
		for i, b := range bs {
			var one int
			err := tx.queryRow(ctx, `SELECT 1 FROM `+table+` WHERE code = $1`, b.Code).Scan(&one)
			if err == nil {
				continue
			}
			if !isNoRows(err) {
				return fmt.Errorf("store: check %s %s: %w", level, b.Code, err)
			}
			if level == GeoProvincia {
				var code string
				err := tx.queryRow(ctx, `SELECT MIN(provincia_code) FROM comuni WHERE code >= $1 AND code < $2
					HAVING COUNT(DISTINCT provincia_code) = 1`, b.Code+"000", b.Code+"999").Scan(&code)
				if err == nil {
					res.Renamed[b.Code] = code
					bs[i].Code = code
					continue
				}
				if !isNoRows(err) {
					return fmt.Errorf("store: check %s %s: %w", level, b.Code, err)
				}
			}
			unknown = append(unknown, b.Code)
		}
		if len(unknown) > 0 {
			return invalid("%d %s codes are not in the ISTAT list loaded here: %s (load a newer list with `ascolto geo import`)",
				len(unknown), level, strings.Join(unknown[:min(len(unknown), 20)], ", "))
		}
		if _, err := tx.exec(ctx, `DELETE FROM geo_boundaries WHERE level = $1`, level); err != nil {
			return fmt.Errorf("store: replace %s boundaries: %w", level, err)
		}
		err := tx.upsert(ctx, `INSERT INTO geo_boundaries (level, code, name, geometry, imported_at) VALUES `, ``, 5, len(bs),
			func(i int) []any { return []any{level, bs[i].Code, bs[i].Name, string(bs[i].Geometry), tx.Now} })
		if err != nil {
			if tx.d.isUniqueViolation(err) {
				return invalid("the file lists a %s code twice", level)
			}
			return fmt.Errorf("store: save %s boundaries: %w", level, err)
		}
		res.Saved = len(bs)
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "geo.boundaries", Object: "boundaries:" + level,
			Detail: map[string]any{"count": len(bs), "renamed": res.Renamed}})
	})
	if err == nil {
		db.atlas.mu.Lock()
		db.atlas.atlas = nil // this process's maps show the import at once
		db.atlas.mu.Unlock()
	}
	return res, err
}

// Boundaries lists a level's boundaries by code.
func (db *DB) Boundaries(ctx context.Context, level string) ([]Boundary, error) {
	rows, err := db.reader().query(ctx, `SELECT level, code, name, geometry, imported_at FROM geo_boundaries
		WHERE level = $1 ORDER BY code`, level)
	if err != nil {
		return nil, fmt.Errorf("store: list %s boundaries: %w", level, err)
	}
	defer rows.Close()
	var out []Boundary
	for rows.Next() {
		var b Boundary
		var g string
		if err := rows.Scan(&b.Level, &b.Code, &b.Name, &g, nullTime{&b.ImportedAt}); err != nil {
			return nil, fmt.Errorf("store: read boundary: %w", err)
		}
		b.Geometry = json.RawMessage(g)
		out = append(out, b)
	}
	return out, rows.Err()
}

// BoundaryCounts says how many boundaries each level has loaded.
func (db *DB) BoundaryCounts(ctx context.Context) (map[string]int, error) {
	rows, err := db.reader().query(ctx, `SELECT level, COUNT(*) FROM geo_boundaries GROUP BY level`)
	if err != nil {
		return nil, fmt.Errorf("store: count boundaries: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var l string
		var n int
		if err := rows.Scan(&l, &n); err != nil {
			return nil, fmt.Errorf("store: count boundaries: %w", err)
		}
		out[l] = n
	}
	return out, rows.Err()
}

// atlasRecheck is how often Atlas asks the database whether the stored
// boundaries changed: an import by the CLI, another process, shows on the
// maps within it.
const atlasRecheck = 10 * time.Second

type atlasCache struct {
	mu      sync.Mutex
	atlas   *geo.Atlas
	key     string // the stored boundaries it was built from: counts and import times by level
	checked time.Time
}

// Atlas returns the geography the maps draw and place requests on: the
// stored boundaries over the bundled regions and provinces, so a fresh
// installation has a map and a point for every request with a comune.
// It is cached and rebuilt when the stored boundaries change.
func (db *DB) Atlas(ctx context.Context) (*geo.Atlas, error) {
	c := &db.atlas
	c.mu.Lock()
	defer c.mu.Unlock()
	now := db.now()
	if c.atlas != nil && !now.Before(c.checked) && now.Sub(c.checked) < atlasRecheck {
		return c.atlas, nil
	}
	rows, err := db.reader().query(ctx, `SELECT level, COUNT(*), MAX(imported_at) FROM geo_boundaries GROUP BY level ORDER BY level`)
	if err != nil {
		return nil, fmt.Errorf("store: check boundaries: %w", err)
	}
	var key strings.Builder
	for rows.Next() {
		var level string
		var n int
		var at time.Time
		if err := rows.Scan(&level, &n, nullTime{&at}); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: check boundaries: %w", err)
		}
		fmt.Fprintf(&key, "%s:%d:%d;", level, n, at.UnixNano())
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: check boundaries: %w", err)
	}
	if c.atlas != nil && key.String() == c.key {
		c.checked = now
		return c.atlas, nil
	}
	var stored []geo.Boundary
	for _, level := range []string{GeoRegione, GeoProvincia, GeoComune} {
		bs, err := db.Boundaries(ctx, level)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			stored = append(stored, geo.Boundary{Level: b.Level, Code: b.Code, Name: b.Name, Geometry: b.Geometry})
		}
	}
	a, err := geo.NewAtlas(stored)
	if err != nil {
		return nil, fmt.Errorf("store: atlas: %w", err)
	}
	c.atlas, c.key, c.checked = a, key.String(), now
	return a, nil
}
