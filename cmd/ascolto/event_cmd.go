package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ascolto/ascolto/report"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
)

// eventCmd opens, closes and lists emergency events: while one is open,
// new requests belong to it, and reports and the sitrep can be run for it.
func (a *app) eventCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "event",
		Short: "Eventi emergenziali: open, close, list / emergency events",
		Long: `Un evento (es. "Alluvione Emilia-Romagna, maggio 2023") ha un nome, un'area (regioni e
province per codice ISTAT), un inizio e una fine. Mentre è aperto, le richieste che arrivano gli
appartengono: i rapporti e il rapporto di situazione si possono fare per evento.

An event has a name, an area (regions and provinces by ISTAT code), a start and an end. While it is
open, new requests belong to it; reports and the situation report can be run per event.`,
	}
	var area, start string
	var exercise bool
	open := &cobra.Command{
		Use:   `open "NOME" [--area 08,037] [--start 2026-05-16T18:00] [--exercise]`,
		Short: "Apre un evento / open an event",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e := store.EmergencyEvent{Name: args[0], Exercise: exercise}
			for _, code := range strings.Split(area, ",") {
				if code = strings.TrimSpace(code); code != "" {
					e.Area = append(e.Area, code)
				}
			}
			if start != "" {
				t, err := report.ParseTime(start, false)
				if err != nil {
					return fmt.Errorf(a.t("--start %q non è una data (es. 2026-05-16T18:00)", "--start %q is not a time (e.g. 2026-05-16T18:00)"), start)
				}
				e.StartedAt = t
			}
			return a.withGeoStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				if err := db.OpenEvent(ctx, &e, a.actor()); err != nil {
					return a.storeProblem(err)
				}
				fmt.Fprintf(a.stdout, a.t("Evento %d aperto: %s (dal %s%s)\n", "Event %d opened: %s (from %s%s)\n"), e.ID, e.Name,
					e.StartedAt.In(rome()).Format("2006-01-02 15:04"), a.areaText(e.Area))
				if others, err := db.Events(ctx, true); err == nil && len(others) > 1 {
					fmt.Fprintf(a.stdout, a.t("Attenzione: %d eventi sono aperti insieme; una richiesta va all'evento più recente che copre il suo comune.\n",
						"Note: %d events are open at once; a request goes to the latest one covering its comune.\n"), len(others))
				}
				return nil
			})
		},
	}
	open.Flags().StringVar(&area, "area", "", "codici ISTAT di regioni (2 cifre) e province (3 cifre), separati da virgole / ISTAT codes of regions and provinces")
	open.Flags().StringVar(&start, "start", "", "inizio, ora italiana (predefinito: adesso) / start, Italian time (default: now)")
	open.Flags().BoolVar(&exercise, "exercise", false, "esercitazione: tutto ciò che produce è marcato come tale / a drill")

	var at string
	closeCmd := &cobra.Command{
		Use:   "close ID [--at 2026-05-31T18:00]",
		Short: "Chiude un evento / close an event",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf(a.t("%q non è il numero di un evento (vedi `ascolto event list`)", "%q is not an event number (see `ascolto event list`)"), args[0])
			}
			var end time.Time
			if at != "" {
				if end, err = report.ParseTime(at, false); err != nil {
					return fmt.Errorf(a.t("--at %q non è una data (es. 2026-05-31T18:00)", "--at %q is not a time (e.g. 2026-05-31T18:00)"), at)
				}
			}
			return a.withGeoStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				e, err := db.CloseEvent(ctx, id, end, a.actor())
				switch {
				case errors.Is(err, store.ErrNotFound):
					return fmt.Errorf(a.t("l'evento %d non esiste (vedi `ascolto event list`)", "event %d does not exist (see `ascolto event list`)"), id)
				case errors.Is(err, store.ErrAlreadyClosed):
					return fmt.Errorf(a.t("l'evento %d è già chiuso", "event %d is already closed"), id)
				case err != nil:
					return a.storeProblem(err)
				}
				fmt.Fprintf(a.stdout, a.t("Evento %d chiuso: %s (%s – %s)\n", "Event %d closed: %s (%s – %s)\n"), e.ID, e.Name,
					e.StartedAt.In(rome()).Format("2006-01-02 15:04"), e.EndedAt.In(rome()).Format("2006-01-02 15:04"))
				return nil
			})
		},
	}
	closeCmd.Flags().StringVar(&at, "at", "", "fine, ora italiana (predefinito: adesso) / end, Italian time (default: now)")

	var onlyOpen bool
	list := &cobra.Command{
		Use:   "list [--open]",
		Short: "Elenca gli eventi / list events",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withGeoStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				events, err := db.Events(ctx, onlyOpen)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, a.t("ID\tNOME\tAREA\tINIZIO\tFINE\tTIPO", "ID\tNAME\tAREA\tSTART\tEND\tKIND"))
				for _, e := range events {
					end := a.t("aperto", "open")
					if !e.EndedAt.IsZero() {
						end = e.EndedAt.In(rome()).Format("2006-01-02 15:04")
					}
					kind := a.t("reale", "real")
					if e.Exercise {
						kind = a.t("esercitazione", "exercise")
					}
					areaText := strings.Join(e.Area, ",")
					if areaText == "" {
						areaText = a.t("Italia", "Italy")
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Name, areaText, e.StartedAt.In(rome()).Format("2006-01-02 15:04"), end, kind)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().BoolVar(&onlyOpen, "open", false, "solo gli eventi aperti / open events only")
	c.AddCommand(open, closeCmd, list)
	return c
}

// withGeoStore opens and migrates the store and makes sure the ISTAT
// list is loaded (areas and reports name places by its codes). Unlike
// withStore it sets no deadline on fn: an export of millions of rows may
// take minutes.
func (a *app) withGeoStore(ctx context.Context, fn func(ctx context.Context, db *store.DB) error) error {
	db, err := a.migratedStore(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(ctx, db)
}

func (a *app) areaText(area []string) string {
	if len(area) == 0 {
		return a.t(", tutta Italia", ", all Italy")
	}
	return a.t(", area ", ", area ") + strings.Join(area, ",")
}

// storeProblem turns the store's refusals into the message a person reads.
func (a *app) storeProblem(err error) error {
	if errors.Is(err, store.ErrInvalid) {
		return errors.New(strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": "))
	}
	return err
}
