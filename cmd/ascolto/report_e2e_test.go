package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
)

func TestEventAndReportCommands(t *testing.T) {
	for name, envs := range engines(t) {
		t.Run(name, func(t *testing.T) {
			run := func(args ...string) (string, string, int) { return cliIn(t, envs, "", args...) }
			start := time.Now().Add(-2 * time.Hour).In(mustRome(t)).Format("2006-01-02T15:04")
			for _, r := range []struct {
				args []string
				want string
			}{
				{[]string{"event", "open", "X", "--area", "999"}, "999"},
				{[]string{"event", "open", "X", "--area", "8"}, "8"},
				{[]string{"event", "open", "X", "--start", "domani"}, "--start"},
				{[]string{"event", "close", "7"}, "non esiste"},
				{[]string{"report", "--by", "colour"}, "campo sconosciuto \"colour\""},
				{[]string{"--lang", "en", "report", "--where", "comune=999999"}, "ISTAT code 999999 matches no known comune"},
				{[]string{"report", "--where", "category"}, "CAMPO=VALORI"},
				{[]string{"report", "--from", "2020-01-01", "--to", "2026-01-01", "--bucket", "15m"}, "periodo troppo lungo"},
				{[]string{"report", "--event", "nessuno"}, "nessun evento si chiama"},
			} {
				if _, errs, code := run(r.args...); code == 0 || !strings.Contains(errs, r.want) {
					t.Errorf("%v: exit %d, stderr %q, want %q", r.args, code, errs, r.want)
				}
			}
			out, errs, code := run("event", "open", "Alluvione Emilia-Romagna, maggio 2026", "--area", "08,037", "--start", start)
			if code != 0 || !strings.Contains(out, "Evento 1 aperto: Alluvione Emilia-Romagna, maggio 2026") {
				t.Fatalf("event open: %d %q %q", code, out, errs)
			}
			// Requests arrive while the event is open.
			db := openEnvStore(t, envs)
			want := map[string]int{}
			for i := range 60 {
				cat := []string{"idraulico", "disalimentazione", "viabilita"}[i%3]
				comune := []string{"037006", "040012", "066049"}[i%3/2]
				c := store.Case{Channel: store.ChannelPhone, Category: cat, ComuneCode: comune}
				if err := db.CreateCase(context.Background(), &c); err != nil {
					t.Fatal(err)
				}
				want[cat]++
			}
			out, errs, code = run("report", "--event", "1", "--by", "category", "--format", "csv")
			if code != 0 {
				t.Fatalf("report csv: %d %s", code, errs)
			}
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || len(recs) != 4 || strings.Join(recs[0], ",") != "category,category_label,n" {
				t.Fatalf("csv %q %v", out, err)
			}
			for _, r := range recs[1:] {
				if n, _ := strconv.Atoi(r[2]); n != want[r[0]] {
					t.Fatalf("%s: %d, want %d", r[0], n, want[r[0]])
				}
			}
			out, _, code = run("report", "--event", "Alluvione", "--by", "category,provincia", "--bucket", "hour", "--format", "json")
			var res struct {
				Total  int64
				Source string
				Rows   []struct{ Keys []string }
			}
			if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Total != 60 || res.Source != "rollup-hour" {
				t.Fatalf("report json: %d %+v %.300s", code, res, out)
			}
			out, _, code = run("report", "--event", "1", "--by", "provincia", "--trend")
			if code != 0 || !strings.Contains(out, "Bologna") || !strings.Contains(out, "Totale: 60 richieste") {
				t.Fatalf("table: %d %s", code, out)
			}
			out, _, code = run("report", "--event", "1", "--by", "comune", "--format", "geojson")
			if code != 0 || !strings.Contains(out, `"istat":"037006"`) {
				t.Fatalf("geojson: %d %.300s", code, out)
			}
			dir := t.TempDir()
			file := filepath.Join(dir, "richieste.csv")
			_, errs, code = run("report", "export", "--event", "1", "--format", "csv", "--out", file)
			body, _ := os.ReadFile(file)
			if code != 0 || strings.Count(string(body), "\n") != 61 || !strings.Contains(errs, "60 richieste esportate") {
				t.Fatalf("export: %d %q, %d lines", code, errs, strings.Count(string(body), "\n"))
			}
			pdf := filepath.Join(dir, "sitrep.pdf")
			if _, errs, code := run("report", "sitrep", "--event", "1", "--out", pdf); code != 0 {
				t.Fatalf("sitrep: %s", errs)
			}
			if b, _ := os.ReadFile(pdf); !bytes.HasPrefix(b, []byte("%PDF-")) {
				t.Fatal("sitrep is not a PDF")
			}
			if out, _, code := run("event", "close", "1"); code != 0 || !strings.Contains(out, "Evento 1 chiuso") {
				t.Fatalf("close: %d %s", code, out)
			}
			if _, errs, code := run("event", "close", "1"); code == 0 || !strings.Contains(errs, "già chiuso") {
				t.Fatalf("close twice: %d %s", code, errs)
			}
			if out, _, _ := run("event", "list"); !strings.Contains(out, "Alluvione Emilia-Romagna, maggio 2026") || !strings.Contains(out, "08,237") {
				t.Fatalf("list: %s", out)
			}
			if out, _, code := run("report", "rebuild"); code != 0 || !strings.Contains(out, "Conteggi ricalcolati: 60") {
				t.Fatalf("rebuild: %d %s", code, out)
			}
		})
	}
}

