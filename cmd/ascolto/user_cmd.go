package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/ascolto/ascolto/console"
	"github.com/ascolto/ascolto/store"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// userCmd manages console users from the command line: the first admin of
// a fresh installation is created here. Passwords are read from the
// terminal without echo, or from standard input with --password-stdin,
// never from a flag that would land in the shell history.
func (a *app) userCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "user",
		Short: "Utenti della console: add, list, passwd, disable, enable, role, totp / console users",
		Long: `Gestisce gli utenti della console (ruoli: agent, supervisor, opsroom, admin). Il primo
amministratore di una nuova installazione si crea così:
  ascolto user add capo --role admin --name "Anna Rossi"
La password si digita due volte senza eco, oppure arriva da stdin con --password-stdin
(es. da un gestore di segreti); non si passa mai come argomento.

Manages console users. The first admin of a fresh installation is created this way. The
password is typed twice without echo, or read from stdin with --password-stdin.`,
	}
	var role, name, email, lang string
	var fromStdin, withTOTP bool
	add := &cobra.Command{
		Use:   "add USERNAME --role agent|supervisor|opsroom|admin",
		Short: "Crea un utente / add a user",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			username := strings.ToLower(strings.TrimSpace(args[0]))
			if !store.ValidRole(role) {
				return fmt.Errorf(a.t("--role %q non valido: usa agent, supervisor, opsroom o admin", "--role %q is not valid: use agent, supervisor, opsroom or admin"), role)
			}
			if lang != "it" && lang != "en" {
				return fmt.Errorf(a.t("--lang %q non valido: usa it o en", "--lang %q is not valid: use it or en"), lang)
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				if err := a.checkUsername(username); err != nil {
					return err
				}
				pw, err := a.readNewPassword(username, fromStdin)
				if err != nil {
					return err
				}
				hash, err := console.HashPassword(pw)
				if err != nil {
					return err
				}
				u := store.User{Username: username, DisplayName: name, Email: email, Role: role, Lang: lang, PasswordHash: hash}
				if err := db.CreateUser(ctx, &u, a.actor()); err != nil {
					if errors.Is(err, store.ErrConflict) {
						return fmt.Errorf(a.t("l'utente %s esiste già", "user %s already exists"), username)
					}
					return err
				}
				fmt.Fprintf(a.stdout, a.t("Utente %s creato con ruolo %s.\n", "User %s created with role %s.\n"), username, role)
				if withTOTP {
					if err := a.enrolTOTP(ctx, db, username); err != nil {
						return err
					}
				}
				return a.adminHint(ctx, db)
			})
		},
	}
	add.Flags().StringVar(&role, "role", "", "ruolo / role: agent, supervisor, opsroom, admin (obbligatorio / required)")
	add.Flags().StringVar(&name, "name", "", "nome e cognome / full name")
	add.Flags().StringVar(&email, "email", "", "email")
	add.Flags().StringVar(&lang, "lang", "it", "lingua della console / console language: it, en")
	add.Flags().BoolVar(&fromStdin, "password-stdin", false, "leggi la password dalla prima riga di stdin / read the password from stdin")
	add.Flags().BoolVar(&withTOTP, "totp", false, "attiva subito il secondo fattore e stampa la chiave / enrol a TOTP second factor now")

	list := &cobra.Command{
		Use:   "list",
		Short: "Elenca gli utenti / list users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				us, err := db.Users(ctx)
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, a.t("UTENTE\tRUOLO\tNOME\tLINGUA\t2FA\tSTATO", "USER\tROLE\tNAME\tLANG\t2FA\tSTATE"))
				for _, u := range us {
					state := a.t("attivo", "active")
					if u.Disabled {
						state = a.t("disabilitato", "disabled")
					}
					twofa := "-"
					if u.TOTPSecret != "" {
						twofa = "totp"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, u.Role, u.DisplayName, u.Lang, twofa, state)
				}
				tw.Flush()
				return a.adminHint(ctx, db)
			})
		},
	}

	var passwdStdin bool
	passwd := &cobra.Command{
		Use:   "passwd USERNAME",
		Short: "Imposta una nuova password (chiude le sessioni dell'utente) / set a new password",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				if _, err := a.user(ctx, db, args[0]); err != nil {
					return err
				}
				pw, err := a.readNewPassword(args[0], passwdStdin)
				if err != nil {
					return err
				}
				hash, err := console.HashPassword(pw)
				if err != nil {
					return err
				}
				if err := db.SetPassword(ctx, args[0], hash, a.actor(), ""); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, a.t("Password di %s cambiata; le sue sessioni sono state chiuse.\n", "Password of %s changed; their sessions were closed.\n"), args[0])
				return nil
			})
		},
	}
	passwd.Flags().BoolVar(&passwdStdin, "password-stdin", false, "leggi la password dalla prima riga di stdin / read the password from stdin")

	toggle := func(use, short string, disabled bool) *cobra.Command {
		return &cobra.Command{
			Use:   use + " USERNAME",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
					if err := db.SetUserDisabled(ctx, args[0], disabled, a.actor()); err != nil {
						return a.userError(args[0], err)
					}
					if disabled {
						fmt.Fprintf(a.stdout, a.t("Utente %s disabilitato; le sue sessioni sono state chiuse.\n", "User %s disabled; their sessions were closed.\n"), args[0])
					} else {
						fmt.Fprintf(a.stdout, a.t("Utente %s riabilitato.\n", "User %s enabled.\n"), args[0])
					}
					return nil
				})
			},
		}
	}
	disable := toggle("disable", "Disabilita un utente e chiude le sue sessioni / disable a user", true)
	enable := toggle("enable", "Riabilita un utente / enable a user", false)

	roleCmd := &cobra.Command{
		Use:   "role USERNAME agent|supervisor|opsroom|admin",
		Short: "Cambia il ruolo di un utente / change a user's role",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !store.ValidRole(args[1]) {
				return fmt.Errorf(a.t("ruolo %q non valido: usa agent, supervisor, opsroom o admin", "role %q is not valid: use agent, supervisor, opsroom or admin"), args[1])
			}
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				if err := db.SetUserRole(ctx, args[0], args[1], a.actor()); err != nil {
					return a.userError(args[0], err)
				}
				fmt.Fprintf(a.stdout, a.t("Ruolo di %s: %s.\n", "Role of %s: %s.\n"), args[0], args[1])
				return nil
			})
		},
	}

	var off bool
	totp := &cobra.Command{
		Use:   "totp USERNAME [--off]",
		Short: "Attiva (stampando la chiave) o disattiva il secondo fattore / enrol or remove the TOTP second factor",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd.Context(), func(ctx context.Context, db *store.DB) error {
				if _, err := a.user(ctx, db, args[0]); err != nil {
					return err
				}
				if off {
					if err := db.SetTOTP(ctx, args[0], "", a.actor()); err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, a.t("Secondo fattore di %s disattivato.\n", "Second factor of %s removed.\n"), args[0])
					return nil
				}
				return a.enrolTOTP(ctx, db, args[0])
			})
		},
	}
	totp.Flags().BoolVar(&off, "off", false, "disattiva il secondo fattore / remove the second factor")

	c.AddCommand(add, list, passwd, disable, enable, roleCmd, totp)
	return c
}

