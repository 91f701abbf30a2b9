// Package intake owns the public web form at /segnalazione: the page a
// citizen fills in on a phone, with or without JavaScript, in Italian or
// English; the server-side checks (sizes, file types by their bytes,
// honeypot, a rate limit per address, a bound on work in flight); and the
// single transaction that turns a submission into a case with its files
// and its acknowledgement email.
//
// It must not render the console, send mail itself (the outbox in mail
// does), or hold SQL (the store does). A flood of submissions must never
// slow the operators: beyond MaxInFlight the form answers 503 at once.
package intake
