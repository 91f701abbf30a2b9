package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ascolto/ascolto/store"
)

// permissive sets the umask to 0 for the test, so a file's mode is what
// the code asked for, not what the machine's umask happens to cut.
func permissive(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// TestSQLiteFilesArePrivate: the embedded database, its -wal and -shm and
// the data dir it makes are its owner's only, whatever the umask, whether
// the data dir exists or not.
func TestSQLiteFilesArePrivate(t *testing.T) {
	permissive(t)
	existing := t.TempDir()
	if err := os.Chmod(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"new dir": filepath.Join(t.TempDir(), "data"), "existing dir": existing} {
		t.Run(name, func(t *testing.T) {
			db, err := store.Open(store.Options{DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			if name == "new dir" {
				if m := mode(t, dir); m != 0o700 {
					t.Errorf("data dir made %o, want 700", m)
				}
			}
			for _, f := range []string{"ascolto.db", "ascolto.db-wal", "ascolto.db-shm"} {
				if m := mode(t, filepath.Join(dir, f)); m != 0o600 {
					t.Errorf("%s is %o, want 600", f, m)
				}
			}
		})
	}
}

// TestSQLiteFilesTightened: a database an older ascolto left readable by
// everyone is restricted at the next start.
func TestSQLiteFilesTightened(t *testing.T) {
	permissive(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ascolto.db")
	db, err := store.Open(store.Options{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(f, 0o644); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	db, err = store.Open(store.Options{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(f); err == nil {
			if m := mode(t, f); m != 0o600 {
				t.Errorf("%s is %o after reopening, want 600", filepath.Base(f), m)
			}
		}
	}
}
