package oncall

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/console"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
)

// serviceOn builds a service that records and does not call (the CLI's).
func serviceOn(t *testing.T, db *store.DB, clk clock.Clock) *Service {
	t.Helper()
	s, err := New(Options{Store: db, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ImportRoster(context.Background(), []byte(`quorum: 2
waves: [{name: primary, wait: 5m}, {name: coordinators, wait: 0s, rest: true, role: coordinator}]
people:
  - {id: rossi, name: Mario Rossi, phone: "3401111111", email: m.rossi@example.it, role: operator, username: mrossi, wave: primary}
  - {id: bianchi, name: Anna Bianchi, phone: "3402222222", email: a.bianchi@example.it, role: operator, wave: primary}
  - {id: conti, name: Elena Conti, phone: "3403333333", role: coordinator}
`), "test", ""); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestArrivalOnLogin: a console login matches the person (by username, or
// by email when the roster names none); someone who had not confirmed
// counts as confirmed by coming; the board shows them arrived and the
// quorum in place.
func TestArrivalOnLogin(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) { testArrivalOnLogin(t, e) })
	}
}

func testArrivalOnLogin(t *testing.T, e storetest.Engine) {
	{
		clk := clock.NewFake(saturday15)
		db := e.Open(t, clk)
		s := serviceOn(t, db, clk)
		a, err := s.Open(bg, OpenRequest{Event: "Sisma", RequestedBy: "DPC", Reason: "prova", By: "t"})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := db.ActivationPeople(bg, a.ID)
		if _, _, err := s.Respond(bg, p[0].Token, Reply{Coming: true, ETA: 25}, "link", "127.0.0.1"); err != nil {
			t.Fatal(err)
		}
		clk.Advance(12 * time.Minute)
		if err := s.Arrived(bg, "mrossi", "", "console"); err != nil {
			t.Fatal(err)
		}
		if err := s.Arrived(bg, "abianchi", "A.Bianchi@example.it", "console"); err != nil {
			t.Fatal(err)
		}
		if err := s.Arrived(bg, "nessuno", "", "console"); err != nil {
			t.Fatal(err)
		}
		b, err := s.Board(bg, a.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if b.Arrived != 2 || b.Confirmed != 2 || !b.QuorumETA.Equal(saturday15.Add(12*time.Minute)) || b.Alert != "" {
			t.Fatalf("board %+v", b)
		}
		for _, bp := range b.People[:2] {
			if bp.State != "arrived" {
				t.Errorf("%s: %s", bp.Name, bp.State)
			}
		}
		if b.People[1].Via != "login" {
			t.Errorf("bianchi confirmed via %q", b.People[1].Via)
		}
		tl, _ := db.ActivationTimeline(bg, a.ID)
		if actions(tl)["activation.login"] != 2 || actions(tl)["activation.confirm"] != 1 {
			t.Fatalf("timeline %v", actions(tl))
		}
	}
}

// TestBoardCountdownAndAlerts: the countdown runs on the clock; an ETA
// past the deadline is "late", too few people left is "short", and the
// deadline passing without the quorum in place is "overdue".
func TestBoardCountdownAndAlerts(t *testing.T) {
	clk := clock.NewFake(saturday15)
	db := storetest.Engines()[0].Open(t, clk)
	s, err := New(Options{Store: db, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	_ = serviceOn(t, db, clk)
	a, err := s.Open(bg, OpenRequest{Event: "Sisma", RequestedBy: "DPC", Reason: "prova", By: "t"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(90 * time.Second)
	b, _ := s.Board(bg, a.ID, false)
	if b.Remaining != 30*60-90 || b.Alert != "" {
		t.Fatalf("countdown %d alert %q", b.Remaining, b.Alert)
	}
	p, _ := db.ActivationPeople(bg, a.ID)
	s.Respond(bg, p[0].Token, Reply{Coming: true, ETA: 10}, "link", "")
	s.Respond(bg, p[1].Token, Reply{Coming: true, ETA: 45}, "link", "")
	if b, _ = s.Board(bg, a.ID, false); b.Alert != "late" || !b.QuorumETA.Equal(saturday15.Add(90*time.Second+45*time.Minute)) {
		t.Fatalf("late: %q %s", b.Alert, b.QuorumETA)
	}
	s.Respond(bg, p[1].Token, Reply{Coming: false}, "link", "")
	if b, _ = s.Board(bg, a.ID, false); b.Alert != "short" {
		t.Fatalf("short: %q", b.Alert)
	}
	if !strings.Contains(AlertText("short", "it"), "Quorum") || AlertText("", "it") != "" {
		t.Fatal("alert texts")
	}
	// The console's view of it, and its refusals.
	cb := ConsoleBoards{Service: s}
	v, err := cb.ActivationBoard(bg, 0, false, "en")
	if err != nil || v.ID != a.ID || !strings.HasPrefix(v.Alert, "The quorum cannot") {
		t.Fatalf("console board %+v %v", v, err)
	}
	// The board comes with the words of the viewer's language for every code on it.
	if !v.Open || v.Words["state.declined"] != "declined" || v.Words["activation."+b.State] == "" {
		t.Fatalf("console board words %v open %v", v.Words, v.Open)
	}
	for _, p := range b.People {
		if v.Words["state."+p.State] == "" || (p.Last != "" && v.Words["result."+p.Last] == "") {
			t.Errorf("no word for %+v", p)
		}
	}
	if _, err := cb.OpenActivation(bg, console.Actor{Username: "coord"}, console.ActivationRequest{Event: "x", RequestedBy: "y", Reason: "z"}); !errors.Is(err, console.ErrRefused) {
		t.Fatalf("second open from the console: %v", err)
	}
	if err := cb.CloseActivation(bg, console.Actor{Username: "coord"}, true, ""); !errors.Is(err, console.ErrRefused) {
		t.Fatalf("closing a drill that is not open: %v", err)
	}
	if err := cb.CloseActivation(bg, console.Actor{Username: "coord"}, false, "fine"); err != nil {
		t.Fatal(err)
	}
	// A closed activation's link says so.
	if _, _, err := s.Respond(bg, p[0].Token, Reply{Coming: true, ETA: 5}, "link", ""); !errors.Is(err, ErrNotOpen) {
		t.Fatalf("answer after close: %v", err)
	}
}

// TestOpenRefusals: no roster, nobody on call, missing fields.
func TestOpenRefusals(t *testing.T) {
	db := storetest.SQLite(t)
	s, _ := New(Options{Store: db, Clock: clock.NewFake(saturday15)})
	if _, err := s.Open(bg, OpenRequest{Event: "x", RequestedBy: "y", Reason: "z", By: "t"}); !errors.Is(err, ErrNoRoster) {
		t.Fatalf("no roster: %v", err)
	}
	if _, _, err := s.ImportRoster(bg, []byte(`quorum: 1
waves: [{name: primary, wait: 5m}]
people:
  - {id: rossi, name: Mario Rossi, phone: "3401111111", role: operator}
shifts:
  - {name: weekdays, wave: primary, people: [rossi], weekly: ["mon-fri 09:00-18:00"]}
`), "t", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(bg, OpenRequest{Event: "x", RequestedBy: "y", Reason: "z", By: "t"}); !errors.Is(err, ErrNobody) {
		t.Fatalf("nobody on call on Saturday: %v", err)
	}
	if _, err := s.Open(bg, OpenRequest{Event: " ", RequestedBy: "y", Reason: "z", By: "t"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("no event: %v", err)
	}
}

// TestEmergencyEventFollowsTheActivation: the activation opens the
// operations room's event and closes it; an event of the same name that
// was already open is joined and left open.
func TestEmergencyEventFollowsTheActivation(t *testing.T) {
	clk := clock.NewFake(saturday15)
	db := storetest.Engines()[0].Open(t, clk)
	s := serviceOn(t, db, clk)
	a, err := s.Open(bg, OpenRequest{Event: "Sisma Centro Italia", RequestedBy: "DPC", Reason: "prova", By: "cli:test"})
	if err != nil {
		t.Fatal(err)
	}
	open, _ := db.Events(bg, true)
	if len(open) != 1 || open[0].Name != "Sisma Centro Italia" || a.EventRef != itoa(open[0].ID) {
		t.Fatalf("events %+v, ref %q", open, a.EventRef)
	}
	clk.Advance(40 * time.Minute)
	if _, err := s.Close(bg, CloseRequest{By: "cli:test"}); err != nil {
		t.Fatal(err)
	}
	if open, _ = db.Events(bg, true); len(open) != 0 {
		t.Fatalf("event left open: %+v", open)
	}
	// Joined: the ops room opened "Alluvione" first.
	ev := store.EmergencyEvent{Name: "Alluvione", Exercise: true}
	if err := db.OpenEvent(bg, &ev, "sala"); err != nil {
		t.Fatal(err)
	}
	d, err := s.Open(bg, OpenRequest{Event: "alluvione", RequestedBy: "DPC", Reason: "esercitazione", By: "t", Exercise: true})
	if err != nil {
		t.Fatal(err)
	}
	if d.EventRef != "joined:"+itoa(ev.ID) {
		t.Fatalf("ref %q", d.EventRef)
	}
	clk.Advance(time.Hour)
	if _, err := s.Close(bg, CloseRequest{By: "t", Exercise: true}); err != nil {
		t.Fatal(err)
	}
	if open, _ = db.Events(bg, true); len(open) != 1 || open[0].ID != ev.ID {
		t.Fatalf("the ops room's event was closed by the activation: %+v", open)
	}
}
