package store

import (
	"context"
	"fmt"
	"time"
)

// FaxJob is a fax the ARI controller handed over, kept until it is a case.
type FaxJob struct {
	ID            int64
	ChannelID     string
	CallID        int64
	Caller        string
	Called        string
	Status        string // FAXSTATUS: SUCCESS, FAILED …
	Error         string // FAXERROR
	Pages         int
	RemoteStation string
	File          string // the TIFF on the disk Asterisk shares
	ReceivedAt    time.Time
	State         string // pending, done
	Attempts      int
	LastError     string
	CaseID        int64
}

// EnqueueFax records a received fax for the worker. It is idempotent by
// channel id (a re-adopted call may report twice): the second report is
// ignored and the job already stored is returned.
func (db *DB) EnqueueFax(ctx context.Context, j *FaxJob) error {
	if j.ChannelID == "" {
		return invalid("a fax job needs the channel it came on")
	}
	if j.ReceivedAt.IsZero() {
		j.ReceivedAt = db.now()
	}
	return db.Batch(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO fax_jobs (channel_id, call_id, caller, called, status, error, pages, remote_station,
			file, received_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending')
			ON CONFLICT (channel_id) DO NOTHING`, j.ChannelID, nullID(j.CallID), j.Caller, j.Called, j.Status, j.Error,
			j.Pages, j.RemoteStation, j.File, j.ReceivedAt)
		if err != nil {
			if tx.d.isForeignKeyViolation(err) {
				return fmt.Errorf("%w: call %d of fax on %s", ErrNotFound, j.CallID, j.ChannelID)
			}
			return fmt.Errorf("store: enqueue fax from %s: %w", j.ChannelID, err)
		}
		return tx.queryRow(ctx, `SELECT id, state FROM fax_jobs WHERE channel_id = $1`, j.ChannelID).Scan(&j.ID, &j.State)
	})
}

const faxJobColumns = `id, channel_id, COALESCE(call_id, 0), caller, called, status, error, pages, remote_station, file,
	received_at, state, attempts, last_error, COALESCE(case_id, 0)`

func scanFaxJob(sc interface{ Scan(...any) error }) (FaxJob, error) {
	var j FaxJob
	err := sc.Scan(&j.ID, &j.ChannelID, &j.CallID, &j.Caller, &j.Called, &j.Status, &j.Error, &j.Pages, &j.RemoteStation,
		&j.File, nullTime{&j.ReceivedAt}, &j.State, &j.Attempts, &j.LastError, &j.CaseID)
	return j, err
}

// PendingFaxJobs lists faxes not yet turned into cases, oldest first.
func (db *DB) PendingFaxJobs(ctx context.Context, limit int) ([]FaxJob, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.reader().query(ctx, `SELECT `+faxJobColumns+` FROM fax_jobs WHERE state = 'pending' ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: pending faxes: %w", err)
	}
	defer rows.Close()
	var out []FaxJob
	for rows.Next() {
		j, err := scanFaxJob(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read fax job: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// FaxJobByChannel returns the job for a channel.
func (db *DB) FaxJobByChannel(ctx context.Context, channelID string) (FaxJob, error) {
	j, err := scanFaxJob(db.reader().queryRow(ctx, `SELECT `+faxJobColumns+` FROM fax_jobs WHERE channel_id = $1`, channelID))
	if err != nil {
		return FaxJob{}, notFound(err, "fax job on "+channelID)
	}
	return j, nil
}

// CompleteFaxJob marks a job done with the case it became, inside the
// transaction that created the case; a job already done is
// ErrAlreadyClosed, so two workers never make two cases of one fax.
func (tx *Tx) CompleteFaxJob(ctx context.Context, id, caseID int64) error {
	res, err := tx.exec(ctx, `UPDATE fax_jobs SET state = 'done', case_id = $1, attempts = attempts + 1
		WHERE id = $2 AND state = 'pending'`, caseID, id)
	if err != nil {
		return fmt.Errorf("store: complete fax job %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%w: fax job %d", ErrAlreadyClosed, id)
	}
	return nil
}

// FaxJobFailed counts a failed attempt at a job and says why; the job stays
// pending for the next attempt.
func (db *DB) FaxJobFailed(ctx context.Context, id int64, problem string) error {
	_, err := db.writer().exec(ctx, `UPDATE fax_jobs SET attempts = attempts + 1, last_error = $1 WHERE id = $2 AND state = 'pending'`,
		problem, id)
	if err != nil {
		return fmt.Errorf("store: record fax job %d failure: %w", id, err)
	}
	return nil
}

// LinkCallToCase records which case a call became, when the call has none
// yet (a fax call becomes its fax's case).
func (tx *Tx) LinkCallToCase(ctx context.Context, callID, caseID int64) error {
	if callID == 0 {
		return nil
	}
	if _, err := tx.exec(ctx, `UPDATE calls SET case_id = $1 WHERE id = $2 AND case_id IS NULL`, caseID, callID); err != nil {
		return fmt.Errorf("store: link call %d to case %d: %w", callID, caseID, err)
	}
	return nil
}
