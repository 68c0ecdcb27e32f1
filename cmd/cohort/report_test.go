package main

import (
	"context"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

func init() { scriptCmds["seed-report"] = seedReport }

// seedReport DATA adds to what seed-replies wrote: mia (a moderator)
// answering alice's reply 90 minutes later, and carol replying in the
// cohort's second week.
func seedReport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: seed-report DATA")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ts.MkAbs(args[0]))
	ts.Check(err)
	defer st.Close()
	const alice, mia, carol = "https://mastodon.example/users/alice", "https://mastodon.example/users/mia", "https://mastodon.example/users/carol"
	ts.Check(st.SaveActor(ctx, activitypub.Actor{ID: mia, PreferredUsername: "mia", Name: "Mia", Inbox: mia + "/inbox"}))
	ts.Check(st.SaveActor(ctx, activitypub.Actor{ID: carol, PreferredUsername: "carol", Name: "=Carol", Inbox: carol + "/inbox"}))
	at := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	for _, r := range []activitypub.Reply{
		{ID: mia + "/statuses/10", Actor: mia, InReplyTo: alice + "/statuses/1", Published: at.Add(90 * time.Minute), Content: "<p>welcome</p>"},
		{ID: carol + "/statuses/11", Actor: carol, InReplyTo: "https://course.example.org/lessons/intro", Published: at.Add(8 * 24 * time.Hour), Content: "<p>late</p>"},
	} {
		r.LessonID, r.Visibility = "intro", activitypub.Public
		ts.Check(st.SaveReply(ctx, r))
	}
}
