package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/ascolto/ascolto/store"
)

// TestQueueThresholdCommands drives `ascolto queue threshold`: the
// defaults from the target, a change stored and audited, refusals in the
// person's language, and the reset.
func TestQueueThresholdCommands(t *testing.T) {
	for name, envs := range engines(t) {
		t.Run(name, func(t *testing.T) {
			run := func(args ...string) (string, string, int) { return cli(t, envs, args...) }
			must := func(want string, args ...string) string {
				t.Helper()
				out, errs, code := run(args...)
				if code != 0 || !strings.Contains(out, want) {
					t.Fatalf("%v: exit %d, want %q in\n%s%s", args, code, want, out, errs)
				}
				return out
			}
			if _, errs, code := run("migrate"); code != 0 {
				t.Fatalf("migrate: %s", errs)
			}
			out := must("obiettivo 80% entro 20s", "queue", "threshold", "show", "soccorso")
			if !regexp.MustCompile(`livello di servizio\s+< 85%\s+< 80%\s+dall'obiettivo`).MatchString(out) ||
				!regexp.MustCompile(`attesa più lunga\s+> 20s\s+> 1m\s+dall'obiettivo`).MatchString(out) {
				t.Errorf("defaults from 80/20:\n%s", out)
			}
			out = must("aggiornate", "queue", "threshold", "set", "soccorso", "--sl-amber", "95", "--sl-red", "90", "--wait-red", "45s", "--pause-red", "12m")
			if !regexp.MustCompile(`livello di servizio\s+< 95%\s+< 90%\s+impostate`).MatchString(out) ||
				!regexp.MustCompile(`attesa più lunga\s+> 20s\s+> 45s\s+in parte impostate`).MatchString(out) ||
				!regexp.MustCompile(`pausa operatore\s+> 10m\s+> 12m`).MatchString(out) {
				t.Errorf("after set:\n%s", out)
			}
			// Flags not given keep their values; "default" goes back to the derived one.
			out = must("aggiornate", "queue", "threshold", "set", "soccorso", "--wait-red", "default")
			if !regexp.MustCompile(`attesa più lunga\s+> 20s\s+> 1m\s+dall'obiettivo`).MatchString(out) ||
				!regexp.MustCompile(`< 95%\s+< 90%`).MatchString(out) {
				t.Errorf("after a default:\n%s", out)
			}
			refusals := []struct {
				args []string
				want string
			}{
				{[]string{"queue", "threshold", "set", "soccorso"}, "nessuna soglia indicata"},
				{[]string{"queue", "threshold", "set", "soccorso", "--sl-red", "120"}, "percentuale intera da 0 a 100"},
				{[]string{"queue", "threshold", "set", "soccorso", "--wait-red", "1500ms"}, "secondi interi"},
				{[]string{"queue", "threshold", "set", "soccorso", "--pause-amber", "20m"}, "il giallo (20m) deve avvisare prima del rosso (12m)"},
				{[]string{"queue", "threshold", "set", "fantasma", "--sl-red", "80"}, "la coda fantasma non esiste"},
			}
			for _, r := range refusals {
				if _, errs, code := run(r.args...); code == 0 || !strings.Contains(errs, r.want) {
					t.Errorf("%v: exit %d, want %q in %q", r.args, code, r.want, errs)
				}
			}
			out = must("dall'obiettivo 80/20", "queue", "threshold", "reset", "soccorso")
			if strings.Contains(out, "impostate") {
				t.Errorf("after reset:\n%s", out)
			}
			// Every change is in the audit log, with who made it.
			db := openEnvStore(t, envs)
			for action, want := range map[string]int{"queue.thresholds": 2, "queue.thresholds.reset": 1} {
				log, err := db.AuditLog(context.Background(), store.AuditFilter{Action: &action})
				if err != nil || len(log) != want || !strings.HasPrefix(log[0].Actor, "cli:") {
					t.Errorf("audit %s: %d entries %v, want %d", action, len(log), err, want)
				}
			}
		})
	}
}
