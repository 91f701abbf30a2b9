package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP as RFC 6238 describes it with the parameters every authenticator
// app accepts: HMAC-SHA1, 6 digits, 30-second steps.
const (
	totpStep   = 30 * time.Second
	totpDigits = 6
	// totpSkew is how many steps either side of now are accepted, for
	// phones whose clock is a little off.
	totpSkew = 1
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a fresh 160-bit secret, base32-encoded as
// authenticator apps expect it.
func NewTOTPSecret() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("console: totp secret: %w", err)
	}
	return b32.EncodeToString(b), nil
}

// TOTPCode computes the code of the time step containing t.
func TOTPCode(secret string, t time.Time) (string, error) {
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return "", err
	}
	return hotp(key, uint64(t.Unix()/int64(totpStep/time.Second))), nil
}

// VerifyTOTP checks code against the steps around t and returns the step it
// matched, so the caller can refuse a step already used.
func VerifyTOTP(secret, code string, t time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != totpDigits {
		return 0, false
	}
	key, err := decodeTOTPSecret(secret)
	if err != nil {
		return 0, false
	}
	now := t.Unix() / int64(totpStep/time.Second)
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := now + d
		if step < 0 {
			continue
		}
		if hmac.Equal([]byte(hotp(key, uint64(step))), []byte(code)) {
			return step, true
		}
	}
	return 0, false
}

// TOTPURI is the otpauth:// URI an authenticator app reads (typed in, or
// pasted) to enrol the secret.
func TOTPURI(issuer, username, secret string) string {
	label := url.PathEscape(issuer + ":" + username)
	q := url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}

func decodeTOTPSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	s = strings.TrimRight(s, "=")
	key, err := b32.DecodeString(s)
	if err != nil || len(key) < 10 {
		return nil, fmt.Errorf("console: totp secret is not base32 of at least 80 bits")
	}
	return key, nil
}

// hotp is RFC 4226's HOTP with dynamic truncation.
func hotp(key []byte, counter uint64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%1_000_000)
}
