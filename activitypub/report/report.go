// Package report computes the organiser's report of one cohort from the
// companion's store: who took part, which lessons were discussed, how the
// discussion went week by week, and how quickly moderators answered. It
// returns plain figures (Compute) and writes them as an HTML page with
// inline SVG charts and as CSV files (Write).
//
// It reads the store and never changes it; it is not the moderation queue
// (see activitypub/moderation) nor the public threads (activitypub/discovery).
package report

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

// Store is the part of the companion's store a report reads.
type Store interface {
	// Replies lists the listable, not deleted replies in every state.
	Replies(ctx context.Context, f activitypub.ReplyFilter) ([]activitypub.Reply, error)
	// LessonObjects gives each lesson's post per cohort, to tell cohorts apart.
	LessonObjects(ctx context.Context) ([]activitypub.LessonObject, error)
	// Actor gives an author's handle and name, or ErrNotFound.
	Actor(ctx context.Context, id string) (activitypub.Actor, error)
	// Blocks lists the blocked actors and domains, whose replies are off the pages.
	Blocks(ctx context.Context) ([]activitypub.Block, error)
}

// Week is the length of a report week, counted from the cohort's start.
const Week = 7 * 24 * time.Hour

// MostDiscussedLimit is how many lessons the most-discussed list keeps: a
// short list an organiser reads at a glance.
const MostDiscussedLimit = 5

// Report is the figures of one cohort's discussion, sorted and ready to print.
type Report struct {
	CourseTitle string
	CohortID    string    // "" when the course has no cohorts
	CohortName  string    // the cohort's name, or "" without one
	Start       time.Time // the first moment of week 1
	Now         time.Time // replies published after this are not counted

	Replies      int // counted replies: shown, public or unlisted, not deleted
	Participants []Participant
	Lessons      []Lesson // every lesson of the manifest, in course order, then unknown ones by id
	Weeks        []WeekFigures
	Moderators   []Participant // moderators who replied, with their own figures
	Response     Response
	// MostDiscussed is up to MostDiscussedLimit lessons with replies: most
	// replies first, then most participants, then course order.
	MostDiscussed []Lesson
	// Moderated are the replies moderators took off the pages (hidden, or
	// by a blocked author) and those still waiting for approval (held),
	// oldest first. They are not in any other figure.
	Moderated []Moderated
	// Feedback is the peer-feedback coverage of the assignment lessons
	// (issue 14); empty without any.
	Feedback Feedback
}

// Participant is one author's figures. For a moderator the same figures
// count the moderator's replies.
type Participant struct {
	Actor   string    // actor URI
	Handle  string    // @user@host, or the actor URI when the actor is unknown
	Name    string    // display name, may be empty
	First   time.Time // first counted reply
	Replies int       // counted replies
	Lessons int       // distinct lessons replied to
}

// Lesson is one lesson's figures.
type Lesson struct {
	ID               string
	Title            string // the manifest's title, or the id when the lesson is not in it
	Module           string
	Replies          int // all counted replies, moderators' included
	Participants     int // distinct participants (not moderators) who replied
	ModeratorReplies int
}

// WeekFigures is one week of the cohort: Number 1 starts at Report.Start.
// Replies published before the start fall in week 0 or earlier.
type WeekFigures struct {
	Number  int
	Start   time.Time
	Replies int // counted replies, moderators' included
	Active  int // distinct participants (not moderators) who replied that week
}

// Response is how quickly moderators answered participants. A participant's
// reply is answered by the first later moderator reply in the same
// conversation: the replies under the same top-level reply to the lesson.
type Response struct {
	ParticipantReplies int           // counted replies by participants
	Answered           int           // of those, how many a moderator answered
	Median             time.Duration // median time to that answer; 0 when none was answered
}

// Moderated is a reply kept off the pages.
type Moderated struct {
	ID        string
	LessonID  string
	Handle    string
	Published time.Time
	State     string // "hidden", "held" or "blocked"
}

