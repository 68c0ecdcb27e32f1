package themes_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/rogpeppe/go-internal/txtar"
	"golang.org/x/crypto/bcrypt"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/moderation"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// update rewrites the golden screenshots: review them (they are pictures of
// every page type) before committing.
//
//	go test ./themes -run TestThemeInBrowser -update
var update = flag.Bool("update", false, "rewrite the golden screenshots under testdata/screens")

// Golden screenshots are compared at half size and in grey, which keeps the
// 32 of them near 400 KB to commit and averages away most of the antialiasing
// a font renderer varies (grey still tells light from dark, and text, borders
// and fills from the ground). A pixel differs when it is off by more than
// pixelTolerance of 255; a screenshot fails when more than maxDiffering of
// its pixels differ. The fonts, their hinting and the colour profile are set
// and the GPU is off, so the same Chromium draws the same pixels; the margin
// is for another build of it. A badge of two words changes 0.3% of a phone's
// screenshot, a moved line of text far more.
const (
	screenScale    = 2
	pixelTolerance = 16
	maxDiffering   = 0.002
)

// screenFonts are the fonts the screenshots are drawn in, whatever the theme
// asks for: fonts-dejavu-core comes with fontconfig on Debian, so every machine
// that runs .ci/run has them, and the goldens do not depend on which
// system-ui font a machine happens to have.
var screenFonts = []string{"DejaVu Sans", "DejaVu Sans Mono"}

const screenFontsCSS = `:root { --font: "DejaVu Sans", sans-serif; --mono: "DejaVu Sans Mono", monospace; }
body, button, input, select, textarea, summary { font-family: var(--font); }
code, kbd, samp, pre { font-family: var(--mono); }
* { caret-color: transparent !important; }`

// browserCourse has every page type: a home, modules, lessons with a table of
// contents, a deep thread on one lesson, two cohorts (so a schedule, and an
// archive of the earlier cohort's discussion), and a fediverse account.
const browserCourse = `
-- course.toml --
title = "Facilitating online courses"
language = "en"
base_url = "https://course.example.org/"
description = "Learn to run a cohort course in which people learn from each other."
organisation = "Open Learning Co-op"
license = "CC BY-SA 4.0"

[federation]
handle = "course"
domain = "course.example.org"

[[cohorts]]
id = "spring"
name = "Spring 2026"
start = 2026-03-02T09:00:00
time_zone = "Europe/Amsterdam"

[[cohorts]]
id = "autumn"
name = "Autumn 2026"
start = 2026-09-07T09:00:00
time_zone = "Europe/Amsterdam"
-- content/_index.md --
+++
title = "Facilitating online courses"
+++
Welcome to the course. It runs for **three weeks**, one module a week.
-- content/about.md --
+++
title = "About"
+++
Who we are.
-- content/01-welcome/_index.md --
+++
title = "Welcome"
weight = 1
summary = "What a cohort is and how the weeks go."
+++
This module is about how the course works.
-- content/01-welcome/why-cohorts.md --
+++
title = "Why cohorts work"
id = "why-cohorts"
weight = 1
summary = "People who start together finish together."
discussion = "Which group taught you the most, and why?"
tags = ["cohorts", "motivation"]
objectives = ["Say what a cohort is", "Name two reasons cohorts help"]
+++
People who start a course together, at the same time, keep each other going.

## A shared start

A cohort starts on one day. Everyone reads the same lesson in the same week,
so a question asked on Monday finds people who are thinking about it.

> [!TIP]
> Ask one thing at a time.

## A rhythm

Each week opens a module. The discussion of a lesson runs for that week.

### Mondays

The module opens.

### Fridays

A summary of the week's discussion.

## Staying together

Replies on the fediverse keep the group talking between lessons.

` + "```go\nfunc main() { fmt.Println(\"hello\") }\n```" + `

| Week | Module |
|------|--------|
| 1 | Welcome |
| 2 | Facilitating |
-- content/01-welcome/setting-up.md --
+++
title = "Setting up"
weight = 2
summary = "An account, a profile, a first post."
+++
Make an account on a fediverse server.
-- content/02-facilitating/_index.md --
+++
title = "Facilitating"
weight = 2
summary = "Prompts, weaving and summaries."
+++
How to keep a discussion going.
-- content/02-facilitating/prompts.md --
+++
title = "Good prompts"
weight = 1
summary = "Open questions that people want to answer."
+++
An open question has more than one good answer.
-- content/02-facilitating/weaving.md --
+++
title = "Weaving"
weight = 2
summary = "Connecting what people said."
+++
Weaving links replies to each other.
-- content/03-closing/_index.md --
+++
title = "Closing"
weight = 3
summary = "Ending a cohort well."
+++
The last week.
-- content/03-closing/closing-well.md --
+++
title = "Closing well"
weight = 1
summary = "A last summary and a thank-you."
+++
Say thank you.
`

