package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/config"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"go.uber.org/zap"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Options says which database to open and how.
type Options struct {
	// URL is a postgres:// URL; empty opens the embedded SQLite file in DataDir.
	URL string
	// DataDir holds ascolto.db when URL is empty.
	DataDir string
	// SQLitePath overrides the SQLite file path (tests, demo).
	SQLitePath string
	Logger     *zap.Logger
	Clock      clock.Clock
	// MaxConns bounds the PostgreSQL pool (default 20).
	MaxConns int
	// SecretKey (SecretKeySize bytes) seals the users' TOTP secrets at
	// rest; nil leaves them as written (see seal.go).
	SecretKey []byte
}

// DB is the store: a handle on one database with the dialect to speak it.
type DB struct {
	w     *sql.DB // writes (SQLite: one connection, the single writer)
	r     *sql.DB // reads (SQLite: a read-only pool; PostgreSQL: same as w)
	d     *dialect
	log   *zap.Logger
	clock clock.Clock
	loc   *time.Location
	batch *batcher
	stmts *stmtCache // SQLite's writer only
	desc  string
	// sealer seals secrets at rest; nil without a key.
	sealer *sealer
	// atlas caches the maps' geography (Atlas).
	atlas atlasCache
	// calendars caches parsed site calendars by their text (casework.go).
	calendars sync.Map
}

// Open opens the database without touching it; call Ping or Migrate to
// find out whether it answers. Opening never blocks on the network.
func Open(opts Options) (*DB, error) {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return nil, fmt.Errorf("store: load Europe/Rome time zone: %w", err)
	}
	db := &DB{log: opts.Logger, clock: opts.Clock, loc: loc}
	if opts.SecretKey != nil {
		if db.sealer, err = newSealer(opts.SecretKey); err != nil {
			return nil, err
		}
	}
	if opts.URL != "" {
		if err := db.openPostgres(opts); err != nil {
			return nil, err
		}
	} else if err := db.openSQLite(opts); err != nil {
		return nil, err
	}
	db.batch = newBatcher(db)
	return db, nil
}

func (db *DB) openPostgres(opts Options) error {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return invalid("database URL must be postgres://user:pass@host:port/db")
	}
	conn, err := sql.Open("pgx", opts.URL)
	if err != nil {
		return fmt.Errorf("store: open postgres: %w", err)
	}
	n := opts.MaxConns
	if n <= 0 {
		n = 20
	}
	conn.SetMaxOpenConns(n)
	conn.SetMaxIdleConns(n)
	conn.SetConnMaxIdleTime(5 * time.Minute)
	db.w, db.r = conn, conn
	db.d = &dialect{name: postgres}
	db.desc = "postgres " + config.Redact(opts.URL)
	return nil
}

func (db *DB) openSQLite(opts Options) error {
	path := opts.SQLitePath
	if path == "" {
		if opts.DataDir == "" {
			return invalid("no database URL and no data directory")
		}
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return fmt.Errorf("store: create data directory %s: %w", opts.DataDir, err)
		}
		path = filepath.Join(opts.DataDir, "ascolto.db")
	}
	if err := db.privateFiles(path); err != nil {
		return err
	}
	// WAL lets readers run beside the single writer; synchronous=FULL makes
	// each commit durable before it returns (the batcher keeps that cheap);
	// _txlock=immediate takes the write lock at BEGIN so two writers never
	// deadlock upgrading a read lock.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	db.w, db.r = w, r
	db.d = &dialect{name: sqliteDB}
	db.stmts = newStmtCache(w)
	db.desc = "sqlite " + path
	return nil
}

// privateFiles makes the SQLite file readable by its owner only, before
// SQLite opens it: SQLite would create it 0644 less the umask, and it
// gives the -wal, -shm and -journal files the database file's own mode,
// so one file made 0600 up front covers all of them. Files an older
// ascolto left readable by others are tightened.
func (db *DB) privateFiles(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		return f.Close()
	case !errors.Is(err, os.ErrExist):
		return fmt.Errorf("store: create sqlite %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, st.Mode().Perm()&0o700); err != nil {
			db.log.Warn("database file readable by others; could not restrict it", zap.String("file", p), zap.Error(err))
		}
	}
	return nil
}

// Close stops the batcher and closes the connections.
func (db *DB) Close() error {
	db.batch.close()
	db.stmts.close()
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// Engine names the engine: "postgres" or "sqlite".
func (db *DB) Engine() string { return db.d.name }

// String describes the database without secrets, for logs.
func (db *DB) String() string { return db.desc }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := retryBusy(ctx, func() error { return db.w.PingContext(ctx) }); err != nil {
		return fmt.Errorf("store: %s does not answer: %w%s", db.desc, redacted{err}, hint(err))
	}
	return nil
}

