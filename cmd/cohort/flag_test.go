package main

import (
	"context"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

func init() { scriptCmds["seed-flag"] = seedFlag }

// seedFlag DATA adds to what seed-replies wrote a report from
// mastodon.example's instance actor about bob's held reply, as the inbox
// stores a Mastodon Flag.
func seedFlag(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: seed-flag DATA")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ts.MkAbs(args[0]))
	ts.Check(err)
	defer st.Close()
	const bob = "https://spam.example/users/bob"
	ts.Check(st.SaveFlag(ctx, activitypub.Flag{ID: "https://mastodon.example/0b8e5c", Actor: "https://mastodon.example/actor",
		Content: "Spam links\nin the thread", Objects: []string{bob, bob + "/statuses/2"}, Received: time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)}))
}
