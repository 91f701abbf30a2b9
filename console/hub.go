package console

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// WebSocket timings: a ping every pingEvery; a browser that has not
// answered (pong or message) within pongWait is dead; one write may take
// writeWait before the browser is given up on.
const (
	pingEvery = 25 * time.Second
	pongWait  = 60 * time.Second
	writeWait = 10 * time.Second
)

// Hub fans out what the server publishes to every WebSocket subscribed to
// a topic. Publishing never blocks: each client has a bounded queue, and a
// client whose queue is full misses messages and is told to resynchronise
// (it then asks for the full state), so one slow or dead browser never
// delays the others. The last message of each (topic, type, key) is kept,
// so a client that (re)connects gets the whole current state at once.
type Hub struct {
	buffer int
	clock  clock.Clock
	log    *zap.Logger

	mu       sync.RWMutex
	clients  map[*client]struct{}
	topics   map[string]map[*client]struct{}
	retained map[string]map[string]json.RawMessage // topic → "type\x00key" → frame

	sent, dropped, resyncs atomic.Int64
}

type hubOptions struct {
	buffer   int
	clock    clock.Clock
	log      *zap.Logger
	registry prometheus.Registerer
}

func newHub(o hubOptions) *Hub {
	if o.buffer <= 0 {
		o.buffer = 256
	}
	h := &Hub{buffer: o.buffer, clock: o.clock, log: o.log, clients: map[*client]struct{}{},
		topics: map[string]map[*client]struct{}{}, retained: map[string]map[string]json.RawMessage{}}
	if o.registry != nil {
		o.registry.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ascolto_console_websockets",
				Help: "Open console WebSocket connections."}, func() float64 { return float64(h.Clients()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ascolto_console_messages_sent_total",
				Help: "Messages queued to console WebSockets."}, func() float64 { return float64(h.sent.Load()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ascolto_console_messages_dropped_total",
				Help: "Messages dropped because a console WebSocket's queue was full (the client resynchronises)."},
				func() float64 { return float64(h.dropped.Load()) }),
		)
	}
	return h
}

// frame is one outbound message.
type frame struct {
	Type  string `json:"type"`
	Topic string `json:"topic,omitempty"`
	Key   string `json:"key,omitempty"`
	At    int64  `json:"at"` // server time, Unix microseconds
	Data  any    `json:"data,omitempty"`
}

func (h *Hub) encode(topic, typ, key string, payload any) (json.RawMessage, error) {
	return json.Marshal(frame{Type: typ, Topic: topic, Key: key, At: h.clock.Now().UnixMicro(), Data: payload})
}

// Publish sends a state message to a topic's subscribers and keeps it as
// the current value of (topic, typ, key) for clients that sync later. A
// nil payload forgets that value instead (an agent removed ...).
func (h *Hub) Publish(topic, typ, key string, payload any) {
	slot := typ + "\x00" + key
	if payload == nil {
		h.mu.Lock()
		delete(h.retained[topic], slot)
		h.mu.Unlock()
		return
	}
	b, err := h.encode(topic, typ, key, payload)
	if err != nil {
		h.log.Error("encode published message", zap.String("type", typ), zap.Error(err))
		return
	}
	h.mu.Lock()
	if h.retained[topic] == nil {
		h.retained[topic] = map[string]json.RawMessage{}
	}
	h.retained[topic][slot] = b
	h.mu.Unlock()
	h.deliver(topic, b)
}

// Send sends an event (not state) to a topic's subscribers; it is not kept.
func (h *Hub) Send(topic, typ string, payload any) {
	b, err := h.encode(topic, typ, "", payload)
	if err != nil {
		h.log.Error("encode message", zap.String("type", typ), zap.Error(err))
		return
	}
	h.deliver(topic, b)
}

func (h *Hub) deliver(topic string, b []byte) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.topics[topic] {
		c.enqueue(b)
	}
}

// Clients counts open connections.
func (h *Hub) Clients() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.clients)
}

// Stats reports messages queued, dropped for full queues, and resync
// requests sent, since start.
func (h *Hub) Stats() (sent, dropped, resyncs int64) {
	return h.sent.Load(), h.dropped.Load(), h.resyncs.Load()
}

// client is one browser tab's WebSocket.
type client struct {
	hub       *Hub
	conn      *websocket.Conn
	send      chan []byte
	lagging   atomic.Bool
	done      chan struct{}
	closeOnce sync.Once
	closeCode int
	closeWhy  string

	session  string
	username string
	role     string
	remote   string
	lang     string
	csrf     string          // this connection's token, required in every inbound message
	topics   map[string]bool // guarded by hub.mu
	lastSeq  int64           // reader goroutine only
	bucket   float64         // reader goroutine only: inbound rate limit
	bucketAt time.Time       // reader goroutine only
}

func (h *Hub) attach(conn *websocket.Conn, c *client) *client {
	c.hub, c.conn = h, conn
	c.send = make(chan []byte, h.buffer)
	c.done = make(chan struct{})
	c.topics = map[string]bool{}
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	return c
}

