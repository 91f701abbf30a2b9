package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/ascolto/ascolto/geo"
)

// GeoImportResult counts what an import changed.
type GeoImportResult struct {
	Regioni, Province, Comuni int
	Retired                   int // comuni no longer in the list (merged or renamed), kept for old cases
}

// ImportGeo upserts a whole ISTAT list in one transaction: either all of it
// is stored or none. Comuni missing from the new list are retired, not
// deleted, so cases that name them keep their provenance.
func (db *DB) ImportGeo(ctx context.Context, ds *geo.Dataset, actor string) (GeoImportResult, error) {
	var res GeoImportResult
	err := db.InTx(ctx, func(tx *Tx) (err error) {
		res, err = tx.importGeo(ctx, ds, actor)
		return err
	})
	return res, err
}

// SeedGeo loads ds only if no comuni are loaded yet, under a lock, so that
// several instances starting at once load it exactly once. It reports
// whether it loaded anything.
func (db *DB) SeedGeo(ctx context.Context, ds *geo.Dataset) (GeoImportResult, bool, error) {
	var res GeoImportResult
	loaded := false
	err := db.InTx(ctx, func(tx *Tx) error {
		if err := tx.lock(ctx, lockSeedGeo); err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM comuni`).Scan(&n); err != nil {
			return fmt.Errorf("store: count comuni: %w", err)
		}
		if n > 0 {
			return nil
		}
		var err error
		res, err = tx.importGeo(ctx, ds, "system")
		loaded = err == nil
		return err
	})
	return res, loaded, err
}

func (tx *Tx) importGeo(ctx context.Context, ds *geo.Dataset, actor string) (GeoImportResult, error) {
	var res GeoImportResult
	err := func() error {
		for _, r := range ds.Regioni {
			if _, err := tx.exec(ctx, `INSERT INTO regioni (code, name) VALUES ($1, $2)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name`, r.Code, r.Name); err != nil {
				return fmt.Errorf("store: import regione %s: %w", r.Code, err)
			}
		}
		for _, p := range ds.Province {
			if _, err := tx.exec(ctx, `INSERT INTO province (code, name, sigla, regione_code) VALUES ($1, $2, $3, $4)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, sigla = excluded.sigla, regione_code = excluded.regione_code`,
				p.Code, p.Name, p.Sigla, p.RegioneCode); err != nil {
				return fmt.Errorf("store: import provincia %s: %w", p.Code, err)
			}
		}
		if _, err := tx.exec(ctx, `UPDATE comuni SET active = FALSE`); err != nil {
			return fmt.Errorf("store: import comuni: %w", err)
		}
		// Multi-row inserts: one round trip per 200 comuni instead of one each.
		const chunk = 200
		for start := 0; start < len(ds.Comuni); start += chunk {
			end := min(start+chunk, len(ds.Comuni))
			var sb strings.Builder
			sb.WriteString(`INSERT INTO comuni (code, name, name_other, search_key, search_key_other, provincia_code,
				cadastral_code, capoluogo, population, active) VALUES `)
			args := make([]any, 0, (end-start)*9)
			for i, c := range ds.Comuni[start:end] {
				if i > 0 {
					sb.WriteString(", ")
				}
				n := len(args)
				fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, TRUE)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9)
				args = append(args, c.Code, c.Name, c.NameOther, geo.Normalize(c.Name), geo.Normalize(c.NameOther),
					c.ProvinciaCode, c.CadastralCode, c.Capoluogo, c.Population)
			}
			sb.WriteString(` ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_other = excluded.name_other,
				search_key = excluded.search_key, search_key_other = excluded.search_key_other,
				provincia_code = excluded.provincia_code, cadastral_code = excluded.cadastral_code,
				capoluogo = excluded.capoluogo, population = excluded.population, active = TRUE`)
			if _, err := tx.exec(ctx, sb.String(), args...); err != nil {
				return fmt.Errorf("store: import comuni %s…%s: %w", ds.Comuni[start].Code, ds.Comuni[end-1].Code, err)
			}
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM comuni WHERE NOT active`).Scan(&res.Retired); err != nil {
			return fmt.Errorf("store: import comuni: %w", err)
		}
		res.Regioni, res.Province, res.Comuni = len(ds.Regioni), len(ds.Province), len(ds.Comuni)
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "geo.import", Object: "comuni",
			Detail: map[string]any{"comuni": res.Comuni, "province": res.Province, "retired": res.Retired}})
	}()
	return res, err
}

const placeQuery = `SELECT c.code, c.name, c.name_other, c.provincia_code, p.name, p.sigla, p.regione_code, r.name,
	c.population, c.active
	FROM comuni c JOIN province p ON p.code = c.provincia_code JOIN regioni r ON r.code = p.regione_code`

func scanPlaces(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) ([]geo.Place, error) {
	var out []geo.Place
	for rows.Next() {
		var p geo.Place
		if err := rows.Scan(&p.Code, &p.Name, &p.NameOther, &p.ProvinciaCode, &p.Provincia, &p.Sigla, &p.RegioneCode,
			&p.Regione, &p.Population, &p.Active); err != nil {
			return nil, fmt.Errorf("store: read comune: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ComuneByCode returns a comune (retired ones too) by its 6-digit ISTAT code.
func (db *DB) ComuneByCode(ctx context.Context, code string) (geo.Place, error) {
	if !isDigits(code, 6) {
		return geo.Place{}, invalid("comune code %q is not a 6-digit ISTAT code", code)
	}
	rows, err := db.reader().query(ctx, placeQuery+` WHERE c.code = $1`, code)
	if err != nil {
		return geo.Place{}, fmt.Errorf("store: comune %s: %w", code, err)
	}
	defer rows.Close()
	ps, err := scanPlaces(rows)
	if err != nil {
		return geo.Place{}, err
	}
	if len(ps) == 0 {
		return geo.Place{}, fmt.Errorf("%w: comune %s", ErrNotFound, code)
	}
	return ps[0], nil
}

// Places lists every comune, current and retired, with its provincia and
// regione: what geo.NewIndex needs for the type-ahead.
func (db *DB) Places(ctx context.Context) ([]geo.Place, error) {
	rows, err := db.reader().query(ctx, placeQuery+` ORDER BY c.code`)
	if err != nil {
		return nil, fmt.Errorf("store: list comuni: %w", err)
	}
	defer rows.Close()
	return scanPlaces(rows)
}

// CountComuni reports how many current comuni are loaded (0 before the first import).
func (db *DB) CountComuni(ctx context.Context) (int, error) {
	var n int
	if err := db.reader().queryRow(ctx, `SELECT COUNT(*) FROM comuni WHERE active`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count comuni: %w", err)
	}
	return n, nil
}

// Province lists every provincia with its regione code.
func (db *DB) Province(ctx context.Context) ([]geo.Provincia, error) {
	rows, err := db.reader().query(ctx, `SELECT code, name, sigla, regione_code FROM province ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("store: list province: %w", err)
	}
	defer rows.Close()
	var out []geo.Provincia
	for rows.Next() {
		var p geo.Provincia
		if err := rows.Scan(&p.Code, &p.Name, &p.Sigla, &p.RegioneCode); err != nil {
			return nil, fmt.Errorf("store: read provincia: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
