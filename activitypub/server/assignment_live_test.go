package server_test

import (
	"context"
	"encoding/json"
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
	"github.com/cohort-course/cohort/site"
)

// TestThreadsAPIMarksAssignment: the threads API marks an assignment
// lesson's replies as the page does (site.MarkAssignment): each author's
// first top-level reply is a submission, another's answer to it a review,
// the author's own answer neither; in the whole thread, in a page and in
// the changes the live script asks for. Another lesson's replies carry no
// marks.
func TestThreadsAPIMarksAssignment(t *testing.T) {
	ctx := context.Background()
	c := startCompanion(t)
	essay := site.ManifestLesson{ID: "essay", Title: "Plan a cohort", URL: "https://site.example/02/essay/", Module: "02", Order: 2,
		Hash: "e1", Assignment: true, Feedback: []string{"What is clear?"}}
	c.writeManifest(t, intro, essay)
	m := mastotest.NewFamily(t, mastotest.FamilyByName("mastodon"))
	actor, _, err := m.Lookup(ctx, "course", c.domain)
	must(t, err)
	m.Course = actor
	post := func(user, id, inReplyTo, content string) string {
		t.Helper()
		body := m.Activity(t, mastotest.ShapeReply, mastotest.Vars{User: user, ID: id, InReplyTo: inReplyTo, Content: content, Mention: true})
		if code, err := m.Post(ctx, user, c.base+"/inbox", body); err != nil || code != http.StatusAccepted {
			t.Fatalf("POST %d %v", code, err)
		}
		return m.NoteID(user, id)
	}
	lesson := c.base + "/lessons/essay"
	aliceWork := post("alice", "1", lesson, "Alice's plan")
	bobWork := post("bob", "2", lesson, "Bob's plan")
	bobReview := post("bob", "3", aliceWork, "Clear, but when does it start?")
	aliceOwn := post("alice", "4", aliceWork, "A correction to my plan")
	introReply := post("alice", "5", c.base+"/lessons/intro", "Not an assignment")

	want := map[string]string{aliceWork: "submission", bobWork: "submission", bobReview: "review", aliceOwn: "", introReply: ""}
	marks := func(rs []*site.Reply, into map[string]string) {
		var walk func([]*site.Reply)
		walk = func(rs []*site.Reply) {
			for _, r := range rs {
				into[r.ID] = map[bool]string{true: "submission"}[r.Submission] + map[bool]string{true: "review"}[r.Review]
				walk(r.Replies)
			}
		}
		walk(rs)
	}
	check := func(what string, got map[string]string, ids ...string) {
		t.Helper()
		for _, id := range ids {
			if g, ok := got[id]; !ok || g != want[id] {
				t.Errorf("%s: %s marked %q (listed %v), want %q", what, id, g, ok, want[id])
			}
		}
	}
	for _, q := range []string{"?all=1", ""} {
		var th site.Thread
		resp := c.get(t, "/api/threads/essay"+q, "application/json")
		must(t, json.NewDecoder(resp.Body).Decode(&th))
		got := map[string]string{}
		marks(th.Replies, got)
		check("thread"+q, got, aliceWork, bobWork, bobReview, aliceOwn)
	}
	raw, _ := io.ReadAll(c.get(t, "/api/threads/essay?all=1", "application/json").Body)
	if !strings.Contains(string(raw), `"submission":true`) || !strings.Contains(string(raw), `"review":true`) {
		t.Errorf("the API's JSON has no submission/review flags: %s", raw)
	}
	var ch struct {
		Changes []struct {
			ID         string `json:"id"`
			Submission bool   `json:"submission"`
			Review     bool   `json:"review"`
		} `json:"changes"`
	}
	must(t, json.NewDecoder(c.get(t, "/api/threads/essay?since=c0", "application/json").Body).Decode(&ch))
	got := map[string]string{}
	for _, x := range ch.Changes {
		got[x.ID] = map[bool]string{true: "submission"}[x.Submission] + map[bool]string{true: "review"}[x.Review]
	}
	check("changes", got, aliceWork, bobWork, bobReview, aliceOwn)
	var other site.Thread
	must(t, json.NewDecoder(c.get(t, "/api/threads/intro?all=1", "application/json").Body).Decode(&other))
	got = map[string]string{}
	marks(other.Replies, got)
	check("a lesson that is no assignment", got, introReply)
}

