package asttest

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strings"
	"time"
)

// Key is one DTMF key a SIPp party presses: which, and how long after the
// previous key (or after the call was answered, for the first).
type Key struct {
	Digit byte
	After time.Duration
}

// Keys reads "1", "3" or a spaced script like "2s:1 4s:3": each key pressed
// after the given pause (default 1 s).
func Keys(script string) ([]Key, error) {
	var out []Key
	for _, f := range strings.Fields(script) {
		after := time.Second
		if d, k, ok := strings.Cut(f, ":"); ok {
			var err error
			if after, err = time.ParseDuration(d); err != nil {
				return nil, fmt.Errorf("asttest: key %q: %w", f, err)
			}
			f = k
		}
		for i := 0; i < len(f); i++ {
			if dtmfEvent(f[i]) < 0 {
				return nil, fmt.Errorf("asttest: %q is not a DTMF key", f[i])
			}
			out = append(out, Key{Digit: f[i], After: after})
			after = 400 * time.Millisecond
		}
	}
	return out, nil
}

func dtmfEvent(d byte) int {
	switch {
	case d >= '0' && d <= '9':
		return int(d - '0')
	case d == '*':
		return 10
	case d == '#':
		return 11
	case d >= 'A' && d <= 'D':
		return int(d-'A') + 12
	}
	return -1
}

// WriteDTMFPcap writes what a caller's phone sends for SIPp's
// play_pcap_audio: G.711 µ-law audio (a quiet 400 Hz tone, so a recording
// of the caller is not silence) every 20 ms from the start, and each key as
// RFC 4733 events (payload type 101) at its scripted moment, in one RTP
// stream whose sequence numbers and timestamps only grow. Asterisk drops an
// event whose sequence goes backwards, which is what happens when the
// separate per-digit captures SIPp ships are played in a row; and SIPp
// times the packets from the first one, so the audio from the start is
// what makes the first key's pause count. SIPp keeps the RTP headers and
// the spacing and rewrites only addresses and ports.
func WriteDTMFPcap(path string, keys []Key) error {
	return writeCallerPcap(path, keys, 500*time.Millisecond)
}

// writeCallerPcap is WriteDTMFPcap with talk of audio after the last key.
func writeCallerPcap(path string, keys []Key, talk time.Duration) error {
	var b []byte
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 65535)
	le.PutUint32(hdr[20:], 1) // Ethernet
	b = append(b, hdr...)

	const ptime = 20 * time.Millisecond
	at := time.Unix(1700000000, 0)
	seq := uint16(4000)
	ts := uint32(160000)
	sample := 0
	rtpHeader := func(pt byte, marker bool) []byte {
		rtp := make([]byte, 12, 12+160)
		rtp[0] = 0x80
		rtp[1] = pt
		if marker {
			rtp[1] |= 0x80
		}
		binary.BigEndian.PutUint16(rtp[2:], seq)
		binary.BigEndian.PutUint32(rtp[4:], ts)
		binary.BigEndian.PutUint32(rtp[8:], 0x61736374) // "asct"
		seq++
		return rtp
	}
	audio := func(d time.Duration) {
		for end := at.Add(d); at.Before(end); at = at.Add(ptime) {
			rtp := rtpHeader(0, false)
			for i := 0; i < 160; i++ {
				v := 2000 * math.Sin(2*math.Pi*400*float64(sample)/8000)
				rtp = append(rtp, linearToULaw(int16(v)))
				sample++
			}
			ts += 160
			b = append(b, frame(at, rtp)...)
		}
	}
	event := func(ev int, end bool, duration uint16, marker bool) {
		rtp := rtpHeader(101, marker)
		flags := byte(10) // volume -10 dBm0
		if end {
			flags |= 0x80
		}
		rtp = append(rtp, byte(ev), flags, byte(duration>>8), byte(duration))
		b = append(b, frame(at, rtp)...)
	}
	for _, k := range keys {
		audio(k.After)
		ev := dtmfEvent(k.Digit)
		// 200 ms of key: 10 packets 20 ms apart, all with the timestamp of
		// the key's start, then the end three times.
		for i := 0; i < 10; i++ {
			event(ev, false, uint16((i+1)*160), i == 0)
			at = at.Add(ptime)
		}
		for i := 0; i < 3; i++ {
			event(ev, true, 1600, false)
		}
		ts += 1600
	}
	audio(talk)
	return os.WriteFile(path, b, 0o644)
}

// linearToULaw is G.711 µ-law encoding.
func linearToULaw(s int16) byte {
	const bias, clip = 0x84, 32635
	sign := byte(0)
	v := int(s)
	if v < 0 {
		v, sign = -v, 0x80
	}
	if v > clip {
		v = clip
	}
	v += bias
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (v >> (exp + 3)) & 0x0f
	return ^(sign | byte(exp<<4) | byte(mant))
}

// frame wraps an RTP payload in pcap record, Ethernet, IPv4 and UDP headers.
func frame(at time.Time, payload []byte) []byte {
	le := binary.LittleEndian
	udpLen := 8 + len(payload)
	ipLen := 20 + udpLen
	total := 14 + ipLen
	out := make([]byte, 16+total)
	le.PutUint32(out[0:], uint32(at.Unix()))
	le.PutUint32(out[4:], uint32(at.Nanosecond()/1000))
	le.PutUint32(out[8:], uint32(total))
	le.PutUint32(out[12:], uint32(total))
	eth := out[16:]
	copy(eth[0:6], []byte{2, 0, 0, 0, 0, 1})
	copy(eth[6:12], []byte{2, 0, 0, 0, 0, 2})
	eth[12], eth[13] = 0x08, 0x00
	ip := eth[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(ipLen))
	ip[8] = 64
	ip[9] = 17
	copy(ip[12:16], []byte{127, 0, 0, 2})
	copy(ip[16:20], []byte{127, 0, 0, 1})
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], 6000)
	binary.BigEndian.PutUint16(udp[2:], 10000)
	binary.BigEndian.PutUint16(udp[4:], uint16(udpLen))
	copy(udp[8:], payload)
	return out
}
