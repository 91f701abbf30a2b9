package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

func TestQueueThresholds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		n := func(v int) *int { return &v }
		got, err := db.QueueThresholds(ctx)
		if err != nil || len(got) != 0 {
			t.Fatalf("fresh database has thresholds %v %v", got, err)
		}
		th := store.QueueThreshold{Queue: "soccorso", SLAmberPct: n(90), SLRedPct: n(85), WaitRedS: n(45), PauseRedS: n(600)}
		if err := db.SetQueueThreshold(ctx, &th, "cli:admin"); err != nil {
			t.Fatal(err)
		}
		got, err = db.QueueThresholds(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s := got["soccorso"]
		if len(got) != 1 || s.SLAmberPct == nil || *s.SLAmberPct != 90 || *s.SLRedPct != 85 || *s.WaitRedS != 45 ||
			s.WaitAmberS != nil || *s.PauseRedS != 600 || s.WrapupRedS != nil || s.UpdatedBy != "cli:admin" || s.UpdatedAt.IsZero() {
			t.Fatalf("stored %+v", s)
		}
		// A second set replaces every field: what is not named goes back to its default.
		th = store.QueueThreshold{Queue: "soccorso", WaitAmberS: n(20)}
		if err := db.SetQueueThreshold(ctx, &th, "cli:admin"); err != nil {
			t.Fatal(err)
		}
		got, _ = db.QueueThresholds(ctx)
		if s := got["soccorso"]; s.SLAmberPct != nil || s.WaitAmberS == nil || *s.WaitAmberS != 20 {
			t.Fatalf("replaced %+v", s)
		}
		bad := []store.QueueThreshold{
			{Queue: "soccorso", SLAmberPct: n(70), SLRedPct: n(80)},
			{Queue: "soccorso", WaitAmberS: n(90), WaitRedS: n(60)},
			{Queue: "soccorso", AbandonRedPct: n(101)},
			{Queue: "soccorso", PauseAmberS: n(0)},
			{Queue: "soccorso", WrapupAmberS: n(-5)},
		}
		for _, b := range bad {
			if err := db.SetQueueThreshold(ctx, &b, "cli"); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("%+v accepted: %v", b.Detail(), err)
			}
		}
		if err := db.SetQueueThreshold(ctx, &store.QueueThreshold{Queue: "nessuna", WaitRedS: n(5)}, "cli"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown queue: %v", err)
		}
		// Nothing set: the row goes, the queue is on its defaults again.
		if err := db.SetQueueThreshold(ctx, &store.QueueThreshold{Queue: "soccorso"}, "cli:admin"); err != nil {
			t.Fatal(err)
		}
		if got, _ = db.QueueThresholds(ctx); len(got) != 0 {
			t.Fatalf("after reset %v", got)
		}
		action := "queue.thresholds"
		log, err := db.AuditLog(ctx, store.AuditFilter{Action: &action})
		if err != nil || len(log) != 2 || log[1].Object != "queue:soccorso" || log[1].Detail["wait_red_s"] != float64(45) {
			t.Fatalf("audit %+v %v", log, err)
		}
		reset := "queue.thresholds.reset"
		if log, _ = db.AuditLog(ctx, store.AuditFilter{Action: &reset}); len(log) != 1 {
			t.Fatalf("reset audit %+v", log)
		}
	})
}

func TestAgentEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t0 := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
		evs := []store.QueueEvent{
			{At: t0.Add(-time.Hour), Queue: "NONE", Agent: "101", Event: "PAUSE"},
			{At: t0, CallID: "c1", Queue: "soccorso", Event: "ENTERQUEUE"},
			{At: t0.Add(time.Second), CallID: "c1", Queue: "soccorso", Agent: "101", Event: "CONNECT", Data: [5]string{"1", "c1", "1"}},
			{At: t0.Add(time.Minute), CallID: "c1", Queue: "soccorso", Agent: "101", Event: "COMPLETECALLER", Data: [5]string{"1", "59", "1"}},
			{At: t0.Add(2 * time.Minute), Queue: "NONE", Agent: "102", Event: "PAUSE", Data: [5]string{"pranzo"}},
		}
		if err := db.AppendQueueEvents(ctx, evs...); err != nil {
			t.Fatal(err)
		}
		got, err := db.AgentEvents(ctx, t0, 0)
		if err != nil || len(got) != 3 || got[0].Event != "CONNECT" || got[2].Agent != "102" || got[2].Data[0] != "pranzo" {
			t.Fatalf("agent events %+v %v", got, err)
		}
	})
}
