package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ascolto/ascolto/acdconf"
	"github.com/ascolto/ascolto/store"
)

// The ACD's admin pages: queues (/admin/queues), seats (/admin/seats) and
// the on-call roster (/admin/roster). They apply the same rules as the CLI
// (package acdconf), save through the same store methods (which audit each
// change, with the console user as actor) and reach the running service
// the same way: a "reload" order in the store's command table, which the
// service polls every second. The console never touches the ACD directly.

// PermACDAdmin lets a person change queues, seats and the roster.
const PermACDAdmin Permission = "acd.admin"

// RosterBackend is what the roster page needs; the lead's Backend
// implements it with the oncall service (oncall.ConsoleBoards). The
// console does not import oncall: the roster arrives already read.
type RosterBackend interface {
	// Roster returns the roster in force and who is on call at t;
	// store.ErrNotFound when none was ever imported.
	Roster(ctx context.Context, at time.Time) (RosterView, error)
	// ImportRoster checks a YAML roster and stores it as the new version,
	// audited with by as actor; a refusal wraps store.ErrInvalid.
	ImportRoster(ctx context.Context, by Actor, yaml []byte, comment string) (int64, error)
}

// RosterView is the roster in force as the page shows it.
type RosterView struct {
	Version   int64
	CreatedBy string
	CreatedAt time.Time
	People    int
	Quorum    int
	Target    string
	YAML      string
	Waves     []RosterWave // who is on call now, wave by wave
}

// RosterWave is one wave of the call-out at a moment.
type RosterWave struct {
	Name   string
	Wait   string
	People []string // "Name +39…"
}

// MountACDAdmin registers the ACD's admin pages, like Mount, and adds
// their words to the catalog.
func (c *Console) MountACDAdmin(m Mux) {
	c.cat.add(acdAdminCatalog)
	signed := func(h func(*visit) error) http.Handler {
		return route{c: c, access: accessSignedIn, perm: PermACDAdmin, h: h}
	}
	m.Handle("GET /admin/queues", signed(c.queuesPage))
	m.Handle("GET /admin/queues/new", signed(c.queueNewPage))
	m.Handle("POST /admin/queues", signed(c.queueSave))
	m.Handle("GET /admin/queues/{name}", signed(c.queuePage))
	m.Handle("POST /admin/queues/{name}", signed(c.queueSave))
	m.Handle("POST /admin/queues/{name}/members", signed(c.memberSave))
	m.Handle("POST /admin/queues/{name}/members/{ext}/remove", signed(c.memberRemove))
	m.Handle("GET /admin/seats", signed(c.seatsPage))
	m.Handle("GET /admin/seats/new", signed(c.seatNewPage))
	m.Handle("POST /admin/seats", signed(c.seatSave))
	m.Handle("POST /admin/seats/import", signed(c.seatsImport))
	m.Handle("GET /admin/seats/{ext}", signed(c.seatPage))
	m.Handle("POST /admin/seats/{ext}", signed(c.seatSave))
	m.Handle("GET /admin/roster", signed(c.rosterPage))
	m.Handle("POST /admin/roster", signed(c.rosterSave))
}

// words is how the console speaks to acdconf: the visitor's language and
// each field by its label on the form.
func (c *Console) words(v *visit) acdconf.Words {
	return acdconf.Words{Lang: v.lang, Field: func(f string) string {
		if k := "aa.f." + f; c.cat.has(k) {
			return "«" + c.cat.t(v.lang, k) + "»"
		}
		return f
	}}
}

// formErrors are the refusals of a form, by field ("" for the form).
type formErrors map[string]string

// add records err against its field; it reports false for an error that
// is not a person's mistake (the caller returns it).
func (fe formErrors) add(err error) bool {
	var f *acdconf.FieldError
	if errors.As(err, &f) {
		if _, dup := fe[f.Field]; !dup {
			fe[f.Field] = f.Msg
		}
		return true
	}
	return false
}

