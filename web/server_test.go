package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

func TestReadyzReportsEachComponent(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	ready := NewReadiness(fake.Now)
	srv := NewServer(zap.NewNop(), prometheus.NewRegistry(), ready)
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		b, _ := io.ReadAll(rec.Body)
		return rec.Code, string(b)
	}
	if code, _ := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("no components registered: %d, want 503", code)
	}
	ready.Set("database", true, "sqlite")
	ready.Set("asterisk", false, "ARI: 401 Authentication required")
	code, body := get("/readyz")
	var got struct {
		Ready  bool
		Checks []Check
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if code != 503 || got.Ready || len(got.Checks) != 2 || got.Checks[0].Name != "asterisk" || !strings.Contains(got.Checks[0].Detail, "401") {
		t.Fatalf("%d %s", code, body)
	}
	since := got.Checks[1].Since
	fake.Advance(time.Minute)
	ready.Set("database", true, "sqlite again")
	ready.Set("asterisk", true, "connected")
	code, body = get("/readyz")
	json.Unmarshal([]byte(body), &got)
	if code != 200 || !got.Ready {
		t.Fatalf("%d %s", code, body)
	}
	if !got.Checks[1].Since.Equal(since) || !got.Checks[0].Since.Equal(fake.Now()) {
		t.Fatalf("since must change only when readiness flips: %+v", got.Checks)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("healthz %d %q", code, body)
	}
	code, body = get("/metrics")
	if code != 200 || !strings.Contains(body, `ascolto_http_requests_total{code="503",route="GET /readyz"} 2`) {
		t.Fatalf("metrics %d:\n%s", code, body)
	}
	if code, _ := get("/nope"); code != 404 {
		t.Fatalf("unknown path %d", code)
	}
}

func TestWebSocketUpgradeThroughTheServer(t *testing.T) {
	srv := NewServer(zap.NewNop(), prometheus.NewRegistry(), NewReadiness(time.Now))
	srv.Handle("GET /ws", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n")
		rw.Flush()
		conn.Close()
	}))
	ts := httptest.NewServer(srv)
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/ws")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The request is counted once the handler has returned, which may be
	// after the client read the 101 (seen in CI on a loaded machine).
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if body = rec.Body.String(); strings.Contains(body, `ascolto_http_requests_total{code="101",route="GET /ws"} 1`) {
			return
		}
	}
	t.Fatalf("upgrade not counted as 101:\n%s", body)
}

// TestMetricsToken: with a token set, /metrics answers only Prometheus
// sending it; /healthz and /readyz stay public for load balancers.
func TestMetricsToken(t *testing.T) {
	srv := NewServer(zap.NewNop(), prometheus.NewRegistry(), NewReadiness(time.Now))
	srv.SetMetricsToken("a-long-scrape-token-1234")
	get := func(path, auth string) int {
		req := httptest.NewRequest("GET", path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, auth := range []string{"", "Bearer wrong", "Basic YTpi", "Bearer a-long-scrape-token-12345"} {
		if code := get("/metrics", auth); code != http.StatusUnauthorized {
			t.Fatalf("metrics with %q: %d, want 401", auth, code)
		}
	}
	if code := get("/metrics", "Bearer a-long-scrape-token-1234"); code != http.StatusOK {
		t.Fatalf("metrics with the token: %d", code)
	}
	if code := get("/healthz", ""); code != http.StatusOK {
		t.Fatalf("healthz: %d", code)
	}
	srv.SetMetricsToken("")
	if code := get("/metrics", ""); code != http.StatusOK {
		t.Fatalf("public metrics: %d", code)
	}
}
