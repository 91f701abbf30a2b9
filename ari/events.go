package ari

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/gorilla/websocket"
)

// Event is one decoded ARI event with the moment it was read, so the time
// from an event to the command it causes can be measured.
type Event struct {
	ari.Event
	Raw      []byte
	Received time.Time
}

// eventConn is our own events WebSocket: pings and read deadlines so a
// link that goes silent without closing is noticed, and decoding that
// skips what it cannot read instead of crashing or reconnecting.
type eventConn struct {
	ws        *websocket.Conn
	pingEvery time.Duration
	deadAfter time.Duration
}

// eventsURL turns the ARI base URL into the events WebSocket URL.
func (c *Client) eventsURL() string {
	u := *c.base
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	u.Path += "/events"
	u.RawQuery = url.Values{"app": {c.app}, "subscribeAll": {"false"}}.Encode()
	return u.String()
}

// dialEvents opens the events WebSocket. A 401 comes back as *Error.
func (c *Client) dialEvents(ctx context.Context, pingEvery, deadAfter time.Duration) (*eventConn, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, ReadBufferSize: 64 << 10, WriteBufferSize: 4 << 10}
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.pass)))
	ws, resp, err := d.DialContext(ctx, c.eventsURL(), h)
	if err != nil {
		if resp != nil {
			return nil, &Error{Method: "GET", Path: "/events", Status: resp.StatusCode, Message: http.StatusText(resp.StatusCode)}
		}
		return nil, fmt.Errorf("ari: open events WebSocket: %w", err)
	}
	ws.SetReadLimit(4 << 20)
	return &eventConn{ws: ws, pingEvery: pingEvery, deadAfter: deadAfter}, nil
}

// errUnknownEvent marks an event the library cannot decode (an Asterisk
// newer than the library, e.g. ApplicationRegistered in ARI 8).
var errUnknownEvent = errors.New("ari: unknown event type")

// decode turns raw JSON into an event, telling unknown types from garbage.
func decode(raw []byte, received time.Time) (Event, error) {
	ev, err := ari.DecodeEvent(raw)
	if err != nil {
		if strings.Contains(err.Error(), "unhandled type") {
			return Event{}, fmt.Errorf("%w: %s", errUnknownEvent, err)
		}
		return Event{}, fmt.Errorf("ari: malformed event: %w", err)
	}
	if ev == nil {
		return Event{}, errors.New("ari: malformed event: decoded to nothing")
	}
	return Event{Event: ev, Raw: raw, Received: received}, nil
}

// run reads events until the connection fails or ctx ends, calling
// handle for each decoded one and skip for each that could not be read.
// It pings every pingEvery and gives up when nothing (not even a pong)
// arrived for deadAfter.
func (e *eventConn) run(ctx context.Context, now func() time.Time, handle func(Event), skip func(error, []byte)) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			e.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			e.ws.Close()
		case <-done:
		}
	}()
	e.ws.SetReadDeadline(time.Now().Add(e.deadAfter))
	e.ws.SetPongHandler(func(string) error {
		return e.ws.SetReadDeadline(time.Now().Add(e.deadAfter))
	})
	go func() {
		t := time.NewTicker(e.pingEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if err := e.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(e.pingEvery)); err != nil {
					e.ws.Close()
					return
				}
			}
		}
	}()
	for {
		_, raw, err := e.ws.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				return fmt.Errorf("ari: events WebSocket silent for %s: %w", e.deadAfter, err)
			}
			return fmt.Errorf("ari: events WebSocket: %w", err)
		}
		e.ws.SetReadDeadline(time.Now().Add(e.deadAfter))
		ev, err := decode(raw, now())
		if err != nil {
			skip(err, raw)
			continue
		}
		handle(ev)
	}
}

func (e *eventConn) close() { e.ws.Close() }
