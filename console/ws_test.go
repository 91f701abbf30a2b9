package console

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/gorilla/websocket"
)

func TestWebSocketHandshake(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	r.user("verdi", store.RoleSupervisor)
	anon := r.browser()
	if err := anon.dialRefused(); !websocket.IsCloseError(err, 4401) {
		t.Fatalf("signed out: %v, want closed at once with 4401", err)
	}
	// A foreign page without a session is refused before any upgrade.
	hdr0 := http.Header{"Origin": {"https://evil.example"}}
	if _, resp, err := (&websocket.Dialer{}).Dial("ws"+strings.TrimPrefix(r.srv.URL, "http")+"/ws?t=x", hdr0); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("signed out, foreign origin: %v", err)
	}
	a, s := r.browser(), r.browser()
	a.login("rossi")
	s.login("verdi")
	if _, resp, err := a.dialToken("forged"); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged page token: %v", err)
	}
	// The page token of another session is foreign here.
	sTok := wsMeta.FindStringSubmatch(s.get("/supervisor").body)[1]
	if _, resp, err := a.dialToken(sTok); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another session's page token: %v", err)
	}
	// A cross-site page cannot open it: the Origin must be ours.
	tok := wsMeta.FindStringSubmatch(a.get("/agent").body)[1]
	d := websocket.Dialer{}
	hdr := http.Header{"Origin": {"https://evil.example"}}
	for _, ck := range a.client.Jar.Cookies(mustURL(r.srv.URL)) {
		hdr.Add("Cookie", ck.Name+"="+ck.Value)
	}
	if _, resp, err := d.Dial("ws"+strings.TrimPrefix(r.srv.URL, "http")+"/ws?t="+tok, hdr); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v", err)
	}
	w, _, err := a.dialToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	if w.csrf == "" || len(w.csrf) < 20 {
		t.Fatalf("hello token %q", w.csrf)
	}
}

