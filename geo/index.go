package geo

import (
	"sort"
	"strings"
)

// Place is a comune with its provincia and regione, as lookups return it.
type Place struct {
	Code          string
	Name          string
	NameOther     string
	ProvinciaCode string
	Provincia     string
	Sigla         string
	RegioneCode   string
	Regione       string
	Population    int
	Active        bool // false for comuni retired by a later ISTAT list (merged, renamed)
}

// Label is how a place is shown: "L'Aquila (AQ)".
func (p Place) Label() string { return p.Name + " (" + p.Sigla + ")" }

// Index answers the lookups an operator's type-ahead makes on every key
// press — by ISTAT code, by name prefix, by car plate — from memory, in
// microseconds. The list is small (about 8,000 comuni) and changes twice a
// year, so the whole of it is held and rebuilt after an import.
type Index struct {
	places  []Place        // every place, retired ones too
	byCode  map[string]int // code -> places index
	keys    []indexKey     // sorted search keys of current places (Italian and other-language names)
	top     map[string][]int
	bySigla map[string][]int
}

type indexKey struct {
	key   string
	place int
}

// shortPrefix is the longest prefix whose best matches are precomputed:
// one or two letters match hundreds of comuni, and ranking those on every
// key press is what would make the type-ahead slow.
const shortPrefix = 2

const topN = 20

// NewIndex builds an index over places.
func NewIndex(places []Place) *Index {
	x := &Index{places: places, byCode: make(map[string]int, len(places)),
		top: map[string][]int{}, bySigla: map[string][]int{}}
	for i, p := range places {
		x.byCode[p.Code] = i
		if !p.Active {
			continue
		}
		x.keys = append(x.keys, indexKey{Normalize(p.Name), i})
		if p.NameOther != "" {
			x.keys = append(x.keys, indexKey{Normalize(p.NameOther), i})
		}
		s := strings.ToUpper(p.Sigla)
		x.bySigla[s] = append(x.bySigla[s], i)
	}
	sort.Slice(x.keys, func(i, j int) bool { return x.keys[i].key < x.keys[j].key })
	for _, ids := range x.bySigla {
		sort.Slice(ids, func(i, j int) bool { return places[ids[i]].Name < places[ids[j]].Name })
	}
	for _, k := range x.keys {
		for n := 1; n <= shortPrefix && n <= len(k.key); n++ {
			pre := k.key[:n]
			if _, done := x.top[pre]; !done {
				x.top[pre] = x.rank(x.rangeOf(pre), topN)
			}
		}
	}
	return x
}

// Len is the number of current comuni.
func (x *Index) Len() int {
	n := 0
	for _, p := range x.places {
		if p.Active {
			n++
		}
	}
	return n
}

// ByCode returns a comune, current or retired, by its 6-digit ISTAT code.
func (x *Index) ByCode(code string) (Place, bool) {
	i, ok := x.byCode[code]
	if !ok {
		return Place{}, false
	}
	return x.places[i], true
}

// Search returns up to limit current comuni whose Italian or other-language
// name starts with prefix (ignoring case, accents and punctuation), the
// most populous first.
func (x *Index) Search(prefix string, limit int) []Place {
	key := Normalize(prefix)
	if key == "" || limit <= 0 {
		return nil
	}
	var ids []int
	if len(key) <= shortPrefix {
		ids = x.top[key]
	} else {
		ids = x.rank(x.rangeOf(key), limit)
	}
	if len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]Place, len(ids))
	for i, id := range ids {
		out[i] = x.places[id]
	}
	return out
}

// Exact returns the current comuni named name (Italian or other-language
// name, ignoring case, accents and punctuation), for a name typed in full
// without picking a suggestion: one place means the name is unambiguous,
// several (Castro in BG and LE) mean the person must choose. A trailing
// car plate in brackets, as labels show it ("Castro (LE)"), narrows the
// choice to that province.
func (x *Index) Exact(name string) []Place {
	name = strings.TrimSpace(name)
	sigla := ""
	if n := len(name); n > 5 && name[n-1] == ')' && name[n-4] == '(' && name[n-5] == ' ' {
		sigla, name = strings.ToUpper(name[n-3:n-1]), name[:n-5]
	}
	key := Normalize(name)
	if key == "" {
		return nil
	}
	var out []Place
	seen := map[int]bool{}
	for _, k := range x.rangeOf(key) {
		p := x.places[k.place]
		if k.key != key || seen[k.place] || (sigla != "" && !strings.EqualFold(p.Sigla, sigla)) {
			continue
		}
		seen[k.place] = true
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// BySigla lists the current comuni of the province with that car plate, by name.
func (x *Index) BySigla(sigla string) []Place {
	ids := x.bySigla[strings.ToUpper(strings.TrimSpace(sigla))]
	out := make([]Place, len(ids))
	for i, id := range ids {
		out[i] = x.places[id]
	}
	return out
}

func (x *Index) rangeOf(key string) []indexKey {
	lo := sort.Search(len(x.keys), func(i int) bool { return x.keys[i].key >= key })
	hi := lo
	for hi < len(x.keys) && strings.HasPrefix(x.keys[hi].key, key) {
		hi++
	}
	return x.keys[lo:hi]
}

// rank orders the places of a key range by population, then name, without
// repeating a place matched by both its names.
func (x *Index) rank(r []indexKey, limit int) []int {
	seen := make(map[int]bool, len(r))
	ids := make([]int, 0, len(r))
	for _, k := range r {
		if !seen[k.place] {
			seen[k.place] = true
			ids = append(ids, k.place)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := x.places[ids[i]], x.places[ids[j]]
		if a.Population != b.Population {
			return a.Population > b.Population
		}
		return a.Name < b.Name
	})
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return ids
}
