package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

const lessonColumns = `lesson_id, cohort_id, object_id, published, updated, content_hash`

const saveLessonObjectSQL = `
INSERT INTO lesson_objects (` + lessonColumns + `) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (lesson_id, cohort_id) DO UPDATE SET
	object_id = excluded.object_id, published = excluded.published, updated = excluded.updated, content_hash = excluded.content_hash`

const lessonObjectSQL = `SELECT ` + lessonColumns + ` FROM lesson_objects WHERE lesson_id = $1 AND cohort_id = $2`

const lessonObjectByIDSQL = `SELECT ` + lessonColumns + ` FROM lesson_objects WHERE object_id = $1`

const lessonObjectsSQL = `SELECT ` + lessonColumns + ` FROM lesson_objects ORDER BY published, object_id`

// SaveLessonObject implements activitypub.Store.
func (s *Store) SaveLessonObject(ctx context.Context, o activitypub.LessonObject) error {
	_, err := s.pool.Exec(ctx, saveLessonObjectSQL, o.LessonID, o.CohortID, o.ObjectID, o.Published, o.Updated, o.ContentHash)
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
	o, err := scanLessonObject(s.pool.QueryRow(ctx, lessonObjectSQL, lessonID, cohortID))
	if errors.Is(err, pgx.ErrNoRows) {
		err = activitypub.ErrNotFound
	}
	if err != nil {
		return o, fmt.Errorf("lesson object %s/%s: %w", lessonID, cohortID, err)
	}
	return o, nil
}

// LessonObjectByID implements activitypub.Store.
func (s *Store) LessonObjectByID(ctx context.Context, objectID string) (activitypub.LessonObject, error) {
	o, err := scanLessonObject(s.pool.QueryRow(ctx, lessonObjectByIDSQL, objectID))
	if errors.Is(err, pgx.ErrNoRows) {
		err = activitypub.ErrNotFound
	}
	if err != nil {
		return o, fmt.Errorf("lesson object %s: %w", objectID, err)
	}
	return o, nil
}

// LessonObjects implements activitypub.Store.
func (s *Store) LessonObjects(ctx context.Context) ([]activitypub.LessonObject, error) {
	rows, err := s.pool.Query(ctx, lessonObjectsSQL)
	if err != nil {
		return nil, fmt.Errorf("lesson objects: %w", err)
	}
	out, err := scanRows(rows, func(r pgx.Rows) (activitypub.LessonObject, error) { return scanLessonObject(r) })
	if err != nil {
		return nil, fmt.Errorf("lesson objects: %w", err)
	}
	return out, nil
}

func scanLessonObject(row pgx.Row) (activitypub.LessonObject, error) {
	var o activitypub.LessonObject
	err := row.Scan(&o.LessonID, &o.CohortID, &o.ObjectID, &o.Published, &o.Updated, &o.ContentHash)
	o.Published, o.Updated = utc(o.Published), utc(o.Updated)
	return o, err
}