func TestWebSocketMessages(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	r.user("verdi", store.RoleSupervisor)
	a, s := r.browser(), r.browser()
	a.login("rossi")
	s.login("verdi")
	aw, _, err := a.dial("/agent")
	if err != nil {
		t.Fatal(err)
	}
	sw, _, err := s.dial("/supervisor")
	if err != nil {
		t.Fatal(err)
	}
	ok := func(w *wsConn, m inMsg) inMsg {
		t.Helper()
		if m.Type != "ack" {
			t.Fatalf("refused: %v", m.Data)
		}
		return m
	}
	refused := func(name string, m inMsg, code string) {
		t.Helper()
		if m.Type != "error" || m.Data["code"] != code {
			t.Errorf("%s: %s %v, want error %s", name, m.Type, m.Data, code)
		}
		if m.Type == "error" && m.Data["message"] == "" {
			t.Errorf("%s: no message for the person", name)
		}
	}
	ok(aw, aw.call("subscribe", map[string]any{"topics": []string{"queues", "mode", "kb"}}))
	refused("agent subscribes to all agents", aw.call("subscribe", map[string]any{"topics": []string{"agents"}}), "forbidden")
	refused("agent subscribes to another user", aw.call("subscribe", map[string]any{"topics": []string{"user:verdi"}}), "forbidden")
	ok(sw, sw.call("subscribe", map[string]any{"topics": []string{"agents", "queues"}}))

	// sync: the full state, whatever was published before.
	ok(sw, sw.call("sync", nil))
	st := sw.expect("state")
	if st.Topic == "" {
		t.Fatal("state without topic")
	}
	sw.expect("synced")

	// The agent goes available; the supervisor sees it live.
	m := ok(aw, aw.call("agent.state", map[string]any{"state": "available"}))
	if m.Data["state"] != "available" {
		t.Fatalf("ack %v", m.Data)
	}
	ev := sw.expect("agent.state")
	for ev.Data["state"] != "available" { // the sync announced the initial states too
		ev = sw.expect("agent.state")
	}
	if ev.Data["username"] != "rossi" {
		t.Fatalf("supervisor saw %v", ev.Data)
	}
	rossiSeat := ev.Key

	// The agent cannot act as a supervisor, nor change another agent.
	refused("agent sends a supervisor message", aw.call("supervisor.agent.state", map[string]any{"agent": rossiSeat, "state": "logged-out"}), "forbidden")
	refused("agent names an agent in agent.state", aw.call("agent.state", map[string]any{"agent": "999", "state": "paused", "reason": "pausa"}), "bad_request")
	if v, _ := r.be.AgentFor(bg, "rossi"); v.State != StateAvailable {
		t.Fatalf("state changed by a refused message: %s", v.State)
	}

	// The supervisor pauses the agent: the agent's tab hears it.
	ok(sw, sw.call("supervisor.agent.state", map[string]any{"agent": rossiSeat, "state": "paused", "reason": "formazione"}))
	self := aw.expect("agent.self")
	for self.Data["state"] == "available" { // its own change, announced first
		self = aw.expect("agent.self")
	}
	if self.Data["state"] != "paused" || self.Data["reason"] != "formazione" {
		t.Fatalf("agent saw %v", self.Data)
	}
	act := "agent.state"
	if log, _ := r.db.AuditLog(bg, store.AuditFilter{Action: &act}); len(log) != 2 || log[0].Actor != "verdi" || log[0].Object != "agent:"+rossiSeat {
		t.Fatalf("audit: %+v", log)
	}

	// The ACD's refusals reach the person with its reason.
	refused("unknown pause reason", aw.call("agent.state", map[string]any{"state": "paused", "reason": "caffè"}), "refused")
	refused("hang up with no call", aw.call("agent.call", map[string]any{"action": "hangup"}), "refused")

	// Bad input of every kind.
	bad := []struct {
		name string
		typ  string
		data any
		code string
	}{
		{"missing data", "agent.state", nil, "bad_request"},
		{"wrong type", "agent.state", map[string]any{"state": 3}, "bad_request"},
		{"unknown field", "agent.state", map[string]any{"state": "available", "boss": true}, "bad_request"},
		{"unknown state", "agent.state", map[string]any{"state": "asleep"}, "bad_request"},
		{"pause without reason", "agent.state", map[string]any{"state": "paused"}, "bad_request"},
		{"oversized reason", "agent.state", map[string]any{"state": "paused", "reason": strings.Repeat("r", 65)}, "bad_request"},
		{"array data", "agent.state", []int{1}, "bad_request"},
		{"transfer without target", "agent.call", map[string]any{"action": "transfer"}, "bad_request"},
		{"unknown action", "agent.call", map[string]any{"action": "explode"}, "bad_request"},
		{"disposition without call", "disposition.save", map[string]any{"category": "frana", "outcome": "x"}, "bad_request"},
		{"disposition bad comune", "disposition.save", map[string]any{"call": "c1", "category": "frana", "outcome": "x", "comune": "ROMA"}, "bad_request"},
		{"disposition bad urgency", "disposition.save", map[string]any{"call": "c1", "category": "frana", "outcome": "x", "urgency": "high"}, "bad_request"},
		{"disposition huge notes", "disposition.save", map[string]any{"call": "c1", "category": "frana", "outcome": "x", "notes": strings.Repeat("n", maxNotes+1)}, "bad_request"},
		{"pin bad article", "kb.pin", map[string]any{"article": -1, "case": "CC-2026-000001"}, "bad_request"},
		{"pin bad case", "kb.pin", map[string]any{"article": 1, "case": "12"}, "bad_request"},
		{"pin missing case", "kb.pin", map[string]any{"article": 1, "case": "CC-2026-999999"}, "notfound"},
		{"subscribe nothing", "subscribe", map[string]any{"topics": []string{}}, "bad_request"},
		{"unknown type", "agent.fly", map[string]any{}, "unknown_type"},
	}
	for _, b := range bad {
		refused(b.name, aw.call(b.typ, b.data), b.code)
	}
	// A valid disposition goes to the ACD.
	ok(aw, aw.call("disposition.save", map[string]any{"call": "c1", "category": "idrogeologico", "outcome": "segnalazione-registrata",
		"comune": "066049", "urgency": "rescue", "notes": "frana sulla SS17"}))
	if len(r.be.saved) != 1 || r.be.saved[0].Urgency != "rescue" || r.be.saved[0].ComuneCode != "066049" {
		t.Fatalf("saved %+v", r.be.saved)
	}
	// kb.pin stores the pin.
	c := store.Case{Channel: store.ChannelPhone}
	r.db.CreateCase(bg, &c)
	art, _ := r.db.KBArticleBySlug(bg, "frane-cosa-fare")
	ok(aw, aw.call("kb.pin", map[string]any{"article": art.ID, "case": c.TrackingID}))
	if pins, _ := r.db.KBPins(bg, c.ID); len(pins) != 1 || pins[0].PinnedBy != "rossi" {
		t.Fatalf("pins %+v", pins)
	}
}

