package themes_test

import (
	"bytes"
	"flag"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/BurntSushi/toml"
	"golang.org/x/net/html"

	"github.com/cohort-course/cohort/site"
	"github.com/cohort-course/cohort/themes"
)

// dump writes every page the test renders to a folder, to read them by eye:
//
//	go test ./themes -run TestDefaultLayouts -dump /tmp/theme-out
var dump = flag.String("dump", "", "write the rendered test pages to this folder")

// layouts are the page layouts the build executes with a PageData.
var layouts = []string{"home.html", "module.html", "lesson.html", "page.html", "404.html", "search.html", "alias.html"}

// markdownKeys are the UI strings site/markdown writes into rendered HTML.
var markdownKeys = []string{"callout_note", "callout_tip", "callout_warning", "callout_important",
	"callout_caution", "discussion_prompt", "discussion_join", "video_play", "video_watch_on", "video_download"}

func loadStrings(t *testing.T, fsys fs.FS, lang string) map[string]string {
	t.Helper()
	data, err := fs.ReadFile(fsys, "i18n/"+lang+".toml")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if _, err := toml.Decode(string(data), &m); err != nil {
		t.Fatalf("i18n/%s.toml: %v", lang, err)
	}
	return m
}

// funcs mirrors the names and signatures of the build's template functions.
func funcs(ui map[string]string, basePath, baseURL string) template.FuncMap {
	origin := strings.TrimSuffix(baseURL, basePath)
	return template.FuncMap{
		"T": func(key string, args ...any) (string, error) {
			s, ok := ui[key]
			if !ok {
				return "", fmt.Errorf("no UI string %q", key)
			}
			if len(args) > 0 {
				s = fmt.Sprintf(s, args...)
				if strings.Contains(s, "%!") {
					return "", fmt.Errorf("UI string %q with %v: %s", key, args, s)
				}
			}
			return s, nil
		},
		"relURL":  func(p string) string { return basePath + strings.TrimPrefix(p, "/") },
		"absURL":  func(p string) string { return origin + basePath + strings.TrimPrefix(p, "/") },
		"date":    func(t time.Time) string { return t.Format("2 January 2006") },
		"isoDate": func(t time.Time) string { return t.Format("2006-01-02") },
		"duration": func(d time.Duration) string {
			m := int((d + time.Minute - 1) / time.Minute)
			if m < 60 {
				return fmt.Sprintf("%d min", m)
			}
			return fmt.Sprintf("%d h %d min", m/60, m%60)
		},
		"minutes": func(d time.Duration) int { return int((d + time.Minute - 1) / time.Minute) },
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"dateTime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2 January 2006, 15:04 UTC")
		},
		"zonedTime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.Format("2 January 2006, 15:04 MST")
		},
		"csp": func() template.HTMLAttr {
			return template.HTMLAttr(`content="` + site.ContentSecurityPolicy(origin) + `"`)
		},
		"plural": func(n int, key string) (string, error) {
			if n == 1 {
				s, ok := ui[key+"_one"]
				if !ok {
					return "", fmt.Errorf("no UI string %q", key+"_one")
				}
				return s, nil
			}
			s, ok := ui[key+"_many"]
			if !ok {
				return "", fmt.Errorf("no UI string %q", key+"_many")
			}
			return fmt.Sprintf(s, n), nil
		},
	}
}

