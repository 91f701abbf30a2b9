package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestStmtCache: on SQLite, a write statement seen once is prepared after
// its transaction and reused by the next ones, and many writers at once —
// transactions holding the writer while others want statements prepared —
// neither deadlock nor lose a write.
func TestStmtCache(t *testing.T) {
	db := openMigrated(t, Options{SQLitePath: filepath.Join(t.TempDir(), "a.db")})
	ctx := context.Background()
	insert := func(id string) error {
		return db.InsertCall(ctx, &Call{ChannelID: id, Caller: "+390862123456", Called: "800840840"})
	}
	if err := insert("first"); err != nil {
		t.Fatal(err)
	}
	prepared := func() int {
		db.stmts.mu.Lock()
		defer db.stmts.mu.Unlock()
		n := 0
		for q, s := range db.stmts.m {
			if s != nil && len(q) > 11 && q[:11] == "INSERT INTO" {
				n++
			}
		}
		return n
	}
	if prepared() == 0 {
		t.Fatalf("no INSERT prepared after the first write: %d statements cached", len(db.stmts.m))
	}
	done := make(chan error, 1)
	go func() {
		var wg sync.WaitGroup
		errs := make(chan error, 32*20)
		for w := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					if err := insert(fmt.Sprintf("c-%d-%d", w, i)); err != nil {
						errs <- err
					}
					path := "coda"
					if err := db.UpdateCall(ctx, fmt.Sprintf("c-%d-%d", w, i), CallUpdate{IVRPath: &path}); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		done <- <-errs
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("writers stuck: the statement cache deadlocked the writer")
	}
	closed, open, err := db.CallCounts(ctx)
	if err != nil || closed+open != 1+32*20 {
		t.Fatalf("%d + %d calls stored (%v), want %d", closed, open, err, 1+32*20)
	}
}
