package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
)

// TestFeatureBoostsToFollowers: a moderator logs in to the moderation page
// on the companion and features a participant's reply; the course account's
// signed Announce of it reaches the follower's Mastodon server, the threads
// API pins it; unfeaturing sends the Undo.
func TestFeatureBoostsToFollowers(t *testing.T) {
	ctx := context.Background()
	c := startCompanion(t)
	m := mastotest.New(t)
	actor, inbox, err := m.Lookup(ctx, "course", c.domain)
	if err != nil {
		t.Fatal(err)
	}
	m.Course = actor
	if code, _ := m.Post(ctx, "alice", inbox, m.Fixture(t, "mastodon-follow.json", "alice", "", "")); code != http.StatusAccepted {
		t.Fatalf("follow: %d", code)
	}
	m.WaitFor(t, "Accept", 5*time.Second)
	c.writeManifest(t, intro)
	m.WaitFor(t, "Create", 5*time.Second)
	lesson := c.base + "/lessons/intro"
	if code, _ := m.Post(ctx, "bob", inbox, m.Fixture(t, "mastodon-create-reply.json", "bob", lesson, "7")); code != http.StatusAccepted {
		t.Fatalf("bob's reply: %d", code)
	}
	if code, _ := m.Post(ctx, "carol", inbox, m.Fixture(t, "mastodon-create-reply.json", "carol", lesson, "8")); code != http.StatusAccepted {
		t.Fatalf("carol's reply: %d", code)
	}
	reply := m.ActorID("bob") + "/statuses/7"

	hash, _ := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	if err := c.store.AddModerator(ctx, activitypub.Moderator{Name: "mia", Handle: "@mia@" + m.Host(), PasswordHash: string(hash)}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", c.base)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := post("/moderate/login", url.Values{"name": {"mia"}, "password": {"correct horse battery"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	resp, err := client.Get(c.base + "/moderate/lessons/intro")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	i := strings.Index(string(page), `name="csrf" value="`)
	if resp.StatusCode != http.StatusOK || i < 0 || !strings.Contains(string(page), reply) {
		t.Fatalf("lesson page: %d\n%s", resp.StatusCode, page)
	}
	rest := string(page)[i+len(`name="csrf" value="`):]
	token := rest[:strings.IndexByte(rest, '"')]

	if resp := post("/moderate/replies", url.Values{"csrf": {token}, "reply": {reply}, "action": {"feature"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("feature: %d", resp.StatusCode)
	}
	ann := m.WaitFor(t, "Announce", 5*time.Second)
	var doc map[string]any
	if err := json.Unmarshal(ann.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if ann.KeyID != actor+"#main-key" || doc["actor"] != actor || doc["object"] != reply {
		t.Fatalf("announce = %s signed by %s", ann.Body, ann.KeyID)
	}
	th := c.thread(t, "intro")
	if len(th.Replies) != 2 || th.Replies[0].ID != reply || !th.Replies[0].Featured || th.Replies[1].Featured {
		t.Fatalf("thread after feature = %+v", th.Replies)
	}

	if resp := post("/moderate/replies", url.Values{"csrf": {token}, "reply": {reply}, "action": {"unfeature"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unfeature: %d", resp.StatusCode)
	}
	undo := m.WaitFor(t, "Undo", 5*time.Second)
	if !strings.Contains(string(undo.Body), `"id":"`+doc["id"].(string)+`"`) {
		t.Fatalf("undo = %s, want it to name %s", undo.Body, doc["id"])
	}
	if th := c.thread(t, "intro"); th.Replies[0].Featured || th.Replies[1].Featured {
		t.Fatalf("thread after unfeature = %+v", th.Replies)
	}

	// Hiding from the page takes the reply off the threads API at once.
	if resp := post("/moderate/replies", url.Values{"csrf": {token}, "reply": {reply}, "action": {"hide"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("hide: %d", resp.StatusCode)
	}
	if th := c.thread(t, "intro"); th.Count != 1 {
		t.Fatalf("thread after hide = %+v", th.Replies)
	}
}

// TestModerationFromAnotherProcess: a change the CLI writes straight into
// the store (with its audit entry) reaches the running companion's cached
// threads through the audit log within seconds, and ThreadChanged fires.
func TestModerationFromAnotherProcess(t *testing.T) {
	ctx := context.Background()
	c := startCompanion(t)
	m := mastotest.New(t)
	actor, inbox, err := m.Lookup(ctx, "course", c.domain)
	if err != nil {
		t.Fatal(err)
	}
	m.Course = actor
	c.writeManifest(t, intro)
	lesson := c.base + "/lessons/intro"
	if code, _ := m.Post(ctx, "bob", inbox, m.Fixture(t, "mastodon-create-reply.json", "bob", lesson, "7")); code != http.StatusAccepted {
		t.Fatalf("reply: %d", code)
	}
	if th := c.thread(t, "intro"); th.Count != 1 { // now cached
		t.Fatalf("thread = %+v", th)
	}
	// What cohort moderate hide does, without the companion's callbacks.
	if _, err := c.store.SetReplyState(ctx, m.ActorID("bob")+"/statuses/7", activitypub.Hidden,
		activitypub.AuditEntry{Who: "cli:organiser", Action: activitypub.ActionHide}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the hidden reply leaving the cached thread", func() bool { return c.thread(t, "intro").Count == 0 })
}
