package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ascolto/ascolto/clock"
)

// batcher is the group-commit writer: small writes from many goroutines
// (call records, queue events) are run together in one transaction, and each
// caller returns only once its own write is committed. One fsync then
// serves many writes, which is what lets a 2-core machine with durable
// commits (synchronous=FULL, PostgreSQL's default) keep up with a surge.
type batcher struct {
	db      *DB
	reqs    chan *batchReq
	quit    chan struct{}
	stopped chan struct{} // closed once run has returned
	done    sync.WaitGroup
	// clk times the gathering; the store's own clock may be a test's
	// fake that nobody advances, so this one is real but for the
	// batcher's own tests.
	clk clock.Clock
	// waits, when set (tests), hears each wait the writer begins.
	waits chan time.Duration
}

type batchReq struct {
	ctx  context.Context
	fn   func(*Tx) error
	err  chan error
	lazy bool // nobody is held up waiting for it (see Lazy)
}

type lazyKey struct{}

// Lazy marks ctx for writes whose writer is not held up by their commit:
// a call's record written off the call's path, the ACD's queue log. The
// group commit gathers such writes for up to lazyGap instead of commitGap,
// so a phone load's trickle of small writes shares one commit (and one
// fsync) a few times a second instead of one every commitGap. A write
// that someone waits for (a form submission, an admin's change) still
// commits within commitGap, taking the lazy ones gathered so far with it.
func Lazy(ctx context.Context) context.Context { return context.WithValue(ctx, lazyKey{}, true) }

func isLazy(ctx context.Context) bool { v, _ := ctx.Value(lazyKey{}).(bool); return v }

// maxBatch bounds one transaction, so one slow batch cannot hold many
// callers. It is also the number of savepoints (PostgreSQL subtransactions)
// one transaction opens: past 64 that write, PostgreSQL's per-backend
// subtransaction cache overflows and every other session's snapshots turn
// slow while it runs, so no more than 64.
const maxBatch = 64

// errClosed is returned to writes submitted after Close.
var errClosed = errors.New("store: closed")

func newBatcher(db *DB) *batcher {
	b := &batcher{db: db, reqs: make(chan *batchReq, maxBatch*4), quit: make(chan struct{}), stopped: make(chan struct{}),
		clk: clock.Real()}
	b.done.Add(1)
	go b.run()
	return b
}

// do submits fn and waits until it is committed or has failed.
func (b *batcher) do(ctx context.Context, fn func(*Tx) error) error {
	return b.submit(ctx, fn).wait()
}

// submit queues fn and returns at once; writes are committed in the order
// they were submitted.
func (b *batcher) submit(ctx context.Context, fn func(*Tx) error) *Pending {
	r := &batchReq{ctx: ctx, fn: fn, err: make(chan error, 1), lazy: isLazy(ctx)}
	p := &Pending{b: b, r: r}
	select {
	case b.reqs <- r:
	case <-b.quit:
		p.early = errClosed
	case <-ctx.Done():
		p.early = ctx.Err()
	}
	return p
}

// Pending is a write handed to the group commit whose verdict is read
// later, so the writer can go on meanwhile. Writes submitted one after
// the other are committed in that order, whoever waits for them.
type Pending struct {
	b     *batcher
	r     *batchReq
	early error             // not queued at all
	then  func(error) error // what the write's own function makes of the verdict
	done  bool
	err   error
}

// Wait returns once the write is committed or has failed. Once queued, it
// waits for the verdict even if the write's context ends: the write may
// already be committed, and the writer must not believe otherwise. A
// request that slipped in after the writer stopped gets no verdict from
// it: it was never run. Wait may be called more than once.
func (p *Pending) Wait() error {
	if !p.done {
		p.err, p.done = p.wait(), true
		if p.then != nil {
			p.err = p.then(p.err)
		}
	}
	return p.err
}

// failed is a write refused before it was queued (nil: nothing to write).
func failed(err error) *Pending { return &Pending{early: err, done: err == nil} }

func (p *Pending) wait() error {
	if p.early != nil {
		return p.early
	}
	select {
	case err := <-p.r.err:
		return err
	case <-p.b.stopped:
		select {
		case err := <-p.r.err:
			return err
		default:
			return errClosed
		}
	}
}

func (b *batcher) close() {
	select {
	case <-b.quit:
		return
	default:
	}
	close(b.quit)
	b.done.Wait()
}

// commitGap is the least time from one commit's start to the next one's
// while writes trickle in. A write that comes when the last commit is
// older than that is committed at once; otherwise the commit waits out the
// gap gathering the writes behind it, unless enough of them are already
// waiting (busyBatch: writers that each wait for their last write, as a
// surge of form submissions, would only be slowed by waiting). Without
// it, writes that come spread out (a phone load: each call's few writes
// seconds apart) were committed one or two at a time, an fsync each: at
// 75 calls/s the store was half the controller's CPU. It adds at most
// this much to a write's wait.
const commitGap = 10 * time.Millisecond

