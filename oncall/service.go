package oncall

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/mail"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// Events opens and closes the emergency event an activation belongs to:
// StoreEvents (the operations room's events, the default), or NoEvents,
// which keeps the event's name on the activation only.
type Events interface {
	OpenEvent(ctx context.Context, r EventRequest) (ref string, err error)
	CloseEvent(ctx context.Context, ref, by string) error
}

// EventRequest is the event an activation opens.
type EventRequest struct {
	Name     string
	Area     []string // ISTAT regioni and province; empty: anywhere
	Reason   string
	By       string
	Exercise bool
}

// NoEvents is Events when no operations room is connected.
type NoEvents struct{}

// OpenEvent opens nothing.
func (NoEvents) OpenEvent(context.Context, EventRequest) (string, error) { return "", nil }

// CloseEvent closes nothing.
func (NoEvents) CloseEvent(context.Context, string, string) error { return nil }

// Options wires the service.
type Options struct {
	Store *store.DB
	Clock clock.Clock
	Log   *zap.Logger
	// Phone places calls; nil in a process that does not call (the CLI):
	// the running service's Runner calls for the activations it opens.
	Phone Phone
	// Mail queues the email fallback in the durable outbox (nil: no email).
	Mail *mail.Service
	// SMS sends the SMS fallback (nil: no SMS).
	SMS SMS
	// Events opens and closes the emergency event (nil: StoreEvents).
	Events Events
	// PublicURL is where people reach the confirmation page
	// (https://ascolto.example.it); the links are PublicURL/attivazione/TOKEN.
	PublicURL string
	// MaxCalls bounds simultaneous outbound calls (default 10).
	MaxCalls int
	// Lease is how long this runner holds an activation without renewing
	// (default 15 s); Poll how often it looks for work (default 1 s).
	Lease time.Duration
	Poll  time.Duration
	// OnChange is told an activation changed; called from the runner's
	// goroutines, it must not block.
	OnChange func(activationID int64)
	// Publish receives the rebuilt board of each activation that changed
	// (the console's PublishActivation): Run rebuilds it at once, and a
	// burst of changes costs one rebuild, not one per change.
	Publish func(Board)
}

// Service opens, runs, shows and closes activations.
type Service struct {
	o      Options
	db     *store.DB
	clock  clock.Clock
	log    *zap.Logger
	events Events
	runner string
	wake   chan struct{}

	dirtyMu sync.Mutex
	dirty   map[int64]bool
	publish chan struct{}

	mu       sync.Mutex
	inflight map[int64]map[int64]context.CancelFunc // activation → person → cancel
	// work counts the runner's goroutines (calls, SMS, the publisher): Run
	// returns only after they have, so none logs after the service stops.
	work    sync.WaitGroup
	claimed map[int64]bool
	running bool
}

// New builds the service.
func New(o Options) (*Service, error) {
	if o.Store == nil {
		return nil, errors.New("oncall: a store is required")
	}
	if o.Clock == nil {
		o.Clock = clock.Real()
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Events == nil {
		o.Events = StoreEvents{DB: o.Store}
	}
	if o.MaxCalls <= 0 {
		o.MaxCalls = 10
	}
	if o.Lease <= 0 {
		o.Lease = 15 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	return &Service{o: o, db: o.Store, clock: o.Clock, log: o.Log, events: o.Events, runner: "runner-" + token()[:10],
		wake: make(chan struct{}, 1), dirty: map[int64]bool{}, publish: make(chan struct{}, 1), inflight: map[int64]map[int64]context.CancelFunc{}, claimed: map[int64]bool{}}, nil
}

func token() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Wake tells the runner something changed.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) changed(id int64) {
	if s.o.OnChange != nil {
		s.o.OnChange(id)
	}
	if s.o.Publish != nil {
		s.dirtyMu.Lock()
		s.dirty[id] = true
		s.dirtyMu.Unlock()
		select {
		case s.publish <- struct{}{}:
		default:
		}
	}
}

// publisher rebuilds and publishes the boards of changed activations.
func (s *Service) publisher(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.publish:
		}
		s.dirtyMu.Lock()
		ids := s.dirty
		s.dirty = map[int64]bool{}
		s.dirtyMu.Unlock()
		for id := range ids {
			b, err := s.Board(ctx, id, false)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("activation board not rebuilt", zap.Int64("activation", id), zap.Error(err))
				}
				continue
			}
			s.o.Publish(b)
		}
	}
}

