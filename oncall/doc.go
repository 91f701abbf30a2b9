// Package oncall owns the emergency activation: the on-call roster (people,
// phone numbers in E.164, waves, weekly shifts with exceptions, iCalendar
// import and export), the decision of who is called when (Decide: waves with
// their waits, retries, the quorum, exhaustion — pure, on a given time), and
// the call-out that carries it out (Runner): phone calls through a Phone
// (the ARI controller in production), email through the durable outbox and
// SMS through an HTTP gateway as fallbacks with a confirmation link, the
// live board with the countdown to the 30-minute target, the match between
// a console login and a confirmation, drills, and the activation report
// (CSV and PDF) built from the timeline in the audit log.
//
// It must not hold SQL (the store records every step, each with its audit
// entry in the same transaction), decide the IVR or the ACD (it only switches
// the operating mode they follow), or read the wall clock: time comes from a
// clock.Clock, so waves, retries and the countdown run on a fake clock in
// tests. Everything an activation needs to resume after a restart is in the
// store: a runner that starts finds the open activations, marks the calls
// that were in progress as interrupted, and goes on without calling again
// anyone who already answered.
package oncall
