package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/oncall"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
)

func (a *app) emergencyCmd() *cobra.Command {
	c := &cobra.Command{Use: "emergency", Short: "Attivazione d'emergenza e richiamo dei reperibili / emergency activation and call-out"}
	var event, requestedBy, reason string
	var quorum int
	var exercise bool
	open := &cobra.Command{
		Use:   "open",
		Short: "Attiva l'emergenza: modalità H24, evento, chiamata dei reperibili / open an emergency activation",
		Long: `In un solo passo: modalità emergenza (IVR e orari H24; non per le esercitazioni), apertura
dell'evento e chiamata dei reperibili, ondata per ondata, finché il quorum non ha confermato.
Le chiamate le fa il servizio in esecuzione (ascolto serve) entro un secondo. Esempio:
  ascolto emergency open --event "Alluvione Emilia-Romagna" --requested-by "DPC Sala Situazione" \
    --reason "richiesta riapertura H24" --quorum 8
Con --exercise è un'esercitazione: chiamate e messaggi veri con ESERCITAZIONE, nessun cambio
per i cittadini, risultati tenuti a parte.

Opens an emergency activation in one step; the running service places the calls.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if event == "" || requestedBy == "" || reason == "" {
				return errors.New(a.t("servono --event, --requested-by e --reason: il registro deve dire cosa, chi e perché",
					"--event, --requested-by and --reason are required: the log must say what, who and why"))
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				s, err := a.oncallService(db)
				if err != nil {
					return err
				}
				act, err := s.Open(ctx, oncall.OpenRequest{Event: event, RequestedBy: requestedBy, Reason: reason, By: a.actor(),
					Quorum: quorum, Exercise: exercise})
				switch {
				case errors.Is(err, oncall.ErrAlreadyOpen):
					return errors.New(a.t("un'attivazione è già aperta: guardala con `ascolto emergency status` o chiudila con `ascolto emergency close`",
						"an activation is already open: see `ascolto emergency status` or close it with `ascolto emergency close`"))
				case errors.Is(err, oncall.ErrNobody):
					return errors.New(a.t("nessuno è in reperibilità adesso: controlla i turni con `ascolto oncall roster show`",
						"nobody is on call now: check the shifts with `ascolto oncall roster show`") + " (" + err.Error() + ")")
				case err != nil:
					return a.rosterErr(err)
				}
				kind := a.t("Attivazione", "Activation")
				if exercise {
					kind = a.t("ESERCITAZIONE", "EXERCISE")
				}
				pol := oncall.DefaultPolicy()
				fmt.Fprintf(a.stdout, a.t("%s n. %d aperta alle %s: quorum %d, obiettivo entro le %s.\n", "%s %d opened at %s: quorum %d, target %s.\n"),
					kind, act.ID, act.OpenedAt.In(rome()).Format("15:04:05"), act.Quorum, act.OpenedAt.Add(pol.Target).In(rome()).Format("15:04"))
				if !exercise {
					fmt.Fprintln(a.stdout, a.t("Modalità emergenza (H24) in vigore.", "Emergency mode (H24) in force."))
				}
				// The running service claims it within a second; say so if none does.
				deadline := time.Now().Add(3 * time.Second)
				for time.Now().Before(deadline) {
					cur, err := db.Activation(ctx, act.ID)
					if err == nil && cur.Runner != "" {
						fmt.Fprintln(a.stdout, a.t("Chiamata dei reperibili avviata. Segui con `ascolto emergency status --watch` o su /activation.",
							"Call-out started. Follow it with `ascolto emergency status --watch` or on /activation."))
						return nil
					}
					time.Sleep(100 * time.Millisecond)
				}
				fmt.Fprintln(a.stderr, a.t("ATTENZIONE: nessun servizio ha preso in carico la chiamata: `ascolto serve` è in esecuzione e collegato ad Asterisk?",
					"WARNING: no service took the call-out: is `ascolto serve` running and connected to Asterisk?"))
				return nil
			})
		},
	}
	open.Flags().StringVar(&event, "event", "", "evento, es. \"Alluvione Emilia-Romagna\"")
	open.Flags().StringVar(&requestedBy, "requested-by", "", "chi ha chiesto l'attivazione / who requested it")
	open.Flags().StringVar(&reason, "reason", "", "motivo / reason")
	open.Flags().IntVar(&quorum, "quorum", 0, "operatori confermati necessari (predefinito: quello dell'elenco)")
	open.Flags().BoolVar(&exercise, "exercise", false, "esercitazione / drill")

	var closeReason string
	var closeExercise bool
	closeCmd := &cobra.Command{
		Use:   "close",
		Short: "Chiude l'attivazione e torna alla modalità del calendario / close the activation",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				s, err := a.oncallService(db)
				if err != nil {
					return err
				}
				act, err := s.Close(ctx, oncall.CloseRequest{Exercise: closeExercise, By: a.actor(), Reason: closeReason})
				if errors.Is(err, oncall.ErrNotOpen) {
					return errors.New(a.t("nessuna attivazione aperta", "no open activation"))
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, a.t("Attivazione n. %d chiusa alle %s.\n", "Activation %d closed at %s.\n"), act.ID, act.ClosedAt.In(rome()).Format("15:04:05"))
				if !act.Exercise {
					m, err := db.CurrentMode(ctx, a.clock.Now())
					if err == nil {
						fmt.Fprintf(a.stdout, a.t("Modalità in vigore: %s.\n", "Mode in force: %s.\n"), ivr.Mode(m.Mode).Label(a.cfg.Lang))
					}
				}
				return nil
			})
		},
	}
	closeCmd.Flags().StringVar(&closeReason, "reason", "", "motivo / reason")
	closeCmd.Flags().BoolVar(&closeExercise, "exercise", false, "chiude l'esercitazione / close the drill")

	var statusExercise, watch, asJSON bool
	var statusID int64
	status := &cobra.Command{
		Use:   "status",
		Short: "Il quadro dell'attivazione: chi è stato chiamato, chi arriva e quando / the activation board",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStoreUntilDone(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				s, err := a.oncallService(db)
				if err != nil {
					return err
				}
				for {
					b, err := s.Board(ctx, statusID, statusExercise)
					if errors.Is(err, store.ErrNotFound) {
						return errors.New(a.t("nessuna attivazione", "no activation"))
					}
					if err != nil {
						return err
					}
					if asJSON {
						enc := json.NewEncoder(a.stdout)
						enc.SetIndent("", "  ")
						if err := enc.Encode(b); err != nil {
							return err
						}
					} else {
						a.printBoard(b)
					}
					if !watch {
						return nil
					}
					select {
					case <-ctx.Done():
						return nil
					case <-time.After(time.Second):
					}
				}
			})
		},
	}
	status.Flags().BoolVar(&statusExercise, "exercise", false, "l'esercitazione / the drill")
	status.Flags().Int64Var(&statusID, "id", 0, "attivazione n. (predefinito: l'ultima)")
	status.Flags().BoolVar(&watch, "watch", false, "aggiorna ogni secondo / refresh every second")
	status.Flags().BoolVar(&asJSON, "json", false, "JSON")

	var csvPath, pdfPath string
	var repExercise bool
	var repID int64
	report := &cobra.Command{
		Use:   "report",
		Short: "Esporta la cronologia (CSV) e il riepilogo (PDF) / export the timeline and the summary",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if csvPath == "" && pdfPath == "" {
				return errors.New(a.t("indica --csv FILE e/o --pdf FILE", "give --csv FILE and/or --pdf FILE"))
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				s, err := a.oncallService(db)
				if err != nil {
					return err
				}
				rep, err := s.Report(ctx, repID, repExercise)
				if errors.Is(err, store.ErrNotFound) {
					return errors.New(a.t("nessuna attivazione", "no activation"))
				}
				if err != nil {
					return err
				}
				for _, out := range []struct {
					path  string
					write func(f *os.File) error
				}{{csvPath, func(f *os.File) error { return rep.WriteCSV(f) }}, {pdfPath, func(f *os.File) error { return rep.WritePDF(f) }}} {
					if out.path == "" {
						continue
					}
					f, err := createPrivate(out.path)
					if err != nil {
						return err
					}
					if err := out.write(f); err != nil {
						f.Close()
						return err
					}
					if err := f.Close(); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, a.t("Scritto %s\n", "Wrote %s\n"), out.path)
				}
				return nil
			})
		},
	}
	report.Flags().StringVar(&csvPath, "csv", "", "file CSV della cronologia")
	report.Flags().StringVar(&pdfPath, "pdf", "", "file PDF del riepilogo")
	report.Flags().BoolVar(&repExercise, "exercise", false, "l'esercitazione / the drill")
	report.Flags().Int64Var(&repID, "id", 0, "attivazione n. (predefinito: l'ultima)")
	c.AddCommand(open, closeCmd, status, report)
	return c
}

func (a *app) printBoard(b oncall.Board) {
	w := a.stdout
	kind := a.t("Attivazione", "Activation")
	if b.Exercise {
		kind = a.t("ESERCITAZIONE", "EXERCISE")
	}
	lang := a.cfg.Lang
	fmt.Fprintf(w, "%s n. %d — %s (%s)\n", kind, b.ID, b.Event, oncall.Word(oncall.WordActivation, b.State, lang))
	fmt.Fprintf(w, a.t("Richiesta da %s: %s\n", "Requested by %s: %s\n"), b.RequestedBy, b.Reason)
	rem := b.Remaining
	sign := ""
	if rem < 0 {
		sign, rem = "-", -rem
	}
	fmt.Fprintf(w, a.t("Aperta %s · obiettivo %s · mancano %s%d:%02d\n", "Opened %s · target %s · %s%d:%02d left\n"),
		b.OpenedAt.In(rome()).Format("15:04:05"), b.Deadline.In(rome()).Format("15:04"), sign, rem/60, rem%60)
	eta := a.t("non ancora", "not yet")
	if !b.QuorumETA.IsZero() {
		eta = b.QuorumETA.In(rome()).Format("15:04")
	}
	fmt.Fprintf(w, a.t("Quorum %d: %d confermati (%d arrivati) · in sala previsto %s\n", "Quorum %d: %d confirmed (%d arrived) · in place at %s\n"),
		b.Quorum, b.Confirmed, b.Arrived, eta)
	fmt.Fprintf(w, a.t("In chiamata %d · in attesa %d · non disponibili %d · non raggiunti %d\n", "Calling %d · waiting %d · declined %d · unreachable %d\n"),
		b.Calling, b.Waiting, b.Declined, b.Unreachable)
	if b.Alert != "" {
		fmt.Fprintln(w, "!! "+oncall.AlertText(b.Alert, lang))
	}
	for _, p := range b.People {
		extra := ""
		if p.ETA >= 0 {
			extra = fmt.Sprintf(a.t(" · %d min", " · %d min"), p.ETA)
		}
		if !p.ExpectedAt.IsZero() {
			extra += " → " + p.ExpectedAt.In(rome()).Format("15:04")
		}
		if p.Via != "" {
			extra += " · " + a.t("confermato con ", "confirmed by ") + oncall.Word(oncall.WordVia, p.Via, lang)
		}
		if p.Last != "" {
			extra += " · " + a.t("ultima chiamata: ", "last call: ") + oncall.Word(oncall.WordResult, p.Last, lang)
		}
		fmt.Fprintf(w, "  %-12s %-24s %-16s%s\n", oncall.Word(oncall.WordWave, p.Wave, lang), p.Name, oncall.Word(oncall.WordState, p.State, lang), extra)
	}
}
