package arisim

import (
	"sort"
	"strings"
	"time"

	"github.com/ascolto/ascolto/clock"
)

type stepKind int

const (
	stepWait stepKind = iota
	stepPress
	stepHangUp
	stepHangUpAfter
	stepTalk
	stepUntil
)

// Step is one thing a scripted party does: wait, press digits, talk, wait
// for something to happen, hang up. Steps run in order on the server clock,
// without a goroutine per party.
type Step struct {
	kind   stepKind
	d      time.Duration
	digits string
	gap    time.Duration
	what   string
	cond   func(r *CallReport, since time.Time) bool
}

// Wait does nothing for d.
func Wait(d time.Duration) Step { return Step{kind: stepWait, d: d} }

// Press sends DTMF digits (RFC 2833: each ChannelDtmfReceived arrives at
// the end of the digit), 300 ms apart.
func Press(digits string) Step { return PressGap(digits, 300*time.Millisecond) }

// PressGap sends DTMF digits with gap between the end of one and the start of the next.
func PressGap(digits string, gap time.Duration) Step {
	return Step{kind: stepPress, digits: digits, gap: gap}
}

// HangUp sends a BYE: the party hangs up now.
func HangUp() Step { return Step{kind: stepHangUp} }

// HangUpAfter arms a deadline: the party hangs up d from now whatever the
// following steps are doing ("hangs up after 40 s").
func HangUpAfter(d time.Duration) Step { return Step{kind: stepHangUpAfter, d: d} }

// Talk makes the party speak for d (a recording hears it as a tone, and it
// is not silence for maxSilenceSeconds).
func Talk(d time.Duration) Step { return Step{kind: stepTalk, d: d} }

// WaitAnswered waits until the call is answered.
func WaitAnswered() Step {
	return Step{kind: stepUntil, what: "answered", cond: func(r *CallReport, _ time.Time) bool { return r.Answered }}
}

// WaitBridged waits until the party talks with someone: another channel in a
// mixing bridge, or the far end of a dialplan Dial().
func WaitBridged() Step {
	return Step{kind: stepUntil, what: "bridged", cond: func(r *CallReport, _ time.Time) bool { return r.BridgedNow }}
}

// WaitPlaybackStarted waits until media uri (for example "sound:menu") is
// playing to the party, or starts after this step begins.
func WaitPlaybackStarted(uri string) Step {
	return Step{kind: stepUntil, what: "playback started " + uri, cond: func(r *CallReport, since time.Time) bool {
		for _, h := range r.Heard {
			if h.URI == uri && (h.End.IsZero() || !h.Start.Before(since)) {
				return true
			}
		}
		return false
	}}
}

// WaitPlaybackFinished waits until media uri, playing now or started later,
// has finished (or was stopped) while this step waited.
func WaitPlaybackFinished(uri string) Step {
	return Step{kind: stepUntil, what: "playback finished " + uri, cond: func(r *CallReport, since time.Time) bool {
		for _, h := range r.Heard {
			if h.URI == uri && !h.End.IsZero() && !h.End.Before(since) {
				return true
			}
		}
		return false
	}}
}

// WaitUntil waits until cond holds for the call's report.
func WaitUntil(what string, cond func(r CallReport) bool) Step {
	return Step{kind: stepUntil, what: what, cond: func(r *CallReport, _ time.Time) bool { return cond(*r) }}
}

// Heard is one thing played to a party: a playback (URI and id), music on
// hold ("moh:default"), ringing ("indication:ringing"), a beep, or DTMF the
// controller sent ("dtmf:12").
type Heard struct {
	URI        string
	PlaybackID string
	Start      time.Time
	End        time.Time // zero while it lasts
	State      string    // done, failed or stopped for playbacks
}

// Bridging is a stretch of time during which the party talked with others.
type Bridging struct {
	Bridge string   // bridge id, or "dial" for a dialplan Dial()
	With   []string // the other channels' ids
	Start  time.Time
	End    time.Time
}

