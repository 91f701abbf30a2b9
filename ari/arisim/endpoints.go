package arisim

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

type behaviourKind int

const (
	behAnswer behaviourKind = iota
	behNoAnswer
	behBusy
	behUnreachable
	behDeadContact
)

// Behaviour is how a scripted phone (an agent's endpoint or a number behind
// the trunk) reacts when it is dialed.
type Behaviour struct {
	kind   behaviourKind
	after  time.Duration
	script []Step
}

// Answer rings for after, answers, then runs the steps (for example
// Wait(20*time.Second), HangUp()). Answer(0) answers at once.
func Answer(after time.Duration, then ...Step) Behaviour {
	return Behaviour{kind: behAnswer, after: after, script: then}
}

// NoAnswer rings until the dialer gives up: ChannelDestroyed cause 19.
func NoAnswer() Behaviour { return Behaviour{kind: behNoAnswer} }

// Busy answers the INVITE with 486: cause 17, tech_cause 486.
func Busy() Behaviour { return Behaviour{kind: behBusy} }

// Unreachable is an endpoint without a contact: originate and create fail
// with 500 {"error":"Allocation failed"}; the device is UNAVAILABLE.
func Unreachable() Behaviour { return Behaviour{kind: behUnreachable} }

// DeadContact is a contact nobody listens on: no ringing, and cause 19 when
// the dial times out (ICMP is ignored on UDP).
func DeadContact() Behaviour { return Behaviour{kind: behDeadContact} }

// endpoint is a PJSIP endpoint: an agent's phone, the caller-side trunk, or
// the trunk used for external numbers.
type endpoint struct {
	key       string // "PJSIP/101"
	tech      string
	resource  string
	context   string
	callerID  callerID // pjsip.conf callerid: the caller of the calls it is dialled for
	busyAt    int      // pjsip.conf device_state_busy_at (0: off)
	behaviour Behaviour
	channels  []*channel
	device    string
	calls     []*Call
}

func (ep *endpoint) online() bool { return ep.behaviour.kind != behUnreachable }

func (ep *endpoint) state() string {
	if ep.online() {
		return "online"
	}
	return "offline"
}

func (ep *endpoint) snapshot() endpointJSON {
	ids := make([]string, 0, len(ep.channels))
	for _, ch := range ep.channels {
		ids = append(ids, ch.id)
	}
	return endpointJSON{Technology: ep.tech, Resource: ep.resource, State: ep.state(), ChannelIDs: ids}
}

// deviceState derives the device state from the endpoint's channels.
func (ep *endpoint) deviceState() string {
	if !ep.online() {
		return "UNAVAILABLE"
	}
	if ep.busyAt > 0 && len(ep.channels) >= ep.busyAt {
		// Counted over the endpoint's channels, ringing or not: the
		// production agents (busy_at 1) go NOT_INUSE -> BUSY -> NOT_INUSE.
		return "BUSY"
	}
	inUse, ringing := false, false
	for _, ch := range ep.channels {
		switch ch.snap.State {
		case "Up":
			inUse = true
		case "Ringing", "Ring":
			ringing = true
		}
	}
	switch {
	case inUse && ringing:
		return "RINGINUSE"
	case inUse:
		return "INUSE"
	case ringing:
		return "RINGING"
	}
	return "NOT_INUSE"
}

func (s *Server) updateDeviceLocked(ep *endpoint) {
	st := ep.deviceState()
	if st == ep.device {
		return
	}
	ep.device = st
	s.emitDevice(ep.key, st)
}

func normalizeEndpoint(name string) (tech, resource string, ok bool) {
	tech, resource, ok = strings.Cut(name, "/")
	if !ok || tech == "" || resource == "" {
		return "", "", false
	}
	if strings.EqualFold(tech, "pjsip") {
		tech = "PJSIP"
	}
	return tech, resource, true
}

func (s *Server) addEndpointLocked(name string, b Behaviour, context string) *endpoint {
	tech, res, valid := normalizeEndpoint(name)
	if !valid {
		tech, res = "PJSIP", name
	}
	key := tech + "/" + res
	ep := s.endpoints[key]
	if ep == nil {
		ep = &endpoint{key: key, tech: tech, resource: res, context: context}
		s.endpoints[key] = ep
	}
	wasOnline := ep.online()
	ep.behaviour = b
	if ep.device == "" {
		ep.device = ep.deviceState()
		return ep
	}
	if wasOnline != ep.online() {
		s.emitEndpoint(ep)
	}
	s.updateDeviceLocked(ep)
	return ep
}

// Endpoint is a handle on a scripted PJSIP endpoint.
type Endpoint struct {
	s   *Server
	key string
}

// Endpoint adds (or reconfigures) the PJSIP endpoint name, for example
// "PJSIP/101", with behaviour b. Its dialplan context is "from-internal".
func (s *Server) Endpoint(name string, b Behaviour) *Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	ep := s.addEndpointLocked(name, b, "from-internal")
	return &Endpoint{s: s, key: ep.key}
}

