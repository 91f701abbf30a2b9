package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"github.com/emersion/go-smtp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

type inbound struct {
	t    testing.TB
	db   *store.DB
	svc  *Service
	addr string
}

func startReceiver(t testing.TB, db *store.DB, o ReceiverOptions) *inbound {
	t.Helper()
	svc := newService(t, db, nil)
	o.Service, o.Addr = svc, "127.0.0.1:0"
	o.Log = zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	r, err := NewReceiver(o)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := r.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &inbound{t: t, db: db, svc: svc, addr: addr.String()}
}

// send delivers one message over a real SMTP connection with go-smtp's client.
func (in *inbound) send(from, to string, raw []byte) error {
	c, err := smtp.Dial(in.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail(from, []string{to}, bytes.NewReader(raw))
}

func (in *inbound) mustSend(from string, raw string) {
	in.t.Helper()
	if err := in.send(from, "contactcenter@example.org", []byte(strings.ReplaceAll(raw, "\n", "\r\n"))); err != nil {
		in.t.Fatal(err)
	}
}

func (in *inbound) caseOf(msgID string) store.Case {
	in.t.Helper()
	c, err := in.db.CaseByMessageIDs(bg, []string{msgID})
	if err != nil {
		in.t.Fatalf("case of <%s>: %v", msgID, err)
	}
	return c
}

func countCases(t testing.TB, db *store.DB) int {
	t.Helper()
	cs, err := db.Cases(bg, store.CaseFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

// The citizen writes, is acknowledged, the operator answers, the citizen
// answers the answer: one case, one thread, and no loop with the
// citizen's out-of-office.
func TestEmailConversationThreadsIntoOneCase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := startReceiver(t, db, ReceiverOptions{})
		in.mustSend("maria.rossi@example.it", `From: Maria Rossi <maria.rossi@example.it>
To: contactcenter@example.org
Subject: Frana a Paganica
Message-ID: <first@example.it>
Content-Type: text/plain; charset=utf-8

La strada è chiusa da una frana.
`)
		c := in.caseOf("first@example.it")
		if c.Channel != store.ChannelEmail || c.ContactEmail != "maria.rossi@example.it" || c.ContactName != "Maria Rossi" || c.Summary != "Frana a Paganica" {
			t.Fatalf("case %+v", c)
		}
		outs, _ := db.OutboxByCase(bg, c.ID)
		if len(outs) != 1 || outs[0].Template != "conferma-email" || outs[0].To != "maria.rossi@example.it" {
			t.Fatalf("acknowledgement %+v", outs)
		}
		ack, _ := db.OutboxMessageByID(bg, outs[0].ID)
		am, _ := Parse(ack.Raw)
		if am.Header.Get("Auto-Submitted") != "auto-replied" || am.InReplyTo[0] != "first@example.it" ||
			!strings.Contains(am.Subject, c.TrackingID) || !strings.Contains(am.Text, c.TrackingID) {
			t.Fatalf("ack: %q %v %q", am.Subject, am.InReplyTo, am.Header.Get("Auto-Submitted"))
		}

		// Her out-of-office answers the acknowledgement: it joins the case
		// as an auto-reply and is not acknowledged (no loop).
		in.mustSend("maria.rossi@example.it", fmt.Sprintf(`From: maria.rossi@example.it
To: contactcenter@example.org
Subject: Risposta automatica: %s
Auto-Submitted: auto-replied
In-Reply-To: <%s>
Message-ID: <oof@example.it>

Sono in ferie.
`, am.Subject, am.MessageID))
		if got := in.caseOf("oof@example.it"); got.ID != c.ID {
			t.Fatalf("auto-reply went to case %d", got.ID)
		}
		// The operator answers; her client answers by References only.
		reply, err := in.svc.Reply(bg, ReplyRequest{CaseID: c.ID, Template: "richiesta-informazioni", Text: "A che chilometro?", Author: "op1"})
		if err != nil {
			t.Fatal(err)
		}
		in.mustSend("maria.rossi@example.it", fmt.Sprintf(`From: Maria Rossi <maria.rossi@example.it>
To: contactcenter@example.org
Subject: Re: la sua domanda
References: <first@example.it> <%s>
Message-ID: <second@example.it>

Al km 4, vicino al ponte.
`, reply.MessageID))
		if got := in.caseOf("second@example.it"); got.ID != c.ID {
			t.Fatalf("answer went to case %d", got.ID)
		}
		// Another message quoting only the tracking id in the subject.
		in.mustSend("maria.rossi@example.it", fmt.Sprintf(`From: maria.rossi@example.it
To: contactcenter@example.org
Subject: foto per %s
Message-ID: <third@example.it>

Allego nulla.
`, strings.ToLower(c.TrackingID)))
		if got := in.caseOf("third@example.it"); got.ID != c.ID {
			t.Fatalf("tracking id in the subject went to case %d", got.ID)
		}
		if n := countCases(t, db); n != 1 {
			t.Fatalf("%d cases, want 1", n)
		}
		outs, _ = db.OutboxByCase(bg, c.ID)
		if len(outs) != 2 {
			t.Fatalf("%d outgoing messages, want the ack and the reply only", len(outs))
		}
		tl, _ := db.FullTimeline(bg, c.ID)
		var texts []string
		for _, e := range tl.Entries {
			texts = append(texts, e.Direction+":"+firstLine(e.Content))
		}
		want := []string{`in:Da: "Maria Rossi" <maria.rossi@example.it>`, "out:Conferma di ricezione", "in:Da: <maria.rossi@example.it>",
			"out:A:", `in:Da: "Maria Rossi" <maria.rossi@example.it>`, "in:Da: <maria.rossi@example.it>"}
		if len(texts) != len(want) {
			t.Fatalf("timeline %q", texts)
		}
		for i := range want {
			if !strings.HasPrefix(texts[i], want[i]) {
				t.Fatalf("timeline %q, want prefixes %q", texts, want)
			}
		}
		if len(tl.Reviews) != 0 {
			t.Fatalf("unexpected reviews %+v", tl.Reviews)
		}
	})
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func TestInboundOddities(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := startReceiver(t, db, ReceiverOptions{MaxBytes: 1 << 20})
		raw := func(name string) []byte {
			b, err := os.ReadFile("testdata/corpus/" + name)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		// The whole corpus goes in; each message is stored once, and
		// sending it again changes nothing.
		for round := range 2 {
			for _, f := range []string{"plain-utf8-qp.eml", "latin1-qp-subject.eml", "windows1252-8bit.eml", "html-only-base64.eml",
				"related-inline-image.eml", "attachment-rfc2231.eml", "unknown-charset.eml", "no-text-only-attachment.eml",
				"truncated-multipart.eml", "broken-header-no-msgid.eml", "mailing-list.eml", "bad-base64.eml", "mbox-lf-only.eml"} {
				if err := in.send("x@example.com", "contactcenter@example.org", raw(f)); err != nil {
					t.Fatalf("round %d %s: %v", round, f, err)
				}
			}
			if n := countCases(t, db); n != 13 {
				t.Fatalf("round %d: %d cases, want 13", round, n)
			}
		}
		// Acknowledged: people; not acknowledged: the mailing list.
		if c := in.caseOf("list-1@example.com"); len(mustOutbox(t, db, c.ID)) != 0 {
			t.Fatal("a mailing list was acknowledged")
		}
		if c := in.caseOf("html-only@example.net"); len(mustOutbox(t, db, c.ID)) != 1 {
			t.Fatal("a person was not acknowledged")
		}
		// Broken mail is stored and flagged for an operator, with the original.
		c := in.caseOf("truncated@example.com")
		tl, _ := db.FullTimeline(bg, c.ID)
		if len(tl.Reviews) == 0 || len(tl.Entries) != 2 || len(tl.Entries[0].Attachments) < 1 ||
			tl.Entries[0].Attachments[0].Filename != "messaggio.eml" {
			t.Fatalf("truncated mail: %+v", tl)
		}
		if tl.Entries[0].Attachments[0].Size != int64(len(raw("truncated-multipart.eml"))) {
			t.Fatal("original not kept byte for byte")
		}
		// A reply quoting a tracking id that does not exist: a new case, flagged.
		in.mustSend("y@example.com", "From: y@example.com\nSubject: Re: [CC-2026-999999] forged\nMessage-ID: <forged@x>\n\nciao\n")
		fc := in.caseOf("forged@x")
		if rv, _ := db.Reviews(bg, fc.ID); len(rv) != 1 || !strings.Contains(rv[0].Reason, "CC-2026-999999") {
			t.Fatalf("forged id reviews %+v", rv)
		}
		// Someone else quoting an existing case's id: joins it, flagged.
		in.mustSend("z@example.com", fmt.Sprintf("From: z@example.com\nSubject: %s\nMessage-ID: <other-sender@x>\n\nio\n", fc.TrackingID))
		if got := in.caseOf("other-sender@x"); got.ID != fc.ID {
			t.Fatal("tracking id not followed")
		}
		if rv, _ := db.Reviews(bg, fc.ID); len(rv) != 2 || !strings.Contains(rv[1].Reason, "z@example.com") {
			t.Fatalf("other sender reviews %+v", rv)
		}
		before := countCases(t, db)
		// An unthreaded auto-reply and our own address never open cases.
		if err := in.send("", "contactcenter@example.org", raw("outlook-automatic-reply.eml")); err != nil {
			t.Fatal(err)
		}
		in.mustSend("contactcenter@example.org", "From: contactcenter@example.org\nSubject: loop\nMessage-ID: <loop@x>\n\nloop\n")
		if n := countCases(t, db); n != before {
			t.Fatalf("%d cases after auto-reply and loop, want %d", n, before)
		}
		// Not our domain: refused, we are not a relay.
		var se *smtp.SMTPError
		if err := in.send("a@b.c", "someone@elsewhere.example", []byte("Subject: x\r\n\r\nx\r\n")); !errors.As(err, &se) || se.Code != 550 {
			t.Fatalf("relaying: %v", err)
		}
		// Too large: refused with 552, so the citizen's server bounces it.
		big := "From: big@example.com\r\nSubject: big\r\n\r\n" + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", 20000)
		if err := in.send("big@example.com", "contactcenter@example.org", []byte(big)); !errors.As(err, &se) || se.Code != 552 {
			t.Fatalf("oversize: %v", err)
		}
		if n := countCases(t, db); n != before {
			t.Fatal("oversize message half-stored")
		}
	})
}

