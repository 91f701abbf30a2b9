package fax

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

var bg = context.Background()

func fixture(t testing.TB, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s missing (run testdata/make-fixtures.sh): %v", name, err)
	}
	return p
}

func TestDecodeFixtures(t *testing.T) {
	for _, tc := range []struct {
		file       string
		pages      int
		w, h       int
		xdpi, ydpi float64
		partial    bool
		fails      bool
	}{
		{"fine-g4-3pages.tif", 3, 1728, 2200, 204, 196, false, false},
		{"standard-g3-2pages.tif", 2, 1728, 1100, 204, 98, false, false},
		{"truncated.tif", 1, 1728, 2200, 204, 196, true, false},
		{"spandsp-mr-3pages.tif", 3, 1728, 2232, 204, 196, false, false},
		{"not-a-tiff.tif", 0, 0, 0, 0, 0, false, true},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			pages, err := DecodeTIFF(b)
			if tc.fails {
				if err == nil || len(pages) != 0 {
					t.Fatalf("decoded %d pages of a non-TIFF", len(pages))
				}
				return
			}
			if (err != nil) != tc.partial || len(pages) != tc.pages {
				t.Fatalf("%d pages, err %v", len(pages), err)
			}
			for _, p := range pages {
				if b := p.Image.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h || p.XDPI != tc.xdpi || p.YDPI != tc.ydpi {
					t.Fatalf("page %v at %vx%v dpi", b, p.XDPI, p.YDPI)
				}
			}
		})
	}
}

