// Package config owns ascolto's settings: their names, defaults, validation,
// and the precedence of their sources (flags, then ASCOLTO_* environment
// variables, then an optional YAML file, then defaults). It never reads
// global state: the command line wires a Loader to its flags and passes the
// resulting Config down.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// Config is the resolved configuration of one ascolto process.
type Config struct {
	HTTPAddr string
	// DebugAddr, when set, is a loopback address serving Go's profiler.
	DebugAddr   string
	DataDir     string
	DatabaseURL string
	ARIURL      string
	ARIUser     string
	ARIPassword string
	ARIApp      string
	LogLevel    string
	Lang        string
	// SMTPAddr is where the inbound mail receiver listens ("" = off).
	SMTPAddr string
	// SMTPRelay is the outbound relay, smtp://user:pass@host:port.
	SMTPRelay string
	// IMAPURL is a mailbox to poll, imaps://user:pass@host/INBOX ("" = off).
	IMAPURL string
	// MailFrom is the contact center's address on every email.
	MailFrom string
	// PublicURL is the base of links sent by email and SMS.
	PublicURL string
	// CalloutMaxCalls bounds the activation's simultaneous calls.
	CalloutMaxCalls string
	// SMSURL is the HTTP SMS gateway's URL template.
	SMSURL string
	// The operations room (see opsroom.ParseConfig): the acknowledgement
	// deadline, the room's phone and email, the coordinators' email, the
	// signed webhook and the token for the CAP feed and exports.
	OpsEscalateAfter string
	OpsRoomNumber    string
	OpsRoomEmail     string
	CoordinatorEmail string
	OpsWebhookURL    string
	OpsWebhookSecret string
	OpsFeedToken     string
	// MetricsToken, when set, is the bearer token /metrics asks for.
	MetricsToken string
	// SoftphoneWSS and SoftphoneDomain configure the in-page softphone.
	SoftphoneWSS    string
	SoftphoneDomain string
	// The console's security settings (see console.ParseConfig).
	ConsoleTOTPRequired   string
	SealKey               string
	ConsoleTrustedProxies string
	ConsoleSecureCookies  string
	ConsoleIdleTimeout    string
	ConsoleSessionMax     string
}

// Source says where a setting's value came from.
type Source string

// The sources of a setting, from weakest to strongest.
const (
	FromDefault Source = "default"
	FromFile    Source = "file"
	FromEnv     Source = "env"
	FromFlag    Source = "flag"
)

// option describes one setting: its flag name, which is also its YAML key,
// its environment variable, and how to check and store a value.
type option struct {
	name    string
	def     string
	usage   string
	secret  bool   // is or may hold a credential: never shown, or a URL with its credentials masked
	allowed string // human description of valid values, used in errors
	check   func(string) error
	field   func(*Config) *string
}

