package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/discovery"
	"github.com/cohort-course/cohort/activitypub/sanitize"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// benchReplies is how many replies the store holds for BenchmarkBuildThreads,
// spread over the generated course's lessons: a busy MOOC's whole run.
const benchReplies = 50_000

// threadsCourse returns a copy of the generated 1,000-lesson course (gencourse
// from ../shared/bench, as site's benchmarks use) with a fediverse account, and
// the data folder of a companion store holding benchReplies replies over its
// lessons. Both are made once into the temp folder and kept for later runs.
func threadsCourse(b *testing.B) (course, data string) {
	b.Helper()
	lessons := 1000
	if n, err := strconv.Atoi(os.Getenv("COHORT_BENCH_LESSONS")); err == nil && n > 0 {
		lessons = n
	}
	root := filepath.Join(os.TempDir(), fmt.Sprintf("cohort-bench-threads-%d-%d", lessons, benchReplies))
	course, data = filepath.Join(root, "course"), filepath.Join(root, "data")
	if _, err := os.Stat(filepath.Join(root, "done")); err == nil {
		return course, data
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
	f, err := os.OpenFile(filepath.Join(course, "course.toml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Fprint(f, "\n[federation]\nhandle = \"course\"\ndomain = \"course.example.org\"\nmoderators = [\"@user7@server3.example\"]\n")
	f.Close()

	// The lessons' ids, from the manifest a build writes.
	out := b.TempDir()
	if _, err := site.Build(context.Background(), site.Options{Source: course, Out: out}); err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(out, "lessons.json"))
	if err != nil {
		b.Fatal(err)
	}
	var m site.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		b.Fatal(err)
	}
	fillStore(b, data, m.Lessons)
	if err := os.WriteFile(filepath.Join(root, "done"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return course, data
}

// fillStore writes benchReplies replies by 500 authors into a store: each
// lesson gets its share, a third of them answers to an earlier reply, some
// edited, some behind a content warning, with a link and a mention each, as
// the inbox stores them (sanitized).
func fillStore(b *testing.B, data string, lessons []site.ManifestLesson) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, data)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const authors = 500
	t0 := time.Date(2026, 9, 7, 8, 0, 0, 0, time.UTC)
	for i := range authors {
		host := fmt.Sprintf("server%d.example", i%40)
		id := fmt.Sprintf("https://%s/users/user%d", host, i)
		if err := st.SaveActor(ctx, activitypub.Actor{ID: id, Type: "Person", Inbox: id + "/inbox", PreferredUsername: fmt.Sprintf("user%d", i),
			Name: fmt.Sprintf("Participant %d", i), URL: fmt.Sprintf("https://%s/@user%d", host, i),
			IconURL: fmt.Sprintf("https://files.%s/avatars/%d.png", host, i), Fetched: t0}); err != nil {
			b.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(lessons))
	sem := make(chan struct{}, 32) // concurrent writers share the store's group commits
	for li, l := range lessons {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			object := "https://course.example.org/lessons/" + l.ID
			if err := st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: l.ID, ObjectID: object, Published: t0, ContentHash: l.Hash}); err != nil {
				errs <- err
				return
			}
			n := benchReplies / len(lessons)
			if li < benchReplies%len(lessons) {
				n++
			}
			var ids []string
			for k := range n {
				a := (li*7 + k*13) % authors
				actor := fmt.Sprintf("https://server%d.example/users/user%d", a%40, a)
				id := fmt.Sprintf("%s/statuses/%d-%d", actor, li, k)
				parent := object
				if k%3 == 2 {
					parent = ids[k/2]
				}
				r := activitypub.Reply{ID: id, LessonID: l.ID, InReplyTo: parent, Actor: actor, URL: id,
					Published: t0.Add(time.Duration(li*100+k) * time.Minute), Visibility: activitypub.Public,
					Content: sanitize.HTML(fmt.Sprintf(`<p><span class="h-card"><a href="https://course.example.org/@course" class="u-url mention">@<span>course</span></a></span> Reply %d to this lesson: what worked for our group was a short weekly summary. See <a href="https://blog.example/%d">my notes</a>.</p>`, k, k))}
				if k%10 == 0 {
					r.Updated = r.Published.Add(5 * time.Minute)
				}
				if k%17 == 0 {
					r.Summary = "a long story"
				}
				if err := st.SaveReply(ctx, r); err != nil {
					errs <- err
					return
				}
				ids = append(ids, id)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkBuildThreads builds the 1,000-lesson generated course cold, without
// a discussion source and with benchReplies replies read from the companion's
// store: the bar is that the second takes at most twice the first.
func BenchmarkBuildThreads(b *testing.B) {
	course, data := threadsCourse(b)
	cfg, err := site.LoadConfig(os.DirFS(course), "course.toml")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		replies int
	}{{"replies=0", 0}, {fmt.Sprintf("replies=%d", benchReplies), benchReplies}} {
		b.Run(c.name, func(b *testing.B) {
			o := site.Options{Source: course}
			if c.replies > 0 {
				st, err := sqlite.Open(context.Background(), data)
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				o.Discussion = discovery.Threads(cfg, st)
			}
			var pages int
			for b.Loop() {
				b.StopTimer()
				o.Out = filepath.Join(b.TempDir(), "public")
				b.StartTimer()
				res, err := site.Build(context.Background(), o)
				if err != nil {
					b.Fatal(err)
				}
				pages = res.Pages
			}
			b.ReportMetric(float64(pages)*float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			if c.replies > 0 {
				b.ReportMetric(float64(c.replies)*float64(b.N)/b.Elapsed().Seconds(), "replies/s")
			}
		})
	}
}
