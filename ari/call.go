package ari

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// Call outcomes, as recorded on the call record.
const (
	OutcomeIVRCompleted   = "ivr-completed"   // the flow ended the call (e.g. the out-of-hours message)
	OutcomeAbandonedIVR   = "abandoned-ivr"   // the caller hung up in the IVR
	OutcomeAbandonedQueue = "abandoned-queue" // the caller hung up while waiting
	OutcomeAnswered       = "answered"        // an agent took the call
	OutcomeRecorded       = "recorded"        // the caller left a message
	OutcomeTransferred    = "transferred"     // handed to an external number
	OutcomeTransferFailed = "transfer-failed" // the external number did not answer
	OutcomeFax            = "fax"             // handed to fax reception
	OutcomeFailed         = "failed"          // Asterisk refused what the call needed
	// OutcomeCallbackRequested: the caller pressed the key to be called back and hung up.
	OutcomeCallbackRequested = "callback-requested"
	// OutcomeCallback: a callback leg (an outbound call to a citizen) ended.
	OutcomeCallback = "callback"
)

// phase is where a call is in its life.
type phase uint8

const (
	phaseIVR       phase = iota + 1 // walking the flow
	phaseQueued                     // handed to a queue
	phaseDialplan                   // in the dialplan (fax reception, transfer), events by subscription
	phaseHangingUp                  // we asked Asterisk to hang up; waiting for it to confirm
)

// call is one channel's handler. Only its own goroutine touches its
// fields (and its channel, through ARI).
type call struct {
	ctl  *Controller
	id   string
	kind startKind
	ch   ari.ChannelData
	args []string
	rec  *store.Call // nil until the record is stored
	mb   *mailbox
	// The record's writes go to the group commit without holding the call
	// up (store.Lazy): recIns is the insert until its verdict is read,
	// writes the updates and the close, read when the call ends.
	recIns *store.Pending
	writes []*store.Pending

	phase       phase
	sess        *ivr.Session
	flowVersion int64
	seq         int
	playbacks   map[string]int  // ARI playback id -> IVR action id
	aside       map[string]bool // playbacks to a waiting caller (announcements, a callback's greeting) not finished yet
	byAction    map[int]string  // IVR action id -> ARI playback id
	timers      map[int]clock.Timer
	recording   string // live recording name
	dialplan    string // "fax" or "transfer" while in the dialplan
	final       string // the outcome already decided, if any
	dd          dedup

	update    store.CallUpdate // changes to write after the step's commands
	dirty     bool
	stepFrom  time.Time // when the event being handled was read
	stepTimed bool
	done      bool
	// ending holds how the call ended while a recording is being wrapped
	// up: Asterisk reports the recording after the hang-up, and the
	// caller's message must not be lost to that race.
	ending *callEnd

	// The ACD side of the call (queue.go).
	acdID       string         // the call's id in the ACD: the inbound channel's id, kept by a callback leg
	acdCallerID string         // the number agents see and callbacks dial
	pathPrefix  string         // IVR path before the flow restarted (re-adoption, report)
	inACD       bool           // the ACD holds the call: tell it when the caller leaves
	connected   bool           // bridged with an agent
	xfer        *blindTransfer // an agent's blind transfer to a number, under way from c.queue
	agentEnded  bool           // the agent hung up: the ACD already knows
	lost        bool           // Asterisk lost the call (shut down, restarted): nobody hung up
	arrivedAt   time.Time      // StasisStart: the call reached us
	answeredAt  time.Time      // our answer was accepted
	cbOffered   bool           // the caller was offered a callback (key 1)
	cbRequested bool           // the caller asked to be called back
	cbTimeout   time.Duration
	holdBridge  string      // the holding bridge the caller waits in
	queue       string      // the queue the caller is in now
	carried     ivr.Urgency // urgency of the IVR session a report session replaced
	carriedCat  string
}

type callEnd struct {
	by    string
	cause int
}

// recordingGrace bounds the wait for a recording's end after a hang-up.
const recordingGrace = 3 * time.Second

// timerRecordingGrace is the timer id of that wait (IVR timer ids are positive).
const timerRecordingGrace = -1

func newCall(ctl *Controller, id string, kind startKind, ch ari.ChannelData, rec *store.Call, args []string) *call {
	return &call{ctl: ctl, id: id, kind: kind, ch: ch, rec: rec, args: args, mb: newMailbox(),
		playbacks: map[string]int{}, aside: map[string]bool{}, byAction: map[int]string{}, timers: map[int]clock.Timer{},
		acdID: id, acdCallerID: callerNumber(ch)}
}