func options() []option {
	return []option{
		{name: "http-addr", def: "127.0.0.1:8080", usage: "address the HTTP server listens on (host:port)",
			allowed: "host:port, e.g. 127.0.0.1:8080 or :8080", check: checkHostPort,
			field: func(c *Config) *string { return &c.HTTPAddr }},
		{name: "debug-addr", usage: "loopback address (host:port) serving Go's profiler (/debug/pprof/) to diagnose CPU and memory; empty = off",
			allowed: "empty, or a loopback host:port such as 127.0.0.1:6060", check: optional(checkLoopbackHostPort),
			field: func(c *Config) *string { return &c.DebugAddr }},
		{name: "data-dir", def: "./data", usage: "directory for the embedded database, recordings and files",
			allowed: "a directory path", check: checkNonEmpty,
			field: func(c *Config) *string { return &c.DataDir }},
		{name: "database-url", usage: "PostgreSQL URL (postgres://user:pass@host:5432/db); empty = embedded SQLite in the data dir",
			secret: true, allowed: "empty, or postgres://… / postgresql://…", check: checkDatabaseURL,
			field: func(c *Config) *string { return &c.DatabaseURL }},
		{name: "ari-url", def: "http://127.0.0.1:8088/ari", usage: "Asterisk ARI base URL",
			secret: true, allowed: "an http:// or https:// URL ending in /ari", check: checkHTTPURL,
			field: func(c *Config) *string { return &c.ARIURL }},
		{name: "ari-user", def: "ascolto", usage: "ARI user (ari.conf)",
			allowed: "a non-empty user name", check: checkNonEmpty,
			field: func(c *Config) *string { return &c.ARIUser }},
		{name: "ari-password", usage: "ARI password (ari.conf)", secret: true,
			field: func(c *Config) *string { return &c.ARIPassword }},
		{name: "ari-app", def: "ascolto", usage: "Stasis application name",
			allowed: "letters, digits, '-' and '_'", check: checkAppName,
			field: func(c *Config) *string { return &c.ARIApp }},
		{name: "log-level", def: "info", usage: "log level: debug, info, warn, error",
			allowed: "debug, info, warn, error", check: oneOf("debug", "info", "warn", "error"),
			field: func(c *Config) *string { return &c.LogLevel }},
		{name: "lang", def: "it", usage: "language of messages: it (Italian) or en (English)",
			allowed: "it, en", check: oneOf("it", "en"),
			field: func(c *Config) *string { return &c.Lang }},
		{name: "smtp-addr", usage: "address of the inbound mail (SMTP) receiver, e.g. :2525; empty = off",
			allowed: "empty, or host:port", check: optional(checkHostPort),
			field: func(c *Config) *string { return &c.SMTPAddr }},
		{name: "smtp-relay", usage: "outbound mail relay: smtp://user:pass@host:587 (STARTTLS) or smtps://…:465; empty = mail waits in the outbox",
			secret: true, allowed: "empty, or smtp://[user:pass@]host[:port] or smtps://…", check: checkURLScheme("smtp", "smtps"),
			field: func(c *Config) *string { return &c.SMTPRelay }},
		{name: "imap-url", usage: "mailbox to poll for citizens' mail: imaps://user:pass@host:993/INBOX; empty = off",
			secret: true, allowed: "empty, or imaps://user:pass@host[:port]/MAILBOX or imap://… (STARTTLS)", check: checkURLScheme("imap", "imaps"),
			field: func(c *Config) *string { return &c.IMAPURL }},
		{name: "mail-from", usage: "the contact center's email address, sender of answers and acknowledgements (empty: contactcenter@localhost, enough to try ascolto, refused by real relays)",
			allowed: "empty, or an address, optionally with a name: Name <user@domain>", check: optional(checkMailbox),
			field: func(c *Config) *string { return &c.MailFrom }},
		{name: "softphone-wss", usage: "WebSocket (WSS) URL of Asterisk for the agents' in-page softphone, e.g. wss://pbx.example.it:8089/ws; empty = external phones only",
			allowed: "empty, or a wss:// URL", check: checkURLScheme("wss"),
			field: func(c *Config) *string { return &c.SoftphoneWSS }},
		{name: "softphone-domain", usage: "SIP domain the softphones register in (default: the WSS URL's host)",
			allowed: "a host name", field: func(c *Config) *string { return &c.SoftphoneDomain }},
		{name: "public-url", usage: "the address citizens and on-call people reach ascolto at, for links in emails and SMS (https://ascolto.example.it)",
			allowed: "empty, or an http(s) URL", check: optional(checkHTTPURL),
			field: func(c *Config) *string { return &c.PublicURL }},
		{name: "callout-max-calls", def: "10", usage: "how many on-call people the activation phones at once (trunk capacity)",
			allowed: "a whole number from 1 to 200", check: checkIntRange(1, 200),
			field: func(c *Config) *string { return &c.CalloutMaxCalls }},
		{name: "sms-url", usage: "HTTP SMS gateway for the activation, a URL template with {to} and {text}, optionally prefixed by POST; empty = no SMS",
			secret: true, allowed: "empty, or [POST ]http(s)://… with {to} and {text}", check: checkSMSURL,
			field: func(c *Config) *string { return &c.SMSURL }},
		{name: "opsroom-escalate-after", def: "2m", usage: "how long a rescue request may wait unacknowledged by the operations room before it is escalated",
			allowed: "a duration from 10s to 1h", check: checkDurationRange(10*time.Second, time.Hour),
			field: func(c *Config) *string { return &c.OpsEscalateAfter }},
		{name: "opsroom-number", usage: "the operations room's telephone, phoned over the trunk on escalation; empty = no call",
			allowed: "empty, or 4 to 16 digits with an optional leading +", check: checkPhone,
			field: func(c *Config) *string { return &c.OpsRoomNumber }},
		{name: "opsroom-email", usage: "the operations room's email, last fallback for escalations and undeliverable webhook items (comma-separated)",
			allowed: "empty, or addresses separated by commas", check: checkAddressList,
			field: func(c *Config) *string { return &c.OpsRoomEmail }},
		{name: "coordinator-email", usage: "the coordinators' email, told of every escalation (comma-separated)",
			allowed: "empty, or addresses separated by commas", check: checkAddressList,
			field: func(c *Config) *string { return &c.CoordinatorEmail }},
		{name: "opsroom-webhook-url", usage: "URL that receives every rescue request and change as signed JSON; empty = no webhook",
			secret: true, allowed: "empty, or an http(s) URL", check: optional(checkHTTPURL),
			field: func(c *Config) *string { return &c.OpsWebhookURL }},
		{name: "opsroom-webhook-key", usage: "HMAC-SHA256 key of the webhook's signature (at least 16 characters)",
			secret: true, allowed: "empty, or at least 16 characters", check: checkMinLen(16),
			field: func(c *Config) *string { return &c.OpsWebhookSecret }},
		{name: "opsroom-feed-token", usage: "bearer token with which the room's systems read the CAP feed and exports without a console session",
			secret: true, allowed: "empty, or at least 16 characters", check: checkMinLen(16),
			field: func(c *Config) *string { return &c.OpsFeedToken }},
		{name: "metrics-token", usage: "bearer token Prometheus must send to read /metrics; empty = /metrics is public (operational counters, no personal data)",
			secret: true, allowed: "empty, or at least 16 characters", check: checkMinLen(16),
			field: func(c *Config) *string { return &c.MetricsToken }},
		{name: "seal-key", usage: "key that seals the users' TOTP secrets in the database: 32 random bytes as 64 hex digits (openssl rand -hex 32); empty = the data dir's secret.key with the embedded database, no sealing on PostgreSQL",
			secret: true, allowed: "empty, or 64 hex digits (32 bytes, also accepted as base64)", check: checkMinLen(43),
			field: func(c *Config) *string { return &c.SealKey }},
		{name: "console-totp-required", def: "false", usage: "require a second factor (TOTP) for supervisors and admins",
			allowed: "true, false", check: oneOf("true", "false"),
			field: func(c *Config) *string { return &c.ConsoleTOTPRequired }},
		{name: "console-trusted-proxies", usage: "reverse proxies whose X-Forwarded-For/-Proto are believed: addresses or CIDR prefixes, comma-separated",
			allowed: "empty, or addresses/prefixes like 10.0.0.1,192.168.0.0/16", check: checkProxies,
			field: func(c *Config) *string { return &c.ConsoleTrustedProxies }},
		{name: "console-secure-cookies", def: "auto", usage: "mark session cookies Secure: auto (when the request came over TLS), always, never",
			allowed: "auto, always, never", check: oneOf("auto", "always", "never"),
			field: func(c *Config) *string { return &c.ConsoleSecureCookies }},
		{name: "console-idle-timeout", def: "2h", usage: "sign a console user out after this long without activity",
			allowed: "a duration such as 30m or 2h", check: checkDuration,
			field: func(c *Config) *string { return &c.ConsoleIdleTimeout }},
		{name: "console-session-max", def: "12h", usage: "longest a console session lasts, active or not",
			allowed: "a duration such as 8h or 12h", check: checkDuration,
			field: func(c *Config) *string { return &c.ConsoleSessionMax }},
	}
}

