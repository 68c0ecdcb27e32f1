package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/server"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
	"github.com/cohort-course/cohort/site/live"
)

// browserCourse is a one-lesson course whose site and fediverse account are on
// one loopback origin, as `cohort serve` runs them. %[1]s is host:port.
const browserCourse = `
-- course.toml --
title = "Browser course"
language = "en"
base_url = "http://%[1]s/"

[federation]
handle = "course"
domain = "%[1]s"
allow_insecure = true
moderators = ["@maria@moderators.example"]
-- content/_index.md --
+++
title = "Browser course"
+++
Welcome.
-- content/01-week/_index.md --
+++
title = "Week 1"
weight = 1
+++
The first week.
-- content/01-week/intro.md --
+++
title = "What a cohort is"
id = "intro"
weight = 1
date = 2026-01-05
discussion = "Which group taught you most?"
+++
Learning together works.
`

// serveInProcess runs what `cohort serve` runs for dir, on ln: the companion
// with its store, the site built with the companion's threads and rebuilt on
// every thread change, both behind one handler. The pages get no live-reload
// script, so that what changes in an open page is discussion.js's doing.
func serveInProcess(t *testing.T, dir string, ln net.Listener) (*server.Server, *sqlite.Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, filepath.Join(dir, ".cohort"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := site.LoadConfig(os.DirFS(dir), "course.toml")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "public")
	var srv *live.Server
	comp, err := server.New(ctx, server.Config{Course: cfg, ManifestPath: filepath.Join(out, "lessons.json"), Store: st,
		Now: time.Now, ThreadChanged: func(id string) { srv.ThreadChanged(id) }})
	if err != nil {
		t.Fatal(err)
	}
	// One top-level reply a page: two replies already make a second page.
	paging := site.ThreadPaging{PageSize: 1, Answers: 1}
	srv = &live.Server{Builder: site.NewBuilder(site.Options{Source: dir, Out: out, Discussion: comp.Discussion(), ThreadPaging: paging}),
		Out: out, BasePath: "/", Hub: live.NewHub(), Report: io.Discard,
		PageHeader: http.Header{"Content-Security-Policy": {site.ContentSecurityPolicy(cfg.Federation.Base())}}}
	if _, err := srv.Build(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := comp.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := live.NewWatcher(dir, func(rel string) bool { return strings.HasPrefix(rel, "public") || strings.HasPrefix(rel, ".cohort") }, nil)
	if err != nil {
		t.Fatal(err)
	}
	watched := make(chan error, 1)
	go func() { watched <- srv.Watch(ctx, w) }()
	mux := http.NewServeMux()
	for _, p := range comp.Prefixes() {
		mux.Handle(p, comp.Handler())
	}
	mux.Handle("/", srv.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() {
		hs.Close()
		cancel()
		<-watched
		w.Close()
		comp.Wait()
		st.Close()
	})
	return comp, st
}

// chromium finds the browser, or skips the test saying how to get one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium binary: install the Debian packages chromium and chromium-driver (.ci/run does)")
	return ""
}

