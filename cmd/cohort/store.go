package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/postgres"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// databaseEnv names the environment variable that chooses the store, so
// that a password need not be written in course.toml or on a command line.
const databaseEnv = "COHORT_DATABASE_URL"

// addDatabaseFlag adds --database to a command that opens the store.
func addDatabaseFlag(fs *flag.FlagSet) *string {
	return fs.String("database", "", "the companion's store: sqlite:PATH (a data folder) or postgres://… (default: "+
		databaseEnv+", else [store] url in course.toml, else the SQLite file in the data folder)")
}

// storeURL picks the store: the --database flag, else COHORT_DATABASE_URL,
// else [store] url of course.toml (cfg may be nil), else "" (the SQLite
// file in the data folder).
func storeURL(flagValue string, cfg *site.Config) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv(databaseEnv); env != "" {
		return env
	}
	if cfg != nil {
		return cfg.Store.URL
	}
	return ""
}

// isPostgres reports whether url names a PostgreSQL database.
func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// sqliteDir returns the data folder a sqlite: URL (or "") names, dataDir
// for "" or "sqlite:". A PATH naming the database file itself means its
// folder.
func sqliteDir(u, dataDir string) string {
	path := strings.TrimPrefix(u, "sqlite:")
	if path == "" {
		return dataDir
	}
	if filepath.Base(path) == sqlite.FileName {
		return filepath.Dir(path)
	}
	return path
}

// openStore opens the companion's store that url names: a postgres:// URL
// opens PostgreSQL, "" or sqlite:PATH the embedded SQLite file (in dataDir
// when PATH is empty). Every command that opens the store goes through it.
func openStore(ctx context.Context, u, dataDir string) (activitypub.Store, error) {
	switch {
	case isPostgres(u):
		st, err := postgres.Open(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", redact(u), err)
		}
		return st, nil
	case u == "" || strings.HasPrefix(u, "sqlite:"):
		return sqlite.Open(ctx, sqliteDir(u, dataDir))
	}
	return nil, fmt.Errorf("%w: store %q: want sqlite:PATH or a postgres:// URL", errUsage, redact(u))
}

// storeExists reports whether the store u names may hold something: a
// PostgreSQL database always may; a SQLite one when its file is there.
func storeExists(u, dataDir string) bool {
	if isPostgres(u) {
		return true
	}
	_, err := os.Stat(filepath.Join(sqliteDir(u, dataDir), sqlite.FileName))
	return err == nil
}

// redact returns u without its password, for messages and logs.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		if i := strings.Index(u, "@"); i >= 0 {
			return "…" + u[i:] // unparseable: keep only what follows the credentials
		}
		return u
	}
	return p.Redacted()
}
