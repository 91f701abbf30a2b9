package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/internal/asttest"
	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/store"
	"github.com/gorilla/websocket"
)

// The tests in this file are about what goes out through the carrier
// trunk on a real Asterisk: the on-call call-out, the operations room's
// escalation call, agents' blind transfers and callbacks. The carrier's far
// end is a SIPp on the trunk's contact (asttest.StartCarrier) that answers,
// presses keys, is busy or rings out, per number dialled.

var (
	calledRe  = regexp.MustCompile(`VERBOSE\[(\d+)\] dial\.c: Called (\S+)@trunk`)
	dialledRe = regexp.MustCompile(`VERBOSE\[(\d+)\] dial\.c: (PJSIP/trunk-[0-9a-f]+) (?:is ringing|answered|is busy)`)
)

// outboundHeard lists what Asterisk played on the channels the service
// placed through the trunk, by the number each one called, in order, as
// "lang:file", from full.log: ARI's originate logs "Called NUMBER@trunk"
// and then the channel ringing or answering, from one thread.
func (r *realRig) outboundHeard() map[string][]string {
	r.t.Helper()
	log := r.ast.Log()
	byThread, number := map[string]string{}, map[string]string{}
	for _, l := range strings.Split(log, "\n") {
		if m := calledRe.FindStringSubmatch(l); m != nil {
			byThread[m[1]] = m[2]
		} else if m := dialledRe.FindStringSubmatch(l); m != nil && byThread[m[1]] != "" {
			number[m[2]] = byThread[m[1]]
		}
	}
	out := map[string][]string{}
	for _, m := range playingRe.FindAllStringSubmatch(log, -1) {
		if n := number[m[1]]; n != "" {
			out[n] = append(out[n], m[3]+":"+strings.TrimPrefix(m[2], "ascolto/"))
		}
	}
	return out
}

// outboundCalls lists the records of the calls the service placed.
func (r *realRig) outboundCalls() []store.Call {
	r.t.Helper()
	calls, err := r.db.Calls(context.Background(), store.CallFilter{})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []store.Call
	for _, c := range calls {
		if c.Direction == "outbound" {
			out = append(out, c)
		}
	}
	return out
}

