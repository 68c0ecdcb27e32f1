package sqlite

import (
	"context"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

const saveFollowerSQL = `
INSERT INTO followers (actor_id, inbox, follow_id, since) VALUES (?, ?, ?, ?)
ON CONFLICT (actor_id) DO UPDATE SET inbox = excluded.inbox, follow_id = excluded.follow_id`

const removeFollowerSQL = `DELETE FROM followers WHERE actor_id = ?`

const followersSQL = `SELECT actor_id, inbox, follow_id, since FROM followers WHERE actor_id > ? ORDER BY actor_id LIMIT ?`

const followerCountSQL = `SELECT count(*) FROM followers`

const followerInboxesSQL = `SELECT DISTINCT inbox FROM followers ORDER BY inbox`

// SaveFollower implements activitypub.Store.
func (s *Store) SaveFollower(ctx context.Context, f activitypub.Follower) error {
	return s.inTx(ctx, func(t *txn) error { return t.SaveFollower(f) })
}

// SaveFollower implements activitypub.Tx. Since is kept from the first
// follow; a zero Since means now.
func (t *txn) SaveFollower(f activitypub.Follower) error {
	since := f.Since
	if since.IsZero() {
		since = t.now
	}
	if _, err := t.exec(saveFollowerSQL, f.ActorID, f.Inbox, f.FollowID, toNanos(since)); err != nil {
		return fmt.Errorf("save follower %s: %w", f.ActorID, err)
	}
	return nil
}

// RemoveFollower implements activitypub.Store.
func (s *Store) RemoveFollower(ctx context.Context, actorID string) error {
	return s.inTx(ctx, func(t *txn) error { return t.RemoveFollower(actorID) })
}

// RemoveFollower implements activitypub.Tx.
func (t *txn) RemoveFollower(actorID string) error {
	if err := t.changed(removeFollowerSQL, actorID); err != nil {
		return fmt.Errorf("remove follower %s: %w", actorID, err)
	}
	return nil
}

// Followers implements activitypub.Store.
func (s *Store) Followers(ctx context.Context, after string, limit int) ([]activitypub.Follower, error) {
	rows, err := s.db.QueryContext(ctx, followersSQL, after, limit)
	if err != nil {
		return nil, fmt.Errorf("followers: %w", err)
	}
	defer rows.Close()
	out := []activitypub.Follower{}
	for rows.Next() {
		var f activitypub.Follower
		var since int64
		if err := rows.Scan(&f.ActorID, &f.Inbox, &f.FollowID, &since); err != nil {
			return nil, fmt.Errorf("followers: %w", err)
		}
		f.Since = fromNanos(since)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("followers: %w", err)
	}
	return out, nil
}

// FollowerCount implements activitypub.Store.
func (s *Store) FollowerCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, followerCountSQL).Scan(&n); err != nil {
		return 0, fmt.Errorf("follower count: %w", err)
	}
	return n, nil
}

// FollowerInboxes implements activitypub.Store.
func (s *Store) FollowerInboxes(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, followerInboxesSQL)
	if err != nil {
		return nil, fmt.Errorf("follower inboxes: %w", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var in string
		if err := rows.Scan(&in); err != nil {
			return nil, fmt.Errorf("follower inboxes: %w", err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("follower inboxes: %w", err)
	}
	return out, nil
}
