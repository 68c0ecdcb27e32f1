// Package storetest is the suite every activitypub.Store passes: the SQLite
// store and the PostgreSQL one. Each test checks one documented behaviour
// of the Store interface, including what happens when an item is missing
// or already there; RunConcurrent adds tests with several Stores on one
// database, as several processes would share it. It is a library for
// _test files, not a fake store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// Run runs the suite. open must return a new, empty store for each call; Run
// closes it.
func Run(t *testing.T, open func(t *testing.T) activitypub.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s activitypub.Store)
	}{
		{"ReplyRoundTrip", testReplyRoundTrip},
		{"ReplyMissing", testReplyMissing},
		{"ReplyEditKeepsNewest", testReplyEditKeepsNewest},
		{"ReplyTombstoneIsFinal", testReplyTombstoneIsFinal},
		{"DeleteReplyMissing", testDeleteReplyMissing},
		{"ThreadPublicOnlyInOrder", testThreadPublicOnlyInOrder},
		{"ThreadEmpty", testThreadEmpty},
		{"ParallelSaveReply", testParallelSaveReply},
		{"Followers", testFollowers},
		{"Actors", testActors},
		{"Reactions", testReactions},
		{"DeliveryQueue", testDeliveryQueue},
		{"DeliveryClaimConcurrent", testDeliveryClaimConcurrent},
		{"LessonObjects", testLessonObjects},
		{"KeyPair", testKeyPair},
		{"DeleteActorContent", testDeleteActorContent},
	}
	tests = append(tests, moderationTests...)
	tests = append(tests, cohortTests...)
	tests = append(tests, txTests...)
	tests = append(tests, pagingTests...)
	tests = append(tests, claimTests...)
	tests = append(tests, longTests...)
	tests = append(tests, threadChangeTests...)
	tests = append(tests, opsTests...)
	tests = append(tests, loginThrottleTests...)
	tests = append(tests, directTests...)
	tests = append(tests, noticeTests...)
	tests = append(tests, feedbackTests...)
	tests = append(tests, journalTests...) // issue 14
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
	t.Run("ArchiveRoundTrip", func(t *testing.T) { testArchiveRoundTrip(t, open) })
}

var (
	ctx  = context.Background()
	base = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
)

const (
	alice  = "https://mastodon.example/users/alice"
	bob    = "https://other.example/users/bob"
	lesson = "https://course.example.org/lessons/intro"
)

