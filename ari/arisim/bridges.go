package arisim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

type bridge struct {
	seq     int
	id      string
	name    string
	kind    string // mixing or holding
	tech    string
	created string
	chans   []*channel
	subs    map[string]int // app -> count; removeChannel unsubscribes, hangup does not (surprise 10)
	moh     string
	mq      mediaQueue
	rec     *liveRecording
}

func (b *bridge) json() bridgeJSON {
	ids := make([]string, 0, len(b.chans))
	for _, ch := range b.chans {
		ids = append(ids, ch.id)
	}
	return bridgeJSON{ID: b.id, Technology: b.tech, BridgeType: b.kind, BridgeClass: "stasis", Creator: "Stasis",
		Name: b.name, Channels: ids, Creationtime: b.created, VideoMode: "talker"}
}

// retech re-evaluates the bridge technology after a join or leave, as
// Asterisk does after the event: simple_bridge, native_rtp for two RTP
// channels, softmix for more (surprise 10).
func (b *bridge) retech() {
	if b.kind == "holding" {
		b.tech = "holding_bridge"
		return
	}
	switch n := len(b.chans); {
	case n <= 1:
		b.tech = "simple_bridge"
	case n == 2:
		if b.chans[0].hasRTP() && b.chans[1].hasRTP() && len(b.chans[0].snoops)+len(b.chans[1].snoops) == 0 {
			b.tech = "native_rtp"
		} else {
			b.tech = "simple_bridge"
		}
	default:
		b.tech = "softmix"
	}
}

var bridgeTypeTokens = map[string]bool{"mixing": true, "holding": true, "dtmf_events": true, "proxy_media": true,
	"video_sfu": true, "video_single": true, "sdp_label": true}

func (s *Server) bridgeRoute(method string, segs []string) (handler, bool) {
	switch len(segs) {
	case 1:
		return methods(method, map[string]handler{"GET": s.listBridges, "POST": s.createBridge})
	case 2:
		return methods(method, map[string]handler{"GET": s.getBridge, "POST": s.createBridge, "DELETE": s.destroyBridge})
	case 3:
		switch segs[2] {
		case "addChannel":
			return methods(method, map[string]handler{"POST": s.addChannel})
		case "removeChannel":
			return methods(method, map[string]handler{"POST": s.removeChannel})
		case "moh":
			return methods(method, map[string]handler{"POST": s.bridgeMOH(true), "DELETE": s.bridgeMOH(false)})
		case "play":
			return methods(method, map[string]handler{"POST": s.playOnBridge})
		case "record":
			return methods(method, map[string]handler{"POST": s.recordBridge})
		}
	case 4:
		if segs[2] == "play" {
			return methods(method, map[string]handler{"POST": s.playOnBridge})
		}
	}
	return nil, false
}

func (s *Server) listBridges(*request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]bridgeJSON, 0, len(s.bridges))
	for _, b := range s.bridgesSorted() {
		out = append(out, b.json())
	}
	return ok(out)
}

