package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

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
	_, err := s.exec(ctx, `INSERT INTO moderators (`+moderatorColumns+`) VALUES (?, ?, ?, ?)`,
		m.Name, m.Handle, m.PasswordHash, toNanos(m.Created))
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
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE moderators SET password_hash = ? WHERE name = ?`, hash, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return activitypub.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE moderator = ?`, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	return nil
}

// RemoveModerator implements activitypub.Store.
func (s *Store) RemoveModerator(ctx context.Context, name string) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE moderator = ?`, name); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM moderators WHERE name = ?`, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return activitypub.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove moderator %s: %w", name, err)
	}
	return nil
}

// Moderator implements activitypub.Store.
func (s *Store) Moderator(ctx context.Context, name string) (activitypub.Moderator, error) {
	m, err := scanModerator(s.db.QueryRowContext(ctx, `SELECT `+moderatorColumns+` FROM moderators WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("moderator %s: %w", name, activitypub.ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("moderator %s: %w", name, err)
	}
	return m, nil
}

// Moderators implements activitypub.Store.
func (s *Store) Moderators(ctx context.Context) ([]activitypub.Moderator, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+moderatorColumns+` FROM moderators ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("moderators: %w", err)
	}
	defer rows.Close()
	out := []activitypub.Moderator{}
	for rows.Next() {
		m, err := scanModerator(rows)
		if err != nil {
			return nil, fmt.Errorf("moderators: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("moderators: %w", err)
	}
	return out, nil
}

func scanModerator(row scanner) (activitypub.Moderator, error) {
	var m activitypub.Moderator
	var created int64
	err := row.Scan(&m.Name, &m.Handle, &m.PasswordHash, &created)
	m.Created = fromNanos(created)
	return m, err
}

// CreateSession implements activitypub.Store.
func (s *Store) CreateSession(ctx context.Context, se activitypub.Session) error {
	if se.Created.IsZero() {
		se.Created = s.Now()
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM moderators WHERE name = ?`, se.Moderator).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return activitypub.ErrNotFound
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, moderator, created, expires) VALUES (?, ?, ?, ?)`,
			se.IDHash, se.Moderator, toNanos(se.Created), toNanos(se.Expires))
		if isUnique(err) {
			return activitypub.ErrDuplicate
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("session of %s: %w", se.Moderator, err)
	}
	return nil
}

// Session implements activitypub.Store.
func (s *Store) Session(ctx context.Context, idHash string) (activitypub.Session, error) {
	var se activitypub.Session
	var created, expires int64
	err := s.db.QueryRowContext(ctx, `SELECT id_hash, moderator, created, expires FROM sessions WHERE id_hash = ?`, idHash).
		Scan(&se.IDHash, &se.Moderator, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return se, fmt.Errorf("session: %w", activitypub.ErrNotFound)
	}
	if err != nil {
		return se, fmt.Errorf("session: %w", err)
	}
	se.Created, se.Expires = fromNanos(created), fromNanos(expires)
	return se, nil
}

// DeleteSession implements activitypub.Store.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if err := s.changed(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteSessionsBefore implements activitypub.Store.
func (s *Store) DeleteSessionsBefore(ctx context.Context, t time.Time) error {
	if _, err := s.exec(ctx, `DELETE FROM sessions WHERE expires < ?`, toNanos(t)); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
