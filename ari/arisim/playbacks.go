package arisim

import (
	"net/http"
	"strings"
	"time"

	"github.com/ascolto/ascolto/clock"
)

// mediaQueue is what a channel or a bridge is playing: one playback at a
// time, the next ones waiting (Asterisk queues them on the control).
type mediaQueue struct {
	current *playback
	queue   []*playback
	// waiters are closed whenever a playback ends: a channel's control
	// requests queued behind its playback (addChannel) look again.
	waiters []chan struct{}
}

// waitLocked returns a channel closed when the queue's current playback
// ends.
func (mq *mediaQueue) waitLocked() <-chan struct{} {
	w := make(chan struct{})
	mq.waiters = append(mq.waiters, w)
	return w
}

func (mq *mediaQueue) wakeLocked() {
	for _, w := range mq.waiters {
		close(w)
	}
	mq.waiters = nil
}

type playback struct {
	id        string
	media     []string
	idx       int
	lang      string
	state     string
	ch        *channel
	br        *bridge
	skip      time.Duration
	timer     clock.Timer
	began     time.Time     // when the current media (or its resumption) began
	remaining time.Duration // left of the current media when it (re)began; <0 means it never ends
	full      time.Duration
	listeners []*party
}

func (pb *playback) target() string {
	if pb.ch != nil {
		return "channel:" + pb.ch.id
	}
	return "bridge:" + pb.br.id
}

func (pb *playback) snapshot() playbackJSON {
	out := playbackJSON{ID: pb.id, MediaURI: pb.media[pb.idx], TargetURI: pb.target(), Language: pb.lang, State: pb.state}
	if pb.idx+1 < len(pb.media) {
		out.NextMediaURI = pb.media[pb.idx+1]
	}
	return out
}

func (pb *playback) targetSubscribed(appName string) bool {
	if pb.ch != nil {
		return pb.ch.subs[appName] > 0
	}
	return pb.br != nil && pb.br.subs[appName] > 0
}

func (pb *playback) queueOf() *mediaQueue {
	if pb.ch != nil {
		return &pb.ch.mq
	}
	return &pb.br.mq
}

// mediaDuration says how long a URI plays: ok=false means the file is
// missing (PlaybackFinished failed at once); d<0 means it never finishes on
// its own (unknown schemes, tones), as in errors.jsonl.
func (s *Server) mediaDuration(uri string) (d time.Duration, found bool) {
	if d, set := s.media[uri]; set {
		return d, true
	}
	scheme, rest, hasScheme := strings.Cut(uri, ":")
	if !hasScheme {
		return -1, true
	}
	switch scheme {
	case "sound":
		if s.missing[uri] {
			return 0, false
		}
		return s.mediaDef, true
	case "recording":
		rec := s.stored[rest]
		if rec == nil {
			return 0, false
		}
		return rec.dur, true
	case "digits":
		return time.Duration(len(rest)) * 250 * time.Millisecond, true
	case "characters":
		return time.Duration(len(rest)) * 400 * time.Millisecond, true
	case "number":
		return time.Duration(len(strings.TrimLeft(rest, "-"))) * 500 * time.Millisecond, true
	case "tone":
		return -1, true
	}
	return -1, true
}

func (s *Server) playOnChannel(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, errRes := s.stasisChannel(q.segs[1])
	if errRes != nil {
		return *errRes
	}
	return s.queuePlaybackLocked(q, ch, nil)
}

func (s *Server) playOnBridge(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridges[q.segs[1]]
	if b == nil {
		return fail(http.StatusNotFound, "Bridge not found")
	}
	return s.queuePlaybackLocked(q, nil, b)
}

func (s *Server) queuePlaybackLocked(q *request, ch *channel, b *bridge) result {
	media := q.p.list("media")
	if len(media) == 0 {
		// Asterisk answers 500 here, not 400 (surprise 7).
		return fail(http.StatusInternalServerError, "Failed to queue media for playback")
	}
	id := q.p.str("playbackId")
	if len(q.segs) == 4 {
		id = q.segs[3]
	}
	if id == "" {
		s.idSeq++
		id = pseudoUUID(s.idSeq)
	}
	lang := q.p.str("lang")
	if lang == "" {
		lang = "en"
	}
	pb := &playback{id: id, media: media, lang: lang, state: "queued", ch: ch, br: b,
		skip: time.Duration(q.p.int("skipms", 3000)) * time.Millisecond}
	s.playbacks[id] = pb
	resp := pb.snapshot()
	mq := pb.queueOf()
	if mq.current == nil {
		s.startPlaybackLocked(pb)
	} else {
		mq.queue = append(mq.queue, pb)
	}
	return result{status: http.StatusCreated, body: resp}
}

func (s *Server) startPlaybackLocked(pb *playback) {
	mq := pb.queueOf()
	mq.current = pb
	pb.state = "playing"
	s.emitPlayback(pb, "PlaybackStarted")
	if pb.listeners == nil {
		if pb.ch != nil {
			if pb.ch.party != nil {
				pb.listeners = []*party{pb.ch.party}
			}
		} else {
			for _, ch := range pb.br.chans {
				if ch.party != nil {
					pb.listeners = append(pb.listeners, ch.party)
				}
			}
		}
	}
	s.playMediaLocked(pb)
}

// playMediaLocked starts the current media of the playlist.
func (s *Server) playMediaLocked(pb *playback) {
	uri := pb.media[pb.idx]
	for _, p := range pb.listeners {
		p.hearPlayback(s, pb)
	}
	d, found := s.mediaDuration(uri)
	if !found {
		s.endPlaybackLocked(pb, "failed")
		return
	}
	pb.full, pb.remaining, pb.began = d, d, s.now()
	s.armPlaybackLocked(pb)
}