// parseTheme parses every layout as the build does: one set, each file named by its
// path under layouts/.
func parseTheme(t *testing.T, fsys fs.FS, fm template.FuncMap) *template.Template {
	t.Helper()
	set := template.New("").Funcs(fm)
	// modulePart executes the partial with the module, as the build does
	// when it has not rendered the module's part ahead.
	set.Funcs(template.FuncMap{"modulePart": func(name string, m *site.Module) (template.HTML, error) {
		var b bytes.Buffer
		err := set.ExecuteTemplate(&b, name, m)
		return template.HTML(b.String()), err
	}})
	err := fs.WalkDir(fsys, "layouts", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		_, err = set.New(strings.TrimPrefix(p, "layouts/")).Parse(string(data))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// fakeCourse is a small course with every feature the layouts show.
func fakeCourse(basePath, baseURL string, fed site.Federation) *site.Course {
	origin := strings.TrimSuffix(baseURL, basePath) // "https://example.org"
	cfg := &site.Config{Title: "Facilitating online courses", Language: "en", BaseURL: baseURL, Federation: fed}
	page := func(kind site.Kind, url, title string) *site.Page {
		return &site.Page{Kind: kind, URL: basePath + url, Permalink: origin + basePath + url, Title: title,
			ID: strings.Trim(url, "/"), File: strings.Trim(url, "/") + ".md",
			Summary: "A short summary of " + title + " & why it matters.",
			Date:    time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)}
	}
	c := &site.Course{Config: cfg, Home: page(site.KindHome, "", "Facilitating online courses")}
	c.Home.Content = `<p>Welcome to the course. It runs for <em>two weeks</em>.</p>`
	specs := []struct {
		dir, title string
		lessons    []string
	}{
		{"01-welcome", "Welcome", []string{"Why cohorts work", "Setting up"}},
		{"02-facilitating", "Facilitating <discussion>", []string{"Good prompts", "Weaving", "Summarising"}},
	}
	for i, s := range specs {
		m := &site.Module{Number: i + 1, Dir: s.dir}
		m.Page = page(site.KindModule, s.dir+"/", s.title)
		m.Page.Module = m
		m.Page.Content = template.HTML(`<p>This module is about ` + template.HTMLEscapeString(s.title) + `.</p>`)
		for j, title := range s.lessons {
			l := page(site.KindLesson, s.dir+"/"+strings.ToLower(strings.ReplaceAll(title, " ", "-"))+"/", title)
			l.Module, l.Number, l.Order = m, j+1, len(c.Lessons)+1
			l.ReadingTime = time.Duration(10+5*j) * time.Minute
			l.Content = lessonContent
			l.Tags = []string{"facilitation", "café & co"}
			l.Objectives = []string{"Write an open question", "Weave replies <together>"}
			l.Discussion = "Which prompt got the most replies in a course you ran, and why?"
			l.TOC = []site.Heading{{Level: 3, ID: "orphan", Text: "An h3 first"}, {Level: 2, ID: "open", Text: "Open questions"},
				{Level: 3, ID: "why", Text: "Why & how"}, {Level: 3, ID: "when", Text: "When"}, {Level: 2, ID: "weave", Text: "Weaving"}}
			if j == 0 {
				l.VideoEmbed = videoFigure
			}
			m.Lessons = append(m.Lessons, l)
			m.Duration += l.ReadingTime
			c.Lessons = append(c.Lessons, l)
		}
		c.Duration += m.Duration
		c.Modules = append(c.Modules, m)
	}
	for i, l := range c.Lessons {
		if i > 0 {
			l.Prev = c.Lessons[i-1]
		}
		if i+1 < len(c.Lessons) {
			l.Next = c.Lessons[i+1]
		}
	}
	about := page(site.KindPage, "about/", "About")
	about.Content = `<h2 id="who">Who</h2><p>Us.</p><h2 id="what">What</h2><h2 id="why">Why</h2>`
	about.TOC = []site.Heading{{Level: 2, ID: "who", Text: "Who"}, {Level: 2, ID: "what", Text: "What"}, {Level: 2, ID: "why", Text: "Why"}}
	c.Pages = []*site.Page{about, page(site.KindPage, "faq/", "FAQ")}
	return c
}

const videoFigure = `<figure class="video" data-embed="https://video.example.org/videos/embed/abc">` +
	`<a class="video-link" href="https://video.example.org/w/abc">Play video: Why cohorts work</a>` +
	`<figcaption>Why cohorts work, watch on <a href="https://video.example.org/w/abc">video.example.org</a></figcaption></figure>`

const lessonContent = `<p>Some text with a footnote<sup id="fnref:1"><a href="#fn:1" class="footnote-ref" role="doc-noteref">1</a></sup>.</p>
<h2 id="open">Open questions</h2>
<aside class="callout callout-tip" role="note"><p class="callout-title">Tip</p><p>Ask one thing at a time.</p></aside>
<aside class="prompt" aria-label="Discuss"><p class="prompt-title">Discuss</p><p>What is a good question?</p><p class="prompt-more"><a href="#discussion">Join the discussion</a></p></aside>
<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr></tbody></table>
<pre class="chroma"><code class="language-go"><span class="kd">func</span> main() {}</code></pre>
<ul><li><input checked="" disabled="" type="checkbox"> done</li></ul>
<dl><dt>Weaving</dt><dd>Summarising a thread.</dd></dl>
<div class="footnotes" role="doc-endnotes"><hr><ol><li id="fn:1"><p>A note. <a href="#fnref:1" class="footnote-backref" role="doc-backlink">↩︎</a></p></li></ol></div>`

type variant struct {
	name     string
	basePath string
	baseURL  string
	fed      site.Federation
	logo     string
	wantFedi bool
}

func TestDefaultLayouts(t *testing.T) {
	fsys, ok := themes.Get("default")
	if !ok {
		t.Fatal("no default theme")
	}
	en := loadStrings(t, fsys, "en")
	variants := []variant{
		{name: "federated", basePath: "/course/", baseURL: "https://example.org/course/",
			fed: site.Federation{Handle: "course", Domain: "example.org"}, logo: "/course/img/logo.svg", wantFedi: true},
		{name: "plain", basePath: "/", baseURL: "https://example.org/"},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			set := parseTheme(t, fsys, funcs(en, v.basePath, v.baseURL))
			course := fakeCourse(v.basePath, v.baseURL, v.fed)
			sd := &site.SiteData{Title: course.Config.Title, Description: "Learn to run a cohort course.",
				Language: "en", BaseURL: v.baseURL, BasePath: v.basePath, Author: "Ada", Organisation: "Open Learning Co-op",
				License: "CC BY-SA 4.0", Logo: v.logo, Federation: v.fed, Course: course, Generator: "cohort 0.1.0-dev",
				Cohorts:   []site.Cohort{{ID: "autumn", Name: "Autumn 2026", Start: time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC)}},
				BuildDate: time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)}

			outline := execHTML(t, set, "partials/outline.html", course)
			navs := map[*site.Module]template.HTML{}
			for _, m := range course.Modules {
				nav := execHTML(t, set, "partials/module-nav.html", m)
				navs[m] = execHTML(t, set, "partials/sidebar.html", site.SidebarData{Course: course, Current: m, Nav: nav, AllLessons: true})
			}
			live := template.HTML(`<script src="/_live.js" defer></script>`)
			data := func(p *site.Page) site.PageData {
				d := site.PageData{Site: sd, Page: p, Outline: outline, Live: live}
				if p != nil && p.Module != nil {
					d.Nav = navs[p.Module]
				}
				return d
			}
			searchPage := &site.Page{Kind: site.KindPage, Title: "Search", URL: v.basePath + "search/",
				Permalink: v.baseURL + "search/"}
			cases := []struct {
				name, layout string
				data         site.PageData
			}{
				{"index.html", "home.html", data(course.Home)},
				{"module.html", "module.html", data(course.Modules[1].Page)},
				{"lesson-first.html", "lesson.html", data(course.Lessons[0])},
				{"lesson-mid.html", "lesson.html", data(course.Lessons[2])},
				{"lesson-bare.html", "lesson.html", data(&site.Page{Kind: site.KindLesson, Title: "Bare", URL: v.basePath + "bare/", ID: "bare", Module: course.Modules[0], Number: 1})},
				{"about.html", "page.html", data(course.Pages[0])},
				{"faq.html", "page.html", data(course.Pages[1])},
				{"404.html", "404.html", data(nil)},
				{"search.html", "search.html", data(searchPage)},
				{"search-nil.html", "search.html", data(nil)},
				{"alias.html", "alias.html", data(course.Lessons[1])},
			}
			for _, c := range cases {
				var buf bytes.Buffer
				if err := set.ExecuteTemplate(&buf, c.layout, c.data); err != nil {
					t.Errorf("%s: %v", c.name, err)
					continue
				}
				out := buf.String()
				if *dump != "" {
					writeDump(t, filepath.Join(*dump, v.name, c.name), out)
				}
				checkPage(t, c.name, c.layout, out, v)
			}
			// Every layout is covered.
			for _, l := range layouts {
				if set.Lookup(l) == nil {
					t.Errorf("layout %s is missing", l)
				}
			}

			lesson := mustExec(t, set, "lesson.html", data(course.Lessons[2]))
			for _, want := range []string{
				`Lesson 1 of 3`,
				`<nav class="breadcrumbs" aria-label="Breadcrumb">`,
				`rel="prev"`, `rel="next"`,
				`<section id="discussion" class="discussion" aria-labelledby="discussion-title">`,
				`Which prompt got the most replies`,
				`<time datetime="PT10M">About 10 min</time>`,
				`href="#why">Why &amp; how</a>`,
				`<aside class="sidebar" aria-label="Course navigation">`,
				`<summary>Module 1: Welcome</summary>`, // the other module, folded
				`<details class="menu-toggle">`,
				`<button type="button" class="theme-toggle" aria-pressed="false" hidden>`,
				`Facilitating &lt;discussion&gt;`,
				`?q=caf%c3%a9%20%26%20co`,
			} {
				if !strings.Contains(lesson, want) {
					t.Errorf("lesson page lacks %s", want)
				}
			}
			toc := lesson[strings.Index(lesson, `<nav class="toc"`):]
			toc = toc[:strings.Index(toc, "</nav>")]
			if got := strings.Count(toc, `<li><a href="#`); got != 5 || strings.Count(toc, "<ol>") != 3 {
				t.Errorf("lesson TOC has %d linked items (want 5) in %d lists (want 3):\n%s", got, strings.Count(toc, "<ol>"), toc)
			}
			if v.wantFedi != strings.Contains(lesson, `data-lesson="02-facilitating/good-prompts"`) {
				t.Errorf("thread placeholder present = %v, want %v", !v.wantFedi, v.wantFedi)
			}
			if v.wantFedi != strings.Contains(lesson, "@course@example.org") {
				t.Errorf("fediverse address shown = %v, want %v", !v.wantFedi, v.wantFedi)
			}
			if !v.wantFedi && !strings.Contains(lesson, "isn&#39;t set up") {
				t.Errorf("lesson without federation does not say discussion is off")
			}
			home := mustExec(t, set, "home.html", data(course.Home))
			if v.wantFedi != strings.Contains(home, "Join the discussion on the fediverse") {
				t.Errorf("home fediverse box present = %v, want %v", !v.wantFedi, v.wantFedi)
			}
			if !strings.Contains(home, `About`) || !strings.Contains(home, `>Summarising</a>`) {
				t.Errorf("home page lacks the pages or the lessons")
			}
			alias := mustExec(t, set, "alias.html", data(course.Lessons[1]))
			for _, want := range []string{
				`<meta http-equiv="refresh" content="0; url=` + v.basePath + `01-welcome/setting-up/">`,
				`<link rel="canonical" href="https://example.org` + v.basePath + `01-welcome/setting-up/">`,
				`<meta name="robots" content="noindex">`,
			} {
				if !strings.Contains(alias, want) {
					t.Errorf("alias page lacks %s", want)
				}
			}
		})
	}
}

