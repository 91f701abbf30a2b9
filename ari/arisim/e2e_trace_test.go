package arisim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
)

// The e2e traces (testdata/traces/e2e-*.jsonl) were recorded by
// internal/asttest.RecordARI between ascolto and a real Asterisk 20.20.1
// running the project's asterisk-conf, in the real-Asterisk e2e tests
// (cmd/ascolto/asterisk_e2e_test.go). TestE2ETraces plays ascolto's side
// again: the same REST requests (bodies too) at the same moments on a fake
// clock, the callers and desk phones behaving as SIPp did (arrival, keys,
// BYE at the recorded instants; each phone answering after the delay it
// showed, or busy, or ringing out), and compares every answer and, object
// by object, the events with what Asterisk sent.

// e2eTrace is what a trace says about the parties and the media.
type e2eTrace struct {
	media  map[string]time.Duration // sound URI -> how long Asterisk played it
	dtmf   time.Duration            // how long the callers' keys lasted (SIPp's RFC 4733)
	fax    *FaxResult               // how ReceiveFAX ended, when a caller was sent there
	spool  string                   // asterisk.conf's astspooldir (the harness's temporary one)
	phones map[string]Behaviour     // PJSIP/2001 -> the desk phone's behaviour
	legs   map[string]Behaviour     // leg channel id -> how the phone took that call
	eps    map[string]string        // endpoints Asterisk listed (tech/resource) -> state
}

type e2eEvent struct {
	traceEvent
	DurationMS int               `json:"duration_ms"`
	UserEvent  map[string]string `json:"userevent"`
	TechCause  int               `json:"tech_cause"`
}

