package store_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
)

// TestPostgresPasswordNeverShown: a password in the URL, in the user info
// or as ?password=, is in neither the database's description (logs,
// /readyz) nor the error of a database that does not answer.
func TestPostgresPasswordNeverShown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	for _, url := range []string{
		fmt.Sprintf("postgres://ascolto@%s/ascolto?password=hunter2&connect_timeout=2", dead),
		fmt.Sprintf("postgres://ascolto:hunter2@%s/ascolto?connect_timeout=2", dead),
		fmt.Sprintf("postgresql://ascolto@%s/ascolto?sslmode=disable&PASSWORD=hunter2", dead),
		fmt.Sprintf("postgres://ascolto@%s/ascolto?password=hunter2&sslmode=bogus", dead),
	} {
		db, err := store.Open(store.Options{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(db.String(), "hunter2") {
			t.Errorf("description shows the password: %q", db.String())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = db.Ping(ctx)
		cancel()
		db.Close()
		if err == nil {
			t.Fatalf("%s answered", db)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ping error shows the password: %v", err)
		}
	}
}
