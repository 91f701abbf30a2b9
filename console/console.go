package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/web"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Config is the console's policy, from the service configuration.
type Config struct {
	// TOTPRequired makes a second factor mandatory for supervisors and
	// admins: without one enrolled they are led to enrol at sign-in.
	TOTPRequired bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-Proto and
	// X-Forwarded-For are believed (e.g. 127.0.0.1/32).
	TrustedProxies []netip.Prefix
	// SecureCookies is "auto" (Secure when the request came over TLS,
	// directly or through a trusted proxy), "always" or "never".
	SecureCookies string
	// IdleTimeout ends a session with no activity for that long.
	IdleTimeout time.Duration
	// SessionMax ends a session that long after sign-in, active or not.
	SessionMax time.Duration
	// LoginWindow, MaxFailuresPerUser and MaxFailuresPerAddr throttle
	// sign-in: past that many failures within the window, a username or a
	// client address must wait until the oldest failure leaves the window.
	LoginWindow        time.Duration
	MaxFailuresPerUser int
	MaxFailuresPerAddr int
	// HashConcurrency bounds how many password hashes (argon2id, 19 MiB
	// each) run at once (default: runtime.GOMAXPROCS); a request finding
	// them all taken waits up to HashWait (default 2 s), then is answered
	// 429 with Retry-After.
	HashConcurrency int
	HashWait        time.Duration
	// Issuer names the service in authenticator apps.
	Issuer string
	// Softphone configures the WebRTC softphone inside the agent desk.
	// With no WSS URL the desk shows only the phone state Asterisk reports.
	Softphone Softphone
}

// Softphone is how the desk's WebRTC softphone reaches Asterisk: the WSS
// address of Asterisk's HTTP server (http.conf, e.g.
// wss://pbx.example.it:8089/ws) and the SIP domain of the agents'
// endpoints (default: the WSS host). The user is the agent's extension;
// the SIP password is typed by the agent once per browser session and
// never reaches the console's server.
type Softphone struct {
	WSSURL string
	Domain string
}

// DefaultConfig is the policy when the configuration says nothing.
func DefaultConfig() Config {
	return Config{
		SecureCookies:      "auto",
		IdleTimeout:        2 * time.Hour,
		SessionMax:         12 * time.Hour,
		LoginWindow:        15 * time.Minute,
		MaxFailuresPerUser: 5,
		MaxFailuresPerAddr: 30,
		HashConcurrency:    runtime.GOMAXPROCS(0),
		HashWait:           2 * time.Second,
		Issuer:             "ascolto",
	}
}

