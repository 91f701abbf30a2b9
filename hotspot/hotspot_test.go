package hotspot

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var now = time.Date(2026, 5, 16, 10, 0, 0, 0, time.UTC)

// offset moves a point by metres north and east.
func offset(lat, lon, north, east float64) (float64, float64) {
	return lat + north/111320, lon + east/(111320*0.7175) // cos(44.15°)
}

// flood generates n requests about one underpass: points scattered within
// spreadM of it, arriving over the last hour, the later half of the hour
// bringing share of them.
func flood(rng *rand.Rand, firstID int64, n int, lat, lon, spreadM float64, comune, hazard string, lateShare float64) []Request {
	out := make([]Request, n)
	for i := range out {
		la, lo := offset(lat, lon, (rng.Float64()*2-1)*spreadM/1.5, (rng.Float64()*2-1)*spreadM/1.5)
		minutes := rng.Float64() * 29.9 // the later half of the hour
		if float64(i) >= lateShare*float64(n) {
			minutes = 30.1 + rng.Float64()*29.8
		}
		out[i] = Request{ID: firstID + int64(i), At: now.Add(-time.Duration(minutes * float64(time.Minute))), Hazard: hazard,
			Comune: comune, Place: "sottopasso di Via Emilia", Lat: la, Lon: lo, HasPoint: true}
	}
	return out
}

func TestFindGeneratedFlood(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// 400 calls about the underpass of Via Emilia in Faenza, most in the
	// last half hour; 150 about rising water in Bologna, steady; 200
	// scattered over Italy with no comune (no two within 300 m: noise);
	// 50 fires at the underpass (another hazard, another group); 100
	// calls about Faenza from more than an hour ago.
	reqs := flood(rng, 1, 400, 44.2857, 11.8834, 250, "039010", "water", 0.8)
	reqs = append(reqs, flood(rng, 1000, 150, 44.4949, 11.3426, 250, "037006", "water", 0.5)...)
	for i := 0; i < 200; i++ {
		reqs = append(reqs, Request{ID: int64(2000 + i), At: now.Add(-time.Duration(i) * 15 * time.Second), Hazard: "water",
			Lat: 37 + float64(i%20)*0.5, Lon: 8 + float64(i/20)*1.0, HasPoint: true})
	}
	reqs = append(reqs, flood(rng, 3000, 50, 44.2857, 11.8834, 250, "039010", "fire", 0.5)...)
	for i := 0; i < 100; i++ {
		reqs = append(reqs, Request{ID: int64(4000 + i), At: now.Add(-61*time.Minute - time.Duration(i)*time.Minute),
			Hazard: "water", Comune: "039010", Lat: 44.2857, Lon: 11.8834, HasPoint: true})
	}
	rng.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })

	hs := Find(reqs, now, Options{})
	if len(hs) != 3 {
		for _, h := range hs {
			t.Logf("%s %s %d", h.Hazard, h.Comune, h.Count)
		}
		t.Fatalf("%d hotspots, want 3", len(hs))
	}
	faenza, bologna, fire := hs[0], hs[1], hs[2]
	if faenza.Count != 400 || faenza.Hazard != "water" || faenza.Comune != "039010" || faenza.Trend != Rising ||
		faenza.Place != "sottopasso di Via Emilia" || !faenza.Located || len(faenza.Members) != 400 {
		t.Errorf("Faenza: %+v", summary(faenza))
	}
	if d := distanceM(faenza.Lat, faenza.Lon, 44.2857, 11.8834); d > 50 {
		t.Errorf("Faenza's centre %.0f m from the underpass", d)
	}
	if bologna.Count != 150 || bologna.Comune != "037006" || bologna.Trend != Steady {
		t.Errorf("Bologna: %+v", summary(bologna))
	}
	if fire.Count != 50 || fire.Hazard != "fire" {
		t.Errorf("fire: %+v", summary(fire))
	}
	// Members are the requests themselves, oldest first, none older than
	// the hour and none hidden: every request of the window is either in
	// a group or alone.
	seen := map[int64]bool{}
	for _, h := range hs {
		for i, id := range h.Members {
			if seen[id] {
				t.Fatalf("request %d in two hotspots", id)
			}
			seen[id] = true
			if id >= 4000 && id < 4100 {
				t.Fatalf("request %d is older than the window", id)
			}
			_ = i
		}
	}
	if len(seen) != 600 {
		t.Fatalf("%d requests grouped, want 600", len(seen))
	}
}

func summary(h Hotspot) string {
	return fmt.Sprintf("%s %s %q count %d recent %d earlier %d trend %s located %v", h.Hazard, h.Comune, h.Place, h.Count,
		h.Recent, h.Earlier, h.Trend, h.Located)
}