// do runs f on the call's goroutine.
func (c *call) do(f func(*call)) { c.mb.put(msg{kind: msgFunc, fn: func() { f(c) }}) }

func (c *call) log() *zap.Logger { return c.ctl.log.With(zap.String("channel", c.id)) }

func (c *call) box() *mailbox { return c.mb }

// run is the call's goroutine.
func (c *call) run(ctx context.Context) {
	defer c.ctl.wg.Done()
	defer c.ctl.forget(c.id, c)
	defer c.stopTimers()
	switch c.kind {
	case startAdopted:
		c.adopt(ctx)
	case startCallback:
		c.dialCitizen(ctx)
	}
	for !c.done {
		select {
		case <-ctx.Done():
			return // controller stopping: the call lives on in Asterisk
		case <-c.mb.signal:
		}
		for _, m := range c.mb.drain() {
			if c.done {
				break
			}
			c.handle(ctx, m)
			c.flush(ctx)
		}
	}
}

func (c *call) handle(ctx context.Context, m msg) {
	switch m.kind {
	case msgEvent:
		if c.dd.repeat(m.ev.Raw) {
			c.ctl.m.skipped.WithLabelValues("duplicate").Inc()
			return
		}
		c.stepFrom, c.stepTimed = m.ev.Received, false
		c.event(ctx, m.ev)
	case msgTimer:
		c.stepFrom, c.stepTimed = c.ctl.o.Clock.Now(), false
		delete(c.timers, m.timer)
		if m.timer == timerRecordingGrace {
			c.log().Warn("recording not reported after the hang-up; closing the call without it", zap.String("recording", c.recording))
			c.recording = ""
			c.finish(ctx, c.outcome(), c.ending.by, c.ending.cause)
			return
		}
		c.feed(ctx, ivr.Event{Kind: ivr.EventTimerFired, ID: m.timer, At: c.ctl.o.Clock.Now()})
	case msgGone:
		if m.lost {
			c.lostToSwitch(ctx)
			return
		}
		c.hungUp(ctx, "unknown", 0)
	case msgResync:
		c.resync(ctx)
	case msgFunc:
		if !c.done {
			m.fn()
		}
	}
}

func (c *call) event(ctx context.Context, ev Event) {
	switch e := ev.Event.(type) {
	case *ari.StasisStart:
		c.stasisStart(ctx, e)
	case *ari.ChannelDtmfReceived:
		if c.phase == phaseIVR && len(e.Digit) == 1 {
			c.feed(ctx, ivr.Event{Kind: ivr.EventDigit, Digit: e.Digit[0], At: c.ctl.o.Clock.Now()})
		} else if c.phase == phaseQueued && e.Digit == "1" && c.cbOffered && !c.connected {
			c.requestCallback(ctx)
		}
	case *ari.PlaybackFinished:
		delete(c.aside, e.Playback.ID)
		if c.kind == startCallback && c.phase == phaseQueued && !c.connected && strings.HasSuffix(e.Playback.ID, ".greeting") {
			c.holdMusic(ctx)
			return
		}
		if id, ok := c.playbacks[e.Playback.ID]; ok {
			delete(c.playbacks, e.Playback.ID)
			delete(c.byAction, id)
			if id == playThenHangup {
				c.hangup(ctx)
				return
			}
			c.feed(ctx, ivr.Event{Kind: ivr.EventPlaybackFinished, ID: id, At: c.ctl.o.Clock.Now()})
		}
	case *ari.ChannelUserevent:
		c.faxEvent(ctx, e)
	case *ari.RecordingFinished:
		// A recording that ended without a stored file (the disk filled
		// while it ran: res_stasis_recording reports it complete all the
		// same) kept no message. A missing recording directory is refused
		// up front instead (POST …/record answers 500).
		failed := false
		if _, err := c.ctl.o.Client.StoredRecording(ctx, e.Recording.Name); IsGone(err) {
			c.log().Error("recording finished but nothing was stored", zap.String("recording", e.Recording.Name))
			c.ctl.m.errors.WithLabelValues("record").Inc()
			failed = true
		}
		c.recordingDone(ctx, e.Recording.Name, time.Duration(e.Recording.Duration), failed)
	case *ari.RecordingFailed:
		c.log().Error("recording failed", zap.String("recording", e.Recording.Name), zap.String("cause", e.Recording.Cause))
		c.ctl.m.errors.WithLabelValues("record").Inc()
		c.recordingDone(ctx, e.Recording.Name, 0, true)
	case *ari.ChannelHangupRequest:
		if c.phase == phaseDialplan && c.dialplan == "fax" {
			// The dialplan's h extension reports the fax (AscoltoFax)
			// after the hang-up request, before ChannelDestroyed.
			return
		}
		ours := c.phase == phaseHangingUp
		if e.Soft && e.Cause == softHangupShutdown {
			c.lostToSwitch(ctx)
			return
		}
		if e.Soft && !ours && c.phase == phaseDialplan {
			// Asterisk ends the channel in the dialplan (a transfer's Dial
			// is over): ChannelDestroyed, which the channel's subscription
			// brings, has the cause.
			return
		}
		// The caller's BYE comes without a cause and, for a channel from
		// the dialplan, no ChannelDestroyed follows (where Asterisk reports
		// 16, Normal Clearing) unless the app had subscribed to it
		// (shared/ari/traces, surprises 1 and 3).
		c.hungUp(ctx, c.hangupParty(), requestCause(e, ours))
	case *ari.StasisEnd:
		if c.phase != phaseDialplan {
			c.hungUp(ctx, c.hangupParty(), 0)
		}
	case *ari.ChannelDestroyed:
		if c.kind == startCallback && c.phase == 0 {
			c.callbackUnanswered(e.Cause)
			c.finish(ctx, OutcomeCallback, "citizen", e.Cause)
			return
		}
		c.hungUp(ctx, c.hangupParty(), e.Cause)
	}
}

