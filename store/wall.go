package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// QueueThreshold is one queue's thresholds for the wall display as an admin
// set them. A nil field is not set: the wall derives it from the queue's
// service-level target (package wall decides how; the store only keeps
// what was chosen).
type QueueThreshold struct {
	Queue string

	SLAmberPct, SLRedPct           *int // service level today below this turns amber / red
	WaitAmberS, WaitRedS           *int // longest wait above this
	AbandonAmberPct, AbandonRedPct *int // abandoned share above this
	PauseAmberS, PauseRedS         *int // an agent paused longer than this
	WrapupAmberS, WrapupRedS       *int // an agent in wrap-up longer than this

	UpdatedAt time.Time
	UpdatedBy string
}

// fields lists the thresholds with their column names, in one order for
// every statement.
func (t *QueueThreshold) fields() []struct {
	col string
	v   **int
} {
	return []struct {
		col string
		v   **int
	}{
		{"sl_amber_pct", &t.SLAmberPct}, {"sl_red_pct", &t.SLRedPct},
		{"wait_amber_s", &t.WaitAmberS}, {"wait_red_s", &t.WaitRedS},
		{"abandon_amber_pct", &t.AbandonAmberPct}, {"abandon_red_pct", &t.AbandonRedPct},
		{"pause_amber_s", &t.PauseAmberS}, {"pause_red_s", &t.PauseRedS},
		{"wrapup_amber_s", &t.WrapupAmberS}, {"wrapup_red_s", &t.WrapupRedS},
	}
}

// Detail is the thresholds as the audit log records them: only those set.
func (t *QueueThreshold) Detail() map[string]any {
	d := map[string]any{}
	for _, f := range t.fields() {
		if *f.v != nil {
			d[f.col] = **f.v
		}
	}
	return d
}

func (t *QueueThreshold) check() error {
	pct := func(name string, v *int) error {
		if v != nil && (*v < 0 || *v > 100) {
			return invalid("queue %s: %s %d (want a percentage 0-100)", t.Queue, name, *v)
		}
		return nil
	}
	positive := func(name string, v *int) error {
		if v != nil && *v <= 0 {
			return invalid("queue %s: %s %d (want a positive number of seconds)", t.Queue, name, *v)
		}
		return nil
	}
	for _, err := range []error{
		pct("sl amber", t.SLAmberPct), pct("sl red", t.SLRedPct),
		pct("abandoned amber", t.AbandonAmberPct), pct("abandoned red", t.AbandonRedPct),
		positive("wait amber", t.WaitAmberS), positive("wait red", t.WaitRedS),
		positive("pause amber", t.PauseAmberS), positive("pause red", t.PauseRedS),
		positive("wrap-up amber", t.WrapupAmberS), positive("wrap-up red", t.WrapupRedS),
	} {
		if err != nil {
			return err
		}
	}
	// Amber warns before red: a service level falls through amber first,
	// a wait or a share rises through it first.
	if t.SLAmberPct != nil && t.SLRedPct != nil && *t.SLAmberPct < *t.SLRedPct {
		return invalid("queue %s: service level amber %d%% is below red %d%% (amber must warn first)", t.Queue, *t.SLAmberPct, *t.SLRedPct)
	}
	for _, p := range []struct {
		name       string
		amber, red *int
	}{{"wait", t.WaitAmberS, t.WaitRedS}, {"abandoned", t.AbandonAmberPct, t.AbandonRedPct},
		{"pause", t.PauseAmberS, t.PauseRedS}, {"wrap-up", t.WrapupAmberS, t.WrapupRedS}} {
		if p.amber != nil && p.red != nil && *p.amber > *p.red {
			return invalid("queue %s: %s amber %d is above red %d (amber must warn first)", t.Queue, p.name, *p.amber, *p.red)
		}
	}
	return nil
}

