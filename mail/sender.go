package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// SenderOptions wires the outbox sender.
type SenderOptions struct {
	Store *store.DB
	Log   *zap.Logger
	Clock clock.Clock
	// Relay is smtp://user:pass@host:port (STARTTLS: required when there
	// are credentials, used when offered otherwise; ?starttls=no turns it
	// off for a relay on this machine) or smtps://… (TLS from the start).
	Relay string
	// TLSConfig overrides the TLS settings (tests trust their own CA).
	TLSConfig *tls.Config
	// HeloName is our name in EHLO (default: the sender's domain).
	HeloName string
	// Workers is the number of parallel relay connections (default 4).
	Workers int
	// Batch is how many messages a worker leases at once (default 16).
	Batch int
	// Lease is how long a leased message is a worker's (default 2 min);
	// after that another worker, or the next process, takes it.
	Lease time.Duration
	// MaxAttempts is when a message that keeps failing temporarily is
	// given up (default 60: about three days with the backoff).
	MaxAttempts int
	// Timeout bounds each exchange with the relay (default 60 s).
	Timeout time.Duration
	// Backoff is the wait after n failed attempts (default Backoff).
	Backoff func(attempts int) time.Duration
	// Registry receives the metrics (nil: unregistered).
	Registry prometheus.Registerer
	// Ready is told whether the relay answers.
	Ready func(ok bool, detail string)
}

// Sender delivers the durable outbox through the relay: leased batches,
// connections kept open, retries with backoff, permanent refusals
// recorded. A message leaves the outbox only once the relay accepted it.
type Sender struct {
	o        SenderOptions
	log      *zap.Logger
	host     string
	implicit bool
	starttls string // "", "no", "required"
	user     string
	pass     string
	wake     chan struct{}
	sent     prometheus.Counter
	resent   prometheus.Counter
	failures *prometheus.CounterVec
}

// NewSender checks the relay URL and builds the sender.
func NewSender(o SenderOptions) (*Sender, error) {
	if o.Store == nil {
		return nil, errors.New("mail: sender needs a store")
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Batch <= 0 {
		o.Batch = 16
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 60
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.Ready == nil {
		o.Ready = func(bool, string) {}
	}
	if o.Backoff == nil {
		o.Backoff = Backoff
	}
	u, err := url.Parse(o.Relay)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
		return nil, fmt.Errorf("mail: relay %q is not smtp://user:pass@host:port or smtps://…", redactURL(o.Relay))
	}
	s := &Sender{o: o, log: o.Log, host: u.Host, implicit: u.Scheme == "smtps", wake: make(chan struct{}, 1)}
	if u.Port() == "" {
		port := "587"
		if s.implicit {
			port = "465"
		}
		s.host = net.JoinHostPort(u.Hostname(), port)
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	switch v := u.Query().Get("starttls"); v {
	case "", "auto":
		if s.user != "" {
			s.starttls = "required"
		}
	case "no", "off", "false":
		s.starttls = "no"
		if s.user != "" && !isLoopback(u.Hostname()) {
			return nil, errors.New("mail: refusing to send the relay password without TLS to a remote host (drop ?starttls=no)")
		}
	case "required", "yes":
		s.starttls = "required"
	default:
		return nil, fmt.Errorf("mail: relay starttls=%q (allowed: auto, required, no)", v)
	}
	s.sent = prometheus.NewCounter(prometheus.CounterOpts{Name: "ascolto_mail_sent_total",
		Help: "Outgoing emails accepted by the relay."})
	s.resent = prometheus.NewCounter(prometheus.CounterOpts{Name: "ascolto_mail_resent_in_doubt_total",
		Help: "Outgoing emails sent again because an earlier attempt ended without an outcome (a crash): the relay may have had them; the copy carries the same Message-ID."})
	s.failures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ascolto_mail_send_failures_total",
		Help: "Failed delivery attempts, by kind (temporary, permanent, connection)."}, []string{"kind"})
	if o.Registry != nil {
		for _, c := range []prometheus.Collector{s.sent, s.resent, s.failures} {
			if err := o.Registry.Register(c); err != nil {
				return nil, fmt.Errorf("mail: register metrics: %w", err)
			}
		}
	}
	return s, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func redactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		return "(unparsable)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Wake tells the workers that something was queued.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (s *Sender) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wakes := make([]chan struct{}, s.o.Workers)
	for i := range wakes {
		wakes[i] = make(chan struct{}, 1)
		wg.Add(1)
		go func(w chan struct{}) {
			defer wg.Done()
			s.worker(ctx, w)
		}(wakes[i])
	}
	// Fan each nudge out to every worker.
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-s.wake:
			for _, w := range wakes {
				select {
				case w <- struct{}{}:
				default:
				}
			}
		}
	}
}

