package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

var _ activitypub.Tx = (*txn)(nil)

// txn is activitypub.Tx over one of the writer's transactions. Each
// entity's file holds its methods beside its SQL; the Store's write methods
// of the same name run them in a transaction of their own.
type txn struct {
	ctx context.Context
	tx  *sql.Tx
	db  *pool     // for statements prepared once
	now time.Time // the Store's Now, read once for the whole transaction
}

// inTx runs fn in the writer's next batch, as one op: its changes are
// committed together, or undone together when fn fails.
func (s *Store) inTx(ctx context.Context, fn func(t *txn) error) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return fn(&txn{ctx: ctx, tx: tx, db: s.db, now: s.Now()})
	})
}

// exec runs one statement and returns its counts.
func (t *txn) exec(query string, args ...any) (execResult, error) {
	var r execResult
	res, err := t.db.execTx(t.ctx, t.tx, query, args...)
	if err != nil {
		return r, err
	}
	if r.rows, err = res.RowsAffected(); err != nil {
		return r, err
	}
	r.lastID, err = res.LastInsertId()
	return r, err
}

// queryRow runs a query in the transaction with the statement prepared
// once; the transaction's copy of the statement is closed at its end.
func (t *txn) queryRow(query string, args ...any) *sql.Row {
	if st := t.db.prepared(t.ctx, query); st != nil {
		return t.tx.StmtContext(t.ctx, st).QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// changed is exec for statements that must change a row: it returns
// activitypub.ErrNotFound when none changed.
func (t *txn) changed(query string, args ...any) error {
	r, err := t.exec(query, args...)
	if err != nil {
		return err
	}
	if r.rows == 0 {
		return activitypub.ErrNotFound
	}
	return nil
}

// Apply implements activitypub.Store. The mark and fn's changes are one op
// of the group-commit writer: one savepoint in the batch's transaction, so
// an Apply costs no more disk syncs than the single write it replaces, and
// a failing fn undoes its mark with its changes. The insert is the check,
// so of two concurrent Applies of one id only the first runs fn.
func (s *Store) Apply(ctx context.Context, activityID string, fn func(tx activitypub.Tx) error) (bool, error) {
	var applied bool
	err := s.inTx(ctx, func(t *txn) error {
		applied = false
		r, err := t.exec(seenActivitySQL, activityID, toNanos(t.now))
		if err != nil {
			return fmt.Errorf("mark seen: %w", err)
		}
		if r.rows == 0 {
			return nil // a replay
		}
		if err := fn(t); err != nil {
			return err
		}
		applied = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("apply %s: %w", activityID, err)
	}
	return applied, nil
}
