// Package feedback runs peer feedback on assignment lessons (issue 14): a
// lesson with assignment = true asks for work, a participant's first public
// reply to its post is their submission, and each submission gets two
// reviewers from the same cohort, who are told by a direct message from
// the course account. Reviews are public replies to a submission by
// someone other than its author.
//
// Submissions are assigned in rounds. Round k of a lesson's post covers
// the day after its release that starts k-1 days after it (RoundLength);
// when it ends, every submission published before its end and not yet
// assigned is assigned together: in the order of submission, submission i
// is reviewed by the authors of submissions i+1 and i+2 (mod n). So each
// participant of a round reviews exactly two others and is reviewed by
// two, never themselves, and the same submissions in the same order give
// the same reviewers. A round with fewer than MinRound waiting submissions
// assigns none: they wait for the next round, as do submissions published
// after a round ended (late ones).
//
// It reads only public replies (Store.Thread): a followers-only or direct
// reply is never a submission or a review, and a hidden one neither.
package feedback

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/publish"
	"github.com/cohort-course/cohort/site"
)

// RoundLength is how long a round of submissions stays open: a day gives
// everyone in a cohort's time zones a working day to submit, and reviewers
// hear of their work the next morning at the latest.
const RoundLength = 24 * time.Hour

// Reviewers is how many reviewers each submission gets.
const Reviewers = 2

// MinRound is the fewest submissions a round assigns: with Reviewers = 2,
// three is the smallest ring in which nobody reviews their own work or the
// same work twice.
const MinRound = Reviewers + 1

// Interval is how often Run looks for rounds that ended.
const Interval = time.Minute

// Store is what feedback reads and writes; activitypub.Store is one.
type Store interface {
	Thread(ctx context.Context, lessonID, cohortID string) ([]activitypub.Reply, error)
	LessonObjects(ctx context.Context) ([]activitypub.LessonObject, error)
	Actor(ctx context.Context, id string) (activitypub.Actor, error)
	ActorByHandle(ctx context.Context, handle string) (activitypub.Actor, error)
	activitypub.FeedbackStore
}

// Sender sends a direct message; publish.Publisher is one.
type Sender interface {
	Direct(ctx context.Context, m publish.DirectMessage) (string, error)
}

// Options configure a Feedback.
type Options struct {
	Store Store
	Send  Sender
	// Manifest returns the lessons manifest of the last build
	// (publish.Publisher.Manifest); nil or a nil result knows no lessons.
	Manifest func() *site.Manifest
	Logger   *slog.Logger
	Now      func() time.Time
}

// Feedback assigns reviewers and reads how feedback is going.
type Feedback struct {
	o   Options
	log *slog.Logger
}

// New returns a Feedback.
func New(o Options) *Feedback {
	f := &Feedback{o: o, log: o.Logger}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.o.Now == nil {
		f.o.Now = time.Now
	}
	return f
}

// Submission is a participant's work: their first public reply to an
// assignment lesson's post.
type Submission struct {
	Reply activitypub.Reply
	Seq   int // its place in the order of submissions, from 0
	// Reviewers are the assigned reviewers, in slot order.
	Reviewers []activitypub.FeedbackAssignment
	// Reviews are the public replies to it by others than its author, in
	// published order.
	Reviews []activitypub.Reply
}

// Link is where a reviewer reads the submission: its page on its
// author's server, else its id.
func (s Submission) Link() string {
	if s.Reply.URL != "" {
		return s.Reply.URL
	}
	return s.Reply.ID
}

// Reviewed reports whether reviewer has written a review of s.
func (s Submission) Reviewed(reviewer string) bool {
	return slices.ContainsFunc(s.Reviews, func(r activitypub.Reply) bool { return r.Actor == reviewer })
}

// Lesson is an assignment lesson's post in one cohort, with its
// submissions.
type Lesson struct {
	Lesson      site.ManifestLesson
	Object      activitypub.LessonObject
	Submissions []Submission
}

