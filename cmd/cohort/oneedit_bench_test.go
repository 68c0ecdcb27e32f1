package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkBuildOneEdit measures `cohort build` in a fresh process after one
// lesson changed, as an author or a CI job runs it: the real binary, started
// from this process, on a generated course whose output and build cache a cold
// build left beside it. Each iteration appends a sentence to a lesson (a
// different one each time, spread over the modules) and runs the binary with
// -v; the figure is the wall time from start to exit, process start included.
//
// Metrics: ms/build is the mean, p50-ms/build and max-ms/build the median and
// worst; each step of -v's breakdown is reported as its mean, STEP-ms, so a
// regression shows where it is. The machine should be quiet: the figures are
// wall time.
//
// The courses come from ../shared/bench/gencourse, generated once into a folder
// under os.TempDir and reused (remove it to start afresh); the first run of the
// 10,000-lesson case builds it cold, which takes a while.
func BenchmarkBuildOneEdit(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "cohort")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, lessons := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("lessons=%d", lessons), func(b *testing.B) {
			course := oneEditCourse(b, bin, lessons)
			benchOneEdit(b, bin, course)
		})
	}
}

// stepLine is a line of build -v: two spaces, the step's name, its duration.
var stepLine = regexp.MustCompile(`^  (.+?)\s+([0-9.]+(?:ns|µs|us|ms|s|m[0-9.]+s))$`)

func benchOneEdit(b *testing.B, bin, course string) {
	lessons, _ := filepath.Glob(filepath.Join(course, "content", "*", "*.md"))
	lessons = slices.DeleteFunc(lessons, func(p string) bool { return filepath.Base(p) == "_index.md" })
	if len(lessons) == 0 {
		b.Fatal("no lessons in the generated course")
	}
	originals := map[string][]byte{}
	defer func() {
		for name, data := range originals {
			if err := os.WriteFile(name, data, 0o644); err != nil {
				b.Error(err)
			}
		}
	}()
	var took []time.Duration
	var names []string
	sums := map[string]time.Duration{}
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		lesson := lessons[(i*7919)%len(lessons)] // a prime stride: spread over modules
		data, err := os.ReadFile(lesson)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := originals[lesson]; !ok {
			originals[lesson] = data
		}
		if err := os.WriteFile(lesson, fmt.Appendf(data, "\nA sentence added by the benchmark, edit %d.\n", i), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		out, err := exec.Command(bin, "build", "-source", course, "-v").CombinedOutput()
		took = append(took, time.Since(start))
		if err != nil {
			b.Fatalf("cohort build: %v\n%s", err, out)
		}
		if !bytes.Contains(out, []byte("(1 rendered,")) {
			b.Fatalf("one edit did not render exactly one page:\n%s", out)
		}
		for line := range strings.SplitSeq(string(out), "\n") {
			m := stepLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			d, err := time.ParseDuration(strings.Replace(m[2], "us", "µs", 1))
			if err != nil {
				continue
			}
			if _, ok := sums[m[1]]; !ok {
				names = append(names, m[1])
			}
			sums[m[1]] += d
		}
	}
	b.StopTimer()
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	var total time.Duration
	for _, d := range took {
		total += d
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ms(total)/float64(len(took)), "ms/build")
	b.ReportMetric(ms(took[len(took)/2]), "p50-ms/build")
	b.ReportMetric(ms(took[len(took)-1]), "max-ms/build")
	unit := regexp.MustCompile(`[^a-z0-9.]+`)
	for _, name := range names {
		b.ReportMetric(ms(sums[name])/float64(len(took)), strings.Trim(unit.ReplaceAllString(strings.ToLower(name), "-"), "-")+"-ms")
	}
}

// oneEditCourse returns a generated course of the given size that the binary
// has built once (output in course/public, cache in course/.cohort).
func oneEditCourse(b *testing.B, bin string, lessons int) string {
	b.Helper()
	root := filepath.Join(os.TempDir(), fmt.Sprintf("cohort-bench-oneedit-%d", lessons))
	course := filepath.Join(root, "course")
	if _, err := os.Stat(filepath.Join(root, "done")); err == nil {
		return course
	}
	os.RemoveAll(root)
	gen, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "bench"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(gen, "gencourse")); err != nil {
		b.Skip("../shared/bench/gencourse not found: ", err)
	}
	cmd := exec.Command("go", "run", "./gencourse", "-out", course, "-lessons", strconv.Itoa(lessons),
		"-modules", strconv.Itoa(max(lessons/100, 1)), "-seed", "1", "-format", "course")
	cmd.Dir = gen
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("gencourse: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "build", "-source", course).CombinedOutput(); err != nil {
		b.Fatalf("cold build: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(root, "done"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return course
}
