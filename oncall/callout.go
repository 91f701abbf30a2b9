package oncall

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Phone places the call-out's calls. The ARI controller is one
// (ControllerPhone); the interface holds only what the conversation needs.
type Phone interface {
	// Dial calls a number and returns once it is answered, or a
	// *DialFailure saying why it was not.
	Dial(ctx context.Context, r DialRequest) (Conversation, error)
}

// DialRequest is one outgoing call.
type DialRequest struct {
	Number   string        // E.164
	Purpose  string        // "callout" or "callout-drill": the call record's outcome
	LinkedID string        // "activation-ID"
	Timeout  time.Duration // how long it rings
}

// Conversation is an answered call.
type Conversation interface {
	// Play plays prompts (sound:ascolto/NAME) in order; ErrHungUp if the
	// person hung up.
	Play(ctx context.Context, media ...string) error
	// Collect reads digits: ErrNoInput when none came in time, ErrHungUp.
	Collect(ctx context.Context, c Collect) (string, error)
	// Hangup ends the call.
	Hangup(ctx context.Context) error
}

// Collect says how digits are read.
type Collect struct {
	Max        int
	Terminator byte
	First      time.Duration
	Between    time.Duration
}

// Conversation errors.
var (
	ErrNoInput = errors.New("oncall: no digits")
	ErrHungUp  = errors.New("oncall: the person hung up")
)

// DialFailure is a call that was not answered.
type DialFailure struct {
	Outcome Outcome // busy, no-answer, unreachable, refused
	Err     error
}

func (e *DialFailure) Error() string {
	if e.Err != nil {
		return "oncall: call not answered (" + string(e.Outcome) + "): " + e.Err.Error()
	}
	return "oncall: call not answered (" + string(e.Outcome) + ")"
}

func (e *DialFailure) Unwrap() error { return e.Err }

// The prompts of the call-out (ivr/prompts.yaml).
const (
	PromptActivation = "sound:ascolto/callout-attivazione"
	PromptExercise   = "sound:ascolto/callout-esercitazione"
	PromptMinutes    = "sound:ascolto/callout-minuti"
	PromptConfirmed  = "sound:ascolto/callout-confermato"
	PromptDeclined   = "sound:ascolto/callout-rifiuto"
	PromptBadChoice  = "sound:ascolto/scelta-non-valida"
	PromptNoChoice   = "sound:ascolto/nessuna-scelta"
)

// callHooks record what the person said the moment they say it, so a
// confirmation survives a hang-up (or a crash) before the end of the call.
type callHooks struct {
	confirmed func(eta int) // -1: no minutes (yet)
	eta       func(eta int)
	declined  func()
}

// converse runs one call-out call: the message (preceded by ESERCITAZIONE
// in a drill), 1 = coming then the minutes to arrival and #, 2 = not
// available. A wrong key or silence gets the message once more.
func converse(ctx context.Context, ph Phone, r DialRequest, exercise bool, h callHooks) (Outcome, string) {
	c, err := ph.Dial(ctx, r)
	if err != nil {
		// Closed meanwhile: an originate cut off by the close is no
		// refusal of our trunk, whatever the phone made of it.
		if ctx.Err() != nil {
			return OutcomeInterrupted, ""
		}
		var df *DialFailure
		if errors.As(err, &df) {
			return df.Outcome, errText(df.Err)
		}
		return OutcomeError, err.Error()
	}
	defer c.Hangup(context.WithoutCancel(ctx))
	message := []string{PromptActivation}
	if exercise {
		message = []string{PromptExercise, PromptActivation}
	}
	for try := 0; try < 2; try++ {
		if err := c.Play(ctx, message...); err != nil {
			return failed(ctx, err)
		}
		key, err := c.Collect(ctx, Collect{Max: 1, First: 10 * time.Second})
		switch {
		case errors.Is(err, ErrNoInput):
			if try == 0 {
				if err := c.Play(ctx, PromptNoChoice); err != nil {
					return failed(ctx, err)
				}
			}
			continue
		case err != nil:
			return failed(ctx, err)
		}
		switch key {
		case "1":
			h.confirmed(-1)
			eta := askMinutes(ctx, c)
			if eta >= 0 {
				h.eta(eta)
			}
			c.Play(ctx, PromptConfirmed)
			return OutcomeConfirmed, etaText(eta)
		case "2":
			h.declined()
			c.Play(ctx, PromptDeclined)
			return OutcomeDeclined, ""
		default:
			if err := c.Play(ctx, PromptBadChoice); err != nil {
				return failed(ctx, err)
			}
		}
	}
	return OutcomeNoInput, ""
}

// askMinutes reads the minutes to arrival (digits then #), asking twice;
// -1 when none came.
func askMinutes(ctx context.Context, c Conversation) int {
	for try := 0; try < 2; try++ {
		if err := c.Play(ctx, PromptMinutes); err != nil {
			return -1
		}
		s, err := c.Collect(ctx, Collect{Terminator: '#', Max: 4, First: 15 * time.Second, Between: 5 * time.Second})
		if err != nil && !errors.Is(err, ErrNoInput) {
			if n, ok := minutes(s); ok { // digits before a hang-up still count
				return n
			}
			return -1
		}
		if n, ok := minutes(s); ok {
			return n
		}
	}
	return -1
}

func minutes(s string) (int, bool) {
	s = strings.TrimSpace(s)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 600 {
		return 0, false
	}
	return n, true
}

func etaText(eta int) string {
	if eta < 0 {
		return "eta=?"
	}
	return "eta=" + strconv.Itoa(eta)
}

func failed(ctx context.Context, err error) (Outcome, string) {
	switch {
	case errors.Is(err, ErrHungUp):
		return OutcomeHungUp, ""
	case ctx.Err() != nil:
		return OutcomeInterrupted, ""
	}
	return OutcomeError, err.Error()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
