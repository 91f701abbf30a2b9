package console

import (
	"io/fs"
	"net/http"
	"strings"

	"go.uber.org/zap"
)

// Mount registers every console route on m. The table is the map of the
// console: path, who may reach it (the permission is checked centrally by
// route.ServeHTTP), and the handler.
func (c *Console) Mount(m Mux) {
	public := func(h func(*visit) error) http.Handler { return route{c: c, access: accessPublic, h: h} }
	pending := func(h func(*visit) error) http.Handler { return route{c: c, access: accessPending, h: h} }
	signed := func(p Permission, h func(*visit) error) http.Handler {
		return route{c: c, access: accessSignedIn, perm: p, h: h}
	}
	api := func(p Permission, h func(*visit) error) http.Handler {
		return route{c: c, access: accessSignedIn, perm: p, api: true, h: h}
	}

	m.Handle("GET /{$}", public(c.rootPage))
	m.Handle("GET /login", public(c.loginPage))
	m.Handle("POST /login", public(c.loginSubmit))
	m.Handle("GET /login/totp", pending(c.totpPage))
	m.Handle("POST /login/totp", pending(c.totpSubmit))
	m.Handle("POST /logout", signed(PermSignedIn, c.logout))
	m.Handle("POST /lang", public(c.setLang))

	m.Handle("GET /account", signed(PermSignedIn, c.accountPage))
	m.Handle("POST /account/lang", signed(PermSignedIn, c.accountLang))
	m.Handle("POST /account/password", signed(PermSignedIn, c.accountPassword))
	m.Handle("POST /account/totp", signed(PermSignedIn, c.accountTOTP))
	m.Handle("POST /account/totp/remove", signed(PermSignedIn, c.accountTOTPRemove))

	m.Handle("GET /agent", signed(PermDesk, c.agentPage))
	m.Handle("GET /supervisor", signed(PermWallboard, c.supervisorPage))
	m.Handle("GET /supervisor/wall", signed(PermWallboard, c.wallPage))
	m.Handle("GET /api/wallboard/history", api(PermWallboard, c.wallHistory))
	m.Handle("GET /api/comuni", api(PermAgentSelf, c.comuniAPI))
	m.Handle("GET /api/comuni/{code}/map", api(PermAgentSelf, c.rescueMapAPI))

	m.Handle("GET /cases", signed(PermCases, c.casesPage))
	m.Handle("GET /cases/{tid}", signed(PermCases, c.casePage))
	m.Handle("GET /cases/{tid}/files/{id}", signed(PermCases, c.caseFile))
	m.Handle("POST /cases/{tid}/note", signed(PermCaseWrite, c.caseNote))
	m.Handle("POST /cases/{tid}/reply", signed(PermCaseWrite, c.caseReply))
	m.Handle("POST /cases/{tid}/merge", signed(PermCaseWrite, c.caseMerge))
	m.Handle("POST /cases/{tid}/close", signed(PermCaseWrite, c.caseClose))
	m.Handle("POST /cases/{tid}/reviews/{id}", signed(PermCaseWrite, c.caseResolveReview))

	m.Handle("GET /kb", signed(PermKBRead, c.kbList))
	m.Handle("GET /kb/new", signed(PermKBEdit, c.kbNew))
	m.Handle("POST /kb", signed(PermKBEdit, c.kbCreate))
	m.Handle("GET /kb/{slug}", signed(PermKBRead, c.kbArticle))
	m.Handle("GET /kb/{slug}/edit", signed(PermKBEdit, c.kbEdit))
	m.Handle("POST /kb/{slug}", signed(PermKBEdit, c.kbUpdate))
	m.Handle("POST /kb/{slug}/status", signed(PermKBEdit, c.kbStatus))
	m.Handle("GET /kb/{slug}/history", signed(PermKBEdit, c.kbHistory))
	m.Handle("POST /kb/{slug}/pin", signed(PermKBPin, c.kbPinForm))
	m.Handle("GET /api/kb/search", api(PermKBRead, c.kbSearchAPI))

	m.Handle("GET /admin/users", signed(PermUsers, c.usersPage))
	m.Handle("POST /admin/users", signed(PermUsers, c.userCreate))
	m.Handle("GET /admin/users/{name}", signed(PermUsers, c.userPage))
	m.Handle("POST /admin/users/{name}", signed(PermUsers, c.userUpdate))

	c.MountActivation(m)
	c.MountCasework(m)
	c.MountIVR(m)
	c.MountACDAdmin(m)

	m.Handle("GET /ws", http.HandlerFunc(c.serveWS))

	// Browsers ask for /favicon.ico whatever the page says.
	m.Handle("GET /favicon.ico", http.RedirectHandler("/assets/favicon.svg", http.StatusMovedPermanently))
	// Any request no other route claims: the console's own 404 page, or
	// 405 when the path is there for another method. The pattern claims
	// every method, so http.ServeMux never answers with its own plain text.
	m.Handle("/", c.miss(m))

	assets, _ := fs.Sub(assetFiles, "assets")
	files := http.FileServerFS(assets)
	m.Handle("GET /assets/", http.StripPrefix("/assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The file server would answer a miss in plain English and list a
		// folder: only files are served, anything else is the console's 404.
		if st, err := fs.Stat(assets, r.URL.Path); err != nil || !st.Mode().IsRegular() {
			c.notFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})))
}

// probedMethods are the methods miss asks the mux about, to tell a wrong
// method (405) from a wrong path (404).
var probedMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// miss answers what no route takes. It asks m which methods the path is
// served for, as http.ServeMux does before its own 405: any, and the answer
// is 405 with an Allow header; none, and it is 404.
func (c *Console) miss(m Mux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, method := range probedMethods {
			if method == r.Method {
				continue
			}
			probe := *r
			probe.Method = method
			// The catch-all answers every path, so only another pattern
			// (or the redirect to one) says the path exists.
			if _, pattern := m.Handler(&probe); pattern != "" && pattern != "/" {
				allow = append(allow, method)
			}
		}
		if len(allow) == 0 {
			c.notFound(w, r)
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		c.missPage(w, r, http.StatusMethodNotAllowed, "error.method", "method.title", "method.text")
	}
}

// notFound answers a path nothing serves.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.missPage(w, r, http.StatusNotFound, "error.notfound", "notfound.title", "notfound.text")
}

// missPage answers with a page in the console's layout and the person's
// language (JSON with errKey under /api/). It takes no form, so it checks
// no CSRF token: it changes nothing.
func (c *Console) missPage(w http.ResponseWriter, r *http.Request, code int, errKey, title, text string) {
	c.securityHeaders(w)
	v, err := c.newVisit(w, r)
	if err != nil {
		c.fail(v, err, false)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		c.fail(v, failure(code, errKey), true)
		return
	}
	if err := c.render(v, code, "notfound", c.newPage(v, title, text)); err != nil {
		c.log.Error("render not-found page", zap.Error(err))
	}
}