// hangupParty says who ended the call: the agent when their hang-up made
// us end the caller's side, us when we had asked for another reason, else
// the caller.
func (c *call) hangupParty() string {
	switch {
	case c.phase == phaseHangingUp && c.agentEnded:
		return "agent"
	case c.phase == phaseHangingUp:
		return "system"
	}
	return "caller"
}

// causeNormalClearing is Q.850 cause 16, what Asterisk reports for a BYE.
const causeNormalClearing = 16

// requestCause reads a ChannelHangupRequest as a Q.850 cause. A remote
// BYE comes without a cause (or with 16): Normal Clearing. A soft request
// is Asterisk's own doing — our DELETE, a shutdown — and its cause field
// holds the soft-hangup reason, not a Q.850 cause (32 is
// AST_SOFTHANGUP_EXPLICIT, what a DELETE gives: surprise 3 of
// shared/ari/traces): when ours, the DELETE asked for "normal" (16, as
// ChannelDestroyed then says); otherwise the cause is not known yet (0).
func requestCause(e *ari.ChannelHangupRequest, ours bool) int {
	switch {
	case e.Soft && ours:
		return causeNormalClearing
	case e.Soft:
		return 0
	case e.Cause == 0:
		return causeNormalClearing
	}
	return e.Cause
}

// A soft ChannelHangupRequest's cause is not Q.850 but the reason Asterisk
// asked the channel to hang up (AST_SOFTHANGUP_* in channel.h): a shutdown
// ("core stop now", "core restart now") sends 4 to every channel, a DELETE
// through ARI 32 (requestCause).
const softHangupShutdown = 4

// lostToSwitch ends a call Asterisk lost: it shut down or restarted under
// it. Nobody hung up, so the record says system, with no cause, and the
// agent who was talking gets no wrap-up for it (ARCHITECTURE.md).
func (c *call) lostToSwitch(ctx context.Context) {
	if c.done || c.ending != nil {
		return
	}
	c.lost = true
	c.hungUp(ctx, "system", 0)
}

// stasisStart begins a new call, or takes one back from the dialplan.
func (c *call) stasisStart(ctx context.Context, e *ari.StasisStart) {
	if c.kind == startCallback {
		c.citizenAnswered(ctx)
		return
	}
	if c.phase == phaseDialplan {
		c.backFromDialplan(ctx, e)
		return
	}
	if c.phase != 0 {
		return // a duplicate StasisStart: the call is already running
	}
	c.ch, c.args = e.Channel, e.Args
	c.arrivedAt = c.ctl.o.Clock.Now()
	if len(e.Args) > 0 && (e.Args[0] == "fax-done" || e.Args[0] == "transfer-failed") {
		// Back from the dialplan, but this controller never saw it leave
		// (it restarted meanwhile): finish what the dialplan reports.
		c.dialplan = map[string]string{"fax-done": "fax", "transfer-failed": "transfer"}[e.Args[0]]
		if c.dialplan == "fax" {
			// A call to the fax number comes here first: the dialplan
			// passes the number dialled (its extension is "done" by now).
			c.args = e.Args[1:]
		}
		c.phase = phaseDialplan
		c.backFromDialplan(ctx, e)
		return
	}
	if err := c.cmd(func() error { return c.ctl.o.Client.Answer(Patient(ctx, patience), c.id) }); err != nil {
		c.failed(ctx, "answer", err)
		return
	}
	c.answeredAt = c.ctl.o.Clock.Now()
	if !c.startFlow(ctx) {
		return
	}
	c.insertRecord(ctx)
}

