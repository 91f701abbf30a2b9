package asttest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Rewrite is one change a test machine forces on a production file: the
// exact line replaced, how many times it must occur, and why.
type Rewrite struct {
	File  string
	From  string
	To    string // ${NAME} placeholders are filled from the instance
	Count int
	Why   string
}

// Rewrites is every difference between asterisk-conf/ and what the tests
// run. Nothing else is changed; a From no longer found fails the test.
var Rewrites = []Rewrite{
	{"http.conf", "bindaddr = 0.0.0.0", "bindaddr = 127.0.0.1", 1, "loopback only"},
	{"http.conf", "bindport = 8088", "bindport = ${HTTP_PORT}", 1, "a free port per run"},
	{"http.conf", "tlsbindaddr = 0.0.0.0:8089", "tlsbindaddr = 127.0.0.1:${TLS_PORT}", 1, "loopback, a free port"},
	{"http.conf", "tlscertfile = /etc/asterisk/keys/asterisk.crt", "tlscertfile = ${ETC}/keys/asterisk.crt", 1, "a certificate made for the run"},
	{"http.conf", "tlsprivatekey = /etc/asterisk/keys/asterisk.key", "tlsprivatekey = ${ETC}/keys/asterisk.key", 1, "its key"},
	{"pjsip.conf", "bind = 0.0.0.0:5060", "bind = 127.0.0.1:${SIP_PORT}", 2, "UDP and TCP on loopback, a free port"},
	{"pjsip.conf", "contact = sip:sip.carrier.example.it:5060", "contact = sip:" + CarrierIP + ":${CARRIER_PORT}", 1, "the carrier is a SIPp on its own loopback address"},
	{"pjsip.conf", "match = sip.carrier.example.it", "match = " + CarrierIP, 1, "calls from the carrier's SIPp are the trunk's"},
	{"pjsip.conf", "server_uri = sip:sip.carrier.example.it", "server_uri = sip:" + CarrierIP + ":${CARRIER_PORT}", 1, "registration towards the carrier's SIPp"},
	{"pjsip.conf", "client_uri = sip:ascolto-cc@sip.carrier.example.it", "client_uri = sip:ascolto-cc@" + CarrierIP + ":${CARRIER_PORT}", 1, "likewise"},
	{"rtp.conf", "rtpstart = 10000", "rtpstart = ${RTP_START}", 1, "a range of its own, away from SIPp's media ports"},
	{"rtp.conf", "rtpend = 19999", "rtpend = ${RTP_END}", 1, "likewise"},
}

// ConfFiles are the production files Asterisk reads, as docker-compose.yml
// mounts them.
var ConfFiles = []string{"http.conf", "ari.conf", "pjsip.conf", "extensions.conf", "musiconhold.conf", "modules.conf", "rtp.conf"}

func (a *Asterisk) vars() map[string]string {
	return map[string]string{
		"HTTP_PORT": strconv.Itoa(a.HTTPPort), "TLS_PORT": strconv.Itoa(a.TLSPort), "SIP_PORT": strconv.Itoa(a.SIPPort),
		"CARRIER_PORT": strconv.Itoa(a.CarrierPort), "RTP_START": strconv.Itoa(a.RTPStart), "RTP_END": strconv.Itoa(a.RTPEnd),
		"ETC": a.Etc,
	}
}

// Render reads the production files from conf and applies Rewrites, then extra.
func Render(conf string, vars map[string]string, extra ...Rewrite) (map[string]string, error) {
	files := map[string]string{}
	for _, name := range ConfFiles {
		b, err := os.ReadFile(filepath.Join(conf, name))
		if err != nil {
			return nil, fmt.Errorf("asttest: %w", err)
		}
		files[name] = string(b)
	}
	for _, r := range append(append([]Rewrite(nil), Rewrites...), extra...) {
		lines := strings.Split(files[r.File], "\n")
		to := os.Expand(r.To, func(k string) string { return vars[k] })
		n := 0
		for i, l := range lines {
			if strings.TrimSpace(l) == r.From {
				lines[i] = to
				n++
			}
		}
		if n != r.Count {
			return nil, fmt.Errorf("asttest: %s has the line %q %d times, the test rewrite expects %d (%s): update internal/asttest/rewrites.go with the production change",
				r.File, r.From, n, r.Count, r.Why)
		}
		files[r.File] = strings.Join(lines, "\n")
	}
	return files, nil
}
