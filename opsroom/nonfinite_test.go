package opsroom_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"go.uber.org/zap/zaptest"
)

// TestCAPNeverCarriesANonFinitePoint: coordinates stored before NaN was
// refused give an alert without a circle, not "NaN,NaN 0.5".
func TestCAPNeverCarriesANonFinitePoint(t *testing.T) {
	v := sampleItems()[0]
	for _, pt := range [][2]float64{{math.NaN(), 11.3}, {44.5, math.Inf(-1)}} {
		v.Lat, v.Lon = &pt[0], &pt[1]
		var b bytes.Buffer
		if err := opsroom.WriteCAP(&b, v, opsroom.CAPOptions{Sender: "cc@example.it", BaseURL: "https://ascolto.example.it"}); err != nil {
			t.Fatal(err)
		}
		if s := b.String(); strings.Contains(s, "<circle>") || strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
			t.Fatalf("%v: %s", pt, s)
		}
	}
}

// TestViewDropsANonFinitePoint: a rescue request whose case kept a NaN
// coordinate in PostgreSQL (from before they were refused) reaches the room
// without coordinates; with them, the feed's JSON could not be written.
func TestViewDropsANonFinitePoint(t *testing.T) {
	u := storetest.PostgresURL(t)
	clk := clock.NewFake(t0)
	db, err := store.Open(store.Options{URL: u, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(bg); err != nil {
		t.Fatal(err)
	}
	ds, err := geo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SeedGeo(bg, ds); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, db: db, clk: clk, pub: &published{}, phone: &roomPhone{}}
	if r.svc, err = opsroom.New(opsroom.Options{Store: db, Clock: clk, Log: zaptest.NewLogger(t), Publisher: r.pub, Phone: r.phone}); err != nil {
		t.Fatal(err)
	}
	c := r.rescueCase("Famiglia bloccata al primo piano", "rossi")
	raw, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE cases SET lat = 'NaN' WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	v, ok, err := r.svc.Submit(bg, c.ID, "rossi")
	if err != nil || !ok {
		t.Fatalf("submit: %v %v", ok, err)
	}
	if v.Lat != nil || v.Lon != nil {
		t.Fatalf("coordinates %v,%v", *v.Lat, *v.Lon)
	}
	if _, err := json.Marshal(v); err != nil {
		t.Fatal(err)
	}
}
