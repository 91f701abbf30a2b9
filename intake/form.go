package intake

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/mail"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/web"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Acknowledger queues the acknowledgement email inside the transaction
// that stores the case (mail.Service does).
type Acknowledger interface {
	AcknowledgeForm(ctx context.Context, tx *store.Tx, c store.Case, contactID int64, lang string) (store.OutboxMessage, error)
	Wake()
}

// Options wires the public form.
type Options struct {
	Store *store.DB
	// Mail queues the acknowledgement (nil: none is sent; tests only).
	Mail  Acknowledger
	Log   *zap.Logger
	Clock clock.Clock
	// Places are the comuni for the type-ahead and the selects (nil: the
	// bundled ISTAT snapshot).
	Places []geo.Place
	// PerAddress limits the submissions stored per client address (default
	// 5, then one every 2 minutes). Refused ones (errors, the list of
	// comuni asked for without JavaScript) do not count.
	PerAddress Limit
	// MaxInFlight bounds submissions being written to the store at once
	// (default 8); beyond it the form answers 503 at once, so a flood
	// cannot queue up behind the console's work.
	MaxInFlight int
	// MaxUploads bounds submissions being received at once (default 32):
	// each may hold up to 26 MiB in memory until it is stored. One client
	// address holds at most MaxUploadsPerAddress of them (default 4), so
	// a few slow senders cannot take every place.
	MaxUploads, MaxUploadsPerAddress int
	// Upload is how fast a submission's body must arrive (default
	// DefaultUploadPace); a slower one is cut off with 408.
	Upload web.Pace
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the citizen (web.ClientIP); the rate limit counts per citizen, not
	// per proxy.
	TrustedProxies []netip.Prefix
	// Registry receives the metrics (nil: unregistered).
	Registry prometheus.Registerer

	// receiving, when set (tests), is called once a submission has its
	// place and starts reading its body.
	receiving func()
}

// DefaultUploadPace is sized for a phone on a poor 3G uplink sending the
// largest submission, 26 MiB: at 0.5 Mbit/s (62.5 kB/s) that takes 436 s,
// so the whole body may take 10 minutes (0.37 Mbit/s on average). What cuts
// off a client that trickles a byte every few seconds is the window: each
// 32 KiB must arrive within 30 s of the previous 32 KiB (1.1 kB/s, about
// 9 kbit/s, a fraction of the slowest mobile data link, GPRS; a phone that
// stalls for longer has lost its connection anyway).
var DefaultUploadPace = web.Pace{Within: 10 * time.Minute, Window: 30 * time.Second, MinBytes: 32 << 10}

// Size limits, checked on the server.
const (
	maxFiles      = 5
	maxFileBytes  = 10 << 20
	maxTotalBytes = 25 << 20
	maxDescr      = 5000
	minDescr      = 10
)

//go:embed templates/*.html static/*
var assets embed.FS

// Form is the public web form at /segnalazione.
type Form struct {
	o         Options
	db        *store.DB
	log       *zap.Logger
	index     *geo.Index
	province  []province
	tpl       *template.Template
	static    http.Handler
	limit     *limiter
	uploads   *slots
	inflight  chan struct{}
	mu        sync.Mutex
	cats      []store.Term
	catsAt    time.Time
	submitted *prometheus.CounterVec
}

type province struct {
	Sigla string
	Name  string
}

