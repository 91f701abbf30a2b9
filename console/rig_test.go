package console

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"github.com/gorilla/websocket"
	"go.uber.org/zap/zaptest"
)

// The tests run the console on a real HTTP server over a real (SQLite or
// PostgreSQL) store, with a fake clock for expiry, and talk to it as a
// browser would: cookies, forms with their tokens, a WebSocket.

var bg = context.Background()

// t0 is a Thursday morning in Rome.
var t0 = time.Date(2026, 11, 26, 8, 30, 0, 0, time.UTC)

type rig struct {
	t   *testing.T
	db  *store.DB
	clk *clock.Fake
	c   *Console
	be  *memBackend
	srv *httptest.Server
}

func newRig(t *testing.T, cfg Config) *rig {
	return newRigOn(t, storetest.Engines()[0], cfg)
}

func newRigOn(t *testing.T, e storetest.Engine, cfg Config) *rig {
	t.Helper()
	return newRigWith(t, e, cfg, nil)
}

// newRigWith is newRigOn with setup run on the console before it serves
// (to install test hooks without racing the server's goroutines).
func newRigWith(t *testing.T, e storetest.Engine, cfg Config, setup func(*Console)) *rig {
	t.Helper()
	clk := clock.NewFake(t0)
	db := e.Open(t, clk)
	r := &rig{t: t, db: db, clk: clk}
	r.be = newMemBackend()
	c, err := New(Options{Store: db, Backend: r.be, Clock: clk, Log: zaptest.NewLogger(t), Config: cfg, SendBuffer: 64})
	if err != nil {
		t.Fatal(err)
	}
	r.be.c = c
	r.c = c
	if err := c.Bootstrap(bg); err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(c)
	}
	mux := http.NewServeMux()
	c.Mount(mux)
	r.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		c.hub.closeAll()
		r.srv.Close()
	})
	return r
}

// user creates a user with a password (and an agent seat for agents).
func (r *rig) user(name, role string) store.User {
	r.t.Helper()
	h, err := HashPassword(name + "-password")
	if err != nil {
		r.t.Fatal(err)
	}
	u := store.User{Username: name, DisplayName: strings.ToUpper(name[:1]) + name[1:], Role: role, PasswordHash: h}
	if err := r.db.CreateUser(bg, &u, "test"); err != nil {
		r.t.Fatal(err)
	}
	if role == store.RoleAgent || role == store.RoleSupervisor {
		r.be.seat(name, fmt.Sprint(100+u.ID))
	}
	return u
}

type browser struct {
	r      *rig
	t      *testing.T
	client *http.Client
	header http.Header
}