func TestWebSocketCSRFAndReplay(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	a := r.browser()
	a.login("rossi")
	w1, _, _ := a.dial("/agent")
	w2, _, _ := a.dial("/agent")
	refused := func(name string, m inMsg, code string) {
		t.Helper()
		if m.Type != "error" || m.Data["code"] != code {
			t.Errorf("%s: %s %v, want %s", name, m.Type, m.Data, code)
		}
	}
	refused("no token", w1.raw(map[string]any{"type": "alive", "seq": 1}), "csrf")
	refused("another tab's token", w1.raw(map[string]any{"type": "alive", "seq": 1, "csrf": w2.csrf}), "csrf")
	if m := w1.raw(map[string]any{"type": "alive", "seq": 5, "csrf": w1.csrf}); m.Type != "ack" {
		t.Fatalf("good message: %v", m.Data)
	}
	refused("replayed sequence", w1.raw(map[string]any{"type": "alive", "seq": 5, "csrf": w1.csrf}), "replay")
	refused("older sequence", w1.raw(map[string]any{"type": "alive", "seq": 4, "csrf": w1.csrf}), "replay")
	refused("sequence as a string", w1.raw(map[string]any{"type": "alive", "seq": "6", "csrf": w1.csrf}), "bad_request")
	refused("unknown envelope field", w1.raw(map[string]any{"type": "alive", "seq": 7, "csrf": w1.csrf, "admin": true}), "bad_request")
	// Not JSON at all, and a binary frame.
	w1.conn.WriteMessage(websocket.TextMessage, []byte("{not json"))
	refused("not json", w1.expect("error"), "bad_request")
	w1.conn.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
	refused("binary", w1.expect("error"), "bad_request")
	// A flood is slowed down.
	limited := 0
	for range 60 {
		w2.seq++
		if m := w2.raw(map[string]any{"type": "alive", "seq": w2.seq, "csrf": w2.csrf}); m.Data["code"] == "rate_limited" {
			limited++
		}
	}
	if limited == 0 {
		t.Error("60 messages at once were not rate limited")
	}
	// An oversized message ends the connection.
	w1.conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"alive","data":"`+strings.Repeat("x", maxInbound)+`"}`))
	var err error
	for err == nil {
		_, err = w1.read()
	}
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("oversized message: %v", err)
	}
}

func TestWebSocketSessionEnds(t *testing.T) {
	r := newRig(t, Config{IdleTimeout: 30 * time.Minute})
	r.user("rossi", store.RoleAgent)
	r.user("verdi", store.RoleSupervisor)
	a := r.browser()
	a.login("rossi")
	w, _, _ := a.dial("/agent")
	r.clk.Advance(31 * time.Minute)
	if m := w.call("alive", nil); m.Type != "error" || m.Data["code"] != "session" {
		t.Fatalf("message on an expired session: %v", m.Data)
	}
	var err error
	for err == nil {
		_, err = w.read()
	}
	if !websocket.IsCloseError(err, 4401) {
		t.Fatalf("expired session close: %v", err)
	}
	// The housekeeping closes idle sessions' sockets without a message,
	// and its own checks do not count as activity.
	a.login("rossi")
	w, _, _ = a.dial("/agent")
	for range 7 {
		r.clk.Advance(5 * time.Minute)
		r.c.hub.expire(bg, r.c.sessionAlive)
	}
	for err = nil; err == nil; {
		_, err = w.read()
	}
	if !websocket.IsCloseError(err, 4401) {
		t.Fatalf("swept session close: %v", err)
	}
	// The tab reconnecting after that is told the same, not refused with a
	// bare 401 it could only retry.
	if err := a.dialRefused(); !websocket.IsCloseError(err, 4401) {
		t.Fatalf("reconnect on a swept session: %v, want closed with 4401", err)
	}
	// Logout closes the tab's socket at once.
	a.login("rossi")
	w, _, _ = a.dial("/agent")
	a.submit("/account", "/logout", nil2())
	for err = nil; err == nil; {
		_, err = w.read()
	}
	if !websocket.IsCloseError(err, 4401) {
		t.Fatalf("logout close: %v", err)
	}
	// A role taken away applies to the very next message.
	s := r.browser()
	s.login("verdi")
	sw, _, _ := s.dial("/supervisor")
	if m := sw.call("subscribe", map[string]any{"topics": []string{"agents"}}); m.Type != "ack" {
		t.Fatal(m.Data)
	}
	if err := r.db.SetUserRole(bg, "verdi", store.RoleAgent, "test"); err != nil {
		t.Fatal(err)
	}
	if m := sw.call("supervisor.agent.state", map[string]any{"agent": "x", "state": "available"}); m.Data["code"] != "forbidden" {
		t.Fatalf("demoted supervisor: %v", m.Data)
	}
}

// recorder is a middleware's ResponseWriter wrapper that is no Hijacker
// but offers Unwrap, as web.Server's metrics recorder does.
type recorder struct{ http.ResponseWriter }

func (r recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func TestWebSocketBehindAWrappingMiddleware(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	mux := http.NewServeMux()
	r.c.Mount(mux)
	r.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { mux.ServeHTTP(recorder{w}, req) })
	b := r.browser()
	b.login("rossi")
	w, _, err := b.dial("/agent")
	if err != nil {
		t.Fatalf("upgrade through a wrapper: %v", err)
	}
	if res := w.call("sync", nil); res.Type != "ack" {
		t.Fatalf("sync: %v", res.Data)
	}
}