func (s *Server) armPlaybackLocked(pb *playback) {
	if pb.remaining < 0 {
		if scheme, _, _ := strings.Cut(pb.media[pb.idx], ":"); scheme != "tone" {
			// An unknown scheme fails inside Asterisk without any
			// PlaybackFinished; the queue moves on (errors.jsonl).
			delete(s.playbacks, pb.id)
			if mq := pb.queueOf(); mq.current == pb {
				mq.current = nil
				mq.wakeLocked()
				if len(mq.queue) > 0 {
					next := mq.queue[0]
					mq.queue = mq.queue[1:]
					s.startPlaybackLocked(next)
				}
			}
		}
		return
	}
	pb.timer = s.afterLocked(pb.remaining, func() {
		if pb.state != "playing" || s.playbacks[pb.id] != pb {
			return
		}
		s.mediaDoneLocked(pb)
	})
}

// mediaDoneLocked moves to the next media of the playlist or finishes.
func (s *Server) mediaDoneLocked(pb *playback) {
	for _, p := range pb.listeners {
		p.playbackEnded(s, pb, "done")
	}
	if pb.idx+1 < len(pb.media) {
		pb.idx++
		s.emitPlayback(pb, "PlaybackContinuing")
		s.playMediaLocked(pb)
		return
	}
	s.endPlaybackLocked(pb, "done")
}

// endPlaybackLocked sends PlaybackFinished and starts the next queued one.
func (s *Server) endPlaybackLocked(pb *playback, state string) {
	if pb.timer != nil {
		pb.timer.Stop()
	}
	pb.state = state
	for _, p := range pb.listeners {
		p.playbackEnded(s, pb, state)
	}
	s.emitPlayback(pb, "PlaybackFinished")
	delete(s.playbacks, pb.id)
	mq := pb.queueOf()
	if mq.current == pb {
		mq.current = nil
		mq.wakeLocked()
	}
	if len(mq.queue) > 0 && state != "failed" {
		next := mq.queue[0]
		mq.queue = mq.queue[1:]
		s.startPlaybackLocked(next)
	}
}

// stopQueueLocked ends what a dying channel or bridge plays: the current
// playback fails (surprise 2), queued ones vanish.
func (s *Server) stopQueueLocked(mq *mediaQueue, state string) {
	for _, pb := range mq.queue {
		delete(s.playbacks, pb.id)
	}
	mq.queue = nil
	if pb := mq.current; pb != nil {
		s.endPlaybackLocked(pb, state)
	}
}

func (s *Server) stopChannelMediaLocked(ch *channel) {
	s.stopQueueLocked(&ch.mq, "failed")
}

func (s *Server) playbackRoute(method string, segs []string) (handler, bool) {
	switch len(segs) {
	case 2:
		return methods(method, map[string]handler{"GET": s.getPlayback, "DELETE": s.stopPlayback})
	case 3:
		if segs[2] == "control" {
			return methods(method, map[string]handler{"POST": s.controlPlayback})
		}
	}
	return nil, false
}

func (s *Server) getPlayback(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	pb := s.playbacks[q.segs[1]]
	if pb == nil {
		return fail(http.StatusNotFound, "Playback not found")
	}
	return ok(pb.snapshot())
}

func (s *Server) stopPlayback(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	pb := s.playbacks[q.segs[1]]
	if pb == nil {
		return fail(http.StatusNotFound, "Playback not found")
	}
	mq := pb.queueOf()
	if mq.current != pb {
		for i, o := range mq.queue {
			if o == pb {
				mq.queue = append(mq.queue[:i], mq.queue[i+1:]...)
				break
			}
		}
		delete(s.playbacks, pb.id)
		return noContent()
	}
	// A stopped playback finishes as "done", not "stopped" (surprise 7).
	s.endPlaybackLocked(pb, "done")
	return noContent()
}

func (s *Server) controlPlayback(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	pb := s.playbacks[q.segs[1]]
	if pb == nil {
		return fail(http.StatusNotFound, "Playback not found")
	}
	op := q.p.str("operation")
	switch op {
	case "restart", "pause", "unpause", "reverse", "forward":
	case "":
		return fail(http.StatusBadRequest, "Missing parameter operation")
	default:
		return fail(http.StatusBadRequest, "Invalid operation "+op)
	}
	if pb.state != "playing" && pb.state != "paused" {
		return fail(http.StatusConflict, "Playback not in a state that allows this operation")
	}
	if pb.timer != nil {
		pb.timer.Stop()
	}
	elapsed := s.now().Sub(pb.began)
	left := pb.remaining - elapsed
	if pb.state == "paused" {
		left = pb.remaining
	}
	switch op {
	case "pause":
		pb.state = "paused"
		if pb.remaining >= 0 {
			pb.remaining = left
		}
		return noContent()
	case "unpause":
		pb.state = "playing"
	case "restart":
		pb.state = "playing"
		left = pb.full
	case "forward":
		left -= pb.skip
	case "reverse":
		left += pb.skip
		if left > pb.full {
			left = pb.full
		}
	}
	if pb.remaining < 0 {
		left = -1
	} else if left < 0 {
		left = 0
	}
	pb.remaining, pb.began = left, s.now()
	if pb.state == "playing" {
		if left == 0 {
			s.mediaDoneLocked(pb)
			return noContent()
		}
		s.armPlaybackLocked(pb)
	}
	return noContent()
}
