package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

var romeLoc = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return loc
}()

// caseworkStart is Wednesday 2 December 2026, 10:00 in Rome: a working day
// followed by the Immacolata (Tuesday 8 December).
var caseworkStart = time.Date(2026, 12, 2, 10, 0, 0, 0, romeLoc)

func eachCasework(t *testing.T, fn func(t *testing.T, db *store.DB, clk *clock.Fake)) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			clk := clock.NewFake(caseworkStart)
			fn(t, e.Open(t, clk), clk)
		})
	}
}

func openCase(t *testing.T, db *store.DB, c store.Case) store.Case {
	t.Helper()
	if err := db.CreateCase(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func auditActions(t *testing.T, db *store.DB, action string) []store.AuditEntry {
	t.Helper()
	es, err := db.AuditLog(context.Background(), store.AuditFilter{Action: &action})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestCaseDueTimes(t *testing.T) {
	ctx := context.Background()
	eachCasework(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		mail := openCase(t, db, store.Case{Channel: store.ChannelEmail, ContactEmail: "a@example.it"})
		if want := time.Date(2026, 12, 2, 18, 0, 0, 0, romeLoc); !mail.DueAt.Equal(want) {
			t.Fatalf("email due %s, want %s (8 working hours)", mail.DueAt.In(romeLoc), want)
		}
		phone := openCase(t, db, store.Case{Channel: store.ChannelPhone})
		if !phone.DueAt.IsZero() {
			t.Fatalf("a phone case (no response time) is due %s", phone.DueAt)
		}
		got, err := db.CaseByID(ctx, mail.ID)
		if err != nil || !got.DueAt.Equal(mail.DueAt) || !got.AnsweredAt.IsZero() {
			t.Fatalf("stored case %+v %v", got, err)
		}
		// Monday evening, with the Immacolata on Tuesday: 16 working
		// hours run to Thursday.
		if err := db.SetCaseSLA(ctx, store.ChannelEmail, 16, "admin"); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []struct {
			ch string
			h  int
		}{{"pigeon", 4}, {store.ChannelEmail, -1}, {store.ChannelEmail, store.MaxSLAHours + 1}} {
			if err := db.SetCaseSLA(ctx, bad.ch, bad.h, "admin"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("SetCaseSLA(%s, %d) = %v", bad.ch, bad.h, err)
			}
		}
		clk.Set(time.Date(2026, 12, 7, 17, 0, 0, 0, romeLoc))
		late := openCase(t, db, store.Case{Channel: store.ChannelEmail})
		if want := time.Date(2026, 12, 10, 15, 0, 0, 0, romeLoc); !late.DueAt.Equal(want) {
			t.Fatalf("email due %s, want %s", late.DueAt.In(romeLoc), want)
		}
		slas, err := db.CaseSLAs(ctx)
		if err != nil || len(slas) != 4 {
			t.Fatalf("slas %v %v", slas, err)
		}
		for _, s := range slas {
			if s.Channel == store.ChannelEmail && (s.WorkingHours != 16 || s.UpdatedBy != "admin") {
				t.Errorf("email response time %+v", s)
			}
		}
		if a := auditActions(t, db, "case.sla"); len(a) != 1 || a[0].Detail["to"] != float64(16) || a[0].Detail["from"] != float64(8) {
			t.Errorf("audit %+v", a)
		}

		// Overdue: past the due time without an answer; an operator's
		// answer meets it, an automatic acknowledgement does not.
		now := clk.Now()
		if !mail.Overdue(now) || late.Overdue(now) || phone.Overdue(now) {
			t.Fatalf("overdue: mail %v late %v phone %v", mail.Overdue(now), late.Overdue(now), phone.Overdue(now))
		}
		over, err := db.SearchCases(ctx, store.CaseQuery{Overdue: true})
		if err != nil || len(over) != 1 || over[0].ID != mail.ID {
			t.Fatalf("overdue list %v %v", ids(over), err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			ack := store.Contact{CaseID: mail.ID, Channel: store.ChannelEmail, Direction: "out", Author: "system", Content: "ricevuta"}
			return tx.AddContact(ctx, &ack)
		})
		if err != nil {
			t.Fatal(err)
		}
		if over, _ := db.SearchCases(ctx, store.CaseQuery{Overdue: true}); len(over) != 1 {
			t.Fatal("an acknowledgement met the due time")
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			ans := store.Contact{CaseID: mail.ID, Channel: store.ChannelEmail, Direction: "out", Author: "rossi", Content: "risposta", Answer: true}
			return tx.AddContact(ctx, &ans)
		})
		if err != nil {
			t.Fatal(err)
		}
		if over, _ := db.SearchCases(ctx, store.CaseQuery{Overdue: true}); len(over) != 0 {
			t.Fatalf("answered case still overdue: %v", ids(over))
		}
		if got, _ := db.CaseByID(ctx, mail.ID); !got.AnsweredAt.Equal(now) || got.Overdue(now) {
			t.Fatalf("answered at %s", got.AnsweredAt)
		}

		// A due time set by hand, audited; cleared; a merged case refuses.
		due := time.Date(2026, 12, 11, 12, 0, 0, 0, romeLoc)
		if err := db.SetCaseDue(ctx, phone.ID, due, "bianchi"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.CaseByID(ctx, phone.ID); !got.DueAt.Equal(due) {
			t.Fatalf("due %s", got.DueAt)
		}
		if err := db.SetCaseDue(ctx, phone.ID, time.Time{}, "bianchi"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.CaseByID(ctx, phone.ID); !got.DueAt.IsZero() {
			t.Fatalf("due not cleared: %s", got.DueAt)
		}
		if a := auditActions(t, db, "case.due"); len(a) != 2 || a[0].Actor != "bianchi" || a[0].Detail["from"] != "2026-12-11T11:00:00Z" || a[0].Detail["to"] != "" {
			t.Errorf("audit %+v", a)
		}
		if err := db.MergeCases(ctx, mail.ID, late.ID, "rossi"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetCaseDue(ctx, late.ID, due, "rossi"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("due time on a merged case: %v", err)
		}
	})
}

func ids(cs []store.Case) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.TrackingID)
	}
	return out
}

func TestCaseListFiltersAndPages(t *testing.T) {
	ctx := context.Background()
	eachCasework(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		for _, name := range []string{"rossi", "bianchi"} {
			if err := db.CreateUser(ctx, &store.User{Username: name, DisplayName: name, Role: store.RoleAgent, PasswordHash: "x"}, "test"); err != nil {
				t.Fatal(err)
			}
		}
		// Before the event.
		before := openCase(t, db, store.Case{Channel: store.ChannelPhone, Category: "sismico", ComuneCode: "066049"})
		clk.Advance(time.Hour)
		ev := store.EmergencyEvent{Name: "Terremoto", StartedAt: clk.Now()}
		if err := db.OpenEvent(ctx, &ev, "coord"); err != nil {
			t.Fatal(err)
		}
		var during []store.Case
		specs := []store.Case{
			{Channel: store.ChannelEmail, Category: "sismico", Urgency: store.UrgencyElevated, ComuneCode: "066049"},
			{Channel: store.ChannelWeb, Category: "idraulico", ComuneCode: "039010"},
			{Channel: store.ChannelPhone, Category: "sismico", Urgency: store.UrgencyRescue, ComuneCode: "066049"},
			{Channel: store.ChannelEmail, Category: "idraulico", ComuneCode: "039010"},
			{Channel: store.ChannelFax, Category: "sismico", ComuneCode: "066049"},
		}
		for _, s := range specs {
			clk.Advance(time.Minute)
			during = append(during, openCase(t, db, s))
		}
		clk.Advance(time.Hour)
		if _, err := db.CloseEvent(ctx, ev.ID, clk.Now(), "coord"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
		after := openCase(t, db, store.Case{Channel: store.ChannelEmail, Category: "sismico"})
		if err := db.AssignCase(ctx, during[0].ID, "rossi", "rossi"); err != nil {
			t.Fatal(err)
		}
		if err := db.AssignCase(ctx, during[2].ID, "bianchi", "rossi"); err != nil {
			t.Fatal(err)
		}
		if err := db.AssignCase(ctx, during[2].ID, "rossi", "bianchi"); err != nil {
			t.Fatal(err)
		}
		if err := db.AssignCase(ctx, during[1].ID, "nessuno", "rossi"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("assigned to an unknown user: %v", err)
		}
		if err := db.CloseCase(ctx, during[4].ID, "informazione-fornita", "rossi"); err != nil {
			t.Fatal(err)
		}
		a := auditActions(t, db, "case.assign")
		if len(a) != 3 || a[0].Actor != "bianchi" || a[0].Detail["from"] != "bianchi" || a[0].Detail["to"] != "rossi" {
			t.Errorf("assign audit %+v", a)
		}

		tid := func(cs ...store.Case) []string { return ids(cs) }
		tests := []struct {
			name string
			q    store.CaseQuery
			want []string
		}{
			{"everything, newest first", store.CaseQuery{}, tid(after, during[4], during[3], during[2], during[1], during[0], before)},
			{"open", store.CaseQuery{Status: "open"}, tid(after, during[3], during[2], during[1], during[0], before)},
			{"closed", store.CaseQuery{Status: "closed"}, tid(during[4])},
			{"category", store.CaseQuery{Category: "idraulico"}, tid(during[3], during[1])},
			{"urgency", store.CaseQuery{Urgency: store.UrgencyRescue}, tid(during[2])},
			{"channel", store.CaseQuery{Channel: store.ChannelEmail}, tid(after, during[3], during[0])},
			{"comune", store.CaseQuery{Comune: "066049"}, tid(during[4], during[2], during[0], before)},
			{"owner", store.CaseQuery{Owner: "rossi"}, tid(during[2], during[0])},
			{"nobody's", store.CaseQuery{Owner: store.OwnerNobody, Status: "open"}, tid(after, during[3], during[1], before)},
			{"event", store.CaseQuery{EventID: ev.ID}, tid(during[4], during[3], during[2], during[1], during[0])},
			{"event and comune and open", store.CaseQuery{EventID: ev.ID, Comune: "066049", Status: "open"}, tid(during[2], during[0])},
			{"text and filter", store.CaseQuery{Text: "066049", Channel: store.ChannelPhone}, tid(during[2], before)},
			{"page 2 of 3 by 2", store.CaseQuery{Limit: 2, Offset: 2}, tid(during[3], during[2])},
			// Soonest due first; cases without a due time last.
			{"by due time", store.CaseQuery{Sort: store.SortDue, Status: "open"}, tid(during[0], during[1], during[3], after, before, during[2])},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := db.SearchCases(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				if g := ids(got); !equal(g, tt.want) {
					t.Errorf("got %v\nwant %v", g, tt.want)
				}
				q := tt.q
				q.Limit, q.Offset = 0, 0
				n, err := db.CountCases(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if tt.q.Limit == 0 && n != len(tt.want) {
					t.Errorf("count %d, want %d", n, len(tt.want))
				}
			})
		}
		if _, err := db.SearchCases(ctx, store.CaseQuery{EventID: 999}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown event: %v", err)
		}
	})
}

// checkSuggestions holds c's duplicate suggestions to want, in order.
func checkSuggestions(t *testing.T, db *store.DB, c store.Case, want ...store.Case) {
	t.Helper()
	got, err := db.DuplicateSuggestions(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if !equal(ids(got), ids(want)) {
		t.Errorf("suggestions for %s (%q %q): %v, want %v", c.TrackingID, c.ContactPhone, c.ContactEmail, ids(got), ids(want))
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDuplicateSuggestions(t *testing.T) {
	ctx := context.Background()
	eachCasework(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		first := openCase(t, db, store.Case{Channel: store.ChannelPhone, ContactPhone: "+390862000111"})
		clk.Advance(3 * time.Hour)
		byMail := openCase(t, db, store.Case{Channel: store.ChannelWeb, ContactEmail: "mario@example.it", ContactPhone: "+390862000111"})
		clk.Advance(time.Hour)
		sameMail := openCase(t, db, store.Case{Channel: store.ChannelEmail, ContactEmail: "mario@example.it"})
		other := openCase(t, db, store.Case{Channel: store.ChannelPhone, ContactPhone: "+390862999999"})
		clk.Advance(2 * 24 * time.Hour)
		later := openCase(t, db, store.Case{Channel: store.ChannelPhone, ContactPhone: "+390862000111"})
		anon := openCase(t, db, store.Case{Channel: store.ChannelFax})

		check := func(c store.Case, want ...store.Case) { t.Helper(); checkSuggestions(t, db, c, want...) }
		check(first, byMail)
		check(byMail, first, sameMail)
		check(sameMail, byMail)
		check(other)
		check(later)
		check(anon)
		// Once merged, a duplicate is no longer suggested, and its
		// history is on the survivor.
		if err := db.MergeCases(ctx, byMail.ID, sameMail.ID, "rossi"); err != nil {
			t.Fatal(err)
		}
		check(byMail, first)
		tl, err := db.Timeline(ctx, byMail.ID)
		if err != nil || len(tl) != 1 || tl[0].Author != "rossi" {
			t.Fatalf("timeline %+v %v", tl, err)
		}
		if a := auditActions(t, db, "case.merge"); len(a) != 1 || a[0].Detail["merged"] != sameMail.TrackingID {
			t.Errorf("merge audit %+v", a)
		}
	})
}

// TestDuplicatesMatchContactsAsWritten: the same phone written with
// spaces, dashes, dots, brackets or Italy's prefix, and the same email in
// another case, are one contact for duplicate suggestions; the keys the
// migration computed in SQL for older rows are the ones Go writes.
func TestDuplicatesMatchContactsAsWritten(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ in, want string }{
		{"+39 340 111 2233", "3401112233"},
		{"0039 (340) 111-22.33", "3401112233"},
		{"340/1112233", "3401112233"},
		{"+390862000111", "0862000111"},
		{"0862.000.111", "0862000111"},
		{"0041 44 123 45 67", "+41441234567"},
		{"+41 44 123 45 67", "+41441234567"},
		{"393 123 4567", "3931234567"}, // an Italian mobile that starts with 39
		{"", ""},
	} {
		if got := store.PhoneKey(tc.in); got != tc.want {
			t.Errorf("PhoneKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	eachCasework(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		call := openCase(t, db, store.Case{Channel: store.ChannelPhone, ContactPhone: "+393401112233"})
		clk.Advance(time.Hour)
		form := openCase(t, db, store.Case{Channel: store.ChannelWeb, ContactPhone: "0039 (340) 111-22.33", ContactEmail: "Mario.Rossi@Example.IT"})
		clk.Advance(time.Hour)
		mail := openCase(t, db, store.Case{Channel: store.ChannelEmail, ContactEmail: "mario.rossi@example.it"})
		fax := openCase(t, db, store.Case{Channel: store.ChannelFax, ContactPhone: "340 111 22 33"})
		swiss := openCase(t, db, store.Case{Channel: store.ChannelPhone, ContactPhone: "+41 340 111 22 33"})
		check := func(c store.Case, want ...store.Case) { t.Helper(); checkSuggestions(t, db, c, want...) }
		check(call, form, fax)
		check(form, call, mail, fax)
		check(mail, form)
		check(fax, call, form)
		check(swiss)
		// The SQL that filled the keys of older rows gives the same keys.
		want := map[int64][2]string{}
		for _, c := range []store.Case{call, form, mail, fax, swiss} {
			want[c.ID] = [2]string{store.PhoneKey(c.ContactPhone), store.EmailKey(c.ContactEmail)}
		}
		if err := db.RefillContactKeys(ctx); err != nil {
			t.Fatal(err)
		}
		for id, w := range want {
			if p, e, err := db.ContactKeys(ctx, id); err != nil || p != w[0] || e != w[1] {
				t.Errorf("case %d: SQL keys %q %q (%v), Go's %q %q", id, p, e, err, w[0], w[1])
			}
		}
		// A merge gives the survivor the keys of what it takes in.
		if err := db.MergeCases(ctx, mail.ID, fax.ID, "rossi"); err != nil {
			t.Fatal(err)
		}
		if p, _, _ := db.ContactKeys(ctx, mail.ID); p != "3401112233" {
			t.Errorf("the survivor's phone key %q", p)
		}
		check(call, form, mail)
	})
}

func TestCannedReplies(t *testing.T) {
	ctx := context.Background()
	eachCasework(t, func(t *testing.T, db *store.DB, clk *clock.Fake) {
		r := store.CannedReply{Title: " Allerta meteo ", Lang: "it", Template: "risposta", Body: "Consulti il sito della Protezione Civile."}
		if err := db.SaveCannedReply(ctx, &r, "admin"); err != nil {
			t.Fatal(err)
		}
		if r.ID == 0 || r.Title != "Allerta meteo" || r.CreatedBy != "admin" {
			t.Fatalf("created %+v", r)
		}
		en := store.CannedReply{Title: "Weather alert", Lang: "en", Template: "risposta", Body: "See the website."}
		if err := db.SaveCannedReply(ctx, &en, "admin"); err != nil {
			t.Fatal(err)
		}
		dup := store.CannedReply{Title: "Allerta meteo", Lang: "it", Template: "risposta", Body: "altro"}
		if err := db.SaveCannedReply(ctx, &dup, "admin"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("same title twice: %v", err)
		}
		for _, bad := range []store.CannedReply{{Title: "", Lang: "it", Template: "risposta", Body: "x"},
			{Title: "x", Lang: "fr", Template: "risposta", Body: "x"}, {Title: "x", Lang: "it", Template: "", Body: "x"},
			{Title: "x", Lang: "it", Template: "risposta", Body: "  "}} {
			if err := db.SaveCannedReply(ctx, &bad, "admin"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("saved %+v: %v", bad, err)
			}
		}
		clk.Advance(time.Minute)
		r.Body = "Consulti il sito e segua le indicazioni del Comune."
		if err := db.SaveCannedReply(ctx, &r, "capo"); err != nil {
			t.Fatal(err)
		}
		got, err := db.CannedReplyByID(ctx, r.ID)
		if err != nil || got.Body != r.Body || got.UpdatedBy != "capo" || got.CreatedBy != "admin" || !got.UpdatedAt.After(got.CreatedAt) {
			t.Fatalf("updated %+v %v", got, err)
		}
		it, err := db.CannedReplies(ctx, "it")
		if err != nil || len(it) != 1 || it[0].ID != r.ID {
			t.Fatalf("italian %+v %v", it, err)
		}
		if all, _ := db.CannedReplies(ctx, ""); len(all) != 2 {
			t.Fatalf("all %+v", all)
		}
		if err := db.DeleteCannedReply(ctx, r.ID, "capo"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CannedReplyByID(ctx, r.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted reply: %v", err)
		}
		if err := db.DeleteCannedReply(ctx, r.ID, "capo"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted twice: %v", err)
		}
		gone := store.CannedReply{ID: r.ID, Title: "x", Lang: "it", Template: "risposta", Body: "x"}
		if err := db.SaveCannedReply(ctx, &gone, "capo"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("updated a deleted reply: %v", err)
		}
		for action, n := range map[string]int{"canned.create": 2, "canned.update": 1, "canned.delete": 1} {
			if a := auditActions(t, db, action); len(a) != n {
				t.Errorf("%s: %d entries", action, len(a))
			}
		}
		if a := auditActions(t, db, "canned.delete"); a[0].Detail["body"] != r.Body {
			t.Errorf("the deleted text is not in the audit log: %+v", a[0])
		}
	})
}
