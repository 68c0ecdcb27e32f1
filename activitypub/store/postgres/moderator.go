package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

const moderatorColumns = `name, handle, password_hash, created`

// AddModerator implements activitypub.Store.
func (s *Store) AddModerator(ctx context.Context, m activitypub.Moderator) error {
	if m.Name == "" || m.PasswordHash == "" {
		return errors.New("add moderator: a name and a password hash are required")
	}
	if m.Created.IsZero() {
		m.Created = s.Now()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO moderators (`+moderatorColumns+`) VALUES ($1, $2, $3, $4)`,
		m.Name, m.Handle, m.PasswordHash, m.Created)
	if isUnique(err) {
		err = activitypub.ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("add moderator %s: %w", m.Name, err)
	}
	return nil
}

// SetModeratorPassword implements activitypub.Store, in one transaction.
func (s *Store) SetModeratorPassword(ctx context.Context, name, hash string) error {
	err := s.inTx(ctx, func(t *txn) error {
		if err := changed(ctx, t.tx, `UPDATE moderators SET password_hash = $1 WHERE name = $2`, hash, name); err != nil {
			return err
		}
		_, err := t.tx.Exec(ctx, `DELETE FROM sessions WHERE moderator = $1`, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	return nil
}

// RemoveModerator implements activitypub.Store. Its sessions go with it
// (ON DELETE CASCADE).
func (s *Store) RemoveModerator(ctx context.Context, name string) error {
	if err := changed(ctx, s.pool, `DELETE FROM moderators WHERE name = $1`, name); err != nil {
		return fmt.Errorf("remove moderator %s: %w", name, err)
	}
	return nil
}

// Moderator implements activitypub.Store.
func (s *Store) Moderator(ctx context.Context, name string) (activitypub.Moderator, error) {
	m, err := scanModerator(s.pool.QueryRow(ctx, `SELECT `+moderatorColumns+` FROM moderators WHERE name = $1`, name))
	if errors.Is(err, pgx.ErrNoRows) {
		return m, fmt.Errorf("moderator %s: %w", name, activitypub.ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("moderator %s: %w", name, err)
	}
	return m, nil
}

// Moderators implements activitypub.Store.
func (s *Store) Moderators(ctx context.Context) ([]activitypub.Moderator, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+moderatorColumns+` FROM moderators ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("moderators: %w", err)
	}
	out, err := scanRows(rows, func(r pgx.Rows) (activitypub.Moderator, error) { return scanModerator(r) })
	if err != nil {
		return nil, fmt.Errorf("moderators: %w", err)
	}
	return out, nil
}

func scanModerator(row pgx.Row) (activitypub.Moderator, error) {
	var m activitypub.Moderator
	err := row.Scan(&m.Name, &m.Handle, &m.PasswordHash, &m.Created)
	m.Created = utc(m.Created)
	return m, err
}

// CreateSession implements activitypub.Store. The foreign key decides
// whether the moderator exists, also against a concurrent removal.
func (s *Store) CreateSession(ctx context.Context, se activitypub.Session) error {
	if se.Created.IsZero() {
		se.Created = s.Now()
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (id_hash, moderator, created, expires) VALUES ($1, $2, $3, $4)`,
		se.IDHash, se.Moderator, se.Created, se.Expires)
	switch pgCode(err) {
	case uniqueViolation:
		err = activitypub.ErrDuplicate
	case foreignKeyViolation:
		err = activitypub.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("session of %s: %w", se.Moderator, err)
	}
	return nil
}

// Session implements activitypub.Store.
func (s *Store) Session(ctx context.Context, idHash string) (activitypub.Session, error) {
	var se activitypub.Session
	err := s.pool.QueryRow(ctx, `SELECT id_hash, moderator, created, expires FROM sessions WHERE id_hash = $1`, idHash).
		Scan(&se.IDHash, &se.Moderator, &se.Created, &se.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return se, fmt.Errorf("session: %w", activitypub.ErrNotFound)
	}
	if err != nil {
		return se, fmt.Errorf("session: %w", err)
	}
	se.Created, se.Expires = utc(se.Created), utc(se.Expires)
	return se, nil
}

// DeleteSession implements activitypub.Store.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if err := changed(ctx, s.pool, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteSessionsBefore implements activitypub.Store.
func (s *Store) DeleteSessionsBefore(ctx context.Context, t time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires < $1`, t); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
