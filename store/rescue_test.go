package store_test

import (
	"errors"
	"testing"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
)

func fp(f float64) *float64 { return &f }

// goodRescue is a complete rescue request: a family trapped by rising
// water in the underpass of Via Emilia, Faenza.
func goodRescue() store.RescueDetails {
	return store.RescueDetails{Place: "  sottopasso di Via Emilia 12\n", Lat: fp(44.2857), Lon: fp(11.8834), People: 4,
		Children: true, Medical: true, Callback: "+39 333 123 4567", Hazard: store.HazardWater}
}

func TestRescueDetailsValidation(t *testing.T) {
	long := make([]rune, store.MaxRescuePlace+1)
	for i := range long {
		long[i] = 'a'
	}
	cases := []struct {
		name        string
		edit        func(r *store.RescueDetails)
		field, code string
	}{
		{"no place, no pin", func(r *store.RescueDetails) { r.Place, r.Lat, r.Lon = " ", nil, nil }, "place", "missing"},
		{"place too long", func(r *store.RescueDetails) { r.Place = string(long) }, "place", "toolong"},
		{"half a pin", func(r *store.RescueDetails) { r.Lon = nil }, "pin", "half"},
		{"pin in Paris", func(r *store.RescueDetails) { r.Lat, r.Lon = fp(48.85), fp(2.35) }, "pin", "outside"},
		{"no people", func(r *store.RescueDetails) { r.People = 0 }, "people", "missing"},
		{"too many people", func(r *store.RescueDetails) { r.People = 10000 }, "people", "toomany"},
		{"no callback", func(r *store.RescueDetails) { r.Callback = "" }, "callback", "missing"},
		{"callback letters", func(r *store.RescueDetails) { r.Callback = "chiamami" }, "callback", "format"},
		{"callback short", func(r *store.RescueDetails) { r.Callback = "112" }, "callback", "format"},
		{"no hazard", func(r *store.RescueDetails) { r.Hazard = "" }, "hazard", "missing"},
		{"unknown hazard", func(r *store.RescueDetails) { r.Hazard = "meteor" }, "hazard", "unknown"},
		{"other without a word", func(r *store.RescueDetails) { r.Hazard = store.HazardOther }, "hazardnote", "missing"},
		{"radius too small", func(r *store.RescueDetails) { r.RadiusM = 10 }, "radius", "range"},
		{"radius too big", func(r *store.RescueDetails) { r.RadiusM = 50000 }, "radius", "range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := goodRescue()
			c.edit(&r)
			err := r.Normalize()
			var re *store.RescueError
			if !errors.As(err, &re) || re.Field != c.field || re.Code != c.code || !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("got %v, want %s/%s", err, c.field, c.code)
			}
		})
	}
	r := goodRescue()
	if err := r.Normalize(); err != nil {
		t.Fatal(err)
	}
	if r.Place != "sottopasso di Via Emilia 12" || r.RadiusM != store.DefaultRescueRadius {
		t.Fatalf("normalized %+v", r)
	}
	r = goodRescue()
	r.Lat, r.Lon, r.RadiusM = nil, nil, 500
	if err := r.Normalize(); err != nil || r.RadiusM != 0 {
		t.Fatalf("without a pin: %v radius %d, want no radius", err, r.RadiusM)
	}
	if got := goodRescue().Vulnerable(); len(got) != 2 || got[0] != "children" || got[1] != "medical" {
		t.Fatalf("vulnerable %v", got)
	}
}

