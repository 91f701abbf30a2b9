package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/store"
)

// The IVR flow's admin pages: the versions, a version drawn as a graph
// with its YAML, the upload of a new version, its diff from the active
// one, activation and rollback. They do what `ascolto ivr` does, through
// the same calls: ivr.Validate and ivr.Load against the prompt catalog and
// the store's queues, store.SaveFlow (audited "ivr.save"), store.ApplyFlow
// ("ivr.apply", as `ivr apply` audits the activation of what it saved) and
// store.ActivateFlow ("ivr.rollback", as `ivr rollback`). The running
// controller follows the active version through the store (live.State
// polls it), whoever changed it.

// PermIVR lets a role manage the IVR flow.
const PermIVR Permission = "ivr.manage"

// maxFlowForm bounds the upload form: the text and a file, each up to the
// largest flow ivr accepts, and the small fields.
const maxFlowForm = 2*ivr.MaxFlowBytes + 64<<10

// maxFlowComment is the longest note an upload may carry, in characters.
const maxFlowComment = 500

// ivrProblem is a validation problem as the page shows it.
type ivrProblem struct {
	Line, Column int
	Node         string
	Message      string
}

// ivrListData is the versions page.
type ivrListData struct {
	Versions []store.FlowVersion
	Active   int64 // 0: the built-in default
	Previous int64 // 0: nothing to roll back to
	Source   string
	Comment  string
	Problems []ivrProblem
}

// ivrFlowData is one version's page: the drawing, the steps in words, the YAML.
type ivrFlowData struct {
	Flow     store.FlowVersion // Version 0: the built-in default
	Ref      string            // the version in URLs: a number or "default"
	Active   int64
	Graph    template.HTML
	Steps    []ivrStepRow
	Problems []ivrProblem // when a stored version no longer validates
}

// ivrStepRow is one step in words.
type ivrStepRow struct {
	ID    string
	Start bool
	Lines []string
	Exits []ivrExitRow
	Ends  bool
}

// ivrExitRow is one way out of a step in words.
type ivrExitRow struct {
	Label string // empty: simply next
	To    string
}

// ivrDiffData is the diff page.
type ivrDiffData struct {
	Flow             store.FlowVersion
	Ref              string
	Active           int64
	ActiveName       string
	Lines            []diffLine
	Removed, Added   int
	CanActivate      bool
	ActiveIsDefault  bool
	VersionIsDefault bool
}

// diffLine is one line of the diff, with its kind for the colours (the
// "+", "-" and "@@" stay in the text: colour is not the only sign).
type diffLine struct {
	Class, Text string
}

// flowCatalog is what a flow is validated against, as the CLI does it: the
// built-in prompt catalog and the queues in the store.
func (c *Console) flowCatalog(ctx context.Context) (ivr.Catalog, error) {
	prompts, err := ivr.DefaultPrompts()
	if err != nil {
		return nil, err
	}
	queues, err := c.db.QueueNames(ctx)
	if err != nil {
		return nil, err
	}
	return ivr.NewCatalog(prompts, queues), nil
}

// activeFlow is the active version's number and source (0 and the
// built-in default's source when none was ever activated).
func (c *Console) activeFlow(ctx context.Context) (int64, []byte, error) {
	f, err := c.db.Flow(ctx, 0)
	if errors.Is(err, store.ErrNotFound) {
		return 0, ivr.DefaultFlowSource(), nil
	}
	if err != nil {
		return 0, nil, err
	}
	return f.Version, []byte(f.Source), nil
}

// flowRef reads the version of the URL: a number, or "default" (0).
func (c *Console) flowRef(v *visit) (store.FlowVersion, error) {
	ref := v.r.PathValue("version")
	if ref == "default" {
		return store.FlowVersion{Name: c.cat.t(v.lang, "ivr.default"), Source: string(ivr.DefaultFlowSource()), CreatedBy: "ascolto"}, nil
	}
	n, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || n <= 0 {
		return store.FlowVersion{}, failure(http.StatusNotFound, "ivr.badversion")
	}
	return c.db.Flow(v.r.Context(), n)
}

