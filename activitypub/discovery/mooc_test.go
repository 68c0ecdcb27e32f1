package discovery_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/discovery"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// A MOOC's lesson: 30,000 replies (issue 11). The thread is written straight
// into a real SQLite store in one transaction, so the test runs in seconds.
const (
	moocReplies = 30_000
	moocAuthors = 500
	// maxPageBytes is what a lesson page with its thread may weigh.
	maxPageBytes = 500_000
)

const moocCourse = `title = "Open course"
language = "en"
base_url = "https://course.example.org/"

[federation]
handle = "course"
domain = "course.example.org"
`

// moocContent is a reply of the usual size: a few sentences, a mention, a
// link, as Mastodon sends them.
const moocContent = `<p><span class="h-card"><a href="https://course.example.org/@course" class="u-url mention">@<span>course</span></a></span> ` +
	`Reply %d. In my cohort the prompt that worked best asked for a story rather than an opinion: people wrote longer, ` +
	`answered each other, and the moderator could pick up threads the next day. See <a href="https://blog.example/%d" rel="nofollow noopener noreferrer">my notes</a> on what we tried.</p>`

// moocEnv is a store holding one lesson with moocReplies replies: top-level
// replies with two answers each (one nested), and every fiftieth with a long
// conversation of twenty; a few featured.
type moocEnv struct {
	store  *sqlite.Store
	course *site.Config
	h      *discovery.Handler
	dir    string
}

