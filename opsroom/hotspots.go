package opsroom

import (
	"context"
	"strings"
	"time"

	"github.com/ascolto/ascolto/hotspot"
	"github.com/ascolto/ascolto/store"
)

// HotspotView is a hotspot as the room reads it: the group, its comune
// and its members by tracking id (the members stay on the screen as
// items of their own).
type HotspotView struct {
	hotspot.Hotspot
	Label   string   `json:"hazard_label"`
	Where   Place    `json:"where"`
	Members []Member `json:"members"`
}

// Member is one request of a hotspot.
type Member struct {
	ID         int64  `json:"id"`
	TrackingID string `json:"tracking_id"`
}

// categoryHazard reads a situation report's category as the hazard a
// rescue request would name, so reports and requests about one flooded
// underpass group together.
var categoryHazard = map[string]string{
	"idraulico": store.HazardWater, "meteo-avverso": store.HazardWater, "maremoto": store.HazardWater,
	"idrogeologico": store.HazardLandslide, "incendi-boschivi": store.HazardFire, "sismico": store.HazardCollapse,
}

// hazardOf is the item's hazard: its rescue request's, else its category's.
func hazardOf(v ItemView) string {
	if v.Rescue != nil && v.Rescue.Hazard != "" {
		return v.Rescue.Hazard
	}
	if h, ok := categoryHazard[v.Category]; ok {
		return h
	}
	if v.Category != "" {
		return "category:" + v.Category
	}
	return ""
}

// Hotspots groups the items received in the last hour (of every state:
// a request acknowledged still says where the trouble is) that cluster:
// same hazard, same comune or within 300 m.
func (s *Service) Hotspots(ctx context.Context) ([]HotspotView, error) {
	now := s.clock.Now()
	items, err := s.Items(ctx, 2*time.Hour)
	if err != nil {
		return nil, err
	}
	return hotspotsOf(items, now), nil
}

func hotspotsOf(items []ItemView, now time.Time) []HotspotView {
	byID := map[int64]ItemView{}
	reqs := make([]hotspot.Request, 0, len(items))
	for _, v := range items {
		byID[v.ID] = v
		r := hotspot.Request{ID: v.ID, At: v.CreatedAt, Hazard: hazardOf(v), Comune: v.Comune.Code, Place: v.Address}
		if v.Position != nil && !v.Position.Approximate() {
			r.Lat, r.Lon, r.HasPoint = v.Position.Lat, v.Position.Lon, true
		}
		reqs = append(reqs, r)
	}
	hs := hotspot.Find(reqs, now, hotspot.Options{})
	out := make([]HotspotView, 0, len(hs))
	for _, h := range hs {
		hv := HotspotView{Hotspot: h, Label: HazardLabel(strings.TrimPrefix(h.Hazard, "category:"), "")}
		for _, id := range h.Members {
			m := byID[id]
			hv.Members = append(hv.Members, Member{ID: id, TrackingID: m.TrackingID})
			if hv.Where.Code == "" && m.Comune.Code == h.Comune {
				hv.Where = m.Comune
			}
		}
		if !hv.Located {
			// No pin among them: the comune's (or province's) centre, as
			// the map places the members.
			if m := byID[h.Members[0]]; m.Position != nil {
				hv.Hotspot.Lat, hv.Hotspot.Lon = m.Position.Lat, m.Position.Lon
			}
		}
		hv.Hotspot.Members = nil
		out = append(out, hv)
	}
	return out
}
