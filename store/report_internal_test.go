package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
)

// TestStreamRequestsPages reads in pages smaller than the data, with many
// requests in the same second: none missed, none twice, in time order.
func TestStreamRequestsPages(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 5, 16, 18, 0, 0, 0, time.UTC))
	db, err := Open(Options{SQLitePath: filepath.Join(t.TempDir(), "a.db"), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	defer func(p int) { streamPage = p }(streamPage)
	streamPage = 7 // smaller than the data
	for i := range 50 {
		if err := db.CreateCase(ctx, &Case{Channel: ChannelPhone}); err != nil {
			t.Fatal(err)
		}
		if i%6 == 5 {
			clk.Advance(time.Second) // six to a second
		}
	}
	for {
		res, err := db.RollUp(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if !res.More {
			break
		}
	}
	seen := map[int64]bool{}
	var last int64
	err = db.StreamRequests(ctx, CountQuery{From: clk.Now().Add(-time.Hour), To: clk.Now().Add(time.Hour)}, false,
		func(r *RequestRow) error {
			if seen[r.CaseID] {
				t.Fatalf("case %d streamed twice", r.CaseID)
			}
			if r.CaseID < last {
				t.Fatalf("case %d after %d", r.CaseID, last)
			}
			seen[r.CaseID], last = true, r.CaseID
			return nil
		})
	if err != nil || len(seen) != 50 {
		t.Fatalf("streamed %d of 50: %v", len(seen), err)
	}
}