func newMOOC(tb testing.TB) *moocEnv {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, ".cohort"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	cfg, err := site.ParseConfig("course.toml", []byte(moocCourse))
	if err != nil {
		tb.Fatal(err)
	}
	urls := activitypub.NewURLs(cfg.Federation.Domain, false)
	lesson := urls.Lesson("intro")
	start := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	if err := st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "intro", ObjectID: lesson, Published: start}); err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, moocAuthors)
	for i := range moocAuthors { // concurrent writes share commits
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("https://m%d.example/users/u%d", i%40, i)
			errs <- st.SaveActor(ctx, activitypub.Actor{ID: id, Type: "Person", Inbox: id + "/inbox", PreferredUsername: fmt.Sprintf("u%d", i),
				Name: fmt.Sprintf("Participant %d", i), IconURL: fmt.Sprintf("https://m%d.example/avatars/%d.png", i%40, i),
				URL: fmt.Sprintf("https://m%d.example/@u%d", i%40, i), Fetched: start})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	var featured []string
	_, err = st.Apply(ctx, "https://course.example.org/test/mooc", func(tx activitypub.Tx) error {
		n := 0
		save := func(parent string) (string, error) {
			author := fmt.Sprintf("https://m%d.example/users/u%d", (n%moocAuthors)%40, n%moocAuthors)
			id := fmt.Sprintf("%s/statuses/%d", author, n)
			r := activitypub.Reply{ID: id, LessonID: "intro", InReplyTo: parent, Actor: author, URL: id,
				Published: start.Add(time.Duration(n) * time.Second), Content: fmt.Sprintf(moocContent, n, n), Visibility: activitypub.Public}
			n++
			return id, tx.SaveReply(r)
		}
		for root := 0; n < moocReplies; root++ {
			id, err := save(lesson)
			if err != nil {
				return err
			}
			if root%1000 == 0 {
				featured = append(featured, id)
			}
			answers := 2
			if root%50 == 0 {
				answers = 20
			}
			parent := id
			for a := 0; a < answers && n < moocReplies; a++ {
				child, err := save(parent)
				if err != nil {
					return err
				}
				if a == 0 {
					parent = child // the second answers the first
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	for _, id := range featured {
		if _, err := st.FeatureReply(ctx, id, activitypub.AuditEntry{Who: "mia", Action: activitypub.ActionFeature, Target: id}); err != nil {
			tb.Fatal(err)
		}
	}
	h := discovery.New(discovery.Options{Course: cfg, URLs: urls, Store: st, Gone: func(error) bool { return false }})
	return &moocEnv{store: st, course: cfg, h: h, dir: dir}
}

// build builds a one-lesson site over the store and returns the lesson page.
func (e *moocEnv) build(tb testing.TB) []byte {
	tb.Helper()
	src := filepath.Join(e.dir, "course")
	files := map[string]string{
		"course.toml":          moocCourse,
		"content/_index.md":    "+++\ntitle = \"Open course\"\n+++\nWelcome.\n",
		"content/01/_index.md": "+++\ntitle = \"Week 1\"\n+++\n",
		"content/01/intro.md":  "+++\ntitle = \"Introductions\"\nid = \"intro\"\ndate = 2026-09-01\n+++\nSay who you are.\n",
	}
	for name, body := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	out := filepath.Join(e.dir, "public")
	if _, err := site.Build(context.Background(), site.Options{Source: src, Out: out, Discussion: discovery.Threads(e.course, e.store)}); err != nil {
		tb.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(out, "01", "intro", "index.html"))
	if err != nil {
		tb.Fatal(err)
	}
	return page
}

// get asks the threads API, as a browser would with gzip when asked.
func (e *moocEnv) get(tb testing.TB, query string, gz bool) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/threads/intro"+query, nil)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		tb.Fatalf("GET %s: %d %s", query, w.Code, w.Body)
	}
	return w
}

// TestMOOCThreadBounded: the lesson page of a 30,000-reply lesson and the
// first page of its threads API stay under 500 KB, and the API pages reach
// every top-level reply exactly once.
func TestMOOCThreadBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writing 30,000 replies takes about 10 s of CPU, mostly SaveReply preparing its statements")
	}
	e := newMOOC(t)
	page := e.build(t)
	if len(page) >= maxPageBytes {
		t.Errorf("the lesson page of %d replies weighs %d bytes, want under %d", moocReplies, len(page), maxPageBytes)
	}
	if n := bytes.Count(page, []byte(`<li class="reply`)); n < site.DefaultThreadPageSize || n > site.DefaultThreadPageSize*(site.DefaultThreadAnswers+1) {
		t.Errorf("the lesson page shows %d replies, want a first page of them", n)
	}
	if !bytes.Contains(page, []byte(`href="/01/intro/discussion/2/" rel="next"`)) {
		t.Error("the lesson page does not link the thread's next page")
	}
	first := e.get(t, "", false).Body.Bytes()
	if len(first) >= maxPageBytes {
		t.Errorf("the threads API's first page is %d bytes, want under %d", len(first), maxPageBytes)
	}

	// Page through the API: every top-level reply once, featured first.
	whole := e.get(t, "?all=1", true)
	var all site.Thread
	zr, err := gzip.NewReader(whole.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(zr).Decode(&all); err != nil {
		t.Fatal(err)
	}
	if all.Count != moocReplies {
		t.Fatalf("the whole thread counts %d replies, want %d", all.Count, moocReplies)
	}
	seen := map[string]int{}
	var order []string
	for cursor, pages := "", 0; ; pages++ {
		if pages > len(all.Replies) {
			t.Fatal("the API's pages do not end")
		}
		var p site.Thread
		if err := json.Unmarshal(e.get(t, "?after="+cursor, false).Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Replies {
			seen[r.ID]++
			order = append(order, r.ID)
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if len(order) != len(all.Replies) {
		t.Errorf("the pages list %d top-level replies, the thread has %d", len(order), len(all.Replies))
	}
	for i, r := range all.Replies {
		if i < len(order) && order[i] != r.ID {
			t.Errorf("page order differs from the thread's at %d: %s, want %s", i, order[i], r.ID)
			break
		}
		if seen[r.ID] != 1 {
			t.Errorf("%s is on %d pages", r.ID, seen[r.ID])
		}
	}
}

// BenchmarkMOOCThread reports, for a lesson of 30,000 replies in SQLite: the
// lesson page's bytes, the threads API's first page in bytes (plain and
// gzipped) and the whole thread's, and first-page reads per second, from the
// cache (warm) and read from the store after every change (cold).
func BenchmarkMOOCThread(b *testing.B) {
	e := newMOOC(b)
	page := e.build(b)
	plain := e.get(b, "", false).Body.Len()
	gz := e.get(b, "", true).Body.Len()
	whole := e.get(b, "?all=1", false).Body.Len()
	report := func(b *testing.B) {
		b.ReportMetric(float64(len(page)), "page-bytes")
		b.ReportMetric(float64(plain), "api-first-bytes")
		b.ReportMetric(float64(gz), "api-first-gzip-bytes")
		b.ReportMetric(float64(whole), "api-all-bytes")
	}
	read := func(b *testing.B) {
		req := httptest.NewRequest(http.MethodGet, "/api/threads/intro", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
		io.Copy(io.Discard, w.Body)
	}
	b.Run("warm", func(b *testing.B) {
		b.ResetTimer() // it also deletes metrics reported before it
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				read(b)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		report(b)
	})
	b.Run("cold", func(b *testing.B) {
		b.ResetTimer()
		for range b.N {
			e.h.Invalidate("intro") // as the inbox does after each reply
			read(b)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		report(b)
	})
}
