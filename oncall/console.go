package oncall

import (
	"context"
	"errors"
	"fmt"

	"github.com/ascolto/ascolto/console"
	"github.com/ascolto/ascolto/store"
)

// ConsoleBoards is the console's ActivationBackend on this service: the
// board at /activation, and the coordinators' open and close buttons. The
// lead embeds it beside the desk in the console's Backend.
type ConsoleBoards struct{ Service *Service }

// ActivationBoard returns the board of an activation (0: the latest of the
// kind) with its alert in lang; store.ErrNotFound when there has never
// been one.
func (c ConsoleBoards) ActivationBoard(ctx context.Context, id int64, exercise bool, lang string) (console.ActivationBoard, error) {
	b, err := c.Service.Board(ctx, id, exercise)
	if err != nil {
		return console.ActivationBoard{}, err
	}
	return console.ActivationBoard{Board: b, ID: b.ID, Deadline: b.Deadline, Remaining: b.Remaining, Open: b.ClosedAt.IsZero(),
		Alert: AlertText(b.Alert, lang), Words: Words(lang)}, nil
}

// OpenActivation opens an activation from the console.
func (c ConsoleBoards) OpenActivation(ctx context.Context, by console.Actor, r console.ActivationRequest) (int64, error) {
	a, err := c.Service.Open(ctx, OpenRequest{Event: r.Event, RequestedBy: r.RequestedBy, Reason: r.Reason, By: by.Username,
		Quorum: r.Quorum, Exercise: r.Exercise})
	return a.ID, consoleErr(err)
}

// CloseActivation closes the open activation of a kind from the console.
func (c ConsoleBoards) CloseActivation(ctx context.Context, by console.Actor, exercise bool, reason string) error {
	_, err := c.Service.Close(ctx, CloseRequest{Exercise: exercise, By: by.Username, Reason: reason})
	return consoleErr(err)
}

// consoleErr maps the call-out's refusals to what the console shows.
func consoleErr(err error) error {
	switch {
	case errors.Is(err, ErrAlreadyOpen):
		return fmt.Errorf("%w: un'attivazione è già aperta / an activation is already open", console.ErrRefused)
	case errors.Is(err, ErrNotOpen):
		return fmt.Errorf("%w: nessuna attivazione aperta / no open activation", console.ErrRefused)
	case errors.Is(err, ErrNobody), errors.Is(err, ErrNoRoster):
		return fmt.Errorf("%w: %s", console.ErrRefused, err.Error())
	case errors.Is(err, store.ErrInvalid):
		return err
	}
	return err
}