// buildNow is the build's clock: the autumn cohort's second week, so the
// schedule marks module 2 and the first lesson has an archive of spring's
// discussion.
var buildNow = time.Date(2026, 9, 16, 12, 0, 0, 0, time.UTC)

// browserDiscussion gives the first lesson a thread: a chain of answers six
// deep (deeper than a phone indents), a moderator and a long handle; other
// lessons have none.
type browserDiscussion struct{ avatar string }

func (d browserDiscussion) Thread(_ context.Context, lessonID, cohortID string) (*site.Thread, error) {
	if lessonID != "why-cohorts" {
		return &site.Thread{Lesson: lessonID}, nil
	}
	at := func(h int) time.Time { return time.Date(2026, 9, 14, 8+h, 30, 0, 0, time.UTC) }
	person := func(name, handle string) site.Author {
		return site.Author{Name: name, Handle: handle, URL: "https://social.example/@" + strings.ToLower(name), Avatar: d.avatar}
	}
	n := 0
	reply := func(a site.Author, h int, text string, answers ...*site.Reply) *site.Reply {
		n++
		return &site.Reply{ID: fmt.Sprintf("https://social.example/notes/%s/%d", cohortID, n), URL: fmt.Sprintf("https://social.example/@x/%d", n),
			Author: a, Published: at(h), Content: "<p>" + text + "</p>", Replies: answers}
	}
	alice := person("Alice Lindqvist", "@alice@social.example")
	bob := person("Bob", "@bob@a-rather-long-instance-name.example")
	maria := person("Maria", "@maria@moderators.example")
	maria.Moderator = true
	chain := reply(bob, 7, "Six levels down, still readable.")
	for i, a := range []site.Author{alice, maria, bob, alice, maria} {
		chain = reply(a, 6-i, fmt.Sprintf("An answer at level %d.", 5-i), chain)
	}
	if cohortID == "spring" {
		return &site.Thread{Lesson: lessonID, Count: 1, Replies: []*site.Reply{reply(alice, 0, "In spring, my book club taught me the most.")}}, nil
	}
	top := reply(alice, 0, "My book club: we read the same chapter each week, and nobody wanted to be the one who had not.", chain)
	other := reply(bob, 1, "A running group. Same idea: you turn up because they do.")
	return &site.Thread{Lesson: lessonID, Count: 8, Likes: 3, Boosts: 1, Replies: []*site.Reply{top, other}}, nil
}

// screenPage is one page type the browser test looks at.
type screenPage struct {
	name, path string
	scrollTo   string // a selector to scroll into view before the screenshot
}

var screenPages = []screenPage{
	{"home", "/", ""},
	{"module", "/01-welcome/", ""},
	{"lesson", "/01-welcome/why-cohorts/", ""},
	{"discussion", "/01-welcome/why-cohorts/", "#discussion .replies"},
	{"schedule", "/schedule/", ""},
	{"search", "/search/?q=cohort", ""},
	{"archive", "/01-welcome/why-cohorts/cohorts/spring/", ""},
	{"moderation", "/moderate/", ""},
}

var viewports = []struct {
	name          string
	width, height int64
}{{"phone", 390, 844}, {"wide", 1280, 900}}

