package mail

import (
	"bytes"
	"strings"

	"golang.org/x/net/html"
)

// htmlToText renders an HTML-only email as readable plain text: the words
// an operator needs, paragraphs and list items on their own lines, links
// with their address, and nothing of scripts, styles or the head.
func htmlToText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var b strings.Builder
	skip := 0 // depth inside <script>, <style>, <head>, <title>
	var href []string
	newline := func(n int) {
		s := b.String()
		have := len(s) - len(strings.TrimRight(s, "\n"))
		if b.Len() == 0 {
			return
		}
		for ; have < n; have++ {
			b.WriteByte('\n')
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidy(b.String())
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := collapseSpace(string(z.Text()))
			if t == "" || t == " " {
				if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") && !strings.HasSuffix(b.String(), "\n") && t == " " {
					b.WriteByte(' ')
				}
				continue
			}
			if strings.HasSuffix(b.String(), "\n") {
				t = strings.TrimLeft(t, " ")
			}
			b.WriteString(t)
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			end := tt == html.EndTagToken
			switch tag {
			case "script", "style", "head", "title", "noscript", "template":
				if tt == html.StartTagToken {
					skip++
				} else if end && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch tag {
			case "br":
				b.WriteByte('\n')
			case "p", "div", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "pre", "section", "article", "header", "footer":
				newline(2)
			case "tr", "dt", "dd", "hr":
				newline(1)
			case "li":
				newline(1)
				if !end {
					b.WriteString("- ")
				}
			case "td", "th":
				if !end && !strings.HasSuffix(b.String(), "\n") && b.Len() > 0 {
					b.WriteString("\t")
				}
			case "img":
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "alt" && len(bytes.TrimSpace(v)) > 0 {
						b.WriteString("[" + string(bytes.TrimSpace(v)) + "]")
					}
				}
			case "a":
				if end {
					if n := len(href); n > 0 {
						if h := href[n-1]; h != "" && !strings.HasSuffix(b.String(), h) {
							b.WriteString(" (" + h + ")")
						}
						href = href[:n-1]
					}
					continue
				}
				link := ""
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "href" {
						link = strings.TrimPrefix(string(v), "mailto:")
						if strings.HasPrefix(link, "#") || strings.HasPrefix(strings.ToLower(link), "javascript:") {
							link = ""
						}
					}
				}
				href = append(href, link)
			}
		}
	}
}

// collapseSpace turns runs of white space into one space, as a browser does.
func collapseSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		switch r {
		case ' ', '\t', '\n', '\r', '\f', '\u00a0':
			if !space {
				b.WriteByte(' ')
			}
			space = true
		default:
			b.WriteRune(r)
			space = false
		}
	}
	return b.String()
}

// tidy trims each line and keeps at most one blank line in a row.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(strings.TrimLeft(l, " "), " \t")
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
