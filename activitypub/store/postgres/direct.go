package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

// The course account's direct messages (issue 14).

const (
	saveDirectNoteSQL = `INSERT INTO direct_notes (id, recipients, body, created) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`
	directNoteSQL     = `SELECT id, recipients, body, created FROM direct_notes WHERE id = $1`
)

// SaveDirectNote implements activitypub.Store.
func (s *Store) SaveDirectNote(ctx context.Context, n activitypub.DirectNote) error {
	if n.ID == "" {
		return errors.New("save direct note: no id")
	}
	recipients := n.Recipients
	if recipients == nil {
		recipients = []string{}
	}
	rj, err := json.Marshal(recipients)
	if err != nil {
		return fmt.Errorf("save direct note %s: recipients: %w", n.ID, err)
	}
	at := n.Created
	if at.IsZero() {
		at = s.Now()
	}
	tag, err := s.pool.Exec(ctx, saveDirectNoteSQL, n.ID, rj, n.Body, at)
	if err != nil {
		return fmt.Errorf("save direct note %s: %w", n.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("save direct note %s: %w", n.ID, activitypub.ErrDuplicate)
	}
	return nil
}

// DirectNote implements activitypub.Store.
func (s *Store) DirectNote(ctx context.Context, id string) (activitypub.DirectNote, error) {
	var (
		n  activitypub.DirectNote
		rj []byte
	)
	err := s.pool.QueryRow(ctx, directNoteSQL, id).Scan(&n.ID, &rj, &n.Body, &n.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return n, fmt.Errorf("direct note %s: %w", id, activitypub.ErrNotFound)
	}
	if err != nil {
		return n, fmt.Errorf("direct note %s: %w", id, err)
	}
	if err := json.Unmarshal(rj, &n.Recipients); err != nil {
		return n, fmt.Errorf("direct note %s: recipients: %w", id, err)
	}
	n.Created = utc(n.Created)
	return n, nil
}
