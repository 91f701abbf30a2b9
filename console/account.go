package console

import (
	"errors"
	"net/http"

	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

type accountData struct {
	TOTP     totpData
	Required bool
}

// accountPage: the person's language, password and second factor.
func (c *Console) accountPage(v *visit) error {
	d, err := c.accountData(v)
	if err != nil {
		return err
	}
	return c.render(v, http.StatusOK, "account", c.newPage(v, "account.title", d))
}

func (c *Console) accountData(v *visit) (accountData, error) {
	t, err := c.totpForm(v, "")
	return accountData{TOTP: t, Required: c.mfaRequired(v.user.Role)}, err
}

func (c *Console) accountAgain(v *visit, code int, problem string, args ...any) error {
	d, err := c.accountData(v)
	if err != nil {
		return err
	}
	p := c.newPage(v, "account.title", d)
	p.Problem = p.Tf(problem, args...)
	return c.render(v, code, "account", p)
}

// checkCurrent checks the person's current password (the form's
// "current") before a change that needs it, throttled as sign-in is: the
// same failures, the same limits, reserved before the check, so a stolen
// session is no way round them. then runs only when the password is right;
// otherwise the page says why.
func (c *Console) checkCurrent(v *visit, then func() error) error {
	ctx := v.r.Context()
	try, wait, err := c.reserve(ctx, v.user.Username, v.remote)
	if err != nil {
		return err
	}
	if try == nil {
		c.log.Info("password check throttled", zap.String("user", v.user.Username), zap.String("remote", v.remote))
		return c.accountAgain(v, http.StatusTooManyRequests, "login.throttled", throttledFor(v, wait))
	}
	defer try.release(ctx)
	ok, err := c.checkPassword(ctx, v.user.PasswordHash, v.r.PostForm.Get("current"))
	if err != nil {
		busy(v)
		return c.accountAgain(v, http.StatusTooManyRequests, "error.busy")
	}
	if !ok {
		try.failed()
		c.audit(ctx, v, "account.password.failed", "user:"+v.user.Username, nil)
		return c.accountAgain(v, http.StatusUnauthorized, "account.badcurrent")
	}
	if err := try.succeeded(ctx); err != nil {
		return err
	}
	return then()
}

// accountLang sets the person's own default language.
func (c *Console) accountLang(v *visit) error {
	lang := v.r.PostForm.Get("lang")
	if lang != "it" && lang != "en" {
		return failure(http.StatusBadRequest, "error.invalid")
	}
	if err := c.db.UpdateUser(v.r.Context(), v.user.Username, store.UserUpdate{Lang: &lang}, v.user.Username); err != nil {
		return err
	}
	// The session follows the new preference rather than an older switch.
	if err := c.db.SetSessionLang(v.r.Context(), v.sess.ID, ""); err != nil {
		return err
	}
	return redirect(v, "/account?done=saved")
}

// accountPassword changes the person's password, after checking the old
// one; their other sessions end. The new password is judged first, so a
// refused one costs no attempt.
func (c *Console) accountPassword(v *visit) error {
	f := v.r.PostForm
	pw, again := f.Get("new"), f.Get("confirm")
	if pw != again {
		return c.accountAgain(v, http.StatusBadRequest, "account.mismatch")
	}
	if err := CheckNewPassword(v.user.Username, pw); err != nil {
		return c.accountAgain(v, http.StatusBadRequest, weakPasswordKey(err))
	}
	return c.checkCurrent(v, func() error {
		hash, err := c.hashPassword(v.r.Context(), pw)
		if errors.Is(err, errHashBusy) {
			busy(v)
			return c.accountAgain(v, http.StatusTooManyRequests, "error.busy")
		}
		if err != nil {
			return err
		}
		if err := c.db.SetPassword(v.r.Context(), v.user.Username, hash, v.user.Username, v.sess.ID); err != nil {
			return err
		}
		return redirect(v, "/account?done=password")
	})
}

// accountTOTP enrols a second factor: the form carries the new secret
// (signed, so it cannot be swapped) and a code from the app proving it
// was stored.
func (c *Console) accountTOTP(v *visit) error {
	if v.user.TOTPSecret != "" {
		return failure(http.StatusConflict, "error.conflict")
	}
	secret := v.r.PostForm.Get("secret")
	if !c.signer().checkSigned("totp-enrol", v.binding(), secret, v.r.PostForm.Get("secret_sig")) {
		return failure(http.StatusBadRequest, "error.csrf")
	}
	step, ok := VerifyTOTP(secret, v.r.PostForm.Get("code"), c.clock.Now())
	if !ok {
		return c.accountAgain(v, http.StatusBadRequest, "totp.bad")
	}
	if err := c.db.SetTOTP(v.r.Context(), v.user.Username, secret, v.user.Username); err != nil {
		return err
	}
	if err := c.db.UseTOTPStep(v.r.Context(), v.user.ID, step); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return redirect(v, "/account?done=totp")
}

// accountTOTPRemove removes the second factor, unless it is mandatory for
// the role; the password is asked again.
func (c *Console) accountTOTPRemove(v *visit) error {
	if c.mfaRequired(v.user.Role) {
		return failure(http.StatusForbidden, "account.totprequired")
	}
	return c.checkCurrent(v, func() error {
		if err := c.db.SetTOTP(v.r.Context(), v.user.Username, "", v.user.Username); err != nil {
			return err
		}
		return redirect(v, "/account?done=totpoff")
	})
}
