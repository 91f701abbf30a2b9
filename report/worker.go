package report

import (
	"context"
	"time"

	"github.com/ascolto/ascolto/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Worker keeps the rollups in step with the cases: every half second (or
// when woken) it counts the cases changed since its cursor; every 30
// seconds it looks again at the last two minutes, where a PostgreSQL
// transaction that committed late may have left a change behind it.
type Worker struct {
	s     *Service
	wake  chan struct{}
	every time.Duration
	lag   prometheus.Gauge
	moved prometheus.Counter
}

// NewWorker builds the rollup worker; reg receives its metrics (nil: none).
func (s *Service) NewWorker(reg prometheus.Registerer) (*Worker, error) {
	w := &Worker{s: s, wake: make(chan struct{}, 1), every: 500 * time.Millisecond,
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ascolto_report_lag_cases",
			Help: "Cases changed and not yet counted in the report rollups."}),
		moved: prometheus.NewCounter(prometheus.CounterOpts{Name: "ascolto_report_cases_counted_total",
			Help: "Cases whose counts the rollup worker moved."})}
	if reg != nil {
		for _, c := range []prometheus.Collector{w.lag, w.moved} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return w, nil
}

// Wake asks for a pass now (after a disposition, for instance).
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// CatchUp counts every case changed since the cursor, in pages, and
// returns how many it examined: what a report run from the command line
// does first when no service is running.
func (w *Worker) CatchUp(ctx context.Context) (int, error) { return catchUp(ctx, w.s.db, w.moved) }

func catchUp(ctx context.Context, db *store.DB, moved prometheus.Counter) (int, error) {
	total := 0
	for {
		res, err := db.RollUp(ctx, 5000)
		if err != nil {
			return total, err
		}
		total += res.Examined
		if moved != nil {
			moved.Add(float64(res.Changed))
		}
		if !res.More {
			if total >= analyzeAfter {
				// A big catch-up (a backfill, a restart after a flood)
				// changes the rollups faster than the database's own
				// statistics follow: with them stale, PostgreSQL joined
				// half a million rows by index lookups (1.1 s, not 0.4).
				if err := db.AnalyzeReports(ctx); err != nil {
					return total, err
				}
			}
			return total, nil
		}
	}
}

// analyzeAfter is how many cases a catch-up counts before it refreshes the
// database's statistics of the report tables.
const analyzeAfter = 100_000

// CatchUp brings the rollups up to date (see Worker.CatchUp).
func (s *Service) CatchUp(ctx context.Context) (int, error) { return catchUp(ctx, s.db, nil) }

// Run works until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	nextWindow := w.s.clock.Now().Add(30 * time.Second)
	for {
		if _, err := w.CatchUp(ctx); err != nil && ctx.Err() == nil {
			w.s.log.Warn("report rollup pass failed", zap.Error(err))
		}
		if now := w.s.clock.Now(); !now.Before(nextWindow) {
			nextWindow = now.Add(30 * time.Second)
			if at, n, err := w.s.db.ReportLag(ctx); err == nil {
				w.lag.Set(float64(n))
				if !at.IsZero() {
					if _, err := w.s.db.RollUpWindow(ctx, at.Add(-2*time.Minute)); err != nil && ctx.Err() == nil {
						w.s.log.Warn("report rollup window pass failed", zap.Error(err))
					}
				}
			}
		}
		t := w.s.clock.NewTimer(w.every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-w.wake:
		case <-t.C():
		}
		t.Stop()
	}
}
