package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/discovery"
	"github.com/cohort-course/cohort/activitypub/sanitize"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// TestBuildShowsOnlyPublicReplies writes replies of every visibility into the
// companion's real store, as the inbox would (content sanitized first), and
// runs `cohort build`: the lesson page and the threads the API serves show the
// public and unlisted replies, never a followers-only post, a direct message or
// a deleted reply, and every link in a reply is marked as user content.
func TestBuildShowsOnlyPublicReplies(t *testing.T) {
	ctx := context.Background()
	dir := exampleCourse(t)
	st, err := sqlite.Open(ctx, filepath.Join(dir, ".cohort"))
	if err != nil {
		t.Fatal(err)
	}
	// The example course runs in a cohort: the lesson's post is the cohort's own.
	const cohort = "2026-autumn"
	const object = "https://course.example.org/cohorts/2026-autumn/lessons/writing-prompts"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "writing-prompts", CohortID: cohort, ObjectID: object,
		Published: time.Date(2026, 9, 7, 8, 0, 0, 0, time.UTC), ContentHash: "h"}))
	alice := "https://mastodon.example/users/alice"
	must(st.SaveActor(ctx, activitypub.Actor{ID: alice, Type: "Person", Inbox: alice + "/inbox", PreferredUsername: "alice",
		Name: "Alice", URL: "https://mastodon.example/@alice", IconURL: "https://files.mastodon.example/alice.png",
		Fetched: time.Date(2026, 9, 7, 8, 0, 0, 0, time.UTC)}))
	at := time.Date(2026, 9, 8, 9, 0, 0, 0, time.UTC)
	replies := []struct {
		id, text   string
		visibility activitypub.Visibility
	}{
		{"1", `PUBLIC-REPLY <a href="https://blog.example/x" onclick="alert(1)">notes</a><script>alert("in content")</script>`, activitypub.Public},
		{"2", "UNLISTED-REPLY", activitypub.Unlisted},
		{"3", "FOLLOWERS-ONLY-SECRET", activitypub.FollowersOnly},
		{"4", "DIRECT-MESSAGE-SECRET", activitypub.Direct},
		{"5", "DELETED-REPLY", activitypub.Public},
	}
	for i, r := range replies {
		must(st.SaveReply(ctx, activitypub.Reply{ID: alice + "/statuses/" + r.id, LessonID: "writing-prompts", CohortID: cohort, InReplyTo: object,
			Actor: alice, URL: "https://mastodon.example/@alice/" + r.id, Published: at.Add(time.Duration(i) * time.Minute),
			Content: sanitize.HTML("<p>" + r.text + "</p>"), Visibility: r.visibility}))
	}
	must(st.DeleteReply(ctx, alice+"/statuses/5"))

	cfg, err := site.LoadConfig(os.DirFS(dir), "course.toml")
	must(err)
	th, err := discovery.Threads(cfg, st).Thread(ctx, "writing-prompts", cohort)
	must(err)
	if th.Count != 2 || len(th.Replies) != 2 {
		t.Errorf("the threads API's thread has %d replies, want the public and the unlisted one: %+v", th.Count, th.Replies)
	}
	must(st.Close())

	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	if err := run(ctx, []string{"build", "--source", dir}, stdout, stderr); err != nil {
		t.Fatalf("build: %v\n%s", err, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "public", "02-facilitating", "writing-prompts", "index.html"))
	must(err)
	page := string(data)
	for _, want := range []string{"PUBLIC-REPLY", "UNLISTED-REPLY", `<span class="thread-count">2 replies</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, secret := range []string{"FOLLOWERS-ONLY-SECRET", "DIRECT-MESSAGE-SECRET", "DELETED-REPLY", "statuses/3", "statuses/4", "statuses/5",
		`alert("in content")`, "onclick"} {
		if strings.Contains(page, secret) {
			t.Errorf("the page shows %s", secret)
		}
	}
	i := strings.Index(page, `<section id="discussion"`)
	j := i + strings.Index(page[i:], "</section>")
	for _, a := range regexp.MustCompile(`<a\s[^>]*>`).FindAllString(page[i:j], -1) {
		if !strings.Contains(a, `rel="nofollow noopener ugc"`) {
			t.Errorf("a link in the discussion without rel=\"nofollow noopener ugc\": %s", a)
		}
	}
	if !strings.Contains(page, `<a href="https://blog.example/x" rel="nofollow noopener ugc">notes</a>`) {
		t.Errorf("the link in the public reply is not as sanitized")
	}
}
