package intake

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/netip"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"github.com/ascolto/ascolto/web"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// postFrom sends the form through a proxy on 127.0.0.1 that says the
// request came from xff.
func (r *rig) postFrom(xff string, fields map[string]string, files ...file) (int, string) {
	r.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	for _, f := range files {
		fw, _ := w.CreateFormFile("allegati", f.name)
		fw.Write(f.data)
	}
	w.Close()
	req, err := http.NewRequest("POST", r.srv.URL+"/segnalazione", &body)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("X-Forwarded-For", xff)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// slowSender opens a connection and sends what a slow client sends
// before its body stalls: the request's headers, the multipart headers of
// a photo, and its first byte.
func (r *rig) slowSender(xff string) net.Conn {
	r.t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(r.srv.URL, "http://"))
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /segnalazione HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: %s\r\n"+
		"Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 5000000\r\n\r\n"+
		"--B\r\nContent-Disposition: form-data; name=\"allegati\"; filename=\"foto.jpg\"\r\n"+
		"Content-Type: image/jpeg\r\n\r\n\xff", xff)
	return c
}

// status reads the status code the server answers c with; 0 when it
// hangs up without one.
func status(t *testing.T, c net.Conn) int {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("no answer to a slow sender")
	}
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSlowSendersDoNotStopCitizens: ten connections that send their
// headers and then stall (the attack that made every real submission
// answer 503 for a minute), and a few more from other addresses, hold
// places to receive a body but never a place in the store: citizens'
// reports are stored meanwhile. One address holds at most its share.
func TestSlowSendersDoNotStopCitizens(t *testing.T) {
	receiving := make(chan struct{}, 100)
	r := newRig(t, storetest.SQLite(t), Options{TrustedProxies: loopback, MaxInFlight: 2, MaxUploads: 16,
		MaxUploadsPerAddress: 3, Upload: web.Pace{Within: time.Hour, Window: time.Hour, MinBytes: 1 << 20},
		receiving: func() { receiving <- struct{}{} }})
	codes := make(chan int, 20)
	for range 10 {
		c := r.slowSender("192.0.2.66")
		go func() { codes <- status(t, c) }()
	}
	for i := range 4 {
		c := r.slowSender(fmt.Sprintf("192.0.2.%d", i+1))
		go func() { codes <- status(t, c) }()
	}
	// Each is either being received or turned away at once.
	held, refused := 0, 0
	for held+refused < 14 {
		select {
		case <-receiving:
			held++
		case code := <-codes:
			if code != http.StatusServiceUnavailable {
				t.Fatalf("a slow sender was answered %d, want 503 or nothing yet", code)
			}
			refused++
		case <-time.After(20 * time.Second):
			t.Fatalf("after 20 s, of 14 slow senders %d are being received and %d were turned away", held, refused)
		}
	}
	for i := range 10 {
		var files []file
		if i%3 == 0 {
			files = []file{{"frana.jpg", jpeg}}
		}
		if code, page := r.postFrom(fmt.Sprintf("198.51.100.%d", i+1), valid(), files...); code != http.StatusOK {
			t.Fatalf("citizen %d while slow senders wait: %d\n%s", i, code, page)
		}
	}
	select {
	case code := <-codes:
		t.Fatalf("a slow sender was answered %d while its body was still welcome", code)
	default:
	}
	if n := countCases(t, r.db); n != 10 {
		t.Fatalf("%d cases stored, want 10", n)
	}
	// The attacker's address got its share, 3; the 4 others one each.
	if held != 7 || refused != 7 {
		t.Fatalf("%d slow senders held, %d turned away; want 7 and 7", held, refused)
	}
}

// TestTricklingSenderIsCutOff: a body that keeps its connection alive with
// a byte now and then, far below the pace, is cut off with 408 and its
// place is free again for a citizen.
func TestTricklingSenderIsCutOff(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), Options{MaxUploads: 1,
		Upload: web.Pace{Within: time.Hour, Window: 500 * time.Millisecond, MinBytes: 4 << 10}})
	c := r.slowSender("")
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(20 * time.Millisecond) // 50 bytes/s: alive, never 4 KiB in half a second
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.Write([]byte{0}); err != nil {
					return
				}
			}
		}
	}()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a trickling sender: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	close(stop)
	<-stopped
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(page), "troppo lentamente") {
		t.Fatalf("trickle: %d\n%s", resp.StatusCode, page)
	}
	// The server hangs up once the handler has returned its place.
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("the connection stayed open after the cut")
	}
	if code, page := r.post(valid()); code != http.StatusOK {
		t.Fatalf("citizen after the cut: %d\n%s", code, page)
	}
}