func refOf(f store.FlowVersion) string {
	if f.Version == 0 {
		return "default"
	}
	return strconv.FormatInt(f.Version, 10)
}

func (c *Console) ivrListPage(v *visit) error {
	return c.ivrListAgain(v, http.StatusOK, ivrListData{}, "")
}

// ivrListAgain draws the versions page, with what the admin typed and
// the problems found when an upload was refused.
func (c *Console) ivrListAgain(v *visit, code int, d ivrListData, problem string) error {
	ctx := v.r.Context()
	var err error
	if d.Versions, err = c.db.Flows(ctx); err != nil {
		return err
	}
	if d.Active, _, err = c.activeFlow(ctx); err != nil {
		return err
	}
	prev, err := c.db.PreviousFlowVersion(ctx)
	switch {
	case err == nil:
		d.Previous = prev
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	p := c.newPage(v, "ivr.title", d)
	if problem != "" {
		p.Problem = p.T(problem)
	}
	if n := len(d.Problems); n > 0 {
		p.Problem = p.Tf("ivr.problems", n)
		if n == 1 {
			p.Problem = p.T("ivr.problem1")
		}
	}
	return c.render(v, code, "ivr_list", p)
}

// ivrUpload checks a flow from the text box or a file exactly as `ascolto
// ivr validate` does and stores it as a new version, not active.
func (c *Console) ivrUpload(v *visit) error {
	ctx := v.r.Context()
	d := ivrListData{Comment: strings.TrimSpace(v.r.PostForm.Get("comment"))}
	// A browser sends a text box's lines ending in CRLF; the flow is kept
	// as it would be written in a file.
	text := strings.ReplaceAll(v.r.PostForm.Get("source"), "\r\n", "\n")
	d.Source = text
	var src []byte
	file, err := c.uploadedFlow(v)
	if err != nil {
		return err
	}
	switch {
	case file != nil && strings.TrimSpace(text) != "":
		return c.ivrListAgain(v, http.StatusBadRequest, d, "ivr.both")
	case file != nil:
		src = file
	case strings.TrimSpace(text) != "":
		src = []byte(text)
	default:
		return c.ivrListAgain(v, http.StatusBadRequest, d, "ivr.nosource")
	}
	if !utf8.Valid(src) {
		return c.ivrListAgain(v, http.StatusBadRequest, d, "ivr.notutf8")
	}
	d.Source = string(src)
	if utf8.RuneCountInString(d.Comment) > maxFlowComment {
		return c.ivrListAgain(v, http.StatusBadRequest, d, "ivr.badcomment")
	}
	cat, err := c.flowCatalog(ctx)
	if err != nil {
		return err
	}
	if problems := ivr.Validate(src, cat); len(problems) > 0 {
		d.Problems = c.problemsOf(v, problems)
		return c.ivrListAgain(v, http.StatusBadRequest, d, "")
	}
	f, err := ivr.Load(src, cat)
	if err != nil {
		return err
	}
	fv := store.FlowVersion{Name: f.Name(), Source: string(src), Comment: d.Comment}
	if fv.Name == "" {
		// The store wants a name; the CLI's flows all have one, a pasted
		// flow may not.
		fv.Name = "-"
	}
	if err := c.db.SaveFlow(ctx, &fv, false, v.user.Username); err != nil {
		return err
	}
	return redirect(v, fmt.Sprintf("/admin/ivr/%d/diff?done=ivrsaved", fv.Version))
}

// uploadedFlow reads the form's file, if one was chosen (nil otherwise).
func (c *Console) uploadedFlow(v *visit) ([]byte, error) {
	if v.r.MultipartForm == nil || len(v.r.MultipartForm.File["file"]) == 0 {
		return nil, nil
	}
	fh := v.r.MultipartForm.File["file"][0]
	if fh.Size == 0 && fh.Filename == "" {
		return nil, nil // the file field left empty
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("console: open uploaded flow: %w", err)
	}
	defer f.Close()
	// One byte over the limit is enough for ivr to say it is too large.
	b, err := io.ReadAll(io.LimitReader(f, ivr.MaxFlowBytes+1))
	if err != nil {
		return nil, fmt.Errorf("console: read uploaded flow: %w", err)
	}
	if len(b) == 0 {
		return nil, nil
	}
	return b, nil
}

func (c *Console) problemsOf(v *visit, ps []ivr.Problem) []ivrProblem {
	out := make([]ivrProblem, len(ps))
	for i, p := range ps {
		out[i] = ivrProblem{Line: p.Line, Column: p.Column, Node: p.Node, Message: p.Message(v.lang)}
	}
	return out
}

// ivrFlowPage shows one version: the drawing, the steps in words, the YAML.
func (c *Console) ivrFlowPage(v *visit) error {
	ctx := v.r.Context()
	fv, err := c.flowRef(v)
	if err != nil {
		return err
	}
	d := ivrFlowData{Flow: fv, Ref: refOf(fv)}
	if d.Active, _, err = c.activeFlow(ctx); err != nil {
		return err
	}
	cat, err := c.flowCatalog(ctx)
	if err != nil {
		return err
	}
	f, err := ivr.Load([]byte(fv.Source), cat)
	var verr *ivr.ValidationError
	switch {
	case errors.As(err, &verr):
		d.Problems = c.problemsOf(v, verr.Problems)
	case err != nil:
		return err
	default:
		tr := func(k string) string { return c.cat.t(v.lang, k) }
		steps := f.Steps()
		g := drawFlow(steps, f.Start(), tr)
		d.Graph = g.SVG(fmt.Sprintf("%s — %s", c.cat.t(v.lang, "ivr.graph"), fv.Name),
			fmt.Sprintf(c.cat.t(v.lang, "ivr.graphdesc"), len(steps)), c.cat.t(v.lang, "ivr.start"))
		for _, s := range steps {
			row := ivrStepRow{ID: s.ID, Start: s.ID == f.Start(), Lines: stepLines(s, tr)[1:], Ends: s.Kind.Terminal()}
			for _, e := range s.Exits {
				row.Exits = append(row.Exits, ivrExitRow{Label: exitLabel(s, e, tr), To: e.To})
			}
			d.Steps = append(d.Steps, row)
		}
	}
	title := "ivr.default"
	if fv.Version != 0 {
		title = "ivr.version"
	}
	return c.render(v, http.StatusOK, "ivr_flow", c.newPage(v, title, d))
}

// ivrDiffPage shows a version's line diff from the active one, with
// ivr.Diff as `ascolto ivr diff active N` prints it.
func (c *Console) ivrDiffPage(v *visit) error {
	ctx := v.r.Context()
	fv, err := c.flowRef(v)
	if err != nil {
		return err
	}
	active, activeSrc, err := c.activeFlow(ctx)
	if err != nil {
		return err
	}
	d := ivrDiffData{Flow: fv, Ref: refOf(fv), Active: active, ActiveIsDefault: active == 0, VersionIsDefault: fv.Version == 0,
		CanActivate: fv.Version != 0 && fv.Version != active}
	d.ActiveName = c.cat.t(v.lang, "ivr.defaultv")
	if active != 0 {
		d.ActiveName = strconv.FormatInt(active, 10)
	}
	text := ivr.Diff(c.cat.t(v.lang, "ivr.active")+" "+d.ActiveName, activeSrc, c.cat.t(v.lang, "ivr.version")+" "+d.Ref, []byte(fv.Source))
	for i, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if text == "" {
			break
		}
		cls := "d-same"
		switch {
		case i < 2:
			cls = "d-head"
		case strings.HasPrefix(l, "@@"):
			cls = "d-hunk"
		case strings.HasPrefix(l, "+"):
			cls = "d-add"
			d.Added++
		case strings.HasPrefix(l, "-"):
			cls = "d-del"
			d.Removed++
		}
		d.Lines = append(d.Lines, diffLine{Class: cls, Text: l})
	}
	title := "ivr.diffh"
	return c.render(v, http.StatusOK, "ivr_diff", c.newPage(v, title, d))
}

