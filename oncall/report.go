package oncall

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/store"
	"github.com/go-pdf/fpdf"
)

// Report is an activation's record: the board at the end (or now) and the
// timeline from the audit log.
type Report struct {
	Board    Board
	Timeline []store.AuditEntry
	// TimeToQuorum is from the request to the quorum confirmed (0: not reached).
	TimeToQuorum time.Duration
}

// Report gathers an activation's report.
func (s *Service) Report(ctx context.Context, id int64, exercise bool) (Report, error) {
	b, err := s.Board(ctx, id, exercise)
	if err != nil {
		return Report{}, err
	}
	tl, err := s.db.ActivationTimeline(ctx, b.ID)
	if err != nil {
		return Report{}, err
	}
	r := Report{Board: b, Timeline: tl}
	if !b.QuorumAt.IsZero() {
		r.TimeToQuorum = b.QuorumAt.Sub(b.OpenedAt)
	}
	return r, nil
}

var stepNames = map[string]string{
	"activation.open": "richiesta", "activation.mode": "modalità emergenza", "activation.event": "evento",
	"activation.wave": "ondata", "activation.notify": "avviso email/SMS", "activation.call": "chiamata",
	"activation.call.end": "esito chiamata", "activation.confirm": "conferma", "activation.decline": "non disponibile",
	"activation.login": "arrivo (accesso)", "activation.quorum": "quorum raggiunto", "activation.exhausted": "elenco esaurito",
	"activation.running": "chiamata ripresa", "activation.resume": "ripresa dopo riavvio", "activation.sms": "SMS",
	"activation.close": "chiusura", "activation.event.failed": "evento non aperto",
}

// detailText writes an audit entry's details as key=value, codes as they
// are (the CSV, for programs).
func detailText(d map[string]any) string {
	var parts []string
	for _, k := range detailKeys(d) {
		parts = append(parts, fmt.Sprintf("%s=%v", k, d[k]))
	}
	return strings.Join(parts, " ")
}

// detailWords writes them for a person (the PDF): the details that say
// something, in order, with the board's words for the codes, as /activation
// and `ascolto emergency status` show them. Ids, counters and checksums are
// left to the CSV.
func detailWords(d map[string]any) string {
	var parts []string
	for _, w := range pdfDetails {
		v, ok := d[w.key]
		if s := fmt.Sprint(v); ok && s != "" {
			parts = append(parts, w.say(s))
		}
	}
	return strings.Join(parts, ", ")
}

func labelled(label string) func(string) string {
	return func(v string) string { return label + " " + v }
}

var pdfDetails = []struct {
	key string
	say func(string) string
}{
	{"event", labelled("evento:")},
	{"requested_by", labelled("richiesta da:")},
	{"reason", labelled("motivo:")},
	{"quorum", labelled("quorum:")},
	{"mode", func(v string) string { return "modalità: " + ivr.Mode(v).Label(ivr.LangItalian) }},
	{"phone", labelled("telefono")},
	{"try", labelled("tentativo")},
	{"channels", labelled("canali:")},
	{"result", func(v string) string { return "esito: " + Word(WordResult, v, "it") }},
	{"via", func(v string) string { return "con " + Word(WordVia, v, "it") }},
	{"how", func(v string) string { return "con " + Word(WordVia, v, "it") }},
	{"eta_min", func(v string) string { return "arrivo tra " + v + " min" }},
	{"was", func(v string) string { return "prima: " + Word(WordState, v, "it") }},
	{"error", labelled("errore:")},
}

