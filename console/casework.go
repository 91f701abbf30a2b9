package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ascolto/ascolto/store"
)

// Case work: the case list's filters and pages, who follows a case and by
// when, duplicate suggestions, and the canned replies admins keep for the
// email reply form. Every change goes through the store, audited there.

// Case-list paging.
const casesPerPage = 25

// PermCannedReplies lets a role manage canned replies and the channels'
// response times.
const PermCannedReplies Permission = "cases.canned"

// caseFilters is the case list's filter state, read from and written back
// to the URL so a filtered list is a link to share.
type caseFilters struct {
	Status, Category, Urgency, Channel string
	Comune                             string // as typed: an ISTAT code or a comune's name
	ComuneCode                         string
	Owner                              string // "" any, "me", "-" nobody, or a user name
	Event                              int64
	Overdue                            bool
	Sort                               string // "" newest first, "due"
	Page                               int
}

// active reports whether any filter narrows the list.
func (f caseFilters) active() bool {
	return f.Category != "" || f.Urgency != "" || f.Channel != "" || f.ComuneCode != "" || f.Owner != "" ||
		f.Event != 0 || f.Overdue
}

// values writes the filters (and the search text) as URL parameters,
// leaving out what is empty.
func (f caseFilters) values(q string, page int) url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("q", q)
	v.Set("status", f.Status) // kept even when empty: "any status" differs from the first visit's "open"
	set("category", f.Category)
	set("urgency", f.Urgency)
	set("channel", f.Channel)
	set("comune", f.Comune)
	set("owner", f.Owner)
	if f.Event != 0 {
		v.Set("event", strconv.FormatInt(f.Event, 10))
	}
	if f.Overdue {
		v.Set("overdue", "1")
	}
	set("sort", f.Sort)
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v
}

// URL is the list with these filters on a page.
func (f caseFilters) URL(q string, page int) string { return "/cases?" + f.values(q, page).Encode() }

// SortURL is the list sorted by due time, or newest first again.
func (f caseFilters) SortURL(q, sort string) string {
	f.Sort = sort
	return f.URL(q, 1)
}

// parseCaseFilters reads the filters of the case list's URL; anything
// unknown is a 400 that says which field is wrong.
func (c *Console) parseCaseFilters(ctx context.Context, v *visit, q url.Values) (caseFilters, error) {
	f := caseFilters{Status: q.Get("status"), Category: q.Get("category"), Urgency: q.Get("urgency"),
		Channel: q.Get("channel"), Comune: strings.TrimSpace(q.Get("comune")), Owner: q.Get("owner"),
		Overdue: q.Get("overdue") == "1", Sort: q.Get("sort")}
	// The first visit lists the open cases; once the form is used, an
	// empty status means any.
	if len(q) == 0 {
		f.Status = "open"
	}
	switch f.Status {
	case "", "open", "closed", "merged":
	default:
		return f, failure(http.StatusBadRequest, "case.badstatus")
	}
	switch f.Urgency {
	case "", store.UrgencyNone, store.UrgencyElevated, store.UrgencyRescue:
	default:
		return f, failure(http.StatusBadRequest, "cw.badurgency")
	}
	switch f.Channel {
	case "", store.ChannelPhone, store.ChannelFax, store.ChannelWeb, store.ChannelEmail:
	default:
		return f, failure(http.StatusBadRequest, "cw.badchannel")
	}
	switch f.Sort {
	case "", store.SortDue:
	default:
		return f, failure(http.StatusBadRequest, "cw.badsort")
	}
	if len(f.Category) > 64 || len(f.Owner) > 64 {
		return f, failure(http.StatusBadRequest, "error.invalid")
	}
	if s := q.Get("event"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return f, failure(http.StatusBadRequest, "cw.badevent")
		}
		f.Event = id
	}
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			return f, failure(http.StatusBadRequest, "cw.badpage")
		}
		f.Page = n
	}
	if f.Page == 0 {
		f.Page = 1
	}
	if f.Comune != "" {
		code, err := c.comuneCode(ctx, f.Comune)
		if err != nil {
			return f, err
		}
		f.ComuneCode = code
	}
	return f, nil
}

