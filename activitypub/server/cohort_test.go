package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/server"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// cohortTOML adds two cohorts to courseTOML: a public one, and a private
// one whose only participant is alice on the peer (%s is the peer's host).
const cohortTOML = `
[[cohorts]]
id = "autumn"
name = "Autumn"
start = 2026-09-07

[[cohorts]]
id = "staff"
name = "Ward staff"
start = 2026-10-05
audience = "private"
participants = ["@alice@%s"]
`

// clock is a fixed clock the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// startCohortCompanion starts a companion for a course with the cohorts of
// cohortTOML, on a clock the test sets.
func startCohortCompanion(t *testing.T, peerHost string, clk *clock) (*companion, *site.Config) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, ".cohort"))
	if err != nil {
		t.Fatal(err)
	}
	st.Now = clk.Now
	ts := httptest.NewUnstartedServer(nil)
	domain := ts.Listener.Addr().String()
	cfg, err := site.ParseConfig("course.toml", []byte(fmt.Sprintf(courseTOML, domain)+fmt.Sprintf(cohortTOML, peerHost)))
	if err != nil {
		t.Fatal(err)
	}
	c := &companion{base: "http://" + domain, domain: domain, manifest: filepath.Join(dir, "lessons.json"), store: st}
	c.srv, err = server.New(ctx, server.Config{Course: cfg, ManifestPath: c.manifest, Store: st, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = c.srv.Handler()
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		cancel()
		c.srv.Wait()
		st.Close()
	})
	return c, cfg
}

