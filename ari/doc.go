// Package ari is ascolto's Asterisk controller: the only package that
// imports github.com/CyCoreSystems/ari/v5. It connects to Asterisk's ARI,
// owns the events WebSocket and the REST calls, and turns channels into
// calls that the rest of ascolto understands: each inbound call gets a call
// record at once, walks the IVR flow (package ivr decides, this package
// executes), is handed to the ACD, and is closed exactly once however it ends.
//
// The library is used for what it does well (event and resource types,
// ari.DecodeEvent). What it gets wrong against a real Asterisk 20 (see
// shared/ari/LIBRARY-NOTES.md) is owned here instead:
//   - connecting never blocks: a probe of /asterisk/info with a timeout tells
//     "wrong password" from "Asterisk down", and the loop retries with backoff;
//   - the events WebSocket is ours (gorilla/websocket) with pings and read
//     deadlines, so a half-open link is noticed within seconds;
//   - an event type the library does not know, or a malformed event, is
//     counted, logged and skipped, never fatal;
//   - events go to per-call mailboxes that never drop (their depth is a metric);
//   - REST calls have timeouts, a sized connection pool, and errors that carry
//     Asterisk's own message ({"message": ...} or {"error": ...});
//   - after every (re)connect the controller reconciles its calls with
//     GET /applications/{app}, GET /channels and the store, re-adopting calls
//     still alive and closing records of calls that ended unseen.
//
// The package must not decide routing (package acd does) or walk flows
// itself (package ivr does); it must not hold SQL (package store does).
package ari
