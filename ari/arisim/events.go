package arisim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// app is a registered Stasis application. It stays registered when its
// WebSocket goes away (surprise 14) and is active only while one is connected.
type app struct {
	name       string
	conn       *wsConn
	all        bool
	endpoints  map[string]bool
	devices    map[string]bool
	allowed    []string
	disallowed []string
}

func (s *Server) appLocked(name string) *app {
	a := s.apps[name]
	if a == nil {
		a = &app{name: name, endpoints: map[string]bool{}, devices: map[string]bool{}}
		s.apps[name] = a
	}
	return a
}

// activeApp returns the app if registered with a connected WebSocket, as
// Stasis() requires; a Stasis() into an inactive app fails.
func (s *Server) activeApp(name string) *app {
	a := s.apps[name]
	if a == nil || a.conn == nil {
		return nil
	}
	return a
}

// wsConn is one events WebSocket. A writer goroutine drains out; a reader
// goroutine answers pings (unless the server plays silent) and notices the
// peer going away.
type wsConn struct {
	s      *Server
	ws     *websocket.Conn
	apps   []string
	out    chan []byte
	done   chan struct{}
	once   sync.Once
	closed atomic.Bool
}

const wsQueue = 16384

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 16384,
	// Asterisk does not check Origin; the CyCoreSystems client sends http://localhost/.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	var names []string
	for _, v := range r.URL.Query()["app"] {
		for _, n := range strings.Split(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		s.writeJSON(w, http.StatusBadRequest, errBody("Missing param 'app'"))
		return
	}
	subAll := r.URL.Query().Get("subscribeAll") == "true"
	// Register before the 101 goes out, as Asterisk does: once a client
	// sees the upgrade, Stasis() into its app works.
	c := &wsConn{s: s, apps: names, out: make(chan []byte, wsQueue), done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.writeJSON(w, http.StatusServiceUnavailable, errBody("Shutting down"))
		return
	}
	s.conns[c] = true
	s.stats.wsConnects++
	for _, n := range names {
		a := s.appLocked(n)
		if old := a.conn; old != nil && old != c {
			enc := s.encodeEvent("ApplicationReplaced", nil, nil)
			old.send(withApplication(enc, n))
		}
		a.conn = c
		if subAll {
			a.all = true
		}
	}
	s.mu.Unlock()
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.log.Debug("arisim: websocket upgrade", zap.Error(err))
		c.kill()
		return
	}
	s.mu.Lock()
	c.ws = ws
	s.mu.Unlock()
	if c.closed.Load() {
		_ = ws.UnderlyingConn().Close()
		return
	}
	ws.SetPingHandler(func(data string) error {
		if s.silent.Load() {
			return nil
		}
		return ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
	})
	go c.writeLoop()
	go c.readLoop()
}

func (c *wsConn) send(msg []byte) {
	if c.closed.Load() {
		return
	}
	select {
	case c.out <- msg:
		c.s.stats.eventsSent.Add(1)
	default:
		// Asterisk drops a WebSocket whose writes time out; so do we.
		c.s.stats.eventsDropped.Add(1)
		go c.kill()
	}
}

func (c *wsConn) writeLoop() {
	for {
		select {
		case <-c.done:
			return
		case msg := <-c.out:
			if msg == nil { // drainAndKill's mark: all before it is sent
				c.kill()
				return
			}
			_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if err := c.ws.WriteMessage(websocket.TextMessage, msg); err != nil {
				c.kill()
				return
			}
		}
	}
}

func (c *wsConn) readLoop() {
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			c.kill()
			return
		}
	}
}

// drainAndKill kills the connection once it has written every message
// queued so far, or after drainLimit if it cannot.
func (c *wsConn) drainAndKill() {
	if c.closed.Load() {
		return
	}
	go func() {
		t := time.NewTimer(drainLimit)
		defer t.Stop()
		select {
		case c.out <- nil:
		case <-c.done:
			return
		case <-t.C:
			c.kill()
			return
		}
		select {
		case <-c.done:
		case <-t.C:
			c.kill()
		}
	}()
}

// drainLimit bounds how long a closing WebSocket may take to send what it
// had queued (real time: it is the peer's reading that it waits for).
const drainLimit = 5 * time.Second

