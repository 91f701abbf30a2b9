package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/store/storetest"
)

// The end-to-end tests build the real binary and drive it as an operator
// would: through its command line and its HTTP endpoints.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ascolto-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ascolto")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build ascolto: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs the binary to completion with a clean ASCOLTO_* environment.
func cli(t *testing.T, envs []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(cleanEnv(), envs...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ASCOLTO_") {
			out = append(out, kv)
		}
	}
	return out
}

// engines returns the environment for each available database engine.
func engines(t *testing.T) map[string][]string {
	m := map[string][]string{"sqlite": {"ASCOLTO_DATA_DIR=" + t.TempDir()}}
	if os.Getenv(storetest.EnvURL) != "" {
		m["postgres"] = []string{"ASCOLTO_DATABASE_URL=" + storetest.PostgresURL(t)}
	}
	return m
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	for name, envs := range engines(t) {
		t.Run(name, func(t *testing.T) {
			var wg sync.WaitGroup
			outs := make([]string, 3)
			codes := make([]int, 3)
			for i := range outs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var errs string
					outs[i], errs, codes[i] = cli(t, envs, "migrate")
					if codes[i] != 0 {
						t.Errorf("migrate %d exit %d: %s", i, codes[i], errs)
					}
				}()
			}
			wg.Wait()
			migrated, loaded := 0, 0
			for _, o := range outs {
				if strings.Contains(o, "Schema aggiornato dalla versione 0") {
					migrated++
				}
				if strings.Contains(o, "Caricati 7904 comuni") {
					loaded++
				}
			}
			if migrated != 1 || loaded != 1 {
				t.Fatalf("3 concurrent migrates: %d migrated, %d loaded the comuni; want 1 and 1:\n%s", migrated, loaded, strings.Join(outs, "\n"))
			}
			out, _, code := cli(t, envs, "--lang", "en", "migrate")
			if code != 0 || !strings.Contains(out, "already up to date") {
				t.Fatalf("re-run: %d %q", code, out)
			}
		})
	}
}

func TestConfigErrorsRefuseToStart(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("http-addr: 127.0.0.1:0\ndatabse-url: postgres://x\n"), 0o600)
	cases := []struct {
		args []string
		envs []string
		want string
	}{
		{[]string{"serve", "--config", bad}, nil, "databse-url"},
		{[]string{"serve"}, []string{"ASCOLTO_LOG_LEVEL=chatty"}, "ASCOLTO_LOG_LEVEL"},
		{[]string{"serve", "--ari-url", "localhost:8088"}, nil, "ari-url"},
		{[]string{"config", "show", "--database-url", "mysql://root:pw@db/x"}, nil, "database-url"},
	}
	for _, c := range cases {
		_, errs, code := cli(t, c.envs, c.args...)
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%v %v: exit %d, stderr %q; want failure naming %q", c.args, c.envs, code, errs, c.want)
		}
		if strings.Contains(errs, "pw@") {
			t.Errorf("secret leaked: %q", errs)
		}
	}
	out, _, code := cli(t, []string{"ASCOLTO_ARI_PASSWORD=topsecret"}, "config", "show")
	if code != 0 || strings.Contains(out, "topsecret") || !strings.Contains(out, "ari-password") {
		t.Fatalf("config show: %d\n%s", code, out)
	}
}

func TestGeoImport(t *testing.T) {
	envs := []string{"ASCOLTO_DATA_DIR=" + t.TempDir()}
	out, errs, code := cli(t, envs, "geo", "import", "../../geo/testdata/istat-sample.csv")
	if code != 0 || !strings.Contains(out, "Importati 13 comuni") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	raw, _ := os.ReadFile("../../geo/testdata/istat-sample.csv")
	broken := bytes.Replace(raw, []byte(";066049;"), []byte(";66049X;"), 1)
	p := filepath.Join(t.TempDir(), "broken.csv")
	os.WriteFile(p, broken, 0o600)
	_, errs, code = cli(t, envs, "geo", "import", p)
	if code == 0 || !strings.Contains(errs, "line") || !strings.Contains(errs, "nessuna modifica") {
		t.Fatalf("broken import: %d %q", code, errs)
	}
	_, errs, code = cli(t, envs, "geo", "import", "/nonexistent.csv")
	if code == 0 || !strings.Contains(errs, "/nonexistent.csv") {
		t.Fatalf("missing file: %d %q", code, errs)
	}
}

// server is a running `ascolto serve`.
type server struct {
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
	mu   *sync.Mutex
}

// startSim runs an ARI simulator for the binary to connect to and returns
// the environment that points ascolto at it.
func startSim(t *testing.T, opts ...arisim.Option) (*arisim.Server, []string) {
	t.Helper()
	sim := arisim.New(append([]arisim.Option{arisim.WithCredentials("ascolto", "sim-secret")}, opts...)...)
	url, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim, []string{"ASCOLTO_ARI_URL=" + url, "ASCOLTO_ARI_USER=ascolto", "ASCOLTO_ARI_PASSWORD=sim-secret"}
}