// readE2E learns the media durations, the phones' behaviours and the
// configured endpoints from the trace itself.
func readE2E(lines []traceLine) e2eTrace {
	tr := e2eTrace{media: map[string]time.Duration{}, phones: map[string]Behaviour{}, eps: map[string]string{},
		legs: map[string]Behaviour{}}
	type play struct {
		at    time.Time
		media []string
	}
	plays := map[string]play{} // playback id -> when asked, what
	type orig struct {
		at       time.Time
		endpoint string
	}
	origs := map[string]orig{} // leg channel id -> originate
	stopped := map[string]play{}
	var faxFrom time.Time
	var early []struct {
		media []string // the files before the current one, and it
		d     time.Duration
	}
	var multi []struct {
		media []string
		d     time.Duration
	}
	for _, l := range lines {
		switch l.Kind {
		case "rest":
			q := parseQuery(l.Request.Query)
			segs := strings.Split(strings.TrimPrefix(l.Request.Path, "/ari/"), "/")
			switch {
			case l.Request.Method == "POST" && len(segs) == 4 && segs[0] == "channels" && segs[2] == "play" && l.Response.Status < 300:
				plays[segs[3]] = play{at: l.TS, media: strings.Split(q["media"], ",")}
			case l.Request.Method == "POST" && len(segs) == 3 && segs[2] == "continue" && q["context"] == "ascolto-fax":
				faxFrom = l.TS
			case l.Request.Method == "DELETE" && len(segs) == 2 && segs[0] == "playbacks":
				// Stopped: its end says nothing of its length, but the
				// files before the one it was on had ended by then.
				if p, ok := plays[segs[1]]; ok {
					stopped[segs[1]] = p
				}
				delete(plays, segs[1])
			case l.Request.Method == "POST" && len(segs) == 2 && segs[0] == "channels" && q["endpoint"] != "":
				origs[segs[1]] = orig{at: l.TS, endpoint: q["endpoint"]}
			case l.Request.Method == "GET" && l.Request.Path == "/ari/endpoints" && l.Response.Status == 200:
				var eps []endpointJSON
				_ = json.Unmarshal(l.Response.Body, &eps)
				for _, e := range eps {
					tr.eps[e.Technology+"/"+e.Resource] = e.State
				}
			}
		case "ws_event":
			var e e2eEvent
			_ = json.Unmarshal(l.Data, &e)
			switch {
			case e.Type == "ChannelDtmfReceived":
				tr.dtmf = time.Duration(e.DurationMS) * time.Millisecond
			case e.Type == "ChannelHangupRequest" && e.Channel != nil && e.Channel.Dialplan.AppName == "ReceiveFAX" && !e.Soft && e.Cause != nil:
				// The caller refused the fax (T.38): ReceiveFAX failed.
				tr.fax = &FaxResult{Status: "FAILED", Fails: true, Cause: *e.Cause, Duration: l.TS.Sub(faxFrom)}
			case e.Type == "ChannelDestroyed" && e.Channel != nil && e.Channel.Dialplan.Context == "ascolto-fax" && tr.fax != nil:
				tr.fax.TechCause = e.TechCause
			case e.Type == "ChannelUserevent" && e.UserEvent["eventname"] == "AscoltoFax":
				// What ReceiveFAX reported, and where the fax was to go.
				if tr.fax != nil {
					tr.fax.Error = e.UserEvent["error"]
				}
				if f := e.UserEvent["file"]; strings.Contains(f, "/fax/") {
					tr.spool = f[:strings.LastIndex(f, "/fax/")]
				}
			case e.Type == "PlaybackFinished" && e.Play != nil:
				if p, ok := stopped[e.Play.ID]; ok {
					for i, u := range p.media {
						if u == e.Play.MediaURI && i > 0 {
							early = append(early, struct {
								media []string
								d     time.Duration
							}{p.media[:i+1], l.TS.Sub(p.at)})
						}
					}
				}
				if p, ok := plays[e.Play.ID]; ok && e.Play.State == "done" {
					d := l.TS.Sub(p.at)
					if len(p.media) == 1 {
						tr.media[p.media[0]] = d
					} else {
						multi = append(multi, struct {
							media []string
							d     time.Duration
						}{p.media, d})
					}
				}
			case e.Type == "StasisStart" && e.Channel != nil:
				if o, ok := origs[e.Channel.ID]; ok {
					// A SIPp phone answers after its ring, give or take
					// the machine: each call as it went.
					tr.legs[e.Channel.ID] = Answer(l.TS.Sub(o.at))
					if _, seen := tr.phones[o.endpoint]; !seen {
						tr.phones[o.endpoint] = Answer(l.TS.Sub(o.at))
					}
				}
			case e.Type == "ChannelDestroyed" && e.Channel != nil:
				if o, ok := origs[e.Channel.ID]; ok {
					if _, seen := tr.phones[o.endpoint]; !seen && e.Cause != nil && *e.Cause == 17 {
						tr.phones[o.endpoint] = Busy()
					} else if !seen && e.Cause != nil && *e.Cause == 19 {
						tr.phones[o.endpoint] = NoAnswer()
					}
				}
			}
		}
	}
	// A playback of several files: what the single ones left unexplained,
	// shared among the files still unknown.
	for _, m := range multi {
		left, unknown := m.d, 0
		for _, u := range m.media {
			if d, ok := tr.media[u]; ok {
				left -= d
			} else {
				unknown++
			}
		}
		for _, u := range m.media {
			if _, ok := tr.media[u]; !ok && unknown > 0 {
				tr.media[u] = left / time.Duration(unknown)
			}
		}
	}
	// A stopped playback of several files: those before the one it was on
	// share the time until the stop with it, if nothing else told.
	for _, m := range early {
		for _, u := range m.media[:len(m.media)-1] {
			if _, ok := tr.media[u]; !ok {
				tr.media[u] = m.d / time.Duration(len(m.media))
			}
		}
	}
	for _, o := range origs {
		if _, ok := tr.phones[o.endpoint]; !ok {
			tr.phones[o.endpoint] = NoAnswer() // never answered, never refused: the controller gave up
		}
	}
	return tr
}

func parseQuery(q string) map[string]string {
	out := map[string]string{}
	v, _ := url.ParseQuery(q)
	for k, vs := range v {
		out[k] = strings.Join(vs, ",")
	}
	return out
}