// New builds the form.
func New(o Options) (*Form, error) {
	if o.Store == nil {
		return nil, errors.New("intake: the form needs a store")
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 8
	}
	if o.MaxUploads <= 0 {
		o.MaxUploads = 32
	}
	if o.MaxUploadsPerAddress <= 0 {
		o.MaxUploadsPerAddress = 4
	}
	if o.Upload == (web.Pace{}) {
		o.Upload = DefaultUploadPace
	}
	if o.Places == nil {
		ds, err := geo.Snapshot()
		if err != nil {
			return nil, fmt.Errorf("intake: load comuni: %w", err)
		}
		o.Places = geo.Places(ds)
	}
	f := &Form{o: o, db: o.Store, log: o.Log, index: geo.NewIndex(o.Places), limit: newLimiter(o.PerAddress),
		uploads: newSlots(o.MaxUploads, o.MaxUploadsPerAddress), inflight: make(chan struct{}, o.MaxInFlight)}
	seen := map[string]bool{}
	for _, p := range o.Places {
		if p.Active && p.Sigla != "" && !seen[p.Sigla] {
			seen[p.Sigla] = true
			f.province = append(f.province, province{Sigla: p.Sigla, Name: p.Provincia})
		}
	}
	sort.Slice(f.province, func(i, j int) bool { return f.province[i].Name < f.province[j].Name })
	tpl, err := template.New("").Funcs(template.FuncMap{"t": t}).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("intake: parse templates: %w", err)
	}
	f.tpl = tpl
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("intake: static files: %w", err)
	}
	f.static = http.StripPrefix("/segnalazione/static/", http.FileServer(http.FS(sub)))
	f.submitted = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ascolto_form_submissions_total",
		Help: "Web form submissions by result (stored, invalid, rate-limited, busy, too-slow, honeypot, error)."}, []string{"result"})
	if o.Registry != nil {
		if err := o.Registry.Register(f.submitted); err != nil {
			return nil, fmt.Errorf("intake: register metrics: %w", err)
		}
	}
	return f, nil
}

// Mounter is what the web server offers (web.Server.Handle).
type Mounter interface {
	Handle(pattern string, h http.Handler)
}

// Mount puts the form's pages on the server: the form, its submission,
// the privacy notice, the comuni type-ahead and the static files.
func (f *Form) Mount(m Mounter) {
	m.Handle("GET /segnalazione", http.HandlerFunc(f.show))
	m.Handle("POST /segnalazione", http.HandlerFunc(f.submit))
	m.Handle("GET /segnalazione/privacy", http.HandlerFunc(f.privacy))
	m.Handle("GET /segnalazione/comuni", http.HandlerFunc(f.comuni))
	m.Handle("GET /segnalazione/static/", f.secure(f.static))
}

// page is what the templates render.
type page struct {
	Lang       string
	OtherLang  string
	Values     values
	Errors     map[string]string
	ErrorList  []fieldError
	Categories []option
	Province   []province
	Candidates []option // comuni to pick from
	FilesLost  bool
	TrackingID string
	Email      string
	Message    string
}

type option struct {
	Value, Label string
}

type fieldError struct {
	Field, Message string
}

// values are the submitted fields, kept to refill the form after an error.
type values struct {
	Category, Description, ComuneName, Comune, Provincia, Address, Lat, Lon, Name, Email, Phone string
	Consent                                                                                     bool
}

// langOf reads the language from the URL only: reading the form here
// would consume a multipart body before it is streamed.
func langOf(r *http.Request) string {
	if r.URL.Query().Get("lang") == "en" {
		return "en"
	}
	return "it"
}

func (f *Form) secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'")
		h.ServeHTTP(w, r)
	})
}

