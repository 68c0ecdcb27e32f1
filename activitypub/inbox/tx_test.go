package inbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

// faultyStore is the real store with a fault injected inside Apply's
// transaction: before each write of the Tx, fault is asked whether that
// write fails. A function-field fake for failures only.
type faultyStore struct {
	activitypub.Store
	mu    sync.Mutex
	fault func(write string) error
}

func (f *faultyStore) Apply(ctx context.Context, id string, fn func(activitypub.Tx) error) (bool, error) {
	return f.Store.Apply(ctx, id, func(tx activitypub.Tx) error { return fn(faultyTx{Tx: tx, s: f}) })
}

func (f *faultyStore) check(write string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fault == nil {
		return nil
	}
	return f.fault(write)
}

func (f *faultyStore) set(fault func(string) error) {
	f.mu.Lock()
	f.fault = fault
	f.mu.Unlock()
}

type faultyTx struct {
	activitypub.Tx
	s *faultyStore
}

func (t faultyTx) SaveReply(r activitypub.Reply) error {
	if err := t.s.check("SaveReply"); err != nil {
		return err
	}
	return t.Tx.SaveReply(r)
}

func (t faultyTx) DeleteReply(id string) error {
	if err := t.s.check("DeleteReply"); err != nil {
		return err
	}
	return t.Tx.DeleteReply(id)
}

func (t faultyTx) EnqueueDelivery(d activitypub.Delivery) (activitypub.Delivery, error) {
	if err := t.s.check("EnqueueDelivery"); err != nil {
		return d, err
	}
	return t.Tx.EnqueueDelivery(d)
}

func (t faultyTx) SaveReaction(r activitypub.Reaction) error {
	if err := t.s.check("SaveReaction"); err != nil {
		return err
	}
	return t.Tx.SaveReaction(r)
}

func (t faultyTx) SaveFlag(f activitypub.Flag) error {
	if err := t.s.check("SaveFlag"); err != nil {
		return err
	}
	return t.Tx.SaveFlag(f)
}

// TestFailureInsideTheTransaction: a write that fails inside an activity's
// transaction (the disk, a bug) leaves nothing of the activity: no effect,
// no seen mark, so the sender gets an error and its retry is applied in
// full. Replaying the applied activity then changes nothing. The failing
// write is the last of each activity's writes, so an earlier one (the
// follower before its Accept) proves the rollback.
func TestFailureInsideTheTransaction(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		write string               // the Tx write that fails
		setup func(e *env)         // what is there before
		body  func(e *env) []byte  // the activity
		done  func(e *env) bool    // whether its effect is there
		count func(e *env) (n int) // something a replay must not grow
		user  string
	}{
		{
			name:  "a Follow keeps neither its follower nor its Accept",
			write: "EnqueueDelivery",
			user:  "alice",
			body:  func(e *env) []byte { return e.fixture("mastodon-follow.json", "alice", "", "", nil) },
			done: func(e *env) bool {
				n, _ := e.store.FollowerCount(ctx)
				return n == 1 && queued(e) == 1
			},
			count: queued,
		},
		{
			name:  "an Update keeps the old text",
			write: "SaveReply",
			user:  "alice",
			setup: func(e *env) { e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil)) },
			body: func(e *env) []byte {
				return e.fixture("mastodon-update-note.json", "alice", "1", "", func(_, note map[string]any) {
					note["content"] = "<p>edited</p>"
					delete(note, "contentMap")
				})
			},
			done: func(e *env) bool {
				r, _ := e.reply(e.status("alice", "1"))
				return r.Content == "<p>edited</p>"
			},
			count: changes,
		},
		{
			name:  "a Delete keeps the reply",
			write: "DeleteReply",
			user:  "alice",
			setup: func(e *env) { e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil)) },
			body: func(e *env) []byte {
				return e.fixture("mastodon-delete-note.json", "alice", "1", "", func(act, _ map[string]any) { act["object"] = e.status("alice", "1") })
			},
			done: func(e *env) bool {
				r, _ := e.reply(e.status("alice", "1"))
				return r.Deleted
			},
			count: changes,
		},
		{
			name:  "a Like is not counted",
			write: "SaveReaction",
			user:  "alice",
			body:  func(e *env) []byte { return e.fixture("mastodon-like.json", "alice", "", "", nil) },
			done:  func(e *env) bool { return e.counts().Likes == 1 },
			count: func(e *env) int { return e.counts().Likes },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fs *faultyStore
			e := newEnvStore(t, activitypub.Moderation{}, func(st *sqlite.Store) activitypub.Store {
				fs = &faultyStore{Store: st}
				return fs
			})
			if tc.setup != nil {
				tc.setup(e)
			}
			body := tc.body(e)
			boom := errors.New("disk full")
			fs.set(func(write string) error {
				if write == tc.write {
					return boom
				}
				return nil
			})
			if code := e.post(tc.user, body); code != http.StatusInternalServerError {
				t.Fatalf("with a failing %s: status %d, want 500", tc.write, code)
			}
			if tc.done(e) {
				t.Fatal("the effect is there after its transaction failed")
			}
			if seen, err := e.store.ActivitySeen(ctx, activityID(t, body)); err != nil || seen {
				t.Fatalf("the failed activity is marked seen (%v, %v): its retry would be dropped", seen, err)
			}
			fs.set(nil)
			if code := e.post(tc.user, body); code != http.StatusAccepted {
				t.Fatalf("retry: status %d", code)
			}
			if !tc.done(e) {
				t.Fatal("the retry was not applied")
			}
			before := tc.count(e)
			if code := e.post(tc.user, body); code != http.StatusAccepted {
				t.Fatalf("replay: status %d", code)
			}
			if after := tc.count(e); after != before {
				t.Fatalf("the replay changed things: %d, then %d", before, after)
			}
		})
	}
}

// queued claims, as a worker a year from now would, the deliveries queued
// since the last call and returns how many there were.
func queued(e *env) int {
	e.t.Helper()
	ds, err := e.store.ClaimDeliveries(context.Background(), e.store.Now().AddDate(1, 0, 0), 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(ds)
}

// changes returns how many times a thread was reported changed.
func changes(e *env) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.changed)
}

// activityID returns the id of an activity's JSON.
func activityID(t *testing.T, body []byte) string {
	t.Helper()
	var act struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &act); err != nil || act.ID == "" {
		t.Fatalf("no activity id in %s: %v", body, err)
	}
	return act.ID
}
