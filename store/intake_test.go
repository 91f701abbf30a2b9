package store_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// eachFake runs fn on every engine with a fake clock the test moves.
func eachFake(t *testing.T, fn func(t *testing.T, db *store.DB, clk *clock.Fake)) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			clk := clock.NewFake(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
			fn(t, e.Open(t, clk), clk)
		})
	}
}

func newCase(t *testing.T, db *store.DB, c store.Case, contact string) store.Case {
	t.Helper()
	if c.Channel == "" {
		c.Channel = store.ChannelEmail
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateCase(ctx, &c); err != nil {
			return err
		}
		if contact == "" {
			return nil
		}
		return tx.AddContact(ctx, &store.Contact{CaseID: c.ID, Channel: c.Channel, Content: contact})
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func enqueue(t *testing.T, db *store.DB, caseID int64, msgID string) store.OutboxMessage {
	t.Helper()
	m := store.OutboxMessage{CaseID: caseID, MessageID: msgID, From: "contactcenter@example.org", To: "a@example.net",
		Subject: "CC test", Raw: []byte("Subject: test\r\n\r\nbody " + msgID + "\r\n")}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.EnqueueMail(ctx, &m) }); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOutboxLifecycle(t *testing.T) {
	eachFake(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		c := newCase(t, db, store.Case{ContactEmail: "a@example.net"}, "ciao")
		a := enqueue(t, db, c.ID, "a@ascolto")
		b := enqueue(t, db, c.ID, "b@ascolto")
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			m := store.OutboxMessage{MessageID: "a@ascolto", From: "x@y", To: "z@w", Raw: []byte("x")}
			return tx.EnqueueMail(ctx, &m)
		}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("same Message-ID twice: %v", err)
		}

		got, err := db.ClaimOutbox(ctx, 10, time.Minute)
		if err != nil || len(got) != 2 || got[0].ID != a.ID || !bytes.Equal(got[0].Raw, a.Raw) || got[0].Attempts != 1 {
			t.Fatalf("claim: %+v %v", got, err)
		}
		// Leased: a second worker gets nothing until the lease runs out.
		if again, err := db.ClaimOutbox(ctx, 10, time.Minute); err != nil || len(again) != 0 {
			t.Fatalf("claimed twice: %+v %v", again, err)
		}
		if err := db.Batch(ctx, func(tx *store.Tx) error { return tx.MarkOutboxSent(ctx, a.ID) }); err != nil {
			t.Fatal(err)
		}
		// b's worker "died": after the lease it is handed out again.
		clk.Advance(61 * time.Second)
		again, err := db.ClaimOutbox(ctx, 10, time.Minute)
		if err != nil || len(again) != 1 || again[0].ID != b.ID || again[0].Attempts != 2 {
			t.Fatalf("after lease expiry: %+v %v", again, err)
		}
		next := clk.Now().Add(5 * time.Minute)
		if err := db.RetryOutbox(ctx, b.ID, "421 try later", next); err != nil {
			t.Fatal(err)
		}
		if early, _ := db.ClaimOutbox(ctx, 10, time.Minute); len(early) != 0 {
			t.Fatalf("retried before its time: %+v", early)
		}
		if due, err := db.NextOutboxDue(ctx); err != nil || !due.Equal(next) {
			t.Fatalf("next due %v %v, want %v", due, err, next)
		}
		clk.Advance(5 * time.Minute)
		if late, _ := db.ClaimOutbox(ctx, 10, time.Minute); len(late) != 1 {
			t.Fatalf("not retried: %+v", late)
		}
		if err := db.FailOutbox(ctx, b.ID, "550 no such user"); err != nil {
			t.Fatal(err)
		}
		// A sent message is never sent again, even if marked twice.
		if err := db.Batch(ctx, func(tx *store.Tx) error { return tx.MarkOutboxSent(ctx, a.ID) }); err != nil {
			t.Fatal(err)
		}
		list, err := db.OutboxByCase(ctx, c.ID)
		if err != nil || len(list) != 2 || list[0].State != store.OutboxSent || list[1].State != store.OutboxFailed ||
			list[1].LastError != "550 no such user" || list[0].SentAt.IsZero() {
			t.Fatalf("states: %+v %v", list, err)
		}
		var bounced store.OutboxMessage
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			bounced, err = tx.BounceOutbox(ctx, "a@ascolto", "mailbox full")
			return err
		}); err != nil || bounced.CaseID != c.ID {
			t.Fatalf("bounce: %+v %v", bounced, err)
		}
		counts, err := db.OutboxCounts(ctx)
		if err != nil || counts[store.OutboxBounced] != 1 || counts[store.OutboxFailed] != 1 {
			t.Fatalf("counts %v %v", counts, err)
		}
		// The outgoing messages are indexed for threading.
		if got, err := db.CaseByMessageIDs(ctx, []string{"<unknown@x>", "<b@ascolto>"}); err != nil || got.ID != c.ID {
			t.Fatalf("thread by Message-ID: %+v %v", got, err)
		}
	})
}

