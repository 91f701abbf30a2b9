package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ascolto/ascolto/acd"
	"github.com/ascolto/ascolto/acdconf"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
)

// The ACD's queues from the command line: settings (stored, then a
// "reload" command for the running service), members, the live view the
// service publishes every second, and Erlang C staffing estimates. The
// settings live in the store; the service is another process, reached only
// through the store's command table and snapshot row.

// staleAfter is how old the service's snapshot may be before the view warns
// that the service looks stopped: it writes one every second.
const staleAfter = 5 * time.Second

// rateWindow is how far back the CLI counts arrivals when the service's
// snapshot does not carry its own arrival rates.
const rateWindow = 15 * time.Minute

// assumedAHT is the handle time used for staffing until a queue has
// measured its own (DOMAIN.md's worked example).
const assumedAHT = 180 * time.Second

// words is how the CLI speaks to acdconf: its language, and a field named
// by its flag.
func (a *app) words() acdconf.Words {
	return acdconf.Words{Lang: a.cfg.Lang, Field: func(f string) string { return "--" + f }}
}

func (a *app) queueCmd() *cobra.Command {
	var wait time.Duration
	c := &cobra.Command{
		Use:   "queue",
		Short: "Code ACD: list, show, set, member, status, staffing / ACD queues",
		Long: `Gestisce le code dell'ACD e mostra il loro stato dal vivo.
  ascolto queue list                         le code e le loro impostazioni
  ascolto queue set informazioni --wrapup 45s --sl 80/20
  ascolto queue member add informazioni 101 --penalty 1
  ascolto queue status --watch               code, sedi e operatori dal vivo
  ascolto queue staffing --calls-per-hour 120 --aht 180s --target 80/20
Le modifiche sono salvate nel database e registrate nel registro di audit; il servizio in
esecuzione (ascolto serve) le applica entro un secondo.

Manages the ACD's queues and shows their live state. Changes are stored and audited; the
running service applies them within a second.`,
	}
	c.PersistentFlags().DurationVar(&wait, "wait", 5*time.Second,
		"quanto attendere che il servizio applichi la modifica / how long to wait for the running service to apply a change")

	list := &cobra.Command{
		Use:   "list",
		Short: "Elenca le code con le impostazioni / list queues",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				qs, err := db.Queues(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, a.t("CODA\tSEDE\tSTRATEGIA\tSQUILLO\tPOST-CHIAMATA\tATTESA MAX\tLUNG. MAX\tTRABOCCO\tLIV. SERVIZIO\tMEMBRI",
					"QUEUE\tSITE\tSTRATEGY\tRING\tWRAP-UP\tMAX WAIT\tMAX LEN\tOVERFLOW\tSERVICE LEVEL\tMEMBERS"))
				for _, q := range qs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", q.Name, q.Site, q.Strategy,
						secs(q.RingTimeoutS), secs(q.WrapupS), a.limitSecs(q.MaxWaitS), a.limitLen(q.MaxLen),
						a.overflowLabel(q.Overflow), q.SLPercent, q.SLSeconds, memberList(q.Members))
				}
				return tw.Flush()
			})
		},
	}

	show := &cobra.Command{
		Use:   "show QUEUE",
		Short: "Mostra impostazioni e membri di una coda / show a queue's settings and members",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				q, err := a.queueByName(ctx, db, args[0])
				if err != nil {
					return err
				}
				a.printQueue(q)
				return nil
			})
		},
	}

	set := a.queueSetCmd(&wait)

	member := &cobra.Command{
		Use:   "member",
		Short: "Membri di una coda: add, remove / queue members",
	}
	var penalty, level int
	var emergencyOnly bool
	memberAdd := &cobra.Command{
		Use:   "add QUEUE EXT [--penalty N --level N --emergency-only]",
		Short: "Aggiunge un operatore a una coda (o ne cambia penalità e livello) / add an agent to a queue",
		Long: `Aggiunge l'operatore EXT alla coda, o ne cambia le impostazioni se è già membro.
--penalty: gli operatori con penalità più bassa ricevono le chiamate per primi (0 = prima scelta).
--level: livello di competenza 0-9; una chiamata può richiedere un livello minimo.
--emergency-only: l'operatore riceve chiamate da questa coda solo in modalità emergenza.

Adds agent EXT to the queue, or changes its settings if already a member. Lower penalties are
offered calls first; level is a skill level 0-9; --emergency-only takes calls only in emergency mode.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := acdconf.CheckMember(a.words(), store.Member{Penalty: penalty, Level: level}); err != nil {
				return err
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				q, err := a.queueByName(ctx, db, args[0])
				if err != nil {
					return err
				}
				if _, err := a.agentByExt(ctx, db, args[1]); err != nil {
					return err
				}
				// A member keeps the settings no flag names; a new one starts from 0.
				old, already := findMember(q, args[1])
				m := store.Member{Extension: args[1]}
				if already {
					m = old
				}
				fl := cmd.Flags()
				if fl.Changed("penalty") {
					m.Penalty = penalty
				}
				if fl.Changed("level") {
					m.Level = level
				}
				if fl.Changed("emergency-only") {
					m.EmergencyOnly = emergencyOnly
				}
				if already && m == old {
					fmt.Fprintf(a.stdout, a.t("Operatore %s è già nella coda %s con queste impostazioni: nessuna modifica.\n",
						"Agent %s is already in queue %s with these settings: nothing to change.\n"), args[1], q.Name)
					return nil
				}
				if err := db.SetMembership(ctx, q.Name, args[1], m, a.actor()); err != nil {
					return err
				}
				if already {
					fmt.Fprintf(a.stdout, a.t("Operatore %s: impostazioni nella coda %s aggiornate (penalità %d, livello %d%s).\n",
						"Agent %s: settings in queue %s updated (penalty %d, level %d%s).\n"), args[1], q.Name, m.Penalty, m.Level, a.emergencyNote(m.EmergencyOnly))
				} else {
					fmt.Fprintf(a.stdout, a.t("Operatore %s aggiunto alla coda %s (penalità %d, livello %d%s).\n",
						"Agent %s added to queue %s (penalty %d, level %d%s).\n"), args[1], q.Name, m.Penalty, m.Level, a.emergencyNote(m.EmergencyOnly))
				}
				return a.reloadService(ctx, db, wait)
			})
		},
	}
	memberAdd.Flags().IntVar(&penalty, "penalty", 0, "penalità: più bassa = chiamato prima / penalty: lower is offered calls first")
	memberAdd.Flags().IntVar(&level, "level", 0, "livello di competenza 0-9 / skill level 0-9")
	memberAdd.Flags().BoolVar(&emergencyOnly, "emergency-only", false, "solo in modalità emergenza / only in emergency mode")
	memberRemove := &cobra.Command{
		Use:   "remove QUEUE EXT",
		Short: "Toglie un operatore da una coda / remove an agent from a queue",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				q, err := a.queueByName(ctx, db, args[0])
				if err != nil {
					return err
				}
				if _, err := a.agentByExt(ctx, db, args[1]); err != nil {
					return err
				}
				if _, ok := findMember(q, args[1]); !ok {
					return fmt.Errorf(a.t("l'operatore %s non è membro della coda %s (vedi ascolto queue show %s)",
						"agent %s is not a member of queue %s (see ascolto queue show %s)"), args[1], q.Name, q.Name)
				}
				if err := db.RemoveMembership(ctx, q.Name, args[1], a.actor()); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, a.t("Operatore %s tolto dalla coda %s.\n", "Agent %s removed from queue %s.\n"), args[1], q.Name)
				return a.reloadService(ctx, db, wait)
			})
		},
	}
	member.AddCommand(memberAdd, memberRemove)

	c.AddCommand(list, show, set, member, a.queueStatusCmd(), a.queueStaffingCmd(), a.queueThresholdCmd())
	return c
}

// queueSetCmd creates a queue or changes only the settings named by flags.
func (a *app) queueSetCmd(wait *time.Duration) *cobra.Command {
	var strategy, overflow, sl, site string
	var ringTimeout, wrapup, maxWait, announce, cbInterval time.Duration
	var maxLen, cbAttempts int
	set := &cobra.Command{
		Use:   "set QUEUE [--strategy … --ring-timeout 15s --wrapup 30s --max-wait 10m --max-len N --overflow queue:X|record|callback|none --announce 60s --sl 80/20 --site CODE --callback-attempts N --callback-interval 2m]",
		Short: "Crea una coda o ne cambia le impostazioni indicate / create a queue or change the settings given",
		Long: `Crea la coda se non esiste (con le impostazioni predefinite, più quelle indicate) o cambia
soltanto le impostazioni indicate. Poi chiede al servizio in esecuzione di rileggere la
configurazione e dice se l'ha fatto.
  --strategy        longest-idle (chi è libero da più tempo), round-robin, ring-all, fewest-calls, random
  --ring-timeout    quanto squilla un operatore prima di passare al successivo
  --wrapup          tempo di post-chiamata dopo ogni chiamata
  --max-wait        attesa massima, poi la chiamata trabocca (0 = nessun limite)
  --max-len         chiamanti in attesa oltre i quali la chiamata trabocca (0 = nessun limite)
  --overflow        dove va chi trabocca: queue:NOME, record (lascia un messaggio), callback, none
  --announce        ogni quanto annunciare posizione e attesa (0 = mai)
  --sl              obiettivo di livello di servizio, es. 80/20 = 80% delle chiamate entro 20 s
  --site            sede della coda (codice)
  --callback-attempts, --callback-interval   tentativi di richiamata e intervallo tra i tentativi

Creates the queue if missing, or changes only the settings given; then asks the running
service to reload and says whether it did.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := acdconf.CheckQueueName(a.words(), name); err != nil {
				return err
			}
			fl := cmd.Flags()
			// Everything that can be checked without the database, first.
			durs := []struct {
				flag string
				d    time.Duration
			}{{"ring-timeout", ringTimeout}, {"wrapup", wrapup}, {"max-wait", maxWait}, {"announce", announce}, {"callback-interval", cbInterval}}
			secsOf := map[string]int{}
			for _, d := range durs {
				if !fl.Changed(d.flag) {
					continue
				}
				n, err := acdconf.Seconds(a.words(), d.flag, d.d)
				if err != nil {
					return err
				}
				secsOf[d.flag] = n
			}
			if fl.Changed("strategy") {
				if err := acdconf.CheckStrategy(a.words(), strategy); err != nil {
					return err
				}
			}
			if fl.Changed("max-len") {
				if err := acdconf.CheckMaxLen(a.words(), maxLen); err != nil {
					return err
				}
			}
			if fl.Changed("callback-attempts") {
				if err := acdconf.CheckCallbackAttempts(a.words(), cbAttempts); err != nil {
					return err
				}
			}
			var slPct, slSecs int
			if fl.Changed("sl") {
				var err error
				if slPct, slSecs, err = acdconf.ParseTarget(a.words(), acdconf.FieldSL, sl); err != nil {
					return err
				}
			}
			var ovf string
			if fl.Changed("overflow") {
				var err error
				if ovf, err = acdconf.ParseOverflow(a.words(), overflow); err != nil {
					return err
				}
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				q, err := db.QueueByName(ctx, name)
				created := errors.Is(err, store.ErrNotFound)
				switch {
				case created:
					q = acdconf.NewQueue(name)
				case err != nil:
					return err
				}
				before := q
				if fl.Changed("strategy") {
					q.Strategy = strategy
				}
				for flag, n := range secsOf {
					switch flag {
					case "ring-timeout":
						q.RingTimeoutS = n
					case "wrapup":
						q.WrapupS = n
					case "max-wait":
						q.MaxWaitS = n
					case "announce":
						q.AnnounceS = n
					case "callback-interval":
						q.CallbackIntervalS = n
					}
				}
				if fl.Changed("max-len") {
					q.MaxLen = maxLen
				}
				if fl.Changed("overflow") {
					q.Overflow = ovf
				}
				if fl.Changed("sl") {
					q.SLPercent, q.SLSeconds = slPct, slSecs
				}
				if fl.Changed("site") {
					q.Site = site
				}
				if fl.Changed("callback-attempts") {
					q.CallbackAttempts = cbAttempts
				}
				if err := acdconf.CheckQueue(ctx, a.words(), db, q); err != nil {
					return fmt.Errorf(a.t("%w; nessuna modifica salvata", "%w; nothing saved"), err)
				}
				changes := a.queueChanges(before, q)
				if !created && len(changes) == 0 {
					fmt.Fprintf(a.stdout, a.t("Coda %s: nessuna modifica.\n", "Queue %s: nothing to change.\n"), name)
					return nil
				}
				if err := db.SaveQueue(ctx, &q, a.actor()); err != nil {
					return err
				}
				if created {
					fmt.Fprintf(a.stdout, a.t("Coda %s creata.\n", "Queue %s created.\n"), name)
					a.printQueue(q)
				} else {
					fmt.Fprintf(a.stdout, a.t("Coda %s aggiornata:\n", "Queue %s updated:\n"), name)
					for _, ch := range changes {
						fmt.Fprintln(a.stdout, "  "+ch)
					}
				}
				return a.reloadService(ctx, db, *wait)
			})
		},
	}
	f := set.Flags()
	f.StringVar(&strategy, "strategy", "", "strategia / strategy: "+acdconf.StrategyNames())
	f.DurationVar(&ringTimeout, "ring-timeout", 0, "squillo per operatore, es. 15s / ring time per agent")
	f.DurationVar(&wrapup, "wrapup", 0, "post-chiamata, es. 30s / wrap-up time")
	f.DurationVar(&maxWait, "max-wait", 0, "attesa massima prima del trabocco, es. 10m (0 = nessuna) / max wait before overflow")
	f.IntVar(&maxLen, "max-len", 0, "chiamanti in attesa prima del trabocco (0 = nessun limite) / callers waiting before overflow")
	f.StringVar(&overflow, "overflow", "", "trabocco / overflow: queue:NAME, record, callback, none")
	f.DurationVar(&announce, "announce", 0, "annuncio di posizione ogni, es. 60s (0 = mai) / position announcement every")
	f.StringVar(&sl, "sl", "", "obiettivo di livello di servizio, es. 80/20 / service-level target")
	f.StringVar(&site, "site", "", "codice della sede / site code")
	f.IntVar(&cbAttempts, "callback-attempts", 0, "tentativi di richiamata / callback attempts")
	f.DurationVar(&cbInterval, "callback-interval", 0, "intervallo tra i tentativi di richiamata, es. 2m / between callback attempts")
	return set
}

