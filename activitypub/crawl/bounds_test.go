package crawl_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/crawl"
	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/inbox"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

// course is a companion's inbox and crawler wired as the server wires
// them, on loopback, with one lesson.
type course struct {
	store   *sqlite.Store
	urls    activitypub.URLs
	lesson  string
	crawler *crawl.Crawler
	changed []string
}

func newCourse(t *testing.T, fetchOpts fetch.Options) *course {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ts := httptest.NewUnstartedServer(nil)
	c := &course{store: st, urls: activitypub.URLs{Base: "http://" + ts.Listener.Addr().String()}}
	c.lesson = c.urls.Lesson("intro")
	if err := st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "intro", ObjectID: c.lesson, ContentHash: "h"}); err != nil {
		t.Fatal(err)
	}
	fetchOpts.Store, fetchOpts.AllowInsecure = st, true
	client := fetch.New(fetchOpts)
	c.crawler = crawl.New(crawl.Options{Store: st, Fetch: client, URLs: c.urls,
		Changed: func(l string) { c.changed = append(c.changed, l) }})
	ts.Config.Handler = inbox.New(inbox.Options{Store: st, Fetch: client, URLs: c.urls, Crawl: c.crawler.Trigger})
	ts.Start()
	t.Cleanup(ts.Close)
	return c
}

// TestRepliesFromOnePeerCostFewFetches: a server sends many replies, a
// few of them answering a post of its own the course has not seen. What
// the companion fetches back is bounded per reply: each reply's own
// document (its replies collection) at most once, the unknown parent
// once, and the signers' actors; never the other posts of the thread.
func TestRepliesFromOnePeerCostFewFetches(t *testing.T) {
	const n = 40
	ctx := context.Background()
	// The limiter is tested in fetch; here every GET may go, so the count
	// is what the crawl asks for.
	c := newCourse(t, fetch.Options{HostBurst: 10 * n})
	m := mastotest.New(t)
	m.Course = c.urls.Actor()

	// dora's post answers the lesson without mentioning the course: the
	// course learns of it only as the parent of later replies.
	parent, _ := m.Note(t, "dora", "9000", c.lesson, "<p>dora's answer</p>", nil)
	allowed := map[string]bool{path(parent): true}
	users := []string{"alice", "bob", "carol"}
	for _, u := range users {
		allowed["/users/"+u] = true
	}
	allowed["/users/dora"] = true
	for i := range n {
		user, status := users[i%len(users)], fmt.Sprint(1000+i)
		inReplyTo := c.lesson
		if i%10 == 0 {
			inReplyTo = parent
		}
		id, _ := m.Note(t, user, status, inReplyTo, "<p>reply</p>", nil)
		allowed[path(id)] = true
		body := m.Fixture(t, "mastodon-create-reply.json", user, inReplyTo, status)
		if code, err := m.Post(ctx, user, c.urls.Inbox(), body); err != nil || code != http.StatusAccepted {
			t.Fatalf("reply %d: %d, %v", i, code, err)
		}
	}
	c.crawler.Drain(ctx)

	th, err := c.store.Thread(ctx, "intro", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(th) != n+1 {
		t.Fatalf("thread has %d posts, want %d replies and dora's parent", len(th), n+1)
	}
	total := 0
	for p, count := range m.GetPaths() {
		total += count
		if !allowed[p] {
			t.Errorf("GET %s: not a reply's own document, an ancestor or an actor", p)
		}
		if count > 1 {
			t.Errorf("GET %s %d times, want at most once", p, count)
		}
	}
	t.Logf("%d GETs for %d replies", total, n)
	// Per reply: its document; once: the parent and the four actors.
	if bound := n + 1 + len(users) + 1; total > bound {
		t.Fatalf("the peer answered %d GETs for %d replies, want at most %d", total, n, bound)
	}
}

// path returns the path of a URL.
func path(id string) string {
	rest := id[strings.Index(id, "://")+3:]
	return rest[strings.Index(rest, "/"):]
}

// TestRemovesPostDeletedAtOrigin: bob's answer to alice was found by a
// crawl (it never mentioned the course); bob deletes it, and his server
// sends the Delete only to his followers. The next walk finds it gone
// (410) and removes it from the page's thread, while alice's server still
// lists it in her replies (servers update lazily): it does not come back.
// carol's server answers 503 at that moment: her post stays.
func TestRemovesPostDeletedAtOrigin(t *testing.T) {
	ctx := context.Background()
	c := newCourse(t, fetch.Options{})
	m := mastotest.New(t)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	}))
	defer down.Close()

	bob, _ := m.Note(t, "bob", "2", m.ActorID("alice")+"/statuses/1", "<p>bob to alice</p>", nil)
	alice, _ := m.Note(t, "alice", "1", c.lesson, "<p>alice</p>", []string{bob})
	save := func(id, inReplyTo, actor string) {
		if err := c.store.SaveReply(ctx, activitypub.Reply{ID: id, LessonID: "intro", InReplyTo: inReplyTo, Actor: actor, Visibility: activitypub.Public}); err != nil {
			t.Fatal(err)
		}
	}
	save(alice, c.lesson, m.ActorID("alice"))
	carol := down.URL + "/users/carol/statuses/3"
	save(carol, c.lesson, down.URL+"/users/carol")
	if n, err := c.crawler.Lesson(ctx, "intro"); err != nil || n != 1 {
		t.Fatalf("first walk stored %d, %v; want bob's answer", n, err)
	}
	if ids := threadIDs(t, c); !ids[bob] || !ids[alice] || !ids[carol] {
		t.Fatalf("thread after the first walk = %v", ids)
	}

	m.Gone(path(bob))
	c.changed = nil
	if n, err := c.crawler.Lesson(ctx, "intro"); err != nil || n != 0 {
		t.Fatalf("second walk stored %d, %v; want nothing", n, err)
	}
	ids := threadIDs(t, c)
	if ids[bob] {
		t.Fatal("bob's post, deleted at its origin, is still in the thread")
	}
	if !ids[alice] || !ids[carol] {
		t.Fatalf("thread after bob's deletion = %v; alice's and carol's posts must stay", ids)
	}
	if len(c.changed) != 1 || c.changed[0] != "intro" {
		t.Fatalf("changed = %v; the page must be rebuilt once", c.changed)
	}
	if r, err := c.store.Reply(ctx, bob); err != nil || !r.Deleted || r.Content != "" {
		t.Fatalf("bob's post = %+v, %v; want a tombstone", r, err)
	}
}

