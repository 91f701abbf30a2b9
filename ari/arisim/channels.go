package arisim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// chanKind is how a channel came to exist; Asterisk treats each differently
// at hangup (surprise 1) and at dial (surprise 4).
type chanKind int

const (
	kindInbound   chanKind = iota // a call arriving from outside, running the dialplan
	kindOriginate                 // POST /channels: enters Stasis when answered
	kindCreate                    // POST /channels/create: in Stasis at once, then /dial
	kindSnoop                     // POST /channels/{id}/snoop
	kindDialplan                  // outbound leg of the dialplan's Dial()
)

type channel struct {
	seq   int
	id    string
	snap  channelJSON
	cache []byte
	kind  chanKind
	ep    *endpoint
	user  string // number dialed through a trunk (PJSIP/number@trunk)
	vars  map[string]string
	subs  map[string]int // app name -> subscription count (Stasis, originate, explicit)

	stasis     *app // the app the channel is in, nil outside Stasis
	stasisName string
	bridge     *bridge
	mq         mediaQueue
	rec        *liveRecording
	moh        string
	role       string // its role in its bridge (addChannel's role)
	party      *party
	dial       *dialing
	dp         *dpRun
	pbx        bool // the dialplan ran on it: its end runs the h extension
	snoopOf    *channel
	whisper    string // a snoop's whisper direction (none, in, out, both)
	snoops     []*channel
	linked     *channel // the other leg of a dialplan Dial()
	originApp  string   // the app given to originate/create
	dead       bool
	answeredAt time.Time
}

func (ch *channel) json() []byte {
	if ch.cache == nil {
		ch.cache, _ = json.Marshal(&ch.snap)
	}
	return ch.cache
}

func (ch *channel) touch() { ch.cache = nil }

func (ch *channel) setState(st string) {
	ch.snap.State = st
	ch.touch()
}

func (ch *channel) setDialplan(ctx, exten string, prio int, appName, appData string) {
	ch.snap.Dialplan = dialplanCEP{Context: ctx, Exten: exten, Priority: prio, AppName: appName, AppData: appData}
	ch.touch()
}

func (ch *channel) up() bool { return ch.snap.State == "Up" }

// hasRTP tells whether the channel carries RTP (and so RTPAUDIOQOS noise).
func (ch *channel) hasRTP() bool { return ch.kind != kindSnoop }

// newChannelLocked allocates a channel on an endpoint and publishes its
// creation to whoever watches the endpoint.
func (s *Server) newChannelLocked(ep *endpoint, kind chanKind, id string) *channel {
	now := s.now()
	if id == "" {
		id = fmt.Sprintf("%d.%d", now.Unix(), s.uniqSeq)
	}
	s.uniqSeq++
	s.idSeq++
	ch := &channel{seq: s.idSeq, id: id, kind: kind, ep: ep, vars: map[string]string{}, subs: map[string]int{}}
	tech, res := "PJSIP", "unknown"
	if ep != nil {
		tech, res = ep.tech, ep.resource
	}
	n := s.nameSeq[tech]
	s.nameSeq[tech] = n + 1
	ch.snap = channelJSON{
		ID:           id,
		Name:         fmt.Sprintf("%s/%s-%08x", tech, res, n),
		State:        "Down",
		Accountcode:  "",
		Creationtime: ariTime(now),
		Language:     "en",
	}
	if ep != nil {
		ch.snap.Dialplan = dialplanCEP{Context: ep.context, Exten: "s", Priority: 1}
		if kind != kindInbound {
			ch.snap.Caller = ep.callerID
		}
	}
	if kind == kindInbound {
		ch.snap.ProtocolID = fmt.Sprintf("%d-%d@127.0.0.1", s.idSeq, 26000+s.idSeq)
	} else {
		ch.snap.ProtocolID = pseudoUUID(s.idSeq)
	}
	s.channels[id] = ch
	if ep != nil {
		ep.channels = append(ep.channels, ch)
		s.emitEndpoint(ep)
	}
	s.emitChannel(ch, "ChannelCreated", nil, nil)
	return ch
}

