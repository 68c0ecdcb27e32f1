package live

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

// Coalescing windows for tests. testQuiet is far longer than the gaps between the
// events of one save or one burst written in a tight loop, even on a loaded machine,
// so that "one save gives one change" holds; it is short enough to keep the tests fast.
const (
	testQuiet   = 100 * time.Millisecond
	testMaxWait = 10 * time.Second
	// waitLimit is how long a test waits for a change before it fails. Changes
	// normally come within testQuiet; the limit only matters when one never comes.
	waitLimit = 10 * time.Second
)

// watchedCourse is a course folder under a running Watcher.
type watchedCourse struct {
	t       *testing.T
	root    string
	quiet   time.Duration
	changes chan Change
}

// ignoreLikeServe ignores what cohort serve ignores: output, caches, version control.
func ignoreLikeServe(rel string) bool {
	first, _, _ := strings.Cut(rel, "/")
	switch first {
	case "public", ".cohort", ".git":
		return true
	}
	return false
}

// startWatcher writes files (path → content) into a temp folder and watches it with
// the given windows.
func startWatcher(t *testing.T, quiet, maxWait time.Duration, files map[string]string) *watchedCourse {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		writeFile(t, filepath.Join(root, name), content)
	}
	w, err := NewWatcher(root, ignoreLikeServe, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Quiet, w.MaxWait = quiet, maxWait
	ctx, cancel := context.WithCancel(context.Background())
	c := &watchedCourse{t: t, root: root, quiet: quiet, changes: make(chan Change)}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, c.changes) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && err != context.Canceled {
			t.Errorf("Run: %v", err)
		}
		w.Close()
	})
	return c
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (c *watchedCourse) path(rel string) string {
	return filepath.Join(c.root, filepath.FromSlash(rel))
}

func (c *watchedCourse) write(rel, content string) {
	c.t.Helper()
	writeFile(c.t, c.path(rel), content)
}

