package web

import (
	"bufio"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Server is ascolto's HTTP server.
type Server struct {
	mux      *http.ServeMux
	log      *zap.Logger
	ready    *Readiness
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	timeouts Timeouts
	srv      *http.Server
	// metricsToken, when set, is the bearer token /metrics asks for.
	metricsToken atomic.Pointer[string]
}

// Timeouts bound how long a client may take to send a request, so
// connections that send nothing, or a byte now and then, cannot pile up.
type Timeouts struct {
	// Header is the longest the request line and headers may take.
	Header time.Duration
	// Read is the longest a whole request, headers and body, may take.
	// A handler that takes large uploads sets its own deadline for its
	// request with PaceBody (the public form does).
	Read time.Duration
	// Idle is how long a kept-alive connection waits for its next request.
	Idle time.Duration
}

// DefaultTimeouts: 10 s for the headers, 1 min for a whole request (the
// console's forms are a few kilobytes; the public form's uploads set their
// own), 2 min between requests on a kept-alive connection.
func DefaultTimeouts() Timeouts {
	return Timeouts{Header: 10 * time.Second, Read: time.Minute, Idle: 2 * time.Minute}
}

// NewServer builds the server with its operational endpoints; other
// packages mount their pages with Handle.
func NewServer(log *zap.Logger, reg *prometheus.Registry, ready *Readiness) *Server {
	s := &Server{mux: http.NewServeMux(), log: log, ready: ready, reg: reg, timeouts: DefaultTimeouts()}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ascolto_http_requests_total", Help: "HTTP requests served, by route and status code.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ascolto_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"})
	reg.MustRegister(s.requests, s.latency)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	s.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if t := s.metricsToken.Load(); t != nil && !bearerIs(r, *t) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics: bearer token required", http.StatusUnauthorized)
			return
		}
		metrics.ServeHTTP(w, r)
	})
	return s
}

// SetMetricsToken makes /metrics answer only requests that carry
// "Authorization: Bearer token"; "" leaves it public.
func (s *Server) SetMetricsToken(token string) {
	if token == "" {
		s.metricsToken.Store(nil)
		return
	}
	s.metricsToken.Store(&token)
}

func bearerIs(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// SetTimeouts replaces the default timeouts; call it before Serve.
func (s *Server) SetTimeouts(t Timeouts) { s.timeouts = t }

// Handle mounts h on a ServeMux pattern (e.g. "GET /agent").
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler returns the handler and pattern r would reach (http.ServeMux's
// Handler), so a catch-all can tell a wrong method from a wrong path.
func (s *Server) Handler(r *http.Request) (http.Handler, string) { return s.mux.Handler(r) }

// ServeHTTP serves a request, counting and timing it by matched route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	s.requests.WithLabelValues(route, strconv.Itoa(rec.code)).Inc()
	s.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Hijack hands the connection over (a WebSocket upgrade): libraries such as
// gorilla/websocket test for http.Hijacker directly, not through Unwrap.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("web: %T cannot be hijacked", r.ResponseWriter)
	}
	r.code = http.StatusSwitchingProtocols
	return h.Hijack()
}

// Flush sends buffered data (server-sent events, long responses).
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyz answers 200 when every component is ready and 503 otherwise, with
// each component's state so an operator sees what is missing and why.
func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	ok, checks := s.ready.Ready()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(struct {
		Ready  bool    `json:"ready"`
		Checks []Check `json:"checks"`
	}{ok, checks})
}

// Listen binds the address now, so a port already taken is reported at
// start-up rather than in the background.
func (s *Server) Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("web: listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then shuts down gracefully, giving
// requests in flight up to grace to finish.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.timeouts.Header,
		ReadTimeout:       s.timeouts.Read,
		IdleTimeout:       s.timeouts.Idle,
		ErrorLog:          zap.NewStdLog(s.log.Named("http")),
	}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("web: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: serve: %w", err)
	}
	return nil
}
