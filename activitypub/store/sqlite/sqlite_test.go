package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/activitypub/store/storetest"
)

func open(t *testing.T) activitypub.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, open)
}

// TestReopen: what was committed is there after a close and reopen, and
// migrations are not applied twice.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	r := activitypub.Reply{ID: "https://m.example/s/1", LessonID: "l", Actor: "https://m.example/u/a", Published: time.Unix(1e9, 0), Visibility: activitypub.Public}
	if err := s.SaveReply(ctx, r); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		t.Fatalf("database file: %v", err)
	}
	s, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.Reply(ctx, r.ID); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

// BenchmarkSaveReply measures replies persisted per second (each committed
// to disk with synchronous=FULL), in parallel as an inbox would.
func BenchmarkSaveReply(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	base := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	var n atomicCounter
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.next()
			r := activitypub.Reply{ID: fmt.Sprintf("https://m.example/s/%d", i), LessonID: fmt.Sprintf("l%d", i%50),
				InReplyTo: "https://course.example.org/l", Actor: "https://m.example/u/a", Published: base.Add(time.Duration(i)),
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
	s, err := sqlite.Open(ctx, b.TempDir())
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

// openShared opens n Stores on one new database file, at once, as
// processes starting together would.
func openShared(t *testing.T, n int) []activitypub.Store {
	t.Helper()
	dir := t.TempDir()
	ss := make([]activitypub.Store, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sqlite.Open(context.Background(), dir)
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

// TestMigrateTogether: eight processes open one new file at once; each
// migration is applied once (a second apply would fail on its CREATE
// TABLE), and all of them open.
func TestMigrateTogether(t *testing.T) {
	for _, s := range openShared(t, 8) {
		s.Close()
	}
}

// TestBackupWhileWriting: a backup taken while another goroutine keeps
// saving replies opens as a store of its own, migrated, holding every
// reply committed before the backup began.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	reply := func(n int) activitypub.Reply {
		return activitypub.Reply{ID: fmt.Sprintf("https://m.example/s/%d", n), LessonID: "l", Actor: "https://m.example/u/a",
			Published: time.Unix(1e9, 0), Visibility: activitypub.Public}
	}
	for n := range 50 {
		if err := s.SaveReply(ctx, reply(n)); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	writing := make(chan error, 1)
	go func() {
		for n := 1000; ; n++ {
			select {
			case <-stop:
				writing <- nil
				return
			default:
			}
			if err := s.SaveReply(ctx, reply(n)); err != nil {
				writing <- err
				return
			}
		}
	}()
	dir := t.TempDir()
	err = s.Backup(ctx, filepath.Join(dir, sqlite.FileName))
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-writing; err != nil {
		t.Fatalf("writes during the backup: %v", err)
	}
	c, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	defer c.Close()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping the backup: %v", err)
	}
	for n := range 50 {
		if _, err := c.Reply(ctx, reply(n).ID); err != nil {
			t.Fatalf("reply %d committed before the backup: %v", n, err)
		}
	}
}
