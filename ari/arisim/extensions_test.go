package arisim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"
)

func TestParseDialplan(t *testing.T) {
	cases := []struct {
		name, conf, want string
	}{
		{"exten and same", `
[general]
static = yes
writeprotect=no
autofallthrough=yes

[globals]
TRUNK = PJSIP/trunk
EMPTY=

[in]
exten => 100,1,NoOp(first)
 same => n,Stasis(app,${EXTEN},x)
 same => 3,Hangup()
exten => _X.,1,Answer
exten => 100,n,Wait(1.5)
`, `[globals]
EMPTY=
TRUNK=PJSIP/trunk
[in]
exten => 100,1,NoOp(first)
exten => 100,2,Stasis(app,${EXTEN},x)
exten => 100,3,Hangup()
exten => 100,4,Wait(1.5)
exten => _X.,1,Answer()
`},
		{"comments", `
;---------------------------------------------------------------- not a block
[in] ; trailing comment
;-- a block comment
exten => 1,1,Hangup()
that spans lines --;
exten => 2,1,NoOp(a \; semicolon) ; and a comment
exten => 3,1,NoOp(in ;-- the middle --; of a line)
`, `[in]
exten => 2,1,NoOp(a ; semicolon)
exten => 3,1,NoOp(in  of a line)
`},
		{"applications and functions", `
[ctx]
exten = s,1,Set(CHANNEL(language)=it)
same = n,Set(FAXOPT(ecm)=yes)
same = n,Set(X=${CALLERID(num)}-${UNIQUEID})
same = n,Goto(other,_9X.,1)
[other]
exten => _9X.,1,Goto(s,2)
same => n,Goto(1)
same => n,Dial(PJSIP/${X}@trunk)
same => n,Dial(PJSIP/101,20,)
same => n,ReceiveFAX(/tmp/${UNIQUEID}.tif)
same => n,Playback(one&two)
same => n,Echo()
exten => s,1,NoOp()
same => n,NoOp(a, b, (c,d))
`, `[ctx]
exten => s,1,Set(CHANNEL(language)=it)
exten => s,2,Set(FAXOPT(ecm)=yes)
exten => s,3,Set(X=${CALLERID(num)}-${UNIQUEID})
exten => s,4,Goto(other,_9X.,1)
[other]
exten => _9X.,1,Goto(s,2)
exten => _9X.,2,Goto(1)
exten => _9X.,3,Dial(PJSIP/${X}@trunk)
exten => _9X.,4,Dial(PJSIP/101,20,)
exten => _9X.,5,ReceiveFAX(/tmp/${UNIQUEID}.tif)
exten => _9X.,6,Playback(one&two)
exten => _9X.,7,Echo()
exten => s,1,NoOp()
exten => s,2,NoOp(a, b, (c,d))
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseDialplan(strings.NewReader(c.conf), "test.conf")
			if err != nil {
				t.Fatal(err)
			}
			if got := d.String(); got != c.want {
				t.Fatalf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestParseDialplanErrors(t *testing.T) {
	cases := []struct {
		name, conf string
		line       int
		reason     string
	}{
		{"include file", "#include other.conf", 1, "#include"},
		{"template", "[ctx](!)\nexten => 1,1,NoOp()", 1, "templates"},
		{"outside a section", "exten => 1,1,NoOp()", 1, "outside any [section]"},
		{"unknown general", "[general]\nstatic=yes\npriorityjumping=yes", 3, `"priorityjumping"`},
		{"autofallthrough off", "[general]\nautofallthrough=no", 2, "autofallthrough"},
		{"include context", "[a]\ninclude => b", 2, "include =>"},
		{"unknown application", "[a]\nexten => 1,1,NoOp()\n same => n,Queue(support)", 3, "application Queue is not simulated"},
		{"same without exten", "[a]\nsame => n,NoOp()", 2, "same => without an exten"},
		{"same after new section", "[a]\nexten => 1,1,NoOp()\n[b]\nsame => n,NoOp()", 4, "same => without"},
		{"priority gap", "[a]\nexten => 1,1,NoOp()\nexten => 1,3,NoOp()", 3, "the next one is 2"},
		{"no priority 1", "[a]\nexten => 1,n,NoOp()", 2, "must start at priority 1"},
		{"priority 1 twice", "[a]\nexten => 1,1,NoOp()\nexten => 1,1,NoOp()", 3, "already has a priority 1"},
		{"label", "[a]\nexten => 1,1,NoOp()\n same => n(again),NoOp()", 3, "labels"},
		{"hint", "[a]\nexten => 1,hint,PJSIP/1", 2, "must start at priority 1"},
		{"caller id match", "[a]\nexten => 1/123,1,NoOp()", 2, "caller ID"},
		{"bad pattern", "[a]\nexten => _X[12,1,NoOp()", 2, "unclosed"},
		{"missing paren", "[a]\nexten => 1,1,NoOp(x", 2, "missing )"},
		{"expression", "[a]\nexten => 1,1,Set(X=$[1+1])", 2, "$[...]"},
		{"substring", "[a]\nexten => 1,1,NoOp(${EXTEN:1})", 2, "${EXTEN:1} is not understood"},
		{"unknown function", "[a]\nexten => 1,1,NoOp(${CUT(X,-,1)})", 2, "${CUT(X,-,1)}"},
		{"nested", "[a]\nexten => 1,1,NoOp(${${X}})", 2, "nested"},
		{"set a function", "[a]\nexten => 1,1,Set(CALLERID(num)=1)", 2, "only variables"},
		{"dial options", "[a]\nexten => 1,1,Dial(PJSIP/101,20,tT)", 2, "options"},
		{"dial several", "[a]\nexten => 1,1,Dial(PJSIP/101&PJSIP/102)", 2, "several"},
		{"hangup cause", "[a]\nexten => 1,1,Hangup(17)", 2, "arguments"},
		{"fax options", "[a]\nexten => 1,1,ReceiveFAX(/tmp/x.tif,z)", 2, "options"},
		{"stasis app from a variable", "[a]\nexten => 1,1,Stasis(${APP})", 2, "written out"},
		{"goto label", "[a]\nexten => 1,1,Goto(start)", 2, "must be a number"},
		{"goto nowhere", "[a]\nexten => 1,1,NoOp()\n same => n,Goto(b,1,1)\n[b]\nexten => 2,1,NoOp()", 3, "Goto to b,1,1, which does not exist"},
		{"goto past the end", "[a]\nexten => 1,1,Goto(2,2)\nexten => 2,1,NoOp()", 2, "a,2,2"},
		{"open block comment", "[a]\n;-- never closed\nexten => 1,1,NoOp()", 2, "never closed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseDialplan(strings.NewReader(c.conf), "bad.conf")
			var de *DialplanError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a *DialplanError", err)
			}
			if de.File != "bad.conf" || de.Line != c.line || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("error %q (line %d), want bad.conf line %d with %q", err, de.Line, c.line, c.reason)
			}
			if !strings.HasPrefix(err.Error(), fmt.Sprintf("arisim: bad.conf:%d: ", c.line)) {
				t.Fatalf("error %q does not start with file:line", err)
			}
		})
	}
	if _, err := LoadDialplan("no/such/extensions.conf"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

// productionConf is ascolto's dialplan, outside this package.
const productionConf = "../../asterisk-conf/extensions.conf"

// prodRun is one scenario run against a simulator: what the app saw
// (subscribeAll, so every event) and the REST answers, in order.
type prodRun struct {
	h    *harness
	ev   *events
	log  []string
	evs  []map[string]any
	vars map[string]string // the last GET of each variable
}

func (r *prodRun) events() {
	for _, m := range r.ev.raw(50 * time.Millisecond) {
		r.log = append(r.log, string(m))
		var e map[string]any
		if err := json.Unmarshal(m, &e); err != nil {
			r.h.t.Fatalf("event %s: %v", m, err)
		}
		r.evs = append(r.evs, e)
	}
}

func (r *prodRun) rest(method, path, query string) string {
	st, body := r.h.do(method, path, query)
	r.log = append(r.log, fmt.Sprintf("%s %s?%s -> %d %s", method, path, query, st, body))
	return string(body)
}

// stasisStarts returns the args of every StasisStart, and the snapshot of
// the last one's channel.
func (r *prodRun) stasisStarts() ([][]any, map[string]any) {
	var args [][]any
	var ch map[string]any
	for _, e := range r.evs {
		if e["type"] == "StasisStart" {
			args = append(args, e["args"].([]any))
			ch = e["channel"].(map[string]any)
		}
	}
	return args, ch
}

func (r *prodRun) variable(id, name string) {
	if r.vars == nil {
		r.vars = map[string]string{}
	}
	r.vars[name] = r.rest("GET", "/channels/"+id+"/variable", "variable="+name)
}

type prodScenario struct {
	name  string
	run   func(r *prodRun) *Call
	check func(t *testing.T, r *prodRun, c *Call)
}

// toDialplan is what the controller does before sending a call to the
// dialplan: subscribe to the channel so that its end is seen, then continue.
func (r *prodRun) toDialplan(c *Call, context, exten string) {
	r.rest("POST", "/applications/ascolto/subscription", "eventSource=channel:"+c.ChannelID())
	r.rest("POST", "/channels/"+c.ChannelID()+"/continue", "context="+context+"&extension="+exten+"&priority=1")
}

func runProdScenario(t *testing.T, d *Dialplan, sc prodScenario) (*prodRun, *Call) {
	t.Helper()
	h := newHarness(t, WithDialplan(d))
	r := &prodRun{h: h, ev: h.connect("ascolto", "&subscribeAll=true")}
	c := sc.run(r)
	r.log = append(r.log, fmt.Sprintf("report %+v", c.Report()))
	return r, c
}

// TestProductionDialplan runs calls, faxes and a transfer through
// asterisk-conf/extensions.conf and checks that DefaultDialplan, which New
// uses, is the same dialplan and behaves the same, event for event.
func TestProductionDialplan(t *testing.T) {
	loaded, err := LoadDialplan(productionConf)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is not there", productionConf)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got, want := loaded.String(), DefaultDialplan().String(); got != want {
		t.Fatalf("DefaultDialplan (dialplan.go) no longer matches %s; update it.\n--- %s\n%s--- DefaultDialplan\n%s",
			productionConf, productionConf, got, want)
	}
	scenarios := []prodScenario{
		{"call to the toll-free number", func(r *prodRun) *Call {
			c := r.h.srv.Call(CallSpec{From: "+390862111111", To: "800840840"})
			r.events()
			r.rest("POST", "/channels/"+c.ChannelID()+"/answer", "")
			r.rest("DELETE", "/channels/"+c.ChannelID(), "")
			r.events()
			return c
		}, func(t *testing.T, r *prodRun, c *Call) {
			args, ch := r.stasisStarts()
			dp := ch["dialplan"].(map[string]any)
			if fmt.Sprint(args) != "[[800840840]]" || ch["language"] != "it" || dp["priority"].(float64) != 3 || dp["app_data"] != "ascolto,800840840" {
				t.Fatalf("StasisStart args %v, channel %v", args, ch)
			}
		}},
		{"call to another number", func(r *prodRun) *Call {
			c := r.h.srv.Call(CallSpec{From: "+390862111112", To: "0612345678"})
			r.events()
			return c
		}, func(t *testing.T, r *prodRun, c *Call) {
			if args, ch := r.stasisStarts(); fmt.Sprint(args) != "[[0612345678]]" || ch["language"] != "it" {
				t.Fatalf("StasisStart args %v, channel %v", args, ch)
			}
		}},
		{"fax sent to the dialplan by the controller", func(r *prodRun) *Call {
			c := r.h.srv.Call(CallSpec{From: "+390862111113", To: "800840840"})
			r.events()
			r.rest("POST", "/channels/"+c.ChannelID()+"/answer", "")
			r.toDialplan(c, "ascolto-fax", "receive")
			r.h.clk.Advance(20 * time.Second)
			r.events()
			for _, v := range []string{"FAXSTATUS", "FAXPAGES", "REMOTESTATIONID", "FAXFILE", "FAXOPT(ecm)"} {
				r.variable(c.ChannelID(), v)
			}
			r.rest("DELETE", "/channels/"+c.ChannelID(), "")
			r.events()
			return c
		}, func(t *testing.T, r *prodRun, c *Call) {
			if args, ch := r.stasisStarts(); fmt.Sprint(args) != "[[800840840] [fax-done ]]" || ch["dialplan"].(map[string]any)["exten"] != "done" {
				t.Fatalf("StasisStart args %v, channel %v", args, ch)
			}
			file := `{"value":"/var/spool/asterisk/fax/` + c.ChannelID() + `.tif"}`
			if got := r.vars["FAXFILE"]; got != file {
				t.Fatalf("FAXFILE %s, want %s", got, file)
			}
			if got := r.vars["FAXSTATUS"] + r.vars["FAXOPT(ecm)"]; got != `{"value":"SUCCESS"}{"value":"yes"}` {
				t.Fatalf("FAXSTATUS, FAXOPT(ecm): %s", got)
			}
			// The h extension logs the end of the fax channel and raises the
			// AscoltoFax user event before the channel is destroyed.
			n := len(r.evs) - 1
			for n > 0 && r.evs[n]["type"] != "ChannelDestroyed" {
				n--
			}
			if n < 3 || r.evs[n-3]["type"] != "ChannelDialplan" || r.evs[n-3]["dialplan_app_data"] != "ascolto: fax channel gone, status SUCCESS" ||
				r.evs[n-1]["type"] != "ChannelUserevent" || r.evs[n-1]["eventname"] != "AscoltoFax" {
				t.Fatalf("events up to ChannelDestroyed %v", types(r.evs[:n+1]))
			}
			if ue, _ := r.evs[n-1]["userevent"].(map[string]any); ue["status"] != "SUCCESS" || ue["eventname"] != "AscoltoFax" {
				t.Fatalf("user event %v", r.evs[n-1])
			}
		}},
		{"call to the fax line", func(r *prodRun) *Call {
			c := r.h.srv.Call(CallSpec{From: "+390862111114", To: "0862000000"})
			r.h.clk.Advance(20 * time.Second)
			r.events()
			r.variable(c.ChannelID(), "FAXPAGES")
			return c
		}, func(t *testing.T, r *prodRun, c *Call) {
			if args, ch := r.stasisStarts(); fmt.Sprint(args) != "[[fax-done 0862000000]]" || ch["state"] != "Up" {
				t.Fatalf("StasisStart args %v, channel %v", args, ch)
			}
			if rep := c.Report(); len(rep.Heard) != 1 || rep.Heard[0].URI != "fax:receive" || rep.Heard[0].End.Sub(rep.Heard[0].Start) != 20*time.Second {
				t.Fatalf("caller heard %+v", rep.Heard)
			}
		}},
		{"blind transfer", func(r *prodRun) *Call {
			r.h.srv.Remote("+390612345678", Answer(2*time.Second))
			c := r.h.srv.Call(CallSpec{From: "+390862111115", To: "800840840"})
			r.events()
			r.rest("POST", "/channels/"+c.ChannelID()+"/answer", "")
			r.rest("POST", "/channels/"+c.ChannelID()+"/variable", "variable=TRANSFER_TO&value=%2B390612345678")
			r.toDialplan(c, "ascolto-transfer", "dial")
			r.h.clk.Advance(61 * time.Second)
			r.events()
			return c
		}, func(t *testing.T, r *prodRun, c *Call) {
			// extensions.conf dials PJSIP/${TRANSFER_TO}@${TRUNK}: the caller
			// talks with the number and never comes back to ascolto.
			if args, _ := r.stasisStarts(); fmt.Sprint(args) != "[[800840840]]" {
				t.Fatalf("StasisStart args %v", args)
			}
			if rep := c.Report(); len(rep.Bridged) != 1 || rep.Bridged[0].Bridge != "dial" {
				t.Fatalf("caller bridged %+v", rep.Bridged)
			}
		}},
		{"an agent's echo test", func(r *prodRun) *Call {
			c := r.h.srv.Call(CallSpec{From: "101", Endpoint: "101", Context: "from-agents", To: "600"},
				WaitUntil("echo", func(rep CallReport) bool { return len(rep.Heard) == 2 }), Wait(5*time.Second), Press("#"))
			r.h.clk.Advance(10 * time.Second)
			r.events()
			return c
		}, func(t *testing.T, r *prodRun, c *Call) {
			rep := c.Report()
			if !rep.Ended || rep.HungUpBy != "dialplan" || !rep.Answered || len(rep.Heard) != 2 ||
				rep.Heard[0].URI != "sound:demo-echotest" || rep.Heard[1].URI != "echo" || rep.Heard[1].End.IsZero() {
				t.Fatalf("report %+v", rep)
			}
		}},
		{"an agent dials out", func(r *prodRun) *Call {
			c := r.h.srv.Call(CallSpec{From: "101", Endpoint: "101", Context: "from-agents", To: "0612345678"})
			r.h.clk.Advance(2 * time.Second)
			r.events()
			return c
		}, func(t *testing.T, r *prodRun, c *Call) {
			rep := c.Report()
			if rep.HungUpBy != "dialplan" || len(rep.Heard) != 1 || rep.Heard[0].URI != "sound:ss-noservice" {
				t.Fatalf("report %+v", rep)
			}
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			fromFile, c := runProdScenario(t, loaded, sc)
			fromDefault, _ := runProdScenario(t, DefaultDialplan(), sc)
			for i := 0; i < max(len(fromFile.log), len(fromDefault.log)); i++ {
				var a, b string
				if i < len(fromFile.log) {
					a = fromFile.log[i]
				}
				if i < len(fromDefault.log) {
					b = fromDefault.log[i]
				}
				if a != b {
					t.Fatalf("step %d differs:\nextensions.conf: %s\nDefaultDialplan: %s", i, a, b)
				}
			}
			sc.check(t, fromFile, c)
		})
	}
}