func (h *Hub) detach(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	for t := range c.topics {
		delete(h.topics[t], c)
		if len(h.topics[t]) == 0 {
			delete(h.topics, t)
		}
	}
	h.mu.Unlock()
}

func (h *Hub) subscribe(c *client, topics []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range topics {
		if h.topics[t] == nil {
			h.topics[t] = map[*client]struct{}{}
		}
		h.topics[t][c] = struct{}{}
		c.topics[t] = true
	}
}

func (h *Hub) unsubscribe(c *client, topics []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range topics {
		delete(h.topics[t], c)
		delete(c.topics, t)
	}
}

// state returns, per subscribed topic, the kept messages in a stable
// order, and the topics that have none.
func (h *Hub) state(c *client) (map[string][]json.RawMessage, []string) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := map[string][]json.RawMessage{}
	var empty []string
	for t := range c.topics {
		kept := h.retained[t]
		if len(kept) == 0 {
			empty = append(empty, t)
			continue
		}
		slots := make([]string, 0, len(kept))
		for s := range kept {
			slots = append(slots, s)
		}
		sort.Strings(slots)
		for _, s := range slots {
			out[t] = append(out[t], kept[s])
		}
	}
	sort.Strings(empty)
	return out, empty
}

// retains says whether a value of (topic, typ, key) is kept.
func (h *Hub) retains(topic, typ, key string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	_, ok := h.retained[topic][typ+"\x00"+key]
	return ok
}

// closeSession closes every connection of a session, telling the browser why.
func (h *Hub) closeSession(id, why string) {
	h.mu.RLock()
	var victims []*client
	for c := range h.clients {
		if c.session == id {
			victims = append(victims, c)
		}
	}
	h.mu.RUnlock()
	for _, c := range victims {
		c.close(4401, why)
	}
}

// expire closes the connections whose session has ended.
func (h *Hub) expire(ctx context.Context, alive func(context.Context, string) bool) {
	h.mu.RLock()
	sessions := map[string]bool{}
	for c := range h.clients {
		sessions[c.session] = true
	}
	h.mu.RUnlock()
	for id := range sessions {
		if ctx.Err() != nil {
			return
		}
		if !alive(ctx, id) {
			h.closeSession(id, "session.expired")
		}
	}
}

func (h *Hub) closeAll() {
	h.mu.RLock()
	all := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		all = append(all, c)
	}
	h.mu.RUnlock()
	for _, c := range all {
		c.close(websocket.CloseGoingAway, "shutdown")
	}
}

// enqueue queues a frame without ever blocking the publisher.
func (c *client) enqueue(b []byte) {
	select {
	case c.send <- b:
		c.hub.sent.Add(1)
	default:
		c.hub.dropped.Add(1)
		c.lagging.Store(true)
	}
}

// close ends the connection once, with a close code the browser reads
// (4401: sign in again).
func (c *client) close(code int, why string) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeWhy = code, why
		close(c.done)
	})
}

// maxBatch bounds how many queued messages share one frame.
const maxBatch = 64

// batch joins b and the next n queued messages into one "batch" message
// whose data is the list of messages, in order.
func (c *client) batch(b []byte, n int) []byte {
	out := make([]byte, 0, len(b)*(n+1)+32)
	out = append(out, `{"type":"batch","data":[`...)
	out = append(out, b...)
	for range n {
		out = append(out, ',')
		out = append(out, <-c.send...)
	}
	return append(out, "]}"...)
}

// writeLoop is the only writer of the connection: queued frames, the
// resync request after drops, pings, and the close frame.
func (c *client) writeLoop() {
	ping := time.NewTicker(pingEvery)
	defer func() {
		ping.Stop()
		c.conn.Close()
	}()
	resync := []byte(`{"type":"resync"}`)
	write := func(b []byte) bool {
		c.conn.SetWriteDeadline(time.Now().Add(writeWait))
		return c.conn.WriteMessage(websocket.TextMessage, b) == nil
	}
	catchUp := func() bool {
		if len(c.send) == 0 && c.lagging.CompareAndSwap(true, false) {
			c.hub.resyncs.Add(1)
			return write(resync)
		}
		return true
	}
	for {
		select {
		case b := <-c.send:
			// Under load, whatever else is queued goes in the same frame:
			// one write instead of many, for the server and the browser.
			if n := len(c.send); n > 0 {
				b = c.batch(b, min(n, maxBatch))
			}
			if !write(b) || !catchUp() {
				c.close(websocket.CloseAbnormalClosure, "write failed")
				return
			}
		case <-ping.C:
			if !catchUp() || c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
				c.close(websocket.CloseAbnormalClosure, "ping failed")
				return
			}
		case <-c.done:
			// Say what was queued (the reason for closing, often) first.
			for drained := false; !drained; {
				select {
				case b := <-c.send:
					if !write(b) {
						return
					}
				default:
					drained = true
				}
			}
			msg := websocket.FormatCloseMessage(c.closeCode, c.closeWhy)
			c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			return
		}
	}
}
