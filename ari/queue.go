package ari

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/ascolto/ascolto/acd"
	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// The caller's side of a queued call: waiting in one of the queue's holding
// bridges (each caller with its own music on hold), hearing announcements, being
// bridged with the agent who answered, asking for a callback, or leaving a
// report. Everything here runs on the call's own goroutine, on the ACD's
// decisions.

// toQueue hands the caller to a queue at the end of the IVR.
func (c *call) toQueue(ctx context.Context, a ivr.Action) {
	c.phase, c.inACD, c.queue = phaseQueued, true, a.Queue
	now := c.ctl.o.Clock.Now()
	q, prio := a.Queue, a.Priority
	c.update.Queue, c.update.QueuedAt, c.update.Priority = &q, &now, &prio
	c.savePath()
	c.dirty = true
	if !c.joinQueue(a.Queue) {
		return
	}
	c.ctl.router.enqueue(c, a.Queue, a.Priority, a.Urgency == ivr.UrgencyRescue, c.info())
}

// joinQueue puts the caller in one of the queue's holding bridges,
// creating the bridge the first time.
func (c *call) joinQueue(queue string) bool {
	ctx := c.ctl.runCtx
	var id string
	adopted := false
	if c.kind == startAdopted && c.holdBridge == "" {
		// Taken back after the controller restarted, the caller is still
		// waiting where it was, hearing its music: adding it again would
		// take it out and back in.
		id, adopted = c.ctl.adoptedHold(c.id)
	}
	if !adopted {
		id = c.ctl.takeHold(queue)
	}
	if err := c.ctl.ensureHoldBridge(ctx, id); err != nil {
		c.ctl.releaseHold(id)
		c.log().Error("holding bridge not available; music on the channel instead", zap.String("queue", queue), zap.Error(err))
		_ = c.ctl.o.Client.StartMOH(ctx, c.id, "")
		return true
	}
	if !adopted {
		if err := c.cmd(func() error { return c.ctl.o.Client.AddWaiting(ctx, id, c.id) }); err != nil {
			if IsGone(err) {
				c.ctl.releaseHold(id)
				c.hungUp(ctx, "caller", 0)
				return false
			}
			c.log().Error("caller not put on hold", zap.String("queue", queue), zap.Error(err))
			_ = c.ctl.o.Client.StartMOH(ctx, c.id, "")
			c.setHold(id)
			return true
		}
	}
	c.setHold(id)
	// The caller hears music from here on without being asked for: in a
	// holding bridge without an announcer, Asterisk (bridge_holding.c)
	// starts each holding participant's own music on hold as it joins, in
	// the channel's music class, and stops it as it leaves. A bridge-wide
	// stream (POST /bridges/{id}/moh) was used before: an announcer
	// channel that Asterisk takes out as soon as the bridge empties, so
	// it had to be started again after every join — a request and a
	// channel more per call, and a race with the last caller leaving.
	return true
}

// setHold records the holding bridge the caller waits in ("" for none),
// counting it out of the one before: the caller was counted in id when it
// was chosen.
func (c *call) setHold(id string) {
	if c.holdBridge != "" {
		c.ctl.releaseHold(c.holdBridge)
	}
	c.holdBridge = id
}

// ensureHoldBridge creates a queue's holding bridge, once per bridge (and
// again after Asterisk lost it).
func (ctl *Controller) ensureHoldBridge(ctx context.Context, id string) error {
	if _, ok := ctl.holds.Load(id); ok {
		return nil
	}
	ctl.holdMu.Lock()
	defer ctl.holdMu.Unlock()
	if _, ok := ctl.holds.Load(id); ok {
		return nil
	}
	if _, err := ctl.o.Client.CreateBridge(ctx, id, "holding", id); err != nil && StatusOf(err) != 409 {
		return err
	}
	ctl.holds.Store(id, true)
	return nil
}

// announce tells the caller their place in line and, when known, the wait.
func (c *call) announce(position int, wait time.Duration) {
	if c.connected || c.phase != phaseQueued {
		return
	}
	media := []string{"sound:ascolto/primo-in-coda"}
	if position > 1 {
		media = []string{"sound:ascolto/posizione-in-coda", "number:" + strconv.Itoa(position-1)}
		if mins := int((wait + 59*time.Second) / time.Minute); wait > 0 {
			media = append(media, "sound:ascolto/attesa-stimata", "number:"+strconv.Itoa(mins), "sound:ascolto/minuti")
		}
	}
	c.playAside(media)
}