func (f *Form) render(w http.ResponseWriter, status int, name string, p page) {
	p.OtherLang = "en"
	if p.Lang == "en" {
		p.OtherLang = "it"
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := f.tpl.ExecuteTemplate(w, name, p); err != nil {
		f.log.Error("render form page", zap.String("page", name), zap.Error(err))
	}
}

func (f *Form) categories(ctx context.Context, lang string) []option {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cats == nil || time.Since(f.catsAt) > time.Minute {
		terms, err := f.db.Terms(ctx, store.Categories, false)
		if err != nil {
			f.log.Warn("categories unavailable", zap.Error(err))
		} else {
			f.cats, f.catsAt = terms, time.Now()
		}
	}
	out := make([]option, 0, len(f.cats))
	for _, c := range f.cats {
		out = append(out, option{Value: c.Code, Label: c.Label(lang)})
	}
	return out
}

func (f *Form) show(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	f.render(w, http.StatusOK, "form.html", page{Lang: lang, Categories: f.categories(r.Context(), lang), Province: f.province})
}

func (f *Form) privacy(w http.ResponseWriter, r *http.Request) {
	f.render(w, http.StatusOK, "privacy.html", page{Lang: langOf(r)})
}

// comuni answers the type-ahead: the best matches for what was typed.
func (f *Form) comuni(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if utf8.RuneCountInString(q) > 60 {
		q = string([]rune(q)[:60])
	}
	type item struct {
		Code  string `json:"code"`
		Label string `json:"label"`
	}
	out := []item{}
	for _, p := range f.index.Search(q, 10) {
		out = append(out, item{p.Code, p.Label()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	json.NewEncoder(w).Encode(out)
}

// clientKey is what the rate limit and the places per address count the
// citizen under: the address behind our proxies, IPv6 by /64.
func (f *Form) clientKey(r *http.Request) string {
	if a := web.ClientIP(r, f.o.TrustedProxies); a.IsValid() {
		return web.RateKey(a)
	}
	return r.RemoteAddr
}

// submit takes a submission. The order matters under attack: the rate
// limit first (the cheapest refusal), then a place to receive the body
// (bounded in all and per address, the body paced so a slow sender is cut
// off), and a place in the store only once the body is read and valid. A
// sender that trickles its body never holds what a citizen needs to store
// a report. The budget taken at the start is given back unless the case is
// stored.
func (f *Form) submit(w http.ResponseWriter, r *http.Request) {
	lang := langOf(r)
	key := f.clientKey(r)
	if ok, wait := f.limit.allow(key, f.o.Clock.Now()); !ok {
		f.submitted.WithLabelValues("rate-limited").Inc()
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		f.render(w, http.StatusTooManyRequests, "message.html", page{Lang: lang, Message: t(lang, "too_many")})
		return
	}
	stored := false
	defer func() {
		if !stored {
			f.limit.refund(key)
		}
	}()
	busy := func() {
		f.submitted.WithLabelValues("busy").Inc()
		w.Header().Set("Retry-After", "5")
		f.render(w, http.StatusServiceUnavailable, "message.html", page{Lang: lang, Message: t(lang, "busy")})
	}
	if !f.uploads.acquire(key) {
		busy()
		return
	}
	defer f.uploads.release(key)
	if f.o.receiving != nil {
		f.o.receiving()
	}
	if err := web.PaceBody(w, r, f.o.Upload); err != nil && !errors.Is(err, http.ErrNotSupported) {
		f.log.Warn("form body not paced", zap.Error(err))
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTotalBytes+1<<20)
	sub, err := readSubmission(r)
	if sub != nil && sub.lang != "" {
		lang = sub.lang
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.Is(err, web.ErrSlowBody):
			f.submitted.WithLabelValues("too-slow").Inc()
			f.render(w, http.StatusRequestTimeout, "message.html", page{Lang: lang, Message: t(lang, "too_slow")})
		case errors.As(err, &tooBig) || errors.Is(err, errTooLarge):
			f.submitted.WithLabelValues("invalid").Inc()
			f.render(w, http.StatusRequestEntityTooLarge, "message.html", page{Lang: lang, Message: t(lang, "too_large")})
		default:
			f.submitted.WithLabelValues("invalid").Inc()
			f.render(w, http.StatusBadRequest, "message.html", page{Lang: lang, Message: t(lang, "bad_request")})
		}
		return
	}
	if sub.honeypot != "" {
		// Bots fill every field; people never see this one. Answer as a
		// refusal without saying why.
		f.submitted.WithLabelValues("honeypot").Inc()
		f.render(w, http.StatusBadRequest, "message.html", page{Lang: lang, Message: t(lang, "err_spam")})
		return
	}
	c, errs, candidates := f.validate(r.Context(), sub, lang)
	if len(errs) > 0 || sub.showComuni {
		f.submitted.WithLabelValues("invalid").Inc()
		p := page{Lang: lang, Values: sub.v, Errors: map[string]string{}, Categories: f.categories(r.Context(), lang),
			Province: f.province, Candidates: candidates, FilesLost: len(sub.files)+len(sub.fileErrs) > 0}
		for _, e := range errs {
			p.Errors[e.Field] = e.Message
		}
		if !sub.showComuni {
			p.ErrorList = errs
		}
		status := http.StatusUnprocessableEntity
		if sub.showComuni && len(errs) == 0 {
			status = http.StatusOK
		}
		f.render(w, status, "form.html", p)
		return
	}
	// Bounded work: a full house answers at once instead of queueing.
	select {
	case f.inflight <- struct{}{}:
		defer func() { <-f.inflight }()
	default:
		busy()
		return
	}
	if err := f.store(r.Context(), c, sub, lang); err != nil {
		f.submitted.WithLabelValues("error").Inc()
		f.log.Error("form submission not stored", zap.Error(err))
		f.render(w, http.StatusServiceUnavailable, "message.html", page{Lang: lang, Message: t(lang, "store_failed")})
		return
	}
	stored = true
	f.submitted.WithLabelValues("stored").Inc()
	f.render(w, http.StatusOK, "done.html", page{Lang: lang, TrackingID: c.TrackingID, Email: c.ContactEmail})
}

// upload is one accepted file.
type upload struct {
	name string
	kind fileKind
	data []byte
}

type submission struct {
	v          values
	lang       string
	honeypot   string
	showComuni bool
	files      []upload
	fileErrs   []fieldError
}

var errTooLarge = errors.New("intake: submission too large")

// readSubmission streams the multipart body, so a file is measured while
// it is read and an oversized one is never held whole in memory.
func readSubmission(r *http.Request) (*submission, error) {
	sub := &submission{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		if err := r.ParseForm(); err != nil {
			return sub, err
		}
		for k, vs := range r.PostForm {
			if len(vs) > 0 {
				sub.set(k, vs[0])
			}
		}
		return sub, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return sub, err
	}
	total := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return sub, err
		}
		name := part.FormName()
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, 64<<10))
			if err != nil {
				return sub, err
			}
			sub.set(name, string(b))
			continue
		}
		if name != "allegati" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, maxFileBytes+1))
		if err != nil {
			return sub, err
		}
		if len(b) == 0 {
			continue // an empty file input
		}
		fname := cleanName(part.FileName())
		total += len(b)
		if total > maxTotalBytes {
			return sub, errTooLarge
		}
		if len(sub.files)+len(sub.fileErrs) >= maxFiles {
			sub.fileErrs = append(sub.fileErrs, fieldError{"allegati", "err_files_n"})
			continue
		}
		if len(b) > maxFileBytes {
			sub.fileErrs = append(sub.fileErrs, fieldError{"allegati", "err_file_size:" + fname})
			continue
		}
		kind, ok := sniff(b)
		if !ok {
			sub.fileErrs = append(sub.fileErrs, fieldError{"allegati", "err_file_type:" + fname})
			continue
		}
		sub.files = append(sub.files, upload{name: fname, kind: kind, data: b})
	}
	return sub, nil
}

