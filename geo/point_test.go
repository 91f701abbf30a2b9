package geo

import (
	"math"
	"testing"
)

func TestValidPoint(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		lat, lon float64
		want     bool
	}{
		{42.3731, 13.4510, true},
		{-90, -180, true},
		{90, 180, true},
		{90.0001, 0, false},
		{0, -180.0001, false},
		{nan, 13.4, false},
		{42.3, nan, false},
		{inf, 0, false},
		{0, -inf, false},
	} {
		if got := ValidPoint(tc.lat, tc.lon); got != tc.want {
			t.Errorf("%v,%v: %v", tc.lat, tc.lon, got)
		}
	}
}
