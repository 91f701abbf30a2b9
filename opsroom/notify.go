package opsroom

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
)

var rome = mustRome()

func mustRome() *time.Location {
	l, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic(err)
	}
	return l
}

// emailEscalation queues, in the escalation's transaction, one message to
// the coordinators and the room listing the items still waiting.
func (s *Service) emailEscalation(ctx context.Context, tx *store.Tx, items []ItemView) error {
	to := append(append([]string{}, s.cfg.CoordinatorEmail...), s.cfg.RoomEmail...)
	if len(to) == 0 || s.o.Mail == nil {
		return nil
	}
	rescue := 0
	for _, it := range items {
		if it.Kind == store.OpsRescue {
			rescue++
		}
	}
	subject := fmt.Sprintf("[ascolto] %d richieste non prese in carico dalla Sala Operativa", len(items))
	if rescue > 0 {
		subject = fmt.Sprintf("[ascolto] URGENTE: %d richieste di soccorso non prese in carico dalla Sala Operativa", rescue)
	}
	if len(items) == 1 {
		subject += " — " + items[0].TrackingID
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Le richieste seguenti attendono la presa in carico della Sala Operativa da più di %s.\n",
		s.cfg.EscalateAfter)
	b.WriteString("The following requests have waited for the operations room longer than the deadline.\n\n")
	for _, it := range items {
		writeItem(&b, it, s.cfg.PublicURL)
	}
	b.WriteString("Prendetele in carico dalla console: /opsroom\n— ascolto, Contact Center Protezione Civile\n")
	for _, addr := range to {
		if err := s.queueMail(ctx, tx, addr, subject, b.String(), items[0].ID); err != nil {
			return err
		}
	}
	return nil
}

// emailDeliveryFailed queues the last fallback for an item whose webhook
// delivery failed for good.
func (s *Service) emailDeliveryFailed(ctx context.Context, it ItemView, event, problem string) error {
	if len(s.cfg.RoomEmail) == 0 || s.o.Mail == nil {
		return nil
	}
	subject := fmt.Sprintf("[ascolto] %s %s (webhook non consegnato)", it.TrackingID, kindIT(it.Kind))
	var b strings.Builder
	fmt.Fprintf(&b, "Il sistema della Sala Operativa non ha accettato l'evento %s (%s); lo inviamo per email.\n", event, problem)
	b.WriteString("The operations room's system did not accept this event; here it is by email.\n\n")
	writeItem(&b, it, s.cfg.PublicURL)
	b.WriteString("— ascolto, Contact Center Protezione Civile\n")
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, addr := range s.cfg.RoomEmail {
			if err := s.queueMail(ctx, tx, addr, subject, b.String(), it.ID); err != nil {
				return err
			}
		}
		return tx.AddOpsEvent(ctx, &store.OpsEvent{ItemID: it.ID, Kind: "email", Actor: "system",
			Detail: map[string]any{"to": s.cfg.RoomEmail, "reason": "webhook failed: " + problem}})
	})
	if err == nil {
		s.wakeMail()
	}
	return err
}

func writeItem(b *strings.Builder, it ItemView, base string) {
	fmt.Fprintf(b, "* %s — %s", it.TrackingID, strings.ToUpper(kindIT(it.Kind)))
	if it.Exercise {
		b.WriteString(" (ESERCITAZIONE)")
	}
	b.WriteString("\n")
	fmt.Fprintf(b, "  ricevuta / received: %s (%d escalation)\n", it.CreatedAt.In(rome).Format("02/01/2006 15:04"), it.Escalations)
	if it.Comune.Code != "" {
		fmt.Fprintf(b, "  comune: %s, %s (ISTAT %s)\n", it.Comune.Label(), it.Comune.Regione, it.Comune.Code)
	}
	if it.Address != "" {
		fmt.Fprintf(b, "  indirizzo / address: %s\n", it.Address)
	}
	if it.Lat != nil && it.Lon != nil {
		fmt.Fprintf(b, "  coordinate: %.5f, %.5f\n", *it.Lat, *it.Lon)
	}
	if it.CategoryLabel != "" {
		fmt.Fprintf(b, "  categoria: %s\n", it.CategoryLabel)
	}
	if it.Summary != "" {
		fmt.Fprintf(b, "  cosa / what: %s\n", it.Summary)
	}
	if it.People > 0 {
		fmt.Fprintf(b, "  persone coinvolte / people: %d\n", it.People)
	}
	if it.ContactPhone != "" {
		fmt.Fprintf(b, "  richiamare / call back: %s %s\n", it.ContactPhone, it.ContactName)
	}
	if it.Advice != "" {
		fmt.Fprintf(b, "  consigliato dall'operatore / advised: %s\n", it.Advice)
	}
	if base != "" {
		fmt.Fprintf(b, "  %s/cases/%s\n", base, it.TrackingID)
	}
	b.WriteString("\n")
}

func (s *Service) queueMail(ctx context.Context, tx *store.Tx, to, subject, body string, itemID int64) error {
	from := s.o.Mail.From()
	domain := "localhost"
	if _, d, ok := strings.Cut(from.Email, "@"); ok {
		domain = d
	}
	msgID := randomID(fmt.Sprintf("opsroom-%d.", itemID)) + "@" + domain
	out := mail.Outgoing{From: from, To: mail.Address{Email: to}, Subject: subject, Body: body, MessageID: msgID,
		AutoSubmitted: "auto-generated", Date: tx.Now, Lang: "it"}
	m := store.OutboxMessage{MessageID: msgID, Template: "opsroom", From: from.Email, To: to, Subject: subject,
		Raw: out.Bytes(), Author: "system"}
	return tx.EnqueueMail(ctx, &m)
}

// wakeMail nudges the outbox once what was queued is committed.
func (s *Service) wakeMail() {
	if s.o.Mail != nil {
		s.o.Mail.Wake()
	}
}
