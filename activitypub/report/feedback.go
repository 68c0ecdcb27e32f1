package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/feedback"
	"github.com/cohort-course/cohort/site"
)

// FeedbackLesson is the peer-feedback coverage of one assignment lesson
// (issue 14), over counted replies by participants (moderators' answers
// are not peer reviews).
type FeedbackLesson struct {
	ID, Title   string
	Submissions int
	Reviews     int // reviews written, all submissions together
	// Covered counts the submissions reviewed by feedback.Reviewers peers
	// or more; FirstReviewed those with at least one review.
	Covered, FirstReviewed int
	// MedianFirstReview is the median time from a submission to its first
	// review, over FirstReviewed; 0 when none was reviewed.
	MedianFirstReview time.Duration
}

// FeedbackPerson is one participant's part in peer feedback, all
// assignment lessons together.
type FeedbackPerson struct {
	Actor, Handle string
	Submitted     int // submissions
	Given         int // reviews written
	Received      int // reviews of their submissions
}

// Feedback is the coverage of every assignment lesson.
type Feedback struct {
	Lessons []FeedbackLesson
	People  []FeedbackPerson // by handle
	// MedianFirstReview is over every reviewed submission.
	MedianFirstReview time.Duration
}

// feedbackCoverage reads the assignment lessons' submissions and reviews
// from the counted replies (sorted by time) of the cohort.
func feedbackCoverage(m site.Manifest, objects []activitypub.LessonObject, cohortID string, counted []activitypub.Reply,
	authors map[string]activitypub.Actor, isMod func(string) bool) Feedback {
	var peers []activitypub.Reply
	for _, r := range counted {
		if !isMod(r.Actor) {
			peers = append(peers, r)
		}
	}
	var out Feedback
	people := map[string]*FeedbackPerson{}
	person := func(actor string) *FeedbackPerson {
		p, ok := people[actor]
		if !ok {
			p = &FeedbackPerson{Actor: actor, Handle: handleOf(authors[actor])}
			people[actor] = p
		}
		return p
	}
	var all []time.Duration
	for _, l := range m.Lessons {
		if !l.Assignment {
			continue
		}
		fl := FeedbackLesson{ID: l.ID, Title: l.Title}
		var waits []time.Duration
		for _, o := range objects {
			if o.LessonID != l.ID || o.CohortID != cohortID {
				continue
			}
			for _, s := range feedback.Of(peers, o.ObjectID) {
				fl.Submissions++
				person(s.Reply.Actor).Submitted++
				reviewers := map[string]bool{}
				for _, r := range s.Reviews {
					fl.Reviews++
					reviewers[r.Actor] = true
					person(r.Actor).Given++
					person(s.Reply.Actor).Received++
				}
				if len(reviewers) >= feedback.Reviewers {
					fl.Covered++
				}
				if len(s.Reviews) > 0 {
					fl.FirstReviewed++
					waits = append(waits, s.Reviews[0].Published.Sub(s.Reply.Published))
				}
			}
		}
		all = append(all, waits...)
		fl.MedianFirstReview = median(waits)
		out.Lessons = append(out.Lessons, fl)
	}
	out.MedianFirstReview = median(all)
	for _, p := range people {
		out.People = append(out.People, *p)
	}
	slices.SortFunc(out.People, func(a, b FeedbackPerson) int {
		return cmp.Or(cmp.Compare(a.Handle, b.Handle), cmp.Compare(a.Actor, b.Actor))
	})
	return out
}
