package oncall

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ascolto/ascolto/config"
	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// SMS sends a text message to a phone number (E.164).
type SMS interface {
	Send(ctx context.Context, to, text string) error
}

// HTTPSMS sends SMS through a provider's HTTP API described by a URL
// template: {to} and {text} are replaced by the query-escaped number and
// text, e.g. https://sms.example.it/send?key=K&to={to}&text={text}. A
// template starting with "POST " posts the query as a form instead of
// getting the URL (so the text is not in the provider's access log). Any
// 2xx answer is success.
type HTTPSMS struct {
	Template string
	Client   *http.Client
}

// NewHTTPSMS checks the template.
func NewHTTPSMS(template string) (*HTTPSMS, error) {
	t := strings.TrimSpace(template)
	raw := strings.TrimPrefix(t, "POST ")
	if !strings.Contains(raw, "{to}") || !strings.Contains(raw, "{text}") {
		return nil, errors.New("oncall: the SMS URL template needs {to} and {text}")
	}
	u, err := url.Parse(strings.NewReplacer("{to}", "x", "{text}", "x").Replace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("oncall: the SMS URL template %q is not an http(s) URL", config.Redact(raw))
	}
	return &HTTPSMS{Template: t, Client: &http.Client{Timeout: 15 * time.Second}}, nil
}

