package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

const savePendingFollowSQL = `
INSERT INTO pending_follows (actor_id, handle, inbox, follow_id, requested) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (actor_id) DO UPDATE SET handle = excluded.handle, inbox = excluded.inbox, follow_id = excluded.follow_id`

const pendingFollowsSQL = `SELECT actor_id, handle, inbox, follow_id, requested FROM pending_follows ORDER BY requested, actor_id`

const removePendingFollowSQL = `DELETE FROM pending_follows WHERE actor_id = ? RETURNING actor_id, handle, inbox, follow_id, requested`

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
	if _, err := t.exec(savePendingFollowSQL, f.ActorID, f.Handle, f.Inbox, f.FollowID, toNanos(at)); err != nil {
		return fmt.Errorf("save pending follow %s: %w", f.ActorID, err)
	}
	return nil
}

// PendingFollows implements activitypub.Store.
func (s *Store) PendingFollows(ctx context.Context) ([]activitypub.PendingFollow, error) {
	rows, err := s.db.QueryContext(ctx, pendingFollowsSQL)
	if err != nil {
		return nil, fmt.Errorf("pending follows: %w", err)
	}
	defer rows.Close()
	out := []activitypub.PendingFollow{}
	for rows.Next() {
		f, err := scanPendingFollow(rows)
		if err != nil {
			return nil, fmt.Errorf("pending follows: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
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
	f, err := scanPendingFollow(t.tx.QueryRowContext(t.ctx, removePendingFollowSQL, actorID))
	if errors.Is(err, sql.ErrNoRows) {
		err = activitypub.ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("remove pending follow %s: %w", actorID, err)
	}
	return f, nil
}

func scanPendingFollow(row scanner) (activitypub.PendingFollow, error) {
	var f activitypub.PendingFollow
	var at int64
	err := row.Scan(&f.ActorID, &f.Handle, &f.Inbox, &f.FollowID, &at)
	f.Requested = fromNanos(at)
	return f, err
}
