package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/weave"
	"github.com/cohort-course/cohort/site"
)

var updateWeave = flag.Bool("update-weave", false, "rewrite testdata/weave/*.golden")

// weaveCourse is a cohort course served on one loopback origin. %[1]s is the
// course's host:port, %[2]s the moderator's server. The fixed start puts the peers' posts (their
// templates publish at 2026-11-22) in week 1.
const weaveCourse = `
-- course.toml --
title = "Weave course"
language = "en"
base_url = "http://%[1]s/"

[federation]
handle = "course"
domain = "%[1]s"
allow_insecure = true
moderators = ["@maria@%[2]s"]

[[cohorts]]
id = "c1"
name = "November"
start = 2026-11-20T00:00:00Z
-- content/_index.md --
+++
title = "Weave course"
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
discussion = "Which group taught you most?"
+++
Learning together works.
-- content/02-week/_index.md --
+++
title = "Week 2"
weight = 2
+++
The second week.
-- content/02-week/groups.md --
+++
title = "Study groups"
id = "groups"
+++
Groups of four.
`

// TestWeaveLoop plays the weekly weave and the moderators' notices against
// peers of several server families: participants follow and reply, a
// stranger's reply is held and the moderator hears of it by direct message
// (and, within the hour, of nothing more until it has passed); the weave of
// week 1 is drafted (golden), published by deleting its draft line, built
// into a page (golden, axe-core in Chromium) and posted to the cohort's
// followers with a Mention of each quoted author, whose server gets the
// post even when the author does not follow the course.
func TestWeaveLoop(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := ln.Addr().String()
	base := "http://" + host
	mods := mastotest.NewFamily(t, mastotest.FamilyByName("mastodon"))    // maria, the moderator
	alice := mastotest.NewFamily(t, mastotest.FamilyByName("mastodon"))   // follows
	bob := mastotest.NewFamily(t, mastotest.FamilyByName("gotosocial"))   // follows
	carol := mastotest.NewFamily(t, mastotest.FamilyByName("pleroma"))    // replies without following
	stranger := mastotest.NewFamily(t, mastotest.FamilyByName("misskey")) // held
	dir := t.TempDir()
	writeTxtar(t, dir, fmt.Sprintf(weaveCourse, host, mods.Host()))
	comp, st := serveInProcess(t, dir, ln)
	for _, m := range []*mastotest.Server{mods, alice, bob, carol, stranger} {
		m.Course = base + "/actor"
	}
	inbox := base + "/inbox"
	post := func(m *mastotest.Server, user string, body []byte) {
		t.Helper()
		if code, err := m.Post(ctx, user, inbox, body); err != nil || code != http.StatusAccepted {
			t.Fatalf("%s: POST %d %v\n%s", user, code, err, body)
		}
	}
	post(alice, "alice", alice.Activity(t, mastotest.ShapeFollow, mastotest.Vars{User: "alice", ID: "0001"}))
	alice.WaitFor(t, "Accept", 5*time.Second)
	post(bob, "bob", bob.Activity(t, mastotest.ShapeFollow, mastotest.Vars{User: "bob", ID: "0002"}))
	bob.WaitFor(t, "Accept", 5*time.Second)
	lesson := base + "/cohorts/c1/lessons/intro"
	if _, err := st.LessonObjectByID(ctx, lesson); err != nil {
		t.Fatalf("the cohort's lesson is not posted: %v", err)
	}

	reply := func(m *mastotest.Server, user, id, inReplyTo, content string) string {
		t.Helper()
		post(m, user, m.Activity(t, mastotest.ShapeReply, mastotest.Vars{User: user, ID: id, InReplyTo: inReplyTo, Content: content, Mention: true}))
		return m.NoteID(user, id)
	}
	a1 := reply(alice, "alice", "11", lesson, "<p>A study group of four works best.</p>")
	b2 := reply(bob, "bob", "12", a1, "<p>Why four?</p>")
	reply(alice, "alice", "13", b2, "<p>Four can always find a table in a café.</p>")
	c4 := reply(carol, "carol", "14", lesson, "<p>How do you keep a group going after the course ends?</p>")
	s5 := reply(stranger, "dave", "15", lesson, "<p>Cheap followers at spam.example</p>")
	// serveInProcess runs open moderation; a course with moderation =
	// "participants" holds a stranger's reply, as the inbox tests show.
	if _, err := st.SetReplyState(ctx, s5, activitypub.Held, activitypub.AuditEntry{Who: "test", Action: "hold", Target: s5}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.FeatureReply(ctx, a1, activitypub.AuditEntry{Who: "maria", Action: "feature", Target: a1}); err != nil {
		t.Fatal(err)
	}

	// Held reply → a direct message to the moderator, found by WebFinger.
	if err := comp.Notifier().Check(ctx); err != nil {
		t.Fatal(err)
	}
	dm := mods.WaitFor(t, "Create", 10*time.Second)
	var msg struct {
		Object struct {
			To      []string `json:"to"`
			CC      []string `json:"cc"`
			Content string   `json:"content"`
		} `json:"object"`
	}
	if err := json.Unmarshal(dm.Body, &msg); err != nil {
		t.Fatal(err)
	}
	maria := mods.ActorID("maria")
	if len(msg.Object.To) != 1 || msg.Object.To[0] != maria || len(msg.Object.CC) != 0 {
		t.Errorf("the notice is addressed to %v, cc %v; want maria alone", msg.Object.To, msg.Object.CC)
	}
	if !strings.Contains(msg.Object.Content, "held for approval") || !strings.Contains(msg.Object.Content, s5) {
		t.Errorf("the notice does not name the held reply:\n%s", msg.Object.Content)
	}
	// A report arrives within the hour: remembered, not messaged yet.
	flagDoc := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s/flags/1","type":"Flag","actor":"%s","content":"spam","object":["%s","%s"]}`,
		bob.Base, bob.ActorID("bob"), stranger.ActorID("dave"), s5)
	post(bob, "bob", []byte(flagDoc))
	if err := comp.Notifier().Check(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // a message queued now would be on its way
	if n := countType(mods.Received(), "Create"); n != 1 {
		t.Errorf("maria got %d messages within the hour, want 1", n)
	}

	// Draft the weave of week 1, as `cohort weave` does.
	cfg, err := site.LoadConfig(os.DirFS(dir), "course.toml")
	if err != nil {
		t.Fatal(err)
	}
	var manifest site.Manifest
	data, err := os.ReadFile(filepath.Join(dir, "public", "lessons.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	w, err := weave.Compute(ctx, st, weave.Request{Manifest: manifest, Cohort: cfg.Cohorts[0], Week: 1, Now: time.Now(), Moderators: cfg.AllModerators()})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(w.Quotes(), " "); got != a1+" "+c4 {
		t.Errorf("quoted %s, want alice's featured reply and carol's open question", got)
	}
	hosts := strings.NewReplacer(host, "COURSE", alice.Host(), "ALICE", bob.Host(), "BOB", carol.Host(), "CAROL", stranger.Host(), "STRANGER", mods.Host(), "MODS")
	draft := w.Markdown()
	golden(t, "draft.md.golden", hosts.Replace(string(draft)))
	file := filepath.Join(dir, "content", filepath.FromSlash(weave.File("c1", 1)))
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(file), "_index.md"), []byte(weave.ModuleIndex(w.Language)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, draft, 0o644); err != nil {
		t.Fatal(err)
	}
	pageURL := base + "/weave/c1-week-1/"
	time.Sleep(time.Second)
	if code := getStatus(t, pageURL); code != http.StatusNotFound {
		t.Errorf("the draft is served: %d", code)
	}

	// The moderator deletes the draft line: the page is built and posted.
	if err := os.WriteFile(file, bytes.Replace(draft, []byte("draft = true\n"), nil, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	weaveID := base + "/cohorts/c1/lessons/" + weave.ID("c1", 1)
	for _, m := range []*mastotest.Server{alice, bob, carol} {
		create := waitForBody(t, m, "Create", weaveID, 20*time.Second)
		var c struct {
			Object struct {
				CC  []string `json:"cc"`
				Tag []struct{ Type, Href, Name string }
			} `json:"object"`
		}
		if err := json.Unmarshal(create.Body, &c); err != nil {
			t.Fatal(err)
		}
		var mentioned []string
		for _, tag := range c.Object.Tag {
			if tag.Type == "Mention" {
				mentioned = append(mentioned, tag.Href)
			}
		}
		if want := []string{alice.ActorID("alice"), carol.ActorID("carol")}; strings.Join(mentioned, " ") != strings.Join(want, " ") {
			t.Errorf("%s got the weave mentioning %v, want %v", m.Family().Name, mentioned, want)
		}
		if !strings.Contains(strings.Join(c.Object.CC, " "), carol.ActorID("carol")) {
			t.Errorf("carol is not in cc: %v", c.Object.CC)
		}
	}
	page := getBody(t, pageURL)
	golden(t, "page.html.golden", hosts.Replace(mainOf(page)))
	for _, want := range []string{"A study group of four works best.", "How do you keep a group going after the course ends?", `href="` + c4 + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the weave page lacks %s", want)
		}
	}
	axeCheck(t, pageURL)
}

// waitForBody waits for an activity of type typ whose body contains want.
func waitForBody(t *testing.T, m *mastotest.Server, typ, want string, timeout time.Duration) mastotest.Received {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, r := range m.Received() {
			if r.Type == typ && bytes.Contains(r.Body, []byte(want)) {
				return r
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s with %s reached %s", typ, want, m.Base)
	return mastotest.Received{}
}

func countType(rs []mastotest.Received, typ string) int {
	n := 0
	for _, r := range rs {
		if r.Type == typ {
			n++
		}
	}
	return n
}

func getStatus(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getBody(t *testing.T, u string) string {
	t.Helper()
	var body string
	eventually(t, "the page "+u, func() bool {
		resp, err := http.Get(u)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		body = b.String()
		return resp.StatusCode == http.StatusOK
	})
	return body
}

var mainPattern = regexp.MustCompile(`(?s)<main.*</main>`)

// mainOf is the page's main element: the weave, without the site's chrome,
// whose golden files are the site's own.
func mainOf(page string) string { return mainPattern.FindString(page) + "\n" }

// golden compares got with testdata/weave/name, or rewrites it with -update-weave.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "weave", name)
	if *updateWeave {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-weave to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update-weave after an intended change):\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}

// axeCheck opens u in headless Chromium and runs axe-core: nothing serious
// or critical.
func axeCheck(t *testing.T, u string) {
	t.Helper()
	exe := chromium(t)
	axe := axeScript(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-dev-shm-usage", true))
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	bctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	defer cancelTimeout()
	if err := chromedp.Do(bctx, chromedp.Navigate(u)); err != nil {
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
		t.Errorf("axe-core checked nothing: %d rules passed, %v", checked, err)
	}
	t.Logf("axe-core on the weave: %d rules pass, %d serious or critical violations", checked, len(violations))
	for _, v := range violations {
		t.Errorf("axe-core: %v (%v): %v, on %v", v["id"], v["impact"], v["help"], v["nodes"])
	}
}
