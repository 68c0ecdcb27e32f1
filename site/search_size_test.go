package site

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// searchBudget is the most a query may download at 10,000 lessons (issue 12).
const searchBudget = 300 << 10

// searchShown is how many results the header's box shows, each a page fetched.
const searchShown = 6

// searchFigures builds a generated course of n lessons and reports the index's
// size and the bytes three typical queries fetch: a word of a title, a whole
// title, and three common words of prose. It fails when a query costs more than
// searchBudget.
func searchFigures(tb testing.TB, n int) (indexBytes int, perQuery map[string]int) {
	src := benchCourse(tb, n)
	pub := filepath.Join(tb.TempDir(), "public")
	res, err := Build(context.Background(), Options{Source: src, Out: pub})
	if err != nil {
		tb.Fatal(err)
	}
	files := 0
	err = filepath.WalkDir(filepath.Join(pub, "search"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		indexBytes += int(info.Size())
		files++
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	// The queries come from the course itself, so they fit whatever gencourse writes.
	l := res.Course.Lessons[len(res.Course.Lessons)/2]
	title := strings.Fields(l.Title)
	prose := strings.Fields(l.Summary)
	queries := []string{strings.ToLower(title[len(title)-1]), l.Title, strings.Join(prose[:min(3, len(prose))], " ")}
	perQuery = map[string]int{}
	for _, q := range queries {
		c := openSearch(tb, pub)
		c.typing(q)
		hits := c.query(q, searchShown)
		perQuery[q] = c.bytes()
		tb.Logf("%d lessons: %q: %d results, %d bytes in %d files", n, q, len(hits), c.bytes(), len(c.fetched))
		if len(hits) == 0 {
			tb.Errorf("%q, taken from a lesson, finds nothing", q)
		}
		if c.bytes() > searchBudget {
			tb.Errorf("%q downloads %d bytes, over %d", q, c.bytes(), searchBudget)
		}
	}
	c := openSearch(tb, pub)
	tb.Logf("%d lessons: index %d bytes in %d files (%d chunks; index.json %d bytes)", n, indexBytes, files,
		len(c.meta.Chunks), c.fetched[searchMetaFile])
	return indexBytes, perQuery
}

// TestSearchSize1000 reports the index of a 1,000-lesson generated course and
// keeps each typical query under the budget.
func TestSearchSize1000(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and builds a 1,000-lesson course")
	}
	searchFigures(t, 1000)
}

// BenchmarkSearchSize10000 is the same at 10,000 lessons: a benchmark, not a
// test, because generating and building that course takes minutes. It reports
// sizes, not time: go test ./site -run '^$' -bench SearchSize10000 -benchtime 1x
func BenchmarkSearchSize10000(b *testing.B) {
	if os.Getenv("COHORT_BENCH_LESSONS") != "" {
		b.Log("COHORT_BENCH_LESSONS is ignored: this benchmark is about 10,000 lessons")
	}
	var size int
	var per map[string]int
	for b.Loop() {
		size, per = searchFigures(b, 10000)
	}
	b.ReportMetric(float64(size), "index-bytes")
	worst := 0
	for _, n := range per {
		worst = max(worst, n)
	}
	b.ReportMetric(float64(worst), "max-query-bytes")
}
