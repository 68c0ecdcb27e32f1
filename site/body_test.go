package site

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bodyCourse is a course of 24 lessons, few enough that every lesson page's
// sidebar lists every lesson's title and reading time: one lesson's new title
// changes every page around its body. Lessons carry a formula, a diagram, a
// video, params and links to other lessons, all of which the body's Markdown
// makes or reads.
func bodyCourse(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("-- course.toml --\ntitle = \"Bodies\"\nbase_url = \"https://example.org/\"\n" +
		"-- content/_index.md --\n+++\ntitle = \"Bodies\"\n+++\nWelcome.\n")
	for m := 1; m <= 4; m++ {
		fmt.Fprintf(&b, "-- content/0%d-mod/_index.md --\n+++\ntitle = \"Module %d\"\nweight = %d\n+++\nAbout module %d.\n", m, m, m, m)
		for l := 1; l <= 6; l++ {
			front := fmt.Sprintf("title = \"Lesson %d.%d\"\nweight = %d\n", m, l, l)
			body := fmt.Sprintf("Lesson %d of module %d.\n\n## Part one\n\nText.\n", l, m)
			switch l {
			case 1:
				body += "\nThe identity $e^{i\\pi}+1=0$.\n"
			case 2:
				body += "\n```mermaid\ngraph LR\n  A --> B\n```\n"
			case 3:
				front += "video = \"https://media.example/v.mp4\"\n"
			case 4:
				front += "[params]\ncount = 3\nwhen = 2026-01-02\n"
				body += "\nCounted {{< param count >}} times.\n"
			case 5:
				body += fmt.Sprintf("\nSee [the other part](../0%d-mod/l2.md#part-one).\n", m%4+1)
			}
			fmt.Fprintf(&b, "-- content/0%d-mod/l%d.md --\n+++\n%s+++\n%s", m, l, front, body)
		}
	}
	return course(t, b.String())
}

