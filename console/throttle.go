package console

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// Two things keep password guessing and password hashing within bounds:
//
//   - every check of a secret (password at sign-in, second factor, current
//     password on the account page) first reserves an attempt in the store,
//     atomically, against the per-username and per-address failure limits;
//     past a limit the secret is not checked at all;
//   - every argon2id computation takes a slot of hashGate, sized to the
//     cores, so a burst of sign-ins queues for the CPU instead of taking
//     19 MiB each at once.

// errHashBusy means every password-hashing slot stayed taken for the whole
// wait (or the request ended while waiting).
var errHashBusy = errors.New("console: password hashing busy")

// hashGate bounds how many argon2id computations run at once. Each holds
// argonMemory (19 MiB) for tens of milliseconds, and the CPU cannot run
// more of them at once than it has cores anyway: fifty sign-ins at once
// took a gigabyte before this bound. Past it a request waits up to wait for
// a slot, then is told to come back (429).
type hashGate struct {
	slots chan struct{}
	wait  time.Duration
	busy  atomic.Int64 // refusals, for the metrics
	// hook runs inside a slot before the hash: tests block it there.
	hook func()
}

func newHashGate(size int, wait time.Duration) *hashGate {
	return &hashGate{slots: make(chan struct{}, size), wait: wait}
}

// run runs fn, which hashes, in a slot; errHashBusy when none came free in
// time or ctx ended first.
func (g *hashGate) run(ctx context.Context, fn func()) error {
	select {
	case g.slots <- struct{}{}:
	default:
		t := time.NewTimer(g.wait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			g.busy.Add(1)
			return errHashBusy
		case <-ctx.Done():
			g.busy.Add(1)
			return errHashBusy
		}
	}
	defer func() { <-g.slots }()
	if g.hook != nil {
		g.hook()
	}
	fn()
	return nil
}

// busyRetry is the Retry-After of a request refused for want of a hashing
// slot: a sign-in takes tens of milliseconds, so a second is plenty.
const busyRetry = 1

// busy sets Retry-After on a response refused by the hash gate.
func busy(v *visit) {
	v.w.Header().Set("Retry-After", fmt.Sprint(busyRetry))
}

// attempt is one reserved try at a user's secret. Settle it with failed or
// succeeded once the secret is checked; release (deferred) forgets it if it
// never was, so a request refused for another reason does not count.
type attempt struct {
	c        *Console
	id       int64
	username string
	settled  bool
}

// reserve takes an attempt at username's secret from remote, or says how
// long to wait (rounded up to a second) when either is past its limit.
func (c *Console) reserve(ctx context.Context, username, remote string) (*attempt, time.Duration, error) {
	now := c.clock.Now()
	id, f, err := c.db.ReserveLoginAttempt(ctx, username, remote, store.LoginLimits{Since: now.Add(-c.cfg.LoginWindow),
		PerUser: c.cfg.MaxFailuresPerUser, PerRemote: c.cfg.MaxFailuresPerAddr})
	if err != nil {
		return nil, 0, err
	}
	if id != 0 {
		return &attempt{c: c, id: id, username: username}, 0, nil
	}
	var wait time.Duration
	if f.ByUser >= c.cfg.MaxFailuresPerUser {
		wait = max(wait, f.OldestUser.Add(c.cfg.LoginWindow).Sub(now))
	}
	if f.ByRemote >= c.cfg.MaxFailuresPerAddr {
		wait = max(wait, f.OldestRemote.Add(c.cfg.LoginWindow).Sub(now))
	}
	return nil, max(wait, time.Second), nil
}

// failed leaves the reservation in place: it is now a recorded failure.
func (a *attempt) failed() { a.settled = true }

// succeeded forgets the user's failures, as a right answer proves the
// person knows the secret.
func (a *attempt) succeeded(ctx context.Context) error {
	a.settled = true
	return a.c.db.ClearLoginFailures(ctx, a.username)
}

// release forgets a reservation that was never settled. It runs even when
// the request's context has ended.
func (a *attempt) release(ctx context.Context) {
	if a == nil || a.settled {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.c.db.ForgetLoginAttempt(ctx, a.id); err != nil {
		a.c.log.Warn("forget unchecked sign-in attempt", zap.Error(err))
	}
}

// throttledFor says, in the page's words, how long to wait, and sets
// Retry-After.
func throttledFor(v *visit, wait time.Duration) int {
	v.w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
	return int(math.Ceil(wait.Minutes()))
}

// checkPassword verifies pw against the user's hash within a hashing slot.
func (c *Console) checkPassword(ctx context.Context, hash, pw string) (bool, error) {
	var ok bool
	err := c.gate.run(ctx, func() { ok = VerifyPassword(hash, pw) })
	return ok, err
}

// hashPassword hashes a new password within a hashing slot.
func (c *Console) hashPassword(ctx context.Context, pw string) (string, error) {
	var hash string
	var herr error
	if err := c.gate.run(ctx, func() { hash, herr = HashPassword(pw) }); err != nil {
		return "", err
	}
	return hash, herr
}
