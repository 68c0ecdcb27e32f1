package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// deliveryQueueStatsSQL reads the whole queue once: it is scraped every few
// seconds at most, and a queue of 10,000 rows is a short scan.
const deliveryQueueStatsSQL = `
SELECT count(*),
       count(*) FILTER (WHERE NOT claimed AND next_attempt <= $1),
       min(created)
FROM deliveries`

// DeliveryQueueStats implements activitypub.Store.
func (s *Store) DeliveryQueueStats(ctx context.Context, now time.Time) (activitypub.QueueStats, error) {
	var q activitypub.QueueStats
	var oldest *time.Time
	if err := s.pool.QueryRow(ctx, deliveryQueueStatsSQL, now).Scan(&q.Depth, &q.Due, &oldest); err != nil {
		return q, fmt.Errorf("delivery queue stats: %w", err)
	}
	if oldest != nil {
		q.Oldest = *oldest
	}
	return q, nil
}

// Ping implements activitypub.Pinger: the newest migration applied, read
// from the database, against the newest this binary embeds.
func (s *Store) Ping(ctx context.Context) error {
	have, err := s.Version(ctx)
	if err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	want := 0
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("postgres: migration %s: %w", name, err)
		}
		want = max(want, n)
	}
	if have < want {
		return fmt.Errorf("postgres: version %d, binary has %d: %w", have, want, activitypub.ErrSchemaBehind)
	}
	return nil
}

var _ activitypub.Pinger = (*Store)(nil)