func startServe(t *testing.T, envs []string) *server {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(binary, "serve", "--http-addr", fmt.Sprintf("127.0.0.1:%d", port))
	cmd.Env = append(cleanEnv(), envs...)
	logs := &bytes.Buffer{}
	mu := &sync.Mutex{}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			mu.Lock()
			logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port), logs: logs, mu: mu}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		pw.Close()
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve did not answer /healthz in 20 s; logs:\n%s", s.log())
	return nil
}

func (s *server) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type readyBody struct {
	Ready  bool `json:"ready"`
	Checks []struct {
		Name   string `json:"name"`
		Ready  bool   `json:"ready"`
		Detail string `json:"detail"`
	} `json:"checks"`
}

func getReady(t *testing.T, base string) (int, readyBody) {
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b readyBody
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestServeHealthReadyMetrics(t *testing.T) {
	for name, envs := range engines(t) {
		t.Run(name, func(t *testing.T) {
			_, simEnv := startSim(t)
			s := startServe(t, append(envs, simEnv...))
			var code int
			var body readyBody
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				if code, body = getReady(t, s.base); code == 200 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if code != 200 || !body.Ready || len(body.Checks) != 3 || body.Checks[0].Name != "acd" || body.Checks[1].Name != "asterisk" || body.Checks[2].Name != "database" {
				t.Fatalf("readyz %d %+v\n%s", code, body, s.log())
			}
			resp, err := http.Get(s.base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			m, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, want := range []string{"ascolto_database_up 1", "ascolto_ari_connected 1", "ascolto_build_info{", `ascolto_http_requests_total{code="200",route="GET /readyz"}`, "go_goroutines"} {
				if !strings.Contains(string(m), want) {
					t.Fatalf("metrics lack %q:\n%s", want, m)
				}
			}
			// Graceful shutdown on SIGTERM: exit status 0, and it says so.
			s.cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- s.cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("exit after SIGTERM: %v\n%s", err, s.log())
				}
			case <-time.After(20 * time.Second):
				t.Fatal("serve ignored SIGTERM")
			}
			if !strings.Contains(s.log(), "ascolto stopped") {
				t.Fatalf("no shutdown log:\n%s", s.log())
			}
		})
	}
}

// TestServeWaitsForDatabase: with PostgreSQL unreachable, serve stays up,
// /readyz says 503 with the reason and a hint, and it keeps retrying.
func TestServeWaitsForDatabase(t *testing.T) {
	dead := freePort(t) // nothing listens here
	s := startServe(t, []string{fmt.Sprintf("ASCOLTO_DATABASE_URL=postgres://ascolto:secret@127.0.0.1:%d/ascolto?connect_timeout=2", dead)})
	var code int
	var detail string
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		code, detail = checkDetail(t, s.base, "database")
		if strings.Contains(detail, "PostgreSQL running") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code != 503 || !strings.Contains(detail, "PostgreSQL running") {
		t.Fatalf("readyz %d, database: %q", code, detail)
	}
	if strings.Contains(detail, "secret") {
		t.Fatalf("readyz leaks the password: %q", detail)
	}
	// It keeps retrying: wait for the second attempt in the log (a failsafe
	// bound, not a figure), rather than sleeping and counting.
	retried := time.Now().Add(30 * time.Second)
	for strings.Count(s.log(), "database not ready") < 2 {
		if time.Now().After(retried) {
			t.Fatalf("serve did not keep retrying:\n%s", s.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if s.cmd.ProcessState != nil {
		t.Fatal("serve exited")
	}
}

// checkDetail returns /readyz's status and one component's detail.
func checkDetail(t *testing.T, base, name string) (int, string) {
	code, body := getReady(t, base)
	for _, c := range body.Checks {
		if c.Name == name {
			return code, c.Detail
		}
	}
	return code, ""
}

// TestServeReportsARIProblems: a wrong ARI password and an Asterisk that
// is down are told apart on /readyz, and the process never hangs.
func TestServeReportsARIProblems(t *testing.T) {
	_, simEnv := startSim(t)
	wrong := append([]string{"ASCOLTO_DATA_DIR=" + t.TempDir()}, simEnv...)
	wrong = append(wrong, "ASCOLTO_ARI_PASSWORD=not-the-password")
	s := startServe(t, wrong)
	want := map[string]string{"wrong password": "wrong user or password (401"}
	var detail string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, detail = checkDetail(t, s.base, "asterisk"); strings.Contains(detail, want["wrong password"]) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(detail, want["wrong password"]) || strings.Contains(detail, "not-the-password") {
		t.Fatalf("wrong password reported as %q", detail)
	}

	down := []string{"ASCOLTO_DATA_DIR=" + t.TempDir(), fmt.Sprintf("ASCOLTO_ARI_URL=http://127.0.0.1:%d/ari", freePort(t))}
	s2 := startServe(t, down)
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, detail = checkDetail(t, s2.base, "asterisk"); strings.Contains(detail, "connection refused") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(detail, "not reachable") {
		t.Fatalf("Asterisk down reported as %q", detail)
	}
	// Shutdown is not held up by the connection attempts.
	s2.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s2.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop while Asterisk was down")
	}
}

func TestServePortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, errs, code := cli(t, []string{"ASCOLTO_DATA_DIR=" + t.TempDir()}, "serve", "--http-addr", ln.Addr().String())
	if code == 0 || !strings.Contains(errs, "address already in use") {
		t.Fatalf("exit %d: %q", code, errs)
	}
}
