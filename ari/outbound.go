package ari

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// Outbound calls are the ones the service places to talk to a person
// without an agent: the on-call operators' activation call-out ("press 1
// if you are coming") and the operations room's escalation ("a rescue
// request is waiting"). The caller of Dial scripts the conversation as
// plain sequential Go: Play, Collect, Hangup. The channel itself is owned
// by a goroutine of this package, like every other channel.

// Errors of outbound calls.
var (
	// ErrHungUp means the person hung up (or the call was lost).
	ErrHungUp = errors.New("ari: the other side hung up")
	// ErrNoInput means Collect timed out without a digit.
	ErrNoInput = errors.New("ari: no digits")
	// ErrStopped means the controller stopped while the call was placed.
	ErrStopped = errors.New("ari: the controller stopped")
)

// DialRequest describes an outbound call.
type DialRequest struct {
	// Number is dialled over the trunk (PJSIP/NUMBER@trunk); Endpoint, when
	// set, is dialled instead (e.g. PJSIP/101).
	Number   string
	Endpoint string
	CallerID string        // what the phone shows (default 800840840)
	Timeout  time.Duration // how long it may ring (default 30 s)
	// Purpose names the call in its record's outcome ("callout",
	// "escalation"); LinkedID ties it to what caused it.
	Purpose  string
	LinkedID string
}

// DialError says why an outbound call was not answered.
type DialError struct {
	Reason string // busy, no-answer, unreachable, refused
	Cause  int    // Q.850 cause when Asterisk gave one
	Err    error  // the REST error when the originate itself was refused
}

func (e *DialError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("ari: call not placed (%s): %v", e.Reason, e.Err)
	}
	return fmt.Sprintf("ari: call not answered (%s, cause %d)", e.Reason, e.Cause)
}

func (e *DialError) Unwrap() error { return e.Err }

// Outbound is an answered outbound call.
type Outbound struct {
	ctl     *Controller
	id      string
	mb      *mailbox
	lang    string
	purpose string

	answered chan struct{}
	ended    chan struct{} // closed once the call is over and its record closed
	stopped  chan struct{} // closed when run returns: nobody handles the mailbox any more
	failure  *DialError
	// unrecorded: the record's insert failed, so there is none to close.
	unrecorded bool

	mu      sync.Mutex
	digits  []byte
	wake    chan struct{}
	pending map[string]chan error // playback id -> waiter
	seq     int
	closed  bool
	ours    bool // the service asked for the hang-up
}

func (o *Outbound) box() *mailbox { return o.mb }

// ChannelID is the call's Asterisk channel.
func (o *Outbound) ChannelID() string { return o.id }

// Done is closed when the call is over.
func (o *Outbound) Done() <-chan struct{} { return o.ended }

// Dial places an outbound call and returns once it is answered, or a
// *DialError when it is not (busy, no answer, unreachable, refused).
func (c *Controller) Dial(ctx context.Context, r DialRequest) (*Outbound, error) {
	if r.Endpoint == "" {
		if r.Number == "" {
			return nil, errors.New("ari: dial needs a number or an endpoint")
		}
		r.Endpoint = "PJSIP/" + r.Number + "@trunk"
	}
	if r.CallerID == "" {
		r.CallerID = "800840840"
	}
	if r.Timeout <= 0 {
		r.Timeout = 30 * time.Second
	}
	if r.Purpose == "" {
		r.Purpose = "outbound"
	}
	// A call placed as the service stops would start a goroutine the
	// controller no longer waits for.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.runCtx.Err() != nil {
		return nil, ErrStopped
	}
	o := &Outbound{ctl: c, id: "ascolto-out-" + c.nonce + "-" + strconv.FormatInt(c.router.seq.Add(1), 10), mb: newMailbox(),
		lang: "it", purpose: r.Purpose, answered: make(chan struct{}), ended: make(chan struct{}), stopped: make(chan struct{}), wake: make(chan struct{}, 1),
		pending: map[string]chan error{}}
	rec := &store.Call{ChannelID: o.id, LinkedID: r.LinkedID, Direction: "outbound", Caller: r.CallerID,
		Called: r.Number, ArrivedAt: c.o.Clock.Now(), Mode: string(c.o.Live.Mode().Mode)}
	if rec.Called == "" {
		rec.Called = r.Endpoint
	}
	if err := c.o.Store.InsertCall(ctx, rec); err != nil {
		c.log.Warn("outbound call record not stored", zap.Error(err))
		o.unrecorded = true
	}
	c.own(o.id, o)
	c.wg.Add(1)
	go o.run(c.runCtx)
	_, err := c.o.Client.Originate(ctx, OriginateRequest{ChannelID: o.id, Endpoint: r.Endpoint, CallerID: r.CallerID,
		Timeout: r.Timeout, AppArgs: r.Purpose})
	if err != nil {
		reason := "refused"
		if strings.Contains(err.Error(), "Allocation failed") {
			reason = "unreachable"
		}
		de := &DialError{Reason: reason, Err: err}
		o.mb.put(msg{kind: msgFunc, fn: func() { o.fail(de) }})
		// A controller stopping cancels the originate too, and then its
		// call's goroutine may be gone before it reads the failure.
		select {
		case <-o.ended:
		case <-o.stopped:
		}
		return nil, de
	}
	select {
	case <-o.answered:
		return o, nil
	case <-o.ended:
		return nil, o.failure
	case <-o.stopped:
		return nil, ErrStopped
	case <-ctx.Done():
		o.Hangup(context.Background())
		return nil, ctx.Err()
	}
}