func (c *Config) fill() error {
	d := DefaultConfig()
	if c.SecureCookies == "" {
		c.SecureCookies = d.SecureCookies
	}
	switch c.SecureCookies {
	case "auto", "always", "never":
	default:
		return fmt.Errorf("console: secure cookies %q (allowed: auto, always, never)", c.SecureCookies)
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.SessionMax <= 0 {
		c.SessionMax = d.SessionMax
	}
	if c.LoginWindow <= 0 {
		c.LoginWindow = d.LoginWindow
	}
	if c.MaxFailuresPerUser <= 0 {
		c.MaxFailuresPerUser = d.MaxFailuresPerUser
	}
	if c.MaxFailuresPerAddr <= 0 {
		c.MaxFailuresPerAddr = d.MaxFailuresPerAddr
	}
	if c.HashConcurrency <= 0 {
		c.HashConcurrency = d.HashConcurrency
	}
	if c.HashWait <= 0 {
		c.HashWait = d.HashWait
	}
	if c.Issuer == "" {
		c.Issuer = d.Issuer
	}
	return c.Softphone.fill()
}

// Options builds a Console.
type Options struct {
	Store   *store.DB
	Backend Backend // nil: Unwired
	// Mailer answers citizens by email from the case view; nil disables
	// replies (the page says so).
	Mailer Mailer
	Clock  clock.Clock
	Log    *zap.Logger
	// Registry receives the hub's metrics; nil registers nothing.
	Registry prometheus.Registerer
	Config   Config
	// Extensions holds templates (*.html) parsed after the console's own,
	// so a {{define "call-panel"}} or {{define "wallboard"}} in them
	// replaces the placeholder of that name on the desk or the wallboard.
	Extensions fs.FS
	// OnLogin is told of every completed sign-in (username, email): the
	// on-call activation marks confirmed operators as arrived. May be nil.
	OnLogin func(username, email string)
	// SendBuffer is how many messages a WebSocket client may have queued
	// before it is told to resynchronise (default 256).
	SendBuffer int
}

// Console is the web console: sign-in, sessions, the pages of each role,
// the knowledge base, and the WebSocket hub that pushes live state.
type Console struct {
	db      *store.DB
	backend Backend
	clock   clock.Clock
	log     *zap.Logger
	cfg     Config
	policy  *policy
	pages   map[string]*template.Template
	cat     catalog
	hub     *Hub
	kb      *kbIndex
	msgs    map[string]MessageFunc
	onLogin func(username, email string)
	mailer  Mailer
	desk    *deskCalls
	places  placeIndex
	history historyCache
	wall    wallCache
	gate    *hashGate

	mu  sync.RWMutex
	sig *signer // nil until Bootstrap has the key
}

// errNotReady means the database has not come up yet.
var errNotReady = errors.New("console: not ready (the database has not answered yet)")

// New builds the console. It touches no database: Bootstrap does that once
// the store is up, and until then pages answer 503.
func New(o Options) (*Console, error) {
	if o.Store == nil {
		return nil, errors.New("console: a store is required")
	}
	if o.Backend == nil {
		o.Backend = Unwired{}
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if err := o.Config.fill(); err != nil {
		return nil, err
	}
	c := &Console{db: o.Store, backend: o.Backend, clock: o.Clock, log: o.Log, cfg: o.Config, policy: newPolicy(), onLogin: o.OnLogin,
		cat: newCatalog(), mailer: o.Mailer}
	var err error
	if c.pages, err = parsePages(o.Extensions); err != nil {
		return nil, err
	}
	c.hub = newHub(hubOptions{buffer: o.SendBuffer, clock: o.Clock, log: o.Log.Named("hub"), registry: o.Registry})
	c.kb = newKBIndex()
	c.msgs = c.builtinMessages()
	c.desk = newDeskCalls(c.hub, c.clock)
	c.gate = newHashGate(c.cfg.HashConcurrency, c.cfg.HashWait)
	if o.Registry != nil {
		o.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "ascolto_console_hash_busy_total",
			Help: "Sign-ins and password changes refused with 429 because every password-hashing slot stayed taken."},
			func() float64 { return float64(c.gate.busy.Load()) }))
	}
	return c, nil
}

