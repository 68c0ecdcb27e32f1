package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

const blockColumns = `target, domain, reason, blocked_by, created`

const insertBlockSQL = `INSERT INTO blocks (` + blockColumns + `) VALUES ($1, $2, $3, $4, $5)`

const removeBlockSQL = `DELETE FROM blocks WHERE target = $1 RETURNING ` + blockColumns

const blocksSQL = `SELECT ` + blockColumns + ` FROM blocks ORDER BY target`

// SaveBlock implements activitypub.Store.
func (s *Store) SaveBlock(ctx context.Context, b activitypub.Block, e activitypub.AuditEntry) error {
	if b.Target == "" {
		return errors.New("save block: no target")
	}
	if b.Created.IsZero() {
		b.Created = s.Now()
	}
	err := s.inTx(ctx, func(t *txn) error {
		_, err := t.tx.Exec(ctx, insertBlockSQL, b.Target, b.Domain, b.Reason, b.By, b.Created)
		if isUnique(err) {
			return activitypub.ErrDuplicate
		}
		if err != nil {
			return err
		}
		_, err = s.audit(ctx, t.tx, e)
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
	err := s.inTx(ctx, func(t *txn) error {
		var err error
		b, err = scanBlock(t.tx.QueryRow(ctx, removeBlockSQL, target))
		if errors.Is(err, pgx.ErrNoRows) {
			return activitypub.ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = s.audit(ctx, t.tx, e)
		return err
	})
	if err != nil {
		return b, fmt.Errorf("unblock %s: %w", target, err)
	}
	return b, nil
}

// Blocks implements activitypub.Store.
func (s *Store) Blocks(ctx context.Context) ([]activitypub.Block, error) {
	rows, err := s.pool.Query(ctx, blocksSQL)
	if err != nil {
		return nil, fmt.Errorf("blocks: %w", err)
	}
	out, err := scanRows(rows, func(r pgx.Rows) (activitypub.Block, error) { return scanBlock(r) })
	if err != nil {
		return nil, fmt.Errorf("blocks: %w", err)
	}
	return out, nil
}

// Blocked implements activitypub.Store. Every inbox request asks, so it
// reads only the blocks whose target could cover the actor, by key.
func (s *Store) Blocked(ctx context.Context, actorID string) (activitypub.Block, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+blockColumns+` FROM blocks WHERE target = ANY($1) ORDER BY target`, activitypub.BlockTargets(actorID))
	if err != nil {
		return activitypub.Block{}, fmt.Errorf("block of %s: %w", actorID, err)
	}
	blocks, err := scanRows(rows, func(r pgx.Rows) (activitypub.Block, error) { return scanBlock(r) })
	if err != nil {
		return activitypub.Block{}, fmt.Errorf("block of %s: %w", actorID, err)
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
	rows, err := s.pool.Query(ctx, `SELECT id FROM actors WHERE lower(preferred_username) = $1 ORDER BY fetched DESC`, user)
	if err != nil {
		return activitypub.Actor{}, fmt.Errorf("actor %s: %w", handle, err)
	}
	ids, err := scanRows(rows, func(r pgx.Rows) (string, error) {
		var id string
		return id, r.Scan(&id)
	})
	if err != nil {
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

func scanBlock(row pgx.Row) (activitypub.Block, error) {
	var b activitypub.Block
	err := row.Scan(&b.Target, &b.Domain, &b.Reason, &b.By, &b.Created)
	b.Created = utc(b.Created)
	return b, err
}
