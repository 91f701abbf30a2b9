package asttest

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every rewrite must still find its text in the production files: when
// asterisk-conf/ changes, this fails on every machine, not only on one with
// an Asterisk.
func TestRewritesMatchProductionConfig(t *testing.T) {
	files, err := Render(ConfDir(), map[string]string{"HTTP_PORT": "18088", "TLS_PORT": "18089", "SIP_PORT": "15060",
		"CARRIER_PORT": "15070", "RTP_START": "20000", "RTP_END": "20399", "ETC": "/tmp/etc"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ConfFiles {
		if strings.Contains(files[f], "0.0.0.0") && f != "pjsip.conf" {
			t.Errorf("%s still binds 0.0.0.0 after rendering", f)
		}
	}
	if strings.Contains(files["pjsip.conf"], "sip.carrier.example.it:") || strings.Contains(files["pjsip.conf"], ":5060") {
		t.Errorf("pjsip.conf still points at the production carrier or port:\n%s", files["pjsip.conf"])
	}
	if !strings.Contains(files["http.conf"], "bindport = 18088") || !strings.Contains(files["rtp.conf"], "rtpend = 20399") {
		t.Errorf("placeholders not filled:\n%s\n%s", files["http.conf"], files["rtp.conf"])
	}
	if _, err := Render(t.TempDir(), nil); err == nil {
		t.Fatal("rendering an empty folder succeeded")
	}
}

func TestRewriteOfMissingTextFails(t *testing.T) {
	dir := t.TempDir()
	for _, f := range ConfFiles {
		b, err := os.ReadFile(filepath.Join(ConfDir(), f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "http.conf" {
			b = []byte(strings.Replace(string(b), "bindport = 8088", "bindport = 8090", 1))
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	if _, err := Render(dir, nil); err == nil || !strings.Contains(err.Error(), "bindport = 8088") {
		t.Fatalf("a production change the rewrites do not know passed: %v", err)
	}
}

// The DTMF capture: one stream whose sequence numbers grow across keys,
// each key a marker packet, growing durations and three end packets.
func TestDTMFPcap(t *testing.T) {
	keys, err := Keys("2s:1 3s:3#")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 || keys[0].After != 2*time.Second || keys[2].Digit != '#' || keys[2].After != 400*time.Millisecond {
		t.Fatalf("keys %+v", keys)
	}
	if _, err := Keys("1x"); err == nil {
		t.Fatal("x accepted as a key")
	}
	p := filepath.Join(t.TempDir(), "k.pcap")
	if err := WriteDTMFPcap(p, keys); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if binary.LittleEndian.Uint32(b) != 0xa1b2c3d4 {
		t.Fatal("not a pcap")
	}
	var seqs []uint16
	var events []byte
	var lastSec uint32
	audio := 0
	for off := 24; off < len(b); {
		sec := binary.LittleEndian.Uint32(b[off:])
		n := int(binary.LittleEndian.Uint32(b[off+8:]))
		rtp := b[off+16+14+20+8 : off+16+n]
		pt := rtp[1] & 0x7f
		if (pt != 101 && pt != 0) || sec < lastSec {
			t.Fatalf("packet at %d: pt %d, time going back", off, pt)
		}
		if pt == 0 {
			audio++
			if len(rtp) != 12+160 {
				t.Fatalf("audio packet of %d bytes", len(rtp))
			}
			if audio == 1 && sec != 1700000000 {
				t.Fatal("the capture does not start with audio at its first instant")
			}
		}
		lastSec = sec
		seqs = append(seqs, binary.BigEndian.Uint16(rtp[2:]))
		if pt == 101 && rtp[1]&0x80 != 0 {
			events = append(events, rtp[12])
		}
		off += 16 + n
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("sequence %d after %d", seqs[i], seqs[i-1])
		}
	}
	// 2 s + 3 s + 0.4 s of pauses and 0.5 s at the end, 50 packets a second.
	if string(events) != "\x01\x03\x0b" || len(seqs) != 39+295 || audio != 295 {
		t.Fatalf("events %v in %d packets, %d of audio", events, len(seqs), audio)
	}
	if linearToULaw(0) != 0xff || linearToULaw(-1) != 0x7f || linearToULaw(32767) != 0x80 {
		t.Fatalf("µ-law: %x %x %x", linearToULaw(0), linearToULaw(-1), linearToULaw(32767))
	}
}

// G.711 both ways, and the tone meter: a tone's level is its amplitude,
// another frequency's is near zero.
func TestG711AndLevel(t *testing.T) {
	for _, v := range []int16{0, 100, -100, 1000, -1000, 6000, -6000, 30000, -30000} {
		for name, rt := range map[string]int16{"ulaw": ulawToLinear(linearToULaw(v)), "alaw": alawToLinear(linearToALaw(v))} {
			if d := int(rt) - int(v); d > int(abs(v))/16+16 || -d > int(abs(v))/16+16 {
				t.Errorf("%s(%d) came back %d", name, v, rt)
			}
		}
	}
	s := make([]int16, 16000)
	for i := range s {
		s[i] = ulawToLinear(linearToULaw(int16(6000 * math.Sin(2*math.Pi*600*float64(i)/8000))))
	}
	if l := Level(s, 600); l < 5500 || l > 6500 {
		t.Errorf("600 Hz at 6000: level %.0f", l)
	}
	for _, hz := range []float64{1000, 1500} {
		if l := Level(s, hz); l > 50 {
			t.Errorf("%.0f Hz absent: level %.0f", hz, l)
		}
	}
}

func abs(v int16) int16 {
	if v < 0 {
		return -v
	}
	return v
}
