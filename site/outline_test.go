package site

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// editFile replaces old with new in a course file, failing when old is not there.
func editFile(t *testing.T, dir, rel, old, new string) {
	t.Helper()
	name := filepath.Join(dir, filepath.FromSlash(rel))
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %q", rel, old)
	}
	if err := os.WriteFile(name, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cleanBuild builds dir's course from nothing into a folder of its own and
// returns the output's snapshot.
func cleanBuild(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "public")
	if _, err := Build(context.Background(), Options{Source: dir, Out: out}); err != nil {
		t.Fatal(err)
	}
	return snapshot(t, out)
}

// TestModulePartsKeptByModule: the outline (search page), the home page's
// module cards and the sidebars of a small course are made of one part per
// module, and after one lesson's title
// changes, a new process and serve's builder each take the other modules'
// parts from the last build instead of executing their lessons again. To see
// which parts were taken, module 1's parts in the cache are marked first: the
// mark shows up in the pages exactly when they were taken, not rendered.
func TestModulePartsKeptByModule(t *testing.T) {
	dir := affectedCourse(t)
	ctx := context.Background()
	opts := Options{Source: dir, Out: filepath.Join(dir, "public"), CacheDir: filepath.Join(dir, ".cohort")}
	if _, err := Build(ctx, opts); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(opts.CacheDir, cacheFile)
	s, err := loadState(cache)
	if err != nil {
		t.Fatal(err)
	}
	marked := 0
	for k, v := range s.Navs {
		// Module 1's part of the outline, its card and its entry in the
		// other modules' sidebars (a course this small lists every lesson
		// there), not its own navigation.
		if strings.Contains(string(v), `href="/01-mod/"`) && !strings.Contains(string(v), "module-nav") {
			s.Navs[k] = v + "<!-- kept -->"
			marked++
		}
	}
	if marked != 3 {
		t.Fatalf("module 1 has %d parts in the cache, want 3 (outline, card, sidebar entry)", marked)
	}
	if err := s.save(cache, nil); err != nil {
		t.Fatal(err)
	}

	editFile(t, dir, "content/03-mod/l2.md", "Lesson 3.2", "Renamed 3.2")
	if _, err := Build(ctx, opts); err != nil { // a new process
		t.Fatal(err)
	}
	// The title changed the sidebars too: module 2's lessons render again.
	for _, rel := range []string{"index.html", "search/index.html", "02-mod/l1/index.html"} {
		page := read(t, opts.Out, rel)
		if n := strings.Count(page, "<!-- kept -->"); n != 1 {
			t.Errorf("%s has module 1's part from the last build %d times, want once", rel, n)
		}
		if !strings.Contains(page, "Renamed 3.2") {
			t.Errorf("%s lacks the new title of the lesson edited", rel)
		}
	}

	serve := NewBuilder(Options{Source: dir, Out: opts.Out, CacheDir: opts.CacheDir, DeferCacheSave: true})
	if _, err := serve.Build(ctx); err != nil {
		t.Fatal(err)
	}
	editFile(t, dir, "content/04-mod/l1.md", "Lesson 4.1", "Renamed 4.1")
	if _, err := serve.BuildChanged(ctx, []string{"content/04-mod/l1.md"}); err != nil {
		t.Fatal(err)
	}
	page := read(t, opts.Out, "index.html")
	if !strings.Contains(page, "<!-- kept -->") || !strings.Contains(page, "Renamed 4.1") {
		t.Errorf("serve's rebuild did not keep module 1's card and render module 4's again:\n%s", page)
	}

	// A module whose lessons changed renders its parts again: with module 1's
	// title edited, the mark is gone and the output is a clean build's.
	editFile(t, dir, "content/01-mod/l3.md", "Lesson 1.3", "Renamed 1.3")
	if _, err := serve.BuildChanged(ctx, []string{"content/01-mod/l3.md"}); err != nil {
		t.Fatal(err)
	}
	if d := diffTrees(cleanBuild(t, dir), snapshot(t, opts.Out), false); d != "" {
		t.Errorf("after module 1 changed, serve's output differs from a clean build:\n%s", d)
	}
}