func reply(n int, actor string) activitypub.Reply {
	return activitypub.Reply{
		ID:          fmt.Sprintf("%s/statuses/%d", actor, n),
		LessonID:    "intro",
		InReplyTo:   lesson,
		Actor:       actor,
		URL:         fmt.Sprintf("%s/@x/%d", actor, n),
		Published:   base.Add(time.Duration(n) * time.Minute),
		Content:     fmt.Sprintf("<p>reply %d</p>", n),
		Summary:     "cw",
		Sensitive:   n%2 == 0,
		Attachments: []activitypub.Attachment{{URL: "https://files.example/a.png", MediaType: "image/png", Alt: "a cat"}},
		Visibility:  activitypub.Public,
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func equalReply(t *testing.T, got, want activitypub.Reply) {
	t.Helper()
	if got.ID != want.ID || got.LessonID != want.LessonID || got.InReplyTo != want.InReplyTo || got.Actor != want.Actor ||
		got.URL != want.URL || !got.Published.Equal(want.Published) || !got.Updated.Equal(want.Updated) ||
		got.Content != want.Content || got.Summary != want.Summary || got.Sensitive != want.Sensitive ||
		got.Visibility != want.Visibility || got.Deleted != want.Deleted || fmt.Sprint(got.Attachments) != fmt.Sprint(want.Attachments) {
		t.Fatalf("reply =\n%+v\nwant\n%+v", got, want)
	}
}

func testReplyRoundTrip(t *testing.T, s activitypub.Store) {
	r := reply(1, alice)
	must(t, s.SaveReply(ctx, r))
	got, err := s.Reply(ctx, r.ID)
	must(t, err)
	equalReply(t, got, r)
	must(t, s.SaveReply(ctx, r)) // the same reply again is not a duplicate
}

func testReplyMissing(t *testing.T, s activitypub.Store) {
	_, err := s.Reply(ctx, "https://nowhere.example/1")
	wantErr(t, "Reply of a missing id", err, activitypub.ErrNotFound)
}

func testReplyEditKeepsNewest(t *testing.T, s activitypub.Store) {
	r := reply(1, alice)
	must(t, s.SaveReply(ctx, r))
	edit := r
	edit.Content, edit.Updated = "<p>edited</p>", r.Published.Add(time.Hour)
	must(t, s.SaveReply(ctx, edit))
	stale := r
	stale.Content, stale.Updated = "<p>older edit, arrived late</p>", r.Published.Add(time.Minute)
	must(t, s.SaveReply(ctx, stale))
	must(t, s.SaveReply(ctx, r)) // a replayed Create
	got, err := s.Reply(ctx, r.ID)
	must(t, err)
	equalReply(t, got, edit)
}

func testReplyTombstoneIsFinal(t *testing.T, s activitypub.Store) {
	r := reply(1, alice)
	must(t, s.SaveReply(ctx, r))
	must(t, s.DeleteReply(ctx, r.ID))
	must(t, s.DeleteReply(ctx, r.ID)) // deleting twice is fine
	late := r
	late.Updated = r.Published.Add(time.Hour)
	must(t, s.SaveReply(ctx, late))
	got, err := s.Reply(ctx, r.ID)
	must(t, err)
	if !got.Deleted || got.Content != "" || got.Summary != "" || len(got.Attachments) != 0 {
		t.Fatalf("after Delete and a late Update: %+v", got)
	}
}

func testDeleteReplyMissing(t *testing.T, s activitypub.Store) {
	wantErr(t, "DeleteReply of a missing id", s.DeleteReply(ctx, "https://nowhere.example/1"), activitypub.ErrNotFound)
}

func testThreadPublicOnlyInOrder(t *testing.T, s activitypub.Store) {
	var want []string
	for i, v := range []activitypub.Visibility{activitypub.Public, activitypub.FollowersOnly, activitypub.Unlisted, activitypub.Direct, activitypub.Public} {
		r := reply(10-i, alice) // saved newest first
		r.Visibility = v
		must(t, s.SaveReply(ctx, r))
		if v.Listable() && i != 4 {
			want = append([]string{r.ID}, want...)
		}
		if i == 4 {
			must(t, s.DeleteReply(ctx, r.ID))
		}
	}
	other := reply(1, bob)
	other.LessonID = "other-lesson"
	must(t, s.SaveReply(ctx, other))
	same := reply(8, bob) // same time as alice's 8: ordered by id after it
	must(t, s.SaveReply(ctx, same))
	want = append(want[:1], append([]string{same.ID}, want[1:]...)...)
	got, err := s.Thread(ctx, "intro", "")
	must(t, err)
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("Thread =\n%q\nwant\n%q", ids, want)
	}
}

func testThreadEmpty(t *testing.T, s activitypub.Store) {
	got, err := s.Thread(ctx, "no-such-lesson", "")
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("Thread of an empty lesson = %v, %v; want an empty list", got, err)
	}
}

func testParallelSaveReply(t *testing.T, s activitypub.Store) {
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				errs <- s.SaveReply(ctx, reply(w*each+i, alice))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	got, err := s.Thread(ctx, "intro", "")
	must(t, err)
	if len(got) != workers*each {
		t.Fatalf("%d replies in the thread, want %d", len(got), workers*each)
	}
}

