package console

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/store"
)

// activationBE is the memory backend with an activation board.
type activationBE struct {
	*memBackend
	opened []ActivationRequest
	closed int
}

type testBoard struct {
	ID                  int64
	Event               string
	Exercise            bool
	State               string
	Deadline            time.Time
	ClosedAt            time.Time
	QuorumETA           time.Time
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
	ETA         int
	ExpectedAt  time.Time
}

func (a *activationBE) ActivationBoard(_ context.Context, id int64, exercise bool, lang string) (ActivationBoard, error) {
	b := testBoard{ID: 7, Event: "Alluvione Emilia-Romagna", Exercise: exercise, State: "running", Deadline: t0.Add(30 * time.Minute),
		Quorum: 2, Confirmed: 1, People: []testPerson{{ID: 1, Name: "Anna Rossi", Wave: "primary", State: "confirmed", ETA: 20,
			ExpectedAt: t0.Add(20 * time.Minute)}, {ID: 2, Name: "Bruno Neri", Wave: "primary", State: "calling", ETA: -1}}}
	return ActivationBoard{Board: b, ID: 7, Deadline: b.Deadline, Remaining: 1500, Alert: ""}, nil
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
	be := &activationBE{memBackend: r.be}
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
