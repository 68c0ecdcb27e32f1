package storetest

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// Concurrency across stores (issue 11): several companion processes on one
// database. Each test opens several Stores on the same database, as
// separate processes would, and writes through all of them at once: on
// SQLite the writers serialize on the file's lock; on PostgreSQL they race
// on separate connections, and only the statements keep them right.

// stores is how many Stores each concurrency test opens on one database.
const stores = 3

// RunConcurrent runs the concurrency suite. open must return n Stores on
// one new, empty database (the first may create it); RunConcurrent closes
// them.
func RunConcurrent(t *testing.T, open func(t *testing.T, n int) []activitypub.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, ss []activitypub.Store)
	}{
		{"ApplyDistinct", testConcurrentApplyDistinct},
		{"ApplySameID", testConcurrentApplySameID},
		{"ClaimDeliveries", testConcurrentClaims},
		{"FeaturePositions", testConcurrentFeatures},
		{"CreateAndDeleteRace", testConcurrentCreateDelete},
		{"KeyPair", testConcurrentKeyPair},
		{"ThreadChangesInCommitOrder", testConcurrentThreadChanges},
		{"ClaimsOfClosedStore", testClaimsOfClosedStore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := open(t, stores)
			if len(ss) != stores {
				t.Fatalf("open gave %d stores, want %d", len(ss), stores)
			}
			t.Cleanup(func() {
				for _, s := range ss {
					s.Close()
				}
			})
			tt.fn(t, ss)
		})
	}
}

// together runs fn(i, store) for i in [0, n) in n goroutines, the stores
// taken in turn, started at once, and returns when all are done.
func together(n int, ss []activitypub.Store, fn func(i int, s activitypub.Store)) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i, ss[i%len(ss)])
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// testConcurrentApplyDistinct: 20 activities applied at once, each writing
// a reply, a follower, a reaction and a delivery: every one is there after,
// nothing lost and nothing doubled.
func testConcurrentApplyDistinct(t *testing.T, ss []activitypub.Store) {
	const n = 20
	together(n, ss, func(i int, s activitypub.Store) {
		actor := fmt.Sprintf("https://host%d.example/users/u", i)
		applied, err := s.Apply(ctx, fmt.Sprintf("%s/activity/%d", actor, i), func(tx activitypub.Tx) error {
			if err := tx.SaveReply(reply(i, actor)); err != nil {
				return err
			}
			if err := tx.SaveFollower(activitypub.Follower{ActorID: actor, Inbox: actor + "/inbox", FollowID: actor + "/follow"}); err != nil {
				return err
			}
			if err := tx.SaveReaction(activitypub.Reaction{ID: actor + "/like", Kind: activitypub.Like, Actor: actor, Object: lesson}); err != nil {
				return err
			}
			_, err := tx.EnqueueDelivery(activitypub.Delivery{ActivityID: "https://course.example.org/accept/" + fmt.Sprint(i), Inbox: actor + "/inbox", Body: []byte("{}"), NextAttempt: base})
			return err
		})
		if err != nil || !applied {
			t.Errorf("Apply %d = %v, %v; want applied", i, applied, err)
		}
	})
	s := ss[0]
	thread, err := s.Thread(ctx, "intro", "")
	must(t, err)
	if len(thread) != n {
		t.Errorf("%d replies in the thread, want %d", len(thread), n)
	}
	if c, err := s.FollowerCount(ctx); err != nil || c != n {
		t.Errorf("FollowerCount = %d, %v; want %d", c, err, n)
	}
	counts, err := s.Counts(ctx, []string{lesson})
	must(t, err)
	if counts[lesson].Likes != n {
		t.Errorf("likes = %d, want %d", counts[lesson].Likes, n)
	}
	ds, err := s.ClaimDeliveries(ctx, base, 100)
	must(t, err)
	if len(ds) != n {
		t.Errorf("%d deliveries queued, want %d", len(ds), n)
	}
}