// Submissions reads the submissions to a lesson's post in a cohort, with
// their reviewers and reviews, from the public thread.
func Submissions(ctx context.Context, st Store, lessonID, cohortID, objectID string) ([]Submission, error) {
	replies, err := st.Thread(ctx, lessonID, cohortID)
	if err != nil {
		return nil, fmt.Errorf("feedback %s: %w", lessonID, err)
	}
	assigned, err := st.FeedbackAssignments(ctx, lessonID, cohortID)
	if err != nil {
		return nil, fmt.Errorf("feedback %s: %w", lessonID, err)
	}
	subs := Of(replies, objectID)
	index := make(map[string]int, len(subs))
	for i := range subs {
		index[subs[i].Reply.ID] = i
	}
	for _, a := range assigned {
		if i, ok := index[a.SubmissionID]; ok {
			subs[i].Reviewers = append(subs[i].Reviewers, a)
		}
	}
	return subs, nil
}

// Of picks the submissions to the post objectID from replies ordered by
// published time (a thread as the Store gives it): each author's first
// reply to the post, with the replies to it by others as its reviews.
// Which replies count (public, shown) is the caller's choice.
func Of(replies []activitypub.Reply, objectID string) []Submission {
	var subs []Submission
	seen := map[string]bool{}
	index := map[string]int{}
	for _, r := range replies {
		if r.InReplyTo != objectID || seen[r.Actor] {
			continue
		}
		seen[r.Actor] = true
		index[r.ID] = len(subs)
		subs = append(subs, Submission{Reply: r, Seq: len(subs)})
	}
	for _, r := range replies { // in published order: the first review first
		if i, ok := index[r.InReplyTo]; ok && r.Actor != subs[i].Reply.Actor {
			subs[i].Reviews = append(subs[i].Reviews, r)
		}
	}
	return subs
}

// Ring assigns the reviewers of one round: subs in submission order,
// submission i reviewed by the authors of i+1 .. i+Reviewers (mod n). It
// returns nil for fewer than MinRound submissions.
func Ring(subs []Submission, lessonID, cohortID string, round int, at time.Time) []activitypub.FeedbackAssignment {
	n := len(subs)
	if n < MinRound {
		return nil
	}
	out := make([]activitypub.FeedbackAssignment, 0, n*Reviewers)
	for i, s := range subs {
		for slot := range Reviewers {
			reviewer := subs[(i+1+slot)%n].Reply.Actor
			out = append(out, activitypub.FeedbackAssignment{LessonID: lessonID, CohortID: cohortID,
				SubmissionID: s.Reply.ID, Submitter: s.Reply.Actor, Reviewer: reviewer, Round: round,
				Seq: s.Seq, Slot: slot, Assigned: at})
		}
	}
	return out
}

// Lessons returns the assignment lessons' posts, each cohort's post on its
// own, in manifest order.
func (f *Feedback) Lessons(ctx context.Context) ([]Lesson, error) {
	var m *site.Manifest
	if f.o.Manifest != nil {
		m = f.o.Manifest()
	}
	if m == nil {
		return nil, nil
	}
	objs, err := f.o.Store.LessonObjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("feedback: %w", err)
	}
	var out []Lesson
	for _, l := range m.Lessons {
		if !l.Assignment {
			continue
		}
		for _, o := range objs {
			if o.LessonID == l.ID && o.ContentHash != publish.DeletedHash {
				out = append(out, Lesson{Lesson: l, Object: o})
			}
		}
	}
	return out, nil
}

