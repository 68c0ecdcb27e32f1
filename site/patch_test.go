package site

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestPatchedWholeCourseFiles edits a course of a hundred and twenty lessons
// at random (titles, dates, lessons added, removed and moved by weight) and
// builds it after each edit as `cohort build` would, in a new Builder from
// the cache: lessons.json, sitemap.xml and feed.xml must be byte for byte
// those of a clean build, and a title or date edit must have patched
// lessons.json (and kept the feed's lessons) rather than assembled them.
func TestPatchedWholeCourseFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	root := t.TempDir()
	src := filepath.Join(root, "course")
	write := func(rel, data string) {
		t.Helper()
		p := filepath.Join(src, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("course.toml", "title = \"Patch\"\nbase_url = \"https://example.org/\"\nlanguage = \"en\"\n[federation]\nhandle = \"course\"\ndomain = \"example.org\"\n")
	type lesson struct {
		rel, title  string
		day, weight int
	}
	var lessons []*lesson
	put := func(l *lesson) {
		write(l.rel, fmt.Sprintf("+++\ntitle = %q\nweight = %d\ndate = 2025-%02d-%02dT10:00:00Z\nsummary = \"About %s.\"\n+++\nText of %s.\n",
			l.title, l.weight, 1+l.day/28, 1+l.day%28, l.title, l.title))
	}
	for m := range 4 {
		write(fmt.Sprintf("content/m%d/_index.md", m), fmt.Sprintf("+++\ntitle = \"Module %d\"\nweight = %d\n+++\n", m, m+1))
		for i := range 30 {
			l := &lesson{rel: fmt.Sprintf("content/m%d/l%02d.md", m, i), title: fmt.Sprintf("Lesson %d.%d", m, i), day: rng.IntN(300), weight: i + 1}
			lessons = append(lessons, l)
			put(l)
		}
	}
	ctx := context.Background()
	opts := Options{Source: src, Out: filepath.Join(root, "public"), CacheDir: filepath.Join(src, ".cohort")}
	var patched []string
	patchedHook = func(name string) { patched = append(patched, name) }
	defer func() { patchedHook = nil }()
	files := []string{"lessons.json", "sitemap.xml", "feed.xml"}
	times := map[string]int{}
	for step := range 60 {
		what := "initial build"
		if step > 0 {
			l := lessons[rng.IntN(len(lessons))]
			switch k := rng.IntN(10); {
			case k < 5:
				l.title += " again"
				what = "title of " + l.rel
			case k < 7:
				l.day = rng.IntN(300)
				what = "date of " + l.rel
			case k < 8:
				l.weight = rng.IntN(40)
				what = "weight of " + l.rel
			case k < 9:
				n := &lesson{rel: fmt.Sprintf("content/m%d/new%d.md", rng.IntN(4), step), title: fmt.Sprintf("New %d", step), day: rng.IntN(300), weight: rng.IntN(40)}
				lessons = append(lessons, n)
				l = n
				what = "added " + n.rel
			default:
				if err := os.Remove(filepath.Join(src, filepath.FromSlash(l.rel))); err != nil {
					t.Fatal(err)
				}
				lessons = slices.DeleteFunc(lessons, func(x *lesson) bool { return x == l })
				what = "removed " + l.rel
				l = nil
			}
			if l != nil {
				put(l)
			}
		}
		patched = nil
		if _, err := NewBuilder(opts).Build(ctx); err != nil {
			t.Fatalf("step %d (%s): %v", step, what, err)
		}
		got := slices.Clone(patched)
		for _, name := range got {
			times[name]++
		}
		clean := Options{Source: src, Out: filepath.Join(root, fmt.Sprintf("clean%d", step))}
		if _, err := Build(ctx, clean); err != nil {
			t.Fatalf("step %d (%s): clean build: %v", step, what, err)
		}
		for _, f := range files {
			want, err := os.ReadFile(filepath.Join(clean.Out, f))
			if err != nil {
				t.Fatal(err)
			}
			have, err := os.ReadFile(filepath.Join(opts.Out, f))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, have) {
				t.Fatalf("step %d (%s): %s differs from a clean build's\nclean:\n%s\nincremental:\n%s", step, what, f, want, have)
			}
		}
		os.RemoveAll(clean.Out)
		if step > 1 && (len(what) > 5 && what[:5] == "title") && !slices.Contains(got, "lessons.json") {
			t.Errorf("step %d (%s): lessons.json was assembled whole, not patched (patched: %v)", step, what, got)
		}
	}
	t.Logf("patched or kept over 60 builds: %v", times)
	if times[newestKey] == 0 || times["sitemap.xml"] == 0 {
		t.Errorf("the feed's lessons were never kept, or sitemap.xml never patched: %v", times)
	}
}
