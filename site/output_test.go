package site

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// leftovers lists the staging and undo folders a build left beside out.
func leftovers(t *testing.T, out string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		if strings.Contains(e.Name(), ".staging-") || strings.Contains(e.Name(), ".undo-") {
			left = append(left, e.Name())
		}
	}
	return left
}

// TestFailedRenderLeavesOutput: a build that fails while rendering, after other
// pages were already made, leaves public/ as it was: files, bytes and times.
func TestFailedRenderLeavesOutput(t *testing.T) {
	cases := []struct {
		name   string
		broken string // txtar applied on top of good edits
		want   string // in the error
	}{
		{"template execution error", `
-- layouts/partials/footer.html --
<footer>{{if eq .Page.ID "lesson-c"}}{{.Page.NoSuchField}}{{end}}</footer>
`, "NoSuchField"},
		{"broken link found at render", `
-- content/02-second/c.md --
+++
title = "Lesson C"
id = "lesson-c"
+++
See [the missing lesson](missing.md).
`, "missing.md"},
		{"broken heading link found after render", `
-- content/02-second/c.md --
+++
title = "Lesson C"
id = "lesson-c"
+++
See [details](../01-first/b.md#no-such-heading).
`, "no-such-heading"},
		// The search index and the static files are written at the same
		// time (extras.go): whichever comes second fails, after the other
		// staged its files.
		{"static file where the search index goes", `
-- static/search/index.json --
{}
`, "written twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := course(t, smallCourse+"-- static/css/extra.css --\np {}\n")
			pub := filepath.Join(dir, "public")
			mustBuild(t, dir)
			before := snapshot(t, pub)
			time.Sleep(10 * time.Millisecond)
			// Good changes that render and stage files before the broken page fails.
			writeArchive(t, dir, `
-- content/01-first/a.md --
+++
title = "Lesson A, changed"
id = "lesson-a"
+++
Changed.
-- content/01-first/new.md --
+++
title = "New lesson"
+++
New.
-- static/css/extra.css --
p { color: red }
`+tc.broken)
			_, err := build(t, dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("build error = %v, want one naming %s", err, tc.want)
			}
			if d := diffTrees(before, snapshot(t, pub), true); d != "" {
				t.Errorf("the failed build changed public/:\n%s", d)
			}
			if left := leftovers(t, pub); len(left) > 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// TestCommitRollsBack: whichever rename of a commit fails, the output folder is
// as it was before the build (files, bytes, times), nothing is left beside it,
// and the next build, without the fault, writes the new site.
func TestCommitRollsBack(t *testing.T) {
	// A change that replaces files, adds some in new folders, removes some (a
	// deleted lesson, an alias gone) and puts a folder where a file was.
	change := `
-- content/01-first/a.md --
+++
title = "Lesson A, changed"
id = "lesson-a"
+++
Changed.
-- content/03-third/d.md --
+++
title = "Lesson D"
+++
D.
-- content/01-first/fig.svg --
<svg xmlns="http://www.w3.org/2000/svg"><title>changed</title></svg>
`
	for fail := 1; ; fail++ {
		dir := course(t, smallCourse)
		pub := filepath.Join(dir, "public")
		mustBuild(t, dir)
		// A stray file where the new module's folder goes: the commit must move it away.
		if err := os.WriteFile(filepath.Join(pub, "03-third"), []byte("stray"), 0o644); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, pub)
		time.Sleep(10 * time.Millisecond)
		writeArchive(t, dir, change)
		os.Remove(filepath.Join(dir, "content/02-second/c.md"))

		calls := 0
		injected := errors.New("injected rename failure")
		b := NewBuilder(Options{Source: dir, Out: pub, CacheDir: filepath.Join(dir, ".cohort")})
		b.rename = func(from, to string) error {
			calls++
			if calls == fail {
				return injected
			}
			return os.Rename(from, to)
		}
		_, err := b.Build(context.Background())
		if err == nil {
			if fail < 4 {
				t.Fatalf("the commit made only %d renames: the test exercises too little", calls)
			}
			return // every rename of the commit has had its turn to fail
		}
		if !errors.Is(err, injected) {
			t.Fatalf("rename %d failed: build error %v, want the injected one", fail, err)
		}
		if d := diffTrees(before, snapshot(t, pub), true); d != "" {
			t.Fatalf("rename %d of the commit failed, public/ is a mix:\n%s", fail, d)
		}
		if left := leftovers(t, pub); len(left) > 0 {
			t.Fatalf("rename %d failed: left behind %v", fail, left)
		}
		b.rename = nil
		if _, err := b.Build(context.Background()); err != nil {
			t.Fatalf("rename %d failed; the next build: %v", fail, err)
		}
		clean := t.TempDir()
		if _, err := Build(context.Background(), Options{Source: dir, Out: clean}); err != nil {
			t.Fatal(err)
		}
		if d := diffTrees(snapshot(t, clean), snapshot(t, pub), false); d != "" {
			t.Fatalf("rename %d failed; the next build differs from a clean one:\n%s", fail, d)
		}
		if fail > 1000 {
			t.Fatal("the commit never stops renaming")
		}
	}
}

// TestStaticByContent: a static file whose bytes changed is copied again even
// when its size and modification time are the old ones (cp -p, rsync -t, an
// edit within the clock's tick); one whose bytes did not change is not rewritten.
func TestStaticByContent(t *testing.T) {
	dir := course(t, smallCourse+"-- static/css/extra.css --\np { color: red }\n")
	pub := filepath.Join(dir, "public")
	mustBuild(t, dir)
	for _, f := range []string{"static/css/extra.css", "content/01-first/fig.svg"} {
		src := filepath.Join(dir, f)
		info, err := os.Stat(src)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(src)
		changed := []byte(strings.Replace(string(data), "r", "R", 1))
		if len(changed) != len(data) || string(changed) == string(data) {
			t.Fatalf("%s: the test's edit must keep the size", f)
		}
		if err := os.WriteFile(src, changed, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(src, info.ModTime(), info.ModTime()); err != nil {
			t.Fatal(err)
		}
		res := mustBuild(t, dir)
		rel := strings.TrimPrefix(strings.TrimPrefix(f, "static/"), "content/")
		if got := read(t, pub, rel); got != string(changed) {
			t.Errorf("%s: public/%s still has the old bytes", f, rel)
		}
		if fmt.Sprint(res.Written) != "["+rel+"]" {
			t.Errorf("%s: wrote %v, want only %s", f, res.Written, rel)
		}
	}
	// A new process without a cache, over an existing output: nothing is rewritten.
	os.RemoveAll(filepath.Join(dir, ".cohort"))
	res, err := Build(context.Background(), Options{Source: dir, Out: pub})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Written) != 0 {
		t.Errorf("a build over an up-to-date output rewrote %v", res.Written)
	}
}

// TestInterruptedCommitRepaired: when a process died in the middle of a commit
// (its undo folder is still there, the output folder a mix), the next build
// trusts no record of the output folder and puts every file right.
func TestInterruptedCommitRepaired(t *testing.T) {
	dir := course(t, smallCourse)
	pub := filepath.Join(dir, "public")
	mustBuild(t, dir)
	want := snapshot(t, pub)
	// What a cut-short commit leaves: one file replaced by the next build's, one
	// moved away into the undo folder.
	undo := filepath.Join(dir, ".public.undo-123")
	if err := os.Mkdir(undo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pub, "01-first/a/index.html"), []byte("from a build that never finished"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(pub, "about/index.html"), filepath.Join(undo, "1")); err != nil {
		t.Fatal(err)
	}
	mustBuild(t, dir)
	if d := diffTrees(want, snapshot(t, pub), false); d != "" {
		t.Errorf("after an interrupted commit, the next build left:\n%s", d)
	}
	if left := leftovers(t, pub); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestCommitRemovesWhatIsNoLongerMade: a file the last build made and this
// one does not is removed, whether or not its maker said it may be gone
// (mayBeGone, a hint the commit checks by count), and a wrong hint removes
// nothing that is made.
func TestCommitRemovesWhatIsNoLongerMade(t *testing.T) {
	cases := []struct {
		name  string
		hint  []string
		dropA bool // a/index.html is no longer made either
	}{
		{"no hint", nil, false},
		{"the right hint", []string{"search/t/old.json"}, false},
		{"a hint that misses one", []string{"search/t/old.json"}, true},
		{"a hint naming what is made", []string{"search/t/new.json", "b/index.html"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "public")
			first := newOutput(dir, nil)
			for _, name := range []string{"a/index.html", "b/index.html", "search/t/old.json"} {
				if err := first.write(name, []byte(name)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := first.commit(); err != nil {
				t.Fatal(err)
			}
			next := newOutput(dir, first.next)
			want := []string{"b/index.html", "search/t/new.json"}
			next.keep("b/index.html")
			if !c.dropA {
				next.keep("a/index.html")
				want = append([]string{"a/index.html"}, want...)
			}
			if err := next.write("search/t/new.json", []byte("new")); err != nil {
				t.Fatal(err)
			}
			next.mayBeGone(c.hint...)
			removed, err := next.commit()
			if err != nil {
				t.Fatal(err)
			}
			if wantRemoved := 4 - len(want); removed != wantRemoved {
				t.Errorf("removed %d files, want %d", removed, wantRemoved)
			}
			var got []string
			filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(dir, p)
					got = append(got, filepath.ToSlash(rel))
				}
				return nil
			})
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("public/ holds %v, want %v", got, want)
			}
		})
	}
}
