package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/demo"
	"github.com/ascolto/ascolto/store"
)

// TestDemoScenario runs `ascolto demo` on a fresh folder at speed 60: it
// must be ready within 10 s, serve the console, and the scenario must put
// exactly its planned mix of calls through to cases.
func TestDemoScenario(t *testing.T) {
	data := t.TempDir()
	scenario := "testdata/demo-breve.yaml"
	port := freePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "demo", "--scenario", scenario, "--speed", "60", "--data", data,
		"--http-addr", "127.0.0.1:"+itoaPort(port), "--log-level", "warn")
	cmd.Env = cleanEnv()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	ready, over := false, false
	var seen []string
	for !over {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("demo exited; output:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if strings.Contains(l, "/login") && !ready {
				ready = true
				if took := time.Since(start); took > 10*time.Second {
					t.Fatalf("demo ready after %s, want under 10 s", took)
				}
				if code, _ := getReady(t, "http://127.0.0.1:"+itoaPort(port)); code != 200 {
					t.Fatalf("readyz %d once the demo said it was ready", code)
				}
			}
			if strings.Contains(l, "Scenario concluso") {
				over = true
			}
		case <-ctx.Done():
			t.Fatalf("scenario not over in time; output:\n%s", strings.Join(seen, "\n"))
		}
	}
	want, err := os.ReadFile(scenario)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := demo.Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	counts := sc.Counts()
	db, err := store.Open(store.Options{SQLitePath: filepath.Join(data, "ascolto.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bg := context.Background()
	closed, open, _ := db.CallCounts(bg)
	total := 0
	for _, n := range counts {
		total += n
	}
	if open != 0 || closed != total {
		t.Fatalf("%d calls closed, %d open; the scenario placed %d", closed, open, total)
	}
	byCategory := map[string]int{}
	var deadline = time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		cases, _ := db.Cases(bg, store.CaseFilter{Limit: 1000})
		byCategory = map[string]int{}
		for _, c := range cases {
			byCategory[c.Category]++
		}
		if len(cases) == total {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, c := range sc.Callers {
		if byCategory[c.Expect.Category] != counts[c.Kind] {
			t.Fatalf("cases by category %v; the scenario planned %v", byCategory, counts)
		}
	}
	rescue := store.UrgencyRescue
	rs, _ := db.Cases(bg, store.CaseFilter{Urgency: &rescue, Limit: 1000})
	if len(rs) != counts["rescue"] {
		t.Fatalf("%d rescue cases, %d rescue callers", len(rs), counts["rescue"])
	}
}

func itoaPort(p int) string { return strconv.Itoa(p) }
