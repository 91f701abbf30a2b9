package console

import (
	"context"

	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
)

// Mailer is what the case view needs to answer a citizen by email:
// *mail.Service implements it. The console only queues replies and reads
// their delivery state; composing, threading and sending stay in package
// mail. With a nil Mailer the case view says that email is not set up.
type Mailer interface {
	// Reply queues an operator's email on a case (recorded in its timeline).
	Reply(ctx context.Context, r mail.ReplyRequest) (store.OutboxMessage, error)
	// Deliveries lists a case's outgoing email with each delivery state.
	Deliveries(ctx context.Context, caseID int64) ([]store.OutboxMessage, error)
	// Templates are the message models an operator picks from.
	Templates() *mail.Templates
}
