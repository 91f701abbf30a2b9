package mail

import (
	"fmt"
	"os"
)

// spool holds one inbound message on disk while it is parsed and stored:
// the bytes as received, and each file decoded from it. Memory then does
// not grow with the size of a message (a 30 MB one, eight at a time, had
// cost 1.3 GB). The files are unlinked as soon as they are created where
// the system allows it, so nothing is left behind even by kill -9; close
// releases them.
type spool struct {
	dir   string
	files []*os.File
	names []string // files that could not be unlinked while open
}

func newSpool(dir string) *spool {
	if dir == "" {
		dir = os.TempDir()
	}
	return &spool{dir: dir}
}

// create opens a new, empty file in the spool.
func (s *spool) create() (*os.File, error) {
	f, err := os.CreateTemp(s.dir, "ascolto-mail-*")
	if err != nil {
		return nil, fmt.Errorf("mail: spool a message in %s: %w", s.dir, err)
	}
	s.files = append(s.files, f)
	if os.Remove(f.Name()) != nil {
		s.names = append(s.names, f.Name())
	}
	return f, nil
}

func (s *spool) close() {
	for _, f := range s.files {
		f.Close()
	}
	for _, n := range s.names {
		os.Remove(n)
	}
	s.files, s.names = nil, nil
}