// comuneCode reads a comune typed in the filter: its ISTAT code, a label
// picked from the type-ahead ("Faenza (RA) · 039010"), or a name that only
// one comune has.
func (c *Console) comuneCode(ctx context.Context, s string) (string, error) {
	if utf8.RuneCountInString(s) > 80 {
		return "", failure(http.StatusBadRequest, "cw.badcomune")
	}
	if i := strings.LastIndex(s, "·"); i >= 0 {
		s = strings.TrimSpace(s[i+len("·"):])
	}
	idx, err := c.places.get(ctx, c.db)
	if err != nil {
		return "", err
	}
	if sixDigits(s) {
		if _, ok := idx.ByCode(s); ok {
			return s, nil
		}
		return "", failure(http.StatusBadRequest, "cw.badcomune")
	}
	if ps := idx.Exact(s); len(ps) == 1 {
		return ps[0].Code, nil
	} else if len(ps) > 1 {
		return "", failure(http.StatusBadRequest, "cw.ambiguouscomune")
	}
	return "", failure(http.StatusBadRequest, "cw.badcomune")
}

// query is the store's question for these filters, as v's user asks it.
func (f caseFilters) query(v *visit, text string) store.CaseQuery {
	owner := f.Owner
	if owner == "me" {
		owner = v.user.Username
	}
	return store.CaseQuery{Text: text, Status: f.Status, Category: f.Category, Urgency: f.Urgency, Channel: f.Channel,
		Comune: f.ComuneCode, Owner: owner, EventID: f.Event, Overdue: f.Overdue, Sort: f.Sort,
		Limit: casesPerPage, Offset: (f.Page - 1) * casesPerPage}
}

// caseListChoices are the filter form's options.
type caseListChoices struct {
	Categories []store.Term
	Events     []store.EmergencyEvent
	Users      []store.User
	UserNames  map[string]string // user name → display name
}

func (c *Console) caseListChoices(ctx context.Context) (caseListChoices, error) {
	var ch caseListChoices
	var err error
	if ch.Categories, err = c.db.Terms(ctx, store.Categories, true); err != nil {
		return ch, err
	}
	if ch.Events, err = c.db.Events(ctx, false); err != nil {
		return ch, err
	}
	users, err := c.db.Users(ctx)
	if err != nil {
		return ch, err
	}
	ch.UserNames = map[string]string{}
	for _, u := range users {
		ch.UserNames[u.Username] = cmpOr(u.DisplayName, u.Username)
		if !u.Disabled {
			ch.Users = append(ch.Users, u)
		}
	}
	return ch, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// caseWork is the case page's part about who follows the case and by
// when, and which cases may be the same request.
type caseWork struct {
	Now         time.Time
	Users       []store.User
	UserNames   map[string]string
	Suggestions []store.Case
	Canned      []store.CannedReply
	DueLocal    string // the due time for the datetime-local field
}

// localLayout is the value format of an <input type="datetime-local">.
const localLayout = "2006-01-02T15:04"

func (c *Console) caseWork(ctx context.Context, cs store.Case) (caseWork, error) {
	w := caseWork{Now: c.clock.Now()}
	ch, err := c.caseListChoices(ctx)
	if err != nil {
		return w, err
	}
	w.Users, w.UserNames = ch.Users, ch.UserNames
	if w.Suggestions, err = c.db.DuplicateSuggestions(ctx, cs); err != nil {
		return w, err
	}
	if w.Canned, err = c.db.CannedReplies(ctx, ""); err != nil {
		return w, err
	}
	if !cs.DueAt.IsZero() {
		w.DueLocal = cs.DueAt.In(c.loc()).Format(localLayout)
	}
	return w, nil
}

// loc is the time zone people read times in.
func (c *Console) loc() *time.Location {
	if loc, err := time.LoadLocation("Europe/Rome"); err == nil {
		return loc
	}
	return time.UTC
}

// caseAssign gives the case to the signed-in user ("me"), to a colleague,
// or to nobody.
func (c *Console) caseAssign(v *visit) error {
	cs, err := c.openCase(v)
	if err != nil {
		return err
	}
	owner := strings.TrimSpace(v.r.PostForm.Get("owner"))
	switch owner {
	case "me":
		owner = v.user.Username
	case "-":
		owner = ""
	}
	if len(owner) > 64 {
		return failure(http.StatusBadRequest, "cw.badowner")
	}
	if err := c.db.AssignCase(v.r.Context(), cs.ID, owner, v.user.Username); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return failure(http.StatusBadRequest, "cw.badowner")
		}
		return err
	}
	done := "assigned"
	if owner == "" {
		done = "unassigned"
	}
	return redirect(v, caseURL(cs, done, "work"))
}

