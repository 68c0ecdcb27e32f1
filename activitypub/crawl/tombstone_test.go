package crawl_test

import (
	"context"
	"errors"
	"testing"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/crawl"
	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

// TestCrawlRespectsTombstones: bob deleted his answer to alice before it
// ever reached the course (the Delete left a tombstone); alice's replies
// collection still lists it, and its origin still serves it, but a crawl
// does not bring it back.
func TestCrawlRespectsTombstones(t *testing.T) {
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
	bob, _ := m.Note(t, "bob", "2", m.ActorID("alice")+"/statuses/1", "<p>bob to alice</p>", nil)
	alice, _ := m.Note(t, "alice", "1", lesson, "<p>alice</p>", []string{bob})
	if err := st.SaveReply(ctx, activitypub.Reply{ID: alice, LessonID: "intro", InReplyTo: lesson, Actor: m.ActorID("alice"), Visibility: activitypub.Public}); err != nil {
		t.Fatal(err)
	}
	_, err = st.Apply(ctx, m.ActorID("bob")+"#delete/2", func(tx activitypub.Tx) error {
		return tx.SaveTombstone(activitypub.Tombstone{ID: bob, Actor: m.ActorID("bob")})
	})
	if err != nil {
		t.Fatal(err)
	}
	c := crawl.New(crawl.Options{Store: st, Fetch: fetch.New(fetch.Options{Store: st, AllowInsecure: true}), URLs: urls})
	if _, err := c.Lesson(ctx, "intro"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Reply(ctx, bob); !errors.Is(err, activitypub.ErrNotFound) {
		t.Fatalf("bob's deleted reply after a crawl: %v, want not stored", err)
	}
	if th, _ := st.Thread(ctx, "intro", ""); len(th) != 1 {
		t.Fatalf("thread = %+v, want alice's reply only", th)
	}
}
