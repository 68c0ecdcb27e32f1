package site

import (
	"bytes"
	"html/template"
	"path/filepath"
	"strings"
	"testing"
)

// TestFoldConstantsChangesNoPage: a layout with T, relURL and absURL in every
// context html/template escapes differently writes the same bytes with the
// calls folded into strings, and the strings printed in HTML text and
// attributes folded into text, as without; and the folded calls are gone.
func TestFoldConstantsChangesNoPage(t *testing.T) {
	cfg := &Config{BaseURL: "https://example.org/course/", Language: "en"}
	ui := map[string]string{
		"plain":  "Menu",
		"quotes": "He said \"<b>hi</b>\" & left, 1+1 'é' \x00 \xff.",
		"fmt":    "%d lessons",
		"js":     "it's </script>",
	}
	const layout = `<p>{{T "plain"}} {{T "quotes"}} {{T "missing_key"}} {{T "fmt" 3}}</p>
<a href="{{relURL "search/"}}?q={{T "quotes"}}" title="{{T "quotes"}}">{{absURL "feed.xml"}}</a>
<img src="{{relURL "a b.png"}}" alt='{{T "quotes"}}'>
{{if eq (T "plain") "Menu"}}<b>{{(T "plain")}}</b>{{else}}no{{end}}
{{range $i, $x := .}}{{if $i}}, {{end}}{{T "plain" | printf "%s!"}}{{end}}
{{define "inner"}}<i>{{T "quotes"}}</i>{{end}}{{template "inner" .}}
<script>var s = {{T "js"}}; var u = {{relURL "x"}};</script>
<style>.x { content: {{T "plain"}}; }</style>
<textarea>{{T "quotes"}}</textarea><title>{{"a+b"}}</title>
<p data-x={{T "quotes"}}>{{"literal <b>"}}</p>
<link href="{{relURL "css/style.css"}}"><a href="{{absURL "a+b/c?d=e&f"}}">x</a><a href="{{"javascript:alert(1)"}}">y</a>
<a href="{{"mailto:a@example.org"}}">m</a><a href="/s?q={{"plain-word"}}&r={{"two words"}}">q</a><a href="{{"/100%25"}}">p</a>`
	run := func(fold bool) (string, *template.Template) {
		funcs := funcMap(cfg, ui)
		tmpl := template.Must(template.New("page.html").Funcs(funcs).Parse(layout))
		if fold {
			foldConstants(tmpl, funcs)
			escapeAndFold(tmpl, []string{"page.html"}, nil)
		}
		var b bytes.Buffer
		if err := tmpl.Execute(&b, []int{1, 2}); err != nil {
			t.Fatal(err)
		}
		return b.String(), tmpl
	}
	want, _ := run(false)
	got, folded := run(true)
	if got != want {
		t.Errorf("folded layout writes\n%s\nwant\n%s", got, want)
	}
	for _, tmpl := range folded.Templates() {
		text := tmpl.Tree.Root.String()
		for _, call := range []string{`T "plain"`, `T "quotes"`, `relURL "search/"`, `absURL "feed.xml"`} {
			if strings.Contains(text, call) {
				t.Errorf("template %s still calls %s:\n%s", tmpl.Name(), call, text)
			}
		}
		if tmpl.Name() != "page.html" {
			continue
		}
		for _, folded := range []string{"<p>Menu He said &#34;", `title="He said &#34;`, "<textarea>He said", "<title>a&#43;b</title>", "literal &lt;b&gt;</p>",
			`<link href="/course/css/style.css">`, `href="https://example.org/course/a&#43;b/c?d=e&amp;f"`, "/s?q=plain-word&r="} {
			if !strings.Contains(text, folded) {
				t.Errorf("%q is not text in the folded template:\n%s", folded, text)
			}
		}
		if !strings.Contains(text, `T "fmt" 3`) {
			t.Errorf("T with arguments was folded: %s", text)
		}
	}
}

// TestLessonHeader: lesson pages get the theme's header rendered once per build,
// the same bytes as the partial writes for them; a course's own header, or
// search box, is executed for every page, as it may read anything of it.
func TestLessonHeader(t *testing.T) {
	const site = `
-- course.toml --
title = "Headers"
base_url = "https://example.org/"
-- content/about.md --
+++
title = "About"
+++
About.
-- content/01-m/_index.md --
+++
title = "M"
+++
-- content/01-m/a.md --
+++
title = "Lesson A"
+++
A.
-- content/01-m/b.md --
+++
title = "Lesson B"
+++
B.
`
	dir := course(t, site)
	mustBuild(t, dir)
	pub := filepath.Join(dir, "public")
	header := func(page string) string {
		s := read(t, pub, page)
		start, end := strings.Index(s, `<a class="skip-link"`), strings.Index(s, "</header>")
		if start < 0 || end < start {
			t.Fatalf("%s has no header:\n%s", page, s)
		}
		return s[start:end]
	}
	a, b, about := header("01-m/a/index.html"), header("01-m/b/index.html"), header("about/index.html")
	if a != b || strings.Contains(a, "aria-current") {
		t.Errorf("lesson headers differ or mark a link:\n%s\n%s", a, b)
	}
	if !strings.Contains(about, `<a href="/about/" aria-current="page">About</a>`) {
		t.Errorf("the About page's header does not mark its link:\n%s", about)
	}
	if strings.Replace(about, ` aria-current="page"`, "", 1) != a {
		t.Errorf("a lesson's header is not the partial's:\n%s\nwant (About's, unmarked)\n%s", a, about)
	}

	const own = "<header>own {{with .Page}}{{.Title}}{{end}}</header>"
	for _, layout := range []string{
		"-- layouts/partials/header.html --\n" + own,
		"-- layouts/partials/search-box.html --\n" + own,
		"-- layouts/shortcodes/x.html --\n{{define \"partials/header.html\"}}" + own + "{{end}}",
	} {
		dir := course(t, site+layout+"\n")
		mustBuild(t, dir)
		s := read(t, filepath.Join(dir, "public"), "01-m/b/index.html")
		if !strings.Contains(s, "own Lesson B") {
			t.Errorf("with the course's own header (%s), lesson B's page does not show it executed for the page", strings.SplitN(layout, "\n", 2)[0])
		}
	}
}
