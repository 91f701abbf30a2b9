package console

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
)

// activationBE is the memory backend with an activation board that the
// test changes (nil: there has never been an activation).
type activationBE struct {
	*memBackend
	mu     sync.Mutex
	board  *testBoard
	opened []ActivationRequest
	closed int
}

// testBoard has the JSON names of oncall.Board that the page's script reads.
type testBoard struct {
	ID                  int64 `json:"id"`
	Event               string
	Exercise            bool `json:"exercise"`
	State               string
	OpenedAt, Now       time.Time
	Deadline            time.Time
	ClosedAt            time.Time
	QuorumETA           time.Time
	Remaining           int
	Quorum              int
	Confirmed           int
	Arrived             int
	RequestedBy, Reason string
	People              []testPerson
}

type testPerson struct {
	ID          int64
	Name, Wave  string
	State, Last string
	Via         string
	ETA         int
	ExpectedAt  time.Time
}

func sampleBoard(exercise bool) *testBoard {
	return &testBoard{ID: 7, Event: "Alluvione Emilia-Romagna", Exercise: exercise, State: "running", OpenedAt: t0.Add(-5 * time.Minute),
		Now: t0, Deadline: t0.Add(25 * time.Minute), Remaining: 1500, RequestedBy: "DPC Sala Situazione", Reason: "piena del Lamone",
		Quorum: 2, Confirmed: 1, People: []testPerson{{ID: 1, Name: "Anna Rossi", Wave: "primary", State: "confirmed", Via: "phone", ETA: 20,
			ExpectedAt: t0.Add(20 * time.Minute), Last: "confirmed"}, {ID: 2, Name: "Bruno Neri", Wave: "primary", State: "calling", ETA: -1, Last: "no-input"}}}
}

// testWords stand for oncall.Words, which the console cannot import.
var testWords = map[string]string{"activation.running": "in corso", "activation.closed": "chiusa", "state.confirmed": "ha confermato",
	"state.calling": "in chiamata", "state.arrived": "in sala", "wave.primary": "primaria", "result.no-input": "ha risposto senza scegliere",
	"result.confirmed": "ha confermato (tasto 1)", "via.phone": "telefono"}

func (a *activationBE) ActivationBoard(_ context.Context, id int64, exercise bool, lang string) (ActivationBoard, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.board == nil || a.board.Exercise != exercise {
		return ActivationBoard{}, store.ErrNotFound
	}
	b := *a.board
	return ActivationBoard{Board: b, ID: b.ID, Deadline: b.Deadline, Remaining: b.Remaining, Open: b.ClosedAt.IsZero(), Words: testWords}, nil
}

// set changes the board and publishes it, as the call-out does.
func (a *activationBE) set(c *Console, change func(b *testBoard)) {
	a.mu.Lock()
	if a.board == nil {
		a.board = sampleBoard(false)
	}
	change(a.board)
	b := *a.board
	a.mu.Unlock()
	c.PublishActivation(b.ID, b)
}

func (a *activationBE) OpenActivation(_ context.Context, by Actor, r ActivationRequest) (int64, error) {
	a.opened = append(a.opened, r)
	return 8, nil
}

func (a *activationBE) CloseActivation(context.Context, Actor, bool, string) error {
	a.closed++
	return nil
}

func TestActivationBoardPage(t *testing.T) {
	r := newRig(t, Config{})
	be := &activationBE{memBackend: r.be, board: sampleBoard(false)}
	r.c.backend = be
	// The authorization table grants the board to coordinators and admins only.
	for _, role := range []string{store.RoleAgent, store.RoleOpsRoom} {
		if r.c.policy.allows(role, PermActivation) || r.c.policy.allows(role, PermActivationOpen) {
			t.Fatalf("%s may see or open activations", role)
		}
	}
	r.user("coord", store.RoleSupervisor)
	r.user("ag", store.RoleAgent)
	sup := r.browser()
	sup.login("coord")
	p := sup.get("/activation")
	if p.code != 200 || !strings.Contains(p.body, "Anna Rossi") || !strings.Contains(p.body, "25:00") || !strings.Contains(p.body, `data-topics="activation"`) {
		t.Fatalf("board page %d:\n%s", p.code, p.body)
	}
	// Words, not codes; the open form hidden while the activation is open.
	for _, w := range []string{"in corso", "primaria", "ha confermato", "in chiamata", "ha risposto senza scegliere", `id="activation-open" aria-labelledby="act-open-h" hidden`} {
		if !strings.Contains(p.body, w) {
			t.Errorf("the board lacks %q", w)
		}
	}
	for _, code := range []string{">primary<", ">confirmed<", ">calling<", ">no-input<", ">running<"} {
		if strings.Contains(p.body, code) {
			t.Errorf("the board shows the raw code %s", code)
		}
	}
	// With no activation ever, the page says so and offers the open form.
	be.mu.Lock()
	be.board = nil
	be.mu.Unlock()
	if p := sup.get("/activation"); p.code != 200 || !strings.Contains(p.body, "Nessuna attivazione finora") || strings.Contains(p.body, `act-open-h" hidden`) ||
		!strings.Contains(p.body, `id="activation-close" aria-labelledby="act-close-h" hidden`) {
		t.Fatalf("no activation %d:\n%s", p.code, p.body)
	}
	// Opening needs the confirmation box.
	if g := sup.submit("/activation", "/activation/open", url.Values{"event": {"Sisma"}, "requested_by": {"DPC"}, "reason": {"x"}}); g.code != 400 || len(be.opened) != 0 {
		t.Fatalf("open without confirmation: %d", g.code)
	}
	if g := sup.submit("/activation", "/activation/open", url.Values{"event": {"Sisma"}, "requested_by": {"DPC"}, "reason": {"x"},
		"confirm": {"1"}, "exercise": {"1"}, "quorum": {"3"}}); g.code != 303 || len(be.opened) != 1 || !be.opened[0].Exercise || be.opened[0].Quorum != 3 {
		t.Fatalf("open: %d %+v", g.code, be.opened)
	}
	// An agent may not see or open it.
	ag := r.browser()
	ag.login("ag")
	if g := ag.get("/activation"); g.code != 403 {
		t.Fatalf("agent sees the board: %d", g.code)
	}
}
