package console

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/ascolto/ascolto/ivr"
)

// The IVR flow as a picture: the steps as boxes in layers from the start
// down (a step one call-step further from the start is one layer lower),
// the exits as arrows labelled with the key or the condition, drawn as SVG
// on the server. The layout is the classic layered one, kept small:
// back edges turned round, long edges broken at every layer they cross
// (so no arrow cuts through a box), the order in each layer improved by
// barycentres, the boxes placed over their neighbours without overlapping.

// Sizes of the drawing, in SVG user units (CSS pixels at 100%).
const (
	gMargin     = 24.0
	gLayerGap   = 84.0 // between the bottom of a layer and the top of the next: room for the labels
	gBoxGap     = 36.0
	gLineH      = 16.0
	gPadX       = 10.0
	gPadY       = 8.0
	gMinBoxW    = 150.0
	gMaxBoxW    = 270.0
	gDummyW     = 14.0
	gLoopW      = 58.0 // a self-loop's room on a box's right
	gCharW      = 7.0  // a 12-13 px sans-serif character, on the wide side
	gLabelH     = 18.0
	gStartSpace = 26.0 // above the start box, for its marker
)

// gPoint is a point of the drawing.
type gPoint struct{ X, Y float64 }

// gRect is an axis-aligned rectangle.
type gRect struct{ X, Y, W, H float64 }

func (a gRect) overlaps(b gRect) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// gBox is one step drawn.
type gBox struct {
	ID    string
	Class string // by kind, for the colours in console.css
	Lines []string
	Full  []string // the lines untruncated, for the tooltip
	Start bool
	gRect
	layer int
	loop  bool // has an exit to itself
}

// gEdge is one exit drawn.
type gEdge struct {
	From, To string
	Label    string
	Points   []gPoint // from the source's bottom to the target's top; a loop has none
	Back     bool     // goes back up (a cycle through a menu choice)
	Loop     bool     // to the same step
	LabelBox gRect
}

// flowGraph is the whole drawing.
type flowGraph struct {
	Boxes []gBox
	Edges []gEdge
	W, H  float64
}

// gNode is a box or a waypoint of a long edge while the layout runs.
type gNode struct {
	box   int // index in Boxes, -1 for a waypoint
	w     float64
	x     float64 // left
	layer int
	order int
	up    []int // neighbours in the layer above
	down  []int // neighbours in the layer below
}

// drawFlow lays out the steps of a flow with the words tr gives.
func drawFlow(steps []ivr.Step, start string, tr func(key string) string) flowGraph {
	g := flowGraph{}
	index := map[string]int{}
	for i, s := range steps {
		index[s.ID] = i
		full := stepLines(s, tr)
		b := gBox{ID: s.ID, Class: stepClass(s.Kind), Full: full, Start: s.ID == start}
		width := 0.0
		for _, l := range full {
			width = max(width, textWidth(l))
		}
		b.W = min(max(width+2*gPadX, gMinBoxW), gMaxBoxW)
		for _, l := range full {
			b.Lines = append(b.Lines, fitText(l, b.W-2*gPadX))
		}
		b.H = float64(len(b.Lines))*gLineH + 2*gPadY
		g.Boxes = append(g.Boxes, b)
	}
	for _, s := range steps {
		for _, e := range s.Exits {
			if _, ok := index[e.To]; !ok {
				continue
			}
			g.Edges = append(g.Edges, gEdge{From: s.ID, To: e.To, Label: exitLabel(s, e, tr), Loop: e.To == s.ID})
		}
	}
	if len(g.Boxes) == 0 {
		return g
	}
	root := 0
	if i, ok := index[start]; ok {
		root = i
	}
	markBackEdges(&g, index, root)
	layers := layerBoxes(&g, index, root)
	nodes, chains := expand(&g, index, layers)
	byLayer := orderLayers(nodes)
	placeLayers(nodes, byLayer)
	finish(&g, index, nodes, byLayer, chains)
	return g
}

