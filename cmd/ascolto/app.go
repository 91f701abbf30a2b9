package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/config"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// env is the process's outside world, passed in so tests can run the whole
// command line in-process.
type env struct {
	stdout, stderr io.Writer
	stdin          io.Reader
	getenv         func(string) string
	environ        func() []string
}

// app is what every command shares once the configuration is loaded.
type app struct {
	env
	loader *config.Loader
	cfg    config.Config
	log    *zap.Logger
	clock  clock.Clock
}

// t picks the Italian or the English text for a person-facing message.
func (a *app) t(it, en string) string {
	if a.cfg.Lang == "en" {
		return en
	}
	return it
}

func run(ctx context.Context, args []string, e env) int {
	a := &app{env: e, clock: clock.Real()}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(e.stderr, a.t("Errore: ", "Error: ")+config.Redact(err.Error()))
		var ee exitError
		if errors.As(err, &ee) {
			return int(ee)
		}
		return 1
	}
	return 0
}

// exitError carries a specific exit status out of a command.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "ascolto",
		Short: "Contact center di protezione civile su Asterisk / civil-protection contact center on Asterisk",
		Long: `ascolto gestisce il numero verde 800 840 840: IVR, code ACD, console degli operatori,
form web, email, fax e il collegamento con la Sala Operativa.

ascolto runs the 800 840 840 citizen line: IVR, ACD queues, the agents' console,
the web form, email, fax and the operations-room feed.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.load(cmd)
		},
	}
	a.loader = config.NewLoader(root.PersistentFlags(), a.getenv, a.environ)
	root.AddCommand(a.serveCmd(), a.migrateCmd(), a.configCmd(), a.geoCmd(), a.ivrCmd(), a.modeCmd(), a.versionCmd(), a.userCmd(), a.queueCmd(), a.agentCmd(), a.demoCmd(), a.emergencyCmd(), a.oncallCmd(), a.eventCmd(), a.reportCmd())
	return root
}

// load resolves the configuration and builds the logger; every command runs it first.
func (a *app) load(cmd *cobra.Command) error {
	cfg, err := a.loader.Load()
	if err != nil {
		return err
	}
	a.cfg = cfg
	a.log, err = newLogger(cfg.LogLevel, a.stderr)
	if err != nil {
		return err
	}
	for _, k := range a.loader.UnknownEnv() {
		a.log.Warn("unknown ASCOLTO_ environment variable ignored (typo?)", zap.String("name", k))
	}
	return nil
}

// newLogger logs human-readable lines on a terminal and JSON otherwise
// (systemd, containers, log shippers).
func newLogger(level string, w io.Writer) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	if isTerminal(w) {
		encCfg.EncodeLevel = zapcore.CapitalColorLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	} else {
		enc = zapcore.NewJSONEncoder(encCfg)
	}
	return zap.New(redactCore{zapcore.NewCore(enc, zapcore.AddSync(w), lvl)}), nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// openStore opens the configured database (it does not connect yet).
func (a *app) openStore() (*store.DB, error) {
	key, err := a.secretKey()
	if err != nil {
		return nil, err
	}
	return store.Open(store.Options{URL: a.cfg.DatabaseURL, DataDir: a.cfg.DataDir, Logger: a.log.Named("store"), Clock: a.clock,
		SecretKey: key})
}

// secretKey is the key that seals secrets at rest: --seal-key, or with
// the embedded database the data dir's secret.key (made on first use, next
// to the database it protects). On PostgreSQL without a key, none: every
// instance and every CLI run would otherwise make its own.
func (a *app) secretKey() ([]byte, error) {
	if a.cfg.SealKey != "" {
		key, err := store.ParseSecretKey(a.cfg.SealKey)
		if err != nil {
			return nil, fmt.Errorf("seal-key: %w", err)
		}
		return key, nil
	}
	if a.cfg.DatabaseURL == "" {
		return store.SecretKeyFile(a.cfg.DataDir)
	}
	return nil, nil
}

// actor names the person running a CLI command, for the audit log.
func (a *app) actor() string {
	u := a.getenv("USER")
	if u == "" {
		u = "unknown"
	}
	return "cli:" + strings.TrimSpace(u)
}
