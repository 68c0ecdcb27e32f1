package inbox_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/inbox"
)

// TestModerationModes: a new reply is shown or held by the course's mode,
// its author's place in the participants list, and whether the author is
// a moderator; only shown replies are in the thread.
func TestModerationModes(t *testing.T) {
	tests := []struct {
		name string
		mod  func(host string) activitypub.Moderation
		user string
		want activitypub.ReplyState
	}{
		{"open shows everyone", func(string) activitypub.Moderation { return activitypub.Moderation{Mode: activitypub.ModeOpen} }, "alice", activitypub.Shown},
		{"zero value is open", func(string) activitypub.Moderation { return activitypub.Moderation{} }, "alice", activitypub.Shown},
		{"pre holds a participant", func(string) activitypub.Moderation { return activitypub.Moderation{Mode: activitypub.ModePre} }, "alice", activitypub.Held},
		{"pre shows a moderator", func(h string) activitypub.Moderation {
			return activitypub.Moderation{Mode: activitypub.ModePre, Moderators: []string{"@mia@" + h}}
		}, "mia", activitypub.Shown},
		{"participants shows a listed handle", func(h string) activitypub.Moderation {
			return activitypub.Moderation{Mode: activitypub.ModeParticipants, Participants: []string{"@bob@" + h, "@ALICE@" + h}}
		}, "alice", activitypub.Shown},
		{"participants shows a listed domain", func(h string) activitypub.Moderation {
			return activitypub.Moderation{Mode: activitypub.ModeParticipants, Participants: []string{"*@" + h}}
		}, "alice", activitypub.Shown},
		{"participants holds an outsider", func(h string) activitypub.Moderation {
			return activitypub.Moderation{Mode: activitypub.ModeParticipants, Participants: []string{"@bob@" + h, "*@elsewhere.example"}}
		}, "alice", activitypub.Held},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The settings name the peer's host, known once it runs: a
			// first env starts the peer, the moderated one talks to it.
			peer := newEnv(t).m
			e := newEnvWith(t, tt.mod(peer.Host()))
			e.m, peer.Course = peer, e.urls.Actor()
			if code := e.post(tt.user, e.fixture("mastodon-create-reply.json", tt.user, "1", "", nil)); code != http.StatusAccepted {
				t.Fatalf("reply: %d", code)
			}
			r, ok := e.reply(e.status(tt.user, "1"))
			if !ok {
				t.Fatal("reply not stored")
			}
			if r.State != tt.want {
				t.Fatalf("state = %s, want %s", r.State, tt.want)
			}
			if inThread := len(e.thread()) == 1; inThread != (tt.want == activitypub.Shown) {
				t.Fatalf("in the thread: %v, state %s", inThread, r.State)
			}
			// An edit keeps the moderator's decision.
			if code := e.post(tt.user, e.fixture("mastodon-update-note.json", tt.user, "1", "", nil)); code != http.StatusAccepted {
				t.Fatalf("update: %d", code)
			}
			if r, _ := e.reply(e.status(tt.user, "1")); r.State != tt.want {
				t.Fatalf("after an edit: state = %s, want %s", r.State, tt.want)
			}
		})
	}
}

// TestBlockedActorsAndDomains: a blocked actor's, or a blocked domain's,
// later activities are acknowledged with 202 and dropped; their replies
// stored before the block leave the thread; their Delete is still obeyed.
func TestBlockedActorsAndDomains(t *testing.T) {
	ctx := context.Background()
	for _, domain := range []bool{false, true} {
		name := "actor"
		if domain {
			name = "domain"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			if code := e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil)); code != http.StatusAccepted {
				t.Fatalf("reply before the block: %d", code)
			}
			if len(e.thread()) != 1 {
				t.Fatal("reply before the block not in the thread")
			}
			b := activitypub.Block{Target: e.m.ActorID("alice")}
			if domain {
				b = activitypub.Block{Target: "127.0.0.1", Domain: true}
			}
			if err := e.store.SaveBlock(ctx, b, activitypub.AuditEntry{Who: "mia", Action: activitypub.ActionBlock, Target: b.Target}); err != nil {
				t.Fatal(err)
			}
			if n := len(e.thread()); n != 0 {
				t.Fatalf("thread after the block has %d replies, want 0", n)
			}
			if code := e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "2", "", nil)); code != http.StatusAccepted {
				t.Fatalf("reply after the block: %d, want 202", code)
			}
			if _, ok := e.reply(e.status("alice", "2")); ok {
				t.Fatal("a blocked actor's reply was stored")
			}
			if code := e.post("alice", e.fixture("mastodon-follow.json", "alice", "", "", nil)); code != http.StatusAccepted {
				t.Fatalf("follow after the block: %d, want 202", code)
			}
			if n, _ := e.store.FollowerCount(ctx); n != 0 {
				t.Fatal("a blocked actor's follow was stored")
			}
			if code := e.post("alice", e.fixture("mastodon-like.json", "alice", "", "", nil)); code != http.StatusAccepted {
				t.Fatalf("like after the block: %d", code)
			}
			if c := e.counts(); c.Likes != 0 {
				t.Fatal("a blocked actor's like was counted")
			}
			// bob, on the same server, is refused only by the domain block.
			e.post("bob", e.fixture("mastodon-create-reply.json", "bob", "3", "", nil))
			if _, ok := e.reply(e.status("bob", "3")); ok == domain {
				t.Fatalf("bob's reply stored = %v with a %s block", ok, name)
			}
			// Deletes are obeyed: what a blocked author erases is erased.
			if code := e.post("alice", e.fixture("mastodon-delete-note.json", "alice", "1", "", nil)); code != http.StatusAccepted {
				t.Fatalf("delete after the block: %d", code)
			}
			if r, _ := e.reply(e.status("alice", "1")); !r.Deleted {
				t.Fatal("a blocked author's Delete was not obeyed")
			}
			// Unblocking lets later activities in again.
			if _, err := e.store.RemoveBlock(ctx, b.Target, activitypub.AuditEntry{Who: "mia", Action: activitypub.ActionUnblock}); err != nil {
				t.Fatal(err)
			}
			if code := e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "4", "", nil)); code != http.StatusAccepted {
				t.Fatalf("reply after unblocking: %d", code)
			}
			if _, ok := e.reply(e.status("alice", "4")); !ok {
				t.Fatal("reply after unblocking not stored")
			}
		})
	}
}

// TestListedMembersPassFollowLimits: a private cohort's members, listed by
// the organiser, are accepted at once however many followers their server
// added this hour; an unlisted account on the same server waits.
func TestListedMembersPassFollowLimits(t *testing.T) {
	peer := newEnv(t).m // the settings name the peer's host, known once it runs
	e := newEnvWith(t, activitypub.Moderation{Private: map[string][]string{"staff": {"@alice@" + peer.Host()}}})
	e.m, peer.Course = peer, e.urls.Actor()
	e.addFollowers(peer.Base, inbox.NewFollowersPerHostPerHour, time.Now())
	for _, user := range []string{"alice", "bob"} {
		follow := e.fixture("mastodon-follow.json", user, "", "", func(act, _ map[string]any) { act["id"] = e.m.ActorID(user) + "#follows/1" })
		if code := e.post(user, follow); code != http.StatusAccepted {
			t.Fatalf("%s's follow: %d", user, code)
		}
	}
	if !e.following("alice") || e.waiting("alice") {
		t.Error("a listed member was held by the follow limits")
	}
	if e.following("bob") || !e.waiting("bob") {
		t.Error("an unlisted account was not held")
	}
}
