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
// until the next one.
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
