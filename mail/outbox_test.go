package mail

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"github.com/emersion/go-smtp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

var bg = context.Background()

func newService(t testing.TB, db *store.DB, wake func()) *Service {
	t.Helper()
	s, err := NewService(ServiceOptions{Store: db, From: "Contact Center Protezione Civile <contactcenter@example.org>", Wake: wake})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// emailCase opens a case the way an email would, with the citizen's mail indexed.
func emailCase(t testing.TB, db *store.DB, email string) store.Case {
	t.Helper()
	c := store.Case{Channel: store.ChannelEmail, ContactEmail: email, ContactName: "Maria Rossi", Summary: "Frana"}
	if err := db.InTx(bg, func(tx *store.Tx) error {
		if err := tx.CreateCase(bg, &c); err != nil {
			return err
		}
		ct := store.Contact{CaseID: c.ID, Channel: store.ChannelEmail, Content: "frana"}
		if err := tx.AddContact(bg, &ct); err != nil {
			return err
		}
		return tx.RecordMail(bg, &store.MailMessage{CaseID: c.ID, ContactID: ct.ID, Direction: store.MailIn,
			MessageID: "m-" + email, From: email})
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

type senderRig struct {
	s      *Sender
	cancel context.CancelFunc
	done   chan struct{}
}

func runSender(t testing.TB, db *store.DB, relay string, o SenderOptions) *senderRig {
	t.Helper()
	o.Store, o.Relay = db, relay
	if o.Log == nil {
		o.Log = zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	}
	if o.Backoff == nil {
		o.Backoff = func(int) time.Duration { return 100 * time.Millisecond }
	}
	s, err := NewSender(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	r := &senderRig{s: s, cancel: cancel, done: make(chan struct{})}
	go func() { s.Run(ctx); close(r.done) }()
	t.Cleanup(r.stop)
	return r
}

func (r *senderRig) stop() {
	r.cancel()
	<-r.done
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestReplyIsDeliveredByteForByteOverSTARTTLSWithAuth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		relay, cliTLS := newTestRelay(t, "ascolto", "s3greto")
		var sender *senderRig
		svc := newService(t, db, func() {
			if sender != nil {
				sender.s.Wake()
			}
		})
		sender = runSender(t, db, "smtp://ascolto:s3greto@"+relay.addr, SenderOptions{TLSConfig: cliTLS})
		c := emailCase(t, db, "maria.rossi@example.it")
		msg, err := svc.Reply(bg, ReplyRequest{CaseID: c.ID, Template: "risposta", Text: "La strada sarà riaperta domani alle 8.",
			Author: "operatore1"})
		if err != nil {
			t.Fatal(err)
		}
		var got delivered
		select {
		case got = <-relay.arr:
		case <-time.After(15 * time.Second):
			t.Fatal("nothing delivered")
		}
		stored, err := db.OutboxMessageByID(bg, msg.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Data, stored.Raw) {
			t.Fatalf("relay got\n%q\nstored\n%q", got.Data, stored.Raw)
		}
		if !got.TLS || got.User != "ascolto" || got.From != "contactcenter@example.org" || got.To[0] != "maria.rossi@example.it" {
			t.Fatalf("transaction %+v", got)
		}
		m, err := Parse(got.Data)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(m.Subject, "["+c.TrackingID+"] ") || len(m.InReplyTo) != 1 || m.InReplyTo[0] != "m-maria.rossi@example.it" ||
			!strings.Contains(m.Text, "La strada sarà riaperta domani alle 8.") || !strings.Contains(m.Text, "800 840 840") ||
			m.Header.Get("Auto-Submitted") != "" || m.MessageID != msg.MessageID {
			t.Fatalf("reply as received: subject %q in-reply-to %v text %q", m.Subject, m.InReplyTo, m.Text)
		}
		waitFor(t, "state sent", func() bool {
			d, _ := svc.Deliveries(bg, c.ID)
			return len(d) == 1 && d[0].State == store.OutboxSent
		})
		tl, err := db.FullTimeline(bg, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := tl.Entries[len(tl.Entries)-1]
		if last.Direction != "out" || last.Author != "operatore1" || last.Outbox == nil || last.Outbox.State != store.OutboxSent {
			t.Fatalf("timeline entry %+v", last)
		}
	})
}

func TestOutboxSurvivesRelayOutageAndRestartWithoutDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		relay, cliTLS := newTestRelay(t, "", "")
		addr := relay.addr
		relay.stop() // the relay is down when the mail is queued
		svc := newService(t, db, nil)
		const n = 30
		var ids []string
		for i := range n {
			c := emailCase(t, db, fmt.Sprintf("cittadino%d@example.it", i))
			m, err := svc.Reply(bg, ReplyRequest{CaseID: c.ID, Template: "presa-in-carico", Author: "op"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.MessageID)
		}
		first := runSender(t, db, "smtp://"+addr, SenderOptions{TLSConfig: cliTLS, Workers: 3, Batch: 4})
		waitFor(t, "failed attempts recorded", func() bool {
			counts, _ := db.OutboxCounts(bg)
			m, _ := db.OutboxMessageByID(bg, 1)
			return counts[store.OutboxQueued] == n && m.Attempts >= 2 && strings.Contains(m.LastError, "connect")
		})
		relay.start(addr) // the relay comes back
		waitFor(t, "all delivered", func() bool { return len(relay.messages()) >= n/2 })
		first.stop() // a restart in the middle of the queue
		second := runSender(t, db, "smtp://"+addr, SenderOptions{TLSConfig: cliTLS, Workers: 2})
		waitFor(t, "all sent", func() bool {
			counts, _ := db.OutboxCounts(bg)
			return counts[store.OutboxSent] == n
		})
		second.stop()
		time.Sleep(200 * time.Millisecond)
		seen := map[string]int{}
		for _, d := range relay.messages() {
			m, err := Parse(d.Data)
			if err != nil {
				t.Fatal(err)
			}
			seen[m.MessageID]++
			if !d.TLS {
				t.Errorf("sent without STARTTLS although the relay offers it")
			}
		}
		for _, id := range ids {
			if seen[id] != 1 {
				t.Fatalf("message %s delivered %d times", id, seen[id])
			}
		}
	})
}

func TestOutboxTemporaryAndPermanentRefusals(t *testing.T) {
	db := storetest.SQLite(t)
	relay, cliTLS := newTestRelay(t, "", "")
	svc := newService(t, db, nil)
	relay.setFail(&smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "greylisted"})
	ok := emailCase(t, db, "maria@example.it")
	bad := emailCase(t, db, "rifiutato@example.it")
	okMsg, err := svc.Reply(bg, ReplyRequest{CaseID: ok.ID, Template: "chiusura", Author: "op"})
	if err != nil {
		t.Fatal(err)
	}
	badMsg, err := svc.Reply(bg, ReplyRequest{CaseID: bad.ID, Template: "chiusura", Author: "op"})
	if err != nil {
		t.Fatal(err)
	}
	runSender(t, db, "smtp://"+relay.addr, SenderOptions{TLSConfig: cliTLS, Workers: 1})
	waitFor(t, "greylisting recorded", func() bool {
		m, _ := db.OutboxMessageByID(bg, okMsg.ID)
		return m.State == store.OutboxQueued && strings.Contains(m.LastError, "greylisted") && m.Attempts >= 2
	})
	waitFor(t, "permanent refusal recorded", func() bool {
		m, _ := db.OutboxMessageByID(bg, badMsg.ID)
		return m.State == store.OutboxFailed && strings.Contains(m.LastError, "no such user")
	})
	relay.setFail(nil)
	waitFor(t, "delivered after greylisting", func() bool {
		m, _ := db.OutboxMessageByID(bg, okMsg.ID)
		return m.State == store.OutboxSent
	})
	if n := len(relay.messages()); n != 1 {
		t.Fatalf("relay holds %d messages, want 1", n)
	}
}

func TestSenderRefusesPasswordInClear(t *testing.T) {
	for relay, ok := range map[string]bool{
		"smtp://u:p@mail.example.org:587":             true,
		"smtp://u:p@mail.example.org:587?starttls=no": false,
		"smtp://u:p@127.0.0.1:2525?starttls=no":       true,
		"smtps://u:p@mail.example.org":                true,
		"http://mail.example.org":                     false,
		"smtp://mail.example.org?starttls=sometimes":  false,
	} {
		_, err := NewSender(SenderOptions{Store: storetest.SQLite(t), Relay: relay})
		if (err == nil) != ok {
			t.Errorf("%s: %v", relay, err)
		}
	}
}

func TestBackoffGrowsToAnHour(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 4: 4 * time.Minute, 8: time.Hour, 50: time.Hour} {
		if got := Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %v, want %v", n, got, want)
		}
	}
}
