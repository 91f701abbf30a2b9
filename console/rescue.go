package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/store"
)

// The rescue request as data: with "richiesta di soccorso" the desk asks
// where (the place in words, the comune, a pin on the comune's map), how
// many people and who among them is vulnerable, the number to call back
// and the hazard. The store checks every field (store.RescueDetails.
// Normalize); a refused field comes back to the agent as a sentence in
// their language naming it.

// RescueInput is the rescue request as the desk sends it with the
// disposition.
type RescueInput struct {
	Place      string   `json:"place"`
	Lat        *float64 `json:"lat"`
	Lon        *float64 `json:"lon"`
	RadiusM    int      `json:"radius_m"`
	People     int      `json:"people"`
	Vulnerable []string `json:"vulnerable"` // children, elderly, disabled, medical
	Callback   string   `json:"callback"`
	Hazard     string   `json:"hazard"`
	HazardNote string   `json:"hazard_note"`
}

// vulnerableCodes are the kinds of vulnerable people the desk offers.
var vulnerableCodes = []string{"children", "elderly", "disabled", "medical"}

// Details is the request as the store keeps it; it checks nothing.
func (in RescueInput) Details() store.RescueDetails {
	return store.RescueDetails{Place: in.Place, Lat: in.Lat, Lon: in.Lon, RadiusM: in.RadiusM, People: in.People,
		Children: slices.Contains(in.Vulnerable, "children"), Elderly: slices.Contains(in.Vulnerable, "elderly"),
		Disabled: slices.Contains(in.Vulnerable, "disabled"), Medical: slices.Contains(in.Vulnerable, "medical"),
		Callback: in.Callback, Hazard: in.Hazard, HazardNote: in.HazardNote}
}

// checkRescue validates the rescue request of a disposition: a request
// that is not a rescue drops it; a rescue's request must be whole. The
// error names the field in the agent's language (catalog key
// disp.rescue.err.FIELD.CODE).
func checkRescue(d *Disposition) error {
	if d.Rescue == nil {
		return nil
	}
	if d.Urgency != store.UrgencyRescue {
		d.Rescue = nil
		return nil
	}
	for _, v := range d.Rescue.Vulnerable {
		if !slices.Contains(vulnerableCodes, v) {
			return &wsError{"invalid_rescue.vulnerable", "disp.rescue.err.vulnerable.unknown", ""}
		}
	}
	r := d.Rescue.Details()
	if err := r.Normalize(); err != nil {
		return rescueProblem(err)
	}
	return nil
}

// rescueProblem turns the store's verdict on a rescue request into what
// the agent reads.
func rescueProblem(err error) error {
	var re *store.RescueError
	if errors.As(err, &re) {
		// The code names the field, so the desk puts the cursor there.
		return &wsError{"invalid_rescue." + re.Field, fmt.Sprintf("disp.rescue.err.%s.%s", re.Field, re.Code), ""}
	}
	return err
}

// rescueMap is what the desk's pin map draws for a comune: its province
// (bundled) and its own outline when comuni were imported, and the point
// to centre on.
type rescueMap struct {
	Comune    comuneHit       `json:"comune"`
	Center    *geo.Point      `json:"center,omitempty"`
	Provincia json.RawMessage `json:"provincia,omitempty"` // GeoJSON geometry
	Shape     json.RawMessage `json:"shape,omitempty"`     // the comune's geometry, when imported
	Bounds    [4]float64      `json:"bounds"`              // lon0, lat0, lon1, lat1 of what is drawn
}

