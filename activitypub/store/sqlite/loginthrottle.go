package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The moderators' wrong passwords (issue 11).

const (
	addLoginFailureSQL    = `INSERT INTO login_failures (name, at) VALUES (?, ?)`
	countLoginFailuresSQL = `SELECT count(*) FROM login_failures WHERE (? = '' OR name = ?) AND at >= ?`
	nthLoginFailureSQL    = `SELECT at FROM login_failures WHERE (? = '' OR name = ?) AND at >= ? ORDER BY at DESC LIMIT 1 OFFSET ?`
	clearLoginFailuresSQL = `DELETE FROM login_failures WHERE name = ?`
	forgetLoginFailureSQL = `DELETE FROM login_failures WHERE at < ?`
)

// AddLoginFailure implements activitypub.Store.
func (s *Store) AddLoginFailure(ctx context.Context, name string, at time.Time) error {
	if _, err := s.exec(ctx, addLoginFailureSQL, strings.ToLower(name), toNanos(at)); err != nil {
		return fmt.Errorf("record wrong password: %w", err)
	}
	return nil
}

// LoginFailures implements activitypub.Store.
func (s *Store) LoginFailures(ctx context.Context, name string, since time.Time, n int) (int, time.Time, error) {
	name = strings.ToLower(name)
	var count int
	if err := s.db.QueryRowContext(ctx, countLoginFailuresSQL, name, name, toNanos(since)).Scan(&count); err != nil {
		return 0, time.Time{}, fmt.Errorf("count wrong passwords: %w", err)
	}
	if count < n || n < 1 {
		return count, time.Time{}, nil
	}
	var at int64
	err := s.db.QueryRowContext(ctx, nthLoginFailureSQL, name, name, toNanos(since), n-1).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) { // removed in between
		return count, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count wrong passwords: %w", err)
	}
	return count, fromNanos(at), nil
}

// ClearLoginFailures implements activitypub.Store.
func (s *Store) ClearLoginFailures(ctx context.Context, name string) error {
	if _, err := s.exec(ctx, clearLoginFailuresSQL, strings.ToLower(name)); err != nil {
		return fmt.Errorf("forget wrong passwords: %w", err)
	}
	return nil
}

// ForgetLoginFailuresBefore implements activitypub.Store.
func (s *Store) ForgetLoginFailuresBefore(ctx context.Context, t time.Time) error {
	if _, err := s.exec(ctx, forgetLoginFailureSQL, toNanos(t)); err != nil {
		return fmt.Errorf("forget old wrong passwords: %w", err)
	}
	return nil
}
