package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ascolto/ascolto/acdconf"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
)

func (a *app) agentImportCmd(wait *time.Duration) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE",
		Short: "Crea o aggiorna molte postazioni da un file CSV / create or update many seats from a CSV file",
		Long: `Legge un file CSV con una riga di intestazione e una postazione per riga:

  interno,telefono,nome,code,sede,tipo,utente
  2001,PJSIP/2001,Anna Rossi,"soccorso,informazioni",aq,sip,
  2002,PJSIP/2002,Marco Bianchi,soccorso;segnalazioni,,webrtc,mbianchi

Sono obbligatori interno e telefono (per una postazione nuova); le altre colonne possono mancare
o restare vuote: una cella vuota lascia il dato com'è (sede aq e tipo sip per le nuove). "code"
indica esattamente le code dell'operatore, separate da virgole o punti e virgola; "-" lo toglie
da tutte. Prima controlla tutto il file e, se una riga è sbagliata, elenca ogni errore con il
suo numero di riga e non cambia nulla. Poi chiede una sola volta al servizio in esecuzione di
rileggere la configurazione. Intestazioni anche in inglese: extension, endpoint, name, queues,
site, phone, user; "-" come FILE legge lo standard input.

Reads a CSV file (header, one seat per line), checks every line first and changes nothing if
any is wrong (each error with its line), then stores all seats and asks the running service to
reload once.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = os.Stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf(a.t("file da importare: %w", "file to import: %w"), err)
				}
				defer f.Close()
				in = f
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				rows, problems, err := acdconf.ReadSeats(ctx, a.words(), db, in)
				if err != nil {
					return err
				}
				if len(problems) > 0 {
					return fmt.Errorf(a.t("%d errori, nessuna postazione cambiata:\n  %s", "%d errors, no seat changed:\n  %s"),
						len(problems), strings.Join(problems, "\n  "))
				}
				if len(rows) == 0 {
					return errors.New(a.t("il file non ha postazioni (solo l'intestazione?)", "the file has no seats (only the header?)"))
				}
				created, updated, err := acdconf.ImportSeats(ctx, a.words(), db, rows, a.actor())
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, a.t("Importate %d postazioni: %d nuove, %d aggiornate.\n", "Imported %d seats: %d new, %d updated.\n"),
					len(rows), created, updated)
				return a.reloadService(ctx, db, *wait)
			})
		},
	}
}
