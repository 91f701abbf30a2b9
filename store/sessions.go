package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"
)

// Session is a signed-in browser. ID is the SHA-256 (hex) of the token in
// the cookie; the token itself is never stored.
type Session struct {
	ID         string
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end, whatever the activity
	MFAPending bool      // password accepted, second factor still owed
	Lang       string    // "" follows the user's language
	Remote     string
	UserAgent  string
}

const sessionColumns = `id, user_id, created_at, last_seen_at, expires_at, mfa_pending, lang, remote, user_agent`

func scanSession(sc interface{ Scan(...any) error }) (Session, error) {
	var s Session
	err := sc.Scan(&s.ID, &s.UserID, nullTime{&s.CreatedAt}, nullTime{&s.LastSeenAt}, nullTime{&s.ExpiresAt},
		&s.MFAPending, &s.Lang, &s.Remote, &s.UserAgent)
	return s, err
}

// CreateSession stores a new session; CreatedAt and LastSeenAt are the
// transaction's time. With a non-empty replaces, that session (the
// half-signed-in one before the second factor) goes in the same
// transaction, so a session id never survives a change of privilege.
func (db *DB) CreateSession(ctx context.Context, s *Session, replaces string) error {
	if s.ID == "" || s.UserID == 0 || s.ExpiresAt.IsZero() {
		return invalid("a session needs an id, a user and an expiry")
	}
	if len(s.UserAgent) > 300 {
		s.UserAgent = s.UserAgent[:300]
	}
	return db.InTx(ctx, func(tx *Tx) error {
		if replaces != "" {
			if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE id = $1`, replaces); err != nil {
				return fmt.Errorf("store: end session: %w", err)
			}
		}
		s.CreatedAt, s.LastSeenAt = tx.Now, tx.Now
		_, err := tx.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8)`,
			s.ID, s.UserID, tx.Now, s.ExpiresAt, s.MFAPending, s.Lang, s.Remote, s.UserAgent)
		if err != nil {
			if tx.d.isForeignKeyViolation(err) {
				return fmt.Errorf("%w: user %d", ErrNotFound, s.UserID)
			}
			return fmt.Errorf("store: create session: %w", err)
		}
		return nil
	})
}

// SessionByID returns a session, expired or not: the caller decides on
// expiry with its own clock and idle policy.
func (db *DB) SessionByID(ctx context.Context, id string) (Session, error) {
	s, err := scanSession(db.reader().queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = $1`, id))
	if err != nil {
		return Session{}, notFound(err, "session")
	}
	return s, nil
}

// TouchSession records activity on a session at the store's time.
func (db *DB) TouchSession(ctx context.Context, id string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		return expectOne(tx.exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, tx.Now, id))("session")
	})
}

// SetSessionLang sets the session's language ("" follows the user's).
func (db *DB) SetSessionLang(ctx context.Context, id, lang string) error {
	if lang != "" && lang != "it" && lang != "en" {
		return invalid("language %q (allowed: it, en)", lang)
	}
	return db.InTx(ctx, func(tx *Tx) error {
		return expectOne(tx.exec(ctx, `UPDATE sessions SET lang = $1 WHERE id = $2`, lang, id))("session")
	})
}

// DeleteSession ends a session (logout); ending one that is gone is not an error.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM sessions WHERE id = $1`, id); err != nil {
			return fmt.Errorf("store: end session: %w", err)
		}
		return nil
	})
}

// UserSessions lists a user's sessions, newest first.
func (db *DB) UserSessions(ctx context.Context, userID int64) ([]Session, error) {
	rows, err := db.reader().query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = $1 ORDER BY created_at DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: list sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read session: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// PurgeSessions deletes sessions whose absolute expiry has passed or that
// were idle since before idleBefore, spent CSRF nonces past their expiry, and
// login failures older than failuresBefore. It returns the sessions removed.
func (db *DB) PurgeSessions(ctx context.Context, idleBefore, failuresBefore time.Time) (int64, error) {
	var n int64
	err := db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2`, tx.Now, idleBefore)
		if err != nil {
			return fmt.Errorf("store: purge sessions: %w", err)
		}
		n, _ = res.RowsAffected()
		if _, err := tx.exec(ctx, `DELETE FROM csrf_nonces WHERE expires_at <= $1`, tx.Now); err != nil {
			return fmt.Errorf("store: purge csrf nonces: %w", err)
		}
		if _, err := tx.exec(ctx, `DELETE FROM login_failures WHERE at < $1`, failuresBefore); err != nil {
			return fmt.Errorf("store: purge login failures: %w", err)
		}
		return nil
	})
	return n, err
}

// SpendNonce records a CSRF token's nonce as used until expires. A nonce
// already spent is ErrConflict: the token is being replayed.
func (db *DB) SpendNonce(ctx context.Context, nonce string, expires time.Time) error {
	if nonce == "" {
		return invalid("empty nonce")
	}
	err := db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO csrf_nonces (nonce, expires_at) VALUES ($1, $2)`, nonce, expires)
		return err
	})
	if err != nil {
		if db.d.isUniqueViolation(err) {
			return fmt.Errorf("%w: nonce already spent", ErrConflict)
		}
		return fmt.Errorf("store: spend nonce: %w", err)
	}
	return nil
}

