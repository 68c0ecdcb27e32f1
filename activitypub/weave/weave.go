// Package weave drafts the e-moderator's weekly weave: a Markdown page for
// content/weave/ that quotes one week of a cohort's discussion (its featured
// replies, its most-discussed threads and its questions still waiting for an
// answer), each with its author and a link, for the moderator to edit and
// publish as a lesson of the cohort.
//
// It reads the store and never changes it. It is not the organiser's report
// (activitypub/report, figures for the whole cohort) nor the publisher, which
// posts the page once it is no longer a draft (activitypub/publish).
package weave

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/site"
)

// Store is the part of the companion's store a weave reads.
type Store interface {
	// Replies lists the listable, not deleted replies in every state.
	Replies(ctx context.Context, f activitypub.ReplyFilter) ([]activitypub.Reply, error)
	// Features gives a lesson's featured replies in one cohort.
	Features(ctx context.Context, lessonID, cohortID string) ([]activitypub.Feature, error)
	// Actor gives an author's handle and name, or ErrNotFound.
	Actor(ctx context.Context, id string) (activitypub.Actor, error)
	// Blocks lists the blocked actors and domains, whose replies are never quoted.
	Blocks(ctx context.Context) ([]activitypub.Block, error)
}

// Module is the id of the module weave pages are lessons of: content/weave/.
const Module = "weave"

// DiscussedLimit is how many of the week's most-discussed threads a weave
// quotes, and QuestionLimit how many open questions: a weave is read in a
// few minutes, and the moderator adds what they miss.
const (
	DiscussedLimit = 3
	QuestionLimit  = 5
)

// ErrWeek is wrapped by Compute's error for a week the cohort does not have,
// or one that has not begun.
var ErrWeek = errors.New("week out of range")

// ErrPrivate is wrapped by Compute's error for a private cohort whose
// participants did not agree to show their discussion: a weave is a public page.
var ErrPrivate = errors.New("private cohort")

// Request says which week of which cohort to weave.
type Request struct {
	Manifest site.Manifest // lesson titles, pages and release dates (the built lessons.json)
	Cohort   site.Cohort
	Week     int       // from 1: the cohort's first seven days
	Now      time.Time // replies published after this are left out
	// Moderators are handles (@user@host, or *@host); their replies are
	// quoted like anyone's, but their questions are not open questions.
	Moderators []string
}

// Weave is one week of a cohort's discussion, picked and ordered.
type Weave struct {
	Cohort     site.Cohort
	Week       int
	Start, End time.Time // the week: Start inclusive, End exclusive
	Now        time.Time
	Language   string  // the course's, for the page's words
	Featured   []Quote // featured replies of the week, in course order then pinned order
	Discussed  []Quote // roots of the threads with the most replies that week
	Questions  []Quote // participants' questions of the week nobody else has answered
	// DiscussedAbove counts lively threads left out of Discussed because
	// their first reply is quoted among the featured ones.
	DiscussedAbove int
	replyCounts    map[string]int
}

// Quote is one reply as the weave quotes it.
type Quote struct {
	ReplyID     string
	URL         string // the reply's page on its author's server (its id when none)
	Actor       string
	Handle      string // @user@host, or the actor URI when the actor is unknown
	Name        string // display name, may be empty
	Text        string // the reply as plain text, paragraphs split by blank lines
	Published   time.Time
	LessonTitle string
	LessonURL   string
	Replies     int // for a discussed thread: replies under it that week
}

// Weeks returns how many weeks cohort's schedule spans in m: the week of
// the last lesson that opens for it (weave pages aside). A manifest without
// releases for the cohort has none.
func Weeks(m site.Manifest, cohort site.Cohort) int {
	start, n := cohort.StartTime(), 0
	for _, l := range m.Lessons {
		at, ok := l.Releases[cohort.ID]
		if !ok || l.Module == Module {
			continue
		}
		n = max(n, weekOf(start, at))
	}
	return n
}

// weekOf is the week (from 1) of cohort time t for a cohort that starts at
// start; weeks keep their wall-clock start across daylight saving.
func weekOf(start, t time.Time) int {
	n := 1
	for !t.Before(WeekStart(start, n+1)) {
		n++
	}
	return n
}

// WeekStart is the first moment of week n of a cohort that starts at start.
func WeekStart(start time.Time, n int) time.Time {
	return start.AddDate(0, 0, 7*(n-1))
}

