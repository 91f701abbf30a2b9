package report_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/report"
	"github.com/ascolto/ascolto/store"
)

// TestSitrepSpeaksItalian: an open event's period reads as a sentence,
// and every share has a decimal comma, like the rest of the report.
func TestSitrepSpeaksItalian(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (poppler-utils): text not checked")
	}
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 5, 16, 8, 0, 0, 0, rome)
	s := report.Sitrep{
		Event:       store.EmergencyEvent{Name: "Alluvione", StartedAt: start},
		GeneratedAt: start.Add(30 * time.Hour),
		Total:       43, Last24h: 40, Prev24h: 3,
		Categories: []report.Named{{Label: "Rischio idraulico", N: 16}, {Label: "Frane", N: 27}},
		Forwarded:  5, Rescue: 2, OpenNow: 1, Unacked: 1, MedianAck: 95 * time.Second,
	}
	text := sitrepText(t, s)
	for _, want := range []string{"Dal 16/05/2026 08:00, in corso", "37,2%", "62,8%", "presa in carico 1 min 35 s"} {
		if !strings.Contains(text, want) {
			t.Errorf("sitrep lacks %q:\n%s", want, text)
		}
	}
	if m := regexp.MustCompile(`\d\.\d%|al in corso`).FindString(text); m != "" {
		t.Errorf("sitrep says %q:\n%s", m, text)
	}
	s.Event.EndedAt = start.Add(58 * time.Hour)
	if text := sitrepText(t, s); !strings.Contains(text, "Dal 16/05/2026 08:00 al 18/05/2026 18:00") {
		t.Errorf("a closed event's period:\n%s", text)
	}
}

func sitrepText(t *testing.T, s report.Sitrep) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.RenderSitrep(&b, s); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "sitrep.pdf")
	if err := os.WriteFile(f, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", f, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}
