package console

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/web"
	"go.uber.org/zap"
)

// Cookie names.
const (
	cookieSession = "ascolto_session"
	cookiePre     = "ascolto_pre" // binds the sign-in form before a session exists
	cookieLang    = "ascolto_lang"
)

// touchEvery bounds how often a session's last activity is written: idle
// expiry is minutes-coarse, and a write per request would be waste.
const touchEvery = time.Minute

// visit is one request as the console sees it: who (if anyone) is signed
// in, in which language, from where.
type visit struct {
	w       http.ResponseWriter
	r       *http.Request
	sess    *store.Session
	user    *store.User
	lang    string
	remote  string
	secure  bool
	expired bool // a session cookie came with the request but its session has ended
}

// actor is the visitor as the ACD and the audit log see them.
func (v *visit) actor() Actor {
	if v.user == nil {
		return Actor{Remote: v.remote}
	}
	return Actor{Username: v.user.Username, Role: v.user.Role, Remote: v.remote}
}

// binding is what this visitor's CSRF tokens are bound to.
func (v *visit) binding() string {
	if v.sess != nil {
		return "s:" + v.sess.ID
	}
	if ck, err := v.r.Cookie(cookiePre); err == nil && ck.Value != "" {
		return "p:" + ck.Value
	}
	return ""
}

// newVisit reads the request's session, expiring it by the console's
// policy, and works out language, client address and TLS.
func (c *Console) newVisit(w http.ResponseWriter, r *http.Request) (*visit, error) {
	v := &visit{w: w, r: r, lang: "it"}
	v.remote, v.secure = c.client(r)
	if ck, err := r.Cookie(cookieLang); err == nil && (ck.Value == "it" || ck.Value == "en") {
		v.lang = ck.Value
	}
	ck, err := r.Cookie(cookieSession)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return v, nil
	}
	id := sessionKey(ck.Value)
	s, u, err := c.loadSession(r.Context(), id, true)
	if errors.Is(err, errSessionEnded) {
		c.hub.closeSession(id, "session.expired")
		v.expired = true
		c.clearCookie(v, cookieSession)
		return v, nil
	}
	if err != nil {
		return v, err
	}
	v.sess, v.user = &s, &u
	if u.Lang != "" {
		v.lang = u.Lang
	}
	if s.Lang != "" {
		v.lang = s.Lang
	}
	return v, nil
}

var errSessionEnded = errors.New("console: session ended")

// loadSession returns a live session and its user, deleting (and reporting
// errSessionEnded for) one that expired, was idle too long, or whose user
// was disabled. It leaves the session's WebSockets open: the caller closes
// them once it has said why (a socket closed here would lose the reply to
// the message that found the session ended). With activity set (a request
// or message from the person) it records the activity, at most once a
// minute.
func (c *Console) loadSession(ctx context.Context, id string, activity bool) (store.Session, store.User, error) {
	s, err := c.db.SessionByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return s, store.User{}, errSessionEnded
	}
	if err != nil {
		return s, store.User{}, err
	}
	now := c.clock.Now()
	if !now.Before(s.ExpiresAt) || now.Sub(s.LastSeenAt) > c.cfg.IdleTimeout {
		c.deleteSession(ctx, id)
		return s, store.User{}, errSessionEnded
	}
	u, err := c.db.UserByID(ctx, s.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		c.deleteSession(ctx, id)
		return s, store.User{}, errSessionEnded
	}
	if err != nil {
		return s, store.User{}, err
	}
	if activity && now.Sub(s.LastSeenAt) >= touchEvery {
		if err := c.db.TouchSession(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			c.log.Warn("record session activity", zap.Error(err))
		}
	}
	return s, u, nil
}

// sessionAlive is loadSession for the hub's sweep, which only needs yes
// or no (it closes the sockets itself) and must not count as activity: an
// open tab nobody uses expires.
func (c *Console) sessionAlive(ctx context.Context, id string) bool {
	_, _, err := c.loadSession(ctx, id, false)
	return err == nil || !errors.Is(err, errSessionEnded)
}

// endSession deletes a session and closes its WebSockets.
func (c *Console) endSession(ctx context.Context, id string) {
	c.deleteSession(ctx, id)
	c.hub.closeSession(id, "session.expired")
}

func (c *Console) deleteSession(ctx context.Context, id string) {
	if err := c.db.DeleteSession(ctx, id); err != nil {
		c.log.Warn("end session", zap.Error(err))
	}
}

// startSession creates a session for u (pending its second factor when
// mfaPending) and sets the cookie; replaces is the session it supersedes.
func (c *Console) startSession(v *visit, u store.User, mfaPending bool, replaces string) error {
	token := randomToken(32)
	expires := c.clock.Now().Add(c.cfg.SessionMax)
	if mfaPending {
		expires = c.clock.Now().Add(5 * time.Minute)
	}
	s := store.Session{ID: sessionKey(token), UserID: u.ID, ExpiresAt: expires, MFAPending: mfaPending,
		Remote: v.remote, UserAgent: v.r.UserAgent()}
	if v.sess != nil && v.sess.Lang != "" {
		s.Lang = v.sess.Lang
	}
	if err := c.db.CreateSession(v.r.Context(), &s, replaces); err != nil {
		return err
	}
	if replaces != "" {
		c.hub.closeSession(replaces, "session.replaced")
	}
	http.SetCookie(v.w, &http.Cookie{Name: cookieSession, Value: token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.secureCookie(v), MaxAge: int(expires.Sub(c.clock.Now()).Seconds())})
	v.sess, v.user = &s, &u
	return nil
}

// ensurePre gives a signed-out browser the cookie its sign-in form's CSRF
// token is bound to.
func (c *Console) ensurePre(v *visit) {
	if ck, err := v.r.Cookie(cookiePre); err == nil && len(ck.Value) >= 20 && len(ck.Value) <= 64 {
		return
	}
	val := randomToken(18)
	http.SetCookie(v.w, &http.Cookie{Name: cookiePre, Value: val, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.secureCookie(v)})
	// Let this very response's form use it.
	v.r.AddCookie(&http.Cookie{Name: cookiePre, Value: val})
}

func (c *Console) clearCookie(v *visit, name string) {
	http.SetCookie(v.w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: c.secureCookie(v)})
}

func (c *Console) secureCookie(v *visit) bool {
	switch c.cfg.SecureCookies {
	case "always":
		return true
	case "never":
		return false
	}
	return v.secure
}

// client returns the client's address and whether it reached us over TLS,
// believing X-Forwarded-For (web.ClientIP, shared with the public form) and
// X-Forwarded-Proto only from trusted proxies.
func (c *Console) client(r *http.Request) (string, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	secure := r.TLS != nil
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host, secure
	}
	if c.trusted(peer) {
		if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
			secure = strings.EqualFold(strings.TrimSpace(strings.Split(p, ",")[0]), "https")
		}
	}
	return web.ClientIP(r, c.cfg.TrustedProxies).String(), secure
}

func (c *Console) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range c.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