// SetBehaviour changes how the endpoint reacts to the next calls; the
// endpoint and device states follow (Unreachable means offline/UNAVAILABLE).
func (e *Endpoint) SetBehaviour(b Behaviour) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	if ep := e.s.endpoints[e.key]; ep != nil {
		e.s.addEndpointLocked(e.key, b, ep.context)
	}
}

// SetContext sets the dialplan context shown in the snapshots of the
// endpoint's channels (default from-internal).
func (e *Endpoint) SetContext(context string) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	if ep := e.s.endpoints[e.key]; ep != nil {
		ep.context = context
	}
}

// SetCallerID sets the endpoint's configured caller ID (pjsip.conf
// callerid, e.g. `"Operatore 2001" <2001>`): Asterisk gives it to the
// channels that dial the endpoint, and an originate's callerId without a
// name replaces only the number.
func (e *Endpoint) SetCallerID(cid string) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	if ep := e.s.endpoints[e.key]; ep != nil {
		ep.callerID = parseCallerID(cid)
	}
}

// SetDeviceBusyAt sets the endpoint's device_state_busy_at (pjsip.conf):
// from n channels on, its device state is BUSY; 0 turns it off.
func (e *Endpoint) SetDeviceBusyAt(n int) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	if ep := e.s.endpoints[e.key]; ep != nil {
		ep.busyAt = n
		e.s.updateDeviceLocked(ep)
	}
}

// Name returns the endpoint name, such as PJSIP/101.
func (e *Endpoint) Name() string { return e.key }

// Calls returns every call the endpoint received, oldest first.
func (e *Endpoint) Calls() []*Call {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	if ep := e.s.endpoints[e.key]; ep != nil {
		return append([]*Call(nil), ep.calls...)
	}
	return nil
}

// LastCall returns the most recent call the endpoint received, or nil.
func (e *Endpoint) LastCall() *Call {
	calls := e.Calls()
	if len(calls) == 0 {
		return nil
	}
	return calls[len(calls)-1]
}

// DeviceState returns the endpoint's current device state (NOT_INUSE, RINGING, INUSE, UNAVAILABLE ...).
func (e *Endpoint) DeviceState() string {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	if ep := e.s.endpoints[e.key]; ep != nil {
		return ep.deviceState()
	}
	return "INVALID"
}

// Remote sets how an external number reached through the trunk
// (PJSIP/number@trunk) behaves; numbers without one use SetDefaultRemote.
func (s *Server) Remote(number string, b Behaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remotes[number] = b
}

// SetDefaultRemote sets the behaviour of external numbers not configured with
// Remote (default Answer(3*time.Second)).
func (s *Server) SetDefaultRemote(b Behaviour) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remoteDef = b
}

// behaviourLocked is what answers a dial of user@ep.
func (s *Server) behaviourLocked(ep *endpoint, user string) Behaviour {
	if user != "" {
		if b, found := s.remotes[user]; found {
			return b
		}
		if ep.resource == "trunk" {
			return s.remoteDef
		}
	}
	return ep.behaviour
}

// --- REST -----------------------------------------------------------------

func (s *Server) endpointRoute(method string, segs []string) (handler, bool) {
	switch len(segs) {
	case 1:
		return methods(method, map[string]handler{"GET": s.listEndpoints})
	case 2:
		if segs[1] == "sendMessage" || segs[1] == "refer" {
			return nil, false
		}
		return methods(method, map[string]handler{"GET": s.listEndpoints})
	case 3:
		return methods(method, map[string]handler{"GET": s.getEndpoint})
	}
	return nil, false
}

func (s *Server) listEndpoints(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.endpoints))
	for k, ep := range s.endpoints {
		if len(q.segs) == 2 && !strings.EqualFold(ep.tech, q.segs[1]) {
			continue
		}
		keys = append(keys, k)
	}
	if len(q.segs) == 2 && len(keys) == 0 {
		return fail(http.StatusNotFound, "Endpoints not found")
	}
	sort.Strings(keys)
	out := make([]endpointJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, s.endpoints[k].snapshot())
	}
	return ok(out)
}

func (s *Server) getEndpoint(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	tech := q.segs[1]
	if strings.EqualFold(tech, "pjsip") {
		tech = "PJSIP"
	}
	ep := s.endpoints[tech+"/"+q.segs[2]]
	if ep == nil {
		return fail(http.StatusNotFound, "Endpoint not found")
	}
	return ok(ep.snapshot())
}

func (s *Server) deviceRoute(method string, segs []string) (handler, bool) {
	if len(segs) == 1 {
		// Only Stasis-controlled device states are listed; PJSIP ones are not (trace).
		return methods(method, map[string]handler{"GET": func(*request) result { return ok([]deviceStateJSON{}) }})
	}
	return nil, false
}
