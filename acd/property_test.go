package acd

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestRandomSequences drives the engine with thousands of random event
// sequences and checks the ACD's invariants after every event, from two sides:
// the decision stream as the controller sees it, and a brute-force scan of
// the engine's state that does not trust its indexes.
func TestRandomSequences(t *testing.T) {
	sequences, steps := 2000, 150
	if testing.Short() {
		sequences = 200
	}
	for seed := range sequences {
		if !runSequence(t, uint64(seed), steps) {
			return
		}
	}
}

// world is the random configuration of one sequence.
func world(r *rand.Rand) State {
	strategies := []Strategy{LongestIdle, RoundRobin, RingAll, FewestCalls, Random}
	var agents []Agent
	for i := range 8 {
		site := "AQ"
		if i >= 5 {
			site = "RM"
		}
		agents = append(agents, Agent{ID: fmt.Sprintf("a%d", i), Site: site})
	}
	q := func(name, site string) Queue {
		cfg := Queue{Name: name, Site: site, Strategy: strategies[r.IntN(len(strategies))],
			RingTimeout: time.Duration(5+r.IntN(20)) * time.Second, WrapUp: time.Duration(r.IntN(3)*10) * time.Second,
			AnnounceEvery: time.Duration(r.IntN(2)*45) * time.Second, ExpectedHandle: 2 * time.Minute}
		if r.IntN(2) == 0 {
			cfg.Callback = CallbackPolicy{Attempts: 1 + r.IntN(3), Interval: time.Minute, DialTimeout: 20 * time.Second}
		}
		for _, a := range agents {
			if r.IntN(2) == 0 {
				cfg.Members = append(cfg.Members, Member{Agent: a.ID, Penalty: r.IntN(3), Level: r.IntN(4), EmergencyOnly: r.IntN(6) == 0})
			}
		}
		return cfg
	}
	national := q("national", "IT")
	aquila := q("aquila", "AQ")
	aquila.MaxWait, aquila.MaxLen = time.Duration(30+r.IntN(90))*time.Second, r.IntN(5)
	aquila.Overflow = Target{Kind: TargetQueue, Queue: "national"}
	roma := q("roma", "RM")
	roma.MaxWait, roma.MaxLen = time.Duration(30+r.IntN(90))*time.Second, r.IntN(4)
	roma.Overflow = Target{Kind: TargetReport}
	if roma.Callback.Attempts > 0 && r.IntN(2) == 0 {
		roma.Overflow = Target{Kind: TargetCallback}
	}
	return State{At: t0, Queues: []Queue{national, aquila, roma}, Agents: agents}
}

// observer keeps what the controller knows from the decisions.
type observer struct {
	t        *testing.T
	seed     uint64
	step     int
	ringAll  map[string]bool            // queue → strategy is ring all (as configured by the test)
	rings    map[string]map[string]bool // call → agents ringing
	conn     map[string]string          // call → connected agent
	reserved map[string]string          // call → agent reserved for its callback
	shown    map[string]AgentChanged    // agent → last published state
	reach    map[string]bool            // agent → phone reachable, as the test told the engine
	arrived  map[string]time.Time       // call → first entry
	finals   map[string]int             // call → final records seen
	known    map[string]bool            // calls the test created
	failed   bool
}

func (o *observer) fail(format string, args ...any) {
	if !o.failed {
		o.t.Errorf("seed %d step %d: %s", o.seed, o.step, fmt.Sprintf(format, args...))
	}
	o.failed = true
}

