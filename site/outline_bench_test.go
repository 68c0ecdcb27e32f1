package site

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// outlineBenchLesson is the lesson the whole-course lists' benchmarks edit:
// at 10,000 lessons (gencourse, seed 1), appending outlineBenchSentence to it
// moves its reading time across a minute, so its module's card, navigation
// and part of the outline change.
const (
	outlineBenchLesson   = "content/011-ruimte-post-persoonlijk-discussie/001-team-active-formeel-summarise-module-network.md"
	outlineBenchSentence = "\nA sentence added by the benchmark for warm run 1.\n"
)

// benchEditedLesson returns the generated course, the lesson to edit and its
// bytes, put back when the benchmark ends; it skips, saying why, a course
// without that lesson (another COHORT_BENCH_LESSONS).
func benchEditedLesson(b *testing.B) (src, lesson string, orig []byte) {
	src = benchCourse(b, benchLessons())
	lesson = filepath.Join(src, filepath.FromSlash(outlineBenchLesson))
	orig, err := os.ReadFile(lesson)
	if err != nil {
		b.Skipf("the generated course has no %s (COHORT_BENCH_LESSONS=10000 has): %v", outlineBenchLesson, err)
	}
	b.Cleanup(func() { os.WriteFile(lesson, orig, 0o644) })
	return src, lesson, orig
}

// BenchmarkFreshReadingTimeEdit is `cohort build` in a new process (without
// the process's start) after an edit that moves one lesson's reading time
// across a minute: each iteration appends a sentence to the lesson or takes
// it away again, so that every build changes its module's card and part of
// the whole-course lists (the outline, the home page's module cards).
func BenchmarkFreshReadingTimeEdit(b *testing.B) {
	src, lesson, orig := benchEditedLesson(b)
	o := freshBuilt(b, src)
	longer := append(bytes.Clone(orig), outlineBenchSentence...)
	freshEdits(b, o, func(i int) { // bench_test.go
		data := longer
		if i%2 == 1 {
			data = orig
		}
		if err := os.WriteFile(lesson, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}, nil)
}

// BenchmarkServeTitleEdit is serve's rebuild after one lesson's title changed:
// a builder that built the course before, told which file changed, with the
// cache written later. The title changes back and forth, so every rebuild
// changes the lesson's card in its module's navigation and in the outline.
func BenchmarkServeTitleEdit(b *testing.B) {
	src, lesson, orig := benchEditedLesson(b)
	bl := serveBuilt(b, src)
	const title = `title = "Team active formeel summarise module network"`
	if !bytes.Contains(orig, []byte(title)) {
		b.Skipf("%s has no %s", outlineBenchLesson, title)
	}
	renamed := bytes.Replace(orig, []byte(title), []byte(`title = "Team active formeel summarise module network, renamed"`), 1)
	defer benchProfile(b)()
	for i := 0; b.Loop(); i++ {
		data := renamed
		if i%2 == 1 {
			data = orig
		}
		if err := os.WriteFile(lesson, data, 0o644); err != nil {
			b.Fatal(err)
		}
		res, err := bl.BuildChanged(context.Background(), []string{outlineBenchLesson})
		if err != nil {
			b.Fatal(err)
		}
		if res.Rendered == 0 {
			b.Fatal("the edited lesson was not rendered")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/rebuild")
}
