package oncall

import (
	"context"
	"errors"
	"time"

	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// Run calls for the open activations until ctx ends: it claims each one
// (so two processes never call the same people), resumes what a previous
// runner left (calls in progress at a crash count as interrupted and are
// retried; answers already recorded stand), starts waves on time, keeps at
// most MaxCalls calls up, sends the email and SMS fallbacks, and records
// every step. It needs a Phone.
func (s *Service) Run(ctx context.Context) error {
	if s.o.Phone == nil {
		return errors.New("oncall: the runner needs a phone")
	}
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("oncall: the runner is already running")
	}
	s.running = true
	s.mu.Unlock()
	defer s.stop()
	if s.o.Publish != nil {
		pctx, cancel := context.WithCancel(ctx)
		defer cancel()
		s.work.Add(1)
		go func() { defer s.work.Done(); s.publisher(pctx) }()
	}
	for {
		wake := s.tick(ctx)
		wait := s.o.Poll
		if !wake.IsZero() {
			if d := wake.Sub(s.clock.Now()); d < wait {
				wait = max(d, 0)
			}
		}
		t := s.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.wake:
			t.Stop()
		case <-t.C():
		}
	}
}

// stop cancels the calls in progress (a restart: they will be retried by
// the next runner) and releases the activations.
func (s *Service) stop() {
	s.mu.Lock()
	for _, calls := range s.inflight {
		for _, cancel := range calls {
			cancel()
		}
	}
	ids := make([]int64, 0, len(s.claimed))
	for id := range s.claimed {
		ids = append(ids, id)
	}
	s.claimed = map[int64]bool{}
	s.running = false
	s.mu.Unlock()
	// The calls just cancelled record how they ended before the claims go.
	s.work.Wait()
	for _, id := range ids {
		s.db.ReleaseActivation(context.Background(), id, s.runner)
	}
}

// tick does one round over the open activations; it returns when it wants
// to look again (zero: at the next poll).
func (s *Service) tick(ctx context.Context) time.Time {
	acts, err := s.db.OpenActivations(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("open activations not read", zap.Error(err))
		}
		return time.Time{}
	}
	open := map[int64]bool{}
	var wake time.Time
	for _, a := range acts {
		open[a.ID] = true
		ok, err := s.db.ClaimActivation(ctx, a.ID, s.runner, s.o.Lease)
		if err != nil || !ok {
			if err != nil && ctx.Err() == nil {
				s.log.Warn("activation not claimed", zap.Int64("activation", a.ID), zap.Error(err))
			}
			continue
		}
		s.mu.Lock()
		first := !s.claimed[a.ID]
		s.claimed[a.ID] = true
		s.mu.Unlock()
		if first {
			if err := s.resume(ctx, a); err != nil {
				s.log.Error("activation not resumed", zap.Int64("activation", a.ID), zap.Error(err))
				continue
			}
		}
		w, err := s.step(ctx, a)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("activation step failed", zap.Int64("activation", a.ID), zap.Error(err))
			}
			continue
		}
		if !w.IsZero() {
			wake = earliest(wake, w)
		}
	}
	// Activations closed meanwhile: hang up their calls.
	s.mu.Lock()
	for id := range s.claimed {
		if !open[id] {
			for _, cancel := range s.inflight[id] {
				cancel()
			}
			delete(s.claimed, id)
		}
	}
	s.mu.Unlock()
	// Renew the leases well before they run out.
	renew := s.clock.Now().Add(s.o.Lease / 3)
	return earliest(wake, renew)
}

// resume closes the attempts a previous runner left open: its calls were
// cut when it stopped, so they count as interrupted and the people are
// called again; an SMS not known to be sent is sent again.
func (s *Service) resume(ctx context.Context, a store.Activation) error {
	atts, err := s.db.ActivationAttempts(ctx, a.ID)
	if err != nil {
		return err
	}
	pol := policyOf(a)
	for _, at := range atts {
		if !at.EndedAt.IsZero() {
			continue
		}
		switch at.Channel {
		case "phone":
			err = s.db.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.EndAttempt(ctx, at.ID, tx.Now, string(OutcomeInterrupted), "runner restarted"); err != nil {
					return err
				}
				p, err := tx.ActivationPerson(ctx, at.PersonID)
				if err != nil {
					return err
				}
				if err := s.applyOutcome(ctx, tx, p, OutcomeInterrupted, pol, tx.Now); err != nil {
					return err
				}
				return tx.Audit(ctx, store.AuditEntry{Actor: "system", Action: "activation.call.end", Object: store.ActivationObject(a.ID),
					Detail: map[string]any{"person": p.Person, "name": p.Name, "result": string(OutcomeInterrupted), "attempt": at.ID}})
			})
		case "sms":
			p, perr := s.person(ctx, at.PersonID)
			if perr == nil {
				s.work.Add(1)
				go func() { defer s.work.Done(); s.sendSMS(context.WithoutCancel(ctx), a, p, at.ID) }()
			}
		}
		if err != nil && !errors.Is(err, store.ErrAlreadyClosed) {
			return err
		}
	}
	return s.db.Audit(ctx, store.AuditEntry{Actor: "system", Action: "activation.resume", Object: store.ActivationObject(a.ID),
		Detail: map[string]any{"runner": s.runner}})
}

