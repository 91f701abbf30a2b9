package ari

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	connected  prometheus.Gauge
	reconnects prometheus.Counter
	events     *prometheus.CounterVec
	skipped    *prometheus.CounterVec
	backlog    prometheus.Counter
	active     prometheus.Gauge
	outcomes   *prometheus.CounterVec
	step       prometheus.Histogram
	errors     *prometheus.CounterVec
	agentState *prometheus.GaugeVec
	ringDelay  prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ascolto_ari_connected",
			Help: "1 while the events WebSocket to Asterisk is open."}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{Name: "ascolto_ari_connect_failures_total",
			Help: "Connection attempts that failed or links that dropped."}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ascolto_ari_events_total",
			Help: "ARI events received, by type."}, []string{"type"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ascolto_ari_events_skipped_total",
			Help: "ARI events not acted on: unknown type, malformed, duplicate, or for no known call."}, []string{"reason"}),
		backlog: prometheus.NewCounter(prometheus.CounterOpts{Name: "ascolto_call_backlog_warnings_total",
			Help: "Times a call's mailbox passed 256 waiting events (nothing is dropped; the call is slow)."}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ascolto_calls_active",
			Help: "Calls the controller is handling now."}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ascolto_calls_total",
			Help: "Calls ended, by outcome."}, []string{"outcome"}),
		step: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ascolto_ivr_step_seconds",
			Help:    "From an ARI event read to the first ARI command it causes.",
			Buckets: []float64{.00005, .0001, .0002, .0003, .0005, .00075, .001, .0015, .002, .003, .005, .0075, .01, .025, .05, .1, .25}}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ascolto_call_errors_total",
			Help: "Errors while handling calls, by what failed."}, []string{"what"}),
		agentState: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "ascolto_agent_state",
			Help: "Each agent's state: 0 logged out, 1 available, 2 ringing, 3 reserved, 4 on call, 5 wrap-up, 6 paused."}, []string{"agent"}),
		ringDelay: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ascolto_acd_ring_delay_seconds",
			Help:    "From the event that let the ACD offer a call (an agent freeing up, a call arriving) to the agent's phone being dialled.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .03, .05, .075, .1, .25, .5, 1}}),
	}
	if reg != nil {
		reg.MustRegister(m.connected, m.reconnects, m.events, m.skipped, m.backlog, m.active, m.outcomes, m.step, m.errors, m.agentState, m.ringDelay)
	}
	return m
}
