package opsroom_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/geo"
	"github.com/ascolto/ascolto/hotspot"
	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/opsroom"
	"github.com/ascolto/ascolto/store"
	"github.com/ascolto/ascolto/store/storetest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

var bg = context.Background()

// t0 is a Tuesday morning in Rome.
var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// published records what the service announced, as the console would
// receive it.
type published struct {
	mu        sync.Mutex
	changed   []opsroom.ItemView
	toAgent   map[string][]opsroom.ItemView
	escalated []opsroom.Escalation
	hotspots  chan []opsroom.HotspotView
}

// OpsHotspotsChanged hands the hotspots to a test waiting for them; with
// nobody waiting, they are dropped.
func (p *published) OpsHotspotsChanged(hs []opsroom.HotspotView) {
	select {
	case p.hotspots <- hs:
	default:
	}
}

func (p *published) OpsItemChanged(v opsroom.ItemView) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.changed = append(p.changed, v)
}

func (p *published) OpsItemToAgent(user string, v opsroom.ItemView) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.toAgent == nil {
		p.toAgent = map[string][]opsroom.ItemView{}
	}
	p.toAgent[user] = append(p.toAgent[user], v)
}

func (p *published) OpsEscalated(e opsroom.Escalation) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.escalated = append(p.escalated, e)
}

func (p *published) escalations() []opsroom.Escalation {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]opsroom.Escalation(nil), p.escalated...)
}

// roomPhone stands for the operations room's telephone in the tests that
// run on a fake clock; the call through Asterisk itself is tested against
// the ARI simulator (escalation_ari_test.go).
type roomPhone struct {
	mu    sync.Mutex
	calls []opsroom.Announcement
}

func (r *roomPhone) Announce(_ context.Context, a opsroom.Announcement) (opsroom.AnnounceResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, a)
	return opsroom.AnnounceResult{Answered: true}, nil
}

func (r *roomPhone) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

type rig struct {
	t     *testing.T
	db    *store.DB
	clk   *clock.Fake
	svc   *opsroom.Service
	pub   *published
	phone *roomPhone
	logs  *observer.ObservedLogs // what the service logged, at every level
	stop  func()
}

func newRig(t *testing.T, e storetest.Engine, cfg opsroom.Config) *rig {
	t.Helper()
	clk := clock.NewFake(t0)
	db := e.Open(t, clk)
	ds, err := geo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SeedGeo(bg, ds); err != nil {
		t.Fatal(err)
	}
	ms, err := mail.NewService(mail.ServiceOptions{Store: db, Clock: clk, From: "Contact Center <cc@protezionecivile.example>"})
	if err != nil {
		t.Fatal(err)
	}
	obs, logs := observer.New(zapcore.DebugLevel)
	log := zaptest.NewLogger(t, zaptest.WrapOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, obs) })))
	r := &rig{t: t, db: db, clk: clk, pub: &published{hotspots: make(chan []opsroom.HotspotView, 8)}, phone: &roomPhone{}, logs: logs}
	r.svc, err = opsroom.New(opsroom.Options{Store: db, Clock: clk, Log: log, Config: cfg, Publisher: r.pub,
		Phone: r.phone, Mail: ms})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { r.svc.Run(ctx); close(done) }()
	r.stop = func() { cancel(); <-done }
	t.Cleanup(r.stop)
	// Run arms the escalation timer from the store before anything is forwarded.
	<-r.svc.Armed()
	return r
}

// rescueCase is what an agent's disposition leaves: a rescue request on a case.
func (r *rig) rescueCase(summary, agent string) store.Case {
	r.t.Helper()
	lat, lon := 44.4949, 11.3426
	return r.rescueCaseAt(summary, agent, &lat, &lon)
}

