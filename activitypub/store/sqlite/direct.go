package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

// The course account's direct messages (issue 14).

const (
	saveDirectNoteSQL = `INSERT INTO direct_notes (id, recipients, body, created) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
	directNoteSQL     = `SELECT id, recipients, body, created FROM direct_notes WHERE id = ?`
)

// SaveDirectNote implements activitypub.Store.
func (s *Store) SaveDirectNote(ctx context.Context, n activitypub.DirectNote) error {
	if n.ID == "" {
		return errors.New("save direct note: no id")
	}
	rj, err := json.Marshal(nonNil(n.Recipients))
	if err != nil {
		return fmt.Errorf("save direct note %s: recipients: %w", n.ID, err)
	}
	at := n.Created
	if at.IsZero() {
		at = s.Now()
	}
	r, err := s.exec(ctx, saveDirectNoteSQL, n.ID, string(rj), n.Body, toNanos(at))
	if err != nil {
		return fmt.Errorf("save direct note %s: %w", n.ID, err)
	}
	if r.rows == 0 {
		return fmt.Errorf("save direct note %s: %w", n.ID, activitypub.ErrDuplicate)
	}
	return nil
}

// DirectNote implements activitypub.Store.
func (s *Store) DirectNote(ctx context.Context, id string) (activitypub.DirectNote, error) {
	var (
		n       activitypub.DirectNote
		rj      string
		created int64
	)
	err := s.db.QueryRowContext(ctx, directNoteSQL, id).Scan(&n.ID, &rj, &n.Body, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return n, fmt.Errorf("direct note %s: %w", id, activitypub.ErrNotFound)
	}
	if err != nil {
		return n, fmt.Errorf("direct note %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(rj), &n.Recipients); err != nil {
		return n, fmt.Errorf("direct note %s: recipients: %w", id, err)
	}
	n.Created = fromNanos(created)
	return n, nil
}

// nonNil returns ss, or an empty list for nil, so JSON says [] not null.
func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
