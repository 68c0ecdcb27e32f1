package site

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// renderedBodies builds the generated course of n lessons with a cache and
// returns each page's rendered body (Page.Content) as the build made it,
// read back from its output file where the cache's record says it lies: the
// text searchBodyOf reads in a cold build.
func renderedBodies(tb testing.TB, n int) []string {
	tb.Helper()
	src := benchCourse(tb, n)
	dir := tb.TempDir()
	out, cache := filepath.Join(dir, "public"), filepath.Join(dir, "cache")
	if _, err := Build(context.Background(), Options{Source: src, Out: out, CacheDir: cache}); err != nil {
		tb.Fatal(err)
	}
	s, err := loadState(filepath.Join(cache, cacheFile))
	if err != nil {
		tb.Fatal(err)
	}
	var bodies []string
	for _, c := range s.Files {
		if c.Body.At < 0 || c.Body.Len == 0 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(out, strings.TrimPrefix(c.Last.URL, "/"), "index.html"))
		if err != nil {
			tb.Fatal(err)
		}
		bodies = append(bodies, string(data[c.Body.At:c.Body.At+c.Body.Len]))
	}
	if len(bodies) < n/2 {
		tb.Fatalf("%d bodies read back from %d lessons", len(bodies), n)
	}
	return bodies
}

// BenchmarkSearchBodyLessons is searchBodyOfHTML over the rendered bodies of
// the generated course's pages, as a cold build runs it once per page.
func BenchmarkSearchBodyLessons(b *testing.B) {
	bodies := renderedBodies(b, 1000)
	size := 0
	for _, s := range bodies {
		size += len(s)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		for _, s := range bodies {
			searchBodyOfHTML(s)
		}
	}
}

// BenchmarkSearchBodyLessonsOld is BenchmarkSearchBodyLessons with the
// reference implementation (search_body_old_test.go), to compare in one run.
func BenchmarkSearchBodyLessonsOld(b *testing.B) {
	bodies := renderedBodies(b, 1000)
	size := 0
	for _, s := range bodies {
		size += len(s)
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	for b.Loop() {
		for _, s := range bodies {
			oldSearchBodyOfHTML(s)
		}
	}
}