// rescueCaseAt is rescueCase with the citizen's coordinates, or none.
func (r *rig) rescueCaseAt(summary, agent string, lat, lon *float64) store.Case {
	r.t.Helper()
	c := store.Case{Channel: store.ChannelPhone, ContactPhone: "+39 333 1234567", ContactName: "Maria", ComuneCode: "037006",
		Address: "Via Emilia 12", Lat: lat, Lon: lon, Summary: summary}
	if err := r.db.CreateCase(bg, &c); err != nil {
		r.t.Fatal(err)
	}
	u, err := r.db.UserByName(bg, agent)
	if errors.Is(err, store.ErrNotFound) {
		u = store.User{Username: agent, Role: store.RoleAgent, PasswordHash: "x"}
		err = r.db.CreateUser(bg, &u, "test")
	}
	if err != nil {
		r.t.Fatal(err)
	}
	d := store.Disposition{CaseID: c.ID, UserID: u.ID, Category: "idraulico", Outcome: "inoltrata-sala-operativa", Urgency: store.UrgencyRescue,
		ComuneCode: "037006", Notes: "Salire al piano più alto e attendere i soccorsi"}
	if err := r.db.SaveDisposition(bg, &d, agent); err != nil {
		r.t.Fatal(err)
	}
	return c
}

func (r *rig) timeline(caseID int64) string {
	r.t.Helper()
	cs, err := r.db.Timeline(bg, caseID)
	if err != nil {
		r.t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.Author + ": " + c.Content + "\n")
	}
	return b.String()
}

func TestSubmitAcknowledgeStatus(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			r := newRig(t, e, opsroom.Config{})
			c := r.rescueCase("Famiglia bloccata al primo piano, acqua in salita", "rossi")
			v, ok, err := r.svc.Submit(bg, c.ID, "rossi")
			if err != nil || !ok {
				t.Fatalf("submit: %v %v", ok, err)
			}
			if v.Kind != store.OpsRescue || v.State != store.OpsNew || v.TrackingID != c.TrackingID || v.Comune.Label() != "Bologna (BO)" ||
				v.CategoryLabel == "" || v.Advice != "Salire al piano più alto e attendere i soccorsi" || v.ContactPhone == "" ||
				!v.NextEscalationAt.Equal(t0.Add(2*time.Minute)) {
				t.Fatalf("item %+v", v)
			}
			if len(r.pub.changed) != 1 || r.pub.changed[0].ID != v.ID {
				t.Fatalf("published %+v", r.pub.changed)
			}
			if tl := r.timeline(c.ID); !strings.Contains(tl, "Inoltrata alla Sala Operativa come richiesta di soccorso") {
				t.Fatalf("timeline:\n%s", tl)
			}
			// A case that is not a rescue request nor forwarded stays put.
			other := store.Case{Channel: store.ChannelPhone}
			r.db.CreateCase(bg, &other)
			d := store.Disposition{CaseID: other.ID, Category: "informazioni", Outcome: "informazione-fornita"}
			r.db.SaveDisposition(bg, &d, "rossi")
			if _, ok, err := r.svc.Submit(bg, other.ID, "rossi"); ok || err != nil {
				t.Fatalf("an information call was forwarded: %v %v", ok, err)
			}
			if _, err := r.svc.SetStatus(bg, v.ID, opsroom.StatusUpdate{State: store.OpsAssigned, Assignee: "VVF"}, "verdi"); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("status before acknowledgement: %v", err)
			}
			r.clk.Advance(40 * time.Second)
			acked, err := r.svc.Acknowledge(bg, v.ID, "verdi")
			if err != nil || acked.AckedBy != "verdi" || acked.State != store.OpsAcknowledged {
				t.Fatalf("ack %+v %v", acked, err)
			}
			if _, err := r.svc.Acknowledge(bg, v.ID, "neri"); !errors.Is(err, store.ErrConflict) {
				t.Fatalf("second ack: %v", err)
			}
			if got := r.pub.toAgent["rossi"]; len(got) != 1 || got[0].AckedBy != "verdi" {
				t.Fatalf("agent told %+v", got)
			}
			if _, err := r.svc.SetStatus(bg, v.ID, opsroom.StatusUpdate{State: store.OpsAssigned, Assignee: strings.Repeat("x", 61)}, "verdi"); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("long assignee: %v", err)
			}
			as, err := r.svc.SetStatus(bg, v.ID, opsroom.StatusUpdate{State: store.OpsAssigned, Assignee: "VVF", Note: "Squadra in arrivo"}, "verdi")
			if err != nil || as.Assignee != "VVF" {
				t.Fatalf("assign %+v %v", as, err)
			}
			if _, err := r.svc.SetStatus(bg, v.ID, opsroom.StatusUpdate{State: store.OpsClosed, Note: "Famiglia evacuata"}, "verdi"); err != nil {
				t.Fatal(err)
			}
			tl := r.timeline(c.ID)
			for _, want := range []string{"Presa in carico dalla Sala Operativa (verdi)", "assegnata a / assigned to VVF — Squadra in arrivo",
				"chiusa / closed — Famiglia evacuata"} {
				if !strings.Contains(tl, want) {
					t.Fatalf("timeline lacks %q:\n%s", want, tl)
				}
			}
			if got := r.pub.toAgent["rossi"]; len(got) != 3 || got[2].State != store.OpsClosed {
				t.Fatalf("agent told %d updates", len(got))
			}
			d2, err := r.svc.Item(bg, v.ID)
			if err != nil || len(d2.History) != 4 {
				t.Fatalf("history %+v %v", d2.History, err)
			}
			// Nothing was escalated: it was acknowledged in time.
			r.clk.Advance(10 * time.Minute)
			if n := len(r.pub.escalations()); n != 0 || r.phone.count() != 0 {
				t.Fatalf("%d escalations, %d calls after an acknowledgement in time", n, r.phone.count())
			}
		})
	}
}

