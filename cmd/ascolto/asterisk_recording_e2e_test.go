package main

import (
	"bytes"
	"context"
	endian "encoding/binary"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/internal/asttest"
	"github.com/ascolto/ascolto/store"
)

// messageFlow records a message at once (after the beep) and hangs up.
const messageFlow = `name: messaggio
start: registra
nodes:
  registra:
    kind: record
    beep: true
    terminate_key: "#"
    max_seconds: 60
    next: fine
  fine:
    kind: hangup
    prompts: [messaggio-registrato, arrivederci]
`

// TestRealAsteriskRecordedMessage: a caller leaves a message in the IVR.
// Asterisk's file is where the case says, as long as the caller spoke
// (± a second), not silence; the console serves it to a signed-in user as
// audio a browser plays, in parts too (Range), and to nobody else.
func TestRealAsteriskRecordedMessage(t *testing.T) {
	t.Parallel()
	r := newRealRig(t, rigSpec{Flow: messageFlow})
	if out, errs, code := cliIn(t, r.envs, "password-di-anna\n", "user", "add", "rossi", "--role", "agent", "--name", "Anna Rossi", "--password-stdin"); code != 0 {
		t.Fatalf("user add: %s %s", out, errs)
	}
	from := "+390862960001"
	// The caller speaks (a 400 Hz tone) from the answer and presses # 7 s
	// later; the recording starts after the beep.
	r.ast.Call(t, asttest.CallSpec{From: from, Keys: "7s:#"}).Wait(time.Minute)
	rec := r.record(from)
	if rec.Outcome != "recorded" {
		t.Fatalf("record %+v", rec)
	}
	var cs store.Case
	r.eventually("the message's case", 20*time.Second, func() bool {
		cases, _ := r.db.Cases(context.Background(), store.CaseFilter{Phone: &from})
		if len(cases) == 1 {
			cs = cases[0]
		}
		return len(cases) == 1
	})
	atts, err := r.db.Attachments(context.Background(), cs.ID)
	if err != nil || len(atts) != 1 {
		t.Fatalf("attachments of %s: %+v %v", cs.TrackingID, atts, err)
	}
	att, err := r.db.AttachmentData(context.Background(), atts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	// The file Asterisk wrote, named as the case's attachment, is the same audio.
	file := filepath.Join(r.ast.Spool, "recording", att.Filename)
	onDisk, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("the recording of case %s is not where its name says: %v", cs.TrackingID, err)
	}
	if !bytes.Equal(onDisk, att.Data) {
		t.Errorf("the case's audio (%d bytes) differs from Asterisk's file %s (%d bytes)", len(att.Data), file, len(onDisk))
	}
	// Its length: what sox says, what the case says, and when the caller
	// pressed # after the beep, from Asterisk's log.
	secs := soxDuration(t, file)
	spoke := r.spokeFor(from)
	m := regexp.MustCompile(`\((\d+) s\)`).FindStringSubmatch(cs.Summary)
	if m == nil {
		t.Fatalf("summary %q has no length", cs.Summary)
	}
	said, _ := strconv.Atoi(m[1])
	if math.Abs(secs-spoke.Seconds()) > 1 || math.Abs(secs-float64(said)) > 1 {
		t.Errorf("recording %.2f s long; the caller spoke %.2f s after the beep; the case says %d s", secs, spoke.Seconds(), said)
	}
	t.Logf("recording %s: %.2f s by soxi, %d s by the case, the caller spoke %.2f s after the beep", file, secs, said, spoke.Seconds())
	samples := wavSamples(t, att.Data)
	if l := asttest.Level(samples, 400); l < 1000 {
		t.Errorf("the recording is silent: the caller's 400 Hz tone at level %.0f", l)
	}

	// The console plays it.
	agent := signIn(t, r.s.base, "rossi", "password-di-anna", "/agent")
	path := fmt.Sprintf("/cases/%s/files/%d", cs.TrackingID, att.ID)
	_, page := agent.get("/cases/"+cs.TrackingID, nil)
	if !strings.Contains(page, `<audio class="case-audio" controls preload="none" src="`+path+`">`) {
		t.Errorf("the case page has no player for %s", path)
	}
	resp, body := agent.get(path, nil)
	if resp.StatusCode != 200 || body != string(att.Data) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "audio/") ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline") {
		t.Fatalf("GET %s: %d %s %q, %d bytes", path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), len(body))
	}
	resp, body = agent.get(path, map[string]string{"Range": "bytes=44-1043"})
	if resp.StatusCode != 206 || body != string(att.Data[44:1044]) ||
		resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 44-1043/%d", len(att.Data)) {
		t.Errorf("Range: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Range"), len(body))
	}
	// Signed out, nothing.
	anon := &consoleUser{t: t, base: r.s.base, c: &http.Client{CheckRedirect: noRedirect}}
	if resp, _ := anon.get(path, nil); resp.StatusCode == 200 {
		t.Errorf("the recording is served to anyone: %d", resp.StatusCode)
	}
}

// spokeFor is how long the caller spoke after the beep: from the beep's
// end to the # key, in Asterisk's log.
func (r *realRig) spokeFor(caller string) time.Duration {
	r.t.Helper()
	ch := regexp.QuoteMeta(r.channel(caller))
	log := r.ast.Log()
	stamp := func(re string) time.Time {
		m := regexp.MustCompile(`(?m)^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\].*` + re).FindStringSubmatch(log)
		if m == nil {
			r.t.Fatalf("no %q in Asterisk's log", re)
		}
		at, err := time.Parse("2006-01-02 15:04:05.000", m[1])
		if err != nil {
			r.t.Fatal(err)
		}
		return at
	}
	return stamp(`DTMF end '#' received on ` + ch).Sub(stamp(`<` + ch + `> Playing 'beep\.`))
}

// soxDuration is a sound file's length by sox's soxi.
func soxDuration(t *testing.T, file string) float64 {
	t.Helper()
	out, err := exec.Command("soxi", "-D", file).CombinedOutput()
	if err != nil {
		t.Fatalf("soxi -D %s: %v %s (apt-get install sox)", file, err, out)
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		t.Fatalf("soxi -D: %q", out)
	}
	return d
}

// wavSamples reads an 8 kHz 16-bit PCM WAV's samples.
func wavSamples(t *testing.T, b []byte) []int16 {
	t.Helper()
	if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("not a WAV file (%d bytes)", len(b))
	}
	for i := 12; i+8 <= len(b); {
		id, n := string(b[i:i+4]), int(endian.LittleEndian.Uint32(b[i+4:]))
		i += 8
		if id == "data" {
			data := b[i:min(i+n, len(b))]
			s := make([]int16, len(data)/2)
			for j := range s {
				s[j] = int16(endian.LittleEndian.Uint16(data[2*j:]))
			}
			return s
		}
		i += n + n%2
	}
	t.Fatal("WAV file without data")
	return nil
}

func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