// set keeps a field, cleaned of what the store cannot take or a one-line
// field must not hold (store.CleanLine, store.CleanText): the description
// keeps its lines and tabs, every other field is one line.
func (s *submission) set(k, v string) {
	if k == "descrizione" {
		v = strings.TrimSpace(store.CleanText(v))
	} else {
		v = store.CleanLine(v)
	}
	switch k {
	case "categoria":
		s.v.Category = v
	case "descrizione":
		s.v.Description = v
	case "comune_nome":
		s.v.ComuneName = v
	case "comune":
		s.v.Comune = v
	case "provincia":
		s.v.Provincia = v
	case "indirizzo":
		s.v.Address = v
	case "lat":
		s.v.Lat = v
	case "lon":
		s.v.Lon = v
	case "nome":
		s.v.Name = v
	case "email":
		s.v.Email = v
	case "telefono":
		s.v.Phone = v
	case "consenso":
		s.v.Consent = v != ""
	case "sito_web":
		s.honeypot = v
	case "lang":
		if v == "en" {
			s.lang = "en"
		}
	case "azione":
		s.showComuni = v == "comuni"
	}
}

// cleanName keeps an uploaded file's name safe to store and show.
func cleanName(n string) string {
	n = strings.ReplaceAll(store.CleanLine(n), `\`, "/")
	if i := strings.LastIndex(n, "/"); i >= 0 {
		n = n[i+1:]
	}
	n = strings.TrimSpace(strings.ReplaceAll(n, `"`, ""))
	if r := []rune(n); len(r) > 100 {
		n = string(r[:100])
	}
	if n == "" {
		n = "allegato"
	}
	return n
}

// validate checks every field and resolves the comune; it returns the case
// to store, or the errors in form order (and comuni to choose from).
func (f *Form) validate(ctx context.Context, s *submission, lang string) (*store.Case, []fieldError, []option) {
	var errs []fieldError
	add := func(field, key string, args ...any) {
		msg := t(lang, key)
		if len(args) > 0 {
			msg = fmt.Sprintf(msg, args...)
		}
		errs = append(errs, fieldError{field, msg})
	}
	v := &s.v
	validCat := false
	for _, c := range f.categories(ctx, lang) {
		validCat = validCat || c.Value == v.Category
	}
	if !validCat {
		add("categoria", "err_category")
	}
	switch n := utf8.RuneCountInString(v.Description); {
	case n < minDescr:
		add("descrizione", "err_description")
	case n > maxDescr:
		add("descrizione", "err_description_l")
	}
	var candidates []option
	var place geo.Place
	switch {
	case v.Comune != "":
		p, ok := f.index.ByCode(v.Comune)
		if !ok || !p.Active {
			add("comune", "err_comune_none")
		} else {
			place = p
		}
	case v.ComuneName != "":
		matches := f.index.Search(v.ComuneName, 20)
		key := geo.Normalize(v.ComuneName)
		var exact []geo.Place
		for _, p := range matches {
			if geo.Normalize(p.Name) == key || geo.Normalize(p.NameOther) == key || geo.Normalize(p.Label()) == key {
				exact = append(exact, p)
			}
		}
		switch {
		case len(exact) == 1:
			place = exact[0]
		case len(matches) == 1:
			place = matches[0]
		case len(matches) == 0:
			add("comune", "err_comune_none")
		default:
			if len(exact) > 1 {
				matches = exact
			}
			for _, p := range matches {
				candidates = append(candidates, option{p.Code, p.Label()})
			}
			add("comune", "err_comune_many")
		}
	case v.Provincia != "":
		for _, p := range f.index.BySigla(v.Provincia) {
			candidates = append(candidates, option{p.Code, p.Name})
		}
		if len(candidates) == 0 || !s.showComuni {
			add("comune", "err_comune")
		}
	default:
		add("comune", "err_comune")
	}
	if s.showComuni {
		// Only the list of comuni was asked for: no other errors yet.
		var only []fieldError
		for _, e := range errs {
			if e.Field == "comune" && len(candidates) == 0 {
				only = append(only, e)
			}
		}
		return nil, only, candidates
	}
	if utf8.RuneCountInString(v.Address) > 200 {
		add("indirizzo", "err_address")
	}
	var lat, lon *float64
	if v.Lat != "" || v.Lon != "" {
		la, ok1 := parseDegrees(v.Lat)
		lo, ok2 := parseDegrees(v.Lon)
		if !ok1 || !ok2 || !geo.ValidPoint(la, lo) {
			add("lat", "err_coords")
		} else {
			lat, lon = &la, &lo
		}
	}
	if utf8.RuneCountInString(v.Name) > 100 {
		add("nome", "err_name")
	}
	addr, err := mail.ParseAddress(v.Email)
	if err != nil || len(v.Email) > 254 || addr.Address != v.Email || !strings.Contains(addr.Address[strings.Index(addr.Address, "@"):], ".") {
		add("email", "err_email")
	}
	if !validPhone(v.Phone) {
		add("telefono", "err_phone")
	}
	for _, fe := range s.fileErrs {
		key, arg, _ := strings.Cut(fe.Message, ":")
		if arg != "" {
			add("allegati", key, arg)
		} else {
			add("allegati", key)
		}
	}
	if !v.Consent {
		add("consenso", "err_consent")
	}
	if len(errs) > 0 {
		return nil, errs, candidates
	}
	v.Comune = place.Code
	summary := v.Description
	if r := []rune(summary); len(r) > 120 {
		summary = string(r[:120]) + "…"
	}
	return &store.Case{Channel: store.ChannelWeb, Category: v.Category, ComuneCode: place.Code, ContactName: v.Name,
		ContactEmail: strings.ToLower(v.Email), ContactPhone: v.Phone, Address: v.Address, Lat: lat, Lon: lon,
		Summary: strings.ReplaceAll(summary, "\n", " ")}, nil, nil
}

// degreesRE is a coordinate as people and phones write it: 42.3731,
// -13,45 (a decimal comma), 42. ParseFloat alone would also take "NaN",
// "Inf" and hexadecimal floats.
var degreesRE = regexp.MustCompile(`^[+-]?[0-9]{1,3}([.,][0-9]{1,15})?$`)

func parseDegrees(s string) (float64, bool) {
	if !degreesRE.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.Replace(s, ",", ".", 1), 64)
	return f, err == nil
}

