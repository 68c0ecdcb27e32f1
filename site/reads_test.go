package site

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Tests of what an incremental build must notice, each a dependency that a
// render key kept by hand once missed (the property test in incremental_test.go
// found or confirms each).

// TestDanglingLinkFound: a lesson that links to another by its root-relative URL
// or to a file beside the Markdown fails the build when the target goes, also
// when nothing else about the linking page changed (it is not rendered again).
func TestDanglingLinkFound(t *testing.T) {
	for _, tc := range []struct{ name, link, remove string }{
		{"root-relative URL", "/02-second/c/", "content/02-second/c.md"},
		{"file beside the Markdown", "../02-second/pic.svg", "content/02-second/pic.svg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := course(t, smallCourse+"-- content/02-second/pic.svg --\n<svg/>\n")
			writeArchive(t, dir, "-- content/01-first/a.md --\n+++\ntitle = \"Lesson A\"\nid = \"lesson-a\"\nweight = 10\n+++\nSee [it]("+tc.link+").\n")
			mustBuild(t, dir)
			if err := os.Remove(filepath.Join(dir, tc.remove)); err != nil {
				t.Fatal(err)
			}
			_, err := build(t, dir)
			if !errors.Is(err, errBrokenLink) {
				t.Fatalf("after removing %s, a build gave %v, want a broken link in content/01-first/a.md", tc.remove, err)
			}
		})
	}
}

// TestBuildChangedRereadsNamedFiles: a file the watcher names is read again even
// when its size and modification time are the old ones (saved twice within the
// clock's tick, or by a tool that keeps the time).
func TestBuildChangedRereadsNamedFiles(t *testing.T) {
	dir := course(t, smallCourse)
	pub := filepath.Join(dir, "public")
	b := NewBuilder(Options{Source: dir, Out: pub})
	if _, err := b.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "content/02-second/c.md")
	info, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(src)
	edited := strings.Replace(string(data), "Back to", "Back on", 1)
	if len(edited) != len(data) {
		t.Fatal("the test's edit must keep the size")
	}
	if err := os.WriteFile(src, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(src, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.BuildChanged(context.Background(), []string{"content/02-second/c.md"}); err != nil {
		t.Fatal(err)
	}
	if page := read(t, pub, "02-second/c/index.html"); !strings.Contains(page, "Back on") {
		t.Error("the page still shows the text from before the edit the watcher reported")
	}
}

// TestCourseLayoutReadingOtherPages: a course's own layout that lists every
// lesson makes every page depend on every lesson: retitling one lesson changes
// the footer of a page in another module, which must not be left stale.
func TestCourseLayoutReadingOtherPages(t *testing.T) {
	dir := course(t, smallCourse+"-- layouts/partials/footer.html --\n<footer>{{range .Site.Course.Lessons}}[{{.Title}}]{{end}}</footer>\n")
	pub := filepath.Join(dir, "public")
	b := NewBuilder(Options{Source: dir, Out: pub})
	if _, err := b.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	writeArchive(t, dir, "-- content/02-second/c.md --\n+++\ntitle = \"Lesson C, retitled\"\nid = \"lesson-c\"\n+++\nBack to [A](/01-first/a/).\n")
	if _, err := b.BuildChanged(context.Background(), []string{"content/02-second/c.md"}); err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"about/index.html", "01-first/a/index.html", "index.html"} {
		if !strings.Contains(read(t, pub, page), "[Lesson C, retitled]") {
			t.Errorf("%s: the footer still lists the old title", page)
		}
	}
}

// TestNewProcessSeesEditWithOldTime: cohort build in a new process notices a
// lesson rewritten with its old size and modification time (cp -p, rsync -t,
// tar x): the cache knows a source by its inode change time too, which no tool
// sets back.
func TestNewProcessSeesEditWithOldTime(t *testing.T) {
	if changeStamp(statOf(t, ".")) == 0 {
		t.Skip("this file system gives no inode change time: size and mtime are all a build can go by")
	}
	dir := course(t, smallCourse)
	pub := filepath.Join(dir, "public")
	mustBuild(t, dir)
	src := filepath.Join(dir, "content/02-second/c.md")
	info := statOf(t, src)
	data, _ := os.ReadFile(src)
	edited := strings.Replace(string(data), "Back to", "Back on", 1)
	if err := os.WriteFile(src, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(src, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	if now := statOf(t, src); now.Size() != info.Size() || !now.ModTime().Equal(info.ModTime()) {
		t.Fatal("the test's edit must keep the size and time")
	}
	mustBuild(t, dir) // a new Builder: only the cache in .cohort/ remembers
	if page := read(t, pub, "02-second/c/index.html"); !strings.Contains(page, "Back on") {
		t.Error("the page still shows the text from before the edit")
	}
}

func statOf(t *testing.T, name string) os.FileInfo {
	t.Helper()
	info, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return info
}
