package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

const insertAuditSQL = `INSERT INTO audit_log (who, action, target, lesson_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`

const auditColumns = `id, who, action, target, lesson_id, reason, at`

const auditLogSQL = `SELECT ` + auditColumns + ` FROM audit_log WHERE ($1 = 0 OR id < $1) ORDER BY id DESC LIMIT $2`

const auditSinceSQL = `SELECT ` + auditColumns + ` FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`

// audit writes e inside tx, with At defaulting to now, and returns it with
// its ID. Ids grow with each commit's order only roughly: two transactions
// may commit in the other order than they took their ids.
func (s *Store) audit(ctx context.Context, tx pgx.Tx, e activitypub.AuditEntry) (activitypub.AuditEntry, error) {
	if e.At.IsZero() {
		e.At = s.Now()
	}
	e.At = dbTime(e.At)
	if err := tx.QueryRow(ctx, insertAuditSQL, e.Who, e.Action, e.Target, e.LessonID, e.Reason, e.At).Scan(&e.ID); err != nil {
		return e, fmt.Errorf("audit log: %w", err)
	}
	return e, nil
}

// AppendAudit implements activitypub.Store.
func (s *Store) AppendAudit(ctx context.Context, e activitypub.AuditEntry) (activitypub.AuditEntry, error) {
	err := s.inTx(ctx, func(t *txn) error {
		var err error
		e, err = s.audit(ctx, t.tx, e)
		return err
	})
	if err != nil {
		return e, fmt.Errorf("append audit %s %s: %w", e.Action, e.Target, err)
	}
	return e, nil
}

// AuditLog implements activitypub.Store.
func (s *Store) AuditLog(ctx context.Context, before int64, limit int) ([]activitypub.AuditEntry, error) {
	out, err := s.auditRows(ctx, auditLogSQL, before, limit)
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
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rows, func(r pgx.Rows) (activitypub.AuditEntry, error) {
		var e activitypub.AuditEntry
		err := r.Scan(&e.ID, &e.Who, &e.Action, &e.Target, &e.LessonID, &e.Reason, &e.At)
		e.At = utc(e.At)
		return e, err
	})
}
