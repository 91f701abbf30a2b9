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
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
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

// TestLazyWritesShareACommit: writes nobody waits for (Lazy) are gathered
// for lazyGap after the last commit, in the order they were handed over,
// into one transaction; a write someone waits for, arriving meanwhile,
// cuts the gathering short to commitGap and takes them along.
func TestLazyWritesShareACommit(t *testing.T) {
	for _, e := range batchEngines() {
		t.Run(e.name, func(t *testing.T) {
			db := e.open(t)
			b := db.batch
			// Set before this test's first write: the writer reads them
			// only on a write, after the send that hands it over.
			fake := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
			b.clk, b.waits = fake, make(chan time.Duration, 4)
			bg := context.Background()
			lazy := Lazy(bg)
			var order []int
			txs := map[*Tx][]int{}
			write := func(ctx context.Context, i int) *Pending {
				return b.submit(ctx, func(tx *Tx) error {
					order = append(order, i) // fns run one at a time, on the writer
					txs[tx] = append(txs[tx], i)
					c := Case{Channel: ChannelWeb, Summary: fmt.Sprintf("write %d", i)}
					return tx.CreateCase(bg, &c)
				})
			}
			verdict := func(p *Pending) bool { return len(p.r.err) > 0 }
			consumed := func() {
				deadline := time.Now().Add(10 * time.Second)
				for len(b.reqs) > 0 && time.Now().Before(deadline) {
					runtime.Gosched()
				}
			}
			// A first write someone waits for: committed at once.
			if err := write(bg, 0).Wait(); err != nil {
				t.Fatal(err)
			}
			// Lazy writes right after it: the writer waits lazyGap.
			first := write(lazy, 1)
			if d := <-b.waits; d != lazyGap {
				t.Fatalf("lazy write waits %v, want %v", d, lazyGap)
			}
			ps := []*Pending{first}
			for i := 2; i <= 20; i++ {
				ps = append(ps, write(lazy, i))
			}
			consumed()
			fake.Advance(lazyGap - time.Millisecond)
			for i, p := range ps {
				if verdict(p) {
					t.Fatalf("write %d committed before lazyGap was over", i+1)
				}
			}
			fake.Advance(time.Millisecond)
			for i, p := range ps {
				if err := p.Wait(); err != nil {
					t.Fatalf("write %d: %v", i+1, err)
				}
			}
			if len(txs) != 2 {
				t.Fatalf("transactions %v: want the first write alone, then the 20 lazy ones together", txs)
			}
			// Another lazy write, then one someone waits for: the wait
			// becomes commitGap from the last commit.
			late := write(lazy, 21)
			if d := <-b.waits; d != lazyGap {
				t.Fatalf("lazy write waits %v, want %v", d, lazyGap)
			}
			waited := write(bg, 22)
			if d := <-b.waits; d != commitGap {
				t.Fatalf("a waited-for write waits %v, want %v", d, commitGap)
			}
			fake.Advance(commitGap)
			if err := waited.Wait(); err != nil {
				t.Fatal(err)
			}
			if !verdict(late) || late.Wait() != nil {
				t.Fatal("the lazy write before it was not committed with it")
			}
			if len(txs) != 3 {
				t.Fatalf("transactions %v: want the last two together", txs)
			}
			// Flush is such a write: the lazy ones before it are committed
			// after commitGap, not lazyGap.
			beforeFlush := write(lazy, 23)
			if d := <-b.waits; d != lazyGap {
				t.Fatalf("lazy write waits %v, want %v", d, lazyGap)
			}
			flushed := make(chan error, 1)
			go func() { flushed <- db.Flush(bg) }()
			if d := <-b.waits; d != commitGap {
				t.Fatalf("Flush waits %v, want %v", d, commitGap)
			}
			fake.Advance(commitGap)
			if err := <-flushed; err != nil {
				t.Fatal(err)
			}
			if !verdict(beforeFlush) || beforeFlush.Wait() != nil {
				t.Fatal("Flush returned before the lazy write handed over before it was committed")
			}
			for i, k := range order {
				if i != k {
					t.Fatalf("committed in the order %v", order)
				}
			}
		})
	}
}

// TestPendingCallWritesKeepTheirOrder: a call's insert, update and close
// handed to the group commit without waiting land in order, and the
// insert's Pending sets the record's id.
func TestPendingCallWritesKeepTheirOrder(t *testing.T) {
	for _, e := range batchEngines() {
		t.Run(e.name, func(t *testing.T) {
			db := e.open(t)
			ctx := Lazy(context.Background())
			c := &Call{ChannelID: "1.1", Caller: "+390862000001", Called: "800840840"}
			ins := db.InsertCallLater(ctx, c)
			q := "informazioni"
			upd := db.UpdateCallLater(ctx, "1.1", CallUpdate{Queue: &q})
			end := db.CloseCallLater(ctx, "1.1", CallEnd{Outcome: "answered", HangupBy: "caller"})
			again := db.CloseCallLater(ctx, "1.1", CallEnd{Outcome: "abandoned", HangupBy: "caller"})
			if err := ins.Wait(); err != nil || c.ID == 0 || c.ArrivedAt.IsZero() {
				t.Fatalf("insert: %v, id %d, arrived %v", err, c.ID, c.ArrivedAt)
			}
			if err := upd.Wait(); err != nil {
				t.Fatal(err)
			}
			if err := end.Wait(); err != nil {
				t.Fatal(err)
			}
			if err := again.Wait(); !errors.Is(err, ErrAlreadyClosed) {
				t.Fatalf("second close: %v, want ErrAlreadyClosed", err)
			}
			got, err := db.CallByChannel(context.Background(), "1.1")
			if err != nil || got.Queue != q || got.Outcome != "answered" || got.ID != c.ID {
				t.Fatalf("record %+v %v", got, err)
			}
			dup := db.InsertCallLater(ctx, &Call{ChannelID: "1.1"})
			if err := dup.Wait(); !errors.Is(err, ErrConflict) {
				t.Fatalf("second insert: %v, want ErrConflict", err)
			}
		})
	}
}
