// Command intake measures the intake figures of issue 6 on PostgreSQL (or
// SQLite), on this machine, through the real parts over loopback sockets:
//
//   - web form submissions without attachments, each durably stored with
//     its acknowledgement queued, answered with the tracking id (≥ 1,000/s);
//   - inbound email through the SMTP receiver, each a new case with its
//     acknowledgement queued, 250 only once committed (≥ 300 messages/s);
//   - outbox delivery to a local SMTP server (≥ 300 messages/s);
//   - fax TIFF → PDF → case, OCR excluded (< 200 ms a page).
//
// Each run uses a fresh PostgreSQL schema (dropped at the end) and checks
// that every row it claims is really in the database.
//
//	go run ./bench/intake -db postgres://postgres@127.0.0.1:5432/ascolto_test
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ascolto/ascolto/fax"
	"github.com/ascolto/ascolto/intake"
	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
	"github.com/emersion/go-smtp"
	_ "github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap"
)

func main() {
	dbURL := flag.String("db", envOr("ASCOLTO_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ascolto_test"),
		"PostgreSQL URL (a fresh schema is made in it); empty = SQLite in a temp dir")
	forms := flag.Int("forms", 5000, "form submissions")
	formClients := flag.Int("form-clients", 32, "concurrent form clients")
	mails := flag.Int("mails", 2000, "inbound emails")
	mailClients := flag.Int("mail-clients", 16, "concurrent SMTP client connections")
	outbox := flag.Int("outbox", 3000, "outgoing emails")
	faxes := flag.Int("faxes", 20, "faxes of 3 pages each")
	flag.Parse()
	if err := run(*dbURL, *forms, *formClients, *mails, *mailClients, *outbox, *faxes); err != nil {
		fmt.Fprintln(os.Stderr, "bench/intake:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func run(dbURL string, forms, formClients, mails, mailClients, outboxN, faxN int) error {
	ctx := context.Background()
	fmt.Printf("bench/intake on %s, %d CPUs, %s\n", engineName(dbURL), runtime.NumCPU(), time.Now().Format("2006-01-02"))
	for _, step := range []struct {
		name string
		fn   func(db *store.DB) (string, error)
	}{
		{"form", func(db *store.DB) (string, error) { return benchForm(ctx, db, forms, formClients) }},
		{"smtp-in", func(db *store.DB) (string, error) { return benchSMTPIn(ctx, db, mails, mailClients) }},
		{"outbox", func(db *store.DB) (string, error) { return benchOutbox(ctx, db, outboxN) }},
		{"fax", func(db *store.DB) (string, error) { return benchFax(ctx, db, faxN) }},
	} {
		db, cleanup, err := openFresh(ctx, dbURL)
		if err != nil {
			return err
		}
		line, err := step.fn(db)
		db.Close()
		cleanup()
		if err != nil {
			return fmt.Errorf("%s: %w", step.name, err)
		}
		fmt.Println(line)
	}
	return nil
}

func engineName(u string) string {
	if u == "" {
		return "SQLite"
	}
	return "PostgreSQL"
}

// openFresh opens a migrated database in a new schema (PostgreSQL) or a
// new file (SQLite); cleanup drops it.
func openFresh(ctx context.Context, dbURL string) (*store.DB, func(), error) {
	if dbURL == "" {
		dir, err := os.MkdirTemp("", "bench-intake")
		if err != nil {
			return nil, nil, err
		}
		db, err := store.Open(store.Options{SQLitePath: filepath.Join(dir, "ascolto.db")})
		if err != nil {
			return nil, nil, err
		}
		if _, err := db.Migrate(ctx); err != nil {
			return nil, nil, err
		}
		return db, func() { os.RemoveAll(dir) }, nil
	}
	admin, err := sql.Open("pgx", dbURL)
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, 5)
	rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("create schema: %w", err)
	}
	u, _ := url.Parse(dbURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := store.Open(store.Options{URL: u.String(), MaxConns: 40})
	if err == nil {
		_, err = db.Migrate(ctx)
	}
	cleanup := func() {
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return db, cleanup, nil
}

var trackingRE = regexp.MustCompile(`id="tracking-id">(CC-\d{4}-\d{6})<`)

func benchForm(ctx context.Context, db *store.DB, n, clients int) (string, error) {
	svc, err := mail.NewService(mail.ServiceOptions{Store: db, From: "Contact Center <contactcenter@example.org>"})
	if err != nil {
		return "", err
	}
	form, err := intake.New(intake.Options{Store: db, Mail: svc, Log: zap.NewNop(), MaxInFlight: clients,
		MaxUploads: clients, MaxUploadsPerAddress: clients, // every client is 127.0.0.1
		PerAddress: intake.Limit{Burst: n * 2, Every: time.Millisecond}})
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	form.Mount(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	defer srv.Close()
	target := "http://" + ln.Addr().String() + "/segnalazione"
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range map[string]string{"categoria": "idrogeologico", "descrizione": "Una frana ha chiuso la strada provinciale al km 4.",
		"comune_nome": "L'Aquila", "email": "cittadino@example.it", "telefono": "+39 0862 123456", "consenso": "si"} {
		w.WriteField(k, v)
	}
	w.Close()
	payload, ctype := body.Bytes(), w.FormDataContentType()
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	client := &http.Client{Transport: tr}
	// Warm up (connections, category cache).
	if _, err := postForm(client, target, ctype, payload); err != nil {
		return "", err
	}
	var next, ok, busy atomic.Int64
	var firstErr error
	var mu sync.Mutex
	ids := make(map[string]bool, n)
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				page, err := postForm(client, target, ctype, payload)
				if errors.Is(err, errBusy) {
					busy.Add(1)
					next.Add(-1)
					continue
				}
				m := trackingRE.FindStringSubmatch(page)
				if err != nil || m == nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("submission: %v %.200s", err, page)
					}
					mu.Unlock()
					return
				}
				mu.Lock()
				ids[m[1]] = true
				mu.Unlock()
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return "", firstErr
	}
	counts, err := db.OutboxCounts(ctx)
	if err != nil {
		return "", err
	}
	if len(ids) != n || counts[store.OutboxQueued] != n+1 {
		return "", fmt.Errorf("%d distinct tracking ids and %d acknowledgements for %d submissions", len(ids), counts[store.OutboxQueued], n)
	}
	return fmt.Sprintf("form      %6d submissions, %3d clients: %8.0f /s  (each a case + contact + queued ack, committed; %d busy retries)",
		n, clients, float64(ok.Load())/elapsed.Seconds(), busy.Load()), nil
}