func (r *rig) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{r: r, t: r.t, header: http.Header{}, client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type got struct {
	code     int
	body     string
	location string
	resp     *http.Response
}

func (b *browser) do(req *http.Request) got {
	b.t.Helper()
	for k, v := range b.header {
		req.Header[k] = v
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return got{code: resp.StatusCode, body: string(body), location: resp.Header.Get("Location"), resp: resp}
}

func (b *browser) get(path string) got {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.r.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) got {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.r.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token fetches a page and returns a fresh CSRF token from its first form.
func (b *browser) token(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no csrf token on %s (%d): %.300s", path, p.code, p.body)
	}
	return m[1]
}

// submit fetches from, takes a token, and posts form to action.
func (b *browser) submit(from, action string, form url.Values) got {
	b.t.Helper()
	form.Set("csrf", b.token(from))
	return b.post(action, form)
}

func (b *browser) login(name string) got {
	b.t.Helper()
	p := b.submit("/login", "/login", url.Values{"username": {name}, "password": {name + "-password"}})
	if p.code != http.StatusSeeOther {
		b.t.Fatalf("login %s: %d %.500s", name, p.code, p.body)
	}
	return p
}

// wsConn is a test WebSocket client speaking the console's protocol.
type wsConn struct {
	t    *testing.T
	conn *websocket.Conn
	csrf string
	seq  int64
	id   int
	// backlog keeps what arrived while waiting for a reply.
	backlog []inMsg
	// unbatched holds the rest of a batch frame.
	unbatched []json.RawMessage
}

var wsMeta = regexp.MustCompile(`name="ascolto-ws" content="([^"]+)"`)

// dial opens the page's WebSocket the way console.js does.
func (b *browser) dial(page string) (*wsConn, *http.Response, error) {
	b.t.Helper()
	p := b.get(page)
	m := wsMeta.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no websocket token on %s (%d)", page, p.code)
	}
	return b.dialToken(m[1])
}

func (b *browser) dialToken(token string) (*wsConn, *http.Response, error) {
	u, _ := url.Parse(b.r.srv.URL)
	hdr := http.Header{}
	for _, ck := range b.client.Jar.Cookies(u) {
		hdr.Add("Cookie", ck.Name+"="+ck.Value)
	}
	wsURL := "ws" + strings.TrimPrefix(b.r.srv.URL, "http") + "/ws?t=" + url.QueryEscape(token)
	conn, resp, err := websocket.DefaultDialer.Dial(wsURL, hdr)
	if err != nil {
		return nil, resp, err
	}
	w := &wsConn{t: b.t, conn: conn}
	hello := w.expect("hello")
	w.csrf = hello.Data["csrf"].(string)
	b.t.Cleanup(func() { conn.Close() })
	return w, resp, nil
}

type inMsg struct {
	Type  string         `json:"type"`
	Topic string         `json:"topic"`
	Key   string         `json:"key"`
	At    int64          `json:"at"`
	Data  map[string]any `json:"data"`
	Raw   json.RawMessage
}

func (w *wsConn) read() (inMsg, error) {
	var data []byte
	if len(w.unbatched) > 0 {
		data, w.unbatched = w.unbatched[0], w.unbatched[1:]
	} else {
		w.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		var err error
		if _, data, err = w.conn.ReadMessage(); err != nil {
			return inMsg{}, err
		}
		var batch struct {
			Type string
			Data []json.RawMessage
		}
		if json.Unmarshal(data, &batch) == nil && batch.Type == "batch" {
			data, w.unbatched = batch.Data[0], batch.Data[1:]
		}
	}
	var m inMsg
	var raw struct {
		Data json.RawMessage `json:"data"`
	}
	json.Unmarshal(data, &raw)
	json.Unmarshal(data, &m)
	m.Raw = raw.Data
	return m, nil
}

// expect reads until a message of type typ arrives.
func (w *wsConn) expect(typ string) inMsg {
	w.t.Helper()
	for i, m := range w.backlog {
		if m.Type == typ {
			w.backlog = append(w.backlog[:i:i], w.backlog[i+1:]...)
			return m
		}
	}
	for range 5000 {
		m, err := w.read()
		if err != nil {
			w.t.Fatalf("waiting for %s: %v", typ, err)
		}
		if m.Type == typ {
			return m
		}
	}
	w.t.Fatalf("no %s message", typ)
	return inMsg{}
}

// call sends a message with the connection's token and the next sequence
// number and returns the reply (ack or error).
func (w *wsConn) call(typ string, data any) inMsg {
	w.t.Helper()
	w.seq++
	return w.raw(map[string]any{"type": typ, "seq": w.seq, "csrf": w.csrf, "data": data})
}

func (w *wsConn) raw(msg map[string]any) inMsg {
	w.t.Helper()
	w.id++
	id := fmt.Sprintf("t%d", w.id)
	msg["id"] = id
	if msg["data"] == nil {
		delete(msg, "data")
	}
	if err := w.conn.WriteJSON(msg); err != nil {
		w.t.Fatal(err)
	}
	for range 5000 {
		m, err := w.read()
		if err != nil {
			w.t.Fatalf("waiting for the reply to %v: %v", msg["type"], err)
		}
		if (m.Type == "ack" || m.Type == "error") && m.Key == id {
			return m
		}
		w.backlog = append(w.backlog, m)
	}
	w.t.Fatalf("no reply to %v", msg["type"])
	return inMsg{}
}

// memBackend is a small in-memory ACD standing in for the controller: it
// keeps agents' states, refuses what the ACD would refuse, and publishes
// every change through the console like the real one must.
type memBackend struct {
	mu     sync.Mutex
	c      *Console
	agents map[string]*AgentView // by id
	byUser map[string]string
	saved  []Disposition
	// save, when set, does what the real desk does with a disposition
	// (the case, the store, the operations room).
	save func(Disposition) (DispositionResult, error)
	// watched and moved record the Supervisor calls: "agent mode by".
	watched []string
	moved   []string
	// watches are the running supervisions by supervisor, published to
	// every wallboard on each change as the controller does.
	watches map[string]SupervisionView
}

// publishWatches announces the running supervisions; called without m.mu.
func (m *memBackend) publishWatches() {
	m.mu.Lock()
	list := make([]SupervisionView, 0, len(m.watches))
	for _, w := range m.watches {
		list = append(list, w)
	}
	m.mu.Unlock()
	sort.Slice(list, func(i, j int) bool { return list[i].By < list[j].By })
	m.c.PublishSupervisions(list)
}

func newMemBackend() *memBackend {
	return &memBackend{agents: map[string]*AgentView{}, byUser: map[string]string{}, watches: map[string]SupervisionView{}}
}

func (m *memBackend) seat(username, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.agents[id] = &AgentView{ID: id, Username: username, Name: username, State: StateLoggedOut, Since: t0, Reachable: true,
		Queues: []string{"informazioni", "segnalazioni"}, Phone: PhoneView{Kind: "webrtc", Endpoint: "PJSIP/" + id, Registered: true, Device: "NOT_INUSE"}}
	m.byUser[username] = id
}

func (m *memBackend) AgentFor(_ context.Context, username string) (AgentView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.byUser[username]
	if !ok {
		return AgentView{}, ErrNoAgent
	}
	return *m.agents[id], nil
}

func (m *memBackend) SetAgentState(_ context.Context, by Actor, id string, to StateChange) (AgentView, error) {
	m.mu.Lock()
	a, ok := m.agents[id]
	if !ok {
		m.mu.Unlock()
		return AgentView{}, fmt.Errorf("%w: agent %s", store.ErrNotFound, id)
	}
	if a.State == StateOnCall && to.State == StateLoggedOut {
		m.mu.Unlock()
		return AgentView{}, fmt.Errorf("%w: cannot log out during a call", ErrRefused)
	}
	if to.State == StatePaused && to.Reason != "pausa" && to.Reason != "formazione" {
		m.mu.Unlock()
		return AgentView{}, fmt.Errorf("%w: unknown pause reason %q", ErrRefused, to.Reason)
	}
	a.State, a.Reason, a.Since = to.State, to.Reason, m.c.clock.Now()
	v := *a
	m.mu.Unlock()
	m.c.PublishAgent(v)
	return v, nil
}

func (m *memBackend) PauseReasons(context.Context) ([]PauseReason, error) {
	return []PauseReason{{"pausa", "Pausa", "Break"}, {"formazione", "Formazione", "Training"}}, nil
}

func (m *memBackend) Snapshot(context.Context) (Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Snapshot{At: m.c.clock.Now(), Mode: "ordinary", Queues: []QueueView{{Name: "informazioni", Waiting: 2, ServiceLevel: .8}}}
	for _, a := range m.agents {
		s.Agents = append(s.Agents, *a)
	}
	sort.Slice(s.Agents, func(i, j int) bool { return s.Agents[i].ID < s.Agents[j].ID })
	return s, nil
}

func (m *memBackend) CallAction(_ context.Context, _ Actor, id string, a CallAction) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.agents[id].State != StateOnCall {
		return fmt.Errorf("%w: no call to %s", ErrRefused, a.Action)
	}
	return nil
}

