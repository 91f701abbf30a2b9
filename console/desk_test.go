package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/store"
)

// until reads messages until one of type typ satisfies ok, and returns it.
func (w *wsConn) until(typ string, ok func(inMsg) bool) inMsg {
	w.t.Helper()
	for i, m := range w.backlog {
		if m.Type == typ && ok(m) {
			w.backlog = append(w.backlog[:i:i], w.backlog[i+1:]...)
			return m
		}
	}
	w.backlog = nil
	for range 5000 {
		m, err := w.read()
		if err != nil {
			w.t.Fatalf("waiting for %s: %v", typ, err)
		}
		if m.Type == typ && ok(m) {
			return m
		}
	}
	w.t.Fatalf("no matching %s", typ)
	return inMsg{}
}

type deskCallsMsg struct {
	Calls []DeskCall `json:"calls"`
}

func deskCallsOf(t *testing.T, m inMsg) []DeskCall {
	t.Helper()
	var d deskCallsMsg
	if err := json.Unmarshal(m.Raw, &d); err != nil {
		t.Fatal(err)
	}
	return d.Calls
}

// callsAre matches a desk.calls message by a summary of its calls:
// "id:answered/overdue/tracking" joined by spaces.
func callsAre(t *testing.T, want string) func(inMsg) bool {
	return func(m inMsg) bool {
		var parts []string
		for _, c := range deskCallsOf(t, m) {
			s := c.Call + ":"
			if c.Answered {
				s += "a"
			}
			if c.Overdue {
				s += "o"
			}
			if c.TrackingID != "" {
				s += "s"
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " ") == want
	}
}

type testPop struct {
	Call    string   `json:"call"`
	Caller  string   `json:"caller"`
	IVRPath []string `json:"ivr_path"`
	Urgency string   `json:"urgency"`
	Rescue  bool     `json:"rescue"`
}

// TestDeskFollowsCallsAndReminds walks one agent's calls: an offer, the
// answer, wrap-up, wrap-up ending without a record (a reminder on every
// tab, also after a reload), the record saved (the reminder goes), and an
// offer that rang out (it leaves the desk).
func TestDeskFollowsCallsAndReminds(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	b := r.browser()
	b.login("rossi")
	w, _, err := b.dial("/agent")
	if err != nil {
		t.Fatal(err)
	}
	w.call("sync", nil)
	w.until("desk.calls", callsAre(t, ""))
	seat, _ := r.be.AgentFor(bg, "rossi")
	id := seat.ID

	r.be.setState(id, StateRinging, "")
	r.c.Offer("rossi", "call.offered", testPop{Call: "c1", Caller: "+390862111222", IVRPath: []string{"benvenuto", "menu-ordinario", "pericolo"},
		Urgency: store.UrgencyRescue, Rescue: true})
	pop := w.expect("call.offered")
	if pop.Data["call"] != "c1" || pop.Data["rescue"] != true {
		t.Fatalf("pop %v", pop.Data)
	}
	first := w.until("desk.calls", callsAre(t, "c1:"))
	if got := string(deskCallsOf(t, first)[0].Pop); !strings.Contains(got, `"ivr_path":["benvenuto","menu-ordinario","pericolo"]`) {
		t.Fatalf("the pop is not kept whole: %s", got)
	}
	r.be.setState(id, StateOnCall, "c1")
	w.until("desk.calls", callsAre(t, "c1:a"))
	r.be.setState(id, StateWrapUp, "")
	r.be.setState(id, StateAvailable, "") // the ACD's wrap-up timer ran out
	w.until("desk.calls", callsAre(t, "c1:ao"))

	// A reload (a new connection's sync) shows the same reminder.
	w2, _, err := b.dial("/agent")
	if err != nil {
		t.Fatal(err)
	}
	w2.call("sync", nil)
	w2.until("desk.calls", callsAre(t, "c1:ao"))

	// The next call arrives while the record is still missing: both stay.
	r.be.setState(id, StateRinging, "")
	r.c.Offer("rossi", "call.offered", testPop{Call: "c2", Caller: "+390862333444"})
	w.until("desk.calls", callsAre(t, "c1:ao c2:"))
	r.be.setState(id, StateAvailable, "") // c2 rang out unanswered
	w.until("desk.calls", callsAre(t, "c1:ao"))

	res := w.call("disposition.save", Disposition{Call: "c1", Category: "alluvione", Outcome: "informazione-fornita", Urgency: "rescue"})
	if res.Type != "ack" || res.Data["tracking_id"] != "CC-2026-000001" {
		t.Fatalf("save: %+v", res)
	}
	w.until("desk.calls", callsAre(t, "c1:as"))
	w2.until("desk.calls", callsAre(t, "c1:as"))

	// An answer that overtakes the pop still counts as answered.
	r.be.setState(id, StateOnCall, "c3")
	r.c.Offer("rossi", "call.offered", testPop{Call: "c3"})
	w.until("desk.calls", callsAre(t, "c3:a"))
	// Another user's tabs hear nothing of it.
	r.user("bianchi", store.RoleAgent)
	o := r.browser()
	o.login("bianchi")
	ow, _, _ := o.dial("/agent")
	ow.call("sync", nil)
	ow.until("desk.calls", callsAre(t, ""))
}

func TestDispositionRefusesBadInput(t *testing.T) {
	r := newRig(t, Config{})
	r.user("rossi", store.RoleAgent)
	r.user("sala", store.RoleOpsRoom)
	b := r.browser()
	b.login("rossi")
	w, _, err := b.dial("/agent")
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]any{"call": "c1", "category": "alluvione", "outcome": "informazione-fornita"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name string
		data any
		want string
	}{
		{"no data", nil, "data is missing"},
		{"no call", with("call", nil), "call is required"},
		{"long call", with("call", strings.Repeat("c", 200)), "call is required"},
		{"no category", with("category", nil), "category and outcome"},
		{"no outcome", with("outcome", ""), "category and outcome"},
		{"number for category", with("category", 5), "cannot unmarshal"},
		{"unknown field", with("priority", "high"), "unknown field"},
		{"notes too long", with("notes", strings.Repeat("n", maxNotes+1)), "notes longer"},
		{"comune not a code", with("comune", "L'Aquila"), "6-digit"},
		{"comune too short", with("comune", "06604"), "6-digit"},
		{"bad urgency", with("urgency", "panic"), "urgency must be"},
		{"long caller type", with("caller_type", strings.Repeat("x", 65)), "caller_type"},
	}
	for _, c := range cases {
		res := w.call("disposition.save", c.data)
		if res.Type != "error" || res.Data["code"] != "bad_request" || !strings.Contains(res.Data["detail"].(string), c.want) {
			t.Errorf("%s: %v", c.name, res.Data)
		}
	}
	if len(r.be.saved) != 0 {
		t.Fatalf("a bad disposition reached the ACD: %+v", r.be.saved)
	}
	// The operations room has no desk: no dispositions.
	s := r.browser()
	s.login("sala")
	sw, _, err := s.dial("/kb")
	if err != nil {
		t.Fatal(err)
	}
	if res := sw.call("disposition.save", good); res.Data["code"] != "forbidden" {
		t.Fatalf("opsroom saved a disposition: %v", res.Data)
	}
	if res := w.call("disposition.save", good); res.Type != "ack" {
		t.Fatalf("good disposition: %v", res.Data)
	}
}