// LoginFailures counts failures in a window, for a username and for an
// address, with the oldest of each in the window (zero when none), so the
// caller can say when the next attempt will be allowed.
type LoginFailures struct {
	ByUser, ByRemote         int
	OldestUser, OldestRemote time.Time
}

// ClearLoginFailures forgets a username's failures after a good sign-in.
func (db *DB) ClearLoginFailures(ctx context.Context, username string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM login_failures WHERE username = $1`, username); err != nil {
			return fmt.Errorf("store: clear login failures: %w", err)
		}
		return nil
	})
}

// lockLoginAttempts is the upper half of the advisory-lock keys that
// serialise sign-in attempts per username and per address on PostgreSQL;
// the lower half is a hash of the name, so different users do not wait
// for each other (a collision only makes two attempts take turns).
const lockLoginAttempts = 7421014

// LoginLimits is the throttle a reservation is checked against: at most
// PerUser failures for a username and PerRemote for an address since Since.
type LoginLimits struct {
	Since     time.Time
	PerUser   int
	PerRemote int
}

// ReserveLoginAttempt is the throttle's one atomic step, taken before a
// password or code is checked. It counts the failures since lim.Since for
// username and for remote and, when both are under their limit, records
// this attempt as a failure in advance and returns its id; at a limit it
// records nothing and returns 0 with the counts. Nothing interleaves
// between the count and the record: SQLite has a single writer, and on
// PostgreSQL the transaction holds advisory locks on the username and the
// address. So however many attempts arrive at once, at most the limit get
// an id. The caller leaves the row when the secret was wrong, clears the
// user's failures when it was right (ClearLoginFailures), and forgets the
// row (ForgetLoginAttempt) when the secret was never checked.
func (db *DB) ReserveLoginAttempt(ctx context.Context, username, remote string, lim LoginLimits) (int64, LoginFailures, error) {
	if len(username) > 200 {
		username = username[:200]
	}
	var id int64
	var f LoginFailures
	err := db.InTx(ctx, func(tx *Tx) error {
		// Always in the same order, so two attempts never wait for each other's second lock.
		a, b := loginLockKey("u:"+username), loginLockKey("r:"+remote)
		if b < a {
			a, b = b, a
		}
		for _, k := range []int64{a, b} {
			if err := tx.lock(ctx, k); err != nil {
				return err
			}
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*), MIN(at) FROM login_failures WHERE username = $1 AND at >= $2`,
			username, lim.Since).Scan(&f.ByUser, nullTime{&f.OldestUser}); err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `SELECT COUNT(*), MIN(at) FROM login_failures WHERE remote = $1 AND at >= $2`,
			remote, lim.Since).Scan(&f.ByRemote, nullTime{&f.OldestRemote}); err != nil {
			return err
		}
		if f.ByUser >= lim.PerUser || f.ByRemote >= lim.PerRemote {
			return nil
		}
		return tx.queryRow(ctx, `INSERT INTO login_failures (at, username, remote) VALUES ($1, $2, $3) RETURNING id`,
			tx.Now, username, remote).Scan(&id)
	})
	if err != nil {
		return 0, f, fmt.Errorf("store: reserve login attempt: %w", err)
	}
	return id, f, nil
}

func loginLockKey(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return lockLoginAttempts<<32 | int64(h.Sum32())
}

// ForgetLoginAttempt deletes a reservation whose secret was never checked
// (the server was too busy to check it, or the request failed first).
func (db *DB) ForgetLoginAttempt(ctx context.Context, id int64) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `DELETE FROM login_failures WHERE id = $1`, id); err != nil {
			return fmt.Errorf("store: forget login attempt %d: %w", id, err)
		}
		return nil
	})
}

// ConsoleKey returns the named signing key, creating it from gen the first
// time; every instance sharing the database gets the same key.
func (db *DB) ConsoleKey(ctx context.Context, name string, gen func() string) (string, error) {
	var v string
	err := db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO console_keys (name, value, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO NOTHING`, name, gen(), tx.Now); err != nil {
			return fmt.Errorf("store: create console key %s: %w", name, err)
		}
		return tx.queryRow(ctx, `SELECT value FROM console_keys WHERE name = $1`, name).Scan(&v)
	})
	if err != nil {
		return "", fmt.Errorf("store: console key %s: %w", name, err)
	}
	return v, nil
}

// expectOne turns an UPDATE's result into ErrNotFound when no row matched.
func expectOne(res interface{ RowsAffected() (int64, error) }, err error) func(what string) error {
	return func(what string) error {
		if err != nil {
			return fmt.Errorf("store: update %s: %w", what, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: update %s: %w", what, err)
		}
		if n == 0 {
			return fmt.Errorf("%w: %s", ErrNotFound, what)
		}
		return nil
	}
}
