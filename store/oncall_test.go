package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

func openTestActivation(t *testing.T, db *store.DB, exercise bool, mode bool) (store.Activation, []store.ActivationPerson) {
	t.Helper()
	ctx := context.Background()
	r := store.Roster{Source: "people: []\n", Checksum: "x", People: 2, CreatedBy: "test"}
	if err := db.SaveRoster(ctx, &r); err != nil {
		t.Fatal(err)
	}
	a := store.Activation{Event: "Alluvione", RequestedBy: "DPC", Reason: "richiesta", OpenedBy: "test", Exercise: exercise,
		Quorum: 1, RosterVersion: r.Version}
	people := []store.ActivationPerson{
		{Person: "rossi", Name: "Mario Rossi", Phone: "+393401111111", Role: "operator", Username: "mrossi", Wave: 0, Seq: 1, Token: "tok-rossi-" + a.Event + boolText(exercise)},
		{Person: "bianchi", Name: "Anna Bianchi", Phone: "+393402222222", Email: "a.bianchi@example.it", Role: "operator", Wave: 1, Seq: 2, Token: "tok-bianchi-" + boolText(exercise)},
	}
	req := store.OpenActivationRequest{Activation: &a, People: people,
		Waves: []store.ActivationWave{{Wave: 0, Name: "primary", Wait: 5 * time.Minute}, {Wave: 1, Name: "reserve", Wait: 10 * time.Minute}}}
	if mode {
		req.Mode = &store.ModeChange{Mode: store.ModeEmergency, Reason: "attivazione", SetBy: "test"}
	}
	if err := db.OpenActivation(ctx, req); err != nil {
		t.Fatal(err)
	}
	return a, people
}

func boolText(b bool) string {
	if b {
		return "drill"
	}
	return "real"
}

func TestActivationLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.CurrentRoster(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("no roster yet: %v", err)
		}
		a, people := openTestActivation(t, db, false, true)
		if m, err := db.CurrentMode(ctx, time.Now().Add(time.Second)); err != nil || m.Mode != store.ModeEmergency || m.ID != a.ModeChangeID {
			t.Fatalf("mode after open: %+v %v (activation mode change %d)", m, err, a.ModeChangeID)
		}
		// A second real activation is refused; a drill may run beside it.
		dup := store.Activation{Event: "x", RequestedBy: "y", Reason: "z", OpenedBy: "t", Quorum: 1, RosterVersion: a.RosterVersion}
		err := db.OpenActivation(ctx, store.OpenActivationRequest{Activation: &dup, People: []store.ActivationPerson{
			{Person: "p", Name: "P", Phone: "+393409999999", Role: "operator", Token: "other"}}})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second open: %v", err)
		}
		openTestActivation(t, db, true, false)
		open, err := db.OpenActivations(ctx)
		if err != nil || len(open) != 2 {
			t.Fatalf("open activations: %d %v", len(open), err)
		}
		// Claims: one runner at a time until its lease runs out.
		if ok, err := db.ClaimActivation(ctx, a.ID, "r1", time.Hour); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if ok, _ := db.ClaimActivation(ctx, a.ID, "r2", time.Hour); ok {
			t.Fatal("a second runner claimed a leased activation")
		}
		if ok, _ := db.ClaimActivation(ctx, a.ID, "r1", time.Hour); !ok {
			t.Fatal("the holder could not renew")
		}
		if err := db.ReleaseActivation(ctx, a.ID, "r1"); err != nil {
			t.Fatal(err)
		}
		if ok, _ := db.ClaimActivation(ctx, a.ID, "r2", time.Hour); !ok {
			t.Fatal("a released activation could not be claimed")
		}
		waves, err := db.ActivationWaves(ctx, a.ID)
		if err != nil || len(waves) != 2 || waves[0].StartedAt.IsZero() || !waves[1].StartedAt.IsZero() || waves[1].Wait != 10*time.Minute {
			t.Fatalf("waves %+v %v", waves, err)
		}
		// An attempt, its end, the person's update and a second wave.
		now := time.Now().UTC().Truncate(time.Microsecond)
		att := store.ActivationAttempt{ActivationID: a.ID, PersonID: people[0].ID, Channel: "phone"}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.BeginAttempt(ctx, &att); err != nil {
				return err
			}
			if err := tx.EndAttempt(ctx, att.ID, now, "confirmed", "1"); err != nil {
				return err
			}
			st, eta, via := store.PersonConfirmed, 20, "phone"
			if err := tx.UpdateActivationPerson(ctx, people[0].ID, store.PersonUpdate{Status: &st, ETAMinutes: &eta,
				ConfirmedAt: &now, ConfirmedVia: &via}); err != nil {
				return err
			}
			if err := tx.StartActivationWave(ctx, a.ID, 1, "reserve", now); err != nil {
				return err
			}
			return tx.SetActivationState(ctx, a.ID, store.ActivationQuorum, now, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.EndAttempt(ctx, att.ID, now, "x", "") }); !errors.Is(err, store.ErrAlreadyClosed) {
			t.Fatalf("second end: %v", err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.StartActivationWave(ctx, a.ID, 1, "reserve", now) }); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("wave started twice: %v", err)
		}
		ps, err := db.ActivationPeople(ctx, a.ID)
		if err != nil || len(ps) != 2 || ps[0].Status != store.PersonConfirmed || ps[0].ETAMinutes != 20 || !ps[0].ConfirmedAt.Equal(now) || ps[1].ETAMinutes != -1 {
			t.Fatalf("people %+v %v", ps, err)
		}
		byTok, err := db.ActivationPersonByToken(ctx, people[1].Token)
		if err != nil || byTok.Person != "bianchi" {
			t.Fatalf("by token %+v %v", byTok, err)
		}
		if _, err := db.ActivationPersonByToken(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown token: %v", err)
		}
		// Arrival matching: by username, or by email when the roster has
		// none; the drill open beside the emergency has the same people.
		if got, err := db.OpenActivationPeopleFor(ctx, "mrossi", ""); err != nil || len(got) != 2 || got[0].ID != people[0].ID {
			t.Fatalf("by username %+v %v", got, err)
		}
		if got, err := db.OpenActivationPeopleFor(ctx, "abianchi", "A.Bianchi@example.it"); err != nil || len(got) != 2 {
			t.Fatalf("by email %+v %v", got, err)
		}
		got, _ := db.Activation(ctx, a.ID)
		if got.State != store.ActivationQuorum || got.QuorumAt.IsZero() {
			t.Fatalf("state %+v", got)
		}
		// Close, back to the ordinary mode; closing twice is refused.
		err = db.CloseActivation(ctx, store.CloseActivationRequest{ID: a.ID, By: "test", Reason: "fine",
			Mode: &store.ModeChange{Mode: store.ModeOrdinary, Reason: "fine emergenza", SetBy: "test"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CloseActivation(ctx, store.CloseActivationRequest{ID: a.ID, By: "test"}); !errors.Is(err, store.ErrAlreadyClosed) {
			t.Fatalf("second close: %v", err)
		}
		if m, _ := db.CurrentMode(ctx, time.Now().Add(time.Second)); m.Mode != store.ModeOrdinary {
			t.Fatalf("mode after close %s", m.Mode)
		}
		tl, err := db.ActivationTimeline(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range tl {
			actions = append(actions, e.Action)
		}
		want := []string{"activation.open", "activation.mode", "activation.wave", "activation.wave", "activation.quorum", "activation.close"}
		if len(actions) != len(want) {
			t.Fatalf("timeline %v, want %v", actions, want)
		}
		for i := range want {
			if actions[i] != want[i] {
				t.Fatalf("timeline %v, want %v", actions, want)
			}
		}
		// A new real activation may open once the old one is closed.
		again := store.Activation{Event: "x", RequestedBy: "y", Reason: "z", OpenedBy: "t", Quorum: 1, RosterVersion: a.RosterVersion}
		if err := db.OpenActivation(ctx, store.OpenActivationRequest{Activation: &again, People: []store.ActivationPerson{
			{Person: "p", Name: "P", Phone: "+393409999999", Role: "operator", Token: "third"}}}); err != nil {
			t.Fatalf("open after close: %v", err)
		}
	})
}
