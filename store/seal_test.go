package store_test

import (
	"bytes"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// TestTOTPSecretsSealedAtRest: with a key the TOTP secrets are sealed in
// the table and read back in clear; without it, or with another key, they
// do not open and say why; secrets written before the key are sealed by
// SealSecrets.
func TestTOTPSecretsSealedAtRest(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	key := bytes.Repeat([]byte{7}, store.SecretKeySize)
	other := bytes.Repeat([]byte{9}, store.SecretKeySize)
	places := map[string]store.Options{"sqlite": {SQLitePath: filepath.Join(t.TempDir(), "ascolto.db")}}
	if os.Getenv(storetest.EnvURL) != "" {
		places["postgres"] = store.Options{URL: storetest.PostgresURL(t)}
	}
	for name, where := range places {
		t.Run(name, func(t *testing.T) {
			open := func(k []byte) *store.DB {
				o := where
				o.SecretKey = k
				db, err := store.Open(o)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				return db
			}
			raw := func(db *store.DB, user string) string {
				var v string
				driver, dsn := "sqlite", "file:"+where.SQLitePath
				if where.URL != "" {
					driver, dsn = "pgx", where.URL
				}
				conn, err := sql.Open(driver, dsn)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				if err := conn.QueryRow(`SELECT totp_secret FROM users WHERE username = '` + user + `'`).Scan(&v); err != nil {
					t.Fatal(err)
				}
				return v
			}
			// Written before any key: in clear.
			plain := open(nil)
			old := store.User{Username: "vecchio", Role: store.RoleAdmin, PasswordHash: "$argon2id$test", TOTPSecret: secret}
			if err := plain.CreateUser(ctx, &old, "test"); err != nil {
				t.Fatal(err)
			}
			if n, err := plain.SealSecrets(ctx); n != 0 || err != nil {
				t.Fatalf("sealing without a key: %d %v", n, err)
			}
			plain.Close()

			db := open(key)
			if u, err := db.UserByName(ctx, "vecchio"); err != nil || u.TOTPSecret != secret {
				t.Fatalf("an unsealed secret with a key configured: %q %v", u.TOTPSecret, err)
			}
			if n, err := db.SealSecrets(ctx); n != 1 || err != nil {
				t.Fatalf("sealed %d (%v), want 1", n, err)
			}
			if n, _ := db.SealSecrets(ctx); n != 0 {
				t.Fatalf("sealed again: %d", n)
			}
			u := store.User{Username: "nuovo", Role: store.RoleSupervisor, PasswordHash: "$argon2id$test", TOTPSecret: secret}
			if err := db.CreateUser(ctx, &u, "test"); err != nil {
				t.Fatal(err)
			}
			if err := db.SetTOTP(ctx, "vecchio", secret+"AB", "test"); err != nil {
				t.Fatal(err)
			}
			for user, want := range map[string]string{"nuovo": secret, "vecchio": secret + "AB"} {
				if v := raw(db, user); !strings.HasPrefix(v, "sealed:v1:") || strings.Contains(v, want) {
					t.Fatalf("%s's secret in the table: %q", user, v)
				}
				got, err := db.UserByName(ctx, user)
				if err != nil || got.TOTPSecret != want {
					t.Fatalf("%s reads %q (%v)", user, got.TOTPSecret, err)
				}
				if byID, err := db.UserByID(ctx, got.ID); err != nil || byID.TOTPSecret != want {
					t.Fatalf("%s by id reads %q (%v)", user, byID.TOTPSecret, err)
				}
			}
			if err := db.SetTOTP(ctx, "nuovo", "", "test"); err != nil || raw(db, "nuovo") != "" {
				t.Fatalf("clearing the second factor: %v, %q left", err, raw(db, "nuovo"))
			}
			db.Close()

			for label, k := range map[string][]byte{"no key": nil, "another key": other} {
				db := open(k)
				if _, err := db.UserByName(ctx, "vecchio"); !errors.Is(err, store.ErrSecretKey) {
					t.Fatalf("%s: %v, want ErrSecretKey", label, err)
				}
				list, err := db.Users(ctx)
				if err != nil || len(list) != 2 {
					t.Fatalf("%s: the user list %v (%d)", label, err, len(list))
				}
				db.Close()
			}
		})
	}
}

func TestParseSecretKey(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	if k, err := store.ParseSecretKey(hexKey); err != nil || len(k) != 32 || k[0] != 0xab {
		t.Fatalf("hex: %v %v", k, err)
	}
	if k, err := store.ParseSecretKey("q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="); err != nil || k[0] != 0xab {
		t.Fatalf("base64: %v %v", k, err)
	}
	for _, bad := range []string{"", "abc", strings.Repeat("ab", 16), strings.Repeat("zz", 32)} {
		if _, err := store.ParseSecretKey(bad); err == nil || !strings.Contains(err.Error(), "openssl rand -hex 32") {
			t.Fatalf("%q: %v", bad, err)
		}
	}
	dir := t.TempDir()
	a, err := store.SecretKeyFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := store.SecretKeyFile(dir)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("the key file gave another key the second time: %v", err)
	}
	if st, err := os.Stat(filepath.Join(dir, "secret.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st.Mode(), err)
	}
}

// TestSecretKeyFileMadeOnceUnderRace: processes starting at the same moment
// (two `migrate`s, `serve` and a CLI command) all get the one key that was
// made, never an empty or half-written file, and no temporary file is left.
func TestSecretKeyFileMadeOnceUnderRace(t *testing.T) {
	for round := 0; round < 20; round++ {
		dir := t.TempDir()
		const n = 16
		keys := make([][]byte, n)
		errs := make([]error, n)
		start := make(chan struct{})
		done := make(chan int)
		for i := 0; i < n; i++ {
			go func(i int) {
				<-start
				keys[i], errs[i] = store.SecretKeyFile(dir)
				done <- i
			}(i)
		}
		close(start)
		for i := 0; i < n; i++ {
			<-done
		}
		for i := 0; i < n; i++ {
			if errs[i] != nil {
				t.Fatalf("round %d, caller %d: %v", round, i, errs[i])
			}
			if !bytes.Equal(keys[i], keys[0]) {
				t.Fatalf("round %d: callers got different keys", round)
			}
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 || ents[0].Name() != "secret.key" {
			t.Fatalf("round %d: the directory holds %v", round, ents)
		}
	}
}
