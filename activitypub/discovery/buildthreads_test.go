package discovery_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/discovery"
)

// TestBuildThreadsAsTheHandler: the Discussion `cohort build` reads threads
// through (Threads), which asks the store once which lessons have a post,
// gives every lesson the thread the threads API's handler gives it: the
// replies under a post, and the empty thread of a lesson with none (replies
// stored under no post included), in a cohort as in none.
func TestBuildThreadsAsTheHandler(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	must(t, e.store.SaveReply(ctx, activitypub.Reply{ID: alice + "/statuses/orphan", LessonID: "unposted", InReplyTo: "https://elsewhere.example/x",
		Actor: alice, Published: clock.Add(time.Hour), Content: "<p>ORPHAN</p>", Visibility: activitypub.Public}))
	build := discovery.Threads(e.course, e.store)
	api := discovery.New(discovery.Options{Course: e.course, URLs: e.urls, Store: e.store})
	for _, k := range []struct{ lesson, cohort string }{{"intro", ""}, {"types", ""}, {"unposted", ""}, {"intro", "open"}, {"missing", ""}} {
		got, err := build.Thread(ctx, k.lesson, k.cohort)
		if err != nil {
			t.Fatalf("%s %q: %v", k.lesson, k.cohort, err)
		}
		want, err := api.Thread(ctx, k.lesson, k.cohort)
		if err != nil {
			t.Fatalf("%s %q: %v", k.lesson, k.cohort, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %q: the build's thread\n%+v\nthe handler's\n%+v", k.lesson, k.cohort, got, want)
		}
	}
	intro, err := build.Thread(ctx, "intro", "")
	must(t, err)
	if intro.Count != 2 || intro.Object == "" {
		t.Errorf("the posted lesson's thread has %d replies under %q, want the public and the unlisted one", intro.Count, intro.Object)
	}
	if orphan, _ := build.Thread(ctx, "unposted", ""); orphan.Count != 0 || len(orphan.Replies) != 0 {
		t.Errorf("a lesson with no post shows %d replies", orphan.Count)
	}

	// A post made after the build's first question shows at the next build.
	next := discovery.Threads(e.course, e.store)
	if th, err := next.Thread(ctx, "unposted", ""); err != nil || th.Object != "" {
		t.Fatalf("before its post: %+v, %v", th, err)
	}
	must(t, e.store.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "unposted", ObjectID: e.urls.Lesson("unposted"), Published: clock, ContentHash: "h3"}))
	if th, err := discovery.Threads(e.course, e.store).Thread(ctx, "unposted", ""); err != nil || th.Object != e.urls.Lesson("unposted") {
		t.Errorf("the next build's thread of the newly posted lesson: %+v, %v", th, err)
	}
}
