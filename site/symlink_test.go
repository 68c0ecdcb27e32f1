package site

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secret = "TOP SECRET: not for the web"

// linkedCourse writes smallCourse into <tmp>/course, beside a secret file and
// folder outside it, makes the links (name in the course → target, as
// os.Symlink takes them), and returns the course folder.
func linkedCourse(t *testing.T, links [][2]string, extra string) string {
	t.Helper()
	top := t.TempDir()
	dir := filepath.Join(top, "course")
	writeArchive(t, dir, smallCourse+extra)
	writeArchive(t, top, "-- secret.txt --\n"+secret+"\n-- secret-dir/key.txt --\n"+secret+"\n-- en.toml --\nread_more = \""+secret+"\"\n")
	for _, l := range links {
		name := filepath.Join(dir, filepath.FromSlash(l[0]))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		target := strings.ReplaceAll(l[1], "$TOP", top)
		if err := os.Symlink(filepath.FromSlash(target), name); err != nil {
			t.Skipf("cannot make symlinks here: %v", err)
		}
	}
	return dir
}

// TestSymlinksRefused: a symlink in content/, static/, layouts/ or i18n/
// that leads outside the course folder fails the build with an error naming
// the link, and nothing of what it points to is published. So does a link to
// a folder, which walks do not follow.
func TestSymlinksRefused(t *testing.T) {
	for _, tt := range []struct {
		name  string
		links [][2]string
		file  string // the file the error names
		says  string
	}{
		{"content file", [][2]string{{"content/01-first/notes.txt", "../../../secret.txt"}}, "content/01-first/notes.txt", "outside the course folder"},
		{"static file", [][2]string{{"static/notes.txt", "../../secret.txt"}}, "static/notes.txt", "outside the course folder"},
		{"absolute target", [][2]string{{"static/notes.txt", "$TOP/secret.txt"}}, "static/notes.txt", "absolute path"},
		{"absolute target inside the course", [][2]string{{"static/fig.svg", "$TOP/course/content/01-first/fig.svg"}}, "static/fig.svg", "absolute path"},
		{"layout", [][2]string{{"layouts/partials/footer.html", "../../../secret.txt"}}, "layouts/partials/footer.html", "outside the course folder"},
		{"UI strings", [][2]string{{"i18n/en.toml", "../../en.toml"}}, "i18n/en.toml", "outside the course folder"},
		{"linked folder in static", [][2]string{{"static/keys", "../../secret-dir"}}, "static/keys", "outside the course folder"},
		{"static folder itself", [][2]string{{"static", "../secret-dir"}}, "static", "outside the course folder"},
		{"chain of links", [][2]string{{"static/a.txt", "b.txt"}, {"static/b.txt", "../content/c.txt"}, {"content/c.txt", "../../secret.txt"}},
			"static/a.txt", "symlink content/c.txt to ../../secret.txt"},
		{"through a linked folder inside", [][2]string{{"static/up", ".."}, {"static/notes.txt", "up/../secret.txt"}}, "static/notes.txt", "outside the course folder"},
		{"linked folder inside static", [][2]string{{"static/imgs", "../content/01-first"}}, "static/imgs", "folder is not followed"},
		{"linked folder inside content", [][2]string{{"content/01-first/more", "../02-second"}}, "content/01-first/more", "folder is not followed"},
		{"loop", [][2]string{{"static/a.txt", "b.txt"}, {"static/b.txt", "a.txt"}}, "static/a.txt", "more than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := linkedCourse(t, tt.links, "")
			_, err := build(t, dir)
			var e *Error
			if !errors.As(err, &e) || e.File != tt.file || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("build: %v\nwant an error naming %s that says %q", err, tt.file, tt.says)
			}
			assertNotPublished(t, filepath.Join(dir, "public"))
		})
	}
}

// TestSymlinksContentFolderOutside: content/ itself may not be a link out of
// the course.
func TestSymlinksContentFolderOutside(t *testing.T) {
	dir := linkedCourse(t, nil, "")
	elsewhere := filepath.Join(filepath.Dir(dir), "elsewhere")
	if err := os.Rename(filepath.Join(dir, "content"), elsewhere); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "elsewhere"), filepath.Join(dir, "content")); err != nil {
		t.Skipf("cannot make symlinks here: %v", err)
	}
	var e *Error
	if _, err := build(t, dir); !errors.As(err, &e) || e.File != "content" || !errors.Is(err, errOutside) {
		t.Fatalf("build: %v\nwant an error naming content", err)
	}
}

// TestSymlinksInsideAllowed: links that stay inside the course, even by way of
// another folder, are followed and publish what they point to.
func TestSymlinksInsideAllowed(t *testing.T) {
	const extra = "-- static/img/logo.svg --\n<svg>logo</svg>\n"
	dir := linkedCourse(t, [][2]string{
		{"content/01-first/same.svg", "fig.svg"},
		{"content/02-second/logo.svg", "../../static/img/logo.svg"},
		{"static/fig.svg", "../content/01-first/fig.svg"},
		{"static/via/deep.svg", "../img/../img/logo.svg"},
		{"imgdir", "static/img"}, // a linked folder inside, on the way of the next link
		{"static/through.svg", "../imgdir/logo.svg"},
	}, extra)
	mustBuild(t, dir)
	pub := filepath.Join(dir, "public")
	for file, want := range map[string]string{
		"01-first/same.svg":  "<title>fig</title>",
		"02-second/logo.svg": "logo",
		"fig.svg":            "<title>fig</title>",
		"via/deep.svg":       "logo",
		"through.svg":        "logo",
	} {
		if got := read(t, pub, file); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want the linked file's %q", file, got, want)
		}
	}
}

// TestSymlinksOutsideRefusedOnRebuild: a link made while serve runs is
// refused by the next build, which looks at just that path.
func TestSymlinksOutsideRefusedOnRebuild(t *testing.T) {
	dir := linkedCourse(t, nil, "")
	b := NewBuilder(Options{Source: dir, Out: filepath.Join(dir, "public")})
	if _, err := b.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.FromSlash("../../../secret.txt"), filepath.Join(dir, "content", "01-first", "notes.txt")); err != nil {
		t.Fatal(err)
	}
	_, err := b.BuildChanged(context.Background(), []string{"content/01-first/notes.txt"})
	var e *Error
	if !errors.As(err, &e) || e.File != "content/01-first/notes.txt" || !errors.Is(err, errOutside) {
		t.Fatalf("rebuild: %v\nwant an error naming content/01-first/notes.txt", err)
	}
	assertNotPublished(t, filepath.Join(dir, "public"))
}

// assertNotPublished fails when any file in the output holds the secret.
func assertNotPublished(t *testing.T, pub string) {
	t.Helper()
	if _, err := os.Stat(pub); err != nil {
		return // nothing was written at all
	}
	for name, data := range snapshot(t, pub) {
		if strings.Contains(data, secret) {
			t.Errorf("the secret was published in %s", name)
		}
	}
}
