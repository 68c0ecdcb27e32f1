package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/publish"
)

// TestDirectMessage: the course account writes to alice on a Mastodon-like
// server and carol on a GoToSocial-like one. Each gets a Create in her own
// inbox (not the shared one) whose Note is addressed to the two of them
// alone and mentions both; bob, on alice's server, gets nothing. Fetching
// the Note's id answers only a signed request from alice or carol: bob
// signed, and anyone unsigned, get 404.
func TestDirectMessage(t *testing.T) {
	ctx := context.Background()
	c := startCompanion(t)
	c.writeManifest(t, intro)
	m := mastotest.New(t)
	g := mastotest.NewFamily(t, mastotest.FamilyByName("gotosocial"))
	alice, carol := m.ActorID("alice"), g.ActorID("carol")

	id, err := c.srv.Publisher().Direct(ctx, publish.DirectMessage{
		To:        []string{alice, carol},
		Content:   "<p>Please review <a href=\"https://x.example/1\">this</a>.</p>",
		InReplyTo: c.base + "/lessons/intro",
		Key:       "review/1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if id != c.base+"/direct/review%2F1" {
		t.Fatalf("id = %s", id)
	}
	// Sent again under the same key, nothing more goes out.
	if again, err := c.srv.Publisher().Direct(ctx, publish.DirectMessage{To: []string{alice}, Content: "x", Key: "review/1"}); err != nil || again != id {
		t.Fatalf("second Direct = %s, %v", again, err)
	}

	for _, peer := range []struct {
		srv   *mastotest.Server
		actor string
	}{{m, alice}, {g, carol}} {
		create := peer.srv.WaitFor(t, "Create", 5*time.Second)
		a, err := c.store.Actor(ctx, peer.actor)
		if err != nil {
			t.Fatal(err)
		}
		if peer.srv.Base+create.Path != a.Inbox {
			t.Errorf("%s: delivered to %s, want the personal inbox %s", peer.actor, create.Path, a.Inbox)
		}
		var act struct {
			To, CC []string
			Object struct {
				ID, InReplyTo, Content string
				To, CC                 []string
				Tag                    []struct{ Type, Href, Name string }
			}
		}
		if err := json.Unmarshal(create.Body, &act); err != nil {
			t.Fatal(err)
		}
		o := act.Object
		want := []string{alice, carol}
		if o.ID != id || !slices.Equal(o.To, want) || len(o.CC) != 0 || !slices.Equal(act.To, want) || len(act.CC) != 0 {
			t.Errorf("%s: addressed to %v cc %v (activity %v cc %v), want %v alone", peer.actor, o.To, o.CC, act.To, act.CC, want)
		}
		if strings.Contains(string(create.Body), activitypub.PublicCollection) || strings.Contains(string(create.Body), "/followers") {
			t.Errorf("%s: a direct message names the public or followers: %s", peer.actor, create.Body)
		}
		if len(o.Tag) != 2 || o.Tag[0].Type != "Mention" || o.Tag[0].Href != alice || o.Tag[0].Name != "@alice@"+m.Host() ||
			o.Tag[1].Href != carol || o.Tag[1].Name != "@carol@"+g.Host() {
			t.Errorf("%s: tags %+v, want a Mention of alice then carol", peer.actor, o.Tag)
		}
		if o.InReplyTo != c.base+"/lessons/intro" || !strings.Contains(o.Content, "Please review") {
			t.Errorf("%s: inReplyTo %s, content %s", peer.actor, o.InReplyTo, o.Content)
		}
	}
	if n := len(m.Received()); n != 1 {
		t.Errorf("alice's server got %d deliveries, want 1 (bob is not a recipient)", n)
	}

	// Fetching the Note: the recipients, signed, get it.
	for _, r := range []struct {
		srv  *mastotest.Server
		user string
	}{{m, "alice"}, {g, "carol"}} {
		code, body, err := r.srv.GetSigned(ctx, r.user, id)
		if err != nil {
			t.Fatal(err)
		}
		if code != http.StatusOK || !strings.Contains(string(body), `"id":"`+id+`"`) {
			t.Errorf("%s fetches the note: %d %s", r.user, code, body)
		}
	}
	// bob, signed, and an unsigned request get 404, as for no note at all.
	if code, body, err := m.GetSigned(ctx, "bob", id); err != nil || code != http.StatusNotFound {
		t.Errorf("bob fetches the note: %d %s %v, want 404", code, body, err)
	}
	if resp := c.get(t, "/direct/review%2F1", "application/activity+json"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unsigned fetch: %d, want 404", resp.StatusCode)
	}
}
