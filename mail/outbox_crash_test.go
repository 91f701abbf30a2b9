package mail

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"go.uber.org/zap"
)

// reopenable returns a function that opens the same database again, as a
// restarted process would, for each engine under test.
func reopenable(t *testing.T, engine string) func(c clock.Clock) *store.DB {
	var o store.Options
	if engine == "postgres" {
		o.URL = storetest.PostgresURL(t)
	} else {
		o.SQLitePath = filepath.Join(t.TempDir(), "ascolto.db")
	}
	return func(c clock.Clock) *store.DB {
		t.Helper()
		o.Clock = c
		db, err := store.Open(o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(bg); err != nil {
			t.Fatal(err)
		}
		return db
	}
}

// The store goes away the moment the relay has accepted the first message
// of a batch (a crash, or a database outage): the rest of the batch is not
// sent, since its outcome could not be written down, and after the
// restart only that one message goes twice, with the same bytes and
// Message-ID, so the receiver can drop the copy. Before, the whole batch
// went out unmarked and was sent again after the lease: one duplicate per
// message.
func TestOutboxLosingTheStoreMidBatchCostsOneCopyWithTheSameMessageID(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			open := reopenable(t, e.Name)
			first := open(nil)
			relay, cliTLS := newTestRelay(t, "", "")
			svc := newService(t, first, nil)
			const n = 8
			for i := range n {
				c := emailCase(t, first, fmt.Sprintf("cittadino%d@example.it", i))
				if _, err := svc.Reply(bg, ReplyRequest{CaseID: c.ID, Template: "presa-in-carico", Author: "op"}); err != nil {
					t.Fatal(err)
				}
			}
			lost := make(chan struct{})
			var once sync.Once
			relay.mu.Lock()
			relay.onData = func(delivered) {
				once.Do(func() {
					first.Close() // the store is gone before the 250 reaches the sender
					close(lost)
				})
			}
			relay.mu.Unlock()
			// (The sender logs, as it should, the message it could not mark.)
			sender := runSender(t, first, "smtp://"+relay.addr, SenderOptions{TLSConfig: cliTLS, Workers: 1, Log: zap.NewNop()})
			select {
			case <-lost:
			case <-time.After(15 * time.Second):
				t.Fatal("nothing reached the relay")
			}
			sender.stop() // a stopped sender finishes what it claimed
			sentBeforeRestart := len(relay.messages())

			// The restart, once the first process's leases have run out.
			relay.mu.Lock()
			relay.onData = nil
			relay.mu.Unlock()
			second := open(clock.NewFake(time.Now().Add(10 * time.Minute)))
			restarted := runSender(t, second, "smtp://"+relay.addr, SenderOptions{TLSConfig: cliTLS, Workers: 1})
			waitFor(t, "all sent after the restart", func() bool {
				counts, _ := second.OutboxCounts(bg)
				return counts[store.OutboxSent] == n
			})
			restarted.stop()

			copies := map[string][][]byte{}
			for _, d := range relay.messages() {
				m, err := Parse(d.Data)
				if err != nil {
					t.Fatal(err)
				}
				copies[m.MessageID] = append(copies[m.MessageID], d.Data)
			}
			if len(copies) != n {
				t.Fatalf("%d distinct messages delivered, want %d", len(copies), n)
			}
			dups := 0
			for id, cs := range copies {
				dups += len(cs) - 1
				for _, c := range cs[1:] {
					if !bytes.Equal(c, cs[0]) {
						t.Errorf("message <%s> was sent again with other bytes", id)
					}
				}
			}
			if sentBeforeRestart != 1 || dups != 1 {
				t.Fatalf("%d messages sent while the store was gone and %d duplicates in all; want 1 and 1", sentBeforeRestart, dups)
			}
		})
	}
}
