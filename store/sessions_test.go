package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

func TestSessionsLifecycle(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
			clk := clock.NewFake(start)
			db := e.Open(t, clk)
			u := addUser(t, db, "neri", store.RoleAgent)
			pending := store.Session{ID: "half", UserID: u.ID, ExpiresAt: start.Add(5 * time.Minute), MFAPending: true}
			if err := db.CreateSession(ctx, &pending, ""); err != nil {
				t.Fatal(err)
			}
			full := store.Session{ID: "full", UserID: u.ID, ExpiresAt: start.Add(12 * time.Hour), Remote: "192.0.2.1"}
			if err := db.CreateSession(ctx, &full, "half"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SessionByID(ctx, "half"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the half-signed-in session must go when the full one replaces it: %v", err)
			}
			clk.Advance(10 * time.Minute)
			if err := db.TouchSession(ctx, "full"); err != nil {
				t.Fatal(err)
			}
			if err := db.SetSessionLang(ctx, "full", "en"); err != nil {
				t.Fatal(err)
			}
			got, err := db.SessionByID(ctx, "full")
			if err != nil || !got.LastSeenAt.Equal(start.Add(10*time.Minute)) || got.Lang != "en" || got.MFAPending || got.Remote != "192.0.2.1" {
				t.Fatalf("session = %+v, %v", got, err)
			}
			if err := db.SetSessionLang(ctx, "full", "fr"); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("bad language: %v", err)
			}
			if err := db.TouchSession(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("touch a missing session: %v", err)
			}
			// Idle purge: nothing idle since before 9:05; then everything is.
			if n, err := db.PurgeSessions(ctx, start.Add(5*time.Minute), start); err != nil || n != 0 {
				t.Fatalf("purge removed %d, %v", n, err)
			}
			if n, err := db.PurgeSessions(ctx, start.Add(11*time.Minute), start); err != nil || n != 1 {
				t.Fatalf("idle purge removed %d, %v", n, err)
			}
			if err := db.DeleteSession(ctx, "full"); err != nil {
				t.Fatalf("deleting a gone session: %v", err)
			}
		})
	}
}

func TestNoncesAreSpentOnce(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
			clk := clock.NewFake(start)
			db := e.Open(t, clk)
			if err := db.SpendNonce(ctx, "abc", start.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if err := db.SpendNonce(ctx, "abc", start.Add(time.Hour)); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("replayed nonce: %v", err)
			}
			if err := db.SpendNonce(ctx, "", start); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("empty nonce: %v", err)
			}
			clk.Advance(2 * time.Hour)
			if _, err := db.PurgeSessions(ctx, start, start); err != nil {
				t.Fatal(err)
			}
			// Once its token has expired anyway, the nonce row may go.
			if err := db.SpendNonce(ctx, "abc", clk.Now().Add(time.Hour)); err != nil {
				t.Fatalf("after purge: %v", err)
			}
		})
	}
}

func TestLoginFailuresCount(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			start := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
			clk := clock.NewFake(start)
			db := e.Open(t, clk)
			// A reservation under the limits is a failure recorded in advance;
			// one at a limit of zero records nothing and only counts.
			record := func(user, remote string) {
				t.Helper()
				id, _, err := db.ReserveLoginAttempt(ctx, user, remote, store.LoginLimits{Since: start, PerUser: 100, PerRemote: 100})
				if err != nil || id == 0 {
					t.Fatalf("reserve: %d %v", id, err)
				}
			}
			count := func(since time.Time) store.LoginFailures {
				t.Helper()
				id, f, err := db.ReserveLoginAttempt(ctx, "rossi", "198.51.100.1", store.LoginLimits{Since: since})
				if err != nil || id != 0 {
					t.Fatalf("a reservation at the limit: %d %v", id, err)
				}
				return f
			}
			for i, f := range []struct{ user, remote string }{
				{"rossi", "198.51.100.1"}, {"rossi", "198.51.100.2"}, {"bianchi", "198.51.100.1"}, {"rossi", "198.51.100.1"},
			} {
				clk.Set(start.Add(time.Duration(i) * time.Minute))
				record(f.user, f.remote)
			}
			if f := count(start); f.ByUser != 3 || f.ByRemote != 3 || !f.OldestUser.Equal(start) || !f.OldestRemote.Equal(start) {
				t.Fatalf("failures = %+v", f)
			}
			f := count(start.Add(90 * time.Second))
			if f.ByUser != 1 || f.ByRemote != 2 || !f.OldestUser.Equal(start.Add(3*time.Minute)) || !f.OldestRemote.Equal(start.Add(2*time.Minute)) {
				t.Fatalf("windowed failures = %+v", f)
			}
			if err := db.ClearLoginFailures(ctx, "rossi"); err != nil {
				t.Fatal(err)
			}
			if f := count(start); f.ByUser != 0 || !f.OldestUser.IsZero() || f.ByRemote != 1 {
				t.Fatalf("after a good sign-in = %+v", f)
			}
		})
	}
}

// TestLoginReservationIsAtomic: a hundred attempts at once against one
// username (and, apart, from one address) get at most the limit of
// reservations, on both engines; a forgotten reservation frees its slot.
func TestLoginReservationIsAtomic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		lim := store.LoginLimits{Since: time.Now().Add(-time.Hour), PerUser: 5, PerRemote: 30}
		race := func(user, remote func(i int) string) []int64 {
			var mu sync.Mutex
			var ids []int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range 100 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					id, _, err := db.ReserveLoginAttempt(ctx, user(i), remote(i), lim)
					if err != nil {
						t.Error(err)
						return
					}
					if id != 0 {
						mu.Lock()
						ids = append(ids, id)
						mu.Unlock()
					}
				}()
			}
			close(start)
			wg.Wait()
			return ids
		}
		ids := race(func(int) string { return "rossi" }, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) })
		if len(ids) != lim.PerUser {
			t.Fatalf("%d reservations for one username, want %d", len(ids), lim.PerUser)
		}
		id, f, err := db.ReserveLoginAttempt(ctx, "rossi", "203.0.113.1", lim)
		if err != nil || id != 0 || f.ByUser != lim.PerUser || f.OldestUser.IsZero() {
			t.Fatalf("past the limit: id %d, %+v, %v", id, f, err)
		}
		if err := db.ForgetLoginAttempt(ctx, ids[0]); err != nil {
			t.Fatal(err)
		}
		if id, _, err := db.ReserveLoginAttempt(ctx, "rossi", "203.0.113.1", lim); err != nil || id == 0 {
			t.Fatalf("a forgotten reservation does not free its slot: %d %v", id, err)
		}
		ids = race(func(i int) string { return fmt.Sprintf("u%d", i) }, func(int) string { return "192.0.2.1" })
		if len(ids) != lim.PerRemote {
			t.Fatalf("%d reservations from one address, want %d", len(ids), lim.PerRemote)
		}
	})
}

func TestConsoleKeyIsSharedAndStable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		k1, err := db.ConsoleKey(ctx, "csrf", func() string { return "first" })
		if err != nil || k1 != "first" {
			t.Fatalf("%q %v", k1, err)
		}
		k2, err := db.ConsoleKey(ctx, "csrf", func() string { return "second" })
		if err != nil || k2 != "first" {
			t.Fatalf("a second instance must get the same key: %q %v", k2, err)
		}
	})
}
