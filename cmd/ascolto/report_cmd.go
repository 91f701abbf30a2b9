package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ascolto/ascolto/report"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

// reportCmd answers questions about the requests from the command line:
// the same checks and tables as the dashboard, written as a table, CSV,
// JSON or GeoJSON; plus the exports, the PDF sitrep and a rebuild of the
// counts.
func (a *app) reportCmd() *cobra.Command {
	var f reportFlags
	c := &cobra.Command{
		Use:   "report [--event ID|NOME] [--from …] [--to …] [--by category,provincia] [--bucket 15m|hour|day] [--format table|csv|json|geojson]",
		Short: "Rapporti sulle richieste: tipologie, esiti, canali, provenienza / reports on the requests",
		Long: `Conta le richieste per tipologia (category), esito (outcome), canale (channel), tipo di
chiamante (caller_type), urgenza (urgency) e provenienza (comune, provincia, regione per codice
ISTAT), per intervalli di 15 minuti, ore o giorni, filtrate per periodo, evento, sede e modalità,
con il confronto col periodo precedente (--trend). Esempio:
  ascolto report --event 3 --by category,provincia --bucket hour --format csv > alluvione.csv
Filtri: --where category=idraulico,frana --where regione=08

Counts the requests by category, outcome, channel, caller type, urgency and provenance (comune,
provincia, regione by ISTAT code), in 15-minute, hourly or daily buckets, filtered by period,
event, site and mode, with the previous period (--trend). Dates are Italian time; a bare date as
--to includes that day.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withGeoStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				svc, p, err := a.question(ctx, db, f)
				if err != nil {
					return err
				}
				res, err := svc.Run(ctx, p, a.cfg.Lang)
				if err != nil {
					return a.reportError(err)
				}
				if p.Widened {
					a.log.Info("period widened to whole buckets")
				}
				switch f.format {
				case "table", "":
					return a.reportTable(res)
				case report.FormatCSV:
					return report.WriteCSV(a.stdout, res)
				case report.FormatJSON:
					return report.WriteJSON(a.stdout, res)
				case report.FormatGeoJSON:
					return a.reportError(svc.WriteGeoJSON(ctx, a.stdout, p, res))
				}
				return fmt.Errorf(a.t("--format %q non previsto: table, csv, json o geojson", "--format %q is not one of table, csv, json, geojson"), f.format)
			})
		},
	}
	f.bind(c, true)

	var ef reportFlags
	var kind, out string
	export := &cobra.Command{
		Use:   "export --format csv|geojson [--kind points|comuni] [--event …] [--out FILE]",
		Short: "Esporta le richieste una per riga (CSV) o come punti o aggregati per comune (GeoJSON) / export requests",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withGeoStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				svc, p, err := a.question(ctx, db, ef)
				if err != nil {
					return err
				}
				w, done, err := a.output(out)
				if err != nil {
					return err
				}
				defer done()
				if ef.format == report.FormatGeoJSON && kind == "comuni" {
					return a.reportError(svc.ExportComuni(ctx, w, p))
				}
				n, err := svc.ExportRequests(ctx, w, p, ef.format, nil)
				if err != nil {
					return a.reportError(err)
				}
				fmt.Fprintf(a.stderr, a.t("%d richieste esportate\n", "%d requests exported\n"), n)
				return nil
			})
		},
	}
	ef.bind(export, false)
	export.Flags().StringVar(&kind, "kind", "points", "GeoJSON: points (richieste geolocalizzate) o comuni (aggregati) / points or comuni")
	export.Flags().StringVar(&out, "out", "", "file di uscita (predefinito: standard output) / output file")

	var sitrepEvent, sitrepOut string
	sitrep := &cobra.Command{
		Use:   "sitrep --event ID|NOME --out FILE.pdf",
		Short: "Rapporto di situazione di un evento, una pagina PDF / one-page PDF situation report of an event",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sitrepOut == "" {
				return errors.New(a.t("indica il file con --out (es. --out sitrep.pdf)", "say where with --out (e.g. --out sitrep.pdf)"))
			}
			return a.withGeoStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				svc := a.reports(db)
				id, err := a.eventID(ctx, db, sitrepEvent)
				if err != nil {
					return err
				}
				if id == 0 {
					return errors.New(a.t("indica l'evento con --event (vedi `ascolto event list`)", "say which event with --event (see `ascolto event list`)"))
				}
				if err := a.catchUp(ctx, svc); err != nil {
					return err
				}
				w, done, err := a.output(sitrepOut)
				if err != nil {
					return err
				}
				defer done()
				if err := svc.WriteSitrep(ctx, w, id); err != nil {
					return a.reportError(err)
				}
				fmt.Fprintf(a.stdout, a.t("Rapporto di situazione scritto in %s\n", "Situation report written to %s\n"), sitrepOut)
				return nil
			})
		},
	}
	sitrep.Flags().StringVar(&sitrepEvent, "event", "", "evento: numero o nome / event: number or name")
	sitrep.Flags().StringVar(&sitrepOut, "out", "", "file PDF / PDF file")

	rebuild := &cobra.Command{
		Use:   "rebuild",
		Short: "Ricalcola da capo i conteggi dei rapporti / count every request again from scratch",
		Long: `Cancella i conteggi dei rapporti e li ricalcola da tutte le pratiche (dopo aver cambiato
l'inizio o l'area di un evento, per esempio). Il servizio può restare acceso.

Forgets the report counts and counts every case again (after changing an event's start or area,
for instance). The service may keep running.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withGeoStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				if err := db.ResetReports(ctx, a.actor()); err != nil {
					return err
				}
				n, err := a.reports(db).CatchUp(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, a.t("Conteggi ricalcolati: %d pratiche\n", "Counts rebuilt: %d cases\n"), n)
				return nil
			})
		},
	}
	c.AddCommand(export, sitrep, rebuild)
	return c
}

