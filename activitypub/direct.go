package activitypub

import (
	"context"
	"time"
)

// DirectNote is a direct message the course account sent: a Note addressed
// to its recipients alone. The Store keeps the document as it was
// delivered, so a recipient's server that fetches the id gets the same
// bytes, and keeps who may read it.
type DirectNote struct {
	ID         string    // the Note's id, on the companion's host
	Recipients []string  // the actor IRIs it is addressed to
	Body       []byte    // the Note document (JSON-LD), as served at ID
	Created    time.Time // when it was sent
}

// DirectStore keeps the course account's direct messages (issue 14; its
// own block to ease merging).
type DirectStore interface {
	// SaveDirectNote stores n, or returns ErrDuplicate, changing nothing,
	// when a note with its ID is stored: a message is written once.
	SaveDirectNote(ctx context.Context, n DirectNote) error

	// DirectNote returns the direct note with that id, or ErrNotFound.
	DirectNote(ctx context.Context, id string) (DirectNote, error)
}

// FeedbackAssignment names one reviewer of one submission to an assignment
// lesson (issue 14): a participant's first public reply to the lesson's
// post in a cohort, and another participant asked to review it.
type FeedbackAssignment struct {
	LessonID     string
	CohortID     string // "" for a course without cohorts
	SubmissionID string // the submission (a reply's id)
	Submitter    string // its author's actor IRI
	Reviewer     string // the reviewer's actor IRI
	Round        int    // the round that assigned it, from 1; 0 for a moderator's reassignment
	Seq          int    // the submission's place in the lesson's order of submissions, from 0
	Slot         int    // the reviewer's place among the submission's reviewers, from 0
	Assigned     time.Time
	Notified     bool // the reviewer was sent the direct message
}

// FeedbackStore keeps who reviews whose submission (issue 14; its own
// block to ease merging).
type FeedbackStore interface {
	// SaveFeedbackAssignments stores a round's assignments together: all
	// of them, or, when one (submission, reviewer) pair is stored already,
	// none, returning ErrDuplicate.
	SaveFeedbackAssignments(ctx context.Context, as []FeedbackAssignment) error

	// FeedbackAssignments returns a lesson's assignments in one cohort, by
	// Seq, then Slot. None gives an empty list and nil.
	FeedbackAssignments(ctx context.Context, lessonID, cohortID string) ([]FeedbackAssignment, error)

	// ReassignFeedback gives a.SubmissionID the reviewer a.Reviewer in
	// place of from, together: ErrNotFound, changing nothing, when from is
	// not its reviewer; ErrDuplicate when a.Reviewer already is. An empty
	// from adds a.Reviewer.
	ReassignFeedback(ctx context.Context, from string, a FeedbackAssignment) error

	// MarkFeedbackNotified records that the reviewer was sent the direct
	// message, or returns ErrNotFound when the pair is not assigned.
	MarkFeedbackNotified(ctx context.Context, submissionID, reviewer string) error
}
