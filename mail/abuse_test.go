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