// pseudoUUID makes a stable, UUID-shaped SIP Call-ID from a counter.
func pseudoUUID(n int) string {
	x := uint64(n)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", uint32(x>>32), uint16(x>>16), uint16(x)&0xfff, 0x8000|uint16(x>>40)&0x3fff, x&0xffffffffffff)
}

// enterStasisLocked puts the channel into app with args: STASISSTATUS is
// reset, the app subscribes, StasisStart goes out. It reports false when the
// app is not active (Stasis() then fails with STASISSTATUS=FAILED).
func (s *Server) enterStasisLocked(ch *channel, appName string, args []string) bool {
	a := s.activeApp(appName)
	if a == nil {
		ch.vars["STASISSTATUS"] = "FAILED"
		return false
	}
	ch.vars["STASISSTATUS"] = ""
	s.emitChannel(ch, "ChannelVarset", []kv{{"variable", "STASISSTATUS"}, {"value", ""}}, nil)
	ch.subs[appName]++
	ch.stasis = a
	ch.stasisName = appName
	if args == nil {
		args = []string{}
	}
	s.emitStasis(a, ch, "StasisStart", []kv{{"args", args}})
	s.pokeLocked(ch)
	return true
}

// leaveStasisLocked sends StasisEnd and drops the Stasis subscription.
func (s *Server) leaveStasisLocked(ch *channel) {
	if ch.stasisName == "" {
		return
	}
	name := ch.stasisName
	s.emitStasis(s.apps[name], ch, "StasisEnd", nil)
	ch.stasis = nil
	ch.stasisName = ""
	if ch.subs[name]--; ch.subs[name] <= 0 {
		delete(ch.subs, name)
	}
	ch.vars["STASISSTATUS"] = "SUCCESS"
	s.emitChannel(ch, "ChannelVarset", []kv{{"variable", "STASISSTATUS"}, {"value", "SUCCESS"}}, nil)
}

// answerLocked moves the channel to Up.
func (s *Server) answerLocked(ch *channel) {
	if ch.dead || ch.up() {
		return
	}
	ch.setState("Up")
	ch.answeredAt = s.now()
	s.emitChannel(ch, "ChannelStateChange", nil, nil)
	if ch.ep != nil {
		s.updateDeviceLocked(ch.ep)
	}
	if ch.party != nil {
		ch.party.answered(s)
	}
	s.pokeLocked(ch)
}

func (s *Server) setVarLocked(ch *channel, name, value string) {
	ch.vars[name] = value
	s.emitChannel(ch, "ChannelVarset", []kv{{"variable", name}, {"value", value}}, nil)
}

// hangup describes why a channel goes away; it decides the causes of
// ChannelHangupRequest and ChannelDestroyed (surprise 3).
type hangup struct {
	reqCause  int  // cause of ChannelHangupRequest; 0 leaves the key out
	reqTech   int  // tech_cause of ChannelHangupRequest
	soft      bool // soft:true (ARI DELETE)
	noRequest bool // no ChannelHangupRequest at all (originate timeout)
	cause     int  // cause of ChannelDestroyed
	tech      int  // tech_cause of ChannelDestroyed
	dialFinal string
	byARI     bool
	// pbxSoft: a second ChannelHangupRequest (cause 16, soft) as the
	// channel's PBX ends, before the h extension (a dialplan app failing)
	pbxSoft bool
	by      string // "controller", "remote", "dialplan", "timeout", "busy", "restart"
}

var causeText = map[int]string{
	0:   "Unknown",
	1:   "Unallocated (unassigned) number",
	16:  "Normal Clearing",
	17:  "User busy",
	18:  "No user responding",
	19:  "User alerting, no answer",
	21:  "Call Rejected",
	26:  "Answered elsewhere",
	27:  "Destination out of order",
	28:  "Invalid number format (incomplete number)",
	31:  "Normal, unspecified",
	34:  "Circuit/channel congestion",
	38:  "Network out of order",
	58:  "Bearer capability not available",
	127: "Interworking, unspecified",
}

