package oncall

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

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

// Roster returns the roster in force and who is on call at t, for the
// console's roster page; store.ErrNotFound when none was ever imported.
func (c ConsoleBoards) Roster(ctx context.Context, at time.Time) (console.RosterView, error) {
	r, rec, err := c.Service.Roster(ctx)
	if errors.Is(err, ErrNoRoster) {
		return console.RosterView{}, fmt.Errorf("%w: %w", store.ErrNotFound, err)
	}
	if err != nil {
		return console.RosterView{}, err
	}
	v := console.RosterView{Version: rec.Version, CreatedBy: rec.CreatedBy, CreatedAt: rec.CreatedAt, People: len(r.People),
		Quorum: r.Quorum, Target: r.Policy.Target.String(), YAML: string(r.YAML())}
	for _, w := range r.Plan(at) {
		cw := console.RosterWave{Name: w.Name, Wait: w.Wait.String()}
		for _, p := range w.People {
			cw.People = append(cw.People, p.Name+" "+p.Phone)
		}
		v.Waves = append(v.Waves, cw)
	}
	return v, nil
}

// ImportRoster checks and stores a roster edited in the console, as
// `ascolto oncall roster import` does (audited by the store with by as
// actor); a refused roster wraps store.ErrInvalid with every problem.
func (c ConsoleBoards) ImportRoster(ctx context.Context, by console.Actor, yaml []byte, comment string) (int64, error) {
	_, rec, err := c.Service.ImportRoster(ctx, yaml, by.Username, comment)
	if errors.Is(err, ErrBadRoster) {
		return 0, fmt.Errorf("%w: %s", store.ErrInvalid, strings.TrimPrefix(err.Error(), ErrBadRoster.Error()+": "))
	}
	return rec.Version, err
}
