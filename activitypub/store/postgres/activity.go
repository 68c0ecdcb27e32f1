package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

const seenActivitySQL = `INSERT INTO seen_activities (id, seen) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`

const activitySeenSQL = `SELECT 1 FROM seen_activities WHERE id = $1`

const forgetActivitiesBeforeSQL = `DELETE FROM seen_activities WHERE seen < $1`

// ActivitySeen implements activitypub.Store.
func (s *Store) ActivitySeen(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.pool.QueryRow(ctx, activitySeenSQL, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("activity seen %s: %w", id, err)
	}
	return true, nil
}

// ForgetActivitiesBefore implements activitypub.Store.
func (s *Store) ForgetActivitiesBefore(ctx context.Context, t time.Time) error {
	if _, err := s.pool.Exec(ctx, forgetActivitiesBeforeSQL, t); err != nil {
		return fmt.Errorf("forget activities before %s: %w", t, err)
	}
	return nil
}
