package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

// Who reviews whose submission to an assignment lesson (issue 14).

const (
	saveFeedbackSQL = `INSERT INTO feedback_assignments (submission_id, reviewer, lesson_id, cohort_id, submitter, round, seq, slot, assigned, notified)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (submission_id, reviewer) DO NOTHING`
	feedbackSQL = `SELECT submission_id, reviewer, lesson_id, cohort_id, submitter, round, seq, slot, assigned, notified
		FROM feedback_assignments WHERE lesson_id = $1 AND cohort_id = $2 ORDER BY seq, slot, reviewer`
	unassignFeedbackSQL = `DELETE FROM feedback_assignments WHERE submission_id = $1 AND reviewer = $2`
	notifiedFeedbackSQL = `UPDATE feedback_assignments SET notified = true WHERE submission_id = $1 AND reviewer = $2`
)

// SaveFeedbackAssignments implements activitypub.Store.
func (s *Store) SaveFeedbackAssignments(ctx context.Context, as []activitypub.FeedbackAssignment) error {
	return s.inTx(ctx, func(t *txn) error {
		for _, a := range as {
			if err := t.saveFeedback(a); err != nil {
				return err
			}
		}
		return nil
	})
}

func (t *txn) saveFeedback(a activitypub.FeedbackAssignment) error {
	at := a.Assigned
	if at.IsZero() {
		at = t.now
	}
	tag, err := t.tx.Exec(t.ctx, saveFeedbackSQL, a.SubmissionID, a.Reviewer, a.LessonID, a.CohortID, a.Submitter, a.Round, a.Seq,
		a.Slot, at, a.Notified)
	if err != nil {
		return fmt.Errorf("assign %s to review %s: %w", a.Reviewer, a.SubmissionID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("assign %s to review %s: %w", a.Reviewer, a.SubmissionID, activitypub.ErrDuplicate)
	}
	return nil
}

// FeedbackAssignments implements activitypub.Store.
func (s *Store) FeedbackAssignments(ctx context.Context, lessonID, cohortID string) ([]activitypub.FeedbackAssignment, error) {
	rows, err := s.pool.Query(ctx, feedbackSQL, lessonID, cohortID)
	if err != nil {
		return nil, fmt.Errorf("feedback assignments of %s: %w", lessonID, err)
	}
	out, err := scanRows(rows, func(r pgx.Rows) (activitypub.FeedbackAssignment, error) {
		var a activitypub.FeedbackAssignment
		err := r.Scan(&a.SubmissionID, &a.Reviewer, &a.LessonID, &a.CohortID, &a.Submitter, &a.Round, &a.Seq, &a.Slot, &a.Assigned, &a.Notified)
		a.Assigned = utc(a.Assigned)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("feedback assignments of %s: %w", lessonID, err)
	}
	return out, nil
}

// ReassignFeedback implements activitypub.Store.
func (s *Store) ReassignFeedback(ctx context.Context, from string, a activitypub.FeedbackAssignment) error {
	return s.inTx(ctx, func(t *txn) error {
		if from != "" {
			tag, err := t.tx.Exec(t.ctx, unassignFeedbackSQL, a.SubmissionID, from)
			if err != nil {
				return fmt.Errorf("unassign %s from %s: %w", from, a.SubmissionID, err)
			}
			if tag.RowsAffected() == 0 {
				return fmt.Errorf("unassign %s from %s: %w", from, a.SubmissionID, activitypub.ErrNotFound)
			}
		}
		return t.saveFeedback(a)
	})
}

// MarkFeedbackNotified implements activitypub.Store.
func (s *Store) MarkFeedbackNotified(ctx context.Context, submissionID, reviewer string) error {
	tag, err := s.pool.Exec(ctx, notifiedFeedbackSQL, submissionID, reviewer)
	if err != nil {
		return fmt.Errorf("mark %s told to review %s: %w", reviewer, submissionID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("mark %s told to review %s: %w", reviewer, submissionID, activitypub.ErrNotFound)
	}
	return nil
}
