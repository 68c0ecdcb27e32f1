package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

const saveTombstoneSQL = `INSERT INTO tombstones (id, actor, deleted) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`

const tombstonedSQL = `SELECT 1 FROM tombstones WHERE id = ? AND actor = ?`

const forgetTombstonesBeforeSQL = `DELETE FROM tombstones WHERE deleted < ?`

// SaveTombstone implements activitypub.Tx.
func (t *txn) SaveTombstone(ts activitypub.Tombstone) error {
	if ts.ID == "" || ts.Actor == "" {
		return errors.New("save tombstone: no id or actor")
	}
	at := ts.Deleted
	if at.IsZero() {
		at = t.now
	}
	if _, err := t.exec(saveTombstoneSQL, ts.ID, ts.Actor, toNanos(at)); err != nil {
		return fmt.Errorf("save tombstone %s: %w", ts.ID, err)
	}
	return nil
}

// tombstoned reports whether actor deleted id before it was stored.
func (t *txn) tombstoned(id, actor string) (bool, error) {
	var one int
	err := t.queryRow(tombstonedSQL, id, actor).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("tombstone: %w", err)
	}
	return true, nil
}

// ForgetTombstonesBefore implements activitypub.Store.
func (s *Store) ForgetTombstonesBefore(ctx context.Context, t time.Time) error {
	if _, err := s.exec(ctx, forgetTombstonesBeforeSQL, toNanos(t)); err != nil {
		return fmt.Errorf("forget tombstones before %s: %w", t, err)
	}
	return nil
}