func (o *Outbound) run(ctx context.Context) {
	ctl := o.ctl
	defer ctl.wg.Done()
	defer close(o.stopped)
	defer ctl.forget(o.id, o)
	for {
		select {
		case <-ctx.Done():
			return
		case <-o.mb.signal:
		}
		for _, m := range o.mb.drain() {
			if o.handle(m) {
				return
			}
		}
	}
}

// handle reports whether the call is over.
func (o *Outbound) handle(m msg) bool {
	switch m.kind {
	case msgFunc:
		m.fn()
	case msgGone:
		o.end(0)
	case msgEvent:
		switch e := m.ev.Event.(type) {
		case *ari.StasisStart:
			select {
			case <-o.answered:
			default:
				now := o.ctl.o.Clock.Now()
				o.ctl.wg.Add(1)
				go func() {
					defer o.ctl.wg.Done()
					o.ctl.o.Store.UpdateCall(context.Background(), o.id, store.CallUpdate{AnsweredAt: &now})
				}()
				close(o.answered)
			}
		case *ari.ChannelDtmfReceived:
			if len(e.Digit) == 1 {
				o.mu.Lock()
				o.digits = append(o.digits, e.Digit[0])
				o.mu.Unlock()
				select {
				case o.wake <- struct{}{}:
				default:
				}
			}
		case *ari.PlaybackFinished:
			o.mu.Lock()
			w := o.pending[e.Playback.ID]
			delete(o.pending, e.Playback.ID)
			o.mu.Unlock()
			if w != nil {
				w <- nil
			}
		case *ari.ChannelDestroyed:
			o.end(e.Cause)
		case *ari.ChannelHangupRequest:
			o.mu.Lock()
			ours := o.ours
			o.mu.Unlock()
			o.end(requestCause(e, ours))
		case *ari.StasisEnd:
			o.end(0)
		}
	}
	select {
	case <-o.ended:
		return true
	default:
		return false
	}
}

// end closes the call once, recording an unanswered one as a failure.
func (o *Outbound) end(cause int) {
	select {
	case <-o.ended:
		return
	default:
	}
	o.mu.Lock()
	by := "callee"
	if o.ours {
		by = "system"
	}
	o.mu.Unlock()
	select {
	case <-o.answered:
		o.close(o.purpose, cause, by)
	default:
		reason := "no-answer"
		switch cause {
		case 17:
			reason = "busy"
		case 1, 3, 20, 27, 38:
			reason = "unreachable"
		}
		o.failure = &DialError{Reason: reason, Cause: cause}
		o.close(o.purpose+"-"+reason, cause, by)
	}
}

func (o *Outbound) fail(de *DialError) {
	o.failure = de
	o.close(o.purpose+"-"+de.Reason, 0, "system")
}

// close records the end; by is who ended it: "callee" (the person hung
// up, or never answered), "system" (the service hung up). The record is
// closed before Done is: whoever waits for the call's end (Dial, the
// on-call runner) goes on only once it is written, so nothing about the
// call is still being done after a shutdown that waited for them.
func (o *Outbound) close(outcome string, cause int, by string) {
	o.mu.Lock()
	o.closed = true
	for id, w := range o.pending {
		w <- ErrHungUp
		delete(o.pending, id)
	}
	o.mu.Unlock()
	if !o.unrecorded {
		err := o.ctl.o.Store.CloseCall(context.Background(), o.id, store.CallEnd{Outcome: outcome, HangupCause: cause, HangupBy: by})
		if err != nil && !errors.Is(err, store.ErrAlreadyClosed) {
			o.ctl.log.Warn("outbound call record not closed", zap.String("channel", o.id), zap.Error(err))
		}
	}
	close(o.ended)
}

