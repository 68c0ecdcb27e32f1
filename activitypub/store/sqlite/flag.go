package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

const saveFlagSQL = `INSERT INTO flags (id, actor, content, objects, received) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`

const flagsSQL = `SELECT id, actor, content, objects, received FROM flags ORDER BY received DESC, id DESC LIMIT ?`

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
	r, err := t.exec(saveFlagSQL, f.ID, f.Actor, f.Content, string(oj), toNanos(at))
	if err != nil {
		return fmt.Errorf("save flag %s: %w", f.ID, err)
	}
	if r.rows == 0 {
		return fmt.Errorf("save flag %s: %w", f.ID, activitypub.ErrDuplicate)
	}
	return nil
}

// Flags implements activitypub.Store.
func (s *Store) Flags(ctx context.Context, limit int) ([]activitypub.Flag, error) {
	rows, err := s.db.QueryContext(ctx, flagsSQL, limit)
	if err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	defer rows.Close()
	out := []activitypub.Flag{}
	for rows.Next() {
		var (
			f        activitypub.Flag
			oj       string
			received int64
		)
		if err := rows.Scan(&f.ID, &f.Actor, &f.Content, &oj, &received); err != nil {
			return nil, fmt.Errorf("flags: %w", err)
		}
		if err := json.Unmarshal([]byte(oj), &f.Objects); err != nil {
			return nil, fmt.Errorf("flags: %s: objects: %w", f.ID, err)
		}
		f.Received = fromNanos(received)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	return out, nil
}