func validPhone(p string) bool {
	if p == "" {
		return true
	}
	if len(p) > 30 {
		return false
	}
	digits := 0
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '.' || r == '-' || r == '/':
		case r == '+' && i == 0:
		default:
			return false
		}
	}
	return digits >= 6
}

// store writes the case, the submission, its files and the
// acknowledgement in one transaction: all of it or nothing. Submissions
// without files share group commits; with files, they commit alone.
func (f *Form) store(ctx context.Context, c *store.Case, s *submission, lang string) error {
	content := f.contentOf(s, lang)
	write := func(tx *store.Tx) error {
		cs := *c
		if err := tx.CreateCase(ctx, &cs); err != nil {
			return err
		}
		ct := store.Contact{CaseID: cs.ID, Channel: store.ChannelWeb, Direction: "in", Author: cs.ContactEmail, Content: content}
		if err := tx.AddContact(ctx, &ct); err != nil {
			return err
		}
		for i, u := range s.files {
			name := u.name
			// The name says what the bytes are: a JPEG sent as foto.pdf
			// is stored as foto.pdf.jpg.
			lower := strings.ToLower(name)
			if !strings.HasSuffix(lower, u.kind.Ext) && !(u.kind.Ext == ".jpg" && strings.HasSuffix(lower, ".jpeg")) {
				name += u.kind.Ext
			}
			if err := tx.AddAttachment(ctx, &store.Attachment{CaseID: cs.ID, ContactID: ct.ID, Filename: name,
				ContentType: u.kind.ContentType, Data: u.data}); err != nil {
				return fmt.Errorf("intake: attachment %d: %w", i+1, err)
			}
		}
		if f.o.Mail != nil {
			if _, err := f.o.Mail.AcknowledgeForm(ctx, tx, cs, ct.ID, lang); err != nil {
				return err
			}
		}
		*c = cs
		return nil
	}
	var err error
	if len(s.files) == 0 {
		err = f.db.Batch(ctx, write)
	} else {
		err = f.db.InTx(ctx, write)
	}
	if err != nil {
		return err
	}
	if f.o.Mail != nil {
		f.o.Mail.Wake()
	}
	return nil
}