// Compute picks the quotes of the week req asks for. Only shown, public or
// unlisted replies in the cohort's threads by authors no block covers are
// read. It returns an error wrapping ErrWeek for a week before 1, after the
// schedule's last or not begun at req.Now, and one wrapping ErrPrivate for a
// private cohort without show_discussion.
func Compute(ctx context.Context, st Store, req Request) (*Weave, error) {
	if req.Cohort.Audience == "private" && !req.Cohort.ShowDiscussion {
		return nil, fmt.Errorf("weave: cohort %s: %w whose participants did not agree to show their discussion (show_discussion)", req.Cohort.ID, ErrPrivate)
	}
	weeks := Weeks(req.Manifest, req.Cohort)
	if weeks == 0 {
		return nil, fmt.Errorf("weave: cohort %s: %w: lessons.json has no lesson opening for it (build the course first)", req.Cohort.ID, ErrWeek)
	}
	start := req.Cohort.StartTime()
	w := &Weave{Cohort: req.Cohort, Week: req.Week, Now: req.Now, Language: req.Manifest.Language,
		Start: WeekStart(start, req.Week), End: WeekStart(start, req.Week+1), replyCounts: map[string]int{}}
	switch {
	case req.Week < 1 || req.Week > weeks:
		return nil, fmt.Errorf("weave: week %d of cohort %s: %w: its weeks are 1 to %d", req.Week, req.Cohort.ID, ErrWeek, weeks)
	case req.Now.Before(w.Start):
		return nil, fmt.Errorf("weave: week %d of cohort %s: %w: it begins %s, nothing to weave yet", req.Week, req.Cohort.ID, ErrWeek, w.Start.Format("2006-01-02 15:04 MST"))
	}

	all, err := st.Replies(ctx, activitypub.ReplyFilter{State: activitypub.Shown})
	if err != nil {
		return nil, fmt.Errorf("weave: replies: %w", err)
	}
	blocks, err := st.Blocks(ctx)
	if err != nil {
		return nil, fmt.Errorf("weave: blocks: %w", err)
	}
	byID := map[string]activitypub.Reply{}
	for _, r := range all {
		if _, blocked := activitypub.BlockedBy(blocks, r.Actor); blocked || r.CohortID != req.Cohort.ID || r.Published.After(req.Now) {
			continue
		}
		byID[r.ID] = r
	}
	var week []activitypub.Reply
	for _, r := range byID {
		if !r.Published.Before(w.Start) && r.Published.Before(w.End) {
			week = append(week, r)
		}
	}
	slices.SortFunc(week, func(a, b activitypub.Reply) int {
		return cmp.Or(a.Published.Compare(b.Published), cmp.Compare(a.ID, b.ID))
	})

	q := quoter{st: st, lessons: lessonsOf(req.Manifest), authors: map[string]activitypub.Actor{}}
	quoted := map[string]bool{}
	featured, err := q.featured(ctx, req, week)
	if err != nil {
		return nil, err
	}
	for _, r := range featured {
		quote, err := q.quote(ctx, r)
		if err != nil {
			return nil, err
		}
		w.Featured = append(w.Featured, quote)
		quoted[r.ID] = true
	}
	for _, t := range discussed(byID, week) {
		if quoted[t.root.ID] {
			w.DiscussedAbove++
			continue
		}
		if len(w.Discussed) == DiscussedLimit {
			break
		}
		quote, err := q.quote(ctx, t.root)
		if err != nil {
			return nil, err
		}
		quote.Replies = t.replies
		w.Discussed = append(w.Discussed, quote)
		quoted[t.root.ID] = true
	}
	rules := activitypub.Moderation{Moderators: append(slices.Clone(req.Moderators), req.Cohort.Moderators...)}
	for _, r := range week {
		if quoted[r.ID] || !IsQuestion(r.Content) || answered(byID, r) {
			continue
		}
		a, err := q.author(ctx, r.Actor)
		if err != nil {
			return nil, err
		}
		if rules.IsModerator(r.Actor, a.Handle()) {
			continue
		}
		if len(w.Questions) == QuestionLimit {
			break
		}
		quote, err := q.quote(ctx, r)
		if err != nil {
			return nil, err
		}
		w.Questions = append(w.Questions, quote)
		quoted[r.ID] = true
	}
	return w, nil
}

// Quotes lists the ids of every quoted reply, in the page's order.
func (w *Weave) Quotes() []string {
	var ids []string
	for _, list := range [][]Quote{w.Featured, w.Discussed, w.Questions} {
		for _, q := range list {
			ids = append(ids, q.ReplyID)
		}
	}
	return ids
}

