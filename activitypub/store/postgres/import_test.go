package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/postgres"
	"github.com/cohort-course/cohort/activitypub/store/postgres/pgtest"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

const (
	alice  = "https://mastodon.example/users/alice"
	bob    = "https://other.example/users/bob"
	object = "https://course.example.org/lessons/intro"
)

var base = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// seed fills a SQLite store with at least one row of every table, through
// the Store, as a course that ran for a while would have them.
func seed(t *testing.T, s *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	for i := range 3 {
		r := activitypub.Reply{ID: fmt.Sprintf("%s/statuses/%d", alice, i), LessonID: "intro", CohortID: "2026-09", InReplyTo: object,
			Actor: alice, URL: fmt.Sprintf("https://mastodon.example/@alice/%d", i), Published: base.Add(time.Duration(i) * time.Minute),
			Content: fmt.Sprintf("<p>reply %d</p>", i), Sensitive: i == 1, Visibility: activitypub.Public,
			Attachments: []activitypub.Attachment{{URL: "https://files.example/a.png", MediaType: "image/png", Alt: "a cat"}}}
		if i == 2 {
			r.Updated = r.Published.Add(time.Hour)
		}
		must(t, s.SaveReply(ctx, r))
	}
	must(t, s.DeleteReply(ctx, alice+"/statuses/2"))
	must(t, s.SaveFollower(ctx, activitypub.Follower{ActorID: alice, Inbox: "https://mastodon.example/inbox", FollowID: alice + "/follow", Since: base}))
	must(t, s.SaveFollower(ctx, activitypub.Follower{ActorID: bob, Inbox: bob + "/inbox", FollowID: bob + "/follow", Since: base}))
	must(t, s.SavePendingFollow(ctx, activitypub.PendingFollow{ActorID: "https://third.example/u/c", Handle: "@c@third.example",
		Inbox: "https://third.example/u/c/inbox", FollowID: "https://third.example/f/1", Requested: base}))
	must(t, s.SaveActor(ctx, activitypub.Actor{ID: alice, Type: "Person", Inbox: alice + "/inbox", PreferredUsername: "alice",
		PublicKeyID: alice + "#main-key", PublicKeyPEM: "PEM", Fetched: base}))
	must(t, s.SaveKey(ctx, activitypub.ActorKey{ID: alice + "#main-key", Owner: alice, PEM: "PEM"}))
	must(t, s.SaveReaction(ctx, activitypub.Reaction{ID: bob + "/likes/1", Kind: activitypub.Like, Actor: bob, Object: alice + "/statuses/0"}))
	_, err := s.Apply(ctx, bob+"/delete/1", func(tx activitypub.Tx) error {
		return tx.SaveTombstone(activitypub.Tombstone{ID: bob + "/statuses/9", Actor: bob})
	})
	must(t, err)
	d, err := s.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: object + "#create", Inbox: bob + "/inbox", Body: []byte(`{"type":"Create"}`), NextAttempt: base})
	must(t, err)
	_, err = s.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: object + "#create", Inbox: "https://mastodon.example/inbox", Body: []byte(`{}`), NextAttempt: base.Add(time.Hour)})
	must(t, err)
	_, err = s.ClaimDeliveries(ctx, base, 1) // one claimed when the process stopped
	must(t, err)
	must(t, s.RetryDelivery(ctx, d.ID, base.Add(time.Minute), errors.New("503")))
	must(t, s.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "intro", CohortID: "2026-09", ObjectID: object, Published: base, ContentHash: "h"}))
	_, err = s.KeyPair(ctx, "https://course.example.org/actor", func() (activitypub.Key, error) {
		return activitypub.Key{Owner: "https://course.example.org/actor", ID: "https://course.example.org/actor#main-key", PublicPEM: "PUB", PrivatePEM: "PRIV"}, nil
	})
	must(t, err)
	_, err = s.FeatureReply(ctx, alice+"/statuses/1", activitypub.AuditEntry{Who: "mia", Action: activitypub.ActionFeature, Target: alice + "/statuses/1"})
	must(t, err)
	must(t, s.SaveBlock(ctx, activitypub.Block{Target: "spam.example", Domain: true, Reason: "spam", By: "mia"},
		activitypub.AuditEntry{Who: "mia", Action: activitypub.ActionBlock, Target: "spam.example"}))
	must(t, s.AddModerator(ctx, activitypub.Moderator{Name: "mia", Handle: "@mia@course.example.org", PasswordHash: "$argon2id$x"}))
	must(t, s.CreateSession(ctx, activitypub.Session{IDHash: "h1", Moderator: "mia", Expires: base.Add(24 * time.Hour)}))
	must(t, s.SaveFlag(ctx, activitypub.Flag{ID: "https://other.example/flag/1", Actor: "https://other.example/actor",
		Content: "spam", Objects: []string{alice, alice + "/statuses/0"}}))
	must(t, s.AddLoginFailure(ctx, "mia", base))
	// Moderators' notices (issue 14, the weekly weave).
	if _, err := s.ClaimNotice(ctx, "https://m.example/users/mia", []string{"held:1"}, base, time.Hour); err != nil {
		t.Fatal(err)
	}
	// Issue 14: a direct message and a reviewer.
	must(t, s.SaveDirectNote(ctx, activitypub.DirectNote{ID: "https://course.example.org/direct/1", Recipients: []string{alice},
		Body: []byte(`{"type":"Note"}`), Created: base}))
	must(t, s.SaveFeedbackAssignments(ctx, []activitypub.FeedbackAssignment{{LessonID: "intro", CohortID: "2026-09",
		SubmissionID: alice + "/statuses/0", Submitter: alice, Reviewer: bob, Round: 1, Assigned: base, Notified: true}}))
	// Reflection journals (issue 14): one participant in, one who left.
	_, err = s.Apply(ctx, alice+"/journal/1", func(tx activitypub.Tx) error {
		if err := tx.SaveJournalParticipant(activitypub.JournalParticipant{ActorID: alice, Handle: "@alice@mastodon.example",
			Inbox: alice + "/inbox", FollowID: "https://course.example.org/activities/follow/1", Accepted: true, Joined: base}); err != nil {
			return err
		}
		if err := tx.SaveJournalParticipant(activitypub.JournalParticipant{ActorID: bob, Handle: "@bob@other.example",
			Inbox: bob + "/inbox", FollowID: "https://course.example.org/activities/follow/2", Joined: base, Left: base.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.SaveJournalEntry(activitypub.JournalEntry{ID: alice + "/statuses/j1", Actor: alice, URL: "https://mastodon.example/@alice/j1",
			Published: base, Updated: base.Add(time.Minute), Content: "<p>week one #socialcourse</p>", Sensitive: true,
			Attachments: []activitypub.Attachment{{URL: "https://files.example/b.png", Alt: "a sketch"}}})
	})
	must(t, err)
}

// TestImportSQLite: a course's whole SQLite store moves to PostgreSQL;
// every table's count matches, and what the companion reads through the
// Store is the same on both sides.
func TestImportSQLite(t *testing.T) {
	ctx := context.Background()
	src, err := sqlite.Open(ctx, t.TempDir())
	must(t, err)
	defer src.Close()
	// timestamptz keeps microseconds; SQLite's "now" has nanoseconds, which
	// the move drops. Compare what survives it.
	src.Now = func() time.Time { return time.Now().Truncate(time.Microsecond) }
	seed(t, src)
	dst, err := postgres.Open(ctx, pgtest.URL(t))
	must(t, err)
	defer dst.Close()

	counts, err := dst.ImportSQLite(ctx, src.DB())
	must(t, err)
	for _, c := range counts {
		if c.Source == 0 || c.Source != c.Copied {
			t.Errorf("table %s: %d in the source, %d copied; want every table seeded and copied", c.Table, c.Source, c.Copied)
		}
	}
	if len(counts) != 24 {
		t.Errorf("%d tables copied, want the 24 of the store", len(counts))
	}

	same := func(what string, read func(activitypub.Store) (any, error)) {
		t.Helper()
		a, err := read(src)
		must(t, err)
		b, err := read(dst)
		must(t, err)
		if fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
			t.Errorf("%s:\nsqlite   %+v\npostgres %+v", what, a, b)
		}
	}
	same("thread", func(s activitypub.Store) (any, error) { return s.Thread(ctx, "intro", "2026-09") })
	same("deleted reply", func(s activitypub.Store) (any, error) { return s.Reply(ctx, alice+"/statuses/2") })
	same("followers", func(s activitypub.Store) (any, error) { return s.Followers(ctx, "", 10) })
	same("pending follows", func(s activitypub.Store) (any, error) { return s.PendingFollows(ctx) })
	same("actor by key", func(s activitypub.Store) (any, error) { return s.ActorByKeyID(ctx, alice+"#main-key") })
	same("counts", func(s activitypub.Store) (any, error) { return s.Counts(ctx, []string{alice + "/statuses/0"}) })
	same("seen", func(s activitypub.Store) (any, error) { return s.ActivitySeen(ctx, bob+"/delete/1") })
	same("lesson objects", func(s activitypub.Store) (any, error) { return s.LessonObjects(ctx) })
	same("features", func(s activitypub.Store) (any, error) { return s.Features(ctx, "intro", "2026-09") })
	same("blocks", func(s activitypub.Store) (any, error) { return s.Blocks(ctx) })
	same("moderators", func(s activitypub.Store) (any, error) { return s.Moderators(ctx) })
	same("session", func(s activitypub.Store) (any, error) { return s.Session(ctx, "h1") })
	same("audit log", func(s activitypub.Store) (any, error) { return s.AuditLog(ctx, 0, 10) })
	same("flags", func(s activitypub.Store) (any, error) { return s.Flags(ctx, 10) })
	same("key pair", func(s activitypub.Store) (any, error) {
		return s.KeyPair(ctx, "https://course.example.org/actor", func() (activitypub.Key, error) { return activitypub.Key{}, errors.New("generated again") })
	})
	same("journal participants", func(s activitypub.Store) (any, error) { return s.JournalParticipants(ctx) })
	same("journal entries", func(s activitypub.Store) (any, error) { return s.JournalEntries(ctx, activitypub.JournalFilter{}) })
	same("deliveries due later", func(s activitypub.Store) (any, error) { return s.ClaimDeliveries(ctx, base.Add(2*time.Hour), 10) })

	// Thread changes after the move are numbered above those before it.
	before, err := src.ThreadSeq(ctx, "intro", "2026-09")
	must(t, err)
	cs, err := dst.ThreadChanges(ctx, "intro", "2026-09", before, 100)
	must(t, err)
	if len(cs) != 3 {
		t.Errorf("a reader that saw number %d before the move gets %d changes after it, want the 3 replies again", before, len(cs))
	}

	// The tombstone came along: the deleted post stays out.
	must(t, dst.SaveReply(ctx, activitypub.Reply{ID: bob + "/statuses/9", LessonID: "intro", Actor: bob, Published: base, Visibility: activitypub.Public}))
	if _, err := dst.Reply(ctx, bob+"/statuses/9"); !errors.Is(err, activitypub.ErrNotFound) {
		t.Errorf("a tombstoned post came back after the move: %v", err)
	}
	// New ids continue after the copied ones.
	e, err := dst.AppendAudit(ctx, activitypub.AuditEntry{Who: "mia", Action: activitypub.ActionLogin})
	must(t, err)
	if e.ID != 3 {
		t.Errorf("first audit entry after the move has id %d, want 3", e.ID)
	}
	d, err := dst.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: object + "#update", Inbox: bob + "/inbox", Body: []byte("{}")})
	must(t, err)
	if d.ID != 3 {
		t.Errorf("first delivery after the move has id %d, want 3", d.ID)
	}

	// A second copy into a store that holds something is refused.
	if _, err := dst.ImportSQLite(ctx, src.DB()); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second import: err = %v, want not empty", err)
	}
}
