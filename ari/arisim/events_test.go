package arisim

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestConnectWhileDropping opens event sockets while the server drops them
// and restarts over and over, so that connections are killed in every state:
// registered but not yet upgraded, upgraded, reading and writing. Under
// go test -race this catches the handler and kill() touching the socket
// without the lock (ari's TestLinkFaults once hit it through Restart).
func TestConnectWhileDropping(t *testing.T) {
	h := newHarness(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				h.srv.DropConnections()
			} else {
				h.srv.Restart(0)
			}
		}
	}()
	wsURL := strings.Replace(h.url, "http://", "ws://", 1) + "/events?app=ascolto"
	hdr := http.Header{"Authorization": {"Basic YXJpOmFyaQ=="}}
	upgraded := 0
	for i := 0; i < 200; i++ {
		conn, _, err := websocket.DefaultDialer.Dial(wsURL, hdr)
		if err != nil {
			continue // killed before the upgrade completed
		}
		upgraded++
		_ = conn.Close()
	}
	close(stop)
	wg.Wait()
	if upgraded == 0 {
		t.Fatal("no socket was ever upgraded")
	}
	// The server is still whole: a new socket gets the app's events.
	ev := h.connect("ascolto")
	h.srv.Call(CallSpec{From: "+390862000009"})
	if got := strings.Join(types(ev.drainSome(50*time.Millisecond)), ","); got != "StasisStart" {
		t.Fatalf("after the storm the app saw %q", got)
	}
}

// TestAddChannelWaitsForPlayback: Asterisk runs a channel's playback on
// the channel's control queue and a bridge's addChannel after it, so the
// request returns only once the playback is over (here: stopped). A
// controller that bridges a caller who is being played to must stop the
// playback first.
func TestAddChannelWaitsForPlayback(t *testing.T) {
	h := newHarness(t)
	ev := h.connect("ascolto")
	c := h.srv.Call(CallSpec{From: "+390862000010"})
	ev.drainSome(50 * time.Millisecond)
	id := c.ChannelID()
	if code, body := h.do("POST", "/channels/"+id+"/play/pb1", "media=tone:ring"); code != 201 {
		t.Fatalf("play: %d %s", code, body)
	}
	if code, body := h.do("POST", "/bridges/b1", "type=mixing"); code != 200 {
		t.Fatalf("bridge: %d %s", code, body)
	}
	done := make(chan int, 1)
	go func() { code, _ := h.do("POST", "/bridges/b1/addChannel", "channel="+id); done <- code }()
	select {
	case code := <-done:
		t.Fatalf("addChannel answered %d while the channel was playing", code)
	case <-time.After(300 * time.Millisecond):
	}
	if code, body := h.do("DELETE", "/playbacks/pb1", ""); code != 204 {
		t.Fatalf("stop: %d %s", code, body)
	}
	select {
	case code := <-done:
		if code != 204 {
			t.Fatalf("addChannel after the playback: %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("addChannel still waiting after the playback stopped")
	}
}
