// Package acd owns automatic call distribution: which waiting call goes to
// which operator, when, and what gets written about it.
//
// The Engine is one state machine. The controller (in ari/) runs it as an
// actor in a single goroutine, feeds it events that carry their own time
// (a call arrived, an agent answered, a phone is unreachable, a timer fell
// due) and executes the decisions it returns: ring this agent, stop ringing,
// bridge, announce a position, dial a callback, send the caller to the report
// recorder, and write these queue-log records. Everything the engine knows
// about time comes from those events; it exposes its next deadline so the
// controller can call Handle(Tick{At: deadline}) then.
//
// What the package owns:
//   - queues with a routing strategy (longest idle, round robin with memory,
//     ring all, fewest calls, random), members with penalty, skill level and
//     an emergency-only flag, ring timeout, wrap-up, max wait and max length
//     with an overflow target, periodic announcements, a service-level target;
//   - call ordering: rescue calls first, then priority, then arrival time;
//   - agent states, RONA (redirect on no answer), wrap-up, pause reasons;
//   - callbacks that keep the caller's place, transfers, overflow;
//   - queue-log records shaped like Asterisk's queue_log, live KPIs, Erlang C;
//   - the persisted description (State) that rebuilds the engine after a restart.
//
// What it must not do: talk to Asterisk, a database or the network, start
// goroutines, read the wall clock, or log. It is not safe for concurrent use;
// its owner serialises every call to it.
package acd
