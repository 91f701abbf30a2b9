package console

import (
	"errors"
	"net/http"

	"github.com/ascolto/ascolto/store"
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

func (c *Console) accountAgain(v *visit, code int, problem string) error {
	d, err := c.accountData(v)
	if err != nil {
		return err
	}
	p := c.newPage(v, "account.title", d)
	p.Problem = p.T(problem)
	return c.render(v, code, "account", p)
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
// one; their other sessions end.
func (c *Console) accountPassword(v *visit) error {
	f := v.r.PostForm
	cur, pw, again := f.Get("current"), f.Get("new"), f.Get("confirm")
	if !VerifyPassword(v.user.PasswordHash, cur) {
		if err := c.db.RecordLoginFailure(v.r.Context(), v.user.Username, v.remote); err != nil {
			return err
		}
		return c.accountAgain(v, http.StatusUnauthorized, "account.badcurrent")
	}
	if pw != again {
		return c.accountAgain(v, http.StatusBadRequest, "account.mismatch")
	}
	if err := CheckNewPassword(v.user.Username, pw); err != nil {
		return c.accountAgain(v, http.StatusBadRequest, weakPasswordKey(err))
	}
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	if err := c.db.SetPassword(v.r.Context(), v.user.Username, hash, v.user.Username, v.sess.ID); err != nil {
		return err
	}
	return redirect(v, "/account?done=password")
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
	if !VerifyPassword(v.user.PasswordHash, v.r.PostForm.Get("current")) {
		return c.accountAgain(v, http.StatusUnauthorized, "account.badcurrent")
	}
	if err := c.db.SetTOTP(v.r.Context(), v.user.Username, "", v.user.Username); err != nil {
		return err
	}
	return redirect(v, "/account?done=totpoff")
}
