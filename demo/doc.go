// Package demo runs ascolto without a telephone network: scenarios (YAML)
// script the callers of an ordinary day, a flood surge or an earthquake
// night; simulated agents answer where no person is logged in; and a
// trainee can take the calls in the real console, reading what each caller
// says (the simulator has no voice), and be scored against the handling the
// scenario expects.
//
// It drives the ARI simulator (ari/arisim) and reads and writes through
// the same APIs as the console; it must not be used by the production
// service (`ascolto serve`).
package demo
