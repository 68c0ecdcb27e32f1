package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-course/cohort/site"
)

// TestBuildThreadsFromSanitizes: `cohort build --threads-from URL` trusts the
// other companion's threads API no more than the fediverse. A threads API on
// loopback that serves hostile HTML (script, event handlers, javascript:
// links, styles, frames) and hostile links in every URL field gives a lesson
// page with the replies' text and none of it.
func TestBuildThreadsFromSanitizes(t *testing.T) {
	const hostile = `<p>HOSTILE-REPLY</p><script>alert(1)</script><img src="x" onerror="alert(2)">` +
		`<a href="javascript:alert(3)">click</a><style>body{display:none}</style>` +
		`<p style="color:red" onclick="alert(4)">STYLED-TEXT</p><iframe src="https://evil.example/frame"></iframe>` +
		`<svg onload="alert(5)"></svg><a href="https://good.example/x" onmouseover="alert(6)">GOOD-LINK</a>`
	reply := func(id string) *site.Reply {
		return &site.Reply{ID: "https://mastodon.example/statuses/" + id, URL: "javascript:alert(7)",
			Author:    site.Author{Name: "Mallory", Handle: "@mallory@mastodon.example", URL: "javascript:alert(8)", Avatar: "data:image/svg+xml,<svg onload=alert(9)>"},
			Published: time.Date(2026, 9, 8, 9, 0, 0, 0, time.UTC), Content: strings.ReplaceAll(hostile, "HOSTILE-REPLY", "HOSTILE-REPLY-"+id),
			Attachments: []site.Attachment{{URL: "javascript:alert(10)", Alt: "ATTACHMENT-ALT"}}}
	}
	var requests atomic.Int64 // the build asks for several lessons' threads at once
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lesson, ok := strings.CutPrefix(r.URL.Path, "/api/threads/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		requests.Add(1)
		top, child := reply("1"), reply("2")
		top.Replies = []*site.Reply{child}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(site.Thread{Lesson: lesson, Object: "https://course.example.org/lessons/" + lesson, Count: 2, Replies: []*site.Reply{top}})
	}))
	defer api.Close()

	dir := exampleCourse(t)
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	if err := run(context.Background(), []string{"build", "--source", dir, "--threads-from", api.URL}, stdout, stderr); err != nil {
		t.Fatalf("build: %v\n%s", err, stderr)
	}
	if requests.Load() == 0 {
		t.Fatal("the build never asked the threads API")
	}
	data, err := os.ReadFile(filepath.Join(dir, "public", "02-facilitating", "writing-prompts", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	for _, want := range []string{"HOSTILE-REPLY-1", "HOSTILE-REPLY-2", "STYLED-TEXT", `<a href="https://good.example/x" rel="nofollow noopener ugc">GOOD-LINK</a>`, "Mallory"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, bad := range []string{"alert(", "onerror", "onclick", "onload", "onmouseover", "javascript:", "display:none", "color:red",
		"<iframe", "evil.example", "data:image/svg", "ATTACHMENT-ALT"} {
		if strings.Contains(page, bad) {
			i := strings.Index(page, bad)
			t.Errorf("the page has %s: …%s…", bad, page[max(0, i-80):min(len(page), i+80)])
		}
	}
}