func testFollowers(t *testing.T, s activitypub.Store) {
	n, err := s.FollowerCount(ctx)
	must(t, err)
	if n != 0 {
		t.Fatalf("empty store has %d followers", n)
	}
	for i := range 5 {
		must(t, s.SaveFollower(ctx, activitypub.Follower{
			ActorID: fmt.Sprintf("https://mastodon.example/users/u%d", i), Inbox: "https://mastodon.example/inbox",
			FollowID: fmt.Sprintf("https://mastodon.example/f/%d", i), Since: base,
		}))
	}
	must(t, s.SaveFollower(ctx, activitypub.Follower{ActorID: bob, Inbox: bob + "/inbox", FollowID: "https://other.example/f/1", Since: base}))
	// A re-sent Follow updates, never duplicates.
	must(t, s.SaveFollower(ctx, activitypub.Follower{ActorID: bob, Inbox: "https://other.example/inbox", FollowID: "https://other.example/f/2", Since: base.Add(time.Hour)}))
	n, err = s.FollowerCount(ctx)
	must(t, err)
	if n != 6 {
		t.Fatalf("FollowerCount = %d, want 6", n)
	}
	var all []activitypub.Follower
	for after := ""; ; {
		page, err := s.Followers(ctx, after, 4)
		must(t, err)
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].ActorID
	}
	if len(all) != 6 {
		t.Fatalf("paging gave %d followers, want 6", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].ActorID >= all[i].ActorID {
			t.Fatalf("followers out of order: %q then %q", all[i-1].ActorID, all[i].ActorID)
		}
	}
	for _, f := range all {
		if f.ActorID == bob && (f.FollowID != "https://other.example/f/2" || f.Inbox != "https://other.example/inbox") {
			t.Fatalf("re-sent Follow not applied: %+v", f)
		}
	}
	inboxes, err := s.FollowerInboxes(ctx)
	must(t, err)
	if fmt.Sprint(inboxes) != "[https://mastodon.example/inbox https://other.example/inbox]" {
		t.Fatalf("FollowerInboxes = %q", inboxes)
	}
	must(t, s.RemoveFollower(ctx, bob))
	wantErr(t, "RemoveFollower twice", s.RemoveFollower(ctx, bob), activitypub.ErrNotFound)
}

func testActors(t *testing.T, s activitypub.Store) {
	_, err := s.Actor(ctx, alice)
	wantErr(t, "Actor of a missing id", err, activitypub.ErrNotFound)
	_, err = s.ActorByKeyID(ctx, alice+"#main-key")
	wantErr(t, "ActorByKeyID of a missing key", err, activitypub.ErrNotFound)
	a := activitypub.Actor{ID: alice, Type: "Person", Inbox: alice + "/inbox", SharedInbox: "https://mastodon.example/inbox",
		Followers: alice + "/followers", PreferredUsername: "alice", Name: "Alice", IconURL: "https://files.example/a.png",
		URL: "https://mastodon.example/@alice", PublicKeyID: alice + "#main-key", PublicKeyPEM: "PEM", Fetched: base}
	must(t, s.SaveActor(ctx, a))
	a.Name, a.PublicKeyPEM, a.Fetched = "Alice B.", "NEW PEM", base.Add(time.Hour)
	must(t, s.SaveActor(ctx, a)) // a refetch replaces
	got, err := s.Actor(ctx, alice)
	must(t, err)
	if got.Name != a.Name || got.PublicKeyPEM != "NEW PEM" || !got.Fetched.Equal(a.Fetched) || got.SharedInbox != a.SharedInbox || got.Handle() != "@alice@mastodon.example" {
		t.Fatalf("Actor = %+v", got)
	}
	_, err = s.ActorByKeyID(ctx, alice+"#main-key")
	wantErr(t, "ActorByKeyID of a key the actor names but nobody verified", err, activitypub.ErrNotFound)
	must(t, s.SaveKey(ctx, activitypub.ActorKey{ID: alice + "#main-key", Owner: alice, PEM: "NEW PEM"}))
	byKey, err := s.ActorByKeyID(ctx, alice+"#main-key")
	must(t, err)
	if byKey.ID != alice || byKey.PublicKeyID != alice+"#main-key" || byKey.PublicKeyPEM != "NEW PEM" {
		t.Fatalf("ActorByKeyID = %+v", byKey)
	}

	// Another actor that claims the same key id, and is saved later, does
	// not take it over: only a verified binding (SaveKey) names the owner.
	mallory := "https://mastodon.example/users/mallory"
	must(t, s.SaveActor(ctx, activitypub.Actor{ID: mallory, Type: "Person", Inbox: mallory + "/inbox",
		PublicKeyID: alice + "#main-key", PublicKeyPEM: "EVIL", Fetched: base.Add(2 * time.Hour),
		Keys: []activitypub.ActorKey{{ID: alice + "#main-key", Owner: mallory, PEM: "EVIL"}}}))
	byKey, err = s.ActorByKeyID(ctx, alice+"#main-key")
	must(t, err)
	if byKey.ID != alice || byKey.PublicKeyPEM != "NEW PEM" {
		t.Fatalf("ActorByKeyID after a later claim = %+v", byKey)
	}

	// A refetch of the actor whose document no longer lists the key drops
	// the binding; a refetch that keeps it keeps it.
	a.Keys = []activitypub.ActorKey{{ID: alice + "#main-key", Owner: alice, PEM: "NEW PEM"}}
	must(t, s.SaveActor(ctx, a))
	if _, err := s.ActorByKeyID(ctx, alice+"#main-key"); err != nil {
		t.Fatalf("binding lost on a refetch that lists the key: %v", err)
	}
	a.Keys = []activitypub.ActorKey{{ID: alice + "#new-key", Owner: alice, PEM: "NEWER"}}
	must(t, s.SaveActor(ctx, a))
	_, err = s.ActorByKeyID(ctx, alice+"#main-key")
	wantErr(t, "ActorByKeyID of a key the actor dropped", err, activitypub.ErrNotFound)

	// A deleted account's keys go with it.
	must(t, s.SaveKey(ctx, activitypub.ActorKey{ID: alice + "#new-key", Owner: alice, PEM: "NEWER"}))
	must(t, s.DeleteActorContent(ctx, alice))
	_, err = s.ActorByKeyID(ctx, alice+"#new-key")
	wantErr(t, "ActorByKeyID after the account was deleted", err, activitypub.ErrNotFound)
}