// reload leaves the running service an order to re-read queues and
// seats: the CLI's path (acdconf.Reload) without waiting on it, since the
// console runs inside the service, which polls its orders every second.
func (c *Console) reload(v *visit) error {
	cmd := store.ACDCommand{Kind: "reload", Actor: v.user.Username}
	return c.db.QueueACDCommand(v.r.Context(), &cmd)
}

// ---- Queues ----

type queuesData struct {
	Queues []store.Queue
}

func (c *Console) queuesPage(v *visit) error {
	qs, err := c.db.Queues(v.r.Context())
	if err != nil {
		return err
	}
	return c.render(v, http.StatusOK, "acd_queues", c.newPage(v, "aa.queues", queuesData{Queues: qs}))
}

// queueForm is a queue's settings as typed: numbers stay text, so a wrong
// one comes back as it was written, next to its error.
type queueForm struct {
	Name, Site, Strategy                    string
	RingTimeout, Wrapup, MaxWait, Announce  string
	MaxLen, CallbackAttempts, CallbackEvery string
	Overflow, SL                            string
}

func formOfQueue(q store.Queue) queueForm {
	ovf := q.Overflow
	if ovf == "" {
		ovf = "none"
	}
	return queueForm{Name: q.Name, Site: q.Site, Strategy: q.Strategy, RingTimeout: strconv.Itoa(q.RingTimeoutS),
		Wrapup: strconv.Itoa(q.WrapupS), MaxWait: strconv.Itoa(q.MaxWaitS), Announce: strconv.Itoa(q.AnnounceS),
		MaxLen: strconv.Itoa(q.MaxLen), CallbackAttempts: strconv.Itoa(q.CallbackAttempts),
		CallbackEvery: strconv.Itoa(q.CallbackIntervalS), Overflow: ovf, SL: strconv.Itoa(q.SLPercent) + "/" + strconv.Itoa(q.SLSeconds)}
}

type queueData struct {
	New        bool
	Form       queueForm
	Errs       formErrors
	Sites      []store.Site
	Strategies []string
	Others     []string // queues this one may overflow into
	Queue      store.Queue
	Seats      []store.Agent // seats not yet members, for the member form
	MemberErrs formErrors
	Member     store.Member
}

func (c *Console) queueNewPage(v *visit) error {
	q := acdconf.NewQueue("")
	return c.queueAgain(v, http.StatusOK, true, formOfQueue(q), store.Queue{}, formErrors{}, nil)
}

func (c *Console) queuePage(v *visit) error {
	q, err := c.db.QueueByName(v.r.Context(), v.r.PathValue("name"))
	if err != nil {
		return err
	}
	return c.queueAgain(v, http.StatusOK, false, formOfQueue(q), q, formErrors{}, nil)
}

func (c *Console) queueAgain(v *visit, code int, isNew bool, f queueForm, q store.Queue, errs, memberErrs formErrors) error {
	ctx := v.r.Context()
	d := queueData{New: isNew, Form: f, Errs: errs, Queue: q, MemberErrs: memberErrs}
	var err error
	if d.Sites, err = c.db.Sites(ctx); err != nil {
		return err
	}
	for _, s := range acdconf.Strategies {
		d.Strategies = append(d.Strategies, string(s))
	}
	qs, err := c.db.Queues(ctx)
	if err != nil {
		return err
	}
	for _, o := range qs {
		if o.Name != q.Name || isNew {
			d.Others = append(d.Others, o.Name)
		}
	}
	if !isNew {
		all, err := c.db.Agents(ctx)
		if err != nil {
			return err
		}
		for _, a := range all {
			if !slices.ContainsFunc(q.Members, func(m store.Member) bool { return m.Extension == a.Extension }) {
				d.Seats = append(d.Seats, a)
			}
		}
	}
	title := "aa.queue"
	if isNew {
		title = "aa.newqueue"
	}
	p := c.newPage(v, title, d)
	if len(errs) > 0 || len(memberErrs) > 0 {
		p.Problem = p.T("aa.fix")
	}
	return c.render(v, code, "acd_queue", p)
}

