package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/ascolto/ascolto/store"
)

type usersData struct {
	Users []store.User
	Form  store.User
	Roles []string
}

func roles() []string {
	return []string{store.RoleAgent, store.RoleSupervisor, store.RoleOpsRoom, store.RoleAdmin}
}

// usersPage lists the console's users with a form to add one.
func (c *Console) usersPage(v *visit) error {
	return c.usersAgain(v, http.StatusOK, store.User{Role: store.RoleAgent}, "")
}

func (c *Console) usersAgain(v *visit, code int, form store.User, problem string) error {
	us, err := c.db.Users(v.r.Context())
	if err != nil {
		return err
	}
	p := c.newPage(v, "users.title", usersData{Users: us, Form: form, Roles: roles()})
	if problem != "" {
		p.Problem = p.T(problem)
	}
	return c.render(v, code, "users", p)
}

// validUsername: 2-64 of lowercase letters, digits, '.', '-', '_'.
func validUsername(s string) bool {
	if len(s) < 2 || len(s) > maxUsernameLen {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// userCreate adds a user from the admin form.
func (c *Console) userCreate(v *visit) error {
	f := v.r.PostForm
	u := store.User{Username: strings.ToLower(strings.TrimSpace(f.Get("username"))), DisplayName: strings.TrimSpace(f.Get("display_name")),
		Email: strings.TrimSpace(f.Get("email")), Role: f.Get("role"), Lang: f.Get("lang")}
	if u.Lang != "en" {
		u.Lang = "it"
	}
	switch {
	case !validUsername(u.Username):
		return c.usersAgain(v, http.StatusBadRequest, u, "users.badname")
	case !store.ValidRole(u.Role):
		return c.usersAgain(v, http.StatusBadRequest, u, "users.badrole")
	case len(u.DisplayName) > 100 || len(u.Email) > 200:
		return c.usersAgain(v, http.StatusBadRequest, u, "error.invalid")
	case f.Get("password") != f.Get("confirm"):
		return c.usersAgain(v, http.StatusBadRequest, u, "account.mismatch")
	}
	if err := CheckNewPassword(u.Username, f.Get("password")); err != nil {
		return c.usersAgain(v, http.StatusBadRequest, u, weakPasswordKey(err))
	}
	hash, err := c.hashPassword(v.r.Context(), f.Get("password"))
	if errors.Is(err, errHashBusy) {
		busy(v)
		return c.usersAgain(v, http.StatusTooManyRequests, u, "error.busy")
	}
	if err != nil {
		return err
	}
	u.PasswordHash = hash
	if err := c.db.CreateUser(v.r.Context(), &u, v.user.Username); err != nil {
		ue := classify(err)
		if ue.code >= 500 {
			return err
		}
		return c.usersAgain(v, ue.code, u, map[bool]string{true: "users.taken", false: ue.key}[ue.code == http.StatusConflict])
	}
	return redirect(v, "/admin/users/"+u.Username+"?done=created")
}

type userData struct {
	U        store.User
	Roles    []string
	Sessions int
	Audit    []store.AuditEntry
}

func (c *Console) userPage(v *visit) error {
	return c.userAgain(v, http.StatusOK, "")
}

func (c *Console) userAgain(v *visit, code int, problem string) error {
	ctx := v.r.Context()
	u, err := c.db.UserByName(ctx, v.r.PathValue("name"))
	if err != nil {
		return err
	}
	ss, err := c.db.UserSessions(ctx, u.ID)
	if err != nil {
		return err
	}
	actor := u.Username
	acted, err := c.db.AuditLog(ctx, store.AuditFilter{Actor: &actor, Limit: 20})
	if err != nil {
		return err
	}
	p := c.newPage(v, "users.edit", userData{U: u, Roles: roles(), Sessions: len(ss), Audit: acted})
	if problem != "" {
		p.Problem = p.T(problem)
	}
	return c.render(v, code, "user", p)
}

// userUpdate applies one admin action to a user: "role", "disable",
// "enable", "password", "totp-reset", "profile".
func (c *Console) userUpdate(v *visit) error {
	ctx := v.r.Context()
	name := v.r.PathValue("name")
	f := v.r.PostForm
	by := v.user.Username
	var err error
	switch f.Get("action") {
	case "role":
		err = c.db.SetUserRole(ctx, name, f.Get("role"), by)
	case "disable":
		if name == by {
			return c.userAgain(v, http.StatusConflict, "users.notself")
		}
		if err = c.db.SetUserDisabled(ctx, name, true, by); err == nil {
			c.closeUser(v, name)
		}
	case "enable":
		err = c.db.SetUserDisabled(ctx, name, false, by)
	case "password":
		if f.Get("password") != f.Get("confirm") {
			return c.userAgain(v, http.StatusBadRequest, "account.mismatch")
		}
		if err := CheckNewPassword(name, f.Get("password")); err != nil {
			return c.userAgain(v, http.StatusBadRequest, weakPasswordKey(err))
		}
		hash, herr := c.hashPassword(ctx, f.Get("password"))
		if errors.Is(herr, errHashBusy) {
			busy(v)
			return c.userAgain(v, http.StatusTooManyRequests, "error.busy")
		}
		if err = herr; err == nil {
			if err = c.db.SetPassword(ctx, name, hash, by, ""); err == nil {
				c.closeUser(v, name)
			}
		}
	case "totp-reset":
		err = c.db.SetTOTP(ctx, name, "", by)
	case "profile":
		dn, em := strings.TrimSpace(f.Get("display_name")), strings.TrimSpace(f.Get("email"))
		if len(dn) > 100 || len(em) > 200 {
			return c.userAgain(v, http.StatusBadRequest, "error.invalid")
		}
		upd := store.UserUpdate{DisplayName: &dn, Email: &em}
		if l := f.Get("lang"); l != "" {
			upd.Lang = &l
		}
		if s := f.Get("site_id"); s != "" {
			id, perr := strconv.ParseInt(s, 10, 64)
			if perr != nil || id < 0 {
				return c.userAgain(v, http.StatusBadRequest, "error.invalid")
			}
			upd.SiteID = &id
		}
		err = c.db.UpdateUser(ctx, name, upd, by)
	default:
		return failure(http.StatusBadRequest, "error.invalid")
	}
	if err != nil {
		ue := classify(err)
		if ue.code >= 500 || ue.code == http.StatusNotFound {
			return err
		}
		key := ue.key
		if ue.code == http.StatusConflict {
			key = "users.lastadmin"
		}
		return c.userAgain(v, ue.code, key)
	}
	return redirect(v, "/admin/users/"+name+"?done=saved")
}

// closeUser ends the WebSockets of a user whose sessions the store just
// deleted (disabled, or password reset by an admin).
func (c *Console) closeUser(v *visit, username string) {
	c.hub.mu.RLock()
	var sessions []string
	for cl := range c.hub.clients {
		if cl.username == username {
			sessions = append(sessions, cl.session)
		}
	}
	c.hub.mu.RUnlock()
	for _, s := range sessions {
		c.hub.closeSession(s, "session.expired")
	}
}
