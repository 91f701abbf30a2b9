package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// batchEngine opens a fresh, migrated database on one engine. The store's
// own tests cannot import storetest (it imports store), so the PostgreSQL
// schema is made here the way storetest makes it.
type batchEngine struct {
	name string
	open func(tb testing.TB) *DB
}

func batchEngines() []batchEngine {
	out := []batchEngine{{"sqlite", func(tb testing.TB) *DB {
		return openMigrated(tb, Options{SQLitePath: filepath.Join(tb.TempDir(), "a.db")})
	}}}
	if base := os.Getenv("ASCOLTO_TEST_DATABASE_URL"); base != "" {
		out = append(out, batchEngine{"postgres", func(tb testing.TB) *DB {
			admin, err := sql.Open("pgx", base)
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { admin.Close() })
			b := make([]byte, 6)
			rand.Read(b)
			schema := "t_" + hex.EncodeToString(b)
			if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
			u, err := url.Parse(base)
			if err != nil {
				tb.Fatal(err)
			}
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return openMigrated(tb, Options{URL: u.String()})
		}})
	}
	return out
}

func openMigrated(tb testing.TB, o Options) *DB {
	tb.Helper()
	db, err := Open(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}

var errPoison = errors.New("poisoned write")

// TestBatchIsolatesAFailingWrite puts poisoned writes in one group commit
// with good ones: the good ones are committed together, each run once (no
// replay one by one), and only the poisoned ones hear an error; what a
// poisoned write did before failing is undone.
func TestBatchIsolatesAFailingWrite(t *testing.T) {
	ctx := context.Background()
	for _, e := range batchEngines() {
		t.Run(e.name, func(t *testing.T) {
			db := e.open(t)
			type write struct {
				name   string
				poison bool
				runs   atomic.Int32
				txid   string // PostgreSQL: the top-level transaction it ran in
			}
			var writes []*write
			add := func(name string, poison bool) { writes = append(writes, &write{name: name, poison: poison}) }
			for i := range 10 {
				add(fmt.Sprintf("good %d", i), false)
				if i == 2 {
					// Writes a case, then fails: the case must not stay.
					add("fails after writing", true)
				}
				if i == 6 && (db.d.name == postgres) {
					// PostgreSQL refuses a NUL in text: the edges clean it,
					// the store itself does not, so a write that bypasses
					// the edge fails inside the transaction.
					add("NUL byte", true)
				}
			}
			reqs := make([]*batchReq, len(writes))
			for i, w := range writes {
				reqs[i] = &batchReq{ctx: ctx, err: make(chan error, 1), fn: func(tx *Tx) error {
					w.runs.Add(1)
					c := Case{Channel: ChannelWeb, Summary: w.name}
					if w.name == "NUL byte" {
						c.ContactName = "Maria\x00Rossi"
					}
					if err := tx.CreateCase(ctx, &c); err != nil {
						return err
					}
					if db.d.name == postgres {
						if err := tx.queryRow(ctx, `SELECT txid_current()::text`).Scan(&w.txid); err != nil {
							return err
						}
					}
					if w.poison {
						return errPoison
					}
					return nil
				}}
			}
			db.batch.commit(reqs)
			txids := map[string]bool{}
			for i, w := range writes {
				err := <-reqs[i].err
				if w.poison != (err != nil) {
					t.Errorf("%s: error %v", w.name, err)
				}
				if n := w.runs.Load(); n != 1 {
					t.Errorf("%s ran %d times: the batch was replayed", w.name, n)
				}
				if !w.poison {
					txids[w.txid] = true
				}
			}
			if len(txids) != 1 {
				t.Errorf("good writes committed in %d transactions, want 1", len(txids))
			}
			// Exactly the good writes' cases are stored (a poisoned write's
			// case is undone; SQLite may give its id to the next one).
			cs, err := db.Cases(ctx, CaseFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			stored := map[string]bool{}
			for _, c := range cs {
				stored[c.Summary] = true
			}
			for _, w := range writes {
				if stored[w.name] == w.poison {
					t.Errorf("%s: stored %v", w.name, stored[w.name])
				}
			}
			if len(cs) != 10 {
				t.Errorf("%d cases stored, want the 10 good ones", len(cs))
			}
		})
	}
}

// BenchmarkBatchCommit measures one group commit of 64 call records, the
// cost savepoints add to each write (compare with and without them).
func BenchmarkBatchCommit(b *testing.B) {
	ctx := context.Background()
	for _, e := range batchEngines() {
		b.Run(e.name, func(b *testing.B) {
			db := e.open(b)
			const size = 64
			var seq atomic.Int64
			reqs := make([]*batchReq, size)
			b.ResetTimer()
			for range b.N {
				for i := range reqs {
					reqs[i] = &batchReq{ctx: ctx, err: make(chan error, 1), fn: func(tx *Tx) error {
						_, err := tx.exec(ctx, `INSERT INTO calls (channel_id, direction, caller, called, arrived_at, lang, urgency)
							VALUES ($1, 'inbound', '+390862123456', '800840840', $2, 'it', 'none')`,
							fmt.Sprintf("bench-%d", seq.Add(1)), tx.Now)
						return err
					}}
				}
				db.batch.commit(reqs)
				for _, r := range reqs {
					if err := <-r.err; err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*size), "µs/write")
		})
	}
}
