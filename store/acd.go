package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Queue is a queue's configuration as admins set it.
type Queue struct {
	ID                int64
	Name              string
	Site              string // site code
	Strategy          string
	RingTimeoutS      int
	WrapupS           int
	MaxWaitS          int
	MaxLen            int
	Overflow          string // "", "queue:NAME", "record", "callback"
	AnnounceS         int
	SLPercent         int
	SLSeconds         int
	CallbackAttempts  int
	CallbackIntervalS int
	MOHClass          string
	Members           []Member
}

// Member is an agent's membership of a queue.
type Member struct {
	Extension     string
	Penalty       int
	Level         int
	EmergencyOnly bool
}

// Agent is a seat that takes calls, with its state as last set.
type Agent struct {
	ID        int64
	Extension string
	Endpoint  string // PJSIP/101
	PhoneKind string // sip (a desk or any SIP phone) or webrtc (the console's softphone)
	Name      string
	Site      string // site code
	Username  string // the console user bound to the seat, if any
	LoggedIn  bool
	Paused    bool
	Reason    string
}

var strategies = map[string]bool{"longest-idle": true, "round-robin": true, "ring-all": true, "fewest-calls": true, "random": true}

func (q *Queue) check() error {
	if q.Name == "" {
		return invalid("a queue needs a name")
	}
	if !strategies[q.Strategy] {
		return invalid("strategy %q (allowed: longest-idle, round-robin, ring-all, fewest-calls, random)", q.Strategy)
	}
	if q.RingTimeoutS <= 0 || q.WrapupS < 0 || q.MaxWaitS < 0 || q.MaxLen < 0 || q.AnnounceS < 0 ||
		q.CallbackAttempts < 0 || q.CallbackIntervalS < 0 {
		return invalid("queue %s: times and lengths must not be negative, and the ring timeout must be positive", q.Name)
	}
	if q.SLPercent < 1 || q.SLPercent > 100 || q.SLSeconds <= 0 {
		return invalid("queue %s: service level %d/%d (want 1-100 percent within a positive number of seconds)", q.Name, q.SLPercent, q.SLSeconds)
	}
	switch {
	case q.Overflow == "", q.Overflow == "record", q.Overflow == "callback":
	case strings.HasPrefix(q.Overflow, "queue:") && len(q.Overflow) > len("queue:"):
		if strings.TrimPrefix(q.Overflow, "queue:") == q.Name {
			return invalid("queue %s overflows into itself", q.Name)
		}
	default:
		return invalid("overflow %q (allowed: empty, queue:NAME, record, callback)", q.Overflow)
	}
	if (q.MaxWaitS > 0 || q.MaxLen > 0) && q.Overflow == "" {
		return invalid("queue %s has a maximum wait or length but no overflow target", q.Name)
	}
	return nil
}

