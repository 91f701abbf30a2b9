package ari

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/acd"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// recorder writes what the ACD decided to the store, off the actor's
// goroutine: queue-log records and the ACD's accounting on call records
// (each flush in one transaction apiece), agents' states as people set
// them, and the live snapshot. A failed write is retried item by item,
// then logged and counted — never silently dropped.
type recorder struct {
	ctl    *Controller
	mu     sync.Mutex
	events []store.QueueEvent
	accts  []store.CallACDUpdate
	states []agentState
	snap   *LiveSnapshot
	wake   chan struct{}
}

type agentState struct {
	ext, reason, actor string
	loggedIn, paused   bool
}

func newRecorder(ctl *Controller) *recorder {
	return &recorder{ctl: ctl, wake: make(chan struct{}, 1)}
}

func (w *recorder) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// add queues one queue-log record and the call accounting it carries,
// for the record of channel (the ACD's call, or a callback's leg).
func (w *recorder) add(r acd.Record, channel string) {
	secs := func(d time.Duration) int { return int((d + time.Second/2) / time.Second) }
	var acct *store.CallACD
	switch {
	case r.Event == acd.LogConnect || r.Event == acd.LogCallbackConnected:
		acct = &store.CallACD{Queue: r.Queue, Agent: r.Agent, ConnectedAt: r.Time, WaitS: secs(r.Wait), RingS: secs(r.Ring)}
	case r.Final:
		acct = &store.CallACD{Queue: r.Queue, Agent: r.Agent, WaitS: secs(r.Wait), RingS: secs(r.Ring), TalkS: secs(r.Talk), HoldS: secs(r.Hold)}
	case r.Event == acd.LogWrapUpEnd && r.Call != "":
		acct = &store.CallACD{WrapupS: secs(r.WrapUp)}
	}
	w.mu.Lock()
	w.events = append(w.events, queueEvent(r))
	if acct != nil && channel != "" {
		w.accts = append(w.accts, store.CallACDUpdate{ChannelID: channel, CallACD: *acct})
	}
	w.mu.Unlock()
	w.poke()
}

// agentState keeps a person's login/pause so a restart restores it.
func (w *recorder) agentState(ext string, loggedIn, paused bool, reason, actor string) {
	w.mu.Lock()
	w.states = append(w.states, agentState{ext: ext, loggedIn: loggedIn, paused: paused, reason: reason, actor: actor})
	w.mu.Unlock()
	w.poke()
}

// snapshot keeps the latest picture for other processes; only the newest is written.
func (w *recorder) snapshot(s LiveSnapshot) {
	w.mu.Lock()
	w.snap = &s
	w.mu.Unlock()
	w.poke()
}

// run writes until stop is closed, then writes what is left and returns.
// Its lifetime is not the controller's context: Controller.Run closes stop
// only after the actor and every call goroutine have ended, so what they
// decided on the way out is written too, and no write in flight is cut
// short by the shutdown (records were lost that way).
func (w *recorder) run(stop <-chan struct{}) {
	ctx := context.Background()
	for {
		select {
		case <-stop:
			// A database that does not answer must not hold the shutdown
			// for ever: what is left gets half a minute, then is logged.
			last, cancel := context.WithTimeout(ctx, 30*time.Second)
			w.flush(last)
			cancel()
			return
		case <-w.wake:
		}
		// Nobody waits for these writes: the group commit may gather
		// them with others (store.Lazy).
		w.flush(store.Lazy(ctx))
	}
}

func (w *recorder) flush(ctx context.Context) {
	for {
		w.mu.Lock()
		events, accts, states, snap := w.events, w.accts, w.states, w.snap
		w.events, w.accts, w.states, w.snap = nil, nil, nil, nil
		if len(events) == 0 && len(accts) == 0 && len(states) == 0 && snap == nil {
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		// The writes of one turn are handed to the group commit together,
		// so they share one commit instead of waiting out its gathering
		// one after the other (200 agents' states saved in turn took
		// seconds). Only the same agent's states must keep their order:
		// each is whole, so its last one is all there is to write.
		var wg sync.WaitGroup
		write := func(f func()) {
			wg.Add(1)
			go func() { defer wg.Done(); f() }()
		}
		write(func() {
			// The queue log and the calls' figures in one transaction, so
			// the two always agree; item by item when that fails.
			if len(events) == 0 && len(accts) == 0 {
				return
			}
			if err := w.ctl.o.Store.RecordACD(ctx, events, accts); err != nil {
				for _, e := range events {
					w.check(w.ctl.o.Store.AppendQueueEvents(ctx, e), "queue event "+e.Event)
				}
				for _, a := range accts {
					w.check(w.ctl.o.Store.SetCallACD(ctx, a.ChannelID, a.CallACD), "accounting of call "+a.ChannelID)
				}
			}
		})
		for _, s := range lastStates(states) {
			write(func() {
				w.check(w.ctl.o.Store.SaveAgentState(ctx, s.ext, s.loggedIn, s.paused, s.reason, s.actor), "state of agent "+s.ext)
			})
		}
		if snap != nil {
			write(func() {
				if b, err := json.Marshal(snap); err == nil {
					if err := w.ctl.o.Store.SaveACDSnapshot(ctx, snap.At, string(b)); err != nil {
						w.ctl.log.Warn("ACD snapshot not stored", zap.Error(err))
					}
				}
			})
		}
		wg.Wait()
	}
}

// lastStates keeps each agent's last state, in the order of those.
func lastStates(states []agentState) []agentState {
	last := map[string]int{}
	for i, s := range states {
		last[s.ext] = i
	}
	out := states[:0:0]
	for i, s := range states {
		if last[s.ext] == i {
			out = append(out, s)
		}
	}
	return out
}

func (w *recorder) check(err error, what string) {
	if err != nil {
		w.ctl.m.errors.WithLabelValues("acd-record").Inc()
		w.ctl.log.Error("ACD record not stored", zap.String("what", what), zap.Error(err))
	}
}

// queueEvent turns an engine record into a queue_log row, with Asterisk's
// data fields as the engine formats them.
func queueEvent(r acd.Record) store.QueueEvent {
	e := store.QueueEvent{At: r.Time, CallID: r.Call, Queue: r.Queue, Agent: r.Agent, Event: string(r.Event)}
	if e.Queue == "" {
		e.Queue = "NONE"
	}
	parts := strings.Split(r.QueueLog(), "|")
	if len(parts) > 5 {
		for i, d := range parts[5:] {
			if i < len(e.Data) {
				e.Data[i] = d
			}
		}
	}
	return e
}