// insertRecord stores the call the moment it is being handled: a call
// Asterisk delivered is never missing from the records. The insert goes to
// the group commit and the call goes on (its later writes are committed
// after it); settleRecord reads its verdict.
func (c *call) insertRecord(ctx context.Context) {
	if c.rec != nil {
		return
	}
	if c.arrivedAt.IsZero() {
		c.arrivedAt = c.ctl.o.Clock.Now()
	}
	rec := &store.Call{ChannelID: c.id, LinkedID: c.id, Direction: "inbound", Caller: callerNumber(c.ch),
		CallerName: callerName(c.ch), Called: calledNumber(c.ch, c.args), ArrivedAt: c.arrivedAt, AnsweredAt: c.answeredAt,
		FlowVersion: int(c.flowVersion), Mode: string(c.ctl.o.Live.Mode().Mode), Lang: ivr.LangItalian}
	c.rec, c.recIns = rec, c.ctl.o.Store.InsertCallLater(c.writeCtx(ctx), rec)
}

// writeCtx is the context of the record's writes: lazy (nobody waits for
// their commit) and not cut short when the controller stops, so what the
// call handed over before is still written.
func (c *call) writeCtx(ctx context.Context) context.Context {
	return store.Lazy(context.WithoutCancel(ctx))
}

// settleRecord waits for the record's insert, if it is still under way:
// after it c.rec is the stored record (with its id), or nil if it could not
// be stored.
func (c *call) settleRecord(ctx context.Context) {
	if c.recIns == nil {
		return
	}
	err := c.recIns.Wait()
	c.recIns = nil
	if err == nil {
		return
	}
	c.rec = nil
	if errors.Is(err, store.ErrConflict) {
		if existing, gerr := c.ctl.o.Store.CallByChannel(ctx, c.id); gerr == nil {
			c.rec = &existing
			return
		}
	}
	c.ctl.m.errors.WithLabelValues("store").Inc()
	c.log().Error("call record not stored", zap.Error(err))
}

// settleWrites reads the verdicts of the record's updates handed to the
// group commit, logging the failed ones.
func (c *call) settleWrites(keep int) {
	for len(c.writes) > keep {
		if err := c.writes[0].Wait(); err != nil {
			c.ctl.m.errors.WithLabelValues("store").Inc()
			c.log().Error("call record not updated", zap.Error(err))
		}
		c.writes = c.writes[1:]
	}
}

// startFlow opens an IVR session on the flow in force and runs its first step.
func (c *call) startFlow(ctx context.Context) bool {
	f := c.ctl.o.Live.Flow()
	sess, err := ivr.NewSession(f.Flow)
	if err != nil {
		c.failed(ctx, "ivr", err)
		return false
	}
	c.sess, c.flowVersion, c.phase = sess, f.Version, phaseIVR
	lang := c.ch.Language
	if lang != ivr.LangEnglish {
		lang = ivr.LangItalian
	}
	acts, err := sess.Start(ivr.Env{At: c.ctl.o.Clock.Now(), Mode: c.ctl.o.Live.Mode().Mode,
		Calendar: c.ctl.o.Live.Calendar(), Lang: lang})
	if err != nil {
		c.failed(ctx, "ivr", err)
		return false
	}
	c.execute(ctx, acts)
	return true
}

// feed gives the IVR session an event and carries out what it answers.
func (c *call) feed(ctx context.Context, ev ivr.Event) {
	if c.sess == nil || c.phase != phaseIVR {
		return
	}
	ev.Mode = c.ctl.o.Live.Mode().Mode
	c.execute(ctx, c.sess.Handle(ev))
}

