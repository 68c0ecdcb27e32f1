package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

const seenActivitySQL = `INSERT INTO seen_activities (id, seen) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`

const activitySeenSQL = `SELECT 1 FROM seen_activities WHERE id = ?`

const forgetActivitiesBeforeSQL = `DELETE FROM seen_activities WHERE seen < ?`

// ActivitySeen implements activitypub.Store.
func (s *Store) ActivitySeen(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, activitySeenSQL, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("activity seen %s: %w", id, err)
	}
	return true, nil
}

// ForgetActivitiesBefore implements activitypub.Store.
func (s *Store) ForgetActivitiesBefore(ctx context.Context, t time.Time) error {
	if _, err := s.exec(ctx, forgetActivitiesBeforeSQL, toNanos(t)); err != nil {
		return fmt.Errorf("forget activities before %s: %w", t, err)
	}
	return nil
}
