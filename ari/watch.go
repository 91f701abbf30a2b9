package ari

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"go.uber.org/zap"
)

// watch is a supervisor listening to, whispering to, or barging into an
// agent's call: it rings the supervisor's own phone and, once answered,
// joins it to a snoop of the agent's channel (listen, whisper) or to the
// call's bridge (barge). It owns the supervisor's channel and the snoop
// channel, and takes both down when either side ends or the supervisor
// stops. A supervisor has one watch at a time: asking for another mode on
// the same call switches it on the phone already answered (a new snoop
// for listen ↔ whisper, whose direction is fixed at its creation; the
// call's bridge for barge); asking for another call ends this one first.
type watch struct {
	ctl        *Controller
	id         string // the supervisor's channel
	snoop      string // the snoop channel (listen, whisper)
	snoops     int    // snoops made so far, to name the next one
	bridge     string
	mode       string // the mode connected, the watch's goroutine's
	asked      string // the mode last asked for, the router's (the wallboard's)
	agent      string
	supervisor string
	name       string // the supervisor's seat name, for the wallboards
	agentChan  string
	callID     string
	endpoint   string
	mb         *mailbox
	answered   bool
	inBridge   bool // the phone is in the watch bridge (listen, whisper)
	bridgeMade bool // the watch bridge exists (made at the first listen or whisper)
	done       bool
}

// Supervision is a supervisor's watch as the wallboards show it.
type Supervision struct {
	Supervisor, Name string // the supervisor's username and seat name
	Agent, Mode      string
}

func (w *watch) box() *mailbox { return w.mb }

func (w *watch) log() *zap.Logger {
	return w.ctl.log.With(zap.String("supervision", w.id), zap.String("mode", w.mode), zap.String("call", w.callID))
}

// supervise starts a supervision of the call an agent is on, or switches
// the supervisor's running one to mode when it is on that call.
func (c *Controller) supervise(ctx context.Context, agent, mode, endpoint, supervisor, name string) string {
	if mode != "listen" && mode != "whisper" && mode != "barge" {
		return "error: mode must be listen, whisper or barge"
	}
	return askResult(ctx, c.router, func() string {
		r := c.router
		l, callID := r.connectedLeg(agent)
		if l == nil {
			return "error: agent " + agent + " is not on a call"
		}
		if w := r.watches[supervisor]; w != nil {
			if w.callID == callID && w.agentChan == l.id {
				if w.asked != mode {
					w.asked = mode
					w.mb.put(msg{kind: msgFunc, fn: func() { w.switchTo(c.runCtx, mode) }})
					r.watchesChanged()
				}
				c.log.Info("supervision switched", zap.String("mode", mode), zap.String("agent", agent), zap.String("by", supervisor))
				return "ok"
			}
			w.mb.put(msg{kind: msgFunc, fn: func() { w.done = true }})
			delete(r.watches, supervisor)
		}
		seq := strconv.FormatInt(r.seq.Add(1), 10)
		w := &watch{ctl: c, id: "ascolto-sup-" + c.nonce + "-" + seq, snoop: "ascolto-snoop-" + c.nonce + "-" + seq,
			bridge: "ascolto-watch-" + c.nonce + "-" + seq, mode: mode, asked: mode, agent: agent, supervisor: supervisor, name: name,
			agentChan: l.id, callID: callID, endpoint: endpoint, mb: newMailbox()}
		r.watches[supervisor] = w
		c.own(w.id, w)
		c.own(w.snoop, w)
		c.wg.Add(1)
		go w.run(c.runCtx)
		r.watchesChanged()
		c.log.Info("supervision started", zap.String("mode", mode), zap.String("agent", agent), zap.String("by", supervisor))
		return "ok"
	})
}

// stopSupervision ends the supervisor's watch.
func (c *Controller) stopSupervision(ctx context.Context, supervisor string) string {
	return askResult(ctx, c.router, func() string {
		w := c.router.watches[supervisor]
		if w == nil {
			return "error: no supervision is running"
		}
		delete(c.router.watches, supervisor)
		w.mb.put(msg{kind: msgFunc, fn: func() { w.done = true }})
		c.router.watchesChanged()
		c.log.Info("supervision stopped", zap.String("agent", w.agent), zap.String("by", supervisor))
		return "ok"
	})
}

// Supervisions lists the running supervisions by supervisor.
func (c *Controller) Supervisions(ctx context.Context) (map[string]Supervision, error) {
	return ask(ctx, c.router, func() map[string]Supervision {
		out := map[string]Supervision{}
		for by, w := range c.router.watches {
			out[by] = w.view()
		}
		return out
	})
}

func (w *watch) view() Supervision {
	return Supervision{Supervisor: w.supervisor, Name: w.name, Agent: w.agent, Mode: w.asked}
}

// watchesChanged tells the console every running supervision, after one
// started, switched or ended, so every wallboard marks the agents watched.
// It runs on the actor.
func (r *router) watchesChanged() {
	if r.onWatch == nil {
		return
	}
	out := make([]Supervision, 0, len(r.watches))
	for _, w := range r.watches {
		out = append(out, w.view())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Supervisor < out[j].Supervisor })
	r.onWatch(out)
}

