package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cohort-course/cohort/activitypub"
)

const blockColumns = `target, domain, reason, blocked_by, created`

const insertBlockSQL = `INSERT INTO blocks (` + blockColumns + `) VALUES (?, ?, ?, ?, ?)`

const blockSQL = `SELECT ` + blockColumns + ` FROM blocks WHERE target = ?`

const blocksSQL = `SELECT ` + blockColumns + ` FROM blocks ORDER BY target`

// SaveBlock implements activitypub.Store.
func (s *Store) SaveBlock(ctx context.Context, b activitypub.Block, e activitypub.AuditEntry) error {
	if b.Target == "" {
		return errors.New("save block: no target")
	}
	if b.Created.IsZero() {
		b.Created = s.Now()
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, insertBlockSQL, b.Target, b.Domain, b.Reason, b.By, toNanos(b.Created))
		if isUnique(err) {
			return activitypub.ErrDuplicate
		}
		if err != nil {
			return err
		}
		_, err = s.audit(ctx, tx, e)
		return err
	})
	if err != nil {
		return fmt.Errorf("block %s: %w", b.Target, err)
	}
	return nil
}

// RemoveBlock implements activitypub.Store.
func (s *Store) RemoveBlock(ctx context.Context, target string, e activitypub.AuditEntry) (activitypub.Block, error) {
	var b activitypub.Block
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		b, err = scanBlock(tx.QueryRowContext(ctx, blockSQL, target))
		if errors.Is(err, sql.ErrNoRows) {
			return activitypub.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM blocks WHERE target = ?`, target); err != nil {
			return err
		}
		_, err = s.audit(ctx, tx, e)
		return err
	})
	if err != nil {
		return b, fmt.Errorf("unblock %s: %w", target, err)
	}
	return b, nil
}

// Blocks implements activitypub.Store.
func (s *Store) Blocks(ctx context.Context) ([]activitypub.Block, error) {
	return s.queryBlocks(ctx, blocksSQL)
}

func (s *Store) queryBlocks(ctx context.Context, query string, args ...any) ([]activitypub.Block, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("blocks: %w", err)
	}
	defer rows.Close()
	out := []activitypub.Block{}
	for rows.Next() {
		b, err := scanBlock(rows)
		if err != nil {
			return nil, fmt.Errorf("blocks: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("blocks: %w", err)
	}
	return out, nil
}

// Blocked implements activitypub.Store. Every inbox request asks, so it reads only the blocks whose target could
// cover the actor, by key.
func (s *Store) Blocked(ctx context.Context, actorID string) (activitypub.Block, error) {
	targets := activitypub.BlockTargets(actorID)
	args := make([]any, len(targets))
	for i, t := range targets {
		args[i] = t
	}
	q := `SELECT ` + blockColumns + ` FROM blocks WHERE target IN (?` + strings.Repeat(", ?", len(targets)-1) + `) ORDER BY target`
	blocks, err := s.queryBlocks(ctx, q, args...)
	if err != nil {
		return activitypub.Block{}, err
	}
	if b, ok := activitypub.BlockedBy(blocks, actorID); ok {
		return b, nil
	}
	return activitypub.Block{}, fmt.Errorf("block of %s: %w", actorID, activitypub.ErrNotFound)
}

// ActorByHandle implements activitypub.Store.
func (s *Store) ActorByHandle(ctx context.Context, handle string) (activitypub.Actor, error) {
	h := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(handle), "@"))
	user, _, ok := strings.Cut(h, "@")
	if !ok {
		return activitypub.Actor{}, fmt.Errorf("actor %s: not a handle: %w", handle, activitypub.ErrNotFound)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM actors WHERE lower(preferred_username) = ? ORDER BY fetched DESC`, user)
	if err != nil {
		return activitypub.Actor{}, fmt.Errorf("actor %s: %w", handle, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return activitypub.Actor{}, fmt.Errorf("actor %s: %w", handle, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return activitypub.Actor{}, fmt.Errorf("actor %s: %w", handle, err)
	}
	for _, id := range ids {
		a, err := s.Actor(ctx, id)
		if err != nil {
			return a, err
		}
		if strings.EqualFold(strings.TrimPrefix(a.Handle(), "@"), h) {
			return a, nil
		}
	}
	return activitypub.Actor{}, fmt.Errorf("actor %s: %w", handle, activitypub.ErrNotFound)
}

func scanBlock(row scanner) (activitypub.Block, error) {
	var b activitypub.Block
	var created int64
	err := row.Scan(&b.Target, &b.Domain, &b.Reason, &b.By, &created)
	b.Created = fromNanos(created)
	return b, err
}