func checkDurationRange(lo, hi time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("%q is not a duration from %s to %s", v, lo, hi)
		}
		return nil
	}
}

func checkPhone(v string) error {
	n := strings.ReplaceAll(v, " ", "")
	if n == "" {
		return nil
	}
	for i, r := range n {
		if (r < '0' || r > '9') && !(r == '+' && i == 0) {
			return fmt.Errorf("%q: digits only, with an optional leading +", v)
		}
	}
	if d := len(strings.TrimPrefix(n, "+")); d < 4 || d > 16 {
		return fmt.Errorf("%q: 4 to 16 digits", v)
	}
	return nil
}

func checkAddressList(v string) error {
	for _, a := range strings.Split(v, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		if p, err := mail.ParseAddress(a); err != nil || p.Address != a {
			return fmt.Errorf("%q is not an address like sala.operativa@example.it", a)
		}
	}
	return nil
}

func checkMinLen(n int) func(string) error {
	return func(v string) error {
		if v != "" && len(v) < n {
			return fmt.Errorf("too short: at least %d characters", n)
		}
		return nil
	}
}

func checkIntRange(lo, hi int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%q is not a whole number from %d to %d", v, lo, hi)
		}
		return nil
	}
}

func checkSMSURL(v string) error {
	if v == "" {
		return nil
	}
	u := strings.TrimSpace(strings.TrimPrefix(v, "POST "))
	if !strings.Contains(u, "{to}") || !strings.Contains(u, "{text}") {
		return fmt.Errorf("the template needs {to} and {text}")
	}
	return checkHTTPURL(strings.NewReplacer("{to}", "x", "{text}", "x").Replace(u))
}

