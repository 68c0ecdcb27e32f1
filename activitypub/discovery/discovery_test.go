package discovery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/discovery"
	"github.com/cohort-course/cohort/activitypub/publish"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// clock is the fixed time of every document: lessons are published and
// followers arrive at it, so the goldens never change by themselves.
var clock = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

const courseTOML = `title = "Go in a week"
description = "A short cohort course on Go."
base_url = "https://course.example.org/go/"
logo = "logo.png"
organisation = "The cohort project"
license = "CC BY 4.0"

[federation]
handle = "course"
domain = "course.example.org"
`

const (
	alice = "https://mastodon.example/users/alice"
	bob   = "https://other.example/users/bob"
)

// env is a discovery handler over a real SQLite store holding a small,
// fixed course: two lessons, two followers, a thread of three replies.
type env struct {
	h      *discovery.Handler
	store  *sqlite.Store
	urls   activitypub.URLs
	course *site.Config
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := func() time.Time { return clock }
	st.Now = now
	cfg, err := site.ParseConfig("course.toml", []byte(courseTOML))
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(filepath.Join("testdata", "course-key.pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	urls := activitypub.NewURLs(cfg.Federation.Domain, false)
	pub := publish.New(publish.Options{Store: st, URLs: urls, Now: now})
	m := &site.Manifest{Title: cfg.Title, BaseURL: cfg.BaseURL, Language: "en", Lessons: []site.ManifestLesson{
		{ID: "intro", Title: "Hello, Go", Summary: "Install Go and run a program.", Discussion: "What did you build first?",
			URL: "https://course.example.org/go/01/intro/", Hash: "h1"},
		{ID: "types", Title: "Types & values", URL: "https://course.example.org/go/01/types/", Hash: "h2"},
	}}
	if err := pub.Sync(ctx, m); err != nil {
		t.Fatal(err)
	}
	lesson := urls.Lesson("intro")
	for _, f := range []activitypub.Follower{
		{ActorID: bob, Inbox: "https://other.example/inbox", FollowID: bob + "#follows/1", Since: clock},
		{ActorID: alice, Inbox: "https://mastodon.example/inbox", FollowID: "https://mastodon.example/f/1", Since: clock},
	} {
		must(t, st.SaveFollower(ctx, f))
	}
	must(t, st.SaveActor(ctx, activitypub.Actor{ID: alice, Type: "Person", Inbox: alice + "/inbox", PreferredUsername: "alice",
		Name: "Alice", IconURL: "https://files.mastodon.example/alice.png", URL: "https://mastodon.example/@alice", Fetched: clock}))
	replies := []activitypub.Reply{
		{ID: alice + "/statuses/1", InReplyTo: lesson, Actor: alice, URL: "https://mastodon.example/@alice/1",
			Published: clock.Add(time.Hour), Content: "<p>A web server, of course.</p>", Visibility: activitypub.Public,
			Attachments: []activitypub.Attachment{{URL: "https://files.mastodon.example/shot.png", MediaType: "image/png", Alt: "a terminal"}}},
		{ID: bob + "/statuses/2", InReplyTo: alice + "/statuses/1", Actor: bob, Published: clock.Add(2 * time.Hour),
			Updated: clock.Add(3 * time.Hour), Content: "<p>Same here!</p>", Summary: "spoilers", Sensitive: true, Visibility: activitypub.Unlisted},
		{ID: alice + "/statuses/3", InReplyTo: lesson, Actor: alice, Published: clock.Add(4 * time.Hour),
			Content: "<p>only for my followers</p>", Visibility: activitypub.FollowersOnly},
	}
	for _, r := range replies {
		r.LessonID = "intro"
		must(t, st.SaveReply(ctx, r))
	}
	must(t, st.SaveReaction(ctx, activitypub.Reaction{ID: bob + "#likes/1", Kind: activitypub.Like, Actor: bob, Object: lesson}))
	must(t, st.SaveReaction(ctx, activitypub.Reaction{ID: bob + "#likes/2", Kind: activitypub.Like, Actor: bob, Object: alice + "/statuses/1"}))
	h := discovery.New(discovery.Options{Course: cfg, URLs: urls, Store: st, Notes: pub, PublicKeyPEM: string(pem),
		Gone: func(err error) bool { return false }, Now: now})
	return &env{h: h, store: st, urls: urls, course: cfg}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// get serves one request and returns the recorded response.
func (e *env) get(t *testing.T, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	return e.do(t, http.MethodGet, target, hdr...)
}

func (e *env) do(t *testing.T, method, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "https://course.example.org"+target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	return w
}

const activityAccept = "application/activity+json"

// TestGoldenDocuments: every document the companion emits, byte for byte,
// with its media type. Run with -update to rewrite testdata/golden after a
// deliberate change, and read the diff.
func TestGoldenDocuments(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		golden, target, accept, contentType string
	}{
		{"webfinger.json", "/.well-known/webfinger?resource=acct:course@course.example.org", "application/jrd+json", "application/jrd+json; charset=utf-8"},
		{"host-meta.xml", "/.well-known/host-meta", "", "application/xrd+xml; charset=utf-8"},
		{"nodeinfo-links.json", "/.well-known/nodeinfo", "application/json", "application/json; charset=utf-8"},
		{"nodeinfo-2.1.json", "/nodeinfo/2.1", "application/json", `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"`},
		{"actor.json", "/actor", activityAccept, "application/activity+json; charset=utf-8"},
		{"outbox.json", "/outbox", activityAccept, "application/activity+json; charset=utf-8"},
		{"outbox-page.json", "/outbox?page=true", activityAccept, "application/activity+json; charset=utf-8"},
		{"followers.json", "/followers", activityAccept, "application/activity+json; charset=utf-8"},
		{"followers-page.json", "/followers?page=true", activityAccept, "application/activity+json; charset=utf-8"},
		{"lesson.json", "/lessons/intro", activityAccept, "application/activity+json; charset=utf-8"},
		{"lesson-replies.json", "/lessons/intro/replies", activityAccept, "application/activity+json; charset=utf-8"},
		{"lesson-replies-page.json", "/lessons/intro/replies?page=1", activityAccept, "application/activity+json; charset=utf-8"},
		{"featured.json", "/featured", activityAccept, "application/activity+json; charset=utf-8"},
		{"thread.json", "/api/threads/intro", "application/json", "application/json; charset=utf-8"},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			w := e.get(t, tc.target, "Accept", tc.accept)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", ct, tc.contentType)
			}
			golden(t, tc.golden, w.Body.Bytes())
		})
	}
}

