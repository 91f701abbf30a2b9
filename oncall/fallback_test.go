package oncall

import (
	"context"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/ari/arisim"
	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
	"github.com/emersion/go-smtp"
)

// relay is a real SMTP server on loopback standing in for the mail relay.
type relay struct {
	got chan []byte
}

type relaySession struct{ r *relay }

func (s relaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s relaySession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s relaySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err == nil {
		s.r.got <- b
	}
	return err
}
func (s relaySession) Reset()        {}
func (s relaySession) Logout() error { return nil }

func startRelay(t *testing.T) (*relay, string) {
	t.Helper()
	r := &relay{got: make(chan []byte, 16)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return relaySession{r}, nil }))
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r, ln.Addr().String()
}

// TestEmailFallbackThroughSMTP: a person who does not answer the phone
// gets the email (queued in the outbox, delivered by the real sender
// through a real SMTP exchange) and confirms with its link.
func TestEmailFallbackThroughSMTP(t *testing.T) {
	r := newRig(t, nil)
	r.sim.Remote("+393400000001", arisim.NoAnswer())
	rel, addr := startRelay(t)
	msvc, err := mail.NewService(mail.ServiceOptions{Store: r.db, Clock: r.clk, From: "Contact Center <cc@protezionecivile.test>"})
	if err != nil {
		t.Fatal(err)
	}
	sender, err := mail.NewSender(mail.SenderOptions{Store: r.db, Clock: r.clk, Relay: "smtp://" + addr + "?starttls=no"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	go sender.Run(ctx)
	s := r.service(Options{Mail: msvc})
	web := http.NewServeMux()
	s.Mount(web)
	srv := httptest.NewServer(web)
	defer srv.Close()
	s.o.PublicURL = srv.URL
	r.importRoster(`quorum: 1
waves: [{name: primary, wait: 5m}]
people:
  - {id: anna, name: Anna Rossi, phone: "+393400000001", email: anna@example.it, role: operator, wave: primary}
`)
	r.run()
	a, err := s.Open(bg, OpenRequest{Event: "Frana a Sarno", RequestedBy: "DPC", Reason: "riapertura", By: "t", Exercise: true})
	if err != nil {
		t.Fatal(err)
	}
	sender.Wake()
	var raw []byte
	select {
	case raw = <-rel.got:
	case <-time.After(20 * time.Second):
		t.Fatal("no email reached the relay")
	}
	_, body, _ := strings.Cut(string(raw), "\r\n\r\n")
	text, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "Subject: =?utf-8?q?ESERCITAZIONE") && !strings.Contains(string(raw), "Subject: ESERCITAZIONE") {
		t.Errorf("the drill's email subject does not say ESERCITAZIONE:\n%s", raw)
	}
	link := regexp.MustCompile(regexp.QuoteMeta(srv.URL) + `/attivazione/[A-Za-z0-9_-]+`).FindString(string(text))
	if link == "" || !strings.Contains(string(text), "Frana a Sarno") {
		t.Fatalf("no confirmation link in:\n%s", text)
	}
	// The page shows the choice; a GET confirms nothing.
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "ESERCITAZIONE") || r.people(a.ID)["anna"].Status != store.PersonWaiting {
		t.Fatalf("page %d %s", resp.StatusCode, page)
	}
	resp, err = http.PostForm(link, url.Values{"coming": {"1"}, "eta": {"12"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	p := r.people(a.ID)["anna"]
	if resp.StatusCode != 200 || p.Status != store.PersonConfirmed || p.ConfirmedVia != "link" || p.ETAMinutes != 12 {
		t.Fatalf("after the link: %d %+v", resp.StatusCode, p)
	}
	r.eventually("quorum", func() bool { return r.activation(a.ID).State == store.ActivationQuorum })
	if resp, _ := http.Get(srv.URL + "/attivazione/nope"); resp.StatusCode != 404 {
		t.Fatalf("unknown token: %d", resp.StatusCode)
	}
}

// TestHTTPSMS: the gateway is called with the number and the text
// escaped into the template, by GET or POST, and a non-2xx is an error.
func TestHTTPSMS(t *testing.T) {
	var mu sync.Mutex
	var got []string
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		got = append(got, r.Method+" "+r.Form.Get("to")+" "+r.Form.Get("text"))
		mu.Unlock()
		if r.Form.Get("to") == "+390000000000" {
			http.Error(w, "no credit", http.StatusPaymentRequired)
		}
	}))
	defer gw.Close()
	for _, tpl := range []string{gw.URL + "/send?key=K&to={to}&text={text}", "POST " + gw.URL + "/send?to={to}&text={text}"} {
		sms, err := NewHTTPSMS(tpl)
		if err != nil {
			t.Fatal(err)
		}
		if err := sms.Send(bg, "+393401234567", "ESERCITAZIONE & prova: 100%"); err != nil {
			t.Fatal(err)
		}
		if err := sms.Send(bg, "+390000000000", "x"); err == nil || !strings.Contains(err.Error(), "402") {
			t.Fatalf("refusal: %v", err)
		}
	}
	if got[0] != "GET +393401234567 ESERCITAZIONE & prova: 100%" || got[2] != "POST +393401234567 ESERCITAZIONE & prova: 100%" {
		t.Fatalf("gateway saw %q", got)
	}
	for _, bad := range []string{"", "https://x/send?to={to}", "ftp://x/{to}/{text}"} {
		if _, err := NewHTTPSMS(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestRestartMidActivation: the controller and the runner stop while a
// call is up; the next runner resumes: the person who had confirmed is not
// called again and stays confirmed, the interrupted call counts as such
// and is retried.
func TestRestartMidActivation(t *testing.T) {
	r := newRig(t, nil)
	r.sim.Remote("+393400000001", comes("7"))
	r.sim.Remote("+393400000002", arisim.Answer(time.Second, arisim.Wait(10*time.Minute)))
	s := r.service(Options{})
	r.importRoster(`quorum: 2
retry_after: 30s
ring: 10s
waves: [{name: primary, wait: 5m}]
people:
  - {id: anna, name: Anna, phone: "+393400000001", role: operator, wave: primary}
  - {id: bruno, name: Bruno, phone: "+393400000002", role: operator, wave: primary}
`)
	r.run()
	a, err := s.Open(bg, OpenRequest{Event: "Sisma", RequestedBy: "DPC", Reason: "prova", By: "t"})
	if err != nil {
		t.Fatal(err)
	}
	r.eventually("anna's minutes", func() bool { return r.people(a.ID)["anna"].ETAMinutes == 7 })
	r.eventually("anna's call over", func() bool {
		at := r.attempts(a.ID)["anna"]
		return len(at) == 1 && !at[0].EndedAt.IsZero()
	})
	if at := r.attempts(a.ID)["bruno"]; len(at) != 1 || !at[0].EndedAt.IsZero() {
		t.Fatalf("bruno's call should be up: %+v", at)
	}
	// A crash or a deploy: the runner and the controller stop.
	r.stopRunner()
	r.stopController()
	r.startController()
	r.service(Options{})
	r.run()
	r.eventually("bruno called again", func() bool { return len(r.attempts(a.ID)["bruno"]) >= 2 })
	atts := r.attempts(a.ID)
	if atts["bruno"][0].Result != string(OutcomeInterrupted) {
		t.Errorf("bruno's first call: %+v", atts["bruno"][0])
	}
	if len(atts["anna"]) != 1 {
		t.Errorf("anna was called again: %+v", atts["anna"])
	}
	if p := r.people(a.ID)["anna"]; p.Status != store.PersonConfirmed || p.ETAMinutes != 7 {
		t.Errorf("anna's confirmation lost: %+v", p)
	}
	tl, _ := r.db.ActivationTimeline(bg, a.ID)
	if actions(tl)["activation.resume"] < 1 {
		t.Error("the resume is not in the timeline")
	}
}
