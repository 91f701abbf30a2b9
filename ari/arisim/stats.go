package arisim

import (
	"errors"
	"sync"
	"sync/atomic"
)

// ErrNotConnected says that an app has no events WebSocket connected.
var ErrNotConnected = errors.New("app has no connected websocket")

type statsCounters struct {
	mu            sync.Mutex
	requests      map[int]int
	eventsSent    atomic.Int64
	eventsDropped atomic.Int64
	wsConnects    int
}

func (s *Server) count(status int) {
	s.stats.mu.Lock()
	s.stats.requests[status]++
	s.stats.mu.Unlock()
}

// Stats are counters for tests and benchmarks.
type Stats struct {
	Requests      map[int]int // REST responses by status code
	EventsSent    int64       // event messages queued to WebSockets
	EventsDropped int64       // events nobody could receive (no socket, silent, overflow)
	Connections   int         // events WebSockets open now
	Connects      int         // events WebSockets accepted since start
	Channels      int
	Bridges       int
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	st := Stats{Connections: len(s.conns), Connects: s.stats.wsConnects, Channels: len(s.channels), Bridges: len(s.bridges)}
	s.mu.Unlock()
	s.stats.mu.Lock()
	st.Requests = make(map[int]int, len(s.stats.requests))
	for k, v := range s.stats.requests {
		st.Requests[k] = v
	}
	s.stats.mu.Unlock()
	st.EventsSent = s.stats.eventsSent.Load()
	st.EventsDropped = s.stats.eventsDropped.Load()
	return st
}

// ChannelInfo describes a live channel.
type ChannelInfo struct {
	ID       string
	Name     string
	State    string
	Caller   string
	App      string // the Stasis app it is in, "" outside Stasis
	Bridge   string // the bridge it is in, ""
	Endpoint string
	Whisper  string // a snoop's whisper direction as asked ("" for other channels)
}

// Channels lists the live channels in creation order.
func (s *Server) Channels() []ChannelInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ChannelInfo
	for _, ch := range s.channelsSorted() {
		ci := ChannelInfo{ID: ch.id, Name: ch.snap.Name, State: ch.snap.State, Caller: ch.snap.Caller.Number, App: ch.stasisName, Whisper: ch.whisper}
		if ch.bridge != nil {
			ci.Bridge = ch.bridge.id
		}
		if ch.ep != nil {
			ci.Endpoint = ch.ep.key
		}
		out = append(out, ci)
	}
	return out
}

// BridgeInfo describes a live bridge.
type BridgeInfo struct {
	ID         string
	Type       string
	Technology string
	Name       string
	Channels   []string
	MOH        string
}

// Bridges lists the live bridges in creation order.
func (s *Server) Bridges() []BridgeInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []BridgeInfo
	for _, b := range s.bridgesSorted() {
		j := b.json()
		out = append(out, BridgeInfo{ID: b.id, Type: b.kind, Technology: b.tech, Name: b.name, Channels: j.Channels, MOH: b.moh})
	}
	return out
}
