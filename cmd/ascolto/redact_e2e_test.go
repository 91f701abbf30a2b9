package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestReadyzAndLogsHideDatabasePassword: the public /readyz and the logs of
// a service whose database does not answer say why, never with the
// password its URL carries (?password= or user:password@) nor the ARI
// URL's.
func TestReadyzAndLogsHideDatabasePassword(t *testing.T) {
	dead := freePort(t) // nothing listens here
	s := startServe(t, []string{
		fmt.Sprintf("ASCOLTO_DATABASE_URL=postgres://ascolto@127.0.0.1:%d/ascolto?password=hunter2&connect_timeout=2", dead),
		fmt.Sprintf("ASCOLTO_ARI_URL=http://ascolto:ariHunter2@127.0.0.1:%d/ari", freePort(t)),
		"ASCOLTO_LOG_LEVEL=debug",
	})
	var body string
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		body = getBody(t, s.base+"/readyz")
		if strings.Contains(body, "PostgreSQL running") && strings.Contains(s.log(), "database not ready") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for what, text := range map[string]string{"/readyz": body, "the logs": s.log()} {
		for _, secret := range []string{"hunter2", "ariHunter2"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s show the password %q:\n%s", what, secret, text)
			}
		}
	}
	if !strings.Contains(body, "PostgreSQL running") || !strings.Contains(body, "password=xxxxx") {
		t.Fatalf("readyz does not say why the database is missing: %s", body)
	}
}

func getBody(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestConfigShowHidesSecrets: `config show` prints every URL setting
// without the credentials it carries, in user info or query string.
func TestConfigShowHidesSecrets(t *testing.T) {
	out, errs, code := cli(t, []string{
		"ASCOLTO_DATABASE_URL=postgres://app@db:5432/ascolto?password=dbHunter",
		"ASCOLTO_SMTP_RELAY=smtp://relay:relayHunter@mail.example.it:587",
		"ASCOLTO_IMAP_URL=imaps://box:imapHunter@mail.example.it/INBOX",
		"ASCOLTO_SMS_URL=https://sms.example.it/send?to={to}&text={text}&apikey=smsHunter&password=smsHunter",
		"ASCOLTO_OPSROOM_WEBHOOK_URL=https://sala:hookHunter@sala.example.it/hook",
		"ASCOLTO_OPSROOM_WEBHOOK_KEY=keyHunter-0123456789",
		"ASCOLTO_ARI_PASSWORD=ariHunter",
	}, "--lang", "en", "config", "show")
	if code != 0 {
		t.Fatalf("config show: exit %d: %s", code, errs)
	}
	if strings.Contains(out, "Hunter") {
		t.Fatalf("config show prints a secret:\n%s", out)
	}
	for _, want := range []string{"sala:xxxxx@sala.example.it", "apikey=xxxxx", "password=xxxxx", "relay:xxxxx@mail.example.it"} {
		if !strings.Contains(out, want) {
			t.Errorf("config show lacks %q:\n%s", want, out)
		}
	}
}

// stringer is a value whose String quotes a URL.
type stringer string

func (s stringer) String() string { return string(s) }

// TestLogsHideCredentials: whatever a package logs — message, string,
// error or Stringer field, or a field bound with With — goes out without
// the credentials it quotes.
func TestLogsHideCredentials(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger("debug", &buf)
	if err != nil {
		t.Fatal(err)
	}
	// A real client error, which quotes the URL: nothing listens on port 1.
	gw := "https://127.0.0.1:1/send?to=39&apikey=apiHunter"
	_, gwErr := http.Get(gw)
	if gwErr == nil || !strings.Contains(gwErr.Error(), "apiHunter") {
		t.Fatalf("want an error quoting the URL, got %v", gwErr)
	}
	fields := []zap.Field{zap.String("url", gw), zap.Error(gwErr), zap.Stringer("db", stringer("postgres://app:dbHunter@db/x")),
		zap.ByteString("raw", []byte("host=db password=kvHunter")), zap.Error(errors.New("dial postgres://a@b/c?sslpassword=sslHunter"))}
	log.With(zap.String("relay", "smtp://u:relayHunter@mail:587")).Warn("retrying https://hook:hookHunter@sala.example.it/h", fields...)
	log.Sync()
	out := buf.String()
	if !strings.Contains(out, "apikey=xxxxx") || strings.Contains(out, "Hunter") {
		t.Fatalf("logs show a secret:\n%s", out)
	}
}
