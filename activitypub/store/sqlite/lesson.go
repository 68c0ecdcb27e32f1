package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

const lessonColumns = `lesson_id, cohort_id, object_id, published, updated, content_hash`

const saveLessonObjectSQL = `
INSERT INTO lesson_objects (` + lessonColumns + `) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (lesson_id, cohort_id) DO UPDATE SET
	object_id = excluded.object_id, published = excluded.published, updated = excluded.updated, content_hash = excluded.content_hash`

const lessonObjectSQL = `SELECT ` + lessonColumns + ` FROM lesson_objects WHERE lesson_id = ? AND cohort_id = ?`

const lessonObjectByIDSQL = `SELECT ` + lessonColumns + ` FROM lesson_objects WHERE object_id = ?`

const lessonObjectsSQL = `SELECT ` + lessonColumns + ` FROM lesson_objects ORDER BY published, object_id`

// SaveLessonObject implements activitypub.Store.
func (s *Store) SaveLessonObject(ctx context.Context, o activitypub.LessonObject) error {
	_, err := s.exec(ctx, saveLessonObjectSQL, o.LessonID, o.CohortID, o.ObjectID,
		toNanos(o.Published), toNanos(o.Updated), o.ContentHash)
	if isUnique(err) {
		return fmt.Errorf("save lesson object %s: %w", o.ObjectID, activitypub.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("save lesson object %s: %w", o.ObjectID, err)
	}
	return nil
}

// LessonObject implements activitypub.Store.
func (s *Store) LessonObject(ctx context.Context, lessonID, cohortID string) (activitypub.LessonObject, error) {
	o, err := scanLessonObject(s.db.QueryRowContext(ctx, lessonObjectSQL, lessonID, cohortID))
	if errors.Is(err, sql.ErrNoRows) {
		err = activitypub.ErrNotFound
	}
	if err != nil {
		return o, fmt.Errorf("lesson object %s/%s: %w", lessonID, cohortID, err)
	}
	return o, nil
}

// LessonObjectByID implements activitypub.Store.
func (s *Store) LessonObjectByID(ctx context.Context, objectID string) (activitypub.LessonObject, error) {
	o, err := scanLessonObject(s.db.QueryRowContext(ctx, lessonObjectByIDSQL, objectID))
	if errors.Is(err, sql.ErrNoRows) {
		err = activitypub.ErrNotFound
	}
	if err != nil {
		return o, fmt.Errorf("lesson object %s: %w", objectID, err)
	}
	return o, nil
}

// LessonObjects implements activitypub.Store.
func (s *Store) LessonObjects(ctx context.Context) ([]activitypub.LessonObject, error) {
	rows, err := s.db.QueryContext(ctx, lessonObjectsSQL)
	if err != nil {
		return nil, fmt.Errorf("lesson objects: %w", err)
	}
	defer rows.Close()
	out := []activitypub.LessonObject{}
	for rows.Next() {
		o, err := scanLessonObject(rows)
		if err != nil {
			return nil, fmt.Errorf("lesson objects: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lesson objects: %w", err)
	}
	return out, nil
}

func scanLessonObject(row scanner) (activitypub.LessonObject, error) {
	var o activitypub.LessonObject
	var published, updated int64
	if err := row.Scan(&o.LessonID, &o.CohortID, &o.ObjectID, &published, &updated, &o.ContentHash); err != nil {
		return o, err
	}
	o.Published, o.Updated = fromNanos(published), fromNanos(updated)
	return o, nil
}
