// Package live holds the configuration the running service follows from
// one moment to the next: the operating mode, the active IVR flow and the
// site calendar. It polls the store, so a change made from the CLI in
// another process takes effect within a second, and it tells subscribers
// (the console, metrics) when the mode changes.
//
// It reads through a small interface, so tests can drive it with a real
// store; it never writes.
package live

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ascolto/ascolto/clock"
	"github.com/ascolto/ascolto/ivr"
	"github.com/ascolto/ascolto/store"
	"go.uber.org/zap"
)

// Source is what State reads from the store.
type Source interface {
	CurrentMode(ctx context.Context, at time.Time) (store.ModeChange, error)
	ActiveFlowVersion(ctx context.Context) (int64, error)
	Flow(ctx context.Context, version int64) (store.FlowVersion, error)
	QueueNames(ctx context.Context) ([]string, error)
	SiteByCode(ctx context.Context, code string) (store.Site, error)
}

// Mode is the operating mode in force and why.
type Mode struct {
	Mode   ivr.Mode
	Reason string
	SetBy  string
	SetAt  time.Time
	Until  time.Time
}

// Flow is a loaded, validated flow version. Version 0 is the built-in default.
type Flow struct {
	Version int64
	Flow    *ivr.Flow
}

// State is the live configuration. Reads are lock-light and never touch the
// database; Run refreshes it.
type State struct {
	src     Source
	clock   clock.Clock
	log     *zap.Logger
	site    string
	prompts *ivr.Prompts

	mu       sync.RWMutex
	mode     Mode
	flow     Flow
	calendar *ivr.Calendar
	subs     map[chan Mode]struct{}
}

// New builds the state with the built-in defaults (ordinary mode, the
// default flow, the default site calendar) until the first refresh.
func New(src Source, c clock.Clock, log *zap.Logger, site string) (*State, error) {
	prompts, err := ivr.DefaultPrompts()
	if err != nil {
		return nil, err
	}
	def, err := ivr.DefaultFlow()
	if err != nil {
		return nil, err
	}
	ds, err := ivr.DefaultSite()
	if err != nil {
		return nil, err
	}
	cal, err := ivr.NewCalendar(ds)
	if err != nil {
		return nil, err
	}
	return &State{src: src, clock: c, log: log, site: site, prompts: prompts,
		mode: Mode{Mode: ivr.ModeOrdinary}, flow: Flow{Version: 0, Flow: def}, calendar: cal,
		subs: map[chan Mode]struct{}{}}, nil
}

// Mode returns the operating mode in force.
func (s *State) Mode() Mode {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mode
}

// Flow returns the flow new calls start on.
func (s *State) Flow() Flow {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.flow
}

// Calendar returns the site calendar.
func (s *State) Calendar() *ivr.Calendar {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.calendar
}

// Prompts returns the prompt catalog.
func (s *State) Prompts() *ivr.Prompts { return s.prompts }

// Subscribe returns a channel that receives each new mode; cancel stops it.
// A slow subscriber misses intermediate modes, never the latest.
func (s *State) Subscribe() (<-chan Mode, func()) {
	ch := make(chan Mode, 1)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}
}

// Run refreshes the state every interval until ctx ends.
func (s *State) Run(ctx context.Context, every time.Duration) {
	for {
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("live configuration not refreshed", zap.Error(err))
		}
		t := s.clock.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// Refresh reads the mode, the active flow and the calendar once.
func (s *State) Refresh(ctx context.Context) error {
	var errs []error
	now := s.clock.Now()
	m := Mode{Mode: ivr.ModeOrdinary}
	mc, err := s.src.CurrentMode(ctx, now)
	switch {
	case err == nil:
		mode, perr := ivr.ParseMode(mc.Mode)
		if perr != nil {
			errs = append(errs, perr)
			break
		}
		m = Mode{Mode: mode, Reason: mc.Reason, SetBy: mc.SetBy, SetAt: mc.SetAt, Until: mc.Until}
	case errors.Is(err, store.ErrNotFound):
	default:
		errs = append(errs, err)
		m = s.Mode() // keep what we had rather than guess
	}
	s.setMode(m)

	if err := s.refreshFlow(ctx); err != nil {
		errs = append(errs, err)
	}
	if site, err := s.src.SiteByCode(ctx, s.site); err == nil {
		if cal, err := siteCalendar(site); err != nil {
			errs = append(errs, err)
		} else {
			s.mu.Lock()
			s.calendar = cal
			s.mu.Unlock()
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *State) setMode(m Mode) {
	s.mu.Lock()
	changed := m.Mode != s.mode.Mode || m.SetAt != s.mode.SetAt
	s.mode = m
	var subs []chan Mode
	if changed {
		for ch := range s.subs {
			subs = append(subs, ch)
		}
	}
	s.mu.Unlock()
	if changed {
		s.log.Info("operating mode", zap.String("mode", string(m.Mode)), zap.String("reason", m.Reason), zap.String("by", m.SetBy))
	}
	for _, ch := range subs {
		select {
		case <-ch: // drop the stale one: the latest mode is what matters
		default:
		}
		ch <- m
	}
}

func (s *State) refreshFlow(ctx context.Context) error {
	v, err := s.src.ActiveFlowVersion(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil // never applied: the built-in default stays
	}
	if err != nil {
		return err
	}
	if v == s.Flow().Version {
		return nil
	}
	fv, err := s.src.Flow(ctx, v)
	if err != nil {
		return err
	}
	queues, err := s.src.QueueNames(ctx)
	if err != nil {
		return err
	}
	f, err := ivr.Load([]byte(fv.Source), ivr.NewCatalog(s.prompts, queues))
	if err != nil {
		// Applied flows were validated, but a queue may have been deleted
		// since: keep the running flow and say so loudly.
		return fmt.Errorf("live: active flow version %d no longer validates, keeping version %d: %w", v, s.Flow().Version, err)
	}
	s.mu.Lock()
	s.flow = Flow{Version: v, Flow: f}
	s.mu.Unlock()
	s.log.Info("IVR flow activated", zap.Int64("version", v), zap.String("name", fv.Name))
	return nil
}

// siteCalendar reads a site's calendar; an empty one means the default
// hours (Monday to Friday 9-18, Europe/Rome).
func siteCalendar(site store.Site) (*ivr.Calendar, error) {
	var sc ivr.Site
	var err error
	if site.Calendar == "" || site.Calendar == "{}" {
		sc, err = ivr.DefaultSite()
	} else {
		sc, err = ivr.ParseSite([]byte(site.Calendar))
	}
	if err != nil {
		return nil, fmt.Errorf("live: calendar of site %s: %w", site.Code, err)
	}
	return ivr.NewCalendar(sc)
}
