package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEmergencyCommands drives the on-call and emergency commands through
// the binary: a roster with odd phone numbers, a refused one, who is on
// call, an activation opened (with no service running: it says so), a
// second one refused, the board, the report, and the close back to the
// ordinary mode.
func TestEmergencyCommands(t *testing.T) {
	for name, envs := range engines(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			run := func(args ...string) (string, string, int) { return cliIn(t, envs, "", args...) }
			roster := filepath.Join(dir, "roster.yaml")
			os.WriteFile(roster, []byte(`quorum: 1
waves: [{name: primary, wait: 5m}, {name: coordinators, wait: 0s, rest: true, role: coordinator}]
people:
  - {id: rossi, name: Mario Rossi, phone: "340 111 1111", role: operator, wave: primary}
  - {id: conti, name: Elena Conti, phone: "0039 (0862) 12.34.56", role: coordinator}
`), 0o600)
			if _, errs, code := run("emergency", "open", "--event", "x", "--requested-by", "y", "--reason", "z"); code == 0 || !strings.Contains(errs, "oncall roster import") {
				t.Fatalf("open without a roster: %d %s", code, errs)
			}
			bad := filepath.Join(dir, "bad.yaml")
			os.WriteFile(bad, []byte("quorum: 1\nwaves: [{name: p, wait: 1m}]\npeople:\n  - {id: a, name: A, phone: \"12ab\", role: operator}\n"), 0o600)
			if _, errs, code := run("oncall", "roster", "import", bad); code == 0 || !strings.Contains(errs, "12ab") {
				t.Fatalf("bad roster: %d %s", code, errs)
			}
			if out, errs, code := run("oncall", "roster", "import", roster); code != 0 || !strings.Contains(out, "2 persone") {
				t.Fatalf("import: %d %s %s", code, out, errs)
			}
			if out, _, _ := run("oncall", "roster", "show"); !strings.Contains(out, "+393401111111") || !strings.Contains(out, "Elena Conti +390862123456") ||
				!regexp.MustCompile(`Reperibili (lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica) \d\d/\d\d/\d{4} \d\d:\d\d:`).MatchString(out) {
				t.Fatalf("show: %s", out)
			}
			if out, _, _ := run("oncall", "roster", "export", "--format", "ics"); !strings.Contains(out, "BEGIN:VCALENDAR") {
				t.Fatalf("export ics: %s", out)
			}
			out, errs, code := run("emergency", "open", "--event", "Alluvione", "--requested-by", "DPC", "--reason", "riapertura")
			if code != 0 || !strings.Contains(out, "aperta") || !strings.Contains(out, "Modalità emergenza") || !strings.Contains(errs, "nessun servizio") {
				t.Fatalf("open: %d %s %s", code, out, errs)
			}
			if _, errs, code := run("emergency", "open", "--event", "Alluvione", "--requested-by", "DPC", "--reason", "di nuovo"); code == 0 || !strings.Contains(errs, "già aperta") {
				t.Fatalf("second open: %d %s", code, errs)
			}
			if out, _, _ := run("mode", "show"); !strings.Contains(out, "emergenza") && !strings.Contains(out, "emergency") {
				t.Fatalf("mode after open: %s", out)
			}
			if out, _, code := run("emergency", "status"); code != 0 || !strings.Contains(out, "Alluvione") || !strings.Contains(out, "Mario Rossi") {
				t.Fatalf("status: %d %s", code, out)
			}
			// Words, not codes: the wave, the person's state, the activation's.
			if out, _, _ := run("emergency", "status"); !regexp.MustCompile(`primaria +Mario Rossi +da chiamare`).MatchString(out) ||
				!strings.Contains(out, "(in corso)") || strings.Contains(out, "WAITING") || strings.Contains(out, "running") {
				t.Errorf("status speaks codes:\n%s", out)
			}
			csv, pdf := filepath.Join(dir, "r.csv"), filepath.Join(dir, "r.pdf")
			if _, errs, code := run("emergency", "report", "--csv", csv, "--pdf", pdf); code != 0 {
				t.Fatalf("report: %s", errs)
			}
			c, _ := os.ReadFile(csv)
			p, _ := os.ReadFile(pdf)
			if !strings.Contains(string(c), "activation.open") || !strings.Contains(string(c), "activation.mode") || !strings.HasPrefix(string(p), "%PDF") {
				t.Fatalf("report files: %s", c)
			}
			// The PDF speaks the board's words too (the CSV keeps the codes, for programs).
			if _, err := exec.LookPath("pdftotext"); err == nil {
				txt, err := exec.Command("pdftotext", "-layout", pdf, "-").CombinedOutput()
				if err != nil {
					t.Fatalf("pdftotext: %v %s", err, txt)
				}
				if !regexp.MustCompile(`Mario Rossi +primaria +da chiamare`).Match(txt) || !strings.Contains(string(txt), "modalità: emergenza (H24)") ||
					regexp.MustCompile(`\b(primary|waiting|emergency)\b`).Match(txt) {
					t.Errorf("the PDF speaks codes:\n%s", txt)
				}
			}
			if out, errs, code := run("emergency", "close", "--reason", "fine"); code != 0 || !strings.Contains(out, "chiusa") || !strings.Contains(out, "Modalità in vigore: ordinaria.") {
				t.Fatalf("close: %d %s %s", code, out, errs)
			}
			if _, errs, code := run("emergency", "close"); code == 0 || !strings.Contains(errs, "nessuna attivazione aperta") {
				t.Fatalf("second close: %d %s", code, errs)
			}
		})
	}
}
