package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/wall"
	"github.com/spf13/cobra"
)

// The wall display's thresholds per queue: shown with the defaults each
// takes from the queue's service-level target, set one by one, and reset.
// Changes are stored and audited; the console rereads them within seconds.

// thresholdFlag is one threshold's flag: a percentage or a duration.
type thresholdFlag struct {
	name   string
	pct    bool // a percentage (0-100); otherwise a duration in whole seconds
	field  func(*store.QueueThreshold) **int
	it, en string
}

var thresholdFlags = []thresholdFlag{
	{"sl-amber", true, func(t *store.QueueThreshold) **int { return &t.SLAmberPct }, "livello di servizio sotto cui è giallo (%)", "service level below which it is amber (%)"},
	{"sl-red", true, func(t *store.QueueThreshold) **int { return &t.SLRedPct }, "livello di servizio sotto cui è rosso e allarme (%)", "service level below which it is red and alerts (%)"},
	{"wait-amber", false, func(t *store.QueueThreshold) **int { return &t.WaitAmberS }, "attesa più lunga oltre cui è giallo", "longest wait above which it is amber"},
	{"wait-red", false, func(t *store.QueueThreshold) **int { return &t.WaitRedS }, "attesa più lunga oltre cui è rosso e allarme", "longest wait above which it is red and alerts"},
	{"abandon-amber", true, func(t *store.QueueThreshold) **int { return &t.AbandonAmberPct }, "abbandonate oltre cui è giallo (%)", "abandoned share above which it is amber (%)"},
	{"abandon-red", true, func(t *store.QueueThreshold) **int { return &t.AbandonRedPct }, "abbandonate oltre cui è rosso e allarme (%)", "abandoned share above which it is red and alerts (%)"},
	{"pause-amber", false, func(t *store.QueueThreshold) **int { return &t.PauseAmberS }, "pausa di un operatore oltre cui è giallo", "an agent's pause above which it is amber"},
	{"pause-red", false, func(t *store.QueueThreshold) **int { return &t.PauseRedS }, "pausa di un operatore oltre cui è rosso e allarme", "an agent's pause above which it is red and alerts"},
	{"wrapup-amber", false, func(t *store.QueueThreshold) **int { return &t.WrapupAmberS }, "chiusura scheda oltre cui è giallo", "wrap-up above which it is amber"},
	{"wrapup-red", false, func(t *store.QueueThreshold) **int { return &t.WrapupRedS }, "chiusura scheda oltre cui è rosso e allarme", "wrap-up above which it is red and alerts"},
}

