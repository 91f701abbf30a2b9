package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
)

// Case-view limits.
const (
	maxCaseQuery = 200
	maxCaseNote  = 4000
	maxReplyText = 8000
)

// casesData is the case list: search, filters and one page of cases.
type casesData struct {
	Query    string
	Status   string
	Searched bool
	Cases    []store.Case
	Labels   termLabels
	F        caseFilters
	caseListChoices
	Total, Pages int
	PrevURL      string
	NextURL      string
	Now          time.Time
}

// termLabels translate vocabulary codes on a page.
type termLabels struct {
	Category, Outcome, CallerType map[string]string
}

func (c *Console) labels(ctx context.Context, lang string) (termLabels, error) {
	l := termLabels{Category: map[string]string{}, Outcome: map[string]string{}, CallerType: map[string]string{}}
	for _, voc := range []struct {
		v  store.Vocabulary
		to map[string]string
	}{{store.Categories, l.Category}, {store.Outcomes, l.Outcome}, {store.CallerTypes, l.CallerType}} {
		terms, err := c.db.Terms(ctx, voc.v, true)
		if err != nil {
			return l, err
		}
		for _, t := range terms {
			voc.to[t.Code] = t.Label(lang)
		}
	}
	return l, nil
}

// casesPage finds cases by tracking id, phone, email, comune or words,
// narrowed by the filters (status, category, urgency, channel, comune,
// owner, emergency, overdue), newest or soonest due first, a page at a
// time; the first visit lists the latest open cases.
func (c *Console) casesPage(v *visit) error {
	ctx := v.r.Context()
	q := v.r.URL.Query()
	d := casesData{Query: strings.TrimSpace(q.Get("q")), Now: c.clock.Now()}
	if utf8.RuneCountInString(d.Query) > maxCaseQuery {
		return failure(http.StatusBadRequest, "kb.querylong")
	}
	var err error
	if d.F, err = c.parseCaseFilters(ctx, v, q); err != nil {
		return err
	}
	d.Status = d.F.Status
	if d.Labels, err = c.labels(ctx, v.lang); err != nil {
		return err
	}
	if d.caseListChoices, err = c.caseListChoices(ctx); err != nil {
		return err
	}
	d.Searched = d.Query != "" || d.F.active() || d.F.Sort != "" || d.F.Status != "open"
	sq := d.F.query(v, d.Query)
	d.Cases, err = c.db.SearchCases(ctx, sq)
	if errors.Is(err, store.ErrNotFound) && d.Query != "" {
		err = nil
	}
	if errors.Is(err, store.ErrNotFound) && d.F.Event != 0 {
		return failure(http.StatusBadRequest, "cw.badevent")
	}
	if err != nil {
		return err
	}
	// A well-formed tracking id that matches leads straight to the case.
	if len(d.Cases) == 1 && store.ValidTrackingID(strings.ToUpper(d.Query)) {
		return redirect(v, "/cases/"+d.Cases[0].TrackingID)
	}
	if d.Total, err = c.db.CountCases(ctx, sq); err != nil {
		return err
	}
	d.Pages = max(1, (d.Total+casesPerPage-1)/casesPerPage)
	if d.F.Page > 1 {
		d.PrevURL = d.F.URL(d.Query, d.F.Page-1)
	}
	if d.F.Page < d.Pages {
		d.NextURL = d.F.URL(d.Query, d.F.Page+1)
	}
	return c.render(v, http.StatusOK, "cases", c.newPage(v, "case.searchtitle", d))
}

// caseData is the case view.
type caseData struct {
	store.CaseTimeline
	Comune       string
	Dispositions []store.Disposition
	Pins         []store.KBPin
	Deliveries   []store.OutboxMessage
	Templates    []mail.Template
	MailOn       bool
	Labels       termLabels
	Outcomes     []store.Term
	OpenReviews  int
	Work         caseWork
	// Rescue is the structured rescue request the agent recorded (nil
	// when the case has none).
	Rescue *store.RescueDetails
}

