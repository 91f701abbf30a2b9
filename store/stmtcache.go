package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// stmtCache keeps SQLite's writer statements prepared. database/sql with
// modernc's driver otherwise compiles every statement anew on each call,
// and the controller writes the same few INSERTs and UPDATEs for every
// call. The writer is one connection, so a statement prepared once is
// reused by every transaction (Tx.StmtContext finds it on that
// connection). PostgreSQL needs none of this: pgx caches statements per
// connection itself.
//
// A statement cannot be prepared on the writer while a transaction holds
// its one connection (database/sql would wait for it for ever), so a query
// seen in a transaction for the first time runs unprepared and is noted,
// and prepareWanted prepares the noted ones once the transaction has ended.
//
// The cache is bounded: queries built from optional columns (UpdateCall's
// SETs) make a few hundred shapes at most; once full, further shapes run
// unprepared, as before.
type stmtCache struct {
	db   *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	want map[string]bool
}

const maxCachedStmts = 512

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, want: map[string]bool{}}
}

// get returns the prepared statement for query, or nil when it runs
// unprepared: not prepared yet (it is noted for prepareWanted), not one
// data statement (cacheable), or a full cache.
func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil || !cacheable(query) {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[query]; ok {
		return s
	}
	if len(c.m)+len(c.want) < maxCachedStmts {
		c.want[query] = true
	}
	return nil
}

// prepareWanted prepares the queries get noted; call it with no
// transaction open on this goroutine. The lock is not held while
// preparing: preparing waits for the writer's connection, which a
// transaction calling get may hold. A query that does not prepare (DDL of
// a table made in the same migration, say) stays unprepared.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	var qs []string
	for q := range c.want {
		qs = append(qs, q)
	}
	c.mu.Unlock()
	for _, q := range qs {
		s, err := c.db.PrepareContext(ctx, q)
		c.mu.Lock()
		delete(c.want, q)
		if _, dup := c.m[q]; err == nil && !dup {
			c.m[q] = s
		} else if err == nil {
			s.Close()
		}
		c.mu.Unlock()
	}
}

// cacheable: one data statement (INSERT, UPDATE, DELETE, SELECT). Schema
// changes run once (migrations), and preparing them afterwards only races
// with another process migrating the same file.
func cacheable(query string) bool {
	q := strings.TrimSpace(query)
	if strings.Contains(strings.TrimRight(q, ";"), ";") || len(q) < 7 {
		return false
	}
	switch strings.ToUpper(q[:6]) {
	case "INSERT", "UPDATE", "DELETE", "SELECT":
		return true
	}
	return false
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, s := range c.m {
		s.Close()
		delete(c.m, q)
	}
}