func TestDeskPageAndComuni(t *testing.T) {
	r := newRig(t, Config{Softphone: Softphone{WSSURL: "wss://pbx.example.it:8089/ws"}})
	ds, err := geo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.db.SeedGeo(bg, ds); err != nil {
		t.Fatal(err)
	}
	r.user("rossi", store.RoleAgent)
	r.user("sala", store.RoleOpsRoom)
	b := r.browser()
	b.login("rossi")
	p := b.get("/agent")
	for _, want := range []string{`id="d-category"`, `<option value="sismico">`, `<option value="informazione-fornita">`,
		`id="d-caller-type"`, `name="urgency" value="rescue"`, `data-wss="wss://pbx.example.it:8089/ws"`,
		`data-domain="pbx.example.it"`, `src="/assets/vendor/jssip/jssip.min.js"`, `src="/assets/softphone.js"`, `src="/assets/desk.js"`,
		`<datalist id="xfer-queues"><option value="informazioni">`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("desk lacks %s", want)
		}
	}
	if csp := p.resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' wss://pbx.example.it:8089;") {
		t.Errorf("CSP does not let the softphone reach Asterisk: %s", csp)
	}
	for _, a := range []string{"/assets/desk.js", "/assets/softphone.js", "/assets/wallboard.js", "/assets/vendor/jssip/jssip.min.js",
		"/assets/vendor/jssip/LICENSES.txt"} {
		if g := b.get(a); g.code != 200 || len(g.body) < 100 {
			t.Errorf("%s: %d", a, g.code)
		}
	}

	cases := []struct {
		q    string
		code int
		want string
	}{
		{"l'aquil", 200, `"code":"066049","label":"L'Aquila (AQ)","text":"L'Aquila (AQ) · 066049"`},
		{"066049", 200, `"L'Aquila (AQ)"`},
		{"sant'ange", 200, `Sant'Angelo`},
		{"999999", 200, `"results":[]`},
		{"", 400, `"error":"desk.comunequery"`},
		{strings.Repeat("a", 61), 400, `desk.comunequery`},
	}
	for _, c := range cases {
		g := b.get("/api/comuni?q=" + url.QueryEscape(c.q))
		if g.code != c.code || !strings.Contains(g.body, c.want) {
			t.Errorf("comuni %q: %d %s", c.q, g.code, g.body)
		}
	}
	// A name typed in full: exactly that name, one comune or all of its namesakes.
	for q, want := range map[string]string{
		"faenza": `{"results":[{"code":"039010","label":"Faenza (RA)","text":"Faenza (RA) · 039010"}]}`,
		"Castro": `{"results":[{"code":"016065","label":"Castro (BG)","text":"Castro (BG) · 016065"},{"code":"075096","label":"Castro (LE)","text":"Castro (LE) · 075096"}]}`,
		"Faenz":  `{"results":[]}`,
	} {
		if g := b.get("/api/comuni?exact=1&q=" + url.QueryEscape(q)); g.code != 200 || strings.TrimSpace(g.body) != want {
			t.Errorf("exact comune %q: %d %s", q, g.code, g.body)
		}
	}
	s := r.browser()
	s.login("sala")
	if g := s.get("/api/comuni?q=aquil"); g.code != http.StatusForbidden {
		t.Errorf("opsroom type-ahead: %d", g.code)
	}
	if g := r.browser().get("/api/comuni?q=aquil"); g.code != http.StatusUnauthorized {
		t.Errorf("signed out type-ahead: %d", g.code)
	}
	// An expired session gets no suggestions either.
	r.clk.Advance(DefaultConfig().IdleTimeout + time.Minute)
	if g := b.get("/api/comuni?q=aquil"); g.code != http.StatusUnauthorized {
		t.Errorf("expired session type-ahead: %d", g.code)
	}
}