// queueChanges lists the settings that differ, as "label: before → after".
func (a *app) queueChanges(before, after store.Queue) []string {
	var out []string
	for _, f := range a.queueFields() {
		if b, af := f.val(before), f.val(after); b != af {
			out = append(out, fmt.Sprintf("%s: %s → %s", f.label, b, af))
		}
	}
	return out
}

type queueField struct {
	label string
	val   func(store.Queue) string
}

// queueFields are a queue's settings as a person reads them, for show and
// for the list of changes.
func (a *app) queueFields() []queueField {
	return []queueField{
		{a.t("sede", "site"), func(q store.Queue) string { return q.Site }},
		{a.t("strategia", "strategy"), func(q store.Queue) string { return q.Strategy }},
		{a.t("squillo per operatore", "ring timeout"), func(q store.Queue) string { return secs(q.RingTimeoutS) }},
		{a.t("post-chiamata", "wrap-up"), func(q store.Queue) string { return secs(q.WrapupS) }},
		{a.t("attesa massima", "max wait"), func(q store.Queue) string { return a.limitSecs(q.MaxWaitS) }},
		{a.t("chiamanti in attesa al massimo", "max length"), func(q store.Queue) string { return a.limitLen(q.MaxLen) }},
		{a.t("trabocco", "overflow"), func(q store.Queue) string { return a.overflowLabel(q.Overflow) }},
		{a.t("annuncio di posizione", "position announcement"), func(q store.Queue) string {
			if q.AnnounceS == 0 {
				return a.t("mai", "never")
			}
			return a.t("ogni ", "every ") + secs(q.AnnounceS)
		}},
		{a.t("livello di servizio", "service level"), func(q store.Queue) string {
			return fmt.Sprintf(a.t("%d%% entro %s", "%d%% within %s"), q.SLPercent, secs(q.SLSeconds))
		}},
		{a.t("richiamate", "callbacks"), func(q store.Queue) string {
			if q.CallbackAttempts == 0 {
				return a.t("disattivate", "off")
			}
			return fmt.Sprintf(a.t("%d tentativi, ogni %s", "%d attempts, every %s"), q.CallbackAttempts, secs(q.CallbackIntervalS))
		}},
		{a.t("musica d'attesa", "music on hold"), func(q store.Queue) string { return q.MOHClass }},
	}
}

