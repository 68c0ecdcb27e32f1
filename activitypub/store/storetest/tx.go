package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// txTests check one activity, one transaction (Apply), who may change what
// (ownership), tombstones, the date bounds and reports (Flags).
var txTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"ApplyCommitsMarkAndChanges", testApplyCommits},
	{"ApplyReplayDoesNotRun", testApplyReplay},
	{"ApplyFailureKeepsNothing", testApplyFailure},
	{"ApplyConcurrent", testApplyConcurrent},
	{"ApplyFailureInABatchIsAlone", testApplyFailureInBatch},
	{"ApplyForgottenRunsAgain", testApplyForgotten},
	{"SaveReplyKeepsOwner", testSaveReplyKeepsOwner},
	{"TombstoneRefusesLateReply", testTombstone},
	{"SaveReplyDateBounds", testSaveReplyDates},
	{"RemoveReactionOnlyByItsActor", testRemoveReactionByActor},
	{"Flags", testFlags},
}

const activity = "https://mastodon.example/users/alice/statuses/1/activity"

func testApplyCommits(t *testing.T, s activitypub.Store) {
	seen, err := s.ActivitySeen(ctx, activity)
	must(t, err)
	if seen {
		t.Fatal("a new activity is reported seen")
	}
	r := reply(1, alice)
	applied, err := s.Apply(ctx, activity, func(tx activitypub.Tx) error {
		if err := tx.SaveReply(r); err != nil {
			return err
		}
		got, err := tx.Reply(r.ID) // the transaction reads its own writes
		if err != nil || got.Content != r.Content {
			return fmt.Errorf("Tx.Reply after Tx.SaveReply = %+v, %v", got, err)
		}
		if err := tx.SaveFollower(activitypub.Follower{ActorID: alice, Inbox: alice + "/inbox", FollowID: activity}); err != nil {
			return err
		}
		_, err = tx.EnqueueDelivery(activitypub.Delivery{ActivityID: "https://course.example.org/accept/1", Inbox: alice + "/inbox", Body: []byte("{}")})
		return err
	})
	must(t, err)
	if !applied {
		t.Fatal("Apply of a new activity reported a replay")
	}
	got, err := s.Reply(ctx, r.ID)
	must(t, err)
	equalReply(t, got, r)
	if n, _ := s.FollowerCount(ctx); n != 1 {
		t.Fatalf("FollowerCount = %d, want 1", n)
	}
	ds, err := s.ClaimDeliveries(ctx, time.Now().Add(time.Minute), 10)
	must(t, err)
	if len(ds) != 1 {
		t.Fatalf("deliveries = %+v, want the one queued in Apply", ds)
	}
	seen, err = s.ActivitySeen(ctx, activity)
	must(t, err)
	if !seen {
		t.Fatal("an applied activity is not reported seen")
	}
}

func testApplyReplay(t *testing.T, s activitypub.Store) {
	calls := 0
	fn := func(tx activitypub.Tx) error {
		calls++
		return tx.SaveReaction(activitypub.Reaction{ID: activity, Kind: activitypub.Like, Actor: alice, Object: lesson})
	}
	_, err := s.Apply(ctx, activity, fn)
	must(t, err)
	applied, err := s.Apply(ctx, activity, fn)
	must(t, err)
	if applied || calls != 1 {
		t.Fatalf("a replay: applied = %v, fn ran %d times; want false, once", applied, calls)
	}
}