// offerCallback invites the caller to press 1 to be called back.
func (c *call) offerCallback() {
	if c.connected || c.phase != phaseQueued {
		return
	}
	c.cbOffered = true
	c.playAside([]string{"sound:ascolto/richiamata-offerta"})
}

// playAside plays to a waiting caller without the IVR: nobody waits for
// its end (the music resumes by itself).
func (c *call) playAside(media []string) {
	c.seq++
	pb := fmt.Sprintf("%s.%s.%d", c.ctl.nonce, c.id, c.seq)
	err := c.cmd(func() error { return c.ctl.o.Client.Play(c.ctl.runCtx, c.id, pb, media, c.lang()) })
	if err != nil && !IsGone(err) {
		c.log().Warn("announcement not played", zap.Strings("media", media), zap.Error(err))
	}
	if err == nil {
		c.aside[pb] = true
	}
}

// stopAside stops what is being played to a waiting caller whose agent
// answered. Asterisk runs a channel's playback and then, one after the
// other, what ARI asks of the channel: a bridge's addChannel waits until
// the playback is over, longer than a request may take for a greeting or
// an announcement, and the agent would wait in silence meanwhile.
func (c *call) stopAside(ctx context.Context) {
	for pb := range c.aside {
		if err := c.ctl.o.Client.StopPlayback(ctx, pb); err != nil && !IsGone(err) {
			c.log().Warn("announcement not stopped", zap.String("playback", pb), zap.Error(err))
		}
		delete(c.aside, pb)
	}
}

func (c *call) lang() string {
	if c.sess != nil {
		return c.sess.Lang()
	}
	return ivr.LangItalian
}

// requestCallback: the caller pressed 1 after the offer. The ACD keeps
// their place; they are told and the call ends.
func (c *call) requestCallback(ctx context.Context) {
	c.cbRequested = true
	c.ctl.router.callbackRequested(c, c.acdCallerID)
	c.seq++
	pb := fmt.Sprintf("%s.%s.%d", c.ctl.nonce, c.id, c.seq)
	c.playbacks[pb] = playThenHangup
	if err := c.cmd(func() error {
		return c.ctl.o.Client.Play(ctx, c.id, pb, []string{"sound:ascolto/richiamata-confermata"}, c.lang())
	}); err != nil {
		delete(c.playbacks, pb)
		c.hangup(ctx)
	}
}

// bridgeTo joins the caller and the agent who answered in a mixing bridge.
func (c *call) bridgeTo(agent, agentChannel string) {
	ctx := c.ctl.runCtx
	id := callBridgeID(c.acdID)
	// Asterisk could not do it (no answer even after retries): the caller
	// goes back in line and the agent's leg is released; the agent is paused
	// only when their phone really went away.
	backInLine := func(what string, err error, agentGone bool) {
		c.log().Warn("caller not bridged with the agent; back in the queue", zap.String("during", what),
			zap.String("agent", agent), zap.Bool("agent_gone", agentGone), zap.Error(err))
		_ = c.ctl.o.Client.DestroyBridge(ctx, id)
		c.joinQueue(c.queue)
		c.ctl.router.bridgeFailed(c, agent, c.queue, agentGone)
	}
	if _, err := c.ctl.o.Client.CreateBridge(ctx, id, "mixing", id); err != nil && StatusOf(err) != 409 {
		backInLine("create bridge", err, false)
		return
	}
	c.stopAside(ctx)
	// Both in one request: Asterisk adds none when either is gone.
	// Patient: the agent is on the line waiting; a bridge made late is
	// better than sending the caller back and the agent away.
	if err := c.cmd(func() error { return c.ctl.o.Client.AddChannels(Patient(ctx, patience), id, c.id, agentChannel) }); err != nil {
		if IsGone(err) {
			if _, cerr := c.ctl.o.Client.Channel(ctx, c.id); IsGone(cerr) {
				c.hungUp(ctx, "caller", 0)
				return
			}
		}
		// The agent's phone went away between answering and the bridge
		// (or Asterisk did not answer): the caller goes back in line
		// rather than being cut off.
		backInLine("add caller and agent", err, IsGone(err))
		return
	}
	c.connected = true
	c.setHold("")
	a := agent
	c.update.Agent = &a
	c.dirty = true
}

// endedByAgent: the agent hung up; the caller's side ends too.
func (c *call) endedByAgent() {
	c.agentEnded = true
	c.hangup(c.ctl.runCtx)
}

