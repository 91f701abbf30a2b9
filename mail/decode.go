package mail

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	netmail "net/mail"
	"strings"
)

// The readers here let the parser read a message once, as a stream, and
// work around what is broken in it the way mail clients do: a part cut
// short, stray characters in base64, bad quoted-printable. Each reports
// the problem and ends its part cleanly, so the rest of the message is
// still read.

// trap remembers the first error of the message's own source (the spool
// file or the bytes in memory): unlike a broken part, it means the message
// cannot be read now, and must not be stored half-read.
type trap struct {
	r   io.Reader
	err error
}

func (t *trap) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	if err != nil && !errors.Is(err, io.EOF) && t.err == nil {
		t.err = err
	}
	return n, err
}

// partReader reads one part of a multipart body; a part cut short (the
// closing boundary never came) is reported and ends there.
type partReader struct {
	r    io.Reader
	p    *parser
	done bool
}

func (r *partReader) Read(b []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	n, err := r.r.Read(b)
	if err != nil && !errors.Is(err, io.EOF) {
		r.p.problem("parte MIME troncata: %v", err)
		r.done = true
		return n, io.EOF
	}
	return n, err
}

// prefix keeps the first max bytes written to it.
type prefix struct {
	b   []byte
	max int
}

func (p *prefix) Write(b []byte) (int, error) {
	if room := p.max - len(p.b); room > 0 {
		p.b = append(p.b, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

// base64Reader decodes base64 as mail clients do: line breaks, padding and
// stray characters are ignored, a missing padding is repaired, a dangling
// last character dropped.
type base64Reader struct {
	r     io.Reader
	p     *parser
	in    [8 << 10]byte
	clean []byte        // valid characters read and not yet decoded
	out   [7 << 10]byte // room for what one read's characters decode to
	ready []byte        // decoded bytes not yet returned
	stray int
	eof   bool
}

func (b *base64Reader) Read(dst []byte) (int, error) {
	for len(b.ready) == 0 {
		if b.eof {
			return 0, io.EOF
		}
		n, err := b.r.Read(b.in[:])
		if b.clean == nil {
			b.clean = make([]byte, 0, len(b.in)+4)
		}
		for _, c := range b.in[:n] {
			switch {
			case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
				b.clean = append(b.clean, c)
			case c == '=', c == '\r', c == '\n', c == ' ', c == '\t':
			default:
				b.stray++
			}
		}
		whole := len(b.clean) / 4 * 4 // whole quantums decode on their own
		if err != nil {
			b.eof = true
			if len(b.clean)%4 == 1 {
				b.clean = b.clean[:len(b.clean)-1]
				b.p.problem("base64 troncato")
			}
			whole = len(b.clean)
			if b.stray > 0 {
				b.p.problem("base64 con %d caratteri estranei ignorati", b.stray)
			}
			if !errors.Is(err, io.EOF) {
				return 0, err
			}
		}
		m, derr := base64.RawStdEncoding.Decode(b.out[:], b.clean[:whole])
		if derr != nil {
			b.p.problem("base64 non valido: %v", derr)
		}
		b.ready = b.out[:m]
		b.clean = append(b.clean[:0], b.clean[whole:]...)
	}
	n := copy(dst, b.ready)
	b.ready = b.ready[n:]
	return n, nil
}

// qpReader decodes quoted-printable; at the first invalid sequence it
// reports the problem and ends the part with what was decoded.
type qpReader struct {
	r    io.Reader
	p    *parser
	done bool
}

func (q *qpReader) Read(b []byte) (int, error) {
	if q.done {
		return 0, io.EOF
	}
	n, err := q.r.Read(b)
	if err != nil && !errors.Is(err, io.EOF) {
		q.p.problem("quoted-printable non valido: %v", err)
		q.done = true
		return n, io.EOF
	}
	return n, err
}

// contentDigest hashes what the sender wrote: the headers a sender writes
// once and the relays leave alone (From, Subject, Date), then the body as
// it is written through, carriage returns aside (a message fetched over
// IMAP or stored in an mbox may have lost them).
type contentDigest struct{ hash.Hash }

func newContentDigest(h netmail.Header) contentDigest {
	d := contentDigest{sha256.New()}
	for _, k := range []string{"From", "Subject", "Date"} {
		fmt.Fprintf(d.Hash, "%s: %s\n", k, strings.TrimSpace(h.Get(k)))
	}
	d.Hash.Write([]byte("\n"))
	return d
}

func (d contentDigest) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '\r' {
			i++
		}
		d.Hash.Write(b[:i])
		if i < len(b) {
			i++
		}
		b = b[i:]
	}
	return n, nil
}
