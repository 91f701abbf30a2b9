package console

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

//go:embed templates/*.html
var templateFiles embed.FS

// maxFormBytes bounds every form body; the largest legitimate one is a
// knowledge-base article (store.KBMaxBody) with its fields.
const maxFormBytes = store.KBMaxBody + 16<<10

// parsePages parses each page with the layout (and the extensions, which
// may redefine the placeholders) into its own template set.
func parsePages(ext fs.FS) (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: list templates: %w", err)
	}
	var extNames []string
	if ext != nil {
		if extNames, err = fs.Glob(ext, "*.html"); err != nil {
			return nil, fmt.Errorf("console: list extension templates: %w", err)
		}
	}
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return nil, fmt.Errorf("console: load Europe/Rome: %w", err)
	}
	funcs := template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(rome).Format("02/01/2006 15:04")
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"json": func(v any) (template.JS, error) {
			b, err := json.Marshal(v)
			return template.JS(b), err
		},
		"pct":       func(f float64) float64 { return f * 100 },
		"secs":      func(s int) string { return fmt.Sprintf("%d:%02d", s/60, s%60) },
		"size":      humanSize,
		"list":      func(xs ...string) []string { return xs },
		"urgencyOf": func(p *page, u string) urgencyArg { return urgencyArg{P: p, U: u} },
		"fileOf":    func(p *page, f store.Attachment) fileArg { return fileArg{P: p, F: f} },
		"hasPrefix": strings.HasPrefix,
		// coord writes a latitude or longitude to about a metre.
		"coord": func(f *float64) string {
			if f == nil {
				return ""
			}
			return strconv.FormatFloat(*f, 'f', 5, 64)
		},
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" || strings.HasPrefix(base, "_") {
			continue
		}
		t := template.New(base).Funcs(funcs)
		if _, err := t.ParseFS(templateFiles, "templates/layout.html", "templates/_*.html", n); err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", base, err)
		}
		if len(extNames) > 0 {
			if _, err := t.ParseFS(ext, extNames...); err != nil {
				return nil, fmt.Errorf("console: parse extension templates: %w", err)
			}
		}
		out[strings.TrimSuffix(base, ".html")] = t
	}
	return out, nil
}

// urgencyArg and fileArg carry the page into shared sub-templates.
type urgencyArg struct {
	P *page
	U string
}

type fileArg struct {
	P *page
	F store.Attachment
}

// humanSize writes a file size for people: 512 B, 14 kB, 2.3 MB.
func humanSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%d kB", (n+500)/1000)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
}

// page is what every template receives.
type page struct {
	c       *Console
	v       *visit
	Title   string // catalog key
	Lang    string
	User    *store.User
	Nav     []navItem
	Active  string
	Notice  string // a translated message to show on top
	Problem string // a translated error to show on top
	WSToken string
	Topics  string
	Scripts []string // page scripts under /assets/, after console.js
	Data    any
}

type navItem struct {
	Href, Key string
}

// T translates a catalog key into the page's language.
func (p *page) T(key string) string { return p.c.cat.t(p.Lang, key) }

// Tf translates and formats.
func (p *page) Tf(key string, args ...any) string {
	return fmt.Sprintf(p.c.cat.t(p.Lang, key), args...)
}

// CSRF returns a fresh one-time token for a form on this page.
func (p *page) CSRF() string {
	sg := p.c.signer()
	if sg == nil {
		return ""
	}
	return sg.issue("form", p.v.binding(), p.c.clock.Now())
}

// Can reports whether the signed-in user holds a permission (to show a
// link; the server checks again when it is followed).
func (p *page) Can(perm string) bool {
	return p.User != nil && p.c.policy.allows(p.User.Role, Permission(perm))
}

// RoleLabel translates a role name.
func (p *page) RoleLabel(role string) string { return p.T("role." + role) }

// Path is the request's path, for the language switch to come back to.
func (p *page) Path() string { return p.v.r.URL.RequestURI() }

