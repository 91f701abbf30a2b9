package arisim

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestScriptedCaller(t *testing.T) {
	h := newHarness(t, WithMediaDuration("sound:menu", 5*time.Second))
	ev := h.connect("ascolto")
	c := h.srv.Call(CallSpec{From: "+390862123456"}, WaitAnswered(), Wait(3*time.Second), Press("1"),
		WaitPlaybackFinished("sound:menu"), Press("20#"), HangUpAfter(40*time.Second), WaitBridged())
	id := c.ChannelID()
	h.do("POST", "/channels/"+id+"/answer", "")
	h.do("POST", "/channels/"+id+"/play", "media=sound:menu&playbackId=pb-menu")
	h.clk.Advance(3*time.Second + 280*time.Millisecond)
	evs := ev.drainSome(50 * time.Millisecond)
	if got := strings.Join(types(evs), ","); got != "StasisStart,ChannelStateChange,PlaybackStarted,ChannelDtmfReceived" {
		t.Fatalf("first 3.28 s: %s", got)
	}
	if evs[3]["digit"] != "1" || evs[3]["duration_ms"].(float64) != 280 {
		t.Fatalf("dtmf event %v", evs[3])
	}
	h.clk.Advance(1 * time.Second)
	if r := c.Report(); r.Waiting != "playback finished sound:menu" {
		t.Fatalf("waiting for %q", r.Waiting)
	}
	h.clk.Advance(3 * time.Second)
	var digits string
	for _, e := range ev.drainSome(50 * time.Millisecond) {
		if d, isDTMF := e["digit"].(string); isDTMF {
			digits += d
		}
	}
	if digits != "20#" {
		t.Fatalf("pressed %q after the menu, want 20#", digits)
	}
	if r := c.Report(); r.Ended || r.Waiting != "bridged" {
		t.Fatalf("before the deadline: %+v", r)
	}
	h.clk.Advance(40 * time.Second)
	<-c.Done()
	r := c.Report()
	if r.HungUpBy != "remote" || r.Pressed != "120#" || !r.Answered || len(r.Heard) != 1 || r.Heard[0].State != "done" {
		t.Fatalf("report %+v", r)
	}
	// The deadline was armed once "20#" was pressed: 5 s + 3 digits (280 ms, 300 ms gaps) = 6.44 s.
	if got := r.EndedAt.Sub(testEpoch); got != 46440*time.Millisecond {
		t.Fatalf("hung up %v after the start, want 46.44 s", got)
	}
}

func TestEndpointBehaviours(t *testing.T) {
	cases := []struct {
		name    string
		b       Behaviour
		advance time.Duration
		status  int
		want    string // event types seen by the app, in order
		cause   float64
	}{
		{"answers after 2 s", Answer(2 * time.Second), 3 * time.Second, 200,
			"Dial,ChannelStateChange,Dial,ChannelStateChange,Dial,ChannelVarset,StasisStart", 0},
		{"rings until timeout", NoAnswer(), 6 * time.Second, 200, "Dial,ChannelStateChange,Dial,ChannelDestroyed", 19},
		{"busy", Busy(), time.Second, 200, "Dial,ChannelHangupRequest,Dial,ChannelDestroyed", 17},
		{"unreachable", Unreachable(), time.Second, 500, "", 0},
		{"dead contact", DeadContact(), 6 * time.Second, 200, "Dial,ChannelDestroyed", 19},
		{"answers then hangs up", Answer(time.Second, Wait(3*time.Second), HangUp()), 5 * time.Second, 200,
			"Dial,ChannelStateChange,Dial,ChannelStateChange,Dial,ChannelVarset,StasisStart," +
				"ChannelVarset,ChannelVarset,ChannelVarset,ChannelVarset,ChannelVarset,ChannelHangupRequest,StasisEnd,ChannelVarset,ChannelDestroyed", 16},
		{"answers and presses", Answer(0, Press("1"), Wait(4*time.Second), Press("20#")), 6 * time.Second, 200,
			"Dial,ChannelStateChange,Dial,ChannelStateChange,Dial,ChannelVarset,StasisStart," +
				"ChannelDtmfReceived,ChannelDtmfReceived,ChannelDtmfReceived,ChannelDtmfReceived", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			ev := h.connect("ascolto")
			h.srv.Endpoint("PJSIP/101", c.b)
			st, body := h.do("POST", "/channels", "endpoint=PJSIP/101&app=ascolto&timeout=5")
			if st != c.status {
				t.Fatalf("originate = %d %s", st, body)
			}
			h.clk.Advance(c.advance)
			evs := ev.drainSome(50 * time.Millisecond)
			if got := strings.Join(types(evs), ","); got != c.want {
				t.Fatalf("events\n got  %s\n want %s", got, c.want)
			}
			if c.cause != 0 {
				last := evs[len(evs)-1]
				if last["cause"] != c.cause {
					t.Fatalf("ChannelDestroyed cause %v, want %v", last["cause"], c.cause)
				}
			}
		})
	}
}

