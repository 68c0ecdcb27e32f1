package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Moving a course from the embedded SQLite store to PostgreSQL (cohort
// migrate-store). The copy reads SQLite's tables as they are after its
// migration sqliteVersion and writes them in this schema's types.

// sqliteVersion is the SQLite store's schema version (PRAGMA user_version)
// whose tables ImportSQLite knows. A SQLite migration added later must be
// mirrored in migrations/ and here, or the copy refuses to run rather than
// leave something behind.
const sqliteVersion = 12

// kind is how a SQLite column's value becomes a PostgreSQL one.
type kind int

const (
	text  kind = iota // TEXT as text
	num               // INTEGER as integer or bigint
	nanos             // INTEGER Unix nanoseconds, 0 for none, as timestamptz
	flag              // INTEGER 0 or 1 as boolean
	blob              // BLOB as bytea
	jsonb             // TEXT holding JSON as jsonb
)

// table is one table to copy, in an order that satisfies the foreign keys.
type table struct {
	name     string
	columns  []string
	kinds    []kind
	identity bool // its id column is an identity whose sequence must follow the copied ids
}

func tbl(name string, identity bool, cols ...any) table {
	t := table{name: name, identity: identity}
	for i := 0; i < len(cols); i += 2 {
		t.columns = append(t.columns, cols[i].(string))
		t.kinds = append(t.kinds, cols[i+1].(kind))
	}
	return t
}

// importTables is the whole store: every table of the SQLite store's
// schema, each column named.
var importTables = []table{
	tbl("replies", false, "id", text, "lesson_id", text, "cohort_id", text, "in_reply_to", text, "actor", text, "url", text,
		"published", nanos, "updated", nanos, "content", text, "summary", text, "sensitive", flag, "attachments", jsonb,
		"visibility", text, "deleted", flag, "state", text, "seq", num),
	tbl("followers", false, "actor_id", text, "inbox", text, "follow_id", text, "since", nanos),
	tbl("pending_follows", false, "actor_id", text, "handle", text, "inbox", text, "follow_id", text, "requested", nanos),
	tbl("actors", false, "id", text, "type", text, "inbox", text, "shared_inbox", text, "followers", text,
		"preferred_username", text, "name", text, "icon_url", text, "url", text, "public_key_id", text, "public_key_pem", text, "fetched", nanos),
	tbl("actor_keys", false, "key_id", text, "actor_id", text, "pem", text),
	tbl("reactions", false, "id", text, "kind", text, "actor", text, "object", text),
	tbl("seen_activities", false, "id", text, "seen", nanos),
	tbl("deliveries", true, "id", num, "activity_id", text, "inbox", text, "body", blob, "attempts", num,
		"next_attempt", nanos, "last_error", text, "created", nanos, "claimed", flag, "claimed_by", num),
	tbl("lesson_objects", false, "lesson_id", text, "cohort_id", text, "object_id", text, "published", nanos, "updated", nanos, "content_hash", text),
	tbl("keys", false, "owner", text, "key_id", text, "public_pem", text, "private_pem", text),
	tbl("features", false, "reply_id", text, "lesson_id", text, "cohort_id", text, "position", num, "since", nanos),
	tbl("blocks", false, "target", text, "domain", flag, "reason", text, "blocked_by", text, "created", nanos),
	tbl("moderators", false, "name", text, "handle", text, "password_hash", text, "created", nanos),
	tbl("sessions", false, "id_hash", text, "moderator", text, "created", nanos, "expires", nanos),
	tbl("audit_log", true, "id", num, "who", text, "action", text, "target", text, "lesson_id", text, "reason", text, "at", nanos),
	tbl("tombstones", false, "id", text, "actor", text, "deleted", nanos),
	tbl("flags", false, "id", text, "actor", text, "content", text, "objects", jsonb, "received", nanos),
	tbl("login_failures", true, "id", num, "name", text, "at", nanos),
	tbl("direct_notes", false, "id", text, "recipients", jsonb, "body", blob, "created", nanos),
	tbl("notices_told", false, "moderator", text, "item", text, "told", nanos),
	tbl("notice_messages", false, "moderator", text, "sent", nanos),
	tbl("feedback_assignments", false, "submission_id", text, "reviewer", text, "lesson_id", text, "cohort_id", text,
		"submitter", text, "round", num, "seq", num, "slot", num, "assigned", nanos, "notified", flag),
	// Reflection journals (issue 14).
	tbl("journal_participants", false, "actor_id", text, "handle", text, "inbox", text, "follow_id", text, "accepted", flag, "left_at", nanos, "joined", nanos),
	tbl("journal_entries", false, "id", text, "actor", text, "url", text, "published", nanos, "updated", nanos, "content", text,
		"summary", text, "sensitive", flag, "attachments", jsonb, "state", text),
}

// TableCount is how many rows a table holds in the source and, after the
// copy, in this store.
type TableCount struct {
	Table          string
	Source, Copied int64
}

// ImportSQLite copies every row of a SQLite store (src, the database of
// store/sqlite at its latest schema) into s, which must hold nothing yet.
// The copy is one transaction on each side: src is read as of one moment,
// and s gets all of it or, on any error, none. Before committing, each
// table's rows are counted on both sides; a difference is an error and
// nothing is kept. It returns the counts. Times keep their microseconds,
// timestamptz's precision: the nanoseconds SQLite kept are dropped.
func (s *Store) ImportSQLite(ctx context.Context, src *sql.DB) ([]TableCount, error) {
	var v int
	if err := src.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return nil, fmt.Errorf("import: source version: %w", err)
	}
	if v != sqliteVersion {
		return nil, fmt.Errorf("import: the SQLite store is at schema version %d; this copy knows version %d", v, sqliteVersion)
	}
	rtx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("import: read source: %w", err)
	}
	defer rtx.Rollback()
	var counts []TableCount
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, t := range importTables {
			var n int64
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+t.name).Scan(&n); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			if n > 0 {
				return fmt.Errorf("the PostgreSQL store is not empty: %s has %d rows", t.name, n)
			}
		}
		for _, t := range importTables {
			c, err := copyTable(ctx, rtx, tx, t)
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			counts = append(counts, c)
			if c.Source != c.Copied {
				return fmt.Errorf("%s: %d rows in the source, %d copied", t.name, c.Source, c.Copied)
			}
		}
		// The thread-change triggers number every copied reply again as
		// this commits; starting the counter past the copied numbers keeps
		// them above any a reader saw before the move.
		_, err := tx.Exec(ctx, `UPDATE change_seq SET n = greatest(n, (SELECT coalesce(max(seq), 0) FROM replies))`)
		return err
	})
	if err != nil {
		return counts, fmt.Errorf("import: %w", err)
	}
	return counts, nil
}