// CallReport is what a scripted party experienced so far.
type CallReport struct {
	ChannelID    string
	Endpoint     string
	From, To     string
	Answered     bool
	AnsweredAt   time.Time
	BridgedNow   bool
	Bridged      []Bridging
	Heard        []Heard
	Pressed      string // digits the party pressed
	DTMFReceived string // digits the controller sent to the party
	Ended        bool
	EndedAt      time.Time
	Cause        int    // ChannelDestroyed cause
	HungUpBy     string // remote (the party), controller, dialplan, timeout, busy, restart
	Step         int    // index of the step running now (len(steps) when done)
	Waiting      string // what the party waits for, if anything
}

// CallSpec describes an inbound call.
type CallSpec struct {
	From     string // caller number, for example "+390862123456"
	Name     string // caller name
	To       string // dialed number, the extension (default 800840840)
	Endpoint string // PJSIP endpoint it arrives on (default "trunk")
	Context  string // dialplan context (default the endpoint's, from-trunk)
}

// Call is a handle on a scripted party: an inbound caller, or the far end of
// a channel the controller dialed.
type Call struct {
	s    *Server
	p    *party
	done chan struct{}
}

type party struct {
	call     *Call
	ch       *channel
	steps    []Step
	pc       int
	started  bool
	running  bool
	again    bool
	waiting  *Step
	since    time.Time
	timer    clock.Timer
	deadline clock.Timer
	rep      CallReport
	talks    []struct{ from, to time.Time }
}

func newParty(s *Server, ch *channel, steps []Step) *party {
	p := &party{ch: ch, steps: steps}
	p.call = &Call{s: s, p: p, done: make(chan struct{})}
	p.rep.ChannelID = ch.id
	if ch.ep != nil {
		p.rep.Endpoint = ch.ep.key
	}
	p.rep.To = ch.user
	return p
}

// Call places an inbound call: a channel appears on the endpoint in state
// Ring and runs the dialplan (by default 800840840 -> Stasis(ascolto)), then
// the party follows steps.
func (s *Server) Call(spec CallSpec, steps ...Step) *Call {
	if spec.To == "" {
		spec.To = "800840840"
	}
	if spec.Endpoint == "" {
		spec.Endpoint = "trunk"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ep := s.endpoints["PJSIP/"+spec.Endpoint]
	if ep == nil {
		ctx := spec.Context
		if ctx == "" {
			ctx = "from-" + spec.Endpoint
		}
		ep = s.addEndpointLocked("PJSIP/"+spec.Endpoint, Answer(0), ctx)
	}
	ctx := spec.Context
	if ctx == "" {
		ctx = ep.context
	}
	ch := s.newChannelLocked(ep, kindInbound, "")
	ch.snap.Caller = callerID{Name: spec.Name, Number: spec.From}
	ch.setState("Ring")
	p := newParty(s, ch, steps)
	p.rep.From, p.rep.To = spec.From, spec.To
	ch.party = p
	ep.calls = append(ep.calls, p.call)
	s.updateDeviceLocked(ep)
	if s.closed {
		p.ended(s, hangup{by: "restart"})
		return p.call
	}
	s.runDialplanLocked(ch, ctx, spec.To, 1)
	if !ch.dead {
		p.start(s)
	}
	return p.call
}

// ChannelID returns the id of the party's channel.
func (c *Call) ChannelID() string {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.p.rep.ChannelID
}

// Done is closed when the party's channel is gone.
func (c *Call) Done() <-chan struct{} { return c.done }

// Report returns a copy of what the party experienced so far.
func (c *Call) Report() CallReport {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	r := c.p.rep
	r.Heard = append([]Heard(nil), r.Heard...)
	r.Bridged = append([]Bridging(nil), r.Bridged...)
	r.Step = c.p.pc
	if c.p.waiting != nil {
		r.Waiting = c.p.waiting.what
	}
	return r
}

// HangUp makes the party hang up now (a BYE from the far end).
func (c *Call) HangUp() {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if ch := c.p.ch; ch != nil && !ch.dead {
		c.s.hangupLocked(ch, remoteHangup(ch))
	}
}

// Press makes the party press digits now, next to whatever its script does.
func (c *Call) Press(digits string) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.p.pressFrom(c.s, digits, 300*time.Millisecond, 0, nil)
}

// Talk makes the party speak for d, starting now.
func (c *Call) Talk(d time.Duration) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.p.talk(c.s, d)
}

func (p *party) start(s *Server) {
	if p.started {
		return
	}
	p.started = true
	p.run(s)
}

