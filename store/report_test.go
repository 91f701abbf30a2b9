package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
)

// genCase is a generated request and what an independent count needs.
type genCase struct {
	id                                  int64
	at                                  time.Time
	channel, category, outcome, urgency string
	comune, provincia, regione          string
	merged                              bool
}

var (
	genComuni     = []string{"037006", "039014", "040012", "066049", "058091", ""}
	genCategories = []string{"idraulico", "disalimentazione", "viabilita", "soccorso", "informazioni"}
	genOutcomes   = []string{"informazione-fornita", "segnalazione-registrata", "inoltrata-sala-operativa"}
	genChannels   = []string{store.ChannelPhone, store.ChannelWeb, store.ChannelEmail, store.ChannelFax}
)

// generate writes n cases spread over hours on the fake clock.
func generate(t *testing.T, db *store.DB, clk *clock.Fake, rng *rand.Rand, n int, step time.Duration) []genCase {
	t.Helper()
	out := make([]genCase, 0, n)
	places := map[string][3]string{"": {}}
	for _, code := range genComuni[:len(genComuni)-1] {
		p, err := db.ComuneByCode(opsCtx, code)
		if err != nil {
			t.Fatal(err)
		}
		places[code] = [3]string{code, p.ProvinciaCode, p.RegioneCode}
	}
	for range n {
		place := places[genComuni[rng.IntN(len(genComuni))]]
		g := genCase{at: clk.Now().UTC().Truncate(time.Microsecond), channel: genChannels[rng.IntN(len(genChannels))],
			category: genCategories[rng.IntN(len(genCategories))], outcome: genOutcomes[rng.IntN(len(genOutcomes))],
			urgency: []string{store.UrgencyNone, store.UrgencyElevated, store.UrgencyRescue}[rng.IntN(3)],
			comune:  place[0], provincia: place[1], regione: place[2]}
		c := store.Case{Channel: g.channel, Category: g.category, Outcome: g.outcome, Urgency: g.urgency, ComuneCode: g.comune}
		if err := db.CreateCase(opsCtx, &c); err != nil {
			t.Fatal(err)
		}
		g.id = c.ID
		out = append(out, g)
		clk.Advance(time.Duration(rng.Int64N(int64(step))))
	}
	return out
}

func rollAll(t *testing.T, db *store.DB) store.RollResult {
	t.Helper()
	var total store.RollResult
	for {
		res, err := db.RollUp(opsCtx, 37) // a small page: many passes, cursors across pages
		if err != nil {
			t.Fatal(err)
		}
		total.Examined += res.Examined
		total.Changed += res.Changed
		if !res.More {
			return total
		}
	}
}