// writeCohortManifest writes lessons.json with the course's cohorts and
// publishes it.
func (c *companion) writeCohortManifest(t *testing.T, cfg *site.Config, lessons ...site.ManifestLesson) {
	t.Helper()
	data, err := json.Marshal(site.Manifest{Title: "Course", BaseURL: "https://site.example/", Language: "en", Cohorts: cfg.Cohorts, Lessons: lessons})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.manifest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (c *companion) cohortThread(t *testing.T, lesson, cohort string) (int, string) {
	t.Helper()
	resp := c.get(t, "/api/threads/"+lesson+"?cohort="+cohort, "application/json")
	var b strings.Builder
	_, _ = fmt.Fprint(&b, jsonBody(t, resp))
	return resp.StatusCode, b.String()
}

func jsonBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	var v any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return ""
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// followAs posts user's Follow of the course with its own activity id.
func followAs(t *testing.T, m *mastotest.Server, c *companion, user string) {
	t.Helper()
	body := strings.ReplaceAll(string(m.Fixture(t, "mastodon-follow.json", user, "", "")),
		"bd06bb61-01e0-447a-9dc8-95915db9aec8", "follow-"+user)
	if code, err := m.Post(context.Background(), user, c.base+"/inbox", []byte(body)); code != http.StatusAccepted {
		t.Fatalf("%s's follow: %d %v", user, code, err)
	}
}

// TestCohortsOverTheWire plays a public and a private cohort through a fixed
// clock with a Mastodon-like peer: each cohort's post goes out at its own
// release as its own object; the course approves followers, letting the
// private cohort's participant in at once and holding an outsider for a
// moderator; the private cohort's post goes to the followers only; a reply
// lands in the thread of the post it answers; an outsider's reply in the
// private cohort is held; and the private thread is never served.
func TestCohortsOverTheWire(t *testing.T) {
	ctx := context.Background()
	m := mastotest.New(t)
	// The clock is fixed, but near the real time: the peer signs with its
	// own clock, and signatures are checked within sig.DateWindow.
	base := time.Now().UTC().Truncate(time.Second)
	autumn, staff := base.Add(-time.Hour), base.Add(3*time.Hour)
	clk := &clock{now: base}
	c, cfg := startCohortCompanion(t, m.Host(), clk)
	actor, inbox, err := m.Lookup(ctx, "course", c.domain)
	if err != nil {
		t.Fatal(err)
	}
	m.Course = actor

	resp := c.get(t, "/actor", "application/activity+json")
	if doc := jsonBody(t, resp); !strings.Contains(doc, `"manuallyApprovesFollowers":true`) {
		t.Fatalf("a course with a private cohort does not approve its followers: %s", doc)
	}

	// alice is a participant of the private cohort: accepted at once.
	followAs(t, m, c, "alice")
	accept := m.WaitFor(t, "Accept", 5*time.Second)
	if !strings.Contains(string(accept.Body), "follow-alice") {
		t.Fatalf("accept = %s", accept.Body)
	}
	// bob is not: he waits for a moderator, who approves him.
	followAs(t, m, c, "bob")
	pending, err := c.store.PendingFollows(ctx)
	if err != nil || len(pending) != 1 || pending[0].ActorID != m.ActorID("bob") {
		t.Fatalf("pending follows = %+v, %v; want bob's", pending, err)
	}
	if n, _ := c.store.FollowerCount(ctx); n != 1 {
		t.Fatalf("%d followers before the moderator answered bob; want alice only", n)
	}
	if _, err := c.srv.Moderation().ApproveFollow(ctx, "mia", m.ActorID("bob"), ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bob's Accept", func() bool {
		for _, r := range m.Received() {
			if r.Type == "Accept" && strings.Contains(string(r.Body), "follow-bob") {
				return true
			}
		}
		return false
	})

	// The lesson opens for autumn: its post alone goes out, to the public.
	lesson := intro
	lesson.Releases = map[string]time.Time{"autumn": autumn, "staff": staff}
	c.writeCohortManifest(t, cfg, lesson)
	autumnPost := c.base + "/cohorts/autumn/lessons/intro"
	staffPost := c.base + "/cohorts/staff/lessons/intro"
	create := m.WaitFor(t, "Create", 5*time.Second)
	if !strings.Contains(string(create.Body), `"id":"`+autumnPost+`"`) || !strings.Contains(string(create.Body), activitypub.PublicCollection) {
		t.Fatalf("autumn's Create = %s", create.Body)
	}
	if resp := c.get(t, "/cohorts/autumn/lessons/intro", "application/activity+json"); resp.StatusCode != http.StatusOK {
		t.Fatalf("autumn's lesson object: %d", resp.StatusCode)
	}
	if resp := c.get(t, "/cohorts/autumn/lessons/intro", "text/html"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != intro.URL {
		t.Fatalf("autumn's lesson object for a browser: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := c.get(t, "/cohorts/staff/lessons/intro", "application/activity+json"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("staff's post served before the lesson opened for staff: %d", resp.StatusCode)
	}

	// Later (by the clock) the lesson opens for the private cohort:
	// a separate post, to the followers only.
	clk.Set(staff.Add(time.Minute))
	if err := c.srv.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "staff's Create", func() bool {
		for _, r := range m.Received() {
			if r.Type == "Create" && strings.Contains(string(r.Body), `"id":"`+staffPost+`"`) {
				create = r
				return true
			}
		}
		return false
	})
	if body := string(create.Body); strings.Contains(body, "Public") || !strings.Contains(body, `"to":["`+c.base+`/followers"],"cc":[]`) {
		t.Fatalf("the private cohort's Create is not to the followers only:\n%s", body)
	}
	if th, err := c.store.Thread(ctx, "intro", "staff"); err != nil || len(th) != 0 {
		t.Fatalf("staff's thread = %v, %v; want fresh", th, err)
	}

	// alice answers autumn's post, then staff's; bob (an outsider to staff)
	// answers staff's post: his reply is held.
	for _, r := range []struct{ user, status, post string }{{"alice", "1", autumnPost}, {"alice", "2", staffPost}, {"bob", "3", staffPost}} {
		if code, _ := m.Post(ctx, r.user, inbox, m.Fixture(t, "mastodon-create-reply.json", r.user, r.post, r.status)); code != http.StatusAccepted {
			t.Fatalf("%s's reply %s: %d", r.user, r.status, code)
		}
	}
	routed := []struct {
		id, cohort string
		state      activitypub.ReplyState
	}{
		{m.ActorID("alice") + "/statuses/1", "autumn", activitypub.Shown},
		{m.ActorID("alice") + "/statuses/2", "staff", activitypub.Shown},
		{m.ActorID("bob") + "/statuses/3", "staff", activitypub.Held},
	}
	for _, w := range routed {
		r, err := c.store.Reply(ctx, w.id)
		if err != nil || r.LessonID != "intro" || r.CohortID != w.cohort || r.State != w.state {
			t.Errorf("reply %s = lesson %q cohort %q state %s (%v); want intro, %s, %s", w.id, r.LessonID, r.CohortID, r.State, err, w.cohort, w.state)
		}
	}

	// The public cohort's thread has alice's first reply only; the private
	// cohort's thread is not served at all, nor its replies collection.
	code, th := c.cohortThread(t, "intro", "autumn")
	if code != http.StatusOK || !strings.Contains(th, "statuses/1") || strings.Contains(th, "statuses/2") {
		t.Errorf("autumn's thread: %d %s", code, th)
	}
	if code, th := c.cohortThread(t, "intro", "staff"); code != http.StatusNotFound {
		t.Errorf("the private cohort's thread was served: %d %s", code, th)
	}
	if resp := c.get(t, "/cohorts/staff/lessons/intro/replies?page=1", "application/activity+json"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the private cohort's replies collection was served: %d", resp.StatusCode)
	}
	if resp := c.get(t, "/api/threads/intro", "application/json"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a course with cohorts has a cohort-less thread: %d", resp.StatusCode)
	}
}
