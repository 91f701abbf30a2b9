package console

import (
	"html"
	"html/template"
	"regexp"
	"strings"
)

// Articles are written in a light markup an admin can learn in a minute:
//
//	## Heading           ### Smaller heading
//	- item  or  * item   1. numbered item
//	**bold**             https://… becomes a link
//
// A blank line ends a paragraph. Everything else is text: the renderer
// escapes it all, so an article can never inject markup into the console.

var (
	boldPattern = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	linkPattern = regexp.MustCompile(`https://[^\s<>"]+[^\s<>".,;:)]`)
)

// renderBody turns an article body into safe HTML.
func renderBody(body string) template.HTML {
	var b strings.Builder
	list := ""
	para := []string{}
	closeList := func() {
		if list != "" {
			b.WriteString("</" + list + ">\n")
			list = ""
		}
	}
	flushPara := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + strings.Join(para, "<br>") + "</p>\n")
			para = para[:0]
		}
	}
	openList := func(kind string) {
		flushPara()
		if list != kind {
			closeList()
			b.WriteString("<" + kind + ">\n")
			list = kind
		}
	}
	for _, raw := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		line := strings.TrimSpace(raw)
		switch {
		case line == "":
			flushPara()
			closeList()
		case strings.HasPrefix(line, "### "):
			flushPara()
			closeList()
			b.WriteString("<h4>" + inline(line[4:]) + "</h4>\n")
		case strings.HasPrefix(line, "## "):
			flushPara()
			closeList()
			b.WriteString("<h3>" + inline(line[3:]) + "</h3>\n")
		case strings.HasPrefix(line, "- "), strings.HasPrefix(line, "* "):
			openList("ul")
			b.WriteString("<li>" + inline(line[2:]) + "</li>\n")
		case numbered(line) > 0:
			openList("ol")
			b.WriteString("<li>" + inline(line[numbered(line):]) + "</li>\n")
		default:
			closeList()
			para = append(para, inline(line))
		}
	}
	flushPara()
	closeList()
	return template.HTML(b.String())
}

// numbered returns the length of a "12. " prefix, or 0.
func numbered(line string) int {
	i := 0
	for i < len(line) && i < 3 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(line) && line[i] == '.' && line[i+1] == ' ' {
		return i + 2
	}
	return 0
}

// inline escapes a line, then adds bold and links.
func inline(s string) string {
	s = html.EscapeString(s)
	s = boldPattern.ReplaceAllString(s, "<strong>$1</strong>")
	return linkPattern.ReplaceAllStringFunc(s, func(u string) string {
		return `<a href="` + u + `" rel="noopener noreferrer" target="_blank">` + u + `</a>`
	})
}
