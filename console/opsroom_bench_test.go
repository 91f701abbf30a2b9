package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/report"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// BenchmarkOpsRoomSavedToScreen measures the issue's figure: a rescue
// request saved by an agent (the disposition committed, then forwarded:
// what the desk does) until it is on the screens — 50 WebSockets of
// operations-room and supervisor users, each subscribed to the room's
// topic, over real sockets. It reports the latency to each screen (p50,
// p99) and until the last of the 50 has it.
//
//	go test ./console -run XXX -bench OpsRoomSavedToScreen -benchtime 200x
func BenchmarkOpsRoomSavedToScreen(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(e.Name, func(b *testing.B) { benchSavedToScreen(b, e, 50) })
	}
}

func benchSavedToScreen(b *testing.B, e storetest.Engine, screens int) {
	db := e.Open(b, clock.Real())
	ds, err := geo.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := db.SeedGeo(bg, ds); err != nil {
		b.Fatal(err)
	}
	c, err := New(Options{Store: db, Log: zap.NewNop(), SendBuffer: 256})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Bootstrap(bg); err != nil {
		b.Fatal(err)
	}
	grantOpsRoom(c.policy)
	ops, err := opsroom.New(opsroom.Options{Store: db, Publisher: c})
	if err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	c.Mount(mux)
	c.MountOpsRoom(mux, ops, report.New(report.Options{Store: db}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer c.hub.closeAll()

	agent := store.User{Username: "rossi", Role: store.RoleAgent, PasswordHash: "x"}
	if err := db.CreateUser(bg, &agent, "bench"); err != nil {
		b.Fatal(err)
	}
	type arrival struct {
		screen int
		id     int64
		at     time.Time
	}
	arrivals := make(chan arrival, screens*64)
	for i := range screens {
		role := store.RoleOpsRoom
		if i%2 == 1 {
			role = store.RoleSupervisor
		}
		u := store.User{Username: fmt.Sprintf("screen%02d", i), Role: role, PasswordHash: "x"}
		if err := db.CreateUser(bg, &u, "bench"); err != nil {
			b.Fatal(err)
		}
		token := randomToken(32)
		s := store.Session{ID: sessionKey(token), UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)}
		if err := db.CreateSession(bg, &s, ""); err != nil {
			b.Fatal(err)
		}
		wsTok := c.signer().issue("ws", "s:"+s.ID, time.Now())
		hdr := http.Header{"Cookie": {cookieSession + "=" + token}}
		conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/ws?t="+wsTok, hdr)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		var hello struct {
			Data struct{ CSRF string } `json:"data"`
		}
		if err := conn.ReadJSON(&hello); err != nil {
			b.Fatal(err)
		}
		if err := conn.WriteJSON(map[string]any{"type": "subscribe", "id": "s", "seq": 1, "csrf": hello.Data.CSRF,
			"data": map[string]any{"topics": []string{TopicOpsRoom}}}); err != nil {
			b.Fatal(err)
		}
		go func(screen int) {
			for {
				_, data, err := conn.ReadMessage()
				if err != nil {
					return
				}
				at := time.Now()
				var frames []json.RawMessage
				var batch struct {
					Type string
					Data []json.RawMessage
				}
				if json.Unmarshal(data, &batch) == nil && batch.Type == "batch" {
					frames = batch.Data
				} else {
					frames = []json.RawMessage{data}
				}
				for _, f := range frames {
					var m struct {
						Type string
						Data struct {
							ID    int64
							State string
						}
					}
					if json.Unmarshal(f, &m) == nil && m.Type == "opsroom.item" && m.Data.State == store.OpsNew {
						arrivals <- arrival{screen, m.Data.ID, at}
					}
				}
			}
		}(i)
	}
	time.Sleep(200 * time.Millisecond) // the subscriptions are in

	var perScreen, allScreens []time.Duration
	b.ResetTimer()
	for i := range b.N {
		cs := store.Case{Channel: store.ChannelPhone, ComuneCode: "040012", Summary: fmt.Sprintf("richiesta %d", i)}
		if err := db.CreateCase(bg, &cs); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		d := store.Disposition{CaseID: cs.ID, UserID: agent.ID, Category: "soccorso", Outcome: "inoltrata-sala-operativa",
			Urgency: store.UrgencyRescue, ComuneCode: "040012"}
		if err := db.SaveDisposition(bg, &d, "rossi"); err != nil {
			b.Fatal(err)
		}
		v, ok, err := ops.Submit(bg, cs.ID, "rossi")
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		seen := 0
		timeout := time.After(10 * time.Second)
		var last time.Time
		for seen < screens {
			select {
			case a := <-arrivals:
				if a.id != v.ID {
					continue
				}
				seen++
				perScreen = append(perScreen, a.at.Sub(start))
				if a.at.After(last) {
					last = a.at
				}
			case <-timeout:
				b.Fatalf("request %d reached %d of %d screens in 10 s", i, seen, screens)
			}
		}
		allScreens = append(allScreens, last.Sub(start))
	}
	b.StopTimer()
	pct := func(xs []time.Duration, p float64) float64 {
		sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
		return float64(xs[min(len(xs)-1, int(p*float64(len(xs))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(perScreen, 0.50), "p50-ms")
	b.ReportMetric(pct(perScreen, 0.99), "p99-ms")
	b.ReportMetric(pct(allScreens, 0.99), "p99-all-50-ms")
	b.ReportMetric(0, "ns/op")
}
