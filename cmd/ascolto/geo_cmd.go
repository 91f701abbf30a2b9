package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/spf13/cobra"
)

func (a *app) geoCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "geo",
		Short: "Geografia ISTAT (regioni, province, comuni) / ISTAT geography",
	}
	c.AddCommand(&cobra.Command{
		Use:   "import FILE",
		Short: "Importa l'Elenco comuni italiani ISTAT (CSV) / import ISTAT's list of comuni (CSV)",
		Long: `Legge il file "Elenco comuni italiani" pubblicato dall'ISTAT (CSV separato da punto e virgola,
codifica Latin-1, https://www.istat.it/it/archivio/6789) e aggiorna regioni, province e comuni in
un'unica transazione: o tutto o niente. I comuni non più presenti (fusioni) restano per i casi storici.

Reads ISTAT's "Elenco comuni italiani" CSV and upserts regions, provinces and comuni in one
transaction. Comuni no longer listed (mergers) are retired, kept for past cases.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf(a.t("non riesco ad aprire %s: %w", "cannot open %s: %w"), args[0], err)
			}
			defer f.Close()
			ds, err := geo.ParseISTAT(f)
			if err != nil {
				return fmt.Errorf(a.t("%s non importato, nessuna modifica: %w", "%s not imported, nothing changed: %w"), args[0], err)
			}
			db, err := a.openStore()
			if err != nil {
				return err
			}
			defer db.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
			defer cancel()
			if _, err := db.Migrate(ctx); err != nil {
				return err
			}
			res, err := db.ImportGeo(ctx, ds, a.actor())
			if err != nil {
				return fmt.Errorf(a.t("importazione annullata, nessuna modifica: %w", "import rolled back, nothing changed: %w"), err)
			}
			fmt.Fprintf(a.stdout, a.t("Importati %d comuni, %d province, %d regioni; %d comuni non più in elenco (conservati per lo storico)\n",
				"Imported %d comuni, %d provinces, %d regions; %d comuni no longer listed (kept for history)\n"),
				res.Comuni, res.Province, res.Regioni, res.Retired)
			return nil
		},
	})
	c.AddCommand(a.geoBoundariesCmd())
	return c
}