// hangupReasons maps DELETE ?reason= to the cause Asterisk sets.
var hangupReasons = map[string]int{
	"normal": 16, "busy": 17, "congestion": 34, "no_answer": 19, "timeout": 19, "rejected": 21,
	"unallocated": 1, "normal_unspecified": 31, "number_incomplete": 28, "codec_mismatch": 58,
	"interworking": 127, "failure": 27, "answered_elsewhere": 26,
}

func controllerHangup(cause int) hangup {
	return hangup{reqCause: 32, soft: true, cause: cause, byARI: true, by: "controller"}
}

// remoteHangup is a BYE from the far end: no cause key, except for an
// inbound caller bridged with someone in a mixing bridge, who gets cause
// 16 (surprise 3); callers waiting together in a holding bridge get none
// (e2e-MusicInEmptiedBridge.jsonl).
func remoteHangup(ch *channel) hangup {
	h := hangup{cause: 16, by: "remote"}
	if ch.kind == kindInbound && ch.bridge != nil && ch.bridge.kind == "mixing" && len(ch.bridge.chans) > 1 {
		h.reqCause = 16
	}
	return h
}

var qosVars = []struct{ name, value string }{
	{"RTPAUDIOQOS", "ssrc=%d;themssrc=0;lp=0;rxjitter=0.000000;rxcount=0;txjitter=0.000000;txcount=%d;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000"},
	{"RTPAUDIOQOSJITTER", "minrxjitter=000.000000;maxrxjitter=000.000000;avgrxjitter=000.000000;stdevrxjitter=000.000000;mintxjitter=000.000000;maxtxjitter=000.000000;avgtxjitter=000.000000;stdevtxjitter=000.000000;"},
	{"RTPAUDIOQOSLOSS", "  minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;  stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;  avgtxlost=000.000000;  stdevtxlost=000.000000;"},
	{"RTPAUDIOQOSRTT", "     minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;     stdevrtt=000.000000;"},
	{"RTPAUDIOQOSMES", "   minrxmes=000.000000;   maxrxmes=000.000000;   avgrxmes=000.000000;   stdevrxmes=000.000000;   mintxmes=000.000000;   maxtxmes=000.000000;   avgtxmes=000.000000;   stdevtxmes=000.000000;"},
}

// qosNoiseLocked reproduces the RTPAUDIOQOS* ChannelVarset burst before the
// hangup of an answered RTP channel, with the *BRIDGED twins on its only
// bridge peer (surprise 11).
func (s *Server) qosNoiseLocked(ch *channel) {
	if !s.noise || !ch.up() || !ch.hasRTP() {
		return
	}
	var peer *channel
	if b := ch.bridge; b != nil && b.kind == "mixing" && len(b.chans) == 2 {
		for _, o := range b.chans {
			if o != ch && o.hasRTP() && o.up() {
				peer = o
			}
		}
	}
	txcount := int(s.now().Sub(ch.answeredAt) / (20 * time.Millisecond))
	for i, v := range qosVars {
		value := v.value
		if i == 0 {
			value = fmt.Sprintf(v.value, 1000000+ch.seq*7919, txcount)
		}
		s.setVarLocked(ch, v.name, value)
		if peer != nil {
			s.setVarLocked(peer, v.name+"BRIDGED", value)
		}
	}
}