// execute carries out IVR actions in order.
func (c *call) execute(ctx context.Context, acts []ivr.Action) {
	for _, a := range acts {
		if c.done {
			return
		}
		switch a.Kind {
		case ivr.ActionPlay:
			c.seq++
			pb := fmt.Sprintf("%s.%s.%d", c.ctl.nonce, c.id, c.seq)
			c.playbacks[pb], c.byAction[a.ID] = a.ID, pb
			err := c.cmd(func() error { return c.ctl.o.Client.Play(ctx, c.id, pb, a.Media, a.Lang) })
			if err != nil {
				delete(c.playbacks, pb)
				delete(c.byAction, a.ID)
				if IsGone(err) {
					c.hungUp(ctx, "caller", 0)
					return
				}
				// A prompt that cannot play must not leave the caller in
				// silence forever: log it and let the flow go on.
				c.ctl.m.errors.WithLabelValues("play").Inc()
				c.log().Error("prompt not played", zap.Strings("media", a.Media), zap.Error(err))
				c.execute(ctx, c.sess.Handle(ivr.Event{Kind: ivr.EventPlaybackFinished, ID: a.ID}))
				return
			}
		case ivr.ActionStopPlayback:
			if pb, ok := c.byAction[a.ID]; ok {
				if err := c.cmd(func() error { return c.ctl.o.Client.StopPlayback(ctx, pb) }); err != nil && !IsGone(err) {
					c.log().Warn("playback not stopped", zap.String("playback", pb), zap.Error(err))
				}
			}
		case ivr.ActionStartTimer:
			id := a.ID
			c.timers[id] = c.ctl.o.Clock.AfterFunc(a.Duration, func() { c.mb.put(msg{kind: msgTimer, timer: id}) })
		case ivr.ActionStopTimer:
			if t, ok := c.timers[a.ID]; ok {
				t.Stop()
				delete(c.timers, a.ID)
			}
		case ivr.ActionRecord:
			c.seq++
			name := fmt.Sprintf("ascolto-%s-%d", strings.ReplaceAll(c.id, ".", "-"), c.seq)
			term := a.TerminateKey
			if term == "" {
				term = "none"
			}
			err := c.cmd(func() error {
				return c.ctl.o.Client.Record(ctx, c.id, name, RecordOptions{MaxSeconds: a.MaxSeconds, Beep: a.Beep, TerminateOn: term})
			})
			if err != nil {
				if IsGone(err) {
					c.hungUp(ctx, "caller", 0)
					return
				}
				c.ctl.m.errors.WithLabelValues("record").Inc()
				c.log().Error("recording not started", zap.Error(err))
				c.execute(ctx, c.sess.Handle(ivr.Event{Kind: ivr.EventRecordingFinished, Failed: true}))
				return
			}
			c.recording = name
		case ivr.ActionTag:
			urg := a.Urgency.String()
			cat := a.Category
			c.update.Urgency, c.update.Category = &urg, &cat
			c.dirty = true
		case ivr.ActionQueue:
			c.toQueue(ctx, a)
		case ivr.ActionTransfer:
			c.toDialplan(ctx, "transfer", a.Number)
		case ivr.ActionFax:
			c.toDialplan(ctx, "fax", "")
		case ivr.ActionHangup:
			c.hangup(ctx)
		}
	}
}

// cmd sends one ARI command, timing the IVR step on its first command.
func (c *call) cmd(f func() error) error {
	if !c.stepTimed && !c.stepFrom.IsZero() {
		c.ctl.m.step.Observe(c.ctl.o.Clock.Now().Sub(c.stepFrom).Seconds())
		c.stepTimed = true
	}
	return f()
}

// toDialplan leaves Stasis for fax reception or a transfer. The channel
// is subscribed first, so its end is seen even outside Stasis.
func (c *call) toDialplan(ctx context.Context, what, number string) {
	c.savePath()
	if err := c.ctl.o.Client.Subscribe(ctx, "channel:"+c.id); err != nil {
		c.log().Warn("channel subscription failed; its end may be seen late", zap.Error(err))
	}
	dpCtx, ext := "ascolto-fax", "receive"
	if what == "transfer" {
		dpCtx, ext = "ascolto-transfer", "dial"
		if err := c.cmd(func() error { return c.ctl.o.Client.SetVariable(ctx, c.id, "TRANSFER_TO", number) }); err != nil {
			c.failed(ctx, "transfer", err)
			return
		}
	}
	if err := c.cmd(func() error { return c.ctl.o.Client.Continue(ctx, c.id, dpCtx, ext, 1) }); err != nil {
		c.failed(ctx, what, err)
		return
	}
	c.phase, c.dialplan = phaseDialplan, what
	c.log().Info("call handed to the dialplan", zap.String("for", what), zap.String("number", number))
}

// faxDone hands what fax reception reported to the fax sink and closes
// the call: from the variables once the channel is back in Stasis, or from
// the AscoltoFax user event of the dialplan's h extension when ReceiveFAX
// failed and the channel never came back.
func (c *call) faxDone(ctx context.Context, vars map[string]string) {
	c.log().Info("fax reception finished", zap.Any("result", vars))
	pages, _ := strconv.Atoi(vars["FAXPAGES"])
	res := FaxResult{ChannelID: c.id, Caller: callerNumber(c.ch), Called: calledNumber(c.ch, c.args),
		Status: vars["FAXSTATUS"], Error: vars["FAXERROR"], Pages: pages, RemoteStationID: vars["REMOTESTATIONID"],
		File: vars["FAXFILE"], At: c.ctl.o.Clock.Now()}
	if res.Status == "" {
		// ReceiveFAX never started (the channel went before it did).
		res.Status = "FAILED"
		if res.Error == "" {
			res.Error = "the fax channel ended before reception started"
		}
	}
	// A call to the fax number has no record yet: it is made now, so the
	// fax's case is linked to it.
	if c.kind != startCallback {
		c.insertRecord(ctx)
	}
	c.settleRecord(ctx)
	if c.rec != nil {
		res.CallID = c.rec.ID
	}
	if c.ctl.o.Faxes != nil {
		c.ctl.o.Faxes.FaxReceived(ctx, res)
	}
	c.finish(ctx, OutcomeFax, "system", 0)
}

