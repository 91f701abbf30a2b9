package acdconf

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
)

// Outcome is what became of an order left for the running service.
type Outcome struct {
	Cmd     store.ACDCommand
	Applied bool   // the service wrote a result
	Refused string // the service's reason when the result was not "ok"
}

// Ask leaves an order for the running service in the store's command
// table (the only way any edge reaches it) and waits up to wait for its
// result. An order nobody applied in time is withdrawn (given a result of
// its own), so a service started later never carries out an order its
// author was told had failed. c.Actor must be set.
func Ask(ctx context.Context, db *store.DB, clk clock.Clock, c store.ACDCommand, wait time.Duration) (Outcome, error) {
	if err := db.QueueACDCommand(ctx, &c); err != nil {
		return Outcome{}, err
	}
	deadline := clk.Now().Add(wait)
	for {
		got, err := db.ACDCommandByID(ctx, c.ID)
		if err != nil {
			return Outcome{}, err
		}
		if !got.DoneAt.IsZero() {
			return outcomeOf(got), nil
		}
		if !clk.Now().Before(deadline) {
			break
		}
		t := clk.NewTimer(min(100*time.Millisecond, max(deadline.Sub(clk.Now()), time.Millisecond)))
		select {
		case <-ctx.Done():
			t.Stop()
			return Outcome{}, ctx.Err()
		case <-t.C():
		}
	}
	withdrawn := fmt.Sprintf("error: withdrawn by %s: no service applied it within %s", c.Actor, wait)
	ok, err := db.WithdrawACDCommand(ctx, c.ID, withdrawn)
	if err != nil {
		return Outcome{}, err
	}
	if !ok {
		// The service claimed it just now: its result is moments away.
		for i := 0; i < 100; i++ {
			got, err := db.ACDCommandByID(ctx, c.ID)
			if err != nil {
				return Outcome{}, err
			}
			if !got.DoneAt.IsZero() {
				return outcomeOf(got), nil
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	got, err := db.ACDCommandByID(ctx, c.ID)
	if err != nil {
		return Outcome{}, err
	}
	if got.Result != withdrawn {
		return outcomeOf(got), nil
	}
	return Outcome{Cmd: got}, nil
}

func outcomeOf(c store.ACDCommand) Outcome {
	out := Outcome{Cmd: c, Applied: true}
	if c.Result != "ok" {
		out.Refused = strings.TrimPrefix(c.Result, "error: ")
	}
	return out
}

// Reload asks the running service to re-read queues and seats. The change
// is stored either way: a service started later reads it at start.
func Reload(ctx context.Context, db *store.DB, clk clock.Clock, actor string, wait time.Duration) (Outcome, error) {
	return Ask(ctx, db, clk, store.ACDCommand{Kind: "reload", Actor: actor}, wait)
}
