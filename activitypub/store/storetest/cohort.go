package storetest

import (
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// cohortTests check that a lesson's threads in two cohorts stay apart, and
// the pending follows of a course that approves its followers.
var cohortTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"ThreadPerCohort", testThreadPerCohort},
	{"FeaturesPerCohort", testFeaturesPerCohort},
	{"PendingFollows", testPendingFollows},
}

func testThreadPerCohort(t *testing.T, s activitypub.Store) {
	a := reply(1, alice)
	a.CohortID = "2026-09"
	b := reply(2, bob)
	b.CohortID = "2027-01"
	none := reply(3, bob)
	for _, r := range []activitypub.Reply{a, b, none} {
		must(t, s.SaveReply(ctx, r))
	}
	for cohort, want := range map[string]string{"2026-09": a.ID, "2027-01": b.ID, "": none.ID} {
		got, err := s.Thread(ctx, "intro", cohort)
		if err != nil || len(got) != 1 || got[0].ID != want || got[0].CohortID != cohort {
			t.Errorf("Thread(intro, %q) = %v, %v; want only %s", cohort, got, err, want)
		}
	}
	got, err := s.Reply(ctx, a.ID)
	if err != nil || got.CohortID != "2026-09" {
		t.Errorf("Reply(%s).CohortID = %q, %v; want 2026-09", a.ID, got.CohortID, err)
	}
	list, err := s.Replies(ctx, activitypub.ReplyFilter{LessonID: "intro", CohortID: "2027-01"})
	if err != nil || len(list) != 1 || list[0].ID != b.ID {
		t.Errorf("Replies(intro, 2027-01) = %v, %v; want only %s", list, err, b.ID)
	}
}

func testFeaturesPerCohort(t *testing.T, s activitypub.Store) {
	a := reply(1, alice)
	a.CohortID = "2026-09"
	b := reply(2, bob)
	b.CohortID = "2027-01"
	must(t, s.SaveReply(ctx, a))
	must(t, s.SaveReply(ctx, b))
	for _, r := range []activitypub.Reply{a, b} {
		f, err := s.FeatureReply(ctx, r.ID, activitypub.AuditEntry{Who: "ann", Action: activitypub.ActionFeature, Target: r.ID})
		if err != nil || f.Position != 1 || f.CohortID != r.CohortID {
			t.Errorf("FeatureReply(%s) = %+v, %v; want position 1 in cohort %s", r.ID, f, err, r.CohortID)
		}
	}
	fs, err := s.Features(ctx, "intro", "2027-01")
	if err != nil || len(fs) != 1 || fs[0].ReplyID != b.ID {
		t.Errorf("Features(intro, 2027-01) = %+v, %v; want only %s", fs, err, b.ID)
	}
	if fs, err := s.Features(ctx, "intro", ""); err != nil || len(fs) != 0 {
		t.Errorf("Features(intro, \"\") = %+v, %v; want none", fs, err)
	}
	if _, err := s.UnfeatureReply(ctx, a.ID, activitypub.AuditEntry{Who: "ann", Action: activitypub.ActionUnfeature, Target: a.ID}); err != nil {
		t.Fatal(err)
	}
	fs, err = s.Features(ctx, "intro", "2027-01")
	if err != nil || len(fs) != 1 || fs[0].Position != 1 {
		t.Errorf("unfeaturing in one cohort moved the other's: %+v, %v", fs, err)
	}
}

func testPendingFollows(t *testing.T, s activitypub.Store) {
	empty, err := s.PendingFollows(ctx)
	if err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("PendingFollows of none = %v, %v; want an empty list", empty, err)
	}
	_, err = s.RemovePendingFollow(ctx, alice)
	wantErr(t, "RemovePendingFollow of none", err, activitypub.ErrNotFound)
	first := activitypub.PendingFollow{ActorID: bob, Handle: "@bob@other.example", Inbox: "https://other.example/inbox", FollowID: bob + "#f1", Requested: base}
	must(t, s.SavePendingFollow(ctx, first))
	must(t, s.SavePendingFollow(ctx, activitypub.PendingFollow{ActorID: alice, Inbox: "https://mastodon.example/inbox", FollowID: alice + "#f", Requested: base.Add(time.Minute)}))
	again := first
	again.FollowID, again.Requested = bob+"#f2", base.Add(time.Hour) // a re-sent Follow keeps its place
	must(t, s.SavePendingFollow(ctx, again))
	list, err := s.PendingFollows(ctx)
	if err != nil || len(list) != 2 || list[0].ActorID != bob || list[0].FollowID != bob+"#f2" || !list[0].Requested.Equal(base) || list[1].ActorID != alice {
		t.Fatalf("PendingFollows = %+v, %v; want bob (re-sent, first place) then alice", list, err)
	}
	got, err := s.RemovePendingFollow(ctx, bob)
	if err != nil || got.ActorID != bob || got.Inbox != first.Inbox || got.Handle != first.Handle {
		t.Errorf("RemovePendingFollow(bob) = %+v, %v", got, err)
	}
	if list, _ := s.PendingFollows(ctx); len(list) != 1 || list[0].ActorID != alice {
		t.Errorf("after removing bob: %+v; want alice only", list)
	}
}
