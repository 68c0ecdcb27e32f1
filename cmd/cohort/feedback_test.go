package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/feedback"
	"github.com/cohort-course/cohort/activitypub/publish"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

func init() { scriptCmds["seed-feedback"] = seedFeedback }

// seedFeedback DATA puts an assignment lesson "essay", posted two days
// ago, into the store in DATA with submissions by ann, ben, cas and dee
// (in that order), their first round assigned (each told), ben's review of
// ann's work, and eve, who only follows.
func seedFeedback(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: seed-feedback DATA")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ts.MkAbs(args[0]))
	ts.Check(err)
	defer st.Close()
	now := time.Now().UTC()
	post := "https://course.example.org/lessons/essay"
	ts.Check(st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "essay", ObjectID: post, Published: now.Add(-48 * time.Hour), ContentHash: "h"}))
	actor := func(name string) string { return "https://" + name + ".example/users/" + name }
	for _, name := range []string{"ann", "ben", "cas", "dee", "eve"} {
		ts.Check(st.SaveActor(ctx, activitypub.Actor{ID: actor(name), PreferredUsername: name, Inbox: actor(name) + "/inbox"}))
	}
	for i, name := range []string{"ann", "ben", "cas", "dee"} {
		ts.Check(st.SaveReply(ctx, activitypub.Reply{ID: fmt.Sprintf("%s/statuses/%d", actor(name), i+1), LessonID: "essay", InReplyTo: post,
			Actor: actor(name), Published: now.Add(-47*time.Hour + time.Duration(i)*time.Minute), Content: "<p>work</p>", Visibility: activitypub.Public}))
	}
	pub := publish.New(publish.Options{Store: st, URLs: activitypub.URLs{Base: "https://course.example.org"}})
	pub.Keep(&site.Manifest{Lessons: []site.ManifestLesson{{ID: "essay", Title: "Essay", Assignment: true, Hash: "h"}}})
	ts.Check(feedback.New(feedback.Options{Store: st, Send: pub, Manifest: pub.Manifest}).Assign(ctx))
	ts.Check(st.SaveReply(ctx, activitypub.Reply{ID: actor("ben") + "/statuses/9", LessonID: "essay", InReplyTo: actor("ann") + "/statuses/1",
		Actor: actor("ben"), Published: now.Add(-time.Hour), Content: "<p>review</p>", Visibility: activitypub.Public}))
}
