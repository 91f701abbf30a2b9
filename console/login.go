package console

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// Input limits of the sign-in forms.
const (
	maxUsernameLen = 64
	maxCodeLen     = 12
)

// rootPage sends a signed-out visitor to sign in and a signed-in one home.
func (c *Console) rootPage(v *visit) error {
	if v.r.URL.Path != "/" {
		return failure(http.StatusNotFound, "error.notfound")
	}
	if v.sess == nil {
		c.toLogin(v, false)
		return nil
	}
	if v.sess.MFAPending {
		return redirect(v, "/login/totp")
	}
	return redirect(v, c.home(v.user.Role))
}

type loginData struct {
	Username string
	Next     string
}

func (c *Console) loginPage(v *visit) error {
	if v.sess != nil && !v.sess.MFAPending {
		return redirect(v, localPath(v.r.URL.Query().Get("next"), c.home(v.user.Role)))
	}
	c.ensurePre(v)
	p := c.newPage(v, "login.title", loginData{Next: localPath(v.r.URL.Query().Get("next"), "")})
	q := v.r.URL.Query()
	switch {
	case q.Get("expired") != "":
		p.Notice = p.T("login.expired")
	case q.Get("out") != "":
		p.Notice = p.T("login.out")
	}
	return c.render(v, http.StatusOK, "login", p)
}

// loginSubmit checks a username and password. Failures are counted per
// username and per address; each check is reserved against the limits
// before it runs, so past them (however many guesses arrive at once) the
// password is not even checked until the window moves on.
func (c *Console) loginSubmit(v *visit) error {
	ctx := v.r.Context()
	username := strings.TrimSpace(v.r.PostForm.Get("username"))
	password := v.r.PostForm.Get("password")
	next := localPath(v.r.PostForm.Get("next"), "")
	again := func(code int, key string, args ...any) error {
		c.ensurePre(v)
		p := c.newPage(v, "login.title", loginData{Username: username, Next: next})
		p.Problem = p.Tf(key, args...)
		return c.render(v, code, "login", p)
	}
	if username == "" || password == "" {
		return again(http.StatusBadRequest, "login.missing")
	}
	if len(username) > maxUsernameLen || len(password) > MaxPasswordLen {
		return again(http.StatusBadRequest, "login.bad")
	}
	try, wait, err := c.reserve(ctx, username, v.remote)
	if err != nil {
		return err
	}
	if try == nil {
		c.log.Info("sign-in throttled", zap.String("user", username), zap.String("remote", v.remote))
		return again(http.StatusTooManyRequests, "login.throttled", throttledFor(v, wait))
	}
	defer try.release(ctx)
	u, err := c.db.UserByName(ctx, username)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	hash := u.PasswordHash
	if err != nil || hash == "" {
		hash = dummyHash // the same work for an unknown name
	}
	match, gerr := c.checkPassword(ctx, hash, password)
	if gerr != nil {
		busy(v)
		return again(http.StatusTooManyRequests, "login.busy")
	}
	if !match || err != nil || u.Disabled {
		try.failed()
		c.audit(ctx, v, "login.failed", "user:"+username, nil)
		return again(http.StatusUnauthorized, "login.bad")
	}
	if err := try.succeeded(ctx); err != nil {
		return err
	}
	needsMFA := u.TOTPSecret != "" || c.mfaRequired(u.Role)
	var replaces string
	if v.sess != nil {
		replaces = v.sess.ID
	}
	if err := c.startSession(v, u, needsMFA, replaces); err != nil {
		return err
	}
	if needsMFA {
		to := "/login/totp"
		if next != "" {
			to += "?next=" + url.QueryEscape(next)
		}
		return redirect(v, to)
	}
	c.audit(ctx, v, "login", "user:"+u.Username, nil)
	c.signedIn(u)
	return redirect(v, localPath(next, c.home(u.Role)))
}

// mfaRequired says whether configuration makes a second factor mandatory for role.
func (c *Console) mfaRequired(role string) bool {
	return c.cfg.TOTPRequired && (role == store.RoleSupervisor || role == store.RoleAdmin)
}

type totpData struct {
	Enrol     bool
	Secret    string
	SecretSig string
	URI       string
	QR        template.HTML // URI as a QR code to scan
	Next      string
}

// totpPage asks for the second factor, or (when it is mandatory and none
// is enrolled) shows a new secret to enrol.
func (c *Console) totpPage(v *visit) error {
	d, err := c.totpForm(v, localPath(v.r.URL.Query().Get("next"), ""))
	if err != nil {
		return err
	}
	return c.render(v, http.StatusOK, "totp", c.newPage(v, "totp.title", d))
}

