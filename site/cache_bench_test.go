package site

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchCache builds the generated course once with a cache folder (kept, as
// benchCourse keeps the course, under the temporary folder) and returns the
// course and its cache file.
func benchCache(b *testing.B, lessons int) (src, cache string) {
	b.Helper()
	src = benchCourse(b, lessons)
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("cohort-bench-cache-%d", lessons))
	cache = filepath.Join(dir, "cache", cacheFile)
	if _, err := os.Stat(cache); err == nil {
		return src, cache
	}
	os.RemoveAll(dir)
	o := Options{Source: src, Out: filepath.Join(dir, "public"), CacheDir: filepath.Join(dir, "cache")}
	if _, err := Build(context.Background(), o); err != nil {
		b.Fatal(err)
	}
	return src, cache
}

// BenchmarkLoadAndReuse is the two steps of a fresh one-edit build that take
// the last build's pages from the cache: loading the cache file, then
// matching the walk's Markdown files with their records (the read step
// without the one file read anew).
func BenchmarkLoadAndReuse(b *testing.B) {
	src, cache := benchCache(b, benchLessons())
	t, err := walkContent(os.DirFS(src), src, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer benchProfile(b)()
	for b.Loop() {
		s, err := loadState(cache)
		if err != nil {
			b.Fatal(err)
		}
		_, _, err = readPages(context.Background(), os.DirFS(src), t.markdown, false, func(lo, hi int, pages []*Page) {
			r := s.reuser()
			for i := lo; i < hi; i++ {
				if pages[i] = r.reuse(t.markdown[i]); pages[i] == nil {
					b.Errorf("%s: not taken from the cache", t.markdown[i].path)
				}
			}
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
