// Package store owns ascolto's persistent state: the schema and its
// migrations, and every SQL statement the program runs. It speaks to
// PostgreSQL (production, through pgx) or to an embedded SQLite file (the
// default for a newcomer), with one behaviour on both; the differences
// between the two engines live in dialect.go and nowhere else.
//
// The store never imports net/http and never decides policy: callers tell it
// what happened, it records it durably, and it reports ErrNotFound,
// ErrConflict and friends for the edges to translate.
package store
