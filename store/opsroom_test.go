package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

var opsCtx = context.Background()

// opsStart is a Tuesday morning in Rome (UTC+1).
var opsStart = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

// eachOps runs fn on every engine with a fake clock and the bundled ISTAT
// list loaded.
func eachOps(t *testing.T, fn func(t *testing.T, db *store.DB, clk *clock.Fake)) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			clk := clock.NewFake(opsStart)
			db := e.Open(t, clk)
			ds, err := geo.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.SeedGeo(opsCtx, ds); err != nil {
				t.Fatal(err)
			}
			fn(t, db, clk)
		})
	}
}

func opsCase(t *testing.T, db *store.DB, c store.Case) store.Case {
	t.Helper()
	if c.Channel == "" {
		c.Channel = store.ChannelPhone
	}
	if err := db.CreateCase(opsCtx, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEmergencyEvents(t *testing.T) {
	eachOps(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		bad := []struct {
			e    store.EmergencyEvent
			want string
		}{
			{store.EmergencyEvent{Name: " "}, "needs a name"},
			{store.EmergencyEvent{Name: "x", Area: []string{"8"}}, "neither a regione"},
			{store.EmergencyEvent{Name: "x", Area: []string{"99"}}, "not a known regione"},
			{store.EmergencyEvent{Name: "x", Area: []string{"999"}}, "not a known provincia"},
			{store.EmergencyEvent{Name: "x", StartedAt: opsStart.Add(time.Hour)}, "future"},
		}
		for _, b := range bad {
			e := b.e
			err := db.OpenEvent(opsCtx, &e, "test")
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), b.want) {
				t.Fatalf("%+v: %v, want %q", b.e, err, b.want)
			}
		}
		flood := store.EmergencyEvent{Name: "Alluvione Emilia-Romagna, maggio 2023", Area: []string{"08", "041", "08"},
			StartedAt: opsStart.Add(-time.Hour)}
		if err := db.OpenEvent(opsCtx, &flood, "coordinatore"); err != nil {
			t.Fatal(err)
		}
		if len(flood.Area) != 2 || flood.Area[0] != "041" || flood.Area[1] != "08" {
			t.Fatalf("area %v: want sorted without duplicates", flood.Area)
		}
		open, err := db.Events(opsCtx, true)
		if err != nil || len(open) != 1 || open[0].Name != flood.Name || !open[0].Open() {
			t.Fatalf("open events %+v %v", open, err)
		}
		clk.Advance(2 * time.Hour)
		if _, err := db.CloseEvent(opsCtx, flood.ID, opsStart.Add(-2*time.Hour), "c"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("end before start: %v", err)
		}
		closed, err := db.CloseEvent(opsCtx, flood.ID, time.Time{}, "coordinatore")
		if err != nil || closed.EndedAt.IsZero() {
			t.Fatal(err)
		}
		if _, err := db.CloseEvent(opsCtx, flood.ID, time.Time{}, "coordinatore"); !errors.Is(err, store.ErrAlreadyClosed) {
			t.Fatalf("second close: %v", err)
		}
		if _, err := db.CloseEvent(opsCtx, 999, time.Time{}, "coordinatore"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown event: %v", err)
		}
		if open, _ := db.Events(opsCtx, true); len(open) != 0 {
			t.Fatalf("still open: %+v", open)
		}
		// Bologna by its comuni's prefix: the list's città metropolitana.
		bo := store.EmergencyEvent{Name: "Bologna", Area: []string{"037"}}
		if err := db.OpenEvent(opsCtx, &bo, "c"); err != nil || len(bo.Area) != 1 || bo.Area[0] != "237" {
			t.Fatalf("area %v %v", bo.Area, err)
		}
	})
}

func TestEventFor(t *testing.T) {
	at := func(h int) time.Time { return opsStart.Add(time.Duration(h) * time.Hour) }
	events := []store.EmergencyEvent{
		{ID: 1, Area: []string{"08"}, StartedAt: at(0), EndedAt: at(10)},    // Emilia-Romagna
		{ID: 2, Area: []string{"066"}, StartedAt: at(2)},                    // L'Aquila province, still open
		{ID: 3, StartedAt: at(20), EndedAt: at(30)},                         // all Italy
		{ID: 4, Area: []string{"037"}, StartedAt: at(-10), EndedAt: at(-5)}, // over before
	}
	cases := []struct {
		name           string
		t              time.Time
		provincia, reg string
		want           int64
	}{
		{"in emilia during both", at(3), "037", "08", 1},
		{"in abruzzo during both", at(3), "066", "13", 2},
		{"elsewhere during both: the latest", at(3), "001", "01", 2},
		{"no comune: the latest", at(3), "", "", 2},
		{"before any", at(-20), "037", "08", 0},
		{"end is exclusive", at(10), "037", "08", 2},
		{"national event", at(25), "001", "01", 3},
		{"national event, abruzzo: latest covering", at(25), "066", "13", 3},
	}
	for _, c := range cases {
		if got := store.EventFor(events, c.t, c.provincia, c.reg); got != c.want {
			t.Errorf("%s: event %d, want %d", c.name, got, c.want)
		}
	}
}

