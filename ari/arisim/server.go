package arisim

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ascolto/ascolto/clock"
	"go.uber.org/zap"
)

// Server is a simulated Asterisk 20 serving ARI over HTTP and WebSocket.
// It is an http.Handler; Start also serves it on a real socket.
type Server struct {
	clk    clock.Clock
	log    *zap.Logger
	user   string
	pass   string
	entity string

	mu sync.Mutex // guards everything below; never held while calling user code or writing to a socket

	startup time.Time
	epoch   int // bumped by Restart so that stale timers do nothing
	// shuttingDown: after Shutdown, until Restart: no new channel
	shuttingDown bool
	closed       bool
	uniqSeq      int
	nameSeq      map[string]int // per endpoint-name counter for channel names (PJSIP shares one)
	snoopSeq     int
	idSeq        int

	channels   map[string]*channel
	bridges    map[string]*bridge
	playbacks  map[string]*playback
	live       map[string]*liveRecording
	stored     map[string]*storedRecording
	apps       map[string]*app
	endpoints  map[string]*endpoint
	remotes    map[string]Behaviour
	remoteDef  Behaviour
	globals    map[string]string
	dialplan   *Dialplan
	media      map[string]time.Duration
	missing    map[string]bool
	mediaDef   time.Duration
	noise      bool
	dtmfLen    time.Duration
	spoolDir   string
	refuse     *string
	unwritable bool // recordings refused, as with no recording directory
	holds      []*Hold
	chanFaults map[string]*chanFault
	stats      statsCounters

	silent atomic.Bool
	// booting: the HTTP server is up, res_ari is not yet (SetBooting)
	booting atomic.Bool

	httpSrv  *http.Server
	listener net.Listener
	addr     string
	conns    map[*wsConn]bool
}

// Option configures a Server.
type Option func(*Server)

// WithCredentials sets the ARI user and password (default ari / ari).
func WithCredentials(user, password string) Option {
	return func(s *Server) { s.user, s.pass = user, password }
}

// WithClock sets the clock that drives every scripted delay, ring, playback
// and recording (default clock.Real()).
func WithClock(c clock.Clock) Option { return func(s *Server) { s.clk = c } }

// WithLogger sets the logger (default zap.NewNop()).
func WithLogger(l *zap.Logger) Option { return func(s *Server) { s.log = l } }

// WithDialplan replaces the default dialplan (see DefaultDialplan).
func WithDialplan(d *Dialplan) Option { return func(s *Server) { s.dialplan = d } }

// WithMediaDuration sets how long the playback of one media URI lasts, for
// example "sound:hello-world" 1420 ms.
func WithMediaDuration(uri string, d time.Duration) Option {
	return func(s *Server) { s.media[uri] = d }
}

// WithDefaultMediaDuration sets how long a sound, recording or number not
// configured with WithMediaDuration lasts (default 1 s).
func WithDefaultMediaDuration(d time.Duration) Option {
	return func(s *Server) { s.mediaDef = d }
}

// WithMissingMedia declares sound URIs whose file does not exist: their
// playback starts and fails at once, as Asterisk does.
func WithMissingMedia(uris ...string) Option {
	return func(s *Server) {
		for _, u := range uris {
			s.missing[u] = true
		}
	}
}

// WithoutVarsetNoise stops the RTPAUDIOQOS* and repeated BRIDGEPEER
// ChannelVarset events that a real Asterisk sends; the default keeps them.
func WithoutVarsetNoise() Option { return func(s *Server) { s.noise = false } }

// WithEntityID sets the asterisk_id / entity_id (default 02:fc:00:00:00:01).
func WithEntityID(id string) Option { return func(s *Server) { s.entity = id } }

// WithDTMFDuration sets the duration_ms of DTMF pressed by scripted parties
// (default 280 ms, what sipp's RFC 2833 pcaps produce in the traces).
func WithDTMFDuration(d time.Duration) Option { return func(s *Server) { s.dtmfLen = d } }

