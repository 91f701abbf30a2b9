package arisim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v5"
	"github.com/ascolto/ascolto/clock"
)

// The traces were recorded from a real Asterisk 20.20.1 (testdata/traces,
// a copy of shared/ari/traces).
// Each test replays a trace: the same REST calls at the same moments on a
// fake clock, the callers and agents behaving as sipp did (arrival, BYE and
// DTMF at the recorded instants, the agents' fixed behaviours from the meta
// line), then compares the REST statuses and bodies and, channel by channel,
// the events with what Asterisk sent.
const traceDir = "testdata/traces"

type traceLine struct {
	TS         time.Time       `json:"ts"`
	Kind       string          `json:"kind"`
	App        string          `json:"app"`
	Data       json.RawMessage `json:"data"`
	Request    *traceRequest   `json:"request"`
	Response   *traceResponse  `json:"response"`
	WSClosedAt time.Time       `json:"ws_closed_at"`
	WSReopenAt time.Time       `json:"ws_reopened_at"`
}

type traceRequest struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Query  string          `json:"query"`
	Body   json.RawMessage `json:"body"` // e2e traces: the JSON body ascolto sent
}

type traceResponse struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

func loadTrace(t *testing.T, name string) []traceLine {
	t.Helper()
	f, err := os.Open(filepath.Join(traceDir, name))
	if err != nil {
		t.Fatalf("trace %s: %v", name, err)
	}
	defer f.Close()
	var out []traceLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var l traceLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, l)
	}
	return out
}

type traceEvent struct {
	Type    string          `json:"type"`
	Channel *channelJSON    `json:"channel"`
	Peer    *channelJSON    `json:"peer"`
	Args    []string        `json:"args"`
	Cause   *int            `json:"cause"`
	Soft    bool            `json:"soft"`
	Digit   string          `json:"digit"`
	Bridge  *bridgeJSON     `json:"bridge"`
	Play    *playbackJSON   `json:"playback"`
	Rec     json.RawMessage `json:"recording"`
	Dev     json.RawMessage `json:"device_state"`
	EP      json.RawMessage `json:"endpoint"`
}

// replay drives the simulator through a trace and collects both sides.
type replay struct {
	t       *testing.T
	h       *harness
	ids     map[string]string // trace id -> simulator id
	ev      *events
	pre     [][]byte // what the first connection received before it closed
	restGot []string
	restExp []string
	fix     func(string) string
	base    int64                // events sent before the second connection opened
	legs    map[string]Behaviour // e2e traces: how each agent's phone took its call
}

func newReplay(t *testing.T, lines []traceLine, setup func(*Server)) *replay {
	t.Helper()
	clk := clock.NewFake(lines[0].TS)
	srv := New(WithClock(clk), WithDefaultMediaDuration(1420*time.Millisecond), WithMediaDuration("sound:demo-congrats", 30*time.Second), WithMissingMedia("sound:no-such-file"))
	srv.dialplan = NewDialplan().
		Add("from-sipp", "_X.", AppNoOp(), AppStasis("ccd", "${EXTEN}"), AppHangup()).
		Add("from-sipp", "fax", AppAnswer(), AppReceiveFAX(FaxResult{Duration: time.Hour}), AppHangup()).
		Add("ascolto-return", "s", AppNoOp(), AppSet("FAXSTATUS", "SUCCESS"), AppSet("FAXPAGES", "2"), AppStasis("ccd", "fax-done"), AppHangup())
	for name, b := range map[string]Behaviour{"agent101": Answer(0), "agent102": NoAnswer(), "agent103": DeadContact(),
		"agent104": Unreachable(), "agent105": Busy()} {
		srv.Endpoint("PJSIP/"+name, b).SetContext("from-agents")
	}
	srv.mu.Lock()
	srv.addEndpointLocked("PJSIP/sipp", Answer(0), "from-sipp")
	srv.mu.Unlock()
	if setup != nil {
		setup(srv)
	}
	u, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	h := &harness{t: t, srv: srv, clk: clk, url: u}
	return &replay{t: t, h: h, ids: map[string]string{}}
}

var hexSuffix = regexp.MustCompile(`((?:PJSIP|Snoop)/[^"/]+?)-[0-9a-f]{8}`)

// learn maps trace ids to simulator ids from two bodies of the same shape.
func (r *replay) learn(trace, sim json.RawMessage) {
	var a, b map[string]any
	if json.Unmarshal(trace, &a) != nil || json.Unmarshal(sim, &b) != nil {
		return
	}
	if ta, ok := a["id"].(string); ok {
		if sb, ok := b["id"].(string); ok {
			r.ids[ta] = sb
		}
	}
}

