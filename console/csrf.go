package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/ascolto/ascolto/store"
)

// CSRF tokens. A form token is bound to the browser that received it (its
// session, or before sign-in its pre-session cookie), signed with the
// console's key, valid for a limited time and spent when the form is
// accepted: a token from another browser, a forged one, an old one and a
// replayed one are all refused. The nonce ledger is in the store, so every
// instance refuses a replay.
//
// Layout (base64url): version(1) | issued unix seconds(8) | nonce(12) | mac(16).

const (
	csrfVersion = 1
	csrfNonce   = 12
	csrfMAC     = 16
	csrfLen     = 1 + 8 + csrfNonce + csrfMAC
)

// Why a token was refused; the edges show one message for all of them.
var (
	errCSRFMissing  = errors.New("console: csrf token missing")
	errCSRFMalform  = errors.New("console: csrf token malformed")
	errCSRFForeign  = errors.New("console: csrf token not issued to this browser")
	errCSRFExpired  = errors.New("console: csrf token expired")
	errCSRFReplayed = errors.New("console: csrf token already used")
)

// signer makes and checks tokens with the console's key.
type signer struct {
	key    []byte
	maxAge time.Duration
}

func (s *signer) mac(purpose, binding string, issued int64, nonce []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "%s\x00%s\x00%d\x00", purpose, binding, issued)
	m.Write(nonce)
	return m.Sum(nil)[:csrfMAC]
}

// issue returns a fresh token for purpose ("form", "ws") bound to binding.
func (s *signer) issue(purpose, binding string, now time.Time) string {
	b := make([]byte, csrfLen)
	b[0] = csrfVersion
	binary.BigEndian.PutUint64(b[1:9], uint64(now.Unix()))
	nonce := b[9 : 9+csrfNonce]
	rand.Read(nonce)
	copy(b[9+csrfNonce:], s.mac(purpose, binding, now.Unix(), nonce))
	return base64.RawURLEncoding.EncodeToString(b)
}

// verify checks a token's signature, binding and age, and returns its nonce
// and the time after which it is worthless anyway.
func (s *signer) verify(purpose, binding, token string, now time.Time) (nonce string, expires time.Time, err error) {
	if token == "" {
		return "", time.Time{}, errCSRFMissing
	}
	if len(token) > 2*csrfLen {
		return "", time.Time{}, errCSRFMalform
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != csrfLen || b[0] != csrfVersion {
		return "", time.Time{}, errCSRFMalform
	}
	issued := int64(binary.BigEndian.Uint64(b[1:9]))
	n := b[9 : 9+csrfNonce]
	if !hmac.Equal(b[9+csrfNonce:], s.mac(purpose, binding, issued, n)) {
		return "", time.Time{}, errCSRFForeign
	}
	at := time.Unix(issued, 0)
	expires = at.Add(s.maxAge)
	if now.After(expires) || at.After(now.Add(time.Minute)) {
		return "", time.Time{}, errCSRFExpired
	}
	return hex.EncodeToString(n), expires, nil
}

// sign returns an HMAC of value for purpose and binding, for values a form
// carries and must get back unchanged (a TOTP secret being enrolled).
func (s *signer) sign(purpose, binding, value string) string {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "%s\x00%s\x00%s", purpose, binding, value)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkSigned reports whether sig is sign(purpose, binding, value).
func (s *signer) checkSigned(purpose, binding, value, sig string) bool {
	return hmac.Equal([]byte(sig), []byte(s.sign(purpose, binding, value)))
}

// spendForm verifies a form token and spends its nonce.
func (c *Console) spendForm(ctx context.Context, binding, token string) error {
	sg := c.signer()
	if sg == nil {
		return errNotReady
	}
	if binding == "" {
		return errCSRFForeign // a browser with neither session nor pre-session cookie
	}
	nonce, expires, err := sg.verify("form", binding, token, c.clock.Now())
	if err != nil {
		return err
	}
	if err := c.db.SpendNonce(ctx, nonce, expires); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errCSRFReplayed
		}
		return err
	}
	return nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func sessionKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