// TestThemeInBrowser builds a course with the default theme and opens every
// page type in headless Chromium, on a 390×844 phone and a 1280×900 screen, in
// light and dark: each matches its golden screenshot, and axe-core finds no
// serious or critical problem. Then it plays what a reader does: the phone
// menu with and without JavaScript, the colour toggle (remembered, and no
// flash of the other scheme on the next page), reply times in the reader's
// zone, replies on a phone, the contents column and the sidebar.
func TestThemeInBrowser(t *testing.T) {
	exe := chromium(t)
	axe := axeScript(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	out := buildBrowserCourse(t, base+"/avatar.png")
	mod := moderationPages(t, base)

	mux := http.NewServeMux()
	csp := site.ContentSecurityPolicy("https://course.example.org")
	files := http.FileServer(http.Dir(out))
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		files.ServeHTTP(w, r)
	}))
	mux.Handle("/moderate/", mod)
	mux.HandleFunc("/avatar.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(avatarPNG())
	})
	mux.HandleFunc("/test/fonts.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, screenFontsCSS)
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("font-render-hinting", "none"), chromedp.Flag("force-color-profile", "srgb"))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 4*time.Minute)
	defer cancelTimeout()
	b := &browser{t: t, ctx: bctx, base: base}

	// The companion's threads API is on another host: unreachable here, as
	// when the companion is down, so that the page shows what it was built with.
	send(b, network.Enable, network.EnableParams{})
	send(b, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{{URLPattern: "https://*", Block: true}}})
	send(b, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Amsterdam"})
	// The reader's clock is the build's, so that the schedule's week marked by
	// the script is the same whenever the test runs.
	b.setNow(buildNow)
	b.login("mia", "correct horse battery")

	fontsOK := haveFonts()
	if !fontsOK {
		t.Logf("screenshots are not compared: fonts %v are not installed (Debian: fonts-dejavu-core)", screenFonts)
	}
	for _, vp := range viewports {
		for _, scheme := range []string{"light", "dark"} {
			b.viewport(vp.width, vp.height)
			b.scheme(scheme)
			for _, p := range screenPages {
				name := p.name + "-" + vp.name + "-" + scheme
				b.open(p.path)
				b.fonts()
				if p.scrollTo != "" {
					b.js(`document.querySelector(` + jsString(p.scrollTo) + `).scrollIntoView({behavior: "instant", block: "start"}), true`)
				}
				b.settle()
				if fontsOK {
					compareScreen(t, name, b.screenshot())
				}
				if p.scrollTo == "" {
					b.axe(axe, name)
				}
			}
		}
	}

	t.Run("menu", func(t *testing.T) { b.t = t; testMenu(b) })
	t.Run("colour toggle", func(t *testing.T) { b.t = t; testToggle(b) })
	t.Run("replies", func(t *testing.T) { b.t = t; testReplies(b) })
	t.Run("lesson layout", func(t *testing.T) { b.t = t; testLessonLayout(b) })
	t.Run("schedule", func(t *testing.T) { b.t = t; testSchedule(b) })
	t.Run("without JavaScript", func(t *testing.T) { b.t = t; testNoScript(b) })
}

