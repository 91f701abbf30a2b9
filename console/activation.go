package console

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/ascolto/ascolto/store"
)

// The coordinator's activation board (/activation): the countdown to the
// 30-minute target, who was called, who answered, confirmed with what ETA,
// declined or could not be reached, and the open/close buttons. Live items
// come over the hub on TopicActivation; the board is rebuilt by the call-out
// service, which the lead's Backend exposes through ActivationBackend.

// Permissions and topic of the activation board.
const (
	PermActivation     Permission = "activation"      // see the activation board (coordinators)
	PermActivationOpen Permission = "activation.open" // open and close an activation
	TopicActivation               = "activation"      // "activation.board" items: the whole board
)

// ActivationBackend is what the board needs; the lead's Backend implements
// it with the oncall service (until then the page answers 503). The board
// is the oncall package's Board (the console does not import oncall: it
// imports the controller, which the call-out uses); the page reads its
// fields by name and the browser receives it as JSON.
type ActivationBackend interface {
	// ActivationBoard returns an oncall.Board (id 0: the latest of the
	// kind), its alert in lang (it, en).
	ActivationBoard(ctx context.Context, id int64, exercise bool, lang string) (ActivationBoard, error)
	OpenActivation(ctx context.Context, by Actor, r ActivationRequest) (int64, error)
	CloseActivation(ctx context.Context, by Actor, exercise bool, reason string) error
}

// ActivationBoard is an oncall.Board with what the page needs to say about it.
type ActivationBoard struct {
	Board     any       // oncall.Board
	ID        int64     // the activation
	Deadline  time.Time // the 30-minute target
	Remaining int       // seconds to it, on the server's clock
	Open      bool      // not closed yet
	Alert     string    // oncall.AlertText in the viewer's language, "" when on track
	// Words are the board's codes in the viewer's language, keyed
	// "kind.code" (oncall.Words): the page shows no raw code.
	Words map[string]string
}

// ActivationRequest is the coordinator's form.
type ActivationRequest struct {
	Event, RequestedBy, Reason string
	Quorum                     int
	Exercise                   bool
}

// MountActivation registers the board's routes, like Mount.
func (c *Console) MountActivation(m Mux) {
	signed := func(p Permission, h func(*visit) error) route {
		return route{c: c, access: accessSignedIn, perm: p, h: h}
	}
	api := func(p Permission, h func(*visit) error) route {
		return route{c: c, access: accessSignedIn, perm: p, api: true, h: h}
	}
	m.Handle("GET /activation", signed(PermActivation, c.activationPage))
	m.Handle("GET /api/activation", api(PermActivation, c.activationAPI))
	m.Handle("POST /activation/open", signed(PermActivationOpen, c.activationOpen))
	m.Handle("POST /activation/close", signed(PermActivationOpen, c.activationClose))
}

// PublishActivation pushes a board (an oncall.Board) to the coordinators'
// open pages.
func (c *Console) PublishActivation(id int64, board any) {
	c.hub.Publish(TopicActivation, "activation.board", strconv.FormatInt(id, 10), board)
}

func (c *Console) activations() (ActivationBackend, error) {
	ab, ok := c.backend.(ActivationBackend)
	if !ok {
		return nil, ErrNotWired
	}
	return ab, nil
}

type activationData struct {
	Board     any
	Alert     string
	Exercise  bool
	Open      bool
	Countdown string
	Words     map[string]string
}

// Word is a board code in the viewer's language (the code itself when the
// backend has no word for it, as for a wave the roster names).
func (d activationData) Word(kind, code string) string {
	if w, ok := d.Words[kind+"."+code]; ok {
		return w
	}
	return code
}

// activationPage is the board, live: activation.js fetches the page again
// whenever the hub says the board changed (an activation opened, a call
// ended, someone confirmed or arrived, the activation closed) and swaps
// its live part, so one template draws it, with the words of the viewer's
// language. The countdown runs in the browser from the seconds remaining
// on the server's clock (the demo's clock runs ahead of the wall clock).
func (c *Console) activationPage(v *visit) error {
	ab, err := c.activations()
	if err != nil {
		return err
	}
	exercise := v.r.URL.Query().Get("exercise") == "1"
	d := activationData{Exercise: exercise}
	b, err := ab.ActivationBoard(v.r.Context(), 0, exercise, v.lang)
	switch {
	case err == nil:
		d.Board, d.Alert, d.Open, d.Words = b.Board, b.Alert, b.Open, b.Words
		d.Countdown = countdown(b.Remaining)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	p := c.newPage(v, "nav.activation", d)
	p.Topics = TopicActivation
	p.Scripts = []string{"activation.js"}
	return c.render(v, 200, "activation", p)
}

// countdown writes seconds as m:ss, negative once past.
func countdown(rem int) string {
	sign := ""
	if rem < 0 {
		sign, rem = "-", -rem
	}
	return sign + strconv.Itoa(rem/60) + ":" + twoDigits(rem%60)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func (c *Console) activationAPI(v *visit) error {
	ab, err := c.activations()
	if err != nil {
		return err
	}
	id, _ := strconv.ParseInt(v.r.URL.Query().Get("id"), 10, 64)
	b, err := ab.ActivationBoard(v.r.Context(), id, v.r.URL.Query().Get("exercise") == "1", v.lang)
	if err != nil {
		return err
	}
	writeJSON(v.w, 200, b.Board)
	return nil
}

func (c *Console) activationOpen(v *visit) error {
	ab, err := c.activations()
	if err != nil {
		return err
	}
	f := v.r.PostForm
	if f.Get("confirm") != "1" {
		return failure(400, "error.invalid")
	}
	q, _ := strconv.Atoi(f.Get("quorum"))
	exercise := f.Get("exercise") == "1"
	_, err = ab.OpenActivation(v.r.Context(), v.actor(), ActivationRequest{Event: strings.TrimSpace(f.Get("event")),
		RequestedBy: strings.TrimSpace(f.Get("requested_by")), Reason: strings.TrimSpace(f.Get("reason")),
		Quorum: q, Exercise: exercise})
	if err != nil {
		return err
	}
	if exercise {
		return redirect(v, "/activation?exercise=1")
	}
	return redirect(v, "/activation")
}

func (c *Console) activationClose(v *visit) error {
	ab, err := c.activations()
	if err != nil {
		return err
	}
	exercise := v.r.PostForm.Get("exercise") == "1"
	if err := ab.CloseActivation(v.r.Context(), v.actor(), exercise, v.r.PostForm.Get("reason")); err != nil {
		return err
	}
	return redirect(v, "/activation")
}
