package store

import (
	"context"
	"fmt"
	"time"
)

// Roles a user can have; the console enforces them on every page and action.
const (
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
	RoleOpsRoom    = "opsroom"
	RoleAdmin      = "admin"
)

// ValidRole reports whether r is one of the four roles.
func ValidRole(r string) bool {
	return r == RoleAgent || r == RoleSupervisor || r == RoleOpsRoom || r == RoleAdmin
}

// User is a person who signs in to the console.
type User struct {
	ID           int64
	Username     string
	DisplayName  string
	Email        string
	Role         string
	PasswordHash string // never the password itself
	TOTPSecret   string
	Lang         string
	SiteID       int64
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const userColumns = `id, username, display_name, email, role, password_hash, totp_secret, lang,
	COALESCE(site_id, 0), disabled, created_at, updated_at`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.Role, &u.PasswordHash, &u.TOTPSecret, &u.Lang,
		&u.SiteID, &u.Disabled, nullTime{&u.CreatedAt}, nullTime{&u.UpdatedAt})
	return u, err
}

// CreateUser adds a user, audited; a taken username is ErrConflict.
func (db *DB) CreateUser(ctx context.Context, u *User, actor string) error {
	if u.Username == "" || u.PasswordHash == "" {
		return invalid("a user needs a username and a password hash")
	}
	if !ValidRole(u.Role) {
		return invalid("role %q (allowed: agent, supervisor, opsroom, admin)", u.Role)
	}
	if u.Lang == "" {
		u.Lang = "it"
	}
	secret, err := db.seal(u.TOTPSecret)
	if err != nil {
		return err
	}
	err = db.InTx(ctx, func(tx *Tx) error {
		u.CreatedAt, u.UpdatedAt = tx.Now, tx.Now
		if err := tx.queryRow(ctx, `INSERT INTO users (username, display_name, email, role, password_hash, totp_secret, lang,
			site_id, disabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id`,
			u.Username, u.DisplayName, u.Email, u.Role, u.PasswordHash, secret, u.Lang, nullID(u.SiteID),
			u.Disabled, tx.Now).Scan(&u.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "user.add", Object: "user:" + u.Username,
			Detail: map[string]any{"role": u.Role}})
	})
	if err != nil {
		if db.d.isUniqueViolation(err) {
			return fmt.Errorf("%w: user %s", ErrConflict, u.Username)
		}
		return fmt.Errorf("store: create user %s: %w", u.Username, err)
	}
	return nil
}

// UserByName returns a user by username.
func (db *DB) UserByName(ctx context.Context, username string) (User, error) {
	u, err := scanUser(db.reader().queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
	if err != nil {
		return User{}, notFound(err, "user "+username)
	}
	return db.openSecrets(u)
}

// openSecrets unseals a user's TOTP secret as read from the table.
func (db *DB) openSecrets(u User) (User, error) {
	s, err := db.unseal(u.TOTPSecret)
	if err != nil {
		return User{}, fmt.Errorf("user %s: TOTP secret: %w", u.Username, err)
	}
	u.TOTPSecret = s
	return u, nil
}

// Users lists all users by username.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := db.reader().query(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read user: %w", err)
		}
		if open, err := db.openSecrets(u); err == nil {
			u = open
		} // else the listing shows the second factor as set, still sealed
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountActiveAdmins tells whether a fresh installation still needs its first admin.
func (db *DB) CountActiveAdmins(ctx context.Context) (int, error) {
	var n int
	err := db.reader().queryRow(ctx, `SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count admins: %w", err)
	}
	return n, nil
}
