package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"go.uber.org/zap"
)

// PollerOptions wires the IMAP poller.
type PollerOptions struct {
	Service *Service
	Log     *zap.Logger
	// URL is imaps://user:pass@host:993/INBOX, or imap://… for STARTTLS
	// (?starttls=no for a server on this machine without TLS).
	URL string
	// TLSConfig overrides the TLS settings (tests trust their own CA).
	TLSConfig *tls.Config
	// Every is the polling interval when the server has no IDLE (default
	// 60 s); with IDLE it is how often IDLE is renewed.
	Every time.Duration
	// MaxBackoff caps the wait between reconnections (default 5 min).
	MaxBackoff time.Duration
	// Ready is told whether the mailbox answers.
	Ready func(ok bool, detail string)
}

// Poller reads an existing mailbox: each unseen message is stored as
// (part of) a case, then flagged \Seen; the Message-ID makes a message
// flagged too late (a crash in between) a harmless duplicate. It waits
// with IDLE where the server offers it.
type Poller struct {
	o        PollerOptions
	log      *zap.Logger
	addr     string
	implicit bool
	starttls bool
	user     string
	pass     string
	mailbox  string
}

// NewPoller checks the URL and builds the poller.
func NewPoller(o PollerOptions) (*Poller, error) {
	if o.Service == nil {
		return nil, errors.New("mail: the poller needs the service")
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Every <= 0 {
		o.Every = time.Minute
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.Ready == nil {
		o.Ready = func(bool, string) {}
	}
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "imap" && u.Scheme != "imaps") || u.Host == "" || u.User == nil {
		return nil, fmt.Errorf("mail: IMAP URL %q is not imaps://user:pass@host:port/MAILBOX", redactURL(o.URL))
	}
	p := &Poller{o: o, log: o.Log, addr: u.Host, implicit: u.Scheme == "imaps", starttls: u.Scheme == "imap",
		user: u.User.Username(), mailbox: strings.TrimPrefix(u.Path, "/")}
	p.pass, _ = u.User.Password()
	if p.mailbox == "" {
		p.mailbox = "INBOX"
	}
	if u.Port() == "" {
		port := "143"
		if p.implicit {
			port = "993"
		}
		p.addr = net.JoinHostPort(u.Hostname(), port)
	}
	if v := u.Query().Get("starttls"); v == "no" || v == "off" {
		if !isLoopback(u.Hostname()) {
			return nil, errors.New("mail: refusing to send the mailbox password without TLS to a remote host")
		}
		p.starttls = false
	}
	return p, nil
}

// Run polls until ctx ends, reconnecting with backoff when the server goes away.
func (p *Poller) Run(ctx context.Context) error {
	backoff := time.Second
	for ctx.Err() == nil {
		err := p.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		p.o.Ready(false, "imap: "+errString(err))
		p.log.Warn("mailbox unreachable; retrying", zap.String("server", p.addr), zap.Error(err), zap.Duration("retry_in", backoff))
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, p.o.MaxBackoff)
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return "disconnected"
	}
	return err.Error()
}

// session is one connection: log in, drain unseen mail, wait for more.
func (p *Poller) session(ctx context.Context) error {
	news := make(chan struct{}, 1)
	opts := &imapclient.Options{TLSConfig: p.o.TLSConfig, WordDecoder: wordDecoder,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case news <- struct{}{}:
				default:
				}
			}
		}}}
	var c *imapclient.Client
	var err error
	switch {
	case p.implicit:
		c, err = imapclient.DialTLS(p.addr, opts)
	case p.starttls:
		c, err = imapclient.DialStartTLS(p.addr, opts)
	default:
		c, err = imapclient.DialInsecure(p.addr, opts)
	}
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(p.user, p.pass).Wait(); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	if _, err := c.Select(p.mailbox, nil).Wait(); err != nil {
		return fmt.Errorf("select %s: %w", p.mailbox, err)
	}
	p.o.Ready(true, "imap "+p.addr+"/"+p.mailbox)
	idle := c.Caps().Has(imap.CapIdle)
	for ctx.Err() == nil {
		if err := p.drain(ctx, c); err != nil {
			return err
		}
		if !idle {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(p.o.Every):
			}
			if err := c.Noop().Wait(); err != nil {
				return fmt.Errorf("noop: %w", err)
			}
			continue
		}
		cmd, err := c.Idle()
		if err != nil {
			return fmt.Errorf("idle: %w", err)
		}
		select {
		case <-ctx.Done():
		case <-news:
		case <-time.After(p.o.Every):
		case <-c.Closed():
		}
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("end idle: %w", err)
		}
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("idle: %w", err)
		}
	}
	return nil
}

// drain stores every unseen message and flags it \Seen once stored.
func (p *Poller) drain(ctx context.Context, c *imapclient.Client) error {
	data, err := c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	section := &imap.FetchItemBodySection{Peek: true}
	for _, uid := range data.AllUIDs() {
		if ctx.Err() != nil {
			return nil
		}
		set := imap.UIDSetNum(uid)
		msgs, err := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
		if err != nil {
			return fmt.Errorf("fetch %d: %w", uid, err)
		}
		if len(msgs) == 0 {
			continue // expunged meanwhile
		}
		raw := msgs[0].FindBodySection(section)
		res, err := p.o.Service.Ingest(ctx, raw, Envelope{Remote: "imap:" + p.addr})
		if err != nil {
			// Left unseen: the next pass tries again.
			p.log.Warn("message not stored; will retry", zap.Uint32("uid", uint32(uid)), zap.Error(err))
			continue
		}
		p.log.Debug("mailbox message stored", zap.Uint32("uid", uint32(uid)), zap.String("case", res.TrackingID),
			zap.Bool("duplicate", res.Duplicate))
		if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			return fmt.Errorf("flag %d seen: %w", uid, err)
		}
	}
	return nil
}