func testApplyFailure(t *testing.T, s activitypub.Store) {
	boom := errors.New("disk on fire")
	r := reply(1, alice)
	applied, err := s.Apply(ctx, activity, func(tx activitypub.Tx) error {
		if err := tx.SaveReply(r); err != nil {
			return err
		}
		if err := tx.SaveFollower(activitypub.Follower{ActorID: alice, Inbox: alice + "/inbox", FollowID: activity}); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, "Apply whose fn fails", err, boom)
	if applied {
		t.Fatal("a failed Apply reported applied")
	}
	_, err = s.Reply(ctx, r.ID)
	wantErr(t, "the reply of a failed Apply", err, activitypub.ErrNotFound)
	if n, _ := s.FollowerCount(ctx); n != 0 {
		t.Fatalf("FollowerCount after a failed Apply = %d, want 0", n)
	}
	seen, err := s.ActivitySeen(ctx, activity)
	must(t, err)
	if seen {
		t.Fatal("a failed Apply left its activity marked seen")
	}
	// The sender's retry is applied.
	applied, err = s.Apply(ctx, activity, func(tx activitypub.Tx) error { return tx.SaveReply(r) })
	must(t, err)
	if !applied {
		t.Fatal("the retry of a failed Apply was taken for a replay")
	}
	_, err = s.Reply(ctx, r.ID)
	must(t, err)
}

func testApplyConcurrent(t *testing.T, s activitypub.Store) {
	const n = 16
	var (
		wg      sync.WaitGroup
		calls   atomic.Int32
		applied atomic.Int32
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.Apply(ctx, activity, func(tx activitypub.Tx) error {
				calls.Add(1)
				return tx.SaveReaction(activitypub.Reaction{ID: activity, Kind: activitypub.Like, Actor: alice, Object: lesson})
			})
			if err != nil {
				t.Error(err)
			}
			if ok {
				applied.Add(1)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 1 || applied.Load() != 1 {
		t.Fatalf("%d concurrent Applies of one id: fn ran %d times, %d applied; want 1 and 1", n, calls.Load(), applied.Load())
	}
}

// testApplyFailureInBatch: many Applies at once, every other one failing;
// with group commit they may share a transaction, and each failure must
// undo only its own changes and mark.
func testApplyFailureInBatch(t *testing.T, s activitypub.Store) {
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := reply(i, alice)
			_, err := s.Apply(ctx, fmt.Sprintf("%s/%d", activity, i), func(tx activitypub.Tx) error {
				if err := tx.SaveReply(r); err != nil {
					return err
				}
				if i%2 == 1 {
					return errors.New("odd one out")
				}
				return nil
			})
			if (err != nil) != (i%2 == 1) {
				t.Errorf("Apply %d: err = %v", i, err)
			}
		}()
	}
	wg.Wait()
	for i := range n {
		_, err := s.Reply(ctx, reply(i, alice).ID)
		seen, serr := s.ActivitySeen(ctx, fmt.Sprintf("%s/%d", activity, i))
		must(t, serr)
		if i%2 == 0 && (err != nil || !seen) {
			t.Errorf("Apply %d succeeded but reply: %v, seen %v", i, err, seen)
		}
		if i%2 == 1 && (!errors.Is(err, activitypub.ErrNotFound) || seen) {
			t.Errorf("Apply %d failed but reply: %v, seen %v", i, err, seen)
		}
	}
}

func testApplyForgotten(t *testing.T, s activitypub.Store) {
	noop := func(activitypub.Tx) error { return nil }
	_, err := s.Apply(ctx, activity, noop)
	must(t, err)
	must(t, s.ForgetActivitiesBefore(ctx, time.Now().Add(time.Hour)))
	applied, err := s.Apply(ctx, activity, noop)
	must(t, err)
	if !applied {
		t.Fatal("ForgetActivitiesBefore kept an old mark")
	}
}

func testSaveReplyKeepsOwner(t *testing.T, s activitypub.Store) {
	r := reply(1, alice)
	must(t, s.SaveReply(ctx, r))
	theft := r
	theft.Actor, theft.Content, theft.Updated = bob, "<p>bob's words under alice's id</p>", r.Published.Add(time.Hour)
	wantErr(t, "SaveReply of alice's id by bob", s.SaveReply(ctx, theft), activitypub.ErrNotOwner)
	got, err := s.Reply(ctx, r.ID)
	must(t, err)
	equalReply(t, got, r)
}

func testTombstone(t *testing.T, s activitypub.Store) {
	r := reply(1, alice)
	_, err := s.Apply(ctx, activity+"#delete", func(tx activitypub.Tx) error {
		if err := tx.SaveTombstone(activitypub.Tombstone{ID: r.ID, Actor: alice}); err != nil {
			return err
		}
		return tx.SaveTombstone(activitypub.Tombstone{ID: r.ID, Actor: alice}) // twice is fine
	})
	must(t, err)
	must(t, s.SaveReply(ctx, r)) // the late Create, or a crawl
	_, err = s.Reply(ctx, r.ID)
	wantErr(t, "Reply deleted before it arrived", err, activitypub.ErrNotFound)
	if th, _ := s.Thread(ctx, "intro", ""); len(th) != 0 {
		t.Fatalf("thread = %+v, want nothing", th)
	}
	// Only the deleter's own post of that id is refused.
	other := r
	other.Actor = bob
	must(t, s.SaveReply(ctx, other))
	// Tombstones expire.
	r2 := reply(2, alice)
	_, err = s.Apply(ctx, activity+"#delete2", func(tx activitypub.Tx) error {
		return tx.SaveTombstone(activitypub.Tombstone{ID: r2.ID, Actor: alice})
	})
	must(t, err)
	must(t, s.ForgetTombstonesBefore(ctx, time.Now().Add(time.Hour)))
	must(t, s.SaveReply(ctx, r2))
	if _, err := s.Reply(ctx, r2.ID); err != nil {
		t.Fatalf("a reply whose tombstone expired: %v", err)
	}
}

func testSaveReplyDates(t *testing.T, s activitypub.Store) {
	tests := []struct {
		name      string
		published time.Time
		updated   time.Time
		ok        bool
	}{
		{"year 1", time.Date(1, 6, 1, 0, 0, 0, 0, time.UTC), time.Time{}, false},
		{"the zero time means absent", time.Time{}, time.Time{}, true},
		{"1969", time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), time.Time{}, false},
		{"year 9999", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Time{}, false},
		{"updated in 2201", base, time.Date(2201, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"updated in 1600", base, time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"1e20 seconds", time.Unix(1e18, 0), time.Time{}, false},
		{"negative seconds", time.Unix(-1e12, 0), time.Time{}, false},
		{"the last moment of 2200", time.Date(2200, 12, 31, 23, 59, 59, 0, time.UTC), time.Time{}, true},
		{"just after 1970 began", time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC), time.Time{}, true},
	}
	for i, tt := range tests {
		r := reply(i, alice)
		r.Published, r.Updated = tt.published, tt.updated
		err := s.SaveReply(ctx, r)
		got, gerr := s.Reply(ctx, r.ID)
		if !tt.ok {
			if err == nil || !errors.Is(gerr, activitypub.ErrNotFound) {
				t.Errorf("%s: SaveReply = %v, stored %+v; want refused, nothing stored", tt.name, err, got)
			}
			continue
		}
		if err != nil || gerr != nil || !got.Published.Equal(tt.published) {
			t.Errorf("%s: SaveReply = %v; read back %v, %v; want it kept as is", tt.name, err, got.Published, gerr)
		}
	}
}

