package config

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// FuzzLoadFile feeds arbitrary bytes as the YAML file: Load never panics,
// a refusal is an error that names the file or a setting, and every value
// it accepts passes its setting's check again, as the process would see it.
func FuzzLoadFile(f *testing.F) {
	f.Add([]byte("http-addr: 0.0.0.0:8080\nlog-level: debug\n"))
	f.Add([]byte("database-url: postgres://app:pw@db:5432/ascolto?sslmode=disable\nsms-url: POST https://gw/send?to={to}&text={text}&apikey=k\n"))
	f.Add([]byte("opsroom-escalate-after: 30s\ncallout-max-calls: 200\nconsole-trusted-proxies: 10.0.0.0/8, ::1\n"))
	f.Add([]byte("lang: [it, en]\n"))
	f.Add([]byte("{}"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("databse-url: x\n"))
	f.Add([]byte("http-addr: &a 127.0.0.1:1\nsmtp-addr: *a\n"))
	f.Add([]byte("opsroom-number: \"+39 06 6820 1\"\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, doc []byte) {
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, doc, 0o600); err != nil {
			t.Fatal(err)
		}
		fs := pflag.NewFlagSet("ascolto", pflag.ContinueOnError)
		l := NewLoader(fs, func(string) string { return "" }, func() []string { return nil })
		if err := fs.Parse([]string{"--config", path}); err != nil {
			t.Fatal(err)
		}
		cfg, err := l.Load()
		if err != nil {
			if !strings.Contains(err.Error(), "config:") {
				t.Fatalf("error without the config: prefix: %v", err)
			}
			return
		}
		for _, o := range l.opts {
			v := *o.field(&cfg)
			if o.check != nil && v != o.def {
				if err := o.check(v); err != nil {
					t.Fatalf("%s = %q accepted, but its check says %v", o.name, v, err)
				}
			}
		}
		if got := len(l.Settings()); got != len(l.opts) {
			t.Fatalf("%d settings shown for %d options", got, len(l.opts))
		}
	})
}

var hostRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$`)

// FuzzRedactURL builds URLs with net/url from arbitrary parts and checks
// Redact against net/url's reading of its output: the password is masked,
// a query parameter with a secret's name is masked, and nothing else —
// user, host, path, other parameters — changes.
func FuzzRedactURL(f *testing.F) {
	f.Add("app", "hunter2", "db:5432", "password", "hunter2", "sslmode", "disable")
	f.Add("", "", "sms.example.it", "apikey", "k3y", "to", "{to}")
	f.Add("relay@x.it", "p@ss:w/rd?#", "mail.example.it:465", "X-Api-Key", "a&b=c", "text", "a b+c")
	f.Add("u", "", "h", "my token", "v", "redirect", "https://o/?token=abc")
	f.Add("u", "pw", "h", "Signature", "", "pass%77ord", "x")
	f.Fuzz(func(t *testing.T, user, pass, host, secretKey, secretVal, otherKey, otherVal string) {
		if !hostRE.MatchString(host) || secretKey == "" || otherKey == "" {
			return
		}
		q := url.Values{}
		q.Set(secretKey, secretVal)
		q.Add(otherKey, otherVal)
		in := &url.URL{Scheme: "https", Host: host, Path: "/p", RawQuery: q.Encode()}
		if user != "" || pass != "" {
			in.User = url.UserPassword(user, pass)
		}
		out := Redact(in.String())
		got, err := url.Parse(out)
		if err != nil {
			t.Fatalf("Redact(%q) = %q: not a URL: %v", in, out, err)
		}
		if got.Host != in.Host || got.Path != in.Path || got.Scheme != in.Scheme {
			t.Fatalf("Redact(%q) = %q: changed more than credentials", in, out)
		}
		if in.User != nil {
			pw, _ := got.User.Password()
			if got.User.Username() != user || pw != Mask {
				t.Fatalf("Redact(%q) = %q: user info %q", in, out, got.User)
			}
		}
		gq := got.Query()
		for k, vs := range q {
			for i, v := range vs {
				want := v
				// Redact reads the name as the query spells it.
				if secretName(url.QueryEscape(k)) && v != "" {
					want = Mask
				}
				if i >= len(gq[k]) || gq[k][i] != want {
					t.Fatalf("Redact(%q) = %q: %s = %q, want %q", in, out, k, gq[k], want)
				}
			}
		}
	})
}