// kill closes the TCP connection without a close frame and detaches the
// connection from its apps (which stay registered).
func (c *wsConn) kill() {
	c.once.Do(func() {
		c.closed.Store(true)
		close(c.done)
		s := c.s
		s.mu.Lock()
		if c.ws != nil {
			_ = c.ws.UnderlyingConn().Close()
		}
		delete(s.conns, c)
		for _, n := range c.apps {
			if a := s.apps[n]; a != nil && a.conn == c {
				a.conn = nil
			}
		}
		s.mu.Unlock()
	})
}

// takeConnsLocked detaches every connection; the caller kills them unlocked.
func (s *Server) takeConnsLocked() []*wsConn {
	out := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// deliver sends an encoded event to an app n times (n>1 reproduces the
// duplicates Asterisk sends through overlapping subscriptions).
func (s *Server) deliver(a *app, typ string, enc []byte, n int) {
	if n <= 0 {
		return
	}
	if a.conn == nil || s.silent.Load() || !a.wants(typ) {
		s.stats.eventsDropped.Add(int64(n))
		return
	}
	msg := withApplication(enc, a.name)
	for i := 0; i < n; i++ {
		a.conn.send(msg)
	}
}

func (a *app) wants(typ string) bool {
	if len(a.allowed) > 0 {
		found := false
		for _, t := range a.allowed {
			if t == typ {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for _, t := range a.disallowed {
		if t == typ {
			return false
		}
	}
	return true
}

// chanPaths counts how many subscriptions of a carry a channel's events: the
// channel itself (Stasis, originate or explicit) and its endpoint.
func (a *app) chanPaths(ch *channel) int {
	if a.all {
		return 1
	}
	n := 0
	if ch.subs[a.name] > 0 {
		n++
	}
	if ch.ep != nil && a.endpoints[ch.ep.key] {
		n++
	}
	return n
}

// emitChannel publishes a channel topic event; the channel snapshot is the
// last field, after post.
func (s *Server) emitChannel(ch *channel, typ string, pre, post []kv) {
	enc := s.encodeEvent(typ, pre, append(post, kv{"channel", ch.json()}))
	s.publishChannel(ch, typ, enc)
}

// emitDial publishes a Dial event for the peer channel.
func (s *Server) emitDial(ch *channel, status, dialstring string) {
	enc := s.encodeEvent("Dial", nil, []kv{{"dialstatus", status}, {"forward", ""}, {"dialstring", dialstring}, {"peer", ch.json()}})
	s.publishChannel(ch, "Dial", enc)
}

func (s *Server) publishChannel(ch *channel, typ string, enc []byte) {
	send := func() {
		for _, a := range s.apps {
			s.deliver(a, typ, enc, a.chanPaths(ch))
		}
	}
	if f := s.chanFaults[ch.id]; f != nil {
		f.apply(send)
		return
	}
	send()
}

// emitStasis sends StasisStart/StasisEnd to the one app the channel is in.
func (s *Server) emitStasis(a *app, ch *channel, typ string, post []kv) {
	if a == nil {
		return
	}
	enc := s.encodeEvent(typ, nil, append(post, kv{"channel", ch.json()}))
	if f := s.chanFaults[ch.id]; f != nil {
		f.apply(func() { s.deliver(a, typ, enc, 1) })
		return
	}
	s.deliver(a, typ, enc, 1)
}

// emitBridgeChannel publishes ChannelEnteredBridge / ChannelLeftBridge.
func (s *Server) emitBridgeChannel(b *bridge, ch *channel, typ string) {
	enc := s.encodeEvent(typ, nil, []kv{{"bridge", b.json()}, {"channel", ch.json()}})
	send := func() {
		for _, a := range s.apps {
			if a.all || ch.subs[a.name] > 0 || b.subs[a.name] > 0 {
				s.deliver(a, typ, enc, 1)
			}
		}
	}
	if f := s.chanFaults[ch.id]; f != nil {
		f.apply(send)
		return
	}
	send()
}

func (s *Server) emitBridge(b *bridge, typ string) {
	enc := s.encodeEvent(typ, nil, []kv{{"bridge", b.json()}})
	for _, a := range s.apps {
		if a.all || b.subs[a.name] > 0 {
			s.deliver(a, typ, enc, 1)
		}
	}
}

func (s *Server) emitPlayback(pb *playback, typ string) {
	enc := s.encodeEvent(typ, nil, []kv{{"playback", pb.snapshot()}})
	for _, a := range s.apps {
		if a.all || pb.targetSubscribed(a.name) {
			s.deliver(a, typ, enc, 1)
		}
	}
}

func (s *Server) emitRecording(rec *liveRecording, typ string) {
	enc := s.encodeEvent(typ, nil, []kv{{"recording", rec.snapshot()}})
	for _, a := range s.apps {
		if a.all || (rec.ch != nil && rec.ch.subs[a.name] > 0) || (rec.br != nil && rec.br.subs[a.name] > 0) {
			s.deliver(a, typ, enc, 1)
		}
	}
}

func (s *Server) emitEndpoint(ep *endpoint) {
	enc := s.encodeEvent("EndpointStateChange", nil, []kv{{"endpoint", ep.snapshot()}})
	for _, a := range s.apps {
		if a.all || a.endpoints[ep.key] {
			s.deliver(a, "EndpointStateChange", enc, 1)
		}
	}
}

// emitDevice sends DeviceStateChanged, whose field order differs from every
// other event: type, application, timestamp, device_state, asterisk_id.
func (s *Server) emitDevice(name, state string) {
	for _, a := range s.apps {
		if !(a.all || a.devices[name]) {
			continue
		}
		if a.conn == nil || s.silent.Load() || !a.wants("DeviceStateChanged") {
			s.stats.eventsDropped.Add(1)
			continue
		}
		msg := []byte(`{"type":"DeviceStateChanged","application":`)
		msg = appendQuoted(msg, a.name)
		msg = append(msg, `,"timestamp":`...)
		msg = appendQuoted(msg, ariTime(s.clk.Now()))
		msg = append(msg, `,"device_state":{"name":`...)
		msg = appendQuoted(msg, name)
		msg = append(msg, `,"state":`...)
		msg = appendQuoted(msg, state)
		msg = append(msg, `},"asterisk_id":`...)
		msg = appendQuoted(msg, s.entity)
		msg = append(msg, '}')
		a.conn.send(msg)
	}
}

func appendQuoted(b []byte, s string) []byte {
	raw, _ := json.Marshal(s)
	return append(b, raw...)
}

// applicationSnapshot is the Application model: what the app is subscribed to.
func (s *Server) applicationSnapshot(a *app) applicationJSON {
	out := applicationJSON{Name: a.name, ChannelIDs: []string{}, BridgeIDs: []string{}, EndpointIDs: []string{},
		DeviceNames: []string{}, EventsAllowed: []any{}, EventsDisallowed: []any{}}
	chans := make([]*channel, 0)
	for _, ch := range s.channels {
		if ch.subs[a.name] > 0 {
			chans = append(chans, ch)
		}
	}
	sort.Slice(chans, func(i, j int) bool { return chans[i].seq < chans[j].seq })
	for _, ch := range chans {
		out.ChannelIDs = append(out.ChannelIDs, ch.id)
	}
	brs := make([]*bridge, 0)
	for _, b := range s.bridges {
		if b.subs[a.name] > 0 {
			brs = append(brs, b)
		}
	}
	sort.Slice(brs, func(i, j int) bool { return brs[i].seq < brs[j].seq })
	for _, b := range brs {
		out.BridgeIDs = append(out.BridgeIDs, b.id)
	}
	for k := range a.endpoints {
		out.EndpointIDs = append(out.EndpointIDs, k)
	}
	sort.Strings(out.EndpointIDs)
	for k := range a.devices {
		out.DeviceNames = append(out.DeviceNames, k)
	}
	sort.Strings(out.DeviceNames)
	for _, t := range a.allowed {
		out.EventsAllowed = append(out.EventsAllowed, map[string]string{"type": t})
	}
	for _, t := range a.disallowed {
		out.EventsDisallowed = append(out.EventsDisallowed, map[string]string{"type": t})
	}
	return out
}