// testMenu: under 640 px the navigation is behind a button that says whether
// it is open; Escape closes it; on a wide screen it is always there.
func testMenu(b *browser) {
	b.viewport(390, 844)
	b.open("/01-welcome/")
	if b.js(`document.querySelector(".site-nav").offsetParent === null && !document.querySelector(".menu-button").hidden &&
		document.querySelector(".menu-toggle").hidden`) != true {
		b.t.Fatal("on a phone the navigation is not folded behind the menu button")
	}
	b.click(".menu-button")
	if b.js(`document.querySelector(".menu-button").getAttribute("aria-expanded") === "true" &&
		document.querySelector(".site-nav").offsetParent !== null`) != true {
		b.t.Error("the menu button does not open the navigation, or does not say it is expanded")
	}
	// the links stack, one a line
	if b.js(`(() => { const a = [...document.querySelectorAll(".site-nav a")].map(a => a.getBoundingClientRect());
		return a.every((r, i) => i === 0 || r.top >= a[i-1].bottom - 1); })()`) != true {
		b.t.Error("the open menu's links do not stack")
	}
	b.key(kb.Escape)
	if b.js(`document.querySelector(".menu-button").getAttribute("aria-expanded") === "false" &&
		document.querySelector(".site-nav").offsetParent === null`) != true {
		b.t.Error("Escape does not close the menu")
	}
	b.viewport(1280, 900)
	if b.js(`document.querySelector(".site-nav").offsetParent !== null && document.querySelector(".menu-button").offsetParent === null &&
		document.querySelectorAll(".site-header-inner > *:not([hidden])").length > 0 &&
		document.querySelector(".site-header").getBoundingClientRect().height < 90`) != true {
		b.t.Error("on a wide screen the navigation is not shown on the header's line")
	}
}

