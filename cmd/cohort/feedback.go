package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/feedback"
	"github.com/cohort-course/cohort/activitypub/publish"
	"github.com/cohort-course/cohort/site"
)

// feedbackArgs are the flags of moderate feedback.
type feedbackArgs struct {
	lesson, cohort, reassign, to, from string
}

// moderateFeedback lists an assignment lesson's submissions that lack two
// reviews, with their reviewers, or with --reassign gives a submission
// another reviewer, who is sent the direct message (queued in the store:
// the running companion delivers it).
func moderateFeedback(ctx context.Context, cfg *site.Config, st activitypub.Store, source string, a feedbackArgs, stdout io.Writer) error {
	cohort, err := pickCohort(cfg.Cohorts, a.cohort)
	if err != nil {
		return err
	}
	manifest, err := readManifest(filepath.Join(source, "public", "lessons.json"))
	if err != nil {
		return fmt.Errorf("moderate feedback: %w", err)
	}
	lesson, ok := site.ManifestLesson{}, false
	for _, l := range manifest.Lessons {
		if l.ID == a.lesson {
			lesson, ok = l, true
		}
	}
	if !ok || !lesson.Assignment {
		return fmt.Errorf("moderate feedback: lesson %q is not an assignment in the built site (assignment = true in its front matter, then cohort build)", a.lesson)
	}
	f := cfg.Federation
	urls := activitypub.NewURLs(f.Domain, f.AllowInsecure)
	pub := publish.New(publish.Options{Store: st, URLs: urls})
	pub.Keep(&manifest)
	fb := feedback.New(feedback.Options{Store: st, Send: pub, Manifest: pub.Manifest})

	if a.reassign != "" {
		if a.to == "" {
			return fmt.Errorf("%w: --reassign needs --to @user@host", errUsage)
		}
		from, err := fb.Reassign(ctx, a.reassign, a.to, a.from)
		if errors.Is(err, activitypub.ErrNotFound) {
			return fmt.Errorf("moderate feedback: %w (a reviewer must have replied or followed once, so the companion knows them)", err)
		}
		if err != nil {
			return fmt.Errorf("moderate feedback: %w", err)
		}
		if from == "" {
			fmt.Fprintf(stdout, "%s now reviews %s; their message is queued.\n", a.to, a.reassign)
		} else {
			fmt.Fprintf(stdout, "%s now reviews %s in place of %s; their message is queued.\n", a.to, a.reassign, handleOf(ctx, st, from))
		}
		return nil
	}

	o, err := st.LessonObject(ctx, lesson.ID, cohort.ID)
	if errors.Is(err, activitypub.ErrNotFound) {
		fmt.Fprintf(stdout, "Lesson %s is not posted yet%s: no submissions.\n", lesson.ID, inCohort(cohort.ID))
		return nil
	}
	if err != nil {
		return fmt.Errorf("moderate feedback: %w", err)
	}
	subs, err := feedback.Submissions(ctx, st, o.LessonID, o.CohortID, o.ObjectID)
	if err != nil {
		return fmt.Errorf("moderate feedback: %w", err)
	}
	var short []feedback.Submission
	for _, s := range subs {
		if reviewers(s) < feedback.Reviewers {
			short = append(short, s)
		}
	}
	fmt.Fprintf(stdout, "Lesson %s%s: %s, %d without %d reviews.\n", lesson.ID, inCohort(cohort.ID),
		plural(len(subs), "submission", "submissions"), len(short), feedback.Reviewers)
	if len(short) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBMISSION\tAUTHOR\tREVIEWS\tREVIEWERS")
	for _, s := range short {
		var who []string
		for _, r := range s.Reviewers {
			h := handleOf(ctx, st, r.Reviewer)
			if s.Reviewed(r.Reviewer) {
				h += " (reviewed)"
			}
			who = append(who, h)
		}
		if len(who) == 0 {
			who = []string{"none yet: waits for a round of " + fmt.Sprint(feedback.MinRound)}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.Reply.ID, handleOf(ctx, st, s.Reply.Actor), reviewers(s), strings.Join(who, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Reassign with: cohort moderate feedback %s --reassign SUBMISSION --to @user@host [--from @user@host]\n", lesson.ID)
	return nil
}

// reviewers counts the distinct peers who reviewed s.
func reviewers(s feedback.Submission) int {
	seen := map[string]bool{}
	for _, r := range s.Reviews {
		seen[r.Actor] = true
	}
	return len(seen)
}

// handleOf names an actor by handle when the store knows them.
func handleOf(ctx context.Context, st activitypub.Store, actorID string) string {
	a, err := st.Actor(ctx, actorID)
	if err != nil || a.PreferredUsername == "" {
		return actorID
	}
	return publish.Handle(a)
}

func inCohort(id string) string {
	if id == "" {
		return ""
	}
	return " (cohort " + id + ")"
}
