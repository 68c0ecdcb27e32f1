package site

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// course writes a course given as a txtar archive into a temp folder and returns it.
func course(t testing.TB, archive string) string {
	t.Helper()
	dir := t.TempDir()
	writeArchive(t, dir, archive)
	return dir
}

func writeArchive(t testing.TB, dir, archive string) {
	t.Helper()
	for _, f := range txtar.Parse([]byte(archive)).Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// build builds the course in dir into dir/public with a cache in dir/.cohort.
func build(t testing.TB, dir string) (*Result, error) {
	t.Helper()
	return Build(context.Background(), Options{Source: dir, Out: filepath.Join(dir, "public"), CacheDir: filepath.Join(dir, ".cohort")})
}

func mustBuild(t testing.TB, dir string) *Result {
	t.Helper()
	res, err := build(t, dir)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	return res
}

func read(t testing.TB, dir, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// snapshot reads every file under dir, with its modification time.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = info.ModTime().String() + "\n" + string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

const smallCourse = `
-- course.toml --
title = "Small course"
base_url = "https://example.org/"
[federation]
handle = "course"
domain = "example.org"
-- content/_index.md --
+++
title = "Small course"
+++
Welcome.
-- content/about.md --
+++
title = "About"
+++
About this course.
-- content/01-first/_index.md --
+++
title = "Week 1"
weight = 1
+++
The first week.
-- content/01-first/a.md --
+++
title = "Lesson A"
id = "lesson-a"
weight = 10
date = 2026-01-05
+++
Read [lesson B](b.md#details) and [week 2](../02-second/_index.md).

## Overview

Text of A.
-- content/01-first/b.md --
+++
title = "Lesson B"
id = "lesson-b"
weight = 20
date = 2026-01-06
aliases = ["/old/b/"]
+++
## Details

![a figure](fig.svg)
-- content/01-first/fig.svg --
<svg xmlns="http://www.w3.org/2000/svg"><title>fig</title></svg>
-- content/02-second/_index.md --
+++
title = "Week 2"
weight = 2
+++
-- content/02-second/c.md --
+++
title = "Lesson C"
id = "lesson-c"
date = 2026-01-12
+++
Back to [A](/01-first/a/).
`

func TestBuildSmallCourse(t *testing.T) {
	dir := course(t, smallCourse)
	res := mustBuild(t, dir)
	if res.Pages != 7 {
		t.Errorf("pages = %d, want 7 (home, about, 2 modules, 3 lessons)", res.Pages)
	}
	pub := filepath.Join(dir, "public")
	for _, want := range []string{
		"index.html", "about/index.html", "01-first/index.html", "01-first/a/index.html",
		"01-first/b/index.html", "01-first/fig.svg", "02-second/c/index.html", "old/b/index.html",
		"404.html", "search/index.html", "search/index.json", "feed.xml", "sitemap.xml", "robots.txt",
		"lessons.json", "css/style.css", "css/highlight.css",
	} {
		if _, err := os.Stat(filepath.Join(pub, want)); err != nil {
			t.Errorf("missing %s", want)
		}
	}
	a := read(t, pub, "01-first/a/index.html")
	for _, want := range []string{`href="/01-first/b/#details"`, `href="/02-second/"`, "Lesson B"} {
		if !strings.Contains(a, want) {
			t.Errorf("lesson A lacks %s", want)
		}
	}
	if b := read(t, pub, "01-first/b/index.html"); !strings.Contains(b, `src="/01-first/fig.svg"`) {
		t.Errorf("image beside the lesson not linked by its URL")
	}
	if alias := read(t, pub, "old/b/index.html"); !strings.Contains(alias, "https://example.org/01-first/b/") {
		t.Errorf("alias does not point at the lesson:\n%s", alias)
	}
}

func TestBaseURLPath(t *testing.T) {
	dir := course(t, strings.Replace(smallCourse, `base_url = "https://example.org/"`, `base_url = "https://example.org/courses/small"`, 1))
	mustBuild(t, dir)
	c := read(t, filepath.Join(dir, "public"), "02-second/c/index.html")
	if !strings.Contains(c, `href="/courses/small/01-first/a/"`) {
		t.Errorf("root-relative link did not get the base path")
	}
	if !strings.Contains(c, "https://example.org/courses/small/02-second/c/") {
		t.Errorf("canonical URL lacks the base path")
	}
}

func TestDeterministic(t *testing.T) {
	src, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	var outs []map[string]string
	for range 2 {
		out := t.TempDir()
		if _, err := Build(context.Background(), Options{Source: src, Out: out}); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				data, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(out, p)
				files[rel] = string(data)
			}
			return err
		})
		outs = append(outs, files)
	}
	if len(outs[0]) < 20 {
		t.Fatalf("example course made only %d files", len(outs[0]))
	}
	for name, data := range outs[0] {
		if outs[1][name] != data {
			t.Errorf("%s differs between two builds of the same input", name)
		}
	}
	if len(outs[0]) != len(outs[1]) {
		t.Errorf("builds made %d and %d files", len(outs[0]), len(outs[1]))
	}
}

