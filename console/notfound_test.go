package console

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ascolto/ascolto/store"
)

// TestNotFoundPageAndFavicon: a path no route claims gets the console's
// own 404 page in the person's language and layout (JSON under /api/),
// and the favicon is there.
func TestNotFoundPageAndFavicon(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	anon := r.browser()
	p := anon.get("/non-esiste")
	if p.code != http.StatusNotFound || !strings.Contains(p.body, "Pagina non trovata") || !strings.Contains(p.body, `<main id="main"`) ||
		!strings.Contains(p.body, `<html lang="it">`) {
		t.Fatalf("404 page %d:\n%s", p.code, p.body)
	}
	b := r.browser()
	b.login("rossi")
	b.submit("/agent", "/lang", map[string][]string{"lang": {"en"}, "back": {"/agent"}})
	p = b.get("/agent/nothing/here")
	if p.code != http.StatusNotFound || !strings.Contains(p.body, "Page not found") || !strings.Contains(p.body, `href="/agent"`) {
		t.Fatalf("signed-in 404 in English %d:\n%s", p.code, p.body)
	}
	if p := b.get("/api/nothing"); p.code != http.StatusNotFound || !strings.HasPrefix(p.resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("api 404: %d %s", p.code, p.body)
	}
	// A form posted to nowhere is not a CSRF failure: there is just nothing there.
	if p := anon.post("/nowhere", nil2()); p.code != http.StatusNotFound {
		t.Fatalf("POST to nowhere: %d", p.code)
	}
	if p := anon.get("/favicon.ico"); p.code != http.StatusMovedPermanently || p.location != "/assets/favicon.svg" {
		t.Fatalf("favicon.ico: %d %q", p.code, p.location)
	}
	p = anon.get("/assets/favicon.svg")
	if p.code != 200 || p.resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(p.body, "<svg") {
		t.Fatalf("favicon: %d %s", p.code, p.resp.Header.Get("Content-Type"))
	}
	if home := anon.get("/login"); !strings.Contains(home.body, `<link rel="icon" href="/assets/favicon.svg"`) {
		t.Fatal("the layout does not name the favicon")
	}
}

// TestMissesAreTheConsolesPages: a file missing under /assets/ gets the
// console's 404 page (not the file server's plain English), a folder is
// not listed, and a path served for other methods answers 405 with Allow,
// in the same layout and language (JSON under /api/).
func TestMissesAreTheConsolesPages(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	anon := r.browser()
	for _, path := range []string{"/assets/nessuno.js", "/assets/", "/assets/vendor/", "/assets/vendor/nessuno.css"} {
		p := anon.get(path)
		if p.code != http.StatusNotFound || !strings.Contains(p.body, "Pagina non trovata") || !strings.Contains(p.body, `<html lang="it">`) {
			t.Errorf("GET %s: %d\n%s", path, p.code, p.body)
		}
	}
	if p := anon.get("/assets/console.css"); p.code != 200 || p.resp.Header.Get("Cache-Control") == "" {
		t.Fatalf("a real asset: %d %v", p.code, p.resp.Header)
	}

	b := r.browser()
	b.login("rossi")
	b.submit("/agent", "/lang", map[string][]string{"lang": {"en"}, "back": {"/agent"}})
	if p := b.get("/assets/nothing.png"); p.code != http.StatusNotFound || !strings.Contains(p.body, "Page not found") ||
		!strings.Contains(p.body, `href="/agent"`) {
		t.Fatalf("asset miss in English: %d\n%s", p.code, p.body)
	}

	for _, tc := range []struct {
		method, path, allow, words string
		api                        bool
	}{
		{"POST", "/agent", "GET, HEAD", "Request not accepted", false},
		{"DELETE", "/cases", "GET, HEAD", "Request not accepted", false},
		{"GET", "/logout", "POST", "Request not accepted", false},
		{"GET", "/cases/CC-2026-000001/close", "POST", "Request not accepted", false},
		{"POST", "/api/comuni", "GET, HEAD", "error.method", true},
	} {
		req, _ := http.NewRequest(tc.method, r.srv.URL+tc.path, nil)
		p := b.do(req)
		if p.code != http.StatusMethodNotAllowed || p.resp.Header.Get("Allow") != tc.allow || !strings.Contains(p.body, tc.words) {
			t.Errorf("%s %s: %d Allow %q\n%s", tc.method, tc.path, p.code, p.resp.Header.Get("Allow"), p.body)
		}
		if ct := p.resp.Header.Get("Content-Type"); tc.api != strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s %s: Content-Type %s", tc.method, tc.path, ct)
		}
	}
	if p := anon.post("/agent", nil2()); p.code != http.StatusMethodNotAllowed || !strings.Contains(p.body, "Richiesta non accettata") {
		t.Fatalf("405 in Italian: %d\n%s", p.code, p.body)
	}
}
