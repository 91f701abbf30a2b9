package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
)

// An attempt is recorded before the SMTP transaction: a message claimed
// again after its worker died shows that it may have left already, and a
// worker whose lease ran out may not send what another now holds.
func TestOutboxAttemptIsRecordedBeforeSending(t *testing.T) {
	eachFake(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		c := newCase(t, db, store.Case{ContactEmail: "a@example.net"}, "ciao")
		enqueue(t, db, c.ID, "a@ascolto")
		got, err := db.ClaimOutbox(ctx, 10, time.Minute)
		if err != nil || len(got) != 1 {
			t.Fatalf("claim %+v %v", got, err)
		}
		a := got[0]
		if !a.SendStartedAt.IsZero() {
			t.Fatalf("a fresh message is in doubt: %+v", a)
		}
		if err := db.BeginOutboxSend(ctx, &a, time.Minute); err != nil {
			t.Fatal(err)
		}
		// The worker dies here. Its lease runs out; another claims it.
		clk.Advance(2 * time.Minute)
		again, err := db.ClaimOutbox(ctx, 10, time.Minute)
		if err != nil || len(again) != 1 || again[0].SendStartedAt.IsZero() || again[0].MessageID != a.MessageID {
			t.Fatalf("reclaimed %+v %v: want the same message, marked in doubt", again, err)
		}
		// The first worker, had it only stalled, may not send it now.
		if err := db.BeginOutboxSend(ctx, &a, time.Minute); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("stale worker began sending: %v", err)
		}
		b := again[0]
		if err := db.BeginOutboxSend(ctx, &b, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := db.Batch(ctx, func(tx *store.Tx) error { return tx.MarkOutboxSent(ctx, b.ID) }); err != nil {
			t.Fatal(err)
		}
		done, err := db.OutboxMessageByID(ctx, b.ID)
		if err != nil || done.State != store.OutboxSent || !done.SendStartedAt.IsZero() {
			t.Fatalf("after sending %+v %v", done, err)
		}
		if err := db.BeginOutboxSend(ctx, &b, time.Minute); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("a sent message began again: %v", err)
		}
	})
}