func TestFailedBuildLeavesOutput(t *testing.T) {
	dir := course(t, smallCourse)
	mustBuild(t, dir)
	before := snapshot(t, filepath.Join(dir, "public"))
	time.Sleep(10 * time.Millisecond)
	// One good change and one broken file: nothing may be written.
	writeArchive(t, dir, `
-- content/01-first/a.md --
+++
title = "Lesson A, changed"
+++
Changed.
-- content/02-second/c.md --
+++
title = "Lesson C"
weight = "heavy"
+++
`)
	if _, err := build(t, dir); err == nil {
		t.Fatal("build of a broken course succeeded")
	}
	after := snapshot(t, filepath.Join(dir, "public"))
	if len(before) != len(after) {
		t.Errorf("output had %d files, has %d after a failed build", len(before), len(after))
	}
	for name, v := range before {
		if after[name] != v {
			t.Errorf("%s changed in a failed build", name)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "staging") {
			t.Errorf("staging folder %s left behind", e.Name())
		}
	}
}

func TestIncremental(t *testing.T) {
	dir := course(t, smallCourse)
	first := mustBuild(t, dir)
	if first.Rendered != first.Pages {
		t.Fatalf("cold build rendered %d of %d pages", first.Rendered, first.Pages)
	}
	pub := filepath.Join(dir, "public")

	t.Run("no change", func(t *testing.T) {
		res := mustBuild(t, dir)
		if res.Rendered != 0 || len(res.Written) != 0 {
			t.Errorf("rebuild without change rendered %d pages, wrote %v", res.Rendered, res.Written)
		}
	})
	t.Run("body of one lesson", func(t *testing.T) {
		writeArchive(t, dir, "-- content/02-second/c.md --\n+++\ntitle = \"Lesson C\"\nid = \"lesson-c\"\ndate = 2026-01-12\n+++\nBack to [A](/01-first/a/), now with more words.\n")
		res := mustBuild(t, dir)
		if !slices.Contains(res.Written, "02-second/c/index.html") {
			t.Errorf("changed lesson not written: %v", res.Written)
		}
		if res.Rendered != 1 {
			t.Errorf("rendered %d pages for a change to one lesson body, want 1", res.Rendered)
		}
		if !strings.Contains(read(t, pub, "02-second/c/index.html"), "now with more words") {
			t.Error("new text missing")
		}
	})
	t.Run("title reaches neighbours, module, home and feed", func(t *testing.T) {
		writeArchive(t, dir, "-- content/01-first/b.md --\n+++\ntitle = \"Lesson B renamed\"\nid = \"lesson-b\"\nweight = 20\ndate = 2026-01-06\naliases = [\"/old/b/\"]\n+++\n## Details\n\n![a figure](fig.svg)\n")
		res := mustBuild(t, dir)
		for _, want := range []string{"01-first/a/index.html", "01-first/b/index.html", "02-second/c/index.html", "01-first/index.html", "index.html", "feed.xml", "search/index.json"} {
			if !slices.Contains(res.Written, want) {
				t.Errorf("%s not rewritten after a title change: %v", want, res.Written)
			}
		}
		if !strings.Contains(read(t, pub, "01-first/a/index.html"), "Lesson B renamed") {
			t.Error("next link still has the old title")
		}
	})
	t.Run("deleted lesson is removed", func(t *testing.T) {
		if err := os.Remove(filepath.Join(dir, "content/02-second/c.md")); err != nil {
			t.Fatal(err)
		}
		res := mustBuild(t, dir)
		if res.Removed == 0 {
			t.Error("nothing removed")
		}
		if _, err := os.Stat(filepath.Join(pub, "02-second/c/index.html")); !errors.Is(err, fs.ErrNotExist) {
			t.Error("page of a deleted lesson still in the output")
		}
	})
	t.Run("cache survives a new process", func(t *testing.T) {
		res := mustBuild(t, dir) // a new Builder: state comes from .cohort/
		if res.Rendered != 0 {
			t.Errorf("fresh builder with a warm cache rendered %d pages", res.Rendered)
		}
	})
	t.Run("output deleted by hand is rebuilt", func(t *testing.T) {
		os.RemoveAll(pub)
		mustBuild(t, dir)
		if _, err := os.Stat(filepath.Join(pub, "01-first/a/index.html")); err != nil {
			t.Error("pages not rewritten after public/ was deleted")
		}
	})
}

