package intake

import (
	"sync"
	"time"
)

// Limit is how many submissions one address may make: Burst at once, then
// one every Every.
type Limit struct {
	Burst int
	Every time.Duration
}

// limiter is a token bucket per client address. Its memory is bounded: past
// maxKeys addresses it forgets the oldest half, which under a flood from
// many addresses errs on the side of letting a citizen through.
type limiter struct {
	mu      sync.Mutex
	l       Limit
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

const maxKeys = 100_000

func newLimiter(l Limit) *limiter {
	if l.Burst <= 0 {
		l.Burst = 5
	}
	if l.Every <= 0 {
		l.Every = 2 * time.Minute
	}
	return &limiter{l: l, buckets: map[string]*bucket{}}
}

// allow takes a token for key at now; when none is left it says how long
// until the next one. A token taken for a submission that was then not
// stored is given back with refund.
func (lm *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	b, ok := lm.buckets[key]
	if !ok {
		if len(lm.buckets) >= maxKeys {
			lm.forget()
		}
		b = &bucket{tokens: float64(lm.l.Burst), last: now}
		lm.buckets[key] = b
	}
	b.tokens = min(float64(lm.l.Burst), b.tokens+now.Sub(b.last).Seconds()/lm.l.Every.Seconds())
	b.last = now
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) * float64(lm.l.Every))
		return false, wait
	}
	b.tokens--
	return true, 0
}

// refund gives back a token allow took (a submission not stored). Taking
// first and giving back after, rather than taking only on success, keeps a
// burst of simultaneous submissions from one address within its budget.
func (lm *limiter) refund(key string) {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	if b, ok := lm.buckets[key]; ok {
		b.tokens = min(float64(lm.l.Burst), b.tokens+1)
	}
}

// forget drops the buckets that have been idle longest (half of them).
func (lm *limiter) forget() {
	var oldest time.Time
	for _, b := range lm.buckets {
		if oldest.IsZero() || b.last.Before(oldest) {
			oldest = b.last
		}
	}
	var newest time.Time
	for _, b := range lm.buckets {
		if b.last.After(newest) {
			newest = b.last
		}
	}
	mid := oldest.Add(newest.Sub(oldest) / 2)
	for k, b := range lm.buckets {
		if !b.last.After(mid) {
			delete(lm.buckets, k)
		}
	}
}

// slots bounds the submissions being received at once, in all and per
// client address: each holds its body in memory until it is stored, and a
// slow sender holds its place until the pace cuts it off.
type slots struct {
	mu     sync.Mutex
	max    int
	perKey int
	n      int
	byKey  map[string]int
}

func newSlots(max, perKey int) *slots {
	return &slots{max: max, perKey: perKey, byKey: map[string]int{}}
}

// acquire takes a place for key, or reports that none is free.
func (s *slots) acquire(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n >= s.max || s.byKey[key] >= s.perKey {
		return false
	}
	s.n++
	s.byKey[key]++
	return true
}

// release gives back a place acquire took.
func (s *slots) release(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n--
	if s.byKey[key]--; s.byKey[key] <= 0 {
		delete(s.byKey, key)
	}
}
