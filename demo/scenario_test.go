package demo

import (
	"strings"
	"testing"
	"time"
)

func TestBuiltinScenarios(t *testing.T) {
	all, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("%d scenarios", len(all))
	}
	for _, s := range all {
		plan := s.Plan()
		if len(plan) == 0 {
			t.Fatalf("%s: empty plan", s.Name)
		}
		// The plan matches the rate's integral within one call.
		var want float64
		for tt := time.Duration(0); tt < s.Duration; tt += time.Second {
			want += s.rate(tt) / 3600
		}
		if d := float64(len(plan)) - want; d > 1 || d < -1 {
			t.Fatalf("%s: %d calls planned, integral %.1f", s.Name, len(plan), want)
		}
		// Kinds follow their shares within one call each.
		counts := s.Counts()
		for _, c := range s.Callers {
			exp := c.Share * float64(len(plan))
			if d := float64(counts[c.Kind]) - exp; d > 1 || d < -1 {
				t.Fatalf("%s: %d %s callers, expected %.1f", s.Name, counts[c.Kind], c.Kind, exp)
			}
		}
	}
	flood, _ := Load("alluvione", nil)
	if n := len(flood.Plan()); n < 500 || n > 800 {
		t.Fatalf("flood surge plans %d calls", n)
	}
}

func TestScenarioErrors(t *testing.T) {
	cases := map[string]string{
		"name: x\nduration: 1h\nstart: 2026-01-01T09:00\narrivals: [{at: 0h, per_hour: 1}]\ncallers: [{kind: a, share: 0.5}]\n":                                                                                                             "add up",
		"name: x\nduration: 1h\nstart: yesterday\narrivals: [{at: 0h, per_hour: 1}]\ncallers: [{kind: a, share: 1}]\n":                                                                                                                      "start",
		"name: x\nduration: 1h\nstart: 2026-01-01T09:00\narrivals: []\ncallers: [{kind: a, share: 1}]\n":                                                                                                                                    "no arrivals",
		"name: x\nduration: 1h\nstart: 2026-01-01T09:00\nbogus: 1\narrivals: [{at: 0h, per_hour: 1}]\ncallers: [{kind: a, share: 1}]\n":                                                                                                     "bogus",
		"name: x\nduration: 1h\nstart: 2026-01-01T09:00\narrivals: [{at: 0h, per_hour: 1}]\ncallers: [{kind: a, share: 1, keys: 1x}]\n":                                                                                                     "keys",
		"name: x\nduration: 1h\nstart: 2026-01-01T09:00\narrivals: [{at: 0h, per_hour: 1}]\ncallers: [{kind: a, share: 1, says: [aiuto], expect: {urgency: rescue}}]\n":                                                                     "rescue facts",
		"name: x\nduration: 1h\nstart: 2026-01-01T09:00\narrivals: [{at: 0h, per_hour: 1}]\ncallers: [{kind: a, share: 1, says: [{text: aiuto, rescue: {hazard: lava, people: 1, place: x, pin: [44, 11]}}], expect: {urgency: rescue}}]\n": "hazard \"lava\"",
		"name: x\nduration: 1h\nstart: 2026-01-01T09:00\narrivals: [{at: 0h, per_hour: 1}]\ncallers: [{kind: a, share: 1, says: [{text: aiuto, rescue: {hazard: fire, people: 1, place: x, pin: [11, 44]}}], expect: {urgency: rescue}}]\n": "not in Italy",
	}
	for src, want := range cases {
		if _, err := Parse([]byte(src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", src, err, want)
		}
	}
	if _, err := Load("nessuno", nil); err == nil || !strings.Contains(err.Error(), "alluvione") {
		t.Fatalf("unknown scenario: %v", err)
	}
}
