package ari

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/ascolto/ascolto/acd"
	"go.uber.org/zap"
)

// leg is an agent's phone being rung for a call, then talking in it. It
// owns its channel: it originates it, follows its events, and hangs it up
// when the ACD withdraws the offer or the caller leaves.
type leg struct {
	r         *router
	id        string // the channel id we chose for the originate
	callID    string
	agent     string
	endpoint  string
	callerID  string
	timeout   time.Duration
	mb        *mailbox
	connected atomic.Bool // bridged with the caller
	stopped   atomic.Bool // we hung it up (or are about to)
	answered  bool
	done      bool
	cause     time.Time // when the event that made the ACD ring happened
}

func newLeg(r *router, callID, agent, endpoint, callerID string, timeout time.Duration) *leg {
	id := "ascolto-leg-" + r.ctl.nonce + "-" + strconv.FormatInt(r.seq.Add(1), 10)
	return &leg{r: r, id: id, callID: callID, agent: agent, endpoint: endpoint, callerID: callerID, timeout: timeout, mb: newMailbox()}
}

func (l *leg) box() *mailbox { return l.mb }

func (l *leg) isConnected() bool { return l.connected.Load() }

func (l *leg) log() *zap.Logger {
	return l.r.log.With(zap.String("leg", l.id), zap.String("call", l.callID), zap.String("agent", l.agent))
}

// start registers the leg as its channel's owner and dials.
func (l *leg) start() {
	ctl := l.r.ctl
	ctl.own(l.id, l)
	ctl.wg.Add(1)
	go l.run(ctl.runCtx)
}

// stop hangs the leg up: the offer is withdrawn or the call is over.
func (l *leg) stop() {
	if l.stopped.Swap(true) {
		return
	}
	l.mb.put(msg{kind: msgFunc, fn: func() {}})
}

func (l *leg) run(ctx context.Context) {
	ctl := l.r.ctl
	defer ctl.wg.Done()
	defer ctl.forget(l.id, l)
	if !l.cause.IsZero() {
		ctl.m.ringDelay.Observe(ctl.o.Clock.Now().Sub(l.cause).Seconds())
	}
	_, err := ctl.o.Client.Originate(ctx, OriginateRequest{ChannelID: l.id, Endpoint: l.endpoint, CallerID: l.callerID,
		Timeout: l.timeout, AppArgs: "agent," + l.callID, Variables: map[string]string{"ASCOLTO_CALL": l.callID, "ASCOLTO_AGENT": l.agent}})
	if err != nil {
		if l.stopped.Load() {
			return
		}
		if StatusOf(err) == 0 {
			// No answer from Asterisk (EOF, timeout): it is busy, not the
			// phone. The request may still have gone through: the channel
			// has our id, so ask.
			if _, gerr := ctl.o.Client.Channel(ctx, l.id); gerr == nil {
				l.log().Info("agent's leg placed although the originate had no answer", zap.Error(err))
				l.events(ctx)
				return
			}
			l.log().Warn("agent's phone not rung: Asterisk did not answer the request", zap.String("endpoint", l.endpoint), zap.Error(err))
			ctl.m.errors.WithLabelValues("originate").Inc()
			l.r.legFailed(l, acd.NotPlaced)
			return
		}
		// Asterisk refused: no contact for the endpoint ("Allocation
		// failed"), or an endpoint it does not know.
		l.log().Warn("agent's phone could not be rung", zap.String("endpoint", l.endpoint), zap.Error(err))
		l.r.legFailed(l, acd.Unreachable)
		return
	}
	l.events(ctx)
}

// loop is run for an adopted leg (the defers of run, without the originate).
func (l *leg) loop(ctx context.Context) {
	defer l.r.ctl.wg.Done()
	defer l.r.ctl.forget(l.id, l)
	l.events(ctx)
}

// events follows the leg's channel until it ends or is stopped.
func (l *leg) events(ctx context.Context) {
	ctl := l.r.ctl
	for !l.done {
		select {
		case <-ctx.Done():
			return // controller stopping: the channel lives on
		case <-l.mb.signal:
		}
		for _, m := range l.mb.drain() {
			if l.done {
				break
			}
			l.handle(ctx, m)
		}
		if l.stopped.Load() && !l.done {
			if err := ctl.o.Client.Hangup(ctx, l.id, "normal"); err != nil && !IsGone(err) {
				l.log().Warn("agent's leg not hung up", zap.Error(err))
			}
			l.done = true
		}
	}
}

func (l *leg) handle(ctx context.Context, m msg) {
	switch m.kind {
	case msgFunc:
		m.fn()
	case msgGone:
		if m.lost {
			l.lostToSwitch()
			return
		}
		l.ended(0)
	case msgEvent:
		switch e := m.ev.Event.(type) {
		case *ari.StasisStart:
			if !l.answered {
				l.answered = true
				if !l.stopped.Load() {
					l.r.legAnswered(l)
				}
			}
		case *ari.ChannelDestroyed:
			l.ended(e.Cause)
		case *ari.ChannelHangupRequest:
			if e.Soft && e.Cause == softHangupShutdown {
				l.lostToSwitch() // ringing or answered
			} else if l.answered {
				l.ended(e.Cause)
			}
		case *ari.StasisEnd:
			if l.answered {
				l.ended(0)
			}
		}
	}
}

// ended reports the leg's end: a failed ring before the answer, the agent
// hanging up after it. Our own hang-ups are not reported back.
func (l *leg) ended(cause int) {
	if l.done {
		return
	}
	l.done = true
	if l.stopped.Load() {
		return
	}
	if !l.answered {
		l.r.legFailed(l, ringFailure(cause))
		return
	}
	l.r.agentLeft(l)
}

// lostToSwitch reports a leg Asterisk lost (it shut down or restarted):
// not the agent's hang-up, nor a ring they left unanswered.
func (l *leg) lostToSwitch() {
	if l.done {
		return
	}
	l.done = true
	if l.stopped.Load() {
		return
	}
	l.r.legLost(l)
}

// ringFailure reads an unanswered ring's hang-up cause (Q.850).
func ringFailure(cause int) acd.RingFailure {
	switch cause {
	case 17: // user busy
		return acd.Busy
	case 21: // call rejected
		return acd.Declined
	case 1, 3, 20, 27, 38: // unallocated, no route, subscriber absent, out of order, network out of order
		return acd.Unreachable
	}
	return acd.NoAnswer // 19 no answer, 18 no user responding, and anything else
}

// adoptLeg takes over an agent's leg found bridged with a caller after a
// restart: no originate, it is answered and connected already.
func adoptLeg(r *router, id, callID, agent string) *leg {
	l := &leg{r: r, id: id, callID: callID, agent: agent, mb: newMailbox(), answered: true}
	l.connected.Store(true)
	ctl := r.ctl
	ctl.own(id, l)
	ctl.wg.Add(1)
	go l.loop(ctl.runCtx)
	return l
}
