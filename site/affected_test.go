package site

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// affectedCourse writes a course of 4 modules of 6 lessons; the first lesson of
// module 3 links to a heading of the second lesson of module 2.
func affectedCourse(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("-- course.toml --\ntitle = \"Readers\"\nbase_url = \"https://example.org/\"\n")
	for m := 1; m <= 4; m++ {
		fmt.Fprintf(&b, "-- content/0%d-mod/_index.md --\n+++\ntitle = \"Module %d\"\nweight = %d\n+++\nAbout module %d.\n", m, m, m, m)
		for l := 1; l <= 6; l++ {
			body := fmt.Sprintf("Lesson %d of module %d.\n\n## Part one\n\nText.\n", l, m)
			if m == 3 && l == 1 {
				body += "\nSee [the other part](../02-mod/l2.md#part-one).\n"
			}
			fmt.Fprintf(&b, "-- content/0%d-mod/l%d.md --\n+++\ntitle = \"Lesson %d.%d\"\nweight = %d\n+++\n%s", m, l, m, l, l, body)
		}
	}
	return course(t, b.String())
}

// TestOneEditLooksAtItsReaders: after one lesson's body changes, serve's builder
// and a new process each look at the lesson and its neighbours, not at the whole
// course, nor at the page linking into it while the lesson's headings stay as
// they were; a renamed heading brings that page back; the output is what a
// clean build makes.
func TestOneEditLooksAtItsReaders(t *testing.T) {
	dir := affectedCourse(t)
	ctx := context.Background()
	opts := Options{Source: dir, Out: filepath.Join(dir, "public"), CacheDir: filepath.Join(dir, ".cohort")}
	serve := NewBuilder(opts)
	first, err := serve.Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.Looked != first.Pages {
		t.Fatalf("a cold build looked at %d of %d pages", first.Looked, first.Pages)
	}
	lesson := filepath.Join(dir, "content", "02-mod", "l2.md")
	edit := func(text string) {
		t.Helper()
		data, err := os.ReadFile(lesson)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(lesson, append(data, text...), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	edit("\nA new sentence in serve.\n")
	res, err := serve.BuildChanged(ctx, []string{"content/02-mod/l2.md"})
	if err != nil {
		t.Fatal(err)
	}
	// The lesson and the lessons before and after it: its headings are as they
	// were, so the lesson linking to one of them need not check its link again.
	if res.Looked != 3 || res.Rendered != 1 {
		t.Errorf("serve: looked at %d pages and rendered %d after a body edit, want 3 and 1", res.Looked, res.Rendered)
	}
	if !strings.Contains(read(t, opts.Out, "02-mod/l2/index.html"), "A new sentence in serve.") {
		t.Error("serve: the edit is not on the page")
	}
	if err := serve.SaveCache(); err != nil {
		t.Fatal(err)
	}

	edit("\nA new sentence in a new process.\n")
	res = mustBuild(t, dir)
	if res.Looked != 3 || res.Rendered != 1 {
		t.Errorf("new process: looked at %d pages and rendered %d after a body edit, want 3 and 1", res.Looked, res.Rendered)
	}

	// A new heading name breaks the link into the old one: the linking page is
	// looked at and the build fails, naming it.
	data, err := os.ReadFile(lesson)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lesson, []byte(strings.Replace(string(data), "## Part one", "## Part uno", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := build(t, dir); err == nil || !strings.Contains(err.Error(), "03-mod/l1.md") {
		t.Errorf("a link to a heading that went: got %v, want an error naming content/03-mod/l1.md", err)
	}
	if err := os.WriteFile(lesson, data, 0o644); err != nil {
		t.Fatal(err)
	}

	// A new title reaches every page's navigation (a course this small lists
	// every lesson beside each page).
	if err := os.WriteFile(lesson, []byte(strings.Replace(string(data), "Lesson 2.2", "Lesson 2.2 renamed", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	mustBuild(t, dir)
	for _, page := range []string{"02-mod/l5/index.html", "04-mod/l6/index.html", "index.html"} {
		if !strings.Contains(read(t, opts.Out, page), "Lesson 2.2 renamed") {
			t.Errorf("title edit: %s does not show the new title", page)
		}
	}
}

// TestReadingTimeStaysInItsModule: in a course too large for the sidebar to
// list every lesson, the sidebar shows the other modules by number and title
// only. An edit that moves a lesson's reading time past a minute changes its
// module's navigation and total, and the outline, but no page of another
// module: those are not rendered again, and stay what a clean build makes.
func TestReadingTimeStaysInItsModule(t *testing.T) {
	const modules, lessons = 4, MaxSidebarLessons/4 + 1 // more than the sidebar lists
	var b strings.Builder
	b.WriteString("-- course.toml --\ntitle = \"Long\"\nbase_url = \"https://example.org/\"\n")
	for m := 1; m <= modules; m++ {
		fmt.Fprintf(&b, "-- content/0%d-mod/_index.md --\n+++\ntitle = \"Module %d\"\nweight = %d\n+++\nAbout module %d.\n", m, m, m, m)
		for l := 1; l <= lessons; l++ {
			fmt.Fprintf(&b, "-- content/0%d-mod/l%03d.md --\n+++\ntitle = \"Lesson %d.%d\"\nweight = %d\n+++\nLesson %d of module %d.\n", m, l, m, l, l, l, m)
		}
	}
	dir := course(t, b.String())
	ctx := context.Background()
	opts := Options{Source: dir, Out: filepath.Join(dir, "public"), CacheDir: filepath.Join(dir, ".cohort")}
	serve := NewBuilder(opts)
	if _, err := serve.Build(ctx); err != nil {
		t.Fatal(err)
	}
	other := "03-mod/l010/index.html"
	before := read(t, opts.Out, other)

	// A body of exactly one minute's words, then a few more: two minutes.
	lesson := filepath.Join(dir, "content", "02-mod", "l005.md")
	write := func(words int) {
		t.Helper()
		body := strings.Repeat("word ", words)
		if err := os.WriteFile(lesson, []byte("+++\ntitle = \"Lesson 2.5\"\nweight = 5\n+++\n"+body+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(wordsPerMinute)
	if _, err := serve.BuildChanged(ctx, []string{"content/02-mod/l005.md"}); err != nil {
		t.Fatal(err)
	}
	write(wordsPerMinute + 5)
	res, err := serve.BuildChanged(ctx, []string{"content/02-mod/l005.md"})
	if err != nil {
		t.Fatal(err)
	}
	// The module's page and lessons (their navigation shows the new time), the
	// home page (its outline), and nothing else.
	if want := lessons + 2; res.Rendered > want {
		t.Errorf("serve rendered %d of %d pages after a reading-time edit, want at most %d", res.Rendered, res.Pages, want)
	}
	if got := read(t, opts.Out, "02-mod/l001/index.html"); !strings.Contains(got, `Lesson 2.5</a> <span class="duration">2 min</span>`) {
		t.Errorf("02-mod/l001: the module's navigation does not show the lesson's new reading time")
	}
	if got := read(t, opts.Out, other); got != before {
		t.Errorf("%s changed though it shows nothing of module 2's times", other)
	}

	// The same in a new process, from the cache.
	if err := serve.SaveCache(); err != nil {
		t.Fatal(err)
	}
	write(2*wordsPerMinute + 5)
	if res := mustBuild(t, dir); res.Rendered > lessons+2 {
		t.Errorf("new process rendered %d of %d pages after a reading-time edit, want at most %d", res.Rendered, res.Pages, lessons+2)
	}

	// A clean build makes the same pages.
	clean := filepath.Join(t.TempDir(), "public")
	if _, err := Build(ctx, Options{Source: dir, Out: clean}); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{other, "02-mod/l001/index.html", "02-mod/index.html", "index.html"} {
		if read(t, opts.Out, page) != read(t, clean, page) {
			t.Errorf("%s differs from a clean build's", page)
		}
	}
}

// TestTextEditKeepsWholeCourseFiles: an edit to a lesson's text leaves
// lessons.json and sitemap.xml as they were (nothing they show changed), while
// a lesson's new title and a module's new title reach lessons.json, each in
// a new process built from the cache, as a clean build has them.
func TestTextEditKeepsWholeCourseFiles(t *testing.T) {
	dir := affectedCourse(t)
	ctx := context.Background()
	opts := Options{Source: dir, Out: filepath.Join(dir, "public"), CacheDir: filepath.Join(dir, ".cohort")}
	if _, err := Build(ctx, opts); err != nil {
		t.Fatal(err)
	}
	rewrite := func(rel, from, to string) {
		t.Helper()
		name := filepath.Join(dir, filepath.FromSlash(rel))
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), from) {
			t.Fatalf("%s has no %q", rel, from)
		}
		if err := os.WriteFile(name, []byte(strings.Replace(string(data), from, to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	written := func(res *Result, rel string) bool {
		return slices.Contains(res.Written, rel)
	}

	rewrite("content/02-mod/l2.md", "Text.", "Text, and a new sentence.")
	res, err := Build(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if written(res, "lessons.json") || written(res, "sitemap.xml") {
		t.Errorf("a text edit rewrote whole-course files: %v", res.Written)
	}
	if !strings.Contains(read(t, opts.Out, "02-mod/l2/index.html"), "a new sentence") {
		t.Error("the edit is not on the page")
	}

	rewrite("content/02-mod/l2.md", `title = "Lesson 2.2"`, `title = "Lesson two, renamed"`)
	if res, err = Build(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if !written(res, "lessons.json") || !strings.Contains(read(t, opts.Out, "lessons.json"), "Lesson two, renamed") {
		t.Errorf("a lesson's new title is not in lessons.json (written: %v)", res.Written)
	}

	rewrite("content/03-mod/_index.md", `title = "Module 3"`, `title = "Module three, renamed"`)
	if res, err = Build(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(read(t, opts.Out, "lessons.json"), "Module three, renamed") {
		t.Errorf("a module's new title is not in lessons.json (written: %v)", res.Written)
	}

	clean := opts
	clean.Out, clean.CacheDir = filepath.Join(dir, "clean"), ""
	if _, err := Build(ctx, clean); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"lessons.json", "sitemap.xml"} {
		if got, want := read(t, opts.Out, rel), read(t, clean.Out, rel); got != want {
			t.Errorf("%s differs from a clean build's", rel)
		}
	}
}

// TestOneEditCacheMatchesCleanBuild: a one-edit build saves to the cache only
// the records of the pages it looked at (a delta against the last build's); the
// cache it leaves, loaded anew, holds what a clean build's cache holds.
func TestOneEditCacheMatchesCleanBuild(t *testing.T) {
	dir := affectedCourse(t)
	mustBuild(t, dir)
	for _, rel := range []string{"content/02-mod/l2.md", "content/04-mod/l3.md", "content/02-mod/l2.md"} {
		name := filepath.Join(dir, filepath.FromSlash(rel))
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, append(data, "\nOne more sentence.\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		if res := mustBuild(t, dir); res.Looked >= res.Pages {
			t.Fatalf("edit of %s: looked at all %d pages, want a one-edit build", rel, res.Pages)
		}
	}
	// A lesson removed: its outputs leave the cache's record too.
	if err := os.Remove(filepath.Join(dir, "content", "04-mod", "l3.md")); err != nil {
		t.Fatal(err)
	}
	mustBuild(t, dir)
	cache := filepath.Join(dir, ".cohort", cacheFile)
	if _, err := os.Stat(cache + ".log"); err != nil {
		t.Fatalf("the edits left no delta log: %v", err)
	}
	incremental, err := loadState(cache)
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{".cohort", "public"} {
		if err := os.RemoveAll(filepath.Join(dir, gone)); err != nil {
			t.Fatal(err)
		}
	}
	mustBuild(t, dir)
	clean, err := loadState(cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(incremental.Files) != len(clean.Files) || len(incremental.Frags) != len(clean.Frags) {
		t.Fatalf("cache holds %d pages and %d entries, a clean build's %d and %d",
			len(incremental.Files), len(incremental.Frags), len(clean.Files), len(clean.Frags))
	}
	for f, c := range clean.Files {
		got := incremental.Files[f]
		if got == nil || got.RenderKey != c.RenderKey || got.Page.Hash != c.Page.Hash {
			t.Errorf("%s: cached record differs from a clean build's", f)
		}
	}
	for f, c := range clean.Frags {
		if got := incremental.Frags[f]; got == nil || got.Key != c.Key || string(got.Search) != string(c.Search) {
			t.Errorf("%s: cached whole-course entries differ from a clean build's", f)
		}
	}
	// The output files' hashes, saved as what the output step changed.
	for f, h := range clean.Outputs {
		if got, ok := incremental.Outputs[f]; !ok || got != h {
			t.Errorf("%s: cached output hash %q, a clean build's %q", f, got, h)
		}
	}
	for f := range incremental.Outputs {
		if _, ok := clean.Outputs[f]; !ok {
			t.Errorf("%s: in the cache's outputs, not made by a clean build", f)
		}
	}
}

// TestTouchedSourceIsNoEdit: a lesson written again with the same bytes (a
// checkout, an editor's save without changes) is read again but looked at by
// no page, in serve and in a new process; the new process records its new
// time, so the build after does not read it again, and the output stays what
// a clean build makes.
func TestTouchedSourceIsNoEdit(t *testing.T) {
	dir := affectedCourse(t)
	ctx := context.Background()
	opts := Options{Source: dir, Out: filepath.Join(dir, "public"), CacheDir: filepath.Join(dir, ".cohort")}
	serve := NewBuilder(opts)
	if _, err := serve.Build(ctx); err != nil {
		t.Fatal(err)
	}
	lesson := filepath.Join(dir, "content", "02-mod", "l2.md")
	touch := func(when time.Time) {
		t.Helper()
		data, err := os.ReadFile(lesson)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(lesson, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(lesson, when, when); err != nil {
			t.Fatal(err)
		}
	}
	touch(time.Now().Add(-time.Hour))
	res, err := serve.BuildChanged(ctx, []string{"content/02-mod/l2.md"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Looked != 0 || res.Rendered != 0 || len(res.Written) != 0 {
		t.Errorf("serve: a rewrite with the same bytes looked at %d pages, rendered %d, wrote %v; want none", res.Looked, res.Rendered, res.Written)
	}
	if err := serve.SaveCache(); err != nil {
		t.Fatal(err)
	}
	touch(time.Now().Add(-30 * time.Minute))
	if res := mustBuild(t, dir); res.Looked != 0 || res.Rendered != 0 {
		t.Errorf("new process: a rewrite with the same bytes looked at %d pages and rendered %d; want none", res.Looked, res.Rendered)
	}
	s, err := loadState(filepath.Join(dir, ".cohort", cacheFile))
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(lesson)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Files["02-mod/l2.md"]; c == nil || c.ModTime != info.ModTime().UnixNano() {
		t.Error("the cache keeps the lesson's old time: every new process would read it again")
	}
	got := read(t, opts.Out, "02-mod/l2/index.html")
	clean := t.TempDir()
	if _, err := Build(ctx, Options{Source: dir, Out: clean}); err != nil {
		t.Fatal(err)
	}
	if want := read(t, clean, "02-mod/l2/index.html"); got != want {
		t.Error("the lesson's page differs from a clean build's")
	}
}