// rescueMapAPI serves /api/comuni/{code}/map for the rescue request's pin.
func (c *Console) rescueMapAPI(v *visit) error {
	code := v.r.PathValue("code")
	if !sixDigits(code) {
		return failure(http.StatusBadRequest, "desk.comunequery")
	}
	ctx := v.r.Context()
	m, err := c.db.ComuneByCode(ctx, code)
	if err != nil {
		return err
	}
	atlas, err := c.db.Atlas(ctx)
	if err != nil {
		return err
	}
	out := rescueMap{Comune: comuneHit{Code: code, Label: m.Label(), Text: m.Label() + " · " + code}}
	var shapes []json.RawMessage
	if b, ok := atlas.Boundary(geo.LevelComune, code); ok {
		out.Shape = b.Geometry
		shapes = append(shapes, b.Geometry)
	}
	if b, ok := atlas.Boundary(geo.LevelProvincia, m.ProvinciaCode); ok {
		out.Provincia = b.Geometry
		if out.Shape == nil {
			shapes = append(shapes, b.Geometry)
		}
	}
	if loc, ok := atlas.Locate(nil, nil, code, m.ProvinciaCode); ok {
		p := loc.Point
		out.Center = &p
	}
	out.Bounds = [4]float64{geo.ItalyLonMin, geo.ItalyLatMin, geo.ItalyLonMax, geo.ItalyLatMax}
	if len(shapes) > 0 {
		b := [4]float64{180, 90, -180, -90}
		for _, g := range shapes {
			polys, err := geo.Polygons(g)
			if err != nil {
				continue
			}
			for _, p := range polys {
				for _, ring := range p {
					for _, pt := range ring {
						b[0], b[1], b[2], b[3] = min(b[0], pt[0]), min(b[1], pt[1]), max(b[2], pt[0]), max(b[3], pt[1])
					}
				}
			}
		}
		if b[0] < b[2] {
			out.Bounds = b
		}
	}
	writeJSON(v.w, http.StatusOK, out)
	return nil
}

// What is the card's "what" line: the category, then the case's summary
// and notes — each only when the agent's notes, shown once on their own
// row, do not already say it (the summary of a desk case is the first line
// of those notes).
func (c opsCard) What() string {
	v := c.I
	out := v.CategoryLabel
	if out == "" {
		out = v.Category
	}
	advice := strings.TrimSpace(v.Advice)
	var extra []string
	if s := strings.TrimSpace(v.Summary); s != "" && !strings.HasPrefix(advice, s) {
		extra = append(extra, s)
	}
	if n := strings.TrimSpace(v.Notes); n != "" && n != advice && n != strings.TrimSpace(v.Summary) {
		extra = append(extra, n)
	}
	if len(extra) > 0 {
		if out != "" {
			out += ": "
		}
		out += strings.Join(extra, " — ")
	}
	return out
}

// Callback is the number the room calls back: the one the agent recorded
// in the rescue request, else the caller's.
func (c opsCard) Callback() string {
	if c.I.Rescue != nil && c.I.Rescue.Callback != "" {
		return c.I.Rescue.Callback
	}
	return c.I.ContactPhone
}

// Hazard names the rescue request's hazard in the page's language ("" for
// none); "other" reads as the agent's words.
func (c opsCard) Hazard() string {
	r := c.I.Rescue
	if r == nil || r.Hazard == "" {
		return ""
	}
	if r.Hazard == store.HazardOther && r.HazardNote != "" {
		return c.P.T("ops.hazard.other") + ": " + r.HazardNote
	}
	return c.P.T("ops.hazard." + r.Hazard)
}

// Vulnerable lists the vulnerable people in the page's language.
func (c opsCard) Vulnerable() string {
	if c.I.Rescue == nil {
		return ""
	}
	names := make([]string, len(c.I.Rescue.Vulnerable))
	for i, v := range c.I.Rescue.Vulnerable {
		names[i] = c.P.T("ops.v." + v)
	}
	return strings.Join(names, ", ")
}

// capOptions are the CAP alerts' options for a request: the sender, the
// links' base, and the atlas that outlines a comune (an alert without a
// point then carries the comune's polygon, when comuni were imported).
func (o *opsPages) capOptions(v *visit) opsroom.CAPOptions {
	opt := opsroom.CAPOptions{Sender: o.ops.Config().Sender, BaseURL: o.baseURL(v)}
	if atlas, err := o.c.db.Atlas(v.r.Context()); err == nil {
		opt.Atlas = atlas
	}
	return opt
}

// hotspotsAPI serves the hotspots of the last hour to the room's screen,
// which fetches them again whenever an item changes.
func (o *opsPages) hotspotsAPI(v *visit) error {
	hs, err := o.ops.Hotspots(v.r.Context())
	if err != nil {
		return err
	}
	writeJSON(v.w, http.StatusOK, map[string]any{"hotspots": hs, "at": o.c.clock.Now()})
	return nil
}
