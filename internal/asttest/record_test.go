package asttest

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/gorilla/websocket"
)

// TestRecordARI: the proxy forwards REST and the events WebSocket unchanged
// and writes both, in order, without the password.
func TestRecordARI(t *testing.T) {
	sim := arisim.New(arisim.WithCredentials("ascolto", "s3cret"),
		arisim.WithDialplan(arisim.NewDialplan().Add("from-trunk", "_X.", arisim.AppStasis("ascolto", "${EXTEN}"))))
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	file := filepath.Join(t.TempDir(), "trace.jsonl")
	sub := &subT{T: t}
	rec := RecordARI(sub, base, file, map[string]any{"scenario": "test"})

	ws, _, err := websocket.DefaultDialer.Dial(strings.Replace(rec.URL, "http", "ws", 1)+"/events?app=ascolto&api_key=ascolto:s3cret", nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", rec.URL+"/bridges/b1?type=mixing", nil)
	req.SetBasicAuth("ascolto", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /bridges through the proxy: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", rec.URL+"/channels/nosuch", nil)
	req.SetBasicAuth("ascolto", "s3cret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("GET unknown channel through the proxy: %d", resp.StatusCode)
	}
	c := sim.Call(arisim.CallSpec{From: "+390862000001", To: "800840840"})
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, msg, err := ws.ReadMessage()
	if err != nil || !strings.Contains(string(msg), `"StasisStart"`) || !strings.Contains(string(msg), c.ChannelID()) {
		t.Fatalf("event through the proxy: %s %v", msg, err)
	}
	ws.Close()
	sub.cleanup()

	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "s3cret") {
		t.Errorf("the password is in the trace:\n%s", b)
	}
	var kinds []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var l struct {
			Kind     string
			Request  *struct{ Method, Path string }
			Response *struct{ Status int }
			Data     json.RawMessage
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%v: %s", err, sc.Bytes())
		}
		k := l.Kind
		if l.Request != nil {
			k += " " + l.Request.Method + " " + l.Request.Path
		}
		if l.Kind == "ws_event" {
			var e struct{ Type string }
			json.Unmarshal(l.Data, &e)
			k += " " + e.Type
		}
		kinds = append(kinds, k)
	}
	want := []string{"meta", "ws_open", "rest POST /ari/bridges/b1", "rest GET /ari/channels/nosuch", "ws_event StasisStart", "ws_close"}
	if strings.Join(kinds, "|") != strings.Join(want, "|") {
		t.Errorf("trace lines\n got %v\nwant %v\n%s", kinds, want, b)
	}
}

// subT runs cleanups when the test asks, so it can read what they wrote.
type subT struct {
	*testing.T
	fns []func()
}

func (s *subT) Cleanup(f func()) { s.fns = append(s.fns, f) }
func (s *subT) cleanup() {
	for i := len(s.fns) - 1; i >= 0; i-- {
		s.fns[i]()
	}
}
