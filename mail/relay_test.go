package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testTLS makes a certificate for 127.0.0.1 and a client config that
// trusts it, so STARTTLS runs for real in the tests.
func testTLS(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// delivered is one message as the test relay received it.
type delivered struct {
	From string
	To   []string
	Data []byte
	TLS  bool
	User string
}

// testRelay is a real SMTP server on loopback standing in for the
// contact center's relay: STARTTLS, AUTH PLAIN, and switchable failures.
type testRelay struct {
	t    testing.TB
	addr string
	srv  *smtp.Server
	ln   net.Listener
	mu   sync.Mutex
	got  []delivered
	fail *smtp.SMTPError // answer every DATA with this, when set
	// onData, when set, runs as each message is accepted, before the
	// relay answers 250.
	onData func(delivered)
	arr    chan delivered
	user   string
	pass   string
}

func newTestRelay(t testing.TB, user, pass string) (*testRelay, *tls.Config) {
	t.Helper()
	srvTLS, cliTLS := testTLS(t)
	r := &testRelay{t: t, user: user, pass: pass, arr: make(chan delivered, 10000)}
	r.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &relaySession{r: r, c: c}, nil
	}))
	r.srv.Domain = "relay.test"
	r.srv.TLSConfig = srvTLS
	r.srv.MaxMessageBytes = 10 << 20
	r.srv.ErrorLog = discardLog{}
	r.start("127.0.0.1:0")
	t.Cleanup(r.stop)
	return r, cliTLS
}

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

func (r *testRelay) start(addr string) {
	r.t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port may linger a moment after a stop
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.ln, r.addr = ln, ln.Addr().String()
	srv := r.srv
	go srv.Serve(ln)
}

// stop takes the relay down (an outage); start(addr) brings it back.
func (r *testRelay) stop() {
	r.srv.Close()
	r.ln.Close() // Close misses a listener whose Serve has not started yet
	srv := smtp.NewServer(r.srv.Backend)
	srv.Domain, srv.TLSConfig, srv.MaxMessageBytes, srv.ErrorLog = r.srv.Domain, r.srv.TLSConfig, r.srv.MaxMessageBytes, r.srv.ErrorLog
	r.srv = srv
}

func (r *testRelay) setFail(e *smtp.SMTPError) {
	r.mu.Lock()
	r.fail = e
	r.mu.Unlock()
}

func (r *testRelay) messages() []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivered(nil), r.got...)
}

type relaySession struct {
	r    *testRelay
	c    *smtp.Conn
	from string
	to   []string
	user string
}

func (s *relaySession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *relaySession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.r.user || pass != s.r.pass {
			return errors.New("bad credentials")
		}
		s.user = user
		return nil
	}), nil
}

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error {
	if s.r.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == "rifiutato@example.it" {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *relaySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	fail := s.r.fail
	s.r.mu.Unlock()
	if fail != nil {
		return fail
	}
	_, isTLS := s.c.TLSConnectionState()
	d := delivered{From: s.from, To: s.to, Data: b, TLS: isTLS, User: s.user}
	s.r.mu.Lock()
	s.r.got = append(s.r.got, d)
	hook := s.r.onData
	s.r.mu.Unlock()
	if hook != nil {
		hook(d)
	}
	s.r.arr <- d
	return nil
}

func (s *relaySession) Reset()        { s.from, s.to = "", nil }
func (s *relaySession) Logout() error { return nil }
