package mail

import (
	"strings"
	"testing"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// The acknowledgement goes to the sender's own address, never to a
// Reply-To, and quotes nothing the sender wrote: otherwise anyone could
// make the contact center's official address mail a stranger a link.
func TestAcknowledgementIsNoSpamReflector(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := startReceiver(t, db, ReceiverOptions{})
		in.mustSend("spammer@example.com", `From: "Premio http://spam.example/nome" <spammer@example.com>
Reply-To: vittima@example.net
To: contactcenter@example.org
Subject: Hai vinto! Ritira qui http://spam.example/premio
Message-ID: <reflect@example.com>

Clicca http://spam.example/premio
`)
		c := in.caseOf("reflect@example.com")
		if c.ContactEmail != "spammer@example.com" {
			t.Errorf("case contact %q, want the sender", c.ContactEmail)
		}
		outs := mustOutbox(t, db, c.ID)
		if len(outs) != 1 {
			t.Fatalf("%d outgoing messages, want the acknowledgement", len(outs))
		}
		if outs[0].To != "spammer@example.com" {
			t.Errorf("acknowledgement to %q, want the From address", outs[0].To)
		}
		ack, err := db.OutboxMessageByID(bg, outs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		am, err := Parse(ack.Raw)
		if err != nil {
			t.Fatal(err)
		}
		if am.Header.Get("To") != "<spammer@example.com>" {
			t.Errorf("To header %q: no display name of the sender's choosing", am.Header.Get("To"))
		}
		for _, part := range []string{am.Subject, am.Text} {
			if strings.Contains(part, "spam.example") || strings.Contains(part, "vinto") || strings.Contains(part, "Premio") {
				t.Errorf("the acknowledgement quotes the sender: %q", part)
			}
			if !strings.Contains(part, c.TrackingID) {
				t.Errorf("the acknowledgement lacks the tracking id: %q", part)
			}
		}
		// The operator still sees where the sender asked to be answered.
		tl, _ := db.FullTimeline(bg, c.ID)
		if !strings.Contains(tl.Entries[0].Content, "Rispondere a: <vittima@example.net>") {
			t.Errorf("timeline %q lacks the Reply-To", tl.Entries[0].Content)
		}
	})
}

// A stranger who puts a citizen's Message-ID in In-Reply-To joins the
// citizen's case only under an operator's eye; the parties to the
// conversation join without one.
func TestHeaderThreadingFlagsAStranger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := startReceiver(t, db, ReceiverOptions{})
		in.mustSend("vittima@example.it", `From: vittima@example.it
To: contactcenter@example.org
Subject: Casa allagata
Message-ID: <victim-1@example.it>

Via Roma 3, piano terra allagato.
`)
		c := in.caseOf("victim-1@example.it")
		// An office the operator wrote to answers: a party, no flag.
		fwd, err := in.svc.Reply(bg, ReplyRequest{CaseID: c.ID, Template: "inoltro-ente", Text: "Potete intervenire?",
			Author: "op1", To: "vigili@example.gov"})
		if err != nil {
			t.Fatal(err)
		}
		in.mustSend("vigili@example.gov", "From: vigili@example.gov\nSubject: Re: intervento\nIn-Reply-To: <"+fwd.MessageID+
			">\nMessage-ID: <office-1@example.gov>\n\nSquadra partita.\n")
		if got := in.caseOf("office-1@example.gov"); got.ID != c.ID {
			t.Fatalf("the office's answer went to case %d", got.ID)
		}
		if rv, _ := db.Reviews(bg, c.ID); len(rv) != 0 {
			t.Fatalf("a party's answer was flagged: %+v", rv)
		}
		// A stranger quoting the citizen's Message-ID: joins, flagged.
		in.mustSend("estraneo@example.com", `From: estraneo@example.com
Subject: Re: Casa allagata
In-Reply-To: <victim-1@example.it>
Message-ID: <stranger-1@example.com>

Annullate la richiesta, grazie.
`)
		if got := in.caseOf("stranger-1@example.com"); got.ID != c.ID {
			t.Fatalf("the stranger's mail went to case %d", got.ID)
		}
		rv, _ := db.Reviews(bg, c.ID)
		if len(rv) != 1 || !strings.Contains(rv[0].Reason, "estraneo@example.com") || !strings.Contains(rv[0].Reason, "vittima@example.it") {
			t.Fatalf("reviews %+v, want one naming the stranger and the citizen", rv)
		}
		// Quoting a message of one's own beside the citizen's gains
		// nothing: only the case's messages make a party.
		in.mustSend("altro@example.com", "From: altro@example.com\nSubject: Mio\nMessage-ID: <own-1@example.com>\n\nmio\n")
		in.mustSend("altro@example.com", `From: altro@example.com
Subject: Re: Casa allagata
References: <own-1@example.com> <victim-1@example.it>
Message-ID: <stranger-2@example.com>

Annullate.
`)
		if got := in.caseOf("stranger-2@example.com"); got.ID != c.ID {
			t.Fatalf("the second stranger's mail went to case %d", got.ID)
		}
		if rv, _ := db.Reviews(bg, c.ID); len(rv) != 2 || !strings.Contains(rv[1].Reason, "altro@example.com") {
			t.Fatalf("reviews %+v, want the second stranger flagged too", rv)
		}
	})
}

// A different message that reuses a Message-ID already seen is stored
// (and flagged), not answered 250 and dropped; a true copy still is
// recognised, however it travelled.
func TestDifferentMessageReusingAMessageIDIsKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		in := startReceiver(t, db, ReceiverOptions{})
		first := "Received: from a.example by mx.example\nFrom: maria@example.it\nSubject: Frana\nDate: Mon, 7 Dec 2026 09:00:00 +0100\nMessage-ID: <same@example.it>\n\nFrana in via Roma.\n"
		second := "From: luca@example.com\nSubject: Albero caduto\nDate: Mon, 7 Dec 2026 09:05:00 +0100\nMessage-ID: <same@example.it>\n\nAlbero caduto in piazza.\n"
		in.mustSend("maria@example.it", first)
		in.mustSend("luca@example.com", second)
		if n := countCases(t, db); n != 2 {
			t.Fatalf("%d cases, want both messages kept", n)
		}
		cs, _ := db.Cases(bg, store.CaseFilter{Limit: 10})
		texts := map[string]bool{}
		for _, c := range cs {
			tl, _ := db.FullTimeline(bg, c.ID)
			for _, e := range tl.Entries {
				texts[e.Content] = true
			}
			if c.ContactEmail == "luca@example.com" {
				if rv, _ := db.Reviews(bg, c.ID); len(rv) != 1 || !strings.Contains(rv[0].Reason, "same@example.it") {
					t.Errorf("the second message's case is not flagged: %+v", rv)
				}
			}
		}
		var all string
		for k := range texts {
			all += k
		}
		if !strings.Contains(all, "Frana in via Roma.") || !strings.Contains(all, "Albero caduto in piazza.") {
			t.Fatalf("timeline lacks one of the messages: %q", all)
		}
		// Copies, one through another relay, change nothing.
		in.mustSend("luca@example.com", second)
		in.mustSend("maria@example.it", strings.Replace(first, "a.example", "b.example", 1))
		if n := countCases(t, db); n != 2 {
			t.Fatalf("%d cases after copies, want 2", n)
		}
	})
}
