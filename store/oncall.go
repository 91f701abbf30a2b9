package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// On-call rosters and emergency activations. The oncall package decides
// (who is called, when, what a result means); these methods only record,
// each change with its audit entry in the same transaction, so the
// activation's timeline is exactly what happened.

// Activation states.
const (
	ActivationRunning   = "running"   // calling waves
	ActivationQuorum    = "quorum"    // enough operators confirmed
	ActivationExhausted = "exhausted" // everyone was tried, the quorum was not reached
	ActivationClosed    = "closed"
)

// Person statuses within an activation.
const (
	PersonWaiting     = "waiting"
	PersonConfirmed   = "confirmed"
	PersonDeclined    = "declined"
	PersonUnreachable = "unreachable"
)

// Roster is one imported version of the on-call roster.
type Roster struct {
	Version   int64
	Source    string // canonical YAML
	Checksum  string
	People    int
	Comment   string
	CreatedAt time.Time
	CreatedBy string
}

// SaveRoster stores a new roster version, audited, and sets its Version.
func (db *DB) SaveRoster(ctx context.Context, r *Roster) error {
	if r.Source == "" || r.CreatedBy == "" {
		return invalid("a roster needs its text and who imported it")
	}
	return db.InTx(ctx, func(tx *Tx) error {
		r.CreatedAt = tx.Now
		if err := tx.queryRow(ctx, `INSERT INTO oncall_rosters (source, checksum, people, comment, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING version`, r.Source, r.Checksum, r.People, r.Comment, tx.Now, r.CreatedBy).
			Scan(&r.Version); err != nil {
			return fmt.Errorf("store: save roster: %w", err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: r.CreatedBy, Action: "oncall.roster.import", Object: "roster:" + strconv.FormatInt(r.Version, 10),
			Detail: map[string]any{"people": r.People, "checksum": r.Checksum, "comment": r.Comment}})
	})
}

// CurrentRoster returns the newest roster, or ErrNotFound.
func (db *DB) CurrentRoster(ctx context.Context) (Roster, error) {
	return db.roster(ctx, `SELECT version, source, checksum, people, comment, created_at, created_by FROM oncall_rosters
		ORDER BY version DESC LIMIT 1`)
}

// RosterVersion returns one roster version, or ErrNotFound.
func (db *DB) RosterVersion(ctx context.Context, version int64) (Roster, error) {
	return db.roster(ctx, `SELECT version, source, checksum, people, comment, created_at, created_by FROM oncall_rosters
		WHERE version = $1`, version)
}

func (db *DB) roster(ctx context.Context, q string, args ...any) (Roster, error) {
	var r Roster
	err := db.reader().queryRow(ctx, q, args...).Scan(&r.Version, &r.Source, &r.Checksum, &r.People, &r.Comment,
		nullTime{&r.CreatedAt}, &r.CreatedBy)
	if err != nil {
		return Roster{}, notFound(err, "on-call roster")
	}
	return r, nil
}

// Activation is one emergency activation (or drill).
type Activation struct {
	ID            int64
	Event         string
	EventRef      string // the ops-room event's id, when one was opened
	RequestedBy   string
	Reason        string
	OpenedBy      string
	Exercise      bool
	Quorum        int
	RosterVersion int64
	Policy        string // JSON, the oncall package's
	State         string
	OpenedAt      time.Time
	QuorumAt      time.Time
	ExhaustedAt   time.Time
	ClosedAt      time.Time
	ClosedBy      string
	ModeChangeID  int64
	Runner        string
	LeaseUntil    time.Time
}

// ActivationWave is one wave of an activation.
type ActivationWave struct {
	Wave      int
	Name      string
	Wait      time.Duration
	StartedAt time.Time
}