// contentOf is the submission as the operator reads it in the timeline.
func (f *Form) contentOf(s *submission, lang string) string {
	var b strings.Builder
	v := s.v
	fmt.Fprintf(&b, "Modulo web (%s)\n", lang)
	fmt.Fprintf(&b, "Argomento: %s\n", v.Category)
	if p, ok := f.index.ByCode(v.Comune); ok {
		fmt.Fprintf(&b, "Comune: %s\n", p.Label())
	} else if v.ComuneName != "" {
		fmt.Fprintf(&b, "Comune: %s\n", v.ComuneName)
	}
	if v.Address != "" {
		fmt.Fprintf(&b, "Indirizzo: %s\n", v.Address)
	}
	if v.Lat != "" {
		fmt.Fprintf(&b, "Coordinate: %s, %s\n", v.Lat, v.Lon)
	}
	if v.Name != "" {
		fmt.Fprintf(&b, "Nome: %s\n", v.Name)
	}
	fmt.Fprintf(&b, "Email: %s\n", v.Email)
	if v.Phone != "" {
		fmt.Fprintf(&b, "Telefono: %s\n", v.Phone)
	}
	fmt.Fprintf(&b, "Consenso privacy: sì (%s)\n\n", f.o.Clock.Now().UTC().Format(time.RFC3339))
	b.WriteString(v.Description)
	return b.String()
}