func TestDeviceStateFollowsBehaviour(t *testing.T) {
	h := newHarness(t)
	ev := h.connect("ascolto")
	ep := h.srv.Endpoint("PJSIP/101", Answer(time.Second))
	h.do("POST", "/applications/ascolto/subscription", "eventSource=endpoint:PJSIP/101,deviceState:PJSIP/101")
	h.do("POST", "/channels", "endpoint=PJSIP/101&app=ascolto")
	h.clk.Advance(2 * time.Second)
	if ep.DeviceState() != "INUSE" {
		t.Fatalf("device %s while talking", ep.DeviceState())
	}
	for _, ch := range h.srv.Channels() {
		h.do("DELETE", "/channels/"+ch.ID, "")
	}
	ep.SetBehaviour(Unreachable())
	var states []string
	for _, e := range ev.drainSome(50 * time.Millisecond) {
		switch e["type"] {
		case "DeviceStateChanged":
			states = append(states, e["device_state"].(map[string]any)["state"].(string))
		case "EndpointStateChange":
			states = append(states, e["endpoint"].(map[string]any)["state"].(string))
		}
	}
	want := "online,RINGING,INUSE,online,NOT_INUSE,offline,UNAVAILABLE"
	if got := strings.Join(states, ","); got != want {
		t.Fatalf("states %s, want %s", got, want)
	}
	if st, body := h.do("GET", "/endpoints/PJSIP/101", ""); st != 200 || !strings.Contains(string(body), `"state":"offline"`) {
		t.Fatalf("endpoint = %d %s", st, body)
	}
}

func TestDialplanContexts(t *testing.T) {
	t.Run("fax round trip", func(t *testing.T) {
		h := newHarness(t)
		ev := h.connect("ascolto")
		c := h.srv.Call(CallSpec{From: "+390612345678"})
		h.do("POST", "/channels/"+c.ChannelID()+"/continue", "context=ascolto-fax&extension=receive&priority=1")
		h.clk.Advance(20 * time.Second)
		evs := ev.drainSome(50 * time.Millisecond)
		if got := strings.Join(types(evs), ","); got != "StasisStart,StasisEnd,StasisStart" {
			t.Fatalf("events %s", got)
		}
		if args := evs[2]["args"].([]any); len(args) != 2 || args[0] != "fax-done" || args[1] != "" {
			t.Fatalf("args %v", args)
		}
		for name, want := range map[string]string{"FAXSTATUS": "SUCCESS", "FAXPAGES": "1",
			"FAXFILE": "/var/spool/asterisk/fax/" + c.ChannelID() + ".tif"} {
			st, body := h.do("GET", "/channels/"+c.ChannelID()+"/variable", "variable="+name)
			if st != 200 || string(body) != fmt.Sprintf(`{"value":%q}`, want) {
				t.Fatalf("%s = %d %s", name, st, body)
			}
		}
	})
	t.Run("blind transfer to an external number", func(t *testing.T) {
		h := newHarness(t, WithDialplan(NewDialplan().
			Add("from-trunk", "_X.", AppStasis("ascolto"), AppHangup()).
			Add("ascolto-transfer", "dial", AppDial("PJSIP/${TRANSFER_TO}@trunk", time.Minute),
				AppStasis("ascolto", "transfer-failed", "${DIALSTATUS}"), AppHangup())))
		ev := h.connect("ascolto")
		h.srv.Remote("+390612345678", Answer(3*time.Second, Wait(10*time.Second), HangUp()))
		c := h.srv.Call(CallSpec{From: "+390862123456"}, WaitBridged())
		h.do("POST", "/channels/"+c.ChannelID()+"/variable", "variable=TRANSFER_TO&value=%2B390612345678")
		h.do("POST", "/channels/"+c.ChannelID()+"/continue", "context=ascolto-transfer&extension=dial&priority=1")
		h.clk.Advance(3 * time.Second)
		if r := c.Report(); !r.BridgedNow || r.Bridged[0].Bridge != "dial" || !r.Answered {
			t.Fatalf("after answer: %+v", r)
		}
		h.clk.Advance(10 * time.Second)
		<-c.Done()
		if got := strings.Join(types(ev.drainSome(50*time.Millisecond)), ","); got != "StasisStart,ChannelVarset,StasisEnd" {
			t.Fatalf("app saw %s", got)
		}
		if r := c.Report(); r.HungUpBy != "remote" || r.Bridged[0].End.Sub(r.Bridged[0].Start) != 10*time.Second {
			t.Fatalf("report %+v", r)
		}
	})
}

