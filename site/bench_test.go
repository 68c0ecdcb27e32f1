package site

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
)

// benchCourse generates (once, into a cache folder) a course with gencourse from
// ../shared/bench, the way bench/build-vs-hugo.sh does, and returns its folder.
func benchCourse(b testing.TB, lessons int) string {
	b.Helper()
	gen, err := filepath.Abs(filepath.Join("..", "..", "shared", "bench"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(gen, "gencourse")); err != nil {
		b.Skip("../shared/bench/gencourse not found: ", err)
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("cohort-bench-course-%d", lessons))
	if _, err := os.Stat(filepath.Join(dir, "course.toml")); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	cmd := exec.Command("go", "run", "./gencourse", "-out", dir, "-lessons", strconv.Itoa(lessons),
		"-modules", strconv.Itoa(max(lessons/100, 1)), "-seed", "1", "-format", "course")
	cmd.Dir = gen
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("gencourse: %v\n%s", err, out)
	}
	return dir
}

func benchLessons() int {
	if n, err := strconv.Atoi(os.Getenv("COHORT_BENCH_LESSONS")); err == nil && n > 0 {
		return n
	}
	return 1000
}

// BenchmarkBuildCold builds the generated course from nothing: no cache, no output.
func BenchmarkBuildCold(b *testing.B) {
	src := benchCourse(b, benchLessons())
	var pages int
	for b.Loop() {
		b.StopTimer()
		out := b.TempDir()
		b.StartTimer()
		res, err := Build(context.Background(), Options{Source: src, Out: filepath.Join(out, "public")})
		if err != nil {
			b.Fatal(err)
		}
		pages = res.Pages
	}
	b.ReportMetric(float64(pages)*float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkRebuildOneLesson is serve's case: a builder that built the course
// before rebuilds it after one lesson's text changed, told which file changed,
// with the cache written later.
func BenchmarkRebuildOneLesson(b *testing.B) {
	src := benchCourse(b, benchLessons())
	bl := serveBuilt(b, src)
	lesson := firstLesson(b, src)
	orig, _ := os.ReadFile(lesson)
	defer os.WriteFile(lesson, orig, 0o644)
	defer benchProfile(b)()
	i := 0
	for b.Loop() {
		i++
		os.WriteFile(lesson, fmt.Appendf(append([]byte(nil), orig...), "\nEdit number %d.\n", i), 0o644)
		rel, _ := filepath.Rel(src, lesson)
		res, err := bl.BuildChanged(context.Background(), []string{filepath.ToSlash(rel)})
		if err != nil {
			b.Fatal(err)
		}
		if res.Rendered == 0 {
			b.Fatal("the edited lesson was not rendered")
		}
		if i == 3 {
			b.Logf("steps: %v", res.Steps)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/rebuild")
}

// BenchmarkRebuildNoChange is a warm `cohort build` with nothing to do, in a new
// process each time (the state comes from the cache folder).
func BenchmarkRebuildNoChange(b *testing.B) {
	src := benchCourse(b, benchLessons())
	work := b.TempDir()
	o := Options{Source: src, Out: filepath.Join(work, "public"), CacheDir: filepath.Join(work, "cache")}
	if _, err := Build(context.Background(), o); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Build(context.Background(), o); err != nil {
			b.Fatal(err)
		}
	}
}

func firstLesson(b *testing.B, src string) string {
	matches, _ := filepath.Glob(filepath.Join(src, "content", "*", "*.md"))
	for _, m := range matches {
		if filepath.Base(m) != "_index.md" {
			return m
		}
	}
	b.Fatal("no lesson in the generated course")
	return ""
}

// BenchmarkFreshOneEdit is `cohort build` after one lesson changed, as a new
// process runs it, without the process's start: each iteration appends a
// sentence to a lesson (a different one each time) and builds with a new
// Builder, which knows nothing but what the cache folder and the output hold.
// cmd/cohort's BenchmarkBuildOneEdit times the same with the process start.
func BenchmarkFreshOneEdit(b *testing.B) {
	src := benchCourse(b, benchLessons())
	o := freshBuilt(b, src)
	lessons := benchLessonFiles(b, src)
	original := benchOriginals(b)
	freshEdits(b, o, func(i int) {
		lesson := lessons[(i*7919)%len(lessons)] // a prime stride: spread over modules
		if err := os.WriteFile(lesson, fmt.Appendf(bytes.Clone(original(lesson)), "\nA sentence added by the benchmark, edit %d.\n", i), 0o644); err != nil {
			b.Fatal(err)
		}
	}, nil)
}

// freshEdits is the loop of the benchmarks of `cohort build` in a new process
// (without its start): edit(i) changes the course, a new Builder builds it
// from o and must render a page, and the steps' times are reported. each,
// when set, is given every build's result.
func freshEdits(b *testing.B, o Options, edit func(i int), each func(*Result)) {
	defer benchProfile(b)()
	var steps stepTimes
	for i := 0; b.Loop(); i++ {
		edit(i)
		res, err := Build(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		if res.Rendered == 0 {
			b.Fatal("the edited lesson was not rendered")
		}
		steps.add(res.Steps)
		if each != nil {
			each(res)
		}
	}
	steps.report(b)
}

// freshBuilt builds the course src once into a folder of the benchmark's and
// returns the options with which each iteration builds it again, as
// `cohort build` does in a new process: a new Builder, knowing only what the
// cache folder and the output hold.
func freshBuilt(b *testing.B, src string) Options {
	b.Helper()
	work := b.TempDir()
	o := Options{Source: src, Out: filepath.Join(work, "public"), CacheDir: filepath.Join(work, "cache")}
	if _, err := Build(context.Background(), o); err != nil {
		b.Fatal(err)
	}
	return o
}

// serveBuilt returns a Builder that has built the course src into a folder
// of the benchmark's, as `cohort serve` holds one: told what changed, it
// builds again, and writes its cache only when asked.
func serveBuilt(b *testing.B, src string) *Builder {
	b.Helper()
	work := b.TempDir()
	bl := NewBuilder(Options{Source: src, Out: filepath.Join(work, "public"), CacheDir: filepath.Join(work, "cache"), DeferCacheSave: true})
	if _, err := bl.Build(context.Background()); err != nil {
		b.Fatal(err)
	}
	return bl
}

// benchOriginals returns what gives each lesson's bytes as they were before
// the benchmark first edited it; they are put back when the benchmark ends.
func benchOriginals(b *testing.B) (original func(lesson string) []byte) {
	originals := map[string][]byte{}
	b.Cleanup(func() {
		for name, data := range originals {
			os.WriteFile(name, data, 0o644)
		}
	})
	return func(lesson string) []byte {
		data, ok := originals[lesson]
		if !ok {
			var err error
			if data, err = os.ReadFile(lesson); err != nil {
				b.Fatal(err)
			}
			originals[lesson] = data
		}
		return data
	}
}

// stepTimes adds up the steps of a benchmark's builds (Result.Steps) and
// reports each one's mean in ms per build, in the order the builds took them.
type stepTimes struct {
	sums  map[string]float64
	names []string
}

func (st *stepTimes) add(steps []Step) {
	if st.sums == nil {
		st.sums = map[string]float64{}
	}
	for _, s := range steps {
		if _, ok := st.sums[s.Name]; !ok {
			st.names = append(st.names, s.Name)
		}
		st.sums[s.Name] += float64(s.Duration.Microseconds()) / 1000
	}
}

func (st *stepTimes) report(b *testing.B) {
	for _, n := range st.names {
		b.ReportMetric(st.sums[n]/float64(b.N), strings.ReplaceAll(n, " ", "-")+"-ms")
	}
}

// benchLessonFiles lists the generated course's lessons (not module pages).
func benchLessonFiles(b *testing.B, src string) []string {
	matches, _ := filepath.Glob(filepath.Join(src, "content", "*", "*.md"))
	var lessons []string
	for _, m := range matches {
		if filepath.Base(m) != "_index.md" {
			lessons = append(lessons, m)
		}
	}
	if len(lessons) == 0 {
		b.Fatal("no lesson in the generated course")
	}
	return lessons
}

// benchProfile starts a CPU profile into the file COHORT_BENCH_PROFILE names,
// if any, and returns what stops it.
func benchProfile(b *testing.B) (stop func()) {
	name := os.Getenv("COHORT_BENCH_PROFILE")
	if name == "" {
		return func() {}
	}
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// BenchmarkExecuteLayouts executes the layout of every page of the generated
// course, as a cold build does, without the Markdown (a page's body is a fixed
// paragraph) or the writing: what the theme's templates cost per page.
func BenchmarkExecuteLayouts(b *testing.B) {
	src := benchCourse(b, benchLessons())
	bl := NewBuilder(Options{Source: src, Out: filepath.Join(b.TempDir(), "public")})
	if _, err := bl.Build(context.Background()); err != nil {
		b.Fatal(err)
	}
	r := &run{b: bl, ctx: context.Background(), cfg: bl.cfg, theme: bl.theme, course: bl.course}
	r.basePath, r.site = r.cfg.BasePath(), r.siteData()
	r.navs = map[*Module]template.HTML{}
	sidebar := SidebarData{Course: r.course, AllLessons: len(r.course.Lessons) <= MaxSidebarLessons}
	for _, m := range r.course.Modules {
		nav, err := r.sidebar(sidebar, m)
		if err != nil {
			b.Fatal(err)
		}
		r.navs[m] = nav
	}
	if r.theme.themeHeader {
		h, err := r.theme.executeHTML("partials/header.html", PageData{Site: r.site})
		if err != nil {
			b.Fatal(err)
		}
		r.lessonHeader = h
	}
	all := r.course.All()
	for _, p := range all {
		p.Content = "<p>A lesson's body.</p>"
	}
	defer benchProfile(b)()
	var buf bytes.Buffer
	for b.Loop() {
		for _, p := range all {
			buf.Reset()
			if err := r.executeLayout(&buf, p, PageData{Site: r.site}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(all))*float64(b.N)/b.Elapsed().Seconds(), "pages/s")
}
