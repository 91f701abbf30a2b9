// Package acdconf holds the rules for the ACD's stored configuration —
// queues, seats and their memberships — that every edge applies before it
// saves: the CLI (ascolto queue, ascolto agent) and the console's admin
// pages call the same functions, so a rule is written once and both say
// the same thing about it, in the person's language.
//
// It checks and saves through the store (which audits each change) and
// asks the running service to reload through the store's command table;
// it never talks to the running ACD any other way, and it knows nothing of
// HTTP or of flags: each edge names its own fields (Words.Field).
package acdconf

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ascolto/ascolto/acd"
	"github.com/ascolto/ascolto/store"
)

// Words is how an edge speaks: its language and what it calls each field
// ("--sl" on the command line, the form's label in the console).
type Words struct {
	Lang  string                    // "it" or "en"
	Field func(field string) string // nil: the field's own name
}

func (w Words) t(it, en string) string {
	if w.Lang == "en" {
		return en
	}
	return it
}

func (w Words) name(field string) string {
	if w.Field == nil {
		return field
	}
	return w.Field(field)
}

// Fields of a queue and of a seat, as FieldError names them.
const (
	FieldName             = "name"
	FieldSite             = "site"
	FieldStrategy         = "strategy"
	FieldRingTimeout      = "ring-timeout"
	FieldWrapup           = "wrapup"
	FieldMaxWait          = "max-wait"
	FieldMaxLen           = "max-len"
	FieldOverflow         = "overflow"
	FieldAnnounce         = "announce"
	FieldSL               = "sl"
	FieldCallbackAttempts = "callback-attempts"
	FieldCallbackInterval = "callback-interval"
	FieldExtension        = "extension"
	FieldEndpoint         = "endpoint"
	FieldPhone            = "phone"
	FieldUser             = "user"
	FieldQueues           = "queues"
	FieldPenalty          = "penalty"
	FieldLevel            = "level"
	FieldFile             = "file" // a whole import file
)

// FieldError is a refusal a person reads, tied to the field that caused
// it, so a form can show it next to that field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Msg }

func refuse(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// QueueNameRE is what a queue may be called.
var QueueNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// ExtensionRE is what a seat's extension may be.
var ExtensionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)

// Strategies are the ring strategies a queue may use, in the order people
// are offered them.
var Strategies = []acd.Strategy{acd.LongestIdle, acd.RoundRobin, acd.RingAll, acd.FewestCalls, acd.Random}

// PhoneKinds are the kinds of phone a seat may have.
var PhoneKinds = []string{"sip", "webrtc"}

// MaxCallbackAttempts bounds a queue's callback attempts.
const MaxCallbackAttempts = 20

// StrategyNames lists the strategies, comma-separated.
func StrategyNames() string {
	var s []string
	for _, st := range Strategies {
		s = append(s, string(st))
	}
	return strings.Join(s, ", ")
}

// NewQueue is a queue as created before any setting is given.
func NewQueue(name string) store.Queue {
	return store.Queue{Name: name, Site: "aq", Strategy: string(acd.LongestIdle), RingTimeoutS: 15, WrapupS: 30,
		AnnounceS: 60, SLPercent: 80, SLSeconds: 20, CallbackAttempts: 3, CallbackIntervalS: 120, MOHClass: "default"}
}

// NewSeat is a seat as created before any detail but its extension.
func NewSeat(ext string) store.Agent {
	return store.Agent{Extension: ext, Site: "aq", PhoneKind: "sip"}
}

// CheckQueueName refuses a name the queue cannot have.
func CheckQueueName(w Words, name string) error {
	if !QueueNameRE.MatchString(name) {
		return refuse(FieldName, w.t("nome di coda %q non valido: 1-40 caratteri tra lettere minuscole, cifre, '-' e '_', iniziando con una lettera o una cifra",
			"queue name %q is not valid: 1-40 of lowercase letters, digits, '-' and '_', starting with a letter or digit"), name)
	}
	return nil
}

// Seconds turns a duration into the whole seconds the store keeps (0 to 24h).
func Seconds(w Words, field string, d time.Duration) (int, error) {
	if d < 0 || d%time.Second != 0 || d > 24*time.Hour {
		return 0, refuse(field, w.t("%s %s non valido: usa secondi interi da 0 a 24h, es. 30s, 2m, 1m30s",
			"%s %s is not valid: use whole seconds from 0 to 24h, e.g. 30s, 2m, 1m30s"), w.name(field), d)
	}
	n := int(d / time.Second)
	if field == FieldRingTimeout && n == 0 {
		return 0, refuse(field, w.t("%s deve essere di almeno 1s", "%s must be at least 1s"), w.name(field))
	}
	return n, nil
}

// CheckStrategy refuses an unknown strategy.
func CheckStrategy(w Words, s string) error {
	if !slices.Contains(Strategies, acd.Strategy(s)) {
		return refuse(FieldStrategy, w.t("%s %q sconosciuta: usa %s", "unknown %s %q: use %s"), w.name(FieldStrategy), s, StrategyNames())
	}
	return nil
}