func testReactions(t *testing.T, s activitypub.Store) {
	like := activitypub.Reaction{ID: alice + "#likes/1", Kind: activitypub.Like, Actor: alice, Object: lesson}
	must(t, s.SaveReaction(ctx, like))
	wantErr(t, "the same Like again", s.SaveReaction(ctx, like), activitypub.ErrDuplicate)
	again := like
	again.ID = alice + "#likes/2"
	wantErr(t, "a second Like by the same actor", s.SaveReaction(ctx, again), activitypub.ErrDuplicate)
	must(t, s.SaveReaction(ctx, activitypub.Reaction{ID: bob + "#likes/1", Kind: activitypub.Like, Actor: bob, Object: lesson}))
	must(t, s.SaveReaction(ctx, activitypub.Reaction{ID: bob + "/boosts/1", Kind: activitypub.Announce, Actor: bob, Object: lesson}))
	counts, err := s.Counts(ctx, []string{lesson, "https://nowhere.example/x"})
	must(t, err)
	if counts[lesson] != (activitypub.Counts{Likes: 2, Announces: 1}) || len(counts) != 1 {
		t.Fatalf("Counts = %+v", counts)
	}
	must(t, s.RemoveReaction(ctx, activitypub.Reaction{ID: like.ID, Actor: alice}))
	must(t, s.RemoveReaction(ctx, activitypub.Reaction{Kind: activitypub.Announce, Actor: bob, Object: lesson}))
	wantErr(t, "RemoveReaction twice", s.RemoveReaction(ctx, activitypub.Reaction{ID: like.ID, Actor: alice}), activitypub.ErrNotFound)
	counts, err = s.Counts(ctx, []string{lesson})
	must(t, err)
	if counts[lesson] != (activitypub.Counts{Likes: 1}) {
		t.Fatalf("Counts after Undo = %+v", counts)
	}
	empty, err := s.Counts(ctx, nil)
	if err != nil || len(empty) != 0 {
		t.Fatalf("Counts(nil) = %v, %v", empty, err)
	}
}