// faxEvent takes the AscoltoFax user event (extensions.conf, ascolto-fax's
// h extension) while the call is in fax reception.
func (c *call) faxEvent(ctx context.Context, e *ari.ChannelUserevent) {
	if e.Eventname != "AscoltoFax" || c.phase != phaseDialplan || c.dialplan != "fax" {
		return // after a success the result was taken from the variables
	}
	fields, _ := e.Userevent.(map[string]any)
	vars := map[string]string{}
	for k, name := range map[string]string{"status": "FAXSTATUS", "error": "FAXERROR", "pages": "FAXPAGES",
		"station": "REMOTESTATIONID", "file": "FAXFILE"} {
		if v, ok := fields[k].(string); ok && v != "" {
			vars[name] = v
		}
	}
	c.faxDone(ctx, vars)
}

// backFromDialplan reads what the dialplan reports and finishes the call.
func (c *call) backFromDialplan(ctx context.Context, e *ari.StasisStart) {
	switch c.dialplan {
	case "fax":
		vars := map[string]string{}
		for _, v := range []string{"FAXSTATUS", "FAXPAGES", "REMOTESTATIONID", "FAXFILE", "FAXERROR"} {
			val, err := c.ctl.o.Client.Variable(ctx, c.id, v)
			if err == nil {
				vars[v] = val
			}
		}
		c.faxDone(ctx, vars)
		c.phase = phaseHangingUp
		if err := c.ctl.o.Client.Hangup(ctx, c.id, "normal"); err != nil && !IsGone(err) {
			c.log().Warn("hang-up after fax reception refused", zap.Error(err))
		}
	default:
		status := ""
		if len(e.Args) > 1 {
			status = e.Args[1]
		}
		c.log().Warn("transfer failed", zap.String("dialstatus", status))
		c.dialplan = ""
		if c.xfer != nil {
			c.transferRefused(status)
			return
		}
		if c.sess != nil {
			// The flow's transfer node may say where to go on.
			if acts := c.sess.TransferFailed(c.ctl.o.Clock.Now()); acts != nil {
				c.phase = phaseIVR
				c.execute(ctx, acts)
				return
			}
		}
		// Tell the caller before hanging up: silence then a dead line
		// would leave them wondering whether anyone heard them.
		c.phase, c.final = phaseHangingUp, OutcomeTransferFailed
		lang := ivr.LangItalian
		if c.sess != nil {
			lang = c.sess.Lang()
		}
		c.seq++
		pb := fmt.Sprintf("%s.%s.%d", c.ctl.nonce, c.id, c.seq)
		c.playbacks[pb] = playThenHangup
		err := c.cmd(func() error {
			return c.ctl.o.Client.Play(ctx, c.id, pb, []string{"sound:ascolto/trasferimento-non-riuscito"}, lang)
		})
		if err != nil {
			delete(c.playbacks, pb)
			c.hangup(ctx)
		}
	}
}

// playThenHangup marks a playback after which the controller hangs up.
const playThenHangup = -2

// hangup asks Asterisk to end the call; the end is recorded when Asterisk confirms.
func (c *call) hangup(ctx context.Context) {
	c.phase = phaseHangingUp
	if err := c.cmd(func() error { return c.ctl.o.Client.Hangup(ctx, c.id, "normal") }); err != nil && !IsGone(err) {
		c.log().Error("hang-up refused", zap.Error(err))
	}
}

// recordingDone tells the IVR the caller's message is complete, or that
// none could be kept (failed).
func (c *call) recordingDone(ctx context.Context, name string, d time.Duration, failed bool) {
	if name != c.recording {
		return
	}
	c.recording = ""
	if c.ending != nil {
		// The caller already hung up: the session keeps the message, and
		// the call can now be closed with it.
		if c.sess != nil {
			c.sess.Handle(ivr.Event{Kind: ivr.EventRecordingFinished, Recording: name, Duration: d, Failed: failed, At: c.ctl.o.Clock.Now()})
		}
		c.finish(ctx, c.outcome(), c.ending.by, c.ending.cause)
		return
	}
	c.feed(ctx, ivr.Event{Kind: ivr.EventRecordingFinished, Recording: name, Duration: d, Failed: failed, At: c.ctl.o.Clock.Now()})
}