func mustRome(t *testing.T) *time.Location {
	l, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestImportBoundaries runs `ascolto geo import-boundaries` in-process
// (the lead registers it under `geo`) on the shared ISTAT/openpolis files.
func TestImportBoundaries(t *testing.T) {
	regions := "../../../shared/geo/limits_IT_regions.geojson"
	provinces := "../../../shared/geo/limits_IT_provinces.geojson"
	if _, err := os.Stat(provinces); err != nil {
		t.Skipf("../shared/geo not available: %v", err)
	}
	dataDir := t.TempDir()
	runIn := func(args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		e := env{stdout: &out, stderr: &errb, stdin: strings.NewReader(""),
			getenv: func(k string) string {
				if k == "ASCOLTO_DATA_DIR" {
					return dataDir
				}
				return ""
			},
			environ: func() []string { return []string{"ASCOLTO_DATA_DIR=" + dataDir} }}
		a := &app{env: e, clock: clock.Real()}
		root := a.rootCmd()
		geoCmd, _, err := root.Find([]string{"geo"})
		if err != nil {
			t.Fatal(err)
		}
		if c, _, err := root.Find([]string{"geo", "import-boundaries"}); err != nil || c == geoCmd {
			geoCmd.AddCommand(a.geoBoundariesCmd())
		}
		root.SetArgs(args)
		root.SetOut(&out)
		root.SetErr(&errb)
		err = root.ExecuteContext(context.Background())
		return out.String(), errb.String(), err
	}
	out, _, err := runIn("geo", "import-boundaries", regions)
	if err != nil || !strings.Contains(out, "Importati i confini di 20 regioni") {
		t.Fatalf("regions: %v %s", err, out)
	}
	out, _, err = runIn("geo", "import-boundaries", provinces)
	if err != nil || !strings.Contains(out, "Importati i confini di 107 province") || !strings.Contains(out, "ricondotti") {
		t.Fatalf("provinces: %v %s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.geojson")
	os.WriteFile(bad, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"prov_istat_code":"555"},
		"geometry":{"type":"Polygon","coordinates":[[[11,44],[12,44],[12,45],[11,44]]]}}]}`), 0o600)
	if _, _, err := runIn("geo", "import-boundaries", bad); err == nil || !strings.Contains(err.Error(), "555") ||
		!strings.Contains(err.Error(), "nessuna modifica") {
		t.Fatalf("unknown province: %v", err)
	}
	if _, _, err := runIn("geo", "import-boundaries", filepath.Join(t.TempDir(), "assente.geojson")); err == nil {
		t.Fatal("a missing file was imported")
	}
	db := openEnvStore(t, []string{"ASCOLTO_DATA_DIR=" + dataDir})
	counts, err := db.BoundaryCounts(context.Background())
	if err != nil || counts[store.GeoProvincia] != 107 || counts[store.GeoRegione] != 20 {
		t.Fatalf("stored %v %v", counts, err)
	}
}