// axeScript returns axe-core's axe.min.js: from $COHORT_AXE_JS, else installed
// with npm into the user's cache (once), else the test is skipped.
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("COHORT_AXE_JS")
	if path == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = t.TempDir()
		}
		dir := filepath.Join(cache, "cohort-test", "axe")
		path = filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
		if _, err := os.Stat(path); err != nil {
			npm, err := exec.LookPath("npm")
			if err != nil {
				t.Skip("axe-core is not installed and there is no npm to install it (.ci/run installs it)")
			}
			cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", "--prefix", dir, "axe-core@4")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("npm install axe-core: %v\n%s", err, out)
			}
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestLessonPageInBrowser opens a lesson page in headless Chromium, served as
// `cohort serve` serves it, and plays the discussion: a reply that arrives
// after the page loaded appears without a reload, a deleted one disappears,
// axe-core finds no serious accessibility problem, and when the companion
// cannot be reached the page keeps its built thread and runs without errors.
func TestLessonPageInBrowser(t *testing.T) {
	exe := chromium(t)
	axe := axeScript(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := ln.Addr().String()
	base := "http://" + host
	dir := t.TempDir()
	writeTxtar(t, dir, fmt.Sprintf(browserCourse, host))
	serveInProcess(t, dir, ln)
	ctx := context.Background()

	// alice replies before the page is opened: the page is built with her reply.
	m := mastotest.New(t)
	m.Course = base + "/actor"
	lesson := base + "/lessons/intro"
	inbox := base + "/inbox"
	if code, err := m.Post(ctx, "alice", inbox, m.Fixture(t, "mastodon-create-reply.json", "alice", lesson, "1")); code != http.StatusAccepted {
		t.Fatalf("alice's reply: %d %v", code, err)
	}
	pageURL := base + "/01-week/intro/"
	eventually(t, "alice's reply in the built page", func() bool {
		resp, err := http.Get(pageURL)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(body), `data-id="`+m.ActorID("alice")+`/statuses/1"`)
	})

	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	defer cancelTimeout()
	messages := chromedp.Console(bctx)

	// Poll every 200 ms instead of 30 s, and note any policy violation.
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.cohortDiscussion = {poll: 200}; window.cspViolations = [];
document.addEventListener("securitypolicyviolation", e => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));`}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	js := func(expr string) any {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Evaluate[any](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	waitFor := func(what, expr string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	aliceLi := `document.querySelector('li.reply[data-id="` + m.ActorID("alice") + `/statuses/1"]')`
	bobID := m.ActorID("bob") + "/statuses/2"
	bobLi := `document.querySelector('li.reply[data-id="` + bobID + `"]')`
	if js(aliceLi+` !== null`) != true {
		t.Fatal("the page does not show alice's reply")
	}
	js(`window.notReloaded = true`)
	waitFor("the join form shown by the script", `!document.querySelector("form.remote-reply").hidden`)

	// bob replies while the page is open: the script adds his reply.
	if code, err := m.Post(ctx, "bob", inbox, m.Fixture(t, "mastodon-create-reply.json", "bob", lesson, "2")); code != http.StatusAccepted {
		t.Fatalf("bob's reply: %d %v", code, err)
	}
	waitFor("bob's reply to appear", bobLi+` !== null`)
	if js(`window.notReloaded === true`) != true {
		t.Error("the page reloaded to show bob's reply")
	}
	if got := js(bobLi + `.querySelector(".reply-handle").textContent`); got != "@bob@"+m.Host() {
		t.Errorf("bob's handle shows %q", got)
	}
	if got := js(`[...` + bobLi + `.querySelectorAll(".reply-content a")].every(a => a.rel === "nofollow noopener ugc") && ` + bobLi + `.querySelectorAll(".reply-content a").length > 0`); got != true {
		t.Error("a link in bob's reply added by the script lacks rel=nofollow noopener ugc")
	}
	if got := js(`document.querySelector(".thread-status").textContent`); got != "1 new reply" {
		t.Errorf("the live region says %q, want 1 new reply", got)
	}

	// bob edits his reply: the open page shows the new text and the edit.
	if code, err := m.Post(ctx, "bob", inbox, m.Fixture(t, "mastodon-update-note.json", "bob", lesson, "2")); code != http.StatusAccepted {
		t.Fatalf("bob's edit: %d %v", code, err)
	}
	waitFor("bob's edit to show", bobLi+` !== null && `+bobLi+`.querySelector(".reply-edited") !== null && `+bobLi+`.textContent.includes("(edited)")`)
	if js(`document.querySelectorAll('li.reply[data-id="`+bobID+`"]').length === 1 && window.notReloaded === true`) != true {
		t.Error("bob's edit duplicated his reply, or the page reloaded")
	}
	if got := js(`document.querySelector(".thread-status").textContent`); got != "1 new reply" {
		t.Errorf("after an edit the live region says %q; an edit is no new reply", got)
	}

	// The site was rebuilt with bob's reply: its thread has two pages now,
	// bob's (newest) on the lesson page, alice's on a page of its own.
	eventually(t, "the thread's second page", func() bool {
		resp, err := http.Get(pageURL + "discussion/2/")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), `data-id="`+m.ActorID("alice")+`/statuses/1"`) &&
			!strings.Contains(string(body), `data-id="`+bobID+`"`)
	})

	// The thread as it stands passes axe-core: nothing serious or critical.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[any](axe+";true")); err != nil {
		t.Fatalf("load axe-core: %v", err)
	}
	violations, err := chromedp.Run(bctx, chromedp.Evaluate[[]map[string]any](
		`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html).slice(0, 3)})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	checked, err := chromedp.Run(bctx, chromedp.Evaluate[int](`axe.run(document).then(r => r.passes.length)`, chromedp.EvalAwaitPromise))
	if err != nil || checked == 0 {
		t.Errorf("axe-core checked nothing: %d rules passed, %v", checked, err)
	}
	t.Logf("axe-core: %d rules pass, %d serious or critical violations", checked, len(violations))
	for _, v := range violations {
		t.Errorf("axe-core: %v (%v): %v, on %v", v["id"], v["impact"], v["help"], v["nodes"])
	}

	// bob deletes his reply: it disappears from the open page.
	if code, err := m.Post(ctx, "bob", inbox, m.Fixture(t, "mastodon-delete-note.json", "bob", "", "2")); code != http.StatusAccepted {
		t.Fatalf("bob's delete: %d %v", code, err)
	}
	waitFor("bob's reply to disappear", bobLi+` === null`)
	if js(aliceLi+` !== null && window.notReloaded === true`) != true {
		t.Error("alice's reply went with bob's, or the page reloaded")
	}

	// A fresh load shows the first page: bob's reply gone, alice's back on
	// it, and no link to a second page of one reply.
	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the rebuilt lesson page", func() bool {
		v, err := chromedp.Run(bctx, chromedp.Evaluate[bool](aliceLi+` !== null && `+bobLi+` === null && document.querySelector(".thread-older") === null`))
		if err != nil || !v {
			chromedp.Do(bctx, chromedp.Reload())
		}
		return err == nil && v
	})

	// The companion becomes unreachable: requests to its API fail as a network
	// error. A fresh load of the page still shows the built thread, the script's
	// polls fail quietly, and the rest of the page keeps working.
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, network.SetBlockedURLs, network.SetBlockedURLsParams{
		URLPatterns: []*network.BlockPattern{{URLPattern: base + "/api/threads/*", Block: true}}}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1 * time.Second) // a few failed polls
	if js(aliceLi+` !== null && `+bobLi+` === null`) != true {
		t.Error("with the companion down, the page does not show its built thread")
	}
	if js(`!document.querySelector("form.remote-reply").hidden && document.querySelector(".thread-snapshot") !== null`) != true {
		t.Error("with the companion down, the script did not finish setting up the page, or claimed to be live")
	}
	if v := js(`window.cspViolations`); v != nil && len(v.([]any)) > 0 {
		t.Errorf("Content-Security-Policy violations: %v", v)
	}

	cancelTimeout()
	for msg, err := range messages {
		if err != nil {
			break
		}
		// The blocked API and avatars on the fixtures' made-up hosts fail to
		// load, as resources do; anything else is an error of the page.
		if msg.Type == chromedp.ConsoleException || (msg.Type == chromedp.ConsoleError && !strings.HasPrefix(msg.Text, "Failed to load resource")) {
			t.Errorf("console %s: %s", msg.Type, msg.Text)
		}
	}
}

// writeTxtar writes the files of a txtar archive ("-- name --" lines) under dir.
func writeTxtar(t *testing.T, dir, archive string) {
	t.Helper()
	var name string
	var body strings.Builder
	flush := func() {
		if name == "" {
			return
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, line := range strings.SplitAfter(archive, "\n") {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(strings.TrimSpace(line), " --") {
			flush()
			name, _ = strings.CutSuffix(strings.TrimPrefix(strings.TrimSpace(line), "-- "), " --")
			body.Reset()
			continue
		}
		body.WriteString(line)
	}
	flush()
	if name == "" {
		t.Fatal(errors.New("empty archive"))
	}
}
