package site

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// backdate sets every folder under content/ an hour back, as folders look that
// an author made long before the build: their listings may then be trusted.
func backdate(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	err := filepath.WalkDir(filepath.Join(dir, ContentDir), func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return os.Chtimes(p, old, old)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWalkListsOnlyChangedFolders shows that a walk of content/ after one
// lesson changed lists no folder again, yet sees the change (a file rewritten
// in place does not touch its folder's time), and that a file made, removed or
// turned into a folder is seen through the folder's new time. Each case is
// also built by a new Builder from the cache, as `cohort build` runs.
func TestWalkListsOnlyChangedFolders(t *testing.T) {
	dir := course(t, smallCourse)
	backdate(t, dir)
	mustBuild(t, dir)
	fsys := os.DirFS(dir)
	prev, err := walkContent(fsys, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	walk := func() *tree {
		t.Helper()
		next, err := walkContent(fsys, dir, prev.dirs)
		if err != nil {
			t.Fatal(err)
		}
		full, err := walkContent(fsys, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(next.markdown, full.markdown) || !slices.Equal(next.assets, full.assets) {
			t.Fatalf("the walk that trusts folders found\n%v %v\na full walk\n%v %v", next.markdown, next.assets, full.markdown, full.assets)
		}
		return next
	}
	relisted := func(next *tree) []string {
		var names []string
		for name, rec := range next.dirs {
			if prev.dirs[name] != rec {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		return names
	}

	lesson := filepath.Join(dir, "content", "01-first", "a.md")
	data, err := os.ReadFile(lesson)
	if err != nil {
		t.Fatal(err)
	}
	edited := string(data) + "\nEdited in place.\n"
	f, err := os.OpenFile(lesson, os.O_WRONLY|os.O_TRUNC, 0) // in place, as many editors save
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(edited)
	f.Close()
	next := walk()
	if got := relisted(next); len(got) != 0 {
		t.Errorf("an edit in place listed folders again: %v", got)
	}
	if i := slices.IndexFunc(next.markdown, func(s source) bool { return s.path == "01-first/a.md" }); i < 0 || next.markdown[i].size != int64(len(edited)) {
		t.Errorf("the walk did not see the lesson's new size")
	}
	mustBuild(t, dir)
	if !strings.Contains(read(t, filepath.Join(dir, "public"), "01-first/a/index.html"), "Edited in place.") {
		t.Error("a new cohort build did not show the edit made in place")
	}

	writeArchive(t, dir, "-- content/02-second/new.md --\n+++\ntitle = \"New lesson\"\n+++\nFresh.\n")
	next = walk()
	if got := relisted(next); !slices.Equal(got, []string{"02-second"}) {
		t.Errorf("adding a lesson listed %v again, want only its folder", got)
	}
	mustBuild(t, dir)
	if !strings.Contains(read(t, filepath.Join(dir, "public"), "02-second/new/index.html"), "Fresh.") {
		t.Error("a new cohort build did not make the added lesson")
	}

	backdate(t, dir)
	prev = walk()
	if err := os.Remove(filepath.Join(dir, "content", "02-second", "new.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "content", "01-first", "img"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeArchive(t, dir, "-- content/01-first/img/pic.svg --\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n")
	next = walk()
	if got := relisted(next); !slices.Equal(got, []string{"01-first", "01-first/img", "02-second"}) {
		t.Errorf("a removed lesson and a new folder listed %v again", got)
	}
	mustBuild(t, dir)
	if _, err := os.Stat(filepath.Join(dir, "public", "02-second", "new", "index.html")); err == nil {
		t.Error("a new cohort build kept the page of the removed lesson")
	}
	if _, err := os.Stat(filepath.Join(dir, "public", "01-first", "img", "pic.svg")); err != nil {
		t.Errorf("a new cohort build did not copy the file in the new folder: %v", err)
	}
}

// TestWalkDistrustsRecentFolders shows the racy window: a folder changed just
// before it was listed is listed again, since a file made in the same tick of
// the file system's clock would not move its time.
func TestWalkDistrustsRecentFolders(t *testing.T) {
	dir := course(t, smallCourse)
	fsys := os.DirFS(dir)
	prev, err := walkContent(fsys, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	next, err := walkContent(fsys, dir, prev.dirs)
	if err != nil {
		t.Fatal(err)
	}
	for name, rec := range next.dirs {
		if prev.dirs[name] == rec {
			t.Errorf("folder %s, changed moments ago, was trusted", name)
		}
	}
}

// TestWalkOfTrustedFolderSeesFileKinds: a folder whose record says it did not
// change is not listed again, but its files are still looked at one by one,
// by name within the folder: a file rewritten in place shows its new size,
// and one that is no longer a plain file (here a link, with the record made
// to look current, as a clock set back could) sends the walk back to listing
// the folder, so it finds what a full walk finds.
func TestWalkOfTrustedFolderSeesFileKinds(t *testing.T) {
	dir := course(t, smallCourse)
	backdate(t, dir)
	fsys := os.DirFS(dir)
	prev, err := walkContent(fsys, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "content", "01-first")
	lesson := filepath.Join(folder, "a.md")
	f, err := os.OpenFile(lesson, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("\nAppended in place.\n")
	f.Close()
	next, err := walkContent(fsys, dir, prev.dirs)
	if err != nil {
		t.Fatal(err)
	}
	if next.dirs["01-first"] != prev.dirs["01-first"] {
		t.Error("an edit in place listed its folder again")
	}
	info, err := os.Stat(lesson)
	if err != nil {
		t.Fatal(err)
	}
	if s, _, ok := next.source("01-first/a.md"); !ok || s.size != info.Size() || !s.mtime.Equal(info.ModTime()) || s.ctime != changeStamp(info) {
		t.Errorf("the walk found the edited lesson as %+v, want size %d and its new times", s, info.Size())
	}

	// a.md becomes a link to b.md; the folder's record is made to match the
	// folder's new times, so only the look at each file can notice.
	if err := os.Remove(lesson); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("b.md", lesson); err != nil {
		t.Skip("no symbolic links here: ", err)
	}
	fi, err := os.Stat(folder)
	if err != nil {
		t.Fatal(err)
	}
	rec := *next.dirs["01-first"]
	rec.Mtime, rec.Change = fi.ModTime().UnixNano(), changeStamp(fi)
	rec.Listed = rec.Mtime + int64(2*racyWindow) // listed well after that change
	trusted := maps.Clone(next.dirs)
	trusted["01-first"] = &rec
	got, err := walkContent(fsys, dir, trusted)
	if err != nil {
		t.Fatal(err)
	}
	full, err := walkContent(fsys, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.markdown, full.markdown) || !slices.Equal(got.assets, full.assets) {
		t.Fatalf("the walk trusting the folder found\n%v\na full walk\n%v", got.markdown, full.markdown)
	}
	if !got.dirs["01-first"].Links {
		t.Error("the folder was not listed again: its record does not know the link")
	}
}
