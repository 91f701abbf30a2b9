package console

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/ascolto/ascolto/store"
)

// The knowledge base's Italian starter set: one file per article, a header
// of "key: value" lines, a line "---", then the body in the light markup.
//
//go:embed kbseed/*.md
var seedFiles embed.FS

// starterSet reads the starter articles, published.
func starterSet() ([]store.KBArticle, error) {
	names, err := fs.Glob(seedFiles, "kbseed/*.md")
	if err != nil {
		return nil, fmt.Errorf("console: list starter articles: %w", err)
	}
	sort.Strings(names)
	out := make([]store.KBArticle, 0, len(names))
	for _, n := range names {
		b, err := seedFiles.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("console: read %s: %w", n, err)
		}
		a, err := parseSeed(string(b))
		if err != nil {
			return nil, fmt.Errorf("console: starter article %s: %w", n, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func parseSeed(src string) (store.KBArticle, error) {
	head, body, ok := strings.Cut(src, "\n---\n")
	if !ok {
		return store.KBArticle{}, fmt.Errorf("no --- line between header and body")
	}
	a := store.KBArticle{Status: store.KBPublished, Body: strings.TrimSpace(body)}
	for i, line := range strings.Split(head, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return a, fmt.Errorf("header line %d is not key: value", i+1)
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "slug":
			a.Slug = v
		case "topic":
			a.Topic = v
		case "title":
			a.Title = v
		case "summary":
			a.Summary = v
		case "tags":
			a.Tags = v
		default:
			return a, fmt.Errorf("unknown header key %q", k)
		}
	}
	if a.Slug == "" || a.Title == "" || a.Topic == "" {
		return a, fmt.Errorf("slug, topic and title are required")
	}
	return a, nil
}
