package store

import (
	"context"
	"fmt"
	"strings"
)

// lockUsers serialises changes that must keep at least one active admin.
const lockUsers = 7421006

// UserByID returns a user by id.
func (db *DB) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(db.reader().queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return User{}, notFound(err, fmt.Sprintf("user %d", id))
	}
	return db.openSecrets(u)
}

// UserUpdate changes a user's profile; nil fields stay as they are.
type UserUpdate struct {
	DisplayName *string
	Email       *string
	Lang        *string
	SiteID      *int64 // 0 clears the site
}

// UpdateUser changes a user's profile, audited.
func (db *DB) UpdateUser(ctx context.Context, username string, u UserUpdate, actor string) error {
	if u.Lang != nil && *u.Lang != "it" && *u.Lang != "en" {
		return invalid("language %q (allowed: it, en)", *u.Lang)
	}
	var sets []string
	var args []any
	detail := map[string]any{}
	add := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
		detail[col] = v
	}
	if u.DisplayName != nil {
		add("display_name", strings.TrimSpace(*u.DisplayName))
	}
	if u.Email != nil {
		add("email", strings.TrimSpace(*u.Email))
	}
	if u.Lang != nil {
		add("lang", *u.Lang)
	}
	if u.SiteID != nil {
		args = append(args, nullID(*u.SiteID))
		sets = append(sets, fmt.Sprintf("site_id = $%d", len(args)))
		detail["site_id"] = *u.SiteID
	}
	if len(sets) == 0 {
		return nil
	}
	return db.InTx(ctx, func(tx *Tx) error {
		q := `UPDATE users SET ` + strings.Join(sets, ", ") + fmt.Sprintf(", updated_at = $%d WHERE username = $%d", len(args)+1, len(args)+2)
		if err := expectOne(tx.exec(ctx, q, append(args, tx.Now, username)...))("user " + username); err != nil {
			if tx.d.isForeignKeyViolation(err) {
				return fmt.Errorf("%w: site %d", ErrNotFound, *u.SiteID)
			}
			return err
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "user.update", Object: "user:" + username, Detail: detail})
	})
}

// SetPassword replaces a user's password hash and ends the user's sessions
// except keepSession (the one that made the change, if any), audited.
func (db *DB) SetPassword(ctx context.Context, username, hash, actor, keepSession string) error {
	if hash == "" {
		return invalid("empty password hash")
	}
	return db.InTx(ctx, func(tx *Tx) error {
		if err := expectOne(tx.exec(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE username = $3`,
			hash, tx.Now, username))("user " + username); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1) AND id <> $2`,
			username, keepSession); err != nil {
			return fmt.Errorf("store: end sessions of %s: %w", username, err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "user.passwd", Object: "user:" + username})
	})
}

// SetUserRole changes a user's role, audited. Taking the admin role from
// the last active admin is ErrConflict: nobody could manage users after it.
func (db *DB) SetUserRole(ctx context.Context, username, role, actor string) error {
	if !ValidRole(role) {
		return invalid("role %q (allowed: agent, supervisor, opsroom, admin)", role)
	}
	return db.InTx(ctx, func(tx *Tx) error {
		u, err := tx.lockedUser(ctx, username)
		if err != nil {
			return err
		}
		if u.Role == role {
			return nil
		}
		if u.Role == RoleAdmin && !u.Disabled {
			if err := tx.keepAnAdmin(ctx, username); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `UPDATE users SET role = $1, updated_at = $2 WHERE id = $3`, role, tx.Now, u.ID); err != nil {
			return fmt.Errorf("store: set role of %s: %w", username, err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "user.role", Object: "user:" + username,
			Detail: map[string]any{"from": u.Role, "to": role}})
	})
}

// SetUserDisabled disables (ending every session) or re-enables a user,
// audited. Disabling the last active admin is ErrConflict.
func (db *DB) SetUserDisabled(ctx context.Context, username string, disabled bool, actor string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		u, err := tx.lockedUser(ctx, username)
		if err != nil {
			return err
		}
		if u.Disabled == disabled {
			return nil
		}
		if disabled && u.Role == RoleAdmin {
			if err := tx.keepAnAdmin(ctx, username); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, `UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3`, disabled, tx.Now, u.ID); err != nil {
			return fmt.Errorf("store: disable %s: %w", username, err)
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
			if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID); err != nil {
				return fmt.Errorf("store: end sessions of %s: %w", username, err)
			}
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: action, Object: "user:" + username})
	})
}

// SetTOTP sets a user's TOTP secret (base32), or removes the second factor
// when secret is empty, audited. The secret itself never reaches the log.
func (db *DB) SetTOTP(ctx context.Context, username, secret, actor string) error {
	plain := secret
	secret, err := db.seal(plain)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *Tx) error {
		if err := expectOne(tx.exec(ctx, `UPDATE users SET totp_secret = $1, totp_last_step = 0, updated_at = $2 WHERE username = $3`,
			secret, tx.Now, username))("user " + username); err != nil {
			return err
		}
		action := "user.totp.set"
		if plain == "" {
			action = "user.totp.clear"
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: action, Object: "user:" + username})
	})
}

// UseTOTPStep records that the user signed in with the TOTP code of time
// step step. A step not newer than the last one used is ErrConflict: a code
// seen once (or an older one) cannot be replayed.
func (db *DB) UseTOTPStep(ctx context.Context, userID, step int64) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, step, userID)
		if err != nil {
			return fmt.Errorf("store: record totp step of user %d: %w", userID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("store: record totp step of user %d: %w", userID, err)
		} else if n == 0 {
			return fmt.Errorf("%w: totp code of user %d already used", ErrConflict, userID)
		}
		return nil
	})
}

// lockedUser reads a user inside a transaction that holds the users lock.
func (tx *Tx) lockedUser(ctx context.Context, username string) (User, error) {
	if err := tx.lock(ctx, lockUsers); err != nil {
		return User{}, err
	}
	u, err := scanUser(tx.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
	if err != nil {
		return User{}, notFound(err, "user "+username)
	}
	return u, nil
}

// keepAnAdmin fails unless an active admin other than username remains.
func (tx *Tx) keepAnAdmin(ctx context.Context, username string) error {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled AND username <> $1`,
		username).Scan(&n); err != nil {
		return fmt.Errorf("store: count admins: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("%w: %s is the last active admin", ErrConflict, username)
	}
	return nil
}