// thread is a top-level reply and how many replies came under it in the week.
type thread struct {
	root    activitypub.Reply
	replies int
}

// discussed returns the threads that grew in the week, most replies first,
// then the older root, then by id.
func discussed(byID map[string]activitypub.Reply, week []activitypub.Reply) []thread {
	counts := map[string]int{}
	for _, r := range week {
		if root, ok := rootOf(byID, r); ok && root.ID != r.ID {
			counts[root.ID]++
		}
	}
	var out []thread
	for id, n := range counts {
		out = append(out, thread{byID[id], n})
	}
	slices.SortFunc(out, func(a, b thread) int {
		return cmp.Or(cmp.Compare(b.replies, a.replies), a.root.Published.Compare(b.root.Published), cmp.Compare(a.root.ID, b.root.ID))
	})
	return out
}

// rootOf walks up from r to the reply that answers the lesson itself. It
// reports false when a link is missing (a parent hidden, held or deleted).
func rootOf(byID map[string]activitypub.Reply, r activitypub.Reply) (activitypub.Reply, bool) {
	for range len(byID) + 1 { // a loop of InReplyTo cannot hold us
		parent, ok := byID[r.InReplyTo]
		if !ok {
			return r, isLessonReply(r, byID)
		}
		r = parent
	}
	return r, false
}

// isLessonReply reports whether r answers a post that is not a reply we
// hold: the lesson's post, as far as the store knows.
func isLessonReply(r activitypub.Reply, byID map[string]activitypub.Reply) bool {
	_, isReply := byID[r.InReplyTo]
	return !isReply && r.InReplyTo != ""
}

// answered reports whether anyone but its author replied to r.
func answered(byID map[string]activitypub.Reply, r activitypub.Reply) bool {
	for _, other := range byID {
		if other.InReplyTo == r.ID && other.Actor != r.Actor {
			return true
		}
	}
	return false
}

// quoter turns replies into quotes, reading each author once.
type quoter struct {
	st      Store
	lessons map[string]site.ManifestLesson
	authors map[string]activitypub.Actor
}

func (q *quoter) author(ctx context.Context, id string) (activitypub.Actor, error) {
	if a, ok := q.authors[id]; ok {
		return a, nil
	}
	a, err := q.st.Actor(ctx, id)
	if err != nil && !errors.Is(err, activitypub.ErrNotFound) {
		return a, fmt.Errorf("weave: author %s: %w", id, err)
	}
	a.ID = id
	q.authors[id] = a
	return a, nil
}

func (q *quoter) quote(ctx context.Context, r activitypub.Reply) (Quote, error) {
	a, err := q.author(ctx, r.Actor)
	if err != nil {
		return Quote{}, err
	}
	handle := a.Handle()
	if handle == "" {
		handle = a.ID
	}
	link := r.URL
	if link == "" {
		link = r.ID
	}
	l := q.lessons[r.LessonID]
	title := l.Title
	if title == "" {
		title = r.LessonID
	}
	return Quote{ReplyID: r.ID, URL: link, Actor: r.Actor, Handle: handle, Name: a.Name, Text: Text(r.Content),
		Published: r.Published, LessonTitle: title, LessonURL: l.URL}, nil
}

// featured returns the week's featured replies: lessons in course order,
// each lesson's in pinned order.
func (q *quoter) featured(ctx context.Context, req Request, week []activitypub.Reply) ([]activitypub.Reply, error) {
	inWeek := map[string]activitypub.Reply{}
	lessonIDs := map[string]bool{}
	for _, r := range week {
		inWeek[r.ID] = r
		lessonIDs[r.LessonID] = true
	}
	ids := make([]string, 0, len(lessonIDs))
	for id := range lessonIDs {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(q.lessons[a].Order, q.lessons[b].Order), cmp.Compare(a, b))
	})
	var out []activitypub.Reply
	for _, id := range ids {
		fs, err := q.st.Features(ctx, id, req.Cohort.ID)
		if err != nil {
			return nil, fmt.Errorf("weave: featured replies of %s: %w", id, err)
		}
		for _, f := range fs {
			if r, ok := inWeek[f.ReplyID]; ok {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func lessonsOf(m site.Manifest) map[string]site.ManifestLesson {
	out := make(map[string]site.ManifestLesson, len(m.Lessons))
	for _, l := range m.Lessons {
		out[l.ID] = l
	}
	return out
}
