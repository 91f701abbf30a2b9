package demo

import (
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/console"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// TestTrainingScoresWhatTheCallerSaid: a caller from Bologna (the number
// the desk reads suggests Bologna) who speaks of Faenza expects Faenza on
// the form; Bologna, the suggestion, is wrong.
func TestTrainingScoresWhatTheCallerSaid(t *testing.T) {
	all, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var info Caller
	for _, s := range all {
		if s.Name == "alluvione" {
			for _, c := range s.Callers {
				if c.Kind == "info" {
					info = c
				}
			}
		}
	}
	place, says, comune := info.turn(0)
	if place.Comune != "037006" || comune != "039010" || says == "" {
		t.Fatalf("alluvione's first info caller: from %s about %s, says %q", place.Comune, comune, says)
	}
	clk := clock.NewFake(time.Date(2026, 5, 16, 10, 0, 0, 0, time.UTC))
	r := New(Options{Store: storetest.SQLite(t), Clock: clk, Trainee: "allievo"})
	r.calls["c1"] = &placed{caller: info, place: place, says: says, comune: comune, offered: clk.Now()}
	trainee := console.Actor{Username: "allievo", Role: store.RoleAgent}
	form := console.Disposition{Call: "c1", Category: info.Expect.Category, Outcome: info.Expect.Outcome, Urgency: store.UrgencyNone}
	for _, c := range []struct {
		comune string
		points int
	}{{"037006", 80}, {"039010", 100}} {
		form.ComuneCode = c.comune
		r.saved("101", trainee, form, console.DispositionResult{TrackingID: "CC-2026-000001"})
		sc := r.scores[len(r.scores)-1]
		if sc.Points != c.points || sc.Comune != (c.points == 100) || sc.ExpectedComune != "039010" {
			t.Errorf("form with comune %s: %+v", c.comune, sc)
		}
	}
}