// markBackEdges finds the edges that close a cycle, walking depth first
// from the start (then from any step the start does not reach).
func markBackEdges(g *flowGraph, index map[string]int, root int) {
	out := make([][]int, len(g.Boxes)) // box → edge indexes
	for i, e := range g.Edges {
		out[index[e.From]] = append(out[index[e.From]], i)
	}
	state := make([]int8, len(g.Boxes)) // 0 new, 1 on the stack, 2 done
	type frame struct{ v, next int }
	walk := func(r int) {
		state[r] = 1
		stack := []frame{{r, 0}}
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next == len(out[top.v]) {
				state[top.v] = 2
				stack = stack[:len(stack)-1]
				continue
			}
			ei := out[top.v][top.next]
			top.next++
			e := &g.Edges[ei]
			if e.Loop {
				g.Boxes[top.v].loop = true
				continue
			}
			w := index[e.To]
			switch state[w] {
			case 0:
				state[w] = 1
				stack = append(stack, frame{w, 0})
			case 1:
				e.Back = true
			}
		}
	}
	walk(root)
	for i := range g.Boxes {
		if state[i] == 0 {
			walk(i)
		}
	}
}

// layerBoxes puts each box one layer below the lowest box that leads to
// it (back edges turned round, loops ignored): the longest path from the
// top, so every arrow points down.
func layerBoxes(g *flowGraph, index map[string]int, root int) []int {
	n := len(g.Boxes)
	succ := make([][]int, n)
	indeg := make([]int, n)
	for _, e := range g.Edges {
		if e.Loop {
			continue
		}
		u, v := index[e.From], index[e.To]
		if e.Back {
			u, v = v, u
		}
		succ[u] = append(succ[u], v)
		indeg[v]++
	}
	layer := make([]int, n)
	var queue []int
	// The start first, so it stays on top even if something points to it.
	if indeg[root] == 0 {
		queue = append(queue, root)
	}
	for i := range n {
		if i != root && indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, v := range succ[u] {
			layer[v] = max(layer[v], layer[u]+1)
			if indeg[v]--; indeg[v] == 0 {
				queue = append(queue, v)
			}
		}
	}
	for i := range n {
		g.Boxes[i].layer = layer[i]
	}
	return layer
}

// expand makes the layout's nodes: one per box, and a waypoint for every
// layer a long edge crosses. chains[i] lists edge i's nodes from its upper
// end to its lower end.
func expand(g *flowGraph, index map[string]int, layer []int) ([]gNode, [][]int) {
	nodes := make([]gNode, len(g.Boxes))
	for i, b := range g.Boxes {
		w := b.W
		if b.loop {
			w += gLoopW
		}
		nodes[i] = gNode{box: i, w: w, layer: layer[i]}
	}
	chains := make([][]int, len(g.Edges))
	for i, e := range g.Edges {
		if e.Loop {
			continue
		}
		u, v := index[e.From], index[e.To]
		if e.Back {
			u, v = v, u
		}
		chain := []int{u}
		for l := layer[u] + 1; l < layer[v]; l++ {
			nodes = append(nodes, gNode{box: -1, w: gDummyW, layer: l})
			chain = append(chain, len(nodes)-1)
		}
		chain = append(chain, v)
		for k := 0; k+1 < len(chain); k++ {
			a, b := chain[k], chain[k+1]
			nodes[a].down = append(nodes[a].down, b)
			nodes[b].up = append(nodes[b].up, a)
		}
		chains[i] = chain
	}
	return nodes, chains
}

