package asttest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/cmplx"
	"net"
	"sync"
	"time"
)

// Media is the audio end of a SIPp party: SIPp does the SIP and its SDP
// names this UDP port (CallSpec.Media, PhoneSpec.Media), so the RTP
// Asterisk sends lands here and is kept, decoded, as what the party
// heard; and once Asterisk has sent a first packet (Asterisk's RTP is
// symmetric: it listens where it sends from), the party speaks a steady
// tone of its own back. Tones tell who hears whom: a test measures each
// party's frequencies in what every other one heard.
type Media struct {
	Port int
	Tone float64 // Hz the party speaks (0: silence)

	conn *net.UDPConn
	mu   sync.Mutex
	peer *net.UDPAddr
	pt   byte
	got  []heardFrame
	done chan struct{}
}

type heardFrame struct {
	at      time.Time
	samples []int16
}

// NewMedia listens on ip (CarrierIP for a caller, 127.0.0.1 for a phone)
// and speaks tone Hz; it stops when the test ends.
func NewMedia(t T, ip string, tone float64) *Media {
	t.Helper()
	var conn *net.UDPConn
	for i := 0; i < 50 && conn == nil; i++ {
		// An even port, as RTP wants; RTCP would go to the next one.
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)})
		if err != nil {
			t.Fatal(err)
		}
		if c.LocalAddr().(*net.UDPAddr).Port%2 == 0 {
			conn = c
		} else {
			c.Close()
		}
	}
	if conn == nil {
		t.Fatal("asttest: no even UDP port for media")
	}
	m := &Media{Port: conn.LocalAddr().(*net.UDPAddr).Port, Tone: tone, conn: conn, done: make(chan struct{})}
	go m.read()
	go m.speak()
	t.Cleanup(func() { conn.Close(); <-m.done })
	return m
}

func (m *Media) read() {
	defer close(m.done)
	buf := make([]byte, 2048)
	for {
		n, from, err := m.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if n < 12 || buf[0]>>6 != 2 {
			continue
		}
		pt := buf[1] & 0x7f
		if pt != 0 && pt != 8 {
			continue // telephone-events, comfort noise
		}
		head := 12 + 4*int(buf[0]&0x0f)
		if buf[0]&0x10 != 0 && n >= head+4 {
			head += 4 + 4*int(binary.BigEndian.Uint16(buf[head+2:]))
		}
		if head > n {
			continue
		}
		s := make([]int16, 0, n-head)
		for _, b := range buf[head:n] {
			if pt == 0 {
				s = append(s, ulawToLinear(b))
			} else {
				s = append(s, alawToLinear(b))
			}
		}
		m.mu.Lock()
		m.peer, m.pt = from, pt
		m.got = append(m.got, heardFrame{at: time.Now(), samples: s})
		m.mu.Unlock()
	}
}

// speak sends 20 ms of the tone every 20 ms to whoever sent last, in the
// codec they send.
func (m *Media) speak() {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	seq, ts, sample := uint16(1000), uint32(8000), 0
	for {
		select {
		case <-m.done:
			return
		case <-tick.C:
		}
		m.mu.Lock()
		peer, pt := m.peer, m.pt
		m.mu.Unlock()
		if peer == nil {
			continue
		}
		pkt := make([]byte, 12, 12+160)
		pkt[0], pkt[1] = 0x80, pt
		binary.BigEndian.PutUint16(pkt[2:], seq)
		binary.BigEndian.PutUint32(pkt[4:], ts)
		binary.BigEndian.PutUint32(pkt[8:], uint32(m.Port)<<8|0x5a)
		for i := 0; i < 160; i++ {
			v := int16(0)
			if m.Tone > 0 {
				v = int16(6000 * math.Sin(2*math.Pi*m.Tone*float64(sample)/8000))
			}
			if pt == 0 {
				pkt = append(pkt, linearToULaw(v))
			} else {
				pkt = append(pkt, linearToALaw(v))
			}
			sample++
		}
		seq++
		ts += 160
		m.conn.WriteToUDP(pkt, peer)
	}
}

// Heard returns the audio received since at (8 kHz linear samples).
func (m *Media) Heard(since time.Time) []int16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []int16
	for _, f := range m.got {
		if !f.at.Before(since) {
			out = append(out, f.samples...)
		}
	}
	return out
}

// Level is the amplitude of a frequency in 8 kHz samples (the Goertzel
// algorithm over the whole of them, with a Hann window): about 6000 for
// one party's tone heard at full level, near 0 for one not heard.
func Level(samples []int16, hz float64) float64 {
	n := len(samples)
	if n == 0 {
		return 0
	}
	w := 2 * math.Pi * hz / 8000
	var acc complex128
	for i, s := range samples {
		hann := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		acc += complex(float64(s)*hann, 0) * cmplx.Exp(complex(0, -w*float64(i)))
	}
	// A Hann window halves a sine's amplitude: 4/N instead of 2/N.
	return 4 * cmplx.Abs(acc) / float64(n)
}

// Levels describes the levels of several tones, for messages.
func Levels(samples []int16, tones map[string]float64) string {
	s := fmt.Sprintf("%d ms:", len(samples)/8)
	for name, hz := range tones {
		s += fmt.Sprintf(" %s %.0f", name, Level(samples, hz))
	}
	return s
}

func ulawToLinear(u byte) int16 {
	u = ^u
	sign := u & 0x80
	exp := (u >> 4) & 0x07
	mant := u & 0x0f
	v := ((int(mant) << 3) + 0x84) << exp
	v -= 0x84
	if sign != 0 {
		return int16(-v)
	}
	return int16(v)
}

func alawToLinear(a byte) int16 {
	a ^= 0x55
	sign := a & 0x80
	exp := (a >> 4) & 0x07
	mant := int(a & 0x0f)
	var v int
	if exp == 0 {
		v = mant<<4 + 8
	} else {
		v = (mant<<4 + 0x108) << (exp - 1)
	}
	if sign == 0 {
		return int16(-v)
	}
	return int16(v)
}

// linearToALaw is G.711 A-law encoding.
func linearToALaw(s int16) byte {
	v := int(s) >> 3
	mask := byte(0xd5)
	if v < 0 {
		mask, v = 0x55, -v-1
	}
	seg := 0
	for end := 0x1f; seg < 8 && v > end; end = end<<1 | 1 {
		seg++
	}
	if seg >= 8 {
		return 0x7f ^ mask
	}
	a := byte(seg << 4)
	if seg < 2 {
		a |= byte(v>>1) & 0x0f
	} else {
		a |= byte(v>>seg) & 0x0f
	}
	return a ^ mask
}