func (s *Server) bridgesSorted() []*bridge {
	out := make([]*bridge, 0, len(s.bridges))
	for _, b := range s.bridges {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

func (s *Server) getBridge(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridges[q.segs[1]]
	if b == nil {
		return fail(http.StatusNotFound, "Bridge not found")
	}
	return ok(b.json())
}

func (s *Server) createBridge(q *request) result {
	id := q.p.str("bridgeId")
	withID := len(q.segs) == 2
	if withID {
		id = q.segs[1]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if existing := s.bridges[id]; existing != nil && id != "" {
		if !withID {
			return fail(http.StatusConflict, fmt.Sprintf("Bridge with id '%s' already exists", id))
		}
		// POST /bridges/{id} updates an existing bridge, and refuses changes.
		if n := q.p.str("name"); n != "" && n != existing.name {
			return fail(http.StatusInternalServerError, "Changing bridge name is not implemented")
		}
		if q.p.str("type") != "" {
			return fail(http.StatusInternalServerError, "Supplying a bridge type when updating a bridge is not allowed.")
		}
		return ok(existing.json())
	}
	kind := "mixing"
	for _, tok := range strings.Split(q.p.str("type"), ",") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		if !bridgeTypeTokens[tok] {
			shown := "(null)"
			if id != "" {
				shown = id
			}
			return fail(http.StatusInternalServerError, fmt.Sprintf("Unable to create bridge. Possible duplicate bridge id '%s'", shown))
		}
		if tok == "holding" {
			kind = "holding"
		}
	}
	s.idSeq++
	if id == "" {
		id = pseudoUUID(s.idSeq)
	}
	b := &bridge{seq: s.idSeq, id: id, name: q.p.str("name"), kind: kind, created: ariTime(s.now()), subs: map[string]int{}}
	b.retech()
	s.bridges[id] = b
	return ok(b.json())
}

func (s *Server) destroyBridge(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridges[q.segs[1]]
	if b == nil {
		return fail(http.StatusNotFound, "Bridge not found")
	}
	s.destroyBridgeLocked(b)
	return noContent()
}

func (s *Server) destroyBridgeLocked(b *bridge) {
	for len(b.chans) > 0 {
		s.leaveBridgeLocked(b.chans[0], false)
	}
	s.stopQueueLocked(&b.mq, "failed")
	if b.rec != nil {
		s.finishRecordingLocked(b.rec, "done")
	}
	s.emitBridge(b, "BridgeDestroyed")
	delete(s.bridges, b.id)
}

// bridgeChannels validates the channel parameter of add/removeChannel.
func (s *Server) bridgeChannels(q *request, missingStatus int) (*bridge, []*channel, *result) {
	b := s.bridges[q.segs[1]]
	if b == nil {
		r := fail(http.StatusNotFound, "Bridge not found")
		return nil, nil, &r
	}
	ids := q.p.list("channel")
	if len(ids) == 0 {
		r := fail(http.StatusBadRequest, "Missing parameter channel")
		return nil, nil, &r
	}
	var chans []*channel
	for _, id := range ids {
		ch := s.channels[id]
		if ch == nil {
			r := fail(http.StatusBadRequest, "Channel not found")
			return nil, nil, &r
		}
		if ch.stasisName == "" {
			r := fail(missingStatus, "Channel not in Stasis application")
			return nil, nil, &r
		}
		chans = append(chans, ch)
	}
	return b, chans, nil
}

// addChannel adds channels to a bridge. Asterisk runs a channel's
// playback on the channel's control queue and this request after it: it
// waits until the channel has nothing playing (a callback's greeting, an
// announcement), even when the client has given up meanwhile.
func (s *Server) addChannel(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, chans, errRes := s.bridgeChannels(q, http.StatusUnprocessableEntity)
	for errRes == nil {
		var busy *channel
		for _, ch := range chans {
			if ch.mq.current != nil {
				busy = ch
				break
			}
		}
		if busy == nil {
			break
		}
		w := busy.mq.waitLocked()
		s.mu.Unlock()
		<-w
		s.mu.Lock()
		b, chans, errRes = s.bridgeChannels(q, http.StatusUnprocessableEntity)
	}
	if errRes != nil {
		return *errRes
	}
	for _, ch := range chans {
		if ch.bridge != nil {
			// Lenient: a channel already bridged is moved, even into the same bridge (surprise 6).
			s.leaveBridgeLocked(ch, true)
		}
		ch.role = q.p.str("role") // Asterisk clears the channel's roles, then adds this one
		s.joinBridgeLocked(b, ch)
	}
	s.peerNoiseLocked(b)
	return noContent()
}

func (s *Server) removeChannel(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, chans, errRes := s.bridgeChannels(q, http.StatusUnprocessableEntity)
	if errRes != nil {
		return *errRes
	}
	for _, ch := range chans {
		if ch.bridge != b {
			return fail(http.StatusUnprocessableEntity, "Channel not in this bridge")
		}
	}
	for _, ch := range chans {
		s.leaveBridgeLocked(ch, true)
	}
	return noContent()
}

func (s *Server) joinBridgeLocked(b *bridge, ch *channel) {
	b.chans = append(b.chans, ch)
	ch.bridge = b
	if ch.stasisName != "" {
		b.subs[ch.stasisName]++
	}
	s.emitBridgeChannel(b, ch, "ChannelEnteredBridge")
	b.retech()
	if m := b.music(ch); ch.party != nil && m != "" {
		ch.party.hear(s, m, ch)
	}
	s.bridgeChangedLocked(b)
}

// music is what ch hears from bridge b: the announcer's music once POST
// /bridges/{id}/moh started it; else, in a holding bridge, its own music
// on hold if it joined with the role holding_participant. bridge_holding.c
// gives every participant its own entertainment while no announcer is
// there, music on hold unless the role's idle_mode says otherwise — and
// res_stasis sets idle_mode "none" for a channel added without that role.
func (b *bridge) music(ch *channel) string {
	switch {
	case b.moh != "":
		return "moh:" + b.moh
	case b.kind == "holding" && ch.role == "holding_participant":
		return "moh:default"
	}
	return ""
}

// leaveBridgeLocked takes ch out of its bridge. removed is true for
// removeChannel or a move: then the app also unsubscribes from the bridge,
// which is why no BridgeDestroyed follows (surprise 10).
func (s *Server) leaveBridgeLocked(ch *channel, removed bool) {
	b := ch.bridge
	if b == nil {
		return
	}
	for i, o := range b.chans {
		if o == ch {
			b.chans = append(b.chans[:i], b.chans[i+1:]...)
			break
		}
	}
	ch.bridge = nil
	if removed && ch.stasisName != "" {
		if b.subs[ch.stasisName]--; b.subs[ch.stasisName] <= 0 {
			delete(b.subs, ch.stasisName)
		}
	}
	s.emitBridgeChannel(b, ch, "ChannelLeftBridge")
	b.retech()
	if ch.party != nil {
		if m := b.music(ch); m != "" {
			ch.party.stopHearing(s, m)
		}
		ch.party.bridgeChanged(s, nil)
	}
	if b.kind == "holding" {
		ch.role = "" // res_stasis clears a channel's roles as it leaves a holding bridge
	}
	if len(b.chans) == 0 {
		// A bridge's music is an announcer channel that Asterisk takes out
		// as soon as it is alone in the bridge (it joins "lonely"): the
		// bridge stays, silent, until its music is started again. A
		// channel moved into the bridge it is in leaves it first.
		b.moh = ""
	}
	s.bridgeChangedLocked(b)
}

// bridgeChangedLocked tells every scripted party in b who it now talks to.
func (s *Server) bridgeChangedLocked(b *bridge) {
	for _, ch := range b.chans {
		if ch.party != nil {
			ch.party.bridgeChanged(s, b)
		}
	}
}

// peerNoiseLocked reproduces what two channels meeting in a mixing bridge
// produce: BRIDGEPEER/BRIDGEPVTCALLID three times and connected-line updates
// (surprise 11; agent-originate-bridge.jsonl).
func (s *Server) peerNoiseLocked(b *bridge) {
	if b.kind != "mixing" || len(b.chans) != 2 {
		return
	}
	first, second := b.chans[0], b.chans[1]
	if first.vars["BRIDGEPEER"] == second.snap.Name && second.vars["BRIDGEPEER"] == first.snap.Name && !s.noise {
		return
	}
	round := func() { s.peerRoundLocked(b) }
	connected := func(ch, other *channel) {
		if ch.snap.Connected != other.snap.Caller {
			ch.snap.Connected = other.snap.Caller
			ch.touch()
			s.emitChannel(ch, "ChannelConnectedLine", nil, nil)
		}
	}
	round()
	round()
	connected(second, first)
	round()
	connected(first, second)
}

// peerRoundLocked sets BRIDGEPEER and BRIDGEPVTCALLID on both channels of a
// two-party mixing bridge, newest channel first, as Asterisk does on every
// bridge re-evaluation.
func (s *Server) peerRoundLocked(b *bridge) {
	if b.kind != "mixing" || len(b.chans) != 2 {
		return
	}
	first, second := b.chans[0], b.chans[1]
	if !s.noise {
		first.vars["BRIDGEPEER"], first.vars["BRIDGEPVTCALLID"] = second.snap.Name, second.snap.ProtocolID
		second.vars["BRIDGEPEER"], second.vars["BRIDGEPVTCALLID"] = first.snap.Name, first.snap.ProtocolID
		return
	}
	s.setVarLocked(second, "BRIDGEPEER", first.snap.Name)
	s.setVarLocked(second, "BRIDGEPVTCALLID", first.snap.ProtocolID)
	s.setVarLocked(first, "BRIDGEPEER", second.snap.Name)
	s.setVarLocked(first, "BRIDGEPVTCALLID", second.snap.ProtocolID)
}

func (s *Server) bridgeMOH(start bool) handler {
	return func(q *request) result {
		s.mu.Lock()
		defer s.mu.Unlock()
		b := s.bridges[q.segs[1]]
		if b == nil {
			return fail(http.StatusNotFound, "Bridge not found")
		}
		for _, ch := range b.chans {
			if m := b.music(ch); ch.party != nil && m != "" {
				ch.party.stopHearing(s, m)
			}
		}
		b.moh = ""
		if start {
			b.moh = q.p.str("mohClass")
			if b.moh == "" {
				b.moh = "default"
			}
		}
		for _, ch := range b.chans {
			if m := b.music(ch); ch.party != nil && m != "" {
				ch.party.hear(s, m, ch)
			}
		}
		return noContent()
	}
}