func (a *app) queueThresholdCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "threshold",
		Short: "Soglie del tabellone per coda: show, set, reset / wall display thresholds per queue",
		Long: `Le soglie a cui i numeri di una coda sul tabellone (/supervisor/wall) diventano gialli e rossi;
il rosso fa scattare l'allarme. Una soglia non impostata deriva dall'obiettivo di livello di
servizio della coda (es. 80/20: rosso sotto l'80%, giallo sotto l'85%; attesa gialla oltre 20s,
rossa oltre 60s; abbandonate gialle oltre il 5%, rosse oltre il 10%; pausa 10/15 minuti;
chiusura scheda 2/5 minuti).
  ascolto queue threshold show [CODA]
  ascolto queue threshold set soccorso --sl-red 90 --wait-red 45s --pause-red 10m
  ascolto queue threshold set soccorso --wait-red default     torna al valore derivato
  ascolto queue threshold reset soccorso                      tutte le soglie derivate
Ogni modifica è registrata nel registro di audit; il tabellone la mostra entro pochi secondi.

The thresholds at which a queue's numbers on the wall display turn amber and red (red alerts).
An unset threshold derives from the queue's service-level target. Every change is audited.`,
	}
	show := &cobra.Command{
		Use:   "show [QUEUE]",
		Short: "Mostra le soglie in vigore e da dove vengono / show the thresholds in force and where they come from",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				qs, err := db.Queues(ctx)
				if err != nil {
					return err
				}
				if len(args) == 1 {
					q, err := a.queueByName(ctx, db, args[0])
					if err != nil {
						return err
					}
					qs = []store.Queue{q}
				}
				set, err := db.QueueThresholds(ctx)
				if err != nil {
					return err
				}
				for i, q := range qs {
					if i > 0 {
						fmt.Fprintln(a.stdout)
					}
					a.printThresholds(q, set[q.Name])
				}
				return nil
			})
		},
	}
	set := &cobra.Command{
		Use:   "set QUEUE [--sl-amber N --sl-red N --wait-amber D --wait-red D --abandon-amber N --abandon-red N --pause-amber D --pause-red D --wrapup-amber D --wrapup-red D]",
		Short: "Cambia le soglie indicate (\"default\" torna al valore derivato) / change the thresholds given (\"default\" goes back to the derived value)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			changed := false
			for _, f := range thresholdFlags {
				changed = changed || fl.Changed(f.name)
			}
			if !changed {
				return errors.New(a.t("nessuna soglia indicata: usa per esempio --sl-red 80 o --wait-red 60s (vedi ascolto queue threshold set --help)",
					"no threshold given: use for instance --sl-red 80 or --wait-red 60s (see ascolto queue threshold set --help)"))
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				q, err := a.queueByName(ctx, db, args[0])
				if err != nil {
					return err
				}
				all, err := db.QueueThresholds(ctx)
				if err != nil {
					return err
				}
				th := all[q.Name]
				th.Queue = q.Name
				for _, f := range thresholdFlags {
					if !fl.Changed(f.name) {
						continue
					}
					s, _ := fl.GetString(f.name)
					v, isDefault, err := a.parseThreshold(f, s)
					if err != nil {
						return err
					}
					if isDefault {
						*f.field(&th) = nil
					} else {
						*f.field(&th) = &v
					}
				}
				if err := a.checkThresholdOrder(q, th); err != nil {
					return err
				}
				if err := db.SetQueueThreshold(ctx, &th, a.actor()); err != nil {
					if errors.Is(err, store.ErrInvalid) {
						return errors.New(strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": "))
					}
					return err
				}
				fmt.Fprintf(a.stdout, a.t("Soglie della coda %s aggiornate (registrato nell'audit). Il tabellone le mostra entro pochi secondi.\n",
					"Thresholds of queue %s updated (audited). The wall display shows them within seconds.\n"), q.Name)
				a.printThresholds(q, th)
				return nil
			})
		},
	}
	for _, f := range thresholdFlags {
		hint := "N (0-100)"
		if !f.pct {
			hint = "45s, 2m"
		}
		set.Flags().String(f.name, "", fmt.Sprintf("%s / %s: %s | default", f.it, f.en, hint))
	}
	reset := &cobra.Command{
		Use:   "reset QUEUE",
		Short: "Riporta tutte le soglie ai valori derivati dall'obiettivo / all thresholds back to those derived from the target",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				q, err := a.queueByName(ctx, db, args[0])
				if err != nil {
					return err
				}
				if err := db.SetQueueThreshold(ctx, &store.QueueThreshold{Queue: q.Name}, a.actor()); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, a.t("Soglie della coda %s riportate ai valori derivati dall'obiettivo %d/%d (registrato nell'audit).\n",
					"Thresholds of queue %s back to those derived from the target %d/%d (audited).\n"), q.Name, q.SLPercent, q.SLSeconds)
				a.printThresholds(q, store.QueueThreshold{Queue: q.Name})
				return nil
			})
		},
	}
	c.AddCommand(show, set, reset)
	return c
}

// parseThreshold reads a flag's value: "default" (or "predefinito"), a
// percentage for the shares, a duration of whole seconds for the times.
func (a *app) parseThreshold(f thresholdFlag, s string) (int, bool, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "default", "predefinito", "derivato":
		return 0, true, nil
	}
	if f.pct {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
		if err != nil || n < 0 || n > 100 {
			return 0, false, fmt.Errorf(a.t("--%s %q non valido: usa una percentuale intera da 0 a 100, o default",
				"--%s %q is not valid: use a whole percentage from 0 to 100, or default"), f.name, s)
		}
		return n, false, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 || d%time.Second != 0 {
		return 0, false, fmt.Errorf(a.t("--%s %q non valido: usa una durata positiva in secondi interi (es. 45s, 2m), o default",
			"--%s %q is not valid: use a positive duration in whole seconds (e.g. 45s, 2m), or default"), f.name, s)
	}
	return int(d / time.Second), false, nil
}

