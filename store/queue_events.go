package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Queue event names, as in Asterisk's queue_log, plus ascolto's callback events.
const (
	QEnterQueue        = "ENTERQUEUE"
	QRingNoAnswer      = "RINGNOANSWER"
	QConnect           = "CONNECT"
	QAbandon           = "ABANDON"
	QExitWithTimeout   = "EXITWITHTIMEOUT"
	QExitWithKey       = "EXITWITHKEY"
	QCompleteCaller    = "COMPLETECALLER"
	QCompleteAgent     = "COMPLETEAGENT"
	QTransfer          = "TRANSFER"
	QCallbackRequested = "CALLBACK_REQUESTED"
	QCallbackDialed    = "CALLBACK_DIALED"
	QCallbackConnected = "CALLBACK_CONNECTED"
	QCallbackFailed    = "CALLBACK_FAILED"
	QPause             = "PAUSE"
	QUnpause           = "UNPAUSE"
	QAddMember         = "ADDMEMBER"
	QRemoveMember      = "REMOVEMEMBER"
)

// QueueEvent is one queue_log line: time|callid|queuename|agent|event|data1..5.
type QueueEvent struct {
	ID     int64
	At     time.Time
	CallID string // the caller's channel id, or "NONE" for agent events
	Queue  string
	Agent  string
	Event  string
	Data   [5]string
}

// AppendQueueEvents records queue events, group-committed; it returns once
// they are durable.
func (db *DB) AppendQueueEvents(ctx context.Context, evs ...QueueEvent) error {
	return db.RecordACD(ctx, evs, nil)
}

func checkQueueEvents(evs []QueueEvent) error {
	for _, e := range evs {
		if e.Event == "" || e.Queue == "" {
			return invalid("queue event needs an event name and a queue")
		}
	}
	return nil
}

func (tx *Tx) appendQueueEvents(ctx context.Context, evs []QueueEvent) error {
	for _, e := range evs {
		at := e.At
		if at.IsZero() {
			at = tx.Now
		}
		callID := e.CallID
		if callID == "" {
			callID = "NONE"
		}
		if _, err := tx.exec(ctx, `INSERT INTO queue_events (at, call_id, queue, agent, event, data1, data2, data3, data4, data5)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			at, callID, e.Queue, e.Agent, e.Event, e.Data[0], e.Data[1], e.Data[2], e.Data[3], e.Data[4]); err != nil {
			return fmt.Errorf("store: append queue event %s: %w", e.Event, err)
		}
	}
	return nil
}

// QueueEventFilter selects queue events; unset fields do not filter.
type QueueEventFilter struct {
	CallID *string
	Queue  *string
	Since  *time.Time
	Limit  int
}

// QueueEvents lists queue events in the order they happened.
func (db *DB) QueueEvents(ctx context.Context, f QueueEventFilter) ([]QueueEvent, error) {
	q := `SELECT id, at, call_id, queue, agent, event, data1, data2, data3, data4, data5 FROM queue_events WHERE 1=1`
	var args []any
	if f.CallID != nil {
		args = append(args, *f.CallID)
		q += fmt.Sprintf(" AND call_id = $%d", len(args))
	}
	if f.Queue != nil {
		args = append(args, *f.Queue)
		q += fmt.Sprintf(" AND queue = $%d", len(args))
	}
	if f.Since != nil {
		args = append(args, *f.Since)
		q += fmt.Sprintf(" AND at >= $%d", len(args))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100000
	}
	q += fmt.Sprintf(" ORDER BY at, id LIMIT %d", limit)
	rows, err := db.reader().query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list queue events: %w", err)
	}
	return scanQueueEvents(rows)
}

// scanQueueEvents reads rows of id, at, call_id, queue, agent, event and
// data1–data5, and closes them.
func scanQueueEvents(rows *sql.Rows) ([]QueueEvent, error) {
	defer rows.Close()
	var out []QueueEvent
	for rows.Next() {
		var e QueueEvent
		if err := rows.Scan(&e.ID, nullTime{&e.At}, &e.CallID, &e.Queue, &e.Agent, &e.Event,
			&e.Data[0], &e.Data[1], &e.Data[2], &e.Data[3], &e.Data[4]); err != nil {
			return nil, fmt.Errorf("store: read queue event: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
