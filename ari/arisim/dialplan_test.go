package arisim

import (
	"strings"
	"testing"
	"time"
)

// testDialplan exercises the applications the loader maps.
const testDialplan = `
[globals]
TRUNK=PJSIP/trunk

[in]
exten => jump,1,Set(STEP=one)
 same => n,Goto(there,1)
 same => n,Set(STEP=skipped)
exten => there,1,Set(STEP=${STEP}-two)
 same => n,Set(CHANNEL(language)=it)
 same => n,Stasis(ascolto,${STEP},${CHANNEL(language)})
exten => nowhere,1,Goto(${NOSUCH},1)
exten => play,1,Playback(one&two)
 same => n,Stasis(ascolto,${PLAYBACKSTATUS})
exten => missing,1,Playback(one&gone&two)
 same => n,Stasis(ascolto,${PLAYBACKSTATUS})
exten => echo,1,Answer()
 same => n,Echo()
 same => n,Stasis(ascolto,after-echo)
exten => uri,1,Dial(${TRUNK}/sip:+390612345678@carrier.example,30)
 same => n,Stasis(ascolto,${DIALSTATUS})
exten => bare,1,Dial(${TRUNK}/+390612345678,30)
 same => n,Stasis(ascolto,${DIALSTATUS})
exten => bye,1,Hangup()
exten => loop,1,Set(N=1)
 same => n,Goto(1)
exten => h,1,Set(GONE=${EXTEN}@${CONTEXT})
 same => n,NoOp(gone from ${STEP})
 same => n,Wait(1)
 same => n,NoOp(never reached)

[fax]
exten => s,1,ReceiveFAX(/tmp/${UNIQUEID}.tif,f)
 same => n,Stasis(ascolto,fax-done)
exten => h,1,NoOp(status ${FAXSTATUS})
`

