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
