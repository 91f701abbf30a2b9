package hotspot

import (
	"math"
	"sort"
	"time"
)

// Request is one rescue request or situation report as clustering sees it.
type Request struct {
	ID     int64
	At     time.Time
	Hazard string // the rescue request's hazard, or the report's category
	Comune string // ISTAT code, "" when unknown
	Place  string // the place in words, for the group's name
	// Lat and Lon are the request's own point (a pin, the citizen's
	// position); HasPoint says whether there is one.
	Lat, Lon float64
	HasPoint bool
}

// Trends of a hotspot.
const (
	Rising  = "rising"
	Steady  = "steady"
	Falling = "falling"
)

// Options tune the grouping; zero values take the defaults.
type Options struct {
	Window  time.Duration // how far back requests count (default 1 h)
	RadiusM float64       // how close two points must be to group (default 300 m)
	MinSize int           // the fewest requests that make a hotspot (default 2)
}

func (o *Options) fill() {
	if o.Window <= 0 {
		o.Window = time.Hour
	}
	if o.RadiusM <= 0 {
		o.RadiusM = 300
	}
	if o.MinSize < 2 {
		o.MinSize = 2
	}
}

// Hotspot is a group of requests about the same hazard in one place.
type Hotspot struct {
	Hazard  string  `json:"hazard"`
	Comune  string  `json:"comune,omitempty"` // the members' comune, when they share one
	Place   string  `json:"place,omitempty"`  // the place the members name most often
	Lat     float64 `json:"lat,omitempty"`    // the members' points' mean, when any has one
	Lon     float64 `json:"lon,omitempty"`
	Located bool    `json:"located"`
	Count   int     `json:"count"`
	// Recent and Earlier count the members in the window's second and
	// first half: the trend compares them.
	Recent  int       `json:"recent"`
	Earlier int       `json:"earlier"`
	Trend   string    `json:"trend"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	Members []int64   `json:"members"` // request ids, oldest first
}

// Find groups the requests of the window ending at now: two requests with
// the same hazard are in one group when they share a comune or their
// points are within RadiusM, and groups chain (A near B, B near C).
// Groups smaller than MinSize are left out; the rest come largest first.
func Find(reqs []Request, now time.Time, o Options) []Hotspot {
	o.fill()
	from := now.Add(-o.Window)
	var in []Request
	for _, r := range reqs {
		if r.At.After(from) && !r.At.After(now) && r.Hazard != "" {
			in = append(in, r)
		}
	}
	sort.Slice(in, func(i, j int) bool {
		if !in[i].At.Equal(in[j].At) {
			return in[i].At.Before(in[j].At)
		}
		return in[i].ID < in[j].ID
	})
	parent := make([]int, len(in))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		if ra, rb := find(a), find(b); ra != rb {
			parent[rb] = ra
		}
	}
	// Same hazard and comune: one group.
	byComune := map[[2]string]int{}
	for i, r := range in {
		if r.Comune == "" {
			continue
		}
		k := [2]string{r.Hazard, r.Comune}
		if j, ok := byComune[k]; ok {
			union(j, i)
		} else {
			byComune[k] = i
		}
	}
	// Same hazard and close points: a grid of cells RadiusM/√2 wide, so
	// any two points in one cell are close (a cell is one group at once)
	// and a close point is at most two cells away; a neighbouring cell
	// already in the point's group is skipped whole.
	cellLat := o.RadiusM / math.Sqrt2 / 111320.0
	minLat, maxLat := 90.0, 0.0
	for _, r := range in {
		if r.HasPoint {
			minLat, maxLat = math.Min(minLat, math.Abs(r.Lat)), math.Max(maxLat, math.Abs(r.Lat))
		}
	}
	// One cell width in longitude for all, from the latitude nearest the
	// equator, so no cell is wider than RadiusM/√2 in metres; farther
	// north cells are narrower and the lookup reaches as many more.
	cosMin, cosMax := math.Cos(math.Min(minLat, 85)*math.Pi/180), math.Cos(math.Min(maxLat, 85)*math.Pi/180)
	cellLon := cellLat / cosMin
	reachX := int64(math.Ceil(math.Sqrt2 * cosMin / cosMax))
	type cell struct {
		hazard string
		x, y   int64
	}
	grid := map[cell][]int{}
	for i, r := range in {
		if !r.HasPoint {
			continue
		}
		x, y := int64(math.Floor(r.Lon/cellLon)), int64(math.Floor(r.Lat/cellLat))
		for dx := -reachX; dx <= reachX; dx++ {
			for dy := int64(-2); dy <= 2; dy++ {
				pts := grid[cell{r.Hazard, x + dx, y + dy}]
				if len(pts) == 0 || find(pts[0]) == find(i) {
					continue
				}
				for _, j := range pts {
					if distanceM(r.Lat, r.Lon, in[j].Lat, in[j].Lon) <= o.RadiusM {
						union(j, i)
						break
					}
				}
			}
		}
		c := cell{r.Hazard, x, y}
		if len(grid[c]) > 0 {
			union(grid[c][0], i)
		}
		grid[c] = append(grid[c], i)
	}
	groups := map[int][]int{}
	var roots []int
	for i := range in {
		root := find(i)
		if _, ok := groups[root]; !ok {
			roots = append(roots, root)
		}
		groups[root] = append(groups[root], i)
	}
	half := now.Add(-o.Window / 2)
	var out []Hotspot
	for _, root := range roots {
		idx := groups[root]
		if len(idx) < o.MinSize {
			continue
		}
		h := Hotspot{Hazard: in[idx[0]].Hazard, Count: len(idx), First: in[idx[0]].At, Last: in[idx[len(idx)-1]].At}
		comuni, places := map[string]int{}, map[string]int{}
		var sumLat, sumLon float64
		points := 0
		for _, i := range idx {
			r := in[i]
			h.Members = append(h.Members, r.ID)
			if r.At.After(half) {
				h.Recent++
			} else {
				h.Earlier++
			}
			if r.Comune != "" {
				comuni[r.Comune]++
			}
			if r.Place != "" {
				places[r.Place]++
			}
			if r.HasPoint {
				sumLat, sumLon, points = sumLat+r.Lat, sumLon+r.Lon, points+1
			}
		}
		h.Comune, h.Place = most(comuni), most(places)
		if points > 0 {
			h.Lat, h.Lon, h.Located = sumLat/float64(points), sumLon/float64(points), true
		}
		h.Trend = trend(h.Recent, h.Earlier)
		out = append(out, h)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Last.After(out[j].Last)
	})
	return out
}

// trend compares the second half of the window with the first: rising
// when it brought clearly more requests (at least two more, and a quarter
// more), falling when clearly fewer, else steady.
func trend(recent, earlier int) string {
	margin := max(2, (max(recent, earlier)+3)/4)
	switch {
	case recent-earlier >= margin:
		return Rising
	case earlier-recent >= margin:
		return Falling
	}
	return Steady
}

// most is the value counted most often (the smallest on a tie, so the
// answer does not depend on map order).
func most(counts map[string]int) string {
	best, n := "", 0
	for k, c := range counts {
		if c > n || c == n && k < best {
			best, n = k, c
		}
	}
	return best
}

// distanceM is the distance in metres between two points (haversine).
func distanceM(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371000.0
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lon2-lon1)*math.Pi/180
	a := math.Sin(dp/2)*math.Sin(dp/2) + math.Cos(p1)*math.Cos(p2)*math.Sin(dl/2)*math.Sin(dl/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}
