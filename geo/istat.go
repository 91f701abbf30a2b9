package geo

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

//go:embed data/istat-comuni.csv.gz
var snapshot []byte

// Snapshot returns the bundled list (ISTAT, 1 January 2020; CC BY), so a
// fresh installation can look up comuni without downloading anything.
func Snapshot() (*Dataset, error) {
	zr, err := gzip.NewReader(bytes.NewReader(snapshot))
	if err != nil {
		return nil, fmt.Errorf("geo: open bundled snapshot: %w", err)
	}
	return ParseISTAT(zr)
}

// LineError says which line of an ISTAT file is wrong and why.
type LineError struct {
	Line    int
	Problem string
}

func (e *LineError) Error() string { return fmt.Sprintf("geo: line %d: %s", e.Line, e.Problem) }

// column identifies an ISTAT column by the words its header starts with;
// ISTAT has renamed and reordered columns over the years, so position is
// never trusted.
type column struct {
	key      string
	prefixes []string
	required bool
}

var columns = []column{
	{"regione", []string{"codice regione"}, true},
	{"uts", []string{"codice dell unita territoriale sovracomunale", "codice della provincia", "codice provincia"}, true},
	{"comune", []string{"codice comune formato alfanumerico"}, true},
	{"name", []string{"denominazione in italiano"}, true},
	{"other", []string{"denominazione altra lingua"}, false},
	{"regione_name", []string{"denominazione regione"}, true},
	{"uts_name", []string{"denominazione dell unita territoriale sovracomunale", "denominazione provincia"}, true},
	{"capoluogo", []string{"flag comune capoluogo"}, false},
	{"sigla", []string{"sigla automobilistica"}, true},
	{"catastale", []string{"codice catastale"}, false},
	{"population", []string{"popolazione legale"}, false},
}

// headerKey reduces a header to lower-case words, so "Codice dell'Unità
// territoriale sovracomunale \n(valida a fini statistici)" compares as
// "codice dell unita territoriale sovracomunale valida a fini statistici".
func headerKey(h string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(strings.ToLower(h)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		case r < utf8.RuneSelf:
			space = true
		}
	}
	return b.String()
}

// decode returns the file as UTF-8: ISTAT writes Latin-1 (Windows-1252 in
// practice), but a file re-saved as UTF-8 must work too.
func decode(raw []byte) string {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if utf8.Valid(raw) {
		return string(raw)
	}
	var b strings.Builder
	b.Grow(len(raw) + len(raw)/8)
	for _, c := range raw {
		if r, ok := cp1252[c]; ok {
			b.WriteRune(r)
		} else {
			b.WriteRune(rune(c))
		}
	}
	return b.String()
}

// cp1252 maps the bytes where Windows-1252 differs from Latin-1 (quotes and
// dashes ISTAT's files sometimes carry).
var cp1252 = map[byte]rune{0x80: '€', 0x91: '‘', 0x92: '’', 0x93: '“', 0x94: '”', 0x96: '–', 0x97: '—'}

// ParseISTAT reads ISTAT's "Elenco comuni italiani" CSV (semicolon
// separated, Latin-1, quoted multi-line headers). It checks every row and
// reports the first bad one by line, so an import is all or nothing.
func ParseISTAT(r io.Reader) (*Dataset, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("geo: read ISTAT file: %w", err)
	}
	cr := csv.NewReader(strings.NewReader(decode(raw)))
	cr.Comma = ';'
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("geo: read ISTAT header: %w", err)
	}
	idx := map[string]int{}
	for _, c := range columns {
		for i, h := range header {
			k := headerKey(h)
			for _, p := range c.prefixes {
				if _, taken := idx[c.key]; !taken && strings.HasPrefix(k, p) {
					idx[c.key] = i
				}
			}
		}
		if _, ok := idx[c.key]; !ok && c.required {
			return nil, &LineError{Line: 1, Problem: fmt.Sprintf("missing column %q: is this ISTAT's Elenco comuni italiani?", c.prefixes[0])}
		}
	}
	ds := &Dataset{}
	regioni := map[string]Regione{}
	province := map[string]Provincia{}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &LineError{Line: pe.Line, Problem: pe.Err.Error()}
			}
			return nil, &LineError{Line: line, Problem: err.Error()}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		get := func(key string) string {
			i, ok := idx[key]
			if !ok || i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		if len(rec) <= idx["sigla"] {
			return nil, &LineError{Line: line, Problem: fmt.Sprintf("only %d fields, expected %d", len(rec), len(header))}
		}
		c := Comune{
			Code:          get("comune"),
			Name:          get("name"),
			NameOther:     get("other"),
			ProvinciaCode: get("uts"),
			CadastralCode: get("catastale"),
			Capoluogo:     get("capoluogo") == "1",
		}
		regCode := get("regione")
		switch {
		case !digits(regCode, 2):
			return nil, &LineError{Line: line, Problem: fmt.Sprintf("regione code %q is not 2 digits", regCode)}
		case !digits(c.ProvinciaCode, 3):
			return nil, &LineError{Line: line, Problem: fmt.Sprintf("provincia code %q is not 3 digits", c.ProvinciaCode)}
		case !digits(c.Code, 6):
			return nil, &LineError{Line: line, Problem: fmt.Sprintf("comune code %q is not 6 digits", c.Code)}
		case c.Name == "":
			return nil, &LineError{Line: line, Problem: "comune without a name"}
		}
		if prev, dup := seen[c.Code]; dup {
			return nil, &LineError{Line: line, Problem: fmt.Sprintf("comune %s already on line %d", c.Code, prev)}
		}
		seen[c.Code] = line
		if p := get("population"); p != "" {
			n, err := strconv.Atoi(strings.ReplaceAll(p, ".", ""))
			if err != nil {
				return nil, &LineError{Line: line, Problem: fmt.Sprintf("population %q is not a number", p)}
			}
			c.Population = n
		}
		if _, ok := regioni[regCode]; !ok {
			regioni[regCode] = Regione{Code: regCode, Name: get("regione_name")}
		}
		if p, ok := province[c.ProvinciaCode]; !ok {
			province[c.ProvinciaCode] = Provincia{Code: c.ProvinciaCode, Name: get("uts_name"), Sigla: get("sigla"), RegioneCode: regCode}
		} else if p.RegioneCode != regCode {
			return nil, &LineError{Line: line, Problem: fmt.Sprintf("provincia %s is in regione %s on an earlier line, %s here", p.Code, p.RegioneCode, regCode)}
		}
		ds.Comuni = append(ds.Comuni, c)
	}
	if len(ds.Comuni) == 0 {
		return nil, &LineError{Line: 2, Problem: "no comuni in the file"}
	}
	for _, r := range regioni {
		ds.Regioni = append(ds.Regioni, r)
	}
	for _, p := range province {
		ds.Province = append(ds.Province, p)
	}
	sort.Slice(ds.Regioni, func(i, j int) bool { return ds.Regioni[i].Code < ds.Regioni[j].Code })
	sort.Slice(ds.Province, func(i, j int) bool { return ds.Province[i].Code < ds.Province[j].Code })
	sort.Slice(ds.Comuni, func(i, j int) bool { return ds.Comuni[i].Code < ds.Comuni[j].Code })
	return ds, nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
