package live

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohort-course/cohort/site"
)

// BenchmarkServeLatency measures what an author waits for in `cohort serve`: from
// saving a lesson to the open tab being told to reload it. Each iteration appends a
// sentence to a lesson (a different one each time, spread over the course) and
// waits for the reload event naming that lesson's page on a real event stream over
// loopback, with a real watcher: the quiet window, the incremental build and the
// delivery are all in the figure.
//
// The courses come from ../shared/bench/gencourse (or $COHORT_GENCOURSE), generated
// once into a folder under os.TempDir and reused, with serve's output and build
// cache beside them, as serve keeps them between sessions (remove the folder to
// start afresh). The first run of the 10,000-lesson case builds it cold, which
// takes a while.
//
// Metrics: ms/reload is the mean save-to-reload time; p50-ms/reload and
// max-ms/reload its median and worst; build-ms/reload the builder's own time, of
// which the log shows each step's share; pages-looked/reload how many pages the
// build checked for a change (the edited lesson's readers); pages-rendered/reload how many pages ran
// through Markdown and the layout (1 when only the edited lesson did).
func BenchmarkServeLatency(b *testing.B) {
	for _, size := range []struct{ lessons, modules int }{{1000, 20}, {10000, 100}} {
		b.Run(fmt.Sprintf("lessons=%d", size.lessons), func(b *testing.B) {
			dir := generatedCourse(b, size.lessons, size.modules)
			benchServe(b, dir)
		})
	}
}

