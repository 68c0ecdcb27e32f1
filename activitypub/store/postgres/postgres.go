// Package postgres is the companion's Store on PostgreSQL, through
// github.com/jackc/pgx/v5, for a course whose organisers run the companion
// on the database their team already backs up and monitors. The embedded
// SQLite store (store/sqlite) stays the default; this one is chosen by a
// postgres:// URL. It implements activitypub.Store and passes the same
// suite, store/storetest.
//
// Every write is one PostgreSQL transaction on a pooled connection, READ
// COMMITTED, committed before its method returns. Writers on several
// connections, or several processes, race for real here, so each write is
// made safe by the statement itself: inserts decide duplicates through
// unique constraints (SQLSTATE 23505, or ON CONFLICT), ids come from
// identity columns by RETURNING, ClaimDeliveries skips rows another claim
// holds (FOR UPDATE SKIP LOCKED), a featured reply's position is taken
// under a transaction-scoped advisory lock on its thread, and the writes
// that decide what one object id holds (a reply saved, deleted or
// tombstoned) take one on that id. Should PostgreSQL still find a deadlock
// between two activities, it aborts one: that Apply returns the error and
// changes nothing, and the sender's retry applies it.
//
// Several companion processes may share the database (issue 11;
// processes.go). Each Store that claims deliveries holds a session
// advisory lock on its random instance id, on a connection of its own, and
// writes that id into its claims: ReleaseClaims gives back the claims whose
// id's lock nobody holds (it takes it for its transaction), the claims of a
// process that died.
// Leader holds a session advisory lock per name (publishing, crawling) on a
// connection of its own; a process that dies loses it with its connection
// and the next waiting process gets it. Watch LISTENs to the NOTIFY that
// migration 0003's triggers send as a thread change, or a queued delivery,
// commits. Each
// open Store so uses up to four connections beside its pool. These are
// session features: a pooler in transaction mode would break them, so
// connect directly or in session mode.
//
// Tested on PostgreSQL 15. The pool takes pgxpool's settings from the URL
// (pool_max_conns and the rest).
//
// Migrations: the schema comes from numbered .sql files embedded in the
// binary, applied at Open in order, each in its own transaction and
// recorded in schema_migrations, all under a session advisory lock
// (pg_advisory_lock), so two processes starting together apply each
// migration once: the second waits, then finds it recorded. This is our
// own runner, as the SQLite store has: it is about 60 lines with no
// dependency, where goose or golang-migrate would bring their own driver
// layer, version table format and command line for two dialects we
// already handle, and neither would know SQLite's PRAGMA user_version that
// existing courses carry.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cohort-course/cohort/activitypub"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the key of the session advisory lock held while
// migrations run: any fixed number, the same in every process.
const migrationLock int64 = 0x636f686f7274 // "cohort"

var _ activitypub.Store = (*Store)(nil)

// Store is the PostgreSQL implementation of activitypub.Store.
type Store struct {
	pool *pgxpool.Pool
	// Now gives the time recorded for seen activities, queued deliveries
	// and follows; Open sets it to time.Now.
	Now func() time.Time
	// Logger hears what goes wrong in the background (Watch's
	// connection); nil discards it.
	Logger *slog.Logger

	inst instanceState // this Store's id in its claims (processes.go)
	own  sync.Map      // server process ids of the pool's connections → true
}

// Open connects to the database at url (postgres://user:pass@host/db, or
// any form pgx accepts; unknown query parameters such as search_path are
// sent as session settings) and brings its schema up to date.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err) // pgx leaves the password out of its message
	}
	s := &Store{Now: time.Now}
	// The pool's server processes are this Store's: Watch skips
	// what they notify, which this process's own hooks already told.
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		s.own.Store(c.PgConn().PID(), true)
		return nil
	}
	cfg.BeforeClose = func(c *pgx.Conn) { s.own.Delete(c.PgConn().PID()) }
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s.pool = pool
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %s: %w", cfg.ConnConfig.Database, err)
	}
	return s, nil
}

// Close closes the pool, waiting for queries in progress.
func (s *Store) Close() error {
	s.closeInstance()
	s.pool.Close()
	return nil
}

// migrate applies, in order, each embedded migration not yet recorded in
// schema_migrations, each in its own transaction, holding the migration
// lock on one connection throughout.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	sort.Strings(names)
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrations: connect: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migrations: lock: %w", err)
	}
	// Unlock even when ctx has ended, or the lock stays with the pooled connection.
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrations: version table: %w", err)
	}
	var version int
	if err := conn.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return fmt.Errorf("migrations: read version: %w", err)
	}
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its number: %w", name, err)
		}
		if n <= version {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, n)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		version = n
	}
	return nil
}

// Version returns the number of the last migration applied, for a
// readiness check.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("postgres: schema version: %w", err)
	}
	return v, nil
}

// querier is what a pool and a transaction both run.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// changed runs a statement that must change a row: it returns
// activitypub.ErrNotFound when none changed.
func changed(ctx context.Context, q querier, query string, args ...any) error {
	tag, err := q.Exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return activitypub.ErrNotFound
	}
	return nil
}

// utc returns t in UTC: pgx reads timestamptz in the local zone.
func utc(t time.Time) time.Time { return t.UTC() }

// dbTime is the time stored for t: PostgreSQL keeps microseconds, so a
// value handed back to the caller is rounded as a later read returns it.
func dbTime(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// SQLSTATEs the store maps to the Store's own errors.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool { return pgCode(err) == uniqueViolation }

// scanRows reads every row with scan, returning an empty list, not nil,
// when there is none.
func scanRows[T any](rows pgx.Rows, scan func(pgx.Rows) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// args numbers query parameters as they are added: add returns "$n".
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}
