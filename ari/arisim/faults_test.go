package arisim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/gorilla/websocket"
)

func TestHTTPErrors(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, method, path, query, user string
		status                          int
		body                            string
	}{
		{"wrong password", "GET", "/channels", "", "nobody", 401, `{"message":"Authentication required"}`},
		{"unknown path", "GET", "/no/such/resource", "", "ari", 404, `{"message":"Resource not found"}`},
		{"wrong method", "PUT", "/channels", "", "ari", 405, `{"message":"Invalid method"}`},
		{"unknown channel", "GET", "/channels/nope", "", "ari", 404, `{"message":"Channel not found"}`},
		{"unknown endpoint", "POST", "/channels", "endpoint=PJSIP/nosuch&app=ascolto", "ari", 500, `{"error":"Allocation failed"}`},
		{"invalid endpoint", "POST", "/channels", "endpoint=nonsense&app=ascolto", "ari", 400, `{"message":"Invalid endpoint specified"}`},
		{"bad bridge type", "POST", "/bridges", "type=nonsense", "ari", 500, `{"message":"Unable to create bridge. Possible duplicate bridge id '(null)'"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := h.doAuth(c.method, c.path, c.query, c.user, "ari")
			if status != c.status || string(body) != c.body {
				t.Fatalf("%s %s = %d %s, want %d %s", c.method, c.path, status, body, c.status, c.body)
			}
		})
	}
	// api_key works as well as basic auth.
	resp, err := http.Get(h.url + "/asterisk/info?api_key=ari:ari")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("api_key: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestFaults(t *testing.T) {
	t.Run("drop keeps the app registered and loses events", func(t *testing.T) {
		h := newHarness(t)
		ev := h.connect("ascolto")
		h.srv.DropConnections()
		if evs := ev.drain(200 * time.Millisecond); len(evs) != 0 {
			t.Fatalf("events after drop: %v", types(evs))
		}
		if _, open := <-ev.ch; open {
			t.Fatal("socket still open after DropConnections")
		}
		if st, _ := h.do("GET", "/applications/ascolto", ""); st != 200 {
			t.Fatalf("app after drop: %d", st)
		}
		c := h.srv.Call(CallSpec{From: "+390612345678"})
		<-c.Done() // no connected app: Stasis fails, the dialplan hangs up
		if r := c.Report(); r.HungUpBy != "dialplan" {
			t.Fatalf("call without app: %+v", r)
		}
		ev2 := h.connect("ascolto")
		h.srv.Call(CallSpec{From: "+390612345678"})
		if got := types(ev2.drainSome(100 * time.Millisecond)); len(got) != 1 || got[0] != "StasisStart" {
			t.Fatalf("after reconnect: %v", got)
		}
	})
	t.Run("silent keeps TCP open, sends nothing, ignores pings", func(t *testing.T) {
		h := newHarness(t)
		ev := h.connect("ascolto")
		pongs := make(chan struct{}, 4)
		ev.conn.SetPongHandler(func(string) error { pongs <- struct{}{}; return nil })
		h.srv.SetSilent(true)
		h.srv.Call(CallSpec{From: "1"})
		_ = ev.conn.WriteControl(websocket.PingMessage, []byte("x"), time.Now().Add(time.Second))
		if evs := ev.drain(200 * time.Millisecond); len(evs) != 0 {
			t.Fatalf("silent server sent %v", types(evs))
		}
		select {
		case <-pongs:
			t.Fatal("silent server answered a ping")
		default:
		}
		h.srv.SetSilent(false)
		_ = ev.conn.WriteControl(websocket.PingMessage, []byte("y"), time.Now().Add(time.Second))
		h.srv.Call(CallSpec{From: "2"})
		if got := types(ev.drainSome(200 * time.Millisecond)); len(got) != 1 {
			t.Fatalf("after silence: %v", got)
		}
		select {
		case <-pongs:
		case <-time.After(time.Second):
			t.Fatal("no pong once loud again")
		}
	})
	t.Run("restart forgets everything", func(t *testing.T) {
		h := newHarness(t)
		ev := h.connect("ascolto")
		c := h.srv.Call(CallSpec{From: "1"})
		_, before := h.do("GET", "/asterisk/info", "")
		h.clk.Advance(5 * time.Second)
		h.srv.Restart(2 * time.Second)
		if _, open := <-ev.ch; open {
			for range ev.ch {
			}
		}
		<-c.Done()
		if _, err := http.Get(h.url + "/asterisk/info"); err == nil {
			t.Fatal("port answered while Asterisk is down")
		}
		h.clk.Advance(2 * time.Second)
		var st int
		var after json.RawMessage
		for i := 0; i < 100; i++ {
			if resp, err := http.Get(h.url + "/asterisk/info?api_key=ari:ari"); err == nil {
				resp.Body.Close()
				st, after = h.do("GET", "/asterisk/info", "")
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if st != 200 || bytes.Equal(before, after) {
			t.Fatalf("startup_time did not change: %d %s", st, after)
		}
		if st, body := h.do("GET", "/channels", ""); st != 200 || string(body) != "[]" {
			t.Fatalf("channels after restart: %d %s", st, body)
		}
		if st, _ := h.do("GET", "/applications/ascolto", ""); st != 404 {
			t.Fatalf("app after restart: %d, want 404", st)
		}
	})
	t.Run("inject unknown, malformed and raw events", func(t *testing.T) {
		h := newHarness(t)
		ev := h.connect("ascolto")
		if err := h.srv.InjectEvent("ascolto", "ApplicationRegistered", nil); err != nil {
			t.Fatal(err)
		}
		if err := h.srv.InjectEvent("ascolto", "StasisStart", map[string]any{"args": "not-a-list"}); err != nil {
			t.Fatal(err)
		}
		if err := h.srv.InjectRaw("ascolto", []byte("{not json")); err != nil {
			t.Fatal(err)
		}
		if err := h.srv.InjectRaw("nobody", []byte("{}")); err == nil {
			t.Fatal("inject to an unknown app succeeded")
		}
		raws := ev.raw(100 * time.Millisecond)
		if len(raws) != 3 || string(raws[2]) != "{not json" {
			t.Fatalf("got %q", raws)
		}
		for i, raw := range raws {
			if _, err := ari.DecodeEvent(raw); err == nil {
				t.Errorf("event %d decoded, but it is meant to trip the library: %s", i, raw)
			}
		}
	})
	t.Run("duplicate and swap a channel's events", func(t *testing.T) {
		h := newHarness(t)
		ev := h.connect("ascolto")
		c := h.srv.Call(CallSpec{From: "1"})
		ev.drainSome(50 * time.Millisecond)
		h.srv.DuplicateChannelEvents(c.ChannelID(), true)
		h.do("POST", "/channels/"+c.ChannelID()+"/answer", "")
		raws := ev.raw(100 * time.Millisecond)
		if len(raws) != 2 || !bytes.Equal(raws[0], raws[1]) {
			t.Fatalf("duplicate: %q", raws)
		}
		h.srv.DuplicateChannelEvents(c.ChannelID(), false)
		h.srv.SwapChannelEvents(c.ChannelID(), 1)
		h.do("POST", "/channels/"+c.ChannelID()+"/variable", "variable=A&value=1")
		h.do("POST", "/channels/"+c.ChannelID()+"/variable", "variable=B&value=2")
		evs := ev.drainSome(100 * time.Millisecond)
		if len(evs) != 2 || evs[0]["variable"] != "B" || evs[1]["variable"] != "A" {
			t.Fatalf("swap: %v", evs)
		}
	})
	t.Run("refuse originates", func(t *testing.T) {
		h := newHarness(t)
		h.srv.Endpoint("PJSIP/101", Answer(time.Second))
		h.srv.RefuseOriginates("PJSIP/+39")
		if st, body := h.do("POST", "/channels", "endpoint=PJSIP/%2B390612345678@trunk&app=ascolto"); st != 500 || !strings.Contains(string(body), "Allocation failed") {
			t.Fatalf("refused originate = %d %s", st, body)
		}
		if st, _ := h.do("POST", "/channels", "endpoint=PJSIP/101&app=ascolto"); st != 200 {
			t.Fatalf("other endpoint refused: %d", st)
		}
		h.srv.AcceptOriginates()
		if st, _ := h.do("POST", "/channels", "endpoint=PJSIP/%2B390612345678@trunk&app=ascolto"); st != 200 {
			t.Fatalf("after AcceptOriginates: %d", st)
		}
		if n := h.srv.Stats().Requests[500]; n != 1 {
			t.Fatalf("500 counter = %d, want 1", n)
		}
	})
}
