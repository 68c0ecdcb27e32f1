package discovery_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// TestThreadsAPIChangesAndCaching: the first page carries a changes cursor;
// asked with it, the API answers only what changed after (a new reply, then
// its deletion as a removal); an unchanged answer is a 304 by its ETag,
// gzipped when asked, and readable from the site's origin.
func TestThreadsAPIChangesAndCaching(t *testing.T) {
	e := newEnv(t)
	var first struct{ Since string }
	w := e.get(t, "/api/threads/intro")
	if err := json.Unmarshal(w.Body.Bytes(), &first); err != nil || first.Since == "" {
		t.Fatalf("first page without a changes cursor: %v %s", err, w.Body)
	}
	if w.Header().Get("Access-Control-Allow-Origin") != "https://course.example.org" {
		t.Errorf("CORS origin %q", w.Header().Get("Access-Control-Allow-Origin"))
	}
	since := "/api/threads/intro?since=" + first.Since
	w = e.get(t, since)
	if !strings.Contains(w.Body.String(), `"changes":[]`) {
		t.Errorf("nothing changed, yet: %s", w.Body)
	}
	if w2 := e.get(t, since, "If-None-Match", w.Header().Get("ETag")); w2.Code != http.StatusNotModified {
		t.Errorf("unchanged answer with its ETag: %d, want 304", w2.Code)
	}
	gz := e.get(t, since, "Accept-Encoding", "gzip")
	if gz.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(strings.Join(gz.Header().Values("Vary"), ","), "Accept-Encoding") ||
		gz.Header().Get("ETag") == w.Header().Get("ETag") {
		t.Errorf("gzip asked: headers %v", gz.Header())
	}
	if w2 := e.get(t, since, "If-None-Match", gz.Header().Get("ETag"), "Accept-Encoding", "gzip"); w2.Code != http.StatusNotModified {
		t.Errorf("unchanged gzipped answer with its ETag: %d, want 304", w2.Code)
	}

	id := alice + "/statuses/9"
	must(t, e.store.SaveReply(context.Background(), activitypub.Reply{ID: id, LessonID: "intro", InReplyTo: e.urls.Lesson("intro"),
		Actor: alice, Published: clock.Add(5 * time.Hour), Content: "<p>new</p>", Visibility: activitypub.Public}))
	e.h.Invalidate("intro")
	var ch struct {
		Count   int
		Since   string
		Changes []struct {
			ID        string
			InReplyTo string `json:"in_reply_to"`
			Content   string
			Removed   bool
		}
	}
	if err := json.Unmarshal(e.get(t, since).Body.Bytes(), &ch); err != nil {
		t.Fatal(err)
	}
	if len(ch.Changes) != 1 || ch.Changes[0].ID != id || ch.Changes[0].Content != "<p>new</p>" ||
		ch.Changes[0].InReplyTo != e.urls.Lesson("intro") || ch.Count != 3 || ch.Since == first.Since {
		t.Fatalf("after a new reply: %+v", ch)
	}
	must(t, e.store.DeleteReply(context.Background(), id))
	e.h.Invalidate("intro")
	next := ch.Since
	ch.Changes = nil
	if err := json.Unmarshal(e.get(t, "/api/threads/intro?since="+next).Body.Bytes(), &ch); err != nil {
		t.Fatal(err)
	}
	if len(ch.Changes) != 1 || !ch.Changes[0].Removed || ch.Changes[0].Content != "" || ch.Count != 2 {
		t.Errorf("after the deletion: %+v", ch)
	}
	for _, bad := range []string{"?since=x", "?after=!!", "?after=cjEyMw"} {
		if w := e.do(t, http.MethodGet, "/api/threads/intro"+bad); w.Code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, w.Code)
		}
	}
}