func (m *memBackend) SaveDisposition(_ context.Context, _ Actor, _ string, d Disposition) (DispositionResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saved = append(m.saved, d)
	if m.save != nil {
		return m.save(d)
	}
	return DispositionResult{CaseID: 1, TrackingID: "CC-2026-000001"}, nil
}

func (m *memBackend) Supervise(_ context.Context, by Actor, id, mode string) error {
	m.mu.Lock()
	a, ok := m.agents[id]
	if !ok {
		m.mu.Unlock()
		return fmt.Errorf("%w: unknown agent %s", ErrRefused, id)
	}
	if a.State != StateOnCall {
		m.mu.Unlock()
		return fmt.Errorf("%w: agent %s is not on a call", ErrRefused, id)
	}
	m.watched = append(m.watched, id+" "+mode+" "+by.Username)
	name := ""
	if seat, ok := m.byUser[by.Username]; ok {
		name = m.agents[seat].Name
	}
	m.watches[by.Username] = SupervisionView{Agent: id, By: by.Username, Name: name, Mode: mode}
	m.mu.Unlock()
	m.publishWatches()
	return nil
}

func (m *memBackend) StopSupervision(_ context.Context, by Actor) error {
	m.mu.Lock()
	if _, ok := m.watches[by.Username]; !ok {
		m.mu.Unlock()
		return fmt.Errorf("%w: no supervision is running", ErrRefused)
	}
	delete(m.watches, by.Username)
	m.watched = append(m.watched, "stop "+by.Username)
	m.mu.Unlock()
	m.publishWatches()
	return nil
}

