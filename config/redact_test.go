package config

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		// Nothing to hide.
		{"", ""},
		{"http://127.0.0.1:8088/ari", "http://127.0.0.1:8088/ari"},
		{"postgres://app@db:5432/ascolto?sslmode=disable", "postgres://app@db:5432/ascolto?sslmode=disable"},
		{"https://host:8080/p?email=anna@example.it", "https://host:8080/p?email=anna@example.it"},
		{"queue=generale wait=30s", "queue=generale wait=30s"},
		// User info.
		{"postgres://app:hunter2@db:5432/ascolto", "postgres://app:xxxxx@db:5432/ascolto"},
		{"smtps://relay%40x.it:p%40ss@mail.x.it:465", "smtps://relay%40x.it:xxxxx@mail.x.it:465"},
		{"imaps://u:pa@ss@host/INBOX", "imaps://u:xxxxx@host/INBOX"},
		{"postgres://u:pa/ss@host/db", "postgres://u:xxxxx@host/db"},
		{"postgres://u:pa?ss@host/db", "postgres://u:xxxxx@host/db"},
		{"postgres://u:12/34@host/db", "postgres://u:xxxxx@host/db"},
		// Query strings, any case, any of the names.
		{"postgres://app@db/ascolto?password=hunter2&sslmode=disable", "postgres://app@db/ascolto?password=xxxxx&sslmode=disable"},
		{"https://sms.example.it/send?to={to}&text={text}&APIKEY=k3y", "https://sms.example.it/send?to={to}&text={text}&APIKEY=xxxxx"},
		{"POST https://gw/send?api_key=a&Token=b&sig=c&signature=d&access_token=e&auth=f&key=g&pwd=h&pass=i&secret=j",
			"POST https://gw/send?api_key=xxxxx&Token=xxxxx&sig=xxxxx&signature=xxxxx&access_token=xxxxx&auth=xxxxx&key=xxxxx&pwd=xxxxx&pass=xxxxx&secret=xxxxx"},
		{"https://h/x?client_secret=a&x-api-key=b&pass%77ord=c&sslpassword=d", "https://h/x?client_secret=xxxxx&x-api-key=xxxxx&pass%77ord=xxxxx&sslpassword=xxxxx"},
		{"https://h/cb?redirect=https://o/?token=abc", "https://h/cb?redirect=https://o/?token=xxxxx"},
		{"https://h/?my+token=abc&x=1", "https://h/?my+token=xxxxx&x=1"},
		// Both at once, quoted inside an error, and key=value strings.
		{`store: "postgres://a:b@h/d?password=c" does not answer`, `store: "postgres://a:xxxxx@h/d?password=xxxxx" does not answer`},
		{"host=db user=app password=hunter2 dbname=x", "host=db user=app password=xxxxx dbname=x"},
		{"host=db password='hunter 2' dbname=x", "host=db password=xxxxx dbname=x"},
		{`Get "https://gw/send?to=39&apikey=K": dial tcp: connection refused`, `Get "https://gw/send?to=39&apikey=xxxxx": dial tcp: connection refused`},
	}
	for _, c := range cases {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestConfigShowHidesEveryCredential: every URL setting that can carry a
// credential shows without it, in user info or in its query.
func TestConfigShowHidesEveryCredential(t *testing.T) {
	env := map[string]string{
		"ASCOLTO_DATABASE_URL":        "postgres://app@db:5432/ascolto?password=hunter2",
		"ASCOLTO_ARI_URL":             "http://ari:ariHunter@127.0.0.1:8088/ari",
		"ASCOLTO_SMTP_RELAY":          "smtp://relay:relayHunter@mail.example.it:587",
		"ASCOLTO_IMAP_URL":            "imaps://box:imapHunter@mail.example.it/INBOX",
		"ASCOLTO_SMS_URL":             "https://sms.example.it/send?to={to}&text={text}&apikey=smsHunter",
		"ASCOLTO_OPSROOM_WEBHOOK_URL": "https://sala:hookHunter@sala.example.it/hook?token=hookToken",
		"ASCOLTO_PUBLIC_URL":          "https://ascolto.example.it/?access_token=publicHunter",
	}
	_, l, err := load(t, nil, env, "")
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]string{}
	for _, s := range l.Settings() {
		shown[s.Name] = s.Value
		for _, secret := range []string{"hunter2", "Hunter", "hookToken"} {
			if strings.Contains(s.Value, secret) {
				t.Errorf("%s shows a secret: %q", s.Name, s.Value)
			}
		}
	}
	// The rest stays readable: which host, which user.
	for name, want := range map[string]string{
		"database-url":        "postgres://app@db:5432/ascolto?password=xxxxx",
		"sms-url":             "https://sms.example.it/send?to={to}&text={text}&apikey=xxxxx",
		"opsroom-webhook-url": "https://sala:xxxxx@sala.example.it/hook?token=xxxxx",
	} {
		if shown[name] != want {
			t.Errorf("%s shown as %q, want %q", name, shown[name], want)
		}
	}
}

// TestConfigErrorsHideCredentials: a refused URL is quoted in the error
// without its credentials.
func TestConfigErrorsHideCredentials(t *testing.T) {
	for k, v := range map[string]string{
		"ASCOLTO_OPSROOM_WEBHOOK_URL": "ftp://sala:hookHunter@sala.example.it/?token=hookHunter",
		"ASCOLTO_SMS_URL":             "ftp://gw/send?to={to}&text={text}&apikey=hookHunter",
		"ASCOLTO_DATABASE_URL":        "mysql://app@db/x?password=hookHunter",
	} {
		_, _, err := load(t, nil, map[string]string{k: v}, "")
		if err == nil || strings.Contains(err.Error(), "hookHunter") {
			t.Errorf("%s: error %v", k, err)
		}
	}
}
