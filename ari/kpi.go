package ari

import (
	"time"

	"github.com/ascolto/ascolto/acd"
	"github.com/prometheus/client_golang/prometheus"
)

// LiveSnapshot is what the service publishes each second: the engine's
// snapshot, each queue's arrival rate over the last quarter of an hour,
// and the staff Erlang C says each queue needs at that rate. Its JSON is
// a superset of acd.Snapshot's.
type LiveSnapshot struct {
	acd.Snapshot
	ArrivalPerHour map[string]float64 // calls entering each queue per hour, last 15 minutes
	Needed         map[string]int     // agents needed for the queue's service-level target at that rate
}

// rateWindow is how far back the arrival rate looks.
const rateWindow = 15 * time.Minute

// arrivals keeps (time, offered) samples per queue to derive arrival rates.
type arrivals struct {
	samples map[string][]sample
}

type sample struct {
	at      time.Time
	offered int
}

func (a *arrivals) observe(s acd.Snapshot) (map[string]float64, map[string]int) {
	if a.samples == nil {
		a.samples = map[string][]sample{}
	}
	rates := map[string]float64{}
	needed := map[string]int{}
	for _, q := range s.Queues {
		ss := append(a.samples[q.Name], sample{s.At, q.Offered})
		for len(ss) > 1 && s.At.Sub(ss[0].at) > rateWindow {
			ss = ss[1:]
		}
		a.samples[q.Name] = ss
		span := s.At.Sub(ss[0].at)
		if span < time.Minute {
			span = time.Minute // a rate over seconds would swing wildly
		}
		rate := float64(q.Offered-ss[0].offered) / span.Hours()
		rates[q.Name] = rate
		aht := q.AHT
		if aht <= 0 {
			aht = 180 * time.Second // DOMAIN.md's typical handle time, until the queue has its own
		}
		if rate > 0 {
			within := q.Target.Within
			if within <= 0 {
				within = 20 * time.Second
			}
			target := q.Target.Percent / 100
			if target <= 0 {
				target = 0.8
			}
			needed[q.Name] = acd.AgentsFor(acd.Traffic(rate, aht), aht, within, target)
		}
	}
	return rates, needed
}

// kpiCollector exports the live snapshot as Prometheus metrics at scrape time.
type kpiCollector struct {
	r                                                         *router
	waiting, longest, agents, sl, asa, aht, occupancy, needed *prometheus.Desc
	offered, answered, abandoned, timedOut, callbacks         *prometheus.Desc
}

func newKPICollector(r *router) *kpiCollector {
	q := []string{"queue", "site"}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	return &kpiCollector{r: r,
		waiting:   d("ascolto_queue_waiting", "Callers waiting (or ringing an agent) in the queue.", q...),
		longest:   d("ascolto_queue_longest_wait_seconds", "How long the caller waiting longest has waited.", q...),
		agents:    d("ascolto_queue_agents", "Members of the queue by state.", "queue", "site", "state"),
		sl:        d("ascolto_queue_service_level_ratio", "Share of calls answered within the queue's target, since start.", q...),
		asa:       d("ascolto_queue_asa_seconds", "Average speed of answer, since start.", q...),
		aht:       d("ascolto_queue_aht_seconds", "Average handle time (talk, hold, wrap-up), since start.", q...),
		occupancy: d("ascolto_queue_occupancy_ratio", "Busy time over staffed time of the queue's agents.", q...),
		needed:    d("ascolto_queue_agents_needed", "Agents Erlang C says the queue needs at its arrival rate of the last 15 minutes.", q...),
		offered:   d("ascolto_queue_offered_total", "Calls that entered the queue.", q...),
		answered:  d("ascolto_queue_answered_total", "Calls answered by an agent.", q...),
		abandoned: d("ascolto_queue_abandoned_total", "Callers who hung up while waiting.", q...),
		timedOut:  d("ascolto_queue_timed_out_total", "Calls that reached the maximum wait and overflowed.", q...),
		callbacks: d("ascolto_queue_callbacks_total", "Callbacks by result.", "queue", "site", "result"),
	}
}

func (k *kpiCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{k.waiting, k.longest, k.agents, k.sl, k.asa, k.aht, k.occupancy, k.needed,
		k.offered, k.answered, k.abandoned, k.timedOut, k.callbacks} {
		ch <- d
	}
}

func (k *kpiCollector) Collect(ch chan<- prometheus.Metric) {
	s := k.r.live.Load()
	if s == nil {
		return
	}
	g := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	c := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	for _, q := range s.Queues {
		l := []string{q.Name, q.Site}
		g(k.waiting, float64(q.Waiting), l...)
		g(k.longest, q.LongestWait.Seconds(), l...)
		for state, n := range map[string]int{"available": q.Agents.Available, "ringing": q.Agents.Ringing,
			"reserved": q.Agents.Reserved, "on-call": q.Agents.OnCall, "wrap-up": q.Agents.WrapUp, "paused": q.Agents.Paused,
			"logged-out": q.Agents.LoggedOut, "unreachable": q.Agents.Unreachable} {
			g(k.agents, float64(n), q.Name, q.Site, state)
		}
		g(k.sl, q.ServiceLevel, l...)
		g(k.asa, q.ASA.Seconds(), l...)
		g(k.aht, q.AHT.Seconds(), l...)
		g(k.occupancy, q.Occupancy, l...)
		g(k.needed, float64(s.Needed[q.Name]), l...)
		c(k.offered, float64(q.Offered), l...)
		c(k.answered, float64(q.Answered), l...)
		c(k.abandoned, float64(q.Abandoned), l...)
		c(k.timedOut, float64(q.TimedOut), l...)
		c(k.callbacks, float64(q.CallbacksRequested), q.Name, q.Site, "requested")
		c(k.callbacks, float64(q.CallbacksConnected), q.Name, q.Site, "connected")
		c(k.callbacks, float64(q.CallbacksFailed), q.Name, q.Site, "failed")
	}
}
