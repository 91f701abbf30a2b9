package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

func TestFlowVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := db.ActiveFlowVersion(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("fresh install has an active flow: %v", err)
		}
		v1 := store.FlowVersion{Name: "800840840", Source: "start: a\n", Comment: "prima"}
		if err := db.SaveFlow(ctx, &v1, true, "cli:admin"); err != nil {
			t.Fatal(err)
		}
		v2 := store.FlowVersion{Name: "800840840", Source: "start: b\n"}
		if err := db.SaveFlow(ctx, &v2, false, "cli:admin"); err != nil {
			t.Fatal(err)
		}
		if act, _ := db.ActiveFlowVersion(ctx); act != v1.Version {
			t.Fatalf("saving without activate changed the active flow to %d", act)
		}
		if err := db.ActivateFlow(ctx, v2.Version, "cli:admin"); err != nil {
			t.Fatal(err)
		}
		f, err := db.Flow(ctx, 0)
		if err != nil || f.Version != v2.Version || f.Source != "start: b\n" || !f.Active || len(f.Checksum) != 64 {
			t.Fatalf("active flow %+v %v", f, err)
		}
		if err := db.ActivateFlow(ctx, 999, "cli:admin"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rollback to a missing version: %v", err)
		}
		list, _ := db.Flows(ctx)
		if len(list) != 2 || list[0].Version != v2.Version || !list[0].Active || list[1].Active {
			t.Fatalf("list %+v", list)
		}
		var actions []string
		log, _ := db.AuditLog(ctx, store.AuditFilter{})
		for i := len(log) - 1; i >= 0; i-- {
			actions = append(actions, log[i].Action)
		}
		want := []string{"ivr.save", "ivr.apply", "ivr.save", "ivr.rollback"}
		if len(actions) != len(want) {
			t.Fatalf("audit %v", actions)
		}
		for i := range want {
			if actions[i] != want[i] {
				t.Fatalf("audit %v, want %v", actions, want)
			}
		}
	})
}

func TestFlowApplyAndPrevious(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := db.PreviousFlowVersion(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("previous on a fresh install: %v", err)
		}
		save := func(src string, activate bool) int64 {
			t.Helper()
			v := store.FlowVersion{Name: "f", Source: src}
			if err := db.SaveFlow(ctx, &v, activate, "cli:admin"); err != nil {
				t.Fatal(err)
			}
			return v.Version
		}
		v1 := save("start: a\n", true)
		// The built-in default was active before v1: nothing to go back to.
		if _, err := db.PreviousFlowVersion(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("previous after the first apply: %v", err)
		}
		v2 := save("start: b\n", false)
		if err := db.ApplyFlow(ctx, 999, "anna"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("apply a missing version: %v", err)
		}
		if err := db.ApplyFlow(ctx, v2, "anna"); err != nil {
			t.Fatal(err)
		}
		if act, _ := db.ActiveFlowVersion(ctx); act != v2 {
			t.Fatalf("active %d after applying %d", act, v2)
		}
		if prev, err := db.PreviousFlowVersion(ctx); err != nil || prev != v1 {
			t.Fatalf("previous %d %v, want %d", prev, err, v1)
		}
		if err := db.ActivateFlow(ctx, v1, "anna"); err != nil {
			t.Fatal(err)
		}
		// Going back twice returns to where one started.
		if prev, err := db.PreviousFlowVersion(ctx); err != nil || prev != v2 {
			t.Fatalf("previous after the rollback %d %v, want %d", prev, err, v2)
		}
		apply := "ivr.apply"
		log, _ := db.AuditLog(ctx, store.AuditFilter{Action: &apply})
		if len(log) != 2 || log[0].Actor != "anna" || log[0].Object != fmt.Sprintf("flow:%d", v2) || log[0].Detail["previous"] != float64(v1) {
			t.Fatalf("apply audit %+v", log)
		}
	})
}

func TestModeChanges(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			fake := clock.NewFake(time.Date(2026, 5, 16, 8, 0, 0, 0, time.UTC))
			db := e.Open(t, fake)
			if _, err := db.CurrentMode(ctx, fake.Now()); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("fresh install: %v", err)
			}
			em := store.ModeChange{Mode: store.ModeEmergency, Reason: "Alluvione Emilia-Romagna", SetBy: "cli:coord"}
			if err := db.SetMode(ctx, &em); err != nil {
				t.Fatal(err)
			}
			fake.Advance(time.Hour)
			closed := store.ModeChange{Mode: store.ModeClosed, Reason: "manutenzione", SetBy: "cli:admin", Until: fake.Now().Add(30 * time.Minute)}
			if err := db.SetMode(ctx, &closed); err != nil {
				t.Fatal(err)
			}
			cur, _ := db.CurrentMode(ctx, fake.Now())
			if cur.Mode != store.ModeClosed {
				t.Fatalf("now %s", cur.Mode)
			}
			cur, _ = db.CurrentMode(ctx, fake.Now().Add(31*time.Minute))
			if cur.Mode != store.ModeEmergency || cur.Reason != "Alluvione Emilia-Romagna" {
				t.Fatalf("after the temporary switch expired: %+v", cur)
			}
			if cur, _ := db.CurrentMode(ctx, fake.Now().Add(-2*time.Hour)); cur.Mode != "" {
				t.Fatalf("before any change: %+v", cur)
			}
			bad := []store.ModeChange{
				{Mode: "panic", Reason: "x", SetBy: "a"},
				{Mode: store.ModeClosed, SetBy: "a"},
				{Mode: store.ModeClosed, Reason: "x", SetBy: "a", Until: fake.Now().Add(-time.Minute)},
			}
			for _, m := range bad {
				if err := db.SetMode(ctx, &m); !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("%+v: %v", m, err)
				}
			}
			hist, _ := db.ModeHistory(ctx, 10)
			if len(hist) != 2 || hist[0].Mode != store.ModeClosed {
				t.Fatalf("history %+v", hist)
			}
		})
	}
}
