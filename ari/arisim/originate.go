package arisim

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/ascolto/ascolto/clock"
)

// dialing is an outbound leg between INVITE and answer (or failure).
type dialing struct {
	dialstring string
	originate  bool // POST /channels (vs create + /dial, or the dialplan's Dial)
	timeout    clock.Timer
	answer     clock.Timer
	onAnswer   func() // what happens once up: Stasis, dialplan, or bridging
	onFail     func(status string)
}

func (d *dialing) stop() {
	if d.timeout != nil {
		d.timeout.Stop()
	}
	if d.answer != nil {
		d.answer.Stop()
	}
}

// afterLocked runs f under the lock once d has passed on the server clock,
// unless the server was closed or restarted meanwhile.
func (s *Server) afterLocked(d time.Duration, f func()) clock.Timer {
	epoch := s.epoch
	return s.clk.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || s.epoch != epoch {
			return
		}
		f()
	})
}

// resolveLocked turns a dial string into an endpoint: "PJSIP/101",
// "PJSIP/+390612345678@trunk", "PJSIP/trunk/sip:+390612345678@carrier".
// Failures are Asterisk's responses.
func (s *Server) resolveLocked(dial string) (*endpoint, string, *result) {
	tech, rest, valid := normalizeEndpoint(dial)
	if !valid {
		r := fail(http.StatusBadRequest, "Invalid endpoint specified")
		return nil, "", &r
	}
	user, res, hasUser := strings.Cut(rest, "@")
	if !hasUser {
		res, user = rest, ""
	}
	if ep, uri, hasURI := strings.Cut(rest, "/"); hasURI {
		// PJSIP/endpoint/URI: chan_pjsip dials the URI (or AOR) through the
		// endpoint, and res_pjsip refuses one that is not sip: or sips:
		// ("Could not create dialog to invalid URI"), so a bare number
		// there fails like an unknown endpoint.
		u, ok := sipURIUser(uri)
		if !ok {
			r := allocationFailed()
			return nil, "", &r
		}
		res, user = ep, u
	}
	ep := s.endpoints[tech+"/"+res]
	if ep == nil || s.shuttingDown || (s.refuse != nil && strings.HasPrefix(dial, *s.refuse)) {
		r := allocationFailed()
		return nil, "", &r
	}
	if s.behaviourLocked(ep, user).kind == behUnreachable {
		r := allocationFailed()
		return nil, "", &r
	}
	return ep, user, nil
}

// sipURIUser returns the user part of a sip: or sips: URI.
func sipURIUser(uri string) (string, bool) {
	lower := strings.ToLower(uri)
	switch {
	case strings.HasPrefix(lower, "sip:"):
		uri = uri[len("sip:"):]
	case strings.HasPrefix(lower, "sips:"):
		uri = uri[len("sips:"):]
	default:
		return "", false
	}
	user, host, hasUser := strings.Cut(uri, "@")
	if !hasUser {
		return "", host != ""
	}
	return user, host != ""
}

func dialstringOf(ch *channel) string {
	if ch.user != "" {
		return ch.user + "@" + ch.ep.resource
	}
	return ch.ep.resource
}

// parseCallerID reads `"Name" <number>`, `Name <number>` or a bare number.
func parseCallerID(s string) callerID {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "<"); i >= 0 && strings.HasSuffix(s, ">") {
		name := strings.Trim(strings.TrimSpace(s[:i]), `"`)
		return callerID{Name: name, Number: s[i+1 : len(s)-1]}
	}
	return callerID{Number: s}
}

