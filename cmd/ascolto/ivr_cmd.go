package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/live"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
)

// withStore opens and migrates the store for a CLI command, which gets
// two minutes.
func (a *app) withStore(ctx context.Context, fn func(ctx context.Context, db *store.DB) error) error {
	db, err := a.migratedStore(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return fn(ctx, db)
}

// migratedStore opens the store and migrates it (within two minutes);
// with geo it also makes sure the ISTAT list is loaded.
func (a *app) migratedStore(ctx context.Context, geo bool) (*store.DB, error) {
	db, err := a.openStore()
	if err != nil {
		return nil, err
	}
	mctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	_, err = db.Migrate(mctx)
	if err == nil && geo {
		_, err = a.bootstrap(mctx, db)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// liveState reads the mode, active flow and calendar the service follows.
func (a *app) liveState(ctx context.Context, db *store.DB) (*live.State, error) {
	st, err := live.New(db, a.clock, a.log.Named("live"), "aq")
	if err != nil {
		return nil, err
	}
	if err := st.Refresh(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

// catalog is what a flow is validated against: the prompt catalog and the
// queues configured in the store.
func (a *app) catalog(ctx context.Context, db *store.DB) (ivr.Catalog, *ivr.Prompts, error) {
	prompts, err := ivr.DefaultPrompts()
	if err != nil {
		return nil, nil, err
	}
	queues, err := db.QueueNames(ctx)
	if err != nil {
		return nil, nil, err
	}
	return ivr.NewCatalog(prompts, queues), prompts, nil
}

// validateFile reports every problem of a flow file, one per line, as
// FILE:LINE:COLUMN: message. It returns the source and the loaded flow
// when the flow is valid.
func (a *app) validateFile(ctx context.Context, db *store.DB, path string) ([]byte, *ivr.Flow, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf(a.t("non riesco a leggere %s: %w", "cannot read %s: %w"), path, err)
	}
	cat, _, err := a.catalog(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	problems := ivr.Validate(src, cat)
	for _, p := range problems {
		fmt.Fprintf(a.stderr, "%s:%d:%d: %s\n", path, p.Line, p.Column, p.Message(a.cfg.Lang))
	}
	if len(problems) > 0 {
		return nil, nil, fmt.Errorf(a.t("%s non è valido: %d problemi", "%s is not valid: %d problems"), path, len(problems))
	}
	f, err := ivr.Load(src, cat)
	if err != nil {
		return nil, nil, err
	}
	return src, f, nil
}

func (a *app) ivrCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "ivr",
		Short: "Flussi IVR: verifica, prova, attiva, storico / IVR flows: validate, simulate, apply, history",
		Long: `I flussi IVR sono file YAML (vedi ivr/flows/README.md). Ogni modifica passa per:
  ascolto ivr validate FILE      controlla il file e segnala tutti i problemi, con riga e colonna
  ascolto ivr simulate --flow FILE --at 2026-12-25T10:00 --mode ordinary --digits 1,3
  ascolto ivr apply FILE         salva una nuova versione e la attiva per le nuove chiamate
  ascolto ivr rollback VERSIONE  riattiva una versione precedente

IVR flows are YAML files; validate, simulate, apply, roll back. Calls already in a flow finish on
the version they started on.`,
	}
	var comment string
	apply := &cobra.Command{
		Use:   "apply FILE",
		Short: "Salva e attiva una nuova versione / store and activate a new version",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				src, f, err := a.validateFile(ctx, db, args[0])
				if err != nil {
					return fmt.Errorf(a.t("%w; nessuna versione salvata", "%w; nothing applied"), err)
				}
				v := store.FlowVersion{Name: f.Name(), Source: string(src), Comment: comment}
				if err := db.SaveFlow(ctx, &v, true, a.actor()); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, a.t("Versione %d (%s) attiva: le nuove chiamate la seguono entro un secondo.\n",
					"Version %d (%s) active: new calls follow it within a second.\n"), v.Version, v.Name)
				return nil
			})
		},
	}
	apply.Flags().StringVar(&comment, "comment", "", "nota sulla modifica / note about the change")

	var flowFile, at, mode, digits, lang string
	simulate := &cobra.Command{
		Use:   "simulate",
		Short: "Prova un flusso senza telefonare / dry-run a flow",
		Long: `Mostra il percorso di un chiamante: nodi, messaggi ascoltati, etichette e dove finisce la chiamata.
--digits elenca i tasti premuti a ogni menu: "1,3"; "-" = nessun tasto (scade il tempo); "h" = riaggancia.
Senza --flow usa la versione attiva; senza --at l'ora attuale; senza --mode la modalità in vigore.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				st, err := a.liveState(ctx, db)
				if err != nil {
					return err
				}
				prompts := st.Prompts()
				f := st.Flow().Flow
				if flowFile != "" {
					if _, f, err = a.validateFile(ctx, db, flowFile); err != nil {
						return err
					}
				}
				when := a.clock.Now()
				if at != "" {
					loc := st.Calendar().Site().Location
					if when, err = ivr.ParseTime(at, loc); err != nil {
						return fmt.Errorf(a.t("--at %q: usa 2026-12-25T10:00", "--at %q: use 2026-12-25T10:00"), at)
					}
				}
				m := st.Mode().Mode
				if mode != "" {
					if m, err = ivr.ParseMode(mode); err != nil {
						return fmt.Errorf(a.t("--mode %q: usa ordinary, emergency o closed", "--mode %q: use ordinary, emergency or closed"), mode)
					}
				}
				inputs, err := ivr.ParseInputs(digits)
				if err != nil {
					return fmt.Errorf("--digits: %w", err)
				}
				tr, err := ivr.Simulate(f, prompts, ivr.SimInput{At: when, Mode: m, Calendar: st.Calendar(), Lang: lang, Inputs: inputs})
				if err != nil {
					return err
				}
				return tr.Report(a.stdout, a.cfg.Lang)
			})
		},
	}
	simulate.Flags().StringVar(&flowFile, "flow", "", "file del flusso (predefinito: la versione attiva) / flow file (default: the active version)")
	simulate.Flags().StringVar(&at, "at", "", "data e ora della chiamata, ora italiana, es. 2026-12-25T10:00 / call time")
	simulate.Flags().StringVar(&mode, "mode", "", "ordinary, emergency, closed (predefinito: quella in vigore)")
	simulate.Flags().StringVar(&digits, "digits", "", "tasti a ogni menu, es. 1,3 ('-' nessun tasto, 'h' riaggancia)")
	simulate.Flags().StringVar(&lang, "caller-lang", "it", "lingua iniziale del chiamante: it, en")

	c.AddCommand(
		&cobra.Command{
			Use:   "validate FILE",
			Short: "Controlla un flusso e segnala ogni problema / validate a flow, reporting every problem",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
					if _, _, err := a.validateFile(ctx, db, args[0]); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, a.t("%s è valido.\n", "%s is valid.\n"), args[0])
					return nil
				})
			},
		},
		apply,
		simulate,
		&cobra.Command{
			Use:   "list",
			Short: "Elenca le versioni / list the versions",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
					list, err := db.Flows(ctx)
					if err != nil {
						return err
					}
					if len(list) == 0 {
						fmt.Fprintln(a.stdout, a.t("Nessuna versione applicata: è attivo il flusso predefinito incluso nel programma (ivr/flows/800840840.yaml).",
							"No version applied: the built-in default flow is active (ivr/flows/800840840.yaml)."))
						return nil
					}
					tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
					fmt.Fprintln(tw, a.t("VERSIONE\tATTIVA\tNOME\tCREATA\tDA\tNOTA", "VERSION\tACTIVE\tNAME\tCREATED\tBY\tCOMMENT"))
					for _, f := range list {
						active := ""
						if f.Active {
							active = "*"
						}
						fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", f.Version, active, f.Name,
							f.CreatedAt.In(rome()).Format("2006-01-02 15:04"), f.CreatedBy, f.Comment)
					}
					return tw.Flush()
				})
			},
		},
		&cobra.Command{
			Use:   "show [VERSION]",
			Short: "Mostra una versione (predefinita: quella attiva) / print a version (default: the active one)",
			Args:  cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
					var v int64
					if len(args) == 1 {
						var err error
						if v, err = a.parseVersion(args[0]); err != nil {
							return err
						}
					}
					f, err := db.Flow(ctx, v)
					if errors.Is(err, store.ErrNotFound) && v == 0 {
						_, err = a.stdout.Write(ivr.DefaultFlowSource())
						return err
					}
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "# %s %d — %s, %s\n", a.t("versione", "version"), f.Version, f.CreatedBy,
						f.CreatedAt.In(rome()).Format("2006-01-02 15:04"))
					_, err = fmt.Fprint(a.stdout, f.Source)
					return err
				})
			},
		},
		&cobra.Command{
			Use:   "rollback VERSION",
			Short: "Riattiva una versione precedente / activate an earlier version",
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				v, err := a.parseVersion(args[0])
				if err != nil {
					return err
				}
				return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
					f, err := db.Flow(ctx, v)
					if err != nil {
						return err
					}
					// A version valid when applied may name a queue deleted since.
					cat, _, err := a.catalog(ctx, db)
					if err != nil {
						return err
					}
					if _, err := ivr.Load([]byte(f.Source), cat); err != nil {
						return fmt.Errorf(a.t("la versione %d non è più valida: %w", "version %d is no longer valid: %w"), v, err)
					}
					if err := db.ActivateFlow(ctx, v, a.actor()); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, a.t("Versione %d di nuovo attiva.\n", "Version %d active again.\n"), v)
					return nil
				})
			},
		},
		&cobra.Command{
			Use:   "diff A B",
			Short: "Differenze tra due versioni o file / differences between two versions or files",
			Args:  cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
					var srcs [2][]byte
					for i, arg := range args {
						src, err := a.flowSource(ctx, db, arg)
						if err != nil {
							return err
						}
						srcs[i] = src
					}
					d := ivr.Diff(args[0], srcs[0], args[1], srcs[1])
					if d == "" {
						fmt.Fprintln(a.stdout, a.t("Nessuna differenza.", "No differences."))
						return nil
					}
					_, err := fmt.Fprint(a.stdout, d)
					return err
				})
			},
		},
	)
	return c
}

// flowSource reads a flow by version number, "active", "default", or file path.
func (a *app) flowSource(ctx context.Context, db *store.DB, arg string) ([]byte, error) {
	switch arg {
	case "default":
		return ivr.DefaultFlowSource(), nil
	case "active":
		f, err := db.Flow(ctx, 0)
		if errors.Is(err, store.ErrNotFound) {
			return ivr.DefaultFlowSource(), nil
		}
		return []byte(f.Source), err
	}
	if v, err := strconv.ParseInt(arg, 10, 64); err == nil {
		f, err := db.Flow(ctx, v)
		if err != nil {
			return nil, err
		}
		return []byte(f.Source), nil
	}
	src, err := os.ReadFile(arg)
	if err != nil {
		return nil, fmt.Errorf(a.t("%q non è una versione né un file leggibile: %w", "%q is neither a version nor a readable file: %w"), arg, err)
	}
	return src, nil
}

func (a *app) parseVersion(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf(a.t("%q non è un numero di versione (vedi ascolto ivr list)", "%q is not a version number (see ascolto ivr list)"), s)
	}
	return v, nil
}

func rome() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		return time.UTC
	}
	return loc
}
