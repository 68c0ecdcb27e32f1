package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

// Conflicts on the id or on (kind, actor, object) insert nothing.
const saveReactionSQL = `INSERT INTO reactions (id, kind, actor, object) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`

// A reaction is removed only for its own actor: an Undo by anyone else,
// even from the same server, leaves it.
const removeReactionByIDSQL = `DELETE FROM reactions WHERE id = $1 AND actor = $2 RETURNING id, kind, actor, object`

const removeReactionSQL = `DELETE FROM reactions WHERE kind = $1 AND actor = $2 AND object = $3 RETURNING id, kind, actor, object`

const countsSQL = `SELECT object, kind, count(*) FROM reactions WHERE object = ANY($1) GROUP BY object, kind`

// SaveReaction implements activitypub.Store.
func (s *Store) SaveReaction(ctx context.Context, r activitypub.Reaction) error {
	return s.inTx(ctx, func(t *txn) error { return t.SaveReaction(r) })
}

// SaveReaction implements activitypub.Tx.
func (t *txn) SaveReaction(r activitypub.Reaction) error {
	if r.ID == "" {
		return errors.New("save reaction: no id")
	}
	err := changed(t.ctx, t.tx, saveReactionSQL, r.ID, string(r.Kind), r.Actor, r.Object)
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
	var row pgx.Row
	if r.ID != "" {
		row = t.tx.QueryRow(t.ctx, removeReactionByIDSQL, r.ID, r.Actor)
	} else {
		row = t.tx.QueryRow(t.ctx, removeReactionSQL, string(r.Kind), r.Actor, r.Object)
	}
	var got activitypub.Reaction
	var kind string
	err := row.Scan(&got.ID, &kind, &got.Actor, &got.Object)
	if errors.Is(err, pgx.ErrNoRows) {
		err = activitypub.ErrNotFound
	}
	if err != nil {
		return got, fmt.Errorf("remove %s %s by %s on %s: %w", r.Kind, r.ID, r.Actor, r.Object, err)
	}
	got.Kind = activitypub.ReactionKind(kind)
	return got, nil
}

// Counts implements activitypub.Store, in one query: PostgreSQL takes the
// ids as one array parameter.
func (s *Store) Counts(ctx context.Context, objectIDs []string) (map[string]activitypub.Counts, error) {
	out := make(map[string]activitypub.Counts)
	if len(objectIDs) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, countsSQL, objectIDs)
	if err != nil {
		return nil, fmt.Errorf("counts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var obj, kind string
		var n int
		if err := rows.Scan(&obj, &kind, &n); err != nil {
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counts: %w", err)
	}
	return out, nil
}
