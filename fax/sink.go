package fax

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Options wires fax intake.
type Options struct {
	Store *store.DB
	Log   *zap.Logger
	Clock clock.Clock
	// OCR reads the text; nil looks for tesseract with Italian at New and
	// goes without when it is missing. Set NoOCR to skip the look-up.
	OCR   *OCR
	NoOCR bool
	// MaxAttempts is how often a job that keeps failing (the database
	// away) is tried before it waits for an operator (default 20).
	MaxAttempts int
	// Registry receives the metrics (nil: unregistered).
	Registry prometheus.Registerer
}

// Intake turns received faxes into cases. It is the ARI controller's
// FaxSink: FaxReceived only records a job and returns, and Run's single
// worker does the conversion, so neither a slow OCR nor a burst of faxes
// ever holds up a call.
type Intake struct {
	o       Options
	db      *store.DB
	log     *zap.Logger
	wake    chan struct{}
	mu      sync.Mutex
	backlog []store.FaxJob // jobs the database refused at hand-over, retried by the worker
	faxes   *prometheus.CounterVec
	perPage prometheus.Histogram
}

var _ ari.FaxSink = (*Intake)(nil)

// maxBacklog bounds the faxes held in memory while the database is away.
const maxBacklog = 1000

// New builds fax intake.
func New(o Options) (*Intake, error) {
	if o.Store == nil {
		return nil, errors.New("fax: intake needs a store")
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 20
	}
	if o.OCR == nil && !o.NoOCR {
		ocr, err := FindOCR(context.Background(), "ita", 0)
		if err != nil {
			o.Log.Warn("faxes will be stored without OCR text", zap.Error(err))
		}
		o.OCR = ocr
	}
	in := &Intake{o: o, db: o.Store, log: o.Log, wake: make(chan struct{}, 1)}
	in.faxes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ascolto_fax_cases_total",
		Help: "Faxes turned into cases, by result (ok, partial, failed, undecodable)."}, []string{"result"})
	in.perPage = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ascolto_fax_convert_seconds_per_page",
		Help: "TIFF to PDF conversion time per page.", Buckets: []float64{.005, .01, .025, .05, .1, .2, .5, 1}})
	if o.Registry != nil {
		for _, c := range []prometheus.Collector{in.faxes, in.perPage} {
			if err := o.Registry.Register(c); err != nil {
				return nil, fmt.Errorf("fax: register metrics: %w", err)
			}
		}
	}
	return in, nil
}

// FaxReceived records the fax as a job and wakes the worker. It waits at
// most a few seconds for the database; if that is away, the job is kept
// in memory (bounded) and stored by the worker later.
func (in *Intake) FaxReceived(ctx context.Context, f ari.FaxResult) {
	job := store.FaxJob{ChannelID: f.ChannelID, CallID: f.CallID, Caller: f.Caller, Called: f.Called, Status: f.Status,
		Error: f.Error, Pages: f.Pages, RemoteStation: f.RemoteStationID, File: f.File, ReceivedAt: f.At}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	if err := in.db.EnqueueFax(cctx, &job); err != nil {
		in.mu.Lock()
		kept := len(in.backlog) < maxBacklog
		if kept {
			in.backlog = append(in.backlog, job)
		}
		in.mu.Unlock()
		in.log.Error("fax job not stored at hand-over", zap.String("channel", f.ChannelID), zap.String("file", f.File),
			zap.Bool("kept_in_memory", kept), zap.Error(err))
	}
	in.Wake()
}

