package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// What the operator asks of the store (issue 11): queue figures for the
// metrics, a ping for /readyz, and a backup while the companion runs.

var (
	_ activitypub.Pinger   = (*Store)(nil)
	_ activitypub.Backuper = (*Store)(nil)
)

// deliveryQueueStatsSQL reads the whole queue once: it is scraped every
// few seconds at most, and a queue of 10,000 rows is a short scan.
const deliveryQueueStatsSQL = `
SELECT count(*),
       coalesce(sum(CASE WHEN claimed = 0 AND next_attempt <= ? THEN 1 ELSE 0 END), 0),
       coalesce(min(created), 0)
FROM deliveries`

// DeliveryQueueStats implements activitypub.Store.
func (s *Store) DeliveryQueueStats(ctx context.Context, now time.Time) (activitypub.QueueStats, error) {
	var q activitypub.QueueStats
	var oldest int64
	if err := s.db.QueryRowContext(ctx, deliveryQueueStatsSQL, toNanos(now)).Scan(&q.Depth, &q.Due, &oldest); err != nil {
		return q, fmt.Errorf("delivery queue stats: %w", err)
	}
	q.Oldest = fromNanos(oldest)
	return q, nil
}

// Ping implements activitypub.Pinger: it reads the schema version, a read
// of the database header, and compares it with the newest embedded
// migration.
func (s *Store) Ping(ctx context.Context) error {
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	want, err := latestMigration()
	if err != nil {
		return err
	}
	if version < want {
		return fmt.Errorf("sqlite: version %d, binary has %d: %w", version, want, activitypub.ErrSchemaBehind)
	}
	return nil
}

// Backup implements activitypub.Backuper with VACUUM INTO: SQLite writes
// the database as one read transaction sees it, so the copy is consistent
// while the companion goes on writing (WAL readers do not block writers),
// and compact. It refuses a path that exists, as VACUUM INTO does.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("sqlite: backup: %s already exists", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		os.Remove(path) // a partial copy is no backup
		return fmt.Errorf("sqlite: backup to %s: %w", path, err)
	}
	return nil
}
