package geo

import "testing"

func TestLikelyComune(t *testing.T) {
	x, _ := snapshotIndex(t)
	cases := []struct{ number, want string }{
		{"+390862123456", "L'Aquila (AQ)"},
		{"0862 123456", "L'Aquila (AQ)"},
		{"00390863411111", "Avezzano (AQ)"},
		{"+39 06 1234567", "Roma (RM)"},
		{"+390543123456", "Forlì (FC)"},
		{"0546123456", ""},    // Faenza's district: not a capital we list
		{"+393331234567", ""}, // mobile
		{"+33142000000", ""},  // France
		{"", ""},
	}
	for _, c := range cases {
		p, ok := x.LikelyComune(c.number)
		got := ""
		if ok {
			got = p.Label()
		}
		if got != c.want {
			t.Errorf("LikelyComune(%q) = %q, want %q", c.number, got, c.want)
		}
	}
	// Every listed capital resolves in the bundled list.
	for prefix, dc := range districtCapitals {
		if _, ok := x.LikelyComune(prefix + "123456"); !ok {
			t.Errorf("prefix %s (%s) does not resolve", prefix, dc.name)
		}
	}
}