func (m *memBackend) MoveAgent(_ context.Context, by Actor, id, from, to string) error {
	m.mu.Lock()
	a, ok := m.agents[id]
	if !ok {
		m.mu.Unlock()
		return fmt.Errorf("%w: unknown agent %s", ErrRefused, id)
	}
	var qs []string
	for _, q := range a.Queues {
		if q != from && q != to {
			qs = append(qs, q)
		}
	}
	a.Queues = append(qs, to)
	m.moved = append(m.moved, id+" "+from+">"+to+" "+by.Username)
	v := *a
	m.mu.Unlock()
	m.c.PublishAgent(v)
	return nil
}

// setState changes an agent's state as the ACD would (a call rings,
// connects, ends) and publishes it.
func (m *memBackend) setState(id, state, call string) {
	m.mu.Lock()
	a := m.agents[id]
	a.State, a.Call, a.Since = state, call, m.c.clock.Now()
	v := *a
	ended := false
	if state != StateOnCall {
		// The call is over, and so are its supervisions.
		for by, w := range m.watches {
			if w.Agent == id {
				delete(m.watches, by)
				ended = true
			}
		}
	}
	m.mu.Unlock()
	m.c.PublishAgent(v)
	if ended {
		m.publishWatches()
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func nil2() url.Values { return url.Values{} }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// pagesTranslated signs user in, in Italian then in English, and wants
// every path served whole: 200, and no catalog key left untranslated
// (rendered as ‹key›).
func (r *rig) pagesTranslated(user string, paths []string) {
	r.t.Helper()
	for _, lang := range []string{"it", "en"} {
		b := r.browser()
		b.login(user)
		if p := b.submit("/account", "/lang", url.Values{"lang": {lang}, "back": {"/account"}}); p.location != "/account" {
			r.t.Fatalf("lang switch: %d %q", p.code, p.location)
		}
		for _, path := range paths {
			p := b.get(path)
			if p.code != 200 {
				r.t.Fatalf("%s %s: %d", lang, path, p.code)
			}
			if i := strings.Index(p.body, "‹"); i >= 0 {
				r.t.Errorf("%s %s: untranslated key near %q", lang, path, p.body[i:min(len(p.body), i+40)])
			}
		}
	}
}
