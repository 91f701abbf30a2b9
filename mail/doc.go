// Package mail owns ascolto's email: the SMTP/LMTP receiver and the IMAP
// poller that bring citizens' mail in, the lenient MIME parser (multipart,
// attachments, inline images, charsets, quoted-printable, base64, HTML-only
// mail turned into text), threading (In-Reply-To/References, then the
// tracking id in the subject, else a new case), recognition of RFC 3834
// auto-replies and RFC 3464 bounces so no mail loop can start, the Italian
// and English message templates, and the sender that delivers the durable
// outbox through the configured relay.
//
// It must not decide what an operator does with a case, render pages, or
// hold SQL: the store keeps every row, and the console calls Reply and
// Deliveries. A message is acknowledged to its sender (250, or \Seen on
// IMAP) only once it is committed; an outgoing message leaves the outbox
// only once the relay accepted it. An inbound message is spooled to disk
// and parsed as a stream, and the store writes large files in pieces, so
// memory does not grow with the size of a message; text from senders is
// cleaned (text.go) before it reaches the store.
package mail
