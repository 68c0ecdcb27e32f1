package site

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// retitle gives a lesson of the generated course a new title, edit number i:
// every page of its module shows it (sidebar, neighbours' links), so all of
// them are laid out again, while only this lesson's Markdown changed.
func retitle(b *testing.B, lesson string, orig []byte, i int) {
	b.Helper()
	line := []byte("\ntitle = \"")
	at := bytes.Index(orig, line)
	if at < 0 {
		b.Fatalf("%s has no title line", lesson)
	}
	at += len(line)
	edited := fmt.Appendf(append([]byte(nil), orig[:at]...), "Retitled %d, ", i)
	if err := os.WriteFile(lesson, append(edited, orig[at:]...), 0o644); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFreshRetitle is `cohort build` in a new process (without its
// start) after one lesson's title changed: a different lesson each time, its
// module's hundred pages laid out again around their bodies, which are read
// back from the output (pages.go, lastBody). Steps are reported as in
// BenchmarkFreshOneEdit, with the pages whose Markdown ran.
func BenchmarkFreshRetitle(b *testing.B) {
	src := benchCourse(b, benchLessons())
	o := freshBuilt(b, src)
	lessons := benchLessonFiles(b, src)
	original := benchOriginals(b)
	markdown, rendered := 0, 0
	freshEdits(b, o, func(i int) { // bench_test.go
		lesson := lessons[(i*7919)%len(lessons)] // a prime stride: spread over modules
		retitle(b, lesson, original(lesson), i)
	}, func(res *Result) {
		markdown, rendered = markdown+res.Markdown, rendered+res.Rendered
	})
	b.ReportMetric(float64(rendered)/float64(b.N), "laid-out/op")
	b.ReportMetric(float64(markdown)/float64(b.N), "markdown/op")
}

// BenchmarkRebuildRetitle is serve's case of BenchmarkFreshRetitle: one
// Builder, told which lesson changed, retitles the same lesson again and
// again; its module's pages take their bodies from their output files.
func BenchmarkRebuildRetitle(b *testing.B) {
	src := benchCourse(b, benchLessons())
	bl := serveBuilt(b, src)
	lesson := firstLesson(b, src)
	orig, err := os.ReadFile(lesson)
	if err != nil {
		b.Fatal(err)
	}
	defer os.WriteFile(lesson, orig, 0o644)
	rel, _ := filepath.Rel(src, lesson)
	defer benchProfile(b)()
	markdown, rendered := 0, 0
	for i := 0; b.Loop(); i++ {
		retitle(b, lesson, orig, i)
		res, err := bl.BuildChanged(context.Background(), []string{filepath.ToSlash(rel)})
		if err != nil {
			b.Fatal(err)
		}
		markdown, rendered = markdown+res.Markdown, rendered+res.Rendered
		if i == 3 {
			b.Logf("steps: %v", res.Steps)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/rebuild")
	b.ReportMetric(float64(rendered)/float64(b.N), "laid-out/op")
	b.ReportMetric(float64(markdown)/float64(b.N), "markdown/op")
}