func (a *app) printQueue(q store.Queue) {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, a.t("Coda\t%s\n", "Queue\t%s\n"), q.Name)
	for _, f := range a.queueFields() {
		fmt.Fprintf(tw, "%s\t%s\n", strings.ToUpper(f.label[:1])+f.label[1:], f.val(q))
	}
	tw.Flush()
	if len(q.Members) == 0 {
		fmt.Fprintln(a.stdout, a.t("Nessun membro (aggiungi con: ascolto queue member add "+q.Name+" EXT)",
			"No members (add one with: ascolto queue member add "+q.Name+" EXT)"))
		return
	}
	fmt.Fprintln(a.stdout)
	tw = tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, a.t("MEMBRO\tPENALITÀ\tLIVELLO\tSOLO EMERGENZA", "MEMBER\tPENALTY\tLEVEL\tEMERGENCY ONLY"))
	for _, m := range q.Members {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", m.Extension, m.Penalty, m.Level, a.yesNo(m.EmergencyOnly))
	}
	tw.Flush()
}

func (a *app) queueByName(ctx context.Context, db *store.DB, name string) (store.Queue, error) {
	q, err := db.QueueByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return q, fmt.Errorf(a.t("la coda %s non esiste (vedi ascolto queue list)", "queue %s does not exist (see ascolto queue list)"), name)
	}
	return q, err
}