func TestFindRules(t *testing.T) {
	at := func(min int) time.Time { return now.Add(-time.Duration(min) * time.Minute) }
	lat, lon := 44.2857, 11.8834
	n250, e := offset(lat, lon, 250, 0)
	n650, _ := offset(lat, lon, 650, 0)
	_ = e
	cases := []struct {
		name string
		reqs []Request
		want []int // counts, largest first
	}{
		{"one request is no hotspot", []Request{{ID: 1, At: at(5), Hazard: "water", Comune: "039010"}}, nil},
		{"same comune, no points", []Request{{ID: 1, At: at(5), Hazard: "water", Comune: "039010"},
			{ID: 2, At: at(50), Hazard: "water", Comune: "039010"}}, []int{2}},
		{"same comune, other hazard", []Request{{ID: 1, At: at(5), Hazard: "water", Comune: "039010"},
			{ID: 2, At: at(5), Hazard: "fire", Comune: "039010"}}, nil},
		{"250 m apart, no comune", []Request{{ID: 1, At: at(5), Hazard: "water", Lat: lat, Lon: lon, HasPoint: true},
			{ID: 2, At: at(6), Hazard: "water", Lat: n250, Lon: lon, HasPoint: true}}, []int{2}},
		{"650 m apart, other comuni", []Request{{ID: 1, At: at(5), Hazard: "water", Comune: "039010", Lat: lat, Lon: lon, HasPoint: true},
			{ID: 2, At: at(6), Hazard: "water", Comune: "039011", Lat: n650, Lon: lon, HasPoint: true}}, nil},
		{"chained across comuni", []Request{{ID: 1, At: at(5), Hazard: "water", Comune: "039010", Lat: lat, Lon: lon, HasPoint: true},
			{ID: 2, At: at(6), Hazard: "water", Comune: "039011", Lat: n250, Lon: lon, HasPoint: true},
			{ID: 3, At: at(7), Hazard: "water", Comune: "039011"}}, []int{3}},
		{"older than the hour", []Request{{ID: 1, At: at(5), Hazard: "water", Comune: "039010"},
			{ID: 2, At: at(61), Hazard: "water", Comune: "039010"}}, nil},
		{"in the future", []Request{{ID: 1, At: at(5), Hazard: "water", Comune: "039010"},
			{ID: 2, At: at(-1), Hazard: "water", Comune: "039010"}}, nil},
		{"no hazard", []Request{{ID: 1, At: at(5), Comune: "039010"}, {ID: 2, At: at(5), Comune: "039010"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs := Find(c.reqs, now, Options{})
			var got []int
			for _, h := range hs {
				got = append(got, h.Count)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("counts %v, want %v", got, c.want)
			}
		})
	}
}

func TestTrend(t *testing.T) {
	for _, c := range []struct {
		recent, earlier int
		want            string
	}{{2, 0, Rising}, {1, 0, Steady}, {5, 5, Steady}, {12, 9, Rising}, {10, 9, Steady}, {0, 3, Falling}, {40, 30, Rising},
		{36, 30, Steady}, {20, 40, Falling}} {
		if got := trend(c.recent, c.earlier); got != c.want {
			t.Errorf("trend(%d, %d) = %s, want %s", c.recent, c.earlier, got, c.want)
		}
	}
}

// BenchmarkFind groups a flood of 5,000 requests (two cities' floods,
// scattered noise), as the operations room does on every change.
func BenchmarkFind(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	reqs := flood(rng, 1, 2500, 44.2857, 11.8834, 250, "039010", "water", 0.7)
	reqs = append(reqs, flood(rng, 10000, 1500, 44.4949, 11.3426, 2000, "037006", "water", 0.5)...)
	for i := 0; i < 1000; i++ {
		reqs = append(reqs, Request{ID: int64(20000 + i), At: now.Add(-time.Duration(i) * 3 * time.Second), Hazard: "landslide",
			Lat: 37 + rng.Float64()*9, Lon: 7 + rng.Float64()*11, HasPoint: true})
	}
	b.ReportAllocs()
	for b.Loop() {
		if hs := Find(reqs, now, Options{}); len(hs) < 2 {
			b.Fatal("no hotspots")
		}
	}
}

// TestFindMatchesBruteForce: the grid finds exactly the groups that
// comparing every pair finds, over random points across Italy's
// latitudes at several scales.
func TestFindMatchesBruteForce(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		spread := []float64{0.01, 0.05, 0.3}[seed%3]
		n := 300
		reqs := make([]Request, n)
		for i := range reqs {
			reqs[i] = Request{ID: int64(i + 1), At: now.Add(-time.Duration(rng.IntN(3600)) * time.Second),
				Hazard: []string{"water", "fire"}[rng.IntN(2)], Lat: 36 + rng.Float64()*11*spread*10, Lon: 9 + rng.Float64()*spread*3,
				HasPoint: true}
			if rng.IntN(10) == 0 {
				reqs[i].Comune = []string{"039010", "037006"}[rng.IntN(2)]
			}
		}
		// Brute force: every pair.
		parent := make([]int, n)
		for i := range parent {
			parent[i] = i
		}
		find := func(i int) int {
			for parent[i] != i {
				i = parent[i]
			}
			return i
		}
		for i := 0; i < n; i++ {
			for j := 0; j < i; j++ {
				a, b := reqs[i], reqs[j]
				if a.Hazard == b.Hazard && (a.Comune != "" && a.Comune == b.Comune || distanceM(a.Lat, a.Lon, b.Lat, b.Lon) <= 300) {
					parent[find(i)] = find(j)
				}
			}
		}
		want := map[int][]int64{}
		for i := range reqs {
			want[find(i)] = append(want[find(i)], reqs[i].ID)
		}
		wantSizes := map[string]bool{}
		for _, ids := range want {
			if len(ids) >= 2 {
				slices.Sort(ids)
				wantSizes[fmt.Sprint(ids)] = true
			}
		}
		got := Find(reqs, now, Options{})
		if len(got) != len(wantSizes) {
			t.Fatalf("seed %d: %d groups, brute force %d", seed, len(got), len(wantSizes))
		}
		for _, h := range got {
			ids := slices.Clone(h.Members)
			slices.Sort(ids)
			if !wantSizes[fmt.Sprint(ids)] {
				t.Fatalf("seed %d: group %v not found by brute force", seed, ids)
			}
		}
	}
}