// Errors a person acting on activations reads.
var (
	// ErrNoRoster means no roster was imported yet.
	ErrNoRoster = errors.New("oncall: no on-call roster imported yet")
	// ErrNobody means nobody is in any wave at this moment.
	ErrNobody = errors.New("oncall: nobody to call")
	// ErrAlreadyOpen means an activation of that kind is already open.
	ErrAlreadyOpen = errors.New("oncall: an activation is already open")
	// ErrNotOpen means there is no open activation to act on.
	ErrNotOpen = errors.New("oncall: no open activation")
)

// ImportRoster checks a YAML roster and stores it as the new version.
func (s *Service) ImportRoster(ctx context.Context, src []byte, by, comment string) (*Roster, store.Roster, error) {
	r, err := ParseRoster(src)
	if err != nil {
		return nil, store.Roster{}, err
	}
	return s.saveRoster(ctx, r, by, comment)
}

// ImportCalendar replaces the current roster's shifts with an iCalendar
// file's, checked like a YAML import, as a new version.
func (s *Service) ImportCalendar(ctx context.Context, ics io.Reader, by, comment string) (*Roster, store.Roster, error) {
	cur, _, err := s.Roster(ctx)
	if err != nil {
		return nil, store.Roster{}, err
	}
	shifts, err := cur.ImportICS(ics)
	if err != nil {
		return nil, store.Roster{}, err
	}
	r, err := cur.WithShifts(shifts)
	if err != nil {
		return nil, store.Roster{}, err
	}
	return s.saveRoster(ctx, r, by, comment)
}

func (s *Service) saveRoster(ctx context.Context, r *Roster, by, comment string) (*Roster, store.Roster, error) {
	rec := store.Roster{Source: string(r.YAML()), Checksum: r.Checksum(), People: len(r.People), Comment: comment, CreatedBy: by}
	if err := s.db.SaveRoster(ctx, &rec); err != nil {
		return nil, store.Roster{}, err
	}
	return r, rec, nil
}

// Roster returns the roster in force, or ErrNoRoster.
func (s *Service) Roster(ctx context.Context) (*Roster, store.Roster, error) {
	rec, err := s.db.CurrentRoster(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, store.Roster{}, ErrNoRoster
	}
	if err != nil {
		return nil, store.Roster{}, err
	}
	r, err := ParseRoster([]byte(rec.Source))
	if err != nil {
		return nil, store.Roster{}, fmt.Errorf("oncall: stored roster %d: %w", rec.Version, err)
	}
	return r, rec, nil
}

// OpenRequest is the Department's request.
type OpenRequest struct {
	Event       string
	RequestedBy string
	Reason      string
	By          string // who opened it (cli:user, console user)
	Quorum      int    // 0: the roster's
	Exercise    bool
}

// frozen is what an activation keeps of its roster's rules.
type frozen struct {
	Policy
}