// redacted is a driver's error with any credential in its text hidden:
// pgx quotes a connection string it cannot parse, and hides its passwords
// only on a best-effort basis. It unwraps to the driver's error.
type redacted struct{ err error }

func (r redacted) Error() string { return config.Redact(r.err.Error()) }
func (r redacted) Unwrap() error { return r.err }

// hint adds what a person can do about a connection error.
func hint(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "connection refused"):
		return " (is PostgreSQL running and listening on that host and port?)"
	case strings.Contains(s, "password authentication failed"), strings.Contains(s, "no password"):
		return " (check the user and password in ASCOLTO_DATABASE_URL)"
	case strings.Contains(s, "does not exist"):
		return " (create the database first: createdb NAME)"
	case strings.Contains(s, "no such host"):
		return " (check the host name in ASCOLTO_DATABASE_URL)"
	}
	return ""
}

// now is the store's clock reading, in UTC, at microsecond precision (what
// both engines keep).
func (db *DB) now() time.Time { return db.clock.Now().UTC().Truncate(time.Microsecond) }

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs statements written for PostgreSQL on either engine.
type conn struct {
	q querier
	d *dialect
	// In a SQLite write transaction: the transaction and the writer's
	// prepared statements (see stmtCache).
	tx    *sql.Tx
	stmts *stmtCache
}

// prepared is the transaction's handle on query's cached statement, or nil.
func (c conn) prepared(ctx context.Context, query string) *sql.Stmt {
	if c.tx == nil {
		return nil
	}
	if s := c.stmts.get(query); s != nil {
		return c.tx.StmtContext(ctx, s)
	}
	return nil
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = c.d.rebind(query)
	if s := c.prepared(ctx, query); s != nil {
		return s.ExecContext(ctx, c.d.args(args)...)
	}
	return c.q.ExecContext(ctx, query, c.d.args(args)...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = c.d.rebind(query)
	if s := c.prepared(ctx, query); s != nil {
		return s.QueryContext(ctx, c.d.args(args)...)
	}
	return c.q.QueryContext(ctx, query, c.d.args(args)...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	query = c.d.rebind(query)
	if s := c.prepared(ctx, query); s != nil {
		return s.QueryRowContext(ctx, c.d.args(args)...)
	}
	return c.q.QueryRowContext(ctx, query, c.d.args(args)...)
}

func (db *DB) writer() conn { return conn{q: db.w, d: db.d} }
func (db *DB) reader() conn { return conn{q: db.r, d: db.d} }

// Tx is a write transaction with the one time every row it writes shares.
type Tx struct {
	conn
	tx  *sql.Tx
	db  *DB
	Now time.Time
}

// InTx runs fn in a write transaction, committing if it returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{conn: conn{q: sqlTx, d: db.d}, tx: sqlTx, db: db, Now: db.now()}
	if db.stmts != nil {
		tx.conn.tx, tx.conn.stmts = sqlTx, db.stmts
	}
	defer db.stmts.prepareWanted(ctx)
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// nullTime scans a nullable time column from either engine.
type nullTime struct{ t *time.Time }

func (n nullTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*n.t = time.Time{}
	case time.Time:
		*n.t = x.UTC()
	case string:
		t, err := parseTime(x)
		if err != nil {
			return err
		}
		*n.t = t
	case []byte:
		t, err := parseTime(string(x))
		if err != nil {
			return err
		}
		*n.t = t
	default:
		return fmt.Errorf("store: cannot read %T as a time", v)
	}
	return nil
}

// timeArg stores the zero time as NULL.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// notFound maps sql.ErrNoRows to ErrNotFound with context.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// Exec runs a statement inside the transaction; for tests and one-off
// maintenance, not for feature code (which belongs in this package).
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) error {
	_, err := tx.exec(ctx, query, args...)
	return err
}

// Database-wide locks, held until the transaction ends.
const (
	lockMigrate = 7421001
	lockSeedGeo = 7421002
)

// lock serialises transactions across processes. On PostgreSQL it takes a
// transaction-scoped advisory lock (released by COMMIT or ROLLBACK, even if
// the process dies); on SQLite every write transaction already began with
// BEGIN IMMEDIATE and holds the database's single write lock.
func (tx *Tx) lock(ctx context.Context, key int64) error {
	if tx.d.name != postgres {
		return nil
	}
	if _, err := tx.exec(ctx, `SELECT pg_advisory_xact_lock($1)`, key); err != nil {
		return fmt.Errorf("store: take lock %d: %w", key, err)
	}
	return nil
}
