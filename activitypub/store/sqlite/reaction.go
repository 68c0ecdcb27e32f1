package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cohort-course/cohort/activitypub"
)

// Conflicts on the id or on (kind, actor, object) insert nothing.
const saveReactionSQL = `INSERT INTO reactions (id, kind, actor, object) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`

// A reaction is removed only for its own actor: an Undo by anyone else,
// even from the same server, leaves it.
const removeReactionByIDSQL = `DELETE FROM reactions WHERE id = ? AND actor = ? RETURNING id, kind, actor, object`

const removeReactionSQL = `DELETE FROM reactions WHERE kind = ? AND actor = ? AND object = ? RETURNING id, kind, actor, object`

// countsSQL has its IN list filled with one ? per object.
const countsSQL = `SELECT object, kind, count(*) FROM reactions WHERE object IN (%s) GROUP BY object, kind`

// countsChunk bounds the ? in one query, well under SQLite's limit.
const countsChunk = 500

// SaveReaction implements activitypub.Store.
func (s *Store) SaveReaction(ctx context.Context, r activitypub.Reaction) error {
	return s.inTx(ctx, func(t *txn) error { return t.SaveReaction(r) })
}

// SaveReaction implements activitypub.Tx.
func (t *txn) SaveReaction(r activitypub.Reaction) error {
	if r.ID == "" {
		return errors.New("save reaction: no id")
	}
	err := t.changed(saveReactionSQL, r.ID, string(r.Kind), r.Actor, r.Object)
	if errors.Is(err, activitypub.ErrNotFound) {
		return fmt.Errorf("save reaction %s: %w", r.ID, activitypub.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("save reaction %s: %w", r.ID, err)
	}
	return nil
}

// RemoveReaction implements activitypub.Store.
func (s *Store) RemoveReaction(ctx context.Context, r activitypub.Reaction) error {
	return s.inTx(ctx, func(t *txn) error {
		_, err := t.RemoveReaction(r)
		return err
	})
}

// RemoveReaction implements activitypub.Tx.
func (t *txn) RemoveReaction(r activitypub.Reaction) (activitypub.Reaction, error) {
	var row *sql.Row
	if r.ID != "" {
		row = t.tx.QueryRowContext(t.ctx, removeReactionByIDSQL, r.ID, r.Actor)
	} else {
		row = t.tx.QueryRowContext(t.ctx, removeReactionSQL, string(r.Kind), r.Actor, r.Object)
	}
	var got activitypub.Reaction
	var kind string
	err := row.Scan(&got.ID, &kind, &got.Actor, &got.Object)
	if errors.Is(err, sql.ErrNoRows) {
		err = activitypub.ErrNotFound
	}
	if err != nil {
		return got, fmt.Errorf("remove %s %s by %s on %s: %w", r.Kind, r.ID, r.Actor, r.Object, err)
	}
	got.Kind = activitypub.ReactionKind(kind)
	return got, nil
}

// Counts implements activitypub.Store.
func (s *Store) Counts(ctx context.Context, objectIDs []string) (map[string]activitypub.Counts, error) {
	out := make(map[string]activitypub.Counts)
	for start := 0; start < len(objectIDs); start += countsChunk {
		chunk := objectIDs[start:min(start+countsChunk, len(objectIDs))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		q := fmt.Sprintf(countsSQL, strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ","))
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("counts: %w", err)
		}
		for rows.Next() {
			var obj, kind string
			var n int
			if err := rows.Scan(&obj, &kind, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("counts: %w", err)
			}
			c := out[obj]
			switch activitypub.ReactionKind(kind) {
			case activitypub.Like:
				c.Likes = n
			case activitypub.Announce:
				c.Announces = n
			}
			out[obj] = c
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("counts: %w", err)
		}
	}
	return out, nil
}
