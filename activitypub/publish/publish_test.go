package publish_test

import (
	"context"
	"encoding/json"
	"errors"
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

func manifest(lessons ...site.ManifestLesson) *site.Manifest {
	return &site.Manifest{Title: "Course", BaseURL: "https://course.example.org/", Language: "nl", Lessons: lessons}
}

// TestCreateUpdateDelete follows one lesson through its life: published
// once to each follower inbox, updated when its hash changes, deleted when
// it leaves the manifest; a sync with nothing changed sends nothing.
func TestCreateUpdateDelete(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 9, 7, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st.Now = clock
	urls := activitypub.URLs{Base: "https://course.example.org"}
	for _, f := range []activitypub.Follower{
		{ActorID: "https://a.example/users/1", Inbox: "https://a.example/inbox"},
		{ActorID: "https://a.example/users/2", Inbox: "https://a.example/inbox"},
		{ActorID: "https://b.example/users/3", Inbox: "https://b.example/users/3/inbox"},
	} {
		st.SaveFollower(ctx, f)
	}
	p := publish.New(publish.Options{Store: st, URLs: urls, Now: clock})
	intro := site.ManifestLesson{ID: "intro", Title: "Why <cohorts>", Summary: "A summary.", Discussion: "What do you think?",
		URL: "https://course.example.org/01/intro/", Hash: "h1"}
	claim := func() []activitypub.Delivery {
		t.Helper()
		ds, err := st.ClaimDeliveries(ctx, now.Add(time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			st.CompleteDelivery(ctx, d.ID)
		}
		return ds
	}

	if err := p.Sync(ctx, manifest(intro)); err != nil {
		t.Fatal(err)
	}
	ds := claim()
	if len(ds) != 2 {
		t.Fatalf("create deliveries = %d, want one per inbox (2)", len(ds))
	}
	body := string(ds[0].Body)
	for _, want := range []string{`"type":"Create"`, `"id":"https://course.example.org/lessons/intro#create"`,
		`<p><strong>Why &lt;cohorts&gt;</strong></p><p>A summary.</p><p>What do you think?</p>`,
		`<a href=\"https://course.example.org/01/intro/\">`, `"url":"https://course.example.org/01/intro/"`,
		`"contentMap":{"nl":`, `"cc":["https://course.example.org/followers"]`, `"replies":{"id":"https://course.example.org/lessons/intro/replies"`} {
		if !strings.Contains(body, want) {
			t.Errorf("Create lacks %s:\n%s", want, body)
		}
	}
	if err := p.Sync(ctx, manifest(intro)); err != nil || len(claim()) != 0 {
		t.Fatalf("an unchanged manifest sent something (%v)", err)
	}

	now = now.Add(time.Hour)
	intro.Hash, intro.Summary = "h2", "A better summary."
	if err := p.Sync(ctx, manifest(intro)); err != nil {
		t.Fatal(err)
	}
	ds = claim()
	if len(ds) != 2 || !strings.Contains(string(ds[0].Body), `"type":"Update"`) || !strings.Contains(string(ds[0].Body), "A better summary.") ||
		!strings.Contains(string(ds[0].Body), `"updated":"2026-09-07T10:00:00Z"`) {
		t.Fatalf("update = %d deliveries: %s", len(ds), ds[0].Body)
	}
	n, err := p.Note(ctx, "intro", "")
	if err != nil || n.ID != urls.Lesson("intro") || !strings.Contains(n.Content, "A better summary.") {
		t.Fatalf("Note = %+v, %v", n, err)
	}

	if err := p.Sync(ctx, manifest()); err != nil {
		t.Fatal(err)
	}
	ds = claim()
	if len(ds) != 2 || !strings.Contains(string(ds[0].Body), `"type":"Delete"`) || !strings.Contains(string(ds[0].Body), `"Tombstone"`) {
		t.Fatalf("delete = %d deliveries", len(ds))
	}
	if _, err := p.Note(ctx, "intro", ""); !errors.Is(err, publish.ErrDeleted) {
		t.Fatalf("Note of a deleted lesson: %v", err)
	}
	if err := p.Sync(ctx, manifest()); err != nil || len(claim()) != 0 {
		t.Fatal("a deleted lesson was deleted twice")
	}
}

// TestConcurrentSyncPublishesOnce: a build's sync and the manifest watcher's may
// run at once; each lesson is still created once.
func TestConcurrentSyncPublishesOnce(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.SaveFollower(ctx, activitypub.Follower{ActorID: "https://a.example/users/1", Inbox: "https://a.example/inbox"})
	p := publish.New(publish.Options{Store: st, URLs: activitypub.URLs{Base: "https://course.example.org"}, Now: time.Now})
	var lessons []site.ManifestLesson
	for _, id := range []string{"a", "b", "c", "d"} {
		lessons = append(lessons, site.ManifestLesson{ID: id, Title: id, URL: "https://course.example.org/" + id + "/", Hash: "h"})
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Sync(ctx, manifest(lessons...)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	ds, err := st.ClaimDeliveries(ctx, time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != len(lessons) {
		t.Errorf("%d deliveries for %d lessons and one follower: a lesson was created more than once", len(ds), len(lessons))
	}
}

// TestPublishedWhenOpened: a lesson is posted once it opens for a cohort, by the
// watcher, without a new build; a lesson of a course without cohorts at once.
func TestPublishedWhenOpened(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var mu sync.Mutex
	now := time.Date(2026, 9, 13, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p := publish.New(publish.Options{Store: st, URLs: activitypub.URLs{Base: "https://course.example.org"}, Now: clock})
	week2 := time.Date(2026, 9, 14, 7, 0, 0, 0, time.UTC)
	m := manifest(
		site.ManifestLesson{ID: "open", Title: "Open", URL: "https://course.example.org/a/", Hash: "h",
			Releases: map[string]time.Time{"autumn": now.Add(-time.Hour)}},
		site.ManifestLesson{ID: "later", Title: "Later", URL: "https://course.example.org/b/", Hash: "h",
			Releases: map[string]time.Time{"autumn": week2, "spring": week2.AddDate(0, 6, 0)}},
		site.ManifestLesson{ID: "always", Title: "No cohorts", URL: "https://course.example.org/c/", Hash: "h"},
	)
	path := filepath.Join(t.TempDir(), "lessons.json")
	data, _ := json.Marshal(m)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	published := func(id string) bool {
		_, err := st.LessonObject(ctx, id, "")
		return err == nil
	}
	go p.Watch(ctx, path)
	waitFor(t, func() bool { return published("open") && published("always") })
	if published("later") {
		t.Fatal("a lesson was posted before it opened")
	}
	mu.Lock()
	now = week2.Add(time.Second)
	mu.Unlock()
	waitFor(t, func() bool { return published("later") })
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * publish.WatchInterval)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFollowPublishesNothing: a process standing by while another leads
// reads the manifest, so it serves the lesson's Note once the leader has
// published it, but queues nothing itself.
func TestFollowPublishesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.SaveFollower(ctx, activitypub.Follower{ActorID: "https://a.example/users/1", Inbox: "https://a.example/inbox"})
	urls := activitypub.URLs{Base: "https://course.example.org"}
	intro := site.ManifestLesson{ID: "intro", Title: "Why cohorts", URL: "https://course.example.org/01/intro/", Hash: "h1"}
	path := filepath.Join(t.TempDir(), "lessons.json")
	data, _ := json.Marshal(manifest(intro))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	standby := publish.New(publish.Options{Store: st, URLs: urls})
	done := make(chan struct{})
	go func() { defer close(done); standby.Follow(ctx, path) }()
	deadline := time.Now().Add(5 * time.Second)
	for standby.Manifest() == nil {
		if time.Now().After(deadline) {
			t.Fatal("the manifest was not read")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if ds, err := st.ClaimDeliveries(ctx, time.Now().Add(time.Hour), 10); err != nil || len(ds) != 0 {
		t.Fatalf("standing by queued %v, %v; want nothing", ds, err)
	}
	if _, err := standby.Note(ctx, "intro", ""); err == nil {
		t.Fatal("a Note of a lesson nobody published")
	}
	leader := publish.New(publish.Options{Store: st, URLs: urls})
	if err := leader.SyncFile(ctx, path); err != nil {
		t.Fatal(err)
	}
	if n, err := standby.Note(ctx, "intro", ""); err != nil || n.ID != urls.Lesson("intro") {
		t.Fatalf("the standby's Note after the leader published = %+v, %v", n, err)
	}
	cancel()
	<-done
}