// reportFlags are the question's flags, shared by report and export.
type reportFlags struct {
	event, from, to, by, bucket, format, site, mode string
	where                                           []string
	trend                                           bool
}

func (f *reportFlags) bind(c *cobra.Command, grouped bool) {
	fl := c.Flags()
	fl.StringVar(&f.event, "event", "", "evento: numero o nome (vedi `ascolto event list`) / event: number or name")
	fl.StringVar(&f.from, "from", "", "dal (ora italiana): 2026-05-16 o 2026-05-16T18:00 / from, Italian time")
	fl.StringVar(&f.to, "to", "", "al (ora italiana; una data sola include il giorno) / to, Italian time")
	fl.StringVar(&f.site, "site", "", "sede (codice) / site code")
	fl.StringVar(&f.mode, "mode", "", "modalità: ordinary, emergency, closed / operating mode")
	fl.StringArrayVar(&f.where, "where", nil, "filtro CAMPO=VALORI, ripetibile (es. category=idraulico,frana) / filter FIELD=VALUES")
	if grouped {
		fl.StringVar(&f.by, "by", "", "campi: category, outcome, channel, caller_type, urgency, comune, provincia, regione / fields")
		fl.StringVar(&f.bucket, "bucket", "", "intervalli: 15m, hour, day (predefinito: nessuno) / buckets")
		fl.StringVar(&f.format, "format", "table", "table, csv, json, geojson")
		fl.BoolVar(&f.trend, "trend", false, "confronta con il periodo precedente / compare with the previous period")
	} else {
		fl.StringVar(&f.format, "format", "csv", "csv o geojson / csv or geojson")
	}
}

// reports is the report service on db, as `serve` builds it.
func (a *app) reports(db *store.DB) *report.Service {
	return report.New(report.Options{Store: db, Clock: a.clock, Log: a.log.Named("report")})
}

// question reads the flags' question, brings the counts up to date and
// checks it: what `report` and `report export` both do first.
func (a *app) question(ctx context.Context, db *store.DB, f reportFlags) (*report.Service, report.Plan, error) {
	svc := a.reports(db)
	q, err := a.reportQuery(ctx, db, f)
	if err != nil {
		return nil, report.Plan{}, err
	}
	if err := a.catchUp(ctx, svc); err != nil {
		return nil, report.Plan{}, err
	}
	p, err := svc.Check(ctx, q)
	if err != nil {
		return nil, report.Plan{}, a.reportError(err)
	}
	return svc, p, nil
}

// reportQuery builds the question from the flags through the same parser
// the dashboard and the exports use.
func (a *app) reportQuery(ctx context.Context, db *store.DB, f reportFlags) (report.Query, error) {
	v := url.Values{}
	set := func(k, x string) {
		if x != "" {
			v.Set(k, x)
		}
	}
	id, err := a.eventID(ctx, db, f.event)
	if err != nil {
		return report.Query{}, err
	}
	if id != 0 {
		set("event", strconv.FormatInt(id, 10))
	}
	set("from", f.from)
	set("to", f.to)
	set("by", f.by)
	set("bucket", f.bucket)
	set("site", f.site)
	set("mode", f.mode)
	if f.trend {
		set("trend", "1")
	}
	for _, w := range f.where {
		k, x, ok := strings.Cut(w, "=")
		if !ok || k == "" || x == "" {
			return report.Query{}, fmt.Errorf(a.t("--where %q: usa CAMPO=VALORI (es. category=idraulico)", "--where %q: use FIELD=VALUES (e.g. category=idraulico)"), w)
		}
		if k == "by" || k == "bucket" || k == "format" || k == "event" {
			return report.Query{}, fmt.Errorf(a.t("--where %q: %s non è un campo da filtrare", "--where %q: %s is not a field to filter"), w, k)
		}
		v.Add(k, x)
	}
	q, err := report.ParseQuery(v)
	if err != nil {
		return q, a.reportError(err)
	}
	return q, nil
}

