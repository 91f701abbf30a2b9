// Package report owns the picture of what is being asked and from where:
// request counts by category, outcome, channel, caller type, urgency and
// provenance (comune → provincia → regione by ISTAT code), in 15-minute,
// hourly or daily buckets, filtered by period, operating mode, emergency
// event and site, with the trend against the previous period; the
// dashboard's data; streamed exports (CSV, GeoJSON points and per-comune
// aggregates); the one-page PDF situation report per event; and the worker
// that keeps the rollups in step with the cases.
//
// It validates every question before it reaches the store (unknown codes,
// huge ranges and malformed filters are refused with a message that says
// what to change) and picks the cheapest table that can answer it. It
// must not: serve HTTP (the console does), write cases, or hold an export
// in memory (rows are written as they are read).
package report
