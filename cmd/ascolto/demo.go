package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/console"
	"github.com/ascolto/ascolto/demo"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

// demoPassword is the password of the demo's people: it is a demonstration
// on a laptop, with a throw-away database unless --data is given.
const demoPassword = "ascolto-demo"

// demoUsers are the people a newcomer signs in as.
var demoUsers = []struct {
	name, role, display, seat string
}{
	{"coordinatore", store.RoleSupervisor, "Giulia Coordinatrice", "201"},
	{"operatore", store.RoleAgent, "Marco Operatore", "101"},
	{"salaoperativa", store.RoleOpsRoom, "Sala Operativa DPC", ""},
	{"admin", store.RoleAdmin, "Amministratore", ""},
}

// demoReplies are canned replies for the case page's picker: a real
// service's admins write their own on /admin/replies, so none ship with
// the schema.
var demoReplies = []store.CannedReply{
	{Lang: "it", Template: "risposta", Title: "Allerte meteo: dove informarsi",
		Body: "Le allerte meteo per la sua zona sono pubblicate ogni giorno dalla Protezione Civile della sua Regione " +
			"e dal suo Comune, sui loro siti e canali ufficiali. In caso di allerta segua le indicazioni del piano " +
			"comunale di protezione civile. Se una vita è in pericolo chiami subito il 112."},
	{Lang: "it", Template: "risposta", Title: "Danni alla casa: segnalazione al Comune",
		Body: "I danni alla sua abitazione vanno segnalati al suo Comune, che raccoglie le richieste di sopralluogo " +
			"e, quando previsti, di contributo. Conservi foto dei danni e ricevute delle spese sostenute."},
	{Lang: "it", Template: "richiesta-informazioni", Title: "Indirizzo e recapito mancanti",
		Body: "- l'indirizzo esatto (via, numero civico, comune);\n- un numero di telefono a cui richiamarla;\n" +
			"- se ci sono persone in difficoltà, quante e in quali condizioni."},
	{Lang: "it", Template: "inoltro-ente", Title: "Inoltro all'ufficio comunale",
		Body: "La sua richiesta è stata inoltrata all'ufficio di protezione civile del suo Comune, che la ricontatterà."},
	{Lang: "en", Template: "risposta", Title: "Weather warnings: where to look",
		Body: "Weather warnings for your area are published every day by your Region's Civil Protection and by your " +
			"Comune, on their websites and official channels. During a warning follow your Comune's civil-protection " +
			"plan. If a life is in danger call 112 at once."},
	{Lang: "en", Template: "risposta", Title: "Damage to your home: report it to the Comune",
		Body: "Damage to your home is reported to your Comune, which collects requests for inspections and, where " +
			"provided, for grants. Keep photos of the damage and receipts for what you spend."},
	{Lang: "en", Template: "richiesta-informazioni", Title: "Address and phone number missing",
		Body: "- the exact address (street, number, comune);\n- a phone number to call you back on;\n" +
			"- whether anyone is in difficulty, how many and in what condition."},
}