// see checks one Handle's decisions against what the controller knew before.
func (o *observer) see(out []Decision) {
	for _, d := range out {
		switch d := d.(type) {
		case Ring:
			s := o.shown[d.Agent]
			if o.reserved[d.Call] == d.Agent {
				delete(o.reserved, d.Call)
			} else if s.State != Available || s.Paused || !s.Reachable {
				o.fail("rang %s for %s while it showed %+v", d.Agent, d.Call, s)
			}
			if !o.reach[d.Agent] {
				o.fail("rang %s whose phone the controller reported unreachable", d.Agent)
			}
			if _, ok := o.conn[d.Call]; ok {
				o.fail("rang %s for %s, which is connected", d.Agent, d.Call)
			}
			if o.finals[d.Call] > 0 {
				o.fail("rang %s for %s, which has ended", d.Agent, d.Call)
			}
			if o.rings[d.Call] == nil {
				o.rings[d.Call] = map[string]bool{}
			}
			o.rings[d.Call][d.Agent] = true
			if len(o.rings[d.Call]) > 1 && !o.ringAll[d.Queue] {
				o.fail("call %s offered to %d agents at once in %s", d.Call, len(o.rings[d.Call]), d.Queue)
			}
			for c, as := range o.rings {
				if c != d.Call && as[d.Agent] {
					o.fail("agent %s rung for %s while ringing for %s", d.Agent, d.Call, c)
				}
			}
		case StopRinging:
			if !o.rings[d.Call][d.Agent] {
				o.fail("stop ringing %s for %s, which was not ringing", d.Agent, d.Call)
			}
			delete(o.rings[d.Call], d.Agent)
		case Bridge:
			if !o.rings[d.Call][d.Agent] {
				o.fail("bridged %s with %s, which was not ringing it", d.Call, d.Agent)
			}
			if _, ok := o.conn[d.Call]; ok {
				o.fail("bridged %s a second time", d.Call)
			}
			for c, a := range o.conn {
				if a == d.Agent {
					o.fail("agent %s bridged to %s while connected to %s", d.Agent, d.Call, c)
				}
			}
			delete(o.rings[d.Call], d.Agent)
			if len(o.rings[d.Call]) > 0 {
				o.fail("call %s bridged while still ringing %v", d.Call, o.rings[d.Call])
			}
			o.conn[d.Call] = d.Agent
		case DialCallback:
			s := o.shown[d.Agent]
			if s.State != Available || s.Paused || !s.Reachable || !o.reach[d.Agent] {
				o.fail("reserved %s for %s while it showed %+v", d.Agent, d.Call, s)
			}
			o.reserved[d.Call] = d.Agent
		case AgentChanged:
			o.shown[d.Agent] = d
		case Record:
			o.record(d)
		}
	}
}

func (o *observer) record(r Record) {
	if r.Call == "" {
		return
	}
	if r.Event == LogWrapUpEnd {
		return // the agent's record about a call that may have ended
	}
	if o.finals[r.Call] > 0 {
		o.fail("record %s for %s after its final record", r.Event, r.Call)
	}
	if r.Event == LogEnterQueue || r.Event == LogFull {
		if _, ok := o.arrived[r.Call]; !ok {
			o.arrived[r.Call] = r.Time
		}
	}
	if at, ok := o.arrived[r.Call]; ok {
		if sum := r.Wait + r.Ring + r.Talk + r.Hold; sum != r.Time.Sub(at) {
			o.fail("%s of %s accounts %v (w %v r %v t %v h %v) of a %v life", r.Event, r.Call, sum, r.Wait, r.Ring, r.Talk, r.Hold, r.Time.Sub(at))
		}
	} else {
		o.fail("record %s for %s before it entered", r.Event, r.Call)
	}
	switch r.Event {
	case LogCompleteAgent, LogCompleteCaller, LogTransfer:
		delete(o.conn, r.Call)
	case LogCallbackRetry, LogCallbackFailed:
		delete(o.reserved, r.Call)
	}
	if r.Final {
		o.finals[r.Call]++
		if len(o.rings[r.Call]) > 0 {
			o.fail("call %s ended while ringing %v", r.Call, o.rings[r.Call])
		}
		delete(o.conn, r.Call)
		delete(o.reserved, r.Call)
	}
}

// betterForAgent is the test's own statement of the order an agent serves
// calls in: rescue, then its penalty in the call's queue, then priority, then
// arrival (ordering time), then first come.
func betterForAgent(c *call, pc int, d *call, pd int) bool {
	if c.rescue != d.rescue {
		return c.rescue
	}
	if pc != pd {
		return pc < pd
	}
	if c.priority != d.priority {
		return c.priority > d.priority
	}
	if !c.since.Equal(d.since) {
		return c.since.Before(d.since)
	}
	return c.seq < d.seq
}

