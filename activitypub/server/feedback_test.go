package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub/feedback"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/site"
)

// TestPeerFeedbackLoop plays an assignment through participants on four
// server families: each submits work as a reply to the lesson post; when
// the round ends, each is told by a direct message in their own inbox to
// review two others' work, with the lesson's questions; their reviews are
// replies to the submissions; a follower-only reply is never a submission.
func TestPeerFeedbackLoop(t *testing.T) {
	ctx := context.Background()
	c := startCompanion(t)
	essay := site.ManifestLesson{ID: "essay", Title: "Plan a cohort", URL: "https://site.example/02/essay/", Module: "02", Order: 2,
		Hash: "e1", Assignment: true, Feedback: []string{"What is clear?", "What is missing?"}}
	c.writeManifest(t, intro, essay)
	lesson := c.base + "/lessons/essay"

	type participant struct {
		srv  *mastotest.Server
		user string
	}
	var ps []participant
	for _, name := range []string{"mastodon", "gotosocial", "misskey", "pleroma"} {
		srv := mastotest.NewFamily(t, mastotest.FamilyByName(name))
		actor, _, err := srv.Lookup(ctx, "course", c.domain)
		if err != nil {
			t.Fatal(err)
		}
		srv.Course = actor
		ps = append(ps, participant{srv, "p" + name[:3]})
	}
	inbox := c.base + "/inbox"
	post := func(p participant, body []byte) {
		t.Helper()
		if code, err := p.srv.Post(ctx, p.user, inbox, body); err != nil || code != http.StatusAccepted {
			t.Fatalf("%s: POST %d %v", p.srv.Family().Name, code, err)
		}
	}
	var subs []string
	for _, p := range ps {
		post(p, p.srv.Activity(t, mastotest.ShapeReply, mastotest.Vars{User: p.user, ID: "100", InReplyTo: lesson,
			Content: "My plan by " + p.user, Mention: true}))
		subs = append(subs, p.srv.NoteID(p.user, "100"))
	}

	// Before the round ends nobody is assigned.
	must(t, c.srv.Feedback().Assign(ctx))
	if all, _ := feedback.Submissions(ctx, c.store, "essay", "", lesson); len(all) != 4 || len(all[0].Reviewers) != 0 {
		t.Fatalf("before the round ended: %+v", all)
	}
	// The lesson was released a round ago.
	o, err := c.store.LessonObject(ctx, "essay", "")
	must(t, err)
	o.Published = o.Published.Add(-feedback.RoundLength - time.Minute)
	must(t, c.store.SaveLessonObject(ctx, o))
	must(t, c.srv.Feedback().Assign(ctx))

	all, err := feedback.Submissions(ctx, c.store, "essay", "", lesson)
	must(t, err)
	reviews := map[string][]string{} // reviewer actor → submissions
	pageOf := map[string]string{}    // submission → its page
	for _, s := range all {
		pageOf[s.Reply.ID] = s.Link()
		if len(s.Reviewers) != feedback.Reviewers {
			t.Fatalf("submission %s has %d reviewers", s.Reply.ID, len(s.Reviewers))
		}
		for _, a := range s.Reviewers {
			reviews[a.Reviewer] = append(reviews[a.Reviewer], s.Reply.ID)
		}
	}
	// Each participant is told once, in their own inbox, privately.
	for _, p := range ps {
		actor := p.srv.ActorID(p.user)
		a, err := c.store.Actor(ctx, actor)
		must(t, err)
		var got mastotest.Received
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			for _, r := range p.srv.Received() {
				if r.Type == "Create" && strings.Contains(string(r.Body), "/direct/") {
					got = r
				}
			}
			if got.Body != nil {
				break
			}
		}
		if got.Body == nil {
			t.Fatalf("%s was not told to review", actor)
		}
		if p.srv.Base+got.Path != a.Inbox {
			t.Errorf("%s told at %s, want the personal inbox %s", actor, got.Path, a.Inbox)
		}
		var act struct {
			Object struct {
				To, CC  []string
				Content string
			}
		}
		must(t, json.Unmarshal(got.Body, &act))
		if !slices.Equal(act.Object.To, []string{actor}) || len(act.Object.CC) != 0 {
			t.Errorf("%s: message addressed to %v cc %v", actor, act.Object.To, act.Object.CC)
		}
		for _, sub := range reviews[actor] {
			if !strings.Contains(act.Object.Content, `href="`+pageOf[sub]+`"`) {
				t.Errorf("%s: message does not link %s: %s", actor, sub, act.Object.Content)
			}
		}
		if !strings.Contains(act.Object.Content, "What is missing?") {
			t.Errorf("%s: message lacks the questions: %s", actor, act.Object.Content)
		}
	}

	// Every participant reviews the first of their two.
	for _, p := range ps {
		actor := p.srv.ActorID(p.user)
		post(p, p.srv.Activity(t, mastotest.ShapeReply, mastotest.Vars{User: p.user, ID: "200", InReplyTo: reviews[actor][0],
			Content: "Review by " + p.user, Mention: true}))

	}
	all, err = feedback.Submissions(ctx, c.store, "essay", "", lesson)
	must(t, err)
	got := 0
	for _, s := range all {
		got += len(s.Reviews)
		for _, r := range s.Reviews {
			if r.Actor == s.Reply.Actor {
				t.Errorf("an author's own answer counted as a review of %s", s.Reply.ID)
			}
		}
	}
	if got != len(ps) {
		t.Fatalf("%d reviews counted, want %d", got, len(ps))
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