func (a *app) demoCmd() *cobra.Command {
	var scenario, data string
	var speed float64
	var train, list bool
	c := &cobra.Command{
		Use:   "demo",
		Short: "Il contact center in funzione, senza centralino: chiamate simulate / the whole contact center with simulated callers",
		Long: `Avvia in un solo processo tutto ascolto: database incorporato (in una cartella nuova, o --data),
il simulatore di Asterisk al posto del centralino, il controller con IVR e code, la console e il modulo
web; crea operatori simulati, utenti dimostrativi e uno scenario di chiamate.

Scenari inclusi: alluvione (predefinito), martedi, terremoto; --scenario FILE.yaml per i propri.
--speed 10 fa scorrere il tempo dello scenario dieci volte più in fretta.
--train: l'utente "operatore" riceve le chiamate con la trascrizione di quello che dice il chiamante
e a ogni scheda salvata riceve un punteggio.

Runs everything in one process with the ARI simulator in place of Asterisk, simulated agents,
demo users and a scenario of callers.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if list {
				all, err := demo.Builtin()
				if err != nil {
					return err
				}
				for _, s := range all {
					fmt.Fprintf(a.stdout, "%-10s %s — %s (%d chiamate in %s)\n", s.Name, s.Title,
						strings.Join(strings.Fields(s.Description), " "), len(s.Plan()), s.Duration)
				}
				return nil
			}
			return a.demo(cmd.Context(), scenario, data, speed, train)
		},
	}
	c.Flags().StringVar(&scenario, "scenario", "alluvione", "scenario incluso (alluvione, martedi, terremoto) o file YAML")
	c.Flags().StringVar(&data, "data", "", "cartella dei dati da conservare (predefinito: una cartella temporanea)")
	c.Flags().Float64Var(&speed, "speed", 1, "velocità del tempo dello scenario (10 = dieci volte più veloce)")
	c.Flags().BoolVar(&train, "train", false, "modalità addestramento per l'utente operatore")
	c.Flags().BoolVar(&list, "list", false, "elenca gli scenari inclusi")
	return c
}

func (a *app) demo(ctx context.Context, name, data string, speed float64, train bool) error {
	if speed <= 0 || speed > 1000 {
		return errors.New(a.t("--speed deve essere tra 0 e 1000", "--speed must be between 0 and 1000"))
	}
	var file []byte
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		file = b
	}
	sc, err := demo.Load(name, file)
	if err != nil {
		return err
	}
	if data == "" {
		dir, err := os.MkdirTemp("", "ascolto-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		data = dir
	}
	a.cfg.DataDir, a.cfg.DatabaseURL = data, ""
	clk := clock.Scaled(sc.StartTime(), speed)
	a.clock = clk

	b := make([]byte, 12)
	rand.Read(b)
	ariPass := hex.EncodeToString(b)
	sim := arisim.New(arisim.WithCredentials("ascolto", ariPass), arisim.WithClock(clk),
		arisim.WithDefaultMediaDuration(2*time.Second), arisim.WithLogger(a.log.Named("arisim")))
	// Phones: the demo people's seats pick up by themselves after a few
	// seconds (the conversation is the screen pop and, in training, the
	// transcript); the simulated agents' phones answer as the scenario says.
	for _, u := range demoUsers {
		if u.seat != "" {
			sim.Endpoint("PJSIP/"+u.seat, arisim.Answer(3*time.Second))
		}
	}
	demo.Phones(sim, sc)
	simURL, err := sim.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer sim.Close()
	a.cfg.ARIURL, a.cfg.ARIUser, a.cfg.ARIPassword, a.cfg.ARIApp = simURL, "ascolto", ariPass, "ascolto"

	started := time.Now()
	// The demo's people exist before the console looks for an admin and
	// before the ACD reads its agents.
	return a.serve(ctx, serveHooks{seed: a.seedDemo, started: func(ctx context.Context, svc *service) {
		select {
		case <-svc.dbReady:
		case <-ctx.Done():
			return
		}
		select {
		case <-svc.ctl.ACDReady():
		case <-ctx.Done():
			return
		case <-time.After(30 * time.Second):
			a.log.Error("demo: the ACD did not start")
			return
		}
		trainee := ""
		if train {
			trainee = "operatore"
		}
		run := demo.New(demo.Options{Scenario: sc, Sim: sim, Store: svc.db, Ctl: svc.ctl, Desk: svc.desk, Clock: clk,
			Log: a.log.Named("demo"), Trainee: trainee, Notify: svc.cons.Offer, Callout: svc.callout})
		if err := run.Seed(ctx); err != nil {
			a.log.Error("demo: simulated agents not set up", zap.Error(err))
			return
		}
		a.printDemo(svc, sc, speed, train, data, time.Since(started))
		run.Run(ctx)
		select {
		case <-ctx.Done():
		default:
			fmt.Fprintf(a.stdout, a.t("\nScenario concluso: %s. Il servizio resta attivo: Ctrl-C per uscire.\n",
				"\nScenario over: %s. The service stays up: Ctrl-C to quit.\n"), run.Summary())
		}
		run.Wait(ctx) // nothing of the scenario outlives the service
	}})
}

// seedDemo creates the demo's people, the seats of those who take calls,
// and the canned replies (those a kept --data folder lacks).
func (a *app) seedDemo(ctx context.Context, db *store.DB) error {
	if err := seedReplies(ctx, db); err != nil {
		return err
	}
	hash, err := console.HashPassword(demoPassword)
	if err != nil {
		return err
	}
	queues, err := db.QueueNames(ctx)
	if err != nil {
		return err
	}
	for _, u := range demoUsers {
		if _, err := db.UserByName(ctx, u.name); errors.Is(err, store.ErrNotFound) {
			user := store.User{Username: u.name, Role: u.role, DisplayName: u.display, PasswordHash: hash}
			if err := db.CreateUser(ctx, &user, "demo"); err != nil {
				return err
			}
		}
		if u.seat == "" {
			continue
		}
		seat := store.Agent{Extension: u.seat, Endpoint: "PJSIP/" + u.seat, Name: u.display, Username: u.name}
		if err := db.SaveAgent(ctx, &seat, "demo"); err != nil {
			return err
		}
		if u.role == store.RoleAgent {
			for _, q := range queues {
				if err := db.SetMembership(ctx, q, u.seat, store.Member{}, "demo"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (a *app) printDemo(svc *service, sc *demo.Scenario, speed float64, train bool, data string, took time.Duration) {
	url := "http://" + svc.addr
	w := a.stdout
	fmt.Fprintf(w, "\n  ascolto demo — %s (pronto in %.1f s)\n", sc.Title, took.Seconds())
	fmt.Fprintf(w, "  %s\n\n", strings.Join(strings.Fields(sc.Description), " "))
	fmt.Fprintf(w, a.t("  Console:        %s/login\n", "  Console:        %s/login\n"), url)
	fmt.Fprintf(w, a.t("  Modulo web:     %s/segnalazione\n", "  Web form:       %s/segnalazione\n"), url)
	fmt.Fprintf(w, a.t("  Metriche:       %s/metrics\n\n", "  Metrics:        %s/metrics\n\n"), url)
	fmt.Fprintln(w, a.t("  Accessi (password per tutti: "+demoPassword+"):", "  Sign-ins (password for all: "+demoPassword+"):"))
	for _, u := range demoUsers {
		fmt.Fprintf(w, "    %-14s %s\n", u.name, u.role)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, a.t("  Da dove cominciare: entra come «coordinatore» e apri il quadro delle code (/supervisor):",
		"  Where to look first: sign in as «coordinatore» and open the wallboard (/supervisor):"))
	if act := sc.Activation; act != nil {
		at := sc.StartTime().Add(act.At).In(rome()).Format("15:04")
		fmt.Fprintf(w, a.t("  alle %s si apre l'attivazione: %d reperibili simulati vengono chiamati, confermano ed entrano\n",
			"  at %s the activation opens: %d simulated on-call agents are phoned, confirm and sign in\n"), at, sc.Agents)
		fmt.Fprintln(w, a.t("  in servizio quando arrivano (quadro su /activation); entra come «operatore»",
			"  when they arrive (board on /activation); sign in as «operatore»"))
	} else {
		fmt.Fprintf(w, a.t("  %d operatori simulati rispondono alle chiamate dello scenario; entra come «operatore»\n",
			"  %d simulated agents answer the scenario's calls; sign in as «operatore»\n"), sc.Agents)
	}
	fmt.Fprintln(w, a.t("  in un'altra finestra e mettiti «disponibile» per riceverne anche tu.",
		"  in another window and go «available» to take some yourself."))
	if sc.Event != "" || sc.Activation != nil {
		fmt.Fprintln(w, a.t("  Come «salaoperativa»: le richieste di soccorso arrivano su /opsroom (prendile in carico),",
			"  As «salaoperativa»: rescue requests arrive on /opsroom (acknowledge them),"))
		fmt.Fprintln(w, a.t("  e /reports mostra cosa si chiede e da dove, con esportazioni e rapporto di situazione.",
			"  and /reports shows what is asked and from where, with exports and the situation report."))
	}
	if train {
		fmt.Fprintln(w, a.t("  Addestramento: le chiamate per «operatore» mostrano cosa dice il chiamante; ogni scheda salvata ha un punteggio.",
			"  Training: calls for «operatore» show what the caller says; each saved form is scored."))
	}
	fmt.Fprintf(w, a.t("  Tempo dello scenario: %s, velocità ×%g. Dati in %s.\n\n", "  Scenario time: %s, speed ×%g. Data in %s.\n\n"),
		sc.StartTime().Format("02/01/2006 15:04"), speed, data)
}

func seedReplies(ctx context.Context, db *store.DB) error {
	have, err := db.CannedReplies(ctx, "")
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, r := range have {
		kept[r.Lang+" "+r.Title] = true
	}
	for _, r := range demoReplies {
		if kept[r.Lang+" "+r.Title] {
			continue
		}
		if err := db.SaveCannedReply(ctx, &r, "demo"); err != nil {
			return fmt.Errorf("demo: canned reply %q: %w", r.Title, err)
		}
	}
	return nil
}