func TestRescueDetailsStored(t *testing.T) {
	eachOps(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		c := opsCase(t, db, store.Case{ContactPhone: "0546 123456", Summary: "acqua nel sottopasso"})
		if _, err := db.RescueDetailsOf(opsCtx, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("before: %v, want ErrNotFound", err)
		}
		// A bad request is refused and nothing of the disposition is kept.
		bad := goodRescue()
		bad.Hazard = "meteor"
		d := store.Disposition{CaseID: c.ID, Category: "idraulico", Outcome: "inoltrata-sala-operativa",
			Urgency: store.UrgencyRescue, ComuneCode: "039010", Rescue: &bad}
		if err := db.SaveDisposition(opsCtx, &d, "anna"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad hazard saved: %v", err)
		}
		if ds, _ := db.Dispositions(opsCtx, c.ID); len(ds) != 0 {
			t.Fatalf("a refused rescue request left %d dispositions", len(ds))
		}
		r := goodRescue()
		d = store.Disposition{CaseID: c.ID, Category: "idraulico", Outcome: "inoltrata-sala-operativa",
			Urgency: store.UrgencyRescue, ComuneCode: "039010", Notes: "Famiglia bloccata in auto.", Rescue: &r}
		if err := db.SaveDisposition(opsCtx, &d, "anna"); err != nil {
			t.Fatal(err)
		}
		got, err := db.RescueDetailsOf(opsCtx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Place != "sottopasso di Via Emilia 12" || got.Lat == nil || *got.Lat != 44.2857 || *got.Lon != 11.8834 ||
			got.People != 4 || !got.Children || got.Elderly || got.Disabled || !got.Medical ||
			got.Callback != "+39 333 123 4567" || got.Hazard != store.HazardWater || got.RadiusM != 250 ||
			got.UpdatedBy != "anna" || !got.UpdatedAt.Equal(opsStart) {
			t.Fatalf("stored %+v", got)
		}
		cs, _ := db.CaseByID(opsCtx, c.ID)
		if cs.Address != got.Place || cs.Lat == nil || *cs.Lat != 44.2857 {
			t.Fatalf("the case is not placed: %+v", cs)
		}
		// Forwarded, the item carries the request.
		var it store.OpsItem
		err = db.InTx(opsCtx, func(tx *store.Tx) error {
			var err error
			it, _, err = tx.ForwardOpsItem(opsCtx, store.OpsForward{CaseID: c.ID, Kind: store.OpsRescue, People: got.People,
				SubmittedBy: "anna"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if it.Rescue == nil || it.Rescue.Hazard != store.HazardWater || it.Rescue.People != 4 || it.People != 4 {
			t.Fatalf("item's rescue request %+v", it.Rescue)
		}
		// Saved again without a pin: replaced, the case keeps its point.
		clk.Advance(60e9)
		r2 := store.RescueDetails{Place: "Via Emilia 14", People: 6, Elderly: true, Callback: "0546 123456",
			Hazard: store.HazardOther, HazardNote: "muro pericolante"}
		d2 := store.Disposition{CaseID: c.ID, Category: "idraulico", Outcome: "inoltrata-sala-operativa",
			Urgency: store.UrgencyRescue, ComuneCode: "039010", Rescue: &r2}
		if err := db.SaveDisposition(opsCtx, &d2, "bruno"); err != nil {
			t.Fatal(err)
		}
		it2, err := db.OpsItemByID(opsCtx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		g := it2.Rescue
		if g == nil || g.People != 6 || g.Children || !g.Elderly || g.Hazard != store.HazardOther || g.HazardNote != "muro pericolante" ||
			g.Place != "Via Emilia 14" || g.Lat == nil || *g.Lat != 44.2857 || g.RadiusM != 0 || g.UpdatedBy != "bruno" {
			t.Fatalf("replaced %+v", g)
		}
		// An item without a rescue request reads nil.
		other := opsCase(t, db, store.Case{Summary: "albero caduto"})
		err = db.InTx(opsCtx, func(tx *store.Tx) error {
			var err error
			it, _, err = tx.ForwardOpsItem(opsCtx, store.OpsForward{CaseID: other.ID, Kind: store.OpsReport, SubmittedBy: "anna"})
			return err
		})
		if err != nil || it.Rescue != nil {
			t.Fatalf("report without a rescue request: %+v %v", it.Rescue, err)
		}
	})
}
