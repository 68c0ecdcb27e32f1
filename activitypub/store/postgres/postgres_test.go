package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/postgres"
	"github.com/cohort-course/cohort/activitypub/store/postgres/pgtest"
	"github.com/cohort-course/cohort/activitypub/store/storetest"
)

func open(t *testing.T) activitypub.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, open)
}

// openShared opens n Stores on one new schema, at once, as processes
// starting together would: the migration lock lets one apply the schema
// while the others wait.
func openShared(t *testing.T, n int) []activitypub.Store {
	t.Helper()
	return openSharedAt(t, pgtest.URL(t), n)
}

// openSharedAt opens n Stores on the schema of url at once.
func openSharedAt(t *testing.T, url string, n int) []activitypub.Store {
	t.Helper()
	ss := make([]activitypub.Store, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(context.Background(), url)
			if err != nil {
				errs <- err
				return
			}
			ss[i] = s
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return ss
}

func TestConcurrent(t *testing.T) {
	storetest.RunConcurrent(t, openShared)
}

// TestMigrateTogether: eight processes open one empty database at once;
// each migration is applied once, and all of them open.
func TestMigrateTogether(t *testing.T) {
	ss := openShared(t, 8)
	for _, s := range ss {
		defer s.Close()
	}
	v, err := ss[0].(*postgres.Store).Version(context.Background())
	if err != nil || v < 1 {
		t.Fatalf("Version = %d, %v", v, err)
	}
}

// BenchmarkSaveReply measures replies committed per second, in parallel as
// an inbox would, each in its own transaction on a pooled connection.
func BenchmarkSaveReply(b *testing.B) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			r := activitypub.Reply{ID: fmt.Sprintf("https://m.example/s/%d", i), LessonID: fmt.Sprintf("l%d", i%50),
				InReplyTo: "https://course.example.org/l", Actor: "https://m.example/u/a", Published: base.Add(time.Duration(i) * time.Microsecond),
				Content: "<p>a reply of ordinary length, a sentence or two about the lesson.</p>", Visibility: activitypub.Public}
			if err := s.SaveReply(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "replies/s")
}

// BenchmarkThread measures thread reads per second of a 100-reply lesson.
func BenchmarkThread(b *testing.B) {
	ctx := context.Background()
	s, err := postgres.Open(ctx, pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := range 100 {
		r := activitypub.Reply{ID: fmt.Sprintf("https://m.example/s/%d", i), LessonID: "l", Actor: "a", Published: time.Unix(int64(i), 0), Content: "<p>x</p>", Visibility: activitypub.Public}
		if err := s.SaveReply(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Thread(ctx, "l", ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "threads/s")
}
