package arisim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/gorilla/websocket"
)

var testEpoch = time.Date(2026, 11, 26, 20, 46, 58, 0, time.UTC)

// harness is a started simulator on a fake clock with a REST helper.
type harness struct {
	t   *testing.T
	srv *Server
	clk *clock.Fake
	url string
}

func newHarness(t *testing.T, opts ...Option) *harness {
	t.Helper()
	clk := clock.NewFake(testEpoch)
	srv := New(append([]Option{WithClock(clk)}, opts...)...)
	u, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &harness{t: t, srv: srv, clk: clk, url: u}
}

// do sends a REST request with basic auth ari/ari; query is already encoded.
func (h *harness) do(method, path, query string) (int, json.RawMessage) {
	h.t.Helper()
	return h.doAuth(method, path, query, "ari", "ari")
}

func (h *harness) doAuth(method, path, query, user, pass string) (int, json.RawMessage) {
	h.t.Helper()
	u := h.url + strings.TrimPrefix(path, "/ari")
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		h.t.Fatalf("request: %v", err)
	}
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if len(b) == 0 {
		return resp.StatusCode, nil
	}
	return resp.StatusCode, json.RawMessage(b)
}

// events is a test client of the events WebSocket.
type events struct {
	t    *testing.T
	conn *websocket.Conn
	ch   chan []byte
}

func (h *harness) connect(apps string, extra ...string) *events {
	h.t.Helper()
	wsURL := strings.Replace(h.url, "http://", "ws://", 1) + "/events?app=" + url.QueryEscape(apps) + strings.Join(extra, "")
	hdr := http.Header{}
	hdr.Set("Authorization", "Basic YXJpOmFyaQ==")
	conn, _, err := websocket.DefaultDialer.Dial(wsURL, hdr)
	if err != nil {
		h.t.Fatalf("dial events: %v", err)
	}
	e := &events{t: h.t, conn: conn, ch: make(chan []byte, 100000)}
	go func() {
		defer close(e.ch)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			e.ch <- msg
		}
	}()
	h.t.Cleanup(func() { _ = conn.Close() })
	// Registration happens in the handler after the upgrade; wait for it.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		h.srv.mu.Lock()
		ready := true
		for _, n := range strings.Split(apps, ",") {
			if a := h.srv.apps[n]; a == nil || a.conn == nil {
				ready = false
			}
		}
		h.srv.mu.Unlock()
		if ready {
			return e
		}
		time.Sleep(time.Millisecond)
	}
	h.t.Fatalf("app %s never registered", apps)
	return nil
}

// drain returns every event that arrives until the socket stays quiet for quiet.
func (e *events) drain(quiet time.Duration) []map[string]any {
	var out []map[string]any
	for {
		select {
		case msg, open := <-e.ch:
			if !open {
				return out
			}
			var m map[string]any
			if err := json.Unmarshal(msg, &m); err != nil {
				e.t.Fatalf("event is not JSON: %s", msg)
			}
			out = append(out, m)
		case <-time.After(quiet):
			return out
		}
	}
}

// drainSome waits (up to 10 s) for a first event, then drains until quiet:
// for a test that expects events, so a loaded machine that is slow to send
// the first one does not read as "nothing came".
func (e *events) drainSome(quiet time.Duration) []map[string]any {
	select {
	case msg, open := <-e.ch:
		if !open {
			return nil
		}
		var m map[string]any
		if err := json.Unmarshal(msg, &m); err != nil {
			e.t.Fatalf("event is not JSON: %s", msg)
		}
		return append([]map[string]any{m}, e.drain(quiet)...)
	case <-time.After(10 * time.Second):
		return nil
	}
}

// raw returns the raw messages until quiet.
func (e *events) raw(quiet time.Duration) [][]byte {
	var out [][]byte
	for {
		select {
		case msg, open := <-e.ch:
			if !open {
				return out
			}
			out = append(out, msg)
		case <-time.After(quiet):
			return out
		}
	}
}

func types(evs []map[string]any) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, e["type"].(string))
	}
	return out
}

// rawN reads messages until n have arrived (or timeout passes), then any
// stragglers until the socket is quiet for 20 ms.
func (e *events) rawN(n int64, timeout time.Duration) [][]byte {
	var out [][]byte
	deadline := time.After(timeout)
	for int64(len(out)) < n {
		select {
		case msg, open := <-e.ch:
			if !open {
				return out
			}
			out = append(out, msg)
		case <-deadline:
			return out
		}
	}
	return append(out, e.raw(20*time.Millisecond)...)
}