func mustExec(t *testing.T, set *template.Template, name string, data any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, name, data); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return buf.String()
}

func execHTML(t *testing.T, set *template.Template, name string, data any) template.HTML {
	return template.HTML(mustExec(t, set, name, data))
}

func writeDump(t *testing.T, name, out string) {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

// voidElements never have an end tag.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true,
	"hr": true, "img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// checkPage asserts what every page must be: balanced, one h1 and one main, unique ids,
// no inline scripts or handlers, nothing loaded from another host, Live before </body>.
func checkPage(t *testing.T, name, layout, out string, v variant) {
	t.Helper()
	if !strings.HasPrefix(strings.TrimLeft(out, " \n"), "<!DOCTYPE html>") {
		t.Errorf("%s: does not start with <!DOCTYPE html>", name)
	}
	if !strings.Contains(out, `<script src="/_live.js" defer></script>`+"\n</body>") {
		t.Errorf("%s: .Live is not just before </body>", name)
	}
	z := html.NewTokenizer(strings.NewReader(out))
	var stack []string
	ids := map[string]bool{}
	count := map[string]int{}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Errorf("%s: %v", name, z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			count[tok.Data]++
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Key] = a.Val
				if strings.HasPrefix(a.Key, "on") || a.Key == "style" {
					t.Errorf("%s: <%s %s=…>: no inline handlers or styles", name, tok.Data, a.Key)
				}
				if a.Key == "id" {
					if ids[a.Val] {
						t.Errorf("%s: id %q is used twice", name, a.Val)
					}
					ids[a.Val] = true
				}
			}
			switch tok.Data {
			case "script":
				// One script runs before the page is drawn: the colour scheme's,
				// in <head>, so the page never shows the other scheme first.
				early := strings.HasSuffix(attrs["src"], "js/color-scheme.js") && slices.Contains(stack, "head")
				if attrs["src"] == "" || (!hasAttr(tok, "defer") && !early) {
					t.Errorf("%s: a script without src or defer", name)
				}
			case "link", "img", "iframe", "source":
				for _, k := range []string{"href", "src"} {
					if u := attrs[k]; strings.Contains(u, "//") && attrs["rel"] != "canonical" {
						t.Errorf("%s: <%s %s=%q> loads from another host", name, tok.Data, k, u)
					}
				}
			case "a":
				// (inside a <template>, the script fills the link in)
				if attrs["href"] == "" && !slices.Contains(stack, "template") {
					t.Errorf("%s: a link without href", name)
				}
			}
			if tt == html.StartTagToken && !voidElements[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				t.Errorf("%s: </%s> does not close the open element (open: %v)", name, tok.Data, stack)
				return
			}
			stack = stack[:len(stack)-1]
		case html.TextToken:
			if len(stack) > 0 && stack[len(stack)-1] == "script" && strings.TrimSpace(tok.Data) != "" {
				t.Errorf("%s: inline script", name)
			}
		}
	}
	if len(stack) > 0 {
		t.Errorf("%s: elements left open: %v", name, stack)
	}
	if count["h1"] != 1 {
		t.Errorf("%s: %d h1 elements, want 1", name, count["h1"])
	}
	if count["main"] != 1 {
		t.Errorf("%s: %d main elements, want 1", name, count["main"])
	}
	if layout != "alias.html" {
		for _, want := range []string{`<html lang="en">`, `href="#main"`, `<header class="site-header">`, `<footer class="site-footer">`} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: lacks %s", name, want)
			}
		}
		if !ids["main"] {
			t.Errorf("%s: the skip link has no #main", name)
		}
	}
	if strings.Contains(out, "%!") || strings.Contains(out, "<no value>") || strings.Contains(out, "ZgotmplZ") {
		t.Errorf("%s: a bad value in the output", name)
	}
	if v.basePath != "/" && regexp.MustCompile(`(href|src|action|data-index)="/(css|js|search|feed|img)`).MatchString(out) {
		t.Errorf("%s: a URL without the base path", name)
	}
}

