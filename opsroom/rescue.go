package opsroom

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
)

// RescueView is a rescue request's structured fields as the room reads
// them — on its screen, in the webhook and in CAP: the place in words and
// the pin, who and how many are in danger, the number to call back and
// the hazard.
type RescueView struct {
	Place string `json:"place,omitempty"`
	// Pin is where the agent put the request on the map, with the radius
	// of the area meant; nil when the agent dropped none.
	Pin    *Pin `json:"pin,omitempty"`
	People int  `json:"people"`
	// Vulnerable lists who among the people is vulnerable: children,
	// elderly, disabled, medical (someone needs medical care).
	Vulnerable []string `json:"vulnerable"`
	Callback   string   `json:"callback"`
	// Hazard is one of water, collapse, fire, landslide, gas, isolated,
	// other; HazardLabel its Italian name (with the note for other).
	Hazard      string `json:"hazard"`
	HazardLabel string `json:"hazard_label"`
	HazardNote  string `json:"hazard_note,omitempty"`
	UpdatedBy   string `json:"updated_by,omitempty"`
}

// Pin is a point with the radius of the area it stands for.
type Pin struct {
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
	RadiusM int     `json:"radius_m"`
}

// hazardIT names the hazards in Italian, for CAP and the webhook (the
// console has its own catalogue, in both languages).
var hazardIT = map[string]string{
	store.HazardWater:     "acqua in aumento",
	store.HazardCollapse:  "crollo",
	store.HazardFire:      "incendio",
	store.HazardLandslide: "frana",
	store.HazardGas:       "fuga di gas",
	store.HazardIsolated:  "persone isolate",
	store.HazardOther:     "altro",
}

// vulnerableIT names the vulnerable people in Italian.
var vulnerableIT = map[string]string{
	"children": "bambini", "elderly": "anziani", "disabled": "persone con disabilità", "medical": "esigenze mediche",
}

// HazardLabel is a hazard's Italian name; for "other", the note.
func HazardLabel(hazard, note string) string {
	if hazard == store.HazardOther && note != "" {
		return note
	}
	if l, ok := hazardIT[hazard]; ok {
		return l
	}
	return hazard
}

func rescueView(r *store.RescueDetails) *RescueView {
	if r == nil {
		return nil
	}
	v := &RescueView{Place: r.Place, People: r.People, Vulnerable: r.Vulnerable(), Callback: r.Callback, Hazard: r.Hazard,
		HazardLabel: HazardLabel(r.Hazard, r.HazardNote), HazardNote: r.HazardNote, UpdatedBy: r.UpdatedBy}
	if v.Vulnerable == nil {
		v.Vulnerable = []string{}
	}
	if r.Lat != nil && r.Lon != nil && geo.ValidPoint(*r.Lat, *r.Lon) {
		v.Pin = &Pin{Lat: *r.Lat, Lon: *r.Lon, RadiusM: r.RadiusM}
	}
	return v
}

// describeRescue writes the rescue request in the words of a CAP
// description, one fact a line.
func describeRescue(d *strings.Builder, r *RescueView) {
	fmt.Fprintf(d, "Pericolo: %s\n", r.HazardLabel)
	if r.Place != "" {
		d.WriteString("Luogo: " + r.Place + "\n")
	}
	fmt.Fprintf(d, "Persone coinvolte: %d\n", r.People)
	if len(r.Vulnerable) > 0 {
		names := make([]string, len(r.Vulnerable))
		for i, v := range r.Vulnerable {
			names[i] = vulnerableIT[v]
		}
		d.WriteString("Persone vulnerabili: " + strings.Join(names, ", ") + "\n")
	}
	if r.Callback != "" {
		d.WriteString("Numero da richiamare: " + r.Callback + "\n")
	}
}

// rescueParameters are the request's fields as CAP parameters.
func rescueParameters(r *RescueView) []capValue {
	out := []capValue{{"pericolo", r.Hazard}, {"persone", strconv.Itoa(r.People)}}
	if len(r.Vulnerable) > 0 {
		out = append(out, capValue{"vulnerabili", strings.Join(r.Vulnerable, " ")})
	}
	if r.Callback != "" {
		out = append(out, capValue{"richiamare", r.Callback})
	}
	return out
}

// capPolygons turns a comune's boundary into CAP polygons: the outer ring
// of each part as "lat,lon" pairs, first and last the same (CAP 1.2,
// 3.3.2.2); holes are not expressible and are left out.
func capPolygons(b geo.Boundary) []string {
	polys, err := geo.Polygons(b.Geometry)
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range polys {
		if len(p) == 0 || len(p[0]) < 4 {
			continue
		}
		ring := p[0]
		pairs := make([]string, 0, len(ring)+1)
		for _, pt := range ring {
			pairs = append(pairs, strconv.FormatFloat(pt[1], 'f', 5, 64)+","+strconv.FormatFloat(pt[0], 'f', 5, 64))
		}
		if ring[0] != ring[len(ring)-1] {
			pairs = append(pairs, pairs[0])
		}
		out = append(out, strings.Join(pairs, " "))
	}
	return out
}
