package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ascolto/ascolto/acd"
	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/store"
)

// openEnvStore opens the database the binary uses with envs, to check
// what the commands stored.
func openEnvStore(t *testing.T, envs []string) *store.DB {
	t.Helper()
	opts := store.Options{}
	for _, e := range envs {
		if v, ok := strings.CutPrefix(e, "ASCOLTO_DATA_DIR="); ok {
			opts.DataDir = v
			// The embedded database's secrets are sealed with the key next to it.
			key, err := store.SecretKeyFile(v)
			if err != nil {
				t.Fatal(err)
			}
			opts.SecretKey = key
		}
		if v, ok := strings.CutPrefix(e, "ASCOLTO_DATABASE_URL="); ok {
			opts.URL = v
		}
	}
	db, err := store.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// untilOutput runs the command until its output matches re (the service
// acts within a second and publishes every second) and returns the last output.
func untilOutput(t *testing.T, envs []string, re string, args ...string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	var out, errs string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out, errs, _ = cliIn(t, envs, "", args...)
		if rx.MatchString(out) {
			return out
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%v never matched %q; last output:\n%s%s", args, re, out, errs)
	return ""
}

// TestQueueAndAgentConfiguration drives the configuration commands with no
// service running: what they store, what they refuse, and that orders for
// a service that is not there fail clearly and are withdrawn.
func TestQueueAndAgentConfiguration(t *testing.T) {
	for name, envs := range engines(t) {
		t.Run(name, func(t *testing.T) {
			run := func(args ...string) (string, string, int) { return cliIn(t, envs, "", args...) }
			must := func(want string, args ...string) string {
				t.Helper()
				out, errs, code := run(args...)
				if code != 0 || !strings.Contains(out, want) {
					t.Fatalf("%v: exit %d, want %q in\n%s%s", args, code, want, out, errs)
				}
				return out
			}
			out := must("CODA", "queue", "list")
			for _, q := range []string{"soccorso", "segnalazioni", "informazioni"} {
				if !strings.Contains(out, q) {
					t.Fatalf("list lacks %s:\n%s", q, out)
				}
			}
			out = must("Coda nuova creata", "queue", "set", "nuova", "--strategy", "round-robin", "--ring-timeout", "20s", "--sl", "90/15", "--wait", "300ms")
			if !strings.Contains(out, "il servizio non è in esecuzione?") {
				t.Errorf("set without a service does not say so:\n%s", out)
			}
			out = must("post-chiamata: 30s → 45s", "queue", "set", "nuova", "--wrapup", "45s", "--wait", "300ms")
			if strings.Contains(out, "strategia") {
				t.Errorf("a flag not given was reported as changed:\n%s", out)
			}
			out = must("round-robin", "queue", "show", "nuova")
			for _, want := range []string{"90% entro 15s", "Post-chiamata                   45s", "Squillo per operatore           20s"} {
				if !strings.Contains(out, want) {
					t.Errorf("show lacks %q:\n%s", want, out)
				}
			}
			must("nessuna modifica", "queue", "set", "nuova", "--strategy", "round-robin")

			out = must("Postazione 101 creata", "agent", "add", "101", "--endpoint", "PJSIP/101", "--name", "Anna Rossi", "--queues", "soccorso,nuova", "--wait", "300ms")
			if !strings.Contains(out, "aggiunto a: nuova, soccorso") {
				t.Errorf("memberships not reported:\n%s", out)
			}
			must("aggiornate", "queue", "member", "add", "nuova", "101", "--penalty", "2", "--level", "3", "--emergency-only", "--wait", "300ms")
			if out = must("MEMBRO", "queue", "show", "nuova"); !regexp.MustCompile(`(?m)^101\s+2\s+3\s+sì\s*$`).MatchString(out) {
				t.Errorf("member settings not shown:\n%s", out)
			}
			// Flags not given keep the member's settings.
			must("aggiornate (penalità 2, livello 4, solo in emergenza)", "queue", "member", "add", "nuova", "101", "--level", "4", "--wait", "300ms")
			must("nessuna modifica", "queue", "member", "add", "nuova", "101", "--penalty", "2")
			must("tolto dalla coda nuova", "queue", "member", "remove", "nuova", "101", "--wait", "300ms")
			must("Nessun membro", "queue", "show", "nuova")
			out = must("INTERNO", "agent", "list")
			if !regexp.MustCompile(`101\s+Anna Rossi\s+aq\s+PJSIP/101\s+-\s+disconnesso\s+-\s+soccorso`).MatchString(out) {
				t.Errorf("agent list:\n%s", out)
			}
			// Re-adding an existing seat changes only what is given.
			must("Postazione 101 aggiornata", "agent", "add", "101", "--site", "aq", "--wait", "300ms")
			if out = must("Anna Rossi", "agent", "list"); !strings.Contains(out, "PJSIP/101") {
				t.Errorf("re-add lost the endpoint:\n%s", out)
			}

			// An order for a service that is not running fails, says why, and is withdrawn.
			_, errs, code := run("agent", "login", "101", "--wait", "300ms")
			if code == 0 || !strings.Contains(errs, "il servizio non è in esecuzione?") {
				t.Fatalf("login without a service: exit %d, %q", code, errs)
			}
			db := openEnvStore(t, envs)
			ctx := context.Background()
			if p, err := db.PendingACDCommands(ctx); err != nil || len(p) != 0 {
				t.Fatalf("orders left pending for a later service: %+v %v", p, err)
			}

			refusals := []struct {
				args []string
				want string
			}{
				{[]string{"queue", "set", "nuova", "--strategy", "fastest"}, "--strategy \"fastest\" sconosciuta"},
				{[]string{"queue", "set", "nuova", "--sl", "120/20"}, "la percentuale deve essere un intero da 1 a 100"},
				{[]string{"queue", "set", "nuova", "--sl", "80"}, "PERCENTUALE/SECONDI"},
				{[]string{"queue", "set", "nuova", "--ring-timeout", "1500ms"}, "secondi interi"},
				{[]string{"queue", "set", "nuova", "--max-wait", "5m"}, "nessun trabocco"},
				{[]string{"queue", "set", "nuova", "--overflow", "queue:ghost"}, "la coda ghost non esiste"},
				{[]string{"queue", "set", "nuova", "--overflow", "queue:nuova"}, "in sé stessa"},
				{[]string{"queue", "set", "nuova", "--overflow", "voicemail"}, "--overflow \"voicemail\" non valido"},
				{[]string{"queue", "set", "nuova", "--overflow", "callback", "--callback-attempts", "0"}, "--callback-attempts è 0"},
				{[]string{"queue", "set", "nuova", "--site", "rm"}, "la sede \"rm\" non esiste"},
				{[]string{"queue", "set", "Nuova Coda"}, "nome di coda"},
				{[]string{"queue", "show", "ghost"}, "la coda ghost non esiste"},
				{[]string{"queue", "member", "add", "ghost", "101"}, "la coda ghost non esiste"},
				{[]string{"queue", "member", "add", "nuova", "999"}, "l'operatore 999 non esiste"},
				{[]string{"queue", "member", "add", "nuova", "101", "--level", "12"}, "--level 12"},
				{[]string{"queue", "member", "remove", "nuova", "101"}, "non è membro"},
				{[]string{"agent", "add", "102"}, "--endpoint è obbligatorio"},
				{[]string{"agent", "add", "102", "--endpoint", "101"}, "TECNOLOGIA/RISORSA"},
				{[]string{"agent", "add", "102", "--endpoint", "PJSIP/102", "--user", "nessuno"}, "l'utente nessuno non esiste"},
				{[]string{"agent", "add", "102", "--endpoint", "PJSIP/102", "--queues", "ghost"}, "la coda ghost non esiste"},
				{[]string{"agent", "login", "999"}, "l'operatore 999 non esiste"},
				{[]string{"agent", "pause", "999", "--reason", "pranzo"}, "l'operatore 999 non esiste"},
				{[]string{"agent", "login", "101", "--queues", "ghost"}, "la coda ghost non esiste"},
				{[]string{"queue", "staffing", "--target", "120/20", "--calls-per-hour", "10"}, "--target \"120/20\""},
				{[]string{"queue", "staffing", "--calls-per-hour", "-5"}, "--calls-per-hour -5"},
				{[]string{"queue", "staffing", "--calls-per-hour", "10", "--aht", "0s"}, "--aht 0s"},
				{[]string{"queue", "staffing", "ghost", "--calls-per-hour", "10"}, "la coda ghost non esiste"},
				{[]string{"queue", "staffing", "informazioni"}, "nessun dato dal vivo"},
				{[]string{"queue", "status"}, "nessun dato dal vivo"},
				{[]string{"queue", "status", "--interval", "1ms"}, "--interval"},
			}
			for _, r := range refusals {
				if _, errs, code := run(r.args...); code == 0 || !strings.Contains(errs, r.want) {
					t.Errorf("%v: exit %d, stderr %q, want %q", r.args, code, errs, r.want)
				}
			}
			if _, errs, code := run("--lang", "en", "queue", "set", "nuova", "--sl", "120/20"); code == 0 || !strings.Contains(errs, "the percentage must be a whole number from 1 to 100") {
				t.Errorf("English refusal: %d %q", code, errs)
			}
			// The refusals changed nothing.
			q, err := db.QueueByName(ctx, "nuova")
			if err != nil || q.Strategy != "round-robin" || q.RingTimeoutS != 20 || q.WrapupS != 45 || q.SLPercent != 90 ||
				q.SLSeconds != 15 || q.Overflow != "" || q.MaxWaitS != 0 || q.Site != "aq" || len(q.Members) != 0 {
				t.Fatalf("nuova after the refusals: %+v %v", q, err)
			}
			if _, err := db.QueueByName(ctx, "Nuova Coda"); err == nil {
				t.Fatal("a refused queue was created")
			}

			// Staffing with the figures given: DOMAIN.md's worked example.
			out = must("Servono 9 operatori", "queue", "staffing", "--calls-per-hour", "120", "--aht", "180s", "--target", "80/20")
			if !regexp.MustCompile(`(?m)^\s*9\s+86,0%\s+12s\s+19,6%\s+66,7%\s+← necessari`).MatchString(out) ||
				!regexp.MustCompile(`(?m)^\s*7\s+45,1%`).MatchString(out) || !regexp.MustCompile(`(?m)^\s*12\s+98,8%`).MatchString(out) {
				t.Errorf("staffing table:\n%s", out)
			}
			must("9 agents needed", "--lang", "en", "queue", "staffing", "soccorso", "--calls-per-hour", "120")
			must("Servono 10 operatori", "queue", "staffing", "nuova", "--calls-per-hour", "120") // nuova's own target, 90/15: 9 give 84.7%

			// A snapshot a minute old, as a service that stopped would leave it,
			// and 30 arrivals in its last quarter hour (120 an hour).
			at := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
			snap := acd.Snapshot{At: at, Queues: []acd.QueueStats{{Name: "informazioni", Site: "aq", Strategy: acd.LongestIdle,
				Target:  acd.ServiceTarget{Percent: 80, Within: 20 * time.Second},
				Figures: acd.Figures{Waiting: 2, LongestWait: 95 * time.Second, Offered: 30, Answered: 25, Handled: 25, AHT: 180 * time.Second, Staffed: 7}}},
				Sites:  []acd.SiteStats{{Site: "aq", Figures: acd.Figures{Waiting: 2, Staffed: 7}}},
				Agents: []acd.AgentStatus{{ID: "101", Name: "Anna Rossi", Site: "aq", State: acd.Paused, Paused: true, Reason: "pranzo", Reachable: true, Since: at.Add(-150 * time.Second), Queues: []string{"informazioni"}}}}
			body, _ := json.Marshal(snap)
			if err := db.SaveACDSnapshot(ctx, at, string(body)); err != nil {
				t.Fatal(err)
			}
			var evs []store.QueueEvent
			for i := range 30 {
				evs = append(evs, store.QueueEvent{At: at.Add(-time.Duration(i) * 25 * time.Second), CallID: "c" + string(rune('a'+i)), Queue: "informazioni", Event: store.QEnterQueue})
			}
			evs = append(evs, store.QueueEvent{At: at.Add(-20 * time.Minute), CallID: "old", Queue: "informazioni", Event: store.QEnterQueue})
			if err := db.AppendQueueEvents(ctx, evs...); err != nil {
				t.Fatal(err)
			}
			out = must("ATTENZIONE", "queue", "status")
			for _, re := range []string{`istantanea di 1m(\d\ds)? fa`, `il servizio è fermo\?`, `informazioni\s+aq\s+longest-idle\s+2\s+1m35s`,
				`informazioni\s+30\s+25\s+0\s+0\s+.*120,0\s+7\s+9`, `101\s+Anna Rossi\s+aq\s+in pausa\s+2m30s\s+pranzo\s+informazioni`} {
				if !regexp.MustCompile(re).MatchString(out) {
					t.Errorf("status lacks %s:\n%s", re, out)
				}
			}
			out = must("Servono 9 operatori", "queue", "staffing", "informazioni")
			if !strings.Contains(out, "Traffico: 120,0 chiamate/ora × AHT 3m") || !strings.Contains(out, "il servizio è fermo?") {
				t.Errorf("live staffing:\n%s", out)
			}
			out = must("Servono 9 operatori", "queue", "staffing")
			if !strings.Contains(out, "Coda soccorso\n  nessun dato dal vivo per questa coda") {
				t.Errorf("staffing of every queue:\n%s", out)
			}

			// Every change is in the audit log under the person who made it.
			log, err := db.AuditLog(ctx, store.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, e := range log {
				if e.Actor == "cli:operatore" {
					seen[e.Action]++
				}
			}
			for _, act := range []string{"queue.save", "queue.member.set", "queue.member.remove", "agent.save"} {
				if seen[act] == 0 {
					t.Errorf("%s not audited as cli:operatore (saw %v)", act, seen)
				}
			}
			if seen["agent.state"] != 0 {
				t.Errorf("a login that did not happen was audited: %v", seen)
			}
		})
	}
}

// TestACDCommandsReachRunningService: with `ascolto serve` connected to the
// ARI simulator, agents' orders are carried out and show in the live view,
// configuration changes reach the running ACD, and a real call is counted.
func TestACDCommandsReachRunningService(t *testing.T) {
	for name, dbEnv := range engines(t) {
		t.Run(name, func(t *testing.T) {
			sim, simEnv := startSim(t, arisim.WithDefaultMediaDuration(200*time.Millisecond))
			envs := append(append([]string{}, dbEnv...), simEnv...)
			sim.Endpoint("PJSIP/101", arisim.Answer(300*time.Millisecond))
			sim.Endpoint("PJSIP/102", arisim.Answer(300*time.Millisecond))
			run := func(args ...string) (string, string, int) { return cliIn(t, envs, "", args...) }
			must := func(want string, args ...string) string {
				t.Helper()
				out, errs, code := run(args...)
				if code != 0 || !strings.Contains(out, want) {
					t.Fatalf("%v: exit %d, want %q in\n%s%s", args, code, want, out, errs)
				}
				return out
			}
			must("Postazione 101 creata", "agent", "add", "101", "--endpoint", "PJSIP/101", "--name", "Anna Rossi", "--queues", "informazioni", "--wait", "200ms")
			s := startServe(t, envs)
			untilOutput(t, envs, `OPERATORI`, "queue", "status")

			must("Operatore 101 connesso; code: informazioni", "agent", "login", "101")
			untilOutput(t, envs, `101\s+Anna Rossi\s+aq\s+libero\s+(?:<1s|[0-9hms]+)\s+-\s+informazioni`, "queue", "status")

			must("Operatore 101 in pausa (motivo: pranzo)", "agent", "pause", "101", "--reason", "pranzo")
			untilOutput(t, envs, `101\s+Anna Rossi\s+aq\s+in pausa\s+(?:<1s|[0-9hms]+)\s+pranzo`, "queue", "status")
			untilOutput(t, envs, `101\s+Anna Rossi\s+aq\s+PJSIP/101\s+-\s+in pausa\s+pranzo`, "agent", "list")

			must("Operatore 101 di nuovo disponibile", "agent", "unpause", "101")
			untilOutput(t, envs, `101\s+Anna Rossi\s+aq\s+libero`, "queue", "status")

			// A change of settings reaches the running ACD.
			must("Il servizio in esecuzione ha applicato la modifica", "queue", "set", "informazioni", "--strategy", "round-robin", "--sl", "90/15", "--wrapup", "0s")
			untilOutput(t, envs, `informazioni\s+aq\s+round-robin`, "queue", "status")
			untilOutput(t, envs, `informazioni(\s+\S+){5}\s+90/15`, "queue", "status")

			// A queue and an agent created while it runs are taken in.
			must("Il servizio in esecuzione ha applicato la modifica", "queue", "set", "rinforzi")
			must("Il servizio in esecuzione ha applicato la modifica", "agent", "add", "102", "--endpoint", "PJSIP/102", "--queues", "rinforzi")
			must("Operatore 102 connesso; code: rinforzi", "agent", "login", "102")
			untilOutput(t, envs, `102\s+-\s+aq\s+libero\s+(?:<1s|[0-9hms]+)\s+-\s+rinforzi`, "queue", "status")

			// The service refuses what the ACD refuses, and says why.
			if _, errs, code := run("agent", "pause", "102", "--reason", "formazione"); code != 0 {
				t.Fatalf("pause 102: %s", errs)
			}
			must("Operatore 102 disconnesso", "agent", "logout", "102")
			if _, errs, code := run("agent", "unpause", "102"); code == 0 || !strings.Contains(errs, "il servizio ha rifiutato il comando unpause") {
				t.Errorf("unpause of a logged-out agent: exit %d, %q", code, errs)
			}

			// A call in emergency mode (open H24) to informazioni, answered by 101.
			must("emergenza", "mode", "set", "emergency", "--reason", "prova del centro")
			time.Sleep(1500 * time.Millisecond) // the service reads the mode every second
			c := sim.Call(arisim.CallSpec{From: "+390862000001"}, arisim.WaitPlaybackStarted("sound:ascolto/menu-emergenza"), arisim.Press("3"),
				arisim.WaitBridged(), arisim.Wait(2*time.Second), arisim.HangUp())
			select {
			case <-c.Done():
			case <-time.After(30 * time.Second):
				t.Fatalf("the call did not end: %+v\n%s", c.Report(), s.log())
			}
			if len(c.Report().Bridged) == 0 {
				t.Fatalf("the caller never reached 101: %+v\n%s", c.Report(), s.log())
			}
			// Offered 1, answered 1, within 15 s; then, once the call is over, its handle time.
			untilOutput(t, envs, `informazioni\s+1\s+1\s+0\s+0\s+100,0%\s+90/15\s+\S+\s+\d+s\s`, "queue", "status")
			out := must("Serve 1 operatore", "queue", "staffing", "informazioni")
			if !strings.Contains(out, "Obiettivo: 90% delle chiamate con risposta entro 15s") || strings.Contains(out, "ipotizzato") {
				t.Errorf("live staffing does not use the queue's measured AHT and target:\n%s", out)
			}

			// --watch redraws in place until Ctrl-C, then exits cleanly.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, "queue", "status", "--watch", "--interval", "200ms")
			cmd.Env = append(cleanEnv(), envs...)
			var wout bytes.Buffer
			cmd.Stdout = &wout
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1500 * time.Millisecond)
			cmd.Process.Signal(syscall.SIGINT)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("--watch after Ctrl-C: %v\n%s", err, wout.String())
			}
			if n := strings.Count(wout.String(), "\x1b[H\x1b[2J"); n < 3 || !strings.Contains(wout.String(), "Ctrl-C") {
				t.Fatalf("--watch drew %d frames:\n%s", n, wout.String())
			}

			must("Operatore 101 disconnesso", "agent", "logout", "101")
			untilOutput(t, envs, `101\s+Anna Rossi\s+aq\s+disconnesso`, "queue", "status")

			// The CLI's orders are audited like the console's.
			db := openEnvStore(t, envs)
			act := "agent.state"
			log, err := db.AuditLog(context.Background(), store.AuditFilter{Action: &act})
			if err != nil {
				t.Fatal(err)
			}
			states := map[string]int{}
			for _, e := range log {
				if e.Actor == "cli:operatore" && e.Object == "agent:101" {
					states[e.Detail["state"].(string)]++
				}
			}
			if states["available"] != 2 || states["paused"] != 1 || states["logged-out"] != 1 {
				t.Errorf("agent.state audit of 101: %v", states)
			}
		})
	}
}

// TestAgentImport: an admin sets up many seats from one CSV file; a file
// with mistakes changes nothing and names every bad line.
func TestAgentImport(t *testing.T) {
	envs := []string{"ASCOLTO_DATA_DIR=" + t.TempDir()}
	if _, errs, code := cliIn(t, envs, "", "agent", "add", "2001", "--endpoint", "PJSIP/2001", "--name", "Vecchio Nome", "--wait", "0s"); code != 0 {
		t.Fatal(errs)
	}
	good := "interno,telefono,nome,code,sede,tipo\n" +
		"2001,,Anna Rossi,\"soccorso,informazioni\",,\n" +
		"2002,PJSIP/2002,Marco Bianchi,soccorso;segnalazioni,aq,webrtc\n" +
		"\n" +
		"2003,PJSIP/2003,,,,\n"
	out, errs, code := cliIn(t, envs, good, "agent", "import", "-", "--wait", "0s")
	if code != 0 || !strings.Contains(out, "Importate 3 postazioni: 2 nuove, 1 aggiornate") {
		t.Fatalf("import: %d\n%s%s", code, out, errs)
	}
	out, _, _ = cliIn(t, envs, "", "agent", "list")
	for _, re := range []string{`2001\s+Anna Rossi\s+aq\s+PJSIP/2001\s+-\s+disconnesso\s+-\s+informazioni,soccorso`,
		`2002\s+Marco Bianchi\s+aq\s+PJSIP/2002\s+-\s+disconnesso\s+-\s+segnalazioni,soccorso`, `2003\s+-\s+aq\s+PJSIP/2003`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("agent list lacks %s:\n%s", re, out)
		}
	}
	bad := "extension,endpoint,queues\n" +
		"2004,PJSIP/2004,soccorso\n" +
		"2005,,soccorso\n" +
		"2006,PJSIP 2006,\n" +
		"2004,PJSIP/2004,\n" +
		"2007,PJSIP/2007,fantasma\n"
	f := filepath.Join(t.TempDir(), "seats.csv")
	os.WriteFile(f, []byte(bad), 0o600)
	_, errs, code = cliIn(t, envs, "", "--lang", "en", "agent", "import", f, "--wait", "0s")
	if code == 0 {
		t.Fatal("a file with mistakes was imported")
	}
	for _, want := range []string{"4 errors, no seat changed", "line 3: the endpoint is required", "line 4: endpoint \"PJSIP 2006\"",
		"line 5: extension 2004 is already on line 2", "line 6: queue \"fantasma\" does not exist"} {
		if !strings.Contains(errs, want) {
			t.Errorf("errors lack %q:\n%s", want, errs)
		}
	}
	if out, _, _ = cliIn(t, envs, "", "agent", "list"); strings.Contains(out, "2004") {
		t.Errorf("a seat of the refused file was stored:\n%s", out)
	}
	if _, errs, code = cliIn(t, envs, "nome,code\nx,y\n", "agent", "import", "-"); code == 0 || !strings.Contains(errs, "manca la colonna interno") {
		t.Errorf("no extension column: %d %s", code, errs)
	}
}
