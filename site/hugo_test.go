package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hugoCourse is a course as a Hugo author writes it: YAML and JSON front matter,
// Hugo's built-in shortcodes, and a shortcode of the course's own.
const hugoCourse = `
-- course.toml --
title = "From Hugo"
base_url = "https://example.org/c/"
[params]
venue = "Room 4"
-- layouts/shortcodes/quiz.html --
<div class="quiz" data-q="{{.Get 0}}" data-level="{{.Page.Params.level}}" data-venue="{{.Site.Params.venue}}"><p class="quiz-title">{{.Page.Title}}: {{.Get "missing"}}{{len .Params}} argument(s)</p>{{.Inner}}</div>
-- layouts/shortcodes/figure.html --
<p class="my-figure">{{.Get "src"}}</p>
-- content/_index.md --
---
title: Home
---
Start with [the first lesson]({{< relref "01-start/intro.md" >}}).
-- content/01-start/_index.md --
{"title": "Start", "weight": 1}
-- content/01-start/intro.md --
---
title: Introduction
weight: 1
date: 2026-01-31
tags: [welcome]
params:
  level: beginner
---
## Why

{{< youtube dQw4w9WgXcQ >}}

{{% notice tip %}}
Meet in {{< param venue >}}; level {{< param level >}}.
{{% /notice %}}

{{% quiz "Q1" %}}
What is **social** learning?
{{% /quiz %}}

{{< figure src="x.png" >}}

Next: [practice]({{< ref "practice" >}}).
-- content/01-start/practice.md --
{
  "title": "Practice",
  "weight": 2
}
{{< details summary="Hint" >}}
Look at [the intro]({{< relref "intro.md#why" >}}).
{{< /details >}}
`

// TestHugoCourse builds a course written for Hugo and compares each lesson's body
// with testdata/hugo/: front matter in YAML and JSON, built-in shortcodes as our
// equivalents, and a course shortcode that overrides a built-in (figure).
func TestHugoCourse(t *testing.T) {
	dir := course(t, hugoCourse)
	mustBuild(t, dir)
	for _, page := range []string{"index.html", "01-start/intro/index.html", "01-start/practice/index.html"} {
		html := read(t, dir, "public/"+page)
		got := html
		if i := strings.Index(html, `<div class="content">`); i >= 0 {
			got = html[i:]
			got = got[:strings.Index(got, "\n  </div>")]
		} else if i := strings.Index(html, "<main"); i >= 0 {
			got = html[i:]
		}
		golden := filepath.Join("testdata", "hugo", strings.ReplaceAll(page, "/", "__"))
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s differs from %s:\n%s", page, golden, got)
		}
	}
}

// TestShortcodeErrors: each mistake stops the build with the file and line of the
// shortcode, naming it.
func TestShortcodeErrors(t *testing.T) {
	tests := []struct {
		name, lesson, want string
	}{
		{"unknown", "---\ntitle: A\n---\nText.\n\n{{< tweet 1 >}}\n", `content/m/a.md:6: shortcode "tweet": unknown shortcode`},
		{"ref to a missing page", "+++\n+++\nSee [x]({{< ref \"nope.md\" >}}).\n", `content/m/a.md:3: shortcode "ref": broken link: no page nope.md`},
		{"relref to a missing heading", "See [x]({{< relref \"b.md#nope\" >}}).\n", `content/m/a.md:1: link b.md#nope: broken link: content/m/b.md has no heading #nope`},
		{"template error", "{{< boom >}}\n", `content/m/a.md:1: shortcode "boom": layouts/shortcodes/boom.html`},
		{"missing param", "{{< param nope >}}\n", `content/m/a.md:1: shortcode "param": no param "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := course(t, "-- course.toml --\ntitle = \"C\"\nbase_url = \"https://example.org/\"\n"+
				"-- layouts/shortcodes/boom.html --\n{{.Page.Nope}}\n"+
				"-- content/m/b.md --\n# B\n-- content/m/a.md --\n"+tt.lesson)
			_, err := build(t, dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant %q", err, tt.want)
			}
		})
	}
}