// testConcurrentApplySameID: one activity delivered ten times at once (a
// server retrying, or two inboxes behind a load balancer): fn runs once,
// one Apply reports it applied, the others a replay, and its like counts
// once.
func testConcurrentApplySameID(t *testing.T, ss []activitypub.Store) {
	const n = 10
	var calls, applied atomic.Int32
	together(n, ss, func(i int, s activitypub.Store) {
		ok, err := s.Apply(ctx, activity, func(tx activitypub.Tx) error {
			calls.Add(1)
			return tx.SaveReaction(activitypub.Reaction{ID: activity, Kind: activitypub.Like, Actor: alice, Object: lesson})
		})
		if err != nil {
			t.Errorf("Apply %d: %v", i, err)
		}
		if ok {
			applied.Add(1)
		}
	})
	if calls.Load() != 1 || applied.Load() != 1 {
		t.Fatalf("%d Applies of one id at once: fn ran %d times, %d applied; want 1 and 1", n, calls.Load(), applied.Load())
	}
	counts, err := ss[0].Counts(ctx, []string{lesson})
	must(t, err)
	if counts[lesson].Likes != 1 {
		t.Fatalf("likes = %d, want 1", counts[lesson].Likes)
	}
}

// testConcurrentClaims: workers of several processes claim from one queue
// at once: each delivery goes to exactly one of them, and all are handed
// out.
func testConcurrentClaims(t *testing.T, ss []activitypub.Store) {
	const deliveries, workers = 120, 9
	for i := range deliveries {
		_, err := ss[i%len(ss)].EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: fmt.Sprintf("%s/a/%d", lesson, i),
			Inbox: fmt.Sprintf("https://h%d.example/inbox", i%7), Body: []byte("{}"), NextAttempt: base})
		must(t, err)
	}
	var mu sync.Mutex
	claimed := map[int64][]int{}
	together(workers, ss, func(w int, s activitypub.Store) {
		for {
			got, err := s.ClaimDeliveries(ctx, base, 5)
			if err != nil {
				t.Error(err)
				return
			}
			if len(got) == 0 {
				return
			}
			mu.Lock()
			for _, d := range got {
				claimed[d.ID] = append(claimed[d.ID], w)
				if d.Attempts != 1 {
					t.Errorf("delivery %d claimed with attempts %d, want 1", d.ID, d.Attempts)
				}
			}
			mu.Unlock()
		}
	})
	if len(claimed) != deliveries {
		t.Fatalf("%d deliveries claimed, want %d", len(claimed), deliveries)
	}
	for id, by := range claimed {
		if len(by) != 1 {
			t.Fatalf("delivery %d handed to workers %v; want one", id, by)
		}
	}
}

// testConcurrentFeatures: moderators on several processes feature ten
// replies of one thread at once, then unfeature every other one at once:
// the positions are 1..n each time, no two replies sharing one and no gap.
func testConcurrentFeatures(t *testing.T, ss []activitypub.Store) {
	const n = 10
	for i := range n {
		must(t, ss[0].SaveReply(ctx, reply(i, alice)))
	}
	together(n, ss, func(i int, s activitypub.Store) {
		if _, err := s.FeatureReply(ctx, reply(i, alice).ID, audit(activitypub.ActionFeature, reply(i, alice).ID)); err != nil {
			t.Errorf("feature %d: %v", i, err)
		}
	})
	wantPositions(t, ss[0], n)
	together(n/2, ss, func(i int, s activitypub.Store) {
		id := reply(2*i, alice).ID
		if _, err := s.UnfeatureReply(ctx, id, audit(activitypub.ActionUnfeature, id)); err != nil {
			t.Errorf("unfeature %d: %v", 2*i, err)
		}
	})
	wantPositions(t, ss[0], n-n/2)
	log, err := ss[0].AuditLog(ctx, 0, 100)
	must(t, err)
	if len(log) != n+n/2 {
		t.Fatalf("audit log has %d entries, want %d", len(log), n+n/2)
	}
}