func TestOutboxConcurrentClaimsNeverShare(t *testing.T) {
	eachFake(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		for i := range 60 {
			enqueue(t, db, 0, "m"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@x")
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := db.ClaimOutbox(ctx, 7, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, m := range got {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 60 {
			t.Fatalf("claimed %d of 60", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("message %d claimed %d times", id, n)
			}
		}
	})
}

func TestMailIndexAndThreading(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newCase(t, db, store.Case{}, "first")
		rec := func(id string) error {
			return db.InTx(ctx, func(tx *store.Tx) error {
				return tx.RecordMail(ctx, &store.MailMessage{CaseID: c.ID, Direction: store.MailIn, MessageID: id})
			})
		}
		if err := rec("one@citizen"); err != nil {
			t.Fatal(err)
		}
		if err := rec("one@citizen"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate: %v", err)
		}
		if id, err := db.MailSeen(ctx, store.MailIn, "one@citizen"); err != nil || id != c.ID {
			t.Fatalf("seen: %d %v", id, err)
		}
		if _, err := db.MailSeen(ctx, store.MailOut, "one@citizen"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other direction: %v", err)
		}
		if _, err := db.CaseByMessageIDs(ctx, []string{"<nobody@x>"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
		last, err := db.LastInboundMail(ctx, c.ID)
		if err != nil || last.MessageID != "one@citizen" {
			t.Fatalf("last inbound %+v %v", last, err)
		}
	})
}

func TestSearchMergeAndTimeline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := db.ImportGeo(ctx, sample(t), "test"); err != nil {
			t.Fatal(err)
		}
		a := newCase(t, db, store.Case{Channel: store.ChannelWeb, ContactEmail: "maria.rossi@example.it", ComuneCode: "066049",
			Summary: "Frana sulla strada provinciale"}, "La strada per Paganica è interrotta da una frana")
		b := newCase(t, db, store.Case{Channel: store.ChannelFax, ContactPhone: "+39 0862 123456"}, "FAX: allagamento cantina 50% acqua")
		c := newCase(t, db, store.Case{Channel: store.ChannelEmail, ContactEmail: "altro@example.it", ComuneCode: "058091"}, "informazioni")

		for _, tc := range []struct {
			q    string
			want []int64
		}{
			{a.TrackingID, []int64{a.ID}},
			{"maria.rossi@example.it", []int64{a.ID}},
			{"0862 123456", []int64{b.ID}},
			{"0862123456", []int64{b.ID}},
			{"L'Aquila", []int64{a.ID}},
			{"laquila", []int64{a.ID}},
			{"058091", []int64{c.ID}},
			{"PAGANICA", []int64{a.ID}},
			{"allagamento", []int64{b.ID}},
			{"50%", []int64{b.ID}},
			{"_", nil},
			{"example.it", []int64{c.ID, a.ID}},
		} {
			got, err := db.SearchCases(ctx, store.CaseQuery{Text: tc.q})
			if err != nil {
				t.Fatalf("%q: %v", tc.q, err)
			}
			var ids []int64
			for _, g := range got {
				ids = append(ids, g.ID)
			}
			if len(ids) != len(tc.want) {
				t.Fatalf("search %q = %v, want %v", tc.q, ids, tc.want)
			}
			for i := range ids {
				if ids[i] != tc.want[i] {
					t.Fatalf("search %q = %v, want %v", tc.q, ids, tc.want)
				}
			}
		}
		if _, err := db.SearchCases(ctx, store.CaseQuery{Text: "CC-2026-999999"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown tracking id: %v", err)
		}

		// b is the same citizen as a: merge it, with its attachment and mail.
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			ct := store.Contact{CaseID: b.ID, Channel: store.ChannelEmail, Content: "seguito"}
			if err := tx.AddContact(ctx, &ct); err != nil {
				return err
			}
			if err := tx.AddAttachment(ctx, &store.Attachment{CaseID: b.ID, ContactID: ct.ID, Filename: "foto.jpg",
				ContentType: "image/jpeg", Data: []byte{0xff, 0xd8, 0xff}}); err != nil {
				return err
			}
			if err := tx.FlagForReview(ctx, b.ID, "mittente diverso"); err != nil {
				return err
			}
			return tx.RecordMail(ctx, &store.MailMessage{CaseID: b.ID, ContactID: ct.ID, Direction: store.MailIn, MessageID: "b1@x"})
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.MergeCases(ctx, a.ID, a.ID, "op"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("self merge: %v", err)
		}
		if err := db.MergeCases(ctx, a.ID, b.ID, "rossi"); err != nil {
			t.Fatal(err)
		}
		if err := db.MergeCases(ctx, c.ID, b.ID, "rossi"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("merge of a merged case: %v", err)
		}
		if err := db.MergeCases(ctx, a.ID, 987654, "rossi"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("merge of a missing case: %v", err)
		}
		got, err := db.SearchCases(ctx, store.CaseQuery{Text: b.TrackingID})
		if err != nil || len(got) != 1 || got[0].ID != a.ID || got[0].ContactPhone != "+39 0862 123456" {
			t.Fatalf("merged tracking id leads to %+v %v", got, err)
		}
		if th, err := db.CaseByMessageIDs(ctx, []string{"b1@x"}); err != nil || th.ID != a.ID {
			t.Fatalf("reply to the merged case threads to %+v %v", th, err)
		}
		tl, err := db.FullTimeline(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(tl.Entries) != 4 || len(tl.Reviews) != 1 {
			t.Fatalf("timeline: %d entries, %d reviews", len(tl.Entries), len(tl.Reviews))
		}
		var withFile, withMail, note bool
		for _, e := range tl.Entries {
			withFile = withFile || (len(e.Attachments) == 1 && e.Attachments[0].Filename == "foto.jpg" && e.Attachments[0].Size == 3)
			withMail = withMail || (e.Mail != nil && e.Mail.MessageID == "b1@x")
			note = note || (e.Channel == store.ChannelNote && e.Author == "rossi")
		}
		if !withFile || !withMail || !note {
			t.Fatalf("timeline lost something: file %v mail %v note %v", withFile, withMail, note)
		}
		if err := db.ResolveReview(ctx, tl.Reviews[0].ID, "rossi"); err != nil {
			t.Fatal(err)
		}
		if err := db.ResolveReview(ctx, tl.Reviews[0].ID, "rossi"); !errors.Is(err, store.ErrAlreadyClosed) {
			t.Fatalf("second resolve: %v", err)
		}
		audit, _ := db.AuditLog(ctx, store.AuditFilter{})
		if len(audit) == 0 || audit[1].Action != "case.merge" {
			t.Fatalf("merge not audited: %+v", audit)
		}
	})
}

func TestFaxJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		j := store.FaxJob{ChannelID: "chan-1", Caller: "+390862000111", Status: "SUCCESS", Pages: 2, File: "/tmp/x.tif"}
		if err := db.EnqueueFax(ctx, &j); err != nil || j.ID == 0 {
			t.Fatalf("enqueue %+v %v", j, err)
		}
		again := store.FaxJob{ChannelID: "chan-1", Status: "FAILED"}
		if err := db.EnqueueFax(ctx, &again); err != nil || again.ID != j.ID {
			t.Fatalf("second report %+v %v", again, err)
		}
		if err := db.FaxJobFailed(ctx, j.ID, "tiff unreadable"); err != nil {
			t.Fatal(err)
		}
		pending, err := db.PendingFaxJobs(ctx, 10)
		if err != nil || len(pending) != 1 || pending[0].Status != "SUCCESS" || pending[0].Attempts != 1 || pending[0].LastError != "tiff unreadable" {
			t.Fatalf("pending %+v %v", pending, err)
		}
		c := newCase(t, db, store.Case{Channel: store.ChannelFax}, "fax")
		complete := func() error {
			return db.InTx(ctx, func(tx *store.Tx) error { return tx.CompleteFaxJob(ctx, j.ID, c.ID) })
		}
		if err := complete(); err != nil {
			t.Fatal(err)
		}
		if err := complete(); !errors.Is(err, store.ErrAlreadyClosed) {
			t.Fatalf("second completion: %v", err)
		}
		if p, _ := db.PendingFaxJobs(ctx, 10); len(p) != 0 {
			t.Fatalf("still pending: %+v", p)
		}
	})
}