func TestOpsItemLifecycle(t *testing.T) {
	eachOps(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		lat, lon := 44.49, 11.34
		c := opsCase(t, db, store.Case{Urgency: store.UrgencyRescue, ComuneCode: "037006", ContactPhone: "+39 333 1234567",
			Lat: &lat, Lon: &lon, Summary: "Famiglia sul tetto, acqua al primo piano"})
		forward := func(f store.OpsForward) (store.OpsItem, bool) {
			t.Helper()
			var it store.OpsItem
			var alert bool
			err := db.InTx(opsCtx, func(tx *store.Tx) (err error) {
				it, alert, err = tx.ForwardOpsItem(opsCtx, f)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return it, alert
		}
		it, alert := forward(store.OpsForward{CaseID: c.ID, Kind: store.OpsReport, People: 3, Advice: "Salire ai piani alti",
			SubmittedBy: "rossi", EscalateAt: opsStart.Add(2 * time.Minute)})
		if !alert || it.State != store.OpsNew || it.Version != 1 || it.Place.Comune != "Bologna" || it.Place.Sigla != "BO" ||
			it.Place.RegioneCode != "08" || it.Case.TrackingID != c.TrackingID || *it.Case.Lat != lat {
			t.Fatalf("new item %+v alert %v", it, alert)
		}
		// Forwarded again as a rescue request: same item, upgraded, no new alert.
		it, alert = forward(store.OpsForward{CaseID: c.ID, Kind: store.OpsRescue, People: 2, SubmittedBy: "bianchi"})
		if alert || it.Kind != store.OpsRescue || it.People != 3 || it.Advice != "Salire ai piani alti" || it.Version != 2 {
			t.Fatalf("forwarded again %+v alert %v", it, alert)
		}
		if err := db.InTx(opsCtx, func(tx *store.Tx) error {
			_, _, err := tx.ForwardOpsItem(opsCtx, store.OpsForward{CaseID: 999, Kind: store.OpsRescue, SubmittedBy: "x"})
			return err
		}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown case: %v", err)
		}
		inTx := func(fn func(tx *store.Tx) (store.OpsItem, error)) (store.OpsItem, error) {
			var out store.OpsItem
			err := db.InTx(opsCtx, func(tx *store.Tx) (err error) { out, err = fn(tx); return err })
			return out, err
		}
		if _, err := inTx(func(tx *store.Tx) (store.OpsItem, error) {
			return tx.SetOpsState(opsCtx, it.ID, store.OpsAssigned, "VVF")
		}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("status before acknowledgement: %v", err)
		}
		// Escalation: not due yet, then due.
		if _, ok, _ := escalate(db, it.ID, opsStart.Add(4*time.Minute)); ok {
			t.Fatal("escalated before it was due")
		}
		if next, err := db.NextOpsEscalation(opsCtx); err != nil || !next.Equal(opsStart.Add(2*time.Minute)) {
			t.Fatalf("next escalation %v %v", next, err)
		}
		clk.Advance(2 * time.Minute)
		if due, _ := db.OpsItems(opsCtx, store.OpsFilter{DueBy: clk.Now()}); len(due) != 1 {
			t.Fatalf("due %d items", len(due))
		}
		esc, ok, err := escalate(db, it.ID, opsStart.Add(4*time.Minute))
		if err != nil || !ok || esc.Escalations != 1 || !esc.NextEscalationAt.Equal(opsStart.Add(4*time.Minute)) {
			t.Fatalf("escalate %+v %v %v", esc, ok, err)
		}
		if _, ok, _ := escalate(db, it.ID, opsStart.Add(6*time.Minute)); ok {
			t.Fatal("escalated twice for one due time")
		}
		clk.Advance(30 * time.Second)
		acked, err := inTx(func(tx *store.Tx) (store.OpsItem, error) { return tx.AckOpsItem(opsCtx, it.ID, "verdi") })
		if err != nil || acked.State != store.OpsAcknowledged || acked.AckedBy != "verdi" || !acked.NextEscalationAt.IsZero() {
			t.Fatalf("ack %+v %v", acked, err)
		}
		if _, err := db.NextOpsEscalation(opsCtx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("escalation after ack: %v", err)
		}
		_, err = inTx(func(tx *store.Tx) (store.OpsItem, error) { return tx.AckOpsItem(opsCtx, it.ID, "neri") })
		if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "verdi") {
			t.Fatalf("second ack: %v", err)
		}
		as, err := inTx(func(tx *store.Tx) (store.OpsItem, error) {
			return tx.SetOpsState(opsCtx, it.ID, store.OpsAssigned, "VVF")
		})
		if err != nil || as.State != store.OpsAssigned || as.Assignee != "VVF" {
			t.Fatalf("assign %+v %v", as, err)
		}
		cl, err := inTx(func(tx *store.Tx) (store.OpsItem, error) { return tx.SetOpsState(opsCtx, it.ID, store.OpsClosed, "") })
		if err != nil || cl.State != store.OpsClosed || cl.Assignee != "VVF" || cl.ClosedAt.IsZero() {
			t.Fatalf("close %+v %v", cl, err)
		}
		if _, err := inTx(func(tx *store.Tx) (store.OpsItem, error) {
			return tx.SetOpsState(opsCtx, it.ID, store.OpsClosed, "")
		}); !errors.Is(err, store.ErrAlreadyClosed) {
			t.Fatalf("close twice: %v", err)
		}
		if open, _ := db.OpsItems(opsCtx, store.OpsFilter{Open: true}); len(open) != 0 {
			t.Fatalf("closed item listed as open")
		}
		if recent, _ := db.OpsItems(opsCtx, store.OpsFilter{Open: true, ClosedSince: opsStart}); len(recent) != 1 {
			t.Fatalf("recently closed item not listed")
		}
		// A new call about the same case opens it again.
		re, alert := forward(store.OpsForward{CaseID: c.ID, Kind: store.OpsRescue, SubmittedBy: "rossi",
			EscalateAt: clk.Now().Add(2 * time.Minute)})
		if !alert || re.State != store.OpsNew || re.AckedBy != "" || re.Escalations != 0 || re.ID != it.ID {
			t.Fatalf("re-opened %+v alert %v", re, alert)
		}
	})
}

