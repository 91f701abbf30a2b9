package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
)

// importColumns are the CSV header's names, Italian or English, for each field.
var importColumns = map[string]string{
	"interno": "extension", "extension": "extension",
	"telefono": "endpoint", "endpoint": "endpoint",
	"nome": "name", "name": "name",
	"code": "queues", "queues": "queues",
	"sede": "site", "site": "site",
	"tipo": "phone", "phone": "phone",
	"utente": "user", "user": "user",
}

// seatRow is one line of an import, checked.
type seatRow struct {
	line   int
	seat   store.Agent
	queues []string // nil: leave the memberships as they are
	isNew  bool
}

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
				rows, problems, err := a.readSeats(ctx, db, in)
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
				created, updated := 0, 0
				for i, r := range rows {
					if err := db.SaveAgent(ctx, &r.seat, a.actor()); err != nil {
						return fmt.Errorf(a.t("riga %d (%s): %w; le %d righe precedenti sono state salvate", "line %d (%s): %w; the %d lines before it were saved"),
							r.line, r.seat.Extension, err, i)
					}
					if r.queues != nil {
						if err := a.setAgentQueuesQuiet(ctx, db, r.seat.Extension, r.queues); err != nil {
							return fmt.Errorf(a.t("riga %d (%s): %w", "line %d (%s): %w"), r.line, r.seat.Extension, err)
						}
					}
					if r.isNew {
						created++
					} else {
						updated++
					}
				}
				fmt.Fprintf(a.stdout, a.t("Importate %d postazioni: %d nuove, %d aggiornate.\n", "Imported %d seats: %d new, %d updated.\n"),
					len(rows), created, updated)
				return a.reloadService(ctx, db, *wait)
			})
		},
	}
}

// readSeats parses and checks the whole file against the stored seats,
// queues, sites and users. A file-level error (not CSV, no header) is err;
// each bad line is one problem.
func (a *app) readSeats(ctx context.Context, db *store.DB, in io.Reader) ([]seatRow, []string, error) {
	cr := csv.NewReader(in)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf(a.t("intestazione CSV illeggibile: %w", "CSV header not readable: %w"), err)
	}
	col := map[string]int{}
	for i, h := range head {
		f, ok := importColumns[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))]
		if !ok {
			return nil, nil, fmt.Errorf(a.t("colonna %q sconosciuta: usa interno, telefono, nome, code, sede, tipo, utente",
				"unknown column %q: use extension, endpoint, name, queues, site, phone, user"), h)
		}
		col[f] = i
	}
	if _, ok := col["extension"]; !ok {
		return nil, nil, errors.New(a.t("manca la colonna interno", "the extension column is missing"))
	}
	existing, err := db.Agents(ctx)
	if err != nil {
		return nil, nil, err
	}
	qs, err := db.Queues(ctx)
	if err != nil {
		return nil, nil, err
	}
	queueKnown := map[string]bool{}
	for _, q := range qs {
		queueKnown[q.Name] = true
	}
	siteKnown := map[string]bool{}
	userKnown := map[string]bool{}
	userSeat := map[string]string{}
	for _, s := range existing {
		if s.Username != "" {
			userSeat[s.Username] = s.Extension
		}
	}
	seen := map[string]int{}
	var rows []seatRow
	var problems []string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			problems = append(problems, fmt.Sprintf(a.t("riga %d: %v", "line %d: %v"), line, err))
			continue
		}
		get := func(f string) (string, bool) {
			i, ok := col[f]
			if !ok || i >= len(rec) {
				return "", false
			}
			v := strings.TrimSpace(rec[i])
			return v, v != ""
		}
		bad := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf(a.t("riga %d: ", "line %d: "), line)+fmt.Sprintf(format, args...))
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		ext, _ := get("extension")
		if !extensionRE.MatchString(ext) {
			bad(a.t("interno %q non valido", "extension %q is not valid"), ext)
			continue
		}
		if prev, dup := seen[ext]; dup {
			bad(a.t("l'interno %s è già alla riga %d", "extension %s is already on line %d"), ext, prev)
			continue
		}
		seen[ext] = line
		r := seatRow{line: line}
		if i := slices.IndexFunc(existing, func(x store.Agent) bool { return x.Extension == ext }); i >= 0 {
			r.seat = existing[i]
		} else {
			r.seat, r.isNew = store.Agent{Extension: ext, Site: "aq", PhoneKind: "sip"}, true
		}
		if ep, ok := get("endpoint"); ok {
			tech, res, cut := strings.Cut(ep, "/")
			if !cut || tech == "" || res == "" || strings.ContainsAny(ep, " \t") {
				bad(a.t("telefono %q non valido: usa TECNOLOGIA/RISORSA, es. PJSIP/%s", "endpoint %q is not valid: use TECH/RESOURCE, e.g. PJSIP/%s"), ep, ext)
				continue
			}
			r.seat.Endpoint = ep
		} else if r.isNew {
			bad(a.t("il telefono è obbligatorio per una postazione nuova (es. PJSIP/%s)", "the endpoint is required for a new seat (e.g. PJSIP/%s)"), ext)
			continue
		}
		if v, ok := get("name"); ok {
			r.seat.Name = v
		}
		if v, ok := get("site"); ok {
			r.seat.Site = v
		}
		if !siteKnown[r.seat.Site] {
			if _, err := db.SiteByCode(ctx, r.seat.Site); errors.Is(err, store.ErrNotFound) {
				bad(a.t("la sede %q non esiste", "site %q does not exist"), r.seat.Site)
				continue
			} else if err != nil {
				return nil, nil, err
			}
			siteKnown[r.seat.Site] = true
		}
		if v, ok := get("phone"); ok {
			if v != "sip" && v != "webrtc" {
				bad(a.t("tipo %q non valido: sip o webrtc", "phone %q is not valid: sip or webrtc"), v)
				continue
			}
			r.seat.PhoneKind = v
		}
		if v, ok := get("user"); ok {
			if !userKnown[v] {
				if _, err := db.UserByName(ctx, v); errors.Is(err, store.ErrNotFound) {
					bad(a.t("l'utente %q non esiste", "user %q does not exist"), v)
					continue
				} else if err != nil {
					return nil, nil, err
				}
				userKnown[v] = true
			}
			if other, taken := userSeat[v]; taken && other != ext {
				bad(a.t("l'utente %s ha già la postazione %s", "user %s already has seat %s"), v, other)
				continue
			}
			userSeat[v] = ext
			r.seat.Username = v
		}
		if v, ok := get("queues"); ok {
			r.queues = []string{}
			if v != "-" {
				for _, q := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ';' }) {
					q = strings.TrimSpace(q)
					if !queueKnown[q] {
						bad(a.t("la coda %q non esiste", "queue %q does not exist"), q)
						r.queues = nil
						break
					}
					if !slices.Contains(r.queues, q) {
						r.queues = append(r.queues, q)
					}
				}
				if r.queues == nil {
					continue
				}
			}
		}
		rows = append(rows, r)
	}
	return rows, problems, nil
}

// setAgentQueuesQuiet is setAgentQueues without a line per change: an
// import reports its totals instead.
func (a *app) setAgentQueuesQuiet(ctx context.Context, db *store.DB, ext string, names []string) error {
	out := a.stdout
	a.stdout = io.Discard
	defer func() { a.stdout = out }()
	return a.setAgentQueues(ctx, db, ext, names)
}
