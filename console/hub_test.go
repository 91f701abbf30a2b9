package console

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
)

// A browser that stops reading must not hold up the others: its queue
// fills, it misses messages and is told to resynchronise, while a reading
// browser gets every message.
func TestHubSlowClientNeverBlocksOthers(t *testing.T) {
	r := newRig(t, Config{})
	r.user("fast", store.RoleSupervisor)
	r.user("slow", store.RoleSupervisor)
	fb, sb := r.browser(), r.browser()
	fb.login("fast")
	sb.login("slow")
	fast, _, _ := fb.dial("/supervisor")
	slow, _, _ := sb.dial("/supervisor")
	for _, w := range []*wsConn{fast, slow} {
		if m := w.call("subscribe", map[string]any{"topics": []string{"agents"}}); m.Type != "ack" {
			t.Fatal(m.Data)
		}
	}
	const n, keys = 3000, 40
	pad := strings.Repeat("x", 16<<10) // 48 MB in all: more than any socket buffer holds
	// The reading browser keeps the latest value of each key, as the
	// wallboard does, until the end marker.
	latest := map[string]int{}
	resynced := false
	done := make(chan error, 1)
	go func() {
		for {
			fast.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			_, data, err := fast.conn.ReadMessage()
			if err != nil {
				done <- err
				return
			}
			for _, data := range unbatch(data) {
				var m struct {
					Type, Key string
					Data      struct{ N int }
				}
				json.Unmarshal(data, &m)
				switch m.Type {
				case "agent.state":
					latest[m.Key] = m.Data.N
				case "resync":
					resynced = true
				case "end":
					done <- nil
					return
				}
			}
		}
	}()
	// If a publish waited for the browser that does not read, this loop
	// would never end.
	for i := range n {
		r.c.hub.Publish(TopicAgents, "agent.state", fmt.Sprint(i%keys), map[string]any{"n": i, "pad": pad})
	}
	// Once the reading browser's queue is empty (and any resync request
	// sent), an end marker cannot be dropped.
	fc := r.clientOf("fast")
	for len(fc.send) > 0 || fc.lagging.Load() {
		time.Sleep(5 * time.Millisecond)
	}
	r.c.hub.Send(TopicAgents, "end", nil)
	if err := <-done; err != nil {
		t.Fatalf("the reading browser: %v", err)
	}
	want := func(key string) int { k, _ := strconv.Atoi(key); return n - keys + k }
	if resynced {
		// It fell behind too (two cores, other tests running): a sync
		// brings it up to date, as console.js does.
		fast.call("sync", nil)
		var frames []map[string]any
		jsonUnmarshal(fast.expect("state").Raw, &frames)
		for _, f := range ours(frames) {
			latest[f["key"].(string)] = int(f["data"].(map[string]any)["n"].(float64))
		}
	}
	for k := range keys {
		key := fmt.Sprint(k)
		if latest[key] != want(key) {
			t.Errorf("reading browser: key %s = %d, want %d (resynced %v)", key, latest[key], want(key), resynced)
		}
	}
	// When the slow browser reads again it is told to resync, and a sync
	// gives it the current state: the last value of each key.
	slow.expect("resync")
	slow.call("sync", nil)
	st := slow.expect("state")
	var frames []map[string]any
	if err := jsonUnmarshal(st.Raw, &frames); err != nil || len(ours(frames)) != keys {
		t.Fatalf("state after resync: %d frames, %v", len(frames), err)
	}
	for _, f := range ours(frames) {
		key := f["key"].(string)
		if v := int(f["data"].(map[string]any)["n"].(float64)); v != want(key) {
			t.Errorf("slow browser after resync: key %s = %d, want %d", key, v, want(key))
		}
	}
}

// ours keeps the frames the test published (a sync also brings the
// rig's seated agents, from the ACD's snapshot).
func ours(frames []map[string]any) []map[string]any {
	var out []map[string]any
	for _, f := range frames {
		if d, ok := f["data"].(map[string]any); ok && d["n"] != nil {
			out = append(out, f)
		}
	}
	return out
}

func (r *rig) clientOf(username string) *client {
	r.c.hub.mu.RLock()
	defer r.c.hub.mu.RUnlock()
	for c := range r.c.hub.clients {
		if c.username == username {
			return c
		}
	}
	r.t.Fatalf("no client of %s", username)
	return nil
}

// unbatch returns the messages of a frame: itself, or those of a batch.
func unbatch(frame []byte) []json.RawMessage {
	var b struct {
		Type string
		Data []json.RawMessage
	}
	if json.Unmarshal(frame, &b) == nil && b.Type == "batch" {
		return b.Data
	}
	return []json.RawMessage{frame}
}
