package main

import (
	"context"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

func init() { scriptCmds["seed-journal"] = seedJournal }

// seedJournal DATA adds a reflection journal participant, alice, with one
// entry (issue 14), as the inbox stores them.
func seedJournal(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: seed-journal DATA")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ts.MkAbs(args[0]))
	ts.Check(err)
	defer st.Close()
	const alice = "https://mastodon.example/users/alice"
	_, err = st.Apply(ctx, "seed-journal", func(tx activitypub.Tx) error {
		if err := tx.SaveJournalParticipant(activitypub.JournalParticipant{ActorID: alice, Handle: "@alice@mastodon.example",
			Inbox: alice + "/inbox", FollowID: "https://course.example/follows/1", Accepted: true}); err != nil {
			return err
		}
		return tx.SaveJournalEntry(activitypub.JournalEntry{ID: alice + "/statuses/j1", Actor: alice,
			Published: time.Date(2026, 9, 2, 10, 0, 0, 0, time.UTC), Content: "<p>I listened more than I spoke. #socialcourse</p>"})
	})
	ts.Check(err)
}
