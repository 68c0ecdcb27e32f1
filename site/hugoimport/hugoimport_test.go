package hugoimport

import (
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/site"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestImportGolden imports testdata/hugosite (a Hugo course that uses every key and
// shortcode the import maps), compares the course it writes and its warnings with
// testdata/golden, then builds that course and compares its lesson pages.
// After an intended change: go test ./site/hugoimport -update.
func TestImportGolden(t *testing.T) {
	out := filepath.Join(t.TempDir(), "course")
	rep, err := Import(context.Background(), Options{Source: "testdata/hugosite", Section: "course", Out: out})
	if err != nil {
		t.Fatal(err)
	}
	var warnings strings.Builder
	for _, w := range rep.Warnings {
		warnings.WriteString(w.String() + "\n")
	}
	golden(t, "warnings.txt", []byte(warnings.String()))

	// Every text file of the course, as the import wrote it.
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".png") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		golden(t, "course/"+filepath.ToSlash(rel), data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"content/week-1/reading/diagram.png", "static/images/logo.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not copied: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "layouts/shortcodes/notice.html")); err == nil {
		t.Error("the theme's notice.html was copied over cohort's own notice")
	}

	// The one shortcode the import reported is the author's to write; with it, the
	// course builds and every link the import rewrote resolves.
	if err := os.WriteFile(filepath.Join(out, "layouts/shortcodes/quiz.html"), []byte(`<div class="quiz">{{.Get "id"}}</div>`), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := site.Build(context.Background(), site.Options{Source: out, Out: filepath.Join(out, "public"),
		Now: func() time.Time { return time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatalf("the imported course does not build: %v", err)
	}
	if res.Pages != 8 { // notes.md is a draft
		t.Errorf("built %d pages, want 8", res.Pages)
	}
	for _, page := range []string{"index.html", "week-1/welcome/index.html", "week-1/reading/index.html", "week-2/practice/index.html", "course/week-1/welcome/index.html"} {
		data, err := os.ReadFile(filepath.Join(out, "public", page))
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "built/"+page, data) // not "public/": .gitignore leaves that out
	}
}

// TestImportWritesOverNothing: a folder with files in it is left alone.
func TestImportWritesOverNothing(t *testing.T) {
	out := t.TempDir()
	keep := filepath.Join(out, "keep.md")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(context.Background(), Options{Source: "testdata/hugosite", Out: out}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("import into a folder with files: err = %v, want 'not empty'", err)
	}
	if data, _ := os.ReadFile(keep); string(data) != "mine" {
		t.Error("the file in the folder changed")
	}
}

// TestRelPath: links are written relative to the file, as cohort reads them.
func TestRelPath(t *testing.T) {
	for _, tc := range []struct{ from, to, want string }{
		{".", "week-1/_index.md", "week-1/_index.md"},
		{"week-1", "week-1/reading.md", "reading.md"},
		{"week-2", "week-1/welcome.md", "../week-1/welcome.md"},
		{"week-1", "about.md", "../about.md"},
		{"week-1", "week-1/reading/diagram.png", "reading/diagram.png"},
	} {
		if got := relPath(tc.from, tc.to); got != tc.want {
			t.Errorf("relPath(%q, %q) = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", "golden", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
