package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/ivr"
)

const badFlow = `name: rotto
start: inizio
nodes:
  inizio:
    kind: menu
    prompts: menu-ordinario
    choices:
      "1": nessuno
    retries: 1
  orfano:
    kind: hangup
    prompts: non-esiste
  coda:
    kind: queue
    queue: fantasma
    bogus: 1
`

func TestIVRCommands(t *testing.T) {
	dir := t.TempDir()
	envs := []string{"ASCOLTO_DATA_DIR=" + filepath.Join(dir, "data")}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(badFlow), 0o600)

	_, errs, code := cli(t, envs, "ivr", "validate", bad)
	if code == 0 {
		t.Fatal("an invalid flow validated")
	}
	for _, want := range []string{bad + ":8:", "nessuno", "non-esiste", "fantasma", "bogus", "orfano", "timeout"} {
		if !strings.Contains(errs, want) {
			t.Errorf("validate output lacks %q:\n%s", want, errs)
		}
	}
	if n := strings.Count(errs, bad+":"); n < 6 {
		t.Errorf("only %d problems reported at once:\n%s", n, errs)
	}
	if _, errs, code := cli(t, envs, "ivr", "apply", bad); code == 0 || !strings.Contains(errs, "nessuna versione salvata") {
		t.Fatalf("apply of an invalid flow: %d %s", code, errs)
	}
	out, _, _ := cli(t, envs, "ivr", "list")
	if !strings.Contains(out, "flusso predefinito") {
		t.Fatalf("a failed apply stored something: %s", out)
	}

	good := filepath.Join(dir, "good.yaml")
	src := ivr.DefaultFlowSource()
	os.WriteFile(good, src, 0o600)
	if out, errs, code := cli(t, envs, "ivr", "apply", good, "--comment", "prima versione"); code != 0 || !strings.Contains(out, "Versione 1") {
		t.Fatalf("apply: %d %s %s", code, out, errs)
	}
	changed := strings.Replace(string(src), "timeout: 6s", "timeout: 8s", 1)
	os.WriteFile(good, []byte(changed), 0o600)
	if _, errs, code := cli(t, envs, "ivr", "apply", good); code != 0 {
		t.Fatalf("apply 2: %s", errs)
	}
	out, _, _ = cli(t, envs, "ivr", "list")
	if !strings.Contains(out, "2   *") && !strings.Contains(out, "2        *") {
		if lines := strings.Split(out, "\n"); len(lines) < 3 || !strings.Contains(lines[1], "*") || !strings.HasPrefix(lines[1], "2") {
			t.Fatalf("version 2 not active:\n%s", out)
		}
	}
	out, _, code = cli(t, envs, "ivr", "diff", "1", "2")
	if code != 0 || !strings.Contains(out, "-    timeout: 6s") || !strings.Contains(out, "+    timeout: 8s") {
		t.Fatalf("diff: %s", out)
	}
	if out, _, code := cli(t, envs, "ivr", "rollback", "1"); code != 0 || !strings.Contains(out, "Versione 1") {
		t.Fatalf("rollback: %s", out)
	}
	out, _, _ = cli(t, envs, "ivr", "show")
	if !strings.Contains(out, "versione 1") || !strings.Contains(out, "timeout: 6s") {
		t.Fatalf("show after rollback:\n%.300s", out)
	}
	if _, errs, code := cli(t, envs, "ivr", "rollback", "99"); code == 0 || !strings.Contains(errs, "not found") {
		t.Fatalf("rollback to a missing version: %s", errs)
	}
	out, _, code = cli(t, envs, "ivr", "simulate", "--at", "2026-12-25T10:00", "--mode", "ordinary", "--digits", "1,3")
	if code != 0 || !strings.Contains(out, "Natale") || !strings.Contains(out, "fuori-orario") {
		t.Fatalf("simulate on Christmas:\n%s", out)
	}
	out, _, _ = cli(t, envs, "--lang", "en", "ivr", "simulate", "--at", "2026-11-24T10:00", "--digits", "1")
	if !strings.Contains(out, "soccorso") || !strings.Contains(out, "rescue") {
		t.Fatalf("simulate a rescue call:\n%s", out)
	}
	log, _, _ := cli(t, envs, "ivr", "simulate", "--flow", bad)
	if strings.Contains(log, "Simulazione") {
		t.Fatal("an invalid flow was simulated")
	}
}

// TestModeSetReachesRunningService: an admin changes the mode from the CLI
// (another process); the running service applies it to the next call.
func TestModeSetReachesRunningService(t *testing.T) {
	sim, simEnv := startSim(t, arisim.WithDefaultMediaDuration(200*time.Millisecond))
	envs := append([]string{"ASCOLTO_DATA_DIR=" + t.TempDir()}, simEnv...)
	s := startServe(t, envs)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if code, _ := getReady(t, s.base); code == 200 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, errs, code := cli(t, envs, "mode", "set", "emergency"); code == 0 || !strings.Contains(errs, "--reason") {
		t.Fatalf("mode set without a reason: %d %s", code, errs)
	}
	out, errs, code := cli(t, envs, "mode", "set", "emergency", "--reason", "Sisma Centro Italia")
	if code != 0 || !strings.Contains(out, "emergenza") {
		t.Fatalf("mode set: %d %s %s", code, out, errs)
	}
	time.Sleep(1500 * time.Millisecond) // the service polls every second
	c := sim.Call(arisim.CallSpec{From: "+390746000001"}, arisim.WaitPlaybackStarted("sound:ascolto/menu-emergenza"), arisim.HangUp())
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("emergency call did not reach the emergency menu: %+v\n%s", c.Report(), s.log())
	}
	var names []string
	for _, h := range c.Report().Heard {
		names = append(names, strings.TrimPrefix(h.URI, "sound:ascolto/"))
	}
	if !slices.Contains(names, "avviso-emergenza") {
		t.Fatalf("heard %v", names)
	}
	out, _, _ = cli(t, envs, "mode", "show")
	if !strings.Contains(out, "emergenza") || !strings.Contains(out, "Sisma Centro Italia") || !strings.Contains(out, "aperto") {
		t.Fatalf("mode show:\n%s", out)
	}
	if _, errs, code := cli(t, envs, "mode", "set", "panic", "--reason", "x"); code == 0 || !strings.Contains(errs, "ordinary, emergency o closed") {
		t.Fatalf("bad mode: %s", errs)
	}
}