func escalate(db *store.DB, id int64, next time.Time) (store.OpsItem, bool, error) {
	var it store.OpsItem
	var ok bool
	err := db.InTx(opsCtx, func(tx *store.Tx) (err error) {
		it, ok, err = tx.EscalateOpsItem(opsCtx, id, next)
		return err
	})
	return it, ok, err
}

func TestOpsListOrder(t *testing.T) {
	eachOps(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		var ids []int64
		for i, k := range []string{store.OpsReport, store.OpsRescue, store.OpsReport, store.OpsRescue} {
			c := opsCase(t, db, store.Case{Summary: k})
			var it store.OpsItem
			if err := db.InTx(opsCtx, func(tx *store.Tx) (err error) {
				it, _, err = tx.ForwardOpsItem(opsCtx, store.OpsForward{CaseID: c.ID, Kind: k, SubmittedBy: "rossi"})
				if err == nil && i == 3 {
					_, err = tx.AckOpsItem(opsCtx, it.ID, "verdi")
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, it.ID)
			clk.Advance(time.Minute)
		}
		items, err := db.OpsItems(opsCtx, store.OpsFilter{Open: true})
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, it := range items {
			got = append(got, it.ID)
		}
		// Unacknowledged first; rescue before report; newest first.
		want := []int64{ids[1], ids[2], ids[0], ids[3]}
		if len(got) != 4 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] || got[3] != want[3] {
			t.Fatalf("order %v, want %v", got, want)
		}
	})
}

