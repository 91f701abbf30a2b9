// Package console owns the web console of ascolto: sign-in (passwords with
// argon2id, optional TOTP second factor, throttling), server-side sessions
// with idle and absolute expiry, one-time CSRF tokens, the authorization
// table of the four roles (agent, supervisor, opsroom, admin), the pages
// (agent desk, supervisor wallboard, knowledge base with Italian full-text
// search, user administration, the person's own account) in Italian and
// English, and the WebSocket hub that pushes live state to every tab.
//
// What it must not do: decide routing or talk to Asterisk (it asks a
// Backend, which the ACD controller in ari/ implements), or hold SQL (the
// store does that). HTTP status codes are chosen here, at the edge, from
// the store's and the Backend's sentinel errors.
//
// Extension points for the call handling and the wallboard: the Backend
// interface; Console.PublishAgent, PublishSnapshot, PublishMode and Offer
// to push state and events; Console.HandleMessage for new WebSocket
// message types (listed in authz.go first); and Options.Extensions, whose
// templates named "call-panel" and "wallboard" replace the placeholders of
// the desk and the wallboard.
package console
