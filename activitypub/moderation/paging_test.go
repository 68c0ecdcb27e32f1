package moderation_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// walk follows a paged view from path by the link with rel (the page's
// "next" or "prev"), collecting what pick finds on each page, until a page
// has no such link. It fails past max pages, so a loop cannot hang.
func walk(e *env, path, rel string, pick *regexp.Regexp, max int) (items []string, pages int, last string) {
	e.t.Helper()
	link := regexp.MustCompile(`href="([^"]+)" rel="` + rel + `"`)
	for path != "" {
		if pages++; pages > max {
			e.t.Fatalf("more than %d pages walking %s", max, rel)
		}
		resp, body := e.do("GET", path, nil)
		if resp.StatusCode != http.StatusOK {
			e.t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
		for _, m := range pick.FindAllStringSubmatch(body, -1) {
			items = append(items, m[1])
		}
		last, path = path, ""
		if m := link.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	return items, pages, last
}

// TestPagedFollowRequests: 120 follow requests, several at the same
// moment, are shown 50 a page, oldest first; "Newer requests" walks through
// them all once each, and "Older requests" walks back to the first.
func TestPagedFollowRequests(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var want []string
	for i := range 120 {
		a := fmt.Sprintf("https://crowd.example/users/u%03d", i)
		want = append(want, a)
		must(t, e.store.SavePendingFollow(ctx, activitypub.PendingFollow{ActorID: a, Inbox: "https://crowd.example/inbox",
			FollowID: a + "#follow", Requested: start.Add(time.Duration(i/3) * time.Minute)}))
	}
	e.login()
	pick := regexp.MustCompile(`name="actor" value="([^"]+)"`)
	got, pages, last := walk(e, "/moderate/follows", "next", pick, 10)
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("walking newer: %d requests on %d pages, want all %d in order on 3", len(got), pages, len(want))
	}
	back, pages, _ := walk(e, last, "prev", pick, 10)
	if pages != 3 || !slices.Equal(back[len(back)-50:], want[:50]) || !slices.Equal(back[:20], want[100:]) {
		t.Fatalf("walking older from the last page: %d requests on %d pages", len(back), pages)
	}
	if resp, _ := e.do("GET", "/moderate/follows?after=garbage", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a bad page link: %d, want 400", resp.StatusCode)
	}
}

// TestPagedThread: a lesson's thread of 250 public replies (and the two the
// test course has) is shown 100 a page, newest first; "Older replies" walks
// through all of them once each and "Newer replies" walks back.
func TestPagedThread(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 250 {
		must(t, e.store.SaveReply(ctx, activitypub.Reply{ID: fmt.Sprintf("%s/statuses/p%03d", alice, i), Actor: alice, LessonID: "intro",
			InReplyTo: e.base + "/lessons/intro", Published: start.Add(time.Duration(i/2) * time.Second),
			Content: fmt.Sprintf("<p>paged %03d</p>", i), Visibility: activitypub.Public}))
	}
	want := []string{}
	for i := 249; i >= 0; i-- {
		want = append(want, fmt.Sprintf("%s/statuses/p%03d", alice, i))
	}
	want = append(want, bob+"/statuses/2", alice+"/statuses/1") // before start, newest first
	e.login()
	pick := regexp.MustCompile(`name="reply" value="([^"]+)"`)
	got, pages, last := walk(e, "/moderate/lessons/intro", "next", pick, 10)
	got = slices.Compact(got) // each reply has several forms
	if !slices.Equal(got, want) || pages != 3 {
		t.Fatalf("walking older: %d replies on %d pages, want all %d newest first on 3", len(got), pages, len(want))
	}
	back, pages, _ := walk(e, last, "prev", pick, 10)
	back = slices.Compact(back)
	if pages != 3 || len(back) != len(want) || !slices.Equal(back[len(back)-100:], want[:100]) {
		t.Fatalf("walking newer from the last page: %d replies on %d pages", len(back), pages)
	}
}