// golden compares body with testdata/golden/name: JSON is stored indented
// for reading, other documents as they are; site.Version is written as
// {{version}} so a release does not rewrite the goldens. -update rewrites.
func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	got := body
	if strings.HasSuffix(name, ".json") {
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, body, "", "  "); err != nil {
			t.Fatalf("%s: invalid JSON: %v\n%s", name, err, body)
		}
		pretty.WriteByte('\n')
		got = pretty.Bytes()
	}
	got = bytes.ReplaceAll(got, []byte(`"`+site.Version+`"`), []byte(`"{{version}}"`))
	path := filepath.Join("testdata", "golden", name)
	if *update {
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden (run go test -update if the change is meant):\n%s", name, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the lines that differ, for a readable failure.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  - %s\n  + %s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

// TestContentNegotiation: actor and lesson URLs give ActivityStreams JSON
// to servers, whichever of the two media types they ask for, and send
// people to the HTML page; either way the answer varies by Accept, so no
// cache hands a redirect to a server.
func TestContentNegotiation(t *testing.T) {
	e := newEnv(t)
	const ldProfile = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	tests := []struct {
		name, target, accept string
		wantCode             int
		wantLocation         string // for a redirect
	}{
		{"actor as activity+json", "/actor", "application/activity+json", http.StatusOK, ""},
		{"actor as ld+json with the ActivityStreams profile", "/actor", ldProfile, http.StatusOK, ""},
		{"actor as Mastodon asks for it (both types)", "/actor", `application/activity+json, ` + ldProfile, http.StatusOK, ""},
		{"actor for a browser goes to the site", "/actor", browser, http.StatusSeeOther, "https://course.example.org/go/"},
		{"actor with no Accept goes to the site", "/actor", "", http.StatusSeeOther, "https://course.example.org/go/"},
		{"lesson as activity+json", "/lessons/intro", "application/activity+json", http.StatusOK, ""},
		{"lesson as ld+json with the ActivityStreams profile", "/lessons/intro", ldProfile, http.StatusOK, ""},
		{"lesson for a browser goes to its page", "/lessons/intro", browser, http.StatusSeeOther, "https://course.example.org/go/01/intro/"},
		{"lesson as text/html goes to its page", "/lessons/types", "text/html", http.StatusSeeOther, "https://course.example.org/go/01/types/"},
		{"unknown lesson", "/lessons/nope", "application/activity+json", http.StatusNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.get(t, tc.target, "Accept", tc.accept)
			if w.Code != tc.wantCode {
				t.Fatalf("status = %d, want %d: %s", w.Code, tc.wantCode, w.Body)
			}
			if tc.wantCode == http.StatusNotFound {
				return
			}
			if !strings.Contains(w.Header().Get("Vary"), "Accept") {
				t.Errorf("Vary = %q, want Accept", w.Header().Get("Vary"))
			}
			if tc.wantLocation != "" {
				if loc := w.Header().Get("Location"); loc != tc.wantLocation {
					t.Errorf("Location = %q, want %q", loc, tc.wantLocation)
				}
				return
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/activity+json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			var doc struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || !strings.HasPrefix(doc.ID, "https://course.example.org/") {
				t.Errorf("body id = %q (%v)", doc.ID, err)
			}
		})
	}
}

// TestThreadCORS: the threads API is readable from the course site's
// origin (scheme and host of base_url, without its path) and from no other.
func TestThreadCORS(t *testing.T) {
	e := newEnv(t)
	const site = "https://course.example.org"
	for _, origin := range []string{site, "https://evil.example", "null", ""} {
		t.Run("GET from "+origin, func(t *testing.T) {
			w := e.get(t, "/api/threads/intro", "Origin", origin)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != site {
				t.Fatalf("Access-Control-Allow-Origin = %q, want %q (never the caller's own origin, never *)", got, site)
			}
			if !strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "ETag") {
				t.Error("ETag not exposed to the page's script")
			}
			if !strings.Contains(strings.Join(w.Header().Values("Vary"), ","), "Origin") {
				t.Error("no Vary: Origin")
			}
		})
	}
	t.Run("preflight", func(t *testing.T) {
		w := e.do(t, http.MethodOptions, "/api/threads/intro", "Origin", site,
			"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "if-none-match")
		if w.Code != http.StatusNoContent {
			t.Fatalf("status %d", w.Code)
		}
		h := w.Header()
		if h.Get("Access-Control-Allow-Origin") != site || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "GET") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "If-None-Match") {
			t.Fatalf("preflight headers = %v", h)
		}
	})
}

