package console

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// Inbound message limits.
const (
	maxInbound    = 16 << 10 // bytes per message
	inboundRate   = 20.0     // messages per second, sustained
	inboundBurst  = 40.0
	maxMessageID  = 64
	maxTypeLength = 64
)

// Message is one inbound WebSocket message after the console has checked
// its session, CSRF token, sequence number and the sender's role.
type Message struct {
	Type  string
	Data  json.RawMessage
	Actor Actor
	c     *client
}

// Decode reads the message's data into v, refusing unknown fields, wrong
// types and a missing body.
func (m *Message) Decode(v any) error {
	if len(m.Data) == 0 || bytes.Equal(m.Data, []byte("null")) {
		return badMessage("data is missing")
	}
	d := json.NewDecoder(bytes.NewReader(m.Data))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return badMessage(err.Error())
	}
	if _, err := d.Token(); err != io.EOF {
		return badMessage("data has trailing content")
	}
	return nil
}

// MessageFunc handles one inbound message type; what it returns goes back
// to the sender in the acknowledgement.
type MessageFunc func(ctx context.Context, m *Message) (any, error)

// HandleMessage installs the handler of an inbound message type. The type
// must already be in the authorization table (authz.go), so who may send
// it is decided there; installing an unknown type panics at start-up.
func (c *Console) HandleMessage(typ string, fn MessageFunc) {
	if _, ok := c.policy.message(typ); !ok {
		panic("console: message type " + typ + " is not in the authorization table")
	}
	c.msgs[typ] = fn
}

// wsError is a refused message: a stable code for scripts and a catalog key.
type wsError struct {
	code, key, detail string
}

func (e *wsError) Error() string { return "console: " + e.code + ": " + e.detail }

func badMessage(detail string) error { return &wsError{"bad_request", "ws.bad", detail} }

type inbound struct {
	Type string          `json:"type"`
	ID   string          `json:"id"`
	Seq  int64           `json:"seq"`
	CSRF string          `json:"csrf"`
	Data json.RawMessage `json:"data"`
}