// TestOwnOutlineOverridesParts: a course's own partials/outline.html, which
// knows nothing of modulePart, is executed whole and gives exactly its own
// output, in a clean build and after an edit in a new process and in serve;
// a course's own partials/outline-module.html, under the theme's outline,
// is what each module's part shows.
func TestOwnOutlineOverridesParts(t *testing.T) {
	for _, c := range []struct {
		name, file, layout string
		// want is what the search page must show, made from the lessons' titles.
		want func(titles [][]string) string
	}{
		{"outline", "partials/outline.html",
			`<ul class="mine">{{range .Modules}}<li>{{.Page.Title}}<ol>{{range .Lessons}}<li>{{.Title}}</li>{{end}}</ol></li>{{end}}</ul>`,
			func(titles [][]string) string {
				var b strings.Builder
				b.WriteString(`<ul class="mine">`)
				for m, ls := range titles {
					fmt.Fprintf(&b, "<li>Module %d<ol>", m+1)
					for _, l := range ls {
						fmt.Fprintf(&b, "<li>%s</li>", l)
					}
					b.WriteString("</ol></li>")
				}
				return b.String() + "</ul>"
			}},
		{"outline-module", "partials/outline-module.html",
			`<li class="mine">{{.Number}}:{{range .Lessons}} {{.Title}};{{end}}</li>`,
			func(titles [][]string) string {
				var b strings.Builder
				b.WriteString(`<ol class="outline-modules">`)
				for m, ls := range titles {
					fmt.Fprintf(&b, `<li class="mine">%d:`, m+1)
					for _, l := range ls {
						fmt.Fprintf(&b, " %s;", l)
					}
					b.WriteString("</li>\n") // the file's last line break
				}
				return b.String() + "\n  </ol>"
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := affectedCourse(t)
			writeArchive(t, dir, "-- layouts/"+c.file+" --\n"+c.layout)
			titles := make([][]string, 4)
			for m := range titles {
				for l := 1; l <= 6; l++ {
					titles[m] = append(titles[m], fmt.Sprintf("Lesson %d.%d", m+1, l))
				}
			}
			ctx := context.Background()
			opts := Options{Source: dir, Out: filepath.Join(dir, "public"), CacheDir: filepath.Join(dir, ".cohort")}
			if _, err := Build(ctx, opts); err != nil {
				t.Fatal(err)
			}
			check := func(when string) {
				t.Helper()
				if page := read(t, opts.Out, "search/index.html"); !strings.Contains(page, c.want(titles)) {
					t.Errorf("%s: the search page lacks the course's own outline %s:\n%s", when, c.want(titles), page)
				}
				if d := diffTrees(cleanBuild(t, dir), snapshot(t, opts.Out), false); d != "" {
					t.Errorf("%s: the output differs from a clean build's:\n%s", when, d)
				}
			}
			check("a clean build")

			editFile(t, dir, "content/02-mod/l4.md", "Lesson 2.4", "Renamed 2.4")
			titles[1][3] = "Renamed 2.4"
			if _, err := Build(ctx, opts); err != nil {
				t.Fatal(err)
			}
			check("a new process after a title edit")

			serve := NewBuilder(Options{Source: dir, Out: opts.Out, CacheDir: opts.CacheDir, DeferCacheSave: true})
			if _, err := serve.Build(ctx); err != nil {
				t.Fatal(err)
			}
			editFile(t, dir, "content/03-mod/l1.md", "Lesson 3.1", "Renamed 3.1")
			titles[2][0] = "Renamed 3.1"
			if _, err := serve.BuildChanged(ctx, []string{"content/03-mod/l1.md"}); err != nil {
				t.Fatal(err)
			}
			check("serve after a title edit")
		})
	}
}

// TestModulePartNeedsAName: modulePart with a partial named by a variable, or
// one that does not exist, fails at load with the layout's file, not while a
// page executes.
func TestModulePartNeedsAName(t *testing.T) {
	for _, c := range []struct{ layout, want string }{
		{`{{$p := "partials/outline-module.html"}}{{range .Modules}}{{modulePart $p .}}{{end}}`, "quoted string"},
		{`{{range .Modules}}{{modulePart "partials/nothing.html" .}}{{end}}`, "no layout partials/nothing.html"},
	} {
		dir := affectedCourse(t)
		writeArchive(t, dir, "-- layouts/partials/outline.html --\n"+c.layout)
		_, err := build(t, dir)
		if err == nil || !strings.Contains(err.Error(), "layouts/partials/outline.html") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error in layouts/partials/outline.html saying %q", c.layout, err, c.want)
		}
	}
}