func (s *Service) person(ctx context.Context, id int64) (store.ActivationPerson, error) {
	var p store.ActivationPerson
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		p, err = tx.ActivationPerson(ctx, id)
		return err
	})
	return p, err
}

func (s *Service) inflightCount() int {
	n := 0
	for _, calls := range s.inflight {
		n += len(calls)
	}
	return n
}

// step decides for one activation and carries the decision out.
func (s *Service) step(ctx context.Context, a store.Activation) (time.Time, error) {
	// Who is on the phone is taken before the people are read: a call
	// records its result, then leaves the in-flight set, so a person not
	// in the set here has a result the read below sees. Read the other
	// way round, a call ending in between left its person free with the
	// retry time of the call before, and they were phoned again at once.
	s.mu.Lock()
	busy := map[int64]bool{}
	for id := range s.inflight[a.ID] {
		busy[id] = true
	}
	free := s.o.MaxCalls - s.inflightCount()
	s.mu.Unlock()
	people, err := s.db.ActivationPeople(ctx, a.ID)
	if err != nil {
		return time.Time{}, err
	}
	waves, err := s.db.ActivationWaves(ctx, a.ID)
	if err != nil {
		return time.Time{}, err
	}
	pol := policyOf(a)
	st := State{OpenedAt: a.OpenedAt, Quorum: a.Quorum}
	for _, w := range waves {
		st.Waves = append(st.Waves, WaveState{Name: w.Name, Wait: w.Wait, StartedAt: w.StartedAt})
	}
	byID := map[int64]store.ActivationPerson{}
	for _, p := range people {
		byID[p.ID] = p
		st.People = append(st.People, calleeOf(p, busy[p.ID]))
	}
	now := s.clock.Now()
	d := Decide(st, now, free)
	changed := false
	// Waves and their notifications, and the phase, in one transaction.
	started := map[int]bool{}
	for i, w := range st.Waves {
		if !w.StartedAt.IsZero() {
			started[i] = true
		}
	}
	for _, i := range d.StartWaves {
		started[i] = true
	}
	var notify []store.ActivationPerson
	if d.Phase != PhaseQuorum {
		for _, p := range people {
			if started[p.Wave] && p.NotifiedAt.IsZero() && p.Status == store.PersonWaiting {
				notify = append(notify, p)
			}
		}
	}
	var sms []smsJob
	if len(d.StartWaves) > 0 || len(notify) > 0 || string(d.Phase) != a.State {
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			sms = sms[:0]
			for _, i := range d.StartWaves {
				if i == 0 && !st.Waves[0].StartedAt.IsZero() {
					continue
				}
				if err := tx.StartActivationWave(ctx, a.ID, i, st.Waves[i].Name, now); err != nil {
					return err
				}
			}
			for _, p := range notify {
				jobs, err := s.notify(ctx, tx, a, p)
				if err != nil {
					return err
				}
				sms = append(sms, jobs...)
			}
			if string(d.Phase) != a.State {
				detail := map[string]any{"confirmed": d.Confirmed, "quorum": a.Quorum}
				if d.Phase == PhaseQuorum {
					detail["minutes"] = now.Sub(a.OpenedAt).Minutes()
				}
				return tx.SetActivationState(ctx, a.ID, string(d.Phase), now, detail)
			}
			return nil
		})
		if err != nil {
			return time.Time{}, err
		}
		changed = true
		if len(notify) > 0 && s.o.Mail != nil {
			s.o.Mail.Wake()
		}
		for _, j := range sms {
			s.work.Add(1)
			go func() { defer s.work.Done(); s.sendSMS(context.WithoutCancel(ctx), a, j.person, j.attempt) }()
		}
	}
	for _, id := range d.Call {
		s.startCall(ctx, a, byID[id], pol)
		changed = true
	}
	if changed {
		s.changed(a.ID)
	}
	return d.Wake, nil
}

func calleeOf(p store.ActivationPerson, busy bool) Callee {
	return Callee{ID: p.ID, Wave: p.Wave, Seq: p.Seq, Operator: p.Role == RoleOperator, Status: Status(p.Status),
		Attempts: p.Attempts, Refusals: p.Refusals, NextAttemptAt: p.NextAttemptAt, InFlight: busy}
}