// hungUp ends the call: Asterisk says the channel is gone, or the caller left.
func (c *call) hungUp(ctx context.Context, by string, cause int) {
	if c.done || c.ending != nil {
		return
	}
	if c.sess != nil && c.phase == phaseIVR {
		c.execute(ctx, c.sess.Handle(ivr.Event{Kind: ivr.EventHangup, At: c.ctl.o.Clock.Now()}))
	}
	if c.recording != "" {
		c.ending = &callEnd{by: by, cause: cause}
		c.timers[timerRecordingGrace] = c.ctl.o.Clock.AfterFunc(recordingGrace, func() {
			c.mb.put(msg{kind: msgTimer, timer: timerRecordingGrace})
		})
		return
	}
	c.finish(ctx, c.outcome(), by, cause)
}

// outcome decides how to record the call's end from where it was.
func (c *call) outcome() string {
	if c.final != "" {
		return c.final
	}
	switch {
	case c.kind == startCallback:
		// Answered or not, a callback leg is a callback: its record's
		// agent and connected time say whether it reached one.
		return OutcomeCallback
	case c.connected:
		return OutcomeAnswered
	case c.cbRequested:
		return OutcomeCallbackRequested
	}
	switch c.phase {
	case phaseQueued:
		return OutcomeAbandonedQueue
	case phaseDialplan:
		if c.dialplan == "fax" {
			return OutcomeFax
		}
		return OutcomeTransferred
	}
	if c.sess != nil {
		if _, ok := c.sess.Recording(); ok {
			return OutcomeRecorded
		}
		if c.sess.Done() && c.sess.Outcome().Kind == ivr.OutcomeHangup {
			return OutcomeIVRCompleted
		}
	}
	if c.phase == phaseHangingUp {
		return OutcomeIVRCompleted
	}
	return OutcomeAbandonedIVR
}

// finish closes the record exactly once and stops the call's goroutine.
func (c *call) finish(ctx context.Context, outcome, by string, cause int) {
	if c.done {
		return
	}
	c.done = true
	c.stopTimers()
	if c.sess != nil {
		if rec, ok := c.sess.Recording(); ok && rec.Name != "" {
			c.saveMessage(ctx, rec)
		}
	}
	c.savePath()
	// The ACD before the record: the agent this caller was talking to is
	// free from now on, not once the record is durable (a commit and its
	// fsync away).
	c.leaveACD()
	c.setHold("")
	c.settleRecord(ctx)
	if c.rec == nil && c.kind != startCallback {
		c.insertRecord(ctx)
	}
	upd := c.update
	closing := c.ctl.o.Store.CloseCallLater(c.writeCtx(ctx), c.id, store.CallEnd{Outcome: outcome, HangupCause: cause, HangupBy: by, Update: upd})
	c.dirty = false
	c.destroyCallBridge(ctx)
	c.settleRecord(ctx)
	c.settleWrites(0)
	err := closing.Wait()
	switch {
	case err == nil:
		c.ctl.m.outcomes.WithLabelValues(outcome).Inc()
	case errors.Is(err, store.ErrAlreadyClosed):
		c.log().Warn("call record was already closed", zap.String("outcome", outcome))
	default:
		c.ctl.m.errors.WithLabelValues("store").Inc()
		c.log().Error("call record not closed", zap.String("outcome", outcome), zap.Error(err))
	}
}

// failed ends a call Asterisk would not serve, hanging it up.
func (c *call) failed(ctx context.Context, what string, err error) {
	if IsGone(err) {
		c.hungUp(ctx, "caller", 0)
		return
	}
	c.ctl.m.errors.WithLabelValues(what).Inc()
	c.log().Error("call failed", zap.String("during", what), zap.Error(err))
	c.phase = phaseHangingUp
	c.ctl.hangupEventually(ctx, c.id)
	c.finish(ctx, OutcomeFailed, "system", 0)
}

// patience is how long a request whose late success beats a failure
// waits for Asterisk (see Patient).
const patience = 30 * time.Second