// leaveToReport: the queue overflows to the report recorder; the caller
// leaves a message that becomes a case, like the IVR's record node.
func (c *call) leaveToReport() {
	ctx := c.ctl.runCtx
	c.inACD = false
	f, err := c.ctl.reportFlow()
	if err != nil {
		c.failed(ctx, "report", err)
		return
	}
	sess, err := ivr.NewSession(f)
	if err != nil {
		c.failed(ctx, "report", err)
		return
	}
	if c.sess != nil {
		c.pathPrefix += joinPath(c.sess.Path()) + ">"
		c.carriedCat, c.carried = c.tags()
	}
	if c.holdBridge != "" {
		_ = c.ctl.o.Client.RemoveChannel(ctx, c.holdBridge, c.id)
		c.setHold("")
	}
	c.sess, c.phase = sess, phaseIVR
	acts, err := sess.Start(ivr.Env{At: c.ctl.o.Clock.Now(), Mode: c.ctl.o.Live.Mode().Mode, Calendar: c.ctl.o.Live.Calendar(), Lang: c.lang()})
	if err != nil {
		c.failed(ctx, "report", err)
		return
	}
	c.execute(ctx, acts)
}

// leaveACD tells the ACD the call is over, unless it already knows.
func (c *call) leaveACD() {
	if c.inACD && !c.agentEnded && !(c.cbRequested && c.kind != startCallback) {
		by := acd.ByCaller
		if c.lost {
			by = acd.BySwitch
		}
		c.ctl.router.callerLeft(c, by)
	}
}

// destroyCallBridge ends the bridge the caller talked to an agent in.
func (c *call) destroyCallBridge(ctx context.Context) {
	if c.connected {
		if err := c.ctl.o.Client.DestroyBridge(ctx, callBridgeID(c.acdID)); err != nil && !IsGone(err) {
			c.log().Warn("call bridge not destroyed", zap.Error(err))
		}
	}
}

// newCallbackCall is the call back to a citizen who asked for it: it dials
// them, and once they answer it behaves like a waiting caller.
func newCallbackCall(ctl *Controller, id, acdID, number string, timeout time.Duration) *call {
	c := newCall(ctl, id, startCallback, ariChannel(number), nil, nil)
	c.acdID, c.acdCallerID, c.cbTimeout = acdID, number, timeout
	return c
}

// dialCitizen originates the callback over the trunk.
func (c *call) dialCitizen(ctx context.Context) {
	c.inACD = true
	rec := &store.Call{ChannelID: c.id, LinkedID: c.acdID, Direction: "outbound", Caller: "800840840", Called: c.acdCallerID,
		ArrivedAt: c.ctl.o.Clock.Now(), Mode: string(c.ctl.o.Live.Mode().Mode), Lang: ivr.LangItalian}
	if err := c.ctl.o.Store.InsertCall(ctx, rec); err != nil {
		c.log().Error("callback record not stored", zap.Error(err))
	} else {
		c.rec = rec
	}
	_, err := c.ctl.o.Client.Originate(ctx, OriginateRequest{ChannelID: c.id, Endpoint: "PJSIP/" + c.acdCallerID + "@trunk",
		CallerID: "800840840", Timeout: c.cbTimeout, AppArgs: "callback," + c.acdID,
		Variables: map[string]string{"ASCOLTO_CALL": c.acdID}})
	if err != nil {
		c.log().Warn("callback not placed", zap.String("number", c.acdCallerID), zap.Error(err))
		c.ctl.router.callbackFailed(c, "not placed: "+err.Error())
		c.inACD = false
		c.finish(ctx, OutcomeFailed, "system", 0)
	}
}

// citizenAnswered: the callback is answered; greet, then music until the
// agent answers.
func (c *call) citizenAnswered(ctx context.Context) {
	if c.phase != 0 {
		return
	}
	c.phase = phaseQueued
	now := c.ctl.o.Clock.Now()
	c.update.AnsweredAt = &now
	c.dirty = true
	c.ctl.router.callbackAnswered(c)
	pb := fmt.Sprintf("%s.%s.greeting", c.ctl.nonce, c.id)
	if err := c.cmd(func() error {
		return c.ctl.o.Client.Play(ctx, c.id, pb, []string{"sound:ascolto/richiamata-saluto"}, ivr.LangItalian)
	}); err != nil {
		c.holdMusic(ctx)
		return
	}
	c.aside[pb] = true
}

