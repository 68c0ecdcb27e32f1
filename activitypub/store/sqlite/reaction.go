package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cohort-course/cohort/activitypub"
)

// Conflicts on the id or on (kind, actor, object) insert nothing.
const saveReactionSQL = `INSERT INTO reactions (id, kind, actor, object) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`

const removeReactionByIDSQL = `DELETE FROM reactions WHERE id = ?`

const removeReactionSQL = `DELETE FROM reactions WHERE kind = ? AND actor = ? AND object = ?`

// countsSQL has its IN list filled with one ? per object.
const countsSQL = `SELECT object, kind, count(*) FROM reactions WHERE object IN (%s) GROUP BY object, kind`

// countsChunk bounds the ? in one query, well under SQLite's limit.
const countsChunk = 500

// SaveReaction implements activitypub.Store.
func (s *Store) SaveReaction(ctx context.Context, r activitypub.Reaction) error {
	if r.ID == "" {
		return errors.New("save reaction: no id")
	}
	err := s.changed(ctx, saveReactionSQL, r.ID, string(r.Kind), r.Actor, r.Object)
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
	var err error
	if r.ID != "" {
		err = s.changed(ctx, removeReactionByIDSQL, r.ID)
	} else {
		err = s.changed(ctx, removeReactionSQL, string(r.Kind), r.Actor, r.Object)
	}
	if err != nil {
		return fmt.Errorf("remove %s %s by %s on %s: %w", r.Kind, r.ID, r.Actor, r.Object, err)
	}
	return nil
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
