package site

import (
	"strings"
	"testing"
)

// TestDuplicatesNameBothFiles: two pages with one id, a page at another's URL
// and an alias at another alias's URL each fail the build, naming both files.
func TestDuplicatesNameBothFiles(t *testing.T) {
	const head = "-- course.toml --\ntitle = \"Dup\"\nbase_url = \"https://example.org/\"\n" +
		"-- content/01-mod/_index.md --\n+++\ntitle = \"M\"\n+++\n"
	for _, tc := range []struct{ name, files, want string }{
		{"id", "-- content/01-mod/a.md --\n+++\nid = \"same\"\n+++\nA\n-- content/01-mod/b.md --\n+++\nid = \"same\"\n+++\nB\n",
			`id "same" is also used by content/01-mod/a.md`},
		{"alias on a page", "-- content/01-mod/a.md --\nA\n-- content/01-mod/b.md --\n+++\naliases = [\"/01-mod/a/\"]\n+++\nB\n",
			"alias /01-mod/a/ is already the URL of content/01-mod/a.md"},
		{"alias on an alias", "-- content/01-mod/a.md --\n+++\naliases = [\"/old/\"]\n+++\nA\n-- content/01-mod/b.md --\n+++\naliases = [\"/old/\"]\n+++\nB\n",
			"alias /old/ is already the URL of content/01-mod/a.md (alias)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := course(t, head+tc.files)
			_, err := build(t, dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestDuplicatesAfterCachedBuild: a build that finds the last build's pages in
// its cache still fails when an edit gives a page another's id, or an alias at
// another page's URL: the check is skipped only for the last build's names.
func TestDuplicatesAfterCachedBuild(t *testing.T) {
	const files = "-- course.toml --\ntitle = \"Dup\"\nbase_url = \"https://example.org/\"\n" +
		"-- content/01-mod/_index.md --\n+++\ntitle = \"M\"\n+++\n" +
		"-- content/01-mod/a.md --\n+++\nid = \"first\"\n+++\nA\n" +
		"-- content/01-mod/b.md --\n+++\nid = \"second\"\n+++\nB\n"
	for _, tc := range []struct{ name, edit, want string }{
		{"id", "-- content/01-mod/b.md --\n+++\nid = \"first\"\n+++\nB\n",
			`id "first" is also used by content/01-mod/a.md`},
		{"alias", "-- content/01-mod/b.md --\n+++\nid = \"second\"\naliases = [\"/01-mod/a/\"]\n+++\nB\n",
			"alias /01-mod/a/ is already the URL of content/01-mod/a.md"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := course(t, files)
			mustBuild(t, dir)
			mustBuild(t, dir) // from the cache: the names it keeps are these pages'
			writeArchive(t, dir, tc.edit)
			_, err := build(t, dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