// caseFor reads the {tid} of the path. A merged case answers with the
// case it was merged into.
func (c *Console) caseFor(v *visit) (store.Case, error) {
	tid := strings.ToUpper(strings.TrimSpace(v.r.PathValue("tid")))
	if !store.ValidTrackingID(tid) {
		return store.Case{}, failure(http.StatusNotFound, "error.notfound")
	}
	cs, err := c.db.CaseByTrackingID(v.r.Context(), tid)
	if err != nil {
		return store.Case{}, err
	}
	return cs, nil
}

// casePage is the full timeline of a case on every channel, with its
// review flags, and the forms to note, reply, merge and close.
func (c *Console) casePage(v *visit) error {
	ctx := v.r.Context()
	cs, err := c.caseFor(v)
	if err != nil {
		return err
	}
	if cs.Status == "merged" {
		s, err := c.db.SurvivingCase(ctx, cs.ID)
		if err != nil {
			return err
		}
		q := url.Values{"from": {cs.TrackingID}}
		return redirect(v, "/cases/"+s.TrackingID+"?"+q.Encode())
	}
	d := caseData{MailOn: c.mailer != nil}
	if d.CaseTimeline, err = c.db.FullTimeline(ctx, cs.ID); err != nil {
		return err
	}
	if cs.ComuneCode != "" {
		if p, err := c.db.ComuneByCode(ctx, cs.ComuneCode); err == nil {
			d.Comune = p.Label()
		}
	}
	if d.Dispositions, err = c.db.Dispositions(ctx, cs.ID); err != nil {
		return err
	}
	if d.Pins, err = c.db.KBPins(ctx, cs.ID); err != nil {
		return err
	}
	if r, err := c.db.RescueDetailsOf(ctx, cs.ID); err == nil {
		d.Rescue = &r
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if d.Labels, err = c.labels(ctx, v.lang); err != nil {
		return err
	}
	if d.Outcomes, err = c.db.Terms(ctx, store.Outcomes, false); err != nil {
		return err
	}
	if d.Work, err = c.caseWork(ctx, d.Case); err != nil {
		return err
	}
	for _, r := range d.Reviews {
		if r.ResolvedAt.IsZero() {
			d.OpenReviews++
		}
	}
	if c.mailer != nil {
		if d.Deliveries, err = c.mailer.Deliveries(ctx, cs.ID); err != nil {
			return err
		}
		d.Templates = c.mailer.Templates().List(v.lang)
	}
	p := c.newPage(v, "case.title", d)
	p.Scripts = []string{"case.js"}
	if from := v.r.URL.Query().Get("from"); store.ValidTrackingID(from) {
		p.Notice = p.Tf("case.mergedfrom", from, cs.TrackingID)
	}
	return c.render(v, http.StatusOK, "case", p)
}

// openCase is caseFor for the forms: they act on open or closed cases,
// never on one merged away.
func (c *Console) openCase(v *visit) (store.Case, error) {
	cs, err := c.caseFor(v)
	if err != nil {
		return cs, err
	}
	if cs.Status == "merged" {
		return cs, failure(http.StatusConflict, "case.ismerged")
	}
	return cs, nil
}

func caseURL(cs store.Case, done, anchor string) string {
	u := "/cases/" + cs.TrackingID
	if done != "" {
		u += "?done=" + done
	}
	if anchor != "" {
		u += "#" + anchor
	}
	return u
}

// caseNote adds an operator's note to the timeline.
func (c *Console) caseNote(v *visit) error {
	cs, err := c.openCase(v)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(v.r.PostForm.Get("note"))
	if text == "" {
		return failure(http.StatusBadRequest, "case.notemissing")
	}
	if len(text) > maxCaseNote {
		return failure(http.StatusBadRequest, "case.notelong")
	}
	ctx := v.r.Context()
	err = c.db.InTx(ctx, func(tx *store.Tx) error {
		n := store.Contact{CaseID: cs.ID, Channel: store.ChannelNote, Direction: "internal", Author: v.user.Username, Content: text}
		if err := tx.AddContact(ctx, &n); err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Actor: v.user.Username, Action: "case.note", Object: fmt.Sprintf("case:%d", cs.ID),
			Remote: v.remote})
	})
	if err != nil {
		return err
	}
	return redirect(v, caseURL(cs, "noted", "timeline"))
}

