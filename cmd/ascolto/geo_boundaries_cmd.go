package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
)

// geoBoundariesCmd is `ascolto geo import-boundaries FILE.geojson`; geoCmd
// adds it with c.AddCommand(a.geoBoundariesCmd()).
func (a *app) geoBoundariesCmd() *cobra.Command {
	var tolerance float64
	c := &cobra.Command{
		Use:   "import-boundaries FILE.geojson",
		Short: "Importa i confini di regioni, province o comuni (GeoJSON ISTAT/openpolis) per le mappe / import boundaries for maps",
		Long: `Legge un GeoJSON di confini amministrativi (i file ISTAT convertiti, o quelli di openpolis/
geojson-italy: limits_IT_regions.geojson, limits_IT_provinces.geojson …), riconosce il livello dai
codici ISTAT delle proprietà, semplifica le forme per il browser e sostituisce i confini di quel
livello in un'unica transazione. Regioni e province sono già incluse (semplificate): importarle
serve per forme più dettagliate o più recenti; i confini dei comuni mettono sulla mappa le
richieste senza coordinate al centro del loro comune invece che della provincia.
Dati: © ISTAT, CC BY (citare la fonte dove la mappa è mostrata).

Reads a GeoJSON of administrative boundaries (ISTAT's files converted, or openpolis'
geojson-italy), finds the level from the ISTAT codes in the properties, simplifies the shapes for
the browser and replaces that level's boundaries in one transaction. Regions and provinces are
bundled (simplified): import them for more detail or newer limits; comuni boundaries place the
requests without coordinates at their comune's centre instead of their province's.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return fmt.Errorf(a.t("non riesco ad aprire %s: %w", "cannot open %s: %w"), args[0], err)
			}
			defer f.Close()
			bs, err := geo.ParseBoundaries(f, geo.BoundaryOptions{Tolerance: tolerance})
			if err != nil {
				return fmt.Errorf(a.t("%s non importato, nessuna modifica: %w", "%s not imported, nothing changed: %w"), args[0], err)
			}
			return a.withGeoStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				sb := make([]store.Boundary, len(bs))
				points := 0
				for i, b := range bs {
					sb[i] = store.Boundary{Level: b.Level, Code: b.Code, Name: b.Name, Geometry: b.Geometry}
					points += b.Points
				}
				res, err := db.SaveBoundaries(ctx, bs[0].Level, sb, a.actor())
				if err != nil {
					if errors.Is(err, store.ErrInvalid) {
						return fmt.Errorf(a.t("%s non importato, nessuna modifica: %w", "%s not imported, nothing changed: %w"), args[0], a.storeProblem(err))
					}
					return err
				}
				fmt.Fprintf(a.stdout, a.t("Importati i confini di %d %s (%d punti dopo la semplificazione)\n",
					"Imported the boundaries of %d %s (%d points after simplification)\n"), res.Saved, levelName(a, bs[0].Level, res.Saved), points)
				if len(res.Renamed) > 0 {
					fmt.Fprintf(a.stdout, a.t("%d codici provincia del file ricondotti a quelli dell'elenco ISTAT caricato (es. città metropolitane 0xx → 2xx)\n",
						"%d provincia codes of the file matched to the loaded ISTAT list's (e.g. metropolitan cities 0xx → 2xx)\n"), len(res.Renamed))
				}
				return nil
			})
		},
	}
	c.Flags().Float64Var(&tolerance, "tolerance", 0, "semplificazione in gradi (predefinito 0.003, circa 300 m) / simplification in degrees")
	return c
}

func levelName(a *app, level string, n int) string {
	switch level {
	case geo.LevelRegione:
		return a.t("regioni", "regions")
	case geo.LevelProvincia:
		return a.t("province", "provinces")
	}
	return a.t("comuni", "comuni")
}