func TestRecording(t *testing.T) {
	h := newHarness(t)
	ev := h.connect("ascolto")
	c := h.srv.Call(CallSpec{From: "1"}, WaitAnswered(), Talk(4*time.Second), Wait(time.Second), Press("#"))
	id := c.ChannelID()
	h.do("POST", "/channels/"+id+"/answer", "")
	st, body := h.do("POST", "/channels/"+id+"/record", "name=msg&format=wav&maxDurationSeconds=60&maxSilenceSeconds=3&terminateOn=%23")
	if st != 201 || !strings.Contains(string(body), `"state":"queued"`) {
		t.Fatalf("record = %d %s", st, body)
	}
	if st, _ := h.do("POST", "/channels/"+id+"/record", "name=msg&format=wav"); st != 409 {
		t.Fatalf("second live recording with the same name = %d", st)
	}
	h.clk.Advance(6 * time.Second)
	var fin map[string]any
	for _, e := range ev.drainSome(50 * time.Millisecond) {
		if e["type"] == "RecordingFinished" {
			fin = e["recording"].(map[string]any)
		}
	}
	// Terminated by '#' at 5.28 s: 5 whole seconds.
	if fin == nil || fin["duration"].(float64) != 5 || fin["state"] != "done" {
		t.Fatalf("RecordingFinished %v", fin)
	}
	st, wav := h.do("GET", "/recordings/stored/msg/file", "")
	if st != 200 || string(wav[:4]) != "RIFF" {
		t.Fatalf("file = %d", st)
	}
	dataLen := binary.LittleEndian.Uint32(wav[40:44])
	if seconds := float64(dataLen) / 16000; seconds < 5.2 || seconds > 5.3 {
		t.Fatalf("wav holds %.2f s", seconds)
	}
	if binary.LittleEndian.Uint16(wav[44+2*(8000*4+100):]) != 0 || binary.LittleEndian.Uint16(wav[44+2*101:]) == 0 {
		t.Fatalf("expected tone while talking and silence after")
	}
	// maxSilenceSeconds ends a recording and trims the silence.
	h.do("POST", "/channels/"+id+"/record", "name=quiet&format=wav&maxSilenceSeconds=2&ifExists=overwrite")
	h.clk.Advance(3 * time.Second)
	var stored json.RawMessage
	_, stored = h.do("GET", "/recordings/stored/quiet", "")
	if string(stored) != `{"name":"quiet","format":"wav"}` {
		t.Fatalf("stored %s", stored)
	}
}

// TestHoldingBridgeMusicFollowsTheRole: as res_stasis and bridge_holding.c
// do, a caller added to a holding bridge as holding_participant hears its
// own music on hold, one added without a role hears nothing, leaving the
// bridge ends the music, and each addChannel sets the roles anew.
func TestHoldingBridgeMusicFollowsTheRole(t *testing.T) {
	h := newHarness(t)
	h.connect("ascolto")
	c := h.srv.Call(CallSpec{From: "+390862123456"}, WaitAnswered(), HangUpAfter(time.Hour))
	id := c.ChannelID()
	h.do("POST", "/channels/"+id+"/answer", "")
	hearing := func() []string {
		var now []string
		for _, x := range c.Report().Heard {
			if x.End.IsZero() {
				now = append(now, x.URI)
			}
		}
		return now
	}
	if st, _ := h.do("POST", "/bridges/hold", "type=holding"); st != 200 {
		t.Fatalf("create holding bridge: %d", st)
	}
	if st, _ := h.do("POST", "/bridges", "type=mixing&bridgeId=talk"); st != 200 {
		t.Fatalf("create mixing bridge: %d", st)
	}
	h.do("POST", "/bridges/hold/addChannel", "channel="+id)
	if got := hearing(); len(got) != 0 {
		t.Fatalf("added without a role, the caller hears %v (idle_mode none: silence)", got)
	}
	h.do("POST", "/bridges/hold/addChannel", "channel="+id+"&role=holding_participant")
	if got := hearing(); len(got) != 1 || got[0] != "moh:default" {
		t.Fatalf("added as holding_participant, the caller hears %v, want its own music on hold", got)
	}
	h.do("POST", "/bridges/talk/addChannel", "channel="+id)
	if got := hearing(); len(got) != 0 {
		t.Fatalf("moved to a mixing bridge, the caller still hears %v", got)
	}
	h.do("POST", "/bridges/hold/addChannel", "channel="+id)
	if got := hearing(); len(got) != 0 {
		t.Fatalf("back in the holding bridge without a role, the caller hears %v: each addChannel sets the roles anew", got)
	}
}