// Compute reads the store and returns the report of cohort as at now.
// Weeks start at the cohort's StartTime, in its time zone, so a week
// across a change to daylight saving time still starts at the same hour.
// A cohort with a zero Start starts on the UTC day of the first counted
// reply. Only public or unlisted, not deleted replies published by now are
// read; of these, shown replies by unblocked authors are counted and the
// rest are listed in Moderated. When cohort.ID is set, replies in another
// cohort's thread are left out. moderators, with the cohort's own, are handles (@user@host, or
// *@host for a whole domain); their replies count apart from participants'.
func Compute(ctx context.Context, st Store, manifest site.Manifest, cohort site.Cohort, moderators []string, now time.Time) (*Report, error) {
	all, err := st.Replies(ctx, activitypub.ReplyFilter{})
	if err != nil {
		return nil, fmt.Errorf("report: replies: %w", err)
	}
	objects, err := st.LessonObjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: lesson objects: %w", err)
	}
	blocks, err := st.Blocks(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: blocks: %w", err)
	}
	c := newCounter(all, objects)
	rules := activitypub.Moderation{Moderators: append(slices.Clone(moderators), cohort.Moderators...)}

	var counted []activitypub.Reply
	rep := &Report{CourseTitle: manifest.Title, CohortID: cohort.ID, CohortName: cohort.Name, Now: now}
	if !cohort.Start.IsZero() {
		rep.Start = cohort.StartTime() // wall-clock time in the cohort's zone
	}
	authors := map[string]activitypub.Actor{}
	for _, r := range all {
		if r.Published.After(now) || !c.inCohort(r, cohort.ID) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		a, ok := authors[r.Actor]
		if !ok {
			a, err = st.Actor(ctx, r.Actor)
			if err != nil && !errors.Is(err, activitypub.ErrNotFound) {
				return nil, fmt.Errorf("report: author of %s: %w", r.ID, err)
			}
			a.ID = r.Actor
			authors[r.Actor] = a
		}
		state := string(r.State)
		if _, blocked := activitypub.BlockedBy(blocks, r.Actor); blocked && r.State == activitypub.Shown {
			state = "blocked"
		}
		if state != string(activitypub.Shown) {
			rep.Moderated = append(rep.Moderated, Moderated{ID: r.ID, LessonID: r.LessonID, Handle: handleOf(a), Published: r.Published.UTC(), State: state})
			continue
		}
		counted = append(counted, r)
	}
	sortByTime(counted)
	slices.SortFunc(rep.Moderated, func(a, b Moderated) int {
		return cmp.Or(a.Published.Compare(b.Published), cmp.Compare(a.ID, b.ID))
	})
	if rep.Start.IsZero() && len(counted) > 0 {
		rep.Start = counted[0].Published.UTC().Truncate(24 * time.Hour)
	}
	isMod := func(actor string) bool { return rules.IsModerator(actor, authors[actor].Handle()) }

	rep.Replies = len(counted)
	rep.Participants, rep.Moderators = people(counted, authors, isMod)
	rep.Lessons = lessons(manifest, counted, isMod)
	rep.Weeks = weeks(rep.Start, counted, isMod)
	rep.Response = c.response(counted, isMod)
	rep.MostDiscussed = mostDiscussed(rep.Lessons)
	rep.Feedback = feedbackCoverage(manifest, objects, cohort.ID, counted, authors, isMod) // feedback.go
	return rep, nil
}

// handleOf is the actor's handle, or its URI when the handle is unknown.
func handleOf(a activitypub.Actor) string {
	if h := a.Handle(); h != "" {
		return h
	}
	return a.ID
}

// sortByTime orders replies by Published, then ID.
func sortByTime(rs []activitypub.Reply) {
	slices.SortFunc(rs, func(a, b activitypub.Reply) int {
		return cmp.Or(a.Published.Compare(b.Published), cmp.Compare(a.ID, b.ID))
	})
}