// hangupLocked tears a channel down in Asterisk's order (surprise 2):
// QoS noise, ChannelHangupRequest, BRIDGEPEER reset, ChannelLeftBridge,
// PlaybackFinished failed, StasisEnd, STASISSTATUS, ChannelDestroyed.
func (s *Server) hangupLocked(ch *channel, h hangup) {
	if ch.dead {
		return
	}
	ch.dead = true
	if ch.dial != nil {
		ch.dial.stop()
	}
	s.qosNoiseLocked(ch)
	if !h.noRequest {
		var pre []kv
		if h.reqCause != 0 {
			pre = append(pre, kv{"cause", h.reqCause})
		}
		if h.reqTech != 0 {
			pre = append(pre, kv{"tech_cause", h.reqTech})
		}
		if h.soft {
			pre = append(pre, kv{"soft", true})
		}
		s.emitChannel(ch, "ChannelHangupRequest", pre, nil)
	}
	if h.dialFinal != "" && ch.kind == kindOriginate && ch.dial != nil {
		s.emitDial(ch, h.dialFinal, ch.dial.dialstring)
	}
	if b := ch.bridge; b != nil {
		if s.noise && ch.vars["BRIDGEPEER"] != "" {
			s.setVarLocked(ch, "BRIDGEPEER", "")
			s.setVarLocked(ch, "BRIDGEPVTCALLID", "")
		}
		s.leaveBridgeLocked(ch, false)
	}
	s.stopChannelMediaLocked(ch)
	if ch.rec != nil {
		s.finishRecordingLocked(ch.rec, "done")
	}
	wasStasis := ch.stasisName != ""
	if wasStasis {
		s.leaveStasisLocked(ch)
		if ch.kind == kindInbound && h.byARI {
			s.emitChannel(ch, "ChannelHangupRequest", []kv{{"cause", 16}, {"soft", true}}, nil)
		}
	}
	if ch.pbx {
		context := ch.snap.Dialplan.Context
		if r := ch.dp; r != nil {
			context = r.context
			r.stop()
		}
		if h.pbxSoft {
			s.emitChannel(ch, "ChannelHangupRequest", []kv{{"cause", 16}, {"soft", true}}, nil)
		}
		s.runHangupExtenLocked(ch, context)
	}
	post := []kv{{"cause", h.cause}, {"cause_txt", causeText[h.cause]}}
	if h.tech != 0 {
		post = append(post, kv{"tech_cause", h.tech})
	}
	if ch.kind != kindSnoop {
		// The final snapshot shows the dialplan app the channel ran outside Stasis.
		dp := ch.snap.Dialplan
		if ch.kind == kindOriginate {
			ch.setDialplan(dp.Context, dp.Exten, dp.Priority, "AppDial2", "(Outgoing Line)")
		} else {
			ch.setDialplan(dp.Context, dp.Exten, dp.Priority, "", "")
		}
		s.emitChannel(ch, "ChannelDestroyed", nil, post)
	}
	delete(s.channels, ch.id)
	if f := s.chanFaults[ch.id]; f != nil {
		f.flush()
		delete(s.chanFaults, ch.id)
	}
	if ep := ch.ep; ep != nil {
		for i, o := range ep.channels {
			if o == ch {
				ep.channels = append(ep.channels[:i], ep.channels[i+1:]...)
				break
			}
		}
		s.emitEndpoint(ep)
		s.updateDeviceLocked(ep)
	}
	if ch.party != nil {
		ch.party.ended(s, h)
	}
	for _, sn := range append([]*channel(nil), ch.snoops...) {
		s.hangupLocked(sn, hangup{cause: 16, by: "remote"})
	}
	if t := ch.snoopOf; t != nil {
		for i, o := range t.snoops {
			if o == ch {
				t.snoops = append(t.snoops[:i], t.snoops[i+1:]...)
				break
			}
		}
	}
	if l := ch.linked; l != nil {
		ch.linked = nil
		l.linked = nil
		s.hangupLocked(l, remoteHangup(l))
	}
	if r := ch.dp; r != nil {
		r.stop()
		if leg := r.leg; leg != nil && !leg.dead && leg.linked == nil {
			s.hangupLocked(leg, hangup{reqCause: 32, soft: true, cause: 16, by: "remote"})
		}
	}
}