func (c *watchedCourse) rename(from, to string) {
	c.t.Helper()
	if err := os.Rename(c.path(from), c.path(to)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *watchedCourse) remove(rel string) {
	c.t.Helper()
	if err := os.Remove(c.path(rel)); err != nil {
		c.t.Fatal(err)
	}
}

// expectFiles is expect for the files a change names: the folders it names
// depend on how the events fell and are left out.
func (c *watchedCourse) expectFiles(files ...string) Change {
	c.t.Helper()
	ch := c.next()
	var got []string
	for _, p := range ch.Paths {
		if info, err := os.Stat(c.path(p)); err == nil && info.IsDir() {
			continue
		}
		got = append(got, p)
	}
	if d := samePaths(got, files); d != "" {
		c.t.Fatalf("change (folders left out) %s; all paths: %q", d, ch.Paths)
	}
	return ch
}

// atOnce does what f does, as one burst of events. Coalescing into one change is
// promised only for events less than Quiet apart; when the machine stalled this
// test for half of that, the outcome proves nothing and the test is skipped.
func (c *watchedCourse) atOnce(f func()) {
	c.t.Helper()
	start := time.Now()
	f()
	if took := time.Since(start); took >= c.quiet/2 {
		c.t.Skipf("the machine is overloaded: the burst took %s, the quiet window is %s", took, c.quiet)
	}
}

// samePaths describes how got differs from want, or returns "" when they are equal.
func samePaths(got, want []string) string {
	if slices.Equal(got, want) {
		return ""
	}
	if len(got)+len(want) <= 12 {
		return fmt.Sprintf("names %q, want %q", got, want)
	}
	var missing, extra []string
	for _, p := range want {
		if !slices.Contains(got, p) {
			missing = append(missing, p)
		}
	}
	for _, p := range got {
		if !slices.Contains(want, p) {
			extra = append(extra, p)
		}
	}
	return fmt.Sprintf("names %d paths, want %d; missing %q; extra %q", len(got), len(want),
		missing[:min(len(missing), 5)], extra[:min(len(extra), 5)])
}

// next waits for the next change.
func (c *watchedCourse) next() Change {
	c.t.Helper()
	select {
	case ch := <-c.changes:
		return ch
	case <-time.After(waitLimit):
		c.t.Fatalf("no change within %s", waitLimit)
		return Change{}
	}
}

// expect waits for the next change and checks that it names exactly paths.
func (c *watchedCourse) expect(paths ...string) Change {
	c.t.Helper()
	ch := c.next()
	if d := samePaths(ch.Paths, paths); d != "" {
		c.t.Fatalf("change %s", d)
	}
	return ch
}

// expectNothingBefore writes a sentinel file and checks that the next change names
// only it: whatever happened before it was either coalesced into an earlier change
// (there was none) or ignored. It is how these tests assert "no change" without
// sleeping and hoping.
func (c *watchedCourse) expectNothingBefore() {
	c.t.Helper()
	c.write("content/zz-sentinel.md", fmt.Sprint(time.Now().UnixNano()))
	c.expect("content/zz-sentinel.md")
}

const lesson = "+++\ntitle = \"A\"\n+++\nFirst version.\n"

// TestWatcherEditorSaves replays, on a real file system, what editors do when they
// save a lesson: each save must give exactly one change, naming the lesson, never
// the editor's scratch files.
func TestWatcherEditorSaves(t *testing.T) {
	tests := []struct {
		name string
		save func(c *watchedCourse)
	}{
		{"written in place (most editors by default)", func(c *watchedCourse) {
			c.write("content/m/a.md", lesson+"Saved.\n")
		}},
		{"temp file renamed over it (gedit, Go's renameio)", func(c *watchedCourse) {
			c.write("content/m/.goutputstream-Q1W2E3", lesson+"Saved.\n")
			c.rename("content/m/.goutputstream-Q1W2E3", "content/m/a.md")
		}},
		{"temp file ending .tmp renamed over it", func(c *watchedCourse) {
			c.write("content/m/a.md.tmp", lesson+"Saved.\n")
			c.rename("content/m/a.md.tmp", "content/m/a.md")
		}},
		{"vim: probe file, old file renamed to backup, new file written, backup removed", func(c *watchedCourse) {
			c.write("content/m/4913", "")
			c.remove("content/m/4913")
			c.rename("content/m/a.md", "content/m/a.md~")
			c.write("content/m/a.md", lesson+"Saved.\n")
			if err := os.Chmod(c.path("content/m/a.md"), 0o644); err != nil {
				t.Fatal(err)
			}
			c.remove("content/m/a.md~")
		}},
		{"JetBrains: temp written, old moved aside, temp moved in, old removed", func(c *watchedCourse) {
			c.write("content/m/a.md___jb_tmp___", lesson+"Saved.\n")
			c.rename("content/m/a.md", "content/m/a.md___jb_old___")
			c.rename("content/m/a.md___jb_tmp___", "content/m/a.md")
			c.remove("content/m/a.md___jb_old___")
		}},
		{"file briefly missing mid-save (removed, then written again)", func(c *watchedCourse) {
			c.remove("content/m/a.md")
			time.Sleep(testQuiet / 10) // the editor is slow, but not as slow as the quiet window
			c.write("content/m/a.md", lesson+"Saved.\n")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startWatcher(t, testQuiet, testMaxWait, map[string]string{"content/m/a.md": lesson})
			c.atOnce(func() { tt.save(c) })
			ch := c.expect("content/m/a.md")
			if ch.First.IsZero() || time.Since(ch.First) > waitLimit {
				t.Errorf("change.First = %v, want the time of the save's first event", ch.First)
			}
			c.expectNothingBefore() // and no second change for the same save
		})
	}
}

// TestWatcherBurst checks that hundreds of files written at once (a git checkout,
// a search-and-replace over the course) give one change with all of them, not
// hundreds of rebuilds. The guarantee: events closer together than Quiet coalesce,
// until MaxWait.
func TestWatcherBurst(t *testing.T) {
	const n = 300
	existing := map[string]string{}
	for i := range n / 2 {
		existing[fmt.Sprintf("content/m%d/l%03d.md", i%10, i)] = lesson
	}
	c := startWatcher(t, testQuiet, testMaxWait, existing)
	var want []string
	pauses := 0 // stalls of the writer long enough to end a batch
	last := time.Now()
	for i := range n {
		rel := fmt.Sprintf("content/m%d/l%03d.md", i%10, i) // half rewritten, half new
		c.write(rel, lesson+"Checked out.\n")
		want = append(want, rel)
		now := time.Now()
		if now.Sub(last) >= testQuiet/2 {
			pauses++
			t.Logf("the writer stalled for %s before file %d", now.Sub(last), i)
		}
		last = now
	}
	slices.Sort(want)
	// Without a stall, exactly one change; each stall may end a batch early.
	var got []string
	for changes := 1; ; changes++ {
		got = append(got, c.next().Paths...)
		slices.Sort(got)
		got = slices.Compact(got)
		if len(got) >= len(want) {
			if d := samePaths(got, want); d != "" {
				t.Fatalf("the changes together %s", d)
			}
			break
		}
		if changes > pauses {
			t.Fatalf("%d changes did not name every file, and the writer stalled only %d times; together they %s",
				changes, pauses, samePaths(got, want))
		}
	}
	c.expectNothingBefore()
}

// TestWatcherMaxWait checks that a change is sent after MaxWait even while events
// keep coming (a long checkout, a tool rewriting files in a loop): the author sees
// something happen, and the rest follows in the next change.
func TestWatcherMaxWait(t *testing.T) {
	const quiet, maxWait, every = time.Second, 50 * time.Millisecond, 2 * time.Millisecond
	c := startWatcher(t, quiet, maxWait, map[string]string{"content/m/a.md": lesson})
	var got *Change
	var longest time.Duration
	last, giveUp := time.Now(), time.Now().Add(waitLimit)
	for i := 0; got == nil; i++ {
		c.write("content/m/a.md", fmt.Sprintf("%sEdit %d.\n", lesson, i))
		now := time.Now()
		longest, last = max(longest, now.Sub(last)), now
		if now.After(giveUp) {
			t.Fatalf("no change after %d writes %s apart; MaxWait is %s", i, every, maxWait)
		}
		select {
		case ch := <-c.changes:
			got = &ch
		case <-time.After(every):
		}
	}
	if longest >= quiet {
		t.Skipf("the writer paused %s (the machine is overloaded); the change may have come from the quiet window", longest)
	}
	if !slices.Equal(got.Paths, []string{"content/m/a.md"}) {
		t.Errorf("change names %q, want [content/m/a.md]", got.Paths)
	}
}

// TestWatcherNewFolders checks that folders made after the watch started are
// watched too, including the files written into them before their watch was added
// (mkdir then write at once, as a checkout or an unzip does), and folders moved in
// whole with files already inside (which get no events of their own).
func TestWatcherNewFolders(t *testing.T) {
	t.Run("made, then written at once, then a file added later", func(t *testing.T) {
		c := startWatcher(t, testQuiet, testMaxWait, map[string]string{"content/_index.md": lesson})
		c.atOnce(func() {
			c.write("content/05-new/_index.md", lesson)
			c.write("content/05-new/deep/er/x.svg", "<svg/>")
			c.write("content/05-new/a.md", lesson)
		})
		// However the events fell, every file in the new folders is named, in one change.
		c.expectFiles("content/05-new/_index.md", "content/05-new/a.md", "content/05-new/deep/er/x.svg")
		c.write("content/05-new/b.md", lesson)
		c.expect("content/05-new/b.md")
		c.write("content/05-new/deep/er/y.svg", "<svg/>")
		c.expect("content/05-new/deep/er/y.svg")
	})
	t.Run("moved in with files inside", func(t *testing.T) {
		c := startWatcher(t, testQuiet, testMaxWait, map[string]string{"content/_index.md": lesson})
		outside := t.TempDir()
		writeFile(t, filepath.Join(outside, "06-moved/_index.md"), lesson)
		writeFile(t, filepath.Join(outside, "06-moved/a.md"), lesson)
		if err := os.Rename(filepath.Join(outside, "06-moved"), c.path("content/06-moved")); err != nil {
			t.Fatal(err)
		}
		before := time.Now()
		ch := c.expectFiles("content/06-moved/_index.md", "content/06-moved/a.md")
		// First must be the time of the move's event, so the reported rebuild time is right.
		if ch.First.IsZero() || ch.First.Before(before.Add(-time.Second)) {
			t.Errorf("change.First = %v, want about %v", ch.First, before)
		}
		c.write("content/06-moved/b.md", lesson)
		c.expect("content/06-moved/b.md")
	})
}

// TestWatcherIgnores checks that what is not the course gives no change: the build
// output, caches, version control, editor scratch files, permission changes, and
// a scratch file made and removed within one batch.
func TestWatcherIgnores(t *testing.T) {
	c := startWatcher(t, testQuiet, testMaxWait, map[string]string{
		"content/m/a.md":    lesson,
		".cohort/build.gob": "cache",
		"public/index.html": "<p>old",
	})
	c.atOnce(func() {
		c.write("public/index.html", "<p>new")
		c.write("public/m/a/index.html", "<p>new") // folders made in ignored folders too
		c.write(".cohort/build.gob", "cache 2")
		c.write(".cohort/serve/index.html", "<p>")
		c.write(".git/index", "git")
		c.write("content/m/.a.md.swp", "vim swap")
		c.write("content/m/.#a.md", "emacs lock")
		c.write("content/m/#a.md#", "emacs autosave")
		c.write("content/m/scratch.md", "made and gone again")
		c.remove("content/m/scratch.md")
		if err := os.Chmod(c.path("content/m/a.md"), 0o600); err != nil {
			t.Fatal(err)
		}
		c.write("content/zz-sentinel.md", "")
	})
	c.expect("content/zz-sentinel.md")
}

// TestWatcherRemoved checks that removing a lesson is a change, also when it was
// briefly recreated within the batch (an editor's save aborted, then the file deleted).
func TestWatcherRemoved(t *testing.T) {
	c := startWatcher(t, testQuiet, testMaxWait, map[string]string{"content/m/a.md": lesson, "content/m/b.md": lesson})
	c.remove("content/m/a.md")
	c.expect("content/m/a.md")
	c.atOnce(func() {
		c.remove("content/m/b.md")
		c.write("content/m/b.md", lesson)
		c.remove("content/m/b.md")
	})
	c.expect("content/m/b.md")
}
