package intake

import (
	"bytes"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// FuzzSniff: a file is accepted only for the magic bytes of the kinds the
// form takes, and a PDF only with its end marker.
func FuzzSniff(f *testing.F) {
	for _, s := range []string{"\xFF\xD8\xFF\xE0JFIF", "\x89PNG\r\n\x1a\nIHDR", "RIFF\x00\x00\x00\x00WEBPVP8 ",
		"\x00\x00\x00\x18ftypheic", "%PDF-1.7\n1 0 obj\n%%EOF\n", "%PDF-1.4 no end", "MZ\x90\x00", "", "RIFF", "\x00\x00\x00\x18ftyp"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, ok := sniff(b)
		if !ok {
			if k != (fileKind{}) {
				t.Fatalf("refused with a kind %+v", k)
			}
			return
		}
		var magic bool
		switch k.ContentType {
		case "image/jpeg":
			magic = bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF})
		case "image/png":
			magic = bytes.HasPrefix(b, []byte("\x89PNG"))
		case "image/webp":
			magic = bytes.HasPrefix(b, []byte("RIFF")) && string(b[8:12]) == "WEBP"
		case "image/heic":
			magic = string(b[4:8]) == "ftyp"
		case "application/pdf":
			magic = bytes.HasPrefix(b, []byte("%PDF-")) && bytes.Contains(b[max(0, len(b)-2048):], []byte("%%EOF"))
		}
		if !magic || !strings.HasPrefix(k.Ext, ".") {
			t.Fatalf("%q accepted as %+v", b[:min(len(b), 16)], k)
		}
	})
}

// FuzzCleanName: whatever name the browser sends, the stored one has no
// directory, no control character, no quote, and at most 100 characters.
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"foto.jpg", `C:\Users\anna\Desktop\foto.jpg`, "../../etc/passwd", "a\x00b\r\nc\"d", "", "/", "\\", strings.Repeat("è", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, n string) {
		c := cleanName(n)
		if c == "" || strings.ContainsAny(c, `/\"`) || utf8.RuneCountInString(c) > 100 {
			t.Fatalf("cleanName(%q) = %q", n, c)
		}
		for _, r := range c {
			if r < 32 || r == 127 {
				t.Fatalf("cleanName(%q) = %q keeps a control character", n, c)
			}
		}
	})
}

var trackingID = regexp.MustCompile(`CC-\d{4}-\d{6,}`)

// FuzzSubmit posts the form with arbitrary values in every free field (the
// category and the consent are valid, so many submissions are stored): the
// form never fails with a server error, and what it stores has finite
// coordinates in range and one-line fields without control characters.
func FuzzSubmit(f *testing.F) {
	f.Add("Allagamento in via Roma, acqua alta 40 cm", "Faenza", "44.28", "11.88", "Anna Bianchi", "anna@example.it", "+39 340 123 4567", "foto.jpg", []byte("\xFF\xD8\xFF\xE0"))
	f.Add("Albero caduto sulla strada provinciale", "Bologna", "", "", "", "mario@example.it", "", "", []byte(nil))
	f.Add("Richiesta di aiuto: anziana isolata", "Forlì", "44,22", "12,04", "Maria", "maria@example.it", "0546 123456", "", []byte(nil))
	db := storetest.SQLite(f)
	form, err := New(Options{Store: db, PerAddress: Limit{Burst: 1 << 30, Every: time.Nanosecond}})
	if err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	form.Mount(mux)
	cats := form.categories(bg, "it")
	if len(cats) == 0 {
		f.Fatal("no categories")
	}
	f.Fuzz(func(t *testing.T, descr, comune, lat, lon, name, email, phone, fname string, fdata []byte) {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for k, v := range map[string]string{"categoria": cats[len(descr)%len(cats)].Value, "consenso": "1", "descrizione": descr,
			"comune_nome": comune, "lat": lat, "lon": lon, "nome": name, "email": email, "telefono": phone} {
			w.WriteField(k, v)
		}
		if fname != "" || len(fdata) > 0 {
			fw, _ := w.CreateFormFile("allegati", fname)
			fw.Write(fdata)
		}
		w.Close()
		req := httptest.NewRequest(http.MethodPost, "/segnalazione", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d:\n%s", rec.Code, rec.Body)
		}
		tid := trackingID.FindString(rec.Body.String())
		if rec.Code != http.StatusOK || tid == "" {
			return
		}
		for _, v := range []string{lat, lon} {
			if x, err := strconv.ParseFloat(strings.TrimSpace(strings.ReplaceAll(v, ",", ".")), 64); err == nil && (math.IsNaN(x) || math.IsInf(x, 0)) {
				t.Fatalf("stored %s with a position of %q, %q", tid, lat, lon)
			}
		}
		c, err := db.CaseByTrackingID(bg, tid)
		if err != nil {
			t.Fatal(err)
		}
		checkStored(t, c)
	})
}

func checkStored(t *testing.T, c store.Case) {
	t.Helper()
	if (c.Lat == nil) != (c.Lon == nil) {
		t.Fatalf("half a position: %v %v", c.Lat, c.Lon)
	}
	if c.Lat != nil {
		la, lo := *c.Lat, *c.Lon
		if math.IsNaN(la) || math.IsNaN(lo) || la < -90 || la > 90 || lo < -180 || lo > 180 {
			t.Fatalf("stored position %v, %v", la, lo)
		}
	}
	for field, v := range map[string]string{"name": c.ContactName, "email": c.ContactEmail, "phone": c.ContactPhone, "summary": c.Summary} {
		for _, r := range v {
			if unicode.IsControl(r) && !(field == "summary" && r == '\t') {
				t.Fatalf("stored %s %q has a control character", field, v)
			}
		}
	}
}
