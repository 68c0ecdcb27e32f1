package site

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const feedbackPage = "03-reflection/peer-feedback/index.html"

// assignmentThread is the peer-feedback lesson's discussion: three
// submissions, reviews under two of them, an author answering a review of
// their own work, and a second top-level reply by one author (not a second
// submission).
func assignmentThread() *Thread {
	alice := Author{Name: "Alice Example", Handle: "@alice@mastodon.example", URL: "https://mastodon.example/@alice"}
	bob := Author{Name: "Bob", Handle: "@bob@social.example", URL: "https://social.example/@bob"}
	carol := Author{Name: "Carol", Handle: "@carol@gts.example", URL: "https://gts.example/@carol"}
	reply := func(a Author, n, when, content string, replies ...*Reply) *Reply {
		return &Reply{ID: a.URL + "/" + n, URL: a.URL + "/" + n, Author: a, Published: at(when), Content: "<p>" + content + "</p>",
			Attachments: []Attachment{}, Replies: append([]*Reply{}, replies...)}
	}
	return &Thread{Lesson: "peer-feedback", Object: "https://course.example.org/lessons/peer-feedback", Count: 9, Replies: []*Reply{
		reply(alice, "4", "2026-09-23T09:00:00Z", "One more thought on my own welcome post."),
		reply(carol, "3", "2026-09-22T11:00:00Z", "My weekly summary; is it too long?"),
		reply(bob, "2", "2026-09-22T10:00:00Z", "My first prompt. Is the question open enough?",
			reply(alice, "21", "2026-09-23T08:00:00Z", "It is open, and the example helps.")),
		reply(alice, "1", "2026-09-22T09:00:00Z", "My welcome post. Please look at the tone.",
			reply(bob, "11", "2026-09-23T10:00:00Z", "Warm and short; the second paragraph could go.",
				reply(alice, "12", "2026-09-23T11:00:00Z", "Thanks, I will cut it.")),
			reply(carol, "13", "2026-09-23T12:00:00Z", "The tone works; say what to do first.")),
	}}
}

// TestAssignmentGolden builds the example course after the peer-feedback
// lesson opened, with its thread, and compares the page with
// testdata/golden/assignment__peer-feedback.html; then checks what a reader
// must see whatever the markup: the questions, each author's first reply
// marked as a submission, peers' answers to it marked as reviews, and no
// mark on an author's own answer or second reply.
func TestAssignmentGolden(t *testing.T) {
	dir := threadCourse(t)
	d := &tableDiscussion{threads: map[string]*Thread{"peer-feedback": assignmentThread()}}
	now := func() time.Time { return time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC) }
	b := NewBuilder(Options{Source: dir, Out: filepath.Join(dir, "public"), Discussion: d, Now: now})
	if _, err := b.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	page := readFile(t, filepath.Join(dir, "public", feedbackPage))
	golden := filepath.Join("testdata", "golden", "assignment__peer-feedback.html")
	if *update {
		if err := os.WriteFile(golden, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	} else if d := lineDiff(readFile(t, golden), page); d != "" {
		t.Errorf("%s differs from %s (-want +got):\n%s", feedbackPage, golden, d)
	}
	sec := discussionSection(t, page)
	if !strings.Contains(sec, "Which part would you change first, and how?") {
		t.Error("the feedback questions are not on the page")
	}
	// The opening tag of each reply, by the start of its id.
	mark := func(id string) string {
		i := strings.Index(sec, `data-id="`+id+`"`)
		if i < 0 {
			t.Fatalf("reply %s not on the page", id)
		}
		j := strings.LastIndex(sec[:i], "<li ")
		return sec[j:i]
	}
	for id, want := range map[string]string{
		"https://mastodon.example/@alice/1":  "reply-submission",
		"https://social.example/@bob/2":      "reply-submission",
		"https://gts.example/@carol/3":       "reply-submission",
		"https://mastodon.example/@alice/4":  "",
		"https://social.example/@bob/11":     "reply-review",
		"https://gts.example/@carol/13":      "reply-review",
		"https://mastodon.example/@alice/21": "reply-review",
		"https://mastodon.example/@alice/12": "",
	} {
		got := mark(id)
		for _, m := range []string{"reply-submission", "reply-review"} {
			if strings.Contains(got, m) != (m == want) {
				t.Errorf("reply %s: %q, want only %q", id, got, want)
			}
		}
	}
	// The page's own badges, not the live script's empty reply template's.
	built, _, _ := strings.Cut(sec, `<template id="reply-template">`)
	if n := strings.Count(built, `class="badge badge-review"`); n != 3 {
		t.Errorf("%d review badges, want 3", n)
	}
}