func (c *Console) totpForm(v *visit, next string) (totpData, error) {
	d := totpData{Next: next}
	if v.user.TOTPSecret != "" {
		return d, nil
	}
	secret, err := NewTOTPSecret()
	if err != nil {
		return d, err
	}
	d.Enrol, d.Secret, d.URI = true, secret, TOTPURI(c.cfg.Issuer, v.user.Username, secret)
	d.SecretSig = c.signer().sign("totp-enrol", v.binding(), secret)
	d.QR, err = qrSVG(d.URI, c.cat.t(v.lang, "totp.qr"))
	return d, err
}

func (c *Console) totpSubmit(v *visit) error {
	ctx := v.r.Context()
	code := strings.TrimSpace(v.r.PostForm.Get("code"))
	next := localPath(v.r.PostForm.Get("next"), "")
	u := *v.user
	secret := u.TOTPSecret
	enrol := secret == ""
	if enrol {
		secret = v.r.PostForm.Get("secret")
		if !c.signer().checkSigned("totp-enrol", v.binding(), secret, v.r.PostForm.Get("secret_sig")) {
			return failure(http.StatusBadRequest, "error.csrf")
		}
	}
	again := func(status int, key string, args ...any) error {
		d := totpData{Next: next}
		if enrol {
			d.Enrol, d.Secret, d.SecretSig, d.URI = true, secret, v.r.PostForm.Get("secret_sig"), TOTPURI(c.cfg.Issuer, u.Username, secret)
		}
		p := c.newPage(v, "totp.title", d)
		p.Problem = p.Tf(key, args...)
		return c.render(v, status, "totp", p)
	}
	if len(code) > maxCodeLen {
		return again(http.StatusUnauthorized, "totp.bad")
	}
	try, wait, err := c.reserve(ctx, u.Username, v.remote)
	if err != nil {
		return err
	}
	if try == nil {
		return again(http.StatusTooManyRequests, "login.throttled", throttledFor(v, wait))
	}
	defer try.release(ctx)
	step, ok := VerifyTOTP(secret, code, c.clock.Now())
	if !ok {
		try.failed()
		c.audit(ctx, v, "login.totp.failed", "user:"+u.Username, nil)
		return again(http.StatusUnauthorized, "totp.bad")
	}
	if enrol {
		if err := c.db.SetTOTP(ctx, u.Username, secret, u.Username); err != nil {
			return err
		}
	}
	if err := c.db.UseTOTPStep(ctx, u.ID, step); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return again(http.StatusUnauthorized, "totp.used") // released: a replay is no guess
		}
		return err
	}
	if err := try.succeeded(ctx); err != nil {
		return err
	}
	if err := c.startSession(v, u, false, v.sess.ID); err != nil {
		return err
	}
	c.audit(ctx, v, "login", "user:"+u.Username, map[string]any{"second_factor": true})
	c.signedIn(*v.user)
	return redirect(v, localPath(next, c.home(u.Role)))
}

// logout ends the session and every WebSocket it opened.
func (c *Console) logout(v *visit) error {
	c.endSession(v.r.Context(), v.sess.ID)
	c.audit(v.r.Context(), v, "logout", "user:"+v.user.Username, nil)
	c.clearCookie(v, cookieSession)
	return redirect(v, "/login?out=1")
}

// setLang switches the language of this session (or, signed out, of this
// browser) and goes back where the person was.
func (c *Console) setLang(v *visit) error {
	lang := v.r.PostForm.Get("lang")
	if lang != "it" && lang != "en" {
		return failure(http.StatusBadRequest, "error.invalid")
	}
	if v.sess != nil {
		if err := c.db.SetSessionLang(v.r.Context(), v.sess.ID, lang); err != nil {
			return err
		}
	} else {
		http.SetCookie(v.w, &http.Cookie{Name: cookieLang, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.secureCookie(v)})
	}
	return redirect(v, localPath(v.r.PostForm.Get("back"), "/"))
}

// audit records a console action; a failure to audit is logged, since the
// action itself already happened in its own transaction.
func (c *Console) audit(ctx context.Context, v *visit, action, object string, detail map[string]any) {
	actor := "anonymous"
	if v.user != nil {
		actor = v.user.Username
	}
	if err := c.db.Audit(ctx, store.AuditEntry{Actor: actor, Action: action, Object: object, Detail: detail, Remote: v.remote}); err != nil {
		c.log.Warn("audit", zap.String("action", action), zap.Error(err))
	}
}

// signedIn tells whoever asked (the on-call activation: "arrived") that a
// person has signed in. It must not hold up the sign-in.
func (c *Console) signedIn(u store.User) {
	if c.onLogin != nil {
		go c.onLogin(u.Username, u.Email)
	}
}
