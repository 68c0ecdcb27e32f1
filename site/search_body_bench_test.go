package site

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// benchBodies is renderedBodies of the 1,000-lesson course, made once per
// test binary: the benchmarks below run several times in one process.
var benchBodies = struct {
	sync.Once
	bodies []string
	size   int
}{}

func searchBodyBench(b *testing.B, body func(string) []byte) {
	benchBodies.Do(func() {
		benchBodies.bodies = renderedBodies(b, 1000)
		for _, s := range benchBodies.bodies {
			benchBodies.size += len(s)
		}
	})
	if benchBodies.bodies == nil {
		b.Fatal("no bodies (the first benchmark to ask failed)")
	}
	b.SetBytes(int64(benchBodies.size))
	b.ResetTimer()
	for b.Loop() {
		for _, s := range benchBodies.bodies {
			body(s)
		}
	}
}

// BenchmarkSearchBodyLessons is searchBodyOfHTML over the rendered bodies of
// the generated course's pages, as a cold build runs it once per page.
func BenchmarkSearchBodyLessons(b *testing.B) { searchBodyBench(b, searchBodyOfHTML) }

// BenchmarkSearchBodyVsOld alternates searchBodyOfHTML with the reference
// implementation (search_body_old_test.go), new then old, five times: on a
// shared machine, compare the fastest of each.
func BenchmarkSearchBodyVsOld(b *testing.B) {
	for range 5 {
		b.Run("new", func(b *testing.B) { searchBodyBench(b, searchBodyOfHTML) })
		b.Run("old", func(b *testing.B) { searchBodyBench(b, oldSearchBodyOfHTML) })
	}
}