// caseReply answers the citizen by email with a template.
func (c *Console) caseReply(v *visit) error {
	if c.mailer == nil {
		return failure(http.StatusServiceUnavailable, "case.nomail")
	}
	cs, err := c.openCase(v)
	if err != nil {
		return err
	}
	f := v.r.PostForm
	lang := f.Get("lang")
	if lang != "en" {
		lang = "it"
	}
	name, text, to := f.Get("template"), strings.TrimSpace(f.Get("text")), strings.TrimSpace(f.Get("to"))
	canned, err := c.applyCanned(v.r.Context(), f.Get("canned"), &name, &lang, &text)
	if err != nil {
		return err
	}
	var tpl *mail.Template
	for _, t := range c.mailer.Templates().List(lang) {
		if t.Name == name {
			tpl = &t
		}
	}
	// The closing model closes the case with it: a citizen told the case
	// is closed must find it closed. It closes first, so a failure leaves
	// an open case and no message rather than a message that is untrue.
	closing := tpl != nil && tpl.Closes && cs.Status == "open"
	outcome := f.Get("outcome")
	switch {
	case name == "":
		return failure(http.StatusBadRequest, "case.choosetemplate")
	case tpl == nil:
		return failure(http.StatusBadRequest, "case.badtemplate")
	case len(text) > maxReplyText:
		return failure(http.StatusBadRequest, "case.replylong")
	case tpl.NeedsText && text == "":
		return failure(http.StatusBadRequest, "case.replytext")
	case to != "" && (len(to) > 254 || !strings.Contains(to, "@") || strings.ContainsAny(to, "\r\n")):
		return failure(http.StatusBadRequest, "case.badto")
	case to == "" && cs.ContactEmail == "":
		return failure(http.StatusBadRequest, "case.noaddress")
	}
	ctx := v.r.Context()
	done := "replied"
	if closing {
		known, err := c.knownOutcome(ctx, outcome)
		if err != nil {
			return err
		}
		if !known {
			return failure(http.StatusBadRequest, "case.replycloses")
		}
		if err := c.db.CloseCase(ctx, cs.ID, outcome, v.user.Username); err != nil {
			return err
		}
		done = "repliedclosed"
	}
	if _, err := c.mailer.Reply(ctx, mail.ReplyRequest{CaseID: cs.ID, Template: name, Lang: lang, Text: text,
		Author: v.user.Username, To: to, Canned: canned}); err != nil {
		return err
	}
	return redirect(v, caseURL(cs, done, "mail"))
}

// caseMerge folds a duplicate (named by its tracking id) into this case,
// after the operator confirmed.
func (c *Console) caseMerge(v *visit) error {
	cs, err := c.openCase(v)
	if err != nil {
		return err
	}
	if v.r.PostForm.Get("confirm") != "yes" {
		return failure(http.StatusBadRequest, "case.confirm")
	}
	dupID := strings.ToUpper(strings.TrimSpace(v.r.PostForm.Get("duplicate")))
	if !store.ValidTrackingID(dupID) {
		return failure(http.StatusBadRequest, "kb.badcase")
	}
	ctx := v.r.Context()
	dup, err := c.db.CaseByTrackingID(ctx, dupID)
	if err != nil {
		return err
	}
	if err := c.db.MergeCases(ctx, cs.ID, dup.ID, v.user.Username); err != nil {
		return err
	}
	return redirect(v, caseURL(cs, "merged", "timeline"))
}

