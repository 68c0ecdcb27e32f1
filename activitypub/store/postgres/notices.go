package postgres

import (
	"context"
	"fmt"
	"time"
)

// The moderators' notices (issue 14).

const (
	// ensureNoticeSQL makes sure the moderator's row exists (a message at
	// the epoch stands for none yet), then lockNoticeSQL locks it: a
	// concurrent claim for the same moderator waits there until this
	// transaction ends, and then sees its last message.
	ensureNoticeSQL = `INSERT INTO notice_messages (moderator, sent) VALUES ($1, 'epoch') ON CONFLICT DO NOTHING`
	lockNoticeSQL   = `SELECT sent FROM notice_messages WHERE moderator = $1 FOR UPDATE`
	toldSQL         = `INSERT INTO notices_told (moderator, item, told) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
	sentNoticeSQL   = `UPDATE notice_messages SET sent = $2 WHERE moderator = $1`
	forgetNoticeSQL = `DELETE FROM notices_told WHERE told < $1`
)

// ClaimNotice implements activitypub.Store.
func (s *Store) ClaimNotice(ctx context.Context, moderator string, items []string, now time.Time, gap time.Duration) ([]string, error) {
	var fresh []string
	err := s.inTx(ctx, func(t *txn) error {
		fresh = nil
		if _, err := t.tx.Exec(ctx, ensureNoticeSQL, moderator); err != nil {
			return err
		}
		var last time.Time
		if err := t.tx.QueryRow(ctx, lockNoticeSQL, moderator).Scan(&last); err != nil {
			return err
		}
		if now.Before(last.Add(gap)) {
			return nil
		}
		for _, item := range items {
			tag, err := t.tx.Exec(ctx, toldSQL, moderator, item, dbTime(now))
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				fresh = append(fresh, item)
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		_, err := t.tx.Exec(ctx, sentNoticeSQL, moderator, dbTime(now))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim notice for %s: %w", moderator, err)
	}
	return fresh, nil
}

// ForgetNoticesBefore implements activitypub.Store.
func (s *Store) ForgetNoticesBefore(ctx context.Context, t time.Time) error {
	if _, err := s.pool.Exec(ctx, forgetNoticeSQL, t); err != nil {
		return fmt.Errorf("forget old notices: %w", err)
	}
	return nil
}