// TestRateLimitCountsCitizensBehindAProxy: behind a reverse proxy each
// citizen has a budget of their own (the rightmost address the proxy
// vouches for, IPv6 by /64); what a client writes to the left of it gets
// no new budget; only stored submissions use it up.
func TestRateLimitCountsCitizensBehindAProxy(t *testing.T) {
	r := newRig(t, storetest.SQLite(t), Options{TrustedProxies: loopback, PerAddress: Limit{Burst: 2, Every: time.Hour}})
	const a = "198.51.100.1"
	for range 3 {
		if code, _ := r.postFrom(a, with(valid(), "email", "")); code != http.StatusUnprocessableEntity {
			t.Fatalf("invalid: %d", code)
		}
	}
	for range 2 {
		if code, _ := r.postFrom(a, map[string]string{"provincia": "AQ", "azione": "comuni"}); code != http.StatusOK {
			t.Fatalf("list of comuni: %d", code)
		}
	}
	for i := range 2 {
		if code, page := r.postFrom(a, valid()); code != http.StatusOK {
			t.Fatalf("stored %d after errors and lists: %d\n%s", i, code, page)
		}
	}
	for _, xff := range []string{a, "203.0.113.50, " + a, "10.9.9.9, " + a} {
		if code, page := r.postFrom(xff, valid()); code != http.StatusTooManyRequests || !strings.Contains(page, "molte segnalazioni") {
			t.Fatalf("%q: %d, want 429", xff, code)
		}
	}
	if code, _ := r.postFrom("198.51.100.2", valid()); code != http.StatusOK {
		t.Fatalf("another citizen behind the same proxy: %d", code)
	}
	for _, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2::beef"} {
		if code, _ := r.postFrom(ip, valid()); code != http.StatusOK {
			t.Fatalf("%s: %d", ip, code)
		}
	}
	if code, _ := r.postFrom("2001:db8:1:2:aaaa::1", valid()); code != http.StatusTooManyRequests {
		t.Fatalf("a third address in the same /64: %d, want 429", code)
	}
	if code, _ := r.postFrom("2001:db8:1:3::1", valid()); code != http.StatusOK {
		t.Fatalf("the neighbouring /64: %d", code)
	}
}

// TestFieldsTheStoreCannotTakeAreCleaned: a NUL byte or invalid UTF-8 in
// a field made PostgreSQL refuse the submission on every retry (503), and
// a line break in the name started a line of its own in the
// acknowledgement. Both engines now store the same cleaned text.
func TestFieldsTheStoreCannotTakeAreCleaned(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, Options{})
		// The file's name in RFC 2231 form, which the multipart reader
		// percent-decodes: a NUL, a byte that is not UTF-8, a line break.
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		for k, v := range with(valid(),
			"nome", "Maria\r\nBcc: spam@example.com\x00",
			"descrizione", "Frana\x00 sulla strada\r\nper Paganica\tkm 4 \xff\xfe fine\x7f",
			"indirizzo", "SP 36\x1b[2J km 4\u2028",
			"comune_nome", "L'Aquila\x00") {
			w.WriteField(k, v)
		}
		fw, _ := w.CreatePart(textproto.MIMEHeader{"Content-Type": {"image/jpeg"},
			"Content-Disposition": {`form-data; name="allegati"; filename*=UTF-8''fo%00%FFto%0D%0A.jpg`}})
		fw.Write(jpeg)
		w.Close()
		resp, err := http.Post(r.srv.URL+"/segnalazione", w.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		code, page := resp.StatusCode, string(b)
		if code != http.StatusOK {
			t.Fatalf("status %d\n%s", code, page)
		}
		c, err := db.CaseByTrackingID(bg, trackingRE.FindStringSubmatch(page)[1])
		if err != nil {
			t.Fatal(err)
		}
		if c.ContactName != "Maria  Bcc: spam@example.com" || c.Address != "SP 36[2J km 4" || c.ComuneCode != "066049" {
			t.Fatalf("case %q %q %q", c.ContactName, c.Address, c.ComuneCode)
		}
		tl, err := db.FullTimeline(bg, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := "Frana sulla strada\nper Paganica\tkm 4 \uFFFD fine"; !strings.HasSuffix(tl.Entries[0].Content, "\n\n"+want) {
			t.Fatalf("description stored as %q", tl.Entries[0].Content)
		}
		if got := tl.Entries[0].Attachments[0].Filename; got != "fo\uFFFDto  .jpg" {
			t.Fatalf("file name %q", got)
		}
		outs, err := db.OutboxByCase(bg, c.ID)
		if err != nil || len(outs) != 1 {
			t.Fatalf("%d acknowledgements: %v", len(outs), err)
		}
		m, err := db.OutboxMessageByID(bg, outs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
		if err != nil {
			t.Fatal(err)
		}
		ack := io.Reader(msg.Body)
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			ack = quotedprintable.NewReader(ack)
		}
		text, _ := io.ReadAll(ack)
		for _, line := range strings.Split(string(text), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "Bcc:") {
				t.Fatalf("the name broke into the acknowledgement's body:\n%s", text)
			}
		}
		if to, _ := (&mime.WordDecoder{}).DecodeHeader(msg.Header.Get("To")); strings.ContainsAny(to, "\r\n") {
			t.Fatalf("To: %q", to)
		}
	})
}