func TestSoftphoneConfig(t *testing.T) {
	cases := []struct {
		in         Softphone
		domain, ok string
	}{
		{Softphone{}, "", "ok"},
		{Softphone{WSSURL: "wss://pbx.example.it:8089/ws"}, "pbx.example.it", "ok"},
		{Softphone{WSSURL: "wss://pbx.example.it:8089/ws", Domain: "sip.example.it"}, "sip.example.it", "ok"},
		{Softphone{WSSURL: "https://pbx.example.it/ws"}, "", "WSS URL"},
		{Softphone{WSSURL: "pbx:8089"}, "", "WSS URL"},
		{Softphone{WSSURL: "wss://pbx.example.it/ws", Domain: "a b"}, "", "SIP domain"},
	}
	for _, c := range cases {
		s := c.in
		err := s.fill()
		switch {
		case c.ok == "ok" && err != nil:
			t.Errorf("%+v: %v", c.in, err)
		case c.ok != "ok" && (err == nil || !strings.Contains(err.Error(), c.ok)):
			t.Errorf("%+v: %v, want %q", c.in, err, c.ok)
		case c.ok == "ok" && s.Domain != c.domain:
			t.Errorf("%+v: domain %q", c.in, s.Domain)
		}
	}
}

// TestSoftphoneSIPUser: the in-page softphone registers as the seat's
// PJSIP endpoint, the name Asterisk identifies it by and the ACD dials,
// whatever the seat's extension.
func TestSoftphoneSIPUser(t *testing.T) {
	for _, c := range []struct{ id, endpoint, want string }{
		{"101", "PJSIP/101", "101"},
		{"2101", "PJSIP/101", "101"},
		{"7", "pjsip/anna.rossi", "anna.rossi"},
		{"101", "", "101"},
		{"101", "SIP/101", "101"},
		{"101", "PJSIP/101@trunk", "101"},
		{"101", "PJSIP/", "101"},
	} {
		if got := sipUser(AgentView{ID: c.id, Phone: PhoneView{Endpoint: c.endpoint}}); got != c.want {
			t.Errorf("seat %s on %q: SIP user %q, want %q", c.id, c.endpoint, got, c.want)
		}
	}
}

// TestDeskSoftphoneOnlyForWebRTCSeats: the desk drives the in-page
// softphone only for a seat whose phone is the softphone; an agent at a
// desk phone gets no SIP form (connected, it would register over the desk
// phone's endpoint and take its place), only the phone's state.
func TestDeskSoftphoneOnlyForWebRTCSeats(t *testing.T) {
	r := newRig(t, Config{Softphone: Softphone{WSSURL: "wss://pbx.example.it:8089/ws"}})
	r.user("rossi", store.RoleAgent)
	u := r.user("bianchi", store.RoleAgent)
	r.be.mu.Lock()
	r.be.agents[fmt.Sprint(100+u.ID)].Phone = PhoneView{Kind: "sip", Endpoint: "PJSIP/ufficio-3", Registered: true}
	r.be.mu.Unlock()

	web := r.browser()
	web.login("rossi")
	p := web.get("/agent")
	for _, want := range []string{`id="sp-form"`, `src="/assets/vendor/jssip/jssip.min.js"`, `data-user="101"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the softphone seat's desk lacks %s", want)
		}
	}
	desk := r.browser()
	desk.login("bianchi")
	p = desk.get("/agent")
	for _, no := range []string{`id="sp-form"`, `jssip.min.js`, `data-user="ufficio-3"`} {
		if strings.Contains(p.body, no) {
			t.Errorf("the desk phone's seat has %s", no)
		}
	}
	if !strings.Contains(p.body, "Usa il telefono della postazione") || !strings.Contains(p.body, `src="/assets/softphone.js"`) {
		t.Error("the desk phone's seat is not told to use its phone")
	}
}
