package oncall

import (
	"context"
	"errors"

	"github.com/ascolto/ascolto/ari"
)

// ControllerPhone places the call-out's calls through the ARI controller
// (originate over the trunk, prompts, DTMF).
func ControllerPhone(c *ari.Controller) Phone { return controllerPhone{c} }

type controllerPhone struct{ c *ari.Controller }

func (p controllerPhone) Dial(ctx context.Context, r DialRequest) (Conversation, error) {
	out, err := p.c.Dial(ctx, ari.DialRequest{Number: r.Number, Purpose: r.Purpose, LinkedID: r.LinkedID, Timeout: r.Timeout})
	if err != nil {
		var de *ari.DialError
		if errors.As(err, &de) {
			o := Outcome(de.Reason)
			if de.Err != nil {
				// Asterisk refused the originate itself (500 Allocation
				// failed: the trunk is full or down): our side, not the
				// person's, so it does not use up their retries.
				o = OutcomeRefused
			}
			switch o {
			case OutcomeBusy, OutcomeNoAnswer, OutcomeUnreachable, OutcomeRefused:
			default:
				o = OutcomeError
			}
			return nil, &DialFailure{Outcome: o, Err: de.Err}
		}
		return nil, err
	}
	return outbound{out}, nil
}

type outbound struct{ o *ari.Outbound }

func (o outbound) Play(ctx context.Context, media ...string) error {
	return mapARI(o.o.Play(ctx, media...))
}

func (o outbound) Collect(ctx context.Context, c Collect) (string, error) {
	s, err := o.o.Collect(ctx, ari.CollectOptions{Max: c.Max, Terminator: c.Terminator, First: c.First, Between: c.Between})
	return s, mapARI(err)
}

func (o outbound) Hangup(ctx context.Context) error { return o.o.Hangup(ctx) }

func mapARI(err error) error {
	switch {
	case errors.Is(err, ari.ErrHungUp):
		return ErrHungUp
	case errors.Is(err, ari.ErrNoInput):
		return ErrNoInput
	}
	return err
}