// What Asterisk's ReceiveFAX (spandsp) wrote when a fax machine sent three
// pages in T.4 two-dimensional coding (Group 3 "MR", fill bits before each
// EOL, LSB first), which golang.org/x/image cannot read: recoded by libtiff,
// the same pixels as the reference copy made once with tiffcp -c g4.
func TestDecodeReceiveFAXTwoDimensional(t *testing.T) {
	read := func(name string) []Page {
		b, err := os.ReadFile(fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		pages, err := DecodeTIFF(b)
		if err != nil || len(pages) != 3 {
			t.Fatalf("%s: %d pages, %v", name, len(pages), err)
		}
		return pages
	}
	got, want := read("spandsp-mr-3pages.tif"), read("spandsp-mr-3pages-as-g4.tif")
	for i := range got {
		g, w := got[i].Image, want[i].Image
		if g.Bounds() != w.Bounds() {
			t.Fatalf("page %d: %v, want %v", i+1, g.Bounds(), w.Bounds())
		}
		diff, black := 0, 0
		for y := 0; y < g.Bounds().Dy(); y++ {
			for x := 0; x < g.Bounds().Dx(); x++ {
				gv, _, _, _ := g.At(x, y).RGBA()
				wv, _, _, _ := w.At(x, y).RGBA()
				if gv != wv {
					diff++
				}
				if wv == 0 {
					black++
				}
			}
		}
		if diff != 0 || black < 10000 {
			t.Errorf("page %d: %d pixels differ from libtiff's reading (%d black)", i+1, diff, black)
		}
	}
}

// Without libtiff's tiffcp a two-dimensional Group 3 fax is not decoded,
// and the error says what to install.
func TestTwoDimensionalFaxWithoutTiffcp(t *testing.T) {
	old := Tiffcp
	Tiffcp = "ascolto-no-such-tiffcp"
	defer func() { Tiffcp = old }()
	b, err := os.ReadFile(fixture(t, "spandsp-mr-3pages.tif"))
	if err != nil {
		t.Fatal(err)
	}
	pages, err := DecodeTIFF(b)
	if len(pages) != 0 || err == nil || !strings.Contains(err.Error(), "libtiff-tools") {
		t.Fatalf("%d pages, %v: want none and the package to install", len(pages), err)
	}
}

// The PDF is checked as a reader would: every xref offset lands on its
// object, pages have the fax's real size, and poppler renders it when
// installed.
func TestWritePDF(t *testing.T) {
	b, _ := os.ReadFile(fixture(t, "standard-g3-2pages.tif"))
	pages, err := DecodeTIFF(b)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WritePDF(&buf, pages); err != nil {
		t.Fatal(err)
	}
	pdf := buf.Bytes()
	if !bytes.HasPrefix(pdf, []byte("%PDF-1.4")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
		t.Fatal("not framed as a PDF")
	}
	m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(pdf)
	xref, _ := strconv.Atoi(string(m[1]))
	if !bytes.HasPrefix(pdf[xref:], []byte("xref\n")) {
		t.Fatal("startxref does not point at the xref table")
	}
	entries := regexp.MustCompile(`(\d{10}) 00000 n `).FindAllSubmatch(pdf[xref:], -1)
	for i, e := range entries {
		off, _ := strconv.Atoi(string(e[1]))
		if want := strconv.Itoa(i+1) + " 0 obj"; !bytes.HasPrefix(pdf[off:], []byte(want)) {
			t.Fatalf("xref entry %d points at %q", i+1, pdf[off:off+12])
		}
	}
	if n := bytes.Count(pdf, []byte("/MediaBox [0 0 609.88 808.16]")); n != 2 {
		t.Fatalf("%d pages at A4 fax size (standard resolution stretched 2x), want 2", n)
	}
	if _, err := exec.LookPath("pdftoppm"); err == nil {
		dir := t.TempDir()
		path := filepath.Join(dir, "fax.pdf")
		os.WriteFile(path, pdf, 0o600)
		if out, err := exec.Command("pdftoppm", "-r", "10", "-png", path, filepath.Join(dir, "p")).CombinedOutput(); err != nil || len(out) > 0 {
			t.Fatalf("poppler cannot render it: %v %s", err, out)
		}
	}
}

type job struct {
	name   string
	file   string
	status string
	pages  int
	review string // a review reason substring, "" for none
	files  []string
}

func TestProcessTurnsFaxesIntoCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in, err := New(Options{Store: db, NoOCR: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, tc := range []job{
			{name: "ok", file: "fine-g4-3pages.tif", status: "SUCCESS", pages: 3, files: []string{"application/pdf", "image/tiff"}},
			{name: "partial", file: "truncated.tif", status: "SUCCESS", pages: 3, review: "fax parziale: 1 pagine leggibili su 3",
				files: []string{"application/pdf", "image/tiff"}},
			{name: "failed with pages", file: "standard-g3-2pages.tif", status: "FAILED", pages: 2, review: "esito FAILED",
				files: []string{"application/pdf", "image/tiff"}},
			{name: "not a tiff", file: "not-a-tiff.tif", status: "SUCCESS", pages: 1, review: "non si decodifica",
				files: []string{"application/octet-stream"}},
			{name: "no file", file: "", status: "FAILED", pages: 0, review: "esito FAILED"},
			{name: "file gone", file: "/nonexistent/fax.tif", status: "SUCCESS", pages: 2, review: "non si trova"},
		} {
			path := tc.file
			if path != "" && !filepath.IsAbs(path) {
				path = fixture(t, path)
			}
			j := store.FaxJob{ChannelID: "chan-" + strconv.Itoa(i), Caller: "+390862" + strconv.Itoa(100000+i), Called: "0862000000",
				Status: tc.status, Error: map[bool]string{true: "", false: "T.30 timeout"}[tc.status == "SUCCESS"],
				Pages: tc.pages, RemoteStation: "COMUNE PAGANICA", File: path, ReceivedAt: time.Now()}
			if err := db.EnqueueFax(bg, &j); err != nil {
				t.Fatal(err)
			}
			c, err := in.Process(bg, j)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			tl, err := db.FullTimeline(bg, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if c.Channel != store.ChannelFax || c.ContactPhone != j.Caller || len(tl.Entries) != 1 ||
				!strings.Contains(tl.Entries[0].Content, "COMUNE PAGANICA") {
				t.Fatalf("%s: case %+v timeline %+v", tc.name, c, tl.Entries)
			}
			var types []string
			for _, a := range tl.Entries[0].Attachments {
				types = append(types, a.ContentType)
			}
			if strings.Join(types, ",") != strings.Join(tc.files, ",") {
				t.Fatalf("%s: attachments %v, want %v", tc.name, types, tc.files)
			}
			switch {
			case tc.review == "" && len(tl.Reviews) != 0:
				t.Fatalf("%s: unexpected review %+v", tc.name, tl.Reviews)
			case tc.review != "" && (len(tl.Reviews) == 0 || !strings.Contains(tl.Reviews[0].Reason, tc.review)):
				t.Fatalf("%s: reviews %+v, want %q", tc.name, tl.Reviews, tc.review)
			}
			if done, _ := db.FaxJobByChannel(bg, j.ChannelID); done.State != "done" || done.CaseID != c.ID {
				t.Fatalf("%s: job %+v", tc.name, done)
			}
			// Processing a job twice never makes two cases.
			if again, err := in.Process(bg, j); err != nil || again.ID != 0 {
				t.Fatalf("%s: second processing %+v %v", tc.name, again, err)
			}
		}
		if got, _ := db.SearchCases(bg, store.CaseQuery{Text: "0862 100000"}); len(got) != 1 {
			t.Fatalf("fax not found by the sender's number: %+v", got)
		}
	})
}

func TestOCRMakesTheFaxSearchable(t *testing.T) {
	ocr, err := FindOCR(bg, "ita", time.Minute)
	if err != nil {
		t.Skipf("%v: the fax path without OCR is covered by the other tests", err)
	}
	db := storetest.SQLite(t)
	in, err := New(Options{Store: db, OCR: ocr})
	if err != nil {
		t.Fatal(err)
	}
	j := store.FaxJob{ChannelID: "ocr-1", Caller: "+390862111222", Status: "SUCCESS", Pages: 3,
		File: fixture(t, "fine-g4-3pages.tif"), ReceivedAt: time.Now()}
	if err := db.EnqueueFax(bg, &j); err != nil {
		t.Fatal(err)
	}
	c, err := in.Process(bg, j)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Summary, "PAGANICA") {
		t.Fatalf("summary %q", c.Summary)
	}
	for _, q := range []string{"frana", "Collebrincioni", "famiglie evacuate"} {
		got, err := db.SearchCases(bg, store.CaseQuery{Text: q})
		if err != nil || len(got) != 1 || got[0].ID != c.ID {
			t.Fatalf("search %q: %+v %v", q, got, err)
		}
	}
}

