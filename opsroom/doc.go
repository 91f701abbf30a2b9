// Package opsroom owns the feed from the contact center to the operations
// room (Sala Operativa): rescue requests and situation reports forwarded
// the moment an operator saves them, their acknowledgement by a named
// person of the room and the status updates that follow (written back to
// the case's timeline and announced to the agent who took the call),
// escalation when nobody acknowledges in time (the alert repeats, the
// coordinator is told by the console and by email, and the room's number
// is phoned with a recorded message until someone acknowledges), and the
// machine feeds for the room's own systems: a signed webhook delivered
// from a durable queue, CAP 1.2 alerts with an Atom feed, and email as the
// last fallback.
//
// It must not: speak HTTP to browsers (the console serves the pages),
// import the ARI controller (the lead satisfies Phone with it), read the
// wall clock (escalation runs on the clock.Clock it is given), or send
// anything that is not first written durably (webhook calls and email go
// out from queues in the store, written in the transaction that decided
// them).
package opsroom
