package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

const saveFlagSQL = `INSERT INTO flags (id, actor, content, objects, received) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`

const flagsSQL = `SELECT id, actor, content, objects, received FROM flags ORDER BY received DESC, id DESC LIMIT $1`

// SaveFlag implements activitypub.Store.
func (s *Store) SaveFlag(ctx context.Context, f activitypub.Flag) error {
	return s.inTx(ctx, func(t *txn) error { return t.SaveFlag(f) })
}

// SaveFlag implements activitypub.Tx. A comment longer than
// activitypub.FlagCommentLimit characters is cut there.
func (t *txn) SaveFlag(f activitypub.Flag) error {
	if f.ID == "" {
		return errors.New("save flag: no id")
	}
	if rs := []rune(f.Content); len(rs) > activitypub.FlagCommentLimit {
		f.Content = string(rs[:activitypub.FlagCommentLimit])
	}
	at := f.Received
	if at.IsZero() {
		at = t.now
	}
	objects := f.Objects
	if objects == nil {
		objects = []string{}
	}
	oj, err := json.Marshal(objects)
	if err != nil {
		return fmt.Errorf("save flag %s: objects: %w", f.ID, err)
	}
	tag, err := t.tx.Exec(t.ctx, saveFlagSQL, f.ID, f.Actor, f.Content, oj, at)
	if err != nil {
		return fmt.Errorf("save flag %s: %w", f.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("save flag %s: %w", f.ID, activitypub.ErrDuplicate)
	}
	return nil
}

// Flags implements activitypub.Store.
func (s *Store) Flags(ctx context.Context, limit int) ([]activitypub.Flag, error) {
	rows, err := s.pool.Query(ctx, flagsSQL, limit)
	if err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	out, err := scanRows(rows, func(r pgx.Rows) (activitypub.Flag, error) {
		var f activitypub.Flag
		var oj []byte
		if err := r.Scan(&f.ID, &f.Actor, &f.Content, &oj, &f.Received); err != nil {
			return f, err
		}
		f.Received = utc(f.Received)
		if err := json.Unmarshal(oj, &f.Objects); err != nil {
			return f, fmt.Errorf("%s: objects: %w", f.ID, err)
		}
		return f, nil
	})
	if err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	return out, nil
}