// canTake says, from first principles, whether agent a may be offered calls of queue q now.
func canTake(e *Engine, a *agent, q *queue) (int, int, bool) {
	if !a.loggedIn || a.paused || !a.reachable || a.activity != idle {
		return 0, 0, false
	}
	for _, m := range a.members {
		if m.q == q && (!m.emergencyOnly || e.emergency) {
			return m.penalty, m.level, true
		}
	}
	return 0, 0, false
}

func waitingForAgent(c *call) bool { return c.state == CallWaiting || c.state == CallCallbackWaiting }

// checkDispatch runs before every offer or reservation.
func (o *observer) checkDispatch(e *Engine, c *call, to []*agent) {
	if c.state == CallCallbackDialing {
		return // ringing the agent held for this callback
	}
	if !waitingForAgent(c) {
		o.fail("dispatching %s in state %v", c.id, c.state)
	}
	for _, a := range to {
		pc, lvl, ok := canTake(e, a, c.q)
		if !ok {
			o.fail("offering %s to %s, who cannot take calls of %s", c.id, a.id, c.q.cfg.Name)
			continue
		}
		if lvl < c.minLevel {
			o.fail("offering %s (level %d) to %s (level %d)", c.id, c.minLevel, a.id, lvl)
		}
		for _, d := range e.calls {
			if d == c || !waitingForAgent(d) {
				continue
			}
			pd, ld, ok := canTake(e, a, d.q)
			if !ok || ld < d.minLevel {
				continue
			}
			if betterForAgent(d, pd, c, pc) {
				o.fail("offering %s (rescue %v prio %d) to %s while %s (rescue %v prio %d, queue %s) waits ahead for it",
					c.id, c.rescue, c.priority, a.id, d.id, d.rescue, d.priority, d.q.cfg.Name)
			}
		}
	}
}

// checkState scans the engine after an event.
func (o *observer) checkState(e *Engine) {
	// Work-conserving: no agent that could take a waiting call is left available.
	for _, a := range e.agents {
		for _, c := range e.calls {
			if !waitingForAgent(c) {
				continue
			}
			if _, lvl, ok := canTake(e, a, c.q); ok && lvl >= c.minLevel {
				o.fail("agent %s available while %s waits in %s", a.id, c.id, c.q.cfg.Name)
				return
			}
		}
	}
	live := map[*queue]int{}
	cbs := map[*queue]int{}
	listed := map[*queue]int{}
	for id, c := range e.calls {
		t := e.totals(c)
		if sum := t[0] + t[1] + t[2] + t[3]; sum != e.now.Sub(c.arrived) {
			o.fail("call %s accounts %v of %v", id, sum, e.now.Sub(c.arrived))
		}
		// A rescue call is never behind a lower-priority call of its queue.
		if c.list != nil && !c.rescue {
			for _, d := range e.calls {
				if d.q == c.q && d.rescue && d.list != nil && c.q.position(c) < c.q.position(d) {
					o.fail("rescue call %s behind %s in %s", d.id, c.id, c.q.cfg.Name)
				}
			}
		}
		want := segWait
		switch c.state {
		case CallRinging:
			want = segRing
		case CallConnected:
			want = segTalk
			if c.onHold {
				want = segHold
			}
		}
		if c.seg != want {
			o.fail("call %s in state %v (hold %v) accounts its time to segment %d", id, c.state, c.onHold, c.seg)
		}
		if c.isLive {
			live[c.q]++
		}
		if c.isCB {
			cbs[c.q]++
		}
		if c.list != nil {
			listed[c.q]++
		}
		if (c.list != nil) != waitingForAgent(c) {
			o.fail("call %s in state %v listed=%v", id, c.state, c.list != nil)
		}
		switch c.state {
		case CallRinging:
			if len(c.offers) == 0 {
				o.fail("call %s ringing nobody", id)
			}
			for _, a := range c.offers {
				if a.call != c || a.activity != ringing {
					o.fail("call %s offered to %s, who is busy with something else", id, a.id)
				}
			}
		case CallConnected:
			if c.agent == nil || c.agent.call != c || c.agent.activity != onCall {
				o.fail("call %s connected to an agent who does not know it", id)
			}
		}
	}
	for _, a := range e.agents {
		if a.call != nil && e.calls[a.call.id] != a.call {
			o.fail("agent %s holds ended call %s", a.id, a.call.id)
		}
		if (a.call == nil) != (a.activity == idle || a.activity == wrappingUp) {
			o.fail("agent %s activity %d with call %v", a.id, a.activity, a.call != nil)
		}
	}
	for _, q := range e.queues {
		if q.live != live[q] || q.callbacks != cbs[q] || q.queued() != listed[q] || q.waiting.len() != q.live {
			o.fail("queue %s counts live %d/%d callbacks %d/%d listed %d/%d", q.cfg.Name, q.live, live[q], q.callbacks, cbs[q], q.queued(), listed[q])
		}
		staffed, avail := 0, 0
		for _, m := range q.members {
			if e.active(m) {
				staffed++
				if m.a.activity == idle {
					avail++
				}
			}
		}
		if staffed != q.staffed || avail != len(q.avail) {
			o.fail("queue %s staffed %d/%d available %d/%d", q.cfg.Name, q.staffed, staffed, len(q.avail), avail)
		}
		if !slices.IsSortedFunc(q.avail, q.compareMembers) {
			o.fail("queue %s available members out of order", q.cfg.Name)
		}
	}
}

