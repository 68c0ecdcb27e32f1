package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohort-course/cohort/site"
	"github.com/cohort-course/cohort/site/live"
)

// waitLimit is how long the tests wait for something the server should do at once.
// It only matters when it never happens; a passing test takes a second or two.
const waitLimit = 10 * time.Second

// client talks to the server under test on loopback, never through a proxy.
var client = &http.Client{Transport: &http.Transport{Proxy: nil}}

// exampleCourse copies the example course at the root of the repository (course.toml,
// content/, static/) into a temp folder and returns it.
func exampleCourse(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"content", "static"} {
		if err := os.CopyFS(filepath.Join(dir, name), os.DirFS(filepath.Join("..", "..", name))); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "course.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "course.toml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// syncBuffer is the stdout of a server running in another goroutine: safe to write
// there and read here, and it wakes the reader on every write.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{wrote: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.buf.Write(p)
	b.mu.Unlock()
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the output matches re and returns the submatches. It gives up
// when stopped delivers (the command returned) or after waitLimit.
func (b *syncBuffer) waitFor(t *testing.T, re *regexp.Regexp, stopped <-chan error) []string {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		if m := re.FindStringSubmatch(b.String()); m != nil {
			return m
		}
		select {
		case <-b.wrote:
		case err := <-stopped:
			t.Fatalf("serve returned %v before printing %s; output:\n%s", err, re, b)
		case <-timeout:
			t.Fatalf("no %s within %s; output:\n%s", re, waitLimit, b)
		}
	}
}

// eventStream is one browser tab's subscription to the reload events.
type eventStream struct {
	t      *testing.T
	events chan live.Event
	ended  chan struct{} // closed when the server ends the stream
	cancel context.CancelFunc
}

// subscribe opens the event stream as live.js does and returns once the server
// has registered it.
func subscribe(t *testing.T, base string) *eventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", base+strings.TrimPrefix(live.EventsPath, "/"), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("GET %s: %s, Content-Type %q; want 200 text/event-stream", live.EventsPath, resp.Status, ct)
	}
	s := &eventStream{t: t, events: make(chan live.Event, 64), ended: make(chan struct{}), cancel: cancel}
	connected := make(chan struct{})
	go func() {
		defer close(s.ended)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var kind, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == ": connected":
				close(connected)
			case strings.HasPrefix(line, "event: "):
				kind = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && data != "":
				var e live.Event
				if err := json.Unmarshal([]byte(data), &e); err != nil || e.Kind != kind {
					e = live.Event{Kind: "malformed", Message: "event: " + kind + " data: " + data}
				}
				s.events <- e
				kind, data = "", ""
			}
		}
	}()
	select {
	case <-connected:
	case <-s.ended:
		t.Fatal("the event stream ended before it was connected")
	case <-time.After(waitLimit):
		t.Fatalf("the event stream sent nothing within %s", waitLimit)
	}
	return s
}

// next waits for the next event of one of the kinds and returns it. Events of other
// kinds are skipped (a save may reach the builder in two steps), except that an
// unexpected "failed" fails the test with the build's message.
func (s *eventStream) next(kinds ...string) live.Event {
	s.t.Helper()
	timeout := time.After(waitLimit)
	for {
		select {
		case e := <-s.events:
			if slices.Contains(kinds, e.Kind) {
				return e
			}
			if e.Kind == "failed" || e.Kind == "malformed" {
				s.t.Fatalf("waiting for %v, got %s: %s", kinds, e.Kind, e.Message)
			}
			s.t.Logf("skipped event %s %v", e.Kind, e.Paths)
		case <-s.ended:
			s.t.Fatalf("the event stream ended while waiting for %v", kinds)
		case <-timeout:
			s.t.Fatalf("no %v event within %s", kinds, waitLimit)
		}
	}
}

