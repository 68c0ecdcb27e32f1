package feedback_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/feedback"
	"github.com/cohort-course/cohort/activitypub/publish"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// TestRingIsEvenAndNeverSelf: for every round size, each participant
// reviews exactly two others and is reviewed by two, never themselves,
// never the same work twice; the same submissions give the same ring.
func TestRingIsEvenAndNeverSelf(t *testing.T) {
	for n := 0; n <= 12; n++ {
		subs := make([]feedback.Submission, n)
		for i := range subs {
			subs[i] = feedback.Submission{Seq: i, Reply: activitypub.Reply{ID: fmt.Sprintf("s%d", i), Actor: fmt.Sprintf("a%d", i)}}
		}
		as := feedback.Ring(subs, "l", "", 1, time.Time{})
		if n < feedback.MinRound {
			if as != nil {
				t.Errorf("n=%d: assigned %d, want none (too few to review each other)", n, len(as))
			}
			continue
		}
		gives, gets := map[string]int{}, map[string]int{}
		pairs := map[string]bool{}
		for _, a := range as {
			if a.Reviewer == a.Submitter {
				t.Errorf("n=%d: %s reviews their own work", n, a.Reviewer)
			}
			if pairs[a.SubmissionID+a.Reviewer] {
				t.Errorf("n=%d: %s reviews %s twice", n, a.Reviewer, a.SubmissionID)
			}
			pairs[a.SubmissionID+a.Reviewer] = true
			gives[a.Reviewer]++
			gets[a.Submitter]++
		}
		for i := range n {
			who := fmt.Sprintf("a%d", i)
			if gives[who] != feedback.Reviewers || gets[who] != feedback.Reviewers {
				t.Errorf("n=%d: %s gives %d and gets %d reviews, want %d each", n, who, gives[who], gets[who], feedback.Reviewers)
			}
		}
		again := feedback.Ring(subs, "l", "", 1, time.Time{})
		for i := range as {
			if as[i] != again[i] {
				t.Fatalf("n=%d: the ring differs on a second run", n)
			}
		}
	}
}

// course is a course without cohorts whose lesson "essay" asks for work.
type course struct {
	st    *sqlite.Store
	fb    *feedback.Feedback
	now   time.Time
	post  string
	users []string
}

const base = "https://course.example.org"

var released = time.Date(2026, 9, 7, 9, 0, 0, 0, time.UTC)