func runSequence(t *testing.T, seed uint64, steps int) bool {
	r := rand.New(rand.NewPCG(seed, 0xacd))
	st := world(r)
	o := &observer{t: t, seed: seed, ringAll: map[string]bool{}, rings: map[string]map[string]bool{}, conn: map[string]string{},
		reserved: map[string]string{}, shown: map[string]AgentChanged{}, reach: map[string]bool{},
		arrived: map[string]time.Time{}, finals: map[string]int{}, known: map[string]bool{}}
	for _, q := range st.Queues {
		o.ringAll[q.Name] = q.Strategy == RingAll
	}
	for _, a := range st.Agents {
		o.reach[a.ID] = true
		o.shown[a.ID] = AgentChanged{Agent: a.ID, State: LoggedOut, Reachable: true}
	}
	e, out, err := New(st, WithRand(rand.New(rand.NewPCG(seed, 1))))
	if err != nil {
		t.Fatalf("seed %d: New: %v", seed, err)
	}
	e.onDispatch = func(c *call, to []*agent) { o.checkDispatch(e, c, to) }
	o.see(out)
	now := t0
	nextCall := 0
	agentIDs := make([]string, len(st.Agents))
	for i, a := range st.Agents {
		agentIDs[i] = a.ID
	}
	queueNames := []string{"national", "aquila", "roma", "nowhere"}
	pickCall := func() string {
		if len(o.known) == 0 || r.IntN(20) == 0 {
			return fmt.Sprintf("x%d", r.IntN(5))
		}
		ids := make([]string, 0, len(o.known))
		for id := range o.known {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids[r.IntN(len(ids))]
	}
	pickRinging := func() (string, string) {
		var pairs [][2]string
		for c, as := range o.rings {
			for a := range as {
				pairs = append(pairs, [2]string{c, a})
			}
		}
		if len(pairs) == 0 {
			return pickCall(), agentIDs[r.IntN(len(agentIDs))]
		}
		slices.SortFunc(pairs, func(x, y [2]string) int {
			if x[0] != y[0] {
				if x[0] < y[0] {
					return -1
				}
				return 1
			}
			if x[1] < y[1] {
				return -1
			}
			return 1
		})
		p := pairs[r.IntN(len(pairs))]
		return p[0], p[1]
	}
	pickFrom := func(m map[string]string) string {
		keys := sortedKeys(m)
		if len(keys) == 0 {
			return pickCall()
		}
		return keys[r.IntN(len(keys))]
	}
	agentID := func() string { return agentIDs[r.IntN(len(agentIDs))] }

	for step := range steps {
		o.step = step
		switch x := r.IntN(10); {
		case x < 4:
			// most events are simultaneous or close
		case x < 9:
			now = now.Add(time.Duration(r.IntN(20_000)) * time.Millisecond)
		default:
			now = now.Add(time.Duration(r.IntN(180)) * time.Second)
		}
		var ev Event
		switch k := r.IntN(100); {
		case k < 22:
			nextCall++
			id := fmt.Sprintf("c%d", nextCall)
			o.known[id] = true
			lvl := 0
			if r.IntN(2) == 0 {
				lvl = r.IntN(5)
			}
			ev = Arrive{At: now, Call: id, Queue: queueNames[r.IntN(len(queueNames)-1+btoi(r.IntN(30) == 0))],
				Priority: r.IntN(4), Rescue: r.IntN(12) == 0, MinLevel: lvl}
		case k < 36:
			c, a := pickRinging()
			ev = Answer{At: now, Call: c, Agent: a}
		case k < 41:
			c, a := pickRinging()
			ev = RingFailed{At: now, Call: c, Agent: a, Reason: RingFailure(r.IntN(4))}
		case k < 49:
			ev = Hangup{At: now, Call: pickCall(), By: Party(r.IntN(2))}
		case k < 53:
			ev = Hangup{At: now, Call: pickFrom(o.conn), By: Party(r.IntN(2))}
		case k < 56:
			ev = Hold{At: now, Call: pickFrom(o.conn)}
		case k < 59:
			ev = Unhold{At: now, Call: pickFrom(o.conn)}
		case k < 62:
			tr := Transfer{At: now, Call: pickFrom(o.conn)}
			if r.IntN(2) == 0 {
				tr.Queue = queueNames[r.IntN(3)]
			} else {
				tr.Destination = "112"
			}
			ev = tr
		case k < 66:
			ev = RequestCallback{At: now, Call: pickCall(), Number: "0862000000"}
		case k < 69:
			ev = CallbackAnswered{At: now, Call: pickFrom(o.reserved)}
		case k < 71:
			ev = CallbackFailed{At: now, Call: pickFrom(o.reserved), Reason: "busy"}
		case k < 76:
			ev = Login{At: now, Agent: agentID(), Unreachable: r.IntN(10) == 0}
		case k < 78:
			ev = Logout{At: now, Agent: agentID()}
		case k < 80:
			ev = Pause{At: now, Agent: agentID(), Reason: "break"}
		case k < 84:
			ev = Unpause{At: now, Agent: agentID()}
		case k < 87:
			ev = DeviceState{At: now, Agent: agentID(), Reachable: r.IntN(3) != 0}
		case k < 90:
			ev = DispositionSaved{At: now, Agent: agentID()}
		case k < 91:
			ev = SetEmergency{At: now, On: r.IntN(2) == 0}
		case k < 92:
			cfg := st.Queues[r.IntN(len(st.Queues))]
			cfg.Strategy = []Strategy{LongestIdle, RoundRobin, RingAll, FewestCalls, Random}[r.IntN(5)]
			ev = UpdateQueue{At: now, Queue: cfg}
		case k < 93:
			ev = AddMember{At: now, Queue: queueNames[r.IntN(3)], Member: Member{Agent: agentID(), Level: r.IntN(5), Penalty: r.IntN(3)}}
		case k < 94:
			ev = RemoveMember{At: now, Queue: queueNames[r.IntN(3)], Agent: agentID()}
		case k < 95:
			if _, ok := e.queues["roma"]; ok {
				ev = RemoveQueue{At: now, Name: "roma", MoveTo: queueNames[r.IntN(2)]}
			} else {
				ev = AddQueue{At: now, Queue: st.Queues[2]}
			}
		case k < 97:
			if e = o.restart(e, now); e == nil {
				return false
			}
			continue
		default:
			ev = Tick{At: now}
		}
		if !o.apply(e, ev) {
			return false
		}
	}
	// Drain: an agent able to take anything, and time enough for every call to end.
	o.step = steps
	drain := []Event{AddAgent{At: now, Agent: Agent{ID: "drain", Site: "IT"}}}
	for _, q := range []string{"national", "aquila", "roma"} {
		drain = append(drain, AddMember{At: now, Queue: q, Member: Member{Agent: "drain", Level: MaxLevel}})
	}
	o.reach["drain"] = true
	o.shown["drain"] = AgentChanged{Agent: "drain", State: LoggedOut, Reachable: true}
	drain = append(drain, Login{At: now, Agent: "drain"})
	for _, ev := range drain {
		if !o.apply(e, ev) {
			return false
		}
	}
	for i := 0; len(e.calls) > 0; i++ {
		if i > 5000 {
			for _, id := range sortedKeys(e.calls) {
				c := e.calls[id]
				t.Logf("left: %s %v q=%s cb=%v agent=%v", id, c.state, c.q.cfg.Name, c.isCB, c.agent != nil)
			}
			d := e.agents["drain"]
			t.Logf("drain: %v act %d paused %v", d.state(), d.activity, d.paused)
			t.Errorf("seed %d: %d calls never ended", seed, len(e.calls))
			return false
		}
		now = now.Add(time.Second)
		var ev Event = Tick{At: now.Add(5 * time.Minute)}
		if d := e.agents["drain"]; d.paused {
			ev = Unpause{At: now, Agent: "drain"}
		} else {
			for _, id := range sortedKeys(e.calls) {
				c := e.calls[id]
				switch c.state {
				case CallWaiting:
					ev = Hangup{At: now, Call: c.id}
				case CallRinging:
					ev = Answer{At: now, Call: c.id, Agent: c.offers[0].id}
				case CallConnected:
					ev = Hangup{At: now, Call: c.id, By: ByAgent}
				case CallCallbackDialing:
					ev = CallbackFailed{At: now, Call: c.id, Reason: "drain"}
				default:
					continue
				}
				break
			}
		}
		if t, ok := ev.(Tick); ok {
			now = t.At
		}
		if !o.apply(e, ev) {
			return false
		}
	}
	for id := range o.known {
		if _, ok := o.arrived[id]; ok && o.finals[id] != 1 {
			t.Errorf("seed %d: call %s ended with %d final records", seed, id, o.finals[id])
			return false
		}
	}
	return !o.failed
}

// restart rebuilds the engine from its State, as the controller does after a
// crash: rings and callback dials of the old process are gone.
func (o *observer) restart(e *Engine, now time.Time) *Engine {
	out, err := e.Handle(Tick{At: now})
	if err != nil {
		o.fail("tick: %v", err)
	}
	o.see(out)
	st := e.State()
	e2, out, err := New(st, WithRand(rand.New(rand.NewPCG(o.seed, uint64(o.step)))))
	if err != nil {
		o.fail("restart: %v", err)
		return nil
	}
	e2.onDispatch = func(c *call, to []*agent) { o.checkDispatch(e2, c, to) }
	clear(o.rings)
	clear(o.reserved)
	o.see(out)
	o.checkState(e2)
	if o.failed {
		return nil
	}
	return e2
}

// apply handles one event and checks everything; it reports whether to go on.
func (o *observer) apply(e *Engine, ev Event) bool {
	// Flush the timers first, so a rejected event can be shown to change nothing.
	out, err := e.Handle(Tick{At: ev.when()})
	if err != nil {
		o.fail("tick: %v", err)
	}
	o.see(out)
	o.checkState(e)
	before := e.State()
	out, err = e.Handle(ev)
	if err == nil {
		switch v := ev.(type) {
		case DeviceState:
			o.reach[v.Agent] = v.Reachable
		case Login:
			o.reach[v.Agent] = !v.Unreachable
		case RingFailed:
			if v.Reason == Unreachable {
				o.reach[v.Agent] = false
			}
		case UpdateQueue:
			o.ringAll[v.Queue.Name] = v.Queue.Strategy == RingAll
		}
	}
	o.see(out)
	if err != nil {
		if !isSentinel(err) {
			o.fail("%T: error %v wraps none of the package's errors", ev, err)
		}
		if len(out) > 0 {
			o.fail("%T rejected (%v) but decided %s", ev, err, describe(out))
		}
		if after := e.State(); !reflect.DeepEqual(after, before) {
			o.fail("%T rejected (%v) but the state changed", ev, err)
		}
	}
	o.checkState(e)
	return !o.failed
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrInvalidEvent, ErrInvalidConfig, ErrUnknownQueue, ErrUnknownAgent, ErrUnknownCall,
		ErrExists, ErrWrongState, ErrAgentBusy, ErrQueueInUse, ErrCallbackDisabled} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
