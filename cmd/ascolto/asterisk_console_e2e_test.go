package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// consoleUser is a user signed in to the console from Go, as a browser
// would be: a cookie jar for pages and files, and the page's WebSocket for
// the messages its buttons send.
type consoleUser struct {
	t    *testing.T
	base string
	c    *http.Client
	ws   *websocket.Conn
	csrf string
	seq  int64
}

var (
	csrfFieldRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	wsTokenRe   = regexp.MustCompile(`<meta name="ascolto-ws" content="([^"]+)">`)
)

// signIn signs a user in through the sign-in form and opens the page's
// WebSocket from home (the user's landing page).
func signIn(t *testing.T, base, user, password, home string) *consoleUser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &consoleUser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: time.Minute}}
	_, page := u.get("/login", nil)
	m := csrfFieldRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field on the sign-in page:\n%s", page)
	}
	resp, err := u.c.PostForm(base+"/login", url.Values{"csrf": {m[1]}, "username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != home {
		t.Fatalf("sign in as %s: %d at %s, want %s", user, resp.StatusCode, resp.Request.URL.Path, home)
	}
	_, page = u.get(home, nil)
	tok := wsTokenRe.FindStringSubmatch(page)
	if tok == nil {
		t.Fatalf("no WebSocket token on %s", home)
	}
	hdr := http.Header{}
	bu, _ := url.Parse(base)
	for _, ck := range jar.Cookies(bu) {
		hdr.Add("Cookie", ck.Name+"="+ck.Value)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+bu.Host+"/ws?t="+url.QueryEscape(tok[1]), hdr)
	if err != nil {
		t.Fatalf("console WebSocket: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	u.ws = ws
	for u.csrf == "" {
		var f struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		if err := ws.ReadJSON(&f); err != nil {
			t.Fatalf("console WebSocket hello: %v", err)
		}
		if f.Type == "hello" {
			var h struct{ CSRF string }
			json.Unmarshal(f.Data, &h)
			u.csrf = h.CSRF
		}
	}
	return u
}

// get fetches a page or file as the user; hdr adds request headers.
func (u *consoleUser) get(path string, hdr map[string]string) (*http.Response, string) {
	u.t.Helper()
	req, err := http.NewRequest("GET", u.base+path, nil)
	if err != nil {
		u.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := u.c.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		u.t.Fatal(err)
	}
	return resp, string(b)
}

// send sends a message as the page's buttons do and waits for its answer:
// nil for an ack, the error message otherwise.
func (u *consoleUser) send(typ string, data any) error {
	u.t.Helper()
	u.seq++
	id := "m" + strconv.FormatInt(u.seq, 10)
	raw, _ := json.Marshal(data)
	if err := u.ws.WriteJSON(map[string]any{"type": typ, "id": id, "seq": u.seq, "csrf": u.csrf, "data": json.RawMessage(raw)}); err != nil {
		u.t.Fatal(err)
	}
	for {
		var f struct {
			Type string          `json:"type"`
			Key  string          `json:"key"`
			Data json.RawMessage `json:"data"`
		}
		u.ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		if err := u.ws.ReadJSON(&f); err != nil {
			u.t.Fatalf("%s: no answer: %v", typ, err)
		}
		if f.Key != id {
			continue
		}
		if f.Type == "ack" {
			return nil
		}
		return fmt.Errorf("%s: %s %s", typ, f.Type, strings.TrimSpace(string(f.Data)))
	}
}
