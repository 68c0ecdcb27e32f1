package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
)

// journalBrowserCourse is browserCourse with the course hashtag and one
// cohort, whose first week holds the peer's posts (published 22 November
// 2026).
const journalBrowserCourse = `
-- course.toml --
title = "Browser course"
language = "en"
base_url = "http://%[1]s/"

[federation]
handle = "course"
domain = "%[1]s"
allow_insecure = true
hashtag = "#socialcourse"

[[cohorts]]
id = "autumn"
name = "Autumn"
start = 2026-11-16T09:00:00
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
+++
Learning together works.
`

// TestJournalPagesInBrowser: a participant's journal page, the week's and
// the index pass axe-core in Chromium with nothing serious or critical, and
// an open journal page follows the journal API: a new entry appears, an
// edit shows, and "!journal off" takes every entry off at once, without a
// reload.
func TestJournalPagesInBrowser(t *testing.T) {
	exe := chromium(t)
	axe := axeScript(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := ln.Addr().String()
	base := "http://" + host
	dir := t.TempDir()
	writeTxtar(t, dir, fmt.Sprintf(journalBrowserCourse, host))
	serveInProcess(t, dir, ln)
	ctx := context.Background()

	m := mastotest.NewFamily(t, mastotest.FamilyByName("mastodon"))
	m.Course = base + "/actor"
	inbox := base + "/inbox"
	post := func(body []byte) {
		t.Helper()
		if code, err := m.Post(ctx, "alice", inbox, body); err != nil || code != http.StatusAccepted {
			t.Fatalf("POST %d %v", code, err)
		}
	}
	entry := func(id, content string) []byte {
		return m.Activity(t, mastotest.ShapeReply, mastotest.Vars{User: "alice", ID: id, Content: content, Hashtag: "socialcourse", Mention: true})
	}
	post(entry("1", "Week one: I listened more than I spoke."))
	pageURL := base + "/journal/@alice@" + m.Host() + "/"
	eventually(t, "alice's journal page built", func() bool {
		resp, err := http.Get(pageURL)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK && strings.Contains(string(body), "listened more")
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
	if _, err := chromedp.Call(bctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.cohortJournal = {poll: 200}; window.cspViolations = [];
document.addEventListener("securitypolicyviolation", e => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));`}); err != nil {
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
	checkAxe := func(url string) {
		t.Helper()
		if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
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
			t.Errorf("axe-core checked nothing on %s: %d rules passed, %v", url, checked, err)
		}
		t.Logf("axe-core on %s: %d rules pass, %d serious or critical violations", url, checked, len(violations))
		for _, v := range violations {
			t.Errorf("axe-core on %s: %v (%v): %v, on %v", url, v["id"], v["impact"], v["help"], v["nodes"])
		}
	}
	checkAxe(base + "/journal/")
	checkAxe(base + "/journal/week-1/")
	checkAxe(pageURL)

	// The open page follows the API.
	first := `document.querySelector('li.reply[data-id="` + m.NoteID("alice", "1") + `"]')`
	second := `document.querySelector('li.reply[data-id="` + m.NoteID("alice", "2") + `"]')`
	js(`window.notReloaded = true`)
	if got := js(`document.querySelector(".journal .thread-count").textContent`); got != "1 entry" {
		t.Errorf("count of the built page = %q, want \"1 entry\"", got)
	}
	post(entry("2", "Week one, later: feedback is a gift."))
	waitFor("the second entry to appear", second+` !== null`)
	if got := js(`document.querySelector(".journal .thread-count").textContent`); got != "2 entries" {
		t.Errorf("count after the second entry = %q, want \"2 entries\"", got)
	}
	if js(`[...document.querySelectorAll(".journal li.reply")].map(li => li.dataset.id).join(" ")`) != m.NoteID("alice", "1")+" "+m.NoteID("alice", "2") {
		t.Error("entries are not oldest first")
	}
	post(m.Activity(t, mastotest.ShapeUpdate, mastotest.Vars{User: "alice", ID: "2", Content: "Week one, later: feedback is a gift (edited).", Hashtag: "socialcourse", Mention: true}))
	waitFor("the edit to show", second+` !== null && `+second+`.textContent.includes("(edited)") && `+second+`.querySelector(".reply-edited") !== null`)
	post(m.Activity(t, mastotest.ShapeReply, mastotest.Vars{User: "alice", ID: "3", Content: "!journal off", Audience: "direct", Mention: true}))
	waitFor("every entry gone after !journal off", first+` === null && `+second+` === null && !document.querySelector(".thread-empty").hidden`)
	if got := js(`document.querySelector(".journal .thread-count").textContent`); got != "0 entries" {
		t.Errorf("count after !journal off = %q, want \"0 entries\"", got)
	}
	if js(`window.notReloaded === true && window.cspViolations.length === 0`) != true {
		t.Errorf("the page reloaded, or broke its content security policy: %v", js(`window.cspViolations`))
	}
	// At the next build her page is gone.
	eventually(t, "alice's journal page removed", func() bool {
		resp, err := http.Get(pageURL)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNotFound
	})
}
