// Package wall decides what the wall display shows in colour: each queue's
// thresholds (set per queue, or derived from its service-level target),
// which figures are amber or red and which of them are breaches that
// sound the alert, and each agent's figures of the day from the queue log.
//
// It is pure: figures and a time in, verdicts out. It must not read the
// clock, a database or the network; the console feeds it and shows it.
package wall