func TestEscalationRepeatsUntilAcknowledged(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			r := newRig(t, e, opsroom.Config{RoomNumber: "+390668201", CoordinatorEmail: []string{"coordinatore@example.it"},
				RoomEmail: []string{"sala@example.it"}})
			a := r.rescueCase("Anziano solo, casa allagata", "rossi")
			va, _, err := r.svc.Submit(bg, a.ID, "rossi")
			if err != nil {
				t.Fatal(err)
			}
			r.clk.Advance(30 * time.Second)
			b := r.rescueCase("Auto nel sottopasso", "bianchi")
			vb, _, _ := r.svc.Submit(bg, b.ID, "bianchi")

			r.clk.Advance(89 * time.Second) // 1:59 after the first: nothing yet
			if n := len(r.pub.escalations()); n != 0 {
				t.Fatalf("escalated %d times before the deadline", n)
			}
			r.clk.Advance(time.Second) // 2:00
			r.eventually("first escalation", func() bool { return len(r.pub.escalations()) == 1 && r.phone.count() == 1 })
			esc := r.pub.escalations()[0]
			if len(esc.Items) != 1 || esc.Items[0].ID != va.ID || !esc.Called || esc.Items[0].Escalations != 1 {
				t.Fatalf("escalation %+v", esc)
			}
			call := r.phone.calls[0]
			media := strings.Join(call.Media, " ")
			if call.Number != "+390668201" || !strings.Contains(media, "sound:ascolto/sala-operativa-avviso") ||
				!strings.Contains(media, "characters:CC digits:2026 digits:"+strings.TrimPrefix(a.TrackingID, "CC-2026-")) {
				t.Fatalf("call %+v", call)
			}
			// Coordinator and room emailed, through the durable outbox.
			msgs, err := r.db.ClaimOutbox(bg, 10, time.Minute)
			if err != nil || len(msgs) != 2 {
				t.Fatalf("outbox %d %v", len(msgs), err)
			}
			if !strings.Contains(msgs[0].Subject, "URGENTE") || !strings.Contains(string(msgs[0].Raw), a.TrackingID) {
				t.Fatalf("email %s\n%s", msgs[0].Subject, msgs[0].Raw)
			}
			r.clk.Advance(30 * time.Second) // the second item's deadline
			r.eventually("second item escalated", func() bool { return len(r.pub.escalations()) == 2 })
			r.clk.Advance(90 * time.Second) // 4:00: the first again
			r.eventually("repeat", func() bool { return len(r.pub.escalations()) == 3 })
			if got := r.pub.escalations()[2].Items[0]; got.ID != va.ID || got.Escalations != 2 {
				t.Fatalf("repeat %+v", got)
			}
			// Acknowledging the first stops its escalation; the second goes on.
			if _, err := r.svc.Acknowledge(bg, va.ID, "verdi"); err != nil {
				t.Fatal(err)
			}
			r.clk.Advance(30 * time.Second) // 4:30: the second's repeat
			r.eventually("second repeat", func() bool { return len(r.pub.escalations()) == 4 })
			if got := r.pub.escalations()[3].Items; len(got) != 1 || got[0].ID != vb.ID {
				t.Fatalf("after the first was acknowledged %+v", got)
			}
			if _, err := r.svc.Acknowledge(bg, vb.ID, "verdi"); err != nil {
				t.Fatal(err)
			}
			r.clk.Advance(10 * time.Minute)
			if n := len(r.pub.escalations()); n != 4 {
				t.Fatalf("%d escalations after everything was acknowledged", n)
			}
			d, _ := r.svc.Item(bg, va.ID)
			kinds := []string{}
			for _, h := range d.History {
				kinds = append(kinds, h.Kind)
			}
			if strings.Join(kinds, ",") != "forwarded,escalated,called,escalated,called,acknowledged" &&
				strings.Join(kinds, ",") != "forwarded,escalated,called,escalated,acknowledged,called" {
				t.Logf("history %v", kinds)
			}
			if !strings.Contains(strings.Join(kinds, ","), "escalated") || kinds[len(kinds)-1] == "escalated" {
				t.Fatalf("history %v", kinds)
			}
		})
	}
}