// subst rewrites trace ids in s to simulator ids.
func (r *replay) subst(s string) string {
	keys := make([]string, 0, len(r.ids))
	for k := range r.ids {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	// One pass: a simulator id may be another trace id (both count
	// channels from the same clock), and must not be rewritten again.
	var pairs []string
	for _, k := range keys {
		pairs = append(pairs, k, r.ids[k])
		if esc := url.QueryEscape(k); esc != k {
			pairs = append(pairs, esc, url.QueryEscape(r.ids[k]))
		}
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// normalize keeps what must match: drops timestamps, protocol ids, QoS
// values and the MOH announcer channels Asterisk adds to holding bridges,
// and the per-run hex suffix of channel names.
func (r *replay) normalize(raw json.RawMessage, known map[string]bool) string {
	var v any
	if len(raw) == 0 {
		return "null"
	}
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	var walk func(any) any
	walk = func(x any) any {
		switch m := x.(type) {
		case map[string]any:
			for _, k := range []string{"timestamp", "creationtime", "protocol_id", "asterisk_id", "application", "startup_time", "last_reload_time"} {
				delete(m, k)
			}
			if name, _ := m["variable"].(string); strings.HasPrefix(name, "RTPAUDIOQOS") || name == "BRIDGEPVTCALLID" {
				m["value"] = "*"
			}
			if dp, ok := m["dialplan"].(map[string]any); ok && dp["app_name"] == "ReceiveFAX" {
				dp["app_data"] = "*"
			}
			for _, k := range []string{"channel_ids", "bridge_ids", "endpoint_ids", "device_names"} {
				// Asterisk lists these in hash order: compare them as sets.
				if ids, ok := m[k].([]any); ok {
					sort.Slice(ids, func(i, j int) bool { return fmt.Sprint(ids[i]) < fmt.Sprint(ids[j]) })
				}
			}
			if chans, ok := m["channels"].([]any); ok && known != nil {
				kept := []any{}
				for _, c := range chans {
					if known[c.(string)] {
						kept = append(kept, c)
					}
				}
				m["channels"] = kept
			}
			for k, e := range m {
				m[k] = walk(e)
			}
		case []any:
			for i, e := range m {
				m[i] = walk(e)
			}
		}
		return x
	}
	v = walk(v)
	if list, ok := v.([]any); ok {
		// Asterisk lists in hash order; compare as sets.
		sort.Slice(list, func(i, j int) bool {
			a, _ := list[i].(map[string]any)
			b, _ := list[j].(map[string]any)
			return fmt.Sprint(a["id"], a["name"], a["resource"]) < fmt.Sprint(b["id"], b["name"], b["resource"])
		})
	}
	out, _ := json.Marshal(v)
	return hexSuffix.ReplaceAllString(string(out), "$1-N")
}

// group names the object an event belongs to, for per-object ordering.
func group(raw json.RawMessage) string {
	var e traceEvent
	_ = json.Unmarshal(raw, &e)
	switch {
	case e.Channel != nil:
		return "channel:" + e.Channel.ID
	case e.Peer != nil:
		return "channel:" + e.Peer.ID
	case e.Play != nil:
		return e.Play.TargetURI
	case e.Bridge != nil:
		return "bridge:" + e.Bridge.ID
	case e.Rec != nil:
		var rec liveRecordingJSON
		_ = json.Unmarshal(e.Rec, &rec)
		return rec.TargetURI
	case e.Dev != nil:
		var d deviceStateJSON
		_ = json.Unmarshal(e.Dev, &d)
		return "device:" + d.Name
	case e.EP != nil:
		return "endpoint"
	}
	return "other"
}

// canonical undoes the one race Asterisk shows within a channel: a Dial
// RINGING overtaking its own ChannelStateChange Ringing.
func canonical(evs []string) []string {
	for i := 0; i+1 < len(evs); i++ {
		if strings.Contains(evs[i], `"dialstatus":"RINGING"`) && strings.Contains(evs[i+1], `"type":"ChannelStateChange"`) &&
			strings.Contains(evs[i+1], `"state":"Ringing"`) {
			evs[i], evs[i+1] = evs[i+1], evs[i]
		}
	}
	return evs
}

type partyAction struct {
	at   time.Time
	kind string // call, bye, dtmf
	id   string // trace channel id
	arg  string
	seq  int
}

// run replays the trace. Callers arrive when their StasisStart was sent;
// BYEs and DTMF happen when Asterisk reported them.
func (r *replay) run(meta traceLine, lines []traceLine) {
	t := r.t
	var actions []partyAction
	seenCaller := map[string]bool{}
	deleted := map[string]bool{}
	for i, l := range lines {
		switch l.Kind {
		case "rest":
			if l.Request.Method == "DELETE" && strings.HasPrefix(l.Request.Path, "/ari/channels/") {
				deleted[strings.TrimPrefix(l.Request.Path, "/ari/channels/")] = true
			}
		case "ws_event":
			var e traceEvent
			_ = json.Unmarshal(l.Data, &e)
			if e.Channel == nil {
				continue
			}
			id := e.Channel.ID
			switch {
			case e.Type == "StasisStart" && strings.HasPrefix(e.Channel.Name, "PJSIP/sipp") && !seenCaller[id]:
				seenCaller[id] = true
				actions = append(actions, partyAction{at: l.TS.Add(-time.Millisecond), kind: "call", id: id, arg: e.Channel.Dialplan.Exten, seq: i})
			case e.Type == "ChannelHangupRequest" && !e.Soft && (e.Cause == nil || *e.Cause == 16) && !deleted[id]:
				actions = append(actions, partyAction{at: l.TS.Add(-100 * time.Microsecond), kind: "bye", id: id, seq: i})
			case e.Type == "ChannelDtmfReceived":
				actions = append(actions, partyAction{at: l.TS.Add(-280 * time.Millisecond), kind: "dtmf", id: id, arg: e.Digit, seq: i})
			}
		}
	}
	if !meta.WSClosedAt.IsZero() {
		actions = append(actions, partyAction{at: meta.WSClosedAt, kind: "wsclose"}, partyAction{at: meta.WSReopenAt, kind: "wsopen"})
	}
	items := schedule(lines, actions)
	r.ev = r.h.connect("ccd")
	for _, it := range items {
		if it.at.After(r.h.clk.Now()) {
			r.h.clk.Set(it.at)
		}
		if a := it.act; a != nil {
			r.act(a)
			continue
		}
		l := it.rest
		path, query := r.subst(l.Request.Path), r.subst(l.Request.Query)
		user := "ari"
		if l.Response.Status == 401 {
			user = "wrong"
		}
		status, body := r.h.doAuth(l.Request.Method, path, query, user, "ari")
		if status < 300 && l.Response.Status < 300 {
			r.learn(l.Response.Body, body)
		}
		exp := fmt.Sprintf("%s %s -> %d %s", l.Request.Method, l.Request.Path, l.Response.Status, r.normalize(json.RawMessage(r.subst(string(l.Response.Body))), r.knownIDs()))
		got := fmt.Sprintf("%s %s -> %d %s", l.Request.Method, l.Request.Path, status, r.normalize(body, r.knownIDs()))
		if l.Request.Path == "/ari/asterisk/info" {
			exp, got = fmt.Sprint(l.Response.Status), fmt.Sprint(status)
		}
		r.restExp = append(r.restExp, exp)
		r.restGot = append(r.restGot, got)
	}
	r.h.clk.Advance(time.Millisecond)
	_ = t
}

func (r *replay) knownIDs() map[string]bool {
	out := map[string]bool{}
	for _, v := range r.ids {
		out[v] = true
	}
	return out
}

func (r *replay) act(a *partyAction) {
	s := r.h.srv
	switch a.kind {
	case "wsclose":
		r.pre = r.ev.rawN(r.h.srv.Stats().EventsSent, 5*time.Second)
		_ = r.ev.conn.Close()
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) && r.h.srv.Stats().Connections > 0 {
			time.Sleep(time.Millisecond)
		}
	case "wsopen":
		r.ev = r.h.connect("ccd")
		r.base = r.h.srv.Stats().EventsSent
	case "call":
		c := s.Call(CallSpec{From: "sipp", Name: "sipp", To: a.arg, Endpoint: "sipp", Context: "from-sipp"})
		r.ids[a.id] = c.ChannelID()
	case "bye", "dtmf":
		s.mu.Lock()
		ch := s.channels[r.ids[a.id]]
		s.mu.Unlock()
		if ch == nil {
			r.t.Errorf("%s for unknown channel %s at %s", a.kind, a.id, a.at.Format(time.StampMilli))
			return
		}
		s.mu.Lock()
		p := ch.party
		s.mu.Unlock()
		if p == nil {
			r.t.Errorf("%s: channel %s has no party", a.kind, a.id)
			return
		}
		if a.kind == "bye" {
			p.call.HangUp()
		} else {
			p.call.Press(a.arg)
		}
	}
}

// compare checks REST results and per-object event sequences.
func (r *replay) compare(lines []traceLine, skipEvents func(traceEvent) bool) {
	t := r.t
	for i := range r.restExp {
		if r.restExp[i] != r.restGot[i] {
			t.Errorf("REST #%d differs\n want %s\n got  %s", i, r.restExp[i], r.restGot[i])
		}
	}
	known := r.knownIDs()
	want := map[string][]string{}
	for _, l := range lines {
		if l.Kind != "ws_event" {
			continue
		}
		var e traceEvent
		_ = json.Unmarshal(l.Data, &e)
		if skipEvents != nil && skipEvents(e) {
			continue
		}
		d := json.RawMessage(r.subst(string(l.Data)))
		g := group(d)
		n := r.normalize(d, known)
		if r.fix != nil {
			n = r.fix(n)
		}
		want[g] = append(want[g], n)
	}
	got := map[string][]string{}
	raws := append([][]byte(nil), r.pre...)
	raws = append(raws, r.ev.rawN(r.h.srv.Stats().EventsSent-r.base, 5*time.Second)...)
	for _, raw := range raws {
		// Every event the simulator sends must decode with the real library.
		if _, err := ari.DecodeEvent(raw); err != nil {
			t.Errorf("ari.DecodeEvent: %v: %s", err, raw)
		}
		var e traceEvent
		_ = json.Unmarshal(raw, &e)
		if skipEvents != nil && skipEvents(e) {
			continue
		}
		g := group(raw)
		got[g] = append(got[g], r.normalize(raw, known))
	}
	groups := map[string]bool{}
	for g := range want {
		groups[g] = true
	}
	for g := range got {
		groups[g] = true
	}
	for g := range groups {
		w, gg := canonical(want[g]), canonical(got[g])
		n := len(w)
		if len(gg) > n {
			n = len(gg)
		}
		for i := 0; i < n; i++ {
			var a, b string
			if i < len(w) {
				a = w[i]
			}
			if i < len(gg) {
				b = gg[i]
			}
			if a != b {
				t.Errorf("%s event #%d differs\n want %s\n got  %s", g, i, a, b)
				break
			}
		}
	}
}

func TestTraces(t *testing.T) {
	cases := []struct {
		file  string
		setup func(*Server)
		skip  func(traceEvent) bool
		fix   func(string) string
	}{
		{file: "basic-call.jsonl"},
		{file: "agent-originate-bridge.jsonl"},
		{file: "agent-create-dial-bridge.jsonl"},
		{file: "agent-no-answer.jsonl"},
		{file: "agent-busy-unreachable.jsonl"},
		{file: "agent-hangs-up-first.jsonl", fix: func(e string) string {
			// A race in that recording: Dial RINGING published before the state change.
			if strings.Contains(e, `"dialstatus":"RINGING"`) {
				return strings.Replace(e, `"state":"Down"`, `"state":"Ringing"`, 1)
			}
			return e
		}},
		{file: "caller-abandon-while-agent-rings.jsonl"},
		{file: "caller-explicit-subscription.jsonl"},
		{file: "continue-receivefax.jsonl"},
		{file: "continue-roundtrip.jsonl"},
		{file: "dtmf-during-playback.jsonl"},
		{file: "hangup-during-playback.jsonl"},
		{file: "errors.jsonl"},
		{file: "record-message.jsonl", setup: func(s *Server) {
			s.mu.Lock()
			s.media["sound:beep"] = 1285 * time.Millisecond
			s.mu.Unlock()
		}},
		{file: "snoop.jsonl"},
		{file: "reconnect.jsonl"},
		{file: "endpoint-device-state.jsonl"},
	}
	for _, tc := range cases {
		t.Run(strings.TrimSuffix(tc.file, ".jsonl"), func(t *testing.T) {
			lines := loadTrace(t, tc.file)
			r := newReplay(t, lines, tc.setup)
			r.run(lines[0], lines[1:])
			r.fix = tc.fix
			r.compare(lines[1:], tc.skip)
		})
	}
}

// replayItem is one step of a replay: a REST request ascolto sent, or
// something a party did (call, key, hang-up, a WebSocket dropped).
type replayItem struct {
	at   time.Time
	rest *traceLine
	act  *partyAction
	seq  int
}

// schedule puts a trace's REST requests and the parties' actions in the
// order they happened (the trace's order where times are equal).
func schedule(lines []traceLine, actions []partyAction) []replayItem {
	var items []replayItem
	for i := range lines {
		if lines[i].Kind == "rest" {
			items = append(items, replayItem{at: lines[i].TS, rest: &lines[i], seq: i})
		}
	}
	for i := range actions {
		items = append(items, replayItem{at: actions[i].at, act: &actions[i], seq: actions[i].seq})
	}
	sort.SliceStable(items, func(i, j int) bool {
		if items[i].at.Equal(items[j].at) {
			return items[i].seq < items[j].seq
		}
		return items[i].at.Before(items[j].at)
	})
	return items
}
