package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The moderators' wrong passwords (issue 11).

const (
	addLoginFailureSQL    = `INSERT INTO login_failures (name, at) VALUES ($1, $2)`
	countLoginFailuresSQL = `SELECT count(*) FROM login_failures WHERE ($1 = '' OR name = $1) AND at >= $2`
	nthLoginFailureSQL    = `SELECT at FROM login_failures WHERE ($1 = '' OR name = $1) AND at >= $2 ORDER BY at DESC LIMIT 1 OFFSET $3`
	clearLoginFailuresSQL = `DELETE FROM login_failures WHERE name = $1`
	forgetLoginFailureSQL = `DELETE FROM login_failures WHERE at < $1`
)

// AddLoginFailure implements activitypub.Store.
func (s *Store) AddLoginFailure(ctx context.Context, name string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, addLoginFailureSQL, strings.ToLower(name), at); err != nil {
		return fmt.Errorf("record wrong password: %w", err)
	}
	return nil
}

// LoginFailures implements activitypub.Store.
func (s *Store) LoginFailures(ctx context.Context, name string, since time.Time, n int) (int, time.Time, error) {
	name = strings.ToLower(name)
	var count int
	if err := s.pool.QueryRow(ctx, countLoginFailuresSQL, name, since).Scan(&count); err != nil {
		return 0, time.Time{}, fmt.Errorf("count wrong passwords: %w", err)
	}
	if count < n || n < 1 {
		return count, time.Time{}, nil
	}
	var at time.Time
	err := s.pool.QueryRow(ctx, nthLoginFailureSQL, name, since, n-1).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) { // removed in between
		return count, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("count wrong passwords: %w", err)
	}
	return count, utc(at), nil
}

// ClearLoginFailures implements activitypub.Store.
func (s *Store) ClearLoginFailures(ctx context.Context, name string) error {
	if _, err := s.pool.Exec(ctx, clearLoginFailuresSQL, strings.ToLower(name)); err != nil {
		return fmt.Errorf("forget wrong passwords: %w", err)
	}
	return nil
}

// ForgetLoginFailuresBefore implements activitypub.Store.
func (s *Store) ForgetLoginFailuresBefore(ctx context.Context, t time.Time) error {
	if _, err := s.pool.Exec(ctx, forgetLoginFailureSQL, t); err != nil {
		return fmt.Errorf("forget old wrong passwords: %w", err)
	}
	return nil
}