func findMember(q store.Queue, ext string) (store.Member, bool) {
	for _, m := range q.Members {
		if m.Extension == ext {
			return m, true
		}
	}
	return store.Member{}, false
}

// reloadService asks the running service to re-read queues and agents and
// says whether it did. The change is stored either way: a service started
// later reads it at start, so "no service" is not a failure here.
func (a *app) reloadService(ctx context.Context, db *store.DB, wait time.Duration) error {
	out, err := acdconf.Reload(ctx, db, a.clock, a.actor(), wait)
	if err != nil {
		return err
	}
	switch {
	case !out.Applied:
		fmt.Fprintf(a.stdout, a.t("Nessun servizio ha applicato la modifica entro %s (%s): varrà al prossimo avvio di ascolto serve.\n",
			"No service applied the change within %s (%s): it takes effect when ascolto serve next starts.\n"), wait, a.whyNoService(ctx, db))
	case out.Refused != "":
		return fmt.Errorf(a.t("modifica salvata, ma il servizio in esecuzione non l'ha applicata: %s", "change saved, but the running service did not apply it: %s"), out.Refused)
	default:
		fmt.Fprintln(a.stdout, a.t("Il servizio in esecuzione ha applicato la modifica.", "The running service applied the change."))
	}
	return nil
}

func (a *app) overflowLabel(o string) string {
	switch {
	case o == "":
		return a.t("nessuno", "none")
	case o == "record":
		return a.t("messaggio registrato", "recorded message")
	case o == "callback":
		return a.t("richiamata", "callback")
	}
	return a.t("coda ", "queue ") + strings.TrimPrefix(o, "queue:")
}

func (a *app) limitSecs(n int) string {
	if n == 0 {
		return a.t("nessuna", "none")
	}
	return secs(n)
}

func (a *app) limitLen(n int) string {
	if n == 0 {
		return a.t("nessuna", "none")
	}
	return strconv.Itoa(n)
}

func (a *app) yesNo(b bool) string {
	if b {
		return a.t("sì", "yes")
	}
	return a.t("no", "no")
}

func (a *app) emergencyNote(b bool) string {
	if b {
		return a.t(", solo in emergenza", ", emergency only")
	}
	return ""
}

// memberList names a queue's members, shortened when there are many.
func memberList(ms []store.Member) string {
	if len(ms) == 0 {
		return "-"
	}
	var names []string
	for i, m := range ms {
		if i == 6 {
			names = append(names, fmt.Sprintf("… (+%d)", len(ms)-6))
			break
		}
		names = append(names, m.Extension)
	}
	return fmt.Sprintf("%d: %s", len(ms), strings.Join(names, ","))
}

// secs writes a number of seconds the way it would be typed: 15s, 2m, 1m30s, 1h.
func secs(n int) string { return dur(time.Duration(n) * time.Second) }

