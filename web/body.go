package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Pace is the slowest a request body may arrive: every MinBytes of it
// within Window of the previous ones, and all of it within Within. The
// window is the real defence: a deadline for the whole body alone must be
// generous enough for a phone on a poor link, and a client that trickles a
// byte every few seconds would hold its connection (and whatever the
// handler reserved for it) for all of it.
type Pace struct {
	Within   time.Duration
	Window   time.Duration
	MinBytes int64
}

// ErrSlowBody is what a paced body's Read returns (wrapped) when the body
// did not keep to its Pace.
var ErrSlowBody = errors.New("web: request body arrived too slowly")

// PaceBody makes the rest of r's body keep to p: it replaces r.Body with a
// reader that moves the connection's read deadline forward each time
// MinBytes more have arrived, never past Within from now, through
// http.ResponseController (the server's own ReadTimeout is overridden for
// this request). It returns http.ErrNotSupported when the writer cannot set
// deadlines (a test recorder), leaving the body as it was.
func PaceBody(w http.ResponseWriter, r *http.Request, p Pace) error {
	if p.Window <= 0 || p.Within <= 0 {
		return fmt.Errorf("web: pace needs a window and a deadline, got %+v", p)
	}
	if p.MinBytes <= 0 {
		p.MinBytes = 1
	}
	b := &pacedBody{body: r.Body, rc: http.NewResponseController(w), pace: p, end: time.Now().Add(p.Within)}
	if err := b.extend(); err != nil {
		return err
	}
	r.Body = b
	return nil
}

type pacedBody struct {
	body io.ReadCloser
	rc   *http.ResponseController
	pace Pace
	end  time.Time
	got  int64 // bytes since the deadline last moved
}

func (b *pacedBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.got += int64(n)
	if err == nil && b.got >= b.pace.MinBytes {
		// Not once the body has ended: the server then clears the
		// deadline for its own read of the connection, which a deadline
		// set now would cut, cancelling the request's context.
		b.got = 0
		if derr := b.extend(); derr != nil {
			return n, derr
		}
	}
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("%w: %w", ErrSlowBody, err)
	}
	return n, err
}

func (b *pacedBody) Close() error { return b.body.Close() }

func (b *pacedBody) extend() error {
	d := time.Now().Add(b.pace.Window)
	if d.After(b.end) {
		d = b.end
	}
	return b.rc.SetReadDeadline(d)
}
