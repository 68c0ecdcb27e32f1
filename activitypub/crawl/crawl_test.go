package crawl_test

import (
	"context"
	"testing"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/crawl"
	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

// TestFindsRepliesThatDidNotMentionTheCourse: alice's reply is in the
// thread; bob answered alice, carol answered bob, neither mentioning the
// course. A walk of alice's replies collection finds both; dave's post,
// listed in alice's collection but answering something else, is not kept.
func TestFindsRepliesThatDidNotMentionTheCourse(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	urls := activitypub.URLs{Base: "http://course.test"}
	lesson := urls.Lesson("intro")
	if err := st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "intro", ObjectID: lesson}); err != nil {
		t.Fatal(err)
	}
	m := mastotest.New(t)
	other := mastotest.New(t)
	carol, _ := other.Note(t, "carol", "3", m.ActorID("bob")+"/statuses/2", "<p>carol to bob</p>", nil)
	bob, _ := m.Note(t, "bob", "2", m.ActorID("alice")+"/statuses/1", "<p>bob to alice<script>x</script></p>", []string{carol})
	dave, _ := m.Note(t, "dave", "4", "https://elsewhere.example/x", "<p>unrelated</p>", nil)
	alice, _ := m.Note(t, "alice", "1", lesson, "<p>alice</p>", []string{bob, dave})
	if err := st.SaveReply(ctx, activitypub.Reply{ID: alice, LessonID: "intro", InReplyTo: lesson, Actor: m.ActorID("alice"), Visibility: activitypub.Public}); err != nil {
		t.Fatal(err)
	}
	var changed []string
	c := crawl.New(crawl.Options{Store: st, Fetch: fetch.New(fetch.Options{Store: st, AllowInsecure: true}), URLs: urls,
		Changed: func(l string) { changed = append(changed, l) }})
	n, err := c.Lesson(ctx, "intro")
	if err != nil || n != 2 {
		t.Fatalf("Lesson = %d, %v; want 2 stored", n, err)
	}
	th, _ := st.Thread(ctx, "intro", "")
	if len(th) != 3 {
		t.Fatalf("thread = %+v", th)
	}
	b, err := st.Reply(ctx, bob)
	if err != nil || b.Content != "<p>bob to alice</p>" || b.InReplyTo != alice {
		t.Fatalf("bob's reply = %+v, %v", b, err)
	}
	if _, err := st.Reply(ctx, dave); err == nil {
		t.Fatal("dave's unrelated post was stored")
	}
	if len(changed) != 1 || changed[0] != "intro" {
		t.Fatalf("changed = %v", changed)
	}
	// A second walk finds nothing new.
	if n, err := c.Lesson(ctx, "intro"); err != nil || n != 0 {
		t.Fatalf("second walk = %d, %v", n, err)
	}
}
