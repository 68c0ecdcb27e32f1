package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// BenchmarkThreadReads measures reads of a lesson's thread (50 replies by
// 10 authors) through the companion's handler, as pages load it: mostly
// served from the per-lesson cache.
func BenchmarkThreadReads(b *testing.B) {
	ctx := context.Background()
	c := startCompanion(b)
	c.writeManifest(b, intro)
	lesson := c.srv.URLs().Lesson("intro")
	for i := range 50 {
		author := fmt.Sprintf("https://m.example/users/u%d", i%10)
		c.store.SaveActor(ctx, activitypub.Actor{ID: author, Name: "User", PreferredUsername: "u", Inbox: author + "/inbox", Fetched: time.Now()})
		c.store.SaveReply(ctx, activitypub.Reply{ID: fmt.Sprintf("%s/statuses/%d", author, i), LessonID: "intro", InReplyTo: lesson,
			Actor: author, Published: time.Now(), Content: "<p>A considered reply of a few sentences about the lesson.</p>", Visibility: activitypub.Public})
	}
	h := c.srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/threads/intro", nil))
			if w.Code != http.StatusOK {
				b.Errorf("status %d", w.Code)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
}

// BenchmarkIdleMemory reports the memory the companion holds once started
// with its workers running and a published lesson: heap in use and all
// memory obtained from the OS.
func BenchmarkIdleMemory(b *testing.B) {
	for range b.N {
		c := startCompanion(b)
		c.writeManifest(b, intro)
		time.Sleep(100 * time.Millisecond)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(ms.Sys)/(1<<20), "sys-MiB")
	}
}