func threadIDs(t *testing.T, c *course) map[string]bool {
	t.Helper()
	th, err := c.store.Thread(context.Background(), "intro", "")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range th {
		ids[r.ID] = true
	}
	return ids
}

// TestRoundBoundsFetchesPerHost: one server has MaxFetches posts in each
// of two lessons' threads, another server one post at the end. A round
// over every lesson fetches at most MaxHostFetches documents from the
// first server and still checks the second server's post; the next round
// starts where the first one stopped, so after two rounds every post has
// been checked.
func TestRoundBoundsFetchesPerHost(t *testing.T) {
	ctx := context.Background()
	c := newCourse(t, fetch.Options{HostBurst: 10 * crawl.MaxHostFetches})
	next := c.urls.Lesson("next")
	if err := c.store.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "next", ObjectID: next, ContentHash: "h"}); err != nil {
		t.Fatal(err)
	}
	busy, quiet := mastotest.New(t), mastotest.New(t)
	published := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	save := func(m *mastotest.Server, lessonID, lesson, status string) string {
		id, _ := m.Note(t, "alice", status, lesson, "<p>a reply</p>", nil)
		published = published.Add(time.Minute)
		r := activitypub.Reply{ID: id, LessonID: lessonID, InReplyTo: lesson, Actor: m.ActorID("alice"), Visibility: activitypub.Public, Published: published}
		if err := c.store.SaveReply(ctx, r); err != nil {
			t.Fatal(err)
		}
		return id
	}
	var posts []string
	for i := range 2 * crawl.MaxFetches {
		lessonID, lesson := "intro", c.lesson
		if i >= crawl.MaxFetches {
			lessonID, lesson = "next", next
		}
		posts = append(posts, save(busy, lessonID, lesson, fmt.Sprint(1000+i)))
	}
	last := save(quiet, "next", next, "1")

	if _, err := c.crawler.Round(ctx); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range busy.GetPaths() {
		total += n
	}
	if total > crawl.MaxHostFetches {
		t.Fatalf("one round made %d GETs to one server, want at most %d", total, crawl.MaxHostFetches)
	}
	if quiet.Gets(path(last)) != 1 {
		t.Fatalf("the other server's post was fetched %d times, want once", quiet.Gets(path(last)))
	}
	if _, err := c.crawler.Round(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range posts {
		if busy.Gets(path(id)) == 0 {
			t.Fatalf("after two rounds, %s was never checked", id)
		}
	}
	if n := len(threadIDs(t, c)); n != crawl.MaxFetches {
		t.Fatalf("intro's thread has %d posts after the rounds, want %d (none removed)", n, crawl.MaxFetches)
	}
}