// Run assigns rounds as they end, every Interval, until ctx is done.
func (f *Feedback) Run(ctx context.Context) {
	t := time.NewTicker(Interval)
	defer t.Stop()
	for {
		if err := f.Assign(ctx); err != nil && ctx.Err() == nil {
			f.log.Error("feedback rounds failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Assign closes every round that has ended, of every assignment lesson's
// post, and tells each reviewer not yet told. Rounds are saved before any
// message is sent, and messages are keyed by round and reviewer, so a
// crash in between sends each one once when Assign runs again; two
// processes that assign the same round compute the same reviewers, and the
// second saves nothing.
func (f *Feedback) Assign(ctx context.Context) error {
	lessons, err := f.Lessons(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, l := range lessons {
		if err := f.assign(ctx, l); err != nil {
			errs = append(errs, fmt.Errorf("feedback %s/%s: %w", l.Lesson.ID, l.Object.CohortID, err))
		}
	}
	return errors.Join(errs...)
}

func (f *Feedback) assign(ctx context.Context, l Lesson) error {
	o := l.Object
	subs, err := Submissions(ctx, f.o.Store, o.LessonID, o.CohortID, o.ObjectID)
	if err != nil {
		return err
	}
	now := f.o.Now().UTC()
	var waiting []Submission
	for _, s := range subs {
		if len(s.Reviewers) == 0 {
			waiting = append(waiting, s)
		}
	}
	// The last round that ended takes every waiting submission published
	// before its end: those of earlier rounds too small to assign, and
	// those of rounds that ended while the companion was down.
	if len(waiting) == 0 || now.Before(o.Published.Add(RoundLength)) {
		return f.notify(ctx, l)
	}
	round := int(now.Sub(o.Published) / RoundLength)
	end := o.Published.Add(time.Duration(round) * RoundLength)
	var in []Submission
	for _, s := range waiting {
		if s.Reply.Published.Before(end) {
			in = append(in, s)
		}
	}
	if as := Ring(in, o.LessonID, o.CohortID, round, end); as != nil {
		err := f.o.Store.SaveFeedbackAssignments(ctx, as)
		if err != nil && !errors.Is(err, activitypub.ErrDuplicate) {
			return err
		}
		f.log.Info("feedback round assigned", "lesson_id", o.LessonID, "cohort_id", o.CohortID, "round", round, "submissions", len(in))
	}
	return f.notify(ctx, l)
}

// notify sends each reviewer who has not been told yet one message per
// round listing the submissions they review.
func (f *Feedback) notify(ctx context.Context, l Lesson) error {
	o := l.Object
	subs, err := Submissions(ctx, f.o.Store, o.LessonID, o.CohortID, o.ObjectID)
	if err != nil {
		return err
	}
	type batch struct {
		round    int
		reviewer string
	}
	todo := map[batch][]Submission{}
	var order []batch
	for _, s := range subs {
		for _, a := range s.Reviewers {
			if a.Notified {
				continue
			}
			b := batch{a.Round, a.Reviewer}
			if _, ok := todo[b]; !ok {
				order = append(order, b)
			}
			todo[b] = append(todo[b], s)
		}
	}
	var errs []error
	for _, b := range order {
		work := todo[b]
		key := fmt.Sprintf("feedback/%s/%s", o.ObjectID, b.reviewer)
		if b.round > 0 {
			key = fmt.Sprintf("%s/round/%d", key, b.round)
		} else {
			key = fmt.Sprintf("%s/reassigned/%s", key, work[0].Reply.ID)
		}
		_, err := f.o.Send.Direct(ctx, publish.DirectMessage{To: []string{b.reviewer}, InReplyTo: o.ObjectID,
			Key: digest(key), Content: message(l.Lesson, work)})
		if err != nil {
			errs = append(errs, fmt.Errorf("tell %s: %w", b.reviewer, err))
			continue
		}
		for _, s := range work {
			if err := f.o.Store.MarkFeedbackNotified(ctx, s.Reply.ID, b.reviewer); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// digest shortens a message key to a fixed-size path segment.
func digest(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "feedback-" + hex.EncodeToString(sum[:12])
}

// message is what a reviewer reads: which work to review, where, and the
// lesson's questions.
func message(l site.ManifestLesson, work []Submission) string {
	var b strings.Builder
	b.WriteString("<p>Peer feedback for “" + html.EscapeString(l.Title) + "”: please review ")
	if len(work) == 1 {
		b.WriteString("this submission")
	} else {
		b.WriteString("these submissions")
	}
	b.WriteString(" by replying to it.</p><ul>")
	for _, s := range work {
		u := s.Link()
		b.WriteString(`<li><a href="` + html.EscapeString(u) + `">` + html.EscapeString(u) + `</a></li>`)
	}
	b.WriteString("</ul>")
	if len(l.Feedback) > 0 {
		b.WriteString("<p>Questions to answer:</p><ol>")
		for _, q := range l.Feedback {
			b.WriteString("<li>" + html.EscapeString(q) + "</li>")
		}
		b.WriteString("</ol>")
	}
	if l.URL != "" {
		b.WriteString(`<p>The lesson: <a href="` + html.EscapeString(l.URL) + `">` + html.EscapeString(l.URL) + `</a></p>`)
	}
	return b.String()
}

// ErrNotSubmission is returned by Reassign for an id that is not a
// submission to an assignment lesson.
var ErrNotSubmission = errors.New("not a submission to an assignment lesson")

// Reassign makes reviewer (an actor IRI or @user@host handle) a reviewer
// of the submission with id submissionID in place of from ("" picks the
// first assigned reviewer who has not reviewed it yet, or adds one when it
// has fewer than Reviewers), and tells them. It returns the reviewer
// replaced ("" when one was added).
func (f *Feedback) Reassign(ctx context.Context, submissionID, reviewer, from string) (string, error) {
	lessons, err := f.Lessons(ctx)
	if err != nil {
		return "", err
	}
	to, err := f.resolve(ctx, reviewer)
	if err != nil {
		return "", err
	}
	if from != "" {
		if from, err = f.resolve(ctx, from); err != nil {
			return "", err
		}
	}
	for _, l := range lessons {
		o := l.Object
		subs, err := Submissions(ctx, f.o.Store, o.LessonID, o.CohortID, o.ObjectID)
		if err != nil {
			return "", err
		}
		i := slices.IndexFunc(subs, func(s Submission) bool { return s.Reply.ID == submissionID })
		if i < 0 {
			continue
		}
		s := subs[i]
		if to == s.Reply.Actor {
			return "", fmt.Errorf("reassign %s: %s cannot review their own submission", submissionID, reviewer)
		}
		if from == "" && len(s.Reviewers) >= Reviewers {
			for _, a := range s.Reviewers {
				if !s.Reviewed(a.Reviewer) {
					from = a.Reviewer
					break
				}
			}
			if from == "" {
				return "", fmt.Errorf("reassign %s: both reviewers have reviewed it; name one with --from: %w", submissionID, activitypub.ErrDuplicate)
			}
		}
		slot := len(s.Reviewers)
		for _, a := range s.Reviewers {
			if a.Reviewer == from {
				slot = a.Slot
			}
		}
		a := activitypub.FeedbackAssignment{LessonID: o.LessonID, CohortID: o.CohortID, SubmissionID: s.Reply.ID,
			Submitter: s.Reply.Actor, Reviewer: to, Round: 0, Seq: s.Seq, Slot: slot, Assigned: f.o.Now().UTC()}
		if err := f.o.Store.ReassignFeedback(ctx, from, a); err != nil {
			return "", fmt.Errorf("reassign %s: %w", submissionID, err)
		}
		f.log.Info("feedback reassigned", "submission", submissionID, "from", from, "to", to)
		return from, f.notify(ctx, l)
	}
	return "", fmt.Errorf("reassign %s: %w", submissionID, ErrNotSubmission)
}

// resolve turns a handle (@user@host) into the actor IRI of a known
// participant; an IRI is returned as it is.
func (f *Feedback) resolve(ctx context.Context, who string) (string, error) {
	if strings.HasPrefix(who, "http://") || strings.HasPrefix(who, "https://") {
		return who, nil
	}
	a, err := f.o.Store.ActorByHandle(ctx, who)
	if err != nil {
		return "", fmt.Errorf("reviewer %s: %w", who, err)
	}
	return a.ID, nil
}