func (c *Console) newPage(v *visit, title string, data any) *page {
	p := &page{c: c, v: v, Title: title, Lang: v.lang, User: v.user, Data: data}
	if v.user != nil && v.sess != nil && !v.sess.MFAPending {
		for _, n := range []struct {
			href string
			key  string
			perm Permission
		}{
			{"/agent", "nav.desk", PermDesk},
			{"/supervisor", "nav.wallboard", PermWallboard},
			{"/opsroom", "nav.opsroom", PermOpsRoom},
			{"/activation", "nav.activation", PermActivation},
			{"/cases", "nav.cases", PermCases},
			{"/reports", "nav.reports", PermReports},
			{"/kb", "nav.kb", PermKBRead},
			{"/admin/users", "nav.users", PermUsers},
			{"/admin/replies", "nav.replies", PermCannedReplies},
			{"/admin/ivr", "nav.ivr", PermIVR},
			{"/admin/queues", "nav.queues", PermACDAdmin},
			{"/admin/seats", "nav.seats", PermACDAdmin},
			{"/admin/roster", "nav.roster", PermACDAdmin},
			{"/account", "nav.account", PermSignedIn},
		} {
			// Pages mounted apart (the operations room) bring their own
			// words: no words, no page, no link.
			if c.policy.allows(v.user.Role, n.perm) && c.cat.has(n.key) {
				p.Nav = append(p.Nav, navItem{n.href, n.key})
			}
		}
		if sg := c.signer(); sg != nil {
			p.WSToken = sg.issue("ws", v.binding(), c.clock.Now())
		}
		p.Active = v.r.URL.Path
		if strings.HasPrefix(p.Active, "/cases/") {
			p.Active = "/cases"
		}
		for _, sect := range []string{"/admin/replies", "/admin/queues", "/admin/seats"} {
			if strings.HasPrefix(p.Active, sect+"/") {
				p.Active = sect
			}
		}
		if strings.HasPrefix(p.Active, "/admin/ivr/") {
			p.Active = "/admin/ivr"
		}
	}
	if k := v.r.URL.Query().Get("done"); k != "" && c.cat.has("done."+k) {
		p.Notice = p.T("done." + k)
	}
	return p
}

// render writes a page with status code.
func (c *Console) render(v *visit, code int, name string, p *page) error {
	t, ok := c.pages[name]
	if !ok {
		return fmt.Errorf("console: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("console: render %s: %w", name, err)
	}
	h := v.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", p.Lang)
	v.w.WriteHeader(code)
	_, err := v.w.Write(buf.Bytes())
	return err
}

// userError is an error a person reads: a status code and a catalog key,
// with an optional untranslated detail.
type userError struct {
	code   int
	key    string
	detail string
}

func (e *userError) Error() string {
	return fmt.Sprintf("console: %s (%d) %s", e.key, e.code, e.detail)
}

func failure(code int, key string) error { return &userError{code: code, key: key} }

// classify maps an error to what the person sees. Sentinels become HTTP
// codes here, at the edge, and nowhere else.
func classify(err error) *userError {
	var ue *userError
	switch {
	case errors.As(err, &ue):
		return ue
	case errors.Is(err, errNotReady):
		return &userError{http.StatusServiceUnavailable, "error.notready", ""}
	case errors.Is(err, errCSRFMissing), errors.Is(err, errCSRFMalform), errors.Is(err, errCSRFForeign),
		errors.Is(err, errCSRFExpired), errors.Is(err, errCSRFReplayed):
		return &userError{http.StatusForbidden, "error.csrf", ""}
	case errors.Is(err, ErrNotWired):
		return &userError{http.StatusServiceUnavailable, "error.notwired", ""}
	case errors.Is(err, ErrNoAgent):
		return &userError{http.StatusConflict, "error.noagent", ""}
	case errors.Is(err, ErrRefused):
		return &userError{http.StatusConflict, "error.refused", strings.TrimPrefix(err.Error(), ErrRefused.Error()+": ")}
	case errors.Is(err, store.ErrNotFound):
		return &userError{http.StatusNotFound, "error.notfound", ""}
	case errors.Is(err, store.ErrInvalid):
		return &userError{http.StatusBadRequest, "error.invalid", strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": ")}
	case errors.Is(err, store.ErrConflict):
		return &userError{http.StatusConflict, "error.conflict", ""}
	case errors.Is(err, store.ErrAlreadyClosed):
		return &userError{http.StatusConflict, "error.closed", ""}
	case errors.Is(err, mail.ErrUnknownTemplate):
		return &userError{http.StatusBadRequest, "case.badtemplate", ""}
	case errors.Is(err, ErrWeakPassword):
		return &userError{http.StatusBadRequest, "error.weakpassword", ""}
	}
	return &userError{http.StatusInternalServerError, "error.internal", ""}
}

