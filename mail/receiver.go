package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"go.uber.org/zap"
)

// ReceiverOptions wires the SMTP (or LMTP) receiver.
type ReceiverOptions struct {
	Service *Service
	Log     *zap.Logger
	// Addr is host:port to listen on (--smtp-addr).
	Addr string
	// Domains are the recipient domains accepted (default: the domain of
	// the contact center's address); anything else is refused with 550, so
	// the receiver is never an open relay.
	Domains []string
	// MaxBytes bounds a message (default 30 MB); a larger one is refused
	// with 552 and the sender's server bounces it to the citizen.
	MaxBytes int64
	// MaxConns bounds simultaneous connections (default 64), so a flood
	// queues in the kernel instead of starving the console.
	MaxConns int
	// MaxConnsPerIP bounds simultaneous connections from one address (an
	// IPv6 /64 counts as one address; default 8), so one sender cannot take
	// every slot: the connection over the cap is answered 421 and closed.
	MaxConnsPerIP int
	// CommandTimeout bounds the wait for each command (default 2 min, below
	// the 5 min of RFC 5321 4.5.3.2.7): an idle client is answered 421 and
	// closed.
	CommandTimeout time.Duration
	// DataTimeout bounds the whole DATA (or BDAT) phase of one message,
	// however steadily the bytes trickle in (default 10 min, RFC 5321
	// 4.5.3.2.6): a client sending one byte every few seconds cannot hold a
	// connection for ever.
	DataTimeout time.Duration
	// TLSConfig enables STARTTLS.
	TLSConfig *tls.Config
	// LMTP speaks LMTP instead of SMTP (for delivery from a local MTA).
	LMTP bool
	// Timeout bounds storing a message once it is received (default 2 min).
	Timeout time.Duration
}

// Receiver is the contact center's inbound mail server: every accepted
// message is durably stored as (part of) a case before the 250 goes back,
// and a message that could not be stored gets a 451, so the sending
// server keeps it and tries again.
type Receiver struct {
	o   ReceiverOptions
	srv *smtp.Server
	ln  net.Listener
}

// NewReceiver builds the receiver; Listen binds it.
func NewReceiver(o ReceiverOptions) (*Receiver, error) {
	if o.Service == nil || o.Addr == "" {
		return nil, errors.New("mail: the receiver needs the service and an address")
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if len(o.Domains) == 0 {
		o.Domains = []string{o.Service.domain}
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 30 << 20
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 64
	}
	if o.MaxConnsPerIP <= 0 {
		o.MaxConnsPerIP = 8
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = 2 * time.Minute
	}
	if o.DataTimeout <= 0 {
		o.DataTimeout = 10 * time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	r := &Receiver{o: o}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{r: r, remote: c.Conn().RemoteAddr().String(), conn: limitedConnOf(c.Conn())}, nil
	}))
	srv.Domain = o.Service.domain
	srv.MaxMessageBytes = o.MaxBytes
	srv.MaxRecipients = 50
	srv.ReadTimeout = o.CommandTimeout
	srv.WriteTimeout = o.CommandTimeout
	srv.TLSConfig = o.TLSConfig
	srv.LMTP = o.LMTP
	srv.ErrorLog = zap.NewStdLog(o.Log.Named("smtp"))
	r.srv = srv
	return r, nil
}

// Listen binds the address now, so a taken port is reported at start-up.
func (r *Receiver) Listen() (net.Addr, error) {
	ln, err := net.Listen("tcp", r.o.Addr)
	if err != nil {
		return nil, fmt.Errorf("mail: listen on %s: %w", r.o.Addr, err)
	}
	r.ln = newLimitListener(ln, r.o.MaxConns, r.o.MaxConnsPerIP, r.o.Log)
	return ln.Addr(), nil
}

// Serve accepts mail until ctx ends, then lets the transactions in flight
// finish (up to 30 s).
func (r *Receiver) Serve(ctx context.Context) error {
	if r.ln == nil {
		if _, err := r.Listen(); err != nil {
			return err
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- r.srv.Serve(r.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("mail: smtp receiver: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.srv.Shutdown(sctx); err != nil {
		r.srv.Close()
	}
	<-errc
	return nil
}

type session struct {
	r      *Receiver
	conn   *limitedConn // nil only if go-smtp handed over another net.Conn
	remote string
	from   string
	null   bool
	to     []string
}

func (s *session) Reset() { s.from, s.null, s.to = "", false, nil }

func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from, s.null = from, from == ""
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	_, domain, _ := strings.Cut(strings.ToLower(to), "@")
	for _, d := range s.r.o.Domains {
		if domain == strings.ToLower(d) {
			s.to = append(s.to, to)
			return nil
		}
	}
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
		Message: "Destinatario non gestito da questo server / relaying denied"}
}

// Data spools the message to disk as it arrives, then stores it: memory
// does not grow with its size. The 250 goes back only once it is
// committed.
func (s *session) Data(r io.Reader) error {
	sp := newSpool(s.r.o.Service.o.SpoolDir)
	defer sp.close()
	f, err := sp.create()
	if err != nil {
		s.r.o.Log.Error("inbound mail cannot be spooled; the sender will retry", zap.Error(err))
		return tempFailure
	}
	// The whole phase has one deadline. Past it, reads fail, and so does
	// the wait for the next command, which closes the connection with 421.
	s.conn.startPhase(time.Now().Add(s.r.o.DataTimeout))
	size, err := io.Copy(f, r)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			// The phase's deadline stays: the wait for the next command
			// fails at once, and go-smtp closes the connection.
			s.r.o.Log.Info("DATA phase too slow; connection closed", zap.String("remote", s.remote),
				zap.Duration("limit", s.r.o.DataTimeout))
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2},
				Message: "Messaggio ricevuto troppo lentamente / DATA phase too slow, closing connection"}
		}
		s.conn.endPhase()
		if errors.Is(err, smtp.ErrDataTooLarge) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne) {
			return err // too large (552) or the connection broke
		}
		s.r.o.Log.Error("inbound mail cannot be spooled; the sender will retry", zap.Error(err))
		return tempFailure
	}
	s.conn.endPhase()
	ctx, cancel := context.WithTimeout(context.Background(), s.r.o.Timeout)
	defer cancel()
	res, err := s.r.o.Service.ingest(ctx, f, size, Envelope{From: s.from, To: s.to, Remote: s.remote, NullSender: s.null}, sp)
	if err != nil {
		s.r.o.Log.Warn("inbound mail not stored; the sender will retry", zap.String("remote", s.remote), zap.Error(err))
		return tempFailure
	}
	s.r.o.Log.Debug("inbound mail", zap.String("remote", s.remote), zap.String("case", res.TrackingID),
		zap.Bool("new", res.NewCase), zap.Bool("duplicate", res.Duplicate), zap.String("ignored", res.Ignored))
	return nil
}

// tempFailure tells the sending server to keep the message and try again.
var tempFailure = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
	Message: "Errore temporaneo, riprovare piu' tardi / temporary failure, try again later"}