// get fetches url and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// saveAtomically writes a file the way many editors save: a hidden temp file
// beside it, renamed over it, so that no reader ever sees it half-written.
func saveAtomically(t *testing.T, name, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, name, text string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

var servingLine = regexp.MustCompile(`Serving .* at (http://127\.0\.0\.1:\d+/)`)

// TestServe is the author's session end to end: serve the example course on a free
// loopback port, keep a tab subscribed, save a lesson and see it reload with the new
// text, break its front matter and see the error (while the site still answers),
// fix it, change only CSS, and stop. Then check that `cohort build` of the same
// course carries no trace of the live script.
func TestServe(t *testing.T) {
	dir := exampleCourse(t)
	const (
		lessonFile = "content/01-setting-up/onboarding.md"
		lessonPage = "/01-setting-up/onboarding/index.html"
		lessonURL  = "01-setting-up/onboarding/"
	)
	lessonPath := filepath.Join(dir, filepath.FromSlash(lessonFile))

	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	stopped := make(chan error, 1)
	go func() {
		stopped <- run(ctx, []string{"serve", "--source", dir, "--addr", "127.0.0.1:0"}, stdout, stderr)
	}()
	running := true
	t.Cleanup(func() { // never leave the server writing into a temp folder being removed
		cancel()
		if running {
			<-stopped
		}
	})
	base := stdout.waitFor(t, servingLine, stopped)[1]

	status, home := get(t, base)
	if status != 200 || !strings.Contains(home, live.ScriptPath) {
		t.Fatalf("GET /: %d, live script included: %t; want 200 with %s", status, strings.Contains(home, live.ScriptPath), live.ScriptPath)
	}
	if status, js := get(t, base+strings.TrimPrefix(live.ScriptPath, "/")); status != 200 || !strings.Contains(js, live.EventsPath) {
		t.Fatalf("GET %s: %d; want 200 and a script that listens to %s", live.ScriptPath, status, live.EventsPath)
	}
	// The companion answers on the same origin, for the address served.
	host := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")
	if status, jrd := get(t, base+".well-known/webfinger?resource=acct:course@"+host); status != 200 ||
		!strings.Contains(jrd, `"href":"`+base+`actor"`) {
		t.Errorf("WebFinger on serve's origin: %d %s", status, jrd)
	}
	if status, page := get(t, base+lessonURL); status != 200 ||
		!strings.Contains(page, `<link rel="alternate" type="application/activity+json" href="`+base+`cohorts/2026-autumn/lessons/onboarding-fediverse">`) {
		t.Errorf("lesson page does not link its post on serve's origin")
	}
	// Pages show replies from anyone: they come with a policy that runs no inline
	// script, the same as the page's <meta>, and may read the threads API here.
	for _, u := range []string{base + lessonURL, base + "no-such-page/"} {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if csp := resp.Header.Get("Content-Security-Policy"); csp != site.ContentSecurityPolicy(base) ||
			!strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "connect-src 'self' "+strings.TrimSuffix(base, "/")+";") {
			t.Errorf("GET %s: Content-Security-Policy %q", u, csp)
		}
	}
	if status, thread := get(t, base+"api/threads/onboarding-fediverse?cohort=2026-autumn"); status != 200 || !strings.Contains(thread, `"replies":[]`) {
		t.Errorf("threads API: %d %s", status, thread)
	}
	tab := subscribe(t, base)

	// Save a lesson: the tab is told to reload it, and it has the new text.
	original, err := os.ReadFile(lessonPath)
	if err != nil {
		t.Fatal(err)
	}
	const added = "\nA paragraph written while serving, about the zyzzyva.\n"
	appendFile(t, lessonPath, added)
	e := tab.next("reload")
	if !slices.Contains(e.Paths, lessonPage) {
		t.Errorf("reload event names %q, want %s among them", e.Paths, lessonPage)
	}
	if status, page := get(t, base+lessonURL); status != 200 || !strings.Contains(page, "zyzzyva") || !strings.Contains(page, live.ScriptPath) {
		t.Errorf("GET /%s after the save: %d, has the new text: %t, has the live script: %t; want 200, true, true",
			lessonURL, status, strings.Contains(page, "zyzzyva"), strings.Contains(page, live.ScriptPath))
	}
	stdout.waitFor(t, regexp.MustCompile(regexp.QuoteMeta(lessonFile)+` changed: .* in \S+`), stopped)

	// Break its front matter: the tab shows the error with file and line; the
	// server keeps serving the last good build.
	saved := string(original) + added
	broken := strings.Replace(saved, `title = "Bringing participants onto the fediverse"`, `title = "Bringing participants`, 1)
	if broken == saved {
		t.Fatal("the example lesson's title changed; update this test")
	}
	saveAtomically(t, lessonPath, broken)
	e = tab.next("failed")
	if !regexp.MustCompile(regexp.QuoteMeta(lessonFile) + `:2(:\d+)?: `).MatchString(e.Message) {
		t.Errorf("failed event says %q; want it to name %s and line 2", e.Message, lessonFile)
	}
	if status, _ := get(t, base); status != 200 {
		t.Errorf("GET / while the build is broken: %d, want 200", status)
	}
	if status, page := get(t, base+lessonURL); status != 200 || !strings.Contains(page, "zyzzyva") {
		t.Errorf("GET /%s while broken: %d, last good version: %t; want 200, true", lessonURL, status, strings.Contains(page, "zyzzyva"))
	}
	// Saving another lesson while this one is broken still reports the error.
	appendFile(t, filepath.Join(dir, "content", "01-setting-up", "what-is-a-cohort.md"), "\nAnother paragraph.\n")
	if e := tab.next("failed"); !strings.Contains(e.Message, lessonFile) {
		t.Errorf("after saving another lesson, the tab is told %q; want the error in %s still", e.Message, lessonFile)
	}
	late := subscribe(t, base) // a tab opened now shows the error at once
	if e := late.next("failed"); !strings.Contains(e.Message, lessonFile) {
		t.Errorf("a tab opened while broken is told %q, want the error naming %s", e.Message, lessonFile)
	}
	late.cancel()
	stdout.waitFor(t, regexp.MustCompile(`build failed:\n.*`+regexp.QuoteMeta(lessonFile)), stopped)

	// Fix it: the tab recovers (its overlay clears on reload, css or ok).
	saveAtomically(t, lessonPath, saved)
	tab.next("reload", "ok")
	fixed := subscribe(t, base) // and new tabs are not told about the old error

	// Change only CSS (a course-level override of the theme's stylesheet, in a
	// folder made after serve started): the tabs swap stylesheets, no reload.
	theme, err := os.ReadFile(filepath.Join("..", "..", "themes", "default", "static", "css", "style.css"))
	if err != nil {
		t.Fatal(err)
	}
	css := filepath.Join(dir, "static", "css", "style.css")
	if err := os.MkdirAll(filepath.Dir(css), 0o755); err != nil {
		t.Fatal(err)
	}
	saveAtomically(t, css, string(theme)+"\n.cohort-serve-test { color: rebeccapurple }\n")
	for _, s := range []*eventStream{tab, fixed} {
		if e := s.next("css"); !slices.Equal(e.Paths, []string{"/css/style.css"}) {
			t.Errorf("css event names %q, want [/css/style.css]", e.Paths)
		}
	}
	if status, body := get(t, base+"css/style.css"); status != 200 || !strings.Contains(body, "cohort-serve-test") {
		t.Errorf("GET /css/style.css: %d, has the new rule: %t", status, strings.Contains(body, "cohort-serve-test"))
	}

	// Stop (Ctrl-C): run returns nil at once, and open event streams are closed.
	cancel()
	select {
	case err := <-stopped:
		running = false
		if err != nil {
			t.Errorf("serve returned %v after Ctrl-C, want nil", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("serve did not stop within %s; output:\n%s", waitLimit, stdout)
	}
	select {
	case <-tab.ended:
	case <-time.After(waitLimit):
		t.Errorf("the event stream was still open %s after serve stopped", waitLimit)
	}
	if !strings.Contains(stdout.String(), "Stopped.") {
		t.Errorf("serve's output does not end with Stopped.:\n%s", stdout)
	}

	// Serving again on the same address starts warm: the build cache was saved on
	// stop, with every change made while serving.
	ctx2, cancel2 := context.WithCancel(context.Background())
	stdout2 := newSyncBuffer()
	stopped2 := make(chan error, 1)
	go func() {
		addr := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")
		stopped2 <- run(ctx2, []string{"serve", "--source", dir, "--addr", addr}, stdout2, io.Discard)
	}()
	stdout2.waitFor(t, servingLine, stopped2)
	cancel2()
	if err := <-stopped2; err != nil {
		t.Errorf("second serve: %v", err)
	}
	if !strings.Contains(stdout2.String(), "initial build: 0 pages rendered, 0 files written") {
		t.Errorf("serving again rebuilt pages; the cache saved on stop was not used or not up to date:\n%s", stdout2)
	}

	// cohort build of the same course: no live script anywhere.
	out := t.TempDir()
	if err := run(context.Background(), []string{"build", "--source", dir, "--out", out}, io.Discard, io.Discard); err != nil {
		t.Fatalf("cohort build: %v", err)
	}
	pages := 0
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		pages++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("/_cohort/")) {
			t.Errorf("cohort build wrote %s with serve's live script in it", p)
		}
		if strings.HasSuffix(p, filepath.FromSlash(lessonPage)) && !bytes.Contains(data, []byte("zyzzyva")) {
			t.Errorf("cohort build wrote %s without the text saved while serving", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages < 10 {
		t.Errorf("cohort build wrote %d HTML files; the example course has more", pages)
	}
}

// TestServeIgnores checks what the watcher leaves out: serve's own output and
// caches, version control and dependencies; never the course.
func TestServeIgnores(t *testing.T) {
	source := "/course"
	ignore := ignorer(source, filepath.Join(source, ".cohort", "serve"), filepath.Join(source, "db"), "/elsewhere/data")
	tests := []struct {
		rel  string
		want bool
	}{
		{"public", true},
		{"public/index.html", true},
		{".cohort/serve/index.html", true},
		{".cohort/.serve.staging-123/a.html", true},
		{".git/index", true},
		{"node_modules/x/y.js", true},
		{"content/01-setting-up/onboarding.md", false},
		{"static/css/style.css", false},
		{"course.toml", false},
		{"publications/a.md", false}, // a name that starts like public/ is not public/
		{"db/cohort.db-wal", true},   // serve --data db: the store's writes are no saves
		{"dbx/a.md", false},
	}
	for _, tt := range tests {
		if got := ignore(tt.rel); got != tt.want {
			t.Errorf("ignore(%q) = %t, want %t", tt.rel, got, tt.want)
		}
	}
}
