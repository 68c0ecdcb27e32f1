package discovery_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/discovery"
)

// TestThreadModeration: the threads API lists only shown replies, puts the
// featured ones first at the top level in pinned order with a featured
// flag, and marks moderators' replies; the build reads the same.
func TestThreadModeration(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	h := discovery.New(discovery.Options{Course: e.course, URLs: e.urls, Store: e.store, Moderators: []string{"@Alice@mastodon.example"}})
	lesson := e.urls.Lesson("intro")
	held := activitypub.Reply{ID: bob + "/statuses/4", LessonID: "intro", InReplyTo: lesson, Actor: bob,
		Published: clock.Add(5 * time.Hour), Content: "<p>waiting</p>", Visibility: activitypub.Public, State: activitypub.Held}
	hidden := activitypub.Reply{ID: bob + "/statuses/5", LessonID: "intro", InReplyTo: lesson, Actor: bob,
		Published: clock.Add(6 * time.Hour), Content: "<p>abuse</p>", Visibility: activitypub.Public, State: activitypub.Hidden}
	must(t, e.store.SaveReply(ctx, held))
	must(t, e.store.SaveReply(ctx, hidden))
	a := activitypub.AuditEntry{Who: "mia", Action: activitypub.ActionFeature}
	_, err := e.store.FeatureReply(ctx, bob+"/statuses/2", a) // bob's answer to alice, pinned first
	must(t, err)
	_, err = e.store.FeatureReply(ctx, alice+"/statuses/1", a)
	must(t, err)

	var th discovery.Thread
	w := httptestGet(t, h, "/api/threads/intro")
	if err := json.Unmarshal(w, &th); err != nil {
		t.Fatal(err)
	}
	if th.Count != 2 || len(th.Replies) != 2 {
		t.Fatalf("thread = %s, want the two shown replies only", w)
	}
	first, second := th.Replies[0], th.Replies[1]
	if first.ID != bob+"/statuses/2" || !first.Featured || second.ID != alice+"/statuses/1" || !second.Featured {
		t.Fatalf("order = %s (%v), %s (%v); want bob's then alice's, both featured", first.ID, first.Featured, second.ID, second.Featured)
	}
	if len(second.Replies) != 0 {
		t.Fatalf("the pinned answer is still nested under its parent too: %+v", second.Replies)
	}
	if !second.Author.Moderator || first.Author.Moderator {
		t.Fatalf("moderator flags: alice %v, bob %v; want true, false", second.Author.Moderator, first.Author.Moderator)
	}
	if strings.Contains(string(w), "waiting") || strings.Contains(string(w), "abuse") {
		t.Fatalf("a held or hidden reply is in the thread: %s", w)
	}
	if !strings.Contains(string(w), `"featured":true`) || !strings.Contains(string(w), `"moderator":true`) {
		t.Fatalf("JSON lacks the flags: %s", w)
	}

	// The build's view is the same tree.
	st, err := h.Thread(ctx, "intro", "")
	must(t, err)
	if len(st.Replies) != 2 || st.Replies[0].ID != bob+"/statuses/2" || !st.Replies[1].Author.Moderator {
		t.Fatalf("site thread = %+v", st)
	}

	// Unfeaturing puts bob's answer back under alice's reply.
	_, err = e.store.UnfeatureReply(ctx, bob+"/statuses/2", a)
	must(t, err)
	h.Invalidate("intro")
	w = httptestGet(t, h, "/api/threads/intro")
	th = discovery.Thread{}
	must(t, json.Unmarshal(w, &th))
	if len(th.Replies) != 1 || th.Replies[0].ID != alice+"/statuses/1" || len(th.Replies[0].Replies) != 1 || th.Replies[0].Replies[0].Featured {
		t.Fatalf("after unfeature = %s", w)
	}
}

func httptestGet(t *testing.T, h *discovery.Handler, target string) []byte {
	t.Helper()
	e := &env{h: h}
	w := e.get(t, target)
	if w.Code != 200 {
		t.Fatalf("GET %s: %d", target, w.Code)
	}
	return w.Body.Bytes()
}