func testDeliveryQueue(t *testing.T, s activitypub.Store) {
	d1, err := s.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: lesson + "/activity", Inbox: "https://mastodon.example/inbox", Body: []byte(`{"a":1}`), NextAttempt: base})
	must(t, err)
	if d1.ID == 0 || d1.Created.IsZero() {
		t.Fatalf("EnqueueDelivery = %+v", d1)
	}
	_, err = s.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: lesson + "/activity", Inbox: "https://mastodon.example/inbox", Body: []byte(`{}`)})
	wantErr(t, "the same activity to the same inbox", err, activitypub.ErrDuplicate)
	d2, err := s.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: lesson + "/activity", Inbox: "https://other.example/inbox", Body: []byte(`{"a":1}`), NextAttempt: base.Add(time.Hour)})
	must(t, err)

	got, err := s.ClaimDeliveries(ctx, base, 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != d1.ID || got[0].Attempts != 1 || string(got[0].Body) != `{"a":1}` {
		t.Fatalf("first claim = %+v", got)
	}
	got, err = s.ClaimDeliveries(ctx, base.Add(time.Minute), 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("a claimed delivery was claimed again inside its lease: %+v", got)
	}
	got, err = s.ClaimDeliveries(ctx, base.Add(activitypub.DeliveryLease), 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != d1.ID || got[0].Attempts != 2 {
		t.Fatalf("after the lease ran out = %+v", got)
	}
	next := base.Add(30 * time.Minute)
	must(t, s.RetryDelivery(ctx, d1.ID, next, errors.New("503 from mastodon.example")))
	got, err = s.ClaimDeliveries(ctx, next.Add(-time.Second), 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("claimed before its backoff: %+v", got)
	}
	got, err = s.ClaimDeliveries(ctx, base.Add(2*time.Hour), 1)
	must(t, err)
	if len(got) != 1 || got[0].ID != d1.ID || got[0].LastError != "503 from mastodon.example" || got[0].Attempts != 3 {
		t.Fatalf("limit 1 should claim the longest due first: %+v", got)
	}
	got, err = s.ClaimDeliveries(ctx, base.Add(2*time.Hour), 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != d2.ID {
		t.Fatalf("second delivery = %+v", got)
	}
	must(t, s.CompleteDelivery(ctx, d1.ID))
	wantErr(t, "CompleteDelivery twice", s.CompleteDelivery(ctx, d1.ID), activitypub.ErrNotFound)
	wantErr(t, "RetryDelivery of a completed one", s.RetryDelivery(ctx, d1.ID, next, errors.New("x")), activitypub.ErrNotFound)
}

func testDeliveryClaimConcurrent(t *testing.T, s activitypub.Store) {
	const n = 60
	for i := range n {
		_, err := s.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: fmt.Sprintf("%s/a/%d", lesson, i), Inbox: "https://mastodon.example/inbox", Body: []byte("{}"), NextAttempt: base})
		must(t, err)
	}
	var (
		mu      sync.Mutex
		claimed = map[int64]int{}
		wg      sync.WaitGroup
	)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimDeliveries(ctx, base, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					claimed[d.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(claimed) != n {
		t.Fatalf("%d deliveries claimed, want %d", len(claimed), n)
	}
	for id, c := range claimed {
		if c != 1 {
			t.Fatalf("delivery %d claimed %d times", id, c)
		}
	}
}

func testLessonObjects(t *testing.T, s activitypub.Store) {
	_, err := s.LessonObject(ctx, "intro", "")
	wantErr(t, "LessonObject of a missing lesson", err, activitypub.ErrNotFound)
	_, err = s.LessonObjectByID(ctx, lesson)
	wantErr(t, "LessonObjectByID of a missing object", err, activitypub.ErrNotFound)
	o := activitypub.LessonObject{LessonID: "intro", CohortID: "2026-09", ObjectID: lesson, Published: base, ContentHash: "h1"}
	must(t, s.SaveLessonObject(ctx, o))
	o.Updated, o.ContentHash = base.Add(time.Hour), "h2"
	must(t, s.SaveLessonObject(ctx, o)) // a changed lesson replaces
	got, err := s.LessonObject(ctx, "intro", "2026-09")
	must(t, err)
	if got != o && !(got.ObjectID == o.ObjectID && got.ContentHash == "h2" && got.Updated.Equal(o.Updated) && got.Published.Equal(o.Published)) {
		t.Fatalf("LessonObject = %+v", got)
	}
	byID, err := s.LessonObjectByID(ctx, lesson)
	must(t, err)
	if byID.LessonID != "intro" || byID.CohortID != "2026-09" {
		t.Fatalf("LessonObjectByID = %+v", byID)
	}
	clash := activitypub.LessonObject{LessonID: "other", CohortID: "2026-09", ObjectID: lesson, Published: base}
	wantErr(t, "another lesson with the same object id", s.SaveLessonObject(ctx, clash), activitypub.ErrDuplicate)
	must(t, s.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "first", ObjectID: lesson + "-0", Published: base.Add(-time.Hour)}))
	all, err := s.LessonObjects(ctx)
	must(t, err)
	if len(all) != 2 || all[0].LessonID != "first" || all[1].LessonID != "intro" {
		t.Fatalf("LessonObjects = %+v", all)
	}
}