// orderLayers orders each layer: first as a breadth-first walk from the
// top meets the nodes, then by the mean position of their neighbours,
// sweeping down and up, keeping the order with the fewest crossings.
func orderLayers(nodes []gNode) [][]int {
	depth := 0
	for _, n := range nodes {
		depth = max(depth, n.layer+1)
	}
	byLayer := make([][]int, depth)
	seen := make([]bool, len(nodes))
	var queue []int
	for i, n := range nodes {
		if n.layer == 0 && n.box >= 0 {
			queue = append(queue, i)
			seen[i] = true
		}
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		byLayer[nodes[u].layer] = append(byLayer[nodes[u].layer], u)
		for _, v := range nodes[u].down {
			if !seen[v] {
				seen[v] = true
				queue = append(queue, v)
			}
		}
	}
	for i := range nodes {
		if !seen[i] {
			byLayer[nodes[i].layer] = append(byLayer[nodes[i].layer], i)
		}
	}
	setOrder := func() {
		for _, l := range byLayer {
			for k, v := range l {
				nodes[v].order = k
			}
		}
	}
	setOrder()
	best := cloneLayers(byLayer)
	bestX := crossings(nodes, byLayer)
	for round := 0; round < 8 && bestX > 0; round++ {
		down := round%2 == 0
		for step := 1; step < depth; step++ {
			l := step
			if !down {
				l = depth - 1 - step
			}
			bary := map[int]float64{}
			for _, v := range byLayer[l] {
				nb := nodes[v].up
				if !down {
					nb = nodes[v].down
				}
				if len(nb) == 0 {
					bary[v] = float64(nodes[v].order)
					continue
				}
				sum := 0.0
				for _, u := range nb {
					sum += float64(nodes[u].order)
				}
				bary[v] = sum / float64(len(nb))
			}
			slices.SortStableFunc(byLayer[l], func(a, b int) int {
				switch {
				case bary[a] < bary[b]:
					return -1
				case bary[a] > bary[b]:
					return 1
				}
				return 0
			})
			for k, v := range byLayer[l] {
				nodes[v].order = k
			}
		}
		if x := crossings(nodes, byLayer); x < bestX {
			best, bestX = cloneLayers(byLayer), x
		}
	}
	byLayer = best
	setOrder()
	return byLayer
}

func cloneLayers(ls [][]int) [][]int {
	out := make([][]int, len(ls))
	for i, l := range ls {
		out[i] = slices.Clone(l)
	}
	return out
}

// crossings counts the pairs of segments between adjacent layers that cross.
func crossings(nodes []gNode, byLayer [][]int) int {
	pos := make([]int, len(nodes))
	for _, l := range byLayer {
		for k, v := range l {
			pos[v] = k
		}
	}
	count := 0
	for _, l := range byLayer {
		var segs [][2]int
		for _, u := range l {
			for _, v := range nodes[u].down {
				segs = append(segs, [2]int{pos[u], pos[v]})
			}
		}
		for i := range segs {
			for j := i + 1; j < len(segs); j++ {
				a, b := segs[i], segs[j]
				if (a[0]-b[0])*(a[1]-b[1]) < 0 {
					count++
				}
			}
		}
	}
	return count
}

// placeLayers gives every node its x: each layer packed left to right in
// its order, then moved over the centres of its neighbours. A placement
// packed from the left and one packed from the right both keep the order
// and the gaps, and so does their mean, which is what a layer takes.
func placeLayers(nodes []gNode, byLayer [][]int) {
	for _, l := range byLayer {
		x := 0.0
		for _, v := range l {
			nodes[v].x = x
			x += nodes[v].w + gBoxGap
		}
	}
	center := func(v int) float64 { return nodes[v].x + nodes[v].w/2 }
	for round := 0; round < 12; round++ {
		down := round%2 == 0
		for step := range byLayer {
			l := step
			if !down {
				l = len(byLayer) - 1 - step
			}
			layer := byLayer[l]
			want := make([]float64, len(layer))
			for k, v := range layer {
				nb := nodes[v].up
				if !down {
					nb = nodes[v].down
				}
				if len(nb) == 0 {
					want[k] = nodes[v].x
					continue
				}
				sum := 0.0
				for _, u := range nb {
					sum += center(u)
				}
				want[k] = sum/float64(len(nb)) - nodes[v].w/2
			}
			left := make([]float64, len(layer))
			for k := range layer {
				left[k] = want[k]
				if k > 0 {
					left[k] = max(left[k], left[k-1]+nodes[layer[k-1]].w+gBoxGap)
				}
			}
			right := make([]float64, len(layer))
			for k := len(layer) - 1; k >= 0; k-- {
				right[k] = want[k]
				if k < len(layer)-1 {
					right[k] = min(right[k], right[k+1]-nodes[layer[k]].w-gBoxGap)
				}
			}
			for k, v := range layer {
				nodes[v].x = (left[k] + right[k]) / 2
			}
		}
	}
}