// startCall phones one person in its own goroutine, recording the attempt
// before dialling and each answer the moment it is given.
func (s *Service) startCall(ctx context.Context, a store.Activation, p store.ActivationPerson, pol Policy) {
	runCtx := ctx
	cctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	if s.inflight[a.ID] == nil {
		s.inflight[a.ID] = map[int64]context.CancelFunc{}
	}
	s.inflight[a.ID][p.ID] = cancel
	s.mu.Unlock()
	obj := store.ActivationObject(a.ID)
	att := store.ActivationAttempt{ActivationID: a.ID, PersonID: p.ID, Channel: "phone"}
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.BeginAttempt(ctx, &att); err != nil {
			return err
		}
		return tx.Audit(ctx, store.AuditEntry{Actor: "system", Action: "activation.call", Object: obj,
			Detail: map[string]any{"person": p.Person, "name": p.Name, "phone": p.Phone, "wave": p.Wave, "try": p.Attempts + p.Refusals + 1, "attempt": att.ID}})
	})
	if err != nil {
		cancel()
		s.mu.Lock()
		delete(s.inflight[a.ID], p.ID)
		s.mu.Unlock()
		s.log.Error("call attempt not recorded; not calling", zap.String("person", p.Person), zap.Error(err))
		return
	}
	purpose := "callout"
	if a.Exercise {
		purpose = "callout-drill"
	}
	s.work.Add(1)
	go func() {
		defer s.work.Done()
		// Answers are written even while the runner stops: they were given.
		ctx := context.WithoutCancel(cctx)
		defer func() {
			cancel()
			s.mu.Lock()
			delete(s.inflight[a.ID], p.ID)
			s.mu.Unlock()
			s.Wake()
		}()
		answered := false
		answer := func(r Reply) {
			answered = true
			err := s.db.InTx(ctx, func(tx *store.Tx) error {
				cur, err := tx.ActivationPerson(ctx, p.ID)
				if err != nil {
					return err
				}
				return s.record(ctx, tx, cur, r, "phone", "")
			})
			if err != nil {
				s.log.Error("answer not recorded", zap.String("person", p.Person), zap.Error(err))
			}
			s.Wake()
			s.changed(a.ID)
		}
		hooks := callHooks{
			confirmed: func(eta int) { answer(Reply{Coming: true, ETA: eta}) },
			eta:       func(eta int) { answer(Reply{Coming: true, ETA: eta}) },
			declined:  func() { answer(Reply{Coming: false}) },
		}
		outcome, detail := converse(cctx, s.o.Phone, DialRequest{Number: p.Phone, Purpose: purpose,
			LinkedID: "activation-" + itoa(a.ID), Timeout: pol.Ring}, a.Exercise, hooks)
		if outcome == OutcomeInterrupted && runCtx.Err() != nil {
			// The runner is stopping: the attempt stays open and the next
			// runner counts it as interrupted.
			return
		}
		if outcome == OutcomeInterrupted {
			detail = "activation closed"
		}
		if answered && outcome != OutcomeConfirmed && outcome != OutcomeDeclined {
			detail = "answered, then " + string(outcome)
		}
		err := s.db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.EndAttempt(ctx, att.ID, tx.Now, string(outcome), detail); err != nil {
				return err
			}
			cur, err := tx.ActivationPerson(ctx, p.ID)
			if err != nil {
				return err
			}
			if !answered {
				if err := s.applyOutcome(ctx, tx, cur, outcome, pol, tx.Now); err != nil {
					return err
				}
			}
			return tx.Audit(ctx, store.AuditEntry{Actor: "system", Action: "activation.call.end", Object: obj,
				Detail: map[string]any{"person": p.Person, "name": p.Name, "result": string(outcome), "detail": detail, "attempt": att.ID}})
		})
		if err != nil {
			s.log.Error("call result not recorded", zap.String("person", p.Person), zap.Error(err))
		}
		s.changed(a.ID)
	}()
}

// applyOutcome moves a person on after a call that brought no answer. A
// person who answered meanwhile by another channel is left as they are.
func (s *Service) applyOutcome(ctx context.Context, tx *store.Tx, p store.ActivationPerson, o Outcome, pol Policy, now time.Time) error {
	if Status(p.Status).Final() && p.Status != store.PersonUnreachable {
		return nil
	}
	if p.Status == store.PersonUnreachable {
		return nil
	}
	next := After(calleeOf(p, false), o, now, pol)
	st := string(next.Status)
	return tx.UpdateActivationPerson(ctx, p.ID, store.PersonUpdate{Status: &st, Attempts: &next.Attempts, Refusals: &next.Refusals,
		NextAttemptAt: &next.NextAttemptAt})
}

type smsJob struct {
	person  store.ActivationPerson
	attempt int64
}