func TestNoLiveScriptInBuild(t *testing.T) {
	dir := course(t, smallCourse)
	mustBuild(t, dir)
	for name, data := range snapshot(t, filepath.Join(dir, "public")) {
		if strings.Contains(data, "_cohort") {
			t.Errorf("%s mentions serve's live script", name)
		}
	}
}

func TestOverride(t *testing.T) {
	dir := course(t, smallCourse+`
-- layouts/partials/footer.html --
<footer class="custom-footer">{{T "custom"}}</footer>
-- i18n/en.toml --
custom = "Our own footer"
-- static/css/style.css --
body { color: red }
`)
	mustBuild(t, dir)
	pub := filepath.Join(dir, "public")
	if !strings.Contains(read(t, pub, "about/index.html"), `<footer class="custom-footer">Our own footer</footer>`) {
		t.Error("course layout or UI string did not override the theme's")
	}
	if read(t, pub, "css/style.css") != "body { color: red }\n" {
		t.Error("course static file did not override the theme's")
	}
}

func TestDrafts(t *testing.T) {
	dir := course(t, smallCourse+"-- content/02-second/draft.md --\n+++\ntitle = \"Unfinished\"\ndraft = true\n+++\nNot yet.\n")
	mustBuild(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "public/02-second/draft/index.html")); err == nil {
		t.Error("draft published without --drafts")
	}
	if _, err := Build(context.Background(), Options{Source: dir, Out: filepath.Join(dir, "pub2"), Drafts: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pub2/02-second/draft/index.html")); err != nil {
		t.Error("draft missing with Drafts")
	}
}