// wantPositions checks that the thread has n features at positions 1..n.
func wantPositions(t *testing.T, s activitypub.Store, n int) {
	t.Helper()
	fs, err := s.Features(ctx, "intro", "")
	must(t, err)
	var pos []int
	for _, f := range fs {
		pos = append(pos, f.Position)
	}
	sort.Ints(pos)
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	if fmt.Sprint(pos) != fmt.Sprint(want) {
		t.Fatalf("feature positions %v, want %v", pos, want)
	}
}

// testConcurrentCreateDelete: a post's Create and its Delete arrive at the
// same moment at two processes. Whichever goes first, the post ends
// deleted: a stored tombstone of a reply, or a Tombstone that keeps the
// Create out; never a reply on the page.
func testConcurrentCreateDelete(t *testing.T, ss []activitypub.Store) {
	const posts = 15
	together(2*posts, ss, func(i int, s activitypub.Store) {
		r := reply(i/2, alice)
		var err error
		if i%2 == 0 {
			_, err = s.Apply(ctx, r.ID+"/activity", func(tx activitypub.Tx) error { return tx.SaveReply(r) })
		} else {
			_, err = s.Apply(ctx, r.ID+"#delete", func(tx activitypub.Tx) error {
				err := tx.DeleteReply(r.ID)
				if errors.Is(err, activitypub.ErrNotFound) {
					return tx.SaveTombstone(activitypub.Tombstone{ID: r.ID, Actor: r.Actor})
				}
				return err
			})
		}
		if err != nil {
			t.Errorf("activity %d: %v", i, err)
		}
	})
	thread, err := ss[0].Thread(ctx, "intro", "")
	must(t, err)
	if len(thread) != 0 {
		t.Fatalf("%d deleted posts on the page, first %s", len(thread), thread[0].ID)
	}
}

// testConcurrentKeyPair: processes starting together each ask for the
// course's key: all get the one stored key.
func testConcurrentKeyPair(t *testing.T, ss []activitypub.Store) {
	const n = 9
	keys := make([]activitypub.Key, n)
	together(n, ss, func(i int, s activitypub.Store) {
		k, err := s.KeyPair(ctx, "https://course.example.org/actor", func() (activitypub.Key, error) {
			time.Sleep(time.Millisecond) // as RSA generation takes a while, so the first calls overlap
			return activitypub.Key{ID: "k", PublicPEM: "p", PrivatePEM: fmt.Sprint(i)}, nil
		})
		if err != nil {
			t.Error(err)
		}
		keys[i] = k
	})
	for _, k := range keys[1:] {
		if k != keys[0] {
			t.Fatalf("KeyPair at once returned %+v and %+v", keys[0], k)
		}
	}
}

// testConcurrentThreadChanges: replies arrive through several processes
// while a reader follows the thread with ThreadChanges, asking each time
// for what is numbered after the last change it saw. It must see every
// reply: a number given out before another's but committed after it would
// slip behind the reader.
func testConcurrentThreadChanges(t *testing.T, ss []activitypub.Store) {
	const n = 60
	seen := map[string]bool{}
	var after int64
	read := func() {
		cs, err := ss[0].ThreadChanges(ctx, "intro", "", after, 1000)
		if err != nil {
			t.Error(err)
			return
		}
		for _, c := range cs {
			seen[c.ID] = true
			after = c.Seq
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		together(n, ss, func(i int, s activitypub.Store) {
			if err := s.SaveReply(ctx, reply(i, alice)); err != nil {
				t.Error(err)
			}
		})
	}()
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
		}
		read()
	}
	read()
	if len(seen) != n {
		t.Fatalf("the reader saw %d of %d replies by following ThreadChanges", len(seen), n)
	}
}