// dur writes a duration briefly: 0s, 12s, 3m05s, 2m, 1h02m. Sub-second
// durations round to whole seconds (a non-zero one below 1s is "<1s").
func dur(d time.Duration) string {
	switch {
	case d == time.Duration(math.MaxInt64):
		return "∞"
	case d > 0 && d < time.Second:
		return "<1s"
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0 && m == 0:
		return fmt.Sprintf("%dh", h)
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0 && s == 0:
		return fmt.Sprintf("%dm", m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}

// num writes a number with prec decimals, with the decimal comma in Italian.
func (a *app) num(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if a.cfg.Lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func (a *app) percent(v float64) string { return a.num(v*100, 1) + "%" }

// ---- The live view ----

// acdLive is the service's published picture as the CLI reads it: the
// engine's snapshot, and each queue's arrival rate per hour — the
// service's own figure when its snapshot carries one (ArrivalPerHour),
// otherwise counted here from the queue log.
type acdLive struct {
	acd.Snapshot
	ArrivalPerHour map[string]float64

	writtenAt    time.Time // when the service stored it
	ratesCounted bool      // the rates were counted from the queue log by the CLI
}

// noSnapshotError means no service has ever published a live picture
// on this database; its text is in the person's language.
type noSnapshotError struct{ msg string }

func (e noSnapshotError) Error() string { return e.msg }

func (a *app) noSnapshotError() error {
	return noSnapshotError{a.t("nessun dato dal vivo: il servizio (ascolto serve) non è mai partito su questo database, o non si è ancora collegato ad Asterisk",
		"no live data: the service (ascolto serve) never ran on this database, or has not connected to Asterisk yet")}
}

// loadLive reads the latest snapshot and completes the arrival rates.
func (a *app) loadLive(ctx context.Context, db *store.DB) (*acdLive, error) {
	at, body, err := db.ACDSnapshot(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, a.noSnapshotError()
	}
	if err != nil {
		return nil, err
	}
	var l acdLive
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		return nil, fmt.Errorf("cli: read the ACD snapshot: %w", err)
	}
	l.writtenAt = at
	if l.ArrivalPerHour == nil {
		since := l.At.Add(-rateWindow)
		evs, err := db.QueueEvents(ctx, store.QueueEventFilter{Since: &since})
		if err != nil {
			return nil, err
		}
		l.ArrivalPerHour = map[string]float64{}
		for _, q := range l.Queues {
			l.ArrivalPerHour[q.Name] = 0
		}
		for _, e := range evs {
			if e.Event == store.QEnterQueue && !e.At.After(l.At) {
				l.ArrivalPerHour[e.Queue] += 1 / rateWindow.Hours()
			}
		}
		l.ratesCounted = true
	}
	return &l, nil
}

// age says how old the snapshot is at now (never negative: the service's
// clock may be a little ahead of this machine's).
func (l *acdLive) age(now time.Time) time.Duration { return max(now.Sub(l.writtenAt), 0) }

func (l *acdLive) queue(name string) (acd.QueueStats, bool) {
	for _, q := range l.Queues {
		if q.Name == name {
			return q, true
		}
	}
	return acd.QueueStats{}, false
}

// staffNeeded is Erlang C's answer for a queue at its live arrival rate:
// the agents needed for its target, and whether the handle time was assumed.
func (l *acdLive) staffNeeded(q acd.QueueStats) (n int, assumed bool) {
	aht := q.AHT
	if aht <= 0 {
		aht, assumed = assumedAHT, true
	}
	pct, within := q.Target.Percent, q.Target.Within
	if pct <= 0 || within <= 0 {
		pct, within = 80, 20*time.Second
	}
	return acd.AgentsFor(acd.Traffic(l.ArrivalPerHour[q.Name], aht), aht, within, pct/100), assumed
}

func (a *app) queueStatusCmd() *cobra.Command {
	var watch bool
	var interval time.Duration
	c := &cobra.Command{
		Use:   "status [--watch] [--interval 1s]",
		Short: "Stato dal vivo di code, sedi e operatori / live state of queues, sites and agents",
		Long: `Mostra l'istantanea che il servizio pubblica ogni secondo: per coda chiamanti in attesa, attesa
più lunga, operatori per stato, risposte e abbandoni, livello di servizio, ASA, AHT, occupazione,
arrivi all'ora e operatori necessari secondo Erlang C; i totali per sede; gli operatori con il
loro stato e da quanto. Con --watch ridisegna la schermata fino a Ctrl-C.

Shows the snapshot the service publishes every second; --watch redraws it until Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if interval < 200*time.Millisecond || interval > time.Hour {
				return fmt.Errorf(a.t("--interval %s non valido: usa da 200ms a 1h", "--interval %s is not valid: use 200ms to 1h"), interval)
			}
			return a.withStoreUntilDone(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				for {
					var buf bytes.Buffer
					l, err := a.loadLive(ctx, db)
					if err == nil {
						a.renderStatus(&buf, l, a.clock.Now())
					}
					if !watch {
						if err != nil {
							return err
						}
						_, err = a.stdout.Write(buf.Bytes())
						return err
					}
					if ctx.Err() != nil {
						return nil
					}
					if err != nil {
						fmt.Fprintln(&buf, a.t("Errore: ", "Error: ")+err.Error())
					}
					fmt.Fprintf(&buf, a.t("\nAggiornamento ogni %s — Ctrl-C per uscire.\n", "\nRefreshing every %s — Ctrl-C to quit.\n"), interval)
					// Home the cursor and clear the screen, then draw the whole frame in one write.
					if _, err := a.stdout.Write(append([]byte("\x1b[H\x1b[2J"), buf.Bytes()...)); err != nil {
						return err
					}
					t := a.clock.NewTimer(interval)
					select {
					case <-ctx.Done():
						t.Stop()
						return nil
					case <-t.C():
					}
				}
			})
		},
	}
	c.Flags().BoolVar(&watch, "watch", false, "ridisegna fino a Ctrl-C / redraw until Ctrl-C")
	c.Flags().DurationVar(&interval, "interval", time.Second, "intervallo di aggiornamento con --watch / refresh interval with --watch")
	return c
}

// withStoreUntilDone is withStore for views that run until Ctrl-C: only
// opening and migrating the store is time-limited.
func (a *app) withStoreUntilDone(ctx context.Context, fn func(ctx context.Context, db *store.DB) error) error {
	db, err := a.openStore()
	if err != nil {
		return err
	}
	defer db.Close()
	mctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	_, err = db.Migrate(mctx)
	cancel()
	if err != nil {
		return err
	}
	return fn(ctx, db)
}

// renderStatus draws the live picture: queues, their KPIs, sites, agents.
func (a *app) renderStatus(w io.Writer, l *acdLive, now time.Time) {
	age := l.age(now)
	fmt.Fprintf(w, a.t("ACD alle %s (istantanea di %s fa)", "ACD at %s (snapshot %s old)"), l.At.In(rome()).Format("2006-01-02 15:04:05"), dur(age))
	if l.Emergency {
		fmt.Fprint(w, a.t(" — MODALITÀ EMERGENZA", " — EMERGENCY MODE"))
	}
	fmt.Fprintln(w)
	if age > staleAfter {
		fmt.Fprintf(w, a.t("ATTENZIONE: l'istantanea è vecchia di %s (il servizio ne scrive una al secondo): il servizio è fermo?\n",
			"WARNING: the snapshot is %s old (the service writes one a second): has the service stopped?\n"), dur(age))
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, a.t("CODE", "QUEUES"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, a.t("CODA\tSEDE\tSTRATEGIA\tIN ATTESA\tPIÙ LUNGA\tRICHIAMATE\tLIBERI\tSQUILLO\tIN LINEA\tPOST\tPAUSA\tFUORI\tIRRAGG.",
		"QUEUE\tSITE\tSTRATEGY\tWAITING\tLONGEST\tCALLBACKS\tAVAIL.\tRINGING\tON CALL\tWRAP-UP\tPAUSED\tOUT\tUNREACH."))
	for _, q := range l.Queues {
		ag := q.Agents
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", q.Name, q.Site, q.Strategy, q.Waiting, dur(q.LongestWait),
			q.Callbacks, ag.Available, ag.Ringing+ag.Reserved, ag.OnCall, ag.WrapUp, ag.Paused, ag.LoggedOut, ag.Unreachable)
	}
	tw.Flush()
	fmt.Fprintln(w, a.t("Operatori dei membri: POST = post-chiamata, FUORI = disconnessi, IRRAGG. = telefono non raggiungibile.",
		"Members' agents: OUT = logged out, UNREACH. = phone not reachable."))

	fmt.Fprintln(w)
	fmt.Fprintln(w, a.t("PRESTAZIONI (dall'avvio del servizio) E PERSONALE", "PERFORMANCE (since the service started) AND STAFFING"))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, a.t("CODA\tENTRATE\tRISPOSTE\tABBANDONI\tTRABOCCHI\tLIV. SERV.\tOBIETTIVO\tASA\tAHT\tOCCUPAZ.\tARRIVI/ORA\tIN SERVIZIO\tNECESSARI",
		"QUEUE\tOFFERED\tANSWERED\tABANDONED\tOVERFLOWED\tSERV. LEVEL\tTARGET\tASA\tAHT\tOCCUPANCY\tCALLS/HOUR\tSTAFFED\tNEEDED"))
	anyAssumed := false
	for _, q := range l.Queues {
		need, assumed := l.staffNeeded(q)
		needS := strconv.Itoa(need)
		if assumed && need > 0 {
			needS += "*"
			anyAssumed = true
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", q.Name, q.Offered, q.Answered, q.Abandoned, q.TimedOut+q.Full,
			a.ratio(q.ServiceLevel, q.Answered+q.Abandoned+q.TimedOut), a.targetLabel(q.Target), a.orDash(q.ASA, q.Answered), a.orDash(q.AHT, q.Handled),
			a.ratio(q.Occupancy, members(q.Agents)), a.num(l.ArrivalPerHour[q.Name], 1), q.Staffed, needS)
	}
	tw.Flush()
	window := a.t("ultimi 15 minuti", "last 15 minutes")
	if l.ratesCounted {
		window += a.t(", contati dal registro delle code", ", counted from the queue log")
	}
	fmt.Fprintf(w, a.t("Arrivi all'ora: %s. Necessari: Erlang C per l'obiettivo della coda a quel ritmo.\n",
		"Calls per hour: %s. Needed: Erlang C for the queue's target at that rate.\n"), window)
	if anyAssumed {
		fmt.Fprintf(w, a.t("* AHT non ancora misurato: ipotizzato %s.\n", "* AHT not measured yet: %s assumed.\n"), dur(assumedAHT))
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, a.t("SEDI", "SITES"))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, a.t("SEDE\tIN ATTESA\tPIÙ LUNGA\tIN SERVIZIO\tLIBERI\tIN LINEA\tPOST\tPAUSA\tRISPOSTE\tABBANDONI\tLIV. SERV.\tASA\tOCCUPAZ.",
		"SITE\tWAITING\tLONGEST\tSTAFFED\tAVAIL.\tON CALL\tWRAP-UP\tPAUSED\tANSWERED\tABANDONED\tSERV. LEVEL\tASA\tOCCUPANCY"))
	for _, s := range l.Sites {
		ag := s.Agents
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", s.Site, s.Waiting, dur(s.LongestWait), s.Staffed,
			ag.Available, ag.OnCall, ag.WrapUp, ag.Paused, s.Answered, s.Abandoned,
			a.ratio(s.ServiceLevel, s.Answered+s.Abandoned+s.TimedOut), a.orDash(s.ASA, s.Answered), a.ratio(s.Occupancy, members(s.Agents)))
	}
	tw.Flush()

	fmt.Fprintln(w)
	fmt.Fprintln(w, a.t("OPERATORI", "AGENTS"))
	if len(l.Agents) == 0 {
		fmt.Fprintln(w, a.t("Nessun operatore configurato (ascolto agent add).", "No agents configured (ascolto agent add)."))
		return
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, a.t("INTERNO\tNOME\tSEDE\tSTATO\tDA\tMOTIVO\tCODE", "EXT\tNAME\tSITE\tSTATE\tFOR\tREASON\tQUEUES"))
	for _, ag := range l.Agents {
		state := a.agentStateLabel(ag.State)
		if !ag.Reachable && ag.State != acd.LoggedOut {
			state += a.t(" (non raggiungibile)", " (unreachable)")
		}
		reason := ag.Reason
		if reason == "" {
			reason = "-"
		}
		queues := strings.Join(ag.Queues, ",")
		if queues == "" {
			queues = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ag.ID, orDashS(ag.Name), ag.Site, state, dur(max(l.At.Sub(ag.Since), 0)), reason, queues)
	}
	tw.Flush()
}

// agentStateLabel names an ACD agent state for people.
func (a *app) agentStateLabel(s acd.AgentState) string {
	switch s {
	case acd.LoggedOut:
		return a.t("disconnesso", "logged out")
	case acd.Available:
		return a.t("libero", "available")
	case acd.Ringing:
		return a.t("squilla", "ringing")
	case acd.Reserved:
		return a.t("riservato per richiamata", "reserved for a callback")
	case acd.OnCall:
		return a.t("in chiamata", "on call")
	case acd.WrapUp:
		return a.t("post-chiamata", "wrap-up")
	case acd.Paused:
		return a.t("in pausa", "paused")
	}
	return s.String()
}

// members counts the agents of a queue (each agent is in exactly one state).
func members(c acd.AgentCounts) int {
	return c.LoggedOut + c.Available + c.Ringing + c.Reserved + c.OnCall + c.WrapUp + c.Paused
}

// ratio writes a share as a percentage, or "-" when nothing was counted.
func (a *app) ratio(v float64, counted int) string {
	if counted == 0 {
		return "-"
	}
	return a.percent(v)
}

func (a *app) orDash(d time.Duration, counted int) string {
	if counted == 0 {
		return "-"
	}
	return dur(d)
}

func orDashS(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) targetLabel(t acd.ServiceTarget) string {
	return fmt.Sprintf("%s/%d", a.num(t.Percent, 0), int(t.Within/time.Second))
}

// ---- Staffing ----

func (a *app) queueStaffingCmd() *cobra.Command {
	var callsPerHour float64
	var aht time.Duration
	var target string
	c := &cobra.Command{
		Use:   "staffing [QUEUE] [--calls-per-hour N --aht 180s --target 80/20]",
		Short: "Operatori necessari secondo Erlang C / agents needed, by Erlang C",
		Long: `Stima con Erlang C quanti operatori servono per un obiettivo di livello di servizio, con il
livello di servizio e l'ASA attesi, e una tabella per qualche operatore in meno e in più.
Con --calls-per-hour usa le cifre indicate (AHT predefinito 180s, obiettivo 80/20 o quello
della coda). Senza, usa gli arrivi dell'ultimo quarto d'ora e l'AHT misurati dal servizio
per la coda indicata, o per tutte le code. Esempio (DOMAIN.md): 120 chiamate/ora, AHT 180s,
80/20 → 9 operatori.

Estimates with Erlang C the agents needed for a service-level target. With --calls-per-hour
it uses the figures given; without, the queue's live arrival rate and AHT.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			given := fl.Changed("calls-per-hour")
			if given && (math.IsNaN(callsPerHour) || callsPerHour < 0 || callsPerHour > 100000) {
				return fmt.Errorf(a.t("--calls-per-hour %v non valido: usa un numero da 0 a 100000", "--calls-per-hour %v is not valid: use a number from 0 to 100000"), callsPerHour)
			}
			if fl.Changed("aht") && (aht < time.Second || aht > 4*time.Hour) {
				return fmt.Errorf(a.t("--aht %s non valido: usa da 1s a 4h, es. 180s", "--aht %s is not valid: use 1s to 4h, e.g. 180s"), aht)
			}
			var tPct, tSecs int
			if fl.Changed("target") {
				var err error
				if tPct, tSecs, err = acdconf.ParseTarget(a.words(), "target", target); err != nil {
					return err
				}
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				var qs []store.Queue
				if len(args) == 1 {
					q, err := a.queueByName(ctx, db, args[0])
					if err != nil {
						return err
					}
					qs = []store.Queue{q}
				}
				if given {
					p := staffingInput{rate: callsPerHour, aht: aht, pct: 80, within: 20}
					if !fl.Changed("aht") {
						p.aht = assumedAHT
					}
					if len(qs) == 1 {
						p.pct, p.within = qs[0].SLPercent, qs[0].SLSeconds
						fmt.Fprintf(a.stdout, a.t("Coda %s — cifre indicate\n", "Queue %s — figures given\n"), qs[0].Name)
					}
					if tPct > 0 {
						p.pct, p.within = tPct, tSecs
					}
					a.printStaffing(a.stdout, p)
					return nil
				}
				l, err := a.loadLive(ctx, db)
				if errors.As(err, new(noSnapshotError)) {
					return fmt.Errorf(a.t("%w. Indica le cifre: --calls-per-hour N [--aht 180s]", "%w. Give the figures: --calls-per-hour N [--aht 180s]"), err)
				}
				if err != nil {
					return err
				}
				if len(qs) == 0 {
					if qs, err = db.Queues(ctx); err != nil {
						return err
					}
				}
				age := l.age(a.clock.Now())
				fmt.Fprintf(a.stdout, a.t("Dati dal vivo: istantanea di %s fa, arrivi degli ultimi 15 minuti.\n", "Live data: snapshot %s old, arrivals of the last 15 minutes.\n"), dur(age))
				if age > staleAfter {
					fmt.Fprintf(a.stdout, a.t("ATTENZIONE: l'istantanea è vecchia di %s: il servizio è fermo? Le cifre possono non essere attuali.\n",
						"WARNING: the snapshot is %s old: has the service stopped? The figures may be out of date.\n"), dur(age))
				}
				for i, q := range qs {
					if i > 0 || len(qs) > 1 {
						fmt.Fprintln(a.stdout)
					}
					fmt.Fprintf(a.stdout, a.t("Coda %s\n", "Queue %s\n"), q.Name)
					live, ok := l.queue(q.Name)
					if !ok {
						fmt.Fprintln(a.stdout, a.t("  nessun dato dal vivo per questa coda (il servizio non l'ha ancora caricata?)",
							"  no live data for this queue (the service has not loaded it yet?)"))
						continue
					}
					p := staffingInput{rate: l.ArrivalPerHour[q.Name], aht: live.AHT, pct: q.SLPercent, within: q.SLSeconds}
					if tPct > 0 {
						p.pct, p.within = tPct, tSecs
					}
					if fl.Changed("aht") {
						p.aht = aht
					} else if p.aht <= 0 {
						p.aht = assumedAHT
						fmt.Fprintf(a.stdout, a.t("  AHT non ancora misurato (nessuna chiamata conclusa): ipotizzato %s; indica --aht per un altro valore.\n",
							"  AHT not measured yet (no call finished): %s assumed; give --aht for another value.\n"), dur(assumedAHT))
					}
					if p.rate == 0 {
						fmt.Fprintln(a.stdout, a.t("  nessuna chiamata negli ultimi 15 minuti: il traffico attuale non richiede operatori.",
							"  no calls in the last 15 minutes: the current traffic needs no agents."))
						continue
					}
					a.printStaffing(a.stdout, p)
				}
				return nil
			})
		},
	}
	c.Flags().Float64Var(&callsPerHour, "calls-per-hour", 0, "chiamate all'ora / calls per hour")
	c.Flags().DurationVar(&aht, "aht", assumedAHT, "durata media di gestione (conversazione, attesa, post-chiamata) / average handle time")
	c.Flags().StringVar(&target, "target", "", "obiettivo di livello di servizio, es. 80/20 (predefinito: quello della coda, o 80/20) / service-level target")
	return c
}

