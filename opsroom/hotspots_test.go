package opsroom

import (
	"testing"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/hotspot"
	"github.com/ascolto/ascolto/store"
)

// A rescue request about rising water and two situation reports of the
// hydraulic category from the same comune make one hotspot; a fire there
// and water elsewhere stay alone.
func TestHotspotsOfItems(t *testing.T) {
	now := time.Date(2026, 5, 16, 10, 0, 0, 0, time.UTC)
	faenza := Place{Code: "039010", Name: "Faenza", Sigla: "RA"}
	pin := &geo.Location{Point: geo.Point{Lat: 44.2857, Lon: 11.8834}, Precision: geo.PrecisionExact}
	items := []ItemView{
		{ID: 1, TrackingID: "CC-2026-000001", Kind: store.OpsRescue, CreatedAt: now.Add(-10 * time.Minute), Comune: faenza,
			Address: "sottopasso di Via Emilia", Position: pin, Rescue: &RescueView{Hazard: store.HazardWater}},
		{ID: 2, TrackingID: "CC-2026-000002", Kind: store.OpsReport, CreatedAt: now.Add(-50 * time.Minute), Comune: faenza,
			Category: "idraulico"},
		{ID: 3, TrackingID: "CC-2026-000003", Kind: store.OpsReport, CreatedAt: now.Add(-5 * time.Minute), Comune: faenza,
			Category: "idraulico", Address: "sottopasso di Via Emilia"},
		{ID: 4, TrackingID: "CC-2026-000004", Kind: store.OpsRescue, CreatedAt: now.Add(-5 * time.Minute), Comune: faenza,
			Rescue: &RescueView{Hazard: store.HazardFire}},
		{ID: 5, TrackingID: "CC-2026-000005", Kind: store.OpsRescue, CreatedAt: now.Add(-5 * time.Minute),
			Comune: Place{Code: "037006", Name: "Bologna"}, Rescue: &RescueView{Hazard: store.HazardWater}},
		{ID: 6, TrackingID: "CC-2026-000006", Kind: store.OpsReport, CreatedAt: now.Add(-90 * time.Minute), Comune: faenza,
			Category: "idraulico"},
	}
	hs := hotspotsOf(items, now)
	if len(hs) != 1 {
		t.Fatalf("%d hotspots: %+v", len(hs), hs)
	}
	h := hs[0]
	if h.Count != 3 || h.Hazard != store.HazardWater || h.Label != "acqua in aumento" || h.Where.Name != "Faenza" ||
		h.Place != "sottopasso di Via Emilia" || !h.Located || h.Lat != 44.2857 || len(h.Members) != 3 ||
		h.Members[0].TrackingID != "CC-2026-000002" || h.Trend != hotspot.Steady {
		t.Fatalf("hotspot %+v", h)
	}
}
