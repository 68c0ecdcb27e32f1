package discovery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/discovery"
	"github.com/cohort-course/cohort/activitypub/publish"
	"github.com/cohort-course/cohort/site"
)

// typeOf returns a served document's type.
func typeOf(t *testing.T, body []byte) string {
	t.Helper()
	var d struct{ Type string }
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatal(err)
	}
	return d.Type
}

func ids(p as.CollectionPage) []string {
	var out []string
	for _, it := range p.Items {
		out = append(out, it.ID)
	}
	return out
}

// TestRepliesCollectionAgrees: a lesson with one reply more than a page
// holds. The Note embeds the first page; the replies collection embeds the
// same page and serves it at its URL; next leads to a second page with the
// one left, and every document is of the unordered kinds.
func TestRepliesCollectionAgrees(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	lesson := e.urls.Lesson("types")
	var want []string
	for i := range publish.RepliesPage + 1 {
		id := fmt.Sprintf("%s/statuses/t%03d", alice, i)
		want = append(want, id)
		must(t, e.store.SaveReply(ctx, activitypub.Reply{ID: id, LessonID: "types", InReplyTo: lesson, Actor: alice,
			Published: clock.Add(time.Duration(i) * time.Minute), Content: "<p>hi</p>", Visibility: activitypub.Public}))
	}
	// A reply to a reply is in its parent's collection, not the lesson's.
	must(t, e.store.SaveReply(ctx, activitypub.Reply{ID: bob + "/statuses/deep", LessonID: "types", InReplyTo: want[0], Actor: bob,
		Published: clock.Add(time.Hour), Content: "<p>deeper</p>", Visibility: activitypub.Public}))

	fetch := func(target string) []byte {
		t.Helper()
		w := e.get(t, target, "Accept", activityAccept)
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", target, w.Code, w.Body)
		}
		return w.Body.Bytes()
	}
	note := fetch("/lessons/types")
	embedded, err := as.RepliesOf(note)
	must(t, err)
	front := fetch("/lessons/types/replies")
	first, err := as.ParseCollectionPage(front)
	must(t, err)
	page1 := fetch("/lessons/types/replies?page=1")
	p1, err := as.ParseCollectionPage(page1)
	must(t, err)
	page2URL := e.urls.Replies("types") + "?page=2"
	for name, p := range map[string]as.CollectionPage{"the Note's": embedded, "the collection's": first, "page 1": p1} {
		if !slices.Equal(ids(p), want[:publish.RepliesPage]) || p.Next != page2URL {
			t.Errorf("%s first page: %d items, next %q; want the first %d replies and next %s", name, len(p.Items), p.Next, publish.RepliesPage, page2URL)
		}
	}
	page2 := fetch("/lessons/types/replies?page=2")
	p2, err := as.ParseCollectionPage(page2)
	must(t, err)
	if !slices.Equal(ids(p2), want[publish.RepliesPage:]) || p2.Next != "" {
		t.Errorf("page 2: %v next %q; want the last reply and no next", ids(p2), p2.Next)
	}
	for _, bad := range []string{"0", "-1", "x", "10001", "9223372036854775807"} {
		if w := e.get(t, "/lessons/types/replies?page="+bad, "Accept", activityAccept); w.Code != http.StatusBadRequest {
			t.Errorf("page=%s: %d, want 400", bad, w.Code)
		}
	}
	var n struct {
		Replies struct {
			Type  string
			First struct{ Type string }
		}
	}
	must(t, json.Unmarshal(note, &n))
	kinds := []string{n.Replies.Type, n.Replies.First.Type, typeOf(t, front), typeOf(t, page1), typeOf(t, page2)}
	if !slices.Equal(kinds, []string{"Collection", "CollectionPage", "Collection", "CollectionPage", "CollectionPage"}) {
		t.Errorf("collection kinds (Note, its first, /replies, page 1, page 2) = %v; they must agree", kinds)
	}
}

// TestFeaturedCollection: the actor names /featured, which pins the newest
// post of each public cohort, newest first, and never a private cohort's
// followers-only post.
func TestFeaturedCollection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i, o := range []struct{ lesson, cohort string }{{"intro", "open"}, {"types", "open"}, {"intro", "staff"}} {
		must(t, e.store.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: o.lesson, CohortID: o.cohort,
			ObjectID: e.urls.CohortLesson(o.cohort, o.lesson), Published: clock.Add(time.Duration(i+1) * time.Hour), ContentHash: "h"}))
	}
	course := *e.course
	course.Cohorts = []site.Cohort{{ID: "open", Name: "Open"}, {ID: "staff", Name: "Staff", Audience: "private", ShowDiscussion: true}}
	pub := publish.New(publish.Options{Store: e.store, URLs: e.urls, Now: func() time.Time { return clock }})
	must(t, pub.Sync(ctx, &site.Manifest{Cohorts: course.Cohorts, Lessons: []site.ManifestLesson{
		{ID: "intro", Title: "Hello, Go", URL: "https://course.example.org/go/01/intro/", Hash: "h1"},
		{ID: "types", Title: "Types & values", URL: "https://course.example.org/go/01/types/", Hash: "h2"}}}))
	h := discovery.New(discovery.Options{Course: &course, URLs: e.urls, Store: e.store, Notes: pub})
	env := &env{h: h}

	var actor struct{ Featured string }
	must(t, json.Unmarshal(env.get(t, "/actor", "Accept", activityAccept).Body.Bytes(), &actor))
	if actor.Featured != e.urls.Featured() {
		t.Fatalf("the actor's featured is %q, want %s", actor.Featured, e.urls.Featured())
	}
	w := env.get(t, "/featured", "Accept", activityAccept)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /featured = %d %s", w.Code, w.Body)
	}
	f, err := as.ParseCollectionPage(w.Body.Bytes())
	must(t, err)
	// The course's posts without a cohort were published at clock, types
	// after intro; the open cohort's types post is the newest of all.
	wantIDs := []string{e.urls.CohortLesson("open", "types"), e.urls.Lesson("types")}
	if got := ids(f); !slices.Equal(got, wantIDs) {
		t.Errorf("featured = %v, want %v", got, wantIDs)
	}
	for _, it := range f.Items {
		if it.Embedded == nil {
			t.Errorf("featured item %s is not embedded", it.ID)
		}
	}
}