// finish turns the layout into the drawing: box positions, the arrows'
// points through their waypoints, the labels where they fit.
func finish(g *flowGraph, index map[string]int, nodes []gNode, byLayer [][]int, chains [][]int) {
	minX := math.Inf(1)
	for _, n := range nodes {
		minX = min(minX, n.x)
	}
	layerH := make([]float64, len(byLayer))
	for _, b := range g.Boxes {
		layerH[b.layer] = max(layerH[b.layer], b.H)
	}
	layerY := make([]float64, len(byLayer))
	y := gMargin + gStartSpace
	for l := range byLayer {
		layerY[l] = y
		y += layerH[l] + gLayerGap
	}
	g.H = y - gLayerGap + gMargin
	for i, n := range nodes {
		nodes[i].x = n.x - minX + gMargin
		g.W = max(g.W, nodes[i].x+n.w+gMargin)
	}
	for i := range g.Boxes {
		b := &g.Boxes[i]
		b.X = nodes[i].x
		// Centred in its layer's band, so arrows meet it from the band's edges.
		b.Y = layerY[b.layer] + (layerH[b.layer]-b.H)/2
	}
	// Ports: the arrows leave a box's bottom and reach its top spread out,
	// in the order of where they go and come from.
	type port struct {
		edge  int
		other float64
	}
	outs := make([][]port, len(g.Boxes))
	ins := make([][]port, len(g.Boxes))
	centerOf := func(v int) float64 { return nodes[v].x + nodes[v].w/2 }
	if len(g.Boxes) > 0 {
		for i := range g.Edges {
			chain := chains[i]
			if chain == nil {
				continue
			}
			top, bottom := chain[0], chain[len(chain)-1]
			outs[top] = append(outs[top], port{i, centerOf(chain[1])})
			ins[bottom] = append(ins[bottom], port{i, centerOf(chain[len(chain)-2])})
		}
	}
	outX := make([]float64, len(g.Edges))
	inX := make([]float64, len(g.Edges))
	spread := func(ps []port, b gBox, dst []float64) {
		slices.SortStableFunc(ps, func(a, c port) int {
			switch {
			case a.other < c.other:
				return -1
			case a.other > c.other:
				return 1
			}
			return 0
		})
		for k, p := range ps {
			dst[p.edge] = b.X + b.W*float64(k+1)/float64(len(ps)+1)
		}
	}
	for i := range g.Boxes {
		spread(outs[i], g.Boxes[i], outX)
		spread(ins[i], g.Boxes[i], inX)
	}
	for i := range g.Edges {
		e := &g.Edges[i]
		chain := chains[i]
		if chain == nil {
			continue
		}
		top, bottom := g.Boxes[chain[0]], g.Boxes[chain[len(chain)-1]]
		pts := []gPoint{{outX[i], top.Y + top.H}}
		for _, v := range chain[1 : len(chain)-1] {
			l := nodes[v].layer
			cx := centerOf(v)
			pts = append(pts, gPoint{cx, layerY[l]}, gPoint{cx, layerY[l] + layerH[l]})
		}
		pts = append(pts, gPoint{inX[i], bottom.Y})
		if e.Back {
			slices.Reverse(pts)
		}
		e.Points = pts
	}
	placeLabels(g)
}