// caseDue sets the case's due time (Italian time), or clears it.
func (c *Console) caseDue(v *visit) error {
	cs, err := c.openCase(v)
	if err != nil {
		return err
	}
	var due time.Time
	if s := strings.TrimSpace(v.r.PostForm.Get("due")); s != "" && v.r.PostForm.Get("clear") == "" {
		if due, err = time.ParseInLocation(localLayout, s, c.loc()); err != nil {
			return failure(http.StatusBadRequest, "cw.baddue")
		}
	} else if v.r.PostForm.Get("clear") == "" {
		return failure(http.StatusBadRequest, "cw.baddue")
	}
	if err := c.db.SetCaseDue(v.r.Context(), cs.ID, due, v.user.Username); err != nil {
		return err
	}
	return redirect(v, caseURL(cs, "duechanged", "work"))
}

// cannedData is the canned replies' admin page.
type cannedData struct {
	Replies   []store.CannedReply
	Templates []string // mail template names a reply can fill
	SLAs      []store.CaseSLA
	Form      store.CannedReply
	Editing   bool
}

func (c *Console) cannedTemplates() []string {
	if c.mailer == nil {
		return []string{"risposta"}
	}
	var out []string
	for _, t := range c.mailer.Templates().List("it") {
		if !t.Closes {
			out = append(out, t.Name)
		}
	}
	return out
}

func (c *Console) cannedPage(v *visit) error {
	ctx := v.r.Context()
	d := cannedData{Templates: c.cannedTemplates(), Form: store.CannedReply{Lang: "it", Template: "risposta"}}
	var err error
	if d.Replies, err = c.db.CannedReplies(ctx, ""); err != nil {
		return err
	}
	if d.SLAs, err = c.db.CaseSLAs(ctx); err != nil {
		return err
	}
	return c.render(v, http.StatusOK, "replies", c.newPage(v, "cw.replies", d))
}

func (c *Console) cannedEditPage(v *visit) error {
	r, err := c.cannedFor(v)
	if err != nil {
		return err
	}
	d := cannedData{Templates: c.cannedTemplates(), Form: r, Editing: true}
	return c.render(v, http.StatusOK, "reply_edit", c.newPage(v, "cw.editreply", d))
}

func (c *Console) cannedFor(v *visit) (store.CannedReply, error) {
	id, err := strconv.ParseInt(v.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.CannedReply{}, failure(http.StatusNotFound, "error.notfound")
	}
	return c.db.CannedReplyByID(v.r.Context(), id)
}