func benchServe(b *testing.B, dir string) {
	course := filepath.Join(dir, "course")
	lessons := lessonFiles(b, course)
	var mu sync.Mutex
	var buildTime time.Duration
	var rendered, looked int
	var steps []site.Step // summed over the builds, by name, in the builder's order
	srv := &Server{
		Builder: site.NewBuilder(site.Options{
			Source: course, Out: filepath.Join(dir, "serve"), CacheDir: filepath.Join(dir, "serve-cache"),
			BaseURL: "http://127.0.0.1/", Live: Script(), DeferCacheSave: true, // as cohort serve does
		}),
		Out: filepath.Join(dir, "serve"), BasePath: "/", Hub: NewHub(), Report: io.Discard,
		OnBuild: func(r *site.Result) {
			mu.Lock()
			defer mu.Unlock()
			buildTime += r.Duration
			rendered += r.Rendered
			looked += r.Looked
			for _, st := range r.Steps {
				i := slices.IndexFunc(steps, func(s site.Step) bool { return s.Name == st.Name })
				if i < 0 {
					steps = append(steps, site.Step{Name: st.Name})
					i = len(steps) - 1
				}
				steps[i].Duration += st.Duration
			}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := NewWatcher(course, ignoreLikeServe, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	if _, err := srv.Build(ctx, nil); err != nil {
		b.Fatal(err)
	}
	if err := srv.Builder.SaveCache(); err != nil { // as cohort serve does, so reruns start warm
		b.Fatal(err)
	}
	watched := make(chan error, 1)
	go func() { watched <- srv.Watch(ctx, w) }()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	events := streamEvents(b, ctx, ts.URL+EventsPath)

	originals := map[string][]byte{} // lessons as generated, put back at the end
	defer func() {
		cancel()
		<-watched
		for name, data := range originals {
			if err := os.WriteFile(name, data, 0o644); err != nil {
				b.Error(err)
			}
		}
	}()

	mu.Lock()
	buildTime, rendered, looked, steps = 0, 0, 0, nil
	mu.Unlock()
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		lesson := lessons[(i*7919)%len(lessons)] // a prime stride: spread over modules
		if _, ok := originals[lesson]; !ok {
			data, err := os.ReadFile(lesson)
			if err != nil {
				b.Fatal(err)
			}
			originals[lesson] = data
		}
		rel, _ := filepath.Rel(course, lesson)
		page := "/" + strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(rel), "content/"), ".md") + "/index.html"

		start := time.Now()
		appendText(b, lesson, fmt.Sprintf("\nA sentence added by the benchmark, edit %d.\n", i))
		for e := range waitEvents(b, events) {
			if e.Kind == "failed" {
				b.Fatalf("build failed: %s", e.Message)
			}
			if e.Kind == "reload" && slices.Contains(e.Paths, page) {
				break
			}
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	if len(took) == 0 {
		return
	}
	var sum time.Duration
	for _, d := range took {
		sum += d
	}
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(sum)/float64(len(took)), "ms/reload")
	b.ReportMetric(ms(took[len(took)/2]), "p50-ms/reload")
	b.ReportMetric(ms(took[len(took)-1]), "max-ms/reload")
	mu.Lock()
	defer mu.Unlock()
	b.ReportMetric(ms(buildTime)/float64(len(took)), "build-ms/reload")
	b.ReportMetric(float64(rendered)/float64(len(took)), "pages-rendered/reload")
	b.ReportMetric(float64(looked)/float64(len(took)), "pages-looked/reload")
	var where []string
	for _, st := range steps {
		where = append(where, fmt.Sprintf("%s %.1f", st.Name, ms(st.Duration)/float64(len(took))))
	}
	b.Logf("builder steps, ms per reload: %s", strings.Join(where, ", "))
}

// generatedCourse returns a folder holding course/, a generated course of the given
// size, generating it the first time.
func generatedCourse(b *testing.B, lessons, modules int) string {
	dir := filepath.Join(os.TempDir(), "cohort-bench", fmt.Sprintf("serve-%d-%d-seed1", lessons, modules))
	if _, err := os.Stat(filepath.Join(dir, "course", "course.toml")); err == nil {
		return dir
	}
	gen := os.Getenv("COHORT_GENCOURSE")
	if gen == "" {
		gen = filepath.Join("..", "..", "..", "shared", "bench")
	}
	if _, err := os.Stat(filepath.Join(gen, "gencourse", "main.go")); err == nil {
		gen = filepath.Join(gen, "gencourse")
	}
	if _, err := os.Stat(filepath.Join(gen, "main.go")); err != nil {
		b.Skipf("gencourse not found at %s: set COHORT_GENCOURSE to shared/bench (or to shared/bench/gencourse)", gen)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	tmp, err := os.MkdirTemp(dir, ".generating-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	b.Logf("generating %d lessons into %s", lessons, dir)
	cmd := exec.Command("go", "run", ".", "-out", filepath.Join(tmp, "course"),
		"-lessons", fmt.Sprint(lessons), "-modules", fmt.Sprint(modules), "-seed", "1", "-format", "course")
	cmd.Dir = gen
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("gencourse: %v\n%s", err, out)
	}
	// Moved in whole once complete, so that an interrupted run leaves no half course.
	if err := os.Rename(filepath.Join(tmp, "course"), filepath.Join(dir, "course")); err != nil {
		b.Fatal(err)
	}
	return dir
}

// lessonFiles lists the lessons of a course: content/<module>/<lesson>.md.
func lessonFiles(b *testing.B, course string) []string {
	files, err := filepath.Glob(filepath.Join(course, "content", "*", "*.md"))
	if err != nil {
		b.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return filepath.Base(f) == "_index.md" })
	if len(files) == 0 {
		b.Fatalf("no lessons in %s", course)
	}
	slices.Sort(files)
	return files
}

func appendText(b *testing.B, name, text string) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// streamEvents subscribes to the event stream, as live.js does, and returns the
// events as they arrive.
func streamEvents(b *testing.B, ctx context.Context, url string) <-chan Event {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	events := make(chan Event, 64)
	connected := make(chan struct{})
	go func() {
		defer close(events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if line == ": connected" {
				close(connected)
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var e Event
				if json.Unmarshal([]byte(data), &e) == nil {
					events <- e
				}
			}
		}
	}()
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		b.Fatal("the event stream did not connect")
	}
	return events
}

// eventLimit is how long a benchmark waits for a reload before it fails: far more
// than a rebuild of the largest course takes, even cold.
const eventLimit = 2 * time.Minute

// waitEvents yields the events that arrive until the loop breaks, failing the
// benchmark when none comes within eventLimit.
func waitEvents(b *testing.B, events <-chan Event) func(yield func(Event) bool) {
	return func(yield func(Event) bool) {
		for {
			select {
			case e, ok := <-events:
				if !ok {
					b.Fatal("the event stream ended")
				}
				if !yield(e) {
					return
				}
			case <-time.After(eventLimit):
				b.Fatalf("no reload within %s", eventLimit)
			}
		}
	}
}