func (s *Server) originate(q *request) result {
	dial := q.p.str("endpoint")
	if dial == "" {
		return fail(http.StatusBadRequest, "Endpoint must be specified")
	}
	appName, exten := q.p.str("app"), q.p.str("extension")
	if appName == "" && exten == "" {
		return fail(http.StatusBadRequest, "Application or extension must be specified")
	}
	id := q.p.str("channelId")
	if len(q.segs) == 2 {
		id = q.segs[1]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != "" && s.channels[id] != nil {
		return fail(http.StatusConflict, "Channel with given unique ID already exists")
	}
	ep, user, errRes := s.resolveLocked(dial)
	if errRes != nil {
		return *errRes
	}
	ch := s.newChannelLocked(ep, kindOriginate, id)
	ch.user = user
	for k, v := range q.p.vars {
		ch.vars[k] = v
	}
	ch.setDialplan(ep.context, "s", 1, "AppDial2", "(Outgoing Line)")
	s.emitChannel(ch, "ChannelDialplan", nil, []kv{{"dialplan_app", "AppDial2"}, {"dialplan_app_data", "(Outgoing Line)"}})
	if cid := q.p.str("callerId"); cid != "" {
		// A bare number keeps the endpoint's configured name (real
		// Asterisk: "Operatore 2101" with callerId=+390862400001).
		given := parseCallerID(cid)
		ch.snap.Caller.Number = given.Number
		if given.Name != "" {
			ch.snap.Caller.Name = given.Name
		}
		ch.touch()
		s.emitChannel(ch, "ChannelCallerId", nil, []kv{{"caller_presentation", 0}, {"caller_presentation_txt", "Presentation Allowed, Not Screened"}})
		ch.snap.Connected = given
		ch.touch()
		s.emitChannel(ch, "ChannelConnectedLine", nil, nil)
	}
	if appName != "" {
		ch.subs[appName]++
		ch.originApp = appName
	}
	resp := json.RawMessage(append([]byte(nil), ch.json()...))
	timeout := time.Duration(q.p.int("timeout", 30)) * time.Second
	if timeout == 0 {
		timeout = 30 * time.Second // 0 means Asterisk's default (LIBRARY-NOTES trap 8)
	}
	appArgs := q.p.str("appArgs")
	ctx, prio := q.p.str("context"), q.p.int("priority", 1)
	if ctx == "" {
		ctx = ep.context
	}
	d := &dialing{dialstring: dialstringOf(ch), originate: true}
	d.onAnswer = func() {
		if appName != "" {
			ch.setDialplan(ch.snap.Dialplan.Context, "s", 1, "Stasis", joinAppData(appName, appArgs))
			if !s.enterStasisLocked(ch, appName, splitArgs(appArgs)) {
				s.hangupLocked(ch, hangup{cause: 16, by: "dialplan"})
			}
			return
		}
		s.runDialplanLocked(ch, ctx, exten, prio)
	}
	s.startDialLocked(ch, d, timeout)
	return ok(resp)
}

func (s *Server) createChannel(q *request) result {
	dial := q.p.str("endpoint")
	if dial == "" {
		return fail(http.StatusBadRequest, "Endpoint must be specified")
	}
	id := q.p.str("channelId")
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != "" && s.channels[id] != nil {
		return fail(http.StatusConflict, "Channel with given unique ID already exists")
	}
	ep, user, errRes := s.resolveLocked(dial)
	if errRes != nil {
		return *errRes
	}
	ch := s.newChannelLocked(ep, kindCreate, id)
	ch.user = user
	for k, v := range q.p.vars {
		ch.vars[k] = v
	}
	ch.setDialplan(ep.context, "s", 1, "", "")
	resp := json.RawMessage(append([]byte(nil), ch.json()...))
	appName, appArgs := q.p.str("app"), q.p.str("appArgs")
	if appName == "" {
		// Lenient: 200, and the channel dies at once (surprise 6).
		s.hangupLocked(ch, hangup{cause: 16, noRequest: true, by: "dialplan"})
		return ok(resp)
	}
	ch.subs[appName]++
	ch.originApp = appName
	ch.setDialplan(ep.context, "s", 1, "Stasis", joinAppData(appName, appArgs))
	s.emitChannel(ch, "ChannelDialplan", nil, []kv{{"dialplan_app", "Stasis"}, {"dialplan_app_data", joinAppData(appName, appArgs)}})
	if !s.enterStasisLocked(ch, appName, splitArgs(appArgs)) {
		s.hangupLocked(ch, hangup{cause: 16, by: "dialplan"})
	}
	return ok(resp)
}

func (s *Server) dialChannel(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, errRes := s.stasisChannel(q.segs[1])
	if errRes != nil {
		return *errRes
	}
	if ch.kind != kindCreate || ch.dial != nil || ch.up() {
		return fail(http.StatusConflict, "Channel cannot be dialed")
	}
	if callerID := q.p.str("caller"); callerID != "" {
		if c := s.channels[callerID]; c != nil {
			ch.snap.Connected = c.snap.Caller
			ch.touch()
			s.emitChannel(ch, "ChannelConnectedLine", nil, nil)
		}
	}
	timeout := time.Duration(q.p.int("timeout", 0)) * time.Second
	d := &dialing{dialstring: dialstringOf(ch)}
	d.onAnswer = func() {}
	s.startDialLocked(ch, d, timeout)
	return noContent()
}

// startDialLocked plays the far end's behaviour: ringing, answer, busy, or
// silence, with the Dial events each path produces (surprise 4).
func (s *Server) startDialLocked(ch *channel, d *dialing, timeout time.Duration) {
	ch.dial = d
	b := s.behaviourLocked(ch.ep, ch.user)
	ch.party = newParty(s, ch, b.script)
	ch.ep.calls = append(ch.ep.calls, ch.party.call)
	s.emitDial(ch, "", d.dialstring)
	later := ""
	if d.originate {
		later = d.dialstring
	}
	switch b.kind {
	case behBusy:
		h := hangup{reqCause: 17, reqTech: 486, cause: 17, tech: 486, by: "busy"}
		if d.originate {
			h.dialFinal = "BUSY"
		}
		if d.onFail != nil {
			defer d.onFail("BUSY")
		}
		s.hangupLocked(ch, h)
		return
	case behAnswer, behNoAnswer:
		ch.setState("Ringing")
		s.emitChannel(ch, "ChannelStateChange", nil, nil)
		s.updateDeviceLocked(ch.ep)
		s.emitDial(ch, "RINGING", later)
		if b.kind == behAnswer {
			if b.after <= 0 {
				s.answerDialLocked(ch, later)
				return
			}
			d.answer = s.afterLocked(b.after, func() {
				if !ch.dead && ch.dial == d {
					s.answerDialLocked(ch, later)
				}
			})
		}
	}
	if timeout > 0 {
		d.timeout = s.afterLocked(timeout, func() {
			if ch.dead || ch.dial != d || ch.up() {
				return
			}
			h := hangup{cause: 19, tech: 480, by: "timeout"}
			if d.originate || ch.kind == kindDialplan {
				h.noRequest = true
			} else {
				h.reqCause, h.soft = 32, true
			}
			s.hangupLocked(ch, h)
			if d.onFail != nil {
				d.onFail("NOANSWER")
			}
		})
	}
}

func (s *Server) answerDialLocked(ch *channel, dialstring string) {
	d := ch.dial
	d.stop()
	s.answerLocked(ch)
	s.emitDial(ch, "ANSWER", dialstring)
	ch.dial = nil
	if d.onAnswer != nil {
		d.onAnswer()
	}
	if !ch.dead && ch.party != nil {
		ch.party.start(s)
	}
}
