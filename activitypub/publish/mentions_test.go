package publish_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/publish"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// TestWeaveMentionsQuotedAuthors: a lesson that quotes replies (a weekly
// weave) is posted to its cohort with a Mention tag and a cc address for
// each quoted author, once each, and a link to each reply; the Create also
// goes to the inbox of a quoted author who does not follow the course. A
// reply deleted or hidden since the draft is neither linked nor mentioned.
func TestWeaveMentionsQuotedAuthors(t *testing.T) {
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
	now := time.Date(2026, 9, 15, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st.Now = clock
	const alice, bob, carol = "https://a.example/users/alice", "https://b.example/users/bob", "https://c.example/users/carol"
	must(st.SaveFollower(ctx, activitypub.Follower{ActorID: alice, Inbox: "https://a.example/inbox"}))
	for _, a := range []activitypub.Actor{
		{ID: alice, PreferredUsername: "alice", Inbox: alice + "/inbox", SharedInbox: "https://a.example/inbox"},
		{ID: bob, PreferredUsername: "bob", Inbox: bob + "/inbox"}, // not a follower
		{ID: carol, PreferredUsername: "carol", Inbox: carol + "/inbox"},
	} {
		must(st.SaveActor(ctx, a))
	}
	lesson := "https://course.example.org/cohorts/autumn/lessons/intro"
	reply := func(actor, n string) activitypub.Reply {
		return activitypub.Reply{ID: actor + "/statuses/" + n, URL: actor + "/@" + n, LessonID: "intro", CohortID: "autumn",
			InReplyTo: lesson, Actor: actor, Published: now.Add(-24 * time.Hour), Content: "<p>x</p>", Visibility: activitypub.Public}
	}
	quotes := []activitypub.Reply{reply(alice, "1"), reply(alice, "2"), reply(bob, "3"), reply(carol, "4"), reply(carol, "5")}
	for _, r := range quotes {
		must(st.SaveReply(ctx, r))
	}
	must(st.DeleteReply(ctx, quotes[3].ID))
	_, err = st.SetReplyState(ctx, quotes[4].ID, activitypub.Hidden, activitypub.AuditEntry{Who: "mia", Action: "hide", Target: quotes[4].ID})
	must(err)

	var ids []string
	for _, r := range quotes {
		ids = append(ids, r.ID)
	}
	m := manifest(site.ManifestLesson{ID: "weave-autumn-week-1", Title: "Week 1: the weave", URL: "https://course.example.org/weave/autumn-week-1/",
		Hash: "h", Quotes: ids, Releases: map[string]time.Time{"autumn": now.Add(-time.Hour)}})
	m.Cohorts = []site.Cohort{{ID: "autumn"}, {ID: "spring"}}
	p := publish.New(publish.Options{Store: st, URLs: activitypub.URLs{Base: "https://course.example.org"}, Now: clock})
	must(p.Sync(ctx, m))

	ds, err := st.ClaimDeliveries(ctx, now.Add(time.Hour), 100)
	must(err)
	var inboxes []string
	for _, d := range ds {
		inboxes = append(inboxes, d.Inbox)
	}
	slices.Sort(inboxes)
	if want := []string{"https://a.example/inbox", bob + "/inbox"}; !slices.Equal(inboxes, want) {
		t.Fatalf("delivered to %v, want %v (followers' shared inbox and bob's, never carol's)", inboxes, want)
	}
	var create struct {
		Object struct {
			ID      string   `json:"id"`
			CC      []string `json:"cc"`
			Content string   `json:"content"`
			Tag     []struct {
				Type, Href, Name string
			} `json:"tag"`
		} `json:"object"`
	}
	must(json.Unmarshal(ds[0].Body, &create))
	n := create.Object
	if n.ID != "https://course.example.org/cohorts/autumn/lessons/weave-autumn-week-1" {
		t.Errorf("posted as %s, want autumn's post", n.ID)
	}
	var mentions []string
	for _, tag := range n.Tag {
		if tag.Type == "Mention" {
			mentions = append(mentions, tag.Href+" "+tag.Name)
		}
	}
	if want := []string{alice + " @alice@a.example", bob + " @bob@b.example"}; !slices.Equal(mentions, want) {
		t.Errorf("mentions = %v, want %v", mentions, want)
	}
	if !slices.Contains(n.CC, alice) || !slices.Contains(n.CC, bob) || slices.Contains(n.CC, carol) {
		t.Errorf("cc = %v, want alice and bob, not carol", n.CC)
	}
	for _, want := range []string{`<a href="` + alice + `/@1">@alice@a.example</a>`, `<a href="` + alice + `/@2">`, `<a href="` + bob + `/@3">@bob@b.example</a>`} {
		if !strings.Contains(n.Content, want) {
			t.Errorf("content lacks %s:\n%s", want, n.Content)
		}
	}
	if strings.Contains(n.Content, carol) {
		t.Errorf("content links carol's deleted or hidden reply:\n%s", n.Content)
	}
	if _, err := st.LessonObject(ctx, "weave-autumn-week-1", "spring"); err == nil {
		t.Error("spring got autumn's weave")
	}
	served, err := p.Note(ctx, "weave-autumn-week-1", "autumn")
	must(err)
	if len(served.Mentioned) != 2 {
		t.Errorf("the Note served at its id mentions %v, want what was delivered", served.Mentioned)
	}
}
