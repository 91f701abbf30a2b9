package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/ascolto/ascolto/ari"
	"github.com/ascolto/ascolto/config"
	"github.com/ascolto/ascolto/console"
	"github.com/ascolto/ascolto/fax"
	"github.com/ascolto/ascolto/intake"
	"github.com/ascolto/ascolto/internal/procs"
	"github.com/ascolto/ascolto/live"
	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/oncall"
	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/web"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
)

func (a *app) serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Avvia il servizio / run the service",
		Long: `Avvia ascolto: server HTTP (/healthz, /readyz, /metrics e, con le prossime versioni, console e form),
database (migrato all'avvio) e controller ARI. Se il database non risponde, ascolto parte comunque e
riprova con attese crescenti; /readyz spiega cosa manca.

Starts ascolto. If the database does not answer, ascolto starts anyway and keeps retrying with
backoff; /readyz says what is missing and why.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.serve(cmd.Context(), serveHooks{})
		},
	}
}

// service is a running ascolto, for commands that run one and act on it
// (the demo).
type service struct {
	db    *store.DB
	state *live.State
	ctl   *ari.Controller
	desk  *ari.Desk
	cons  *console.Console
	// callout is the on-call activation (the demo opens one in its scenarios).
	callout *oncall.Service
	addr    string // where the HTTP server listens
	// dbReady is closed once the database answers and is migrated.
	dbReady <-chan struct{}
}

// serveHooks let a command that runs the service (the demo) act at its
// moments; nil hooks are skipped.
type serveHooks struct {
	// seed runs once the database is migrated, before the console checks
	// its users and the ACD reads its queues and agents.
	seed func(ctx context.Context, db *store.DB) error
	// started runs once everything is built and listening; the service
	// waits for it to return before it stops.
	started func(ctx context.Context, svc *service)
}

// serve runs the service until ctx ends. Every goroutine it starts ends
// before it logs "ascolto stopped", its last line.
func (a *app) serve(ctx context.Context, hooks serveHooks) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ascolto_build_info", Help: "Build of this ascolto.",
			ConstLabels: prometheus.Labels{"version": buildVersion(), "schema": fmt.Sprint(store.LatestVersion())}},
			func() float64 { return 1 }))
	ready := web.NewReadiness(a.clock.Now)
	db, err := a.openStore()
	if err != nil {
		return err
	}
	defer db.Close()
	dbUp := prometheus.NewGauge(prometheus.GaugeOpts{Name: "ascolto_database_up",
		Help: "1 when the database answers and its schema is current, 0 otherwise."})
	reg.MustRegister(dbUp)

	srv := web.NewServer(a.log.Named("http"), reg, ready)
	srv.SetMetricsToken(a.cfg.MetricsToken)
	ln, err := srv.Listen(a.cfg.HTTPAddr)
	if err != nil {
		return err
	}
	a.log.Info("ascolto listening", zap.String("addr", ln.Addr().String()), zap.String("database", db.String()),
		zap.String("version", buildVersion()))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if a.cfg.DebugAddr != "" {
		if err := a.serveProfiler(ctx, a.cfg.DebugAddr); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	run := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	// An early return stops what was started before it.
	defer func() { cancel(); wg.Wait() }()
	// Scheduler threads as the load needs them, so an idle controller's
	// spinning threads do not take Asterisk's cores (internal/procs).
	threads := prometheus.NewGauge(prometheus.GaugeOpts{Name: "ascolto_scheduler_threads",
		Help: "Go scheduler threads (GOMAXPROCS) the controller runs now: one while it uses less than a core."})
	threads.Set(float64(runtime.GOMAXPROCS(0)))
	reg.MustRegister(threads)
	run(func() {
		procs.Run(ctx, func(n int) {
			threads.Set(float64(n))
			a.log.Debug("scheduler threads", zap.Int("threads", n))
		})
	})
	dbReady := make(chan struct{})
	run(func() { a.superviseDatabase(ctx, db, ready, dbUp, dbReady) })
	// seeded is closed once the database is ready and the seed hook ran:
	// the console's and the ACD's first reads see what it wrote.
	seeded := make(chan struct{})
	run(func() {
		select {
		case <-dbReady:
		case <-ctx.Done():
			return
		}
		if hooks.seed != nil {
			if err := hooks.seed(ctx, db); err != nil {
				a.log.Error("seeding failed", zap.Error(err))
			}
		}
		close(seeded)
	})

	state, err := live.New(db, a.clock, a.log.Named("live"), "aq")
	if err != nil {
		return err
	}
	run(func() {
		// Until the schema is in place the built-in defaults apply.
		select {
		case <-dbReady:
			state.Run(ctx, time.Second)
		case <-ctx.Done():
		}
	})
	// Intake: faxes, mail in and out, the public form.
	faxes, err := fax.New(fax.Options{Store: db, Log: a.log.Named("fax"), Clock: a.clock, Registry: reg})
	if err != nil {
		return err
	}
	// Inbound mail waits on disk while it is stored: in the data dir, so
	// it is private to ascolto and never on a RAM-backed /tmp.
	spool := ""
	if a.cfg.DataDir != "" {
		spool = filepath.Join(a.cfg.DataDir, "spool")
		if err := os.MkdirAll(spool, 0o700); err != nil {
			return fmt.Errorf("mail spool: %w", err)
		}
	}
	mailer, err := mail.New(mail.Options{Store: db, Log: a.log.Named("mail"), Clock: a.clock, Registry: reg,
		From: a.cfg.MailFrom, SMTPAddr: a.cfg.SMTPAddr, Relay: a.cfg.SMTPRelay, IMAPURL: a.cfg.IMAPURL, SpoolDir: spool,
		Ready: func(part string, ok bool, detail string) {
			// A mail relay or mailbox that is down does not make the phone
			// service unready: it is logged, and mail waits in the outbox.
			if !ok {
				a.log.Warn("mail not ready", zap.String("part", part), zap.String("detail", detail))
			}
		}})
	if err != nil {
		return err
	}
	proxies, err := web.ParseProxies(a.cfg.ConsoleTrustedProxies) // the form counts citizens behind the same proxies
	if err != nil {
		return err
	}
	form, err := intake.New(intake.Options{Store: db, Mail: mailer.Service(), Log: a.log.Named("form"), Clock: a.clock, Registry: reg,
		TrustedProxies: proxies})
	if err != nil {
		return err
	}
	form.Mount(srv)

	ctl, err := a.controller(db, state, reg, ready, faxes)
	if err != nil {
		return err
	}
	// Connected is not ready: until the queues and agents are built (after
	// the first connection's reconciliation) no caller can be routed.
	ready.Set("acd", false, "queues not built yet: waiting for Asterisk and the database")
	run(func() {
		select {
		case <-ctl.ACDReady():
			ready.Set("acd", true, "queues and agents built")
		case <-ctx.Done():
		}
	})
	// The console, with the controller behind the agent desk and wallboard.
	consCfg, err := console.ParseConfig(a.cfg.ConsoleTOTPRequired, a.cfg.ConsoleTrustedProxies, a.cfg.ConsoleSecureCookies,
		a.cfg.ConsoleIdleTimeout, a.cfg.ConsoleSessionMax)
	if err != nil {
		return err
	}
	consCfg.Softphone = console.Softphone{WSSURL: a.cfg.SoftphoneWSS, Domain: a.cfg.SoftphoneDomain}

	// The on-call activation: phones the people on call through the
	// controller, with email and SMS as fallbacks.
	var cons *console.Console
	var sms oncall.SMS
	if a.cfg.SMSURL != "" {
		if sms, err = oncall.NewHTTPSMS(a.cfg.SMSURL); err != nil {
			return err
		}
	}
	maxCalls, _ := strconv.Atoi(a.cfg.CalloutMaxCalls)
	callout, err := oncall.New(oncall.Options{Store: db, Clock: a.clock, Log: a.log.Named("oncall"),
		Phone: oncall.ControllerPhone(ctl), Mail: mailer.Service(), SMS: sms, PublicURL: a.cfg.PublicURL,
		MaxCalls: maxCalls, Publish: func(b oncall.Board) {
			if cons != nil {
				cons.PublishActivation(b.ID, b)
			}
		}})
	if err != nil {
		return err
	}
	callout.Mount(srv) // the confirmation page: public, reached from the email or SMS link

	desk := ari.NewDesk(ctl, db)
	desk.OnAgentLogin(func(username string) {
		if err := callout.Arrived(context.Background(), username, "", "agent-login"); err != nil {
			a.log.Warn("on-call arrival not recorded", zap.String("user", username), zap.Error(err))
		}
	})
	cons, err = console.New(console.Options{Store: db, Backend: deskBackend{desk, oncall.ConsoleBoards{Service: callout}},
		Clock: a.clock, Log: a.log.Named("console"), Registry: reg, Config: consCfg, Mailer: mailer.Service(),
		OnLogin: func(username, email string) {
			if err := callout.Arrived(context.Background(), username, email, "console"); err != nil {
				a.log.Warn("on-call arrival not recorded", zap.String("user", username), zap.Error(err))
			}
		}})
	if err != nil {
		return err
	}
	desk.Attach(cons)
	cons.Mount(srv)

	// The operations room: rescue requests and situation reports from the
	// desk, acknowledgement and escalation, webhook, CAP; and the reports.
	opsCfg, err := opsroom.ParseConfig(a.cfg.OpsEscalateAfter, a.cfg.OpsRoomNumber, a.cfg.OpsRoomEmail, a.cfg.CoordinatorEmail,
		a.cfg.OpsWebhookURL, a.cfg.OpsWebhookSecret, a.cfg.OpsFeedToken, a.cfg.PublicURL)
	if err != nil {
		return err
	}
	ops, err := opsroom.New(opsroom.Options{Store: db, Clock: a.clock, Log: a.log.Named("opsroom"), Config: opsCfg,
		Publisher: cons, Phone: ari.OpsRoomPhone(ctl), Mail: mailer.Service(), Registry: reg})
	if err != nil {
		return err
	}
	reports := a.reports(db)
	rollup, err := reports.NewWorker(reg)
	if err != nil {
		return err
	}
	desk.OnDisposition(func(ctx context.Context, caseID int64, by string) (string, error) {
		v, forwarded, err := ops.Submit(ctx, caseID, by)
		if err != nil || !forwarded {
			return "", err
		}
		return v.Kind, nil
	})
	cons.MountOpsRoom(srv, ops, reports)

	ctlDone := make(chan error, 1)
	run(func() {
		// Calls are taken only once their records can be kept.
		select {
		case <-seeded:
		case <-ctx.Done():
			ctlDone <- nil
			return
		}
		ctlDone <- ctl.Run(ctx)
	})
	run(func() {
		select {
		case <-seeded:
		case <-ctx.Done():
			return
		}
		if err := cons.Bootstrap(ctx); err != nil {
			a.log.Error("console not started", zap.Error(err))
			return
		}
		cons.Run(ctx)
	})
	run(func() { desk.FollowMode(ctx, state) })
	if hooks.started != nil {
		svc := &service{db: db, state: state, ctl: ctl, desk: desk, cons: cons, callout: callout, addr: ln.Addr().String(), dbReady: seeded}
		run(func() { hooks.started(ctx, svc) })
	}
	// Mail and fax work from tables the migrations create.
	afterDB := func(f func()) {
		run(func() {
			select {
			case <-dbReady:
				f()
			case <-ctx.Done():
			}
		})
	}
	afterDB(func() {
		if err := mailer.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("mail stopped", zap.Error(err))
		}
	})
	afterDB(func() { faxes.Run(ctx) })
	afterDB(func() {
		if err := ops.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("operations-room feed stopped", zap.Error(err))
		}
	})
	afterDB(func() { rollup.Run(ctx) })
	afterDB(func() {
		if err := callout.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("on-call runner stopped", zap.Error(err))
		}
	})

	err = srv.Serve(ctx, ln, 15*time.Second)
	cancel()
	<-ctlDone
	wg.Wait()
	a.log.Info("ascolto stopped")
	return err
}

// deskBackend is the console's backend: the controller's desk for calls and
// agents, the on-call service for the activation board.
type deskBackend struct {
	*ari.Desk
	oncall.ConsoleBoards
}

// The roster page and the activation board find their backends by type
// assertion: a method lost to an ambiguous embedding must not compile.
var (
	_ console.RosterBackend     = deskBackend{}
	_ console.ActivationBackend = deskBackend{}
)

// controller builds the ARI controller from the configuration.
func (a *app) controller(db *store.DB, state *live.State, reg prometheus.Registerer, ready *web.Readiness, faxes ari.FaxSink) (*ari.Controller, error) {
	client, err := ari.NewClient(ari.ClientOptions{URL: a.cfg.ARIURL, User: a.cfg.ARIUser, Password: a.cfg.ARIPassword,
		App: a.cfg.ARIApp, Registry: reg})
	if err != nil {
		return nil, err
	}
	ready.Set("asterisk", false, "connecting to "+config.Redact(a.cfg.ARIURL))
	return ari.New(ari.Options{Client: client, Store: db, Live: state, Clock: a.clock, Log: a.log.Named("ari"),
		Registry: reg, Faxes: faxes, Ready: func(ok bool, detail string) { ready.Set("asterisk", ok, config.Redact(detail)) }})
}

// superviseDatabase brings the database up (ping, migrate, bootstrap) with
// backoff, then keeps watching it, so /readyz always tells the truth and a
// database that comes back later is picked up without a restart.
func (a *app) superviseDatabase(ctx context.Context, db *store.DB, ready *web.Readiness, up prometheus.Gauge, first chan<- struct{}) {
	const name = "database"
	ready.Set(name, false, "connecting to "+db.String())
	backoff := time.Second
	migrated := false
	for {
		err := a.checkDatabase(ctx, db, &migrated)
		if ctx.Err() != nil {
			return
		}
		wait := 5 * time.Second
		if err != nil {
			up.Set(0)
			ready.Set(name, false, config.Redact(err.Error())) // /readyz is public
			a.log.Warn("database not ready; retrying", zap.Error(err), zap.Duration("retry_in", backoff))
			wait = backoff
			backoff = min(backoff*2, 30*time.Second)
			var tooNew *store.SchemaTooNewError
			if errors.As(err, &tooNew) {
				wait = time.Minute // nothing will change until someone acts
			}
		} else {
			if backoff > time.Second {
				a.log.Info("database ready", zap.String("database", db.String()))
			}
			backoff = time.Second
			up.Set(1)
			ready.Set(name, true, db.String())
			if first != nil {
				close(first)
				first = nil
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (a *app) checkDatabase(ctx context.Context, db *store.DB, migrated *bool) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.Ping(cctx); err != nil {
		return err
	}
	if *migrated {
		return nil
	}
	if _, err := db.Migrate(cctx); err != nil {
		return err
	}
	if _, err := a.bootstrap(cctx, db); err != nil {
		return err
	}
	if on, id := db.Sealing(); on {
		n, err := db.SealSecrets(cctx)
		if err != nil {
			return err
		}
		if n > 0 {
			a.log.Info("TOTP secrets sealed at rest", zap.Int("users", n), zap.String("key", id))
		}
	} else {
		a.log.Warn("TOTP secrets are stored unsealed: set ASCOLTO_SEAL_KEY (openssl rand -hex 32), the same on every instance")
	}
	*migrated = true
	return nil
}