// detailKeys are the keys of d in order, without the person, who is shown
// apart.
func detailKeys(d map[string]any) []string {
	keys := make([]string, 0, len(d))
	for k := range d {
		if k == "person" || k == "name" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// WriteCSV writes the timeline, one step a line, in Italian time, then the
// people with their final state.
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	kind := "emergenza"
	if r.Board.Exercise {
		kind = "ESERCITAZIONE"
	}
	cw.Write([]string{"attivazione", itoa(r.Board.ID), kind, r.Board.Event, r.Board.RequestedBy, r.Board.Reason})
	cw.Write([]string{"ora", "passo", "azione", "persona", "nome", "dettaglio", "attore"})
	for _, e := range r.Timeline {
		person, _ := e.Detail["person"].(string)
		name, _ := e.Detail["name"].(string)
		cw.Write([]string{e.At.In(rome).Format("2006-01-02 15:04:05"), stepNames[e.Action], e.Action, person, name, detailText(e.Detail), e.Actor})
	}
	cw.Write(nil)
	cw.Write([]string{"persona", "nome", "ruolo", "sede", "ondata", "stato", "minuti", "arrivo previsto", "via", "tentativi", "ultimo esito"})
	for _, p := range r.Board.People {
		eta := ""
		if p.ETA >= 0 {
			eta = fmt.Sprint(p.ETA)
		}
		exp := ""
		if !p.ExpectedAt.IsZero() {
			exp = p.ExpectedAt.In(rome).Format("15:04")
		}
		cw.Write([]string{p.Person, p.Name, p.Role, p.Site, p.Wave, p.State, eta, exp, p.Via, fmt.Sprint(p.Attempts), p.Last})
	}
	cw.Flush()
	return cw.Error()
}

// WritePDF writes the summary: the request, the figures against the
// 30-minute target, who answered and who did not, and the timeline.
func (r Report) WritePDF(w io.Writer) error {
	b := r.Board
	pdf := fpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle(tr("Attivazione "+itoa(b.ID)), false)
	pdf.SetCreator("ascolto", false)
	pdf.SetAutoPageBreak(true, 15)
	pdf.AddPage()
	title := "Attivazione del Contact Center"
	if b.Exercise {
		title = "ESERCITAZIONE — attivazione del Contact Center"
	}
	pdf.SetFont("Helvetica", "B", 16)
	pdf.MultiCell(0, 8, tr(title), "", "L", false)
	pdf.SetFont("Helvetica", "", 10)
	line := func(k, v string) {
		pdf.SetFont("Helvetica", "B", 10)
		pdf.CellFormat(55, 6, tr(k), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		pdf.MultiCell(0, 6, tr(v), "", "L", false)
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(rome).Format("02/01/2006 15:04:05")
	}
	line("Attivazione n.", itoa(b.ID))
	line("Evento", b.Event)
	line("Richiesta da", b.RequestedBy)
	line("Motivo", b.Reason)
	line("Aperta", when(b.OpenedAt))
	line("Obiettivo (30 minuti)", when(b.Deadline))
	line("Chiusa", when(b.ClosedAt))
	ttq := "non raggiunto"
	if r.TimeToQuorum > 0 {
		ttq = fmt.Sprintf("%s (%d min %02d s)", when(b.QuorumAt), int(r.TimeToQuorum.Minutes()), int(r.TimeToQuorum.Seconds())%60)
	}
	line("Quorum", fmt.Sprintf("%d operatori", b.Quorum))
	line("Quorum confermato", ttq)
	if !b.QuorumETA.IsZero() {
		line("Quorum in sala (stima)", when(b.QuorumETA))
	}
	line("Esito", fmt.Sprintf("%d confermati (%d arrivati), %d non disponibili, %d non raggiunti, %d in attesa",
		b.Confirmed, b.Arrived, b.Declined, b.Unreachable, b.Waiting+b.Calling))
	if b.Alert != "" {
		line("Allarme", AlertText(b.Alert, "it"))
	}
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(0, 8, tr("Persone"), "", 1, "L", false, 0, "")
	cols := []float64{40, 20, 28, 20, 13, 14, 55}
	head := []string{"Nome", "Ondata", "Stato", "Risposta", "Minuti", "Arrivo", "Ultima chiamata"}
	pdf.SetFont("Helvetica", "B", 9)
	for i, h := range head {
		pdf.CellFormat(cols[i], 6, tr(h), "1", 0, "L", false, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 9)
	for _, p := range b.People {
		eta, exp, ans := "", "", ""
		if p.ETA >= 0 {
			eta = fmt.Sprint(p.ETA)
		}
		if !p.ExpectedAt.IsZero() {
			exp = p.ExpectedAt.In(rome).Format("15:04")
		}
		if !p.AnsweredAt.IsZero() {
			ans = p.AnsweredAt.In(rome).Format("15:04:05")
		}
		last := ""
		if p.Last != "" {
			last = Word(WordResult, p.Last, "it")
		}
		row := []string{p.Name, Word(WordWave, p.Wave, "it"), Word(WordState, p.State, "it"), ans, eta, exp, last}
		for i, v := range row {
			pdf.CellFormat(cols[i], 5.5, tr(v), "1", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
	}
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(0, 8, tr("Cronologia"), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 8)
	for _, e := range r.Timeline {
		name, _ := e.Detail["name"].(string)
		if e.Action == "activation.wave" {
			name = Word(WordWave, name, "it") // the wave's name, not a person's
		}
		text := fmt.Sprintf("%s  %s  %s  %s", e.At.In(rome).Format("15:04:05"), stepNames[e.Action], name, detailWords(e.Detail))
		pdf.MultiCell(0, 4.2, tr(text), "", "L", false)
	}
	return pdf.Output(w)
}