// ActivationPerson is a person an activation calls, and where they are.
type ActivationPerson struct {
	ID            int64
	ActivationID  int64
	Person        string // roster key
	Name          string
	Phone         string // E.164
	Email         string
	Site          string
	Role          string // operator, coordinator
	Username      string // console user, for arrival
	Wave          int
	Seq           int // order in the roster
	Status        string
	Attempts      int
	Refusals      int
	NextAttemptAt time.Time
	ETAMinutes    int // -1: not given
	AnsweredAt    time.Time
	ConfirmedAt   time.Time
	ConfirmedVia  string // phone, link, login
	DeclinedAt    time.Time
	ArrivedAt     time.Time
	NotifiedAt    time.Time
	Token         string
}

// ActivationAttempt is one attempt to reach a person.
type ActivationAttempt struct {
	ID           int64
	ActivationID int64
	PersonID     int64
	Channel      string // phone, email, sms
	StartedAt    time.Time
	EndedAt      time.Time
	Result       string
	Detail       string
}

// OpenActivationRequest is everything an activation starts with.
type OpenActivationRequest struct {
	Activation *Activation
	Waves      []ActivationWave
	People     []ActivationPerson
	// Mode, when set, is the operating-mode change made in the same
	// transaction (a real emergency; never a drill).
	Mode *ModeChange
}

const activationColumns = `id, event, event_ref, requested_by, reason, opened_by, exercise, quorum, roster_version, policy, state,
	opened_at, quorum_at, exhausted_at, closed_at, closed_by, COALESCE(mode_change_id, 0), runner, lease_until`

func scanActivation(sc interface{ Scan(...any) error }) (Activation, error) {
	var a Activation
	err := sc.Scan(&a.ID, &a.Event, &a.EventRef, &a.RequestedBy, &a.Reason, &a.OpenedBy, &a.Exercise, &a.Quorum, &a.RosterVersion,
		&a.Policy, &a.State, nullTime{&a.OpenedAt}, nullTime{&a.QuorumAt}, nullTime{&a.ExhaustedAt}, nullTime{&a.ClosedAt},
		&a.ClosedBy, &a.ModeChangeID, &a.Runner, nullTime{&a.LeaseUntil})
	return a, err
}

// ActivationObject is the audit object of an activation: its timeline.
func ActivationObject(id int64) string { return "activation:" + strconv.FormatInt(id, 10) }