// caseClose closes the case with an outcome, after the operator confirmed.
func (c *Console) caseClose(v *visit) error {
	cs, err := c.openCase(v)
	if err != nil {
		return err
	}
	f := v.r.PostForm
	if f.Get("confirm") != "yes" {
		return failure(http.StatusBadRequest, "case.confirm")
	}
	outcome := f.Get("outcome")
	ctx := v.r.Context()
	known, err := c.knownOutcome(ctx, outcome)
	if err != nil {
		return err
	}
	if !known {
		return failure(http.StatusBadRequest, "case.badoutcome")
	}
	if err := c.db.CloseCase(ctx, cs.ID, outcome, v.user.Username); err != nil {
		return err
	}
	return redirect(v, caseURL(cs, "closed", ""))
}

// knownOutcome says whether code is an outcome of the active list.
func (c *Console) knownOutcome(ctx context.Context, code string) (bool, error) {
	terms, err := c.db.Terms(ctx, store.Outcomes, false)
	if err != nil {
		return false, err
	}
	for _, t := range terms {
		if t.Code == code {
			return true, nil
		}
	}
	return false, nil
}

// caseResolveReview marks one of the case's review flags as dealt with.
func (c *Console) caseResolveReview(v *visit) error {
	cs, err := c.caseFor(v)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(v.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return failure(http.StatusNotFound, "error.notfound")
	}
	ctx := v.r.Context()
	reviews, err := c.db.Reviews(ctx, cs.ID)
	if err != nil {
		return err
	}
	found := false
	for _, r := range reviews {
		found = found || r.ID == id
	}
	if !found {
		return failure(http.StatusNotFound, "error.notfound")
	}
	if err := c.db.ResolveReview(ctx, id, v.user.Username); err != nil {
		return err
	}
	return redirect(v, caseURL(cs, "resolved", "reviews"))
}

// inlineTypes are the only files a browser is allowed to show in place:
// formats that cannot run script. Everything else, HTML and SVG and
// unknown types first of all, is a download.
var inlineTypes = map[string]bool{
	"application/pdf": true, "image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"text/plain": true, "audio/wav": true, "audio/x-wav": true, "audio/mpeg": true, "audio/ogg": true,
}

// caseFile sends one of the case's files with its own content type and a
// Content-Disposition; a sandboxing policy keeps even a mislabelled file
// from running script on the console's origin.
func (c *Console) caseFile(v *visit) error {
	cs, err := c.caseFor(v)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(v.r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return failure(http.StatusNotFound, "error.notfound")
	}
	a, err := c.db.AttachmentData(v.r.Context(), id)
	if err != nil {
		return err
	}
	if a.CaseID != cs.ID {
		return failure(http.StatusNotFound, "error.notfound")
	}
	ctype, params, err := mime.ParseMediaType(a.ContentType)
	if err != nil || !strings.Contains(ctype, "/") {
		ctype, params = "application/octet-stream", nil
	}
	disposition := "attachment"
	if inlineTypes[ctype] && v.r.URL.Query().Get("download") == "" {
		disposition = "inline"
	}
	keep := map[string]string{}
	if cs, ok := params["charset"]; ok && strings.HasPrefix(ctype, "text/") {
		keep["charset"] = cs
	}
	name := a.Filename
	if name == "" {
		name = fmt.Sprintf("allegato-%d", a.ID)
	}
	h := v.w.Header()
	h.Set("Content-Type", mime.FormatMediaType(ctype, keep))
	cd := mime.FormatMediaType(disposition, map[string]string{"filename": name})
	if cd == "" { // a name mime cannot quote: the browser picks one
		cd = disposition
	}
	h.Set("Content-Disposition", cd)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; media-src 'self'")
	h.Set("Cache-Control", "private, no-store")
	// ServeContent answers Range requests: a browser's audio player asks
	// for parts of a recorded message to seek in it (Safari plays nothing
	// without them), and a PDF viewer for the pages it shows.
	http.ServeContent(v.w, v.r, "", a.CreatedAt, bytes.NewReader(a.Data))
	return nil
}