// cannedSave creates a canned reply (POST /admin/replies) or changes one
// (POST /admin/replies/{id}).
func (c *Console) cannedSave(v *visit) error {
	var r store.CannedReply
	if v.r.PathValue("id") != "" {
		var err error
		if r, err = c.cannedFor(v); err != nil {
			return err
		}
	}
	f := v.r.PostForm
	r.Title, r.Lang, r.Template, r.Body = f.Get("title"), f.Get("lang"), f.Get("template"), f.Get("body")
	known := false
	for _, t := range c.cannedTemplates() {
		known = known || t == r.Template
	}
	switch {
	case !known:
		return failure(http.StatusBadRequest, "case.badtemplate")
	case strings.TrimSpace(r.Title) == "" || utf8.RuneCountInString(r.Title) > store.MaxCannedTitle:
		return failure(http.StatusBadRequest, "cw.badtitle")
	case strings.TrimSpace(r.Body) == "" || len(r.Body) > store.MaxCannedBody:
		return failure(http.StatusBadRequest, "cw.badbody")
	case r.Lang != "it" && r.Lang != "en":
		return failure(http.StatusBadRequest, "cw.badlang")
	}
	done := "cannedsaved"
	if r.ID == 0 {
		done = "cannedcreated"
	}
	if err := c.db.SaveCannedReply(v.r.Context(), &r, v.user.Username); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return failure(http.StatusConflict, "cw.titletaken")
		}
		return err
	}
	return redirect(v, "/admin/replies?done="+done+"#canned-"+strconv.FormatInt(r.ID, 10))
}

func (c *Console) cannedDelete(v *visit) error {
	r, err := c.cannedFor(v)
	if err != nil {
		return err
	}
	if v.r.PostForm.Get("confirm") != "yes" {
		return failure(http.StatusBadRequest, "case.confirm")
	}
	if err := c.db.DeleteCannedReply(v.r.Context(), r.ID, v.user.Username); err != nil {
		return err
	}
	return redirect(v, "/admin/replies?done=canneddeleted")
}

// slaSave changes the channels' response times (for cases opened from now on).
func (c *Console) slaSave(v *visit) error {
	ctx := v.r.Context()
	slas, err := c.db.CaseSLAs(ctx)
	if err != nil {
		return err
	}
	for _, s := range slas {
		raw := strings.TrimSpace(v.r.PostForm.Get("hours-" + s.Channel))
		if raw == "" {
			continue
		}
		h, err := strconv.Atoi(raw)
		if err != nil || h < 0 || h > store.MaxSLAHours {
			return failure(http.StatusBadRequest, "cw.badhours")
		}
		if h == s.WorkingHours {
			continue
		}
		if err := c.db.SetCaseSLA(ctx, s.Channel, h, v.user.Username); err != nil {
			return err
		}
	}
	return redirect(v, "/admin/replies?done=slasaved#sla")
}

// cannedFor the reply form: a canned reply picked fills the text, the
// template and the language the operator left to it.
func (c *Console) applyCanned(ctx context.Context, id string, name, lang, text *string) (string, error) {
	if id == "" {
		return "", nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return "", failure(http.StatusBadRequest, "cw.badcanned")
	}
	r, err := c.db.CannedReplyByID(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return "", failure(http.StatusBadRequest, "cw.badcanned")
	}
	if err != nil {
		return "", err
	}
	if *text == "" {
		*text, *lang = r.Body, r.Lang
	}
	if *name == "" {
		*name = r.Template
	}
	return fmt.Sprintf("%d %s", r.ID, r.Title), nil
}

// MountCasework registers the case-work forms and the canned replies'
// admin pages, and adds their words to the catalog.
func (c *Console) MountCasework(m Mux) {
	c.cat.add(caseworkCatalog)
	signed := func(p Permission, h func(*visit) error) http.Handler {
		return route{c: c, access: accessSignedIn, perm: p, h: h}
	}
	m.Handle("POST /cases/{tid}/assign", signed(PermCaseWrite, c.caseAssign))
	m.Handle("POST /cases/{tid}/due", signed(PermCaseWrite, c.caseDue))
	m.Handle("GET /admin/replies", signed(PermCannedReplies, c.cannedPage))
	m.Handle("POST /admin/replies", signed(PermCannedReplies, c.cannedSave))
	m.Handle("GET /admin/replies/{id}", signed(PermCannedReplies, c.cannedEditPage))
	m.Handle("POST /admin/replies/{id}", signed(PermCannedReplies, c.cannedSave))
	m.Handle("POST /admin/replies/{id}/delete", signed(PermCannedReplies, c.cannedDelete))
	m.Handle("POST /admin/sla", signed(PermCannedReplies, c.slaSave))
}