// Queues lists every queue with its members.
func (db *DB) Queues(ctx context.Context) ([]Queue, error) {
	rows, err := db.reader().query(ctx, `SELECT q.id, q.name, COALESCE(s.code, ''), q.strategy, q.ring_timeout_s, q.wrapup_s,
		q.max_wait_s, q.max_len, q.overflow, q.announce_s, q.sl_percent, q.sl_seconds, q.callback_attempts,
		q.callback_interval_s, q.moh_class
		FROM queues q LEFT JOIN sites s ON s.id = q.site_id ORDER BY q.name`)
	if err != nil {
		return nil, fmt.Errorf("store: list queues: %w", err)
	}
	var out []Queue
	byID := map[int64]int{}
	for rows.Next() {
		var q Queue
		if err := rows.Scan(&q.ID, &q.Name, &q.Site, &q.Strategy, &q.RingTimeoutS, &q.WrapupS, &q.MaxWaitS, &q.MaxLen,
			&q.Overflow, &q.AnnounceS, &q.SLPercent, &q.SLSeconds, &q.CallbackAttempts, &q.CallbackIntervalS, &q.MOHClass); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: read queue: %w", err)
		}
		byID[q.ID] = len(out)
		out = append(out, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	mrows, err := db.reader().query(ctx, `SELECT m.queue_id, a.extension, m.penalty, m.level, m.emergency_only
		FROM queue_members m JOIN agents a ON a.id = m.agent_id ORDER BY m.queue_id, m.penalty, a.extension`)
	if err != nil {
		return nil, fmt.Errorf("store: list queue members: %w", err)
	}
	defer mrows.Close()
	for mrows.Next() {
		var qid int64
		var m Member
		if err := mrows.Scan(&qid, &m.Extension, &m.Penalty, &m.Level, &m.EmergencyOnly); err != nil {
			return nil, fmt.Errorf("store: read queue member: %w", err)
		}
		if i, ok := byID[qid]; ok {
			out[i].Members = append(out[i].Members, m)
		}
	}
	return out, mrows.Err()
}

// QueueByName returns one queue with its members.
func (db *DB) QueueByName(ctx context.Context, name string) (Queue, error) {
	qs, err := db.Queues(ctx)
	if err != nil {
		return Queue{}, err
	}
	for _, q := range qs {
		if q.Name == name {
			return q, nil
		}
	}
	return Queue{}, fmt.Errorf("%w: queue %s", ErrNotFound, name)
}

// SaveQueue creates or updates a queue's settings (not its members), audited.
func (db *DB) SaveQueue(ctx context.Context, q *Queue, actor string) error {
	if q.Site == "" {
		q.Site = "aq"
	}
	if q.MOHClass == "" {
		q.MOHClass = "default"
	}
	if err := q.check(); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *Tx) error {
		var siteID int64
		if err := tx.queryRow(ctx, `SELECT id FROM sites WHERE code = $1`, q.Site).Scan(&siteID); err != nil {
			return notFound(err, "site "+q.Site)
		}
		if name, ok := strings.CutPrefix(q.Overflow, "queue:"); ok {
			var one int
			if err := tx.queryRow(ctx, `SELECT 1 FROM queues WHERE name = $1`, name).Scan(&one); err != nil {
				return notFound(err, "overflow queue "+name)
			}
		}
		err := tx.queryRow(ctx, `INSERT INTO queues (name, site_id, strategy, ring_timeout_s, wrapup_s, max_wait_s, max_len,
			overflow, announce_s, sl_percent, sl_seconds, callback_attempts, callback_interval_s, moh_class, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
			ON CONFLICT (name) DO UPDATE SET site_id = excluded.site_id, strategy = excluded.strategy,
			ring_timeout_s = excluded.ring_timeout_s, wrapup_s = excluded.wrapup_s, max_wait_s = excluded.max_wait_s,
			max_len = excluded.max_len, overflow = excluded.overflow, announce_s = excluded.announce_s,
			sl_percent = excluded.sl_percent, sl_seconds = excluded.sl_seconds, callback_attempts = excluded.callback_attempts,
			callback_interval_s = excluded.callback_interval_s, moh_class = excluded.moh_class, updated_at = excluded.updated_at
			RETURNING id`,
			q.Name, siteID, q.Strategy, q.RingTimeoutS, q.WrapupS, q.MaxWaitS, q.MaxLen, q.Overflow, q.AnnounceS,
			q.SLPercent, q.SLSeconds, q.CallbackAttempts, q.CallbackIntervalS, q.MOHClass, tx.Now).Scan(&q.ID)
		if err != nil {
			return fmt.Errorf("store: save queue %s: %w", q.Name, err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "queue.save", Object: "queue:" + q.Name,
			Detail: map[string]any{"strategy": q.Strategy, "ring_timeout_s": q.RingTimeoutS, "wrapup_s": q.WrapupS,
				"max_wait_s": q.MaxWaitS, "max_len": q.MaxLen, "overflow": q.Overflow}})
	})
}

