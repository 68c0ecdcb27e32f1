// Package sqlite is the companion's embedded Store: one SQLite file in the
// data folder, through modernc.org/sqlite (pure Go, no cgo).
//
// The database runs in WAL mode with synchronous=FULL, so a method that
// returns nil has its change on disk (an inbox may answer 202 right after),
// and with a busy timeout, so another process writing the same file is
// waited for instead of failing.
//
// Writes go through group commit: one writer goroutine takes every write
// that is waiting, runs them in one transaction (each in its own savepoint,
// so one that fails is undone alone), commits with one fsync, and only then
// answers each caller. A burst of inbox deliveries costs one disk sync per
// batch instead of one per reply, and every write is still on disk before
// its method returns. Reads use the connection pool and see every write
// whose method has returned. The schema comes from numbered .sql files embedded in the
// binary, each applied in its own transaction and recorded in
// PRAGMA user_version. Each entity's SQL sits beside the Go that scans it.
// It implements activitypub.Store and nothing more; store/storetest holds
// the tests it passes.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/cohort-course/cohort/activitypub"
)

// FileName is the database's name inside the data folder.
const FileName = "companion.db"

// busyTimeout is how long a write waits for another writer before failing:
// long enough for a burst of inbox deliveries, short enough to surface a
// stuck process.
const busyTimeout = 10 * time.Second

// Connection pool of reads. Each inbox request reads (the signer's key, the
// thread its reply belongs to) on a pooled connection; database/sql keeps
// only two idle by default, so under a burst of deliveries every request
// opened a new connection, ran the PRAGMAs and parsed the schema again: in
// a profile of the inbox that was a fifth of its CPU. maxIdleConns keeps
// enough open for as many requests as the companion serves at once;
// connMaxIdle closes them again some minutes after a burst.
const (
	maxIdleConns = 32
	connMaxIdle  = 5 * time.Minute
)

//go:embed migrations/*.sql
var migrations embed.FS

var _ activitypub.Store = (*Store)(nil)

// Store is the SQLite implementation of activitypub.Store.
type Store struct {
	db *pool
	// Now gives the time recorded for seen activities, queued deliveries
	// and follows; Open sets it to time.Now.
	Now func() time.Time
	// instance is this Store's id in the claims it makes, random per Open.
	instance int64

	w writer
}

// Open opens (creating if needed) the database in dir, creating dir too, and
// brings its schema up to date.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: data folder: %w", err)
	}
	path := filepath.Join(dir, FileName)
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(int(busyTimeout/time.Millisecond))+")")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Set("_txlock", "immediate") // take the write lock at BEGIN, so transactions never deadlock on upgrade
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxIdleTime(connMaxIdle)
	s := &Store{db: newPool(db), Now: time.Now, instance: newInstanceID()}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	s.w.start(s.db)
	return s, nil
}

// Close stops the writer, after the batch it is committing, and closes the
// database. Writes called after Close return ErrClosed.
func (s *Store) Close() error {
	var err error
	s.w.closeOnce.Do(func() {
		s.w.stop()
		err = s.db.Close()
	})
	return err
}

// DB returns the database handle, for tools that read the store's tables
// as they are (cohort migrate-store copies them). Writes must go through
// the Store's methods.
func (s *Store) DB() *sql.DB { return s.db.DB }

// Version returns the schema version (PRAGMA user_version): the number of
// the last migration applied.
func (s *Store) Version(ctx context.Context) (int, error) {
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return v, nil
}

// latestMigration returns the number of the newest embedded migration.
func latestMigration() (int, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	latest := 0
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return 0, fmt.Errorf("migration %s: name must start with its number: %w", name, err)
		}
		latest = max(latest, n)
	}
	return latest, nil
}

// migrate applies, in order, each embedded migration numbered above the
// database's user_version, each in its own transaction. The version is
// read again inside each transaction, which holds the file's write lock
// from BEGIN (_txlock=immediate): of two processes opening a new file
// together, the second waits for the first's migration, then skips it.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	sort.Strings(names)
	var version int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("migrations: read version: %w", err)
	}
	for _, name := range names {
		n, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
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
		err = s.tx(ctx, func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
				return fmt.Errorf("read version: %w", err)
			}
			if n <= version {
				return nil // another process applied it meanwhile
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", n))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		version = n
	}
	return nil
}

// tx runs fn in a transaction, committing if it returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// toNanos and fromNanos store times as Unix nanoseconds, 0 for the zero
// time.
func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var e *sqlite3.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3lib.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY
}

// newInstanceID returns a random positive id for a Store's claims: the
// stores of two processes never share one in practice (one in 2^62).
func newInstanceID() int64 {
	var b [8]byte
	rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:])>>2) + 1
}
