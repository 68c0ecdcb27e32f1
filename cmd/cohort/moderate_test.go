package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

// scriptCmds are the test scripts' own commands.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"seed-replies": seedReplies,
	"queued":       queued,
}

// seedReplies DATA puts a published lesson "intro" into the store in DATA
// with a follower, alice's shown reply, bob's held one (bob is on
// spam.example) and alice's followers-only one.
func seedReplies(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: seed-replies DATA")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ts.MkAbs(args[0]))
	ts.Check(err)
	defer st.Close()
	const alice, bob = "https://mastodon.example/users/alice", "https://spam.example/users/bob"
	at := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	lesson := "https://course.example.org/lessons/intro"
	ts.Check(st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "intro", ObjectID: lesson, ContentHash: "h"}))
	ts.Check(st.SaveActor(ctx, activitypub.Actor{ID: alice, PreferredUsername: "alice", Inbox: alice + "/inbox"}))
	ts.Check(st.SaveActor(ctx, activitypub.Actor{ID: bob, PreferredUsername: "bob", Inbox: bob + "/inbox"}))
	ts.Check(st.SaveFollower(ctx, activitypub.Follower{ActorID: "https://f.example/users/fan", Inbox: "https://f.example/inbox", FollowID: "f1"}))
	for _, r := range []activitypub.Reply{
		{ID: alice + "/statuses/1", Actor: alice, Published: at, Content: "<p>alice shown</p>", Visibility: activitypub.Public},
		{ID: bob + "/statuses/2", Actor: bob, Published: at.Add(time.Hour), Content: "<p>bob held</p>", Visibility: activitypub.Public, State: activitypub.Held},
		{ID: alice + "/statuses/3", Actor: alice, Published: at.Add(2 * time.Hour), Content: "<p>followers only</p>", Visibility: activitypub.FollowersOnly},
	} {
		r.LessonID, r.InReplyTo = "intro", lesson
		ts.Check(st.SaveReply(ctx, r))
	}
}

// queued DATA TYPE N checks that N deliveries of activities of TYPE
// (Announce, Undo) are queued in the store in DATA.
func queued(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: queued DATA TYPE N")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ts.MkAbs(args[0]))
	ts.Check(err)
	defer st.Close()
	ds, err := st.ClaimDeliveries(ctx, time.Now().Add(time.Hour), 1000)
	ts.Check(err)
	n := 0
	for _, d := range ds {
		if strings.Contains(string(d.Body), `"type":"`+args[1]+`"`) {
			n++
		}
	}
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	if (n == want) == neg {
		ts.Fatalf("%d %s deliveries queued, want %d", n, args[1], want)
	}
	for _, d := range ds { // give them back for later checks
		ts.Check(st.RetryDelivery(ctx, d.ID, time.Time{}, nil))
	}
}
