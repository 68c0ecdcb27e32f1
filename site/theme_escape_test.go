package site

import (
	"errors"
	"fmt"
	"html/template"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// escapeSamples are values a layout may print: plain and hostile strings, URLs
// of every scheme html/template tells apart, escapes valid and not, broken
// UTF-8, trusted content of each kind, numbers, nil, pointers, and types that
// print through fmt.
func escapeSamples() []any {
	str := "a <b> & \"c\""
	var nilPtr *string
	type named string
	samples := []any{
		"", "plain", "/course/01-m/a/", "https://example.org/a+b/c?d=e&f#g", "He said \"<b>hi</b>\" & left, 1+1 'é' \x00 \xff.",
		"javascript:alert(1)", "JavaScript:x", "mailto:a@example.org", "MAILTO:x", "HTTP://x", "ftp://x", "a/b:c", ":x", "data:text/html,x",
		"100%", "%2F%2f", "%zz", "%4", "a b/c?d=é&e=f g#h", "~-._", "!#$&*+,/:;=?@[]", "'()", "é€\U0001F600", "\ufdd0\uffff", "<script>",
		template.HTML("<b>bold</b> & <i>x</i>"), template.HTML(""), template.HTMLAttr(`content="x"`), template.URL("javascript:ok"),
		template.URL("a b"), template.CSS("a:b"), template.JS("x<y"), template.JSStr("s"), template.Srcset("a.png 1x"),
		0, 42, -7, int64(9), 3.5, true, nil, &str, nilPtr, named("n&m"), []string{"a", "<b>"}, map[string]int{"k": 1},
		time.Date(2026, 9, 14, 9, 0, 0, 0, time.UTC), errors.New("e<r>"), fmt.Stringer(stringerFunc("s&t")), struct{ A, B string }{"a", "<"},
	}
	return samples
}

type stringerFunc string

func (s stringerFunc) String() string { return "S:" + string(s) }

// TestEscapeChainsAreHTMLTemplates: each fused chain escapes every sample to
// the bytes html/template's own escapers give in that context, and this Go's
// html/template escapes each chain's context with exactly its escapers (else
// fuseEscapers leaves the chain alone: correct, but the speed is lost).
func TestEscapeChainsAreHTMLTemplates(t *testing.T) {
	for i := range escapeChains {
		c := &escapeChains[i]
		r := refFor(c.fn)
		if !slices.Equal(r.escapersCalled, c.escapers) {
			t.Errorf("%s: html/template escapes %s with %v, not %v", c.fn, c.ref, r.escapersCalled, c.escapers)
		}
		// What html/template writes for the whole context, cut to the action.
		ref := template.Must(template.New("x").Parse(c.ref))
		for _, v := range escapeSamples() {
			var b strings.Builder
			if err := ref.Execute(&b, v); err != nil {
				t.Fatal(err)
			}
			want := strings.TrimSuffix(strings.TrimPrefix(b.String(), r.before), r.after)
			if got := c.escape(v); got != want {
				t.Errorf("%s(%#v) = %q, html/template writes %q", c.fn, v, got, want)
			}
		}
	}
}

// FuzzEscapeChains: for any string, the direct way gives html/template's bytes.
func FuzzEscapeChains(f *testing.F) {
	for _, v := range escapeSamples() {
		if s, ok := v.(string); ok {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i := range escapeChains {
			c := &escapeChains[i]
			direct, ok := c.direct(s)
			if !ok {
				continue
			}
			if want := c.escapeByRef(s); direct != want {
				t.Errorf("%s(%q) = %q, html/template writes %q", c.fn, s, direct, want)
			}
		}
	})
}

// TestFusedEscapersInTheme: the default theme's lesson layout prints no value
// through html/template's escapers one by one any more, but through the fused
// functions.
func TestFusedEscapersInTheme(t *testing.T) {
	th := defaultTheme(t)
	for _, name := range []string{"lesson.html", "partials/head.html", "partials/header.html", "partials/module-nav.html"} {
		text := th.templates.Lookup(name).Tree.Root.String()
		if strings.Contains(text, escaperPrefix) {
			t.Errorf("%s still calls html/template's escapers:\n%s", name, text)
		}
		if !strings.Contains(text, "_cohort_escape_") {
			t.Errorf("%s calls no fused escaper:\n%s", name, text)
		}
	}
}

// TestFusedEscapersEscapeOnce: a partial that a page layout and a shortcode
// both execute, and the navigation partials executed by themselves, escape
// their values once, whichever executes first.
func TestFusedEscapersEscapeOnce(t *testing.T) {
	dir := course(t, `
-- course.toml --
title = "Once & again"
base_url = "https://example.org/"
-- content/about.md --
+++
title = "About <us>"
+++
{{< m >}}
-- content/01-m/_index.md --
+++
title = "M & N"
+++
-- content/01-m/a.md --
+++
title = "A & B"
+++
A.
-- layouts/partials/mark.html --
<mark title="{{.}}">{{.}}</mark><a href="/s?q={{.}}">q</a>
-- layouts/shortcodes/m.html --
{{template "partials/mark.html" "x&y"}}
-- layouts/page.html --
<!DOCTYPE html><html><body>{{template "partials/mark.html" "x&y"}}{{.Page.Content}}</body></html>
`)
	mustBuild(t, dir)
	pub := filepath.Join(dir, "public")
	about := read(t, pub, "about/index.html")
	const want = `<mark title="x&amp;y">x&amp;y</mark><a href="/s?q=x%26y">q</a>`
	if n := strings.Count(about, want); n != 2 {
		t.Errorf("the About page has %d times %s, want 2 (layout and shortcode):\n%s", n, want, about)
	}
	if strings.Contains(about, "&amp;amp;") {
		t.Errorf("the About page escapes twice:\n%s", about)
	}
	lesson := read(t, pub, "01-m/a/index.html")
	for _, s := range []string{"<title>A &amp; B · Once &amp; again</title>", `M &amp; N</a>`, `<span>Once &amp; again</span>`} {
		if !strings.Contains(lesson, s) {
			t.Errorf("the lesson page has no %s:\n%s", s, lesson)
		}
	}
	if strings.Contains(lesson, "&amp;amp;") {
		t.Errorf("the lesson page escapes twice:\n%s", lesson)
	}
}

// TestUnlistedPartialRefused: a partial the build would execute by itself
// without having escaped it at load is refused with an error, rather than
// printed with its values escaped twice.
func TestUnlistedPartialRefused(t *testing.T) {
	th := defaultTheme(t)
	if _, err := th.executeHTML("partials/outline.html", &Course{}); err != nil {
		t.Fatalf("a listed partial: %v", err)
	}
	_, err := th.executeHTML("partials/head.html", PageData{})
	if err == nil || !strings.Contains(err.Error(), "layouts/partials/head.html") || !strings.Contains(err.Error(), "not escaped") {
		t.Fatalf("an unlisted partial: err = %v, want a refusal naming it", err)
	}
}

// defaultTheme loads the built-in theme for a minimal course.
func defaultTheme(t *testing.T) *Theme {
	t.Helper()
	fsys := fstest.MapFS{"course.toml": {Data: []byte("title = \"Fused\"\nbase_url = \"https://example.org/\"\n")}}
	cfg, err := LoadConfig(fsys, "course.toml")
	if err != nil {
		t.Fatal(err)
	}
	th, err := LoadTheme(fsys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return th
}
