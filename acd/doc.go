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
// Choices worth knowing when wiring it:
//   - Order. Within a queue: rescue calls, then higher priority, then earlier
//     ordering time. An agent in several queues takes rescue calls first, then
//     calls of the queue where its penalty is lowest, then by priority and time.
//     A call that overflows keeps its ordering time (its original arrival); a
//     blind-transferred call keeps priority and rescue flag but is placed by
//     the transfer time, since it has been served once.
//   - Work conservation. After every event no agent that could take a waiting
//     call is left available. An agent freeing up takes the best call it can;
//     an arriving call goes to the agent its queue's strategy prefers. Ring all
//     rings the whole best penalty tier when a call arrives; an agent freeing
//     up while calls wait takes the next one alone.
//   - Skills. A member has a level 0..MaxLevel; a call may require a minimum.
//     A call nobody skilled enough can take waits without blocking the calls
//     behind it.
//   - Callbacks. The citizen is dialled first, with an agent held (Reserved);
//     the agent is rung when the citizen answers. Failed dials are retried per
//     the queue's policy, then recorded as CALLBACK_FAILED.
//   - Rescue calls are never refused by a full queue, never sent to the report
//     recorder and never offered a callback; they may overflow to another queue.
//   - Emergency mode lets emergency-only members (reserve staff, other sites)
//     take calls.
//   - Time. Each event's time is trusted, but never moves the engine back; the
//     deadlines due before an event are acted on first, at their own times.
//
// What it must not do: talk to Asterisk, a database or the network, start
// goroutines, read the wall clock, or log. It is not safe for concurrent use;
// its owner serialises every call to it.
package acd
