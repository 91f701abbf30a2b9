package arisim

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	pathpkg "path"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// chanFault disturbs the events of one channel: duplicates, or the next
// events swapped in pairs.
type chanFault struct {
	dup   bool
	swaps int
	held  func()
}

func (f *chanFault) apply(send func()) {
	times := 1
	if f.dup {
		times = 2
	}
	if f.swaps > 0 && f.held == nil {
		f.held = func() {
			for i := 0; i < times; i++ {
				send()
			}
		}
		return
	}
	for i := 0; i < times; i++ {
		send()
	}
	if f.held != nil {
		h := f.held
		f.held = nil
		f.swaps--
		h()
	}
}

// flush delivers a held event when its channel goes away.
func (f *chanFault) flush() {
	if f.held != nil {
		h := f.held
		f.held = nil
		h()
	}
}

func (s *Server) faultLocked(channelID string) *chanFault {
	f := s.chanFaults[channelID]
	if f == nil {
		f = &chanFault{}
		s.chanFaults[channelID] = f
	}
	return f
}

// DuplicateChannelEvents makes every later event of the channel arrive twice
// (on) or once again (off).
func (s *Server) DuplicateChannelEvents(channelID string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultLocked(channelID).dup = on
}

// SwapChannelEvents makes the channel's next n pairs of events arrive in
// reverse order (the second of each pair first).
func (s *Server) SwapChannelEvents(channelID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultLocked(channelID).swaps += n
}

// DropConnections closes every events WebSocket abruptly (no close frame).
// Apps stay registered, as in reconnect.jsonl; events until the controller
// reconnects are lost.
func (s *Server) DropConnections() {
	s.mu.Lock()
	conns := s.takeConnsLocked()
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// SetSilent makes the server keep its WebSockets open but stop sending
// events and stop answering pings, like a half-open TCP link or a hung
// Asterisk. Events meanwhile are lost.
func (s *Server) SetSilent(on bool) { s.silent.Store(on) }

// Restart emulates an Asterisk crash and restart: WebSockets dropped with
// whatever they had not yet sent, every channel, bridge, playback and live
// recording gone without events, apps unregistered, a new startup_time.
// Stored recordings survive. With down > 0 the HTTP port refuses
// connections for that long (on the server clock).
func (s *Server) Restart(down time.Duration) { s.restart(down, false) }

// restart is Restart; with drain, each WebSocket first sends what it has
// queued (a shutdown's hang-up events), as a process that exits after
// "core restart now" does, instead of losing it as a crash does.
func (s *Server) restart(down time.Duration, drain bool) {
	s.mu.Lock()
	s.epoch++
	s.shuttingDown = false
	conns := s.takeConnsLocked()
	for _, ch := range s.channelsSorted() {
		ch.dead = true
		if ch.dial != nil {
			ch.dial.stop()
		}
		if ch.dp != nil {
			ch.dp.stop()
		}
		if ch.party != nil {
			ch.party.ended(s, hangup{by: "restart"})
		}
	}
	for _, pb := range s.playbacks {
		if pb.timer != nil {
			pb.timer.Stop()
		}
	}
	s.channels = map[string]*channel{}
	s.bridges = map[string]*bridge{}
	s.playbacks = map[string]*playback{}
	s.live = map[string]*liveRecording{}
	s.apps = map[string]*app{}
	s.chanFaults = map[string]*chanFault{}
	s.nameSeq = map[string]int{}
	s.uniqSeq, s.snoopSeq = 0, 0
	for _, ep := range s.endpoints {
		ep.channels = nil
		ep.device = ep.deviceState()
	}
	s.startup = s.clk.Now()
	srv, addr := s.httpSrv, s.addr
	if down > 0 && srv != nil {
		s.httpSrv = nil
	}
	epoch := s.epoch
	s.mu.Unlock()
	for _, c := range conns {
		if drain {
			c.drainAndKill()
		} else {
			c.kill()
		}
	}
	if down > 0 && srv != nil {
		// The port is free before the reopen is due: a reopen scheduled
		// first could, on a fake clock, come before the close and find
		// the address in use.
		_ = srv.Close()
		s.mu.Lock()
		if s.epoch == epoch {
			s.afterLocked(down, func() { s.reopenLocked(addr) })
		}
		s.mu.Unlock()
	}
}

// Shutdown begins an operator's "core stop now" or "core restart now" as
// the real Asterisk does it (e2e-RestartWithCallers-core_restart_now.jsonl):
// every channel is hung up, each one's ChannelHangupRequest carrying
// soft:true and cause 4 (AST_SOFTHANGUP_SHUTDOWN, not a Q.850 cause), with
// the usual teardown events (StasisEnd; ChannelDestroyed cause 16 for the
// channels the app originated); then, while the WebSocket is still open,
// a new channel is refused with 500 {"error":"Allocation failed"}. Restart
// ends it (a crash is Restart alone).
func (s *Server) Shutdown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.channelsSorted() {
		s.hangupLocked(ch, hangup{reqCause: softHangupShutdown, soft: true, cause: 16, by: "restart"})
	}
	s.shuttingDown = true
}