func newE2EReplay(t *testing.T, lines []traceLine) *replay {
	t.Helper()
	tr := readE2E(lines[1:])
	var dpOpts []DialplanOption
	if tr.fax != nil {
		dpOpts = append(dpOpts, WithFaxResult(*tr.fax))
	}
	dp, err := LoadDialplan("../../asterisk-conf/extensions.conf", dpOpts...)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(lines[0].TS)
	// A sound never heard to its end (every playback of it was stopped)
	// lasts long enough not to end before ascolto stopped it.
	opts := []Option{WithClock(clk), WithDialplan(dp), WithDefaultMediaDuration(10 * time.Minute)}
	if tr.dtmf > 0 {
		opts = append(opts, WithDTMFDuration(tr.dtmf))
	}
	if tr.spool != "" {
		opts = append(opts, WithSpoolDir(tr.spool))
	}
	for uri, d := range tr.media {
		opts = append(opts, WithMediaDuration(uri, d))
	}
	srv := New(opts...)
	// The seats as asterisk-conf/pjsip.conf and asttest.Seats make them:
	// context from-agents, callerid "Operatore N" <N>; offline without a
	// reachable contact (the production samples 101-103, and the trunk,
	// whose carrier SIPp is not up between calls).
	for ep, state := range tr.eps {
		b, ok := tr.phones[ep]
		switch {
		case state == "offline":
			b = Unreachable()
		case !ok:
			b = NoAnswer()
		}
		e := srv.Endpoint(ep, b)
		if ep != "PJSIP/trunk" {
			res := strings.TrimPrefix(ep, "PJSIP/")
			e.SetContext("from-agents")
			e.SetCallerID(`"Operatore ` + res + `" <` + res + `>`)
			e.SetDeviceBusyAt(1)
		}
	}
	u, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &replay{t: t, h: &harness{t: t, srv: srv, clk: clk, url: u}, ids: map[string]string{}, legs: tr.legs}
}