func mustOutbox(t testing.TB, db *store.DB, caseID int64) []store.OutboxMessage {
	t.Helper()
	o, err := db.OutboxByCase(bg, caseID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestBounceMarksTheOutgoingMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := startReceiver(t, db, ReceiverOptions{})
		c := emailCase(t, db, "nessuno@example.it")
		msg, err := in.svc.Reply(bg, ReplyRequest{CaseID: c.ID, Template: "presa-in-carico", Author: "op"})
		if err != nil {
			t.Fatal(err)
		}
		dsn, _ := os.ReadFile("testdata/corpus/dsn-bounce.eml")
		dsn = []byte(strings.Replace(string(dsn), "ORIGINAL-ID@example.org", msg.MessageID, 1))
		if err := in.send("", "contactcenter@example.org", dsn); err != nil {
			t.Fatal(err)
		}
		got, _ := db.OutboxMessageByID(bg, msg.ID)
		if got.State != store.OutboxBounced || !strings.Contains(got.LastError, "5.1.1") {
			t.Fatalf("outgoing after bounce: %+v", got)
		}
		tl, _ := db.FullTimeline(bg, c.ID)
		last := tl.Entries[len(tl.Entries)-1]
		if !strings.Contains(last.Content, "non consegnata a nessuno@example.it") || len(tl.Reviews) != 1 {
			t.Fatalf("bounce in timeline: %q, reviews %+v", last.Content, tl.Reviews)
		}
		if n := countCases(t, db); n != 1 {
			t.Fatalf("a bounce opened a case: %d", n)
		}
		if len(mustOutbox(t, db, c.ID)) != 1 {
			t.Fatal("a bounce was answered")
		}
	})
}

// When the database is away, the sender is told to retry (451) and
// nothing is lost: the same message goes in once the database is back.
func TestDatabaseOutageAnswers451(t *testing.T) {
	db := storetest.SQLite(t)
	in := startReceiver(t, db, ReceiverOptions{Timeout: 2 * time.Second})
	down := storetest.SQLite(t)
	down.Close()
	in.svc.db = down
	var se *smtp.SMTPError
	msg := []byte("From: a@example.com\r\nSubject: x\r\nMessage-ID: <retry@x>\r\n\r\nx\r\n")
	if err := in.send("a@example.com", "contactcenter@example.org", msg); !errors.As(err, &se) || se.Code != 451 {
		t.Fatalf("with the database down: %v", err)
	}
	in.svc.db = db
	if err := in.send("a@example.com", "contactcenter@example.org", msg); err != nil {
		t.Fatal(err)
	}
	in.caseOf("retry@x")
}
