package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/server"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// The reflection journals (issue 14), played against the in-process peers.

// journalTag is the course hashtag of these tests.
const journalTag = "socialcourse"

// startJournalCompanion is startCompanion with [federation] hashtag set,
// and the folder its SQLite files are in.
func startJournalCompanion(t testing.TB) (*companion, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	dbDir := filepath.Join(dir, ".cohort")
	st, err := sqlite.Open(ctx, dbDir)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	domain := ts.Listener.Addr().String()
	cfg, err := site.ParseConfig("course.toml", []byte(fmt.Sprintf(courseTOML, domain)+"hashtag = \"#"+journalTag+"\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := &companion{base: "http://" + domain, domain: domain, manifest: filepath.Join(dir, "lessons.json"), store: st}
	c.srv, err = server.New(ctx, server.Config{Course: cfg, ManifestPath: c.manifest, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = c.srv.Handler()
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		cancel()
		c.srv.Wait()
		st.Close()
	})
	return c, dbDir
}

// journalAPI reads the journal API with query q.
func (c *companion) journalAPI(t testing.TB, q url.Values) site.Journal {
	t.Helper()
	resp := c.get(t, "/api/journal?"+q.Encode(), "application/json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("journal API %s: status %d", q.Encode(), resp.StatusCode)
	}
	var j site.Journal
	if err := json.NewDecoder(resp.Body).Decode(&j); err != nil {
		t.Fatal(err)
	}
	return j
}

// journalOf reads handle's journal from the API, and the week's entries
// from the build's reader (discovery's site.Journals), and checks they
// agree.
func (c *companion) journalOf(t testing.TB, handle string) []*site.Reply {
	t.Helper()
	j := c.journalAPI(t, url.Values{"author": {handle}})
	all, err := c.srv.Discussion().(site.Journals).Journal(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Entries) != len(j.Entries) {
		t.Fatalf("the build reads %d entries, the API gives %s %d", len(all.Entries), handle, len(j.Entries))
	}
	return j.Entries
}

// waitCount waits until the peer received n activities of type typ and
// returns the nth.
func waitCount(t testing.TB, m *mastotest.Server, typ string, n int) mastotest.Received {
	t.Helper()
	var got []mastotest.Received
	eventually(t, fmt.Sprintf("%d %s delivered", n, typ), func() bool {
		got = got[:0]
		for _, r := range m.Received() {
			if r.Type == typ {
				got = append(got, r)
			}
		}
		return len(got) >= n
	})
	return got[n-1]
}

// storedBytes returns every file of the store's folder, concatenated: what
// a disk holds, WAL included.
func storedBytes(t testing.TB, dir string) []byte {
	t.Helper()
	var all []byte
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// TestJournalWholeLoopFamilies plays two participants on a server of each
// family whose hashtag shape was read from its source: opt in by a public
// post with the hashtag (the course follows back, signed, through the
// delivery queue; the participant accepts), post, edit, delete, and opt
// out by "!journal off", by unfollowing and by deleting the account, each
// removing the entries from the API at once. Between the steps, posts
// without the hashtag, followers-only and direct posts with it arrive and
// must never be shown nor stored, not even their text. A family that
// cannot address a post to followers only or directly (WordPress) logs
// why and skips those steps, leaving by deleting the account; a family
// whose users cannot post with the hashtag logs why.
func TestJournalWholeLoopFamilies(t *testing.T) {
	for _, fam := range mastotest.Families() {
		t.Run(fam.Name, func(t *testing.T) {
			if fam.Hashtag == nil {
				// A family that cannot post to the journal says why in
				// its Family (TestFamiliesHashtagOrReason holds it to that).
				t.Logf("%s sends no public post of its own with the course hashtag: %s", fam.Name, fam.NoHashtagPost)
				return
			}
			ctx := context.Background()
			c, dbDir := startJournalCompanion(t)
			m := mastotest.NewFamily(t, fam)
			actor, inbox, err := m.Lookup(ctx, "course", c.domain)
			if err != nil {
				t.Fatal(err)
			}
			m.Course = actor
			post := func(user string, body []byte) {
				t.Helper()
				if code, err := m.Post(ctx, user, inbox, body); err != nil || code != http.StatusAccepted {
					t.Fatalf("%s: POST %d %v: %s", fam.Name, code, err, body)
				}
			}
			handle := "@alice@" + m.Host()
			alice := m.ActorID("alice")
			say := func(id, content, audience string, tagged, mention bool) []byte {
				v := mastotest.Vars{User: "alice", ID: id, Content: content, Audience: audience, Mention: mention}
				if tagged {
					v.Hashtag = journalTag
				}
				return m.Activity(t, mastotest.ShapeReply, v)
			}

			// Opt in: a public post with the hashtag that names the course.
			post("alice", say("101", "First week: I listened more than I spoke.", "", true, true))
			follow := waitCount(t, m, "Follow", 1)
			if follow.KeyID != c.base+"/actor#main-key" || !bytes.Contains(follow.Body, []byte(`"object":"`+alice+`"`)) {
				t.Fatalf("follow back = %s signed by %s", follow.Body, follow.KeyID)
			}
			if es := c.journalOf(t, handle); len(es) != 1 || !strings.Contains(es[0].Content, "listened more") || es[0].Author.Handle != handle {
				t.Fatalf("journal after opting in = %+v", es)
			}
			if es := c.journalOf(t, handle); es[0].ID != m.NoteID("alice", "101") || (fam.PostPath != nil && es[0].ID != m.Base+fam.PostPath("alice", "101")) {
				t.Fatalf("entry id = %s, want the post's own id %s", es[0].ID, m.NoteID("alice", "101"))
			}
			var f struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(follow.Body, &f); err != nil {
				t.Fatal(err)
			}
			accept := fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s#accepts/follows/1","type":"Accept","actor":"%s","object":{"id":"%s","type":"Follow","actor":"%s","object":"%s"}}`,
				alice, alice, f.ID, actor, alice)
			post("alice", []byte(accept))
			if p, err := c.store.JournalParticipant(ctx, alice); err != nil || !p.Accepted {
				t.Fatalf("participant after Accept = %+v, %v", p, err)
			}

			// What must never reach a page nor the store (as far as the
			// family can address a post so).
			post("alice", say("102", "UNTAGGED-lunch-plans", "", false, false))
			followersOnly, whyNot := fam.Sends(mastotest.AudienceFollowers)
			if followersOnly {
				post("alice", say("103", "FOLLOWERS-ONLY-reflection", "followers", true, true))
			} else {
				t.Logf("%s sends no followers-only post: %s", fam.Name, whyNot)
			}
			direct, whyNotDirect := fam.Sends(mastotest.AudienceDirect)
			if direct {
				post("alice", say("104", "DIRECT-reflection", "direct", true, true))
			} else {
				t.Logf("%s sends no direct post, so its participants leave by deleting their account only: %s", fam.Name, whyNotDirect)
			}
			if es := c.journalOf(t, handle); len(es) != 1 {
				t.Fatalf("journal after untagged, followers-only and direct posts = %d entries", len(es))
			}
			if j := c.journalAPI(t, url.Values{"all": {"1"}}); len(j.Entries) != 1 {
				t.Fatalf("all entries = %d", len(j.Entries))
			}
			disk := storedBytes(t, dbDir)
			for _, secret := range []string{"UNTAGGED-lunch-plans", "FOLLOWERS-ONLY-reflection", "DIRECT-reflection"} {
				if bytes.Contains(disk, []byte(secret)) {
					t.Errorf("%q was written to the store", secret)
				}
			}

			// Edit and delete follow.
			if m.Has(mastotest.ShapeUpdate) {
				post("alice", m.Activity(t, mastotest.ShapeUpdate, mastotest.Vars{User: "alice", ID: "101", Content: "First week, edited.", Hashtag: journalTag, Mention: true}))
				if es := c.journalOf(t, handle); len(es) != 1 || !strings.Contains(es[0].Content, "edited") {
					t.Fatalf("journal after edit = %+v", es)
				}
			}
			for _, shape := range []string{mastotest.ShapeDeleteTombstone, mastotest.ShapeDeleteIRI, mastotest.ShapeDeleteObject} {
				if m.Has(shape) {
					post("alice", m.Activity(t, shape, mastotest.Vars{User: "alice", ID: "101", Content: "x"}))
					break
				}
			}
			if es := c.journalOf(t, handle); len(es) != 0 {
				t.Fatalf("journal after delete = %+v", es)
			}
			post("alice", say("105", "Second week: feedback is a gift.", "", true, false))
			if es := c.journalOf(t, handle); len(es) != 1 {
				t.Fatalf("journal after a second entry = %d", len(es))
			}

			if direct {
				// Leave by "!journal off": the course undoes its Follow, the
				// entries go at once.
				post("alice", say("106", "!journal off", "direct", false, true))
				undo := waitCount(t, m, "Undo", 1)
				if !bytes.Contains(undo.Body, []byte(f.ID)) {
					t.Fatalf("undo = %s, want the Follow %s undone", undo.Body, f.ID)
				}
				if es := c.journalOf(t, handle); len(es) != 0 {
					t.Fatalf("journal after !journal off = %+v", es)
				}
				post("alice", say("107", "Tagged after leaving.", "", true, false))
				if es := c.journalOf(t, handle); len(es) != 0 {
					t.Fatalf("a post of a participant who left = %+v", es)
				}

				// Come back with "!journal on", then leave by unfollowing.
				post("alice", say("108", "!journal on", "direct", false, true))
				waitCount(t, m, "Follow", 2)
				post("alice", say("109", "Third week.", "", true, false))
				if es := c.journalOf(t, handle); len(es) != 1 {
					t.Fatalf("journal after coming back = %d", len(es))
				}
				if m.Has(mastotest.ShapeUndoFollow) {
					post("alice", m.Activity(t, mastotest.ShapeUndoFollow, mastotest.Vars{User: "alice", ID: "0001"}))
					waitCount(t, m, "Undo", 2)
					if es := c.journalOf(t, handle); len(es) != 0 {
						t.Fatalf("journal after unfollowing = %+v", es)
					}
					post("alice", say("110", "!journal on", "direct", false, true))
					post("alice", say("111", "Fourth week.", "", true, false))
				}
			}

			// A deleted account takes its journal with it.
			if es := c.journalOf(t, handle); len(es) != 1 {
				t.Fatalf("journal before the account's deletion = %d", len(es))
			}
			post("alice", []byte(fmt.Sprintf(`{"@context":"https://www.w3.org/ns/activitystreams","id":"%s#delete","type":"Delete","actor":"%s","object":"%s","to":["%s"]}`,
				alice, alice, alice, activitypub.PublicCollection)))
			if es := c.journalOf(t, handle); len(es) != 0 {
				t.Fatalf("journal after the account's deletion = %+v", es)
			}
			if _, err := c.store.JournalParticipant(ctx, alice); err == nil {
				t.Fatal("a deleted account is still a participant")
			}
		})
	}
}

// TestJournalPrivacyAndModeration: of everything a participant and others
// send, only public posts with the hashtag from participants who opted in
// reach the API and the build; unlisted posts stay out (hashtag listings
// do not show them) and a post that only names the hashtag in its text is
// not tagged, so neither opts anyone in; a moderator's hide takes an entry
// off (show puts it back), and a block takes the author's journal off and
// drops what they send.
func TestJournalPrivacyAndModeration(t *testing.T) {
	ctx := context.Background()
	c, dbDir := startJournalCompanion(t)
	m := mastotest.NewFamily(t, mastotest.FamilyByName("mastodon"))
	actor, inbox, err := m.Lookup(ctx, "course", c.domain)
	if err != nil {
		t.Fatal(err)
	}
	m.Course = actor
	post := func(user string, body []byte) {
		t.Helper()
		if code, err := m.Post(ctx, user, inbox, body); err != nil || code != http.StatusAccepted {
			t.Fatalf("POST %d %v", code, err)
		}
	}
	say := func(user, id, content string, tagged, mention bool) []byte {
		v := mastotest.Vars{User: user, ID: id, Content: content, Mention: mention}
		if tagged {
			v.Hashtag = journalTag
		}
		return m.Activity(t, mastotest.ShapeReply, v)
	}
	all := func() []*site.Reply {
		t.Helper()
		j, err := c.srv.Discussion().(site.Journals).Journal(ctx)
		if err != nil {
			t.Fatal(err)
		}
		api := c.journalAPI(t, url.Values{"all": {"1"}})
		if len(api.Entries) != len(j.Entries) {
			t.Fatalf("API %d entries, build %d", len(api.Entries), len(j.Entries))
		}
		return j.Entries
	}

	// Not opted in: a public post naming #socialcourse only in its text
	// carries no Hashtag tag, and an unlisted one with the tag is not public.
	post("bob", say("bob", "201", "#socialcourse TEXT-ONLY-TAG", false, true))
	unlisted := m.Activity(t, mastotest.ShapeReply, mastotest.Vars{User: "bob", ID: "202", Content: "UNLISTED-TAGGED", Hashtag: journalTag, Mention: true})
	var u map[string]any
	if err := json.Unmarshal(unlisted, &u); err != nil {
		t.Fatal(err)
	}
	for _, o := range []map[string]any{u, u["object"].(map[string]any)} {
		o["to"], o["cc"] = []any{m.ActorID("bob") + "/followers"}, []any{activitypub.PublicCollection, actor}
	}
	unlisted, _ = json.Marshal(u)
	post("bob", unlisted)
	if es := all(); len(es) != 0 {
		t.Fatalf("entries from posts that are not public and tagged = %+v", es)
	}
	if _, err := c.store.JournalParticipant(ctx, m.ActorID("bob")); err == nil {
		t.Fatal("an untagged or unlisted post opted bob in")
	}

	// alice and carol opt in; alice's entry is hidden, then carol is blocked.
	post("alice", say("alice", "301", "Alice reflects.", true, true))
	post("carol", say("carol", "401", "Carol reflects.", true, true))
	if es := all(); len(es) != 2 {
		t.Fatalf("entries after two opt-ins = %d", len(es))
	}
	if _, err := c.srv.Moderation().Hide(ctx, "mia", m.NoteID("alice", "301"), "off topic"); err != nil {
		t.Fatal(err)
	}
	if es := all(); len(es) != 1 || es[0].Author.Handle != "@carol@"+m.Host() {
		t.Fatalf("entries after hiding alice's = %+v", es)
	}
	if _, err := c.srv.Moderation().Show(ctx, "mia", m.NoteID("alice", "301"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.srv.Moderation().Block(ctx, "mia", m.ActorID("carol"), "abuse"); err != nil {
		t.Fatal(err)
	}
	post("carol", say("carol", "402", "BLOCKED-AUTHOR-POST", true, true))
	if es := all(); len(es) != 1 || es[0].Author.Handle != "@alice@"+m.Host() {
		t.Fatalf("entries after blocking carol = %+v", es)
	}
	disk := storedBytes(t, dbDir)
	for _, secret := range []string{"TEXT-ONLY-TAG", "UNLISTED-TAGGED", "BLOCKED-AUTHOR-POST"} {
		if bytes.Contains(disk, []byte(secret)) {
			t.Errorf("%q was written to the store", secret)
		}
	}
}