// OpenActivation records a new activation with its waves and people (the
// first wave starts now) and, for a real emergency, the switch to the
// emergency mode, all in one transaction. A second open activation of the
// same kind (real or drill) is ErrConflict.
func (db *DB) OpenActivation(ctx context.Context, r OpenActivationRequest) error {
	a := r.Activation
	if a.Event == "" || a.RequestedBy == "" || a.Reason == "" || a.OpenedBy == "" {
		return invalid("an activation needs the event, who requested it, the reason and who opened it")
	}
	if a.Quorum <= 0 {
		return invalid("the quorum must be at least 1")
	}
	if len(r.People) == 0 {
		return invalid("the roster has nobody to call")
	}
	if a.Policy == "" {
		a.Policy = "{}"
	}
	return db.InTx(ctx, func(tx *Tx) error {
		a.OpenedAt, a.State = tx.Now, ActivationRunning
		var open int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM activations WHERE exercise = $1 AND closed_at IS NULL`, a.Exercise).
			Scan(&open); err != nil {
			return fmt.Errorf("store: check open activations: %w", err)
		}
		if open > 0 {
			return fmt.Errorf("%w: an activation is already open", ErrConflict)
		}
		if r.Mode != nil {
			m := r.Mode
			m.SetAt = tx.Now
			if err := tx.queryRow(ctx, `INSERT INTO mode_changes (mode, reason, until_at, set_by, set_at)
				VALUES ($1, $2, NULL, $3, $4) RETURNING id`, m.Mode, m.Reason, m.SetBy, tx.Now).Scan(&m.ID); err != nil {
				return fmt.Errorf("store: set mode for activation: %w", err)
			}
			a.ModeChangeID = m.ID
			if err := tx.Audit(ctx, AuditEntry{Actor: m.SetBy, Action: "mode.set", Object: "mode",
				Detail: map[string]any{"mode": m.Mode, "reason": m.Reason}}); err != nil {
				return err
			}
		}
		err := tx.queryRow(ctx, `INSERT INTO activations (event, event_ref, requested_by, reason, opened_by, exercise, quorum,
			roster_version, policy, state, opened_at, mode_change_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'running', $10, $11)
			RETURNING id`, a.Event, a.EventRef, a.RequestedBy, a.Reason, a.OpenedBy, a.Exercise, a.Quorum, a.RosterVersion,
			a.Policy, tx.Now, nullID(a.ModeChangeID)).Scan(&a.ID)
		if err != nil {
			if tx.d.isUniqueViolation(err) {
				return fmt.Errorf("%w: an activation is already open", ErrConflict)
			}
			return fmt.Errorf("store: open activation: %w", err)
		}
		for i := range r.Waves {
			w := &r.Waves[i]
			if w.Wave == 0 {
				w.StartedAt = tx.Now
			}
			if _, err := tx.exec(ctx, `INSERT INTO activation_waves (activation_id, wave, name, wait_s, started_at)
				VALUES ($1, $2, $3, $4, $5)`, a.ID, w.Wave, w.Name, int(w.Wait/time.Second), timeArg(w.StartedAt)); err != nil {
				return fmt.Errorf("store: activation wave %d: %w", w.Wave, err)
			}
		}
		for i := range r.People {
			p := &r.People[i]
			p.ActivationID, p.Status, p.ETAMinutes = a.ID, PersonWaiting, -1
			if err := tx.queryRow(ctx, `INSERT INTO activation_people (activation_id, person, name, phone, email, site, role,
				username, wave, seq, status, token) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'waiting', $11) RETURNING id`,
				a.ID, p.Person, p.Name, p.Phone, p.Email, p.Site, p.Role, p.Username, p.Wave, p.Seq, p.Token).Scan(&p.ID); err != nil {
				if tx.d.isUniqueViolation(err) {
					return fmt.Errorf("%w: %s appears twice in the activation", ErrConflict, p.Person)
				}
				return fmt.Errorf("store: activation person %s: %w", p.Person, err)
			}
		}
		detail := map[string]any{"event": a.Event, "requested_by": a.RequestedBy, "reason": a.Reason, "quorum": a.Quorum,
			"exercise": a.Exercise, "roster": a.RosterVersion, "people": len(r.People), "waves": len(r.Waves)}
		if err := tx.Audit(ctx, AuditEntry{Actor: a.OpenedBy, Action: "activation.open", Object: ActivationObject(a.ID), Detail: detail}); err != nil {
			return err
		}
		if r.Mode != nil {
			if err := tx.Audit(ctx, AuditEntry{Actor: a.OpenedBy, Action: "activation.mode", Object: ActivationObject(a.ID),
				Detail: map[string]any{"mode": r.Mode.Mode, "mode_change": r.Mode.ID}}); err != nil {
				return err
			}
		}
		if len(r.Waves) > 0 {
			return tx.Audit(ctx, AuditEntry{Actor: "system", Action: "activation.wave", Object: ActivationObject(a.ID),
				Detail: map[string]any{"wave": 0, "name": r.Waves[0].Name}})
		}
		return nil
	})
}

// SetActivationEvent records the ops-room event an activation opened.
func (db *DB) SetActivationEvent(ctx context.Context, id int64, ref string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `UPDATE activations SET event_ref = $1 WHERE id = $2`, ref, id); err != nil {
			return fmt.Errorf("store: set activation %d event: %w", id, err)
		}
		return tx.Audit(ctx, AuditEntry{Actor: "system", Action: "activation.event", Object: ActivationObject(id),
			Detail: map[string]any{"event_ref": ref}})
	})
}

// Activation returns one activation, or ErrNotFound.
func (db *DB) Activation(ctx context.Context, id int64) (Activation, error) {
	a, err := scanActivation(db.reader().queryRow(ctx, `SELECT `+activationColumns+` FROM activations WHERE id = $1`, id))
	if err != nil {
		return Activation{}, notFound(err, "activation "+strconv.FormatInt(id, 10))
	}
	return a, nil
}

// LatestActivation returns the newest activation of a kind (real or
// drill), open or not, or ErrNotFound.
func (db *DB) LatestActivation(ctx context.Context, exercise bool) (Activation, error) {
	a, err := scanActivation(db.reader().queryRow(ctx, `SELECT `+activationColumns+` FROM activations WHERE exercise = $1
		ORDER BY id DESC LIMIT 1`, exercise))
	if err != nil {
		return Activation{}, notFound(err, "activation")
	}
	return a, nil
}

// OpenActivations lists the activations not closed, oldest first.
func (db *DB) OpenActivations(ctx context.Context) ([]Activation, error) {
	return db.activations(ctx, `SELECT `+activationColumns+` FROM activations WHERE closed_at IS NULL ORDER BY id`)
}

// Activations lists the newest activations first.
func (db *DB) Activations(ctx context.Context, limit int) ([]Activation, error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	return db.activations(ctx, fmt.Sprintf(`SELECT `+activationColumns+` FROM activations ORDER BY id DESC LIMIT %d`, limit))
}

func (db *DB) activations(ctx context.Context, q string, args ...any) ([]Activation, error) {
	rows, err := db.reader().query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list activations: %w", err)
	}
	defer rows.Close()
	var out []Activation
	for rows.Next() {
		a, err := scanActivation(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read activation: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// ClaimActivation makes runner the one calling for an open activation
// until lease passes: it succeeds when the activation is free, its lease
// ran out (the previous runner died), or runner already holds it.
func (db *DB) ClaimActivation(ctx context.Context, id int64, runner string, lease time.Duration) (bool, error) {
	now := db.now()
	res, err := db.writer().exec(ctx, `UPDATE activations SET runner = $1, lease_until = $2
		WHERE id = $3 AND closed_at IS NULL AND (runner = $1 OR runner = '' OR lease_until IS NULL OR lease_until < $4)`,
		runner, now.Add(lease), id, now)
	if err != nil {
		return false, fmt.Errorf("store: claim activation %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: claim activation %d: %w", id, err)
	}
	return n == 1, nil
}

// ReleaseActivation gives an activation up (a runner stopping cleanly).
func (db *DB) ReleaseActivation(ctx context.Context, id int64, runner string) error {
	_, err := db.writer().exec(ctx, `UPDATE activations SET runner = '', lease_until = NULL WHERE id = $1 AND runner = $2`, id, runner)
	if err != nil {
		return fmt.Errorf("store: release activation %d: %w", id, err)
	}
	return nil
}

// ActivationWaves lists an activation's waves in order.
func (db *DB) ActivationWaves(ctx context.Context, id int64) ([]ActivationWave, error) {
	rows, err := db.reader().query(ctx, `SELECT wave, name, wait_s, started_at FROM activation_waves WHERE activation_id = $1
		ORDER BY wave`, id)
	if err != nil {
		return nil, fmt.Errorf("store: activation %d waves: %w", id, err)
	}
	defer rows.Close()
	var out []ActivationWave
	for rows.Next() {
		var w ActivationWave
		var wait int
		if err := rows.Scan(&w.Wave, &w.Name, &wait, nullTime{&w.StartedAt}); err != nil {
			return nil, fmt.Errorf("store: read activation wave: %w", err)
		}
		w.Wait = time.Duration(wait) * time.Second
		out = append(out, w)
	}
	return out, rows.Err()
}

const personColumns = `id, activation_id, person, name, phone, email, site, role, username, wave, seq, status, attempts, refusals,
	next_attempt_at, eta_min, answered_at, confirmed_at, confirmed_via, declined_at, arrived_at, notified_at, token`

func scanPerson(sc interface{ Scan(...any) error }) (ActivationPerson, error) {
	var p ActivationPerson
	err := sc.Scan(&p.ID, &p.ActivationID, &p.Person, &p.Name, &p.Phone, &p.Email, &p.Site, &p.Role, &p.Username, &p.Wave, &p.Seq,
		&p.Status, &p.Attempts, &p.Refusals, nullTime{&p.NextAttemptAt}, &p.ETAMinutes, nullTime{&p.AnsweredAt},
		nullTime{&p.ConfirmedAt}, &p.ConfirmedVia, nullTime{&p.DeclinedAt}, nullTime{&p.ArrivedAt}, nullTime{&p.NotifiedAt}, &p.Token)
	return p, err
}

// ActivationPeople lists an activation's people by wave and roster order.
func (db *DB) ActivationPeople(ctx context.Context, id int64) ([]ActivationPerson, error) {
	rows, err := db.reader().query(ctx, `SELECT `+personColumns+` FROM activation_people WHERE activation_id = $1
		ORDER BY wave, seq, id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: activation %d people: %w", id, err)
	}
	defer rows.Close()
	var out []ActivationPerson
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read activation person: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ActivationPersonByToken finds the person a confirmation link belongs
// to, or ErrNotFound.
func (db *DB) ActivationPersonByToken(ctx context.Context, token string) (ActivationPerson, error) {
	if token == "" {
		return ActivationPerson{}, fmt.Errorf("%w: empty token", ErrNotFound)
	}
	p, err := scanPerson(db.reader().queryRow(ctx, `SELECT `+personColumns+` FROM activation_people WHERE token = $1`, token))
	if err != nil {
		return ActivationPerson{}, notFound(err, "confirmation link")
	}
	return p, nil
}

// ActivationPerson returns one person of an activation, read inside a
// write transaction so a decision and its record see the same row.
func (tx *Tx) ActivationPerson(ctx context.Context, id int64) (ActivationPerson, error) {
	p, err := scanPerson(tx.queryRow(ctx, `SELECT `+personColumns+` FROM activation_people WHERE id = $1`, id))
	if err != nil {
		return ActivationPerson{}, notFound(err, "activation person "+strconv.FormatInt(id, 10))
	}
	return p, nil
}

// Activation returns an activation inside a write transaction.
func (tx *Tx) Activation(ctx context.Context, id int64) (Activation, error) {
	a, err := scanActivation(tx.queryRow(ctx, `SELECT `+activationColumns+` FROM activations WHERE id = $1`, id))
	if err != nil {
		return Activation{}, notFound(err, "activation "+strconv.FormatInt(id, 10))
	}
	return a, nil
}

// PersonUpdate changes a person's call state; nil fields stay.
type PersonUpdate struct {
	Status        *string
	Attempts      *int
	Refusals      *int
	NextAttemptAt *time.Time
	ETAMinutes    *int
	AnsweredAt    *time.Time
	ConfirmedAt   *time.Time
	ConfirmedVia  *string
	DeclinedAt    *time.Time
	ArrivedAt     *time.Time
	NotifiedAt    *time.Time
}

// UpdateActivationPerson applies u to a person, inside the transaction
// that audits why.
func (tx *Tx) UpdateActivationPerson(ctx context.Context, id int64, u PersonUpdate) error {
	var sets []string
	var args []any
	add := func(col string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", col, len(args)))
	}
	if u.Status != nil {
		add("status", *u.Status)
	}
	if u.Attempts != nil {
		add("attempts", *u.Attempts)
	}
	if u.Refusals != nil {
		add("refusals", *u.Refusals)
	}
	if u.NextAttemptAt != nil {
		add("next_attempt_at", timeArg(*u.NextAttemptAt))
	}
	if u.ETAMinutes != nil {
		add("eta_min", *u.ETAMinutes)
	}
	if u.AnsweredAt != nil {
		add("answered_at", timeArg(*u.AnsweredAt))
	}
	if u.ConfirmedAt != nil {
		add("confirmed_at", timeArg(*u.ConfirmedAt))
	}
	if u.ConfirmedVia != nil {
		add("confirmed_via", *u.ConfirmedVia)
	}
	if u.DeclinedAt != nil {
		add("declined_at", timeArg(*u.DeclinedAt))
	}
	if u.ArrivedAt != nil {
		add("arrived_at", timeArg(*u.ArrivedAt))
	}
	if u.NotifiedAt != nil {
		add("notified_at", timeArg(*u.NotifiedAt))
	}
	if len(sets) == 0 {
		return nil
	}
	args = append(args, id)
	_, err := tx.exec(ctx, fmt.Sprintf(`UPDATE activation_people SET %s WHERE id = $%d`, strings.Join(sets, ", "), len(args)), args...)
	if err != nil {
		return fmt.Errorf("store: update activation person %d: %w", id, err)
	}
	return nil
}

// StartActivationWave marks a wave started, audited.
func (tx *Tx) StartActivationWave(ctx context.Context, activationID int64, wave int, name string, at time.Time) error {
	res, err := tx.exec(ctx, `UPDATE activation_waves SET started_at = $1 WHERE activation_id = $2 AND wave = $3 AND started_at IS NULL`,
		at, activationID, wave)
	if err != nil {
		return fmt.Errorf("store: start wave %d: %w", wave, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: wave %d of activation %d already started", ErrConflict, wave, activationID)
	}
	return tx.Audit(ctx, AuditEntry{At: at, Actor: "system", Action: "activation.wave", Object: ActivationObject(activationID),
		Detail: map[string]any{"wave": wave, "name": name}})
}

// SetActivationState moves an open activation to quorum or exhausted (or
// back to running when a late confirmation or a new wave changes the
// picture), audited. Closing is CloseActivation's.
func (tx *Tx) SetActivationState(ctx context.Context, id int64, state string, at time.Time, detail map[string]any) error {
	var q string
	args := []any{id, at}
	switch state {
	case ActivationRunning:
		q, args = `UPDATE activations SET state = 'running' WHERE id = $1 AND closed_at IS NULL`, args[:1]
	case ActivationQuorum:
		q = `UPDATE activations SET state = 'quorum', quorum_at = COALESCE(quorum_at, $2) WHERE id = $1 AND closed_at IS NULL`
	case ActivationExhausted:
		q = `UPDATE activations SET state = 'exhausted', exhausted_at = COALESCE(exhausted_at, $2) WHERE id = $1 AND closed_at IS NULL`
	default:
		return invalid("activation state %q", state)
	}
	if _, err := tx.exec(ctx, q, args...); err != nil {
		return fmt.Errorf("store: activation %d state %s: %w", id, state, err)
	}
	return tx.Audit(ctx, AuditEntry{At: at, Actor: "system", Action: "activation." + state, Object: ActivationObject(id), Detail: detail})
}

// BeginAttempt records an attempt as it starts and sets its ID.
func (tx *Tx) BeginAttempt(ctx context.Context, a *ActivationAttempt) error {
	if a.StartedAt.IsZero() {
		a.StartedAt = tx.Now
	}
	if err := tx.queryRow(ctx, `INSERT INTO activation_attempts (activation_id, person_id, channel, started_at, result, detail)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, a.ActivationID, a.PersonID, a.Channel, a.StartedAt, a.Result, a.Detail).
		Scan(&a.ID); err != nil {
		return fmt.Errorf("store: begin attempt: %w", err)
	}
	return nil
}

// EndAttempt records how an attempt ended (once: a second end is
// ErrAlreadyClosed).
func (tx *Tx) EndAttempt(ctx context.Context, id int64, at time.Time, result, detail string) error {
	res, err := tx.exec(ctx, `UPDATE activation_attempts SET ended_at = $1, result = $2, detail = $3 WHERE id = $4 AND ended_at IS NULL`,
		at, result, detail, id)
	if err != nil {
		return fmt.Errorf("store: end attempt %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: attempt %d", ErrAlreadyClosed, id)
	}
	return nil
}

// ActivationAttempts lists an activation's attempts, oldest first.
func (db *DB) ActivationAttempts(ctx context.Context, id int64) ([]ActivationAttempt, error) {
	rows, err := db.reader().query(ctx, `SELECT id, activation_id, person_id, channel, started_at, ended_at, result, detail
		FROM activation_attempts WHERE activation_id = $1 ORDER BY started_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: activation %d attempts: %w", id, err)
	}
	defer rows.Close()
	var out []ActivationAttempt
	for rows.Next() {
		var a ActivationAttempt
		if err := rows.Scan(&a.ID, &a.ActivationID, &a.PersonID, &a.Channel, nullTime{&a.StartedAt}, nullTime{&a.EndedAt},
			&a.Result, &a.Detail); err != nil {
			return nil, fmt.Errorf("store: read attempt: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CloseActivationRequest says who closes an activation and whether the
// operating mode goes back to the calendar's.
type CloseActivationRequest struct {
	ID     int64
	By     string
	Reason string
	// Mode, when set, is recorded in the same transaction (the return to
	// the ordinary calendar after a real emergency).
	Mode *ModeChange
}

// CloseActivation closes an open activation, audited; closing twice is
// ErrAlreadyClosed.
func (db *DB) CloseActivation(ctx context.Context, r CloseActivationRequest) error {
	if r.By == "" {
		return invalid("closing an activation needs who closes it")
	}
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE activations SET state = 'closed', closed_at = $1, closed_by = $2, runner = '', lease_until = NULL
			WHERE id = $3 AND closed_at IS NULL`, tx.Now, r.By, r.ID)
		if err != nil {
			return fmt.Errorf("store: close activation %d: %w", r.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := tx.Activation(ctx, r.ID); err != nil {
				return err
			}
			return fmt.Errorf("%w: activation %d", ErrAlreadyClosed, r.ID)
		}
		detail := map[string]any{"reason": r.Reason}
		if r.Mode != nil {
			r.Mode.SetAt = tx.Now
			if err := tx.queryRow(ctx, `INSERT INTO mode_changes (mode, reason, until_at, set_by, set_at)
				VALUES ($1, $2, NULL, $3, $4) RETURNING id`, r.Mode.Mode, r.Mode.Reason, r.Mode.SetBy, tx.Now).Scan(&r.Mode.ID); err != nil {
				return fmt.Errorf("store: restore mode: %w", err)
			}
			if err := tx.Audit(ctx, AuditEntry{Actor: r.Mode.SetBy, Action: "mode.set", Object: "mode",
				Detail: map[string]any{"mode": r.Mode.Mode, "reason": r.Mode.Reason}}); err != nil {
				return err
			}
			detail["mode"] = r.Mode.Mode
		}
		return tx.Audit(ctx, AuditEntry{Actor: r.By, Action: "activation.close", Object: ActivationObject(r.ID), Detail: detail})
	})
}

// OpenActivationPeopleFor lists the people of open activations that a
// console user is: by username, or by email when the roster named none.
func (db *DB) OpenActivationPeopleFor(ctx context.Context, username, email string) ([]ActivationPerson, error) {
	rows, err := db.reader().query(ctx, `SELECT `+personColumns+` FROM activation_people
		WHERE activation_id IN (SELECT id FROM activations WHERE closed_at IS NULL)
		AND (username = $1 OR (username = '' AND $2 <> '' AND LOWER(email) = LOWER($2))) ORDER BY id`, username, email)
	if err != nil {
		return nil, fmt.Errorf("store: activation people for %s: %w", username, err)
	}
	defer rows.Close()
	var out []ActivationPerson
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read activation person: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ActivationTimeline is an activation's audit entries, oldest first.
func (db *DB) ActivationTimeline(ctx context.Context, id int64) ([]AuditEntry, error) {
	rows, err := db.reader().query(ctx, `SELECT id, at, actor, action, object, detail, remote FROM audit_log
		WHERE object = $1 ORDER BY at, id`, ActivationObject(id))
	if err != nil {
		return nil, fmt.Errorf("store: activation %d timeline: %w", id, err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var detail string
		if err := rows.Scan(&e.ID, nullTime{&e.At}, &e.Actor, &e.Action, &e.Object, &detail, &e.Remote); err != nil {
			return nil, fmt.Errorf("store: read timeline entry: %w", err)
		}
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, fmt.Errorf("store: timeline entry %d detail: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