// busyBatch is the batch size that is committed without waiting.
const busyBatch = 16

// lazyGap is how long writes nobody waits for (Lazy) are gathered before
// they are committed; the first write someone waits for cuts it short (a
// writer that waits for its own lazy writes, as the ACD recorder does, is
// not in a hurry: it waits out the gathering). At 25 calls a second,
// 250 ms puts about six calls' writes in a commit instead of one or two at
// 50 ms, and halves the store's CPU per call (BenchmarkPacedCalls/*/lazy:
// SQLite 1.1–1.4 ms → 0.56–0.60 ms): the commits, an fsync and the pages
// each writes, were its largest cost in the controller's profile.
const lazyGap = 250 * time.Millisecond

func (b *batcher) run() {
	defer b.done.Done()
	defer close(b.stopped)
	batch := make([]*batchReq, 0, maxBatch)
	var last time.Time
	for {
		select {
		case r := <-b.reqs:
			batch = append(batch[:0], r)
		case <-b.quit:
			b.drain()
			return
		}
		lazy := batch[0].lazy
		gap := commitGap
		if lazy {
			gap = lazyGap
		}
		if wait := gap - b.clk.Now().Sub(last); wait > 0 {
			timer := b.arm(wait)
		gather:
			for len(batch) < maxBatch && (lazy || len(batch) < busyBatch) {
				select {
				case r := <-b.reqs:
					batch = append(batch, r)
					if lazy && !r.lazy {
						// Someone waits now: the usual gap from the last
						// commit, or at once if it is over.
						lazy = false
						timer.Stop()
						timer = b.arm(max(0, commitGap-b.clk.Now().Sub(last)))
					}
				case <-timer.C():
					break gather
				case <-b.quit:
					break gather // committed below; the next turn drains
				}
			}
			timer.Stop()
		}
		last = b.clk.Now()
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		b.commit(batch)
	}
}

func (b *batcher) arm(d time.Duration) clock.Timer {
	t := b.clk.NewTimer(d)
	if b.waits != nil {
		select {
		case b.waits <- d:
		default: // a test that stopped listening
		}
	}
	return t
}

// drain fails whatever is still queued at close.
func (b *batcher) drain() {
	for {
		select {
		case r := <-b.reqs:
			r.err <- errClosed
		default:
			return
		}
	}
}

// commit runs the batch in one transaction, each write inside its own
// savepoint: a write that fails is rolled back to its savepoint and told
// its error, and the others still commit together. (Replaying the batch
// one by one instead let 60 poisoned form submissions a second drop the
// legitimate ones' success from 99.7 % to 72 %.) Only when the transaction
// itself fails (the commit, the connection, the savepoint machinery) is
// every write retried on its own.
func (b *batcher) commit(batch []*batchReq) {
	live := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err <- err
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 {
		live[0].err <- b.db.InTx(live[0].ctx, live[0].fn)
		return
	}
	errs := make([]error, len(live))
	ctx := context.Background()
	err := b.db.InTx(ctx, func(tx *Tx) error {
		// One statement round trip per write: the savepoint is released
		// and the next one taken in the same call. A rollback to it keeps
		// it, ready for the next write; the commit releases the last.
		if _, err := tx.exec(ctx, `SAVEPOINT batch_write`); err != nil {
			return fmt.Errorf("store: savepoint: %w", err)
		}
		for i, r := range live {
			if errs[i] = r.fn(tx); errs[i] != nil {
				if _, err := tx.exec(ctx, `ROLLBACK TO SAVEPOINT batch_write`); err != nil {
					return fmt.Errorf("store: roll back to savepoint: %w", err)
				}
				continue
			}
			if i < len(live)-1 {
				if _, err := tx.exec(ctx, `RELEASE SAVEPOINT batch_write; SAVEPOINT batch_write`); err != nil {
					return fmt.Errorf("store: next savepoint: %w", err)
				}
			}
		}
		return nil
	})
	if err == nil {
		for i, r := range live {
			r.err <- errs[i]
		}
		return
	}
	for _, r := range live {
		r.err <- b.db.InTx(r.ctx, r.fn)
	}
}

// Flush returns once every write handed to the group commit before it is
// committed or has failed, without waiting out the gathering of lazy
// writes: for a reader that must see what a call has just written (the
// agent's desk saving the call's disposition a moment after it ended).
func (db *DB) Flush(ctx context.Context) error {
	return db.batch.do(ctx, func(*Tx) error { return nil })
}

// Batch runs fn in a shared, group-committed write transaction and returns
// once it is committed. A failing fn is rolled back alone (a savepoint per
// write) and costs its neighbours nothing. fn must only write through tx and
// must be safe to run twice: if the shared transaction itself fails (its
// commit, the connection), each fn is retried alone.
func (db *DB) Batch(ctx context.Context, fn func(tx *Tx) error) error {
	return db.batch.do(ctx, fn)
}
