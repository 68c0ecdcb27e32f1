package site

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	work := b.TempDir()
	o := Options{Source: src, Out: filepath.Join(work, "public"), CacheDir: filepath.Join(work, "cache")}
	if _, err := Build(context.Background(), o); err != nil {
		b.Fatal(err)
	}
	lessons := benchLessonFiles(b, src)
	originals := map[string][]byte{}
	defer func() {
		for name, data := range originals {
			os.WriteFile(name, data, 0o644)
		}
	}()
	defer benchProfile(b)()
	sums := map[string]float64{}
	var names []string
	markdown, rendered := 0, 0
	for i := 0; b.Loop(); i++ {
		lesson := lessons[(i*7919)%len(lessons)] // a prime stride: spread over modules
		if _, ok := originals[lesson]; !ok {
			data, err := os.ReadFile(lesson)
			if err != nil {
				b.Fatal(err)
			}
			originals[lesson] = data
		}
		retitle(b, lesson, originals[lesson], i)
		res, err := Build(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		markdown, rendered = markdown+res.Markdown, rendered+res.Rendered
		for _, s := range res.Steps {
			if _, ok := sums[s.Name]; !ok {
				names = append(names, s.Name)
			}
			sums[s.Name] += float64(s.Duration.Microseconds()) / 1000
		}
	}
	for _, n := range names {
		b.ReportMetric(sums[n]/float64(b.N), strings.ReplaceAll(n, " ", "-")+"-ms")
	}
	b.ReportMetric(float64(rendered)/float64(b.N), "laid-out/op")
	b.ReportMetric(float64(markdown)/float64(b.N), "markdown/op")
}

// BenchmarkRebuildRetitle is serve's case of BenchmarkFreshRetitle: one
// Builder, told which lesson changed, retitles the same lesson again and
// again; its module's pages take their bodies from their output files.
func BenchmarkRebuildRetitle(b *testing.B) {
	src := benchCourse(b, benchLessons())
	work := b.TempDir()
	bl := NewBuilder(Options{Source: src, Out: filepath.Join(work, "public"), CacheDir: filepath.Join(work, "cache"), DeferCacheSave: true})
	if _, err := bl.Build(context.Background()); err != nil {
		b.Fatal(err)
	}
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