// Wake tells the worker there is work.
func (in *Intake) Wake() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// Run works through pending faxes until ctx ends, including those a
// previous process left.
func (in *Intake) Run(ctx context.Context) error {
	backoff := time.Second
	for ctx.Err() == nil {
		in.flushBacklog(ctx)
		jobs, err := in.db.PendingFaxJobs(ctx, 20)
		if err != nil && ctx.Err() == nil {
			in.log.Warn("fax jobs unreadable; retrying", zap.Error(err))
		}
		worked := false
		for _, j := range jobs {
			if ctx.Err() != nil {
				return nil
			}
			if j.Attempts >= in.o.MaxAttempts {
				continue
			}
			worked = true
			if _, err := in.Process(ctx, j); err != nil {
				in.log.Warn("fax not turned into a case yet", zap.Int64("job", j.ID), zap.Error(err))
				if ferr := in.db.FaxJobFailed(context.WithoutCancel(ctx), j.ID, err.Error()); ferr != nil {
					in.log.Error("fax job failure not recorded", zap.Int64("job", j.ID), zap.Error(ferr))
				}
			}
		}
		wait := 30 * time.Second
		if err != nil || (worked && len(jobs) > 0) {
			wait, backoff = backoff, min(backoff*2, time.Minute)
		} else {
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
		case <-in.wake:
		case <-time.After(wait):
		}
	}
	return nil
}

func (in *Intake) flushBacklog(ctx context.Context) {
	in.mu.Lock()
	jobs := in.backlog
	in.backlog = nil
	in.mu.Unlock()
	for i, j := range jobs {
		if err := in.db.EnqueueFax(ctx, &j); err != nil {
			in.mu.Lock()
			in.backlog = append(jobs[i:], in.backlog...)
			in.mu.Unlock()
			return
		}
	}
}

// Process turns one job into a case: the PDF and the original TIFF
// attached, the OCR text in the timeline, failures flagged. It returns
// the case, or an error when nothing was stored (the job stays pending).
func (in *Intake) Process(ctx context.Context, j store.FaxJob) (store.Case, error) {
	var review []string
	result := "ok"
	ok := strings.EqualFold(j.Status, "SUCCESS")
	if !ok {
		result = "failed"
		review = append(review, fmt.Sprintf("fax non ricevuto correttamente: esito %s %s", firstNonEmpty(j.Status, "sconosciuto"), j.Error))
	}
	var tiffData, pdfData []byte
	pages := 0
	if j.File != "" {
		b, err := os.ReadFile(j.File)
		switch {
		case err != nil && os.IsNotExist(err):
			review = append(review, "il file del fax non si trova: "+j.File)
		case err != nil:
			return store.Case{}, fmt.Errorf("fax: read %s: %w", j.File, err) // a disk problem: retry
		default:
			tiffData = b
		}
	}
	if tiffData != nil {
		start := time.Now()
		decoded, derr := DecodeTIFF(tiffData)
		if len(decoded) > 0 {
			var buf bytes.Buffer
			if err := WritePDF(&buf, decoded); err == nil {
				pdfData, pages = buf.Bytes(), len(decoded)
				in.perPage.Observe(time.Since(start).Seconds() / float64(pages))
			}
		}
		switch {
		case len(decoded) == 0:
			result = "undecodable"
			review = append(review, "il TIFF del fax non si decodifica: allegato così com'è ("+errString(derr)+")")
		case derr != nil || (j.Pages > 0 && pages < j.Pages):
			if result == "ok" {
				result = "partial"
			}
			review = append(review, fmt.Sprintf("fax parziale: %d pagine leggibili su %d annunciate", pages, max(j.Pages, pages)))
		}
	}
	text := ""
	if in.o.OCR != nil && pdfData != nil {
		t, err := in.o.OCR.Text(ctx, j.File)
		if err != nil {
			in.log.Warn("OCR failed; the fax is stored without text", zap.Int64("job", j.ID), zap.Error(err))
		}
		text = t
	}
	var c store.Case
	err := in.db.InTx(ctx, func(tx *store.Tx) error {
		c = store.Case{Channel: store.ChannelFax, ContactPhone: j.Caller, Summary: summary(j, text, pages)}
		if err := tx.CreateCase(ctx, &c); err != nil {
			return err
		}
		ct := store.Contact{CaseID: c.ID, Channel: store.ChannelFax, Direction: "in", Author: j.Caller,
			Content: timeline(j, pages, text, in.o.OCR != nil), CallID: j.CallID, At: j.ReceivedAt}
		if err := tx.AddContact(ctx, &ct); err != nil {
			return err
		}
		stamp := j.ReceivedAt.In(rome()).Format("20060102-150405")
		if pdfData != nil {
			if err := tx.AddAttachment(ctx, &store.Attachment{CaseID: c.ID, ContactID: ct.ID, Filename: "fax-" + stamp + ".pdf",
				ContentType: "application/pdf", Data: pdfData}); err != nil {
				return err
			}
		}
		if tiffData != nil {
			ctype := "image/tiff"
			if !isTIFF(tiffData) {
				ctype = "application/octet-stream"
			}
			if err := tx.AddAttachment(ctx, &store.Attachment{CaseID: c.ID, ContactID: ct.ID, Filename: "fax-" + stamp + ".tif",
				ContentType: ctype, Data: tiffData}); err != nil {
				return err
			}
		}
		for _, r := range review {
			if err := tx.FlagForReview(ctx, c.ID, r); err != nil {
				return err
			}
		}
		if err := tx.LinkCallToCase(ctx, j.CallID, c.ID); err != nil {
			return err
		}
		return tx.CompleteFaxJob(ctx, j.ID, c.ID)
	})
	if errors.Is(err, store.ErrAlreadyClosed) {
		return store.Case{}, nil // another worker did it
	}
	if err != nil {
		return store.Case{}, fmt.Errorf("fax: store case for job %d: %w", j.ID, err)
	}
	in.faxes.WithLabelValues(result).Inc()
	in.log.Info("fax stored", zap.String("case", c.TrackingID), zap.String("from", j.Caller), zap.Int("pages", pages),
		zap.String("result", result), zap.Int("ocr_chars", len(text)))
	return c, nil
}