// Mux is where the console mounts its handlers (*web.Server and
// *http.ServeMux are ones).
type Mux interface {
	Handle(pattern string, h http.Handler)
	// Handler returns the handler and pattern r would reach, as
	// http.ServeMux's does: the console asks it which methods a path
	// takes, to answer a wrong one with 405.
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// Hub returns the WebSocket hub, for publishing live state.
func (c *Console) Hub() *Hub { return c.hub }

func (c *Console) signer() *signer {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.sig
}

// Bootstrap readies what needs the database: the signing key, the starter
// set of the knowledge base (into an empty one) and the search index. It
// logs a hint when no admin exists yet. Call it once the store is migrated;
// calling it again is harmless.
func (c *Console) Bootstrap(ctx context.Context) error {
	key, err := c.db.ConsoleKey(ctx, "csrf", func() string { return randomToken(32) })
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.sig = &signer{key: []byte(key), maxAge: c.cfg.SessionMax}
	c.mu.Unlock()
	seed, err := starterSet()
	if err != nil {
		return err
	}
	if n, err := c.db.SeedKB(ctx, seed, "system"); err != nil {
		return err
	} else if n > 0 {
		c.log.Info("knowledge base starter set loaded", zap.Int("articles", n))
	}
	if err := c.refreshKB(ctx, true); err != nil {
		return err
	}
	admins, err := c.db.CountActiveAdmins(ctx)
	if err != nil {
		return err
	}
	if admins == 0 {
		c.log.Warn("no console admin exists yet: create the first one with `ascolto user add NAME --role admin` " +
			"(nessun amministratore: crealo con `ascolto user add NOME --role admin`)")
	}
	return nil
}

// Run does the console's housekeeping until ctx ends: it expires idle
// sessions (closing their WebSockets), purges spent nonces and old login
// failures, and rebuilds the search index when another instance changed
// the knowledge base; and keeps the wall display's thresholds and the
// agents' figures of the day fresh.
func (c *Console) Run(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	wallDone := make(chan struct{})
	go func() { defer close(wallDone); c.runWall(ctx) }()
	defer func() { <-wallDone }()
	for {
		select {
		case <-ctx.Done():
			c.hub.closeAll()
			return
		case <-t.C:
		}
		if c.signer() == nil {
			continue
		}
		now := c.clock.Now()
		if _, err := c.db.PurgeSessions(ctx, now.Add(-c.cfg.IdleTimeout), now.Add(-c.cfg.LoginWindow)); err != nil && ctx.Err() == nil {
			c.log.Warn("purge sessions", zap.Error(err))
		}
		c.hub.expire(ctx, c.sessionAlive)
		if err := c.refreshKB(ctx, false); err != nil && ctx.Err() == nil {
			c.log.Warn("refresh knowledge base index", zap.Error(err))
		}
	}
}

// PublishAgent announces an agent's new state to supervisors and to the
// agent's own tabs (username may be empty when the seat has no user).
func (c *Console) PublishAgent(v AgentView) {
	c.hub.Publish(TopicAgents, "agent.state", v.ID, v)
	if v.Username != "" {
		c.hub.Publish(UserTopic(v.Username), "agent.self", "", v)
		c.desk.agentChanged(v)
	}
}

// PublishSupervisions announces the running supervisions, all of them, to
// every wallboard: a supervision that ended is one missing from the list.
// The list is kept by the hub, so a wallboard opened later gets it at once.
func (c *Console) PublishSupervisions(list []SupervisionView) {
	if list == nil {
		list = []SupervisionView{}
	}
	c.hub.Publish(TopicAgents, "supervisions", "", list)
}

// PublishSnapshot announces the live queue picture.
func (c *Console) PublishSnapshot(s Snapshot) {
	queues := struct {
		At        time.Time   `json:"at"`
		Mode      string      `json:"mode,omitempty"`
		Emergency bool        `json:"emergency"`
		Queues    []QueueView `json:"queues"`
		Sites     []QueueView `json:"sites"`
	}{s.At, s.Mode, s.Emergency, s.Queues, SiteTotals(s)}
	c.hub.Publish(TopicQueues, "queues.snapshot", "", queues)
	c.publishWall(s)
}

// ModeView is the operating mode as the console shows it.
type ModeView struct {
	Mode   string    `json:"mode"` // ordinary, emergency, closed
	Reason string    `json:"reason,omitempty"`
	SetBy  string    `json:"set_by,omitempty"`
	SetAt  time.Time `json:"set_at"`
}

// PublishMode announces an operating-mode change to everyone.
func (c *Console) PublishMode(m ModeView) { c.hub.Publish(TopicMode, "mode", "", m) }

// Offer sends a personal message to one user's tabs: the lead's screen pop
// ("call.offered"), wrap-up reminders and the like. It is not retained.
func (c *Console) Offer(username, typ string, payload any) {
	c.hub.Send(UserTopic(username), typ, payload)
	if typ == "call.offered" {
		c.desk.offered(username, payload)
	}
}

// ParseConfig builds a Config from the service's string settings, so the
// command line can offer them as flags, ASCOLTO_* variables or YAML keys:
// totpRequired "true"/"false"; proxies a comma-separated list of
// addresses or CIDR prefixes; secure "auto", "always" or "never"; idle
// and max Go durations ("2h", "12h"). Empty strings keep the defaults.
func ParseConfig(totpRequired, proxies, secure, idle, max string) (Config, error) {
	cfg := DefaultConfig()
	switch totpRequired {
	case "", "false":
	case "true":
		cfg.TOTPRequired = true
	default:
		return cfg, fmt.Errorf("console: totp required %q (allowed: true, false)", totpRequired)
	}
	pfx, err := web.ParseProxies(proxies)
	if err != nil {
		return cfg, fmt.Errorf("console: %w", err)
	}
	cfg.TrustedProxies = pfx
	if secure != "" {
		cfg.SecureCookies = secure
	}
	for _, d := range []struct {
		name, v string
		to      *time.Duration
	}{{"idle timeout", idle, &cfg.IdleTimeout}, {"session max", max, &cfg.SessionMax}} {
		if d.v == "" {
			continue
		}
		v, err := time.ParseDuration(d.v)
		if err != nil || v < time.Minute {
			return cfg, fmt.Errorf("console: %s %q is not a duration of at least 1m (e.g. 2h)", d.name, d.v)
		}
		*d.to = v
	}
	if cfg.IdleTimeout > cfg.SessionMax {
		return cfg, fmt.Errorf("console: idle timeout %s is longer than the session maximum %s", cfg.IdleTimeout, cfg.SessionMax)
	}
	return cfg, cfg.fill()
}
