package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The moderators' notices (issue 14).

const (
	lastNoticeSQL   = `SELECT sent FROM notice_messages WHERE moderator = ?`
	toldSQL         = `INSERT INTO notices_told (moderator, item, told) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	sentNoticeSQL   = `INSERT INTO notice_messages (moderator, sent) VALUES (?, ?) ON CONFLICT (moderator) DO UPDATE SET sent = excluded.sent`
	forgetNoticeSQL = `DELETE FROM notices_told WHERE told < ?`
)

// ClaimNotice implements activitypub.Store. The store's one writer makes
// the read of the last message and the inserts one step.
func (s *Store) ClaimNotice(ctx context.Context, moderator string, items []string, now time.Time, gap time.Duration) ([]string, error) {
	var fresh []string
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		fresh = nil
		var last int64
		err := tx.QueryRowContext(ctx, lastNoticeSQL, moderator).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && now.Before(fromNanos(last).Add(gap)) {
			return nil
		}
		for _, item := range items {
			res, err := tx.ExecContext(ctx, toldSQL, moderator, item, toNanos(now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				fresh = append(fresh, item)
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, sentNoticeSQL, moderator, toNanos(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim notice for %s: %w", moderator, err)
	}
	return fresh, nil
}

// ForgetNoticesBefore implements activitypub.Store.
func (s *Store) ForgetNoticesBefore(ctx context.Context, t time.Time) error {
	if _, err := s.exec(ctx, forgetNoticeSQL, toNanos(t)); err != nil {
		return fmt.Errorf("forget old notices: %w", err)
	}
	return nil
}
