package demo

import (
	"math"
	"strings"
	"testing"

	"github.com/ascolto/ascolto/hotspot"
	"github.com/ascolto/ascolto/store"
)

// TestSimulatedRescueRequests: the rescue section the simulated agents fill
// for the flood's callers is one the desk accepts, varies from call to
// call, places its pins near what the caller named (most within a few
// hundred metres of each other), and makes hotspots form and rise in the
// hour of the surge.
func TestSimulatedRescueRequests(t *testing.T) {
	s, err := Load("alluvione", nil)
	if err != nil {
		t.Fatal(err)
	}
	var reqs []hotspot.Request
	hazards, callbacks := map[string]bool{}, map[string]bool{}
	people, vulnerable := map[int]bool{}, map[string]bool{}
	near := 0
	for _, a := range s.Plan() {
		c := s.Callers[a.Caller]
		if c.Expect.Urgency != store.UrgencyRescue {
			continue
		}
		p := &placed{arrival: a, caller: c, rescue: c.rescue(a.Seq)}
		p.place, p.says, p.comune = c.turn(a.Seq)
		p.number = number(p.place.Prefix, a)
		in := rescueInput(p)
		d := in.Details()
		if err := d.Normalize(); err != nil {
			t.Fatalf("caller %d of %s: the desk refuses %+v: %v", a.Seq, c.Kind, in, err)
		}
		m := metres(*in.Lat, *in.Lon, p.rescue.Pin[0], p.rescue.Pin[1])
		if m > 2100 {
			t.Fatalf("caller %d: pin %.0f m from %s", a.Seq, m, p.rescue.Place)
		}
		if m <= 150 {
			near++
		}
		hazards[in.Hazard], callbacks[in.Callback], people[in.People] = true, true, true
		vulnerable[strings.Join(in.Vulnerable, ",")] = true
		reqs = append(reqs, hotspot.Request{ID: int64(len(reqs) + 1), At: s.StartTime().Add(a.At), Hazard: in.Hazard,
			Comune: p.comune, Place: in.Place, Lat: *in.Lat, Lon: *in.Lon, HasPoint: true})
	}
	if len(reqs) < 20 || len(hazards) < 2 || len(people) < 3 || len(vulnerable) < 3 || len(callbacks) < len(reqs)/2 {
		t.Fatalf("%d requests with hazards %v, people %v, vulnerable %v, %d callbacks: not varied enough",
			len(reqs), hazards, people, vulnerable, len(callbacks))
	}
	if near < len(reqs)/2 {
		t.Fatalf("%d of %d pins within 150 m of the place named", near, len(reqs))
	}
	// Ninety minutes in, the surge is on: the requests of the hour make
	// hotspots, and the biggest is rising.
	hs := hotspot.Find(reqs, s.StartTime().Add(90*60e9), hotspot.Options{})
	if len(hs) == 0 || hs[0].Trend != hotspot.Rising || !hs[0].Located {
		t.Fatalf("hotspots at the surge: %+v", hs)
	}
}

// metres is the distance between two close points (flat Earth, to a few
// metres over a few kilometres).
func metres(lat1, lon1, lat2, lon2 float64) float64 {
	dy := (lat1 - lat2) * 111320
	dx := (lon1 - lon2) * 111320 * math.Cos(lat1*math.Pi/180)
	return math.Hypot(dx, dy)
}
