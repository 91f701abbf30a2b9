package console

import (
	"strings"
	"testing"

	"github.com/ascolto/ascolto/ivr"
)

// The default flow drawn: every step once, no two boxes (with a loop's
// room) overlapping, no label on a box or on another label, every arrow
// from its step's bottom to its target's top, pointing down unless it
// goes back.
func TestFlowGraphLayoutOfTheDefaultFlow(t *testing.T) {
	f, err := ivr.DefaultFlow()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"it", "en"} {
		cat := newCatalog()
		for k, v := range ivrCatalog {
			cat[k] = v
		}
		tr := func(k string) string { return cat.t(lang, k) }
		steps := f.Steps()
		g := drawFlow(steps, f.Start(), tr)
		checkLayout(t, lang, steps, g)
		svg := string(g.SVG("Schema", "descrizione", "inizio"))
		if strings.Contains(svg, "‹") {
			t.Errorf("%s: an untranslated key in the drawing", lang)
		}
		for _, s := range steps {
			if !strings.Contains(svg, `data-step="`+s.ID+`"`) {
				t.Errorf("%s: the SVG lacks step %s", lang, s.ID)
			}
		}
		if lang == "it" {
			for _, want := range []string{"tasto 1", "nessun tasto valido", "emergenza", "chiuso", "nessun messaggio", "coda soccorso", "Fine chiamata", "▼ inizio"} {
				if !strings.Contains(svg, want) {
					t.Errorf("the Italian drawing lacks %q", want)
				}
			}
		}
	}
}

func checkLayout(t *testing.T, lang string, steps []ivr.Step, g flowGraph) {
	t.Helper()
	if len(g.Boxes) != len(steps) {
		t.Fatalf("%s: %d boxes for %d steps", lang, len(g.Boxes), len(steps))
	}
	seen := map[string]gBox{}
	for _, b := range g.Boxes {
		if _, dup := seen[b.ID]; dup {
			t.Errorf("%s: step %s drawn twice", lang, b.ID)
		}
		seen[b.ID] = b
		if b.X < 0 || b.Y < 0 || b.X+b.W > g.W || b.Y+b.H > g.H || b.W < gMinBoxW || b.H < 2*gLineH {
			t.Errorf("%s: box %s out of the drawing or too small: %+v in %.0f×%.0f", lang, b.ID, b.gRect, g.W, g.H)
		}
	}
	for _, s := range steps {
		if _, ok := seen[s.ID]; !ok {
			t.Errorf("%s: step %s not drawn", lang, s.ID)
		}
	}
	room := func(b gBox) gRect {
		r := b.gRect
		if b.loop {
			r.W += gLoopW
		}
		return r
	}
	for i, a := range g.Boxes {
		for _, b := range g.Boxes[i+1:] {
			if room(a).overlaps(room(b)) {
				t.Errorf("%s: boxes %s %+v and %s %+v overlap", lang, a.ID, room(a), b.ID, room(b))
			}
		}
	}
	edges := 0
	for _, s := range steps {
		edges += len(s.Exits)
	}
	if len(g.Edges) != edges {
		t.Errorf("%s: %d arrows for %d exits", lang, len(g.Edges), edges)
	}
	for _, e := range g.Edges {
		from, to := seen[e.From], seen[e.To]
		if e.Loop {
			if e.From != e.To || !from.loop {
				t.Errorf("%s: loop %s→%s", lang, e.From, e.To)
			}
		} else {
			first, last := e.Points[0], e.Points[len(e.Points)-1]
			if e.Back {
				if first.Y != from.Y || last.Y != to.Y+to.H || to.Y >= from.Y {
					t.Errorf("%s: back arrow %s→%s from %v to %v", lang, e.From, e.To, first, last)
				}
			} else if first.Y != from.Y+from.H || last.Y != to.Y || to.Y <= from.Y {
				t.Errorf("%s: arrow %s→%s from %v to %v (boxes at %.0f and %.0f)", lang, e.From, e.To, first, last, from.Y, to.Y)
			}
			if first.X < from.X || first.X > from.X+from.W || last.X < to.X || last.X > to.X+to.W {
				t.Errorf("%s: arrow %s→%s does not start and end on its boxes", lang, e.From, e.To)
			}
		}
		if e.Label == "" {
			continue
		}
		for _, b := range g.Boxes {
			if e.LabelBox.overlaps(b.gRect) {
				t.Errorf("%s: label %q of %s→%s covers box %s", lang, e.Label, e.From, e.To, b.ID)
			}
		}
	}
	for i, a := range g.Edges {
		for _, b := range g.Edges[i+1:] {
			if a.Label != "" && b.Label != "" && a.LabelBox.overlaps(b.LabelBox) {
				t.Errorf("%s: labels %q (%s→%s) and %q (%s→%s) overlap", lang, a.Label, a.From, a.To, b.Label, b.From, b.To)
			}
		}
	}
}

// Arrows never pass through a box: a long one runs through waypoints in
// the layers it crosses.
func TestFlowGraphArrowsAvoidBoxes(t *testing.T) {
	f, err := ivr.DefaultFlow()
	if err != nil {
		t.Fatal(err)
	}
	cat := newCatalog()
	for k, v := range ivrCatalog {
		cat[k] = v
	}
	g := drawFlow(f.Steps(), f.Start(), func(k string) string { return cat.t("it", k) })
	long := 0
	for _, e := range g.Edges {
		if len(e.Points) > 2 {
			long++
		}
		for k := 0; k+1 < len(e.Points); k++ {
			a, b := e.Points[k], e.Points[k+1]
			for _, bx := range g.Boxes {
				// Shrunk by a pixel: an arrow touches its own boxes' edges.
				in := gRect{bx.X + 1, bx.Y + 1, bx.W - 2, bx.H - 2}
				if segmentHits(a, b, in) {
					t.Errorf("arrow %s→%s crosses box %s between %v and %v", e.From, e.To, bx.ID, a, b)
				}
			}
		}
	}
	if long == 0 {
		t.Error("no arrow of the default flow crosses a layer: the test proves nothing")
	}
}

// segmentHits reports whether the segment ab enters r (Liang–Barsky).
func segmentHits(a, b gPoint, r gRect) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := b.X-a.X, b.Y-a.Y
	for _, c := range [][2]float64{{-dx, a.X - r.X}, {dx, r.X + r.W - a.X}, {-dy, a.Y - r.Y}, {dy, r.Y + r.H - a.Y}} {
		p, q := c[0], c[1]
		if p == 0 {
			if q < 0 {
				return false
			}
			continue
		}
		u := q / p
		if p < 0 {
			t0 = max(t0, u)
		} else {
			t1 = min(t1, u)
		}
		if t0 > t1 {
			return false
		}
	}
	return true
}