// SaveAgent creates or updates a seat, audited.
func (db *DB) SaveAgent(ctx context.Context, a *Agent, actor string) error {
	if a.Extension == "" || a.Endpoint == "" {
		return invalid("an agent needs an extension and an endpoint (e.g. PJSIP/101)")
	}
	if !strings.Contains(a.Endpoint, "/") {
		return invalid("endpoint %q is not TECH/RESOURCE (e.g. PJSIP/101)", a.Endpoint)
	}
	if a.Site == "" {
		a.Site = "aq"
	}
	if a.PhoneKind == "" {
		a.PhoneKind = "sip"
	}
	if a.PhoneKind != "sip" && a.PhoneKind != "webrtc" {
		return invalid("phone kind %q (allowed: sip, webrtc)", a.PhoneKind)
	}
	return db.InTx(ctx, func(tx *Tx) error {
		var siteID int64
		if err := tx.queryRow(ctx, `SELECT id FROM sites WHERE code = $1`, a.Site).Scan(&siteID); err != nil {
			return notFound(err, "site "+a.Site)
		}
		var userID any
		if a.Username != "" {
			var id int64
			if err := tx.queryRow(ctx, `SELECT id FROM users WHERE username = $1`, a.Username).Scan(&id); err != nil {
				return notFound(err, "user "+a.Username)
			}
			userID = id
		}
		err := tx.queryRow(ctx, `INSERT INTO agents (extension, endpoint, name, user_id, site_id, created_at, phone_kind)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (extension) DO UPDATE SET endpoint = excluded.endpoint, name = excluded.name,
			user_id = excluded.user_id, site_id = excluded.site_id, phone_kind = excluded.phone_kind RETURNING id`,
			a.Extension, a.Endpoint, a.Name, userID, siteID, tx.Now, a.PhoneKind).Scan(&a.ID)
		if err != nil {
			if tx.d.isUniqueViolation(err) {
				return fmt.Errorf("%w: user %s already has a seat", ErrConflict, a.Username)
			}
			return fmt.Errorf("store: save agent %s: %w", a.Extension, err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "agent.save", Object: "agent:" + a.Extension,
			Detail: map[string]any{"endpoint": a.Endpoint, "name": a.Name, "user": a.Username, "phone": a.PhoneKind}})
	})
}