func hasAttr(tok html.Token, key string) bool {
	return slices.ContainsFunc(tok.Attr, func(a html.Attribute) bool { return a.Key == key })
}

// TestStrings checks that every UI string a layout asks for exists in every language,
// with the same format verbs, and that the languages have the same keys.
func TestStrings(t *testing.T) {
	fsys, _ := themes.Get("default")
	langs := map[string]map[string]string{}
	for _, lang := range site.Languages {
		langs[lang] = loadStrings(t, fsys, lang)
	}
	used := map[string]bool{}
	for _, k := range markdownKeys {
		used[k] = true
	}
	keyRE := regexp.MustCompile(`\bT "([a-z0-9_]+)"`)
	err := fs.WalkDir(fsys, "layouts", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		for _, m := range keyRE.FindAllSubmatch(data, -1) {
			used[string(m[1])] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	verbs := regexp.MustCompile(`%[sdv]|\{[nq]\}`)
	en := langs["en"]
	for _, key := range slices.Sorted(maps.Keys(used)) {
		for lang, m := range langs {
			if _, ok := m[key]; !ok {
				t.Errorf("i18n/%s.toml: no %s", lang, key)
			}
		}
	}
	for lang, m := range langs {
		for key, val := range m {
			if _, ok := en[key]; !ok {
				t.Errorf("i18n/%s.toml: %s is not in en.toml", lang, key)
				continue
			}
			if a, b := verbs.FindAllString(en[key], -1), verbs.FindAllString(val, -1); !slices.Equal(a, b) {
				t.Errorf("i18n/%s.toml: %s has %v, en has %v", lang, key, b, a)
			}
		}
		for key := range en {
			if _, ok := m[key]; !ok {
				t.Errorf("i18n/%s.toml: no %s", lang, key)
			}
		}
	}
}

// TestStatic keeps the static files within their promises: small, and nothing from
// another host.
func TestStatic(t *testing.T) {
	fsys, _ := themes.Get("default")
	// style.css grew past 25 KB with the phone menu, the colour toggle and the
	// contents column; still one small file, cached by every page.
	// color-scheme.js blocks drawing the page: a few lines only.
	// search.js ranks, excerpts and highlights a split index on every page: 14 KB
	// unminified is still less than one chunk of that index.
	limits := map[string]int{"css/style.css": 32 << 10, "js/search.js": 14 << 10, "js/video.js": 3 << 10,
		"css/search.css": 3 << 10, "js/theme.js": 5 << 10, "js/color-scheme.js": 512}
	for name, limit := range limits {
		data, err := fs.ReadFile(fsys, path.Join("static", name))
		if err != nil {
			t.Fatal(err)
		}
		if len(data) > limit {
			t.Errorf("%s is %d bytes, over %d", name, len(data), limit)
		}
		for _, bad := range []string{"@import", "url(http", "url(//", "fonts.googleapis", "cdn", "eval("} {
			if strings.Contains(string(data), bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}

// BenchmarkLesson measures executing the lesson layout for one page of a module with
// 100 lessons, the per-page cost a 10,000-page course pays 10,000 times.
func BenchmarkLesson(b *testing.B) {
	fsys, _ := themes.Get("default")
	t := &testing.T{}
	en := loadStrings(t, fsys, "en")
	set := parseTheme(t, fsys, funcs(en, "/", "https://example.org/"))
	course := fakeCourse("/", "https://example.org/", site.Federation{Handle: "course", Domain: "example.org"})
	m := course.Modules[0]
	for len(m.Lessons) < 100 {
		l := *m.Lessons[0]
		l.URL = fmt.Sprintf("/%s/l%d/", m.Dir, len(m.Lessons))
		m.Lessons = append(m.Lessons, &l)
	}
	var nav bytes.Buffer
	if err := set.ExecuteTemplate(&nav, "partials/module-nav.html", m); err != nil {
		b.Fatal(err)
	}
	sd := &site.SiteData{Title: "Course", Language: "en", BaseURL: "https://example.org/", BasePath: "/",
		Federation: course.Config.Federation, Course: course}
	data := site.PageData{Site: sd, Page: m.Lessons[1], Nav: template.HTML(nav.String())}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := set.ExecuteTemplate(&buf, "lesson.html", data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// TestSearchBoxSlot: every page's header holds the theme's search box once,
// and a course's own partials/search-box.html takes its place.
func TestSearchBoxSlot(t *testing.T) {
	fsys, _ := themes.Get("default")
	en := loadStrings(t, fsys, "en")
	course := fakeCourse("/", "https://example.org/", site.Federation{})
	sd := &site.SiteData{Title: "Course", Language: "en", BaseURL: "https://example.org/", BasePath: "/", Course: course}
	data := site.PageData{Site: sd, Page: course.Home}
	header := func(out string) string {
		h := out[strings.Index(out, `<header class="site-header">`):]
		return h[:strings.Index(h, "</header>")]
	}

	set := parseTheme(t, fsys, funcs(en, "/", "https://example.org/"))
	if h := header(mustExec(t, set, "home.html", data)); strings.Count(h, `class="site-search"`) != 1 {
		t.Errorf("the header holds the theme's search box %d times, want once:\n%s", strings.Count(h, `class="site-search"`), h)
	}

	own := fstest.MapFS{"layouts/partials/search-box.html": {Data: []byte(`<form class="search-box" role="search"></form>`)}}
	err := fs.WalkDir(fsys, "layouts", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if _, ok := own[p]; ok {
			return nil // the course's file overrides the theme's
		}
		data, err := fs.ReadFile(fsys, p)
		own[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	set = parseTheme(t, own, funcs(en, "/", "https://example.org/"))
	h := header(mustExec(t, set, "home.html", data))
	if !strings.Contains(h, `<form class="search-box" role="search"></form>`) || strings.Contains(h, `class="site-search"`) {
		t.Errorf("the course's search box does not replace the theme's:\n%s", h)
	}
}