func testRemoveReactionByActor(t *testing.T, s activitypub.Store) {
	like := activitypub.Reaction{ID: alice + "#likes/1", Kind: activitypub.Like, Actor: alice, Object: lesson}
	must(t, s.SaveReaction(ctx, like))
	wantErr(t, "bob's Undo of alice's like, by id", s.RemoveReaction(ctx, activitypub.Reaction{ID: like.ID, Actor: bob}), activitypub.ErrNotFound)
	var removed activitypub.Reaction
	_, err := s.Apply(ctx, activity, func(tx activitypub.Tx) error {
		if _, err := tx.RemoveReaction(activitypub.Reaction{ID: like.ID, Actor: bob}); !errors.Is(err, activitypub.ErrNotFound) {
			return fmt.Errorf("Tx.RemoveReaction by another actor = %v, want ErrNotFound", err)
		}
		var err error
		removed, err = tx.RemoveReaction(activitypub.Reaction{ID: like.ID, Actor: alice})
		return err
	})
	must(t, err)
	if removed != like {
		t.Fatalf("Tx.RemoveReaction returned %+v, want %+v", removed, like)
	}
	if c, _ := s.Counts(ctx, []string{lesson}); c[lesson].Likes != 0 {
		t.Fatalf("likes after the owner's Undo = %d", c[lesson].Likes)
	}
}

func testFlags(t *testing.T, s activitypub.Store) {
	empty, err := s.Flags(ctx, 10)
	if err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("Flags of an empty store = %v, %v; want an empty list", empty, err)
	}
	const instance = "https://mastodon.example/actor"
	first := activitypub.Flag{ID: "https://mastodon.example/0001", Actor: instance, Content: "spam",
		Objects: []string{bob, reply(1, bob).ID}, Received: base}
	must(t, s.SaveFlag(ctx, first))
	wantErr(t, "the same Flag again", s.SaveFlag(ctx, first), activitypub.ErrDuplicate)
	long := activitypub.Flag{ID: "https://mastodon.example/0002", Actor: instance,
		Content: strings.Repeat("é", activitypub.FlagCommentLimit+10), Objects: []string{bob}, Received: base.Add(time.Hour)}
	must(t, s.SaveFlag(ctx, long))
	got, err := s.Flags(ctx, 10)
	must(t, err)
	if len(got) != 2 || got[0].ID != long.ID || got[1].ID != first.ID {
		t.Fatalf("Flags = %+v, want the two, newest first", got)
	}
	if f := got[1]; f.Actor != instance || f.Content != "spam" || fmt.Sprint(f.Objects) != fmt.Sprint(first.Objects) || !f.Received.Equal(base) {
		t.Fatalf("Flag read back = %+v, want %+v", f, first)
	}
	if n := len([]rune(got[0].Content)); n != activitypub.FlagCommentLimit {
		t.Fatalf("a long comment kept %d characters, want %d", n, activitypub.FlagCommentLimit)
	}
	if one, _ := s.Flags(ctx, 1); len(one) != 1 || one[0].ID != long.ID {
		t.Fatalf("Flags(1) = %+v", one)
	}
}