// WithSpoolDir sets asterisk.conf's astspooldir, ${ASTSPOOLDIR} in the
// dialplan (default /var/spool/asterisk, a packaged Asterisk's).
func WithSpoolDir(dir string) Option { return func(s *Server) { s.spoolDir = dir } }

// New returns a Server with the default dialplan (800840840 -> Stasis(ascolto)),
// the trunk endpoint PJSIP/trunk, and remote numbers that answer after 3 s.
func New(opts ...Option) *Server {
	s := &Server{
		clk:        clock.Real(),
		log:        zap.NewNop(),
		user:       "ari",
		pass:       "ari",
		entity:     "02:fc:00:00:00:01",
		nameSeq:    map[string]int{},
		channels:   map[string]*channel{},
		bridges:    map[string]*bridge{},
		playbacks:  map[string]*playback{},
		live:       map[string]*liveRecording{},
		stored:     map[string]*storedRecording{},
		apps:       map[string]*app{},
		endpoints:  map[string]*endpoint{},
		remotes:    map[string]Behaviour{},
		remoteDef:  Answer(3 * time.Second),
		globals:    map[string]string{},
		media:      map[string]time.Duration{"sound:beep": 440 * time.Millisecond},
		missing:    map[string]bool{},
		mediaDef:   time.Second,
		noise:      true,
		dtmfLen:    280 * time.Millisecond,
		spoolDir:   "/var/spool/asterisk",
		chanFaults: map[string]*chanFault{},
		conns:      map[*wsConn]bool{},
	}
	s.stats.requests = map[int]int{}
	for _, o := range opts {
		o(s)
	}
	if s.dialplan == nil {
		s.dialplan = DefaultDialplan()
	}
	s.dialplan.mu.Lock()
	for k, v := range s.dialplan.globals {
		s.globals[k] = v
	}
	s.dialplan.mu.Unlock()
	s.startup = s.clk.Now()
	s.addEndpointLocked("PJSIP/trunk", Answer(0), "from-trunk")
	return s
}

// Start listens on addr (for example "127.0.0.1:0") and serves ARI there. It
// returns the base URL, such as http://127.0.0.1:41234/ari.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("arisim: listen %s: %w", addr, err)
	}
	s.mu.Lock()
	s.listener = ln
	s.addr = ln.Addr().String()
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	srv := s.httpSrv
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.log.Warn("arisim: serve", zap.Error(err))
		}
	}()
	return "http://" + ln.Addr().String() + "/ari", nil
}

// URL returns the base URL of the started server ("" before Start).
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr == "" {
		return ""
	}
	return "http://" + s.addr + "/ari"
}

// Close stops serving, drops every WebSocket and stops all scripted activity.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.epoch++
	srv := s.httpSrv
	conns := s.takeConnsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
	if srv != nil {
		if err := srv.Close(); err != nil {
			return fmt.Errorf("arisim: close: %w", err)
		}
	}
	return nil
}

// ServeHTTP answers ARI requests under /ari/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "Asterisk/20.20.1")
	if s.booting.Load() {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, bootingPage)
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
		s.writeJSON(w, http.StatusUnauthorized, errBody("Authentication required"))
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/ari")
	if path == r.URL.Path {
		s.writeJSON(w, http.StatusNotFound, errBody("Resource not found"))
		return
	}
	if h := s.takeHold(r.Method, path); h != nil {
		h.park(r.Context())
	}
	segs := splitPath(path)
	if len(segs) == 1 && segs[0] == "events" && r.Method == http.MethodGet {
		s.serveEvents(w, r)
		return
	}
	h, known := s.route(r.Method, segs)
	if h == nil {
		if known {
			s.writeJSON(w, http.StatusMethodNotAllowed, errBody("Invalid method"))
		} else {
			s.writeJSON(w, http.StatusNotFound, errBody("Resource not found"))
		}
		return
	}
	p, err := parseParams(r)
	if err != nil {
		s.writeJSON(w, http.StatusBadRequest, errBody("Invalid JSON body"))
		return
	}
	res := h(&request{segs: segs, p: p, r: r})
	if res.raw != nil {
		s.count(res.status)
		w.Header().Set("Content-Type", res.contentType)
		w.WriteHeader(res.status)
		_, _ = w.Write(res.raw)
		return
	}
	s.writeJSON(w, res.status, res.body)
}