// countsOf reads a query's rows as "bucket|key1|key2" → n.
func countsOf(t *testing.T, db *store.DB, q store.CountQuery) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := db.Counts(opsCtx, q, func(r store.CountRow) error {
		k := fmt.Sprint(r.Bucket)
		for _, x := range r.Keys {
			k += "|" + x
		}
		out[k] += r.N
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReportCountsMatchAnIndependentCount(t *testing.T) {
	eachOps(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		rng := rand.New(rand.NewPCG(7, 11))
		before := generate(t, db, clk, rng, 40, 20*time.Minute) // before the flood
		flood := store.EmergencyEvent{Name: "Alluvione", Area: []string{"08"}}
		if err := db.OpenEvent(opsCtx, &flood, "test"); err != nil {
			t.Fatal(err)
		}
		during := generate(t, db, clk, rng, 260, 10*time.Minute)
		if res := rollAll(t, db); res.Examined != 300 || res.Changed != 300 {
			t.Fatalf("first pass %+v", res)
		}
		// The statistics refresh after a big catch-up runs on both engines.
		if err := db.AnalyzeReports(opsCtx); err != nil {
			t.Fatal(err)
		}
		all := append(append([]genCase{}, before...), during...)
		inEvent := func(g genCase) bool { return !g.at.Before(flood.StartedAt) }

		// Changes after the first count: a disposition moves a case to
		// another category and comune; a case merged into another stops
		// counting.
		moved := &all[50]
		d := store.Disposition{CaseID: moved.id, Category: "soccorso", Outcome: "inoltrata-sala-operativa", Urgency: store.UrgencyRescue,
			ComuneCode: "066049"}
		if err := db.SaveDisposition(opsCtx, &d, "rossi"); err != nil {
			t.Fatal(err)
		}
		moved.category, moved.outcome, moved.urgency, moved.comune, moved.provincia, moved.regione =
			"soccorso", "inoltrata-sala-operativa", store.UrgencyRescue, "066049", "066", "13" // L'Aquila
		if err := db.MergeCases(opsCtx, all[60].id, all[61].id, "rossi"); err != nil {
			t.Fatal(err)
		}
		all[61].merged = true
		changed := 2 // the moved case, the merged one
		if all[60].comune == "" && all[61].comune != "" {
			// The survivor takes the duplicate's comune.
			all[60].comune, all[60].provincia, all[60].regione = all[61].comune, all[61].provincia, all[61].regione
			changed++
		}
		if res := rollAll(t, db); res.Examined != 3 || res.Changed != changed {
			t.Fatalf("second pass %+v, want 3 examined, %d changed", res, changed)
		}
		// Looking again at everything changes nothing.
		if again, err := db.RollUpWindow(opsCtx, opsStart.Add(-time.Hour)); err != nil || again.Changed != 0 || again.Examined != 300 {
			t.Fatalf("window pass %+v %v", again, err)
		}

		from, to := flood.StartedAt.Truncate(time.Hour), clk.Now().Truncate(time.Hour).Add(time.Hour)
		// The question: category × provincia × hour for the event.
		want := map[string]int64{}
		for _, g := range all {
			if g.merged || !inEvent(g) {
				continue
			}
			want[fmt.Sprintf("%d|%s|%s", g.at.Unix()/3600*3600, g.category, g.provincia)]++
		}
		got := countsOf(t, db, store.CountQuery{Source: store.FromRollupHour, From: from, To: to, EventID: flood.ID,
			Dim: store.DimCategory, GroupBy: []string{store.DimCategory, store.GeoProvincia}, Bucket: 3600})
		compare(t, "category×provincia×hour (hourly rollup)", got, want)
		got = countsOf(t, db, store.CountQuery{Source: store.FromRollup15m, From: from, To: to, EventID: flood.ID,
			Dim: store.DimCategory, GroupBy: []string{store.DimCategory, store.GeoProvincia}, Bucket: 3600})
		compare(t, "category×provincia×hour (15-min rollup)", got, want)
		got = countsOf(t, db, store.CountQuery{Source: store.FromFacts, From: from, To: to, EventID: flood.ID,
			GroupBy: []string{store.DimCategory, store.GeoProvincia}, Bucket: 3600})
		compare(t, "category×provincia×hour (facts)", got, want)

		// Outcome by regione over everything, filtered to two regioni.
		want = map[string]int64{}
		for _, g := range all {
			if !g.merged && (g.regione == "08" || g.regione == "13") {
				want["0|"+g.outcome+"|"+g.regione]++
			}
		}
		got = countsOf(t, db, store.CountQuery{Source: store.FromRollupHour, From: opsStart.Add(-time.Hour), To: to,
			Dim: store.DimOutcome, GroupBy: []string{store.DimOutcome, store.GeoRegione},
			Where: map[string][]string{store.GeoRegione: {"08", "13"}}})
		compare(t, "outcome×regione", got, want)

		// Comuni by Italian day, and two dimensions at once from the facts.
		rome, _ := time.LoadLocation("Europe/Rome")
		wantDay, wantPair := map[string]int64{}, map[string]int64{}
		for _, g := range all {
			if g.merged {
				continue
			}
			l := g.at.In(rome)
			wantDay[fmt.Sprintf("%d|%s", l.Year()*10000+int(l.Month())*100+l.Day(), g.comune)]++
			if g.urgency == store.UrgencyRescue {
				wantPair["0|"+g.channel+"|"+g.category]++
			}
		}
		got = countsOf(t, db, store.CountQuery{Source: store.FromComuni, From: opsStart.Add(-time.Hour), To: to,
			Dim: store.DimChannel, GroupBy: []string{store.GeoComune}, ByDay: true})
		compare(t, "comune×day", got, wantDay)
		got = countsOf(t, db, store.CountQuery{Source: store.FromFacts, From: opsStart.Add(-time.Hour), To: to,
			GroupBy: []string{store.DimChannel, store.DimCategory}, Where: map[string][]string{store.DimUrgency: {store.UrgencyRescue}}})
		compare(t, "channel×category of rescue requests", got, wantPair)

		// The export stream sees every counted request of the event once.
		n := 0
		seen := map[string]bool{}
		err := db.StreamRequests(opsCtx, store.CountQuery{From: from, To: to, EventID: flood.ID}, false, func(r *store.RequestRow) error {
			n++
			if seen[r.TrackingID] {
				t.Fatalf("%s streamed twice", r.TrackingID)
			}
			seen[r.TrackingID] = true
			return nil
		})
		var wantN int
		for _, g := range all {
			if !g.merged && inEvent(g) {
				wantN++
			}
		}
		if err != nil || n != wantN {
			t.Fatalf("streamed %d, want %d (%v)", n, wantN, err)
		}

		// Bad questions are refused, not guessed.
		for _, q := range []store.CountQuery{
			{Source: store.FromRollupHour, From: from, To: to, Dim: store.DimCategory, GroupBy: []string{store.DimOutcome}},
			{Source: store.FromRollupHour, From: from, To: to, Dim: store.DimCategory, GroupBy: []string{store.GeoComune}},
			{Source: store.FromRollupHour, From: from, To: to, Dim: "colour"},
			{Source: store.FromComuni, From: from, To: to, Dim: store.DimCategory, Bucket: 3600},
		} {
			if err := db.Counts(opsCtx, q, func(store.CountRow) error { return nil }); err == nil {
				t.Fatalf("%+v accepted", q)
			}
		}

		// Starting over counts the same.
		if err := db.ResetReports(opsCtx, "test"); err != nil {
			t.Fatal(err)
		}
		if _, lag, _ := db.ReportLag(opsCtx); lag != 300 {
			t.Fatalf("lag after reset %d", lag)
		}
		rollAll(t, db)
		got = countsOf(t, db, store.CountQuery{Source: store.FromComuni, From: opsStart.Add(-time.Hour), To: to,
			Dim: store.DimChannel, GroupBy: []string{store.GeoComune}, ByDay: true})
		compare(t, "comune×day after a rebuild", got, wantDay)
	})
}

func compare(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: the test data produced nothing to compare", what)
	}
	bad := 0
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %s counted %d, want %d", what, k, got[k], n)
			bad++
		}
	}
	for k, n := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %s counted %d, want none", what, k, n)
			bad++
		}
	}
	if bad > 0 {
		t.FailNow()
	}
}

func TestModeIsRecordedWithEachRequest(t *testing.T) {
	eachOps(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		opsCase(t, db, store.Case{Category: "informazioni"})
		clk.Advance(time.Minute)
		if err := db.SetMode(opsCtx, &store.ModeChange{Mode: store.ModeEmergency, Reason: "alluvione", SetBy: "coordinatore"}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		opsCase(t, db, store.Case{Category: "idraulico"})
		opsCase(t, db, store.Case{Category: "idraulico"})
		rollAll(t, db)
		got := countsOf(t, db, store.CountQuery{Source: store.FromRollup15m, From: opsStart, To: opsStart.Add(time.Hour),
			Dim: store.DimCategory, GroupBy: []string{store.DimCategory}, Mode: store.ModeEmergency})
		compare(t, "emergency mode", got, map[string]int64{"0|idraulico": 2})
	})
}
