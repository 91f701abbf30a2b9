package geo

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"Città di Castello": "cittadicastello",
		"CITTA'":            "citta",
		"L'Aquila":          "laquila",
		"Forlì":             "forli",
		"Scena/Schenna":     "scenaschenna",
		"Straße":            "strasse",
		"Agliè":             "aglie",
	}
	for in, want := range cases {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseOfficialSample(t *testing.T) {
	f, err := os.Open("testdata/istat-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ds, err := ParseISTAT(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Comuni) != 13 {
		t.Fatalf("parsed %d comuni, want 13", len(ds.Comuni))
	}
	by := map[string]Comune{}
	for _, c := range ds.Comuni {
		by[c.Name] = c
	}
	cdc, ok := by["Città di Castello"]
	if !ok {
		t.Fatalf("Latin-1 name not decoded; names: %v", names(ds))
	}
	if cdc.Code != "054013" || cdc.ProvinciaCode != "054" {
		t.Fatalf("Città di Castello = %+v", cdc)
	}
	aq := by["L'Aquila"]
	if aq.Code != "066049" || !aq.Capoluogo || aq.Population != 66964 {
		t.Fatalf("L'Aquila = %+v", aq)
	}
	bz := by["Bolzano"]
	if bz.NameOther != "Bozen" {
		t.Fatalf("Bolzano other name = %q", bz.NameOther)
	}
	var abruzzo, aqProv bool
	for _, r := range ds.Regioni {
		abruzzo = abruzzo || (r.Code == "13" && r.Name == "Abruzzo")
	}
	for _, p := range ds.Province {
		aqProv = aqProv || (p.Code == "066" && p.Sigla == "AQ" && p.RegioneCode == "13" && p.Name == "L'Aquila")
	}
	if !abruzzo || !aqProv {
		t.Fatalf("regioni %v province %v", ds.Regioni, ds.Province)
	}
}

func TestParseUTF8Resaved(t *testing.T) {
	raw, _ := os.ReadFile("testdata/istat-sample.csv")
	ds, err := ParseISTAT(strings.NewReader(decode(raw)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range ds.Comuni {
		found = found || c.Name == "Forlì"
	}
	if !found {
		t.Fatal("UTF-8 file lost its accents")
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	raw, _ := os.ReadFile("testdata/istat-sample.csv")
	lines := bytes.Split(raw, []byte("\r\n"))
	// Physical lines 1-3 are the header (quoted newlines); line 6 is the third row.
	broken := func(mut func(fields [][]byte)) []byte {
		out := make([][]byte, len(lines))
		copy(out, lines)
		f := bytes.Split(append([]byte{}, out[5]...), []byte(";"))
		mut(f)
		out[5] = bytes.Join(f, []byte(";"))
		return bytes.Join(out, []byte("\r\n"))
	}
	cases := []struct {
		name string
		src  []byte
		want string
	}{
		{"bad comune code", broken(func(f [][]byte) { f[4] = []byte("12AB45") }), "comune code"},
		{"empty name", broken(func(f [][]byte) { f[6] = nil }), "without a name"},
		{"bad population", broken(func(f [][]byte) { f[19] = []byte("many") }), "population"},
		{"truncated row", broken(func(f [][]byte) {
			for i := 3; i < len(f); i++ {
				f[i] = nil
			}
		}), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseISTAT(bytes.NewReader(tc.src))
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want *LineError", err)
			}
			if le.Line != 6 || !strings.Contains(le.Problem, tc.want) {
				t.Fatalf("err = %v, want line 6 mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := ParseISTAT(strings.NewReader("nome;codice\nRoma;058091\n")); err == nil || !strings.Contains(err.Error(), "missing column") {
		t.Fatalf("foreign CSV accepted: %v", err)
	}
}

func TestSnapshot(t *testing.T) {
	ds, err := Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Comuni) != 7904 || len(ds.Regioni) != 20 || len(ds.Province) != 107 {
		t.Fatalf("snapshot: %d comuni, %d regioni, %d province", len(ds.Comuni), len(ds.Regioni), len(ds.Province))
	}
}

// TestFullOfficialFile parses a whole ISTAT file when CI provides one.
func TestFullOfficialFile(t *testing.T) {
	path := os.Getenv("ASCOLTO_TEST_ISTAT_CSV")
	if path == "" {
		t.Skip("ASCOLTO_TEST_ISTAT_CSV not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ds, err := ParseISTAT(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Comuni) < 7800 {
		t.Fatalf("only %d comuni", len(ds.Comuni))
	}
}

func names(ds *Dataset) []string {
	var n []string
	for _, c := range ds.Comuni {
		n = append(n, c.Name)
	}
	return n
}