type staffingInput struct {
	rate        float64 // calls per hour
	aht         time.Duration
	pct, within int // target: pct% within `within` seconds
}

// printStaffing writes Erlang C's answer and a table around it.
func (a *app) printStaffing(w io.Writer, p staffingInput) {
	traffic := acd.Traffic(p.rate, p.aht)
	within := time.Duration(p.within) * time.Second
	n := acd.AgentsFor(traffic, p.aht, within, float64(p.pct)/100)
	fmt.Fprintf(w, a.t("  Traffico: %s chiamate/ora × AHT %s = %s erlang\n", "  Traffic: %s calls/hour × AHT %s = %s erlangs\n"),
		a.num(p.rate, 1), dur(p.aht), a.num(traffic, 2))
	fmt.Fprintf(w, a.t("  Obiettivo: %d%% delle chiamate con risposta entro %ds\n", "  Target: %d%% of calls answered within %ds\n"), p.pct, p.within)
	if n == 0 {
		fmt.Fprintln(w, a.t("  Servono 0 operatori: nessun traffico.", "  0 agents needed: no traffic."))
		return
	}
	need := a.t("  Servono %d operatori: livello di servizio atteso %s, ASA %s.\n", "  %d agents needed: expected service level %s, ASA %s.\n")
	if n == 1 {
		need = a.t("  Serve %d operatore: livello di servizio atteso %s, ASA %s.\n", "  %d agent needed: expected service level %s, ASA %s.\n")
	}
	fmt.Fprintf(w, need,
		n, a.percent(acd.ServiceLevel(traffic, n, p.aht, within)), dur(acd.AverageSpeedOfAnswer(traffic, n, p.aht)))
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, a.t("OPERATORI\tLIV. SERVIZIO\tASA\tP(ATTESA)\tOCCUPAZIONE\t", "AGENTS\tSERVICE LEVEL\tASA\tP(WAIT)\tOCCUPANCY\t"))
	for k := max(n-2, 1); k <= n+3; k++ {
		occ := "-"
		if float64(k) > traffic {
			occ = a.percent(traffic / float64(k))
		}
		mark := ""
		if k == n {
			mark = a.t(" ← necessari", " ← needed")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", k, a.percent(acd.ServiceLevel(traffic, k, p.aht, within)),
			dur(acd.AverageSpeedOfAnswer(traffic, k, p.aht)), a.percent(acd.ErlangC(traffic, k)), occ, mark)
	}
	tw.Flush()
}
