package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

const keySQL = `SELECT owner, key_id, public_pem, private_pem FROM keys WHERE owner = $1`

// The first key stored for an owner wins; later inserts do nothing.
const saveKeySQL = `INSERT INTO keys (owner, key_id, public_pem, private_pem) VALUES ($1, $2, $3, $4) ON CONFLICT (owner) DO NOTHING`

// KeyPair implements activitypub.Store. generate runs outside any
// transaction (RSA generation is slow); if two first calls race, in one
// process or in two, both generate, the first insert wins and both return
// it.
func (s *Store) KeyPair(ctx context.Context, owner string, generate func() (activitypub.Key, error)) (activitypub.Key, error) {
	k, err := s.key(ctx, owner)
	if !errors.Is(err, activitypub.ErrNotFound) {
		return k, err
	}
	k, err = generate()
	if err != nil {
		return activitypub.Key{}, fmt.Errorf("key of %s: generate: %w", owner, err)
	}
	if _, err := s.pool.Exec(ctx, saveKeySQL, owner, k.ID, k.PublicPEM, k.PrivatePEM); err != nil {
		return activitypub.Key{}, fmt.Errorf("key of %s: save: %w", owner, err)
	}
	return s.key(ctx, owner)
}

func (s *Store) key(ctx context.Context, owner string) (activitypub.Key, error) {
	var k activitypub.Key
	err := s.pool.QueryRow(ctx, keySQL, owner).Scan(&k.Owner, &k.ID, &k.PublicPEM, &k.PrivatePEM)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, fmt.Errorf("key of %s: %w", owner, activitypub.ErrNotFound)
	}
	if err != nil {
		return k, fmt.Errorf("key of %s: %w", owner, err)
	}
	return k, nil
}