func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok {
		key := r.URL.Query().Get("api_key")
		if key == "" {
			return false
		}
		user, pass, ok = strings.Cut(key, ":")
		if !ok {
			return false
		}
	}
	return subtle.ConstantTimeCompare([]byte(user), []byte(s.user)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.pass)) == 1
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// request is what a handler sees: the path segments after /ari and the merged
// query and JSON-body parameters.
type request struct {
	segs []string
	p    params
	r    *http.Request
}

// result is what a handler returns; body nil with 204 means no content.
type result struct {
	status      int
	body        any
	raw         []byte
	contentType string
}

type handler func(*request) result

func ok(body any) result { return result{status: http.StatusOK, body: body} }
func noContent() result  { return result{status: http.StatusNoContent} }
func fail(status int, msg string) result {
	return result{status: status, body: errBody(msg)}
}

// allocationFailed is the one error whose body uses the key "error" (README surprise 5).
func allocationFailed() result {
	return result{status: http.StatusInternalServerError, body: map[string]string{"error": "Allocation failed"}}
}

type messageBody struct {
	Message string `json:"message"`
}

func errBody(msg string) messageBody { return messageBody{Message: msg} }

func (s *Server) writeJSON(w http.ResponseWriter, status int, body any) {
	s.count(status)
	if status == http.StatusNoContent || body == nil {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(body)
	if err != nil {
		s.log.Error("arisim: encode response", zap.Error(err))
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// route finds the handler for a method and path; known reports whether the
// path exists for some other method (405 rather than 404).
func (s *Server) route(method string, segs []string) (h handler, known bool) {
	if len(segs) == 0 {
		return nil, false
	}
	type key struct {
		m string
		n int
	}
	var table map[key]handler
	switch segs[0] {
	case "channels":
		table = map[key]handler{}
		switch {
		case len(segs) == 1:
			table[key{"GET", 1}] = s.listChannels
			table[key{"POST", 1}] = s.originate
		case len(segs) == 2 && segs[1] == "create":
			table[key{"POST", 2}] = s.createChannel
		case len(segs) == 2 && segs[1] == "externalMedia":
			return nil, false
		case len(segs) == 2:
			table[key{"GET", 2}] = s.getChannel
			table[key{"POST", 2}] = s.originate
			table[key{"DELETE", 2}] = s.hangupChannel
		case len(segs) >= 3:
			return s.channelSubRoute(method, segs)
		}
	case "bridges":
		return s.bridgeRoute(method, segs)
	case "playbacks":
		return s.playbackRoute(method, segs)
	case "recordings":
		return s.recordingRoute(method, segs)
	case "applications":
		return s.applicationRoute(method, segs)
	case "asterisk":
		return s.asteriskRoute(method, segs)
	case "endpoints":
		return s.endpointRoute(method, segs)
	case "deviceStates":
		return s.deviceRoute(method, segs)
	default:
		return nil, false
	}
	if len(table) == 0 {
		return nil, false
	}
	if h := table[key{method, len(segs)}]; h != nil {
		return h, true
	}
	return nil, true
}

// methods is a small helper for sub-routes: it picks the handler for the
// method among those the path supports.
func methods(method string, m map[string]handler) (handler, bool) {
	if h, ok := m[method]; ok {
		return h, true
	}
	return nil, len(m) > 0
}

// now returns the clock's time; Asterisk stamps events in UTC here.
func (s *Server) now() time.Time { return s.clk.Now().UTC() }
