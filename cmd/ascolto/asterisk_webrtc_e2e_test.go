package main

import (
	"context"
	bin "encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/internal/asttest"
	"github.com/ascolto/ascolto/store"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// softphonePassword is the console password of the rig's softphone
// agents (op<EXT>); the SIP password is production pjsip.conf's.
const softphonePassword = "password-operatore-webrtc"

// realChromium is the browser for the tests on a real Asterisk: they skip
// without an Asterisk first; with one, a missing browser skips them on a
// developer's machine but fails them in CI, where .ci/install-deps
// installs it.
func realChromium(t *testing.T) string {
	t.Helper()
	p := os.Getenv("ASCOLTO_TEST_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no browser at %s in CI (.ci/install-deps installs Debian's chromium): %v", p, err)
		}
		t.Skipf("no browser at %s: skipped", p)
	}
	return p
}

// peerConnections records the page's RTCPeerConnections in
// window.__ascoltoPCs before any of the page's scripts runs, so the test
// can read the softphone's WebRTC statistics (getStats) as
// chrome://webrtc-internals would; nothing else changes.
const peerConnections = `(() => {
  const P = window.RTCPeerConnection;
  if (!P) { return; }
  window.__ascoltoPCs = [];
  window.RTCPeerConnection = class extends P {
    constructor(...args) { super(...args); window.__ascoltoPCs.push(this); }
  };
})()`

// softphoneStats is what the page's last peer connection counted: audio
// packets received and sent, the energy of what it received, the codec and
// the selected ICE pair's state.
const softphoneStats = `(async () => {
  const pcs = window.__ascoltoPCs || [];
  if (!pcs.length) { return {pcs: 0}; }
  const pc = pcs[pcs.length - 1];
  const out = {pcs: pcs.length, ice: pc.iceConnectionState, dtls: "", rx: 0, tx: 0, energy: 0, codec: ""};
  const st = await pc.getStats();
  let codecId = "";
  st.forEach(r => {
    if (r.type === "inbound-rtp" && r.kind === "audio") { out.rx = r.packetsReceived || 0; out.energy = r.totalAudioEnergy || 0; codecId = r.codecId; }
    if (r.type === "outbound-rtp" && r.kind === "audio") { out.tx = r.packetsSent || 0; }
    if (r.type === "transport") { out.dtls = r.dtlsState || ""; }
  });
  if (codecId && st.get(codecId)) { out.codec = st.get(codecId).mimeType; }
  return out;
})()`

