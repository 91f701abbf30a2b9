package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Secrets at rest: the users' TOTP secrets are sealed with AES-256-GCM
// under the installation's secret key, so a copy of the database (a
// backup, a dump handed to a vendor) does not carry everyone's second
// factor. A sealed value reads
//
//	sealed:v1:<key id>:<base64 of nonce and ciphertext>
//
// where the key id (8 hex digits of the key's SHA-256) says which key
// sealed it, so a value sealed under another key is reported as such
// rather than as a wrong code. Values written before a key was configured
// stay readable and are sealed by SealSecrets.

const sealedPrefix = "sealed:v1:"

// SecretKeySize is the length of the secret key in bytes.
const SecretKeySize = 32

// ErrSecretKey reports a sealed value that cannot be opened: no key is
// configured, or another key sealed it.
var ErrSecretKey = errors.New("store: sealed secret")

type sealer struct {
	aead cipher.AEAD
	id   string
}

func newSealer(key []byte) (*sealer, error) {
	if len(key) != SecretKeySize {
		return nil, fmt.Errorf("store: the secret key must be %d bytes, not %d", SecretKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key)
	return &sealer{aead: aead, id: hex.EncodeToString(sum[:4])}, nil
}

// seal returns v sealed, or v itself without a key or when empty.
func (db *DB) seal(v string) (string, error) {
	if db.sealer == nil || v == "" || strings.HasPrefix(v, sealedPrefix) {
		return v, nil
	}
	nonce := make([]byte, db.sealer.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := db.sealer.aead.Seal(nonce, nonce, []byte(v), []byte(db.sealer.id))
	return sealedPrefix + db.sealer.id + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// unseal opens a sealed value; a value never sealed is returned as is.
func (db *DB) unseal(v string) (string, error) {
	rest, ok := strings.CutPrefix(v, sealedPrefix)
	if !ok {
		return v, nil
	}
	id, body, ok := strings.Cut(rest, ":")
	switch {
	case !ok:
		return "", fmt.Errorf("%w: malformed", ErrSecretKey)
	case db.sealer == nil:
		return "", fmt.Errorf("%w: sealed under key %s, and no seal key is configured (ASCOLTO_SEAL_KEY, or the data dir's secret.key)", ErrSecretKey, id)
	case id != db.sealer.id:
		return "", fmt.Errorf("%w: sealed under key %s, not under the configured key %s", ErrSecretKey, id, db.sealer.id)
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < db.sealer.aead.NonceSize() {
		return "", fmt.Errorf("%w: malformed", ErrSecretKey)
	}
	n := db.sealer.aead.NonceSize()
	plain, err := db.sealer.aead.Open(nil, raw[:n], raw[n:], []byte(id))
	if err != nil {
		return "", fmt.Errorf("%w: does not open under key %s (tampered?)", ErrSecretKey, id)
	}
	return string(plain), nil
}

// Sealing reports whether secrets are sealed at rest, and under which key id.
func (db *DB) Sealing() (bool, string) {
	if db.sealer == nil {
		return false, ""
	}
	return true, db.sealer.id
}

// SealSecrets seals the TOTP secrets written before a key was configured.
// It returns how many it sealed; without a key it does nothing.
func (db *DB) SealSecrets(ctx context.Context) (int, error) {
	if db.sealer == nil {
		return 0, nil
	}
	n := 0
	err := db.InTx(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, `SELECT id, totp_secret FROM users WHERE totp_secret <> '' AND totp_secret NOT LIKE $1`, sealedPrefix+"%")
		if err != nil {
			return err
		}
		type plain struct {
			id     int64
			secret string
		}
		var todo []plain
		for rows.Next() {
			var p plain
			if err := rows.Scan(&p.id, &p.secret); err != nil {
				rows.Close()
				return err
			}
			todo = append(todo, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, p := range todo {
			s, err := db.seal(p.secret)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `UPDATE users SET totp_secret = $1 WHERE id = $2`, s, p.id); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: seal secrets: %w", err)
	}
	return n, nil
}

// SecretKeyFile reads the secret key kept in dir (secret.key, hex), making
// one the first time. It is the default for the embedded database, which
// lives in the same directory; installations on PostgreSQL set the key in
// their configuration so every instance has the same one.
func SecretKeyFile(dir string) ([]byte, error) {
	path := filepath.Join(dir, "secret.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, SecretKeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		// The key is written whole to a private temporary file and then
		// linked to its name, which fails if the name exists: a process
		// that starts at the same moment (two `migrate`s, `serve` and a
		// CLI command) either reads the complete key or makes it, never an
		// empty or half-written file.
		tmp, err := os.CreateTemp(dir, ".secret.key-*")
		if err != nil {
			return nil, err
		}
		defer os.Remove(tmp.Name())
		if _, err := tmp.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
			tmp.Close()
			return nil, err
		}
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return nil, err
		}
		if err := tmp.Close(); err != nil {
			return nil, err
		}
		err = os.Link(tmp.Name(), path)
		if errors.Is(err, os.ErrExist) {
			return SecretKeyFile(dir) // made meanwhile by another process
		}
		if err != nil {
			return nil, err
		}
		if d, err := os.Open(dir); err == nil {
			d.Sync()
			d.Close()
		}
		return key, nil
	}
	if err != nil {
		return nil, err
	}
	key, err := ParseSecretKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}

// ParseSecretKey reads a key written as 64 hex digits or as base64.
func ParseSecretKey(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == SecretKeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == SecretKeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("a secret key is %d random bytes written as 64 hex digits or base64 (openssl rand -hex 32)", SecretKeySize)
}
