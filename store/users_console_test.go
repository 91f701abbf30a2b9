package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

func addUser(t *testing.T, db *store.DB, name, role string) store.User {
	t.Helper()
	u := store.User{Username: name, Role: role, PasswordHash: "$argon2id$test"}
	if err := db.CreateUser(ctx, &u, "test"); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUserRoleAndDisableKeepAnAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		addUser(t, db, "capo", store.RoleAdmin)
		addUser(t, db, "rossi", store.RoleAgent)
		tests := []struct {
			name string
			do   func() error
			want error
		}{
			{"demote the only admin", func() error { return db.SetUserRole(ctx, "capo", store.RoleAgent, "t") }, store.ErrConflict},
			{"disable the only admin", func() error { return db.SetUserDisabled(ctx, "capo", true, "t") }, store.ErrConflict},
			{"unknown role", func() error { return db.SetUserRole(ctx, "rossi", "boss", "t") }, store.ErrInvalid},
			{"unknown user", func() error { return db.SetUserRole(ctx, "nessuno", store.RoleAgent, "t") }, store.ErrNotFound},
			{"promote an agent", func() error { return db.SetUserRole(ctx, "rossi", store.RoleAdmin, "t") }, nil},
			{"now the first admin may go", func() error { return db.SetUserDisabled(ctx, "capo", true, "t") }, nil},
			{"but not the second", func() error { return db.SetUserRole(ctx, "rossi", store.RoleSupervisor, "t") }, store.ErrConflict},
			{"re-enable", func() error { return db.SetUserDisabled(ctx, "capo", false, "t") }, nil},
			{"bad language", func() error { l := "de"; return db.UpdateUser(ctx, "rossi", store.UserUpdate{Lang: &l}, "t") }, store.ErrInvalid},
			{"unknown site", func() error { s := int64(999); return db.UpdateUser(ctx, "rossi", store.UserUpdate{SiteID: &s}, "t") }, store.ErrNotFound},
		}
		for _, tt := range tests {
			if err := tt.do(); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}
		n, err := db.CountActiveAdmins(ctx)
		if err != nil || n != 2 {
			t.Fatalf("active admins = %d, %v", n, err)
		}
		act := "user.role"
		log, err := db.AuditLog(ctx, store.AuditFilter{Action: &act})
		if err != nil || len(log) != 1 || log[0].Detail["to"] != "admin" {
			t.Fatalf("audit of role changes: %+v %v", log, err)
		}
	})
}

func TestDisableAndPasswordEndSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		u := addUser(t, db, "bianchi", store.RoleAgent)
		for _, id := range []string{"s1", "s2", "s3"} {
			s := store.Session{ID: id, UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)}
			if err := db.CreateSession(ctx, &s, ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetPassword(ctx, "bianchi", "$argon2id$new", "bianchi", "s2"); err != nil {
			t.Fatal(err)
		}
		ss, err := db.UserSessions(ctx, u.ID)
		if err != nil || len(ss) != 1 || ss[0].ID != "s2" {
			t.Fatalf("after a password change only the changing session stays: %+v %v", ss, err)
		}
		got, _ := db.UserByName(ctx, "bianchi")
		if got.PasswordHash != "$argon2id$new" {
			t.Fatalf("hash = %q", got.PasswordHash)
		}
		if err := db.SetUserDisabled(ctx, "bianchi", true, "t"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SessionByID(ctx, "s2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("disabled user's session survives: %v", err)
		}
	})
}

func TestTOTPStepIsSpentOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		u := addUser(t, db, "verdi", store.RoleSupervisor)
		if err := db.SetTOTP(ctx, "verdi", "JBSWY3DPEHPK3PXP", "t"); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			step int64
			want error
		}{{100, nil}, {100, store.ErrConflict}, {99, store.ErrConflict}, {101, nil}}
		for _, s := range steps {
			if err := db.UseTOTPStep(ctx, u.ID, s.step); !errors.Is(err, s.want) || (s.want == nil && err != nil) {
				t.Errorf("step %d: %v, want %v", s.step, err, s.want)
			}
		}
		// A new secret starts over.
		if err := db.SetTOTP(ctx, "verdi", "KRSXG5CTMVRXEZLU", "t"); err != nil {
			t.Fatal(err)
		}
		if err := db.UseTOTPStep(ctx, u.ID, 50); err != nil {
			t.Fatalf("after re-enrolment: %v", err)
		}
		got, _ := db.UserByID(ctx, u.ID)
		if got.TOTPSecret != "KRSXG5CTMVRXEZLU" {
			t.Fatalf("secret = %q", got.TOTPSecret)
		}
	})
}
