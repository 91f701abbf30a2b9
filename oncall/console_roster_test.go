package oncall

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/console"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// TestConsoleRoster: the console's roster page reads the roster in force
// with who is on call, and an edit is checked and stored as a new version,
// audited as the CLI's import is, with the console user as actor; a broken
// roster is refused as store.ErrInvalid with its problems and changes
// nothing.
func TestConsoleRoster(t *testing.T) {
	ctx := context.Background()
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			at := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
			clk := clock.NewFake(at)
			db := e.Open(t, clk)
			cb := ConsoleBoards{Service: serviceOn(t, db, clk)}
			v, err := cb.Roster(ctx, at)
			if err != nil {
				t.Fatal(err)
			}
			if v.Version != 1 || v.People != 3 || len(v.Waves) != 2 || !strings.Contains(strings.Join(v.Waves[0].People, ","), "Mario Rossi +393401111111") {
				t.Fatalf("roster view: %+v", v)
			}
			_, err = cb.ImportRoster(ctx, console.Actor{Username: "capo"}, []byte("quorum: 2\nwaves: nonsense\n"), "")
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("broken roster: %v", err)
			}
			edited := strings.Replace(v.YAML, "Anna Bianchi", "Anna Bianchi Verdi", 1)
			ver, err := cb.ImportRoster(ctx, console.Actor{Username: "capo"}, []byte(edited), "cognome")
			if err != nil || ver != 2 {
				t.Fatalf("edited roster: version %d, %v", ver, err)
			}
			actor := "capo"
			es, err := db.AuditLog(ctx, store.AuditFilter{Actor: &actor})
			if err != nil || len(es) != 1 || es[0].Action != "oncall.roster.import" || es[0].Object != "roster:2" {
				t.Fatalf("audit: %+v %v", es, err)
			}
		})
	}
}