// QueueThresholds lists the thresholds set, by queue name.
func (db *DB) QueueThresholds(ctx context.Context) (map[string]QueueThreshold, error) {
	rows, err := db.reader().query(ctx, `SELECT q.name, t.sl_amber_pct, t.sl_red_pct, t.wait_amber_s, t.wait_red_s,
		t.abandon_amber_pct, t.abandon_red_pct, t.pause_amber_s, t.pause_red_s, t.wrapup_amber_s, t.wrapup_red_s,
		t.updated_at, t.updated_by
		FROM queue_thresholds t JOIN queues q ON q.id = t.queue_id ORDER BY q.name`)
	if err != nil {
		return nil, fmt.Errorf("store: list queue thresholds: %w", err)
	}
	defer rows.Close()
	out := map[string]QueueThreshold{}
	for rows.Next() {
		var t QueueThreshold
		fs := t.fields()
		ns := make([]sql.NullInt64, len(fs))
		dest := []any{&t.Queue}
		for i := range ns {
			dest = append(dest, &ns[i])
		}
		dest = append(dest, nullTime{&t.UpdatedAt}, &t.UpdatedBy)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("store: read queue thresholds: %w", err)
		}
		for i, f := range fs {
			if ns[i].Valid {
				v := int(ns[i].Int64)
				*f.v = &v
			}
		}
		out[t.Queue] = t
	}
	return out, rows.Err()
}

// SetQueueThreshold replaces a queue's thresholds, audited in the same
// transaction. Every field nil removes the row: the queue is back on its
// defaults.
func (db *DB) SetQueueThreshold(ctx context.Context, t *QueueThreshold, actor string) error {
	if err := t.check(); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *Tx) error {
		var qid int64
		if err := tx.queryRow(ctx, `SELECT id FROM queues WHERE name = $1`, t.Queue).Scan(&qid); err != nil {
			return notFound(err, "queue "+t.Queue)
		}
		detail := t.Detail()
		if len(detail) == 0 {
			if _, err := tx.exec(ctx, `DELETE FROM queue_thresholds WHERE queue_id = $1`, qid); err != nil {
				return fmt.Errorf("store: reset thresholds of %s: %w", t.Queue, err)
			}
			return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "queue.thresholds.reset", Object: "queue:" + t.Queue})
		}
		args := []any{qid}
		for _, f := range t.fields() {
			if *f.v == nil {
				args = append(args, nil)
			} else {
				args = append(args, **f.v)
			}
		}
		args = append(args, tx.Now, actor)
		_, err := tx.exec(ctx, `INSERT INTO queue_thresholds (queue_id, sl_amber_pct, sl_red_pct, wait_amber_s, wait_red_s,
			abandon_amber_pct, abandon_red_pct, pause_amber_s, pause_red_s, wrapup_amber_s, wrapup_red_s, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
			ON CONFLICT (queue_id) DO UPDATE SET sl_amber_pct = excluded.sl_amber_pct, sl_red_pct = excluded.sl_red_pct,
			wait_amber_s = excluded.wait_amber_s, wait_red_s = excluded.wait_red_s,
			abandon_amber_pct = excluded.abandon_amber_pct, abandon_red_pct = excluded.abandon_red_pct,
			pause_amber_s = excluded.pause_amber_s, pause_red_s = excluded.pause_red_s,
			wrapup_amber_s = excluded.wrapup_amber_s, wrapup_red_s = excluded.wrapup_red_s,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`, args...)
		if err != nil {
			return fmt.Errorf("store: save thresholds of %s: %w", t.Queue, err)
		}
		t.UpdatedAt, t.UpdatedBy = tx.Now, actor
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "queue.thresholds", Object: "queue:" + t.Queue, Detail: detail})
	})
}

// AgentEvents lists the agents' queue events since a time (calls
// connected and completed, transfers, wrap-ups, pauses, log-ins and
// log-outs), in order, for the wall's figures of the day. At most limit
// rows (the newest are dropped: the figures then say so).
func (db *DB) AgentEvents(ctx context.Context, since time.Time, limit int) ([]QueueEvent, error) {
	if limit <= 0 {
		limit = 200000
	}
	rows, err := db.reader().query(ctx, fmt.Sprintf(`SELECT id, at, call_id, queue, agent, event, data1, data2, data3, data4, data5
		FROM queue_events WHERE at >= $1 AND agent <> '' AND agent <> 'NONE'
		AND event IN ('CONNECT', 'CALLBACK_CONNECTED', 'COMPLETECALLER', 'COMPLETEAGENT', 'TRANSFER', 'WRAPUPEND',
			'PAUSE', 'UNPAUSE', 'AGENTLOGIN', 'AGENTLOGOFF')
		ORDER BY at, id LIMIT %d`, limit), since)
	if err != nil {
		return nil, fmt.Errorf("store: list agent events: %w", err)
	}
	return scanQueueEvents(rows)
}
