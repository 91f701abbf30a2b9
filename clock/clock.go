// Package clock owns the notion of time for the whole program: a real clock
// for production, a fake one that tests advance by hand, and a scaled one that
// lets the demo play a day in minutes. Code that decides on time (hours,
// holidays, ring timeouts, wrap-up, escalation) takes a Clock so that its
// tests run instantly and deterministically.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
	// NewTimer returns a timer that sends the time on its channel once d has passed.
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer that callers need, so fakes can stand in.
type Timer interface {
	// C is the channel the time is sent on; nil for AfterFunc timers.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was active.
	Stop() bool
	// Reset changes the timer to fire after d; it reports whether it was active.
	Reset(d time.Duration) bool
}

// Real returns the wall clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return realTimer{t: time.AfterFunc(d, f)}
}

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{t: time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// Scaled returns a clock that runs speed times faster than the wall clock,
// starting at start. Durations given to its timers are divided by speed.
func Scaled(start time.Time, speed float64) Clock {
	if speed <= 0 {
		speed = 1
	}
	return &scaled{origin: time.Now(), start: start, speed: speed}
}

type scaled struct {
	origin time.Time
	start  time.Time
	speed  float64
}

func (s *scaled) Now() time.Time {
	return s.start.Add(time.Duration(float64(time.Since(s.origin)) * s.speed))
}

func (s *scaled) shrink(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.speed)
}

func (s *scaled) AfterFunc(d time.Duration, f func()) Timer {
	return &scaledTimer{s: s, t: time.AfterFunc(s.shrink(d), f)}
}

func (s *scaled) NewTimer(d time.Duration) Timer {
	return &scaledTimer{s: s, t: time.NewTimer(s.shrink(d))}
}

type scaledTimer struct {
	s *scaled
	t *time.Timer
}

func (t *scaledTimer) C() <-chan time.Time        { return t.t.C }
func (t *scaledTimer) Stop() bool                 { return t.t.Stop() }
func (t *scaledTimer) Reset(d time.Duration) bool { return t.t.Reset(t.s.shrink(d)) }

// Fake is a clock that only moves when Advance or Set is called. Timers due at
// or before the new time fire in order of their deadlines.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers []*fakeTimer
}

// NewFake returns a fake clock set to now.
func NewFake(now time.Time) *Fake { return &Fake{now: now} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// AfterFunc schedules fn to run (synchronously, from Advance) once d has passed.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	return f.add(d, fn, nil)
}

// NewTimer returns a timer whose channel receives when the fake time passes d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	return f.add(d, nil, make(chan time.Time, 1))
}

func (f *Fake) add(d time.Duration, fn func(), ch chan time.Time) *fakeTimer {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	t := &fakeTimer{f: f, at: f.now.Add(d), fn: fn, ch: ch, seq: f.seq, active: true}
	f.timers = append(f.timers, t)
	return t
}

// Advance moves the fake time forward by d, firing the timers that fall due.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the fake time to t (never backwards), firing the timers that fall due.
func (f *Fake) Set(t time.Time) {
	for {
		f.mu.Lock()
		if t.Before(f.now) {
			f.mu.Unlock()
			return
		}
		due := f.nextDueLocked(t)
		if due == nil {
			f.now = t
			f.mu.Unlock()
			return
		}
		due.active = false
		if due.at.After(f.now) {
			f.now = due.at
		}
		f.removeLocked(due)
		now := f.now
		f.mu.Unlock()
		if due.fn != nil {
			due.fn()
		} else {
			select {
			case due.ch <- now:
			default:
			}
		}
	}
}

// Pending reports how many timers are waiting to fire.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

func (f *Fake) nextDueLocked(t time.Time) *fakeTimer {
	sort.SliceStable(f.timers, func(i, j int) bool {
		if f.timers[i].at.Equal(f.timers[j].at) {
			return f.timers[i].seq < f.timers[j].seq
		}
		return f.timers[i].at.Before(f.timers[j].at)
	})
	if len(f.timers) > 0 && !f.timers[0].at.After(t) {
		return f.timers[0]
	}
	return nil
}

func (f *Fake) removeLocked(t *fakeTimer) {
	for i, x := range f.timers {
		if x == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			return
		}
	}
}

type fakeTimer struct {
	f      *Fake
	at     time.Time
	fn     func()
	ch     chan time.Time
	seq    int
	active bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := t.active
	t.active = false
	t.f.removeLocked(t)
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := t.active
	t.f.removeLocked(t)
	t.f.seq++
	t.seq = t.f.seq
	t.at = t.f.now.Add(d)
	t.active = true
	t.f.timers = append(t.f.timers, t)
	return was
}
