package sqlite

import (
	"context"
	"fmt"
	"time"
)

const seenActivitySQL = `INSERT INTO seen_activities (id, seen) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`

const forgetActivitySQL = `DELETE FROM seen_activities WHERE id = ?`

const forgetActivitiesBeforeSQL = `DELETE FROM seen_activities WHERE seen < ?`

// SeenActivity implements activitypub.Store: the insert is the check, so two
// concurrent calls cannot both see "new".
func (s *Store) SeenActivity(ctx context.Context, id string) (bool, error) {
	res, err := s.exec(ctx, seenActivitySQL, id, toNanos(s.Now()))
	if err != nil {
		return false, fmt.Errorf("seen activity %s: %w", id, err)
	}
	return res.rows == 0, nil
}

// ForgetActivity implements activitypub.Store.
func (s *Store) ForgetActivity(ctx context.Context, id string) error {
	if _, err := s.exec(ctx, forgetActivitySQL, id); err != nil {
		return fmt.Errorf("forget activity %s: %w", id, err)
	}
	return nil
}

// ForgetActivitiesBefore implements activitypub.Store.
func (s *Store) ForgetActivitiesBefore(ctx context.Context, t time.Time) error {
	if _, err := s.exec(ctx, forgetActivitiesBeforeSQL, toNanos(t)); err != nil {
		return fmt.Errorf("forget activities before %s: %w", t, err)
	}
	return nil
}
