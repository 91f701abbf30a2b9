package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

func (a *app) migrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Aggiorna lo schema del database / bring the database schema up to date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openStore()
			if err != nil {
				return err
			}
			defer db.Close()
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
			defer cancel()
			if err := db.Ping(ctx); err != nil {
				return err
			}
			res, err := db.Migrate(ctx)
			if err != nil {
				return err
			}
			if len(res.Applied) == 0 {
				fmt.Fprintf(a.stdout, a.t("Schema già aggiornato (versione %d) su %s\n", "Schema already up to date (version %d) on %s\n"), res.To, db)
			} else {
				fmt.Fprintf(a.stdout, a.t("Schema aggiornato dalla versione %d alla %d su %s: %v\n", "Schema migrated from version %d to %d on %s: %v\n"),
					res.From, res.To, db, res.Applied)
			}
			n, err := a.bootstrap(ctx, db)
			if err != nil {
				return err
			}
			if n > 0 {
				fmt.Fprintf(a.stdout, a.t("Caricati %d comuni dall'elenco ISTAT incluso (dati ISTAT, CC BY)\n",
					"Loaded %d comuni from the bundled ISTAT list (ISTAT data, CC BY)\n"), n)
			}
			return nil
		},
	}
}

// bootstrap loads what a fresh installation needs to work out of the box
// (the bundled ISTAT comuni), once even with several instances starting
// together; it returns how many comuni it loaded.
func (a *app) bootstrap(ctx context.Context, db *store.DB) (int, error) {
	if n, err := db.CountComuni(ctx); err != nil || n > 0 {
		return 0, err // the common case: already loaded, skip parsing the snapshot
	}
	ds, err := geo.Snapshot()
	if err != nil {
		return 0, err
	}
	res, loaded, err := db.SeedGeo(ctx, ds)
	if err != nil || !loaded {
		return 0, err
	}
	a.log.Info("bundled ISTAT comuni loaded", zap.Int("comuni", res.Comuni))
	return res.Comuni, nil
}