// eventID resolves --event: a number, or a name (exact, or the only one
// containing the text).
func (a *app) eventID(ctx context.Context, db *store.DB, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if id, err := strconv.ParseInt(s, 10, 64); err == nil {
		if _, err := db.EventByID(ctx, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return 0, fmt.Errorf(a.t("l'evento %d non esiste (vedi `ascolto event list`)", "event %d does not exist (see `ascolto event list`)"), id)
			}
			return 0, err
		}
		return id, nil
	}
	events, err := db.Events(ctx, false)
	if err != nil {
		return 0, err
	}
	var found []int64
	for _, e := range events {
		if strings.EqualFold(e.Name, s) {
			return e.ID, nil
		}
		if strings.Contains(strings.ToLower(e.Name), strings.ToLower(s)) {
			found = append(found, e.ID)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return 0, fmt.Errorf(a.t("nessun evento si chiama %q (vedi `ascolto event list`)", "no event is called %q (see `ascolto event list`)"), s)
	}
	return 0, fmt.Errorf(a.t("%q indica %d eventi: usa il numero (vedi `ascolto event list`)", "%q names %d events: use the number (see `ascolto event list`)"), s, len(found))
}

// catchUp brings the counts up to date: with no service running, nobody
// else does.
func (a *app) catchUp(ctx context.Context, svc *report.Service) error {
	n, err := svc.CatchUp(ctx)
	if n > 0 {
		a.log.Info("report counts brought up to date", zap.Int("cases", n))
	}
	return err
}

// reportError says a refused question in the configured language.
func (a *app) reportError(err error) error {
	if err == nil {
		return nil
	}
	var p *report.Problem
	if errors.As(err, &p) {
		return errors.New(p.In(a.cfg.Lang))
	}
	return err
}

// output opens --out, or standard output.
func (a *app) output(path string) (io.Writer, func(), error) {
	if path == "" || path == "-" {
		return a.stdout, func() {}, nil
	}
	f, err := createPrivate(path)
	if err != nil {
		return nil, nil, fmt.Errorf(a.t("non riesco a scrivere %s: %w", "cannot write %s: %w"), path, err)
	}
	return f, func() { f.Close() }, nil
}

// reportTable prints a report for a person.
func (a *app) reportTable(res report.Result) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	var head []string
	if res.Bucket != "" {
		head = append(head, a.t("INTERVALLO", "BUCKET"))
	}
	for _, f := range res.By {
		head = append(head, strings.ToUpper(f))
	}
	head = append(head, a.t("RICHIESTE", "REQUESTS"))
	trend := !res.PrevFrom.IsZero() && res.Bucket == ""
	if trend {
		head = append(head, a.t("PRECEDENTE", "PREVIOUS"), a.t("VARIAZIONE", "CHANGE"))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	row := func(bucket string, keys []string, n int64, extra ...string) {
		var cells []string
		if res.Bucket != "" {
			cells = append(cells, bucket)
		}
		for i, f := range res.By {
			cells = append(cells, res.Labels[f][keys[i]])
		}
		cells = append(cells, strconv.FormatInt(n, 10))
		fmt.Fprintln(tw, strings.Join(append(cells, extra...), "\t")+"\t")
	}
	if trend {
		for _, t := range res.Totals {
			change := "—"
			if t.Change != nil {
				change = fmt.Sprintf("%+.0f%%", *t.Change*100)
			}
			row("", t.Keys, t.N, strconv.FormatInt(t.Prev, 10), change)
		}
	} else {
		for _, r := range res.Rows {
			b := ""
			if !r.Bucket.IsZero() {
				b = r.Bucket.In(rome()).Format("2006-01-02 15:04")
			}
			row(b, r.Keys, r.N)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, a.t("Totale: %d richieste dal %s al %s", "Total: %d requests from %s to %s"), res.Total,
		res.From.In(rome()).Format("2006-01-02 15:04"), res.To.In(rome()).Format("2006-01-02 15:04"))
	if res.Event != "" {
		fmt.Fprintf(a.stdout, " — %s", res.Event)
	}
	fmt.Fprintln(a.stdout)
	return nil
}
