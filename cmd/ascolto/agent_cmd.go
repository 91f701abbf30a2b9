package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ascolto/ascolto/acdconf"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
)

// Agents (seats) from the command line: their configuration is stored
// directly; logging in, out, pausing and unpausing are orders for the
// running service, left in the store's command table, which the service
// applies within a second and answers. An order nobody applies in time is
// withdrawn, so a service started hours later does not act on it.

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
			if err := acdconf.CheckExtension(a.words(), ext); err != nil {
				return err
			}
			fl := cmd.Flags()
			if fl.Changed("endpoint") {
				if err := acdconf.CheckEndpoint(a.words(), endpoint); err != nil {
					return err
				}
			}
			var qnames []string
			if fl.Changed("queues") {
				var err error
				if qnames, err = acdconf.QueueNames(a.words(), queues); err != nil {
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
					seat = acdconf.NewSeat(ext)
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
					if err := acdconf.CheckPhone(a.words(), phone); err != nil {
						return err
					}
					seat.PhoneKind = phone
				}
				if fl.Changed("user") {
					seat.Username = user
				}
				if err := acdconf.CheckSeat(ctx, a.words(), db, seat, ag); err != nil {
					return err
				}
				if err := acdconf.CheckQueuesExist(ctx, a.words(), db, qnames); err != nil {
					return err
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
				of := acdconf.AgentQueues(qs)
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
					if qnames, err = acdconf.QueueNames(a.words(), queues); err != nil {
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
						if err := acdconf.CheckQueuesExist(ctx, a.words(), db, qnames); err != nil {
							return err
						}
						if err := a.setAgentQueues(ctx, db, ext, qnames); err != nil {
							return err
						}
						out, err := acdconf.Reload(ctx, db, a.clock, a.actor(), wait)
						if err != nil {
							return err
						}
						if err := a.serviceRefusal(ctx, db, out, wait); err != nil {
							return err
						}
					}
					out, err := acdconf.Ask(ctx, db, a.clock, store.ACDCommand{Kind: kind, Agent: ext, Arg: reason, Actor: a.actor()}, wait)
					if err != nil {
						return err
					}
					if err := a.serviceRefusal(ctx, db, out, wait); err != nil {
						return err
					}
					detail := map[string]any{"state": consoleState(kind), "reason": reason, "via": "cli", "command": out.Cmd.ID}
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
							orDashS(strings.Join(acdconf.AgentQueues(qs)[ext], ", ")))
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

// setAgentQueues makes ext a member of exactly the queues named
// (acdconf.SetAgentQueues) and says what changed.
func (a *app) setAgentQueues(ctx context.Context, db *store.DB, ext string, names []string) error {
	joined, left, err := acdconf.SetAgentQueues(ctx, db, ext, names, a.actor())
	if len(joined) > 0 {
		fmt.Fprintf(a.stdout, a.t("Operatore %s aggiunto a: %s.\n", "Agent %s added to: %s.\n"), ext, strings.Join(joined, ", "))
	}
	if len(left) > 0 {
		fmt.Fprintf(a.stdout, a.t("Operatore %s tolto da: %s.\n", "Agent %s removed from: %s.\n"), ext, strings.Join(left, ", "))
	}
	return err
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

// serviceRefusal turns an order that was not carried out into the error
// the person reads: refused by the service, or no service to carry it out.
func (a *app) serviceRefusal(ctx context.Context, db *store.DB, out acdconf.Outcome, wait time.Duration) error {
	switch {
	case !out.Applied:
		return fmt.Errorf(a.t("comando non eseguito: nessuna risposta dal servizio entro %s (%s); il comando è stato ritirato",
			"command not carried out: no answer from the service within %s (%s); the command was withdrawn"), wait, a.whyNoService(ctx, db))
	case out.Refused != "":
		return fmt.Errorf(a.t("il servizio ha rifiutato il comando %s: %s", "the service refused the %s command: %s"), out.Cmd.Kind, out.Refused)
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