// checkThresholdOrder refuses amber past red once the defaults fill the
// unset side, in the person's language (the store checks only pairs set).
func (a *app) checkThresholdOrder(q store.Queue, th store.QueueThreshold) error {
	d := wall.Defaults(q.SLPercent, q.SLSeconds)
	pct := func(v *int, def float64) float64 {
		if v != nil {
			return float64(*v) / 100
		}
		return def
	}
	dur := func(v *int, def time.Duration) time.Duration {
		if v != nil {
			return time.Duration(*v) * time.Second
		}
		return def
	}
	bad := func(what, amber, red string) error {
		return fmt.Errorf(a.t("%s: il giallo (%s) deve avvisare prima del rosso (%s); indica entrambe le soglie",
			"%s: amber (%s) must warn before red (%s); give both thresholds"), what, amber, red)
	}
	if am, rd := pct(th.SLAmberPct, d.SLAmber), pct(th.SLRedPct, d.SLRed); am < rd {
		return bad(a.t("livello di servizio", "service level"), fmt.Sprintf("%.0f%%", am*100), fmt.Sprintf("%.0f%%", rd*100))
	}
	if am, rd := pct(th.AbandonAmberPct, d.AbandonAmber), pct(th.AbandonRedPct, d.AbandonRed); am > rd {
		return bad(a.t("abbandonate", "abandoned"), fmt.Sprintf("%.1f%%", am*100), fmt.Sprintf("%.1f%%", rd*100))
	}
	for _, p := range []struct {
		what       string
		amber, red time.Duration
	}{
		{a.t("attesa", "wait"), dur(th.WaitAmberS, d.WaitAmber), dur(th.WaitRedS, d.WaitRed)},
		{a.t("pausa", "pause"), dur(th.PauseAmberS, d.PauseAmber), dur(th.PauseRedS, d.PauseRed)},
		{a.t("chiusura scheda", "wrap-up"), dur(th.WrapupAmberS, d.WrapupAmber), dur(th.WrapupRedS, d.WrapupRed)},
	} {
		if p.amber > p.red {
			return bad(p.what, shortDur(p.amber), shortDur(p.red))
		}
	}
	return nil
}

// printThresholds writes a queue's thresholds in force, each marked as
// set or derived from the target.
func (a *app) printThresholds(q store.Queue, set store.QueueThreshold) {
	r := wall.Resolve(q.SLPercent, q.SLSeconds, set)
	fmt.Fprintf(a.stdout, a.t("Coda %s — obiettivo %d%% entro %ds\n", "Queue %s — target %d%% within %ds\n"), q.Name, q.SLPercent, q.SLSeconds)
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, a.t("SOGLIA\tGIALLO\tROSSO\tORIGINE", "THRESHOLD\tAMBER\tRED\tSOURCE"))
	src := func(x, y *int) string {
		switch {
		case x != nil && y != nil:
			return a.t("impostate", "set")
		case x != nil || y != nil:
			return a.t("in parte impostate", "partly set")
		}
		return a.t("dall'obiettivo", "from the target")
	}
	pct := func(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + "%" }
	fmt.Fprintf(tw, "%s\t< %s\t< %s\t%s\n", a.t("livello di servizio", "service level"), pct(r.SLAmber), pct(r.SLRed), src(set.SLAmberPct, set.SLRedPct))
	fmt.Fprintf(tw, "%s\t> %s\t> %s\t%s\n", a.t("attesa più lunga", "longest wait"), shortDur(r.WaitAmber), shortDur(r.WaitRed), src(set.WaitAmberS, set.WaitRedS))
	fmt.Fprintf(tw, "%s\t> %s\t> %s\t%s\n", a.t("abbandonate", "abandoned"), pct(r.AbandonAmber), pct(r.AbandonRed), src(set.AbandonAmberPct, set.AbandonRedPct))
	fmt.Fprintf(tw, "%s\t> %s\t> %s\t%s\n", a.t("pausa operatore", "agent pause"), shortDur(r.PauseAmber), shortDur(r.PauseRed), src(set.PauseAmberS, set.PauseRedS))
	fmt.Fprintf(tw, "%s\t> %s\t> %s\t%s\n", a.t("chiusura scheda", "wrap-up"), shortDur(r.WrapupAmber), shortDur(r.WrapupRed), src(set.WrapupAmberS, set.WrapupRedS))
	_ = tw.Flush()
}

// shortDur writes a duration as an admin types it: 45s, 2m, 1m30s.
func shortDur(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	out := ""
	if h > 0 {
		out += fmt.Sprintf("%dh", h)
	}
	if m > 0 {
		out += fmt.Sprintf("%dm", m)
	}
	if sec > 0 || out == "" {
		out += fmt.Sprintf("%ds", sec)
	}
	return out
}