func (a *app) checkUsername(u string) error {
	ok := len(u) >= 2 && len(u) <= 64
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf(a.t("nome utente %q non valido: 2-64 caratteri tra lettere minuscole, cifre, '.', '-' e '_'",
			"username %q is not valid: 2-64 of lowercase letters, digits, '.', '-' and '_'"), u)
	}
	return nil
}

func (a *app) user(ctx context.Context, db *store.DB, name string) (store.User, error) {
	u, err := db.UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return u, fmt.Errorf(a.t("l'utente %s non esiste (vedi ascolto user list)", "user %s does not exist (see ascolto user list)"), name)
	}
	return u, err
}

// userError explains the store's refusals in the person's words.
func (a *app) userError(name string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf(a.t("l'utente %s non esiste (vedi ascolto user list)", "user %s does not exist (see ascolto user list)"), name)
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf(a.t("%s è l'ultimo amministratore attivo: crea prima un altro amministratore",
			"%s is the last active admin: create another admin first"), name)
	}
	return err
}

// adminHint tells, on stderr, that nobody can administer the console yet.
func (a *app) adminHint(ctx context.Context, db *store.DB) error {
	n, err := db.CountActiveAdmins(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(a.stderr, a.t("Attenzione: non esiste ancora un amministratore attivo. Crealo con: ascolto user add NOME --role admin",
			"Note: there is no active admin yet. Create one with: ascolto user add NAME --role admin"))
	}
	return nil
}

// enrolTOTP creates a TOTP secret and prints it for the authenticator app.
func (a *app) enrolTOTP(ctx context.Context, db *store.DB, username string) error {
	secret, err := console.NewTOTPSecret()
	if err != nil {
		return err
	}
	if err := db.SetTOTP(ctx, username, secret, a.actor()); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, a.t("Secondo fattore attivo per %s. Inserisci questa chiave nell'app di autenticazione:\n  %s\n  %s\n",
		"Second factor on for %s. Add this key to the authenticator app:\n  %s\n  %s\n"),
		username, secret, console.TOTPURI("ascolto", username, secret))
	return nil
}

// readNewPassword reads a new password: the first line of stdin with
// --password-stdin, or typed twice without echo on a terminal.
func (a *app) readNewPassword(username string, fromStdin bool) (string, error) {
	var pw string
	if fromStdin {
		line, err := bufio.NewReader(a.stdin).ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", errors.New(a.t("--password-stdin: nessuna password su stdin", "--password-stdin: no password on stdin"))
		}
		pw = strings.TrimRight(line, "\r\n")
	} else {
		f, ok := a.stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", errors.New(a.t("la password si digita in un terminale, oppure si passa su stdin con --password-stdin",
				"type the password in a terminal, or pass it on stdin with --password-stdin"))
		}
		read := func(prompt string) (string, error) {
			fmt.Fprint(a.stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(a.stderr)
			return string(b), err
		}
		var err error
		if pw, err = read(a.t("Password: ", "Password: ")); err != nil {
			return "", err
		}
		again, err := read(a.t("Ripeti la password: ", "Repeat the password: "))
		if err != nil {
			return "", err
		}
		if again != pw {
			return "", errors.New(a.t("le due password non coincidono", "the two passwords differ"))
		}
	}
	if err := console.CheckNewPassword(username, pw); err != nil {
		return "", errors.New(a.t(console.PasswordProblem(err, "it"), console.PasswordProblem(err, "en")))
	}
	return pw, nil
}