// TestBodyKeptAroundNewLayout: a lesson's new title or reading time changes what
// every lesson page shows around its body (the sidebar, the neighbours' links).
// Those pages are laid out again, in serve and in a new process, but only the
// edited lesson's Markdown runs: the others take their body from their output
// file. An output whose body bytes are not the recorded ones (edited by hand,
// or gone) renders its Markdown again. After each step both outputs are what a
// clean build makes.
func TestBodyKeptAroundNewLayout(t *testing.T) {
	dir := bodyCourse(t)
	ctx := context.Background()
	buildOpts := Options{Source: dir, Out: filepath.Join(dir, "public"), CacheDir: filepath.Join(dir, ".cohort")}
	serveOpts := Options{Source: dir, Out: filepath.Join(dir, "serve"), CacheDir: filepath.Join(dir, "serve-cache"), DeferCacheSave: true}
	serve := NewBuilder(serveOpts)
	for _, b := range []func() (*Result, error){func() (*Result, error) { return Build(ctx, buildOpts) }, func() (*Result, error) { return serve.Build(ctx) }} {
		if res, err := b(); err != nil {
			t.Fatal(err)
		} else if res.Markdown != res.Rendered {
			t.Fatalf("a cold build rendered %d pages and the Markdown of %d", res.Rendered, res.Markdown)
		}
	}
	edit := func(rel string, fn func(string) string) {
		t.Helper()
		name := filepath.Join(dir, filepath.FromSlash(rel))
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(fn(string(data))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	words := strings.Repeat("word ", 600) // three minutes more to read
	for step, c := range []struct {
		what   string
		file   string
		change func(string) string
		before func() // what happens to the outputs before the build
		// markdown is how many pages' Markdown must run, in each build.
		markdown int
		want     string // in wantFile, a page whose body was kept
		wantFile string
	}{
		{"title", "content/02-mod/l2.md", func(s string) string { return strings.Replace(s, "Lesson 2.2", "Renamed", 1) },
			nil, 1, "Renamed", "01-mod/l1/index.html"},
		{"reading time", "content/03-mod/l3.md", func(s string) string { return s + "\n" + words + "\n" },
			nil, 1, "", ""},
		{"title, with one output's body edited by hand and another gone", "content/02-mod/l2.md",
			func(s string) string { return strings.Replace(s, "Renamed", "Renamed again", 1) },
			func() {
				for _, out := range []string{buildOpts.Out, serveOpts.Out} {
					editFile(t, out, "01-mod/l6/index.html", "Lesson 6 of module 1.", "Lesson 9 of module 1.") // the body's text changed in the output, its length kept
					if err := os.Remove(filepath.Join(out, "04-mod", "l6", "index.html")); err != nil {
						t.Fatal(err)
					}
				}
			}, 3, "Lesson 6 of module 1.", "01-mod/l6/index.html"},
		{"title of the lesson with params", "content/01-mod/l4.md", func(s string) string { return strings.Replace(s, "Lesson 1.4", "Counting", 1) },
			nil, 1, "Counted 3 times.", "02-mod/l4/index.html"},
	} {
		edit(c.file, c.change)
		if c.before != nil {
			c.before()
		}
		clean := filepath.Join(dir, fmt.Sprintf("clean%d", step))
		if _, err := Build(ctx, Options{Source: dir, Out: clean}); err != nil {
			t.Fatal(err)
		}
		want := snapshot(t, clean)
		for name, b := range map[string]struct {
			build func() (*Result, error)
			out   string
		}{
			"build": {func() (*Result, error) { return Build(ctx, buildOpts) }, buildOpts.Out},
			"serve": {func() (*Result, error) { return serve.BuildChanged(ctx, []string{c.file}) }, serveOpts.Out},
		} {
			res, err := b.build()
			if err != nil {
				t.Fatalf("%s: %s: %v", c.what, name, err)
			}
			if res.Markdown != c.markdown || res.Rendered < 20 {
				t.Errorf("%s: %s laid out %d pages and rendered the Markdown of %d, want more than 20 and %d",
					c.what, name, res.Rendered, res.Markdown, c.markdown)
			}
			if d := diffTrees(want, outSnapshot(t, b.out), false); d != "" {
				t.Fatalf("%s: %s differs from a clean build (-clean +%s):\n%s", c.what, name, name, d)
			}
			if c.wantFile != "" && !strings.Contains(read(t, b.out, c.wantFile), c.want) {
				t.Errorf("%s: %s: %s lacks %q", c.what, name, c.wantFile, c.want)
			}
		}
		os.RemoveAll(clean)
	}
}

// TestOwnShortcodesRenderBodyAgain: a course's own shortcode sees the whole
// page, its neighbours too, so with one a body is never kept when anything
// around it changed: a lesson whose shortcode shows the next lesson's title
// shows the new one.
func TestOwnShortcodesRenderBodyAgain(t *testing.T) {
	dir := course(t, `
-- course.toml --
title = "Shortcodes"
base_url = "https://example.org/"
-- layouts/shortcodes/next.html --
{{with .Page.Next}}Next: {{.Title}}{{end}}
-- content/01-mod/_index.md --
+++
title = "Module"
+++
-- content/01-mod/l1.md --
+++
title = "First"
weight = 1
+++
Before {{< next >}} after.
-- content/01-mod/l2.md --
+++
title = "Second"
weight = 2
+++
Text.
`)
	mustBuild(t, dir)
	name := filepath.Join(dir, "content", "01-mod", "l2.md")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(strings.Replace(string(data), "Second", "Renamed", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	res := mustBuild(t, dir)
	if got := read(t, filepath.Join(dir, "public"), "01-mod/l1/index.html"); !strings.Contains(got, "Before Next: Renamed") {
		t.Errorf("the first lesson's shortcode does not show the next lesson's new title:\n%s", got)
	}
	if res.Markdown < 2 {
		t.Errorf("the Markdown of %d pages ran, want the renamed lesson's and the one whose shortcode shows it", res.Markdown)
	}
}
