package arisim

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/ascolto/ascolto/clock"
)

var recordingFormats = map[string]bool{"wav": true, "wav16": true, "gsm": true, "ulaw": true, "alaw": true,
	"sln": true, "sln16": true, "g722": true, "g729": true, "wav49": true, "WAV": true}

type span struct{ from, to time.Duration }

type liveRecording struct {
	name        string
	format      string
	state       string
	ch          *channel
	br          *bridge
	ifExists    string
	terminateOn string
	maxDur      time.Duration
	maxSilence  time.Duration
	capture     time.Time     // when audio capture began (after the beep)
	paused      time.Duration // total time spent paused
	pausedAt    time.Time
	timer       clock.Timer
	silence     clock.Timer
	duration    int
	trim        time.Duration
}

func (r *liveRecording) target() string {
	if r.ch != nil {
		return "channel:" + r.ch.id
	}
	return "bridge:" + r.br.id
}

func (r *liveRecording) snapshot() liveRecordingJSON {
	out := liveRecordingJSON{Name: r.name, Format: r.format, State: r.state, TargetURI: r.target()}
	if r.state == "done" || r.state == "canceled" {
		d := r.duration
		out.Duration = &d
	}
	return out
}

type storedRecording struct {
	name   string
	format string
	dur    time.Duration
	talks  []span
}

func (s *Server) recordChannel(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, errRes := s.stasisChannel(q.segs[1])
	if errRes != nil {
		return *errRes
	}
	return s.startRecordingLocked(q, ch, nil)
}

func (s *Server) recordBridge(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.bridges[q.segs[1]]
	if b == nil {
		return fail(http.StatusNotFound, "Bridge not found")
	}
	return s.startRecordingLocked(q, nil, b)
}

func (s *Server) startRecordingLocked(q *request, ch *channel, b *bridge) result {
	name, format := q.p.str("name"), q.p.str("format")
	if name == "" {
		return fail(http.StatusBadRequest, "Missing parameter name")
	}
	if format == "" {
		return fail(http.StatusBadRequest, "Missing parameter format")
	}
	maxDur, maxSil := q.p.int("maxDurationSeconds", 0), q.p.int("maxSilenceSeconds", 0)
	if maxDur < 0 || maxSil < 0 {
		return fail(http.StatusBadRequest, "Invalid parameters")
	}
	if s.unwritable {
		// Seen on Asterisk 20.20.1 with its spool/recording directory
		// removed: stasis_app_control_record fails (errno not one it
		// names) and the request is answered 500 — no recording, no event.
		return fail(http.StatusInternalServerError, "Internal Server Error")
	}
	ifExists := q.p.str("ifExists")
	if ifExists == "" {
		ifExists = "fail"
	}
	term := q.p.str("terminateOn")
	if term == "" {
		term = "none"
	}
	switch {
	case ifExists != "fail" && ifExists != "overwrite" && ifExists != "append":
		return fail(http.StatusBadRequest, "Invalid parameters")
	case term != "none" && term != "any" && term != "*" && term != "#":
		return fail(http.StatusBadRequest, "Invalid parameters")
	}
	if !recordingFormats[format] {
		return fail(http.StatusUnprocessableEntity, "specified format is unknown on this system")
	}
	if s.live[name] != nil {
		return fail(http.StatusConflict, "A recording with the same name is currently in progress")
	}
	if s.stored[name] != nil && ifExists == "fail" {
		return fail(http.StatusConflict, fmt.Sprintf("Recording '%s' already exists and can not be overwritten", name))
	}
	rec := &liveRecording{name: name, format: format, state: "queued", ch: ch, br: b, ifExists: ifExists, terminateOn: term,
		maxDur: time.Duration(maxDur) * time.Second, maxSilence: time.Duration(maxSil) * time.Second}
	resp := rec.snapshot()
	s.live[name] = rec
	if ch != nil {
		ch.rec = rec
	} else {
		b.rec = rec
	}
	// RecordingStarted goes out at once, even with a beep (surprise 8).
	rec.state = "recording"
	s.emitRecording(rec, "RecordingStarted")
	beep := time.Duration(0)
	if q.p.bool("beep") {
		beep, _ = s.mediaDuration("sound:beep")
		if ch != nil && ch.party != nil {
			ch.party.hear(s, "sound:beep", ch)
			ch.party.stopHearingAfter(s, "sound:beep", beep)
		}
	}
	rec.capture = s.now().Add(beep)
	if rec.maxDur > 0 {
		rec.timer = s.afterLocked(beep+rec.maxDur, func() {
			if s.live[name] == rec && rec.state == "recording" {
				s.finishRecordingLocked(rec, "done")
			}
		})
	}
	if rec.maxSilence > 0 {
		s.armSilenceLocked(rec, beep)
	}
	return result{status: http.StatusCreated, body: resp}
}

