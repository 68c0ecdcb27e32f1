package publish_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/publish"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// TestCohortPostsAtTheirReleases follows a fixed clock through two cohorts'
// releases of one lesson: each cohort gets its own post when the lesson
// opens for it, a separate object whose thread starts empty; a changed text
// updates every cohort's post; removing the lesson deletes them all.
func TestCohortPostsAtTheirReleases(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	autumn := time.Date(2026, 9, 7, 7, 0, 0, 0, time.UTC)
	spring := time.Date(2027, 2, 1, 8, 0, 0, 0, time.UTC)
	now := autumn.Add(-time.Minute)
	clock := func() time.Time { return now }
	st.Now = clock
	urls := activitypub.URLs{Base: "https://course.example.org"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.SaveFollower(ctx, activitypub.Follower{ActorID: "https://a.example/users/1", Inbox: "https://a.example/inbox"}))
	claim := func() []activitypub.Delivery {
		t.Helper()
		ds, err := st.ClaimDeliveries(ctx, now.Add(time.Hour), 100)
		must(err)
		for _, d := range ds {
			must(st.CompleteDelivery(ctx, d.ID))
		}
		return ds
	}
	p := publish.New(publish.Options{Store: st, URLs: urls, Now: clock})
	intro := site.ManifestLesson{ID: "intro", Title: "Intro", URL: "https://course.example.org/01/intro/", Hash: "h1",
		Releases: map[string]time.Time{"autumn": autumn, "spring": spring}}
	m := func(lessons ...site.ManifestLesson) *site.Manifest {
		mf := manifest(lessons...)
		mf.Cohorts = []site.Cohort{{ID: "autumn", Name: "Autumn"}, {ID: "spring", Name: "Spring"}}
		return mf
	}
	posted := func(cohort string) (activitypub.LessonObject, bool) {
		o, err := st.LessonObject(ctx, "intro", cohort)
		return o, err == nil
	}

	must(p.Sync(ctx, m(intro)))
	if ds := claim(); len(ds) != 0 {
		t.Fatalf("%d deliveries before the lesson opened for any cohort", len(ds))
	}

	now = autumn
	must(p.Sync(ctx, m(intro)))
	ds := claim()
	if len(ds) != 1 || !strings.Contains(string(ds[0].Body), `"id":"https://course.example.org/cohorts/autumn/lessons/intro#create"`) ||
		!strings.Contains(string(ds[0].Body), `"replies":{"id":"https://course.example.org/cohorts/autumn/lessons/intro/replies"`) {
		t.Fatalf("autumn's release: %d deliveries %v", len(ds), ds)
	}
	if _, ok := posted("spring"); ok {
		t.Fatal("spring's post went out at autumn's release")
	}
	if _, ok := posted(""); ok {
		t.Fatal("a course with cohorts got a cohort-less post")
	}
	a, _ := posted("autumn")
	must(st.SaveReply(ctx, activitypub.Reply{ID: "https://a.example/users/1/statuses/1", LessonID: "intro", CohortID: "autumn",
		InReplyTo: a.ObjectID, Actor: "https://a.example/users/1", Published: now, Content: "<p>hi</p>", Visibility: activitypub.Public}))

	now = spring.Add(time.Second)
	must(p.Sync(ctx, m(intro)))
	ds = claim()
	if len(ds) != 1 || !strings.Contains(string(ds[0].Body), `"id":"https://course.example.org/cohorts/spring/lessons/intro#create"`) {
		t.Fatalf("spring's release: %d deliveries %v", len(ds), ds)
	}
	s, ok := posted("spring")
	if !ok || s.ObjectID == a.ObjectID || s.ObjectID != urls.CohortLesson("spring", "intro") || !s.Published.Equal(now) {
		t.Fatalf("spring's post = %+v, want its own object, published when the sync saw it open", s)
	}
	if th, err := st.Thread(ctx, "intro", "spring"); err != nil || len(th) != 0 {
		t.Errorf("spring's thread = %v, %v; want fresh and empty", th, err)
	}
	if th, err := st.Thread(ctx, "intro", "autumn"); err != nil || len(th) != 1 {
		t.Errorf("autumn's thread = %v, %v; want its one reply", th, err)
	}
	n, err := p.Note(ctx, "intro", "spring")
	if err != nil || n.ID != s.ObjectID || n.Replies != urls.CohortReplies("spring", "intro") {
		t.Errorf("Note(intro, spring) = %+v, %v", n, err)
	}

	intro.Hash = "h2"
	must(p.Sync(ctx, m(intro)))
	ds = claim()
	if len(ds) != 2 {
		t.Fatalf("a changed lesson sent %d Updates, want one per cohort's post", len(ds))
	}
	for _, d := range ds {
		if !strings.Contains(string(d.Body), `"type":"Update"`) {
			t.Errorf("not an Update: %s", d.Body)
		}
	}

	// The spring cohort is cancelled: its post is withdrawn, to followers only
	// (a cohort that is gone may have been private), and autumn's stays.
	withoutSpring := m(intro)
	withoutSpring.Cohorts = withoutSpring.Cohorts[:1]
	must(p.Sync(ctx, withoutSpring))
	ds = claim()
	if len(ds) != 1 || !strings.Contains(string(ds[0].Body), `"type":"Delete"`) ||
		!strings.Contains(string(ds[0].Body), "cohorts/spring/lessons/intro") || strings.Contains(string(ds[0].Body), "#Public") {
		t.Fatalf("a removed cohort: %d deliveries %v, want one followers-only Delete of its post", len(ds), ds)
	}
	must(p.Sync(ctx, withoutSpring))
	if ds := claim(); len(ds) != 0 {
		t.Fatalf("the removed cohort's post was deleted again: %d deliveries", len(ds))
	}

	must(p.Sync(ctx, m()))
	ds = claim()
	if len(ds) != 1 || !strings.Contains(string(ds[0].Body), `"type":"Delete"`) || !strings.Contains(string(ds[0].Body), "cohorts/autumn/") {
		t.Fatalf("removing the lesson sent %d activities, want a Delete of the remaining cohort's post", len(ds))
	}
}