// RestartNow is "core restart now": Shutdown, then a restart in which
// the WebSockets deliver the shutdown's events before they close.
func (s *Server) RestartNow(down time.Duration) {
	s.Shutdown()
	s.restart(down, true)
}

// SetBooting makes the server answer as Asterisk does while it boots after
// a restart, its HTTP server up before res_ari has loaded: every request,
// the events WebSocket's too, gets 404 and Asterisk's HTML error page
// (seen by ascolto between "core restart now" and the end of the boot).
func (s *Server) SetBooting(on bool) { s.booting.Store(on) }

// bootingPage is Asterisk 20's 404 page, byte for byte.
const bootingPage = "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n<html><head>\r\n<title>404 Not Found</title>\r\n</head><body>\r\n" +
	"<h1>Not Found</h1>\r\n<p>The requested URL was not found on this server.</p>\r\n<hr />\r\n<address>Asterisk/20.20.1</address>\r\n</body></html>\r\n"

// softHangupShutdown is AST_SOFTHANGUP_SHUTDOWN, the cause of the hang-up
// requests a shutdown sends.
const softHangupShutdown = 4

// reopenLocked listens again on the same address after a restart.
func (s *Server) reopenLocked(addr string) {
	if s.closed {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.log.Error("arisim: reopen after restart", zap.String("addr", addr), zap.Error(err))
		return
	}
	s.listener = ln
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	srv := s.httpSrv
	go func() { _ = srv.Serve(ln) }()
}

// InjectRaw sends data as one WebSocket message to the app's connection,
// as is: invalid JSON, unknown types, fields of the wrong type.
func (s *Server) InjectRaw(appName string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.apps[appName]
	if a == nil || a.conn == nil {
		return fmt.Errorf("arisim: inject to %s: %w", appName, ErrNotConnected)
	}
	a.conn.send(append([]byte(nil), data...))
	return nil
}

// InjectEvent sends an event of any type (for example ApplicationRegistered
// or ChannelTransfer, which the library does not know) with the usual
// timestamp, asterisk_id and application around fields.
func (s *Server) InjectEvent(appName, typ string, fields map[string]any) error {
	s.mu.Lock()
	post := make([]kv, 0, len(fields))
	for k, v := range fields {
		raw, err := json.Marshal(v)
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("arisim: inject %s: %w", typ, err)
		}
		post = append(post, kv{k, raw})
	}
	enc := s.encodeEvent(typ, nil, post)
	s.mu.Unlock()
	return s.InjectRaw(appName, withApplication(enc, appName))
}

// RefuseOriginates makes POST /channels and /channels/create to endpoints
// whose dial string starts with prefix ("" for all) fail with 500
// {"error":"Allocation failed"}, like a full trunk, until AcceptOriginates.
func (s *Server) RefuseOriginates(prefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = &prefix
}

// AcceptOriginates ends RefuseOriginates.
func (s *Server) AcceptOriginates() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = nil
}

// Hold is a request held back by HoldNext: it is answered only after
// Release, so a test can make something happen while the controller waits
// on that answer (a call arriving in the middle of a reconciliation).
type Hold struct {
	method, path string
	arrived      chan struct{}
	release      chan struct{}
	gone         atomic.Bool // the client closed the connection while it was held
}

// HoldNext holds the next request for method and path (under /ari, e.g.
// "GET", "/bridges"; a path.Match pattern such as "/channels/*/answer"
// matches any channel) until Release.
func (s *Server) HoldNext(method, path string) *Hold {
	h := &Hold{method: method, path: path, arrived: make(chan struct{}), release: make(chan struct{})}
	s.mu.Lock()
	s.holds = append(s.holds, h)
	s.mu.Unlock()
	return h
}

// Arrived is closed when the held request has come in.
func (h *Hold) Arrived() <-chan struct{} { return h.arrived }

// Release lets the held request be answered.
func (h *Hold) Release() { close(h.release) }

// ClientGone reports whether the client closed the request's connection
// while it was held (it gave up on the answer). Asterisk goes on working on
// such a request, its HTTP session counted against sessionlimit.
func (h *Hold) ClientGone() bool { return h.gone.Load() }

func (h *Hold) park(ctx context.Context) {
	close(h.arrived)
	select {
	case <-h.release:
	case <-ctx.Done():
		h.gone.Store(true)
		<-h.release
	}
}

func (s *Server) takeHold(method, path string) *Hold {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, h := range s.holds {
		if ok, _ := pathpkg.Match(h.path, path); h.method == method && (h.path == path || ok) {
			s.holds = append(s.holds[:i], s.holds[i+1:]...)
			return h
		}
	}
	return nil
}

// RecordingsUnwritable makes recordings behave as on an Asterisk whose
// recording directory is missing: POST …/record answers 500 "Internal
// Server Error" (seen on Asterisk 20.20.1, TestRealAsteriskIVRClosedAndMessage).
func (s *Server) RecordingsUnwritable(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unwritable = on
}
