package store

import (
	"context"
	"embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered, embedded schema change.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read embedded migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration file %q is not named NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migrations must be numbered 1, 2, 3 … without gaps; %s is out of place", m.name)
		}
	}
	return out, nil
}

// LatestVersion is the highest schema version this binary knows.
func LatestVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// MigrateResult says what Migrate did.
type MigrateResult struct {
	From, To int
	Applied  []string
}

// Migrate brings the schema up to date. It holds a database-wide lock while
// it works, so two ascolto processes starting at once apply each migration
// exactly once; it refuses a schema newer than this binary knows.
func (db *DB) Migrate(ctx context.Context) (MigrateResult, error) {
	ms, err := loadMigrations()
	if err != nil {
		return MigrateResult{}, err
	}
	var res MigrateResult
	// The migration lock below orders processes migrating together; a
	// BEGIN SQLite refused at once only retries (retryBusy).
	err = retryBusy(ctx, func() error {
		res = MigrateResult{}
		return db.migrateOnce(ctx, ms, &res)
	})
	if err != nil {
		return MigrateResult{}, err
	}
	if len(res.Applied) > 0 {
		db.log.Info("schema migrated", zap.Int("from", res.From), zap.Int("to", res.To), zap.Strings("applied", res.Applied))
	}
	return res, nil
}

// retryBusy runs f again while SQLite refuses it at once with SQLITE_BUSY,
// up to 50 times over about 13 s. Processes starting together on a new
// SQLite file contend while the first switches it to WAL: SQLite then
// refuses a connection's first statement, or BEGIN, at once instead of
// waiting its busy timeout (TestConcurrentMigrate, 1 run in 60;
// TestMigrateTwiceAndConcurrently, the ping before migrating).
func retryBusy(ctx context.Context, f func() error) error {
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || !isBusy(err) || attempt == 50 || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt) * 10 * time.Millisecond)
	}
}

func (db *DB) migrateOnce(ctx context.Context, ms []migration, res *MigrateResult) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if err := tx.lock(ctx, lockMigrate); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, db.d.ddl(`CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at {{time}} NOT NULL)`)); err != nil {
			return fmt.Errorf("store: create schema_migrations: %w", err)
		}
		if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&res.From); err != nil {
			return fmt.Errorf("store: read schema version: %w", err)
		}
		if res.From > len(ms) {
			return &SchemaTooNewError{Database: res.From, Binary: len(ms)}
		}
		res.To = res.From
		for _, m := range ms[res.From:] {
			for _, stmt := range splitStatements(db.d.ddl(m.sql)) {
				if _, err := tx.exec(ctx, stmt); err != nil {
					return fmt.Errorf("store: migration %s: %w\n%s", m.name, err, firstLine(stmt))
				}
			}
			if _, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.version, m.name, tx.Now); err != nil {
				return fmt.Errorf("store: record migration %s: %w", m.name, err)
			}
			res.Applied = append(res.Applied, m.name)
			res.To = m.version
		}
		return nil
	})
}

// SchemaVersion reads the database's schema version (0 when never migrated).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.reader().queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil {
		if strings.Contains(err.Error(), "schema_migrations") {
			return 0, nil
		}
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// splitStatements splits a migration on semicolons that end a line, outside
// string literals, dropping comment-only pieces.
func splitStatements(src string) []string {
	var out []string
	var cur strings.Builder
	inString := false
	for _, line := range strings.SplitAfter(src, "\n") {
		trimmed := strings.TrimSpace(line)
		if !inString && strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		inString = inString != (strings.Count(line, "'")%2 == 1)
		if !inString && strings.HasSuffix(trimmed, ";") {
			if s := strings.TrimSpace(cur.String()); s != ";" {
				out = append(out, strings.TrimSuffix(s, ";"))
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