// TestRealAsteriskCallOutDrill: a drill activation phones the two people on
// call through the trunk. Each hears ESERCITAZIONE, then the activation
// message; the first presses 1 and types 25 then # for the minutes to
// arrival, the second presses 2. The activation records one confirmed by
// phone arriving in 25 minutes and one declined, quorum reached, and each
// call's record says whom it phoned and why.
func TestRealAsteriskCallOutDrill(t *testing.T) {
	t.Parallel()
	const coming, notComing = "+393401111111", "+393402222222"
	r := newRealRig(t, rigSpec{Carrier: []asttest.CarrierLine{
		// The message (ESERCITAZIONE and the activation) lasts about 17 s.
		{Number: coming, Keys: "18s:1 6s:25#"},
		{Number: notComing, Keys: "18s:2"},
	}})
	roster := filepath.Join(t.TempDir(), "roster.yaml")
	os.WriteFile(roster, []byte(`quorum: 1
waves: [{name: primary, wait: 5m}]
people:
  - {id: rossi, name: Mario Rossi, phone: "340 111 1111", role: operator, wave: primary}
  - {id: bianchi, name: Anna Bianchi, phone: "340 222 2222", role: operator, wave: primary}
`), 0o600)
	if out, errs, code := cli(t, r.envs, "oncall", "roster", "import", roster); code != 0 {
		t.Fatalf("roster import: %s %s", out, errs)
	}
	out, errs, code := cli(t, r.envs, "emergency", "open", "--exercise", "--event", "Esercitazione alluvione",
		"--requested-by", "DPC", "--reason", "prova del richiamo")
	if code != 0 || !strings.Contains(out, "Chiamata dei reperibili avviata") {
		t.Fatalf("emergency open: %d %s %s", code, out, errs)
	}
	ctx := context.Background()
	acts, err := r.db.Activations(ctx, 1)
	if err != nil || len(acts) != 1 || !acts[0].Exercise {
		t.Fatalf("activations %+v %v", acts, err)
	}
	id := acts[0].ID
	var people []store.ActivationPerson
	r.eventually("both answers recorded", 90*time.Second, func() bool {
		people, err = r.db.ActivationPeople(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, p := range people {
			if p.Status == store.PersonDeclined || p.Status == store.PersonConfirmed && p.ETAMinutes >= 0 {
				n++
			}
		}
		return n == 2
	})
	for _, p := range people {
		switch p.Phone {
		case coming:
			if p.Status != store.PersonConfirmed || p.ETAMinutes != 25 || p.ConfirmedVia != "phone" || p.ConfirmedAt.IsZero() {
				t.Errorf("the person coming: %+v", p)
			}
		case notComing:
			if p.Status != store.PersonDeclined || p.DeclinedAt.IsZero() {
				t.Errorf("the person not coming: %+v", p)
			}
		default:
			t.Errorf("a person nobody put on call: %+v", p)
		}
	}
	r.eventually("the activation at quorum", 30*time.Second, func() bool {
		a, err := r.db.Activation(ctx, id)
		return err == nil && a.State == "quorum"
	})
	// Both calls end (the confirmation and the refusal are thanked, then
	// Asterisk hangs up), each with its record closed.
	var calls []store.Call
	r.eventually("both call records closed", 30*time.Second, func() bool {
		calls = r.outboundCalls()
		n := 0
		for _, c := range calls {
			if !c.EndedAt.IsZero() {
				n++
			}
		}
		return len(calls) == 2 && n == 2
	})
	for _, c := range calls {
		// The service thanks the person and hangs up.
		if c.Outcome != "callout-drill" || c.LinkedID != "activation-"+strconv.FormatInt(id, 10) || c.AnsweredAt.IsZero() ||
			(c.Called != coming && c.Called != notComing) || c.HangupBy != "system" || c.HangupCause != 16 {
			t.Errorf("call record %+v", c)
		}
	}
	heard := r.outboundHeard()
	want := map[string][]string{
		coming:    {"it:callout-esercitazione", "it:callout-attivazione", "it:callout-minuti", "it:callout-confermato"},
		notComing: {"it:callout-esercitazione", "it:callout-attivazione", "it:callout-rifiuto"},
	}
	if len(heard) != 2 {
		t.Errorf("Asterisk played to %d numbers through the trunk, want 2: %v", len(heard), heard)
	}
	for number, w := range want {
		if !slices.Equal(heard[number], w) {
			t.Errorf("%s heard %v, want %v", number, heard[number], w)
		}
	}
	r.noMissingSounds()
}

// TestRealAsteriskEscalationCall: a rescue request waits unacknowledged
// past --opsroom-escalate-after; the service phones the operations room
// (--opsroom-number) through the trunk. The room hears the alert, how many
// are waiting, the request's kind and tracking id, and the request to
// acknowledge, and presses 1: the item's history records the call answered
// and confirmed. Acknowledged, nothing is due any more, and the room was
// phoned once.
func TestRealAsteriskEscalationCall(t *testing.T) {
	t.Parallel()
	const room = "+390668201"
	const user, password = "sala1", "vetro nube gallo ponte"
	var item opsroom.ItemView
	var tid string
	r := newRealRig(t, rigSpec{
		// The message lasts about 30 s; 1 after it, within the 8 s the
		// controller waits.
		Carrier: []asttest.CarrierLine{{Number: room, Keys: "34s:1"}},
		Env:     []string{"ASCOLTO_OPSROOM_NUMBER=" + room, "ASCOLTO_OPSROOM_ESCALATE_AFTER=30s"},
		// The rescue request is forwarded (as the desk does on saving the
		// disposition) before the service starts: the service arms its
		// escalation from the store, as after any restart.
		Before: func(r *realRig) {
			ctx := context.Background()
			if _, err := r.db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			c := store.Case{Channel: store.ChannelPhone, Urgency: store.UrgencyRescue, Summary: "Famiglia sul tetto, acqua al primo piano",
				ContactPhone: "+390862100900"}
			if err := r.db.CreateCase(ctx, &c); err != nil {
				t.Fatal(err)
			}
			tid = c.TrackingID
			// A clock that stands still: this process must not escalate
			// the item itself (Forward arms the escalation of its service).
			svc, err := opsroom.New(opsroom.Options{Store: r.db, Clock: clock.NewFake(time.Now()),
				Config: opsroom.Config{EscalateAfter: 30 * time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			if item, err = svc.Forward(ctx, opsroom.Forward{CaseID: c.ID, By: "rossi"}); err != nil || item.Kind != store.OpsRescue {
				t.Fatalf("forward %+v %v", item, err)
			}
			if out, errs, code := cliIn(t, r.envs, password+"\n", "user", "add", user, "--role", "opsroom", "--password-stdin"); code != 0 {
				t.Fatalf("user add: %s %s", out, errs)
			}
		}})
	ctx := context.Background()
	svc, err := opsroom.New(opsroom.Options{Store: r.db}) // to read the item's history
	if err != nil {
		t.Fatal(err)
	}
	var called map[string]any
	r.eventually("the escalation call recorded", 2*time.Minute, func() bool {
		d, err := svc.Item(ctx, item.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range d.History {
			if h.Kind == "called" {
				called = h.Detail
				return true
			}
		}
		return false
	})
	if called["answered"] != true || called["confirmed"] != true || called["number"] != room || called["error"] != nil {
		t.Errorf("the call as the item's history has it: %v", called)
	}
	// The room acknowledges on the console, as the message asks.
	sala := r.signIn(user, password)
	if code := sala.submit("/opsroom", "/opsroom/items/"+strconv.FormatInt(item.ID, 10)+"/ack", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("acknowledge on the console: %d", code)
	}
	if it, err := r.db.OpsItemByID(ctx, item.ID); err != nil || it.AckedBy != user {
		t.Errorf("after the acknowledgement: %+v %v", it, err)
	}
	if next, err := r.db.NextOpsEscalation(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an escalation is still due at %v (%v)", next, err)
	}
	calls := r.outboundCalls()
	if len(calls) != 1 || calls[0].Outcome != "escalation" || calls[0].Called != room || calls[0].AnsweredAt.IsZero() ||
		calls[0].LinkedID != "opsroom-escalation-"+strconv.FormatInt(item.ID, 10) || calls[0].HangupBy != "system" ||
		calls[0].HangupCause != 16 || calls[0].EndedAt.IsZero() {
		t.Fatalf("outbound calls %+v", calls)
	}
	heard := r.outboundHeard()
	if len(heard) != 1 {
		t.Errorf("Asterisk played to %d numbers through the trunk, want 1: %v", len(heard), heard)
	}
	parts := strings.Split(tid, "-") // CC-2026-000123
	var want []string
	want = append(want, "it:sala-operativa-avviso", "it:digits/1", "it:sala-operativa-in-attesa", "it:sala-operativa-soccorso",
		"it:sala-operativa-pratica")
	for _, ch := range strings.ToLower(parts[0]) {
		want = append(want, "it:letters/"+string(ch))
	}
	for _, d := range parts[1] + parts[2] {
		want = append(want, "it:digits/"+string(d))
	}
	want = append(want, "it:sala-operativa-conferma")
	if !slices.Equal(heard[room], want) {
		t.Errorf("the room heard %v\nwant %v", heard[room], want)
	}
	r.noMissingSounds()
}

// consoleClient is an agent signed in to the console over HTTP with the
// page's WebSocket open, speaking its protocol as console.js does.
type consoleClient struct {
	t       *testing.T
	base    string
	http    *http.Client
	ws      *websocket.Conn
	csrf    string
	seq, id int
	backlog []wsMsg
	batch   []json.RawMessage
}

type wsMsg struct {
	Type string         `json:"type"`
	Key  string         `json:"key"`
	Data map[string]any `json:"data"`
}

// csrfFieldRe is asterisk_console_e2e_test.go's.
var wsMetaRe = regexp.MustCompile(`name="ascolto-ws" content="([^"]+)"`)

// signIn signs user in to the running service's console.
func (r *realRig) signIn(user, password string) *consoleClient {
	r.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &consoleClient{t: r.t, base: r.s.base, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if code := c.submit("/login", "/login", url.Values{"username": {user}, "password": {password}}); code != http.StatusSeeOther {
		r.t.Fatalf("login %s: %d", user, code)
	}
	return c
}

// submit takes a CSRF token from the page from and posts form to action,
// as the page's form would; it returns the status code.
func (c *consoleClient) submit(from, action string, form url.Values) int {
	c.t.Helper()
	m := csrfFieldRe.FindStringSubmatch(c.get(from))
	if m == nil {
		c.t.Fatalf("no csrf token on %s", from)
	}
	form.Set("csrf", m[1])
	resp, err := c.http.PostForm(c.base+action, form)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// openWS opens page's WebSocket, as console.js does.
func (c *consoleClient) openWS(page string) {
	c.t.Helper()
	tok := wsMetaRe.FindStringSubmatch(c.get(page))
	if tok == nil {
		c.t.Fatalf("no websocket token on %s", page)
	}
	u, _ := url.Parse(c.base)
	hdr := http.Header{}
	for _, ck := range c.http.Jar.Cookies(u) {
		hdr.Add("Cookie", ck.Name+"="+ck.Value)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(c.base, "http")+"/ws?t="+url.QueryEscape(tok[1]), hdr)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { ws.Close() })
	c.ws = ws
	hello := c.until("hello", 10*time.Second, nil)
	c.csrf, _ = hello.Data["csrf"].(string)
}

func (c *consoleClient) get(path string) string {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func (c *consoleClient) read(deadline time.Time) (wsMsg, error) {
	var data []byte
	if len(c.batch) > 0 {
		data, c.batch = c.batch[0], c.batch[1:]
	} else {
		c.ws.SetReadDeadline(deadline)
		var err error
		if _, data, err = c.ws.ReadMessage(); err != nil {
			return wsMsg{}, err
		}
		var batch struct {
			Type string
			Data []json.RawMessage
		}
		if json.Unmarshal(data, &batch) == nil && batch.Type == "batch" && len(batch.Data) > 0 {
			data, c.batch = batch.Data[0], batch.Data[1:]
		}
	}
	var m wsMsg
	json.Unmarshal(data, &m)
	return m, nil
}

// until reads until a message of type typ (for which ok holds, if given)
// arrives, within d.
func (c *consoleClient) until(typ string, d time.Duration, ok func(wsMsg) bool) wsMsg {
	c.t.Helper()
	for i, m := range c.backlog {
		if m.Type == typ && (ok == nil || ok(m)) {
			c.backlog = append(c.backlog[:i:i], c.backlog[i+1:]...)
			return m
		}
	}
	deadline := time.Now().Add(d)
	for {
		m, err := c.read(deadline)
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", typ, err)
		}
		if m.Type == typ && (ok == nil || ok(m)) {
			return m
		}
		c.backlog = append(c.backlog, m)
	}
}

// send sends a message and returns the service's reply (ack or error).
func (c *consoleClient) send(typ string, data any) wsMsg {
	c.t.Helper()
	c.seq++
	c.id++
	id := fmt.Sprintf("t%d", c.id)
	if err := c.ws.WriteJSON(map[string]any{"type": typ, "seq": c.seq, "csrf": c.csrf, "id": id, "data": data}); err != nil {
		c.t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		m, err := c.read(deadline)
		if err != nil {
			c.t.Fatalf("waiting for the reply to %s: %v", typ, err)
		}
		if (m.Type == "ack" || m.Type == "error") && m.Key == id {
			return m
		}
		c.backlog = append(c.backlog, m)
	}
}

// rescueQueueFlow sends every caller straight to the rescue queue, the
// one rigSpec.Queue configures.
const rescueQueueFlow = "name: coda\nstart: coda\nnodes:\n  coda:\n    kind: queue\n    queue: soccorso\n"

// connected waits until the caller's call is connected to an agent for
// the n-th time (the queue log's CONNECT), and returns its record.
func (r *realRig) connected(caller string, n int) store.Call {
	r.t.Helper()
	var c store.Call
	r.eventually(fmt.Sprintf("the caller %s talking with an agent (%d)", caller, n), 60*time.Second, func() bool {
		calls, err := r.db.Calls(context.Background(), store.CallFilter{Caller: &caller})
		if err != nil || len(calls) != 1 || !calls[0].EndedAt.IsZero() {
			return false
		}
		c = calls[0]
		evs, err := r.db.QueueEvents(context.Background(), store.QueueEventFilter{CallID: &c.ChannelID})
		if err != nil {
			return false
		}
		connects := 0
		for _, e := range evs {
			if e.Event == "CONNECT" {
				connects++
			}
		}
		return connects >= n
	})
	return c
}

// TestRealAsteriskBlindTransfer: an agent blind-transfers callers from the
// console to outside numbers through the trunk. A number that answers
// takes the call, and the caller's record says transferred; a number that
// is busy (486) or rings out (the dialplan's 60 s) does not, and the
// caller is told, goes back to the head of the queue and reaches the agent
// again, who is told the transfer failed and why.
func TestRealAsteriskBlindTransfer(t *testing.T) {
	t.Parallel()
	const answers, busy, ringsOut = "+390862555001", "+390862555002", "+390862555003"
	const user, password = "op2501", "rondine tegola salvia faro"
	r := newRealRig(t, rigSpec{Flow: rescueQueueFlow, Queue: []string{"--wrapup", "0s"},
		Phones: &asttest.PhoneSpec{Ring: 300 * time.Millisecond}, Seats: []string{"2501"},
		Carrier: []asttest.CarrierLine{{Number: answers, HangUpAfter: 4 * time.Second}, {Number: busy, Busy: true},
			{Number: ringsOut, NoAnswer: true}},
		Before: func(r *realRig) {
			if out, errs, code := cliIn(t, r.envs, password+"\n", "user", "add", user, "--role", "agent", "--password-stdin"); code != 0 {
				t.Fatalf("user add: %s %s", out, errs)
			}
			if out, errs, code := cli(t, r.envs, "agent", "add", "2501", "--user", user, "--wait", "0s"); code != 0 {
				t.Fatalf("agent add --user: %s %s", out, errs)
			}
		}})
	agent := r.signIn(user, password)
	agent.openWS("/agent")
	offered := func(caller string, n int) store.Call {
		t.Helper()
		agent.until("call.offered", 60*time.Second, func(m wsMsg) bool { return m.Data["caller"] == caller })
		return r.connected(caller, n)
	}
	transfer := func(to string) {
		t.Helper()
		if m := agent.send("agent.call", map[string]any{"action": "transfer", "target": to}); m.Type != "ack" {
			t.Fatalf("transfer to %s refused: %v", to, m.Data)
		}
	}

	t.Run("answered", func(t *testing.T) {
		from := "+390862560001"
		caller := r.ast.Call(t, asttest.CallSpec{From: from, Wait: 2 * time.Minute})
		talking := offered(from, 1)
		r.eventually("two seconds of talk", 10*time.Second, func() bool { return time.Since(talking.ConnectedAt) > 2*time.Second })
		transfer(answers)
		caller.Wait(time.Minute) // the number answers, talks 4 s and hangs up
		rec := r.record(from)
		if rec.Outcome != "transferred" || rec.Agent != "2501" || rec.Queue != "soccorso" || rec.TalkS < 2 || rec.HangupCause != 16 {
			t.Errorf("record %+v", rec)
		}
		if got := r.heard(from); slices.Contains(got, "it:trasferimento-non-riuscito-attesa") {
			t.Errorf("a transfer that worked was told it failed: %v", got)
		}
	})
	for _, c := range []struct{ name, from, to, status string }{
		{"busy", "+390862560002", busy, "BUSY"},
		{"no answer", "+390862560003", ringsOut, "NOANSWER"},
	} {
		t.Run(c.name, func(t *testing.T) {
			caller := r.ast.Call(t, asttest.CallSpec{From: c.from, Wait: 3 * time.Minute})
			offered(c.from, 1)
			transfer(c.to)
			m := agent.until("transfer.refused", 90*time.Second, func(m wsMsg) bool { return m.Data["caller"] == c.from })
			if m.Data["number"] != c.to || m.Data["status"] != c.status || m.Data["queue"] != "soccorso" {
				t.Errorf("the agent is told %v", m.Data)
			}
			// Back at the head of the queue, the caller reaches the agent again.
			again := offered(c.from, 2)
			r.eventually("two seconds of talk", 10*time.Second, func() bool { return time.Since(again.ConnectedAt) > 2*time.Second })
			if m := agent.send("agent.call", map[string]any{"action": "hangup"}); m.Type != "ack" {
				t.Fatalf("hang-up refused: %v", m.Data)
			}
			caller.Wait(time.Minute)
			rec := r.record(c.from)
			if rec.Outcome != "answered" || rec.Agent != "2501" || rec.HangupBy != "agent" || rec.Queue != "soccorso" || rec.TalkS < 2 {
				t.Errorf("record %+v", rec)
			}
			if got := r.heard(c.from); !slices.Contains(got, "it:trasferimento-non-riuscito-attesa") {
				t.Errorf("the caller was not told the transfer failed: %v", got)
			}
		})
	}
	r.noMissingSounds()
}

// TestRealAsteriskCallback: no agent is available; after the queue's
// maximum wait the caller is offered a callback, presses 1, is told and
// hung up on. When an agent logs in, the service calls the citizen back
// through the trunk, greets them, rings the agent and connects the two.
// The caller's record says a callback was requested; the callback's own
// record says whom it called, that the citizen answered and which agent
// took it.
func TestRealAsteriskCallback(t *testing.T) {
	t.Parallel()
	const from = "+390862570001"
	r := newRealRig(t, rigSpec{Flow: rescueQueueFlow, LoggedOut: true,
		Queue: []string{"--max-wait", "10s", "--overflow", "callback", "--callback-attempts", "2", "--wrapup", "0s"},
		// The agent talks 4 s with the citizen called back, then hangs up.
		Phones: &asttest.PhoneSpec{Ring: 300 * time.Millisecond, Talk: 4 * time.Second}, Seats: []string{"2601"},
		Carrier: []asttest.CarrierLine{{Number: from}}})
	// The offer comes after 10 s in the queue and lasts about 9 s; the
	// caller presses 1 once it has been said.
	r.ast.Call(t, asttest.CallSpec{From: from, Keys: "22s:1", Wait: time.Minute}).Wait(2 * time.Minute)
	rec := r.record(from)
	if rec.Outcome != "callback-requested" || rec.Queue != "soccorso" || rec.HangupBy != "system" {
		t.Errorf("the caller's record %+v", rec)
	}
	if got := r.heard(from); !inOrder(got, []string{"it:richiamata-offerta", "it:richiamata-confermata"}) {
		t.Errorf("the caller heard %v", got)
	}
	if calls := r.outboundCalls(); len(calls) != 0 {
		t.Fatalf("a callback placed with no agent free: %+v", calls)
	}
	r.login("2601")
	var cb store.Call
	r.eventually("the callback's record closed", 90*time.Second, func() bool {
		for _, c := range r.outboundCalls() {
			if c.Called == from && !c.EndedAt.IsZero() && (c.ConnectedAt.IsZero() || c.TalkS > 0) {
				cb = c
				return true
			}
		}
		return false
	})
	if cb.Outcome != "callback" || cb.Agent != "2601" || cb.AnsweredAt.IsZero() || cb.ConnectedAt.IsZero() || cb.TalkS < 3 ||
		cb.HangupBy != "agent" || cb.LinkedID != rec.ChannelID {
		t.Errorf("the callback's record %+v", cb)
	}
	if got := r.outboundHeard()[from]; len(got) == 0 || got[0] != "it:richiamata-saluto" {
		t.Errorf("the citizen called back heard %v", got)
	}
	r.noMissingSounds()
}