// TestEscalationWarnsOncePerRequest: a request nobody acknowledges is
// escalated again and again, but the log warns once, at the first time;
// the repeats are at debug level.
func TestEscalationWarnsOncePerRequest(t *testing.T) {
	r := newRig(t, storetest.Engines()[0], opsroom.Config{})
	a := r.rescueCase("Anziano solo, casa allagata", "rossi")
	if _, _, err := r.svc.Submit(bg, a.ID, "rossi"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 6; i++ {
		r.clk.Advance(2 * time.Minute)
		r.eventually("escalation", func() bool { return len(r.pub.escalations()) == i })
	}
	warned := r.logs.FilterLevelExact(zapcore.WarnLevel).FilterMessage("operations room has not acknowledged: escalated").All()
	if len(warned) != 1 || !strings.Contains(fmt.Sprint(warned[0].ContextMap()["tracking_ids"]), a.TrackingID) {
		t.Fatalf("warnings for one request escalated 6 times: %+v", warned)
	}
	if n := r.logs.FilterLevelExact(zapcore.DebugLevel).FilterMessage("escalation repeated: still not acknowledged").Len(); n != 5 {
		t.Fatalf("%d repeats logged at debug level, want 5", n)
	}
}

func TestEscalationSurvivesARestart(t *testing.T) {
	e := storetest.Engines()[0]
	r := newRig(t, e, opsroom.Config{RoomNumber: "+390668201"})
	c := r.rescueCase("Frana sulla casa", "rossi")
	if _, _, err := r.svc.Submit(bg, c.ID, "rossi"); err != nil {
		t.Fatal(err)
	}
	r.stop()
	// A new process: same database, a service that knows nothing yet.
	pub, phone := &published{}, &roomPhone{}
	svc, err := opsroom.New(opsroom.Options{Store: r.db, Clock: r.clk, Log: zaptest.NewLogger(t), Publisher: pub, Phone: phone,
		Config: opsroom.Config{RoomNumber: "+390668201"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	<-svc.Armed()
	r.clk.Advance(2 * time.Minute)
	r.eventually("escalation after restart", func() bool { return len(pub.escalations()) == 1 && phone.count() == 1 })
}

func TestSweepForwardsWhatACrashLost(t *testing.T) {
	e := storetest.Engines()[0]
	r := newRig(t, e, opsroom.Config{})
	r.stop()
	// Saved, but the process died before Submit.
	c := r.rescueCase("Persona dispersa", "rossi")
	r.clk.Advance(time.Minute)
	svc, err := opsroom.New(opsroom.Options{Store: r.db, Clock: r.clk, Log: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	r.eventually("recovered", func() bool {
		v, err := svc.ItemForCase(bg, c.ID)
		return err == nil && v.SubmittedBy == "rossi" && v.Kind == store.OpsRescue
	})
}

func (r *rig) eventually(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.t.Fatalf("timed out waiting for %s", what)
}

func TestParseConfig(t *testing.T) {
	good, err := opsroom.ParseConfig("90s", "+39 06 68201", "sala@example.it, turno@example.it", "coord@example.it",
		"https://sala.example.it/hook", "0123456789abcdef", "", "https://ascolto.example.it/")
	if err != nil {
		t.Fatal(err)
	}
	if good.EscalateAfter != 90*time.Second || good.RepeatEvery != 90*time.Second || good.RoomNumber != "+390668201" ||
		len(good.RoomEmail) != 2 || good.PublicURL != "https://ascolto.example.it" {
		t.Fatalf("%+v", good)
	}
	def, _ := opsroom.ParseConfig("", "", "", "", "", "", "", "")
	if def.EscalateAfter != 2*time.Minute || def.WebhookURL != "" {
		t.Fatalf("defaults %+v", def)
	}
	bad := [][8]string{
		{"2", "", "", "", "", "", "", ""},
		{"5s", "", "", "", "", "", "", ""},
		{"", "06-68201", "", "", "", "", "", ""},
		{"", "", "sala", "", "", "", "", ""},
		{"", "", "", "", "ftp://x", "0123456789abcdef", "", ""},
		{"", "", "", "", "https://x.example/hook", "short", "", ""},
		{"", "", "", "", "", "", "short", ""},
	}
	for _, b := range bad {
		if _, err := opsroom.ParseConfig(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]); err == nil {
			t.Errorf("%q accepted", b)
		}
	}
}

// TestItemPosition: the room's map places every item with a comune — at
// the citizen's coordinates, else at the province's centroid from the
// bundled boundaries, marked approximate — on a fresh installation.
func TestItemPosition(t *testing.T) {
	r := newRig(t, storetest.Engines()[0], opsroom.Config{})
	atlas, err := r.db.Atlas(bg)
	if err != nil {
		t.Fatal(err)
	}
	bologna, ok := atlas.Centroid(geo.LevelProvincia, "237")
	if !ok {
		t.Fatal("no bundled centroid for Bologna's città metropolitana")
	}
	lat, lon := 44.4949, 11.3426
	cases := []struct {
		name     string
		lat, lon *float64
		want     geo.Location
	}{
		{"citizen's coordinates", &lat, &lon, geo.Location{Point: geo.Point{Lat: lat, Lon: lon}, Precision: geo.PrecisionExact}},
		{"comune only", nil, nil, geo.Location{Point: bologna, Precision: geo.PrecisionProvincia}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cs := r.rescueCaseAt(c.name, "rossi", c.lat, c.lon)
			v, ok, err := r.svc.Submit(bg, cs.ID, "rossi")
			if err != nil || !ok {
				t.Fatalf("submit: %v %v", ok, err)
			}
			if v.Position == nil || *v.Position != c.want {
				t.Fatalf("position %+v, want %+v", v.Position, c.want)
			}
			items, err := r.svc.Items(bg, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				if it.ID == v.ID && (it.Position == nil || *it.Position != c.want) {
					t.Fatalf("listed at %+v, want %+v", it.Position, c.want)
				}
			}
		})
	}
}

// TestHotspotsAgeWithTime: with no item changing, the passing of time
// alone changes the hotspots and the screens hear it: three requests about
// one flooded street are a rising hotspot, forty minutes later a falling
// one, and seventy minutes later none.
func TestHotspotsAgeWithTime(t *testing.T) {
	r := newRig(t, storetest.Engines()[0], opsroom.Config{})
	for i := 0; i < 3; i++ {
		c := r.rescueCase(fmt.Sprintf("Acqua in casa %d", i), "rossi")
		v, _, err := r.svc.Submit(bg, c.ID, "rossi")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Acknowledge(bg, v.ID, "sala"); err != nil {
			t.Fatal(err)
		}
	}
	next := func(after time.Duration) []opsroom.HotspotView {
		t.Helper()
		r.clk.Advance(after)
		select {
		case hs := <-r.pub.hotspots:
			return hs
		case <-time.After(10 * time.Second):
			t.Fatalf("no hotspots announced %s on", after)
			return nil
		}
	}
	if hs := next(time.Minute); len(hs) != 1 || hs[0].Count != 3 || hs[0].Trend != hotspot.Rising {
		t.Fatalf("a minute on: %+v", hs)
	}
	if hs := next(40 * time.Minute); len(hs) != 1 || hs[0].Trend != hotspot.Falling {
		t.Fatalf("41 minutes on: %+v", hs)
	}
	if hs := next(30 * time.Minute); len(hs) != 0 {
		t.Fatalf("71 minutes on, the hotspot is still there: %+v", hs)
	}
	// What the screens fetch says the same.
	if hs, err := r.svc.Hotspots(bg); err != nil || len(hs) != 0 {
		t.Fatalf("hotspots 71 minutes on: %+v, %v", hs, err)
	}
}