// seconds reads a whole number of seconds typed into a form and checks it
// as the CLI checks its duration flags.
func seconds(w acdconf.Words, errs formErrors, field, s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		errs[field] = w.Field(field) + " " + strconv.Quote(s) + ": " + map[bool]string{true: "scrivi un numero intero di secondi, es. 30",
			false: "type a whole number of seconds, e.g. 30"}[w.Lang != "en"]
		return 0
	}
	n, err = acdconf.Seconds(w, field, time.Duration(n)*time.Second)
	errs.add(err)
	return n
}

func whole(w acdconf.Words, errs formErrors, field, s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		errs[field] = w.Field(field) + " " + strconv.Quote(s) + ": " + map[bool]string{true: "scrivi un numero intero, es. 0",
			false: "type a whole number, e.g. 0"}[w.Lang != "en"]
	}
	return n
}

// queueSave creates a queue (POST /admin/queues) or changes one (POST
// /admin/queues/{name}), as `ascolto queue set` does.
func (c *Console) queueSave(v *visit) error {
	ctx := v.r.Context()
	w := c.words(v)
	pf := v.r.PostForm
	f := queueForm{Name: strings.TrimSpace(pf.Get("name")), Site: pf.Get("site"), Strategy: pf.Get("strategy"),
		RingTimeout: pf.Get("ring_timeout"), Wrapup: pf.Get("wrapup"), MaxWait: pf.Get("max_wait"), Announce: pf.Get("announce"),
		MaxLen: pf.Get("max_len"), CallbackAttempts: pf.Get("callback_attempts"), CallbackEvery: pf.Get("callback_interval"),
		Overflow: pf.Get("overflow"), SL: pf.Get("sl")}
	isNew := v.r.PathValue("name") == ""
	var q store.Queue
	if isNew {
		q = acdconf.NewQueue(f.Name)
	} else {
		var err error
		if q, err = c.db.QueueByName(ctx, v.r.PathValue("name")); err != nil {
			return err
		}
		f.Name = q.Name
	}
	errs := formErrors{}
	if isNew {
		if errs.add(acdconf.CheckQueueName(w, f.Name)); len(errs) == 0 {
			if _, err := c.db.QueueByName(ctx, f.Name); err == nil {
				errs[acdconf.FieldName] = c.tr(v, "aa.queuetaken")
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	if err := acdconf.CheckStrategy(w, f.Strategy); !errs.add(err) {
		q.Strategy = f.Strategy
	}
	q.Site = f.Site
	q.RingTimeoutS = seconds(w, errs, acdconf.FieldRingTimeout, f.RingTimeout)
	q.WrapupS = seconds(w, errs, acdconf.FieldWrapup, f.Wrapup)
	q.MaxWaitS = seconds(w, errs, acdconf.FieldMaxWait, f.MaxWait)
	q.AnnounceS = seconds(w, errs, acdconf.FieldAnnounce, f.Announce)
	q.CallbackIntervalS = seconds(w, errs, acdconf.FieldCallbackInterval, f.CallbackEvery)
	if q.MaxLen = whole(w, errs, acdconf.FieldMaxLen, f.MaxLen); errs[acdconf.FieldMaxLen] == "" {
		errs.add(acdconf.CheckMaxLen(w, q.MaxLen))
	}
	if q.CallbackAttempts = whole(w, errs, acdconf.FieldCallbackAttempts, f.CallbackAttempts); errs[acdconf.FieldCallbackAttempts] == "" {
		errs.add(acdconf.CheckCallbackAttempts(w, q.CallbackAttempts))
	}
	var err error
	if q.SLPercent, q.SLSeconds, err = acdconf.ParseTarget(w, acdconf.FieldSL, f.SL); err != nil {
		errs.add(err)
	}
	if q.Overflow, err = acdconf.ParseOverflow(w, f.Overflow); err != nil {
		errs.add(err)
	}
	if len(errs) == 0 {
		if err := acdconf.CheckQueue(ctx, w, c.db, q); err != nil && !errs.add(err) {
			return err
		}
	}
	if len(errs) > 0 {
		return c.queueAgain(v, http.StatusBadRequest, isNew, f, q, errs, nil)
	}
	if err := c.db.SaveQueue(ctx, &q, v.user.Username); err != nil {
		return err
	}
	if err := c.reload(v); err != nil {
		return err
	}
	done := "queuesaved"
	if isNew {
		done = "queuecreated"
	}
	return redirect(v, "/admin/queues/"+url.PathEscape(q.Name)+"?done="+done)
}

// tr translates a key in the visitor's language.
func (c *Console) tr(v *visit, key string) string { return c.cat.t(v.lang, key) }

// memberSave adds a seat to the queue or changes its penalty, level and
// emergency-only flag, as `ascolto queue member add` does.
func (c *Console) memberSave(v *visit) error {
	ctx := v.r.Context()
	w := c.words(v)
	q, err := c.db.QueueByName(ctx, v.r.PathValue("name"))
	if err != nil {
		return err
	}
	pf := v.r.PostForm
	errs := formErrors{}
	m := store.Member{Extension: strings.TrimSpace(pf.Get("extension")), EmergencyOnly: pf.Get("emergency_only") == "1"}
	m.Penalty = whole(w, errs, acdconf.FieldPenalty, pf.Get("penalty"))
	m.Level = whole(w, errs, acdconf.FieldLevel, pf.Get("level"))
	if len(errs) == 0 {
		errs.add(acdconf.CheckMember(w, m))
	}
	all, err := c.db.Agents(ctx)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(all, func(a store.Agent) bool { return a.Extension == m.Extension }) {
		errs[acdconf.FieldExtension] = c.tr(v, "aa.noseat")
	}
	if len(errs) > 0 {
		return c.queueAgain(v, http.StatusBadRequest, false, formOfQueue(q), q, formErrors{}, errs)
	}
	if err := c.db.SetMembership(ctx, q.Name, m.Extension, m, v.user.Username); err != nil {
		return err
	}
	if err := c.reload(v); err != nil {
		return err
	}
	return redirect(v, "/admin/queues/"+url.PathEscape(q.Name)+"?done=membersaved#members")
}

// memberRemove takes a seat out of the queue, as `ascolto queue member
// remove` does.
func (c *Console) memberRemove(v *visit) error {
	ctx := v.r.Context()
	q, err := c.db.QueueByName(ctx, v.r.PathValue("name"))
	if err != nil {
		return err
	}
	ext := v.r.PathValue("ext")
	if !slices.ContainsFunc(q.Members, func(m store.Member) bool { return m.Extension == ext }) {
		return failure(http.StatusNotFound, "error.notfound")
	}
	if err := c.db.RemoveMembership(ctx, q.Name, ext, v.user.Username); err != nil {
		return err
	}
	if err := c.reload(v); err != nil {
		return err
	}
	return redirect(v, "/admin/queues/"+url.PathEscape(q.Name)+"?done=memberremoved#members")
}

// ---- Seats ----

type seatRow struct {
	store.Agent
	Queues string
}

type seatsData struct {
	Seats    []seatRow
	CSV      string
	Problems []string
}

func (c *Console) seatsPage(v *visit) error {
	return c.seatsAgain(v, http.StatusOK, "", nil, "")
}

func (c *Console) seatsAgain(v *visit, code int, csv string, problems []string, problem string) error {
	ctx := v.r.Context()
	all, err := c.db.Agents(ctx)
	if err != nil {
		return err
	}
	qs, err := c.db.Queues(ctx)
	if err != nil {
		return err
	}
	of := acdconf.AgentQueues(qs)
	d := seatsData{CSV: csv, Problems: problems}
	for _, a := range all {
		d.Seats = append(d.Seats, seatRow{Agent: a, Queues: strings.Join(of[a.Extension], ", ")})
	}
	pg := c.newPage(v, "aa.seats", d)
	if problem != "" {
		pg.Problem = problem
	}
	return c.render(v, code, "acd_seats", pg)
}

type seatData struct {
	New    bool
	Seat   store.Agent
	Errs   formErrors
	Sites  []store.Site
	Queues []string
	In     []string // the queues ticked
	Phones []string
}

func (c *Console) seatNewPage(v *visit) error {
	return c.seatAgain(v, http.StatusOK, true, acdconf.NewSeat(""), nil, formErrors{})
}

func (c *Console) seatPage(v *visit) error {
	ctx := v.r.Context()
	s, err := c.seatByExt(ctx, v.r.PathValue("ext"))
	if err != nil {
		return err
	}
	qs, err := c.db.Queues(ctx)
	if err != nil {
		return err
	}
	return c.seatAgain(v, http.StatusOK, false, s, acdconf.AgentQueues(qs)[s.Extension], formErrors{})
}

func (c *Console) seatByExt(ctx context.Context, ext string) (store.Agent, error) {
	all, err := c.db.Agents(ctx)
	if err != nil {
		return store.Agent{}, err
	}
	if i := slices.IndexFunc(all, func(a store.Agent) bool { return a.Extension == ext }); i >= 0 {
		return all[i], nil
	}
	return store.Agent{}, failure(http.StatusNotFound, "error.notfound")
}

func (c *Console) seatAgain(v *visit, code int, isNew bool, s store.Agent, in []string, errs formErrors) error {
	ctx := v.r.Context()
	d := seatData{New: isNew, Seat: s, Errs: errs, In: in, Phones: acdconf.PhoneKinds}
	var err error
	if d.Sites, err = c.db.Sites(ctx); err != nil {
		return err
	}
	qs, err := c.db.Queues(ctx)
	if err != nil {
		return err
	}
	for _, q := range qs {
		d.Queues = append(d.Queues, q.Name)
	}
	title := "aa.seat"
	if isNew {
		title = "aa.newseat"
	}
	pg := c.newPage(v, title, d)
	if len(errs) > 0 {
		pg.Problem = pg.T("aa.fix")
	}
	return c.render(v, code, "acd_seat", pg)
}

// seatSave creates a seat (POST /admin/seats) or changes one (POST
// /admin/seats/{ext}) with exactly the queues ticked, as `ascolto agent
// add EXT --queues …` does.
func (c *Console) seatSave(v *visit) error {
	ctx := v.r.Context()
	w := c.words(v)
	pf := v.r.PostForm
	all, err := c.db.Agents(ctx)
	if err != nil {
		return err
	}
	isNew := v.r.PathValue("ext") == ""
	errs := formErrors{}
	var s store.Agent
	if isNew {
		ext := strings.TrimSpace(pf.Get("extension"))
		s = acdconf.NewSeat(ext)
		if !errs.add(acdconf.CheckExtension(w, ext)) && slices.ContainsFunc(all, func(a store.Agent) bool { return a.Extension == ext }) {
			errs[acdconf.FieldExtension] = c.tr(v, "aa.seattaken")
		}
	} else if s, err = c.seatByExt(ctx, v.r.PathValue("ext")); err != nil {
		return err
	}
	s.Endpoint = strings.TrimSpace(pf.Get("endpoint"))
	errs.add(acdconf.CheckEndpoint(w, s.Endpoint))
	s.Name = strings.TrimSpace(pf.Get("name"))
	s.Site = pf.Get("site")
	s.Username = strings.TrimSpace(pf.Get("user"))
	s.PhoneKind = pf.Get("phone")
	errs.add(acdconf.CheckPhone(w, s.PhoneKind))
	in, err := acdconf.QueueNames(w, strings.Join(pf["queues"], ","))
	errs.add(err)
	if len(errs) == 0 {
		for _, check := range []error{acdconf.CheckSeat(ctx, w, c.db, s, all), acdconf.CheckQueuesExist(ctx, w, c.db, in)} {
			if check != nil && !errs.add(check) {
				return check
			}
		}
	}
	if len(errs) > 0 {
		return c.seatAgain(v, http.StatusBadRequest, isNew, s, pf["queues"], errs)
	}
	if err := c.db.SaveAgent(ctx, &s, v.user.Username); err != nil {
		if errors.Is(err, store.ErrConflict) {
			errs[acdconf.FieldUser] = c.tr(v, "aa.userseat")
			return c.seatAgain(v, http.StatusConflict, isNew, s, in, errs)
		}
		return err
	}
	if _, _, err := acdconf.SetAgentQueues(ctx, c.db, s.Extension, in, v.user.Username); err != nil {
		return err
	}
	if err := c.reload(v); err != nil {
		return err
	}
	done := "seatsaved"
	if isNew {
		done = "seatcreated"
	}
	return redirect(v, "/admin/seats/"+url.PathEscape(s.Extension)+"?done="+done)
}

// seatsImport creates or updates the seats of a pasted CSV, as `ascolto
// agent import` does: every line checked first, nothing saved if one is
// wrong, one reload at the end.
func (c *Console) seatsImport(v *visit) error {
	ctx := v.r.Context()
	w := c.words(v)
	src := v.r.PostForm.Get("csv")
	rows, problems, err := acdconf.ReadSeats(ctx, w, c.db, strings.NewReader(src))
	var fe *acdconf.FieldError
	switch {
	case errors.As(err, &fe):
		return c.seatsAgain(v, http.StatusBadRequest, src, nil, fe.Msg)
	case err != nil:
		return err
	case len(problems) > 0:
		return c.seatsAgain(v, http.StatusBadRequest, src, problems, c.tr(v, "aa.importrefused"))
	case len(rows) == 0:
		return c.seatsAgain(v, http.StatusBadRequest, src, nil, c.tr(v, "aa.importempty"))
	}
	created, updated, err := acdconf.ImportSeats(ctx, w, c.db, rows, v.user.Username)
	if err != nil {
		return err
	}
	if err := c.reload(v); err != nil {
		return err
	}
	return redirect(v, "/admin/seats?done=imported&new="+strconv.Itoa(created)+"&updated="+strconv.Itoa(updated))
}

// ---- Roster ----

type rosterData struct {
	Roster RosterView
	None   bool
	YAML   string
	Now    time.Time
}

func (c *Console) rosters() (RosterBackend, error) {
	rb, ok := c.backend.(RosterBackend)
	if !ok {
		return nil, ErrNotWired
	}
	return rb, nil
}

func (c *Console) rosterPage(v *visit) error {
	return c.rosterAgain(v, http.StatusOK, "", "")
}

func (c *Console) rosterAgain(v *visit, code int, yaml, problem string) error {
	rb, err := c.rosters()
	if err != nil {
		return err
	}
	d := rosterData{Now: c.clock.Now()}
	d.Roster, err = rb.Roster(v.r.Context(), d.Now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.None = true
	case err != nil:
		return err
	}
	d.YAML = d.Roster.YAML
	if yaml != "" {
		d.YAML = yaml
	}
	pg := c.newPage(v, "aa.roster", d)
	pg.Problem = problem
	return c.render(v, code, "acd_roster", pg)
}

// rosterSave stores an edited roster as a new version, as `ascolto oncall
// roster import` does with a YAML file.
func (c *Console) rosterSave(v *visit) error {
	rb, err := c.rosters()
	if err != nil {
		return err
	}
	src := strings.ReplaceAll(v.r.PostForm.Get("yaml"), "\r\n", "\n")
	if strings.TrimSpace(src) == "" {
		return c.rosterAgain(v, http.StatusBadRequest, src, c.tr(v, "aa.rosterempty"))
	}
	ver, err := rb.ImportRoster(v.r.Context(), v.actor(), []byte(src), strings.TrimSpace(v.r.PostForm.Get("comment")))
	if errors.Is(err, store.ErrInvalid) {
		return c.rosterAgain(v, http.StatusBadRequest, src, c.tr(v, "aa.rosterbad")+" "+strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": "))
	}
	if err != nil {
		return err
	}
	return redirect(v, "/admin/roster?done=rostersaved&version="+strconv.FormatInt(ver, 10))
}