// serveWS upgrades a signed-in tab's request. The page's signed token (in
// ?t=) proves the page came from us; the connection then gets its own
// token that every message must carry with a growing sequence number.
func (c *Console) serveWS(w http.ResponseWriter, r *http.Request) {
	c.securityHeaders(w)
	v, err := c.newVisit(w, r)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	sg := c.signer()
	if sg == nil {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	if v.sess == nil || v.sess.MFAPending {
		// A tab whose session ended while its socket was down (expired,
		// signed out elsewhere) is told so in the WebSocket's own terms:
		// refused with a plain 401, the browser sees only "connection
		// failed" and the page would retry for ever instead of going to
		// the sign-in form. Nothing is sent but the close.
		if websocket.IsWebSocketUpgrade(r) {
			up := websocket.Upgrader{}
			if conn, err := up.Upgrade(hijackable(w), r, nil); err == nil {
				conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4401, "session.expired"), time.Now().Add(time.Second))
				conn.Close()
			}
			return
		}
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	if _, _, err := sg.verify("ws", v.binding(), r.URL.Query().Get("t"), c.clock.Now()); err != nil {
		c.log.Info("websocket token refused", zap.String("user", v.user.Username), zap.Error(err))
		http.Error(w, "bad token", http.StatusForbidden)
		return
	}
	up := websocket.Upgrader{ReadBufferSize: 4 << 10, WriteBufferSize: 8 << 10}
	conn, err := up.Upgrade(hijackable(w), r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	cl := c.hub.attach(conn, &client{session: v.sess.ID, username: v.user.Username, role: v.user.Role,
		remote: v.remote, lang: v.lang, csrf: randomToken(24), bucket: inboundBurst, bucketAt: time.Now()})
	c.hub.subscribe(cl, []string{UserTopic(v.user.Username)})
	var topics []string
	for _, t := range []string{TopicMode, TopicKB, TopicQueues, TopicAgents, TopicActivation} {
		if c.policy.topic(cl.username, cl.role, t) {
			topics = append(topics, t)
		}
	}
	// now lets the page tick times in state on the server's clock, which
	// the demo runs in a scenario's past and faster than the wall clock.
	hello, _ := c.hub.encode("", "hello", "", map[string]any{"csrf": cl.csrf, "user": cl.username, "role": cl.role,
		"now":  c.clock.Now().UTC().Format(time.RFC3339Nano),
		"lang": v.lang, "topics": topics})
	cl.enqueue(hello)
	go cl.writeLoop()
	c.readLoop(cl)
	c.hub.detach(cl)
}

// hijackable finds the connection's own ResponseWriter under the
// wrappers of middleware (a metrics recorder ...) that offer Unwrap, as
// http.ResponseController does: the WebSocket upgrader asks for
// http.Hijacker directly.
func hijackable(w http.ResponseWriter) http.ResponseWriter {
	for range 8 {
		if _, ok := w.(http.Hijacker); ok {
			return w
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
	return w
}

// readLoop reads, checks and dispatches the connection's messages.
func (c *Console) readLoop(cl *client) {
	defer cl.close(websocket.CloseNormalClosure, "")
	cl.conn.SetReadLimit(maxInbound)
	cl.conn.SetReadDeadline(time.Now().Add(pongWait))
	cl.conn.SetPongHandler(func(string) error { return cl.conn.SetReadDeadline(time.Now().Add(pongWait)) })
	for {
		kind, data, err := cl.conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				cl.close(websocket.CloseMessageTooBig, "message too big")
			}
			return
		}
		cl.conn.SetReadDeadline(time.Now().Add(pongWait))
		if kind != websocket.TextMessage {
			c.reply(cl, "", nil, badMessage("text frames only"))
			continue
		}
		if !c.handleInbound(cl, data) {
			return
		}
	}
}

// handleInbound runs one message through the checks in order: shape, rate,
// CSRF token, sequence, session, role; then its handler. It returns false
// when the connection must end.
func (c *Console) handleInbound(cl *client, data []byte) bool {
	var in inbound
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&in); err != nil {
		// Answer to the message's id if it can be read at all.
		var id struct {
			ID string `json:"id"`
		}
		json.Unmarshal(data, &id)
		c.reply(cl, truncate(id.ID, maxMessageID), nil, badMessage(err.Error()))
		return true
	}
	in.ID = truncate(in.ID, maxMessageID)
	if in.Type == "" || len(in.Type) > maxTypeLength {
		c.reply(cl, in.ID, nil, badMessage("type is missing"))
		return true
	}
	if !cl.allow(time.Now()) {
		c.reply(cl, in.ID, nil, &wsError{"rate_limited", "ws.rate", ""})
		return true
	}
	if subtle.ConstantTimeCompare([]byte(in.CSRF), []byte(cl.csrf)) != 1 {
		c.log.Info("websocket message with a foreign csrf token", zap.String("user", cl.username), zap.String("type", in.Type))
		c.reply(cl, in.ID, nil, &wsError{"csrf", "ws.csrf", ""})
		return true
	}
	if in.Seq <= cl.lastSeq {
		c.log.Info("websocket message replayed", zap.String("user", cl.username), zap.Int64("seq", in.Seq))
		c.reply(cl, in.ID, nil, &wsError{"replay", "ws.replay", fmt.Sprintf("seq %d after %d", in.Seq, cl.lastSeq)})
		return true
	}
	cl.lastSeq = in.Seq
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, u, err := c.loadSession(ctx, cl.session, true)
	if err != nil {
		if errors.Is(err, errSessionEnded) {
			// The reply is queued before any of the session's sockets
			// closes, so this one says why before its close frame.
			c.reply(cl, in.ID, nil, &wsError{"session", "ws.session", ""})
			c.hub.closeSession(cl.session, "session.expired")
			cl.close(4401, "session.expired")
			return false
		}
		c.reply(cl, in.ID, nil, err)
		return true
	}
	if s.MFAPending {
		cl.close(4401, "session.expired")
		return false
	}
	cl.role = u.Role // a role changed by an admin applies at once
	perm, known := c.policy.message(in.Type)
	fn := c.msgs[in.Type]
	if !known || fn == nil {
		c.reply(cl, in.ID, nil, &wsError{"unknown_type", "ws.unknown", in.Type})
		return true
	}
	if !c.policy.allows(u.Role, perm) {
		c.log.Info("websocket message refused by role", zap.String("user", u.Username), zap.String("role", u.Role),
			zap.String("type", in.Type))
		c.reply(cl, in.ID, nil, &wsError{"forbidden", "ws.forbidden", in.Type})
		return true
	}
	m := &Message{Type: in.Type, Data: in.Data, Actor: Actor{Username: u.Username, Role: u.Role, Remote: cl.remote}, c: cl}
	res, err := fn(ctx, m)
	c.reply(cl, in.ID, res, err)
	return true
}

// allow is a token bucket: a runaway tab cannot flood the server.
func (cl *client) allow(now time.Time) bool {
	cl.bucket = min(inboundBurst, cl.bucket+now.Sub(cl.bucketAt).Seconds()*inboundRate)
	cl.bucketAt = now
	if cl.bucket < 1 {
		return false
	}
	cl.bucket--
	return true
}

// reply acknowledges a message or says, in the user's words, why it was refused.
func (c *Console) reply(cl *client, id string, res any, err error) {
	if err == nil {
		b, _ := c.hub.encode("", "ack", id, res)
		cl.enqueue(b)
		return
	}
	var we *wsError
	if !errors.As(err, &we) {
		ue := classify(err)
		code := strings.TrimPrefix(ue.key, "error.")
		if ue.key == "error.internal" {
			c.log.Error("websocket message failed", zap.String("user", cl.username), zap.Error(err))
		}
		we = &wsError{code, ue.key, ue.detail}
	}
	b, _ := c.hub.encode("", "error", id, map[string]string{"code": we.code, "message": c.cat.t(cl.lang, we.key), "detail": we.detail})
	cl.enqueue(b)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