// placeLabels puts each arrow's label on its first stretch, from the step
// it leaves, where it overlaps no box and no other label;
// a loop's label goes beside its loop.
func placeLabels(g *flowGraph) {
	var taken []gRect
	for _, b := range g.Boxes {
		taken = append(taken, b.gRect)
	}
	byID := map[string]gBox{}
	for _, b := range g.Boxes {
		byID[b.ID] = b
	}
	free := func(r gRect) bool {
		for _, t := range taken {
			if r.overlaps(t) {
				return false
			}
		}
		return true
	}
	for i := range g.Edges {
		e := &g.Edges[i]
		if e.Label == "" {
			continue
		}
		w := textWidth(e.Label) + 12
		if e.Loop {
			b := byID[e.From]
			e.LabelBox = gRect{b.X + b.W + 8, b.Y + b.H/2 - gLabelH/2, min(w, gLoopW-10), gLabelH}
			taken = append(taken, e.LabelBox)
			continue
		}
		a, c := e.Points[0], e.Points[1]
		var placed bool
	search:
		for _, shift := range []float64{0, w/2 + 4, -w/2 - 4} {
			for _, t := range []float64{0.5, 0.35, 0.65, 0.2, 0.8, 0.1, 0.9} {
				r := gRect{a.X + (c.X-a.X)*t - w/2 + shift, a.Y + (c.Y-a.Y)*t - gLabelH/2, w, gLabelH}
				if r.X >= 0 && free(r) {
					e.LabelBox, placed = r, true
					break search
				}
			}
		}
		if !placed {
			e.LabelBox = gRect{a.X + (c.X-a.X)*0.5 - w/2, a.Y + (c.Y-a.Y)*0.5 - gLabelH/2, w, gLabelH}
		}
		taken = append(taken, e.LabelBox)
		g.W = max(g.W, e.LabelBox.X+e.LabelBox.W+gMargin)
	}
}

// textWidth estimates how wide a text is drawn (no font metrics on the
// server: a generous average per character).
func textWidth(s string) float64 { return float64(utf8.RuneCountInString(s)) * gCharW }

// fitText cuts a text to a width, with an ellipsis.
func fitText(s string, w float64) string {
	if textWidth(s) <= w {
		return s
	}
	r := []rune(s)
	n := max(int(w/gCharW)-1, 1)
	return string(r[:min(n, len(r))]) + "…"
}

// stepClass is a step's colour in the drawing.
func stepClass(k ivr.Kind) string {
	switch k {
	case ivr.KindMenu:
		return "g-menu"
	case ivr.KindHours, ivr.KindMode:
		return "g-branch"
	case ivr.KindQueue:
		return "g-queue"
	case ivr.KindHangup:
		return "g-hangup"
	case ivr.KindRecord:
		return "g-record"
	case ivr.KindTransfer, ivr.KindFax:
		return "g-out"
	}
	return "g-step"
}

// stepLines are the lines in a step's box: its name, its kind with how it
// behaves, what it sets or where it sends the call, and what it plays.
func stepLines(s ivr.Step, tr func(string) string) []string {
	lines := []string{s.ID}
	kind := tr("ivr.kind." + s.Kind.String())
	switch s.Kind {
	case ivr.KindMenu:
		kind += " · " + fmt.Sprintf(tr("ivr.g.menu"), int(s.Timeout.Seconds()), s.Retries)
	case ivr.KindRecord:
		kind += " · " + fmt.Sprintf(tr("ivr.g.record"), s.MaxSeconds, s.TerminateKey)
	case ivr.KindLanguage:
		kind += " · " + tr("ivr.g.lang."+s.Language)
	}
	lines = append(lines, kind)
	var what []string
	if s.Queue != "" {
		what = append(what, fmt.Sprintf(tr("ivr.g.queue"), s.Queue))
	}
	if s.Number != "" {
		what = append(what, fmt.Sprintf(tr("ivr.g.number"), s.Number))
	}
	if s.Category != "" {
		what = append(what, fmt.Sprintf(tr("ivr.g.category"), s.Category))
	}
	if s.SetsUrgency {
		what = append(what, fmt.Sprintf(tr("ivr.g.urgency"), tr("urgency."+s.Urgency.String())))
	}
	if s.SetsPrio {
		what = append(what, fmt.Sprintf(tr("ivr.g.priority"), s.Priority))
	}
	if len(what) > 0 {
		lines = append(lines, strings.Join(what, " · "))
	}
	if len(s.Prompts) > 0 {
		lines = append(lines, "♪ "+strings.Join(s.Prompts, ", "))
	}
	return lines
}

