package console

import (
	"strings"
	"unicode"
)

// Italian text analysis for the knowledge-base search: fold case and
// accents, split on anything that is not a letter or digit (so elisions
// like "dell'alluvione" give "alluvione"), drop function words, and reduce
// each word with a light stemmer that makes singular and plural, masculine
// and feminine meet: alluvione/alluvioni → alluvion, terremoto/terremòti →
// terremot, rischio/rischi → risc, provincia/province → provinc.
// It runs in Go, so both database engines search the same way.

// fold lowercases and removes the accents Italian (and typing habits) use.
func fold(r rune) rune {
	r = unicode.ToLower(r)
	switch r {
	case 'à', 'á', 'â', 'ä', 'ã':
		return 'a'
	case 'è', 'é', 'ê', 'ë':
		return 'e'
	case 'ì', 'í', 'î', 'ï':
		return 'i'
	case 'ò', 'ó', 'ô', 'ö', 'õ':
		return 'o'
	case 'ù', 'ú', 'û', 'ü':
		return 'u'
	case 'ç':
		return 'c'
	case 'ñ':
		return 'n'
	}
	return r
}

// words splits text into folded words, keeping stopwords.
func words(s string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(fold(r))
		} else {
			flush()
		}
	}
	flush()
	return out
}

// terms is the analysed form of text: stems of the words that carry meaning.
func terms(s string) []string {
	ws := words(s)
	out := ws[:0]
	for _, w := range ws {
		if isStopword(w) {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// stem removes Italian inflection: the final vowel, then an "i" left from
// -io/-ia/-ie, then the "h" of -chi/-ghi/-che/-ghe. Short words and
// numbers stay as they are.
func stem(w string) string {
	if len(w) <= 3 || isNumber(w) {
		return w
	}
	s := w
	if isVowel(s[len(s)-1]) {
		s = s[:len(s)-1]
		if len(s) > 3 && s[len(s)-1] == 'i' {
			s = s[:len(s)-1]
		}
	}
	if len(s) > 3 && s[len(s)-1] == 'h' && (s[len(s)-2] == 'c' || s[len(s)-2] == 'g') {
		s = s[:len(s)-1]
	}
	return s
}

func isVowel(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' }

func isNumber(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

// isStopword reports Italian function words (after folding), which would
// match every article.
func isStopword(w string) bool {
	switch w {
	case "a", "ad", "al", "all", "alla", "alle", "agli", "ai", "allo", "c", "che", "chi", "ci", "col", "come",
		"con", "cui", "d", "da", "dal", "dall", "dalla", "dalle", "dagli", "dai", "dallo", "de", "dei", "del",
		"dell", "della", "delle", "degli", "dello", "di", "e", "ed", "gli", "i", "il", "in", "l", "la", "le",
		"lo", "ma", "ne", "negli", "nei", "nel", "nell", "nella", "nelle", "nello", "non", "o", "od", "per",
		"piu", "po", "qual", "quale", "quali", "quando", "questo", "questa", "questi", "queste", "se", "si",
		"sia", "sono", "su", "sul", "sull", "sulla", "sulle", "sui", "sugli", "sullo", "tra", "fra", "un",
		"una", "uno", "un'", "va", "e'", "ho", "ha", "hanno", "essere", "cosa", "fare", "the", "of", "and", "to":
		return true
	}
	return false
}