// testToggle: the toggle starts at the system's setting, switches, is
// remembered, and the next page is drawn in the chosen scheme from the start.
func testToggle(b *browser) {
	b.viewport(1280, 900)
	b.scheme("light")
	b.open("/")
	b.js(`localStorage.clear(), true`)
	b.open("/")
	if b.js(`document.querySelector(".theme-toggle").getAttribute("aria-pressed")`) != "false" {
		b.t.Error("with a light system setting the dark toggle is pressed")
	}
	b.click(".theme-toggle")
	if b.js(`document.documentElement.dataset.theme === "dark" && localStorage.getItem("cohort-color-scheme") === "dark" &&
		document.querySelector(".theme-toggle").getAttribute("aria-pressed") === "true"`) != true {
		b.t.Error("the toggle does not switch to dark and remember it")
	}
	if bg := b.js(`getComputedStyle(document.body).backgroundColor`); bg != "rgb(21, 23, 27)" {
		b.t.Errorf("after the toggle the page's background is %v, want the dark one", bg)
	}
	// The next page: the choice is on <html> before <body> exists.
	send(b, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
new MutationObserver((m, o) => { if (document.body) { window.themeAtBody = document.documentElement.getAttribute("data-theme") || "none"; o.disconnect(); } })
  .observe(document, {childList: true, subtree: true});`})
	b.open("/01-welcome/")
	if got := b.js(`window.themeAtBody`); got != "dark" {
		b.t.Errorf("when <body> is parsed the scheme is %v, want dark: the page would flash light", got)
	}
	// A dark system and a reader who chose light: light it is.
	b.scheme("dark")
	b.click(".theme-toggle")
	b.open("/01-welcome/")
	if b.js(`document.documentElement.dataset.theme === "light" && getComputedStyle(document.body).backgroundColor === "rgb(255, 255, 255)"`) != true {
		b.t.Error("with a dark system, the reader's light choice is not kept")
	}
	b.js(`localStorage.clear(), true`)
	b.scheme("light")
}

// testReplies: on a phone each reply's header is one line (name over time,
// beside the avatar), the nesting stops at three indents, deeper answers say
// whom they answer, and times are in the reader's zone.
func testReplies(b *browser) {
	b.viewport(390, 844)
	b.open("/01-welcome/why-cohorts/")
	headers := b.js(`[...document.querySelectorAll("#discussion li.reply")].map(li => {
		const h = li.querySelector(":scope > .reply-body > .reply-header");
		const img = h.querySelector(".reply-avatar"), who = h.querySelector(".reply-who"), when = h.querySelector(".reply-when");
		const a = img.getBoundingClientRect(), w = who.getBoundingClientRect(), t = when.getBoundingClientRect();
		const line = parseFloat(getComputedStyle(who).lineHeight);
		return {oneLine: w.height <= line * 1.5, timeBelow: t.top >= w.bottom - 1, besideAvatar: w.left >= a.right && t.left >= a.right,
			tall: h.getBoundingClientRect().height <= Math.max(a.height, w.height + t.height) + 2,
			left: li.getBoundingClientRect().left, width: li.querySelector(".reply-body").getBoundingClientRect().width};
	})`).([]any)
	if len(headers) != 8 {
		b.t.Fatalf("%d replies on the page, want 8", len(headers))
	}
	lefts := map[float64]bool{}
	for i, h := range headers {
		m := h.(map[string]any)
		for _, k := range []string{"oneLine", "timeBelow", "besideAvatar", "tall"} {
			if m[k] != true {
				b.t.Errorf("reply %d: %s is false: %v", i+1, k, m)
			}
		}
		lefts[m["left"].(float64)] = true
		if w := m["width"].(float64); w < 250 {
			b.t.Errorf("reply %d is %.0f px wide on a 390 px phone", i+1, w)
		}
	}
	if len(lefts) != 4 { // top level and three indents
		b.t.Errorf("replies start at %d different indents, want 4: %v", len(lefts), lefts)
	}
	if got := b.js(`[...document.querySelectorAll("#discussion .reply-to")].map(p => p.textContent).join(" | ")`); got != "replying to @bob@a-rather-long-instance-name.example | replying to @maria@moderators.example | replying to @alice@social.example" {
		b.t.Errorf("the flattened answers say %q", got)
	}
	// Times: built as UTC text, shown in the reader's zone (Amsterdam: UTC+2 in September).
	t := b.js(`(() => { const t = document.querySelector("#discussion .reply-time time"); return [t.textContent, t.title, t.getAttribute("datetime")]; })()`).([]any)
	if t[1] != "14 September 2026, 08:30 UTC" || !strings.Contains(t[0].(string), "10:30") || t[2] != "2026-09-14T08:30:00Z" {
		b.t.Errorf("a reply's time reads %q (title %q, datetime %q), want 10:30 in Amsterdam with the UTC text as its title", t[0], t[1], t[2])
	}
}

// testLessonLayout: on a wide screen the lesson's contents stay beside the text
// as it scrolls, and the sidebar lists the whole course with the lesson's
// module open and the lesson marked.
func testLessonLayout(b *browser) {
	b.viewport(1280, 900)
	b.open("/01-welcome/why-cohorts/")
	if b.js(`(() => { const toc = document.querySelector(".toc").getBoundingClientRect(), text = document.querySelector(".lesson .content").getBoundingClientRect();
		return toc.left >= text.right && toc.top < 400; })()`) != true {
		b.t.Error("the contents are not beside the lesson's text")
	}
	b.js(`window.scrollTo({top: 1500, behavior: "instant"}), true`)
	b.settle()
	if top := b.js(`document.querySelector(".toc").getBoundingClientRect().top`).(float64); top < 0 || top > 40 {
		b.t.Errorf("scrolled 1500 px down, the contents are at %.0f px: not sticky", top)
	}
	if got := b.js(`[...document.querySelectorAll(".toc a[aria-current=location]")].map(a => a.textContent).join()`); got != "Staying together" {
		b.t.Errorf("scrolled past the last heading, the contents mark %q", got)
	}
	nav := b.js(`(() => { const s = document.querySelector(".sidebar");
		return [s.querySelectorAll(".course-nav-modules > li").length, s.querySelectorAll("details[open]").length,
			s.querySelector(".course-nav-current [aria-current=page]")?.textContent, s.querySelectorAll("details:not([open]) a").length]; })()`).([]any)
	if nav[0] != 3.0 || nav[1] != 0.0 || nav[2] != "Why cohorts work" || nav[3] != 5.0 {
		b.t.Errorf("the sidebar has %v modules, %v open lists, current %q, %v folded links; want 3, 0, Why cohorts work, 5", nav[0], nav[1], nav[2], nav[3])
	}
	b.viewport(390, 844)
	b.open("/01-welcome/why-cohorts/")
	if b.js(`document.querySelector(".toc").getBoundingClientRect().top < document.querySelector(".lesson .content").getBoundingClientRect().top`) != true {
		b.t.Error("on a phone the contents are not above the text")
	}
}

// testSchedule: one table a cohort with the same columns for every week, and
// the week the cohort is in marked (by the build, and again by the script).
func testSchedule(b *browser) {
	b.viewport(1280, 900)
	b.open("/schedule/")
	got := b.js(`(() => { const tables = [...document.querySelectorAll(".schedule-table")];
		return [tables.length, tables.map(t => t.querySelectorAll("tbody.schedule-week").length).join(","),
			document.querySelector("#cohort-autumn ~ .schedule-scroll .schedule-current th")?.textContent.trim()]; })()`).([]any)
	if got[0] != 2.0 || got[1] != "3,3" {
		b.t.Errorf("the schedule has %v tables with %v weeks, want 2 with 3,3", got[0], got[1])
	}
	if got[2] != "Module 2: Facilitating This week" {
		b.t.Errorf("autumn's current week reads %q", got[2])
	}
	built := b.js(`fetch(location.href).then(r => r.text()).then(s => (s.match(/schedule-current/g) || []).length)`, chromedp.EvalAwaitPromise)
	if built != 1.0 {
		b.t.Errorf("the built schedule marks %v weeks, want 1 (the spring cohort is over, autumn is in week 2)", built)
	}
	// A week after the build the page is the same, but the reader is in week 3.
	b.setNow(buildNow.Add(7 * 24 * time.Hour))
	defer b.setNow(buildNow)
	b.open("/schedule/")
	marked := b.js(`[...document.querySelectorAll(".schedule-current th")].map(th => th.textContent.trim()).join(" | ")`)
	if marked != "Module 3: Closing This week" {
		b.t.Errorf("a week after the build, the marked weeks are %q, want autumn's module 3", marked)
	}
}

// testNoScript: without JavaScript the menu still opens (a <details>) and times
// read in UTC.
func testNoScript(b *browser) {
	send(b, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	defer send(b, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
	b.viewport(390, 844)
	b.open("/01-welcome/why-cohorts/")
	// Evaluate runs in the page even so; the page's own scripts did not.
	if b.js(`document.querySelector(".site-nav").offsetParent === null && document.querySelector(".menu-toggle summary").offsetParent !== null &&
		document.querySelector(".menu-button").hidden && document.querySelector(".theme-toggle").hidden`) != true {
		b.t.Error("without JavaScript the menu is not a <details> folded on a phone, or a script-only button shows")
	}
	b.click(".menu-toggle summary")
	if b.js(`document.querySelector(".site-nav").offsetParent !== null`) != true {
		b.t.Error("without JavaScript the menu does not open")
	}
	if got := b.js(`document.querySelector("#discussion .reply-time time").textContent`); got != "14 September 2026, 08:30 UTC" {
		b.t.Errorf("without JavaScript a reply's time reads %q, want the UTC text", got)
	}
}

// buildBrowserCourse builds browserCourse with a thread whose authors have
// avatar as their picture, and returns the output folder.
func buildBrowserCourse(t *testing.T, avatar string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range txtar.Parse([]byte(browserCourse)).Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "public")
	// every answer on the lesson page: the thread is deeper than a phone indents
	_, err := site.Build(context.Background(), site.Options{Source: dir, Out: out, Now: func() time.Time { return buildNow },
		Discussion: browserDiscussion{avatar: avatar}, ThreadPaging: site.ThreadPaging{Answers: 10}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// moderationPages is the moderation handler over a real store with one
// moderator (mia) and two held replies, one with a content warning.
func moderationPages(t *testing.T, base string) http.Handler {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	urls := activitypub.URLs{Base: base}
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return buildNow }
	st.Now = now
	const spam = "https://spam.example/users/bob"
	steps := []error{
		st.AddModerator(ctx, activitypub.Moderator{Name: "mia", Handle: "@mia@mastodon.example", PasswordHash: string(hash)}),
		st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "why-cohorts", ObjectID: base + "/lessons/why-cohorts", ContentHash: "h"}),
		st.SaveActor(ctx, activitypub.Actor{ID: spam, PreferredUsername: "bob", Inbox: spam + "/inbox"}),
	}
	for i, r := range []activitypub.Reply{
		{Content: "<p>Buy followers now, cheap! Visit my profile.</p>"},
		{Content: "<p>I disagree strongly with this lesson.</p>", Summary: "heated"},
	} {
		r.ID, r.Actor, r.Published = fmt.Sprintf("%s/statuses/%d", spam, i+1), spam, buildNow.Add(-time.Duration(i+1)*time.Hour)
		r.Visibility, r.State = activitypub.Public, activitypub.Held
		r.LessonID, r.InReplyTo = "why-cohorts", base+"/lessons/why-cohorts"
		steps = append(steps, st.SaveReply(ctx, r))
	}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	acts := moderation.New(moderation.Options{Store: st, URLs: urls, Now: now})
	return moderation.NewHandler(moderation.HandlerOptions{Actions: acts, Store: st, URLs: urls, Title: "Facilitating online courses", Now: now})
}

// avatarPNG is a 48×48 picture: a disc on a plain ground.
func avatarPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 48, 48))
	for y := range 48 {
		for x := range 48 {
			c := color.RGBA{0x2e, 0x6f, 0x9e, 0xff}
			if dx, dy := x-24, y-20; dx*dx+dy*dy < 100 {
				c = color.RGBA{0xf2, 0xd4, 0xb0, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// browser is one tab, with the steps the test takes in it.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	clock page.ScriptIdentifier // the script that sets Date.now
}

// setNow makes Date.now in the pages opened from now on return at: the only
// clock the theme's script reads.
func (b *browser) setNow(at time.Time) {
	b.t.Helper()
	if b.clock != "" {
		send(b, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: b.clock})
	}
	r, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: fmt.Sprintf("Date.now = () => %d;", at.UnixMilli())})
	if err != nil {
		b.t.Fatal(err)
	}
	b.clock = r.Identifier
}

// send sends one DevTools command to the tab.
func send[P, R any](b *browser, cmd cdp.Command[P, R], params P) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, cmd, params); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) viewport(w, h int64) {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if w < 640 {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulatePortrait)
	}
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(w, h, opts...)); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) scheme(s string) {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: s}}}); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) open(path string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(b.base+path)); err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
}

func (b *browser) js(expr string, opts ...chromedp.EvaluateOption) any {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](expr, opts...))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func (b *browser) click(sel string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

func (b *browser) key(k string) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.KeyEvent(k)); err != nil {
		b.t.Fatalf("key %s: %v", k, err)
	}
}

// login signs in to the moderation pages through their form.
func (b *browser) login(name, password string) {
	b.t.Helper()
	b.open("/moderate/login")
	if err := chromedp.Do(b.ctx, chromedp.SetValue(chromedp.CSS("#name"), name), chromedp.SetValue(chromedp.CSS("#password"), password),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS(".reply"))); err != nil {
		b.t.Fatalf("moderation login: %v", err)
	}
}

// fonts draws the page in screenFonts (a stylesheet from the page's own
// origin, as its Content-Security-Policy allows) and waits for them.
func (b *browser) fonts() {
	b.t.Helper()
	b.js(`new Promise(done => {
	  const l = document.createElement("link");
	  l.rel = "stylesheet"; l.href = "/test/fonts.css";
	  l.onload = l.onerror = () => document.fonts.ready.then(() => done(true));
	  document.head.append(l);
	})`, chromedp.EvalAwaitPromise)
}

// settle waits until images have loaded and two frames were drawn.
func (b *browser) settle() {
	b.t.Helper()
	b.js(`Promise.all([...document.images].map(i => { i.loading = "eager"; return i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; }); }))
	  .then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))))`, chromedp.EvalAwaitPromise)
}

func (b *browser) screenshot() image.Image {
	b.t.Helper()
	data, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		b.t.Fatal(err)
	}
	return img
}

// axe runs axe-core on the open page: nothing serious or critical.
func (b *browser) axe(script, name string) {
	b.t.Helper()
	if b.js(`typeof axe === "undefined"`) == true {
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](script+";true")); err != nil {
			b.t.Fatalf("load axe-core: %v", err)
		}
	}
	res := b.js(`axe.run(document, {resultTypes: ["violations"]}).then(r => ({passes: r.passes.length,
	  bad: r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => v.id + " (" + v.impact + "): " + v.help + " on " + v.nodes.slice(0, 3).map(n => n.html).join(" | "))}))`,
		chromedp.EvalAwaitPromise).(map[string]any)
	if res["passes"].(float64) == 0 {
		b.t.Errorf("%s: axe-core checked nothing", name)
	}
	for _, v := range res["bad"].([]any) {
		b.t.Errorf("%s: axe-core: %v", name, v)
	}
}

// compareScreen compares a screenshot, at half size, with its golden under
// testdata/screens (or writes it with -update).
func compareScreen(t *testing.T, name string, img image.Image) {
	t.Helper()
	got := shrink(img, screenScale)
	golden := filepath.Join("testdata", "screens", name+".png")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		writePNG(t, golden, got)
		return
	}
	f, err := os.Open(golden)
	if err != nil {
		t.Errorf("%s: %v (run with -update to make it)", name, err)
		return
	}
	defer f.Close()
	img, err = png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", golden, err)
	}
	want, isGray := img.(*image.Gray)
	if !isGray {
		t.Fatalf("%s is not a grey PNG", golden)
	}
	share, ok := differing(want, got)
	if ok && share <= maxDiffering {
		if share > 0 {
			t.Logf("%s: %.3f%% of the pixels differ, within the tolerance", name, 100*share)
		}
		return
	}
	failed := filepath.Join(os.TempDir(), "cohort-screens", name+".png")
	os.MkdirAll(filepath.Dir(failed), 0o755)
	writePNG(t, failed, got)
	if !ok {
		t.Errorf("%s: the screenshot is %v, the golden %v; got is in %s", name, got.Bounds().Size(), want.Bounds().Size(), failed)
		return
	}
	t.Errorf("%s: %.2f%% of the pixels differ from %s (at most %.2f%% may); got is in %s", name, 100*share, golden, 100*maxDiffering, failed)
}

// differing returns the share of pixels of a and b more than pixelTolerance
// apart, and false when their sizes differ.
func differing(a, b *image.Gray) (float64, bool) {
	if a.Bounds().Size() != b.Bounds().Size() {
		return 1, false
	}
	n := 0
	for y := range a.Rect.Dy() {
		for x := range a.Rect.Dx() {
			d := int(a.GrayAt(a.Rect.Min.X+x, a.Rect.Min.Y+y).Y) - int(b.GrayAt(b.Rect.Min.X+x, b.Rect.Min.Y+y).Y)
			if d > pixelTolerance || d < -pixelTolerance {
				n++
			}
		}
	}
	return float64(n) / float64(a.Rect.Dx()*a.Rect.Dy()), true
}

// shrink averages each k×k block of img into one grey pixel.
func shrink(img image.Image, k int) *image.Gray {
	r := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, r.Dx()/k, r.Dy()/k))
	for y := range out.Rect.Dy() {
		for x := range out.Rect.Dx() {
			var sum uint32
			for dy := range k {
				for dx := range k {
					sum += uint32(color.GrayModel.Convert(img.At(r.Min.X+x*k+dx, r.Min.Y+y*k+dy)).(color.Gray).Y)
				}
			}
			out.SetGray(x, y, color.Gray{Y: uint8(sum / uint32(k*k))})
		}
	}
	return out
}

func writePNG(t *testing.T, name string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// haveFonts tells whether fontconfig has every font of screenFonts.
func haveFonts() bool {
	for _, f := range screenFonts {
		out, err := exec.Command("fc-list", f).Output()
		if err != nil || len(bytes.TrimSpace(out)) == 0 {
			return false
		}
	}
	return true
}

func jsString(s string) string { return fmt.Sprintf("%q", s) }

// chromium finds the browser, or skips the test saying how to get one
// (as activitypub/server's browser test does).
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