func checkDuration(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return fmt.Errorf("%q is not a positive duration", v)
	}
	return nil
}

func checkProxies(v string) error {
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err != nil {
			return fmt.Errorf("%q is not an address or a prefix", p)
		}
	}
	return nil
}

func envName(flag string) string {
	return "ASCOLTO_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Error is a configuration problem that names the setting at fault.
type Error struct {
	Key     string // flag/YAML name of the setting, or the unknown key
	Source  Source
	Value   string
	Problem string
}

func (e *Error) Error() string {
	where := ""
	switch e.Source {
	case FromFile:
		where = " in the config file"
	case FromEnv:
		where = " in " + envName(e.Key)
	case FromFlag:
		where = " in --" + e.Key
	}
	return fmt.Sprintf("config: %s%s: %s", e.Key, where, e.Problem)
}

// Setting is one resolved setting, for `ascolto config show`.
type Setting struct {
	Name   string
	Env    string
	Value  string // redacted when secret
	Source Source
	Usage  string
}

// Loader binds settings to a flag set and resolves them.
type Loader struct {
	flags   *pflag.FlagSet
	getenv  func(string) string
	environ func() []string
	opts    []option
	cfgFile string
	sources map[string]Source
	cfg     Config
}

// NewLoader registers every setting, plus --config, on flags. getenv and
// environ are os.Getenv and os.Environ in production and fakes in tests.
func NewLoader(flags *pflag.FlagSet, getenv func(string) string, environ func() []string) *Loader {
	l := &Loader{flags: flags, getenv: getenv, environ: environ, opts: options(), sources: map[string]Source{}}
	for _, o := range l.opts {
		flags.String(o.name, o.def, o.usage+" (env "+envName(o.name)+")")
	}
	flags.StringVar(&l.cfgFile, "config", "", "optional YAML configuration file (env ASCOLTO_CONFIG)")
	return l
}

// Load resolves the configuration: flags over environment over file over defaults.
// It reports the first invalid value or unknown file key, naming it.
func (l *Loader) Load() (Config, error) {
	var cfg Config
	for _, o := range l.opts {
		*o.field(&cfg) = o.def
		l.sources[o.name] = FromDefault
	}
	file := l.cfgFile
	if !l.flags.Changed("config") {
		file = l.getenv("ASCOLTO_CONFIG")
	}
	if file != "" {
		if err := l.loadFile(file, &cfg); err != nil {
			return Config{}, err
		}
	}
	for _, o := range l.opts {
		if v, ok := l.lookupEnv(envName(o.name)); ok {
			if err := l.set(o, &cfg, v, FromEnv); err != nil {
				return Config{}, err
			}
		}
	}
	for _, o := range l.opts {
		if l.flags.Changed(o.name) {
			v, _ := l.flags.GetString(o.name)
			if err := l.set(o, &cfg, v, FromFlag); err != nil {
				return Config{}, err
			}
		}
	}
	l.cfg = cfg
	return cfg, nil
}

// UnknownEnv lists ASCOLTO_* variables that name no setting, so the caller
// can warn about a probable typo. Test-only variables are ignored.
func (l *Loader) UnknownEnv() []string {
	known := map[string]bool{"ASCOLTO_CONFIG": true}
	for _, o := range l.opts {
		known[envName(o.name)] = true
	}
	var out []string
	for _, kv := range l.environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "ASCOLTO_") && !known[k] && !strings.HasPrefix(k, "ASCOLTO_TEST_") {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func (l *Loader) lookupEnv(k string) (string, bool) {
	for _, kv := range l.environ() {
		if name, v, ok := strings.Cut(kv, "="); ok && name == k {
			return v, true
		}
	}
	return "", false
}

func (l *Loader) set(o option, cfg *Config, v string, src Source) error {
	if o.check != nil {
		if err := o.check(v); err != nil {
			return &Error{Key: o.name, Source: src, Value: v, Problem: fmt.Sprintf("%v (allowed: %s)", err, o.allowed)}
		}
	}
	*o.field(cfg) = v
	l.sources[o.name] = src
	return nil
}

func (l *Loader) loadFile(path string, cfg *Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: read %s: %w", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("config: %s is not valid YAML: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil // empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config: %s: line %d: expected a mapping of setting: value", path, root.Line)
	}
	byName := map[string]option{}
	for _, o := range l.opts {
		byName[o.name] = o
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		o, ok := byName[k.Value]
		if !ok {
			return &Error{Key: k.Value, Source: FromFile,
				Problem: fmt.Sprintf("unknown setting at %s line %d (known: %s)", path, k.Line, strings.Join(l.names(), ", "))}
		}
		if v.Kind != yaml.ScalarNode {
			return &Error{Key: k.Value, Source: FromFile, Problem: fmt.Sprintf("line %d: expected a single value", v.Line)}
		}
		if err := l.set(o, cfg, v.Value, FromFile); err != nil {
			return err
		}
	}
	return nil
}

func (l *Loader) names() []string {
	var n []string
	for _, o := range l.opts {
		n = append(n, o.name)
	}
	return n
}

// Settings lists every setting with its value and source. Secrets are
// hidden: whole, or for a URL only its credentials (see Redact); any other
// value goes through Redact too, in case it quotes a credential.
// Call it after Load.
func (l *Loader) Settings() []Setting {
	var out []Setting
	for _, o := range l.opts {
		v := *o.field(&l.cfg)
		if o.secret && v != "" && !strings.Contains(v, "://") {
			v = Mask
		} else {
			v = Redact(v)
		}
		out = append(out, Setting{Name: o.name, Env: envName(o.name), Value: v, Source: l.sources[o.name], Usage: o.usage})
	}
	return out
}

func checkNonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("must not be empty")
	}
	return nil
}

