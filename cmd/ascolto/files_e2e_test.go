package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFilesArePrivate: with a umask that keeps nothing back, the embedded
// database and its data dir, and every file a command writes (roster
// export, activation timeline, report export) are their owner's only: they
// hold names, phone numbers and what citizens asked for.
func TestFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0) // the binaries run here inherit it
	t.Cleanup(func() { syscall.Umask(old) })
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	envs := []string{"ASCOLTO_DATA_DIR=" + data}
	run := func(args ...string) {
		t.Helper()
		if out, errs, code := cliIn(t, envs, "", args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
		}
	}
	roster := filepath.Join(dir, "roster.yaml")
	if err := os.WriteFile(roster, []byte("quorum: 1\nwaves: [{name: primary, wait: 5m}]\npeople:\n  - {id: rossi, name: Mario Rossi, phone: \"340 111 1111\", role: operator, wave: primary}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run("oncall", "roster", "import", roster)
	files := map[string]string{"roster": filepath.Join(dir, "out.yaml"), "timeline csv": filepath.Join(dir, "t.csv"),
		"timeline pdf": filepath.Join(dir, "t.pdf"), "report": filepath.Join(dir, "r.csv")}
	run("oncall", "roster", "export", "-o", files["roster"])
	run("emergency", "open", "--event", "Alluvione", "--requested-by", "DPC", "--reason", "prova")
	run("emergency", "report", "--csv", files["timeline csv"], "--pdf", files["timeline pdf"])
	run("report", "export", "--event", "1", "--format", "csv", "--out", files["report"])
	files["database"] = filepath.Join(data, "ascolto.db")
	files["secret key"] = filepath.Join(data, "secret.key")
	for what, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := st.Mode().Perm(); m != 0o600 {
			t.Errorf("%s (%s) is %o, want 600", what, filepath.Base(f), m)
		}
	}
	if st, err := os.Stat(data); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("data dir: %v %v, want 700", st.Mode().Perm(), err)
	}
}
