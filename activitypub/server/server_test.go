package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub/discovery"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/server"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// companion is a running course companion on loopback.
type companion struct {
	srv      *server.Server
	base     string // http://127.0.0.1:PORT
	domain   string
	manifest string
	store    *sqlite.Store
}

const courseTOML = `title = "Running a social-learning course online"
description = "A four-week course."
base_url = "https://site.example/"
logo = "logo.png"
organisation = "The cohort project"

[federation]
handle = "course"
domain = "%s"
allow_insecure = true
`

func startCompanion(t testing.TB) *companion {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, ".cohort"))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	domain := ts.Listener.Addr().String()
	cfg, err := site.ParseConfig("course.toml", []byte(fmt.Sprintf(courseTOML, domain)))
	if err != nil {
		t.Fatal(err)
	}
	c := &companion{base: "http://" + domain, domain: domain, manifest: filepath.Join(dir, "lessons.json"), store: st}
	c.srv, err = server.New(ctx, server.Config{Course: cfg, ManifestPath: c.manifest, Store: st})
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
	return c
}

// writeManifest writes lessons.json as the site build would.
func (c *companion) writeManifest(t testing.TB, lessons ...site.ManifestLesson) {
	t.Helper()
	data, err := json.Marshal(site.Manifest{Title: "Course", BaseURL: "https://site.example/", Language: "en", Lessons: lessons})
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

func (c *companion) get(t testing.TB, path, accept string, hdr ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	req.Header.Set("Accept", accept)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (c *companion) thread(t testing.TB, lesson string) discovery.Thread {
	t.Helper()
	resp := c.get(t, "/api/threads/"+lesson, "application/json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("thread: status %d", resp.StatusCode)
	}
	var th discovery.Thread
	if err := json.NewDecoder(resp.Body).Decode(&th); err != nil {
		t.Fatal(err)
	}
	return th
}

// eventually polls cond until it holds or a few seconds passed.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s did not happen", what)
}

var intro = site.ManifestLesson{ID: "intro", Title: "What a cohort is", Summary: "Why learning together works.",
	Discussion: "Which group taught you most?", URL: "https://site.example/01/intro/", Module: "01", Order: 1, Hash: "h1"}

// TestWholeLoop plays a participant on a Mastodon-like server through the
// whole life of a discussion, checking after each step what the lesson
// page's thread API shows.
func TestWholeLoop(t *testing.T) {
	ctx := context.Background()
	c := startCompanion(t)
	m := mastotest.New(t)

	// Mastodon finds the account by WebFinger and reads the actor.
	actor, inbox, err := m.Lookup(ctx, "course", c.domain)
	if err != nil {
		t.Fatal(err)
	}
	m.Course = actor
	if actor != c.base+"/actor" || inbox != c.base+"/inbox" {
		t.Fatalf("lookup = %s, %s", actor, inbox)
	}

	// alice follows; the companion answers with a signed Accept.
	if code, _ := m.Post(ctx, "alice", inbox, m.Fixture(t, "mastodon-follow.json", "alice", "", "")); code != http.StatusAccepted {
		t.Fatalf("follow: %d", code)
	}
	accept := m.WaitFor(t, "Accept", 5*time.Second)
	if accept.KeyID != actor+"#main-key" || !strings.Contains(string(accept.Body), m.Base+"/bd06bb61-01e0-447a-9dc8-95915db9aec8") {
		t.Fatalf("accept = %+v", accept)
	}

	// The build writes the manifest; the lesson is posted to alice's server.
	c.writeManifest(t, intro)
	create := m.WaitFor(t, "Create", 5*time.Second)
	lesson := c.base + "/lessons/intro"
	if create.Path != "/inbox" || !strings.Contains(string(create.Body), `"id":"`+lesson+`"`) ||
		!strings.Contains(string(create.Body), "<strong>What a cohort is</strong>") {
		t.Fatalf("create = %s to %s", create.Body, create.Path)
	}

	// Pasting the page URL into Mastodon: the object answers as JSON; a
	// browser is sent to the page.
	if resp := c.get(t, "/lessons/intro", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`); resp.StatusCode != http.StatusOK ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/activity+json") {
		t.Fatalf("lesson object: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp := c.get(t, "/lessons/intro", "text/html"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != intro.URL {
		t.Fatalf("lesson page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// alice replies; her post's replies collection already lists bob's
	// answer, which did not mention the course: the crawl finds it.
	bob, _ := m.Note(t, "bob", "2", m.ActorID("alice")+"/statuses/1", "<p>bob agrees with alice</p>", nil)
	m.Note(t, "alice", "1", lesson, "<p>alice's reply</p>", []string{bob})
	if code, _ := m.Post(ctx, "alice", inbox, m.Fixture(t, "mastodon-create-reply.json", "alice", lesson, "1")); code != http.StatusAccepted {
		t.Fatalf("reply: %d", code)
	}
	th := c.thread(t, "intro")
	if th.Count < 1 || th.Replies[0].Author.Name != "Alice" || th.Replies[0].Author.Handle != "@alice@"+m.Host() ||
		!strings.Contains(th.Replies[0].Content, "Terraform") || th.Replies[0].URL != m.Base+"/@alice/1" {
		t.Fatalf("thread after reply = %+v", th)
	}
	eventually(t, "crawl of bob's reply", func() bool {
		th := c.thread(t, "intro")
		return th.Count == 2 && len(th.Replies[0].Replies) == 1 && th.Replies[0].Replies[0].ID == bob
	})

	// alice edits.
	if code, _ := m.Post(ctx, "alice", inbox, m.Fixture(t, "mastodon-update-note.json", "alice", lesson, "1")); code != http.StatusAccepted {
		t.Fatalf("update: %d", code)
	}
	th = c.thread(t, "intro")
	if !strings.Contains(th.Replies[0].Content, "(edited)") || th.Replies[0].Edited.IsZero() {
		t.Fatalf("thread after edit = %+v", th.Replies[0])
	}

	// alice likes and boosts the lesson, then takes the like back.
	m.Post(ctx, "alice", inbox, m.Fixture(t, "mastodon-like.json", "alice", lesson, ""))
	m.Post(ctx, "alice", inbox, m.Fixture(t, "mastodon-announce.json", "alice", lesson, "5"))
	if th = c.thread(t, "intro"); th.Likes != 1 || th.Boosts != 1 {
		t.Fatalf("likes %d boosts %d, want 1 1", th.Likes, th.Boosts)
	}
	undo := `{"@context":"https://www.w3.org/ns/activitystreams","id":"` + m.ActorID("alice") + `#likes/527686956/undo","type":"Undo","actor":"` +
		m.ActorID("alice") + `","object":` + string(m.Fixture(t, "mastodon-like.json", "alice", lesson, "")) + `}`
	m.Post(ctx, "alice", inbox, []byte(undo))
	if th = c.thread(t, "intro"); th.Likes != 0 || th.Boosts != 1 {
		t.Fatalf("after undo: likes %d boosts %d, want 0 1", th.Likes, th.Boosts)
	}

	// The thread API answers 304 to a page that has the current version.
	etag := c.get(t, "/api/threads/intro", "application/json").Header.Get("ETag")
	if resp := c.get(t, "/api/threads/intro", "application/json", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional GET: %d", resp.StatusCode)
	}
	if origin := c.get(t, "/api/threads/intro", "application/json").Header.Get("Access-Control-Allow-Origin"); origin != "https://site.example" {
		t.Fatalf("CORS origin = %q", origin)
	}

	// bob deletes his post (a Tombstone).
	if code, _ := m.Post(ctx, "bob", inbox, m.Fixture(t, "mastodon-delete-note.json", "bob", "", "2")); code != http.StatusAccepted {
		t.Fatalf("delete: %d", code)
	}
	if th = c.thread(t, "intro"); th.Count != 1 || len(th.Replies[0].Replies) != 0 {
		t.Fatalf("after delete = %+v", th)
	}

	// alice deletes her account.
	if code, _ := m.Post(ctx, "alice", inbox, m.Fixture(t, "mastodon-delete-actor.json", "alice", "", "")); code != http.StatusAccepted {
		t.Fatalf("delete account: %d", code)
	}
	m.Gone("/users/alice")
	if th = c.thread(t, "intro"); th.Count != 0 || th.Boosts != 0 {
		t.Fatalf("after account deletion = %+v", th)
	}
	if n, _ := c.store.FollowerCount(ctx); n != 0 {
		t.Fatalf("followers after account deletion = %d", n)
	}

	// The lesson changes, then is removed: Update, then Delete, then 410.
	follow := strings.Replace(string(m.Fixture(t, "mastodon-follow.json", "carol", "", "")), "bd06bb61", "0c0c0c0c", 1) // a new follow id
	m.Post(ctx, "carol", inbox, []byte(follow))
	eventually(t, "carol's follow", func() bool { n, _ := c.store.FollowerCount(ctx); return n == 1 })
	changed := intro
	changed.Hash = "h2"
	c.writeManifest(t, changed)
	m.WaitFor(t, "Update", 5*time.Second)
	c.writeManifest(t)
	m.WaitFor(t, "Delete", 5*time.Second)
	if resp := c.get(t, "/lessons/intro", "application/activity+json"); resp.StatusCode != http.StatusGone {
		t.Fatalf("removed lesson: %d", resp.StatusCode)
	}
}

// TestDiscoveryDocuments: WebFinger by acct: and by actor URL, host-meta,
// NodeInfo, and the actor as Mastodon shows it.
func TestDiscoveryDocuments(t *testing.T) {
	c := startCompanion(t)
	for _, res := range []string{"acct:course@" + c.domain, "acct:COURSE@" + c.domain, c.base + "/actor"} {
		resp := c.get(t, "/.well-known/webfinger?resource="+res, "application/jrd+json")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"self","type":"application/activity+json","href":"`+c.base+`/actor"`) {
			t.Errorf("webfinger %s: %d %s", res, resp.StatusCode, body)
		}
	}
	if resp := c.get(t, "/.well-known/webfinger?resource=acct:nobody@"+c.domain, "*/*"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown account: %d", resp.StatusCode)
	}
	resp := c.get(t, "/.well-known/host-meta", "*/*")
	if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), `template="`+c.base+`/.well-known/webfinger?resource={uri}"`) {
		t.Errorf("host-meta: %s", body)
	}
	resp = c.get(t, "/.well-known/nodeinfo", "*/*")
	if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), c.base+"/nodeinfo/2.1") {
		t.Errorf("nodeinfo links: %s", body)
	}
	resp = c.get(t, "/nodeinfo/2.1", "*/*")
	if body, _ := io.ReadAll(resp.Body); !strings.Contains(string(body), `"name":"cohort"`) || !strings.Contains(string(body), `"openRegistrations":false`) {
		t.Errorf("nodeinfo: %s", body)
	}
	resp = c.get(t, "/actor", "application/activity+json")
	var a map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	icon, _ := a["icon"].(map[string]any)
	ep, _ := a["endpoints"].(map[string]any)
	if a["name"] != "Running a social-learning course online" || a["url"] != "https://site.example/" ||
		icon["url"] != "https://site.example/logo.png" || ep["sharedInbox"] != c.base+"/inbox" || a["discoverable"] != true ||
		len(a["attachment"].([]any)) != 2 || a["publicKey"].(map[string]any)["id"] != c.base+"/actor#main-key" {
		t.Errorf("actor = %v", a)
	}
	if resp := c.get(t, "/actor", "text/html"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://site.example/" {
		t.Errorf("actor for a browser: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, p := range []string{"/outbox", "/outbox?page=true", "/followers", "/followers?page=true"} {
		if resp := c.get(t, p, "application/activity+json"); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}

// TestAuthorizedFetchPeer: a peer in authorized-fetch mode answers GETs of
// its actors and posts only when they are signed by a key it can fetch. The
// companion signs its own GETs with the course key, so everything still
// works: the signer's key is fetched to verify a reply, a parent it never
// received is fetched from its origin, and the crawl reads replies.
func TestAuthorizedFetchPeer(t *testing.T) {
	ctx := context.Background()
	c := startCompanion(t)
	m := mastotest.New(t)
	m.SetAuthorizedFetch(true)

	// The mode is on: an unsigned GET is refused.
	resp, err := http.Get(m.ActorID("alice"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned GET of an actor: %d, want 401", resp.StatusCode)
	}

	actor, inbox, err := m.Lookup(ctx, "course", c.domain)
	if err != nil {
		t.Fatal(err)
	}
	m.Course = actor
	c.writeManifest(t, intro)
	lesson := c.base + "/lessons/intro"

	// alice's reply: her key is fetched, signed, to verify it. Her post's
	// replies name bob's answer, which the crawl must fetch, signed.
	bob, _ := m.Note(t, "bob", "2", m.ActorID("alice")+"/statuses/1", "<p>bob agrees with alice</p>", nil)
	m.Note(t, "alice", "1", lesson, "<p>alice's reply</p>", []string{bob})
	if code, _ := m.Post(ctx, "alice", inbox, m.Fixture(t, "mastodon-create-reply.json", "alice", lesson, "1")); code != http.StatusAccepted {
		t.Fatalf("reply: %d", code)
	}
	eventually(t, "crawl of bob's reply", func() bool {
		th := c.thread(t, "intro")
		return th.Count == 2 && len(th.Replies[0].Replies) == 1 && th.Replies[0].Replies[0].ID == bob
	})

	// carol answers dave, whose reply to the lesson never reached the
	// course: dave's post is fetched, signed, to find the thread.
	dave, _ := m.Note(t, "dave", "4", lesson, "<p>dave's reply</p>", nil)
	if code, _ := m.Post(ctx, "carol", inbox, m.Fixture(t, "mastodon-create-reply.json", "carol", dave, "5")); code != http.StatusAccepted {
		t.Fatalf("carol's reply: %d", code)
	}
	if _, err := c.store.Reply(ctx, dave); err != nil {
		t.Fatalf("dave's post was not fetched: %v", err)
	}
	if _, err := c.store.Reply(ctx, m.ActorID("carol")+"/statuses/5"); err != nil {
		t.Fatalf("carol's reply was not stored: %v", err)
	}

	signers := m.GetSigners()
	for _, path := range []string{"/users/alice", "/users/carol", "/users/bob/statuses/2", "/users/dave/statuses/4"} {
		if m.Gets(path) == 0 {
			t.Errorf("%s was never fetched", path)
		}
	}
	if len(signers) < 4 {
		t.Fatalf("%d signed GETs answered, want at least 4", len(signers))
	}
	for _, k := range signers {
		if k != actor+"#main-key" {
			t.Fatalf("a GET was signed by %s, want the course key %s#main-key", k, actor)
		}
	}
}