// TestPrivateCohortPostsToFollowersOnly: a private cohort's post is
// addressed to the followers alone, a public cohort's to the public.
func TestPrivateCohortPostsToFollowersOnly(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 9, 7, 9, 0, 0, 0, time.UTC)
	st.Now = func() time.Time { return now }
	if err := st.SaveFollower(ctx, activitypub.Follower{ActorID: "https://a.example/users/1", Inbox: "https://a.example/inbox"}); err != nil {
		t.Fatal(err)
	}
	p := publish.New(publish.Options{Store: st, URLs: activitypub.URLs{Base: "https://course.example.org"}, Now: st.Now})
	mf := manifest(site.ManifestLesson{ID: "intro", Title: "Intro", URL: "https://course.example.org/01/intro/", Hash: "h",
		Releases: map[string]time.Time{"staff": now, "open": now}})
	mf.Cohorts = []site.Cohort{{ID: "staff", Audience: "private"}, {ID: "open", Audience: "public"}}
	if err := p.Sync(ctx, mf); err != nil {
		t.Fatal(err)
	}
	ds, err := st.ClaimDeliveries(ctx, now.Add(time.Hour), 10)
	if err != nil || len(ds) != 2 {
		t.Fatalf("%d deliveries, %v; want one per cohort", len(ds), err)
	}
	for _, d := range ds {
		body := string(d.Body)
		private := strings.Contains(body, "/cohorts/staff/")
		public := strings.Contains(body, activitypub.PublicCollection)
		if private == public {
			t.Errorf("private=%v but public collection present=%v:\n%s", private, public, body)
		}
		if private && !strings.Contains(body, `"to":["https://course.example.org/followers"],"cc":[]`) {
			t.Errorf("private cohort's Create is not to the followers only:\n%s", body)
		}
	}
}

// TestWatchWakesAtLaterCohortsOpening: with no build and no change to
// lessons.json, Watch posts a lesson for the spring cohort when it opens for
// spring, though it opened for autumn (its first opening) months before.
func TestWatchWakesAtLaterCohortsOpening(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	autumn := time.Date(2026, 9, 7, 7, 0, 0, 0, time.UTC)
	spring := time.Date(2027, 3, 1, 14, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := autumn.Add(time.Hour)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p := publish.New(publish.Options{Store: st, URLs: activitypub.URLs{Base: "https://course.example.org"}, Now: clock})
	m := manifest(site.ManifestLesson{ID: "intro", Title: "Intro", URL: "https://course.example.org/01/intro/", Hash: "h",
		Releases: map[string]time.Time{"autumn": autumn, "spring": spring}})
	m.Cohorts = []site.Cohort{{ID: "autumn"}, {ID: "spring"}}
	path := filepath.Join(t.TempDir(), "lessons.json")
	data, _ := json.Marshal(m)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	posted := func(cohort string) bool {
		_, err := st.LessonObject(ctx, "intro", cohort)
		return err == nil
	}
	done := make(chan struct{})
	go func() { defer close(done); p.Watch(ctx, path) }()
	waitFor(t, func() bool { return posted("autumn") })
	if posted("spring") {
		t.Fatal("spring's post went out at autumn's opening")
	}
	mu.Lock()
	now = spring.Add(time.Second)
	mu.Unlock()
	waitFor(t, func() bool { return posted("spring") })
	cancel()
	<-done
}