// pokeLocked re-checks the scripted party's wait condition.
func (s *Server) pokeLocked(ch *channel) {
	if ch.party != nil {
		ch.party.poke(s)
	}
}

// --- REST -----------------------------------------------------------------

func (s *Server) channelSubRoute(method string, segs []string) (handler, bool) {
	op := segs[2]
	switch {
	case len(segs) == 3:
		switch op {
		case "continue":
			return methods(method, map[string]handler{"POST": s.continueChannel})
		case "answer":
			return methods(method, map[string]handler{"POST": s.answerChannel})
		case "ring":
			return methods(method, map[string]handler{"POST": s.ringChannel, "DELETE": s.ringStopChannel})
		case "progress", "silence", "mute", "hold", "moh":
			return methods(method, map[string]handler{"POST": s.simpleOp(op, true), "DELETE": s.simpleOp(op, false)})
		case "dtmf":
			return methods(method, map[string]handler{"POST": s.sendDTMF})
		case "play":
			return methods(method, map[string]handler{"POST": s.playOnChannel})
		case "record":
			return methods(method, map[string]handler{"POST": s.recordChannel})
		case "variable":
			return methods(method, map[string]handler{"GET": s.getVariable, "POST": s.setVariable})
		case "snoop":
			return methods(method, map[string]handler{"POST": s.snoopChannel})
		case "dial":
			return methods(method, map[string]handler{"POST": s.dialChannel})
		case "redirect", "move", "variables", "rtp_statistics", "transfer_progress":
			return nil, false
		}
	case len(segs) == 4 && op == "play":
		return methods(method, map[string]handler{"POST": s.playOnChannel})
	case len(segs) == 4 && op == "snoop":
		return methods(method, map[string]handler{"POST": s.snoopChannel})
	}
	return nil, false
}

// channelsSorted lists live channels in creation order.
func (s *Server) channelsSorted() []*channel {
	out := make([]*channel, 0, len(s.channels))
	for _, ch := range s.channels {
		out = append(out, ch)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (s *Server) listChannels(*request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]json.RawMessage, 0, len(s.channels))
	for _, ch := range s.channelsSorted() {
		out = append(out, ch.json())
	}
	return ok(out)
}

func (s *Server) getChannel(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[q.segs[1]]
	if ch == nil {
		return fail(http.StatusNotFound, "Channel not found")
	}
	return ok(json.RawMessage(ch.json()))
}

// stasisChannel finds a channel that must be in Stasis: 404 / 409 otherwise.
func (s *Server) stasisChannel(id string) (*channel, *result) {
	ch := s.channels[id]
	if ch == nil {
		r := fail(http.StatusNotFound, "Channel not found")
		return nil, &r
	}
	if ch.stasisName == "" {
		r := fail(http.StatusConflict, "Channel not in Stasis application")
		return nil, &r
	}
	return ch, nil
}

func (s *Server) hangupChannel(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[q.segs[1]]
	if ch == nil {
		return fail(http.StatusNotFound, "Channel not found")
	}
	cause := 16
	if r := q.p.str("reason"); r != "" {
		c, known := hangupReasons[r]
		if !known {
			return fail(http.StatusBadRequest, "Invalid reason for hangup provided")
		}
		cause = c
	} else if q.p.has("reason_code") {
		cause = q.p.int("reason_code", 16)
	}
	h := controllerHangup(cause)
	if ch.dial != nil && !ch.up() && ch.kind == kindOriginate {
		// Deleting a ringing originate: Dial NOANSWER, cause 16 (surprise 3).
		h.dialFinal = "NOANSWER"
		h.cause = 16
	}
	s.hangupLocked(ch, h)
	return noContent()
}

func (s *Server) answerChannel(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, errRes := s.stasisChannel(q.segs[1])
	if errRes != nil {
		return *errRes
	}
	if ch.kind == kindCreate && ch.dial == nil && !ch.up() {
		return fail(http.StatusPreconditionFailed, "Channel in invalid state")
	}
	s.answerLocked(ch)
	return noContent()
}