// armSilenceLocked ends the recording after maxSilence of caller silence.
func (s *Server) armSilenceLocked(rec *liveRecording, extra time.Duration) {
	if rec.silence != nil {
		rec.silence.Stop()
	}
	if rec.ch != nil && rec.ch.party != nil && rec.ch.party.talking(s) {
		return
	}
	rec.silence = s.afterLocked(extra+rec.maxSilence, func() {
		if s.live[rec.name] == rec && rec.state == "recording" {
			// Asterisk trims the trailing silence that ended the recording.
			rec.trim = rec.maxSilence
			s.finishRecordingLocked(rec, "done")
		}
	})
}

// elapsedLocked is how much audio the recording holds.
func (s *Server) elapsedLocked(rec *liveRecording) time.Duration {
	end := s.now()
	if rec.state == "paused" {
		end = rec.pausedAt
	}
	d := end.Sub(rec.capture) - rec.paused
	if d < 0 {
		d = 0
	}
	if rec.maxDur > 0 && d > rec.maxDur {
		d = rec.maxDur
	}
	return d
}

// finishRecordingLocked ends a live recording: done stores it, canceled
// throws it away; RecordingFinished carries the whole seconds.
func (s *Server) finishRecordingLocked(rec *liveRecording, state string) {
	if s.live[rec.name] != rec {
		return
	}
	d := s.elapsedLocked(rec) - rec.trim
	if d < 0 {
		d = 0
	}
	for _, t := range []clock.Timer{rec.timer, rec.silence} {
		if t != nil {
			t.Stop()
		}
	}
	rec.state = state
	rec.duration = int(d / time.Second)
	delete(s.live, rec.name)
	if rec.ch != nil && rec.ch.rec == rec {
		rec.ch.rec = nil
	}
	if rec.br != nil && rec.br.rec == rec {
		rec.br.rec = nil
	}
	if state == "done" {
		stored := &storedRecording{name: rec.name, format: rec.format, dur: d}
		if rec.ch != nil && rec.ch.party != nil {
			stored.talks = rec.ch.party.talksBetween(rec.capture, rec.capture.Add(d))
		}
		if old := s.stored[rec.name]; old != nil && rec.ifExists == "append" {
			for _, t := range stored.talks {
				old.talks = append(old.talks, span{old.dur + t.from, old.dur + t.to})
			}
			old.dur += d
			stored = old
		}
		s.stored[rec.name] = stored
	}
	s.emitRecording(rec, "RecordingFinished")
}

// dtmfRecordingLocked lets a pressed digit end a recording with terminateOn.
func (s *Server) dtmfRecordingLocked(ch *channel, digit string) {
	rec := ch.rec
	if rec == nil || rec.state != "recording" {
		return
	}
	if rec.terminateOn == "any" || rec.terminateOn == digit {
		s.finishRecordingLocked(rec, "done")
	}
}

func (s *Server) recordingRoute(method string, segs []string) (handler, bool) {
	if len(segs) < 2 {
		return nil, false
	}
	switch segs[1] {
	case "stored":
		switch len(segs) {
		case 2:
			return methods(method, map[string]handler{"GET": s.listStored})
		case 3:
			return methods(method, map[string]handler{"GET": s.getStored, "DELETE": s.deleteStored})
		case 4:
			switch segs[3] {
			case "file":
				return methods(method, map[string]handler{"GET": s.storedFile})
			case "copy":
				return methods(method, map[string]handler{"POST": s.copyStored})
			}
		}
	case "live":
		switch len(segs) {
		case 3:
			return methods(method, map[string]handler{"GET": s.getLive, "DELETE": s.liveOp("cancel")})
		case 4:
			switch segs[3] {
			case "stop":
				return methods(method, map[string]handler{"POST": s.liveOp("stop")})
			case "pause":
				return methods(method, map[string]handler{"POST": s.liveOp("pause"), "DELETE": s.liveOp("unpause")})
			case "mute":
				return methods(method, map[string]handler{"POST": s.liveOp("mute"), "DELETE": s.liveOp("unmute")})
			}
		}
	}
	return nil, false
}

func (s *Server) listStored(*request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.stored))
	for n := range s.stored {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]storedRecordingJSON, 0, len(names))
	for _, n := range names {
		out = append(out, storedRecordingJSON{Name: n, Format: s.stored[n].format})
	}
	return ok(out)
}