// Send sends one SMS.
func (h *HTTPSMS) Send(ctx context.Context, to, text string) error {
	post := strings.HasPrefix(h.Template, "POST ")
	raw := strings.TrimPrefix(h.Template, "POST ")
	full := strings.NewReplacer("{to}", url.QueryEscape(to), "{text}", url.QueryEscape(text)).Replace(raw)
	var req *http.Request
	var err error
	if post {
		base, query, _ := strings.Cut(full, "?")
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, base, strings.NewReader(query))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, full, nil)
	}
	if err != nil {
		return fmt.Errorf("oncall: sms request: %w", err)
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		// The client quotes the URL, the gateway's ?apikey= included; the
		// error ends up in the log, the audit trail and the board.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			ue.URL = config.Redact(ue.URL)
		}
		return fmt.Errorf("oncall: sms gateway: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("oncall: sms gateway answered %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// messageText is what email and SMS say, Italian: the event, the link, and
// ESERCITAZIONE in a drill.
func (s *Service) messageText(a store.Activation, p store.ActivationPerson, short bool) (subject, body string) {
	drill := ""
	if a.Exercise {
		drill = "ESERCITAZIONE — "
	}
	link := s.ConfirmURL(p.Token)
	if short {
		return "", fmt.Sprintf("%sProtezione Civile: attivazione del Contact Center per %s. Conferma se prendi servizio e tra quanti minuti arrivi: %s",
			drill, a.Event, link)
	}
	subject = drill + "Attivazione del Contact Center: " + a.Event
	var b strings.Builder
	if a.Exercise {
		b.WriteString("ESERCITAZIONE. Questa è un'esercitazione, non un'emergenza reale.\n\n")
	}
	fmt.Fprintf(&b, "Ciao %s,\n\nil Dipartimento della Protezione Civile ha chiesto l'attivazione del Contact Center per:\n\n  %s\n  (%s, richiesta da %s)\n\n",
		p.Name, a.Event, a.Reason, a.RequestedBy)
	fmt.Fprintf(&b, "Sei in reperibilità. Ti stiamo chiamando anche al telefono: se non riesci a rispondere, dicci qui se prendi servizio e tra quanti minuti arrivi:\n\n  %s\n\n", link)
	b.WriteString("Obiettivo: Contact Center operativo entro 30 minuti dalla richiesta.\n")
	if a.Exercise {
		b.WriteString("\nESERCITAZIONE: rispondi come faresti in un'attivazione vera; i risultati restano separati.\n")
	}
	b.WriteString("\n— ascolto, Contact Center Protezione Civile\n")
	return subject, b.String()
}

// notify queues the email (durable outbox) and records the SMS to send for
// a person whose wave started, in the transaction that starts it.
func (s *Service) notify(ctx context.Context, tx *store.Tx, a store.Activation, p store.ActivationPerson) ([]smsJob, error) {
	now := tx.Now
	var jobs []smsJob
	channels := []string{}
	if p.Email != "" && s.o.Mail != nil {
		subject, body := s.messageText(a, p, false)
		from := s.o.Mail.From()
		domain := "localhost"
		if _, d, ok := strings.Cut(from.Email, "@"); ok {
			domain = d
		}
		b := make([]byte, 8)
		rand.Read(b)
		msgID := fmt.Sprintf("activation-%d-%s.%s@%s", a.ID, p.Person, hex.EncodeToString(b), domain)
		out := mail.Outgoing{From: from, To: mail.Address{Name: p.Name, Email: p.Email}, Subject: subject, Body: body,
			MessageID: msgID, AutoSubmitted: "auto-generated", Date: now, Lang: "it"}
		m := store.OutboxMessage{MessageID: msgID, Template: "oncall-activation", From: from.Email, To: p.Email, Subject: subject,
			Raw: out.Bytes(), Author: "system"}
		if err := tx.EnqueueMail(ctx, &m); err != nil {
			return nil, err
		}
		att := store.ActivationAttempt{ActivationID: a.ID, PersonID: p.ID, Channel: "email", StartedAt: now}
		if err := tx.BeginAttempt(ctx, &att); err != nil {
			return nil, err
		}
		if err := tx.EndAttempt(ctx, att.ID, now, "queued", "outbox "+itoa(m.ID)); err != nil {
			return nil, err
		}
		channels = append(channels, "email")
	}
	if s.o.SMS != nil {
		att := store.ActivationAttempt{ActivationID: a.ID, PersonID: p.ID, Channel: "sms", StartedAt: now}
		if err := tx.BeginAttempt(ctx, &att); err != nil {
			return nil, err
		}
		jobs = append(jobs, smsJob{person: p, attempt: att.ID})
		channels = append(channels, "sms")
	}
	if err := tx.UpdateActivationPerson(ctx, p.ID, store.PersonUpdate{NotifiedAt: &now}); err != nil {
		return nil, err
	}
	if len(channels) == 0 {
		return nil, nil
	}
	return jobs, tx.Audit(ctx, store.AuditEntry{Actor: "system", Action: "activation.notify", Object: store.ActivationObject(a.ID),
		Detail: map[string]any{"person": p.Person, "name": p.Name, "channels": channels}})
}

// sendSMS sends one recorded SMS, three tries, and records the result.
func (s *Service) sendSMS(ctx context.Context, a store.Activation, p store.ActivationPerson, attempt int64) {
	_, text := s.messageText(a, p, true)
	var err error
	for try := 0; try < 3; try++ {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err = s.o.SMS.Send(sctx, p.Phone, text)
		cancel()
		if err == nil || ctx.Err() != nil {
			break
		}
		t := s.clock.NewTimer(time.Duration(try+1) * 5 * time.Second)
		select {
		case <-ctx.Done():
		case <-t.C():
		}
	}
	result, detail := "sent", ""
	if err != nil {
		result, detail = "failed", err.Error()
		s.log.Warn("activation SMS not sent", zap.String("person", p.Person), zap.Error(err))
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.EndAttempt(ctx, attempt, tx.Now, result, detail); err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Actor: "system", Action: "activation.sms", Object: store.ActivationObject(a.ID),
			Detail: map[string]any{"person": p.Person, "name": p.Name, "result": result, "detail": detail}})
	})
	if err != nil && !errors.Is(err, store.ErrAlreadyClosed) {
		s.log.Warn("SMS result not recorded", zap.Error(err))
	}
	s.changed(a.ID)
}
