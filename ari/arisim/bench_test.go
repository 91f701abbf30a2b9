package arisim

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/gorilla/websocket"
)

// BenchmarkCallThroughput measures the simulator alone over real sockets:
// each call arrives, and a minimal controller answers it, plays a prompt,
// and hangs it up when the prompt finishes. Reported: calls/s, and events
// and REST requests per call.
func BenchmarkCallThroughput(b *testing.B) {
	srv := New(WithClock(clock.Real()), WithDefaultMediaDuration(time.Millisecond))
	u, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	hdr := http.Header{}
	hdr.Set("Authorization", "Basic YXJpOmFyaQ==")
	conn, _, err := websocket.DefaultDialer.Dial(strings.Replace(u, "http://", "ws://", 1)+"/events?app=ascolto", hdr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	for srv.Stats().Connections == 0 {
		time.Sleep(time.Millisecond)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
	post := func(method, path string) {
		req, _ := http.NewRequest(method, u+path, nil)
		req.SetBasicAuth("ari", "ari")
		resp, err := client.Do(req)
		if err != nil {
			b.Error(err)
			return
		}
		resp.Body.Close()
	}
	ended := make(chan struct{}, 1024)
	work := make(chan func(), 1024)
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				f()
			}
		}()
	}
	go func() {
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var e struct {
				Type     string       `json:"type"`
				Channel  *channelJSON `json:"channel"`
				Playback *playbackJSON
			}
			if json.Unmarshal(msg, &e) != nil {
				continue
			}
			switch e.Type {
			case "StasisStart":
				id := e.Channel.ID
				work <- func() {
					post("POST", "/channels/"+id+"/answer")
					post("POST", "/channels/"+id+"/play?media=sound:welcome")
				}
			case "PlaybackFinished":
				id := strings.TrimPrefix(e.Playback.TargetURI, "channel:")
				work <- func() { post("DELETE", "/channels/"+id) }
			case "StasisEnd":
				ended <- struct{}{}
			}
		}
	}()
	before := srv.Stats()
	b.ResetTimer()
	start := time.Now()
	go func() {
		for i := 0; i < b.N; i++ {
			srv.Call(CallSpec{From: "+390862123456"})
		}
	}()
	for i := 0; i < b.N; i++ {
		select {
		case <-ended:
		case <-time.After(30 * time.Second):
			b.Fatalf("only %d of %d calls ended", i, b.N)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	close(work)
	wg.Wait()
	after := srv.Stats()
	reqs := 0
	for code, n := range after.Requests {
		reqs += n - before.Requests[code]
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(after.EventsSent-before.EventsSent)/float64(b.N), "events/call")
	b.ReportMetric(float64(reqs)/float64(b.N), "requests/call")
}