// TestThreadETag: the thread answers 304 to its own ETag (strong, weak or
// in a list), 200 to another, and a change gives a new ETag once the
// inbox invalidates the lesson.
func TestThreadETag(t *testing.T) {
	e := newEnv(t)
	first := e.get(t, "/api/threads/intro")
	etag := first.Header().Get("ETag")
	if first.Code != http.StatusOK || etag == "" || !strings.HasPrefix(etag, `"`) {
		t.Fatalf("first GET: status %d, ETag %q", first.Code, etag)
	}
	for _, match := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		w := e.get(t, "/api/threads/intro", "If-None-Match", match)
		if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Errorf("If-None-Match %s: status %d, %d bytes, want 304 and no body", match, w.Code, w.Body.Len())
		}
		if w.Header().Get("ETag") != etag {
			t.Errorf("If-None-Match %s: 304 without the ETag", match)
		}
	}
	if w := e.get(t, "/api/threads/intro", "If-None-Match", `"stale"`); w.Code != http.StatusOK || w.Body.Len() == 0 {
		t.Errorf("another ETag: status %d", w.Code)
	}
	if cc := first.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache (revalidate every time)", cc)
	}
}

// TestThreadCacheInvalidation: the thread is served from memory until the
// inbox calls Invalidate for its lesson (or for all), and then rebuilt from
// the Store; invalidating another lesson keeps it.
func TestThreadCacheInvalidation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	count := func() (int, string) {
		t.Helper()
		w := e.get(t, "/api/threads/intro")
		var th discovery.Thread
		if err := json.Unmarshal(w.Body.Bytes(), &th); err != nil {
			t.Fatal(err)
		}
		return th.Count, w.Header().Get("ETag")
	}
	n0, etag0 := count()
	if n0 != 2 {
		t.Fatalf("thread count = %d, want 2 (the followers-only reply is not shown)", n0)
	}
	must(t, e.store.SaveReply(ctx, activitypub.Reply{ID: bob + "/statuses/9", LessonID: "intro", InReplyTo: e.urls.Lesson("intro"),
		Actor: bob, Published: clock.Add(9 * time.Hour), Content: "<p>late</p>", Visibility: activitypub.Public}))
	if n, etag := count(); n != n0 || etag != etag0 {
		t.Fatalf("before Invalidate: count %d, ETag %s; want the cached %d, %s", n, etag, n0, etag0)
	}
	e.h.Invalidate("types")
	if n, _ := count(); n != n0 {
		t.Fatalf("invalidating another lesson dropped this one: count %d", n)
	}
	e.h.Invalidate("intro")
	n1, etag1 := count()
	if n1 != 3 || etag1 == etag0 {
		t.Fatalf("after Invalidate: count %d, ETag %s (was %s); want 3 and a new ETag", n1, etag1, etag0)
	}
	if w := e.get(t, "/api/threads/intro", "If-None-Match", etag0); w.Code != http.StatusOK {
		t.Fatalf("the old ETag still matches: status %d", w.Code)
	}
	must(t, e.store.DeleteReply(ctx, bob+"/statuses/9"))
	e.h.Invalidate("") // an account deletion: every thread
	if n, _ := count(); n != 2 {
		t.Fatalf("after Invalidate(\"\"): count %d, want 2", n)
	}
}

