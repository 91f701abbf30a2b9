package console

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// BenchmarkHubFanout measures the WebSocket fan-out the issue asks for:
// 1,000 connected tabs (300 agents, 700 supervisors and wallboards) and
// 200 agent state changes a second, each going to every supervisor and to
// the agent's own tab, plus a queue snapshot to everyone each second. The
// browsers run in a child process (this test binary again), so the CPU
// figure is the server's alone. It reports delivery latency (p50, p99,
// max), server CPU and memory.
//
//	go test -run '^$' -bench HubFanout -benchtime 1x ./console
//
// ASCOLTO_TEST_BENCH_SECONDS sets the measured window (default 10).
func BenchmarkHubFanout(b *testing.B) {
	const agents, walls, rate = 300, 700, 200
	seconds := 10
	if s, err := strconv.Atoi(os.Getenv("ASCOLTO_TEST_BENCH_SECONDS")); err == nil && s > 0 {
		seconds = s
	}
	for range b.N {
		runFanout(b, agents, walls, rate, seconds)
	}
}

func runFanout(b *testing.B, agents, walls, rate, seconds int) {
	db := storetest.SQLite(b)
	c, err := New(Options{Store: db, Clock: clock.Real(), Log: zap.NewNop(), SendBuffer: 256})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	if err := c.Bootstrap(ctx); err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	c.Mount(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer c.hub.closeAll()

	// 1,000 signed-in tabs: sessions made directly (hashing 1,000
	// passwords would only measure argon2).
	hash, _ := HashPassword("benchmark-password")
	var lines []string
	mkUser := func(name, role string) store.User {
		u := store.User{Username: name, Role: role, PasswordHash: hash}
		if err := db.CreateUser(ctx, &u, "bench"); err != nil {
			b.Fatal(err)
		}
		return u
	}
	sups := make([]store.User, 10)
	for i := range sups {
		sups[i] = mkUser(fmt.Sprintf("coord%02d", i), store.RoleSupervisor)
	}
	for i := range agents + walls {
		var u store.User
		topics := "queues"
		if i < agents {
			u = mkUser(fmt.Sprintf("op%03d", i), store.RoleAgent)
		} else {
			u = sups[i%len(sups)]
			topics = "queues,agents"
		}
		token := randomToken(32)
		s := store.Session{ID: sessionKey(token), UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)}
		if err := db.CreateSession(ctx, &s, ""); err != nil {
			b.Fatal(err)
		}
		lines = append(lines, token+" "+c.signer().issue("ws", "s:"+s.ID, time.Now())+" "+topics)
	}
	spec := filepath.Join(b.TempDir(), "clients")
	os.WriteFile(spec, []byte(strings.Join(lines, "\n")), 0o600)

	child := exec.Command(os.Args[0], "-test.run=^TestBenchClients$", "-test.v")
	child.Env = append(os.Environ(), "ASCOLTO_TEST_BENCH_CLIENTS="+spec, "ASCOLTO_TEST_BENCH_URL="+srv.URL)
	out, _ := child.StdoutPipe()
	child.Stderr = os.Stderr
	stdin, _ := child.StdinPipe()
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	defer child.Process.Kill()
	sc := bufio.NewScanner(out)
	waitFor := func(prefix string) string {
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, prefix) {
				return strings.TrimPrefix(l, prefix)
			}
		}
		b.Fatalf("clients ended before %s", prefix)
		return ""
	}
	waitFor("READY")
	if n := c.hub.Clients(); n != agents+walls {
		b.Fatalf("%d clients connected, want %d", n, agents+walls)
	}
	runtime.GC()
	cpu0 := cpuTime()
	wall0 := time.Now()
	sent0, dropped0, _ := c.hub.Stats()

	// 200 changes a second, spread evenly on a fixed schedule (a late
	// change goes out at once, so the rate holds); a queue snapshot each second.
	every := time.Second / time.Duration(rate)
	states := []string{StateAvailable, StateRinging, StateOnCall, StateWrapUp, StatePaused}
	for i := 0; i < rate*seconds; i++ {
		if d := time.Until(wall0.Add(time.Duration(i) * every)); d > 0 {
			time.Sleep(d)
		}
		n := i % agents
		c.PublishAgent(AgentView{ID: fmt.Sprintf("%d", 1000+n), Username: fmt.Sprintf("op%03d", n), Name: "Operatore",
			State: states[i%len(states)], Since: time.Now(), Reachable: true, Queues: []string{"informazioni", "segnalazioni"}})
		if i%rate == 0 {
			c.PublishSnapshot(Snapshot{At: time.Now(), Mode: "emergency", Queues: []QueueView{
				{Name: "soccorso", Waiting: i % 7}, {Name: "segnalazioni", Waiting: i % 11}, {Name: "informazioni", Waiting: i % 13}}})
		}
	}
	elapsed := time.Since(wall0)
	cpu := cpuTime() - cpu0
	sent, dropped, _ := c.hub.Stats()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	time.Sleep(time.Second) // let the last messages arrive
	stdin.Close()
	var res benchResult
	if err := json.Unmarshal([]byte(waitFor("RESULT ")), &res); err != nil {
		b.Fatal(err)
	}
	child.Wait()
	b.ReportMetric(res.P50, "p50-ms")
	b.ReportMetric(res.P99, "p99-ms")
	b.ReportMetric(res.Max, "max-ms")
	b.ReportMetric(float64(res.Received)/elapsed.Seconds(), "delivered/s")
	b.ReportMetric(100*cpu.Seconds()/elapsed.Seconds(), "server-cpu-%")
	b.ReportMetric(float64(rssBytes())/(1<<20), "server-rss-MB")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(float64(dropped-dropped0), "dropped")
	b.Logf("%d clients, %d changes/s for %s: queued %d, received %d, dropped %d, resyncs asked %d; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; server CPU %.0f%% of one core, RSS %d MB",
		agents+walls, rate, elapsed.Round(time.Millisecond), sent-sent0, res.Received, dropped-dropped0, res.Resyncs, res.P50, res.P99, res.Max,
		100*cpu.Seconds()/elapsed.Seconds(), rssBytes()>>20)
}