func testKeyPair(t *testing.T, s activitypub.Store) {
	const owner = "https://course.example.org/actor"
	calls := 0
	gen := func() (activitypub.Key, error) {
		calls++
		return activitypub.Key{Owner: owner, ID: owner + "#main-key", PublicPEM: fmt.Sprintf("PUB%d", calls), PrivatePEM: fmt.Sprintf("PRIV%d", calls)}, nil
	}
	k1, err := s.KeyPair(ctx, owner, gen)
	must(t, err)
	k2, err := s.KeyPair(ctx, owner, gen)
	must(t, err)
	if calls != 1 || k1 != k2 || k1.PrivatePEM != "PRIV1" || k1.ID != owner+"#main-key" {
		t.Fatalf("KeyPair twice = %+v, %+v after %d generations", k1, k2, calls)
	}
	boom := errors.New("no entropy")
	_, err = s.KeyPair(ctx, "https://course.example.org/other", func() (activitypub.Key, error) { return activitypub.Key{}, boom })
	wantErr(t, "a failing generate", err, boom)

	// Concurrent first calls all get the one stored key.
	const n = 8
	keys := make(chan activitypub.Key, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := s.KeyPair(ctx, "https://course.example.org/race", func() (activitypub.Key, error) {
				return activitypub.Key{ID: "k", PublicPEM: "p", PrivatePEM: fmt.Sprint(i)}, nil
			})
			if err != nil {
				t.Error(err)
			}
			keys <- k
		}()
	}
	wg.Wait()
	close(keys)
	first := <-keys
	for k := range keys {
		if k != first {
			t.Fatalf("concurrent KeyPair returned %+v and %+v", first, k)
		}
	}
}

func testDeleteActorContent(t *testing.T, s activitypub.Store) {
	must(t, s.DeleteActorContent(ctx, alice)) // nothing there yet
	r := reply(1, alice)
	must(t, s.SaveReply(ctx, r))
	must(t, s.SaveReply(ctx, reply(2, bob)))
	must(t, s.SaveFollower(ctx, activitypub.Follower{ActorID: alice, Inbox: alice + "/inbox", FollowID: "f"}))
	must(t, s.SaveActor(ctx, activitypub.Actor{ID: alice, Inbox: alice + "/inbox"}))
	must(t, s.SaveReaction(ctx, activitypub.Reaction{ID: "l1", Kind: activitypub.Like, Actor: alice, Object: lesson}))
	must(t, s.DeleteActorContent(ctx, alice))
	got, err := s.Reply(ctx, r.ID)
	must(t, err)
	if !got.Deleted || got.Content != "" {
		t.Fatalf("reply of a deleted account = %+v", got)
	}
	thread, err := s.Thread(ctx, "intro", "")
	must(t, err)
	if len(thread) != 1 || thread[0].Actor != bob {
		t.Fatalf("thread after account deletion = %+v", thread)
	}
	_, err = s.Actor(ctx, alice)
	wantErr(t, "Actor of a deleted account", err, activitypub.ErrNotFound)
	wantErr(t, "RemoveFollower of a deleted account", s.RemoveFollower(ctx, alice), activitypub.ErrNotFound)
	counts, err := s.Counts(ctx, []string{lesson})
	must(t, err)
	if counts[lesson].Likes != 0 {
		t.Fatalf("likes of a deleted account still counted: %+v", counts)
	}
}