func TestDialplanApplications(t *testing.T) {
	d, err := ParseDialplan(strings.NewReader(testDialplan), "test.conf",
		WithFaxResult(FaxResult{Status: "FAILED", Error: "NO_FAX", Duration: 30 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	start := func(t *testing.T, to string, steps ...Step) (*harness, *events, *Call) {
		h := newHarness(t, WithDialplan(d), WithMissingMedia("sound:gone"),
			WithMediaDuration("sound:one", 2*time.Second), WithMediaDuration("sound:two", 3*time.Second))
		h.srv.Remote("+390612345678", Busy())
		ev := h.connect("ascolto", "&subscribeAll=true")
		return h, ev, h.srv.Call(CallSpec{From: "+390862000001", Context: "in", To: to}, steps...)
	}
	// args returns the args of the StasisStart among evs, if any.
	args := func(evs []map[string]any) string {
		for _, e := range evs {
			if e["type"] == "StasisStart" {
				var out []string
				for _, a := range e["args"].([]any) {
					out = append(out, a.(string))
				}
				return strings.Join(out, ",")
			}
		}
		return "(no StasisStart)"
	}
	dialplanApps := func(evs []map[string]any) string {
		var out []string
		for _, e := range evs {
			if e["type"] == "ChannelDialplan" {
				out = append(out, e["dialplan_app"].(string)+"("+e["dialplan_app_data"].(string)+")")
			}
		}
		return strings.Join(out, " ")
	}

	t.Run("Goto jumps and Set(CHANNEL(language)) changes the snapshot", func(t *testing.T) {
		_, ev, _ := start(t, "jump")
		evs := ev.drainSome(50 * time.Millisecond)
		if got := args(evs); got != "one-two,it" {
			t.Fatalf("StasisStart args %s", got)
		}
		for _, e := range evs {
			if e["type"] == "ChannelVarset" && e["variable"] == "CHANNEL(language)" {
				t.Fatal("a function write sent ChannelVarset")
			}
		}
	})
	t.Run("Goto to nowhere hangs up", func(t *testing.T) {
		_, ev, c := start(t, "nowhere")
		<-c.Done()
		if rep := c.Report(); rep.HungUpBy != "dialplan" {
			t.Fatalf("report %+v", rep)
		}
		// h runs in the context the channel was in, and stops at Wait().
		want := "Goto(,1) Set(GONE=h@in) NoOp(gone from ) Wait(1)"
		if got := dialplanApps(ev.drainSome(50 * time.Millisecond)); got != want {
			t.Fatalf("ChannelDialplan %s, want %s", got, want)
		}
	})
	t.Run("a Goto loop is cut short", func(t *testing.T) {
		_, _, c := start(t, "loop")
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("the loop never ended")
		}
		if rep := c.Report(); rep.HungUpBy != "dialplan" {
			t.Fatalf("report %+v", rep)
		}
	})
	t.Run("Playback plays each file in turn", func(t *testing.T) {
		h, ev, c := start(t, "play")
		h.clk.Advance(5 * time.Second)
		if got := args(ev.drainSome(50 * time.Millisecond)); got != "SUCCESS" {
			t.Fatalf("StasisStart args %s", got)
		}
		rep := c.Report()
		if !rep.Answered || len(rep.Heard) != 2 || rep.Heard[1].URI != "sound:two" ||
			rep.Heard[0].End.Sub(rep.Heard[0].Start) != 2*time.Second || rep.Heard[1].End.Sub(rep.Heard[1].Start) != 3*time.Second {
			t.Fatalf("report %+v", rep)
		}
	})
	t.Run("Playback stops at a missing file", func(t *testing.T) {
		h, ev, c := start(t, "missing")
		h.clk.Advance(2 * time.Second)
		if got := args(ev.drainSome(50 * time.Millisecond)); got != "FAILED" {
			t.Fatalf("StasisStart args %s", got)
		}
		if rep := c.Report(); len(rep.Heard) != 1 || rep.Heard[0].URI != "sound:one" {
			t.Fatalf("heard %+v", rep.Heard)
		}
	})
	t.Run("Echo lasts until #", func(t *testing.T) {
		h, ev, c := start(t, "echo", Wait(time.Second), Press("1"), Wait(time.Second), Press("#"))
		h.clk.Advance(time.Second + 280*time.Millisecond)
		if got := args(ev.drain(20 * time.Millisecond)); got != "(no StasisStart)" {
			t.Fatalf("Echo ended on 1: %s", got)
		}
		h.clk.Advance(2 * time.Second)
		if got := args(ev.drainSome(50 * time.Millisecond)); got != "after-echo" {
			t.Fatalf("StasisStart args %s", got)
		}
		if rep := c.Report(); len(rep.Heard) != 1 || rep.Heard[0].URI != "echo" || rep.Heard[0].End.Sub(rep.Heard[0].Start) != 2560*time.Millisecond {
			t.Fatalf("heard %+v", rep.Heard)
		}
	})
	t.Run("Dial through the trunk to a SIP URI", func(t *testing.T) {
		_, ev, c := start(t, "uri")
		if got := args(ev.drainSome(50 * time.Millisecond)); got != "BUSY" {
			t.Fatalf("StasisStart args %s", got)
		}
		if rep := c.Report(); rep.Ended {
			t.Fatalf("report %+v", rep)
		}
	})
	t.Run("Dial through the trunk to a bare number", func(t *testing.T) {
		_, ev, _ := start(t, "bare")
		evs := ev.drainSome(50 * time.Millisecond)
		if got := args(evs); got != "CHANUNAVAIL" {
			t.Fatalf("StasisStart args %s", got)
		}
		for _, e := range evs {
			if e["type"] == "ChannelCreated" && strings.Contains(e["channel"].(map[string]any)["name"].(string), "trunk-00000001") {
				t.Fatal("an outbound channel was created")
			}
		}
	})
	t.Run("h runs after Hangup()", func(t *testing.T) {
		_, ev, c := start(t, "bye")
		<-c.Done()
		evs := ev.drainSome(50 * time.Millisecond)
		want := "Hangup() Set(GONE=h@in) NoOp(gone from ) Wait(1)"
		if got := dialplanApps(evs); got != want {
			t.Fatalf("ChannelDialplan %s, want %s", got, want)
		}
		if last := types(evs); !strings.Contains(strings.Join(last, ","), "ChannelDialplan,ChannelDestroyed") {
			t.Fatalf("events %v", last)
		}
	})
	t.Run("h runs when the sender hangs up during ReceiveFAX, and after Stasis", func(t *testing.T) {
		h := newHarness(t, WithDialplan(d))
		ev := h.connect("ascolto", "&subscribeAll=true")
		gone := h.srv.Call(CallSpec{From: "+390862000002", Context: "fax", To: "s"}, Wait(10*time.Second), HangUp())
		done := h.srv.Call(CallSpec{From: "+390862000003", Context: "fax", To: "s"})
		h.clk.Advance(30 * time.Second)
		<-gone.Done()
		h.do("DELETE", "/channels/"+done.ChannelID(), "")
		got := map[string]string{}
		for _, e := range ev.drainSome(50 * time.Millisecond) {
			if e["type"] != "ChannelDialplan" {
				continue
			}
			if ch := e["channel"].(map[string]any); ch["dialplan"].(map[string]any)["exten"] == "h" {
				got[ch["id"].(string)] += e["dialplan_app_data"].(string)
			}
		}
		if got[gone.ChannelID()] != "status " || got[done.ChannelID()] != "status FAILED" || len(got) != 2 {
			t.Fatalf("h extensions ran %v", got)
		}
		st, body := h.do("GET", "/asterisk/variable", "variable=TRUNK")
		if st != 200 || string(body) != `{"value":"PJSIP/trunk"}` {
			t.Fatalf("global TRUNK = %d %s", st, body)
		}
	})
}