type benchResult struct {
	Received      int
	Resyncs       int
	P50, P99, Max float64
}

// TestBenchClients is the browsers' side of BenchmarkHubFanout, run in a
// child process; it does nothing in a normal test run.
func TestBenchClients(t *testing.T) {
	spec := os.Getenv("ASCOLTO_TEST_BENCH_CLIENTS")
	if spec == "" {
		t.Skip("the client side of BenchmarkHubFanout")
	}
	base := "ws" + strings.TrimPrefix(os.Getenv("ASCOLTO_TEST_BENCH_URL"), "http") + "/ws?t="
	raw, _ := os.ReadFile(spec)
	var mu sync.Mutex
	var lat []float64
	resyncs := 0
	var conns []*websocket.Conn
	var ready sync.WaitGroup
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		hdr := http.Header{"Cookie": {cookieSession + "=" + f[0]}}
		conn, _, err := websocket.DefaultDialer.Dial(base+f[1], hdr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
		var hello struct{ Data struct{ CSRF string } }
		if err := conn.ReadJSON(&hello); err != nil {
			t.Fatal(err)
		}
		sub, _ := json.Marshal(map[string]any{"type": "subscribe", "id": "s", "seq": 1, "csrf": hello.Data.CSRF,
			"data": map[string]any{"topics": strings.Split(f[2], ",")}})
		conn.WriteMessage(websocket.TextMessage, sub)
		ready.Add(1)
		go func() {
			acked := false
			var mine []float64
			for {
				_, data, err := conn.ReadMessage()
				if err != nil {
					break
				}
				// Read only the envelope's type and time, as cheaply as
				// possible: the browsers' side must not be the bottleneck.
				now := time.Now().UnixMicro()
				for rest := data; ; {
					i := bytes.Index(rest, []byte(`{"type":"`))
					if i < 0 {
						break
					}
					rest = rest[i+9:]
					typ := rest[:bytes.IndexByte(rest, '"')]
					switch string(typ) {
					case "ack":
						if !acked {
							acked = true
							ready.Done()
						}
					case "resync":
						mu.Lock()
						resyncs++
						mu.Unlock()
					case "agent.state", "agent.self", "queues.snapshot":
						j := bytes.Index(rest, []byte(`"at":`))
						if j < 0 {
							continue
						}
						at := int64(0)
						for _, c := range rest[j+5:] {
							if c < '0' || c > '9' {
								break
							}
							at = at*10 + int64(c-'0')
						}
						mine = append(mine, float64(now-at)/1000)
					}
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	ready.Wait()
	fmt.Println("READY")
	io := bufio.NewReader(os.Stdin)
	io.ReadByte() // the parent closes stdin when it is done
	for _, c := range conns {
		c.Close()
	}
	time.Sleep(500 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	sort.Float64s(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return lat[int(p*float64(len(lat)-1))]
	}
	b, _ := json.Marshal(benchResult{Received: len(lat), Resyncs: resyncs, P50: q(.5), P99: q(.99), Max: q(1)})
	fmt.Println("RESULT " + string(b))
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkAgentPage is the server time of the agent desk: session,
// authorization, the ACD's answer and the template.
func BenchmarkAgentPage(b *testing.B) {
	db := storetest.SQLite(b)
	be := newMemBackend()
	c, err := New(Options{Store: db, Backend: be, Clock: clock.Real(), Log: zap.NewNop()})
	if err != nil {
		b.Fatal(err)
	}
	be.c = c
	if err := c.Bootstrap(b.Context()); err != nil {
		b.Fatal(err)
	}
	hash, _ := HashPassword("benchmark-password")
	u := store.User{Username: "rossi", Role: store.RoleAgent, PasswordHash: hash}
	db.CreateUser(b.Context(), &u, "bench")
	be.seat("rossi", "101")
	token := randomToken(32)
	s := store.Session{ID: sessionKey(token), UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)}
	db.CreateSession(b.Context(), &s, "")
	mux := http.NewServeMux()
	c.Mount(mux)
	b.ResetTimer()
	for range b.N {
		req := httptest.NewRequest("GET", "/agent", nil)
		req.AddCookie(&http.Cookie{Name: cookieSession, Value: token})
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("%d", w.Code)
		}
	}
}