// run executes steps until one blocks. It is re-entrant safe: a step that
// triggers a poke (a hang-up, a DTMF) only marks another pass.
func (p *party) run(s *Server) {
	if p.running {
		p.again = true
		return
	}
	p.running = true
	defer func() { p.running = false }()
	for {
		p.again = false
		p.runOnce(s)
		if !p.again {
			return
		}
	}
}

func (p *party) runOnce(s *Server) {
	for p.started && p.pc < len(p.steps) && !p.rep.Ended {
		if p.waiting != nil {
			if !p.waiting.cond(&p.rep, p.since) {
				return
			}
			p.waiting = nil
			p.pc++
			continue
		}
		if p.timer != nil {
			return // a timed step is in flight
		}
		st := p.steps[p.pc]
		switch st.kind {
		case stepWait:
			p.timer = s.afterLocked(st.d, func() { p.timer = nil; p.pc++; p.run(s) })
			return
		case stepTalk:
			p.talk(s, st.d)
			p.timer = s.afterLocked(st.d, func() { p.timer = nil; p.pc++; p.run(s) })
			return
		case stepPress:
			p.pressFrom(s, st.digits, st.gap, 0, func() { p.timer = nil; p.pc++; p.run(s) })
			return
		case stepHangUp:
			p.pc++
			if ch := p.ch; ch != nil && !ch.dead {
				s.hangupLocked(ch, remoteHangup(ch))
			}
			return
		case stepHangUpAfter:
			if p.deadline != nil {
				p.deadline.Stop()
			}
			p.deadline = s.afterLocked(st.d, func() {
				if ch := p.ch; ch != nil && !ch.dead {
					s.hangupLocked(ch, remoteHangup(ch))
				}
			})
			p.pc++
		case stepUntil:
			p.waiting = &p.steps[p.pc]
			p.since = s.now()
		}
	}
}

// pressFrom emits digits[i:] one by one: each ChannelDtmfReceived arrives at
// the end of its digit.
func (p *party) pressFrom(s *Server, digits string, gap time.Duration, i int, then func()) {
	if i >= len(digits) || p.rep.Ended {
		if then != nil {
			then()
		}
		return
	}
	wait := s.dtmfLen
	if i > 0 {
		wait += gap
	}
	t := s.afterLocked(wait, func() {
		ch := p.ch
		if ch == nil || ch.dead {
			return
		}
		digit := string(digits[i])
		p.rep.Pressed += digit
		s.emitChannel(ch, "ChannelDtmfReceived", nil, []kv{{"digit", digit}, {"duration_ms", int(s.dtmfLen / time.Millisecond)}})
		s.dtmfRecordingLocked(ch, digit)
		s.dialplanDTMFLocked(ch, digit)
		p.pressFrom(s, digits, gap, i+1, then)
	})
	if then != nil {
		p.timer = t
	}
}

func (p *party) talk(s *Server, d time.Duration) {
	from := s.now()
	p.talks = append(p.talks, struct{ from, to time.Time }{from, from.Add(d)})
	if ch := p.ch; ch != nil && ch.rec != nil && ch.rec.maxSilence > 0 {
		if ch.rec.silence != nil {
			ch.rec.silence.Stop()
		}
		rec := ch.rec
		s.armSilenceAfterTalk(rec, d)
	}
}

// armSilenceAfterTalk restarts the silence countdown when the talk ends.
func (s *Server) armSilenceAfterTalk(rec *liveRecording, talk time.Duration) {
	rec.silence = s.afterLocked(talk+rec.maxSilence, func() {
		if s.live[rec.name] == rec && rec.state == "recording" && (rec.ch == nil || rec.ch.party == nil || !rec.ch.party.talking(s)) {
			rec.trim = rec.maxSilence
			s.finishRecordingLocked(rec, "done")
		}
	})
}

func (p *party) talking(s *Server) bool {
	now := s.now()
	for _, t := range p.talks {
		if !now.Before(t.from) && now.Before(t.to) {
			return true
		}
	}
	return false
}

// talksBetween returns the talk spans within [from, to), relative to from.
func (p *party) talksBetween(from, to time.Time) []span {
	var out []span
	for _, t := range p.talks {
		a, b := t.from, t.to
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if a.Before(b) {
			out = append(out, span{a.Sub(from), b.Sub(from)})
		}
	}
	return out
}