// faxHeaderRe finds the time of day, or the "08-Dec-2026" date, that the
// line a sending fax machine prints at the top of every page (date, time,
// sender, number, page) carries; a letter's first line seldom does. OCR
// misreads the header's small digits ("B-Dec-2926 B2:23" for 08-Dec-2026
// 02:23), so only the time's last digits are trusted.
var faxHeaderRe = regexp.MustCompile(`\d[:.][0-5]\d\b|\b[A-Za-z]{3}-\d{2,4}\b`)

func summary(j store.FaxJob, text string, pages int) string {
	first := true
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); len([]rune(l)) >= 8 {
			if first {
				first = false
				if faxHeaderRe.MatchString(l) {
					continue // the sender's header, not the fax's content
				}
			}
			if r := []rune(l); len(r) > 120 {
				l = string(r[:120]) + "…"
			}
			return "Fax: " + l
		}
	}
	return fmt.Sprintf("Fax da %s, %d pagine", firstNonEmpty(j.Caller, "numero sconosciuto"), pages)
}

func timeline(j store.FaxJob, pages int, text string, ocr bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Fax ricevuto da %s", firstNonEmpty(j.Caller, "numero sconosciuto"))
	if j.RemoteStation != "" {
		fmt.Fprintf(&b, " (stazione %s)", j.RemoteStation)
	}
	fmt.Fprintf(&b, " al %s: esito %s", firstNonEmpty(j.Called, "numero fax"), firstNonEmpty(j.Status, "sconosciuto"))
	if j.Error != "" {
		fmt.Fprintf(&b, " (%s)", j.Error)
	}
	fmt.Fprintf(&b, ", %d pagine annunciate, %d leggibili.", j.Pages, pages)
	switch {
	case text != "":
		b.WriteString("\n\nTesto riconosciuto (OCR):\n")
		b.WriteString(text)
	case !ocr:
		b.WriteString("\n\nTesto non riconosciuto: OCR non installato.")
	}
	return b.String()
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func errString(err error) string {
	if err == nil {
		return "nessun dettaglio"
	}
	return err.Error()
}

func rome() *time.Location {
	if l, err := time.LoadLocation("Europe/Rome"); err == nil {
		return l
	}
	return time.UTC
}