// runE2E replays ascolto's side of an e2e trace.
func (r *replay) runE2E(lines []traceLine) {
	var actions []partyAction
	seen := map[string]bool{}
	deleted := map[string]bool{}
	app := "ascolto"
	// Asterisk going down and coming back: a shutdown ("core restart now")
	// shows as soft hang-up requests with cause 4; the WebSocket then
	// closes; until the first answer after it that is not an error the
	// server is down or booting (404 before res_ari loads); the controller
	// opens the WebSocket again. Asterisk restarted when the next
	// /asterisk/info tells another startup_time; otherwise only ascolto
	// went away (killed, stopped) and came back.
	opens, shutdown, down := 0, false, false
	startup := func(from, step int) string {
		for j := from; j >= 0 && j < len(lines); j += step {
			m := lines[j]
			if m.Kind == "rest" && m.Request.Path == "/ari/asterisk/info" && m.Response.Status == 200 {
				var info struct {
					Status struct {
						StartupTime string `json:"startup_time"`
					} `json:"status"`
				}
				_ = json.Unmarshal(m.Response.Body, &info)
				return info.Status.StartupTime
			}
		}
		return ""
	}
	for i, l := range lines {
		switch l.Kind {
		case "ws_open":
			opens++
			if opens > 1 {
				actions = append(actions, partyAction{at: l.TS, kind: "wsopen", seq: i})
			}
		case "ws_close":
			later := false
			for _, m := range lines[i+1:] {
				later = later || m.Kind == "ws_open"
			}
			switch {
			case later && startup(i, -1) != startup(i, 1):
				actions = append(actions, partyAction{at: l.TS, kind: "down", seq: i})
				down, shutdown = true, false
			case later:
				actions = append(actions, partyAction{at: l.TS, kind: "gone", seq: i})
			}
		case "rest":
			if down && l.Response.Status < 300 {
				actions = append(actions, partyAction{at: l.TS.Add(-time.Nanosecond), kind: "up", seq: i})
				down = false
			}
			if l.Request.Method == "DELETE" && strings.HasPrefix(l.Request.Path, "/ari/channels/") {
				deleted[strings.TrimPrefix(l.Request.Path, "/ari/channels/")] = true
			}
		case "ws_event":
			if l.App != "" {
				app = l.App
			}
			var e e2eEvent
			_ = json.Unmarshal(l.Data, &e)
			if e.Channel == nil {
				continue
			}
			id := e.Channel.ID
			switch {
			case e.Type == "ChannelHangupRequest" && e.Soft && e.Cause != nil && *e.Cause == softHangupShutdown:
				if !shutdown {
					actions = append(actions, partyAction{at: l.TS.Add(-time.Millisecond), kind: "shutdown", seq: i})
					shutdown = true
				}
			case e.Type == "StasisStart" && strings.HasPrefix(e.Channel.Name, "PJSIP/trunk-") && !seen[id]:
				seen[id] = true
				actions = append(actions, partyAction{at: l.TS.Add(-time.Millisecond), kind: "call", id: id,
					arg: e.Channel.Caller.Number + "\x00" + e.Channel.Caller.Name + "\x00" + e.Channel.Dialplan.Exten, seq: i})
			case e.Type == "ChannelHangupRequest" && !e.Soft && (e.Cause == nil || *e.Cause == 16) && !deleted[id]:
				actions = append(actions, partyAction{at: l.TS.Add(-100 * time.Microsecond), kind: "bye", id: id, seq: i})
			case e.Type == "ChannelDtmfReceived":
				d := time.Duration(e.DurationMS) * time.Millisecond
				actions = append(actions, partyAction{at: l.TS.Add(-d), kind: "dtmf", id: id, arg: e.Digit, seq: i})
			}
		}
	}
	items := schedule(lines, actions)
	r.ev = r.h.connect(app)
	for _, it := range items {
		if it.at.After(r.h.clk.Now()) {
			r.h.clk.Set(it.at)
		}
		if a := it.act; a != nil {
			switch a.kind {
			case "shutdown":
				r.h.srv.Shutdown()
				continue
			case "down":
				// What the first connection got before Asterisk went.
				r.pre = append(r.pre, r.ev.rawN(r.h.srv.Stats().EventsSent-r.base, 5*time.Second)...)
				r.h.srv.Restart(0)
				r.h.srv.SetBooting(true)
				continue
			case "up":
				r.h.srv.SetBooting(false)
				continue
			case "gone":
				// ascolto went away: its WebSocket closes, Asterisk and
				// the calls go on.
				r.pre = append(r.pre, r.ev.rawN(r.h.srv.Stats().EventsSent-r.base, 5*time.Second)...)
				_ = r.ev.conn.Close()
				deadline := time.Now().Add(2 * time.Second)
				for time.Now().Before(deadline) && r.h.srv.Stats().Connections > 0 {
					time.Sleep(time.Millisecond)
				}
				continue
			case "wsopen":
				r.ev = r.h.connect(app)
				r.base = r.h.srv.Stats().EventsSent
				continue
			}
			if a.kind == "call" {
				f := strings.Split(a.arg, "\x00")
				c := r.h.srv.Call(CallSpec{From: f[0], Name: f[1], To: f[2]})
				r.ids[a.id] = c.ChannelID()
				continue
			}
			if _, ok := r.ids[a.id]; !ok {
				r.ids[a.id] = a.id // a channel ascolto named
			}
			r.act(a)
			continue
		}
		l := it.rest
		path, query := r.subst(l.Request.Path), r.subst(l.Request.Query)
		if b, ok := r.legs[strings.TrimPrefix(l.Request.Path, "/ari/channels/")]; ok && l.Request.Method == "POST" {
			s := r.h.srv
			s.mu.Lock()
			if ep := s.endpoints[parseQuery(l.Request.Query)["endpoint"]]; ep != nil {
				ep.behaviour = b
			}
			s.mu.Unlock()
		}
		pass := "ari"
		if l.Response.Status == http.StatusUnauthorized {
			pass = "wrong" // the wrong password the test gave ascolto
		}
		status, body, ctype := r.send(l.Request.Method, path, query, []byte(r.subst(string(l.Request.Body))), pass)
		want := l.Response.Body
		var str string
		_ = json.Unmarshal(want, &str)
		if m := audioBody.FindStringSubmatch(str); m != nil {
			// A recording's audio, kept as its size and type: the type
			// must match; the size is the simulator's own silence.
			want, _ = json.Marshal("<bytes of " + m[1] + ">")
			body, _ = json.Marshal("<bytes of " + ctype + ">")
		}
		if status < 300 && l.Response.Status < 300 {
			r.learn(l.Response.Body, body)
		}
		exp := l.Request.Method + " " + l.Request.Path + " -> " + strconv.Itoa(l.Response.Status) + " " + r.normalize(json.RawMessage(r.subst(string(want))), r.knownIDs())
		got := l.Request.Method + " " + l.Request.Path + " -> " + strconv.Itoa(status) + " " + r.normalize(body, r.knownIDs())
		if l.Request.Path == "/ari/asterisk/info" {
			exp, got = strconv.Itoa(l.Response.Status), strconv.Itoa(status)
		}
		switch {
		case strings.Contains(l.Request.Path, "/play/"):
			// A race in Asterisk: the answer's snapshot is taken while the
			// playback thread starts, so it says "playing" now and then
			// (1 of 26 in the recordings), "queued" as a rule.
			exp = strings.Replace(exp, `"state":"playing"`, `"state":"queued"`, 1)
		case strings.HasSuffix(l.Request.Path, "/record"):
			// The same race for a recording: "recording" in the e2e
			// recordings, "queued" in record-message.jsonl's two.
			exp = strings.Replace(exp, `"state":"recording"`, `"state":"queued"`, 1)
		}
		r.restExp = append(r.restExp, exp)
		r.restGot = append(r.restGot, got)
	}
	// On to the last thing Asterisk said, for what it did by itself.
	if end := lines[len(lines)-1].TS; end.After(r.h.clk.Now()) {
		r.h.clk.Set(end)
	}
	r.h.clk.Advance(time.Millisecond)
}

