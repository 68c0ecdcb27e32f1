package site

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeReusesOnlyWhatNoEditChanged: serve's builder, told which files
// changed, keeps the last build's config, theme and course graph only while
// nothing they read changed. After each edit its output is what a clean build
// makes; the rows say whether the graph (and the config and theme) may be the
// last build's, and an edit that changes what they read must link or load them
// again.
func TestServeReusesOnlyWhatNoEditChanged(t *testing.T) {
	dir := affectedCourse(t)
	ctx := context.Background()
	serveOut := filepath.Join(dir, "serve")
	serve := NewBuilder(Options{Source: dir, Out: serveOut, CacheDir: filepath.Join(dir, "serve-cache"), DeferCacheSave: true})
	if _, err := serve.Build(ctx); err != nil {
		t.Fatal(err)
	}
	edit := func(rel string, fn func(string) string) {
		t.Helper()
		name := filepath.Join(dir, filepath.FromSlash(rel))
		data, _ := os.ReadFile(name) // a new file starts empty
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(fn(string(data))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	frontMatter := func(add string) func(string) string {
		return func(s string) string { return strings.Replace(s, "+++\n", "+++\n"+add+"\n", 1) }
	}
	words := strings.Repeat("word ", 600) // three minutes more to read
	for i, c := range []struct {
		what      string
		file      string
		change    func(string) string
		keepGraph bool // the last build's graph may be reused
		keepTheme bool // the last build's config and theme may be reused
		fails     bool // the edit breaks the course: the build fails
		want      string
		wantFile  string
	}{
		{"body", "content/02-mod/l2.md", func(s string) string { return s + "\nA sentence.\n" },
			true, true, false, "A sentence.", "02-mod/l2/index.html"},
		{"title", "content/02-mod/l2.md", func(s string) string { return strings.Replace(s, "Lesson 2.2", "Renamed", 1) },
			true, true, false, "Renamed", "02-mod/l3/index.html"},
		{"weight moves the lesson last", "content/02-mod/l2.md", func(s string) string { return strings.Replace(s, "weight = 2", "weight = 9", 1) },
			false, true, false, "", ""},
		{"reading time", "content/02-mod/l3.md", func(s string) string { return s + "\n" + words + "\n" },
			false, true, false, "", ""},
		{"id", "content/02-mod/l4.md", frontMatter(`id = "another-id"`), false, true, false, "", ""},
		{"aliases", "content/02-mod/l4.md", frontMatter(`aliases = ["/old-place/"]`), false, true, false, "", "old-place/index.html"},
		{"module page body", "content/03-mod/_index.md", func(s string) string { return s + "\nMore about it.\n" },
			true, true, false, "More about it.", "03-mod/index.html"},
		{"new lesson", "content/03-mod/l7.md", func(string) string { return "+++\ntitle = \"Lesson 3.7\"\nweight = 7\n+++\nNew.\n" },
			false, true, false, "Lesson 3.7", "03-mod/index.html"},
		{"course.toml", "course.toml", func(s string) string { return strings.Replace(s, `"Readers"`, `"Readers again"`, 1) },
			false, false, false, "Readers again", "index.html"},
		{"layout", "layouts/partials/footer.html", func(string) string { return "<footer>A footer of its own</footer>\n" },
			false, false, false, "A footer of its own", "01-mod/l1/index.html"},
		{"body after the layout", "content/01-mod/l1.md", func(s string) string { return s + "\nAnother sentence.\n" },
			true, true, false, "Another sentence.", "01-mod/l1/index.html"},
		{"a link that breaks the build", "content/01-mod/l2.md", func(s string) string { return s + "\n[gone](../09-mod/x.md)\n" },
			false, true, true, "", ""},
		// After a failed build nothing of it is reused: the pages it left
		// may be half made. The same file is named, as a caller other than
		// serve may do (serve looks at everything after a failure).
		{"fixed after the failure", "content/01-mod/l2.md", func(s string) string { return strings.Replace(s, "[gone](../09-mod/x.md)", "fixed", 1) },
			false, true, false, "fixed", "01-mod/l2/index.html"},
	} {
		lastCourse, lastCfg, lastTheme := serve.course, serve.cfg, serve.theme
		edit(c.file, c.change)
		res, err := serve.BuildChanged(ctx, []string{c.file})
		if c.fails {
			if err == nil {
				t.Fatalf("%s: the build did not fail", c.what)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if reused := res.Course == lastCourse; reused != c.keepGraph {
			t.Errorf("%s: the last build's course graph reused: %t, want %t", c.what, reused, c.keepGraph)
		}
		if reused := serve.cfg == lastCfg && serve.theme == lastTheme; reused != c.keepTheme {
			t.Errorf("%s: the last build's config and theme reused: %t, want %t", c.what, reused, c.keepTheme)
		}
		if c.wantFile != "" && !strings.Contains(read(t, serveOut, c.wantFile), c.want) {
			t.Errorf("%s: %s does not show %q", c.what, c.wantFile, c.want)
		}
		clean := filepath.Join(t.TempDir(), "clean")
		if _, err := Build(ctx, Options{Source: dir, Out: clean}); err != nil {
			t.Fatalf("%s: clean build: %v", c.what, err)
		}
		if d := diffTrees(snapshot(t, clean), snapshot(t, serveOut), false); d != "" {
			t.Fatalf("edit %d (%s): serve's output differs from a clean build (-clean +serve):\n%s", i, c.what, d)
		}
	}
}
