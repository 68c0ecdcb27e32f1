package storetest

import (
	"errors"
	"testing"

	"github.com/cohort-course/cohort/activitypub"
)

// feedbackTests check who reviews whose submission (issue 14).
var feedbackTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"FeedbackAssignments", testFeedbackAssignments},
}

// testFeedbackAssignments: a round is saved whole or not at all and comes
// back in order; a reassignment swaps one reviewer; notified is recorded.
func testFeedbackAssignments(t *testing.T, s activitypub.Store) {
	const carol = "https://gts.example/users/carol"
	sub := func(n string) string { return alice + "/statuses/" + n }
	a := func(subID, submitter, reviewer string, seq, slot int) activitypub.FeedbackAssignment {
		return activitypub.FeedbackAssignment{LessonID: "intro", CohortID: "c1", SubmissionID: subID, Submitter: submitter,
			Reviewer: reviewer, Round: 1, Seq: seq, Slot: slot, Assigned: base}
	}
	round := []activitypub.FeedbackAssignment{
		a(sub("2"), bob, carol, 1, 1), a(sub("1"), alice, carol, 0, 0), a(sub("1"), alice, bob, 0, 1), a(sub("2"), bob, alice, 1, 0),
	}
	must(t, s.SaveFeedbackAssignments(ctx, round))
	got, err := s.FeedbackAssignments(ctx, "intro", "c1")
	must(t, err)
	want := []string{carol, bob, alice, carol}
	if len(got) != len(want) {
		t.Fatalf("got %d assignments, want %d", len(got), len(want))
	}
	for i, g := range got {
		if g.Reviewer != want[i] || !g.Assigned.Equal(base) || g.Notified || g.Round != 1 {
			t.Fatalf("assignment %d = %+v, want reviewer %s", i, g, want[i])
		}
	}
	if other, _ := s.FeedbackAssignments(ctx, "intro", ""); len(other) != 0 {
		t.Fatalf("another cohort has %d assignments", len(other))
	}
	// A round that repeats one pair saves nothing.
	dave := "https://x.example/users/dave"
	err = s.SaveFeedbackAssignments(ctx, []activitypub.FeedbackAssignment{a(sub("3"), dave, alice, 2, 0), a(sub("1"), alice, carol, 0, 0)})
	if !errors.Is(err, activitypub.ErrDuplicate) {
		t.Fatalf("repeated pair: %v, want ErrDuplicate", err)
	}
	if got, _ := s.FeedbackAssignments(ctx, "intro", "c1"); len(got) != 4 {
		t.Fatalf("a failed round left %d assignments, want 4", len(got))
	}
	// Reassign: carol's review of submission 1 goes to dave.
	re := a(sub("1"), alice, dave, 0, 0)
	re.Round = 0
	must(t, s.ReassignFeedback(ctx, carol, re))
	if err := s.ReassignFeedback(ctx, carol, re); !errors.Is(err, activitypub.ErrNotFound) {
		t.Fatalf("reassign from a non-reviewer: %v, want ErrNotFound", err)
	}
	if err := s.ReassignFeedback(ctx, "", a(sub("1"), alice, bob, 0, 1)); !errors.Is(err, activitypub.ErrDuplicate) {
		t.Fatalf("add a reviewer twice: %v, want ErrDuplicate", err)
	}
	must(t, s.MarkFeedbackNotified(ctx, sub("1"), dave))
	if err := s.MarkFeedbackNotified(ctx, sub("1"), carol); !errors.Is(err, activitypub.ErrNotFound) {
		t.Fatalf("mark a non-reviewer: %v, want ErrNotFound", err)
	}
	got, _ = s.FeedbackAssignments(ctx, "intro", "c1")
	reviewers := map[string]bool{}
	for _, g := range got {
		if g.SubmissionID == sub("1") {
			reviewers[g.Reviewer] = g.Notified
		}
	}
	if len(reviewers) != 2 || !reviewers[dave] || reviewers[bob] {
		t.Fatalf("submission 1's reviewers (notified) = %v, want dave (true) and bob (false)", reviewers)
	}
}