func newCourse(t *testing.T, users int) *course {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &course{st: st, now: released, post: base + "/lessons/essay"}
	clock := func() time.Time { return c.now }
	st.Now = clock
	m := &site.Manifest{Lessons: []site.ManifestLesson{{ID: "essay", Title: "Write <an> essay", URL: base + "/essay/",
		Assignment: true, Feedback: []string{"What works?", "What would you change?"}, Hash: "h"}}}
	pub := publish.New(publish.Options{Store: st, URLs: activitypub.URLs{Base: base}, Now: clock})
	pub.Keep(m)
	if err := st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "essay", ObjectID: c.post, Published: released, ContentHash: "h"}); err != nil {
		t.Fatal(err)
	}
	for i := range users {
		id := fmt.Sprintf("https://s%d.example/users/u%d", i%3, i)
		c.users = append(c.users, id)
		if err := st.SaveActor(ctx, activitypub.Actor{ID: id, Inbox: id + "/inbox", PreferredUsername: fmt.Sprintf("u%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	c.fb = feedback.New(feedback.Options{Store: st, Send: pub, Manifest: pub.Manifest, Now: clock})
	return c
}

// submit has user i reply to the post (or to parent) at the course's now.
func (c *course) reply(t *testing.T, i int, n int, parent string, vis activitypub.Visibility) string {
	t.Helper()
	id := fmt.Sprintf("%s/statuses/%d", c.users[i], n)
	if parent == "" {
		parent = c.post
	}
	err := c.st.SaveReply(context.Background(), activitypub.Reply{ID: id, LessonID: "essay", InReplyTo: parent, Actor: c.users[i],
		URL: id, Published: c.now, Content: "<p>work</p>", Visibility: vis})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (c *course) reviewers(t *testing.T) map[string][]string {
	t.Helper()
	as, err := c.st.FeedbackAssignments(context.Background(), "essay", "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, a := range as {
		out[a.SubmissionID] = append(out[a.SubmissionID], a.Reviewer)
	}
	return out
}

// TestRounds: nothing is assigned before the first round ends; then the
// round's submissions review each other, and each reviewer gets one
// message; a follower-only reply and a second reply by the same author are
// not submissions; two late submissions wait until a third joins them in
// a later round.
func TestRounds(t *testing.T) {
	ctx := context.Background()
	c := newCourse(t, 6)
	var subs []string
	for i := range 3 {
		c.now = released.Add(time.Duration(i+1) * time.Hour)
		subs = append(subs, c.reply(t, i, 1, "", activitypub.Public))
	}
	c.reply(t, 0, 2, "", activitypub.Public)        // alice's second reply: not a second submission
	c.reply(t, 3, 1, "", activitypub.FollowersOnly) // never a submission
	must(t, c.fb.Assign(ctx))
	if got := c.reviewers(t); len(got) != 0 {
		t.Fatalf("assigned before the round ended: %v", got)
	}
	c.now = released.Add(feedback.RoundLength + time.Minute)
	must(t, c.fb.Assign(ctx))
	got := c.reviewers(t)
	want := map[string][]string{subs[0]: {c.users[1], c.users[2]}, subs[1]: {c.users[2], c.users[0]}, subs[2]: {c.users[0], c.users[1]}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("round 1 = %v, want %v", got, want)
	}
	for i := range 3 {
		ds := deliveriesTo(t, c.st, c.users[i]+"/inbox")
		if len(ds) != 1 || !strings.Contains(ds[0], "What would you change?") || !strings.Contains(ds[0], "Write &lt;an&gt; essay") {
			t.Fatalf("user %d got %d messages: %v", i, len(ds), ds)
		}
	}
	must(t, c.fb.Assign(ctx)) // again: nothing new, nobody told twice
	if ds := deliveriesTo(t, c.st, c.users[0]+"/inbox"); len(ds) != 1 {
		t.Fatalf("a second Assign sent %d messages to user 0", len(ds))
	}

	// Two late submissions in round 2: too few; they wait.
	c.now = released.Add(feedback.RoundLength + 2*time.Hour)
	late1 := c.reply(t, 4, 1, "", activitypub.Public)
	late2 := c.reply(t, 5, 1, "", activitypub.Public)
	c.now = released.Add(2*feedback.RoundLength + time.Minute)
	must(t, c.fb.Assign(ctx))
	if got := c.reviewers(t); len(got[late1]) != 0 || len(got[late2]) != 0 {
		t.Fatalf("two submissions were assigned alone: %v", got)
	}
	// The follower-only author now submits publicly: round 3 has three.
	c.now = released.Add(2*feedback.RoundLength + time.Hour)
	late3 := c.reply(t, 3, 2, "", activitypub.Public)
	c.now = released.Add(3*feedback.RoundLength + time.Minute)
	must(t, c.fb.Assign(ctx))
	got = c.reviewers(t)
	if fmt.Sprint(got[late3]) != fmt.Sprint([]string{c.users[4], c.users[5]}) || len(got[late1]) != 2 || len(got[late2]) != 2 {
		t.Fatalf("round 3 = %v", got)
	}
	as, _ := c.st.FeedbackAssignments(ctx, "essay", "")
	if as[len(as)-1].Round != 3 {
		t.Fatalf("last round = %d, want 3", as[len(as)-1].Round)
	}
}

// TestReviewsAndReassign: a reply to a submission by its reviewer is a
// review, one by its author is not; a moderator reassigns the reviewer who
// has not reviewed, and the new reviewer is told.
func TestReviewsAndReassign(t *testing.T) {
	ctx := context.Background()
	c := newCourse(t, 4)
	var subs []string
	for i := range 3 {
		subs = append(subs, c.reply(t, i, 1, "", activitypub.Public))
	}
	c.now = released.Add(feedback.RoundLength)
	must(t, c.fb.Assign(ctx))
	c.reply(t, 1, 2, subs[0], activitypub.Public) // user 1 reviews submission 0
	c.reply(t, 0, 3, subs[0], activitypub.Public) // its author answers: not a review
	all, err := feedback.Submissions(ctx, c.st, "essay", "", c.post)
	must(t, err)
	if len(all) != 3 || len(all[0].Reviews) != 1 || !all[0].Reviewed(c.users[1]) || all[0].Reviewed(c.users[2]) {
		t.Fatalf("submission 0 reviews = %+v", all[0].Reviews)
	}
	if _, err := c.fb.Reassign(ctx, subs[0], "@u0@s0.example", ""); err == nil {
		t.Fatal("the author was made reviewer of their own work")
	}
	from, err := c.fb.Reassign(ctx, subs[0], "@u3@s0.example", "")
	must(t, err)
	if from != c.users[2] {
		t.Fatalf("replaced %s, want the reviewer who had not reviewed (%s)", from, c.users[2])
	}
	if got := c.reviewers(t)[subs[0]]; fmt.Sprint(got) != fmt.Sprint([]string{c.users[1], c.users[3]}) {
		t.Fatalf("reviewers after reassign = %v", got)
	}
	if ds := deliveriesTo(t, c.st, c.users[3]+"/inbox"); len(ds) != 1 || !strings.Contains(ds[0], subs[0]) {
		t.Fatalf("the new reviewer got %v", ds)
	}
}

// deliveriesTo reads the queued deliveries to inbox from the database,
// leaving the queue as it is.
func deliveriesTo(t *testing.T, st *sqlite.Store, inbox string) []string {
	t.Helper()
	rows, err := st.DB().Query(`SELECT body FROM deliveries WHERE inbox = ? ORDER BY id`, inbox)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			t.Fatal(err)
		}
		out = append(out, string(body))
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
