package report

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/go-pdf/fpdf"
)

// Sitrep is what the one-page situation report of an event says.
type Sitrep struct {
	Event       store.EmergencyEvent
	From, To    time.Time
	GeneratedAt time.Time
	Total       int64
	Last24h     int64
	Prev24h     int64
	Days        []Point // requests per Italian day (per hour for events shorter than two days)
	Hourly      bool
	Categories  []Named
	Province    []Named
	Comuni      []Named
	Channels    []Named
	// The operations room: rescue requests and situation reports of the event.
	Area                                []string // names of the event's regioni and province
	Forwarded, Rescue, OpenNow, Unacked int
	MedianAck                           time.Duration // 0 when none was acknowledged
}

// SitrepData gathers the situation report of an event.
func (s *Service) SitrepData(ctx context.Context, eventID int64) (Sitrep, error) {
	base, err := s.Check(ctx, Query{EventID: eventID})
	if err != nil {
		return Sitrep{}, err
	}
	r := Sitrep{Event: *base.Event, From: base.Event.StartedAt, To: base.To, GeneratedAt: s.clock.Now()}
	n, err := s.namesOf(ctx)
	if err != nil {
		return r, err
	}
	for _, code := range r.Event.Area {
		field := FieldRegione
		if len(code) == 3 {
			field = FieldProvincia
		}
		r.Area = append(r.Area, n.label(field, code, "it"))
	}
	ask := func(q Query) (Result, error) {
		q.EventID = eventID
		if q.From.IsZero() {
			q.From, q.To = r.From, r.To
		}
		return s.Ask(ctx, q, "it")
	}
	r.Hourly = r.To.Sub(r.From) < 48*time.Hour
	bucket := BucketDay
	if r.Hourly {
		bucket = BucketHour
	}
	series, err := ask(Query{Bucket: bucket})
	if err != nil {
		return r, err
	}
	r.Total = series.Total
	for _, row := range series.Rows {
		r.Days = append(r.Days, Point{At: row.Bucket, N: row.N})
	}
	end := r.To.Truncate(time.Hour)
	if end.Equal(r.To) {
		end = end.Add(-time.Hour)
	}
	end = end.Add(time.Hour)
	last, err := ask(Query{From: maxTime(end.Add(-24*time.Hour), r.From.Truncate(time.Hour)), To: end, Trend: true})
	if err != nil {
		return r, err
	}
	r.Last24h, r.Prev24h = last.Total, last.PrevTotal
	for _, part := range []struct {
		field string
		to    *[]Named
		top   int
	}{{FieldCategory, &r.Categories, 10}, {FieldProvincia, &r.Province, 10}, {FieldComune, &r.Comuni, 10}, {FieldChannel, &r.Channels, 4}} {
		res, err := ask(Query{By: []string{part.field}})
		if err != nil {
			return r, err
		}
		for _, t := range res.Totals {
			if len(*part.to) == part.top {
				break
			}
			*part.to = append(*part.to, Named{Code: t.Keys[0], Label: res.Labels[part.field][t.Keys[0]], N: t.N})
		}
	}
	items, err := s.db.OpsItems(ctx, store.OpsFilter{EventID: eventID, Limit: 5000})
	if err != nil {
		return r, err
	}
	var acks []time.Duration
	for _, it := range items {
		r.Forwarded++
		if it.Kind == store.OpsRescue {
			r.Rescue++
		}
		if it.State != store.OpsClosed {
			r.OpenNow++
		}
		if it.State == store.OpsNew {
			r.Unacked++
		}
		if !it.AckedAt.IsZero() {
			acks = append(acks, it.AckedAt.Sub(it.CreatedAt))
		}
	}
	if len(acks) > 0 {
		sort.Slice(acks, func(i, j int) bool { return acks[i] < acks[j] })
		r.MedianAck = acks[len(acks)/2]
	}
	return r, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// WriteSitrep writes the situation report of an event as a one-page A4
// PDF for the Department.
func (s *Service) WriteSitrep(ctx context.Context, w io.Writer, eventID int64) error {
	r, err := s.SitrepData(ctx, eventID)
	if err != nil {
		return err
	}
	return RenderSitrep(w, r)
}

// RenderSitrep draws a Sitrep on one A4 page.
func RenderSitrep(w io.Writer, r Sitrep) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(14, 12, 14)
	pdf.SetAutoPageBreak(false, 10)
	pdf.SetCreationDate(r.GeneratedAt)
	pdf.SetModificationDate(r.GeneratedAt)
	pdf.SetTitle("Rapporto di situazione - "+r.Event.Name, true)
	pdf.SetCreator("ascolto", true)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AddPage()
	const left, width = 14.0, 182.0

	// Heading.
	pdf.SetFillColor(0, 102, 204)
	pdf.Rect(0, 0, 210, 22, "F")
	pdf.SetTextColor(255, 255, 255)
	pdf.SetFont("Helvetica", "B", 9)
	pdf.SetXY(left, 4)
	pdf.CellFormat(width, 5, tr("Presidenza del Consiglio dei Ministri - Dipartimento della Protezione Civile"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "B", 14)
	pdf.SetX(left)
	title := "Rapporto di situazione - Contact Center 800 840 840"
	if r.Event.Exercise {
		title += " (ESERCITAZIONE)"
	}
	pdf.CellFormat(width, 8, tr(title), "", 1, "L", false, 0, "")
	pdf.SetTextColor(20, 20, 20)
	pdf.SetXY(left, 26)
	pdf.SetFont("Helvetica", "B", 13)
	pdf.MultiCell(width, 6, tr(r.Event.Name), "", "L", false)
	pdf.SetFont("Helvetica", "", 9)
	area := "tutto il territorio nazionale"
	if len(r.Area) > 0 {
		area = "area: " + strings.Join(r.Area, ", ")
	}
	pdf.SetX(left)
	pdf.CellFormat(width, 5, tr(fmt.Sprintf("%s - %s - aggiornato al %s", period(r.Event.StartedAt, r.Event.EndedAt),
		area, r.GeneratedAt.In(rome).Format("02/01/2006 15:04"))), "", 1, "L", false, 0, "")

	// Key figures.
	y := pdf.GetY() + 3
	boxes := []struct{ label, value, note string }{
		{"Richieste ricevute", thousands(r.Total), "dall'inizio dell'evento"},
		{"Ultime 24 ore", thousands(r.Last24h), trendText(r.Last24h, r.Prev24h)},
		{"Inoltrate alla Sala Operativa", thousands(int64(r.Forwarded)), fmt.Sprintf("di cui %d richieste di soccorso", r.Rescue)},
		{"Aperte in Sala Operativa", thousands(int64(r.OpenNow)), ackText(r.Unacked, r.MedianAck)},
	}
	bw := (width - 3*3) / 4
	for i, b := range boxes {
		x := left + float64(i)*(bw+3)
		pdf.SetFillColor(238, 243, 250)
		pdf.Rect(x, y, bw, 22, "F")
		pdf.SetXY(x+2, y+1.5)
		pdf.SetFont("Helvetica", "", 7.5)
		pdf.CellFormat(bw-4, 4, tr(b.label), "", 2, "L", false, 0, "")
		pdf.SetFont("Helvetica", "B", 16)
		pdf.CellFormat(bw-4, 8, tr(b.value), "", 2, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 7)
		pdf.SetX(x + 2)
		pdf.MultiCell(bw-4, 3.2, tr(b.note), "", "L", false) // two lines at most: the box is narrow
	}

	// Requests over time.
	y += 27
	pdf.SetXY(left, y)
	pdf.SetFont("Helvetica", "B", 10)
	what := "Richieste per giorno"
	if r.Hourly {
		what = "Richieste per ora"
	}
	pdf.CellFormat(width, 5, tr(what), "", 1, "L", false, 0, "")
	chartY, chartH := y+7, 38.0
	drawBars(pdf, tr, r.Days, r.Hourly, left, chartY, width, chartH)

	// Categories and provinces side by side.
	y = chartY + chartH + 9
	half := (width - 6) / 2
	table(pdf, tr, "Tipologie di richiesta", r.Categories, r.Total, left, y, half)
	table(pdf, tr, "Provenienza per provincia", r.Province, r.Total, left+half+6, y, half)
	y += 8 + 5.2*10 + 6
	table(pdf, tr, "Comuni con più richieste", r.Comuni, r.Total, left, y, half)
	table(pdf, tr, "Canali", r.Channels, r.Total, left+half+6, y, half)

	// Footer.
	pdf.SetXY(left, 283)
	pdf.SetFont("Helvetica", "", 6.5)
	pdf.SetTextColor(90, 90, 90)
	pdf.MultiCell(width, 3.2, tr("Fonte: ascolto, contact center di protezione civile. Provenienza per codice ISTAT del comune indicato "+
		"dal cittadino o confermato dall'operatore (elenco comuni © ISTAT, CC BY). Le richieste di un evento sono quelle "+
		"ricevute mentre era aperto, nella sua area o, se fuori area, in assenza di altri eventi."), "", "L", false)
	if pdf.Err() {
		return fmt.Errorf("report: draw sitrep: %w", pdf.Error())
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("report: write sitrep: %w", err)
	}
	return nil
}

// period says when an event ran, in Italian: "Dal 16/05/2026 08:00 al
// 18/05/2026 20:00", or "Dal 16/05/2026 08:00, in corso" while it is open.
func period(start, end time.Time) string {
	const layout = "02/01/2006 15:04"
	if end.IsZero() {
		return "Dal " + start.In(rome).Format(layout) + ", in corso"
	}
	return "Dal " + start.In(rome).Format(layout) + " al " + end.In(rome).Format(layout)
}

// percent writes a share as Italian does, with a decimal comma: "37,2%".
func percent(part, total int64) string {
	return strings.Replace(fmt.Sprintf("%.1f%%", 100*float64(part)/float64(total)), ".", ",", 1)
}

// durationIT writes a duration in Italian words: "45 s", "3 min 05 s", "2 h 10 min".
func durationIT(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	h, m, sec := s/3600, s%3600/60, s%60
	switch {
	case h > 0:
		return fmt.Sprintf("%d h %02d min", h, m)
	case m > 0:
		return fmt.Sprintf("%d min %02d s", m, sec)
	}
	return fmt.Sprintf("%d s", sec)
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func trendText(now, prev int64) string {
	if prev == 0 {
		return "nessuna nelle 24 ore precedenti"
	}
	pct := 100 * float64(now-prev) / float64(prev)
	return fmt.Sprintf("%+.0f%% sulle 24 ore precedenti", pct)
}

func ackText(unacked int, median time.Duration) string {
	s := fmt.Sprintf("%d non prese in carico", unacked)
	if median > 0 {
		s += "; mediana della presa in carico " + durationIT(median)
	}
	return s
}

func drawBars(pdf *fpdf.Fpdf, tr func(string) string, pts []Point, hourly bool, x, y, w, h float64) {
	pdf.SetDrawColor(180, 180, 180)
	pdf.SetLineWidth(0.2)
	pdf.Line(x, y+h, x+w, y+h)
	if len(pts) == 0 {
		pdf.SetXY(x, y+h/2-3)
		pdf.SetFont("Helvetica", "I", 9)
		pdf.CellFormat(w, 6, tr("Nessuna richiesta nel periodo"), "", 0, "C", false, 0, "")
		return
	}
	var top int64
	for _, p := range pts {
		top = max(top, p.N)
	}
	n := len(pts)
	bar := w / float64(n)
	pdf.SetFillColor(0, 102, 204)
	pdf.SetFont("Helvetica", "", 6)
	every := int(math.Ceil(float64(n) / 16))
	for i, p := range pts {
		bh := h * float64(p.N) / float64(max(top, 1))
		pdf.Rect(x+float64(i)*bar+bar*0.1, y+h-bh, bar*0.8, bh, "F")
		if i%every == 0 {
			label := p.At.In(rome).Format("02/01")
			if hourly {
				label = p.At.In(rome).Format("15:04")
			}
			pdf.SetXY(x+float64(i)*bar-4, y+h+0.5)
			pdf.CellFormat(bar+8, 3, label, "", 0, "C", false, 0, "")
		}
	}
	pdf.SetXY(x, y-3.5)
	pdf.CellFormat(w, 3, tr("massimo "+thousands(top)), "", 0, "R", false, 0, "")
}

func table(pdf *fpdf.Fpdf, tr func(string) string, title string, rows []Named, total int64, x, y, w float64) {
	pdf.SetXY(x, y)
	pdf.SetFont("Helvetica", "B", 10)
	pdf.CellFormat(w, 6, tr(title), "", 2, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 8)
	if len(rows) == 0 {
		pdf.CellFormat(w, 5, tr("nessun dato"), "", 2, "L", false, 0, "")
		return
	}
	for i, r := range rows {
		fill := i%2 == 0
		pdf.SetFillColor(245, 247, 250)
		pct := ""
		if total > 0 {
			pct = percent(r.N, total)
		}
		label := r.Label
		for pdf.GetStringWidth(tr(label)) > w-34 && len(label) > 4 {
			label = strings.TrimSpace(string([]rune(label)[:len([]rune(label))-2])) + "…"
		}
		pdf.SetX(x)
		pdf.CellFormat(w-32, 5.2, tr(label), "", 0, "L", fill, 0, "")
		pdf.CellFormat(18, 5.2, thousands(r.N), "", 0, "R", fill, 0, "")
		pdf.CellFormat(14, 5.2, pct, "", 1, "R", fill, 0, "")
	}
}
