// Package storetest opens real, migrated, throw-away databases for tests:
// a SQLite file in a temporary directory always, and a fresh PostgreSQL
// schema when ASCOLTO_TEST_DATABASE_URL is set. Nothing here is a mock.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
)

// EnvURL names the variable that points the tests at a PostgreSQL server.
const EnvURL = "ASCOLTO_TEST_DATABASE_URL"

// Engine is one way to open a test database.
type Engine struct {
	Name string
	open func(t testing.TB, c clock.Clock) *store.DB
}

// Open opens a fresh, migrated database on this engine.
func (e Engine) Open(t testing.TB, c clock.Clock) *store.DB { return e.open(t, c) }

// Engines lists SQLite, and PostgreSQL when ASCOLTO_TEST_DATABASE_URL is set.
func Engines() []Engine {
	out := []Engine{{Name: "sqlite", open: openSQLite}}
	if os.Getenv(EnvURL) != "" {
		out = append(out, Engine{Name: "postgres", open: openPostgres})
	}
	return out
}

// Each runs fn as a subtest on every available engine.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) { fn(t, e.Open(t, nil)) })
	}
}

// SQLite opens a fresh, migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *store.DB { return openSQLite(t, nil) }

func openSQLite(t testing.TB, c clock.Clock) *store.DB {
	t.Helper()
	db, err := store.Open(store.Options{SQLitePath: filepath.Join(t.TempDir(), "ascolto.db"), Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	migrate(t, db)
	return db
}

// PostgresURL returns a URL to a fresh schema on the test server, dropped
// when the test ends, or skips the test when no server is configured.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Skip(EnvURL + " not set: PostgreSQL tests skipped")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create test schema on %s: %v", EnvURL, err)
	}
	t.Cleanup(func() { admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openPostgres(t testing.TB, c clock.Clock) *store.DB {
	t.Helper()
	db, err := store.Open(store.Options{URL: PostgresURL(t), Clock: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	migrate(t, db)
	return db
}

func migrate(t testing.TB, db *store.DB) {
	t.Helper()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
}