// counter knows the shape of the threads: which lesson post (and so which
// cohort) each reply hangs from, and its top-level reply.
type counter struct {
	parent  map[string]string // reply id → what it answers
	cohorts map[string]string // lesson object id → cohort id
}

func newCounter(all []activitypub.Reply, objects []activitypub.LessonObject) *counter {
	c := &counter{parent: map[string]string{}, cohorts: map[string]string{}}
	for _, r := range all {
		c.parent[r.ID] = r.InReplyTo
	}
	for _, o := range objects {
		c.cohorts[o.ObjectID] = o.CohortID
	}
	return c
}

// maxDepth bounds the walk up a thread, so a loop of InReplyTo written by
// a misbehaving server cannot hang the report. Real threads are far shallower.
const maxDepth = 1000

// top returns the reply's top-level reply (the one that answers the lesson
// post, or the highest one the store has) and what that one answers.
func (c *counter) top(r activitypub.Reply) (top, root string) {
	top, root = r.ID, r.InReplyTo
	for range maxDepth {
		up, ok := c.parent[root]
		if !ok {
			break
		}
		top, root = root, up
	}
	return top, root
}

// inCohort reports whether r belongs to the cohort: with no cohort, or a
// thread whose lesson post is unknown or has no cohort, every reply does.
func (c *counter) inCohort(r activitypub.Reply, cohort string) bool {
	if cohort == "" {
		return true
	}
	_, root := c.top(r)
	id, ok := c.cohorts[root]
	return !ok || id == "" || id == cohort
}

// people returns the participants' and the moderators' figures, each
// sorted by first reply, then handle.
func people(counted []activitypub.Reply, authors map[string]activitypub.Actor, isMod func(string) bool) (participants, moderators []Participant) {
	byActor := map[string]*Participant{}
	lessons := map[[2]string]bool{}
	var order []string
	for _, r := range counted { // oldest first, so First is the first seen
		p, ok := byActor[r.Actor]
		if !ok {
			a := authors[r.Actor]
			p = &Participant{Actor: r.Actor, Handle: handleOf(a), Name: a.Name, First: r.Published.UTC()}
			byActor[r.Actor] = p
			order = append(order, r.Actor)
		}
		p.Replies++
		if k := [2]string{r.Actor, r.LessonID}; !lessons[k] {
			lessons[k] = true
			p.Lessons++
		}
	}
	participants, moderators = []Participant{}, []Participant{}
	for _, actor := range order {
		if isMod(actor) {
			moderators = append(moderators, *byActor[actor])
		} else {
			participants = append(participants, *byActor[actor])
		}
	}
	byFirst := func(a, b Participant) int { return cmp.Or(a.First.Compare(b.First), cmp.Compare(a.Handle, b.Handle)) }
	slices.SortStableFunc(participants, byFirst)
	slices.SortStableFunc(moderators, byFirst)
	return participants, moderators
}

// lessons returns each lesson's figures: the manifest's lessons in course
// order (module order, then lesson order, then id), then lessons with
// replies that the manifest does not know, by id.
func lessons(m site.Manifest, counted []activitypub.Reply, isMod func(string) bool) []Lesson {
	moduleOrder := map[string]int{}
	for _, mod := range m.Modules {
		moduleOrder[mod.ID] = mod.Order
	}
	known := slices.Clone(m.Lessons)
	slices.SortStableFunc(known, func(a, b site.ManifestLesson) int {
		return cmp.Or(cmp.Compare(moduleOrder[a.Module], moduleOrder[b.Module]), cmp.Compare(a.Order, b.Order), cmp.Compare(a.ID, b.ID))
	})
	out := []Lesson{}
	index := map[string]int{}
	for _, l := range known {
		if _, dup := index[l.ID]; dup {
			continue
		}
		index[l.ID] = len(out)
		out = append(out, Lesson{ID: l.ID, Title: l.Title, Module: l.Module})
	}
	var unknown []string
	for _, r := range counted {
		if _, ok := index[r.LessonID]; !ok && !slices.Contains(unknown, r.LessonID) {
			unknown = append(unknown, r.LessonID)
		}
	}
	slices.Sort(unknown)
	for _, id := range unknown {
		index[id] = len(out)
		out = append(out, Lesson{ID: id, Title: id})
	}
	seen := map[[2]string]bool{}
	for _, r := range counted {
		l := &out[index[r.LessonID]]
		l.Replies++
		switch k := [2]string{r.LessonID, r.Actor}; {
		case isMod(r.Actor):
			l.ModeratorReplies++
		case !seen[k]:
			seen[k] = true
			l.Participants++
		}
	}
	return out
}