func (s *Server) ringChannel(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, errRes := s.stasisChannel(q.segs[1])
	if errRes != nil {
		return *errRes
	}
	if ch.party != nil {
		ch.party.hear(s, "indication:ringing", ch)
	}
	return noContent()
}

func (s *Server) ringStopChannel(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, errRes := s.stasisChannel(q.segs[1])
	if errRes != nil {
		return *errRes
	}
	if ch.party != nil {
		ch.party.stopHearing(s, "indication:ringing")
	}
	return noContent()
}

// simpleOp covers progress, silence, mute, hold and moh: 204 and, for hold
// and moh, what the far end hears.
func (s *Server) simpleOp(op string, start bool) handler {
	return func(q *request) result {
		s.mu.Lock()
		defer s.mu.Unlock()
		ch, errRes := s.stasisChannel(q.segs[1])
		if errRes != nil {
			return *errRes
		}
		switch op {
		case "hold":
			if start {
				s.emitChannel(ch, "ChannelHold", nil, nil)
			} else {
				s.emitChannel(ch, "ChannelUnhold", nil, nil)
			}
		case "moh":
			class := q.p.str("mohClass")
			if class == "" {
				class = "default"
			}
			if ch.party != nil {
				ch.party.stopHearing(s, "moh:"+ch.moh)
				if start {
					ch.party.hear(s, "moh:"+class, ch)
				}
			}
			if start {
				ch.moh = class
			} else {
				ch.moh = ""
			}
		case "silence":
			if ch.party != nil {
				if start {
					ch.party.hear(s, "silence", ch)
				} else {
					ch.party.stopHearing(s, "silence")
				}
			}
		}
		return noContent()
	}
}

func (s *Server) sendDTMF(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, errRes := s.stasisChannel(q.segs[1])
	if errRes != nil {
		return *errRes
	}
	digits := q.p.str("dtmf")
	if digits == "" {
		return fail(http.StatusBadRequest, "DTMF is required")
	}
	if ch.party != nil {
		ch.party.receivedDTMF(s, digits)
	}
	return noContent()
}

func (s *Server) getVariable(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[q.segs[1]]
	if ch == nil {
		return fail(http.StatusNotFound, "Provided channel was not found")
	}
	name := q.p.str("variable")
	if name == "" {
		return fail(http.StatusBadRequest, "Variable name is required")
	}
	v, found := s.readVarLocked(ch, name)
	if !found {
		return fail(http.StatusNotFound, "Provided variable was not found")
	}
	return ok(variableJSON{Value: v})
}

// readVarLocked reads a channel variable or one of the dialplan functions a
// controller is likely to ask for.
func (s *Server) readVarLocked(ch *channel, name string) (string, bool) {
	switch strings.ToUpper(name) {
	case "CHANNEL(NAME)", "CHANNEL":
		return ch.snap.Name, true
	case "CHANNEL(STATE)":
		return ch.snap.State, true
	case "CHANNEL(LANGUAGE)":
		return ch.snap.Language, true
	case "UNIQUEID", "CHANNEL(UNIQUEID)":
		return ch.id, true
	case "CALLERID(NUM)":
		return ch.snap.Caller.Number, true
	case "CALLERID(NAME)":
		return ch.snap.Caller.Name, true
	case "CONNECTEDLINE(NUM)":
		return ch.snap.Connected.Number, true
	case "EXTEN":
		return ch.snap.Dialplan.Exten, true
	case "CONTEXT":
		return ch.snap.Dialplan.Context, true
	case "ASTSPOOLDIR":
		// Asterisk's built-in directory variables (pbx_variables.c), with a
		// packaged Asterisk's values (the spool directory: WithSpoolDir).
		return s.spoolDir, true
	case "ASTDATADIR":
		return "/usr/share/asterisk", true
	case "ASTETCDIR":
		return "/etc/asterisk", true
	}
	v, found := ch.vars[name]
	if !found {
		v, found = s.globals[name]
	}
	return v, found
}