// TestThreadUnknownLesson: a lesson with no object is a 404, not an
// empty thread.
func TestThreadUnknownLesson(t *testing.T) {
	e := newEnv(t)
	w := e.get(t, "/api/threads/nope")
	if w.Code != http.StatusNotFound {
		t.Fatalf("status %d", w.Code)
	}
	_, _ = io.Copy(io.Discard, w.Body)
}

// gatedStore counts the thread reads that reach the store and holds each at
// ThreadSeq until the test lets it go.
type gatedStore struct {
	activitypub.Store
	reads atomic.Int32
	gate  chan struct{}
}

func (s *gatedStore) ThreadSeq(ctx context.Context, lessonID, cohortID string) (int64, error) {
	s.reads.Add(1)
	<-s.gate
	return s.Store.ThreadSeq(ctx, lessonID, cohortID)
}

// TestThreadReadOnceForConcurrentReaders: readers that find a thread not
// cached wait for one read of the store (a MOOC's thread takes half a
// second to read), and a change to another lesson during that read does not
// throw it away.
func TestThreadReadOnceForConcurrentReaders(t *testing.T) {
	e := newEnv(t)
	st := &gatedStore{Store: e.store, gate: make(chan struct{})}
	h := discovery.New(discovery.Options{Course: e.course, URLs: e.urls, Store: st, Notes: publish.New(publish.Options{Store: e.store, URLs: e.urls}),
		Gone: func(err error) bool { return false }, Now: func() time.Time { return clock }})
	const readers = 20
	codes := make(chan int, readers)
	for range readers {
		go func() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/threads/intro", nil))
			codes <- w.Code
		}()
	}
	for st.reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let the other readers arrive and wait
	h.Invalidate("types")             // another lesson changes meanwhile
	close(st.gate)
	for range readers {
		if code := <-codes; code != http.StatusOK {
			t.Fatalf("a reader got %d", code)
		}
	}
	if n := st.reads.Load(); n != 1 {
		t.Fatalf("%d concurrent readers made %d reads of the store, want 1", readers, n)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/threads/intro", nil))
	if n := st.reads.Load(); n != 1 || w.Code != http.StatusOK {
		t.Fatalf("the read was not kept after another lesson's change: %d reads, status %d", n, w.Code)
	}
}
