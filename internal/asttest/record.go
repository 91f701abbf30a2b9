package asttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// EnvTraces, when set, names a folder where the real-Asterisk tests record
// the ARI traffic between ascolto and Asterisk (RecordARI), one file a test.
const EnvTraces = "ASCOLTO_TEST_ARI_TRACES"

// ARIRecorder is a proxy in front of Asterisk's HTTP port: it forwards
// ARI's REST requests and the events WebSocket unchanged and keeps the
// exchange, written when the test ends in the format of the traces that
// ari/arisim replays (ari/arisim/testdata/traces/README.md): a meta line,
// then "rest" lines (ts = request sent, ts_response, query as sent, the
// JSON body if any) and "ws_event" lines (the raw event in data), sorted
// by ts. Passwords never reach the file: the Authorization header is not
// kept and an api_key in a query is masked.
type ARIRecorder struct {
	URL string // http://127.0.0.1:PORT/ari: give this to ascolto instead of Asterisk's

	target *url.URL
	meta   map[string]any
	srv    *http.Server
	ln     net.Listener

	wg    sync.WaitGroup // open WebSockets
	mu    sync.Mutex
	lines []traceLine
	conns map[*websocket.Conn]bool
}

type traceLine struct {
	TS         time.Time       `json:"ts"`
	TSResponse *time.Time      `json:"ts_response,omitempty"`
	Kind       string          `json:"kind"`
	App        string          `json:"app,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	Request    *traceRequest   `json:"request,omitempty"`
	Response   *traceResponse  `json:"response,omitempty"`
	// ws_open and ws_close lines: the events WebSocket's query.
	Query string `json:"query,omitempty"`
}

type traceRequest struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Query  string          `json:"query"`
	Body   json.RawMessage `json:"body,omitempty"`
}

type traceResponse struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// RecordARI starts a recording proxy to the ARI at ariURL (an Asterisk's
// ARIURL, http://HOST:PORT/ari) and writes the trace to file when the test
// ends (the folder is made). meta goes on the first line.
func RecordARI(t T, ariURL, file string, meta map[string]any) *ARIRecorder {
	t.Helper()
	target, err := url.Parse(ariURL)
	if err != nil {
		t.Fatal(err)
	}
	target.Path = ""
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &ARIRecorder{URL: "http://" + ln.Addr().String() + "/ari", target: target, meta: meta, ln: ln,
		conns: map[*websocket.Conn]bool{}}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	t.Cleanup(func() {
		r.srv.Close()
		r.mu.Lock()
		for c := range r.conns {
			c.Close()
		}
		r.mu.Unlock()
		r.wg.Wait()
		if err := r.Write(file); err != nil {
			t.Logf("asttest: ARI trace not written: %v", err)
		} else {
			t.Logf("ARI trace recorded in %s", file)
		}
	})
	return r
}

// ServeHTTP forwards one request, or the events WebSocket.
func (r *ARIRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if websocket.IsWebSocketUpgrade(req) {
		r.websocket(w, req)
		return
	}
	sent := time.Now().UTC()
	body, _ := io.ReadAll(req.Body)
	u := *r.target
	u.Path, u.RawQuery = req.URL.Path, req.URL.RawQuery
	out, err := http.NewRequestWithContext(req.Context(), req.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = req.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		// Asterisk down: the client sees what it would see without the
		// proxy, a connection that fails.
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	got := time.Now().UTC()
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(rb)
	l := traceLine{TS: sent, TSResponse: &got, Kind: "rest",
		Request:  &traceRequest{Method: req.Method, Path: req.URL.Path, Query: maskQuery(req.URL.RawQuery)},
		Response: &traceResponse{Status: resp.StatusCode, Body: jsonOrString(rb)}}
	if !utf8.Valid(rb) {
		// A recording's audio (GET …/file): its size and type, not the bytes.
		l.Response.Body, _ = json.Marshal(fmt.Sprintf("<%d bytes of %s>", len(rb), resp.Header.Get("Content-Type")))
	}
	if len(body) > 0 {
		l.Request.Body = jsonOrString(body)
	}
	r.add(l)
}

// websocket proxies the events WebSocket, keeping what Asterisk sends.
func (r *ARIRecorder) websocket(w http.ResponseWriter, req *http.Request) {
	u := *r.target
	u.Scheme = "ws"
	u.Path, u.RawQuery = req.URL.Path, req.URL.RawQuery
	h := http.Header{}
	if a := req.Header.Get("Authorization"); a != "" {
		h.Set("Authorization", a)
	}
	up, resp, err := (&websocket.Dialer{HandshakeTimeout: 5 * time.Second}).Dial(u.String(), h)
	if err != nil {
		status := http.StatusBadGateway
		if resp != nil {
			status = resp.StatusCode
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	// Opened before the client hears so: its next request comes after.
	opened := time.Now().UTC()
	down, err := (&websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}).Upgrade(w, req, nil)
	if err != nil {
		up.Close()
		return
	}
	query := maskQuery(req.URL.RawQuery)
	app := req.URL.Query().Get("app")
	r.wg.Add(1)
	defer r.wg.Done()
	r.mu.Lock()
	r.conns[up], r.conns[down] = true, true
	r.lines = append(r.lines, traceLine{TS: opened, Kind: "ws_open", Query: query})
	r.mu.Unlock()
	done := make(chan struct{})
	// Client to Asterisk: pings and pongs are handled by the library on
	// each side; data frames are forwarded (the controller sends none).
	go func() {
		defer close(done)
		for {
			typ, b, err := down.ReadMessage()
			if err != nil {
				return
			}
			if up.WriteMessage(typ, b) != nil {
				return
			}
		}
	}()
	down.SetPingHandler(func(s string) error {
		return up.WriteControl(websocket.PingMessage, []byte(s), time.Now().Add(5*time.Second))
	})
	up.SetPongHandler(func(s string) error {
		return down.WriteControl(websocket.PongMessage, []byte(s), time.Now().Add(5*time.Second))
	})
	go func() {
		<-done
		up.Close()
	}()
	for {
		typ, b, err := up.ReadMessage()
		if err != nil {
			// A close frame from Asterisk is passed on as it came.
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				down.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(ce.Code, ce.Text), time.Now().Add(time.Second))
			}
			break
		}
		at := time.Now().UTC()
		if typ == websocket.TextMessage {
			r.add(traceLine{TS: at, Kind: "ws_event", App: app, Data: jsonOrString(b)})
		}
		if down.WriteMessage(typ, b) != nil {
			break
		}
	}
	down.Close()
	up.Close()
	r.mu.Lock()
	delete(r.conns, up)
	delete(r.conns, down)
	r.lines = append(r.lines, traceLine{TS: time.Now().UTC(), Kind: "ws_close", Query: query})
	r.mu.Unlock()
}

func (r *ARIRecorder) add(l traceLine) {
	r.mu.Lock()
	r.lines = append(r.lines, l)
	r.mu.Unlock()
}

// Write saves the trace so far: the meta line, then every line by ts.
func (r *ARIRecorder) Write(file string) error {
	r.mu.Lock()
	lines := append([]traceLine(nil), r.lines...)
	r.mu.Unlock()
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].TS.Before(lines[j].TS) })
	var buf bytes.Buffer
	meta := map[string]any{}
	for k, v := range r.meta {
		meta[k] = v
	}
	meta["kind"] = "meta"
	meta["format"] = "kind=ws_event: data is the raw ARI event as received; kind=rest: ts=request sent, ts_response=response received, " +
		"request.body the JSON body if any; kind=ws_open/ws_close: the events WebSocket opened/closed; lines sorted by ts; " +
		"recorded by internal/asttest.RecordARI between ascolto and Asterisk"
	if len(lines) > 0 {
		meta["ts"] = lines[0].TS.Add(-time.Millisecond)
	} else {
		meta["ts"] = time.Now().UTC()
	}
	b, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	buf.Write(b)
	buf.WriteByte('\n')
	for _, l := range lines {
		b, err := json.Marshal(l)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return os.WriteFile(file, buf.Bytes(), 0o644)
}

// maskQuery hides an api_key (user:password) in a query string.
func maskQuery(q string) string {
	if !strings.Contains(q, "api_key") {
		return q
	}
	v, err := url.ParseQuery(q)
	if err != nil {
		return "api_key=***"
	}
	if v.Has("api_key") {
		v.Set("api_key", "***")
	}
	return v.Encode()
}

// jsonOrString keeps a JSON body as it is, anything else as a JSON string.
func jsonOrString(b []byte) json.RawMessage {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b))
	return s
}
