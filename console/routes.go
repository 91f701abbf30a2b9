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
	// Any path no other route claims: the console's own 404 page.
	m.Handle("/", http.HandlerFunc(c.notFound))

	assets, _ := fs.Sub(assetFiles, "assets")
	files := http.FileServerFS(assets)
	m.Handle("GET /assets/", http.StripPrefix("/assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})))
}

// notFound answers a path no route claims with a page in the console's
// layout and the person's language (JSON under /api/). It takes no form,
// so it checks no CSRF token: it changes nothing.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	c.securityHeaders(w)
	v, err := c.newVisit(w, r)
	if err != nil {
		c.fail(v, err, false)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		c.fail(v, failure(http.StatusNotFound, "error.notfound"), true)
		return
	}
	if err := c.render(v, http.StatusNotFound, "notfound", c.newPage(v, "notfound.title", nil)); err != nil {
		c.log.Error("render not-found page", zap.Error(err))
	}
}