var errBusy = errors.New("busy")

func postForm(c *http.Client, target, ctype string, payload []byte) (string, error) {
	resp, err := c.Post(target, ctype, bytes.NewReader(payload))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusServiceUnavailable {
		return "", errBusy
	}
	if resp.StatusCode != 200 {
		return string(b), fmt.Errorf("status %d", resp.StatusCode)
	}
	return string(b), err
}

func benchSMTPIn(ctx context.Context, db *store.DB, n, clients int) (string, error) {
	svc, err := mail.NewService(mail.ServiceOptions{Store: db, From: "Contact Center <contactcenter@example.org>", AcksPerHour: n})
	if err != nil {
		return "", err
	}
	recv, err := mail.NewReceiver(mail.ReceiverOptions{Service: svc, Addr: "127.0.0.1:0", MaxConns: clients * 2})
	if err != nil {
		return "", err
	}
	addr, err := recv.Listen()
	if err != nil {
		return "", err
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { recv.Serve(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	var next atomic.Int64
	errs := make(chan error, clients)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(addr.String())
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				msg := fmt.Sprintf("From: Cittadino %d <c%d@example.it>\r\nTo: contactcenter@example.org\r\nSubject: Segnalazione %d\r\n"+
					"Message-ID: <bench-%d-%d@example.it>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
					"Buongiorno, c'è un albero caduto in via Roma %d: la strada è bloccata.\r\n", i, i, i, w, i, i)
				if err := c.Mail(fmt.Sprintf("c%d@example.it", i), nil); err != nil {
					errs <- err
					return
				}
				if err := c.Rcpt("contactcenter@example.org", nil); err != nil {
					errs <- err
					return
				}
				wc, err := c.Data()
				if err != nil {
					errs <- err
					return
				}
				io.WriteString(wc, msg)
				if err := wc.Close(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return "", err
	}
	counts, err := db.OutboxCounts(ctx)
	if err != nil {
		return "", err
	}
	if counts[store.OutboxQueued] != n {
		return "", fmt.Errorf("%d acknowledgements queued for %d messages", counts[store.OutboxQueued], n)
	}
	return fmt.Sprintf("smtp-in   %6d messages,    %3d conns:   %8.0f /s  (each parsed, a new case + .eml + queued ack, committed before 250)",
		n, clients, float64(n)/elapsed.Seconds()), nil
}

// sink is a local SMTP server that accepts and counts.
type sink struct{ got atomic.Int64 }

type sinkSession struct{ s *sink }

func (s sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s sinkSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.s.got.Add(1)
	return nil
}
func (s sinkSession) Reset()        {}
func (s sinkSession) Logout() error { return nil }

type quiet struct{}

func (quiet) Printf(string, ...any) {}
func (quiet) Println(...any)        {}

func benchOutbox(ctx context.Context, db *store.DB, n int) (string, error) {
	// Queue n messages as replies would, in transactions of 100.
	for i := 0; i < n; i += 100 {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for j := i; j < min(i+100, n); j++ {
				o := mail.Outgoing{From: mail.Address{Email: "contactcenter@example.org"}, To: mail.Address{Email: fmt.Sprintf("c%d@example.it", j)},
					Subject: fmt.Sprintf("[CC-2026-%06d] Risposta", j), Body: strings.Repeat("La sua richiesta è stata presa in carico.\n", 10),
					MessageID: fmt.Sprintf("bench-out-%d@example.org", j), Date: tx.Now}
				m := store.OutboxMessage{MessageID: o.MessageID, From: o.From.Email, To: o.To.Email, Subject: o.Subject, Raw: o.Bytes()}
				if err := tx.EnqueueMail(ctx, &m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	sk := &sink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return sinkSession{sk}, nil }))
	srv.Domain, srv.ErrorLog = "sink.local", quiet{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go srv.Serve(ln)
	defer srv.Close()
	sender, err := mail.NewSender(mail.SenderOptions{Store: db, Relay: "smtp://" + ln.Addr().String() + "?starttls=no",
		Workers: 8, Batch: 32, Log: zap.NewNop()})
	if err != nil {
		return "", err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() { sender.Run(sctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		counts, err := db.OutboxCounts(ctx)
		if err != nil {
			return "", err
		}
		if counts[store.OutboxSent] == n {
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("only %d of %d sent", counts[store.OutboxSent], n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	if got := sk.got.Load(); got != int64(n) {
		return "", fmt.Errorf("the relay received %d messages for %d sent", got, n)
	}
	return fmt.Sprintf("outbox    %6d messages,      8 workers: %8.0f /s  (claimed, sent over SMTP, marked sent; relay count checked)",
		n, float64(n)/elapsed.Seconds()), nil
}

func benchFax(ctx context.Context, db *store.DB, n int) (string, error) {
	path, err := filepath.Abs("fax/testdata/fine-g4-3pages.tif")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("run from the repository root (needs %s): %w", path, err)
	}
	in, err := fax.New(fax.Options{Store: db, NoOCR: true})
	if err != nil {
		return "", err
	}
	var total time.Duration
	pages := 0
	for i := range n {
		j := store.FaxJob{ChannelID: fmt.Sprintf("bench-fax-%d", i), Caller: "+390862000000", Status: "SUCCESS", Pages: 3,
			File: path, ReceivedAt: time.Now()}
		if err := db.EnqueueFax(ctx, &j); err != nil {
			return "", err
		}
		start := time.Now()
		c, err := in.Process(ctx, j)
		if err != nil {
			return "", err
		}
		total += time.Since(start)
		tl, err := db.FullTimeline(ctx, c.ID)
		if err != nil || len(tl.Entries) != 1 || len(tl.Entries[0].Attachments) != 2 {
			return "", fmt.Errorf("fax case incomplete: %v", err)
		}
		pages += 3
	}
	return fmt.Sprintf("fax       %6d faxes, 3 pages each:    %8.1f ms a page (read TIFF, decode G4, write PDF, store case with PDF + TIFF; no OCR)",
		n, float64(total.Microseconds())/1000/float64(pages)), nil
}