// worker leases batches and sends them over one kept-open connection.
func (s *Sender) worker(ctx context.Context, wake <-chan struct{}) {
	var conn *relayConn
	defer func() {
		if conn != nil {
			conn.close()
		}
	}()
	idle := time.Duration(0)
	for ctx.Err() == nil {
		// The claim is not cut short by a shutdown: cancelled while the
		// database commits it, the lease would hold the batch for its
		// whole length with nobody sending. A claimed batch is sent.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		msgs, err := s.o.Store.ClaimOutbox(cctx, s.o.Batch, s.o.Lease)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("outbox unreadable; retrying", zap.Error(err))
			}
			s.sleep(ctx, wake, 2*time.Second)
			continue
		}
		if len(msgs) == 0 {
			if conn != nil && idle >= 30*time.Second {
				conn.close()
				conn = nil
			}
			wait := time.Second
			if due, err := s.o.Store.NextOutboxDue(ctx); err == nil {
				wait = min(max(due.Sub(s.o.Clock.Now()), 50*time.Millisecond), 5*time.Second)
			} else {
				wait = 5 * time.Second
			}
			idle += wait
			s.sleep(ctx, wake, wait)
			continue
		}
		idle = 0
	batch:
		for i, m := range msgs {
			// The attempt is recorded before the transaction: a message
			// goes to the relay only while the outcome can be written
			// down, so a store that fails costs at most the one message
			// in flight, not the whole batch sent again after the lease.
			inDoubt := !m.SendStartedAt.IsZero()
			if err := s.o.Store.BeginOutboxSend(context.WithoutCancel(ctx), &m, s.o.Lease); err != nil {
				if errors.Is(err, store.ErrLeaseLost) {
					continue
				}
				s.log.Warn("outbox not writable; sending paused", zap.Error(err), zap.Int("messages", len(msgs)-i))
				s.sleep(ctx, wake, 2*time.Second)
				break
			}
			if inDoubt {
				// The process stopped during or just after an earlier
				// attempt. The same bytes, with the same Message-ID, go
				// again: receivers drop the copy if the first arrived.
				s.resent.Inc()
				s.log.Warn("sending again a message whose last attempt has no outcome", zap.Int64("outbox", m.ID),
					zap.String("message_id", m.MessageID))
			}
			if conn == nil {
				if conn, err = s.dial(ctx); err != nil {
					s.failures.WithLabelValues("connection").Inc()
					s.o.Ready(false, "relay: "+err.Error())
					s.log.Warn("relay unreachable; messages rescheduled", zap.String("relay", s.host), zap.Error(err),
						zap.Int("messages", len(msgs)-i))
					for _, rest := range msgs[i:] {
						s.reschedule(ctx, rest, err)
					}
					break
				}
				s.o.Ready(true, "relay "+s.host)
			}
			err := conn.send(m)
			switch {
			case err == nil:
				bctx := context.WithoutCancel(ctx)
				if err := s.o.Store.Batch(bctx, func(tx *store.Tx) error {
					return tx.MarkOutboxSent(bctx, m.ID)
				}); err != nil {
					// The relay has it; the lease will expire and the
					// message go again with the same Message-ID, which the
					// citizen's client shows once. Nothing more is sent
					// until the store answers.
					s.log.Error("sent but not marked; it may be sent again", zap.Int64("outbox", m.ID), zap.Error(err))
					s.sent.Inc()
					s.sleep(ctx, wake, 2*time.Second)
					break batch
				}
				s.sent.Inc()
			case isPermanent(err):
				s.failures.WithLabelValues("permanent").Inc()
				s.log.Warn("relay refused a message for good", zap.Int64("outbox", m.ID), zap.String("to", m.To), zap.Error(err))
				if err := s.o.Store.FailOutbox(context.WithoutCancel(ctx), m.ID, err.Error()); err != nil {
					s.log.Error("could not record a refused message", zap.Int64("outbox", m.ID), zap.Error(err))
				}
				conn.reset()
			default:
				s.failures.WithLabelValues("temporary").Inc()
				s.reschedule(ctx, m, err)
				var se *smtp.SMTPError
				if errors.As(err, &se) {
					conn.reset()
				} else {
					conn.close()
					conn = nil
				}
			}
		}
	}
}

