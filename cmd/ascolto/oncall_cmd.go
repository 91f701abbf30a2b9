package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ascolto/ascolto/oncall"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
)

// oncallService builds the call-out service for a CLI command: it records
// and reads, never calls (the running `serve` does).
func (a *app) oncallService(db *store.DB) (*oncall.Service, error) {
	return oncall.New(oncall.Options{Store: db, Clock: a.clock, Log: a.log.Named("oncall")})
}

func (a *app) oncallCmd() *cobra.Command {
	c := &cobra.Command{Use: "oncall", Short: "Reperibilità: elenco, ondate e turni / on-call roster"}
	roster := &cobra.Command{Use: "roster", Short: "Importa, esporta o mostra l'elenco dei reperibili / import, export or show the roster"}
	var comment string
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Importa l'elenco (YAML) o i turni (iCalendar .ics) / import the roster (YAML) or the shifts (.ics)",
		Long: `Importa l'elenco dei reperibili da un file YAML (persone, ondate, turni settimanali con
eccezioni e turni straordinari) o sostituisce i turni con quelli di un file iCalendar (.ics).
I numeri di telefono sono portati nel formato internazionale (+39…); un file con errori è
rifiutato per intero, con l'elenco dei problemi. "-" legge lo standard input.

Imports the roster from YAML, or replaces its shifts with an iCalendar file's. A file with
problems is refused whole, listing them all.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var src []byte
			var err error
			if args[0] == "-" {
				src, err = io.ReadAll(io.LimitReader(a.stdin, 8<<20))
			} else {
				src, err = os.ReadFile(args[0])
			}
			if err != nil {
				return err
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				s, err := a.oncallService(db)
				if err != nil {
					return err
				}
				var r *oncall.Roster
				var rec store.Roster
				if strings.HasSuffix(strings.ToLower(args[0]), ".ics") || strings.Contains(string(src[:min(len(src), 200)]), "BEGIN:VCALENDAR") {
					r, rec, err = s.ImportCalendar(ctx, strings.NewReader(string(src)), a.actor(), comment)
				} else {
					r, rec, err = s.ImportRoster(ctx, src, a.actor(), comment)
				}
				if errors.Is(err, oncall.ErrNoRoster) {
					return errors.New(a.t("importa prima l'elenco YAML: i turni .ics si riferiscono alle sue persone",
						"import the YAML roster first: .ics shifts refer to its people"))
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, a.t("Elenco versione %d importato: %d persone, %d ondate, %d turni.\n",
					"Roster version %d imported: %d people, %d waves, %d shifts.\n"), rec.Version, len(r.People), len(r.Waves), len(r.Shifts))
				return nil
			})
		},
	}
	imp.Flags().StringVar(&comment, "comment", "", "nota per il registro / note for the log")
	var format, out string
	exp := &cobra.Command{
		Use:   "export",
		Short: "Esporta l'elenco (YAML) o i turni (iCalendar) / export the roster or its shifts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				s, err := a.oncallService(db)
				if err != nil {
					return err
				}
				r, _, err := s.Roster(ctx)
				if err != nil {
					return a.rosterErr(err)
				}
				w := a.stdout
				if out != "" && out != "-" {
					f, err := createPrivate(out)
					if err != nil {
						return err
					}
					defer f.Close()
					w = f
				}
				switch format {
				case "yaml":
					_, err = w.Write(r.YAML())
				case "ics":
					err = r.ExportICS(w, a.clock.Now())
				default:
					return fmt.Errorf(a.t("--format %q: usa yaml o ics", "--format %q: use yaml or ics"), format)
				}
				return err
			})
		},
	}
	exp.Flags().StringVar(&format, "format", "yaml", "yaml | ics")
	exp.Flags().StringVarP(&out, "output", "o", "", "file (predefinito: standard output)")
	var at string
	show := &cobra.Command{
		Use:   "show",
		Short: "Chi è reperibile adesso (o --at), ondata per ondata / who is on call now, wave by wave",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			when := a.clock.Now()
			if at != "" {
				t, err := time.ParseInLocation("2006-01-02T15:04", at, rome())
				if err != nil {
					return fmt.Errorf(a.t("--at %q: usa 2026-12-25T10:00", "--at %q: use 2026-12-25T10:00"), at)
				}
				when = t
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				s, err := a.oncallService(db)
				if err != nil {
					return err
				}
				r, rec, err := s.Roster(ctx)
				if err != nil {
					return a.rosterErr(err)
				}
				fmt.Fprintf(a.stdout, a.t("Elenco versione %d (%s, %s): %d persone, quorum %d, obiettivo %s\n",
					"Roster version %d (%s, %s): %d people, quorum %d, target %s\n"), rec.Version, rec.CreatedBy,
					rec.CreatedAt.In(rome()).Format("2006-01-02 15:04"), len(r.People), r.Quorum, r.Policy.Target)
				lt := when.In(rome())
				fmt.Fprintf(a.stdout, a.t("Reperibili %s %s:\n", "On call at %s %s:\n"),
					a.t([]string{"domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"}[lt.Weekday()],
						lt.Weekday().String()), lt.Format(a.t("02/01/2006 15:04", "2006-01-02 15:04")))
				total := 0
				for i, w := range r.Plan(when) {
					fmt.Fprintf(a.stdout, a.t("  %d. %s (attesa %s): ", "  %d. %s (wait %s): "), i+1, w.Name, w.Wait)
					if len(w.People) == 0 {
						fmt.Fprintln(a.stdout, a.t("nessuno", "nobody"))
						continue
					}
					var names []string
					for _, p := range w.People {
						names = append(names, fmt.Sprintf("%s %s", p.Name, p.Phone))
					}
					total += len(w.People)
					fmt.Fprintln(a.stdout, strings.Join(names, ", "))
				}
				if total == 0 {
					fmt.Fprintln(a.stdout, a.t("ATTENZIONE: nessuno da chiamare in questo momento.", "WARNING: nobody to call at this moment."))
				}
				return nil
			})
		},
	}
	show.Flags().StringVar(&at, "at", "", "ora italiana, es. 2026-12-25T10:00 / Italian time")
	roster.AddCommand(imp, exp, show)
	c.AddCommand(roster)
	return c
}

func (a *app) rosterErr(err error) error {
	if errors.Is(err, oncall.ErrNoRoster) {
		return errors.New(a.t("nessun elenco dei reperibili: importalo con `ascolto oncall roster import FILE`",
			"no on-call roster: import one with `ascolto oncall roster import FILE`"))
	}
	return err
}
