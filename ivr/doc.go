// Package ivr owns what a caller hears and presses before reaching a person:
// data-driven IVR flows written in YAML, their validation, the per-call state
// machine that walks them, the prompt catalog, the site calendar (opening
// hours, Italian national holidays, patron saint, extra closures), the
// operating modes (ordinary, emergency H24, closed), dry runs for admins and a
// line diff of two flow versions.
//
// The package is pure logic. It must not import the ARI library, net/http or a
// database driver, and it never reads the wall clock: time and the operating
// mode arrive with Env and Event values, so a test can replay any day of the
// year in microseconds. Storage of flow versions, the CLI and the ARI
// controller live elsewhere and call in.
//
// # How the controller uses it
//
//	flow, err := ivr.Load(src, ivr.NewCatalog(prompts, queueNames)) // once per flow version
//	s, err := ivr.NewSession(flow)                                   // one per call
//	acts, err := s.Start(ivr.Env{At: now, Mode: mode, Calendar: cal})
//	for each ARI event on the call:
//	    acts = s.Handle(ivr.Event{Kind: ivr.EventDigit, Digit: '1', At: now})
//	    execute acts in order (play, stop playback, timers, record, tag, queue ...)
//
// A Session is not safe for concurrent use: the call's goroutine owns it. A
// *Flow and a *Calendar are immutable and shared by every session. A session
// keeps the *Flow it started with, so a newly applied flow version only
// affects calls that start after it.
//
// Flows are described for admins in flows/README.md.
package ivr