func TestOpsDeliveries(t *testing.T) {
	eachOps(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		c := opsCase(t, db, store.Case{Urgency: store.UrgencyRescue})
		var d store.OpsDelivery
		err := db.InTx(opsCtx, func(tx *store.Tx) error {
			it, _, err := tx.ForwardOpsItem(opsCtx, store.OpsForward{CaseID: c.ID, Kind: store.OpsRescue, SubmittedBy: "rossi"})
			if err != nil {
				return err
			}
			ev := store.OpsEvent{ItemID: it.ID, Kind: "forwarded", Actor: "rossi", Detail: map[string]any{"people": 2}}
			if err := tx.AddOpsEvent(opsCtx, &ev); err != nil {
				return err
			}
			d = store.OpsDelivery{DeliveryID: "d-1", ItemID: it.ID, EventID: ev.ID, Event: "item.forwarded",
				URL: "http://receiver.invalid/hook", Payload: []byte(`{"id":"d-1"}`)}
			return tx.EnqueueOpsDelivery(opsCtx, &d)
		})
		if err != nil {
			t.Fatal(err)
		}
		dup := d
		if err := db.InTx(opsCtx, func(tx *store.Tx) error { return tx.EnqueueOpsDelivery(opsCtx, &dup) }); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("same delivery id twice: %v", err)
		}
		got, err := db.ClaimOpsDeliveries(opsCtx, 10, time.Minute)
		if err != nil || len(got) != 1 || got[0].DeliveryID != "d-1" || string(got[0].Payload) != `{"id":"d-1"}` || got[0].Attempts != 1 {
			t.Fatalf("claim %+v %v", got, err)
		}
		if again, _ := db.ClaimOpsDeliveries(opsCtx, 10, time.Minute); len(again) != 0 {
			t.Fatal("a leased delivery was claimed twice")
		}
		if err := db.FinishOpsDelivery(opsCtx, d.ID, store.DeliveryQueued, 503, "503 Service Unavailable", clk.Now().Add(30*time.Second)); err != nil {
			t.Fatal(err)
		}
		if early, _ := db.ClaimOpsDeliveries(opsCtx, 10, time.Minute); len(early) != 0 {
			t.Fatal("claimed before its retry time")
		}
		if due, err := db.NextOpsDeliveryDue(opsCtx); err != nil || !due.Equal(clk.Now().Add(30*time.Second)) {
			t.Fatalf("next due %v %v", due, err)
		}
		clk.Advance(31 * time.Second)
		got, _ = db.ClaimOpsDeliveries(opsCtx, 10, time.Minute)
		if len(got) != 1 || got[0].Attempts != 2 || got[0].DeliveryID != "d-1" || got[0].LastStatus != 503 {
			t.Fatalf("retry %+v", got)
		}
		if err := db.FinishOpsDelivery(opsCtx, d.ID, store.DeliverySent, 204, "", time.Time{}); err != nil {
			t.Fatal(err)
		}
		list, _ := db.OpsDeliveries(opsCtx, d.ItemID, 0)
		if len(list) != 1 || list[0].State != store.DeliverySent || list[0].SentAt.IsZero() {
			t.Fatalf("after sending %+v", list)
		}
		counts, _ := db.OpsDeliveryCounts(opsCtx)
		if counts[store.DeliverySent] != 1 || counts[store.DeliveryQueued] != 0 {
			t.Fatalf("counts %v", counts)
		}
		evs, err := db.OpsEvents(opsCtx, d.ItemID)
		if err != nil || len(evs) != 1 || evs[0].Detail["people"] != float64(2) {
			t.Fatalf("events %+v %v", evs, err)
		}
	})
}

func TestForwardableDispositions(t *testing.T) {
	eachOps(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		save := func(urgency, outcome string) store.Disposition {
			c := opsCase(t, db, store.Case{})
			d := store.Disposition{CaseID: c.ID, Category: "idraulico", Outcome: outcome, Urgency: urgency}
			if err := db.SaveDisposition(opsCtx, &d, "rossi"); err != nil {
				t.Fatal(err)
			}
			return d
		}
		forwarded := save(store.UrgencyRescue, "inoltrata-sala-operativa")
		if err := db.InTx(opsCtx, func(tx *store.Tx) error {
			_, _, err := tx.ForwardOpsItem(opsCtx, store.OpsForward{CaseID: forwarded.CaseID, Kind: store.OpsRescue, SubmittedBy: "rossi"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		save(store.UrgencyNone, "informazione-fornita")
		lostRescue := save(store.UrgencyRescue, "indirizzato-112")
		lostReport := save(store.UrgencyElevated, "inoltrata-sala-operativa")
		from, newest, err := db.DispositionMarks(opsCtx)
		if err != nil || from != forwarded.ID || newest != lostReport.ID {
			t.Fatalf("marks %d %d %v", from, newest, err)
		}
		lost, err := db.ForwardableDispositions(opsCtx, from, newest, 100)
		if err != nil || len(lost) != 2 || lost[0].ID != lostRescue.ID || lost[1].ID != lostReport.ID {
			t.Fatalf("lost %+v %v", lost, err)
		}
	})
}
