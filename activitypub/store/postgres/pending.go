package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

const pendingColumns = `actor_id, handle, inbox, follow_id, requested`

const savePendingFollowSQL = `
INSERT INTO pending_follows (` + pendingColumns + `) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (actor_id) DO UPDATE SET handle = excluded.handle, inbox = excluded.inbox, follow_id = excluded.follow_id`

const pendingFollowsSQL = `SELECT ` + pendingColumns + ` FROM pending_follows ORDER BY requested, actor_id`

const removePendingFollowSQL = `DELETE FROM pending_follows WHERE actor_id = $1 RETURNING ` + pendingColumns

// SavePendingFollow implements activitypub.Store.
func (s *Store) SavePendingFollow(ctx context.Context, f activitypub.PendingFollow) error {
	return s.inTx(ctx, func(t *txn) error { return t.SavePendingFollow(f) })
}

// SavePendingFollow implements activitypub.Tx. Requested is kept from the
// first Follow; a zero Requested means now.
func (t *txn) SavePendingFollow(f activitypub.PendingFollow) error {
	at := f.Requested
	if at.IsZero() {
		at = t.now
	}
	if _, err := t.tx.Exec(t.ctx, savePendingFollowSQL, f.ActorID, f.Handle, f.Inbox, f.FollowID, at); err != nil {
		return fmt.Errorf("save pending follow %s: %w", f.ActorID, err)
	}
	return nil
}

// PendingFollows implements activitypub.Store.
func (s *Store) PendingFollows(ctx context.Context) ([]activitypub.PendingFollow, error) {
	rows, err := s.pool.Query(ctx, pendingFollowsSQL)
	if err != nil {
		return nil, fmt.Errorf("pending follows: %w", err)
	}
	out, err := scanRows(rows, func(r pgx.Rows) (activitypub.PendingFollow, error) { return scanPendingFollow(r) })
	if err != nil {
		return nil, fmt.Errorf("pending follows: %w", err)
	}
	return out, nil
}

// RemovePendingFollow implements activitypub.Store.
func (s *Store) RemovePendingFollow(ctx context.Context, actorID string) (activitypub.PendingFollow, error) {
	var f activitypub.PendingFollow
	err := s.inTx(ctx, func(t *txn) error {
		var err error
		f, err = t.RemovePendingFollow(actorID)
		return err
	})
	return f, err
}

// RemovePendingFollow implements activitypub.Tx.
func (t *txn) RemovePendingFollow(actorID string) (activitypub.PendingFollow, error) {
	f, err := scanPendingFollow(t.tx.QueryRow(t.ctx, removePendingFollowSQL, actorID))
	if errors.Is(err, pgx.ErrNoRows) {
		err = activitypub.ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("remove pending follow %s: %w", actorID, err)
	}
	return f, nil
}

func scanPendingFollow(row pgx.Row) (activitypub.PendingFollow, error) {
	var f activitypub.PendingFollow
	err := row.Scan(&f.ActorID, &f.Handle, &f.Inbox, &f.FollowID, &f.Requested)
	f.Requested = utc(f.Requested)
	return f, err
}