func (s *Sender) sleep(ctx context.Context, wake <-chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-wake:
	case <-t.C:
	}
}

// Backoff is the wait before attempt n+1 after n failed attempts: 30 s,
// doubling, at most an hour.
func Backoff(attempts int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

func (s *Sender) reschedule(ctx context.Context, m store.OutboxMessage, cause error) {
	ctx = context.WithoutCancel(ctx)
	if m.Attempts >= s.o.MaxAttempts {
		if err := s.o.Store.FailOutbox(ctx, m.ID, fmt.Sprintf("tentativi esauriti (%d): %v", m.Attempts, cause)); err != nil {
			s.log.Error("could not give up a message", zap.Int64("outbox", m.ID), zap.Error(err))
		}
		return
	}
	next := s.o.Clock.Now().Add(s.o.Backoff(m.Attempts))
	if err := s.o.Store.RetryOutbox(ctx, m.ID, cause.Error(), next); err != nil {
		s.log.Error("could not reschedule a message; its lease will expire", zap.Int64("outbox", m.ID), zap.Error(err))
	}
}

// isPermanent reports a 5xx answer: the relay will never take this message.
func isPermanent(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se) && se.Code >= 500 && se.Code < 600
}

// relayConn is one open, authenticated connection to the relay.
type relayConn struct {
	c       *smtp.Client
	nc      net.Conn
	timeout time.Duration
}

func (s *Sender) dial(ctx context.Context) (*relayConn, error) {
	d := &net.Dialer{Timeout: s.o.Timeout}
	helo := s.o.HeloName
	if helo == "" {
		helo = "localhost"
	}
	tlsConf := s.o.TLSConfig
	if tlsConf == nil {
		host, _, _ := net.SplitHostPort(s.host)
		tlsConf = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	open := func(starttls bool) (*relayConn, error) {
		nc, err := d.DialContext(ctx, "tcp", s.host)
		if err != nil {
			return nil, err
		}
		nc.SetDeadline(time.Now().Add(s.o.Timeout))
		var c *smtp.Client
		switch {
		case s.implicit:
			tc := tls.Client(nc, tlsConf)
			c = smtp.NewClient(tc)
		case starttls:
			c, err = smtp.NewClientStartTLS(nc, tlsConf)
			if err != nil {
				nc.Close()
				return nil, fmt.Errorf("STARTTLS: %w", err)
			}
		default:
			c = smtp.NewClient(nc)
		}
		if err := c.Hello(helo); err != nil {
			c.Close()
			return nil, err
		}
		return &relayConn{c: c, nc: nc, timeout: s.o.Timeout}, nil
	}
	var rc *relayConn
	var err error
	switch {
	case s.implicit || s.starttls == "no":
		rc, err = open(false)
	case s.starttls == "required":
		rc, err = open(true)
	default:
		// Opportunistic: look at what the relay offers, then use TLS if it can.
		if rc, err = open(false); err == nil {
			if ok, _ := rc.c.Extension("STARTTLS"); ok {
				rc.close()
				rc, err = open(true)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if s.user != "" {
		if ok, _ := rc.c.Extension("AUTH"); !ok {
			rc.close()
			return nil, errors.New("the relay offers no AUTH but credentials are configured")
		}
		if err := rc.c.Auth(sasl.NewPlainClient("", s.user, s.pass)); err != nil {
			rc.close()
			return nil, fmt.Errorf("authentication: %w", err)
		}
	}
	return rc, nil
}

// send runs one SMTP transaction; the bytes go out exactly as stored.
func (rc *relayConn) send(m store.OutboxMessage) error {
	rc.nc.SetDeadline(time.Now().Add(rc.timeout))
	if err := rc.c.Mail(m.From, nil); err != nil {
		return err
	}
	for _, to := range strings.Split(m.To, ",") {
		if err := rc.c.Rcpt(strings.TrimSpace(to), nil); err != nil {
			return err
		}
	}
	w, err := rc.c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(m.Raw); err != nil {
		w.Close()
		return err
	}
	if !bytes.HasSuffix(m.Raw, []byte("\r\n")) {
		w.Write([]byte("\r\n"))
	}
	return w.Close()
}

func (rc *relayConn) reset() {
	rc.nc.SetDeadline(time.Now().Add(rc.timeout))
	rc.c.Reset()
}

func (rc *relayConn) close() {
	rc.nc.SetDeadline(time.Now().Add(5 * time.Second))
	rc.c.Quit()
	rc.c.Close()
}