// holdMusic plays music on the channel while the agent is rung.
func (c *call) holdMusic(ctx context.Context) {
	if c.connected {
		return
	}
	if err := c.ctl.o.Client.StartMOH(ctx, c.id, ""); err != nil && !IsGone(err) {
		c.log().Warn("music on hold refused", zap.Error(err))
	}
}

// ariChannel describes the citizen's side of a callback before Asterisk does.
func ariChannel(number string) ari.ChannelData {
	return ari.ChannelData{Caller: &ari.CallerID{Number: number}}
}

// callbackUnanswered reports a callback that never reached the citizen.
func (c *call) callbackUnanswered(cause int) {
	reason := "no answer"
	if cause == 17 {
		reason = "busy"
	}
	c.ctl.router.callbackFailed(c, reason)
	c.inACD = false
}

func joinPath(p []string) string {
	out := ""
	for i, s := range p {
		if i > 0 {
			out += ">"
		}
		out += s
	}
	return out
}

// reportFlowSource is the little flow a caller goes through when a queue
// overflows to the report recorder.
const reportFlowSource = `name: segnalazione registrata
start: registra
nodes:
  registra:
    kind: record
    prompts: registra-messaggio
    max_seconds: 120
    beep: true
    terminate_key: "#"
    next: grazie
  grazie:
    kind: hangup
    prompts: [messaggio-registrato, arrivederci]
`

func (ctl *Controller) reportFlow() (*ivr.Flow, error) {
	ctl.reportOnce.Do(func() {
		ctl.report, ctl.reportErr = ivr.Load([]byte(reportFlowSource), ivr.NewCatalog(ctl.o.Live.Prompts(), nil))
	})
	return ctl.report, ctl.reportErr
}

// transferred carries out an agent's blind transfer on the caller's side.
func (c *call) transferred(queue, number, agent string) {
	ctx := c.ctl.runCtx
	c.connected = false
	if err := c.ctl.o.Client.DestroyBridge(ctx, callBridgeID(c.acdID)); err != nil && !IsGone(err) {
		c.log().Warn("call bridge not destroyed", zap.Error(err))
	}
	if queue != "" {
		q := queue
		c.update.Queue, c.queue = &q, queue
		c.dirty = true
		c.joinQueue(queue)
		return
	}
	c.inACD = false
	c.xfer = &blindTransfer{by: agent, to: number}
	c.toDialplan(ctx, "transfer", number)
}

// blindTransfer is an agent's transfer of a caller to a number.
type blindTransfer struct{ by, to string }

// RefusedTransfer is an agent's blind transfer the number did not take:
// the caller is back at the head of the queue.
type RefusedTransfer struct {
	Call   string `json:"call"`   // the caller's channel
	Caller string `json:"caller"` // their number
	Number string `json:"number"` // the number that did not answer
	Queue  string `json:"queue"`
	Status string `json:"status"` // Asterisk's DIALSTATUS: BUSY, NOANSWER, CONGESTION …
}

// transferRefused: the number of an agent's blind transfer did not take
// the call. The caller goes back to the head of the line they were
// taken from (a rescue request still ahead of everyone), told so, rather
// than being hung up on after having waited once already.
func (c *call) transferRefused(status string) {
	x, queue := c.xfer, c.queue
	c.xfer = nil
	if f := c.ctl.router.onTransferRefused; f != nil {
		f(x.by, RefusedTransfer{Call: c.id, Caller: c.acdCallerID, Number: x.to, Queue: queue, Status: status})
	}
	c.phase, c.inACD = phaseQueued, true
	if !c.joinQueue(queue) {
		return
	}
	c.playAside([]string{"sound:ascolto/trasferimento-non-riuscito-attesa"})
	info := c.info()
	c.ctl.router.enqueue(c, queue, ivr.MaxPriority, info.Urgency == ivr.UrgencyRescue.String(), info)
}

// info is what the IVR learnt, for the agent's screen pop.
func (c *call) info() CallInfo {
	ci := CallInfo{Caller: c.acdCallerID, CallerName: callerName(c.ch), IVRPath: []string{}}
	if c.rec != nil {
		ci.ArrivedAt = c.rec.ArrivedAt
	}
	if c.sess != nil {
		ci.IVRPath, ci.Digits = c.sess.Path(), c.sess.Digits()
		cat, urg := c.tags()
		ci.Category, ci.Urgency = cat, urg.String()
	}
	return ci
}
