package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cohort-course/cohort/activitypub"
)

// maxBatch bounds how many writes share one transaction: enough that a
// burst of concurrent inbox deliveries (tens at a time) is one fsync, small
// enough that a batch holds the write lock for milliseconds, not seconds.
const maxBatch = 256

// ErrClosed is returned by a write called after Close.
var ErrClosed = errors.New("sqlite: store closed")

// op is one write waiting for the writer: fn runs inside the batch's
// transaction and done receives its outcome once the batch is committed.
type op struct {
	fn   func(ctx context.Context, tx *sql.Tx) error
	done chan error
}

// writer is the one goroutine that writes: it takes the writes that are
// waiting, runs them in one transaction and commits them with one fsync.
type writer struct {
	db        *pool
	ops       chan op
	quit      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
	// ctx is the writer's own: statements do not run under a caller's
	// context, so one caller giving up cannot abort the others' batch.
	ctx    context.Context
	cancel context.CancelFunc
	// batches counts committed transactions, for tests that check batching.
	batches atomic.Int64
}

func (w *writer) start(db *pool) {
	w.db = db
	w.ops = make(chan op) // unbuffered: a write handed over is a write the writer owns
	w.quit, w.stopped = make(chan struct{}), make(chan struct{})
	w.ctx, w.cancel = context.WithCancel(context.Background())
	go w.run()
}

// stop makes the writer return once its current batch is answered.
func (w *writer) stop() {
	if w.quit == nil {
		return
	}
	close(w.quit)
	<-w.stopped
	w.cancel()
}

// write runs fn in the writer's next transaction and returns once that
// transaction is committed (nil), or with fn's error (fn's changes undone,
// the rest of the batch kept), or with the commit's error. If ctx ends
// before the writer took fn, fn never runs and ctx's error is returned;
// once taken, the outcome is awaited, so an error here always means the
// change is not there.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	w := &s.w
	o := op{fn: fn, done: make(chan error, 1)}
	select {
	case w.ops <- o:
	case <-w.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-o.done
}

func (w *writer) run() {
	defer close(w.stopped)
	batch := make([]op, 0, maxBatch)
	for {
		select {
		case o := <-w.ops:
			batch = append(batch[:0], o)
		case <-w.quit:
			return
		}
		// Everyone who queued while the last batch was syncing joins this one.
	drain:
		for len(batch) < maxBatch {
			select {
			case o := <-w.ops:
				batch = append(batch, o)
			default:
				break drain
			}
		}
		w.commit(batch)
	}
}

// commit runs the batch in one transaction and answers every op. With more
// than one op, each runs in a savepoint, so an op that fails is rolled back
// alone and reports its own error.
func (w *writer) commit(batch []op) {
	errs := make([]error, len(batch))
	answer := func(all error) {
		for i, o := range batch {
			if all != nil {
				errs[i] = all
			}
			o.done <- errs[i]
		}
	}
	ctx := w.ctx
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		answer(fmt.Errorf("begin: %w", err))
		return
	}
	alone := len(batch) == 1
	for i, o := range batch {
		if alone {
			errs[i] = o.fn(ctx, tx)
			break
		}
		if _, err := w.db.execTx(ctx, tx, "SAVEPOINT op"); err != nil {
			tx.Rollback()
			answer(fmt.Errorf("savepoint: %w", err))
			return
		}
		if errs[i] = o.fn(ctx, tx); errs[i] != nil {
			if _, err := w.db.execTx(ctx, tx, "ROLLBACK TO op"); err != nil {
				tx.Rollback()
				answer(fmt.Errorf("rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := w.db.execTx(ctx, tx, "RELEASE op"); err != nil {
			tx.Rollback()
			answer(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if alone && errs[0] != nil {
		tx.Rollback()
		answer(nil)
		return
	}
	if err := tx.Commit(); err != nil {
		answer(fmt.Errorf("commit: %w", err))
		return
	}
	w.batches.Add(1)
	answer(nil)
}

// execResult is what a write statement reports, read inside the batch.
type execResult struct {
	rows   int64 // rows affected
	lastID int64 // last inserted rowid
}

// exec runs one statement as a write and returns its counts.
func (s *Store) exec(ctx context.Context, query string, args ...any) (execResult, error) {
	var r execResult
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.db.execTx(ctx, tx, query, args...)
		if err != nil {
			return err
		}
		if r.rows, err = res.RowsAffected(); err != nil {
			return err
		}
		r.lastID, err = res.LastInsertId()
		return err
	})
	return r, err
}

// changed is exec for statements that must change a row: it returns
// activitypub.ErrNotFound when none changed.
func (s *Store) changed(ctx context.Context, query string, args ...any) error {
	r, err := s.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if r.rows == 0 {
		return activitypub.ErrNotFound
	}
	return nil
}
