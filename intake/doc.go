// Package intake owns the public web form at /segnalazione: the page a
// citizen fills in on a phone, with or without JavaScript, in Italian or
// English; the server-side checks (sizes, file types by their bytes,
// honeypot, text cleaned of what the store cannot take, a rate limit on
// stored submissions per citizen, bounds on uploads in progress and on work
// in flight, a pace an upload must keep); and the single transaction that
// turns a submission into a case with its files and its acknowledgement
// email.
//
// It must not render the console, send mail itself (the outbox in mail
// does), or hold SQL (the store does). A flood of submissions must never
// slow the operators: beyond MaxInFlight the form answers 503 at once; and
// a slow sender must never hold what a citizen needs to store a report.
package intake
