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

const actorByKeySQL = `SELECT ` + actorColumns + ` FROM actors WHERE public_key_id = ? ORDER BY fetched DESC LIMIT 1`

// SaveActor implements activitypub.Store.
func (s *Store) SaveActor(ctx context.Context, a activitypub.Actor) error {
	if a.ID == "" {
		return errors.New("save actor: no id")
	}
	_, err := s.exec(ctx, saveActorSQL, a.ID, a.Type, a.Inbox, a.SharedInbox, a.Followers, a.PreferredUsername,
		a.Name, a.IconURL, a.URL, a.PublicKeyID, a.PublicKeyPEM, toNanos(a.Fetched))
	if err != nil {
		return fmt.Errorf("save actor %s: %w", a.ID, err)
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
)

// DeleteActorContent implements activitypub.Store, in one transaction.
func (s *Store) DeleteActorContent(ctx context.Context, actorID string) error {
	return s.inTx(ctx, func(t *txn) error { return t.DeleteActorContent(actorID) })
}

// DeleteActorContent implements activitypub.Tx.
func (t *txn) DeleteActorContent(actorID string) error {
	for _, q := range []string{deleteActorRepliesSQL, deleteActorReactionsSQL, deleteActorFollowSQL, deleteActorSQL} {
		if _, err := t.exec(q, actorID); err != nil {
			return fmt.Errorf("delete content of %s: %w", actorID, err)
		}
	}
	return nil
}
