package ari

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
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

// handled are the events the controller acts on, decoded in one pass:
// the library's DecodeEvent reads every event twice (once for its type),
// a twelfth of the controller's CPU under a phone load.
var handled = map[string]func() ari.Event{
	"StasisStart":          func() ari.Event { return new(ari.StasisStart) },
	"StasisEnd":            func() ari.Event { return new(ari.StasisEnd) },
	"ChannelDtmfReceived":  func() ari.Event { return new(ari.ChannelDtmfReceived) },
	"ChannelHangupRequest": func() ari.Event { return new(ari.ChannelHangupRequest) },
	"ChannelDestroyed":     func() ari.Event { return new(ari.ChannelDestroyed) },
	"ChannelStateChange":   func() ari.Event { return new(ari.ChannelStateChange) },
	"ChannelEnteredBridge": func() ari.Event { return new(ari.ChannelEnteredBridge) },
	"ChannelLeftBridge":    func() ari.Event { return new(ari.ChannelLeftBridge) },
	"ChannelVarset":        func() ari.Event { return new(ari.ChannelVarset) },
	"ChannelUserevent":     func() ari.Event { return new(ari.ChannelUserevent) },
	"Dial":                 func() ari.Event { return new(ari.Dial) },
	"PlaybackStarted":      func() ari.Event { return new(ari.PlaybackStarted) },
	"PlaybackFinished":     func() ari.Event { return new(ari.PlaybackFinished) },
	"RecordingStarted":     func() ari.Event { return new(ari.RecordingStarted) },
	"RecordingFinished":    func() ari.Event { return new(ari.RecordingFinished) },
	"RecordingFailed":      func() ari.Event { return new(ari.RecordingFailed) },
	"ChannelHold":          func() ari.Event { return new(ari.ChannelHold) },
	"ChannelUnhold":        func() ari.Event { return new(ari.ChannelUnhold) },
	"EndpointStateChange":  func() ari.Event { return new(ari.EndpointStateChange) },
	"DeviceStateChanged":   func() ari.Event { return new(ari.DeviceStateChanged) },
}

// leadingType reads the type of an event that names it first, as Asterisk
// writes them: {"type":"StasisStart",... ("" otherwise).
func leadingType(raw []byte) string {
	rest, ok := bytes.CutPrefix(raw, []byte(`{"type":"`))
	if !ok {
		return ""
	}
	end := bytes.IndexAny(rest[:min(len(rest), 64)], `"\`)
	if end < 0 || rest[end] != '"' {
		return ""
	}
	return string(rest[:end])
}

// decode turns raw JSON into an event, telling unknown types from garbage.
func decode(raw []byte, received time.Time) (Event, error) {
	if mk := handled[leadingType(raw)]; mk != nil {
		ev := mk()
		// A type repeated further on (JSON keeps the last) goes the long way.
		if json.Unmarshal(raw, ev) == nil && handled[ev.GetType()] != nil && ev.GetType() == leadingType(raw) {
			return Event{Event: ev, Raw: raw, Received: received}, nil
		}
	}
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