// softphoneDesk is a real rig whose seat ext, ringing production
// pjsip.conf's WebRTC endpoint 101, is the console's in-page softphone,
// and the agent's page in headless Chromium with fake media devices (a
// tone as the microphone): signed in, the softphone registered to
// Asterisk over WSS (http.conf's TLS port, the run's certificate) with
// the endpoint's SIP password, the agent available.
func softphoneDesk(t *testing.T, ext string, spec rigSpec) (*realRig, *consoleTab) {
	t.Helper()
	asttest.Prefix(t)
	chromium := realChromium(t)
	shots := os.Getenv("ASCOLTO_TEST_ARTIFACTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "ascolto-webrtc-e2e")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)
	mic := filepath.Join(t.TempDir(), "mic.wav")
	if err := writeToneWAV(mic, 660, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	spec.Softphones = map[string]string{ext: "101"}
	r := newRealRig(t, spec)
	browser := newHeadless(t, chromium,
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", mic),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Asterisk's WSS presents the run's self-signed certificate.
		chromedp.IgnoreCertErrors)
	agent := openTab(t, browser, r.s.base, shots)
	if _, err := chromedp.Call(agent.ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: peerConnections}); err != nil {
		t.Fatal(err)
	}
	agent.login("op"+ext, softphonePassword)
	agent.waitFor(`location.pathname === "/agent" && document.getElementById("ws-status").dataset.state === "online"`)
	if wss := agent.evalMap(`Promise.resolve({wss: document.getElementById("softphone").dataset.wss})`); wss["wss"] != r.ast.WSSURL {
		t.Fatalf("the softphone's server is %v, want %s", wss["wss"], r.ast.WSSURL)
	}
	agent.waitFor(`window.ascoltoSoftphone.state() === "unregistered"`)
	// The agent types the seat's SIP password (pjsip.conf's [101] auth).
	agent.do(chromedp.SendKeys(chromedp.CSS("#sp-password"), "change-me-101"))
	agent.click(`#sp-form button[type="submit"]`)
	agent.waitFor(`window.ascoltoSoftphone.state() === "registered"`)
	if u := agent.evalMap(`Promise.resolve({u: document.getElementById("softphone").dataset.user})`); u["u"] != "101" {
		t.Errorf("the softphone registers as %v, want the endpoint 101", u["u"])
	}
	r.ast.WaitPhones(t, "101")
	agent.click(`button[data-agent-state="available"]`)
	agent.waitFor(`document.getElementById("state-badge").textContent === "disponibile"`)
	agent.waitFor(`document.getElementById("phone-state").textContent.startsWith("registrato")`)
	return r, agent
}

// on is the tab for a subtest: its failures are the subtest's.
func (c *consoleTab) on(t *testing.T) *consoleTab {
	cc := *c
	cc.t = t
	return &cc
}

// on is the rig for a subtest: its failures are the subtest's.
func (r *realRig) on(t *testing.T) *realRig {
	rr := *r
	rr.t = t
	return &rr
}

// ringing waits until the agent's page rings for the caller.
func (c *consoleTab) ringing(caller string) {
	c.t.Helper()
	c.waitFor(`!document.getElementById("sp-call").hidden && !document.getElementById("sp-answer").hidden`)
	c.waitFor(`document.getElementById("pop-caller").textContent === "` + caller + `"`)
}

// answer clicks the page's answer button and waits for the conversation.
func (c *consoleTab) answer() {
	c.t.Helper()
	c.click("#sp-answer")
	c.waitFor(`document.getElementById("sp-call-state").textContent === "In conversazione"`)
	c.waitFor(`document.getElementById("state-badge").textContent === "in conversazione"`)
}

// hearing waits until the page's softphone has received and sent 2 s of
// audio (100 packets each way), what it received not silence, and returns
// its statistics.
func (c *consoleTab) hearing() map[string]any {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		pc := c.evalMap(softphoneStats)
		rx, _ := pc["rx"].(float64)
		tx, _ := pc["tx"].(float64)
		e, _ := pc["energy"].(float64)
		if rx >= 100 && tx >= 100 && e > 0 {
			return pc
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("the softphone's audio after 20 s: %v", pc)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// idle waits until the page's softphone has no call.
func (c *consoleTab) idle() {
	c.t.Helper()
	c.waitFor(`document.getElementById("sp-call").hidden || document.getElementById("sp-call-state").textContent === "Chiamata terminata"`)
}

// noChannels waits until Asterisk has no channel left.
func (r *realRig) noChannels() {
	r.t.Helper()
	r.eventually("no channel left in Asterisk", 30*time.Second, func() bool {
		return strings.Contains(r.ast.MustCLI("core show channels count"), "0 active channels")
	})
}

// TestRealAsteriskWebRTCSoftphone: an agent's shift with the console's
// in-page softphone on a real Asterisk (see softphoneDesk). A caller
// (SIPp through the carrier, talking) is queued and the page rings; the
// test clicks the page's answer button; audio flows both ways on the
// WebRTC channel (Asterisk's RTP counters and the browser's own, with the
// caller's voice heard), then the agent hangs up from the page. The record
// is closed once, answered by 101 and hung up by the agent, and Asterisk
// has no channel left.
func TestRealAsteriskWebRTCSoftphone(t *testing.T) {
	t.Parallel()
	r, agent := softphoneDesk(t, "101", rigSpec{Flow: queueFlow})
	agent.shot("webrtc-01-registered-available")

	from := "+390862800001"
	caller := r.ast.Call(t, asttest.CallSpec{From: from, Talk: 2 * time.Minute, Wait: 2 * time.Minute})
	agent.ringing(from)
	agent.shot("webrtc-02-ringing")
	agent.answer()

	// Audio both ways on the WebRTC channel: Asterisk receives the
	// browser's microphone and sends it the caller's voice (a caller who
	// sends nothing gets the agent nothing: the bridge makes no silence).
	ch := ""
	chanRe := regexp.MustCompile(`(?m)^PJSIP/(101-[0-9a-f]+)\s`)
	r.eventually("the softphone's channel in Asterisk", 20*time.Second, func() bool {
		if m := chanRe.FindStringSubmatch(r.ast.MustCLI("core show channels")); m != nil {
			ch = m[1]
		}
		return ch != ""
	})
	var st rtpStats
	var table string
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, table = r.rtp(ch)
		if st.Received >= 100 && st.Sent >= 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("RTP on %s after 30 s: received %d, sent %d (want 100 each way)\n%s\n%s", ch, st.Received, st.Sent, table,
				r.ast.MustCLI("core show channel PJSIP/"+ch))
		}
		time.Sleep(200 * time.Millisecond)
	}
	pc := agent.hearing()
	t.Logf("Asterisk's RTP for %s: %+v; the browser's: %v", ch, st, pc)
	agent.shot("webrtc-03-in-call")

	// The agent hangs up with the softphone's button.
	agent.click("#sp-hangup")
	caller.Wait(time.Minute)
	rec := r.record(from)
	if rec.Outcome != "answered" || rec.Agent != "101" || rec.HangupBy != "agent" || rec.Queue != "informazioni" ||
		rec.ConnectedAt.IsZero() || rec.TalkS < 1 {
		t.Errorf("record %+v: want answered by 101, hung up by the agent", rec)
	}
	agent.idle()
	agent.waitFor(`["chiusura scheda", "disponibile"].includes(document.getElementById("state-badge").textContent)`)
	agent.shot("webrtc-04-hung-up")
	r.noChannels()
	if strings.Contains(r.s.log(), "already closed") {
		t.Errorf("a record closed twice:\n%s", r.s.log())
	}
	if agent.evalMap(`Promise.resolve({s: window.ascoltoSoftphone.state()})`)["s"] != "registered" {
		t.Error("the softphone is no longer registered after the call")
	}
}

// TestRealAsteriskWebRTCSoftphoneEndings: the other ways a call on the
// in-page softphone ends, one after the other on one shift: the caller
// hangs up while the page rings (the ringing stops); nobody answers (the
// ACD takes the call back after the ring timeout, the page stops ringing
// and the agent is paused); the caller hangs up during the conversation;
// the agent ends it with the desk's hang-up button (through the ACD, not
// the softphone). Each record is closed once, and no channel is left.
// The seat is numbered 2101, as a site with its own numbering would, and
// rings endpoint 101: the softphone registers as the endpoint.
func TestRealAsteriskWebRTCSoftphoneEndings(t *testing.T) {
	t.Parallel()
	// The rescue queue (which the rig's Queue flags set up) with no wrap-up,
	// so the agent is free again as soon as a call ends.
	rig, desk := softphoneDesk(t, "2101", rigSpec{Flow: "name: coda\nstart: coda\nnodes:\n  coda:\n    kind: queue\n    queue: soccorso\n",
		Queue: []string{"--wrapup", "0s", "--ring-timeout", "8s"}})

	t.Run("caller hangs up while the page rings", func(t *testing.T) {
		r, agent := rig.on(t), desk.on(t)
		from := "+390862800101"
		caller := r.ast.Call(t, asttest.CallSpec{From: from, HangUpAfter: 5 * time.Second})
		agent.ringing(from)
		caller.Wait(time.Minute)
		agent.idle()
		agent.waitFor(`document.getElementById("sp-call").hidden`)
		agent.waitFor(`document.getElementById("state-badge").textContent === "disponibile"`)
		if rec := r.record(from); rec.Outcome != "abandoned-queue" || rec.HangupBy != "caller" || !rec.ConnectedAt.IsZero() {
			t.Errorf("record %+v", rec)
		}
		r.noChannels()
	})

	t.Run("nobody answers", func(t *testing.T) {
		r, agent := rig.on(t), desk.on(t)
		from := "+390862800102"
		caller := r.ast.Call(t, asttest.CallSpec{From: from, HangUpAfter: 20 * time.Second})
		agent.ringing(from)
		// After the 8 s ring timeout the ringing stops and the agent is paused.
		agent.waitFor(`document.getElementById("sp-call").hidden || document.getElementById("sp-answer").hidden`)
		agent.waitFor(`document.getElementById("state-badge").textContent === "in pausa"`)
		agent.shot("webrtc-05-rona-paused")
		caller.Wait(time.Minute)
		rec := r.record(from)
		if rec.Outcome != "abandoned-queue" || rec.HangupBy != "caller" || !rec.ConnectedAt.IsZero() {
			t.Errorf("record %+v", rec)
		}
		evs, err := r.db.QueueEvents(context.Background(), store.QueueEventFilter{CallID: &rec.ChannelID})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.Event+":"+e.Agent)
		}
		if !slices.Contains(got, "RINGNOANSWER:2101") {
			t.Errorf("queue log %v: want RINGNOANSWER:2101", got)
		}
		r.noChannels()
		agent.click(`button[data-agent-state="available"]`)
		agent.waitFor(`document.getElementById("state-badge").textContent === "disponibile"`)
	})

	t.Run("caller hangs up during the conversation", func(t *testing.T) {
		r, agent := rig.on(t), desk.on(t)
		from := "+390862800103"
		caller := r.ast.Call(t, asttest.CallSpec{From: from, Talk: time.Minute, HangUpAfter: 10 * time.Second})
		agent.ringing(from)
		agent.answer()
		agent.hearing()
		caller.Wait(time.Minute)
		agent.idle()
		agent.waitFor(`document.getElementById("state-badge").textContent === "disponibile"`)
		rec := r.record(from)
		if rec.Outcome != "answered" || rec.Agent != "2101" || rec.HangupBy != "caller" || rec.TalkS < 3 {
			t.Errorf("record %+v", rec)
		}
		r.noChannels()
	})

	t.Run("the desk's hang-up button", func(t *testing.T) {
		r, agent := rig.on(t), desk.on(t)
		from := "+390862800104"
		caller := r.ast.Call(t, asttest.CallSpec{From: from, Talk: time.Minute, Wait: time.Minute})
		agent.ringing(from)
		agent.answer()
		agent.hearing()
		agent.waitFor(`!document.querySelector('#call-controls [data-call="hangup"]').disabled`)
		agent.click(`#call-controls [data-call="hangup"]`)
		caller.Wait(time.Minute)
		agent.idle()
		rec := r.record(from)
		if rec.Outcome != "answered" || rec.Agent != "2101" || rec.HangupBy != "agent" || rec.TalkS < 1 {
			t.Errorf("record %+v", rec)
		}
		r.noChannels()
		if agent.evalMap(`Promise.resolve({s: window.ascoltoSoftphone.state()})`)["s"] != "registered" {
			t.Error("the softphone is no longer registered")
		}
		agent.shot("webrtc-06-desk-hangup")
	})

	// talk places a call that the page answers, hears and hangs up.
	talk := func(r *realRig, agent *consoleTab, from string) {
		r.t.Helper()
		caller := r.ast.Call(r.t, asttest.CallSpec{From: from, Talk: time.Minute, Wait: time.Minute})
		agent.ringing(from)
		agent.answer()
		agent.hearing()
		agent.click("#sp-hangup")
		caller.Wait(time.Minute)
		if rec := r.record(from); rec.Outcome != "answered" || rec.Agent != "2101" || rec.HangupBy != "agent" {
			r.t.Errorf("record %+v", rec)
		}
		r.noChannels()
	}

	t.Run("the page is reloaded", func(t *testing.T) {
		r, agent := rig.on(t), desk.on(t)
		// The softphone comes back by itself (the password is in the
		// tab's sessionStorage), and so does the agent's state.
		agent.do(chromedp.Reload())
		agent.waitFor(`document.getElementById("ws-status").dataset.state === "online"`)
		agent.waitFor(`window.ascoltoSoftphone.state() === "registered"`)
		agent.waitFor(`document.getElementById("state-badge").textContent === "disponibile"`)
		r.ast.WaitPhones(t, "101")
		if out := r.ast.MustCLI("pjsip show contacts"); strings.Count(out, "Contact:  101/") != 1 {
			t.Errorf("101 has not one contact:\n%s", out)
		}
		talk(r, agent, "+390862800105")
	})

	t.Run("Asterisk restarts", func(t *testing.T) {
		r, agent := rig.on(t), desk.on(t)
		r.ast.Restart()
		// JsSIP reconnects and registers again by itself (its retries at
		// most 10 s apart, after a boot that takes longer on a loaded
		// machine); ascolto reconnects to ARI.
		agent.waitForWithin(`window.ascoltoSoftphone.state() === "registered"`, 60*time.Second)
		r.ast.WaitPhones(t, "101")
		r.waitReady(60 * time.Second)
		agent.waitFor(`document.getElementById("state-badge").textContent === "disponibile"`)
		talk(r, agent, "+390862800106")
	})
	if strings.Contains(rig.s.log(), "already closed") {
		t.Errorf("a record closed twice:\n%s", rig.s.log())
	}
}

// writeToneWAV writes a 48 kHz 16-bit mono WAV of a sine tone: the fake
// microphone Chromium plays in a loop, so what the agent says is not
// silence.
func writeToneWAV(path string, hz float64, d time.Duration) error {
	const rate = 48000
	n := int(d.Seconds() * rate)
	b := make([]byte, 44+2*n)
	le := bin.LittleEndian
	copy(b[0:], "RIFF")
	le.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	le.PutUint32(b[16:], 16)
	le.PutUint16(b[20:], 1) // PCM
	le.PutUint16(b[22:], 1) // mono
	le.PutUint32(b[24:], rate)
	le.PutUint32(b[28:], rate*2)
	le.PutUint16(b[32:], 2)
	le.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	le.PutUint32(b[40:], uint32(2*n))
	for i := 0; i < n; i++ {
		le.PutUint16(b[44+2*i:], uint16(int16(8000*math.Sin(2*math.Pi*hz*float64(i)/rate))))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("fake microphone: %w", err)
	}
	return nil
}