func (s *Server) setVariable(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[q.segs[1]]
	if ch == nil {
		return fail(http.StatusNotFound, "Channel not found")
	}
	name := q.p.str("variable")
	if name == "" {
		return fail(http.StatusBadRequest, "Variable name is required")
	}
	if ch.stasisName == "" {
		return fail(http.StatusConflict, "Channel not in Stasis application")
	}
	s.setVarLocked(ch, name, q.p.str("value"))
	return noContent()
}

func (s *Server) continueChannel(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, errRes := s.stasisChannel(q.segs[1])
	if errRes != nil {
		return *errRes
	}
	cur := ch.snap.Dialplan
	ctx, exten := q.p.str("context"), q.p.str("extension")
	prio := q.p.int("priority", 0)
	if ctx == "" {
		ctx = cur.Context
	}
	if exten == "" {
		exten = cur.Exten
	}
	if prio <= 0 {
		if ctx == cur.Context && exten == cur.Exten {
			prio = cur.Priority + 1
		} else {
			prio = 1
		}
	}
	s.leaveStasisLocked(ch)
	s.runDialplanLocked(ch, ctx, exten, prio)
	return noContent()
}

func (s *Server) snoopChannel(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.channels[q.segs[1]]
	if target == nil {
		return fail(http.StatusNotFound, "Channel not found")
	}
	appName := q.p.str("app")
	if appName == "" {
		return fail(http.StatusBadRequest, "Missing parameter app")
	}
	for _, k := range []string{"spy", "whisper"} {
		switch q.p.str(k) {
		case "", "none", "both", "in", "out":
		default:
			return fail(http.StatusBadRequest, "Invalid direction specified for "+k)
		}
	}
	id := q.p.str("snoopId")
	if len(q.segs) == 4 {
		id = q.segs[3]
	}
	if id != "" && s.channels[id] != nil {
		return fail(http.StatusConflict, "Channel with given unique ID already exists")
	}
	sn := s.newSnoopLocked(target, id)
	sn.whisper = q.p.str("whisper")
	resp := json.RawMessage(append([]byte(nil), sn.json()...))
	args := splitArgs(q.p.str("appArgs"))
	sn.setDialplan("default", "s", 1, "Stasis", joinAppData(appName, q.p.str("appArgs")))
	// Attaching the audiohook re-negotiates the target's bridge: two more
	// BRIDGEPEER rounds, one after StasisStart, and no native RTP (snoop.jsonl).
	b := target.bridge
	if b != nil {
		s.peerRoundLocked(b)
		s.peerRoundLocked(b)
	}
	if !s.enterStasisLocked(sn, appName, args) {
		s.hangupLocked(sn, hangup{cause: 16, by: "dialplan"})
	}
	if b != nil {
		s.peerRoundLocked(b)
		b.retech()
	}
	return ok(resp)
}

func (s *Server) newSnoopLocked(target *channel, id string) *channel {
	now := s.now()
	if id == "" {
		id = fmt.Sprintf("%d.%d", now.Unix(), s.uniqSeq)
	}
	s.uniqSeq++
	s.idSeq++
	sn := &channel{seq: s.idSeq, id: id, kind: kindSnoop, vars: map[string]string{}, subs: map[string]int{}, snoopOf: target}
	sn.snap = channelJSON{
		ID:           id,
		Name:         fmt.Sprintf("Snoop/%s-%08x", target.id, s.snoopSeq),
		State:        "Up",
		Dialplan:     dialplanCEP{Context: "default", Exten: "s", Priority: 1},
		Creationtime: ariTime(now),
		Language:     "en",
	}
	s.snoopSeq++
	s.channels[id] = sn
	target.snoops = append(target.snoops, sn)
	return sn
}

func splitArgs(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func joinAppData(appName, args string) string {
	if args == "" {
		return appName
	}
	return appName + "," + args
}
