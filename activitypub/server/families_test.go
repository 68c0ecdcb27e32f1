package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
)

// TestWholeLoopFamilies plays the whole life of a discussion against a peer
// in each server family's mode: the peer finds the course by WebFinger,
// follows (when the family follows accounts), receives the lesson, replies,
// edits, likes and boosts, deletes, and unfollows, each shape the family
// sends, signed as it signs.
func TestWholeLoopFamilies(t *testing.T) {
	for _, fam := range mastotest.Families() {
		t.Run(fam.Name, func(t *testing.T) {
			ctx := context.Background()
			c := startCompanion(t)
			m := mastotest.NewFamily(t, fam)
			if fam.AuthorizedFetchMode != "" {
				m.SetAuthorizedFetch(true) // the companion's GETs must be signed and pass the family's rules
			}
			defer func() {
				if refused := m.RuleFailures(); len(refused) > 0 {
					t.Errorf("%s refused the course's requests:\n%s", fam.Name, strings.Join(refused, "\n"))
				}
				for _, k := range m.GetSigners() {
					if k != c.base+"/actor#main-key" {
						t.Errorf("%s answered a GET signed by %s, not the course", fam.Name, k)
					}
				}
			}()
			actor, inbox, err := m.Lookup(ctx, "course", c.domain)
			if err != nil {
				t.Fatal(err)
			}
			m.Course = actor
			post := func(user string, body []byte) {
				t.Helper()
				if code, err := m.Post(ctx, user, inbox, body); err != nil || code != http.StatusAccepted {
					t.Fatalf("%s: POST %d %v", fam.Name, code, err)
				}
			}
			follows := m.Has(mastotest.ShapeFollow)
			if follows {
				post("alice", m.Activity(t, mastotest.ShapeFollow, mastotest.Vars{User: "alice", ID: "0001"}))
				m.WaitFor(t, "Accept", 5*time.Second)
			}
			c.writeManifest(t, intro)
			lesson := c.base + "/lessons/intro"
			if follows {
				if create := m.WaitFor(t, "Create", 5*time.Second); !strings.Contains(string(create.Body), `"id":"`+lesson+`"`) {
					t.Fatalf("lesson not delivered: %s", create.Body)
				}
			}

			if !m.Has(mastotest.ShapeReply) {
				// PeerTube: nothing it sends reaches a course (its Absent reasons).
				t.Logf("%s sends no reply to a course: %s", fam.Name, fam.Absent[mastotest.ShapeReply])
				return
			}
			post("alice", m.Activity(t, mastotest.ShapeReply, mastotest.Vars{User: "alice", ID: "11", InReplyTo: lesson, Content: "A study group.", Mention: true}))
			reply := m.NoteID("alice", "11")
			if th := c.thread(t, "intro"); th.Count != 1 || th.Replies[0].ID != reply || !strings.Contains(th.Replies[0].Content, "A study group.") {
				t.Fatalf("thread after reply = %+v", th)
			}
			if m.Has(mastotest.ShapeUpdate) {
				post("alice", m.Activity(t, mastotest.ShapeUpdate, mastotest.Vars{User: "alice", ID: "11", InReplyTo: lesson, Content: "A study group (edited).", Mention: true}))
				if th := c.thread(t, "intro"); !strings.Contains(th.Replies[0].Content, "(edited)") {
					t.Fatalf("thread after edit = %+v", th.Replies[0])
				}
			}
			likes, boosts := 0, 0
			if m.Has(mastotest.ShapeLike) {
				post("alice", m.Activity(t, mastotest.ShapeLike, mastotest.Vars{User: "alice", ID: "21", Object: lesson}))
				likes = 1
			}
			if m.Has(mastotest.ShapeAnnounce) {
				post("alice", m.Activity(t, mastotest.ShapeAnnounce, mastotest.Vars{User: "alice", ID: "22", Object: lesson}))
				boosts = 1
			}
			if th := c.thread(t, "intro"); th.Likes != likes || th.Boosts != boosts {
				t.Fatalf("likes %d boosts %d, want %d %d", th.Likes, th.Boosts, likes, boosts)
			}
			for _, shape := range []string{mastotest.ShapeDeleteTombstone, mastotest.ShapeDeleteIRI, mastotest.ShapeDeleteObject} {
				if m.Has(shape) {
					post("alice", m.Activity(t, shape, mastotest.Vars{User: "alice", ID: "11", InReplyTo: lesson, Content: "A study group."}))
					break
				}
			}
			if th := c.thread(t, "intro"); th.Count != 0 {
				t.Fatalf("after delete = %+v", th)
			}
			if follows && m.Has(mastotest.ShapeUndoFollow) {
				post("alice", m.Activity(t, mastotest.ShapeUndoFollow, mastotest.Vars{User: "alice", ID: "0001"}))
				if n, _ := c.store.FollowerCount(ctx); n != 0 {
					t.Fatalf("followers after undo = %d", n)
				}
			}
		})
	}
}