func (w *watch) run(ctx context.Context) {
	defer w.ctl.wg.Done()
	defer func() {
		w.ctl.forget(w.id, w)
		w.ctl.forget(w.snoop, w)
		w.ctl.router.post(func() {
			if w.ctl.router.watches[w.supervisor] == w {
				delete(w.ctl.router.watches, w.supervisor)
				w.ctl.router.watchesChanged()
			}
		})
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
	case msgFunc:
		m.fn()
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
		case *ari.ChannelDestroyed:
			w.ended(e.Channel.ID)
		case *ari.StasisEnd:
			w.ended(e.Channel.ID)
		case *ari.ChannelHangupRequest:
			w.ended(e.Channel.ID)
		}
	}
}

// ended: a channel of the watch ended. The supervisor's phone or the
// current snoop (the agent's call is over) ends the watch; a snoop
// replaced by a switch does not.
func (w *watch) ended(id string) {
	if id == w.id || (id == w.snoop && id != "") {
		w.done = true
	}
}

// switchTo moves the answered supervisor's phone to another mode. Before
// the phone answers, connect uses the mode set meanwhile.
func (w *watch) switchTo(ctx context.Context, mode string) {
	from := w.mode
	w.mode = mode
	if !w.answered || w.done {
		return
	}
	cl := w.ctl.o.Client
	old := ""
	if from != "barge" {
		old = w.snoop
	}
	var err error
	if mode == "barge" {
		err = cl.AddChannel(ctx, callBridgeID(w.callID), w.id) // moves the phone out of the watch bridge
		w.snoop = ""
	} else {
		w.snoops++
		w.snoop = strings.Replace(w.bridge, "ascolto-watch-", "ascolto-snoop-", 1) + "-" + strconv.Itoa(w.snoops)
		w.ctl.own(w.snoop, w)
		err = w.listen(ctx)
	}
	if err != nil {
		w.log().Warn("supervision not switched", zap.String("from", from), zap.Error(err))
		w.done = true
		return
	}
	if old != "" {
		if err := cl.Hangup(ctx, old, "normal"); err != nil && !IsGone(err) {
			w.log().Warn("previous snoop not hung up", zap.String("channel", old), zap.Error(err))
		}
		w.ctl.forget(old, w)
	}
	if mode == "barge" {
		// The watch bridge, empty now, stays for a switch back (Asterisk
		// destroys a bridge asynchronously: creating it again at once was
		// refused, 409) and goes at the end.
		w.inBridge = false
	}
}

// connect joins the supervisor's answered phone to the call.
func (w *watch) connect(ctx context.Context) error {
	cl := w.ctl.o.Client
	if w.mode == "barge" {
		return cl.AddChannel(ctx, callBridgeID(w.callID), w.id)
	}
	return w.listen(ctx)
}

// listen snoops on the agent's channel (whispering when the mode says so)
// and joins the snoop and the supervisor's phone in the watch bridge.
func (w *watch) listen(ctx context.Context) error {
	cl := w.ctl.o.Client
	whisper := "none"
	if w.mode == "whisper" {
		whisper = "out" // the supervisor's voice goes to the agent only
	}
	if _, err := cl.Snoop(ctx, w.agentChan, w.snoop, "both", whisper, "snoop,"+w.callID); err != nil {
		return fmt.Errorf("ari: snoop on %s: %w", w.agentChan, err)
	}
	if !w.bridgeMade {
		if _, err := cl.CreateBridge(ctx, w.bridge, "mixing", w.bridge); err != nil {
			return err
		}
		w.bridgeMade = true
	}
	// The snoop enters Stasis a moment after Asterisk answers the snoop
	// request; added before that, Asterisk refuses it (422 "Channel not in
	// Stasis application", seen switching barge → listen on Asterisk 20).
	// It is tried again for up to two seconds.
	for wait := 20 * time.Millisecond; ; wait *= 2 {
		var err error
		if w.inBridge {
			// Listen ↔ whisper: the phone stays in the watch bridge, the
			// new snoop joins it (the old one is hung up after).
			err = cl.AddChannel(ctx, w.bridge, w.snoop)
		} else {
			err = cl.AddChannels(ctx, w.bridge, w.snoop, w.id)
		}
		if err == nil {
			w.inBridge = true
			return nil
		}
		if StatusOf(err) != 422 || wait > time.Second {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// teardown hangs up what is left of the supervision.
func (w *watch) teardown(ctx context.Context) {
	cl := w.ctl.o.Client
	for _, id := range []string{w.id, w.snoop} {
		if id == "" {
			continue
		}
		if err := cl.Hangup(ctx, id, "normal"); err != nil && !IsGone(err) {
			w.log().Warn("supervision channel not hung up", zap.String("channel", id), zap.Error(err))
		}
	}
	if w.bridgeMade {
		if err := cl.DestroyBridge(ctx, w.bridge); err != nil && !IsGone(err) {
			w.log().Warn("supervision bridge not destroyed", zap.Error(err))
		}
	}
}
