package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

const insertAuditSQL = `INSERT INTO audit_log (who, action, target, lesson_id, reason, at) VALUES (?, ?, ?, ?, ?, ?)`

const auditColumns = `id, who, action, target, lesson_id, reason, at`

const auditLogSQL = `SELECT ` + auditColumns + ` FROM audit_log WHERE (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?`

const auditSinceSQL = `SELECT ` + auditColumns + ` FROM audit_log WHERE id > ? ORDER BY id LIMIT ?`

// audit writes e inside tx, with At defaulting to now, and returns it with
// its ID.
func (s *Store) audit(ctx context.Context, tx *sql.Tx, e activitypub.AuditEntry) (activitypub.AuditEntry, error) {
	if e.At.IsZero() {
		e.At = s.Now()
	}
	e.At = fromNanos(toNanos(e.At))
	res, err := tx.ExecContext(ctx, insertAuditSQL, e.Who, e.Action, e.Target, e.LessonID, e.Reason, toNanos(e.At))
	if err != nil {
		return e, fmt.Errorf("audit log: %w", err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return e, fmt.Errorf("audit log: %w", err)
	}
	return e, nil
}

// AppendAudit implements activitypub.Store.
func (s *Store) AppendAudit(ctx context.Context, e activitypub.AuditEntry) (activitypub.AuditEntry, error) {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		e, err = s.audit(ctx, tx, e)
		return err
	})
	if err != nil {
		return e, fmt.Errorf("append audit %s %s: %w", e.Action, e.Target, err)
	}
	return e, nil
}

// AuditLog implements activitypub.Store.
func (s *Store) AuditLog(ctx context.Context, before int64, limit int) ([]activitypub.AuditEntry, error) {
	out, err := s.auditRows(ctx, auditLogSQL, before, before, limit)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// AuditSince implements activitypub.Store.
func (s *Store) AuditSince(ctx context.Context, after int64, limit int) ([]activitypub.AuditEntry, error) {
	out, err := s.auditRows(ctx, auditSinceSQL, after, limit)
	if err != nil {
		return nil, fmt.Errorf("audit log since %d: %w", after, err)
	}
	return out, nil
}

func (s *Store) auditRows(ctx context.Context, query string, args ...any) ([]activitypub.AuditEntry, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []activitypub.AuditEntry{}
	for rows.Next() {
		var e activitypub.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &e.Who, &e.Action, &e.Target, &e.LessonID, &e.Reason, &at); err != nil {
			return nil, err
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