// fail shows an error page (or JSON for API requests).
func (c *Console) fail(v *visit, err error, api bool) {
	ue := classify(err)
	if ue.code >= 500 && ue.key == "error.internal" {
		c.log.Error("console request failed", zap.String("path", v.r.URL.Path), zap.Error(err))
	}
	if api {
		writeJSON(v.w, ue.code, map[string]string{"error": ue.key, "message": c.cat.t(v.lang, ue.key), "detail": ue.detail})
		return
	}
	p := c.newPage(v, "error.title", nil)
	p.Problem = c.cat.t(v.lang, ue.key)
	if ue.detail != "" {
		p.Problem += " (" + ue.detail + ")"
	}
	if rerr := c.render(v, ue.code, "error", p); rerr != nil {
		c.log.Error("render error page", zap.Error(rerr))
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// redirect sends the browser on with 303 (so a POST becomes a GET).
func redirect(v *visit, to string) error {
	http.Redirect(v.w, v.r, to, http.StatusSeeOther)
	return nil
}

// localPath returns p when it is a path on this site, else fallback: a
// redirect target from a form must never lead elsewhere.
func localPath(p, fallback string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return fallback
	}
	u, err := url.Parse(p)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return fallback
	}
	return p
}

// securityHeaders are sent with every console response. The softphone's
// WebSocket to Asterisk is the one connection allowed off this origin.
func (c *Console) securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	connect := "'self'"
	if o := c.cfg.Softphone.connectOrigin(); o != "" {
		connect += " " + o
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"font-src 'self'; connect-src "+connect+"; media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

// access says who may reach a handler.
type access int

const (
	accessPublic   access = iota // anyone (sign-in pages)
	accessPending                // a session that still owes its second factor
	accessSignedIn               // a full session holding the route's permission
)

type route struct {
	c      *Console
	access access
	perm   Permission
	api    bool
	h      func(v *visit) error
	// maxBody bounds the request body; 0 means maxFormBytes. A multipart
	// form (a file upload) is read whole within it before the CSRF check.
	maxBody int64
}

// ServeHTTP is the one pipeline every console request goes through:
// headers, session, authentication, authorization, CSRF, handler, errors.
func (rt route) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := rt.c
	c.securityHeaders(w)
	v, err := c.newVisit(w, r)
	if err != nil {
		c.fail(v, err, rt.api)
		return
	}
	if c.signer() == nil {
		c.fail(v, errNotReady, rt.api)
		return
	}
	switch rt.access {
	case accessPending:
		if v.sess == nil {
			c.toLogin(v, rt.api)
			return
		}
		if !v.sess.MFAPending {
			redirect(v, rt.c.home(v.user.Role))
			return
		}
	case accessSignedIn:
		if v.sess == nil {
			c.toLogin(v, rt.api)
			return
		}
		if v.sess.MFAPending {
			if rt.api {
				c.fail(v, failure(http.StatusUnauthorized, "error.signin"), true)
			} else {
				redirect(v, "/login/totp")
			}
			return
		}
		if !c.policy.allows(v.user.Role, rt.perm) {
			c.log.Info("console access refused", zap.String("user", v.user.Username), zap.String("role", v.user.Role),
				zap.String("path", r.URL.Path), zap.String("permission", string(rt.perm)))
			c.fail(v, failure(http.StatusForbidden, "error.forbidden"), rt.api)
			return
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		limit := rt.maxBody
		if limit <= 0 {
			limit = maxFormBytes
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
			// The parts stay in memory: the limit above bounds them.
			err = r.ParseMultipartForm(limit)
		} else {
			err = r.ParseForm()
		}
		if err != nil {
			c.fail(v, failure(http.StatusRequestEntityTooLarge, "error.toolarge"), rt.api)
			return
		}
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
		token := r.PostForm.Get("csrf")
		if token == "" {
			token = r.Header.Get("X-CSRF-Token")
		}
		if err := c.spendForm(r.Context(), v.binding(), token); err != nil {
			c.log.Info("csrf token refused", zap.String("path", r.URL.Path), zap.String("remote", v.remote), zap.Error(err))
			c.fail(v, err, rt.api)
			return
		}
	}
	if err := rt.h(v); err != nil {
		c.fail(v, err, rt.api)
	}
}

// toLogin sends a signed-out visitor to the sign-in page, remembering
// where they were going and whether their session had just ended.
func (c *Console) toLogin(v *visit, api bool) {
	if api {
		c.fail(v, failure(http.StatusUnauthorized, "error.signin"), true)
		return
	}
	q := url.Values{}
	if v.r.Method == http.MethodGet && v.r.URL.Path != "/" {
		q.Set("next", v.r.URL.RequestURI())
	}
	if v.expired {
		q.Set("expired", "1")
	}
	to := "/login"
	if len(q) > 0 {
		to += "?" + q.Encode()
	}
	redirect(v, to)
}
