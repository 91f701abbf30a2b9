package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func load(t *testing.T, args []string, env map[string]string, file string) (Config, *Loader, error) {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	l := NewLoader(fs, func(k string) string { return env[k] }, func() []string { return environ })
	if file != "" {
		p := filepath.Join(t.TempDir(), "ascolto.yaml")
		if err := os.WriteFile(p, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", p)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg, err := l.Load()
	return cfg, l, err
}

func TestDefaults(t *testing.T) {
	cfg, _, err := load(t, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{HTTPAddr: "127.0.0.1:8080", DataDir: "./data", ARIURL: "http://127.0.0.1:8088/ari",
		ARIUser: "ascolto", ARIApp: "ascolto", LogLevel: "info", Lang: "it",
		ConsoleTOTPRequired: "false", ConsoleSecureCookies: "auto", ConsoleIdleTimeout: "2h", ConsoleSessionMax: "12h",
		CalloutMaxCalls: "10", OpsEscalateAfter: "2m"}
	if cfg != want {
		t.Fatalf("defaults = %+v, want %+v", cfg, want)
	}
}

func TestPrecedenceFlagOverEnvOverFile(t *testing.T) {
	file := "http-addr: 127.0.0.1:7000\ndata-dir: /from/file\nari-app: fromfile\n"
	env := map[string]string{"ASCOLTO_DATA_DIR": "/from/env", "ASCOLTO_ARI_APP": "fromenv"}
	cfg, l, err := load(t, []string{"--ari-app", "fromflag"}, env, file)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:7000" || cfg.DataDir != "/from/env" || cfg.ARIApp != "fromflag" {
		t.Fatalf("got %+v", cfg)
	}
	src := map[string]Source{}
	for _, s := range l.Settings() {
		src[s.Name] = s.Source
	}
	if src["http-addr"] != FromFile || src["data-dir"] != FromEnv || src["ari-app"] != FromFlag || src["lang"] != FromDefault {
		t.Fatalf("sources = %v", src)
	}
}

func TestConfigFileFromEnv(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("lang: en\n"), 0o600)
	cfg, _, err := load(t, nil, map[string]string{"ASCOLTO_CONFIG": p}, "")
	if err != nil || cfg.Lang != "en" {
		t.Fatalf("cfg=%+v err=%v", cfg, err)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		file    string
		key     string
		contain string
	}{
		{"unknown file key", nil, nil, "http-adr: x:1\n", "http-adr", "unknown setting"},
		{"bad addr flag", []string{"--http-addr", "nonsense"}, nil, "", "http-addr", "allowed: host:port"},
		{"bad log level env", nil, map[string]string{"ASCOLTO_LOG_LEVEL": "loud"}, "", "log-level", "debug, info, warn, error"},
		{"bad database url", nil, map[string]string{"ASCOLTO_DATABASE_URL": "mysql://u:secret@h/db"}, "", "database-url", "postgres"},
		{"bad ari url in file", nil, nil, "ari-url: ftp://x\n", "ari-url", "http"},
		{"nested value", nil, nil, "lang:\n  - it\n", "lang", "single value"},
		{"bad app name", []string{"--ari-app", "a b"}, nil, "", "ari-app", "letters"},
		{"bad lang", []string{"--lang", "de"}, nil, "", "lang", "it, en"},
		{"bad callout limit", []string{"--callout-max-calls", "0"}, nil, "", "callout-max-calls", "1 to 200"},
		{"sms template without {to}", nil, map[string]string{"ASCOLTO_SMS_URL": "https://sms.example.it/send?text={text}"}, "", "sms-url", "{to}"},
		{"bad idle timeout", []string{"--console-idle-timeout", "forever"}, nil, "", "console-idle-timeout", "duration"},
		{"escalation too quick", []string{"--opsroom-escalate-after", "5s"}, nil, "", "opsroom-escalate-after", "10s"},
		{"room number with letters", []string{"--opsroom-number", "06-SALA"}, nil, "", "opsroom-number", "digits"},
		{"coordinator not an address", nil, map[string]string{"ASCOLTO_COORDINATOR_EMAIL": "a@b.it, nobody"}, "", "coordinator-email", "nobody"},
		{"short webhook key", []string{"--opsroom-webhook-key", "abc"}, nil, "", "opsroom-webhook-key", "16"},
		{"profiler on a public address", []string{"--debug-addr", "0.0.0.0:6060"}, nil, "", "debug-addr", "loopback"},
		{"bad proxy", nil, map[string]string{"ASCOLTO_CONSOLE_TRUSTED_PROXIES": "10.0.0.1,nonsense"}, "", "console-trusted-proxies", "prefix"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := load(t, tc.args, tc.env, tc.file)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *config.Error", err)
			}
			if ce.Key != tc.key || !strings.Contains(err.Error(), tc.contain) {
				t.Fatalf("err = %q (key %q), want key %q containing %q", err, ce.Key, tc.key, tc.contain)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error leaks a secret: %q", err)
			}
		})
	}
}

func TestMalformedFile(t *testing.T) {
	_, _, err := load(t, nil, nil, "http-addr: [unclosed\n")
	if err == nil || !strings.Contains(err.Error(), "not valid YAML") {
		t.Fatalf("err = %v", err)
	}
}

func TestSettingsRedactSecrets(t *testing.T) {
	env := map[string]string{"ASCOLTO_DATABASE_URL": "postgres://app:hunter2@db:5432/ascolto", "ASCOLTO_ARI_PASSWORD": "s3cret"}
	_, l, err := load(t, nil, env, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range l.Settings() {
		if strings.Contains(s.Value, "hunter2") || strings.Contains(s.Value, "s3cret") {
			t.Fatalf("%s shows a secret: %q", s.Name, s.Value)
		}
		if s.Name == "database-url" && !strings.Contains(s.Value, "app:xxxxx@db:5432") {
			t.Fatalf("database-url redacted badly: %q", s.Value)
		}
	}
}

func TestUnknownEnv(t *testing.T) {
	_, l, _ := load(t, nil, map[string]string{"ASCOLTO_HTTP_ADR": "x", "ASCOLTO_TEST_DATABASE_URL": "y", "ASCOLTO_LANG": "en"}, "")
	got := l.UnknownEnv()
	if len(got) != 1 || got[0] != "ASCOLTO_HTTP_ADR" {
		t.Fatalf("UnknownEnv = %v", got)
	}
}
