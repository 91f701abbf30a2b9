package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store/storetest"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return int64(l.Len()) }

// imapRig is an in-process IMAP server (go-imap's memory backend) on a
// loopback socket, with STARTTLS and IDLE, that the test can stop and
// start again on the same port.
type imapRig struct {
	t    *testing.T
	mem  *imapmemserver.Server
	user *imapmemserver.User
	srv  *imapserver.Server
	ln   net.Listener
	addr string
	tls  *tls.Config
}

func newIMAPRig(t *testing.T) (*imapRig, *PollerOptions) {
	srvTLS, cliTLS := testTLS(t)
	r := &imapRig{t: t, mem: imapmemserver.New(), user: imapmemserver.NewUser("ascolto", "pw"), tls: srvTLS}
	if err := r.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	r.mem.AddUser(r.user)
	r.start("127.0.0.1:0")
	t.Cleanup(func() { r.srv.Close() })
	return r, &PollerOptions{URL: "imap://ascolto:pw@" + r.addr + "/INBOX", TLSConfig: cliTLS}
}

func (r *imapRig) start(addr string) {
	r.t.Helper()
	var err error
	for range 50 {
		if r.ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = r.ln.Addr().String()
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return r.mem.NewSession(), nil, nil
		},
		Caps:      imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}},
		Logger:    discardLog{},
		TLSConfig: r.tls,
	}
	r.srv = imapserver.New(opts)
	go r.srv.Serve(r.ln)
}

func (r *imapRig) append(raw []byte) {
	r.t.Helper()
	if _, err := r.user.Append("INBOX", literal{bytes.NewReader(raw)}, &imap.AppendOptions{}); err != nil {
		r.t.Fatal(err)
	}
}

func (r *imapRig) unseen() uint32 {
	st, err := r.user.Status("INBOX", &imap.StatusOptions{NumUnseen: true})
	if err != nil {
		r.t.Fatal(err)
	}
	return *st.NumUnseen
}

func TestIMAPPollerWithIdleAndServerRestart(t *testing.T) {
	db := storetest.SQLite(t)
	svc := newService(t, db, nil)
	rig, opts := newIMAPRig(t)
	first, _ := os.ReadFile("testdata/corpus/plain-utf8-qp.eml")
	rig.append(first)
	rig.append([]byte("From: b@example.com\r\nSubject: seconda\r\nMessage-ID: <imap-2@x>\r\n\r\nciao\r\n"))

	opts.Service, opts.Every, opts.MaxBackoff = svc, 20*time.Second, 200*time.Millisecond
	opts.Log = zaptest.NewLogger(t, zaptest.Level(zap.ErrorLevel))
	p, err := NewPoller(*opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor(t, "both messages stored and seen", func() bool {
		_, e1 := db.MailSeen(bg, "in", "20261126091158.1234@example.it")
		_, e2 := db.MailSeen(bg, "in", "imap-2@x")
		return e1 == nil && e2 == nil && rig.unseen() == 0
	})
	// A message arriving while the poller idles is fetched at once: the
	// poll interval is 20 s, so only IDLE can explain a quick arrival.
	start := time.Now()
	rig.append([]byte("From: c@example.com\r\nSubject: terza\r\nMessage-ID: <imap-3@x>\r\n\r\nciao\r\n"))
	waitFor(t, "third message via IDLE", func() bool { _, err := db.MailSeen(bg, "in", "imap-3@x"); return err == nil })
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("IDLE took %v", d)
	}
	// The server goes away and comes back on the same port.
	rig.srv.Close()
	rig.ln.Close()
	time.Sleep(100 * time.Millisecond)
	rig.append([]byte("From: d@example.com\r\nSubject: quarta\r\nMessage-ID: <imap-4@x>\r\n\r\nciao\r\n"))
	rig.start(rig.addr)
	waitFor(t, "fourth message after the restart", func() bool { _, err := db.MailSeen(bg, "in", "imap-4@x"); return err == nil })
	if n := countCases(t, db); n != 4 {
		t.Fatalf("%d cases, want 4", n)
	}
	// Marking seen by hand again (a crash between storing and flagging)
	// never duplicates a case.
	if _, err := svc.Ingest(bg, first, Envelope{}); err != nil {
		t.Fatal(err)
	}
	if n := countCases(t, db); n != 4 {
		t.Fatalf("%d cases after a re-delivery, want 4", n)
	}
}

func TestPollerRefusesBadURLs(t *testing.T) {
	svc := newService(t, storetest.SQLite(t), nil)
	for u, ok := range map[string]bool{
		"imaps://u:p@imap.example.org/INBOX":          true,
		"imap://u:p@imap.example.org":                 true,
		"imap://u:p@imap.example.org:143?starttls=no": false,
		"imap://u:p@127.0.0.1:1143/INBOX?starttls=no": true,
		"imap://imap.example.org/INBOX":               false,
		"pop3://u:p@pop.example.org":                  false,
	} {
		_, err := NewPoller(PollerOptions{Service: svc, URL: u})
		if (err == nil) != ok {
			t.Errorf("%s: %v", u, err)
		}
	}
}
