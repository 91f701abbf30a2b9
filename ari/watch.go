package ari

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"
)

// watch is a supervisor listening to, whispering to, or barging into an
// agent's call: it rings the supervisor's own phone and, once answered,
// joins it to a snoop of the agent's channel (listen, whisper) or to the
// call's bridge (barge). It owns the supervisor's channel and the snoop
// channel, and takes both down when either side ends.
type watch struct {
	ctl       *Controller
	id        string // the supervisor's channel
	snoop     string // the snoop channel (listen, whisper)
	bridge    string
	mode      string
	agentChan string
	callID    string
	endpoint  string
	mb        *mailbox
	answered  bool
	done      bool
}

func (w *watch) box() *mailbox { return w.mb }

func (w *watch) log() *zap.Logger {
	return w.ctl.log.With(zap.String("supervision", w.id), zap.String("mode", w.mode), zap.String("call", w.callID))
}

// supervise starts a supervision of the call an agent is on.
func (c *Controller) supervise(ctx context.Context, agent, mode, endpoint, supervisor string) string {
	if mode != "listen" && mode != "whisper" && mode != "barge" {
		return "error: mode must be listen, whisper or barge"
	}
	return askResult(ctx, c.router, func() string {
		l, callID := c.router.connectedLeg(agent)
		if l == nil {
			return "error: agent " + agent + " is not on a call"
		}
		seq := strconv.FormatInt(c.router.seq.Add(1), 10)
		w := &watch{ctl: c, id: "ascolto-sup-" + c.nonce + "-" + seq, snoop: "ascolto-snoop-" + c.nonce + "-" + seq,
			bridge: "ascolto-watch-" + c.nonce + "-" + seq, mode: mode, agentChan: l.id, callID: callID,
			endpoint: endpoint, mb: newMailbox()}
		c.own(w.id, w)
		c.own(w.snoop, w)
		c.wg.Add(1)
		go w.run(c.runCtx)
		c.log.Info("supervision started", zap.String("mode", mode), zap.String("agent", agent), zap.String("by", supervisor))
		return "ok"
	})
}

func (w *watch) run(ctx context.Context) {
	defer w.ctl.wg.Done()
	defer func() {
		w.ctl.forget(w.id, w)
		w.ctl.forget(w.snoop, w)
	}()
	_, err := w.ctl.o.Client.Originate(ctx, OriginateRequest{ChannelID: w.id, Endpoint: w.endpoint, CallerID: "Supervisione",
		Timeout: 30 * time.Second, AppArgs: "supervise," + w.callID})
	if err != nil {
		w.log().Warn("supervisor's phone not rung", zap.Error(err))
		return
	}
	for !w.done {
		select {
		case <-ctx.Done():
			return
		case <-w.mb.signal:
		}
		for _, m := range w.mb.drain() {
			w.handle(ctx, m)
		}
	}
	w.teardown(ctx)
}

func (w *watch) handle(ctx context.Context, m msg) {
	switch m.kind {
	case msgGone:
		w.done = true
	case msgEvent:
		switch e := m.ev.Event.(type) {
		case *ari.StasisStart:
			if e.Channel.ID == w.id && !w.answered {
				w.answered = true
				if err := w.connect(ctx); err != nil {
					w.log().Warn("supervision not connected", zap.Error(err))
					w.done = true
				}
			}
		case *ari.ChannelDestroyed, *ari.StasisEnd, *ari.ChannelHangupRequest:
			w.done = true
		}
	}
}

// connect joins the supervisor's answered phone to the call.
func (w *watch) connect(ctx context.Context) error {
	cl := w.ctl.o.Client
	if w.mode == "barge" {
		return cl.AddChannel(ctx, callBridgeID(w.callID), w.id)
	}
	whisper := "none"
	if w.mode == "whisper" {
		whisper = "out" // the supervisor's voice goes to the agent only
	}
	if _, err := cl.Snoop(ctx, w.agentChan, w.snoop, "both", whisper, "snoop,"+w.callID); err != nil {
		return fmt.Errorf("ari: snoop on %s: %w", w.agentChan, err)
	}
	if _, err := cl.CreateBridge(ctx, w.bridge, "mixing", w.bridge); err != nil {
		return err
	}
	if err := cl.AddChannel(ctx, w.bridge, w.snoop); err != nil {
		return err
	}
	return cl.AddChannel(ctx, w.bridge, w.id)
}

// teardown hangs up what is left of the supervision.
func (w *watch) teardown(ctx context.Context) {
	cl := w.ctl.o.Client
	for _, id := range []string{w.id, w.snoop} {
		if err := cl.Hangup(ctx, id, "normal"); err != nil && !IsGone(err) {
			w.log().Warn("supervision channel not hung up", zap.String("channel", id), zap.Error(err))
		}
	}
	if w.mode != "barge" {
		if err := cl.DestroyBridge(ctx, w.bridge); err != nil && !IsGone(err) {
			w.log().Warn("supervision bridge not destroyed", zap.Error(err))
		}
	}
}