// hangupEventually hangs up a channel the controller is letting go of.
// When Asterisk does not answer in time (it is starved of CPU), the
// request is tried again in the background until the channel is gone, for
// up to two minutes: a channel left in Stasis that nobody tracks any more
// is a caller hearing ringing or silence for ever (seen at 75 calls/s on
// a loaded machine: callers still in Stasis six minutes later).
func (ctl *Controller) hangupEventually(ctx context.Context, id string) {
	err := ctl.o.Client.Hangup(Patient(ctx, patience), id, "normal")
	if err == nil || IsGone(err) || StatusOf(err) != 0 {
		return
	}
	ctl.m.errors.WithLabelValues("hangup late").Inc()
	go func() {
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Second):
			}
			err := ctl.o.Client.Hangup(Patient(ctx, patience), id, "normal")
			if err == nil || IsGone(err) || StatusOf(err) != 0 {
				return
			}
		}
		ctl.log.Error("channel not hung up after two minutes of tries", zap.String("channel", id), zap.Error(err))
	}()
}

// savePath copies the IVR path, digits and tags into the pending update.
func (c *call) savePath() {
	if c.sess == nil {
		return
	}
	path := c.pathPrefix + strings.Join(c.sess.Path(), ">")
	digits := c.sess.Digits()
	lang := c.sess.Lang()
	c.update.IVRPath, c.update.Digits, c.update.Lang = &path, &digits, &lang
	cat, urg := c.tags()
	if cat != "" {
		c.update.Category = &cat
	}
	u := urg.String()
	c.update.Urgency = &u
	c.dirty = true
}

// flush writes the pending record changes after the step's commands went out.
func (c *call) flush(ctx context.Context) {
	if !c.dirty || c.done || c.rec == nil {
		return
	}
	c.dirty = false
	upd := c.update
	c.update = store.CallUpdate{}
	c.writes = append(c.writes, c.ctl.o.Store.UpdateCallLater(c.writeCtx(ctx), c.id, upd))
	// A long call's verdicts are read now and then, not all at its end.
	c.settleWrites(8)
}

func (c *call) stopTimers() {
	for id, t := range c.timers {
		t.Stop()
		delete(c.timers, id)
	}
}

// resync checks, after a reconnect, whether what the call waits for
// happened while events were not arriving.
func (c *call) resync(ctx context.Context) {
	for pb, id := range c.playbacks {
		if _, err := c.ctl.o.Client.Playback(ctx, pb); IsGone(err) {
			delete(c.playbacks, pb)
			delete(c.byAction, id)
			c.feed(ctx, ivr.Event{Kind: ivr.EventPlaybackFinished, ID: id, At: c.ctl.o.Clock.Now()})
		}
	}
	if c.recording != "" {
		if _, err := c.ctl.o.Client.LiveRecording(ctx, c.recording); IsGone(err) {
			// It ended while we were away: kept, or failed if nothing was stored.
			_, err := c.ctl.o.Client.StoredRecording(ctx, c.recording)
			c.recordingDone(ctx, c.recording, 0, IsGone(err))
		}
	}
}

// adopt takes over a call found alive after a (re)start: one already
// queued goes back to its queue; one in the IVR starts the flow again
// (its IVR state died with the old controller); one never recorded is
// recorded now.
func (c *call) adopt(ctx context.Context) {
	c.log().Info("re-adopting call", zap.Bool("recorded", c.rec != nil))
	if c.rec != nil && c.rec.Queue != "" {
		// The ACD puts it back in line by its original arrival (router.build).
		c.phase, c.inACD, c.queue = phaseQueued, true, c.rec.Queue
		c.joinQueue(c.rec.Queue)
		return
	}
	if c.rec != nil {
		// "|" marks where a re-adopted call started the flow again.
		c.pathPrefix = strings.TrimPrefix(c.rec.IVRPath+">|", ">")
	}
	if c.ch.State != "Up" {
		if err := c.ctl.o.Client.Answer(Patient(ctx, patience), c.id); err != nil {
			c.failed(ctx, "answer", err)
			return
		}
		c.answeredAt = c.ctl.o.Clock.Now()
	}
	if c.startFlow(ctx) {
		c.insertRecord(ctx)
	}
}

func callerNumber(ch ari.ChannelData) string {
	if ch.Caller != nil {
		return ch.Caller.Number
	}
	return ""
}

func callerName(ch ari.ChannelData) string {
	if ch.Caller != nil {
		return ch.Caller.Name
	}
	return ""
}

func calledNumber(ch ari.ChannelData, args []string) string {
	if len(args) > 0 {
		if _, err := strconv.ParseUint(args[0], 10, 64); err == nil {
			return args[0]
		}
	}
	if ch.Dialplan != nil {
		return ch.Dialplan.Exten
	}
	return ""
}

// tags are the call's category and urgency: the IVR session's, or those of
// the session a report recorder took over from.
func (c *call) tags() (string, ivr.Urgency) {
	cat, urg, _ := c.sess.Tags()
	if cat == "" {
		cat = c.carriedCat
	}
	return cat, max(urg, c.carried)
}