// Open opens an activation in one step: the emergency mode (not for a
// drill), the activation with the waves and people the roster has on call
// now, then the emergency event. The runner starts calling within a second.
func (s *Service) Open(ctx context.Context, r OpenRequest) (store.Activation, error) {
	r.Event, r.RequestedBy, r.Reason = strings.TrimSpace(r.Event), strings.TrimSpace(r.RequestedBy), strings.TrimSpace(r.Reason)
	if r.Event == "" || r.RequestedBy == "" || r.Reason == "" {
		return store.Activation{}, fmt.Errorf("%w: the event, who requested the activation and why are all required", store.ErrInvalid)
	}
	if r.Quorum < 0 {
		return store.Activation{}, fmt.Errorf("%w: quorum %d", store.ErrInvalid, r.Quorum)
	}
	roster, rec, err := s.Roster(ctx)
	if err != nil {
		return store.Activation{}, err
	}
	now := s.clock.Now()
	plan := roster.Plan(now)
	quorum := r.Quorum
	if quorum == 0 {
		quorum = roster.Quorum
	}
	pol, _ := json.Marshal(frozen{roster.Policy})
	a := store.Activation{Event: r.Event, RequestedBy: r.RequestedBy, Reason: r.Reason, OpenedBy: r.By, Exercise: r.Exercise,
		Quorum: quorum, RosterVersion: rec.Version, Policy: string(pol)}
	req := store.OpenActivationRequest{Activation: &a}
	seq := 0
	for i, w := range plan {
		req.Waves = append(req.Waves, store.ActivationWave{Wave: i, Name: w.Name, Wait: w.Wait})
		for _, p := range w.People {
			seq++
			req.People = append(req.People, store.ActivationPerson{Person: p.ID, Name: p.Name, Phone: p.Phone, Email: p.Email,
				Site: p.Site, Role: p.Role, Username: p.Username, Wave: i, Seq: seq, Token: token()})
		}
	}
	if len(req.People) == 0 {
		return store.Activation{}, fmt.Errorf("%w: no wave has anyone on call at %s", ErrNobody, now.In(rome).Format("2006-01-02 15:04"))
	}
	if !r.Exercise {
		req.Mode = &store.ModeChange{Mode: store.ModeEmergency, Reason: "Attivazione: " + r.Event + " — " + r.Reason, SetBy: r.By}
	}
	if err := s.db.OpenActivation(ctx, req); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.Activation{}, ErrAlreadyOpen
		}
		return store.Activation{}, err
	}
	ref, err := s.events.OpenEvent(ctx, EventRequest{Name: r.Event, Reason: r.Reason, By: r.By, Exercise: r.Exercise})
	if err != nil {
		// The call-out goes on: people come in whether or not the ops room
		// heard. The failure is in the timeline for the coordinator.
		s.log.Error("emergency event not opened", zap.Int64("activation", a.ID), zap.Error(err))
		s.db.Audit(ctx, store.AuditEntry{Actor: "system", Action: "activation.event.failed", Object: store.ActivationObject(a.ID),
			Detail: map[string]any{"error": err.Error()}})
	} else if ref != "" {
		a.EventRef = ref
		if err := s.db.SetActivationEvent(ctx, a.ID, ref); err != nil {
			s.log.Error("event of activation not recorded", zap.Error(err))
		}
	}
	s.Wake()
	s.changed(a.ID)
	return a, nil
}

// CloseRequest closes the open activation of a kind.
type CloseRequest struct {
	ID       int64 // 0: the open one of the kind
	Exercise bool
	By       string
	Reason   string
}

// Close closes an activation: the call-out stops, a real emergency
// returns to the calendar's mode (when the mode in force is still the
// emergency it set), and the event closes.
func (s *Service) Close(ctx context.Context, r CloseRequest) (store.Activation, error) {
	a, err := s.openActivation(ctx, r.ID, r.Exercise)
	if err != nil {
		return store.Activation{}, err
	}
	req := store.CloseActivationRequest{ID: a.ID, By: r.By, Reason: r.Reason}
	if !a.Exercise {
		m, err := s.db.CurrentMode(ctx, s.clock.Now())
		if err == nil && m.Mode == store.ModeEmergency {
			req.Mode = &store.ModeChange{Mode: store.ModeOrdinary, Reason: "Fine attivazione: " + a.Event, SetBy: r.By}
		}
	}
	if err := s.db.CloseActivation(ctx, req); err != nil {
		return store.Activation{}, err
	}
	if a.EventRef != "" {
		if err := s.events.CloseEvent(ctx, a.EventRef, r.By); err != nil {
			s.log.Error("emergency event not closed", zap.Int64("activation", a.ID), zap.Error(err))
			s.db.Audit(ctx, store.AuditEntry{Actor: "system", Action: "activation.event.failed", Object: store.ActivationObject(a.ID),
				Detail: map[string]any{"error": err.Error(), "step": "close"}})
		}
	}
	s.Wake()
	s.changed(a.ID)
	return s.db.Activation(ctx, a.ID)
}

func (s *Service) openActivation(ctx context.Context, id int64, exercise bool) (store.Activation, error) {
	if id != 0 {
		a, err := s.db.Activation(ctx, id)
		if err != nil {
			return a, err
		}
		if !a.ClosedAt.IsZero() {
			return a, ErrNotOpen
		}
		return a, nil
	}
	a, err := s.db.LatestActivation(ctx, exercise)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !a.ClosedAt.IsZero()) {
		return store.Activation{}, ErrNotOpen
	}
	return a, err
}

