package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
)

// Agents (seats) from the command line: their configuration is stored
// directly; logging in, out, pausing and unpausing are orders for the
// running service, left in the store's command table, which the service
// applies within a second and answers. An order nobody applies in time is
// withdrawn, so a service started hours later does not act on it.

var extensionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)

func (a *app) agentCmd() *cobra.Command {
	var wait time.Duration
	c := &cobra.Command{
		Use:   "agent",
		Short: "Operatori (postazioni): add, list, login, logout, pause, unpause / agents",
		Long: `Gestisce le postazioni degli operatori e il loro stato.
  ascolto agent add 101 --endpoint PJSIP/101 --name "Anna Rossi" --queues soccorso,informazioni
  ascolto agent import postazioni.csv
  ascolto agent list
  ascolto agent login 101 [--queues informazioni]
  ascolto agent pause 101 --reason pranzo
  ascolto agent unpause 101
  ascolto agent logout 101
login, logout, pause e unpause sono eseguiti dal servizio in esecuzione (ascolto serve): il
comando attende la sua risposta e, se nessun servizio risponde, lo dice ed esce con errore.

Manages agents' seats and their state. login, logout, pause and unpause are carried out by the
running service; the command waits for its answer and fails clearly when no service answers.`,
	}
	c.PersistentFlags().DurationVar(&wait, "wait", 5*time.Second,
		"quanto attendere la risposta del servizio / how long to wait for the running service's answer")

	var endpoint, name, user, site, queues, phone string
	add := &cobra.Command{
		Use:   "add EXT --endpoint PJSIP/101 [--name … --user USERNAME --site CODE --queues a,b]",
		Short: "Crea una postazione o ne cambia i dati indicati / create a seat or change the details given",
		Long: `Crea la postazione EXT (l'interno dell'operatore) o, se esiste, ne cambia soltanto i dati indicati.
--endpoint è il telefono che squilla (PJSIP/101), obbligatorio per una postazione nuova.
--user lega la postazione a un utente della console; --queues indica le code dell'operatore
(esattamente queste: toglie le altre). Poi chiede al servizio in esecuzione di rileggere la
configurazione.

Creates seat EXT or changes only the details given; --queues sets the agent's queues exactly.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ext := args[0]
			if !extensionRE.MatchString(ext) {
				return fmt.Errorf(a.t("interno %q non valido: 1-32 caratteri tra lettere, cifre, '.', '-' e '_'",
					"extension %q is not valid: 1-32 of letters, digits, '.', '-' and '_'"), ext)
			}
			fl := cmd.Flags()
			if fl.Changed("endpoint") {
				tech, res, ok := strings.Cut(endpoint, "/")
				if !ok || tech == "" || res == "" || strings.ContainsAny(endpoint, " \t") {
					return fmt.Errorf(a.t("--endpoint %q non valido: usa TECNOLOGIA/RISORSA, es. PJSIP/101", "--endpoint %q is not valid: use TECH/RESOURCE, e.g. PJSIP/101"), endpoint)
				}
			}
			var qnames []string
			if fl.Changed("queues") {
				var err error
				if qnames, err = a.queueNames(queues); err != nil {
					return err
				}
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				ag, err := db.Agents(ctx)
				if err != nil {
					return err
				}
				i := slices.IndexFunc(ag, func(x store.Agent) bool { return x.Extension == ext })
				created := i < 0
				var seat store.Agent
				if created {
					if !fl.Changed("endpoint") {
						return fmt.Errorf(a.t("--endpoint è obbligatorio per una postazione nuova (es. --endpoint PJSIP/%s)",
							"--endpoint is required for a new seat (e.g. --endpoint PJSIP/%s)"), ext)
					}
					seat = store.Agent{Extension: ext, Site: "aq"}
				} else {
					seat = ag[i]
				}
				if fl.Changed("endpoint") {
					seat.Endpoint = endpoint
				}
				if fl.Changed("name") {
					seat.Name = strings.TrimSpace(name)
				}
				if fl.Changed("site") {
					seat.Site = site
				}
				if fl.Changed("phone") {
					if phone != "sip" && phone != "webrtc" {
						return fmt.Errorf(a.t("--phone %q non valido: sip (telefono fisso o SIP) o webrtc (softphone nella console)",
							"--phone %q is not valid: sip (desk or SIP phone) or webrtc (the console's softphone)"), phone)
					}
					seat.PhoneKind = phone
				}
				if fl.Changed("user") {
					seat.Username = user
				}
				if _, err := db.SiteByCode(ctx, seat.Site); errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf(a.t("la sede %q non esiste", "site %q does not exist"), seat.Site)
				} else if err != nil {
					return err
				}
				if seat.Username != "" {
					if _, err := a.user(ctx, db, seat.Username); err != nil {
						return err
					}
					for _, other := range ag {
						if other.Username == seat.Username && other.Extension != ext {
							return fmt.Errorf(a.t("l'utente %s ha già la postazione %s", "user %s already has seat %s"), seat.Username, other.Extension)
						}
					}
				}
				for _, q := range qnames {
					if _, err := a.queueByName(ctx, db, q); err != nil {
						return err
					}
				}
				if err := db.SaveAgent(ctx, &seat, a.actor()); err != nil {
					if errors.Is(err, store.ErrConflict) {
						return fmt.Errorf(a.t("l'utente %s ha già una postazione", "user %s already has a seat"), seat.Username)
					}
					return err
				}
				if created {
					fmt.Fprintf(a.stdout, a.t("Postazione %s creata (%s).\n", "Seat %s created (%s).\n"), ext, seat.Endpoint)
				} else {
					fmt.Fprintf(a.stdout, a.t("Postazione %s aggiornata (%s).\n", "Seat %s updated (%s).\n"), ext, seat.Endpoint)
				}
				if fl.Changed("queues") {
					if err := a.setAgentQueues(ctx, db, ext, qnames); err != nil {
						return err
					}
				}
				return a.reloadService(ctx, db, wait)
			})
		},
	}
	add.Flags().StringVar(&endpoint, "endpoint", "", "il telefono dell'operatore, es. PJSIP/101 / the agent's phone")
	add.Flags().StringVar(&name, "name", "", "nome e cognome / full name")
	add.Flags().StringVar(&user, "user", "", "utente della console legato alla postazione / console user bound to the seat")
	add.Flags().StringVar(&site, "site", "", "codice della sede (predefinita aq) / site code")
	add.Flags().StringVar(&phone, "phone", "", "tipo di telefono: sip (fisso o SIP, predefinito) o webrtc (softphone nella console) / phone kind")
	add.Flags().StringVar(&queues, "queues", "", "code dell'operatore, separate da virgole / the agent's queues, comma-separated")

	list := &cobra.Command{
		Use:   "list",
		Short: "Elenca le postazioni con l'ultimo stato impostato / list seats with their last set state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				ag, err := db.Agents(ctx)
				if err != nil {
					return err
				}
				qs, err := db.Queues(ctx)
				if err != nil {
					return err
				}
				of := agentQueues(qs)
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, a.t("INTERNO\tNOME\tSEDE\tTELEFONO\tUTENTE\tSTATO\tMOTIVO\tCODE", "EXT\tNAME\tSITE\tPHONE\tUSER\tSTATE\tREASON\tQUEUES"))
				for _, s := range ag {
					state := a.t("disconnesso", "logged out")
					switch {
					case s.LoggedIn && s.Paused:
						state = a.t("in pausa", "paused")
					case s.LoggedIn:
						state = a.t("connesso", "logged in")
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Extension, orDashS(s.Name), s.Site, s.Endpoint, orDashS(s.Username),
						state, orDashS(s.Reason), orDashS(strings.Join(of[s.Extension], ",")))
				}
				tw.Flush()
				if len(ag) == 0 {
					fmt.Fprintln(a.stdout, a.t("Nessuna postazione: creane una con ascolto agent add EXT --endpoint PJSIP/EXT",
						"No seats: create one with ascolto agent add EXT --endpoint PJSIP/EXT"))
				} else {
					fmt.Fprintln(a.stdout, a.t("Stato come impostato l'ultima volta; lo stato dal vivo (squillo, in chiamata …) è in ascolto queue status.",
						"State as last set; the live state (ringing, on call …) is in ascolto queue status."))
				}
				return nil
			})
		},
	}

	state := func(kind, use, short string) *cobra.Command {
		var reason, queues string
		sc := &cobra.Command{
			Use:   use,
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				ext := args[0]
				var qnames []string
				if cmd.Flags().Changed("queues") {
					var err error
					if qnames, err = a.queueNames(queues); err != nil {
						return err
					}
				}
				reason = strings.TrimSpace(reason)
				if len(reason) > 64 {
					return errors.New(a.t("--reason troppo lungo: al massimo 64 caratteri", "--reason is too long: 64 characters at most"))
				}
				return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
					if _, err := a.agentByExt(ctx, db, ext); err != nil {
						return err
					}
					if qnames != nil {
						for _, q := range qnames {
							if _, err := a.queueByName(ctx, db, q); err != nil {
								return err
							}
						}
						if err := a.setAgentQueues(ctx, db, ext, qnames); err != nil {
							return err
						}
						out, err := a.askService(ctx, db, store.ACDCommand{Kind: "reload"}, wait)
						if err != nil {
							return err
						}
						if err := a.serviceRefusal(ctx, db, out, wait); err != nil {
							return err
						}
					}
					out, err := a.askService(ctx, db, store.ACDCommand{Kind: kind, Agent: ext, Arg: reason}, wait)
					if err != nil {
						return err
					}
					if err := a.serviceRefusal(ctx, db, out, wait); err != nil {
						return err
					}
					detail := map[string]any{"state": consoleState(kind), "reason": reason, "via": "cli", "command": out.cmd.ID}
					if err := db.Audit(ctx, store.AuditEntry{Actor: a.actor(), Action: "agent.state", Object: "agent:" + ext, Detail: detail}); err != nil {
						return err
					}
					switch kind {
					case "login":
						qs, err := db.Queues(ctx)
						if err != nil {
							return err
						}
						fmt.Fprintf(a.stdout, a.t("Operatore %s connesso; code: %s.\n", "Agent %s logged in; queues: %s.\n"), ext,
							orDashS(strings.Join(agentQueues(qs)[ext], ", ")))
					case "logout":
						fmt.Fprintf(a.stdout, a.t("Operatore %s disconnesso.\n", "Agent %s logged out.\n"), ext)
					case "pause":
						if reason == "" {
							fmt.Fprintf(a.stdout, a.t("Operatore %s in pausa.\n", "Agent %s paused.\n"), ext)
						} else {
							fmt.Fprintf(a.stdout, a.t("Operatore %s in pausa (motivo: %s).\n", "Agent %s paused (reason: %s).\n"), ext, reason)
						}
					case "unpause":
						fmt.Fprintf(a.stdout, a.t("Operatore %s di nuovo disponibile.\n", "Agent %s available again.\n"), ext)
					}
					return nil
				})
			},
		}
		switch kind {
		case "login":
			sc.Flags().StringVar(&queues, "queues", "", "prima imposta le code dell'operatore (esattamente queste) / first set the agent's queues (exactly these)")
		case "pause":
			sc.Flags().StringVar(&reason, "reason", "", "motivo della pausa, es. pranzo, formazione / pause reason")
		}
		return sc
	}
	c.AddCommand(add, a.agentImportCmd(&wait), list,
		state("login", "login EXT [--queues a,b]", "Connette un operatore: riceve chiamate / log an agent in"),
		state("logout", "logout EXT", "Disconnette un operatore / log an agent out"),
		state("pause", "pause EXT [--reason …]", "Mette in pausa un operatore / pause an agent"),
		state("unpause", "unpause EXT", "Riporta un operatore disponibile / unpause an agent"))
	return c
}

// consoleState names a command's resulting state as the console's audit
// entries do, so both edges read alike in the log.
func consoleState(kind string) string {
	switch kind {
	case "logout":
		return "logged-out"
	case "pause":
		return "paused"
	}
	return "available"
}

// queueNames splits and checks a comma-separated list of queue names.
func (a *app) queueNames(s string) ([]string, error) {
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !queueNameRE.MatchString(n) {
			return nil, fmt.Errorf(a.t("--queues: nome di coda %q non valido", "--queues: queue name %q is not valid"), n)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if out == nil {
		out = []string{} // "--queues ''" means: in no queue
	}
	return out, nil
}

// setAgentQueues makes ext a member of exactly the queues named: it joins
// the missing ones (penalty and level 0) and leaves the others; queues it
// already belongs to keep its penalty and level there.
func (a *app) setAgentQueues(ctx context.Context, db *store.DB, ext string, names []string) error {
	qs, err := db.Queues(ctx)
	if err != nil {
		return err
	}
	var joined, left []string
	for _, q := range qs {
		_, member := findMember(q, ext)
		want := slices.Contains(names, q.Name)
		switch {
		case want && !member:
			if err := db.SetMembership(ctx, q.Name, ext, store.Member{Extension: ext}, a.actor()); err != nil {
				return err
			}
			joined = append(joined, q.Name)
		case !want && member:
			if err := db.RemoveMembership(ctx, q.Name, ext, a.actor()); err != nil {
				return err
			}
			left = append(left, q.Name)
		}
	}
	if len(joined) > 0 {
		fmt.Fprintf(a.stdout, a.t("Operatore %s aggiunto a: %s.\n", "Agent %s added to: %s.\n"), ext, strings.Join(joined, ", "))
	}
	if len(left) > 0 {
		fmt.Fprintf(a.stdout, a.t("Operatore %s tolto da: %s.\n", "Agent %s removed from: %s.\n"), ext, strings.Join(left, ", "))
	}
	return nil
}

// agentQueues maps each extension to the queues it belongs to.
func agentQueues(qs []store.Queue) map[string][]string {
	out := map[string][]string{}
	for _, q := range qs {
		for _, m := range q.Members {
			out[m.Extension] = append(out[m.Extension], q.Name)
		}
	}
	return out
}

func (a *app) agentByExt(ctx context.Context, db *store.DB, ext string) (store.Agent, error) {
	ag, err := db.Agents(ctx)
	if err != nil {
		return store.Agent{}, err
	}
	for _, s := range ag {
		if s.Extension == ext {
			return s, nil
		}
	}
	return store.Agent{}, fmt.Errorf(a.t("l'operatore %s non esiste (vedi ascolto agent list; si crea con ascolto agent add %s --endpoint PJSIP/%s)",
		"agent %s does not exist (see ascolto agent list; create it with ascolto agent add %s --endpoint PJSIP/%s)"), ext, ext, ext)
}

// serviceOutcome is what became of an order left for the running service.
type serviceOutcome struct {
	cmd     store.ACDCommand
	applied bool   // the service wrote a result
	refused string // the service's reason when the result was not "ok"
}

// askService leaves an order for the running service and waits up to wait
// for its result. An order nobody applied in time is withdrawn (given a
// result of its own), so a service started later never carries out an
// order its author was told had failed.
func (a *app) askService(ctx context.Context, db *store.DB, c store.ACDCommand, wait time.Duration) (serviceOutcome, error) {
	c.Actor = a.actor()
	if err := db.QueueACDCommand(ctx, &c); err != nil {
		return serviceOutcome{}, err
	}
	deadline := a.clock.Now().Add(wait)
	for {
		got, err := db.ACDCommandByID(ctx, c.ID)
		if err != nil {
			return serviceOutcome{}, err
		}
		if !got.DoneAt.IsZero() {
			return outcomeOf(got), nil
		}
		if !a.clock.Now().Before(deadline) {
			break
		}
		t := a.clock.NewTimer(min(100*time.Millisecond, max(deadline.Sub(a.clock.Now()), time.Millisecond)))
		select {
		case <-ctx.Done():
			t.Stop()
			return serviceOutcome{}, ctx.Err()
		case <-t.C():
		}
	}
	withdrawn := fmt.Sprintf("error: withdrawn by %s: no service applied it within %s", c.Actor, wait)
	ok, err := db.WithdrawACDCommand(ctx, c.ID, withdrawn)
	if err != nil {
		return serviceOutcome{}, err
	}
	if !ok {
		// The service claimed it just now: its result is moments away.
		for i := 0; i < 100; i++ {
			got, err := db.ACDCommandByID(ctx, c.ID)
			if err != nil {
				return serviceOutcome{}, err
			}
			if !got.DoneAt.IsZero() {
				return outcomeOf(got), nil
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	got, err := db.ACDCommandByID(ctx, c.ID)
	if err != nil {
		return serviceOutcome{}, err
	}
	if got.Result != withdrawn {
		return outcomeOf(got), nil
	}
	return serviceOutcome{cmd: got}, nil
}

func outcomeOf(c store.ACDCommand) serviceOutcome {
	out := serviceOutcome{cmd: c, applied: true}
	if c.Result != "ok" {
		out.refused = strings.TrimPrefix(c.Result, "error: ")
	}
	return out
}

// serviceRefusal turns an order that was not carried out into the error
// the person reads: refused by the service, or no service to carry it out.
func (a *app) serviceRefusal(ctx context.Context, db *store.DB, out serviceOutcome, wait time.Duration) error {
	switch {
	case !out.applied:
		return fmt.Errorf(a.t("comando non eseguito: nessuna risposta dal servizio entro %s (%s); il comando è stato ritirato",
			"command not carried out: no answer from the service within %s (%s); the command was withdrawn"), wait, a.whyNoService(ctx, db))
	case out.refused != "":
		return fmt.Errorf(a.t("il servizio ha rifiutato il comando %s: %s", "the service refused the %s command: %s"), out.cmd.Kind, out.refused)
	}
	return nil
}

// whyNoService guesses, from the age of the live snapshot, why nobody
// answered: no service at all, or a service that is up but not taking
// orders (for instance still connecting to Asterisk).
func (a *app) whyNoService(ctx context.Context, db *store.DB) string {
	at, _, err := db.ACDSnapshot(ctx)
	if err == nil && a.clock.Now().Sub(at) <= staleAfter {
		return a.t("il servizio pubblica lo stato ma non ha eseguito il comando: è sovraccarico o non collegato ad Asterisk?",
			"the service publishes its state but did not carry out the command: overloaded, or not connected to Asterisk?")
	}
	return a.t("il servizio non è in esecuzione? Avvialo con ascolto serve", "is the service not running? Start it with ascolto serve")
}