// copyTable copies one table and counts its rows on both sides.
func copyTable(ctx context.Context, src *sql.Tx, dst pgx.Tx, t table) (TableCount, error) {
	c := TableCount{Table: t.name}
	rows, err := src.QueryContext(ctx, `SELECT `+strings.Join(t.columns, ", ")+` FROM `+t.name)
	if err != nil {
		return c, fmt.Errorf("read: %w", err)
	}
	defer rows.Close()
	if _, err := dst.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns, &sqliteRows{rows: rows, t: t}); err != nil {
		return c, fmt.Errorf("copy: %w", err)
	}
	if err := src.QueryRowContext(ctx, `SELECT count(*) FROM `+t.name).Scan(&c.Source); err != nil {
		return c, fmt.Errorf("count source: %w", err)
	}
	if err := dst.QueryRow(ctx, `SELECT count(*) FROM `+t.name).Scan(&c.Copied); err != nil {
		return c, fmt.Errorf("count copy: %w", err)
	}
	if t.identity {
		// The next id continues after the copied ones.
		_, err := dst.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t.name+`', 'id'), coalesce(max(id), 0) + 1, false) FROM `+t.name)
		if err != nil {
			return c, fmt.Errorf("id sequence: %w", err)
		}
	}
	return c, nil
}

// sqliteRows feeds SQLite rows to CopyFrom, converting each value by its
// column's kind.
type sqliteRows struct {
	rows *sql.Rows
	t    table
	vals []any
	err  error
}

func (r *sqliteRows) Next() bool { return r.err == nil && r.rows.Next() }

func (r *sqliteRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

func (r *sqliteRows) Values() ([]any, error) {
	raw := make([]any, len(r.t.columns))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		r.err = err
		return nil, err
	}
	r.vals = make([]any, 0, len(r.t.kinds)) // fresh each row: CopyFrom may keep the last one
	for i, k := range r.t.kinds {
		v, err := convert(raw[i], k)
		if err != nil {
			r.err = fmt.Errorf("column %s: %w", r.t.columns[i], err)
			return nil, r.err
		}
		r.vals = append(r.vals, v)
	}
	return r.vals, nil
}

// convert turns one SQLite value into what the PostgreSQL column takes.
func convert(v any, k kind) (any, error) {
	switch k {
	case text, jsonb:
		switch s := v.(type) {
		case string:
			if k == jsonb {
				return []byte(s), nil
			}
			return s, nil
		case []byte:
			if k == jsonb {
				return s, nil
			}
			return string(s), nil
		}
	case num, nanos, flag:
		n, ok := v.(int64)
		if !ok {
			break
		}
		switch k {
		case nanos:
			if n == 0 {
				return time.Time{}, nil
			}
			return time.Unix(0, n).UTC(), nil
		case flag:
			return n != 0, nil
		}
		return n, nil
	case blob:
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	}
	return nil, fmt.Errorf("unexpected %T", v)
}
