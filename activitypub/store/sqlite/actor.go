package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

const actorColumns = `id, type, inbox, shared_inbox, followers, preferred_username, name, icon_url, url, public_key_id, public_key_pem, fetched`

const saveActorSQL = `
INSERT INTO actors (` + actorColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
	type = excluded.type, inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, followers = excluded.followers,
	preferred_username = excluded.preferred_username, name = excluded.name, icon_url = excluded.icon_url, url = excluded.url,
	public_key_id = excluded.public_key_id, public_key_pem = excluded.public_key_pem, fetched = excluded.fetched`

const actorSQL = `SELECT ` + actorColumns + ` FROM actors WHERE id = ?`

const actorByKeySQL = `SELECT a.id, a.type, a.inbox, a.shared_inbox, a.followers, a.preferred_username, a.name, a.icon_url,
	a.url, k.key_id, k.pem, a.fetched FROM actor_keys k JOIN actors a ON a.id = k.actor_id WHERE k.key_id = ?`

const saveActorKeySQL = `INSERT INTO actor_keys (key_id, actor_id, pem) VALUES (?, ?, ?)
ON CONFLICT (key_id) DO UPDATE SET actor_id = excluded.actor_id, pem = excluded.pem`

const actorKeysSQL = `SELECT key_id FROM actor_keys WHERE actor_id = ?`

const deleteKeySQL = `DELETE FROM actor_keys WHERE key_id = ?`

// SaveActor implements activitypub.Store: with a.Keys set (a fresh fetch),
// the actor's verified keys that its document no longer lists, or lists
// with other material, are dropped in the same transaction.
func (s *Store) SaveActor(ctx context.Context, a activitypub.Actor) error {
	if a.ID == "" {
		return errors.New("save actor: no id")
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, saveActorSQL, a.ID, a.Type, a.Inbox, a.SharedInbox, a.Followers, a.PreferredUsername,
			a.Name, a.IconURL, a.URL, a.PublicKeyID, a.PublicKeyPEM, toNanos(a.Fetched)); err != nil {
			return err
		}
		if a.Keys == nil {
			return nil
		}
		return dropUnlistedKeys(ctx, tx, a)
	})
	if err != nil {
		return fmt.Errorf("save actor %s: %w", a.ID, err)
	}
	return nil
}

func dropUnlistedKeys(ctx context.Context, tx *sql.Tx, a activitypub.Actor) error {
	rows, err := tx.QueryContext(ctx, actorKeysSQL, a.ID)
	if err != nil {
		return err
	}
	var stale []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if _, ok := a.Key(id); !ok {
			stale = append(stale, id)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, id := range stale {
		if _, err := tx.ExecContext(ctx, deleteKeySQL, id); err != nil {
			return err
		}
	}
	return nil
}

// SaveKey implements activitypub.Store.
func (s *Store) SaveKey(ctx context.Context, k activitypub.ActorKey) error {
	if k.ID == "" || k.Owner == "" {
		return errors.New("save key: id and owner are required")
	}
	if _, err := s.exec(ctx, saveActorKeySQL, k.ID, k.Owner, k.PEM); err != nil {
		return fmt.Errorf("save key %s: %w", k.ID, err)
	}
	return nil
}

// Actor implements activitypub.Store.
func (s *Store) Actor(ctx context.Context, id string) (activitypub.Actor, error) {
	return s.actor(ctx, "actor "+id, actorSQL, id)
}

// ActorByKeyID implements activitypub.Store.
func (s *Store) ActorByKeyID(ctx context.Context, keyID string) (activitypub.Actor, error) {
	return s.actor(ctx, "actor with key "+keyID, actorByKeySQL, keyID)
}

func (s *Store) actor(ctx context.Context, what, query, arg string) (activitypub.Actor, error) {
	var a activitypub.Actor
	var fetched int64
	err := s.db.QueryRowContext(ctx, query, arg).Scan(&a.ID, &a.Type, &a.Inbox, &a.SharedInbox, &a.Followers,
		&a.PreferredUsername, &a.Name, &a.IconURL, &a.URL, &a.PublicKeyID, &a.PublicKeyPEM, &fetched)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("%s: %w", what, activitypub.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("%s: %w", what, err)
	}
	a.Fetched = fromNanos(fetched)
	return a, nil
}

const (
	deleteActorRepliesSQL   = `UPDATE replies SET deleted = 1, content = '', summary = '', attachments = '[]' WHERE actor = ?`
	deleteActorReactionsSQL = `DELETE FROM reactions WHERE actor = ?`
	deleteActorFollowSQL    = `DELETE FROM followers WHERE actor_id = ?`
	deleteActorSQL          = `DELETE FROM actors WHERE id = ?`
	deleteActorKeysSQL      = `DELETE FROM actor_keys WHERE actor_id = ?`
)

// DeleteActorContent implements activitypub.Store, in one transaction.
func (s *Store) DeleteActorContent(ctx context.Context, actorID string) error {
	return s.inTx(ctx, func(t *txn) error { return t.DeleteActorContent(actorID) })
}

// DeleteActorContent implements activitypub.Tx.
func (t *txn) DeleteActorContent(actorID string) error {
	for _, q := range []string{deleteActorRepliesSQL, deleteActorReactionsSQL, deleteActorFollowSQL, deleteActorSQL, deleteActorKeysSQL} {
		if _, err := t.exec(q, actorID); err != nil {
			return fmt.Errorf("delete content of %s: %w", actorID, err)
		}
	}
	return nil
}
