package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
)

func (a *app) modeCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "mode",
		Short: "Modalità di servizio: ordinaria, emergenza (H24), chiuso / operating mode",
	}
	var reason, until string
	set := &cobra.Command{
		Use:   "set ordinary|emergency|closed",
		Short: "Cambia la modalità (vale per la prossima decisione IVR di ogni chiamata) / change the mode",
		Long: `Cambia la modalità di servizio. La modifica vale entro un secondo per la prossima decisione IVR di
ogni chiamata ed è registrata nel registro di audit. Con --until la modalità torna, a quell'ora,
a quella che era in vigore prima. Esempio:
  ascolto mode set emergency --reason "Alluvione Emilia-Romagna, richiesta DPC" --until 2026-12-01T18:00

Changes the operating mode; it reaches the next IVR decision of every call within a second and
is audited. With --until the previous mode returns at that time.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := ivr.ParseMode(args[0])
			if err != nil {
				return fmt.Errorf(a.t("modalità %q sconosciuta: usa ordinary, emergency o closed", "unknown mode %q: use ordinary, emergency or closed"), args[0])
			}
			if reason == "" {
				return errors.New(a.t("serve --reason: il registro deve dire perché il servizio cambia", "--reason is required: the log must say why the service changes"))
			}
			change := store.ModeChange{Mode: string(m), Reason: reason, SetBy: a.actor()}
			if until != "" {
				if change.Until, err = ivr.ParseTime(until, rome()); err != nil {
					return fmt.Errorf(a.t("--until %q: usa 2026-12-01T18:00", "--until %q: use 2026-12-01T18:00"), until)
				}
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				if err := db.SetMode(ctx, &change); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, a.t("Modalità %s in vigore", "Mode %s in force"), m.Label(a.cfg.Lang))
				if !change.Until.IsZero() {
					fmt.Fprintf(a.stdout, a.t(" fino al %s", " until %s"), change.Until.In(rome()).Format("2006-01-02 15:04"))
				}
				fmt.Fprintln(a.stdout, ".")
				return nil
			})
		},
	}
	set.Flags().StringVar(&reason, "reason", "", "motivo (obbligatorio) / reason (required)")
	set.Flags().StringVar(&until, "until", "", "fino a, ora italiana, es. 2026-12-01T18:00 / until")
	show := &cobra.Command{
		Use:   "show",
		Short: "Mostra la modalità in vigore e se il servizio è aperto ora / show the mode in force",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				st, err := a.liveState(ctx, db)
				if err != nil {
					return err
				}
				m := st.Mode()
				now := a.clock.Now()
				fmt.Fprintf(a.stdout, a.t("Modalità: %s\n", "Mode: %s\n"), m.Mode.Label(a.cfg.Lang))
				if m.SetBy != "" {
					fmt.Fprintf(a.stdout, a.t("  impostata da %s il %s: %s\n", "  set by %s on %s: %s\n"), m.SetBy,
						m.SetAt.In(rome()).Format("2006-01-02 15:04"), m.Reason)
				} else {
					fmt.Fprintln(a.stdout, a.t("  (nessuna modifica: vale il calendario ordinario)", "  (no change made: the ordinary calendar applies)"))
				}
				if !m.Until.IsZero() {
					fmt.Fprintf(a.stdout, a.t("  fino al %s\n", "  until %s\n"), m.Until.In(rome()).Format("2006-01-02 15:04"))
				}
				status := st.Calendar().Status(now, m.Mode)
				fmt.Fprintf(a.stdout, a.t("Adesso (%s): %s\n", "Now (%s): %s\n"), now.In(rome()).Format("2006-01-02 15:04"), status.Message(a.cfg.Lang))
				if next, ok := st.Calendar().NextOpening(now, m.Mode); ok && !next.Equal(now) {
					fmt.Fprintf(a.stdout, a.t("Prossima apertura: %s\n", "Next opening: %s\n"), next.In(rome()).Format("2006-01-02 15:04"))
				}
				hist, err := db.ModeHistory(ctx, 5)
				if err != nil {
					return err
				}
				if len(hist) > 0 {
					fmt.Fprintln(a.stdout, a.t("Ultime modifiche:", "Recent changes:"))
					for _, h := range hist {
						line := fmt.Sprintf("  %s  %-9s %s — %s", h.SetAt.In(rome()).Format("2006-01-02 15:04"), h.Mode, h.SetBy, h.Reason)
						if !h.Until.IsZero() {
							line += a.t(" (fino al ", " (until ") + h.Until.In(rome()).Format("2006-01-02 15:04") + ")"
						}
						fmt.Fprintln(a.stdout, line)
					}
				}
				return nil
			})
		},
	}
	c.AddCommand(set, show)
	return c
}
