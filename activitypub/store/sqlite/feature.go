package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

const featureSQL = `SELECT reply_id, lesson_id, cohort_id, position, since FROM features WHERE reply_id = ?`

const insertFeatureSQL = `
INSERT INTO features (reply_id, lesson_id, cohort_id, position, since)
VALUES (?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM features WHERE lesson_id = ? AND cohort_id = ?), ?)
RETURNING position`

const deleteFeatureSQL = `DELETE FROM features WHERE reply_id = ?`

const closeFeatureGapSQL = `UPDATE features SET position = position - 1 WHERE lesson_id = ? AND cohort_id = ? AND position > ?`

const featuresSQL = `SELECT reply_id, lesson_id, cohort_id, position, since FROM features WHERE lesson_id = ? AND cohort_id = ? ORDER BY position`

// FeatureReply implements activitypub.Store.
func (s *Store) FeatureReply(ctx context.Context, id string, e activitypub.AuditEntry) (activitypub.Feature, error) {
	var f activitypub.Feature
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var lesson, cohort string
		err := tx.QueryRowContext(ctx, `SELECT lesson_id, cohort_id FROM replies WHERE id = ?`, id).Scan(&lesson, &cohort)
		if errors.Is(err, sql.ErrNoRows) {
			return activitypub.ErrNotFound
		}
		if err != nil {
			return err
		}
		since := e.At
		if since.IsZero() {
			since = s.Now()
		}
		f = activitypub.Feature{ReplyID: id, LessonID: lesson, CohortID: cohort, Since: fromNanos(toNanos(since))}
		err = tx.QueryRowContext(ctx, insertFeatureSQL, id, lesson, cohort, lesson, cohort, toNanos(f.Since)).Scan(&f.Position)
		if isUnique(err) {
			return activitypub.ErrDuplicate
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE replies SET state = 'shown' WHERE id = ?`, id); err != nil {
			return err
		}
		e.At, e.LessonID = f.Since, lesson
		_, err = s.audit(ctx, tx, e)
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
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		f, err = scanFeature(tx.QueryRowContext(ctx, featureSQL, id))
		if errors.Is(err, sql.ErrNoRows) {
			return activitypub.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, deleteFeatureSQL, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, closeFeatureGapSQL, f.LessonID, f.CohortID, f.Position); err != nil {
			return err
		}
		e.LessonID = f.LessonID
		_, err = s.audit(ctx, tx, e)
		return err
	})
	if err != nil {
		return f, fmt.Errorf("unfeature reply %s: %w", id, err)
	}
	return f, nil
}

// Features implements activitypub.Store.
func (s *Store) Features(ctx context.Context, lessonID, cohortID string) ([]activitypub.Feature, error) {
	rows, err := s.db.QueryContext(ctx, featuresSQL, lessonID, cohortID)
	if err != nil {
		return nil, fmt.Errorf("features of %s: %w", lessonID, err)
	}
	defer rows.Close()
	out := []activitypub.Feature{}
	for rows.Next() {
		f, err := scanFeature(rows)
		if err != nil {
			return nil, fmt.Errorf("features of %s: %w", lessonID, err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("features of %s: %w", lessonID, err)
	}
	return out, nil
}

func scanFeature(row scanner) (activitypub.Feature, error) {
	var f activitypub.Feature
	var since int64
	err := row.Scan(&f.ReplyID, &f.LessonID, &f.CohortID, &f.Position, &since)
	f.Since = fromNanos(since)
	return f, err
}