// TestErrors: every bad input stops the build with a message that says where.
func TestErrors(t *testing.T) {
	tests := []struct {
		name  string
		files string
		want  []string
	}{
		{"malformed TOML in front matter names file, line and column",
			"-- content/01-first/a.md --\n+++\ntitle = \"A\"\nweight = = 3\n+++\n",
			[]string{"content/01-first/a.md:3:"}},
		{"unknown front matter key names the key and line",
			"-- content/01-first/a.md --\n+++\ntitle = \"A\"\nwieght = 3\n+++\n",
			[]string{"content/01-first/a.md:3", `unknown front matter key "wieght"`}},
		{"unclosed front matter",
			"-- content/01-first/a.md --\n+++\ntitle = \"A\"\n",
			[]string{"content/01-first/a.md:1", "never closed"}},
		{"unknown config key names the key and line",
			"-- course.toml --\ntitle = \"T\"\nbase_url = \"https://example.org/\"\n[federation]\nhandle = \"course\"\ndomian = \"x\"\n",
			[]string{"course.toml:5", `unknown key "federation.domian"`}},
		{"malformed course.toml",
			"-- course.toml --\ntitle = \"T\n",
			[]string{"course.toml:1:"}},
		{"bad language",
			"-- course.toml --\ntitle = \"T\"\nlanguage = \"fr\"\n",
			[]string{"course.toml", `"fr" is not one of en, nl`}},
		{"missing theme",
			"-- course.toml --\ntitle = \"T\"\ntheme = \"fancy\"\n",
			[]string{`theme "fancy" is not built in`}},
		{"duplicate ids name both files",
			"-- content/02-second/c.md --\n+++\ntitle = \"C\"\nid = \"lesson-a\"\n+++\n",
			[]string{"content/01-first/a.md", "content/02-second/c.md", `"lesson-a"`}},
		{"broken link to a lesson names file and line",
			"-- content/02-second/c.md --\n+++\ntitle = \"C\"\n+++\nFirst line.\n\nSee [the missing one](missing.md).\n",
			[]string{"content/02-second/c.md:6", "missing.md", "broken link"}},
		{"broken root-relative link",
			"-- content/02-second/c.md --\n+++\ntitle = \"C\"\n+++\n[gone](/nowhere/)\n",
			[]string{"content/02-second/c.md:4", "/nowhere/"}},
		{"link to a heading that does not exist",
			"-- content/02-second/c.md --\n+++\ntitle = \"C\"\n+++\nx\n\n[A](../01-first/a.md#nope)\n",
			[]string{"content/02-second/c.md:6", "#nope", "overview"}},
		{"root-relative link to a heading that does not exist",
			"-- content/02-second/c.md --\n+++\ntitle = \"C\"\n+++\nx\n\n[About](/about/#nope)\n",
			[]string{"content/02-second/c.md:6", "/about/#nope", "content/about.md has no heading #nope"}},
		{"root-relative link without its slash, to a missing heading",
			"-- content/02-second/c.md --\n+++\ntitle = \"C\"\n+++\n[A](/01-first/a#nope)\n",
			[]string{"content/02-second/c.md:4", "has no heading #nope"}},
		{"template error names the layout and line",
			"-- layouts/page.html --\n<html>\n{{ .Page.NoSuchField }}\n</html>\n",
			[]string{"page.html:2", "NoSuchField"}},
		{"template syntax error",
			"-- layouts/partials/footer.html --\n<footer>{{ if }}</footer>\n",
			[]string{"layouts/partials/footer.html", "footer.html:1"}},
		{"unclosed if points at the if",
			"-- layouts/partials/footer.html --\n<footer>\n{{ if .Site }}\n<p>x</p>\n{{ range .Site.Pages }}{{ end }}\n</footer>\n",
			[]string{"layouts/partials/footer.html:2: {{if}} has no {{end}}"}},
		{"unclosed action points at its line",
			"-- layouts/partials/footer.html --\n<footer>\n{{ .Site.Title \n<p>x</p>\n</footer>{{ end }}\n",
			[]string{"layouts/partials/footer.html:2: {{ is not closed with }}"}},
		{"bad duration",
			"-- content/02-second/c.md --\n+++\ntitle = \"C\"\nduration = \"a while\"\n+++\n",
			[]string{"content/02-second/c.md:3", "duration"}},
		{"bad duration in YAML front matter",
			"-- content/02-second/c.md --\n---\ntitle: C\nduration: a while\n---\n",
			[]string{"content/02-second/c.md:3", "duration"}},
		{"bad id in JSON front matter",
			"-- content/02-second/c.md --\n{\n  \"title\": \"C\",\n  \"id\": \"Not An Id\"\n}\n",
			[]string{"content/02-second/c.md:3", "id:"}},
		{"lesson too deep",
			"-- content/02-second/extra/deep.md --\n+++\ntitle = \"Deep\"\n+++\n",
			[]string{"content/02-second/extra/deep.md", "directly in a module folder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := course(t, smallCourse)
			writeArchive(t, dir, tt.files)
			_, err := build(t, dir)
			if err == nil {
				t.Fatal("build succeeded")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if _, serr := os.Stat(filepath.Join(dir, "public")); serr == nil {
				t.Error("a failed first build left a public/ folder")
			}
		})
	}
}

func TestUnreadableFile(t *testing.T) {
	dir := course(t, smallCourse)
	if err := os.Symlink("does-not-exist.md", filepath.Join(dir, "content/02-second/broken.md")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	_, err := build(t, dir)
	if err == nil || !strings.Contains(err.Error(), "content/02-second/broken.md") {
		t.Fatalf("error does not name the unreadable file: %v", err)
	}
}

func TestOrder(t *testing.T) {
	pages := []*Page{
		{File: "m/c.md", Weight: 0},
		{File: "m/b.md", Weight: 20},
		{File: "m/a.md", Weight: 20},
		{File: "m/d.md", Weight: 10},
		{File: "m/0.md", Weight: 0},
	}
	slices.SortFunc(pages, byWeight)
	var got []string
	for _, p := range pages {
		got = append(got, p.File)
	}
	want := []string{"m/d.md", "m/a.md", "m/b.md", "m/0.md", "m/c.md"}
	if !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v (weight, unweighted last, then file name)", got, want)
	}
}

func TestDeriveID(t *testing.T) {
	tests := map[string]string{
		"01-setting-up/weekly-rhythm.md": "01-setting-up-weekly-rhythm",
		"01-setting-up/_index.md":        "01-setting-up",
		"about.md":                       "about",
		"Wëek 2/Lesson One.md":           "w-ek-2-lesson-one",
	}
	for in, want := range tests {
		if got := deriveID(in); got != want {
			t.Errorf("deriveID(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGencourseBuilds: courses written by ../shared/bench/gencourse, the format the
// benchmarks use, keep building.
func TestGencourseBuilds(t *testing.T) {
	gen, _ := filepath.Abs(filepath.Join("..", "..", "shared", "bench"))
	if _, err := os.Stat(filepath.Join(gen, "gencourse", "main.go")); err != nil {
		t.Skip("../shared/bench/gencourse not found")
	}
	if testing.Short() {
		t.Skip("compiles and runs gencourse")
	}
	dir := filepath.Join(t.TempDir(), "course")
	cmd := exec.Command("go", "run", "./gencourse", "-out", dir, "-lessons", "60", "-modules", "4", "-seed", "7", "-format", "course")
	cmd.Dir = gen
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gencourse: %v\n%s", err, out)
	}
	res := mustBuild(t, dir)
	if res.Pages != 1+4+60 {
		t.Errorf("built %d pages, want 65", res.Pages)
	}
}

// TestBuildChanged: a rebuild told which files changed gives the same site as a
// rebuild that walks everything.
func TestBuildChanged(t *testing.T) {
	dir := course(t, smallCourse)
	b := NewBuilder(Options{Source: dir, Out: filepath.Join(dir, "public")})
	if _, err := b.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		do      func()
		changed []string
	}{
		{"edit", func() {
			writeArchive(t, dir, "-- content/01-first/a.md --\n+++\ntitle = \"Lesson A2\"\nid = \"lesson-a\"\nweight = 10\n+++\nNew text.\n")
		},
			[]string{"content/01-first/a.md"}},
		{"add", func() { writeArchive(t, dir, "-- content/02-second/d.md --\n+++\ntitle = \"Lesson D\"\n+++\nD.\n") },
			[]string{"content/02-second/d.md"}},
		{"add an asset", func() { writeArchive(t, dir, "-- content/02-second/pic.svg --\n<svg/>\n") },
			[]string{"content/02-second/pic.svg"}},
		{"delete", func() { os.Remove(filepath.Join(dir, "content/02-second/c.md")) },
			[]string{"content/02-second/c.md"}},
		{"scratch file made and gone", func() {}, []string{"content/02-second/.d.md.swp", "content/02-second/4913"}},
		{"new folder", func() { writeArchive(t, dir, "-- content/03-third/e.md --\n+++\ntitle = \"E\"\n+++\nE.\n") },
			[]string{"content/03-third"}},
		{"folder removed", func() { os.RemoveAll(filepath.Join(dir, "content/03-third")) },
			[]string{"content/03-third"}},
		{"layout", func() {
			writeArchive(t, dir, "-- layouts/partials/footer.html --\n<footer>changed</footer>\n")
		}, []string{"layouts/partials/footer.html"}},
	}
	for _, s := range steps {
		s.do()
		res, err := b.BuildChanged(context.Background(), s.changed)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got := snapshot(t, filepath.Join(dir, "public"))
		full := t.TempDir()
		if _, err := Build(context.Background(), Options{Source: dir, Out: full}); err != nil {
			t.Fatal(err)
		}
		want := snapshot(t, full)
		for name, w := range want {
			_, wdata, _ := strings.Cut(w, "\n")
			_, gdata, _ := strings.Cut(got[name], "\n")
			if gdata != wdata {
				t.Errorf("%s: %s differs from a full build (rendered %d)", s.name, name, res.Rendered)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d files, a full build makes %d", s.name, len(got), len(want))
		}
	}
}

// TestCacheLog: after a small change the cache grows by a delta, not a new
// snapshot; a new process reads snapshot and deltas back; a torn delta is ignored.
func TestCacheLog(t *testing.T) {
	dir := course(t, smallCourse)
	mustBuild(t, dir)
	base := filepath.Join(dir, ".cohort", cacheFile)
	before, err := os.Stat(base)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		time.Sleep(5 * time.Millisecond)
		writeArchive(t, dir, fmt.Sprintf("-- content/02-second/c.md --\n+++\ntitle = \"Lesson C\"\nid = \"lesson-c\"\ndate = 2026-01-12\n+++\nBack to [A](/01-first/a/), edit %d.\n", i))
		if res := mustBuild(t, dir); res.Rendered != 1 {
			t.Fatalf("edit %d rendered %d pages", i, res.Rendered)
		}
	}
	after, _ := os.Stat(base)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Error("the snapshot was rewritten for small changes")
	}
	log, err := os.ReadFile(base + ".log")
	if err != nil || len(records(log)) != 3 {
		t.Fatalf("log has %d records (%v), want 3", len(records(log)), err)
	}
	if res := mustBuild(t, dir); res.Rendered != 0 || len(res.Written) != 0 {
		t.Errorf("snapshot + log did not give the last state: rendered %d, wrote %v", res.Rendered, res.Written)
	}
	// A crash in the middle of an append leaves a torn record: it is ignored, and
	// the build redoes what that record would have saved it from.
	os.WriteFile(base+".log", log[:len(log)-3], 0o644)
	res := mustBuild(t, dir)
	if res.Rendered != 1 || !strings.Contains(read(t, filepath.Join(dir, "public"), "02-second/c/index.html"), "edit 2") {
		t.Errorf("after a torn log: rendered %d, page not the last edit", res.Rendered)
	}
}

// TestLayoutErrorOnce: a layout that fails on every lesson is reported once, at its
// own line, with how many pages it broke, not once per page.
func TestLayoutErrorOnce(t *testing.T) {
	dir := course(t, smallCourse)
	lessons := 0
	for _, p := range mustBuild(t, dir).Course.All() {
		if p.Kind == KindLesson {
			lessons++
		}
	}
	writeArchive(t, dir, "-- layouts/lesson.html --\n<html>\n{{ .Page.NoSuchField }}\n</html>\n")
	_, err := build(t, dir)
	if err == nil {
		t.Fatal("build succeeded")
	}
	msg := err.Error()
	if n := strings.Count(msg, "can't evaluate field NoSuchField"); n != 1 {
		t.Errorf("the error is told %d times, want once:\n%s", n, msg)
	}
	for _, want := range []string{"layouts/lesson.html:2:", fmt.Sprintf("on %d pages, the first content/01-first/a.md", lessons)} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

// TestProgress: Options.Progress hears that rendering starts (0 done) and each page
// as it is done, ending at the number of pages built.
func TestProgress(t *testing.T) {
	dir := course(t, smallCourse)
	var calls [][2]int
	res, err := Build(context.Background(), Options{Source: dir, Out: filepath.Join(dir, "public"),
		Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != res.Pages+1 || calls[0] != [2]int{0, res.Pages} || calls[len(calls)-1] != [2]int{res.Pages, res.Pages} {
		t.Fatalf("Progress calls %v for %d pages", calls, res.Pages)
	}
	for i, c := range calls {
		if c[0] != i {
			t.Fatalf("call %d said %d done", i, c[0])
		}
	}
}

// TestLetGoBodies: a build that lets the bodies it read go and reads each again
// to render makes the same site as one that keeps them; a body whose file
// changed in between is the new one, with its own line numbers.
func TestLetGoBodies(t *testing.T) {
	var b strings.Builder
	b.WriteString("-- course.toml --\ntitle = \"C\"\nbase_url = \"https://example.org/\"\n-- content/_index.md --\n+++\ntitle = \"C\"\n+++\nHome.\n")
	b.WriteString("-- content/01-m/_index.md --\n+++\ntitle = \"M\"\n+++\n")
	for i := range 30 {
		fmt.Fprintf(&b, "-- content/01-m/l%02d.md --\n+++\ntitle = \"Lesson %d\"\nweight = %d\n+++\n## Part %d\n\nText with [a link](l00.md) and `code`.\n\n```go\nfunc f%d() {}\n```\n", i, i, i, i, i)
	}
	src := course(t, b.String())
	sites := map[int]map[string]string{}
	for _, reads := range []int{1, 1 << 30} {
		old := letGoReads
		letGoReads = reads
		work := t.TempDir()
		_, err := Build(context.Background(), Options{Source: src, Out: filepath.Join(work, "public"), CacheDir: filepath.Join(work, "cache")})
		letGoReads = old
		if err != nil {
			t.Fatalf("build with letGoReads %d: %v", reads, err)
		}
		files := map[string]string{}
		for rel, v := range snapshot(t, filepath.Join(work, "public")) {
			_, data, _ := strings.Cut(v, "\n") // without the time
			files[rel] = data
		}
		sites[reads] = files
	}
	if len(sites[1]) < 30 {
		t.Fatalf("%d files built", len(sites[1]))
	}
	for rel, data := range sites[1<<30] {
		if sites[1][rel] != data {
			t.Errorf("%s differs when bodies are let go:\n%s\nkept:\n%s", rel, sites[1][rel], data)
		}
	}
	if len(sites[1]) != len(sites[1<<30]) {
		t.Errorf("%d files with bodies let go, %d kept", len(sites[1]), len(sites[1<<30]))
	}

	// The file changes between reading and rendering: the new body, at its line.
	fsys := fstest.MapFS{"content/l.md": {Data: []byte("+++\ntitle = \"L\"\n+++\nOld body.\n")}}
	p, err := readPage(fsys, "l.md")
	if err != nil {
		t.Fatal(err)
	}
	p.src, p.letGo = nil, true
	fsys["content/l.md"] = &fstest.MapFile{Data: []byte("+++\ntitle = \"L\"\nweight = 2\n+++\nNew body.\n")}
	if err := bodyAgain(fsys, p); err != nil {
		t.Fatal(err)
	}
	if string(p.src) != "New body.\n" || p.bodyLine != 5 || p.letGo {
		t.Errorf("after a change: body %q at line %d, letGo %v; want the new body at line 5", p.src, p.bodyLine, p.letGo)
	}
}