// The hand-over is a durable job: a worker that starts later (a restart)
// finds it, and a repeated report of the same channel is one case.
func TestHandOverIsDurable(t *testing.T) {
	db := storetest.SQLite(t)
	first, _ := New(Options{Store: db, NoOCR: true})
	res := ari.FaxResult{ChannelID: "chan-x", CallID: 0, Caller: "+390862999888", Status: "SUCCESS", Pages: 2,
		File: fixture(t, "standard-g3-2pages.tif"), At: time.Now()}
	start := time.Now()
	first.FaxReceived(bg, res)
	first.FaxReceived(bg, res)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("hand-over took %v", d)
	}
	// No worker ran: the process "crashed". A new one picks the job up.
	second, _ := New(Options{Store: db, NoOCR: true})
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { second.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if j, err := db.FaxJobByChannel(bg, "chan-x"); err == nil && j.State == "done" {
			cs, _ := db.Cases(bg, store.CaseFilter{})
			if len(cs) != 1 || cs[0].ID != j.CaseID {
				t.Fatalf("cases %+v", cs)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the pending fax was never processed")
}

// The line a sending fax machine prints at the top of the page (date,
// time, sender, page: what OCR read on a fax received by the real
// Asterisk) is not what the fax is about.
func TestSummarySkipsTheSendersHeader(t *testing.T) {
	j := store.FaxJob{Caller: "+390862970001"}
	for _, c := range []struct{ text, want string }{
		{"Y-Dec-2926 11:56 Comune di Paganica +39 9862 970001 p.i\n\nCOMUNE DI PAGANICA - UFFICIO TECNICO\nSegnalazione frana", "Fax: COMUNE DI PAGANICA - UFFICIO TECNICO"},
		{"07/12/2026 12.05 DA: 0862970001 PAG. 1/3\nRichiesta di intervento urgente", "Fax: Richiesta di intervento urgente"},
		// Read on 8 December at 02:23: both zeros misread, no word boundary before the hour.
		{"B-Dec-2926 B2:23 Comune di Paganica +39 9862 970001 p.i\nCOMUNE DI PAGANICA - UFFICIO TECNICO", "Fax: COMUNE DI PAGANICA - UFFICIO TECNICO"},
		{"COMUNE DI PAGANICA - UFFICIO TECNICO\nriunione alle 10:30", "Fax: COMUNE DI PAGANICA - UFFICIO TECNICO"},
		{"solo 11:56 nient'altro", "Fax da +390862970001, 2 pagine"},
		{"", "Fax da +390862970001, 2 pagine"},
	} {
		if got := summary(j, c.text, 2); got != c.want {
			t.Errorf("summary of %q = %q, want %q", c.text, got, c.want)
		}
	}
}

// Whatever a caller sends to the fax number ends up in the TIFF the
// decoder reads: no input may make it panic or hang.
func FuzzDecodeTIFF(f *testing.F) {
	for _, name := range []string{"fine-g4-3pages.tif", "standard-g3-2pages.tif", "spandsp-mr-3pages.tif", "truncated.tif"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeTIFF(b)
	})
}
