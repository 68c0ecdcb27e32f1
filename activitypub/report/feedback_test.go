package report_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/report"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// TestFeedbackCoverage: an assignment lesson with three submissions. Bob
// and Carol review Alice (3 h and 5 h after), Alice reviews Bob (3 h
// after); Alice's answer to a review of her own work, the moderator's
// reply, a followers-only reply and a hidden one are no reviews.
func TestFeedbackCoverage(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	post := base + "essay"
	must(st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "essay", CohortID: "spring", ObjectID: post, ContentHash: "h"}))
	for _, a := range []activitypub.Actor{{ID: alice, PreferredUsername: "alice"}, {ID: bob, PreferredUsername: "bob"},
		{ID: carol, PreferredUsername: "carol"}, {ID: mia, PreferredUsername: "mia"}} {
		must(st.SaveActor(ctx, a))
	}
	t0 := start.Add(24 * time.Hour)
	n := 0
	reply := func(actor, parent string, h float64, vis activitypub.Visibility, state activitypub.ReplyState) string {
		n++
		id := actor + "/statuses/" + string(rune('a'+n))
		must(st.SaveReply(ctx, activitypub.Reply{ID: id, LessonID: "essay", CohortID: "spring", InReplyTo: parent, Actor: actor,
			Published: t0.Add(time.Duration(h * float64(time.Hour))), Content: "<p>x</p>", Visibility: vis, State: state}))
		return id
	}
	pub, shown := activitypub.Public, activitypub.Shown
	sa := reply(alice, post, 0, pub, shown)
	sb := reply(bob, post, 1, pub, shown)
	sc := reply(carol, post, 2, pub, shown)
	rb := reply(bob, sa, 3, pub, shown)
	reply(alice, sb, 4, pub, shown)
	reply(carol, sa, 5, pub, shown)
	reply(alice, rb, 6, pub, shown)                       // answers a review: not one
	reply(mia, sc, 2.5, pub, shown)                       // the moderator: not a peer review
	reply(bob, sc, 2.2, activitypub.FollowersOnly, shown) // never counted
	reply(carol, sb, 1.5, pub, activitypub.Hidden)        // hidden: not counted
	m := site.Manifest{Lessons: []site.ManifestLesson{{ID: "essay", Title: "Essay", Assignment: true}, {ID: "intro", Title: "Welcome"}}}

	r, err := report.Compute(ctx, st, m, spring, []string{"@mia@mod.example"}, now)
	must(err)
	f := r.Feedback
	if len(f.Lessons) != 1 {
		t.Fatalf("feedback lessons = %+v, want the one assignment", f.Lessons)
	}
	want := report.FeedbackLesson{ID: "essay", Title: "Essay", Submissions: 3, Reviews: 3, Covered: 1, FirstReviewed: 2, MedianFirstReview: 3 * time.Hour}
	if f.Lessons[0] != want {
		t.Errorf("coverage = %+v, want %+v", f.Lessons[0], want)
	}
	if f.MedianFirstReview != 3*time.Hour {
		t.Errorf("median to first review = %s, want 3h", f.MedianFirstReview)
	}
	people := map[string][3]int{}
	for _, p := range f.People {
		people[p.Handle] = [3]int{p.Submitted, p.Given, p.Received}
	}
	wantPeople := map[string][3]int{"@alice@mastodon.example": {1, 1, 2}, "@bob@social.example": {1, 1, 1}, "@carol@mastodon.example": {1, 1, 0}}
	for h, w := range wantPeople {
		if people[h] != w {
			t.Errorf("%s: submitted, given, received = %v, want %v", h, people[h], w)
		}
	}
	if len(people) != len(wantPeople) {
		t.Errorf("people = %v, want only the three participants", people)
	}

	dir := filepath.Join(t.TempDir(), "report")
	must(report.Write(dir, r))
	html, err := os.ReadFile(filepath.Join(dir, "index.html"))
	must(err)
	for _, s := range []string{`<h2 id="feedback">Peer feedback</h2>`, `<caption>Reviews given and received per participant</caption>`,
		`<th scope="row">@alice@mastodon.example</th><td class="n">1</td><td class="n">1</td><td class="n">2</td>`} {
		if !strings.Contains(string(html), s) {
			t.Errorf("report page lacks %s", s)
		}
	}
}