// weekStart returns the first moment of week n, week 1 starting at start:
// whole calendar days later in start's time zone.
func weekStart(start time.Time, n int) time.Time {
	return start.AddDate(0, 0, 7*(n-1))
}

// weekOf returns the number of the week t falls in, week 1 starting at start.
func weekOf(start, t time.Time) int {
	n := int(t.Sub(start)/Week) + 1 // off by one at most, near a daylight saving change
	if t.Before(start) && t.Sub(start)%Week != 0 {
		n-- // round towards the past: a day before the start is week 0
	}
	for t.Before(weekStart(start, n)) {
		n--
	}
	for !t.Before(weekStart(start, n+1)) {
		n++
	}
	return n
}

// weeks returns every week from week 1 (or the earliest week with a
// reply, if earlier) to the last week with a reply, none missing.
func weeks(start time.Time, counted []activitypub.Reply, isMod func(string) bool) []WeekFigures {
	out := []WeekFigures{}
	if len(counted) == 0 {
		return out
	}
	first := min(1, weekOf(start, counted[0].Published))
	last := max(1, weekOf(start, counted[len(counted)-1].Published))
	for n := first; n <= last; n++ {
		out = append(out, WeekFigures{Number: n, Start: weekStart(start, n)})
	}
	active := map[string]bool{}
	for _, r := range counted {
		n := weekOf(start, r.Published)
		w := &out[n-first]
		w.Replies++
		k := fmt.Sprint(n, " ", r.Actor)
		if !isMod(r.Actor) && !active[k] {
			active[k] = true
			w.Active++
		}
	}
	return out
}

// response measures, for each participant's reply, the time to the first
// later moderator reply in its conversation, and takes the median.
func (c *counter) response(counted []activitypub.Reply, isMod func(string) bool) Response {
	modReplies := map[string][]time.Time{} // top-level reply → moderator replies' times, oldest first
	for _, r := range counted {
		if isMod(r.Actor) {
			top, _ := c.top(r)
			modReplies[top] = append(modReplies[top], r.Published)
		}
	}
	var res Response
	var waits []time.Duration
	for _, r := range counted {
		if isMod(r.Actor) {
			continue
		}
		res.ParticipantReplies++
		top, _ := c.top(r)
		times := modReplies[top]
		i, _ := slices.BinarySearchFunc(times, r.Published, func(t, target time.Time) int {
			if t.After(target) {
				return 1
			}
			return -1
		})
		if i < len(times) {
			waits = append(waits, times[i].Sub(r.Published))
		}
	}
	res.Answered = len(waits)
	res.Median = median(waits)
	return res
}

// median returns the middle duration, the mean of the two middle ones for
// an even count, or 0 for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}

// mostDiscussed returns the lessons with the most replies.
func mostDiscussed(ls []Lesson) []Lesson {
	var out []Lesson
	for i, l := range ls {
		if l.Replies > 0 {
			out = append(out, ls[i])
		}
	}
	// Stable on course order, so ties keep it.
	slices.SortStableFunc(out, func(a, b Lesson) int {
		return cmp.Or(cmp.Compare(b.Replies, a.Replies), cmp.Compare(b.Participants, a.Participants))
	})
	if len(out) > MostDiscussedLimit {
		out = out[:MostDiscussedLimit]
	}
	if out == nil {
		out = []Lesson{}
	}
	return out
}