// ivrActivate makes a version the active one. A version newer than the
// active one is applied (as `ivr apply` does, audited "ivr.apply"); an
// older one is rolled back to (as `ivr rollback N`, "ivr.rollback").
// Either way it is loaded against today's queues first, as the CLI does.
func (c *Console) ivrActivate(v *visit) error {
	ctx := v.r.Context()
	fv, err := c.flowRef(v)
	if err != nil {
		return err
	}
	if fv.Version == 0 {
		return failure(http.StatusBadRequest, "ivr.badversion")
	}
	active, _, err := c.activeFlow(ctx)
	if err != nil {
		return err
	}
	if fv.Version == active {
		return redirect(v, "/admin/ivr?done=ivralready")
	}
	if err := c.loadable(v, fv); err != nil {
		return err
	}
	if fv.Version > active {
		err = c.db.ApplyFlow(ctx, fv.Version, v.user.Username)
	} else {
		err = c.db.ActivateFlow(ctx, fv.Version, v.user.Username)
	}
	if err != nil {
		return err
	}
	return redirect(v, "/admin/ivr?done=ivractivated")
}

// ivrRollback goes back to the version active before the active one, as
// `ascolto ivr rollback N` with that N. The form names the active version
// it was shown, so two admins cannot roll back twice by accident.
func (c *Console) ivrRollback(v *visit) error {
	ctx := v.r.Context()
	active, _, err := c.activeFlow(ctx)
	if err != nil {
		return err
	}
	if from, err := strconv.ParseInt(v.r.PostForm.Get("from"), 10, 64); err != nil || from != active {
		return failure(http.StatusConflict, "ivr.changed")
	}
	prev, err := c.db.PreviousFlowVersion(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return failure(http.StatusConflict, "ivr.noprevious")
	}
	if err != nil {
		return err
	}
	fv, err := c.db.Flow(ctx, prev)
	if err != nil {
		return err
	}
	if err := c.loadable(v, fv); err != nil {
		return err
	}
	if err := c.db.ActivateFlow(ctx, prev, v.user.Username); err != nil {
		return err
	}
	return redirect(v, "/admin/ivr?done=ivrrolledback")
}

