package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

const featureColumns = `reply_id, lesson_id, cohort_id, position, since`

// lockThreadFeaturesSQL serializes the numbering of one thread's features
// until the transaction ends: max(position)+1 read by two transactions at
// once would give both the same position. Threads do not wait on each other
// (barring a hash collision, which only costs a wait).
const lockThreadFeaturesSQL = `SELECT pg_advisory_xact_lock(hashtextextended('cohort features ' || length($1) || ':' || $1 || $2, 0))`

const insertFeatureSQL = `
INSERT INTO features (` + featureColumns + `)
VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM features WHERE lesson_id = $2 AND cohort_id = $3), $4)
RETURNING position`

const deleteFeatureSQL = `DELETE FROM features WHERE reply_id = $1 RETURNING ` + featureColumns

const closeFeatureGapSQL = `UPDATE features SET position = position - 1 WHERE lesson_id = $1 AND cohort_id = $2 AND position > $3`

const featuresSQL = `SELECT ` + featureColumns + ` FROM features WHERE lesson_id = $1 AND cohort_id = $2 ORDER BY position`

// FeatureReply implements activitypub.Store.
func (s *Store) FeatureReply(ctx context.Context, id string, e activitypub.AuditEntry) (activitypub.Feature, error) {
	var f activitypub.Feature
	err := s.inTx(ctx, func(t *txn) error {
		var lesson, cohort string
		err := t.tx.QueryRow(ctx, `SELECT lesson_id, cohort_id FROM replies WHERE id = $1`, id).Scan(&lesson, &cohort)
		if errors.Is(err, pgx.ErrNoRows) {
			return activitypub.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := t.tx.Exec(ctx, lockThreadFeaturesSQL, lesson, cohort); err != nil {
			return fmt.Errorf("lock thread: %w", err)
		}
		since := e.At
		if since.IsZero() {
			since = s.Now()
		}
		f = activitypub.Feature{ReplyID: id, LessonID: lesson, CohortID: cohort, Since: dbTime(since)}
		err = t.tx.QueryRow(ctx, insertFeatureSQL, id, lesson, cohort, f.Since).Scan(&f.Position)
		if isUnique(err) {
			return activitypub.ErrDuplicate
		}
		if err != nil {
			return err
		}
		if _, err := t.tx.Exec(ctx, `UPDATE replies SET state = 'shown' WHERE id = $1`, id); err != nil {
			return err
		}
		e.At, e.LessonID = f.Since, lesson
		_, err = s.audit(ctx, t.tx, e)
		return err
	})
	if err != nil {
		return f, fmt.Errorf("feature reply %s: %w", id, err)
	}
	return f, nil
}

// UnfeatureReply implements activitypub.Store.
func (s *Store) UnfeatureReply(ctx context.Context, id string, e activitypub.AuditEntry) (activitypub.Feature, error) {
	var f activitypub.Feature
	err := s.inTx(ctx, func(t *txn) error {
		var lesson, cohort string
		err := t.tx.QueryRow(ctx, `SELECT lesson_id, cohort_id FROM features WHERE reply_id = $1`, id).Scan(&lesson, &cohort)
		if errors.Is(err, pgx.ErrNoRows) {
			return activitypub.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := t.tx.Exec(ctx, lockThreadFeaturesSQL, lesson, cohort); err != nil {
			return fmt.Errorf("lock thread: %w", err)
		}
		f, err = scanFeature(t.tx.QueryRow(ctx, deleteFeatureSQL, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return activitypub.ErrNotFound // unfeatured meanwhile
		}
		if err != nil {
			return err
		}
		if _, err := t.tx.Exec(ctx, closeFeatureGapSQL, f.LessonID, f.CohortID, f.Position); err != nil {
			return err
		}
		e.LessonID = f.LessonID
		_, err = s.audit(ctx, t.tx, e)
		return err
	})
	if err != nil {
		return f, fmt.Errorf("unfeature reply %s: %w", id, err)
	}
	return f, nil
}

// Features implements activitypub.Store.
func (s *Store) Features(ctx context.Context, lessonID, cohortID string) ([]activitypub.Feature, error) {
	rows, err := s.pool.Query(ctx, featuresSQL, lessonID, cohortID)
	if err != nil {
		return nil, fmt.Errorf("features of %s: %w", lessonID, err)
	}
	out, err := scanRows(rows, func(r pgx.Rows) (activitypub.Feature, error) { return scanFeature(r) })
	if err != nil {
		return nil, fmt.Errorf("features of %s: %w", lessonID, err)
	}
	return out, nil
}

func scanFeature(row pgx.Row) (activitypub.Feature, error) {
	var f activitypub.Feature
	err := row.Scan(&f.ReplyID, &f.LessonID, &f.CohortID, &f.Position, &f.Since)
	f.Since = utc(f.Since)
	return f, err
}
