package geo

import (
	"sort"
	"strings"
	"testing"
	"time"
)

func snapshotIndex(t testing.TB) (*Index, []Place) {
	t.Helper()
	ds, err := Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	places := Places(ds)
	return NewIndex(places), places
}

func TestIndexLookups(t *testing.T) {
	x, _ := snapshotIndex(t)
	if x.Len() != 7904 {
		t.Fatalf("Len = %d", x.Len())
	}
	cases := []struct{ prefix, first string }{
		{"citta di c", "Città di Castello"},
		{"CITTÀ DI CASTELLO", "Città di Castello"},
		{"l'aq", "L'Aquila"},
		{"laquila", "L'Aquila"},
		{"bozen", "Bolzano"},
		{"r", "Roma"},
		{"ro", "Roma"},
		{"forlì", "Forlì"},
	}
	for _, c := range cases {
		got := x.Search(c.prefix, 5)
		if len(got) == 0 || got[0].Name != c.first {
			t.Errorf("Search(%q) = %v, want %s first", c.prefix, labels(got), c.first)
		}
	}
	if got := x.Search("zzzz", 5); len(got) != 0 {
		t.Fatalf("zzzz found %v", labels(got))
	}
	if got := x.Search("", 5); got != nil {
		t.Fatalf("empty prefix found %v", labels(got))
	}
	aq, ok := x.ByCode("066049")
	if !ok || aq.Label() != "L'Aquila (AQ)" || aq.Regione != "Abruzzo" || aq.Provincia != "L'Aquila" {
		t.Fatalf("ByCode = %+v", aq)
	}
	if got := x.BySigla("aq"); len(got) != 108 || got[0].Name != "Acciano" {
		t.Fatalf("BySigla(aq) = %d comuni, first %v", len(got), labels(got[:1]))
	}
}

func TestIndexExact(t *testing.T) {
	x, _ := snapshotIndex(t)
	cases := []struct {
		name string
		want []string // codes
	}{
		{"Faenza", []string{"039010"}},
		{"  faenza ", []string{"039010"}},
		{"FORLI", []string{"040012"}},
		{"Bozen", []string{"021008"}},
		{"Faenz", nil}, // a prefix is not a name
		{"Castro", []string{"016065", "075096"}},
		{"castro (le)", []string{"075096"}},
		{"Castro (AQ)", nil},
		{"Paterno", []string{"076100", "087033"}}, // accents tolerated, so both
		{"", nil},
	}
	for _, c := range cases {
		var got []string
		for _, p := range x.Exact(c.name) {
			got = append(got, p.Code)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("Exact(%q) = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestIndexMatchesBruteForce checks every one- to three-letter prefix
// against a plain scan, so the precomputed shortcuts cannot drift.
func TestIndexMatchesBruteForce(t *testing.T) {
	x, places := snapshotIndex(t)
	letters := "abcdefghilmnopqrstuvz"
	var prefixes []string
	for _, a := range letters {
		prefixes = append(prefixes, string(a))
		for _, b := range letters {
			prefixes = append(prefixes, string(a)+string(b), string(a)+string(b)+"a")
		}
	}
	for _, p := range prefixes {
		var want []Place
		for _, pl := range places {
			if pl.Active && (strings.HasPrefix(Normalize(pl.Name), p) || (pl.NameOther != "" && strings.HasPrefix(Normalize(pl.NameOther), p))) {
				want = append(want, pl)
			}
		}
		sort.Slice(want, func(i, j int) bool {
			if want[i].Population != want[j].Population {
				return want[i].Population > want[j].Population
			}
			return want[i].Name < want[j].Name
		})
		if len(want) > 10 {
			want = want[:10]
		}
		got := x.Search(p, 10)
		if strings.Join(labels(got), "|") != strings.Join(labels(want), "|") {
			t.Fatalf("Search(%q) = %v, want %v", p, labels(got), labels(want))
		}
	}
}

func TestIndexSkipsRetired(t *testing.T) {
	x := NewIndex([]Place{
		{Code: "040012", Name: "Forlì", Sigla: "FC", Active: true, Population: 100},
		{Code: "099999", Name: "Forlimpopoli Vecchia", Sigla: "FC", Active: false},
	})
	if got := x.Search("forli", 5); len(got) != 1 {
		t.Fatalf("retired comune offered: %v", labels(got))
	}
	if p, ok := x.ByCode("099999"); !ok || p.Active {
		t.Fatalf("retired comune by code: %+v %v", p, ok)
	}
}

// BenchmarkIndexSearch: the figure to meet is p99 under 1 ms per lookup.
func BenchmarkIndexSearch(b *testing.B) {
	x, _ := snapshotIndex(b)
	prefixes := []string{"s", "m", "ca", "san", "roma", "citta di", "l'aq", "bo", "forl", "pes", "v", "zz"}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		x.Search(prefixes[i%len(prefixes)], 10)
		lat = append(lat, time.Since(t0))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1000, "p99-µs")
}

func labels(ps []Place) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Label())
	}
	return out
}