func (p *party) poke(s *Server) {
	if p.waiting != nil {
		p.run(s)
	}
}

func (p *party) answered(s *Server) {
	if !p.rep.Answered {
		p.rep.Answered = true
		p.rep.AnsweredAt = s.now()
	}
}

func (p *party) ended(s *Server, h hangup) {
	if p.rep.Ended {
		return
	}
	now := s.now()
	p.rep.Ended, p.rep.EndedAt, p.rep.Cause, p.rep.HungUpBy = true, now, h.cause, h.by
	for i := range p.rep.Heard {
		if p.rep.Heard[i].End.IsZero() {
			p.rep.Heard[i].End = now
			if p.rep.Heard[i].PlaybackID != "" && p.rep.Heard[i].State == "" {
				p.rep.Heard[i].State = "failed"
			}
		}
	}
	p.closeBridging(now)
	p.rep.BridgedNow = false
	for _, t := range []clock.Timer{p.timer, p.deadline} {
		if t != nil {
			t.Stop()
		}
	}
	p.waiting = nil
	close(p.call.done)
}

func (p *party) hear(s *Server, uri string, _ *channel) {
	if p.rep.Ended {
		return
	}
	p.rep.Heard = append(p.rep.Heard, Heard{URI: uri, Start: s.now()})
	p.poke(s)
}

func (p *party) stopHearing(s *Server, uri string) {
	for i := len(p.rep.Heard) - 1; i >= 0; i-- {
		if h := &p.rep.Heard[i]; h.URI == uri && h.End.IsZero() {
			h.End = s.now()
			p.poke(s)
			return
		}
	}
}

func (p *party) stopHearingAfter(s *Server, uri string, d time.Duration) {
	s.afterLocked(d, func() { p.stopHearing(s, uri) })
}

func (p *party) hearPlayback(s *Server, pb *playback) {
	if p.rep.Ended {
		return
	}
	p.rep.Heard = append(p.rep.Heard, Heard{URI: pb.media[pb.idx], PlaybackID: pb.id, Start: s.now()})
	p.poke(s)
}

func (p *party) playbackEnded(s *Server, pb *playback, state string) {
	for i := len(p.rep.Heard) - 1; i >= 0; i-- {
		if h := &p.rep.Heard[i]; h.PlaybackID == pb.id && h.End.IsZero() {
			h.End, h.State = s.now(), state
			p.poke(s)
			return
		}
	}
}

func (p *party) receivedDTMF(s *Server, digits string) {
	p.rep.DTMFReceived += digits
	now := s.now()
	p.rep.Heard = append(p.rep.Heard, Heard{URI: "dtmf:" + digits, Start: now, End: now})
	p.poke(s)
}

func (p *party) closeBridging(now time.Time) {
	if n := len(p.rep.Bridged); n > 0 && p.rep.Bridged[n-1].End.IsZero() {
		p.rep.Bridged[n-1].End = now
	}
}

// bridgeChanged records who the party talks with in b (nil: it left).
func (p *party) bridgeChanged(s *Server, b *bridge) {
	if p.rep.Ended {
		return
	}
	var with []string
	if b != nil && b.kind == "mixing" {
		for _, o := range b.chans {
			if o != p.ch {
				with = append(with, o.id)
			}
		}
	}
	sort.Strings(with)
	now := s.now()
	if n := len(p.rep.Bridged); n > 0 && p.rep.Bridged[n-1].End.IsZero() {
		cur := p.rep.Bridged[n-1]
		if b != nil && cur.Bridge == b.id && strings.Join(cur.With, ",") == strings.Join(with, ",") {
			return
		}
		p.closeBridging(now)
	}
	p.rep.BridgedNow = len(with) > 0
	if len(with) > 0 {
		p.rep.Bridged = append(p.rep.Bridged, Bridging{Bridge: b.id, With: with, Start: now})
	}
	p.poke(s)
}

// linkedTo records the two legs of a dialplan Dial() talking.
func (p *party) linkedTo(s *Server, other *channel) {
	p.closeBridging(s.now())
	p.rep.Bridged = append(p.rep.Bridged, Bridging{Bridge: "dial", With: []string{other.id}, Start: s.now()})
	p.rep.BridgedNow = true
	p.poke(s)
}