// SetLang sets the language prompts are played in ("it", "en").
func (o *Outbound) SetLang(lang string) { o.lang = lang }

// Play plays media in order and returns when it has finished, or
// ErrHungUp. Digits pressed meanwhile are kept for the next Collect.
func (o *Outbound) Play(ctx context.Context, media ...string) error {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return ErrHungUp
	}
	o.seq++
	pb := fmt.Sprintf("%s.p%d", o.id, o.seq)
	done := make(chan error, 1)
	o.pending[pb] = done
	o.mu.Unlock()
	if err := o.ctl.o.Client.Play(ctx, o.id, pb, media, o.lang); err != nil {
		o.mu.Lock()
		delete(o.pending, pb)
		o.mu.Unlock()
		if IsGone(err) {
			return ErrHungUp
		}
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CollectOptions says how digits are read.
type CollectOptions struct {
	Max        int           // stop after this many digits (0: no limit, needs a Terminator)
	Terminator byte          // stop at this key, not returned (e.g. '#'); 0: none
	First      time.Duration // wait for the first digit (default 10 s)
	Between    time.Duration // wait between digits (default 5 s)
}

// Collect reads digits, starting with any pressed since the last Collect.
// It returns ErrNoInput when nothing was pressed in time, ErrHungUp when
// the person hung up.
func (o *Outbound) Collect(ctx context.Context, c CollectOptions) (string, error) {
	if c.First <= 0 {
		c.First = 10 * time.Second
	}
	if c.Between <= 0 {
		c.Between = 5 * time.Second
	}
	var got []byte
	wait := c.First
	for {
		o.mu.Lock()
		for len(o.digits) > 0 {
			d := o.digits[0]
			o.digits = o.digits[1:]
			if c.Terminator != 0 && d == c.Terminator {
				o.mu.Unlock()
				return string(got), nil
			}
			got = append(got, d)
			wait = c.Between
			if c.Max > 0 && len(got) >= c.Max {
				o.mu.Unlock()
				return string(got), nil
			}
		}
		closed := o.closed
		o.mu.Unlock()
		if closed {
			return string(got), ErrHungUp
		}
		t := o.ctl.o.Clock.NewTimer(wait)
		select {
		case <-o.wake:
			t.Stop()
		case <-t.C():
			if len(got) == 0 {
				return "", ErrNoInput
			}
			return string(got), nil
		case <-o.ended:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return string(got), ctx.Err()
		}
	}
}

// Hangup ends the call.
func (o *Outbound) Hangup(ctx context.Context) error {
	select {
	case <-o.ended:
		return nil
	default:
	}
	o.mu.Lock()
	o.ours = true
	o.mu.Unlock()
	if err := o.ctl.o.Client.Hangup(ctx, o.id, "normal"); err != nil && !IsGone(err) {
		return err
	}
	select {
	case <-o.ended:
	case <-time.After(5 * time.Second):
		o.mb.put(msg{kind: msgGone})
	}
	return nil
}

// Announcement is a recorded message phoned to someone who must confirm
// hearing it (the operations room on an escalation).
type Announcement struct {
	Number   string
	Purpose  string // recorded on the call, e.g. "escalation"
	LinkedID string // ties the call record to what caused it
	Media    []string
}

// Announce dials a.Number, plays the message and asks for 1; if nobody
// presses it, it plays the message once more; then it hangs up. It returns
// once the call is over: answered says someone picked up, confirmed that 1
// was pressed. A dial that fails returns its *DialError.
func (c *Controller) Announce(ctx context.Context, a Announcement) (answered, confirmed bool, err error) {
	out, err := c.Dial(ctx, DialRequest{Number: a.Number, Purpose: a.Purpose, LinkedID: a.LinkedID})
	if err != nil {
		return false, false, err
	}
	defer out.Hangup(context.WithoutCancel(ctx))
	for range 2 {
		if err := out.Play(ctx, a.Media...); err != nil {
			if errors.Is(err, ErrHungUp) {
				return true, false, nil
			}
			return true, false, err
		}
		key, err := out.Collect(ctx, CollectOptions{Max: 1, First: 8 * time.Second})
		if key == "1" {
			return true, true, nil
		}
		if errors.Is(err, ErrHungUp) {
			return true, false, nil
		}
	}
	return true, false, nil
}
