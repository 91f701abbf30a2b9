package console

import (
	"context"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/ascolto/ascolto/store"
)

// kbIndex is the in-memory full-text index of the knowledge base: an
// inverted index of stems with field weights, ranked with BM25. It is
// rebuilt whole when an article changes; a few hundred articles take
// milliseconds.
type kbIndex struct {
	mu     sync.RWMutex
	stamp  string
	docs   []kbDoc
	post   map[string][]posting
	vocab  []string // sorted stems, for prefix matches while typing
	avgLen float64
}

type kbDoc struct {
	a      store.KBArticle
	length float64
}

type posting struct {
	doc int
	tf  float64
}

// Field weights: a word in the title says more than one in the body.
const (
	weightTitle   = 3.0
	weightTags    = 2.0
	weightSummary = 1.5
	weightBody    = 1.0
	bm25K1        = 1.2
	bm25B         = 0.75
)

func newKBIndex() *kbIndex { return &kbIndex{post: map[string][]posting{}} }

// build replaces the index with one over articles.
func (x *kbIndex) build(stamp string, articles []store.KBArticle) {
	docs := make([]kbDoc, len(articles))
	post := map[string][]posting{}
	total := 0.0
	for i, a := range articles {
		tf := map[string]float64{}
		add := func(text string, w float64) {
			for _, t := range terms(text) {
				tf[t] += w
			}
		}
		add(a.Title, weightTitle)
		add(a.Tags, weightTags)
		add(a.Summary, weightSummary)
		add(a.Body, weightBody)
		length := 0.0
		for t, f := range tf {
			post[t] = append(post[t], posting{doc: i, tf: f})
			length += f
		}
		docs[i] = kbDoc{a: a, length: length}
		total += length
	}
	vocab := make([]string, 0, len(post))
	for t := range post {
		vocab = append(vocab, t)
	}
	sort.Strings(vocab)
	avg := 1.0
	if len(docs) > 0 && total > 0 {
		avg = total / float64(len(docs))
	}
	x.mu.Lock()
	x.stamp, x.docs, x.post, x.vocab, x.avgLen = stamp, docs, post, vocab, avg
	x.mu.Unlock()
}

// kbHit is one search result.
type kbHit struct {
	Article store.KBArticle
	Score   float64
	Snippet string
}

// search ranks the articles whose status is allowed by BM25, scaled by the
// share of query words each matches (the last word may be a prefix, for
// typing).
func (x *kbIndex) search(q string, allowed func(status string) bool, limit int) []kbHit {
	qs := terms(q)
	if len(qs) == 0 {
		return nil
	}
	// The last word may be unfinished: "allu" finds "alluvione".
	prefixLast := !strings.HasSuffix(q, " ") && len(qs[len(qs)-1]) >= 3
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := float64(len(x.docs))
	scores := map[int]float64{}
	matched := map[int]int{}
	for i, t := range qs {
		variants := map[string]float64{t: 1}
		if i == len(qs)-1 && prefixLast {
			j := sort.SearchStrings(x.vocab, t)
			for ; j < len(x.vocab) && strings.HasPrefix(x.vocab[j], t); j++ {
				if _, ok := variants[x.vocab[j]]; !ok {
					variants[x.vocab[j]] = 0.8
				}
			}
		}
		seen := map[int]bool{}
		for v, boost := range variants {
			ps := x.post[v]
			idf := math.Log(1 + (n-float64(len(ps))+0.5)/(float64(len(ps))+0.5))
			for _, p := range ps {
				d := x.docs[p.doc]
				norm := p.tf * (bm25K1 + 1) / (p.tf + bm25K1*(1-bm25B+bm25B*d.length/x.avgLen))
				scores[p.doc] += boost * idf * norm
				if !seen[p.doc] {
					seen[p.doc] = true
					matched[p.doc]++
				}
			}
		}
	}
	// Articles matching more of the query's words rank higher, but one
	// that misses a word still shows: "chi chiamare per un blackout" must
	// find the blackout article even if it never says "chiamare".
	var hits []kbHit
	for doc, s := range scores {
		d := x.docs[doc]
		if !allowed(d.a.Status) {
			continue
		}
		cover := float64(matched[doc]) / float64(len(qs))
		hits = append(hits, kbHit{Article: d.a, Score: s * cover * cover})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		return hits[i].Article.Title < hits[j].Article.Title
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	for i := range hits {
		hits[i].Snippet = snippet(hits[i].Article, qs)
	}
	return hits
}

// snippet picks the first line of the summary or body that contains a
// query stem, shortened to a readable length.
func snippet(a store.KBArticle, qs []string) string {
	want := map[string]bool{}
	for _, q := range qs {
		want[q] = true
	}
	lines := append([]string{a.Summary}, strings.Split(a.Body, "\n")...)
	pick := ""
	for _, l := range lines {
		l = strings.TrimSpace(strings.TrimLeft(l, "#-*0123456789. "))
		if l == "" {
			continue
		}
		if pick == "" {
			pick = l
		}
		found := false
		for _, t := range terms(l) {
			for q := range want {
				if t == q || strings.HasPrefix(t, q) {
					found = true
				}
			}
		}
		if found {
			pick = l
			break
		}
	}
	pick = strings.ReplaceAll(pick, "**", "")
	if r := []rune(pick); len(r) > 220 {
		pick = string(r[:217]) + "…"
	}
	return pick
}

// refreshKB rebuilds the index when the knowledge base changed (always when force).
func (c *Console) refreshKB(ctx context.Context, force bool) error {
	stamp, err := c.db.KBStamp(ctx)
	if err != nil {
		return err
	}
	c.kb.mu.RLock()
	same := c.kb.stamp == stamp
	c.kb.mu.RUnlock()
	if same && !force {
		return nil
	}
	articles, err := c.db.KBArticles(ctx)
	if err != nil {
		return err
	}
	c.kb.build(stamp, articles)
	return nil
}