// CheckMaxLen refuses a negative maximum length.
func CheckMaxLen(w Words, n int) error {
	if n < 0 {
		return refuse(FieldMaxLen, w.t("%s %d non valido: usa 0 (nessun limite) o più", "%s %d is not valid: use 0 (no limit) or more"), w.name(FieldMaxLen), n)
	}
	return nil
}

// CheckCallbackAttempts refuses a number of callback attempts out of range.
func CheckCallbackAttempts(w Words, n int) error {
	if n < 0 || n > MaxCallbackAttempts {
		return refuse(FieldCallbackAttempts, w.t("%s %d non valido: usa da 0 a 20", "%s %d is not valid: use 0 to 20"), w.name(FieldCallbackAttempts), n)
	}
	return nil
}

// ParseTarget reads a service-level target such as 80/20: a whole
// percentage (1-100) of calls answered within a number of seconds.
func ParseTarget(w Words, field, s string) (pct, within int, err error) {
	p, sec, ok := strings.Cut(strings.TrimSpace(s), "/")
	sec = strings.TrimSuffix(sec, "s")
	bad := func(why string) error {
		return refuse(field, w.t("%s %q non valido: %s (es. 80/20 = 80%% delle chiamate entro 20 secondi)",
			"%s %q is not valid: %s (e.g. 80/20 = 80%% of calls within 20 seconds)"), w.name(field), s, why)
	}
	if !ok {
		return 0, 0, bad(w.t("usa PERCENTUALE/SECONDI", "use PERCENT/SECONDS"))
	}
	if pct, err = strconv.Atoi(p); err != nil || pct < 1 || pct > 100 {
		return 0, 0, bad(w.t("la percentuale deve essere un intero da 1 a 100", "the percentage must be a whole number from 1 to 100"))
	}
	if within, err = strconv.Atoi(sec); err != nil || within < 1 || within > 3600 {
		return 0, 0, bad(w.t("i secondi devono essere un intero da 1 a 3600", "the seconds must be a whole number from 1 to 3600"))
	}
	return pct, within, nil
}

// ParseOverflow reads where a queue's overflowing callers go: queue:NAME,
// record, callback, or none (stored as "").
func ParseOverflow(w Words, s string) (string, error) {
	switch s {
	case "none", "":
		return "", nil
	case "record", "callback":
		return s, nil
	}
	if name, ok := strings.CutPrefix(s, "queue:"); ok && QueueNameRE.MatchString(name) {
		return s, nil
	}
	return "", refuse(FieldOverflow, w.t("%s %q non valido: usa queue:NOME, record, callback o none", "%s %q is not valid: use queue:NAME, record, callback or none"),
		w.name(FieldOverflow), s)
}

// CheckQueue explains what the store and the ACD engine would refuse of a
// whole queue, so a refusal never reaches the running service.
func CheckQueue(ctx context.Context, w Words, db *store.DB, q store.Queue) error {
	if _, err := db.SiteByCode(ctx, q.Site); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return refuse(FieldSite, w.t("la sede %q non esiste", "site %q does not exist"), q.Site)
		}
		return err
	}
	if name, ok := strings.CutPrefix(q.Overflow, "queue:"); ok {
		if name == q.Name {
			return refuse(FieldOverflow, w.t("la coda %s non può traboccare in sé stessa", "queue %s cannot overflow into itself"), q.Name)
		}
		if _, err := db.QueueByName(ctx, name); errors.Is(err, store.ErrNotFound) {
			return refuse(FieldOverflow, w.t("%s queue:%s: la coda %s non esiste", "%s queue:%s: queue %s does not exist"), w.name(FieldOverflow), name, name)
		} else if err != nil {
			return err
		}
	}
	if (q.MaxWaitS > 0 || q.MaxLen > 0) && q.Overflow == "" {
		return refuse(FieldOverflow, w.t("la coda %s ha un'attesa o una lunghezza massima ma nessun trabocco: indica %s (queue:NOME, record o callback) oppure metti a 0 %s e %s",
			"queue %s has a maximum wait or length but no overflow: give %s (queue:NAME, record or callback) or set %s and %s to 0"),
			q.Name, w.name(FieldOverflow), w.name(FieldMaxWait), w.name(FieldMaxLen))
	}
	if q.Overflow == "callback" && q.CallbackAttempts == 0 {
		return refuse(FieldCallbackAttempts, w.t("la coda %s trabocca in richiamata ma %s è 0", "queue %s overflows to callback but %s is 0"),
			q.Name, w.name(FieldCallbackAttempts))
	}
	return nil
}

// CheckMember refuses a penalty or level out of range.
func CheckMember(w Words, m store.Member) error {
	if m.Penalty < 0 {
		return refuse(FieldPenalty, w.t("%s %d non valido: usa un numero da 0 in su", "%s %d is not valid: use 0 or more"), w.name(FieldPenalty), m.Penalty)
	}
	if m.Level < 0 || m.Level > acd.MaxLevel {
		return refuse(FieldLevel, w.t("%s %d non valido: usa un numero da 0 a %d", "%s %d is not valid: use 0 to %d"), w.name(FieldLevel), m.Level, acd.MaxLevel)
	}
	return nil
}
