package mail

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store/storetest"
	"github.com/emersion/go-smtp"
)

// dialFrom opens a TCP connection to addr from a given loopback address
// (Linux routes all of 127/8 to lo, so 127.0.0.2 is another client).
func dialFrom(t testing.TB, local, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 10 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", local, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawSMTP is a hand-driven SMTP client, for clients that misbehave. Every
// read has a deadline that only a failing test reaches.
type rawSMTP struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

func newRawSMTP(t testing.TB, c net.Conn) *rawSMTP {
	return &rawSMTP{t: t, c: c, r: bufio.NewReader(c)}
}

// reply reads one (possibly multi-line) reply and returns its last line,
// or "" with the error when the connection ends first.
func (s *rawSMTP) reply() (string, error) {
	s.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if len(line) < 4 || line[3] != '-' {
			return strings.TrimRight(line, "\r\n"), nil
		}
	}
}

// cmd sends a command and wants a reply starting with code.
func (s *rawSMTP) cmd(line, code string) {
	s.t.Helper()
	if _, err := s.c.Write([]byte(line + "\r\n")); err != nil {
		s.t.Fatalf("%s: %v", line, err)
	}
	if got, err := s.reply(); err != nil || !strings.HasPrefix(got, code) {
		s.t.Fatalf("%s: reply %q, %v; want %s", line, got, err, code)
	}
}

// Slow clients from one address take at most their share of the
// connections: the rest of the world still delivers.
func TestSlowSendersFromOneAddressLeaveRoomForOthers(t *testing.T) {
	db := storetest.SQLite(t)
	in := startReceiver(t, db, ReceiverOptions{MaxConns: 6, MaxConnsPerIP: 2, CommandTimeout: time.Minute,
		DataTimeout: time.Minute})
	parked, refused := 0, 0
	for range 6 {
		s := newRawSMTP(t, dialFrom(t, "127.0.0.2", in.addr))
		greeting, err := s.reply()
		if err != nil {
			t.Fatalf("greeting: %v", err)
		}
		if strings.HasPrefix(greeting, "421") {
			refused++
			continue
		}
		// Park in DATA, the way an attacker holds a slot: a header line,
		// then nothing (the next byte would come seconds later).
		s.cmd("EHLO slow.example", "250")
		s.cmd("MAIL FROM:<slow@example.com>", "250")
		s.cmd("RCPT TO:<contactcenter@example.org>", "250")
		s.cmd("DATA", "354")
		s.c.Write([]byte("Subject: s"))
		parked++
	}
	// A citizen's server elsewhere delivers at once.
	nc := dialFrom(t, "127.0.0.1", in.addr)
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := smtp.NewClient(nc)
	c.CommandTimeout, c.SubmissionTimeout = 10*time.Second, 10*time.Second
	msg := "From: maria@example.it\r\nSubject: Frana\r\nMessage-ID: <legit@example.it>\r\n\r\nLa strada e' chiusa.\r\n"
	if err := c.SendMail("maria@example.it", []string{"contactcenter@example.org"}, strings.NewReader(msg)); err != nil {
		t.Fatalf("a legitimate sender could not deliver while %d slow clients parked: %v", parked, err)
	}
	in.caseOf("legit@example.it")
	if parked != 2 || refused != 4 {
		t.Fatalf("%d parked and %d refused, want 2 and 4", parked, refused)
	}
}

// A client that keeps sending, but too slowly, is cut off when the DATA
// phase runs out, with DATA as with BDAT chunks (whose command lines would
// otherwise give it a fresh deadline each time); an idle one when the
// command timeout runs out.
func TestReceiverDeadlines(t *testing.T) {
	db := storetest.SQLite(t)
	// The command timeout is long where the client is busy, so that only
	// the DATA phase's own deadline can end it.
	busy := startReceiver(t, db, ReceiverOptions{CommandTimeout: time.Minute, DataTimeout: 300 * time.Millisecond})
	idle := startReceiver(t, db, ReceiverOptions{CommandTimeout: 300 * time.Millisecond, DataTimeout: time.Minute})
	for _, tc := range []struct {
		name  string
		in    *inbound
		start []string // commands and the reply code each wants
		drip  string   // written again and again until the server gives up
	}{
		{name: "idle", in: idle},
		{name: "data", in: busy, start: []string{"DATA", "354"}, drip: "x"},
		{name: "bdat", in: busy, drip: "BDAT 1\r\nx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newRawSMTP(t, dialFrom(t, "127.0.0.1", tc.in.addr))
			if g, err := s.reply(); err != nil || !strings.HasPrefix(g, "220") {
				t.Fatalf("greeting %q %v", g, err)
			}
			if tc.name != "idle" {
				s.cmd("EHLO slow.example", "250")
				s.cmd("MAIL FROM:<slow@example.com>", "250")
				s.cmd("RCPT TO:<contactcenter@example.org>", "250")
			}
			for i := 0; i < len(tc.start); i += 2 {
				s.cmd(tc.start[i], tc.start[i+1])
			}
			// Read until the server ends the connection; meanwhile drip
			// bytes well within the command timeout.
			ended := make(chan string, 1)
			go func() {
				var last string
				for {
					line, err := s.reply()
					if err != nil {
						ended <- last
						return
					}
					last = line
				}
			}()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			fail := time.After(15 * time.Second)
			for {
				select {
				case last := <-ended:
					if !strings.HasPrefix(last, "421") {
						t.Fatalf("connection ended after %q, want a 421", last)
					}
					return
				case <-tick.C:
					if tc.drip != "" {
						s.c.Write([]byte(tc.drip))
					}
				case <-fail:
					t.Fatal("the server never ended the slow connection")
				}
			}
		})
	}
}

func TestIPKeyCountsAnIPv6NetworkAsOneAddress(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:25":                 "192.0.2.7",
		"[::ffff:192.0.2.7]:25":        "192.0.2.7",
		"[2001:db8:1:2:aaaa::1]:25":    "2001:db8:1:2::/64",
		"[2001:db8:1:2:bbbb::9]:40000": "2001:db8:1:2::/64",
		"[2001:db8:1:3::1]:25":         "2001:db8:1:3::/64",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := ipKey(a); got != want {
			t.Errorf("ipKey(%s) = %q, want %q", addr, got, want)
		}
	}
}
