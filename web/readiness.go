package web

import (
	"sort"
	"sync"
	"time"
)

// Readiness collects the state of the components the service needs
// (database, Asterisk ...) so /readyz can say which is missing and why.
type Readiness struct {
	mu     sync.RWMutex
	checks map[string]Check
	now    func() time.Time
}

// Check is one component's last reported state.
type Check struct {
	Name   string    `json:"name"`
	Ready  bool      `json:"ready"`
	Detail string    `json:"detail,omitempty"`
	Since  time.Time `json:"since"`
}

// NewReadiness returns an empty set of checks; now is the clock reading.
func NewReadiness(now func() time.Time) *Readiness {
	return &Readiness{checks: map[string]Check{}, now: now}
}

// Set records a component's state; Since changes only when readiness flips.
func (r *Readiness) Set(name string, ready bool, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	prev, ok := r.checks[name]
	since := r.now()
	if ok && prev.Ready == ready {
		since = prev.Since
	}
	r.checks[name] = Check{Name: name, Ready: ready, Detail: detail, Since: since}
}

// Ready reports whether every registered component is ready, and the checks.
func (r *Readiness) Ready() (bool, []Check) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	all := len(r.checks) > 0
	out := make([]Check, 0, len(r.checks))
	for _, c := range r.checks {
		all = all && c.Ready
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return all, out
}
