package sqlite

import (
	"context"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

// Who reviews whose submission to an assignment lesson (issue 14).

const (
	saveFeedbackSQL = `INSERT INTO feedback_assignments (submission_id, reviewer, lesson_id, cohort_id, submitter, round, seq, slot, assigned, notified)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (submission_id, reviewer) DO NOTHING`
	feedbackSQL = `SELECT submission_id, reviewer, lesson_id, cohort_id, submitter, round, seq, slot, assigned, notified
		FROM feedback_assignments WHERE lesson_id = ? AND cohort_id = ? ORDER BY seq, slot, reviewer`
	unassignFeedbackSQL = `DELETE FROM feedback_assignments WHERE submission_id = ? AND reviewer = ?`
	notifiedFeedbackSQL = `UPDATE feedback_assignments SET notified = 1 WHERE submission_id = ? AND reviewer = ?`
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
	r, err := t.exec(saveFeedbackSQL, a.SubmissionID, a.Reviewer, a.LessonID, a.CohortID, a.Submitter, a.Round, a.Seq, a.Slot,
		toNanos(at), a.Notified)
	if err != nil {
		return fmt.Errorf("assign %s to review %s: %w", a.Reviewer, a.SubmissionID, err)
	}
	if r.rows == 0 {
		return fmt.Errorf("assign %s to review %s: %w", a.Reviewer, a.SubmissionID, activitypub.ErrDuplicate)
	}
	return nil
}

// FeedbackAssignments implements activitypub.Store.
func (s *Store) FeedbackAssignments(ctx context.Context, lessonID, cohortID string) ([]activitypub.FeedbackAssignment, error) {
	rows, err := s.db.QueryContext(ctx, feedbackSQL, lessonID, cohortID)
	if err != nil {
		return nil, fmt.Errorf("feedback assignments of %s: %w", lessonID, err)
	}
	defer rows.Close()
	out := []activitypub.FeedbackAssignment{}
	for rows.Next() {
		var (
			a        activitypub.FeedbackAssignment
			assigned int64
		)
		if err := rows.Scan(&a.SubmissionID, &a.Reviewer, &a.LessonID, &a.CohortID, &a.Submitter, &a.Round, &a.Seq, &a.Slot,
			&assigned, &a.Notified); err != nil {
			return nil, fmt.Errorf("feedback assignments of %s: %w", lessonID, err)
		}
		a.Assigned = fromNanos(assigned)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("feedback assignments of %s: %w", lessonID, err)
	}
	return out, nil
}

// ReassignFeedback implements activitypub.Store.
func (s *Store) ReassignFeedback(ctx context.Context, from string, a activitypub.FeedbackAssignment) error {
	return s.inTx(ctx, func(t *txn) error {
		if from != "" {
			r, err := t.exec(unassignFeedbackSQL, a.SubmissionID, from)
			if err != nil {
				return fmt.Errorf("unassign %s from %s: %w", from, a.SubmissionID, err)
			}
			if r.rows == 0 {
				return fmt.Errorf("unassign %s from %s: %w", from, a.SubmissionID, activitypub.ErrNotFound)
			}
		}
		return t.saveFeedback(a)
	})
}

// MarkFeedbackNotified implements activitypub.Store.
func (s *Store) MarkFeedbackNotified(ctx context.Context, submissionID, reviewer string) error {
	r, err := s.exec(ctx, notifiedFeedbackSQL, submissionID, reviewer)
	if err != nil {
		return fmt.Errorf("mark %s told to review %s: %w", reviewer, submissionID, err)
	}
	if r.rows == 0 {
		return fmt.Errorf("mark %s told to review %s: %w", reviewer, submissionID, activitypub.ErrNotFound)
	}
	return nil
}
