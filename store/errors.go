package store

import (
	"errors"
	"fmt"
)

// Sentinel errors; callers test them with errors.Is and the edges map them
// to HTTP statuses or CLI messages.
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means the write would break a uniqueness rule.
	ErrConflict = errors.New("store: already exists")
	// ErrAlreadyClosed means a call or case was already closed; closing is done once.
	ErrAlreadyClosed = errors.New("store: already closed")
	// ErrInvalid means a value was refused before it reached the database.
	ErrInvalid = errors.New("store: invalid value")
)

// SchemaTooNewError is returned when the database was migrated by a newer
// ascolto than this binary: running would risk misreading the data.
type SchemaTooNewError struct {
	Database int // highest migration recorded in the database
	Binary   int // highest migration this binary carries
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("store: the database schema is at version %d but this ascolto only knows up to %d; "+
		"run the newer ascolto that migrated it, or restore a backup", e.Database, e.Binary)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