func checkHostPort(v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("%q is not host:port", v)
	}
	_ = host
	if port == "" {
		return fmt.Errorf("%q has no port", v)
	}
	return nil
}

// checkLoopbackHostPort accepts only an address this machine alone can
// reach: the profiler shows the process's memory and must not be public.
func checkLoopbackHostPort(v string) error {
	if err := checkHostPort(v); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(v)
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address (127.0.0.1, ::1 or localhost)", v)
	}
	return nil
}

func checkDatabaseURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("%q is not a postgres:// URL", Redact(v))
	}
	return nil
}

func checkHTTPURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", Redact(v))
	}
	return nil
}

func checkAppName(v string) error {
	if v == "" {
		return errors.New("must not be empty")
	}
	for _, r := range v {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return fmt.Errorf("%q contains %q", v, r)
		}
	}
	return nil
}

// optional accepts the empty value, and checks any other with check.
func optional(check func(string) error) func(string) error {
	return func(v string) error {
		if v == "" {
			return nil
		}
		return check(v)
	}
}

func checkURLScheme(schemes ...string) func(string) error {
	return func(v string) error {
		if v == "" {
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return fmt.Errorf("%q is not a URL", Redact(v))
		}
		for _, s := range schemes {
			if u.Scheme == s {
				return nil
			}
		}
		return fmt.Errorf("%q has scheme %q", Redact(v), u.Scheme)
	}
}

func checkMailbox(v string) error {
	a, err := mail.ParseAddress(v)
	if err != nil || !strings.Contains(a.Address, "@") {
		return fmt.Errorf("%q is not an email address", v)
	}
	return nil
}

func oneOf(vals ...string) func(string) error {
	return func(v string) error {
		for _, x := range vals {
			if v == x {
				return nil
			}
		}
		return fmt.Errorf("%q is not one of them", v)
	}
}