// send is one REST request with its JSON body, as ascolto sent it.
func (r *replay) send(method, path, query string, body []byte, pass string) (int, json.RawMessage, string) {
	u := r.h.url + strings.TrimPrefix(path, "/ari")
	if query != "" {
		u += "?" + query
	}
	var rd io.Reader
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		r.t.Fatalf("request: %v", err)
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth("ari", pass)
	// Some answers wait on the simulator's clock, as Asterisk's do on
	// time: addChannel answers once the channel's playback is over, and
	// the simulator's playback may end a few milliseconds after the
	// recorded moment (its lengths are the trace's). While such a request
	// waits, the clock moves on, up to two seconds.
	type answer struct {
		resp *http.Response
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		done <- answer{resp, err}
	}()
	var a answer
	limit := r.h.clk.Now().Add(2 * time.Second)
	for waiting := true; waiting; {
		select {
		case a = <-done:
			waiting = false
		case <-time.After(5 * time.Millisecond):
			if r.h.clk.Now().Before(limit) {
				r.h.clk.Advance(time.Millisecond)
			}
		}
	}
	resp, err := a.resp, a.err
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if len(b) == 0 {
		return resp.StatusCode, nil, resp.Header.Get("Content-Type")
	}
	return resp.StatusCode, json.RawMessage(b), resp.Header.Get("Content-Type")
}

// audioBody is how RecordARI keeps a binary answer.
var audioBody = regexp.MustCompile(`^<\d+ bytes of ([^>]*)>$`)

func TestE2ETraces(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(traceDir, "e2e-*.jsonl"))
	if len(files) == 0 {
		t.Fatal("no e2e traces in " + traceDir)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(strings.TrimPrefix(name, "e2e-"), ".jsonl"), func(t *testing.T) {
			lines := loadTrace(t, name)
			r := newE2EReplay(t, lines)
			r.runE2E(lines[1:])
			r.compare(lines[1:], nil)
		})
	}
}
