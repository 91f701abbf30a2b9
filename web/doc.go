// Package web owns ascolto's HTTP server: the listener, the mux that the
// console, the public form and the feeds mount on, the operational
// endpoints (/healthz, /readyz, /metrics), request metrics and logging, and
// graceful shutdown. HTTP status codes live here and in the packages that
// mount handlers, never in the store or the telephony core.
package web
