package mail

import (
	"context"
	"errors"
	"sync"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Options configures email as `ascolto serve` runs it.
type Options struct {
	Store    *store.DB
	Log      *zap.Logger
	Clock    clock.Clock
	Registry prometheus.Registerer
	// From is --mail-from: the contact center's address.
	From string
	// SMTPAddr is --smtp-addr: where the receiver listens ("" = off).
	SMTPAddr string
	// Relay is --smtp-relay: smtp://user:pass@host:port ("" = mail stays
	// queued in the outbox until a relay is configured).
	Relay string
	// IMAPURL is --imap-url: a mailbox to poll ("" = off).
	IMAPURL string
	// SpoolDir is where inbound messages wait on disk while they are
	// stored ("" = the system's temporary directory): up to MaxConns
	// messages of 30 MB and their decoded files, so not a RAM disk.
	SpoolDir string
	// Ready reports each part's state ("smtp-relay", "imap") for /readyz.
	Ready func(component string, ok bool, detail string)
}

// DefaultFrom is the sender when --mail-from is not set: enough to try
// ascolto on one machine.
const DefaultFrom = "Contact Center Protezione Civile <contactcenter@localhost>"

// Mail is email for the whole service: the Service that the form and the
// console call, and whichever of the receiver, the poller and the sender
// the configuration turns on.
type Mail struct {
	svc    *Service
	sender *Sender
	recv   *Receiver
	poller *Poller
	log    *zap.Logger
}

// New builds email from the configuration. Nothing listens or connects
// until Run; the receiver's port is bound by New so that a port already
// taken stops the start-up with a clear message.
func New(o Options) (*Mail, error) {
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Ready == nil {
		o.Ready = func(string, bool, string) {}
	}
	if o.From == "" {
		o.From = DefaultFrom
		o.Log.Warn("no --mail-from: mail goes out as " + DefaultFrom + ", which real relays refuse")
	}
	m := &Mail{log: o.Log}
	var wake func()
	if o.Relay != "" {
		s, err := NewSender(SenderOptions{Store: o.Store, Log: o.Log.Named("outbox"), Clock: o.Clock, Relay: o.Relay,
			Registry: o.Registry, Ready: func(ok bool, d string) { o.Ready("smtp-relay", ok, d) }})
		if err != nil {
			return nil, err
		}
		m.sender, wake = s, s.Wake
	}
	svc, err := NewService(ServiceOptions{Store: o.Store, Log: o.Log, Clock: o.Clock, From: o.From,
		Registry: o.Registry, Wake: wake, SpoolDir: o.SpoolDir})
	if err != nil {
		return nil, err
	}
	m.svc = svc
	if o.SMTPAddr != "" {
		r, err := NewReceiver(ReceiverOptions{Service: svc, Log: o.Log.Named("smtp"), Addr: o.SMTPAddr})
		if err != nil {
			return nil, err
		}
		if _, err := r.Listen(); err != nil {
			return nil, err
		}
		m.recv = r
	}
	if o.IMAPURL != "" {
		p, err := NewPoller(PollerOptions{Service: svc, Log: o.Log.Named("imap"), URL: o.IMAPURL,
			Ready: func(ok bool, d string) { o.Ready("imap", ok, d) }})
		if err != nil {
			return nil, err
		}
		m.poller = p
	}
	return m, nil
}

// Service is what the form and the console use: Ingest, Reply,
// Deliveries, AcknowledgeForm, Templates.
func (m *Mail) Service() *Service { return m.svc }

// Run runs the receiver, the poller and the sender that are configured,
// until ctx ends.
func (m *Mail) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	run := func(f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil {
				errs <- err
			}
		}()
	}
	if m.recv != nil {
		run(m.recv.Serve)
	}
	if m.poller != nil {
		run(m.poller.Run)
	}
	if m.sender != nil {
		run(m.sender.Run)
	} else {
		m.log.Warn("no --smtp-relay: outgoing mail is kept in the outbox until one is configured")
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}