// loadable refuses a version that no longer validates (a queue it names
// was deleted since it was saved).
func (c *Console) loadable(v *visit, fv store.FlowVersion) error {
	cat, err := c.flowCatalog(v.r.Context())
	if err != nil {
		return err
	}
	_, err = ivr.Load([]byte(fv.Source), cat)
	var verr *ivr.ValidationError
	if errors.As(err, &verr) && len(verr.Problems) > 0 {
		p := verr.Problems[0]
		return &userError{code: http.StatusConflict, key: "ivr.invalidnow",
			detail: fmt.Sprintf("%d:%d: %s", p.Line, p.Column, p.Message(v.lang))}
	}
	return err
}

// MountIVR registers the IVR flow's admin pages and adds their words to
// the catalog.
func (c *Console) MountIVR(m Mux) {
	c.cat.add(ivrCatalog)
	signed := func(p Permission, h func(*visit) error) http.Handler {
		return route{c: c, access: accessSignedIn, perm: p, h: h}
	}
	m.Handle("GET /admin/ivr", signed(PermIVR, c.ivrListPage))
	m.Handle("POST /admin/ivr", route{c: c, access: accessSignedIn, perm: PermIVR, h: c.ivrUpload, maxBody: maxFlowForm})
	m.Handle("POST /admin/ivr/rollback", signed(PermIVR, c.ivrRollback))
	m.Handle("GET /admin/ivr/{version}", signed(PermIVR, c.ivrFlowPage))
	m.Handle("GET /admin/ivr/{version}/diff", signed(PermIVR, c.ivrDiffPage))
	m.Handle("POST /admin/ivr/{version}/activate", signed(PermIVR, c.ivrActivate))
}
