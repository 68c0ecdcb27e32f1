package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

var _ activitypub.Tx = (*txn)(nil)

// txn is activitypub.Tx over one PostgreSQL transaction. Each entity's file
// holds its methods beside its SQL; the Store's write methods of the same
// name run them in a transaction of their own.
type txn struct {
	ctx context.Context
	tx  pgx.Tx
	now time.Time // the Store's Now, read once for the whole transaction
}

// inTx runs fn in a transaction, committing when it returns nil and
// rolling back otherwise.
func (s *Store) inTx(ctx context.Context, fn func(t *txn) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return fn(&txn{ctx: ctx, tx: tx, now: s.Now()})
	})
}

// Apply implements activitypub.Store. The mark is inserted first: of two
// concurrent Applies of one id, the second's insert waits on the first's
// row until that transaction ends, then finds it (a replay, fn not run) or,
// when the first rolled back, inserts and runs fn itself.
func (s *Store) Apply(ctx context.Context, activityID string, fn func(tx activitypub.Tx) error) (bool, error) {
	var applied bool
	err := s.inTx(ctx, func(t *txn) error {
		applied = false
		tag, err := t.tx.Exec(ctx, seenActivitySQL, activityID, dbTime(t.now))
		if err != nil {
			return fmt.Errorf("mark seen: %w", err)
		}
		if tag.RowsAffected() == 0 {
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
