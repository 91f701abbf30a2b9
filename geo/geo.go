package geo

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Regione is an Italian region, by its 2-digit ISTAT code.
type Regione struct {
	Code string
	Name string
}

// Provincia is a province or equivalent (città metropolitana, libero
// consorzio, UTS), by its 3-digit ISTAT code, with its car-plate sigla.
type Provincia struct {
	Code        string
	Name        string
	Sigla       string
	RegioneCode string
}

// Comune is a municipality, by its 6-digit ISTAT code.
type Comune struct {
	Code          string
	Name          string // Italian name
	NameOther     string // name in the other official language, if any (e.g. "Bozen")
	ProvinciaCode string
	CadastralCode string
	Capoluogo     bool
	Population    int // legal population at the last census the file carries; 0 if absent
}

// Dataset is a whole list of regioni, province and comuni.
type Dataset struct {
	Regioni  []Regione
	Province []Provincia
	Comuni   []Comune
}

// Normalize turns a place name into its search key: lower case, accents
// removed, and everything but letters and digits dropped, so that "citta",
// "Città" and "CITTA'" all find "Città di Castello", and "laquila" or
// "l'aquila" find "L'Aquila".
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// combining accent: dropped
		case r == 'ß':
			b.WriteString("ss")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// Places joins a dataset into places (all current), for an Index built
// straight from a file or the snapshot.
func Places(ds *Dataset) []Place {
	regioni := map[string]Regione{}
	for _, r := range ds.Regioni {
		regioni[r.Code] = r
	}
	province := map[string]Provincia{}
	for _, p := range ds.Province {
		province[p.Code] = p
	}
	out := make([]Place, 0, len(ds.Comuni))
	for _, c := range ds.Comuni {
		p := province[c.ProvinciaCode]
		out = append(out, Place{Code: c.Code, Name: c.Name, NameOther: c.NameOther, ProvinciaCode: c.ProvinciaCode,
			Provincia: p.Name, Sigla: p.Sigla, RegioneCode: p.RegioneCode, Regione: regioni[p.RegioneCode].Name,
			Population: c.Population, Active: true})
	}
	return out
}