// assignmentBrowserCourse is browserCourse with an assignment lesson.
const assignmentBrowserCourse = `
-- course.toml --
title = "Browser course"
language = "en"
base_url = "http://%[1]s/"

[federation]
handle = "course"
domain = "%[1]s"
allow_insecure = true
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
-- content/01-week/essay.md --
+++
title = "Plan a cohort"
id = "essay"
weight = 1
date = 2026-01-05
assignment = true
feedback = ["What is clear?", "What is missing?"]
+++
Reply with your plan; two peers review it.
`

// TestAssignmentBadgesInBrowser: on an open assignment page, a submission
// and a review that arrive after the build get their Submission and
// Review badges from discussion.js, as the build gives them, and an
// author's answer to their own work gets neither; without a reload.
func TestAssignmentBadgesInBrowser(t *testing.T) {
	exe := chromium(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := ln.Addr().String()
	base := "http://" + host
	dir := t.TempDir()
	writeTxtar(t, dir, fmt.Sprintf(assignmentBrowserCourse, host))
	serveInProcess(t, dir, ln)
	ctx := context.Background()

	m := mastotest.NewFamily(t, mastotest.FamilyByName("mastodon"))
	m.Course = base + "/actor"
	lesson := base + "/lessons/essay"
	post := func(user, id, inReplyTo, content string) string {
		t.Helper()
		body := m.Activity(t, mastotest.ShapeReply, mastotest.Vars{User: user, ID: id, InReplyTo: inReplyTo, Content: content, Mention: true})
		if code, err := m.Post(ctx, user, base+"/inbox", body); err != nil || code != http.StatusAccepted {
			t.Fatalf("POST %d %v", code, err)
		}
		return m.NoteID(user, id)
	}
	// carol's work is in the built page, with its badge from the build.
	carolWork := post("carol", "1", lesson, "Carol's plan")
	pageURL := base + "/01-week/essay/"
	eventually(t, "carol's submission in the built page", func() bool {
		resp, err := http.Get(pageURL)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(body), `data-id="`+carolWork+`"`)
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
		Source: `window.cohortDiscussion = {poll: 200};`}); err != nil {
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
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	badges := func(id string) string {
		t.Helper()
		v := js(`(li => li ? [...li.querySelector(".reply-who").querySelectorAll(".badge")].map(b => b.textContent).join(",") + "|" +
			["reply-submission", "reply-review"].filter(c => li.classList.contains(c)).join(",") : "absent")(document.querySelector('li.reply[data-id="` + id + `"]'))`)
		s, _ := v.(string)
		return s
	}
	if got := badges(carolWork); got != "Submission|reply-submission" {
		t.Fatalf("the built submission's badges = %q", got)
	}
	js(`window.notReloaded = true`)

	aliceWork := post("alice", "2", lesson, "Alice's plan")
	waitFor("alice's submission to appear", `document.querySelector('li.reply[data-id="`+aliceWork+`"]') !== null`)
	carolReview := post("carol", "3", aliceWork, "Clear; what is missing is the first week.")
	aliceOwn := post("alice", "4", aliceWork, "I add the first week.")
	waitFor("the review and alice's own answer to appear", `document.querySelector('li.reply[data-id="`+carolReview+`"]') !== null && document.querySelector('li.reply[data-id="`+aliceOwn+`"]') !== null`)
	for id, want := range map[string]string{
		aliceWork:   "Submission|reply-submission",
		carolReview: "Review|reply-review",
		aliceOwn:    "|",
		carolWork:   "Submission|reply-submission",
	} {
		if got := badges(id); got != want {
			t.Errorf("badges of %s = %q, want %q", id, got, want)
		}
	}
	if js(`window.notReloaded === true`) != true {
		t.Error("the page reloaded")
	}
}