// Current returns the open activation of a kind, else the latest one,
// else store.ErrNotFound.
func (s *Service) Current(ctx context.Context, exercise bool) (store.Activation, error) {
	return s.db.LatestActivation(ctx, exercise)
}

func policyOf(a store.Activation) Policy {
	f := frozen{DefaultPolicy()}
	json.Unmarshal([]byte(a.Policy), &f)
	return f.Policy
}

// Reply is a person's answer through the confirmation link.
type Reply struct {
	Coming bool
	ETA    int // minutes; -1 unknown
}

// Respond records a person's answer from the confirmation link (or any
// channel but the phone call itself), audited; it returns the person.
func (s *Service) Respond(ctx context.Context, tok string, r Reply, via, remote string) (store.ActivationPerson, store.Activation, error) {
	p, err := s.db.ActivationPersonByToken(ctx, tok)
	if err != nil {
		return p, store.Activation{}, err
	}
	var a store.Activation
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if a, err = tx.Activation(ctx, p.ActivationID); err != nil {
			return err
		}
		if !a.ClosedAt.IsZero() {
			return ErrNotOpen
		}
		if p, err = tx.ActivationPerson(ctx, p.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, p, r, via, remote)
	})
	if err != nil {
		return p, a, err
	}
	s.Wake()
	s.changed(p.ActivationID)
	p, err = s.db.ActivationPersonByToken(ctx, tok)
	return p, a, err
}

// record writes a confirmation or a refusal and its audit entry.
func (s *Service) record(ctx context.Context, tx *store.Tx, p store.ActivationPerson, r Reply, via, remote string) error {
	now := tx.Now
	detail := map[string]any{"person": p.Person, "name": p.Name, "via": via}
	if r.Coming {
		st := store.PersonConfirmed
		u := store.PersonUpdate{Status: &st, ConfirmedVia: &via}
		if p.Status != store.PersonConfirmed {
			u.ConfirmedAt = &now
		}
		if r.ETA >= 0 {
			u.ETAMinutes = &r.ETA
			detail["eta_min"] = r.ETA
		}
		if err := tx.UpdateActivationPerson(ctx, p.ID, u); err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Actor: "person:" + p.Person, Action: "activation.confirm", Object: store.ActivationObject(p.ActivationID),
			Detail: detail, Remote: remote})
	}
	st := store.PersonDeclined
	if err := tx.UpdateActivationPerson(ctx, p.ID, store.PersonUpdate{Status: &st, DeclinedAt: &now}); err != nil {
		return err
	}
	return tx.Audit(ctx, store.AuditEntry{Actor: "person:" + p.Person, Action: "activation.decline", Object: store.ActivationObject(p.ActivationID),
		Detail: detail, Remote: remote})
}

// Arrived matches a console login (or an agent's phone login) to the
// people of open activations: the board shows them arrived, and someone who
// had not confirmed counts as confirmed by coming. The lead calls it on
// every console sign-in and agent login; it is cheap when nothing is open.
func (s *Service) Arrived(ctx context.Context, username, email, how string) error {
	people, err := s.db.OpenActivationPeopleFor(ctx, username, email)
	if err != nil || len(people) == 0 {
		return err
	}
	touched := map[int64]bool{}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		for _, p := range people {
			if !p.ArrivedAt.IsZero() {
				continue
			}
			now := tx.Now
			u := store.PersonUpdate{ArrivedAt: &now}
			if p.Status != store.PersonConfirmed {
				st, via := store.PersonConfirmed, "login"
				u.Status, u.ConfirmedVia, u.ConfirmedAt = &st, &via, &now
			}
			if err := tx.UpdateActivationPerson(ctx, p.ID, u); err != nil {
				return err
			}
			touched[p.ActivationID] = true
			if err := tx.Audit(ctx, store.AuditEntry{Actor: username, Action: "activation.login", Object: store.ActivationObject(p.ActivationID),
				Detail: map[string]any{"person": p.Person, "name": p.Name, "how": how, "was": p.Status}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for id := range touched {
		s.changed(id)
	}
	s.Wake()
	return nil
}

// ConfirmURL is a person's confirmation link.
func (s *Service) ConfirmURL(tok string) string { return s.o.PublicURL + "/attivazione/" + tok }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