// Agents lists every seat with its last set state.
func (db *DB) Agents(ctx context.Context) ([]Agent, error) {
	rows, err := db.reader().query(ctx, `SELECT a.id, a.extension, a.endpoint, a.phone_kind, a.name, COALESCE(s.code, ''),
		COALESCE(u.username, ''), COALESCE(st.logged_in, FALSE), COALESCE(st.paused, FALSE), COALESCE(st.reason, '')
		FROM agents a LEFT JOIN sites s ON s.id = a.site_id LEFT JOIN users u ON u.id = a.user_id
		LEFT JOIN agent_states st ON st.agent_id = a.id ORDER BY a.extension`)
	if err != nil {
		return nil, fmt.Errorf("store: list agents: %w", err)
	}
	defer rows.Close()
	var out []Agent
	for rows.Next() {
		var a Agent
		if err := rows.Scan(&a.ID, &a.Extension, &a.Endpoint, &a.PhoneKind, &a.Name, &a.Site, &a.Username, &a.LoggedIn, &a.Paused, &a.Reason); err != nil {
			return nil, fmt.Errorf("store: read agent: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetMembership puts an agent in a queue with a penalty and level (or
// changes them), audited.
func (db *DB) SetMembership(ctx context.Context, queue, extension string, m Member, actor string) error {
	if m.Penalty < 0 || m.Level < 0 || m.Level > 9 {
		return invalid("penalty must not be negative and level must be 0-9")
	}
	return db.InTx(ctx, func(tx *Tx) error {
		qid, aid, err := tx.queueAndAgent(ctx, queue, extension)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO queue_members (queue_id, agent_id, penalty, level, emergency_only) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (queue_id, agent_id) DO UPDATE SET penalty = excluded.penalty, level = excluded.level,
			emergency_only = excluded.emergency_only`, qid, aid, m.Penalty, m.Level, m.EmergencyOnly); err != nil {
			return fmt.Errorf("store: add %s to %s: %w", extension, queue, err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "queue.member.set", Object: "queue:" + queue,
			Detail: map[string]any{"agent": extension, "penalty": m.Penalty, "level": m.Level, "emergency_only": m.EmergencyOnly}})
	})
}

// RemoveMembership takes an agent out of a queue, audited.
func (db *DB) RemoveMembership(ctx context.Context, queue, extension, actor string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		qid, aid, err := tx.queueAndAgent(ctx, queue, extension)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `DELETE FROM queue_members WHERE queue_id = $1 AND agent_id = $2`, qid, aid); err != nil {
			return fmt.Errorf("store: remove %s from %s: %w", extension, queue, err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: actor, Action: "queue.member.remove", Object: "queue:" + queue,
			Detail: map[string]any{"agent": extension}})
	})
}

func (tx *Tx) queueAndAgent(ctx context.Context, queue, extension string) (int64, int64, error) {
	var qid, aid int64
	if err := tx.queryRow(ctx, `SELECT id FROM queues WHERE name = $1`, queue).Scan(&qid); err != nil {
		return 0, 0, notFound(err, "queue "+queue)
	}
	if err := tx.queryRow(ctx, `SELECT id FROM agents WHERE extension = $1`, extension).Scan(&aid); err != nil {
		return 0, 0, notFound(err, "agent "+extension)
	}
	return qid, aid, nil
}

// SaveAgentState records an agent's login and pause as set by a person, so
// a restarted service puts them back as they were.
func (db *DB) SaveAgentState(ctx context.Context, extension string, loggedIn, paused bool, reason, actor string) error {
	return db.Batch(ctx, func(tx *Tx) error {
		var aid int64
		if err := tx.queryRow(ctx, `SELECT id FROM agents WHERE extension = $1`, extension).Scan(&aid); err != nil {
			return notFound(err, "agent "+extension)
		}
		_, err := tx.exec(ctx, `INSERT INTO agent_states (agent_id, logged_in, paused, reason, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (agent_id) DO UPDATE SET logged_in = excluded.logged_in,
			paused = excluded.paused, reason = excluded.reason, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			aid, loggedIn, paused, reason, tx.Now, actor)
		if err != nil {
			return fmt.Errorf("store: save state of agent %s: %w", extension, err)
		}
		return nil
	})
}

// ACDCommand is a request from another process (the CLI) to the running service.
type ACDCommand struct {
	ID     int64
	At     time.Time
	Kind   string // login, logout, pause, unpause, reload
	Agent  string
	Arg    string
	Actor  string
	DoneAt time.Time
	Result string
}

// QueueACDCommand stores a command for the service and returns its id.
func (db *DB) QueueACDCommand(ctx context.Context, c *ACDCommand) error {
	if c.Kind == "" || c.Actor == "" {
		return invalid("a command needs a kind and an actor")
	}
	return db.InTx(ctx, func(tx *Tx) error {
		c.At = tx.Now
		return tx.queryRow(ctx, `INSERT INTO acd_commands (at, kind, agent, arg, actor) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			tx.Now, c.Kind, c.Agent, c.Arg, c.Actor).Scan(&c.ID)
	})
}

// PendingACDCommands lists commands not yet done, oldest first.
func (db *DB) PendingACDCommands(ctx context.Context) ([]ACDCommand, error) {
	rows, err := db.reader().query(ctx, `SELECT id, at, kind, agent, arg, actor FROM acd_commands WHERE done_at IS NULL ORDER BY id LIMIT 100`)
	if err != nil {
		return nil, fmt.Errorf("store: pending commands: %w", err)
	}
	defer rows.Close()
	var out []ACDCommand
	for rows.Next() {
		var c ACDCommand
		if err := rows.Scan(&c.ID, nullTime{&c.At}, &c.Kind, &c.Agent, &c.Arg, &c.Actor); err != nil {
			return nil, fmt.Errorf("store: read command: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ClaimACDCommand marks a command as being carried out by the service. It
// reports false when the command was withdrawn (or claimed) first: then it
// must not be carried out.
func (db *DB) ClaimACDCommand(ctx context.Context, id int64) (bool, error) {
	res, err := db.writer().exec(ctx, `UPDATE acd_commands SET claimed_at = $1 WHERE id = $2 AND claimed_at IS NULL AND done_at IS NULL`, db.now(), id)
	if err != nil {
		return false, fmt.Errorf("store: claim command %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// WithdrawACDCommand gives up a command nobody has claimed, with result as
// its outcome. It reports false when the service claimed it first: then
// the service's result is coming.
func (db *DB) WithdrawACDCommand(ctx context.Context, id int64, result string) (bool, error) {
	res, err := db.writer().exec(ctx, `UPDATE acd_commands SET done_at = $1, result = $2 WHERE id = $3 AND claimed_at IS NULL AND done_at IS NULL`,
		db.now(), result, id)
	if err != nil {
		return false, fmt.Errorf("store: withdraw command %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FinishACDCommand records a command's result, once.
func (db *DB) FinishACDCommand(ctx context.Context, id int64, result string) error {
	_, err := db.writer().exec(ctx, `UPDATE acd_commands SET done_at = $1, result = $2 WHERE id = $3 AND done_at IS NULL`, db.now(), result, id)
	if err != nil {
		return fmt.Errorf("store: finish command %d: %w", id, err)
	}
	return nil
}

// ACDCommandByID reads a command back, to see its result.
func (db *DB) ACDCommandByID(ctx context.Context, id int64) (ACDCommand, error) {
	var c ACDCommand
	err := db.reader().queryRow(ctx, `SELECT id, at, kind, agent, arg, actor, done_at, result FROM acd_commands WHERE id = $1`, id).
		Scan(&c.ID, nullTime{&c.At}, &c.Kind, &c.Agent, &c.Arg, &c.Actor, nullTime{&c.DoneAt}, &c.Result)
	if err != nil {
		return ACDCommand{}, notFound(err, fmt.Sprintf("command %d", id))
	}
	return c, nil
}

// SaveACDSnapshot replaces the live snapshot (JSON) other processes read.
func (db *DB) SaveACDSnapshot(ctx context.Context, at time.Time, body string) error {
	err := db.Batch(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO acd_snapshots (id, at, body) VALUES (1, $1, $2)
			ON CONFLICT (id) DO UPDATE SET at = excluded.at, body = excluded.body`, at, body)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: save snapshot: %w", err)
	}
	return nil
}

// ACDSnapshot reads the live snapshot and when it was taken.
func (db *DB) ACDSnapshot(ctx context.Context) (time.Time, string, error) {
	var at time.Time
	var body string
	if err := db.reader().queryRow(ctx, `SELECT at, body FROM acd_snapshots WHERE id = 1`).Scan(nullTime{&at}, &body); err != nil {
		return time.Time{}, "", notFound(err, "ACD snapshot (is the service running?)")
	}
	return at, body, nil
}

// QueuedCalls lists open inbound calls that were handed to a queue, in
// arrival order: what a restarted ACD must put back in line.
func (db *DB) QueuedCalls(ctx context.Context) ([]Call, error) {
	return db.listCalls(ctx, `SELECT `+callColumns+` FROM calls WHERE ended_at IS NULL AND queue <> '' ORDER BY arrived_at, id`)
}

// SaveACDState keeps the engine's description (JSON) for the next start.
func (db *DB) SaveACDState(ctx context.Context, at time.Time, body string) error {
	_, err := db.writer().exec(ctx, `INSERT INTO acd_state (id, at, body) VALUES (1, $1, $2)
		ON CONFLICT (id) DO UPDATE SET at = excluded.at, body = excluded.body`, at, body)
	if err != nil {
		return fmt.Errorf("store: save ACD state: %w", err)
	}
	return nil
}

// ACDState reads the engine's last saved description.
func (db *DB) ACDState(ctx context.Context) (time.Time, string, error) {
	var at time.Time
	var body string
	if err := db.reader().queryRow(ctx, `SELECT at, body FROM acd_state WHERE id = 1`).Scan(nullTime{&at}, &body); err != nil {
		return time.Time{}, "", notFound(err, "ACD state")
	}
	return at, body, nil
}

// CallACD is the ACD's accounting of a call: where and how long.
type CallACD struct {
	Queue       string
	Agent       string
	ConnectedAt time.Time
	WaitS       int
	RingS       int
	TalkS       int
	HoldS       int
	WrapupS     int
}

// SetCallACD writes the ACD's accounting on a call record, open or closed:
// the figures can only be final after the hang-up (and wrap-up after it).
// Zero fields are left as they are.
func (db *DB) SetCallACD(ctx context.Context, channelID string, a CallACD) error {
	return db.SetCallACDs(ctx, []CallACDUpdate{{ChannelID: channelID, CallACD: a}})
}

// CallACDUpdate is one call's accounting, for SetCallACDs.
type CallACDUpdate struct {
	ChannelID string
	CallACD
}

// SetCallACDs writes several calls' accounting in one group-committed
// transaction. An unknown call is ErrNotFound (and nothing is written).
func (db *DB) SetCallACDs(ctx context.Context, us []CallACDUpdate) error {
	return db.RecordACD(ctx, nil, us)
}

// RecordACD writes queue-log lines and the calls' accounting they carry in
// one group-committed transaction: whoever reads the queue log sees the
// call records' figures that go with it.
func (db *DB) RecordACD(ctx context.Context, evs []QueueEvent, us []CallACDUpdate) error {
	if err := checkQueueEvents(evs); err != nil {
		return err
	}
	stmts, err := callACDStatements(us)
	if err != nil {
		return err
	}
	if len(evs) == 0 && len(stmts) == 0 {
		return nil
	}
	return db.Batch(ctx, func(tx *Tx) error {
		if err := tx.appendQueueEvents(ctx, evs); err != nil {
			return err
		}
		for _, st := range stmts {
			res, err := tx.exec(ctx, st.q, st.args...)
			if err != nil {
				return fmt.Errorf("store: ACD figures of call %s: %w", st.id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("%w: call %s", ErrNotFound, st.id)
			}
		}
		return nil
	})
}

type callACDStatement struct {
	q    string
	args []any
	id   string
}

func callACDStatements(us []CallACDUpdate) ([]callACDStatement, error) {
	var stmts []callACDStatement
	for _, u := range us {
		a := u.CallACD
		var sets []string
		var args []any
		add := func(col string, v any) {
			args = append(args, v)
			sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
		}
		if a.Queue != "" {
			add("queue", a.Queue)
		}
		if a.Agent != "" {
			add("agent", a.Agent)
		}
		if !a.ConnectedAt.IsZero() {
			add("connected_at", a.ConnectedAt)
		}
		for _, n := range []struct {
			col string
			v   int
		}{{"wait_s", a.WaitS}, {"ring_s", a.RingS}, {"talk_s", a.TalkS}, {"hold_s", a.HoldS}, {"wrapup_s", a.WrapupS}} {
			if n.v < 0 {
				return nil, invalid("%s must not be negative", n.col)
			}
			if n.v > 0 {
				add(n.col, n.v)
			}
		}
		if len(sets) == 0 {
			continue
		}
		args = append(args, u.ChannelID)
		stmts = append(stmts, callACDStatement{fmt.Sprintf(`UPDATE calls SET %s WHERE channel_id = $%d`, strings.Join(sets, ", "), len(args)), args, u.ChannelID})
	}
	return stmts, nil
}