// exitLabel is the words on an arrow.
func exitLabel(s ivr.Step, e ivr.Exit, tr func(string) string) string {
	switch e.Via {
	case ivr.ViaNext:
		return ""
	case ivr.ViaKey:
		return fmt.Sprintf(tr("ivr.via.key"), e.Key)
	case ivr.ViaNoChoice:
		if s.PassOtherKeys {
			return tr("ivr.via.nochoice.pass")
		}
		return tr("ivr.via.nochoice")
	case ivr.ViaFailed:
		return tr("ivr.via.failed." + s.Kind.String())
	}
	return tr("ivr.via." + string(e.Via))
}

// SVG writes the drawing; title and desc name it for screen readers.
func (g flowGraph) SVG(title, desc, startLabel string) template.HTML {
	esc := template.HTMLEscapeString
	var b strings.Builder
	f := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="flowgraph" id="flow-graph" width="%s" height="%s" viewBox="0 0 %s %s" role="img" aria-labelledby="flow-graph-t flow-graph-d">`,
		f(g.W), f(g.H), f(g.W), f(g.H))
	fmt.Fprintf(&b, `<title id="flow-graph-t">%s</title><desc id="flow-graph-d">%s</desc>`, esc(title), esc(desc))
	b.WriteString(`<defs><marker id="g-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" class="g-head"/></marker></defs>`)
	for _, e := range g.Edges {
		cls := "g-edge"
		if e.Back {
			cls += " g-back"
		}
		fmt.Fprintf(&b, `<g class="%s" data-from="%s" data-to="%s">`, cls, esc(e.From), esc(e.To))
		if e.Loop {
			var box gBox
			for _, bx := range g.Boxes {
				if bx.ID == e.From {
					box = bx
				}
			}
			x, y := box.X+box.W, box.Y+box.H/2
			fmt.Fprintf(&b, `<path d="M%s %s C%s %s %s %s %s %s" fill="none" marker-end="url(#g-arrow)"/>`,
				f(x), f(y-10), f(x+gLoopW-4), f(y-34), f(x+gLoopW-4), f(y+34), f(x+1), f(y+10))
		} else {
			var pts []string
			for _, p := range e.Points {
				pts = append(pts, f(p.X)+","+f(p.Y))
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" marker-end="url(#g-arrow)"/>`, strings.Join(pts, " "))
		}
		if e.Label != "" {
			r := e.LabelBox
			fmt.Fprintf(&b, `<rect class="g-label" x="%s" y="%s" width="%s" height="%s" rx="8"/><text class="g-ltext" x="%s" y="%s" text-anchor="middle">%s</text>`,
				f(r.X), f(r.Y), f(r.W), f(r.H), f(r.X+r.W/2), f(r.Y+r.H-5), esc(e.Label))
		}
		b.WriteString(`</g>`)
	}
	for _, bx := range g.Boxes {
		fmt.Fprintf(&b, `<g class="g-box %s" data-step="%s"><title>%s</title>`, bx.Class, esc(bx.ID), esc(strings.Join(bx.Full, "\n")))
		if bx.Start {
			fmt.Fprintf(&b, `<text class="g-start" x="%s" y="%s" text-anchor="middle">▼ %s</text>`, f(bx.X+bx.W/2), f(bx.Y-8), esc(startLabel))
		}
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="6"/>`, f(bx.X), f(bx.Y), f(bx.W), f(bx.H))
		for k, l := range bx.Lines {
			cls := "g-text"
			if k == 0 {
				cls = "g-name"
			}
			fmt.Fprintf(&b, `<text class="%s" x="%s" y="%s">%s</text>`, cls, f(bx.X+gPadX), f(bx.Y+gPadY+float64(k+1)*gLineH-4), esc(l))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
