package store_test

import (
	"errors"
	"math"
	"testing"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// TestCaseRefusesNonFiniteCoordinates: NaN passed the range check, and
// PostgreSQL stored it where SQLite stored NULL. Both refuse it now.
func TestCaseRefusesNonFiniteCoordinates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, pt := range [][2]float64{{math.NaN(), 13.4}, {42.3, math.NaN()}, {math.Inf(1), 13.4}, {42.3, math.Inf(-1)}} {
			c := store.Case{Channel: store.ChannelWeb, Lat: &pt[0], Lon: &pt[1]}
			if err := db.CreateCase(ctx, &c); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%v: %v", pt, err)
			}
		}
		lat, lon := 42.3731, 13.4510
		if err := db.CreateCase(ctx, &store.Case{Channel: store.ChannelWeb, Lat: &lat, Lon: &lon}); err != nil {
			t.Fatal(err)
		}
	})
}