func (s *Server) getStored(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.stored[q.segs[2]]
	if rec == nil {
		return fail(http.StatusNotFound, "Recording not found")
	}
	return ok(storedRecordingJSON{Name: rec.name, Format: rec.format})
}

func (s *Server) deleteStored(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stored[q.segs[2]] == nil {
		return fail(http.StatusNotFound, "Recording not found")
	}
	delete(s.stored, q.segs[2])
	return noContent()
}

func (s *Server) copyStored(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.stored[q.segs[2]]
	if rec == nil {
		return fail(http.StatusNotFound, "Recording not found")
	}
	dst := q.p.str("destinationRecordingName")
	if dst == "" {
		return fail(http.StatusBadRequest, "Missing parameter destinationRecordingName")
	}
	if s.stored[dst] != nil {
		return fail(http.StatusConflict, "A recording with the same name already exists on the system")
	}
	cp := *rec
	cp.name = dst
	s.stored[dst] = &cp
	return ok(storedRecordingJSON{Name: dst, Format: rec.format})
}

func (s *Server) storedFile(q *request) result {
	s.mu.Lock()
	rec := s.stored[q.segs[2]]
	if rec == nil {
		s.mu.Unlock()
		return fail(http.StatusNotFound, "Recording not found")
	}
	cp := *rec
	s.mu.Unlock()
	data, ctype := audioFile(&cp)
	return result{status: http.StatusOK, raw: data, contentType: ctype}
}

func (s *Server) getLive(q *request) result {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.live[q.segs[2]]
	if rec == nil {
		return fail(http.StatusNotFound, "Recording not found")
	}
	return ok(rec.snapshot())
}

func (s *Server) liveOp(op string) handler {
	return func(q *request) result {
		s.mu.Lock()
		defer s.mu.Unlock()
		rec := s.live[q.segs[2]]
		if rec == nil {
			return fail(http.StatusNotFound, "Recording not found")
		}
		switch op {
		case "stop":
			s.finishRecordingLocked(rec, "done")
		case "cancel":
			s.finishRecordingLocked(rec, "canceled")
		case "pause":
			if rec.state != "recording" {
				return fail(http.StatusConflict, "Recording not in session")
			}
			rec.state, rec.pausedAt = "paused", s.now()
		case "unpause":
			if rec.state != "paused" {
				return fail(http.StatusConflict, "Recording not in session")
			}
			rec.paused += s.now().Sub(rec.pausedAt)
			rec.state = "recording"
		case "mute", "unmute":
			if rec.state != "recording" && rec.state != "paused" {
				return fail(http.StatusConflict, "Recording not in session")
			}
		}
		return noContent()
	}
}

// audioFile renders a stored recording as 8 kHz mono audio of its duration:
// silence, and a 440 Hz tone where the scripted party talked.
func audioFile(rec *storedRecording) ([]byte, string) {
	const rate = 8000
	n := int(rec.dur.Seconds() * rate)
	sample := func(i int) int16 {
		at := time.Duration(i) * time.Second / rate
		for _, t := range rec.talks {
			if at >= t.from && at < t.to {
				return int16(8000 * math.Sin(2*math.Pi*440*float64(i)/rate))
			}
		}
		return 0
	}
	switch rec.format {
	case "ulaw", "alaw":
		silence := byte(0xff)
		if rec.format == "alaw" {
			silence = 0xd5
		}
		return bytes.Repeat([]byte{silence}, n), "audio/basic"
	case "sln":
		var b bytes.Buffer
		for i := 0; i < n; i++ {
			_ = binary.Write(&b, binary.LittleEndian, sample(i))
		}
		return b.Bytes(), "audio/L16"
	}
	var b bytes.Buffer
	dataLen := uint32(n * 2)
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, 36+dataLen)
	b.WriteString("WAVEfmt ")
	_ = binary.Write(&b, binary.LittleEndian, uint32(16))
	_ = binary.Write(&b, binary.LittleEndian, uint16(1)) // PCM
	_ = binary.Write(&b, binary.LittleEndian, uint16(1)) // mono
	_ = binary.Write(&b, binary.LittleEndian, uint32(rate))
	_ = binary.Write(&b, binary.LittleEndian, uint32(rate*2))
	_ = binary.Write(&b, binary.LittleEndian, uint16(2))
	_ = binary.Write(&b, binary.LittleEndian, uint16(16))
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, dataLen)
	for i := 0; i < n; i++ {
		_ = binary.Write(&b, binary.LittleEndian, sample(i))
	}
	return b.Bytes(), "audio/wav"
}
