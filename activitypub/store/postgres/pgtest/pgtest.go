// Package pgtest gives tests a PostgreSQL database of their own, on the
// server COHORT_TEST_POSTGRES names (.ci/run starts a throwaway one). It is
// for _test files only.
//
// Each call makes a new schema and returns a URL whose search_path is that
// schema, so tests run in parallel on one server without seeing each
// other's rows; the schema is dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Env is the variable that names the test server, as a postgres:// URL.
const Env = "COHORT_TEST_POSTGRES"

// URL returns the URL of a new, empty schema on the test server. Without
// COHORT_TEST_POSTGRES it skips the test, saying how to run it, except when
// CI is set: there a missing server is a failure, so CI never passes by
// skipping.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		const how = Env + " is not set: these tests need a PostgreSQL server; run .ci/run, or start one and set " +
			Env + "=postgres://user@127.0.0.1:5432/postgres"
		if os.Getenv("CI") != "" {
			t.Fatal(how + " (CI is set, so this is a failure, not a skip)")
		}
		t.Skip(how)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s: want a postgres:// URL", Env)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "cohort_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("%s: connect: %v", Env, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
