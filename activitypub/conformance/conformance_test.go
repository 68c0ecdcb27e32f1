package conformance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/discovery"
	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/server"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// companion is the real course companion on loopback with a SQLite file.
type companion struct {
	srv      *server.Server
	base     string
	domain   string
	manifest string
	store    *sqlite.Store
}

const courseTOML = `title = "Running a social-learning course online"
base_url = "https://site.example/"

[federation]
handle = "course"
domain = "%s"
allow_insecure = true
`

func startCompanion(t *testing.T) *companion {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, ".cohort"))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(nil)
	domain := ts.Listener.Addr().String()
	cfg, err := site.ParseConfig("course.toml", []byte(fmt.Sprintf(courseTOML, domain)))
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
	data, _ := json.Marshal(site.Manifest{Title: "Course", BaseURL: "https://site.example/", Language: "en", Lessons: []site.ManifestLesson{
		{ID: "intro", Title: "What a cohort is", URL: "https://site.example/01/intro/", Module: "01", Order: 1, Hash: "h1"}}})
	if err := os.WriteFile(c.manifest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.srv.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *companion) thread(t *testing.T) discovery.Thread {
	t.Helper()
	resp, err := http.Get(c.base + "/api/threads/intro")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var th discovery.Thread
	if err := json.NewDecoder(resp.Body).Decode(&th); err != nil {
		t.Fatal(err)
	}
	return th
}

// find returns the reply with id anywhere in the thread.
func find(rs []*discovery.ThreadReply, id string) *discovery.ThreadReply {
	for _, r := range rs {
		if r.ID == id {
			return r
		}
		if r := find(r.Replies, id); r != nil {
			return r
		}
	}
	return nil
}

// TestFamilies runs every shape of every server family through the real
// inbox, signed as that family signs, and checks what the course shows.
// A shape a family never sends is logged with the reason from its source.
func TestFamilies(t *testing.T) {
	for _, fam := range mastotest.Families() {
		t.Run(fam.Name, func(t *testing.T) {
			ctx := context.Background()
			c := startCompanion(t)
			p := mastotest.NewFamily(t, fam)
			p.Course = c.base + "/actor"
			inbox := c.base + "/inbox"
			lesson := c.base + "/lessons/intro"
			if fam.AuthorizedFetchMode != "" {
				// Every actor and post the companion fetches from this peer
				// must then come through a GET signed by the course, which the
				// family's own rules check.
				p.SetAuthorizedFetch(true)
			}
			post := func(t *testing.T, user string, body []byte) {
				t.Helper()
				code, err := p.Post(ctx, user, inbox, body)
				if err != nil || code != http.StatusAccepted {
					t.Fatalf("%s POST: %d %v\n%s", fam.Name, code, err, body)
				}
			}
			run := func(shape string, fn func(t *testing.T)) {
				// A shape the family's own source never sends has no
				// row: it is logged with the reason, not skipped.
				if why, absent := fam.Absent[shape]; absent {
					t.Logf("%s does not send %s: %s", fam.Name, shape, why)
					return
				}
				t.Run(shape, fn)
			}

			t.Run("documents", func(t *testing.T) {
				// The family's WebFinger names its actor; the fetcher takes its
				// key document and the owner's actor, signing its GETs (an
				// authorized-fetch peer answers nothing else).
				wf, err := http.Get(p.Base + "/.well-known/webfinger?resource=acct:alice@" + p.Host())
				if err != nil {
					t.Fatal(err)
				}
				var jrd json.RawMessage
				json.NewDecoder(wf.Body).Decode(&jrd)
				wf.Body.Close()
				id, err := as.WebFingerActor(jrd)
				if err != nil || id != p.ActorID("alice") {
					t.Fatalf("webfinger actor = %q, %v; want %s", id, err, p.ActorID("alice"))
				}
				st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fetcher"))
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				signer := mastotest.New(t) // a Mastodon peer whose key signs the fetcher's GETs
				signer.ActorID("checker")
				fc := fetch.New(fetch.Options{Store: st, KeyID: signer.KeyID("checker"), Key: signer.Key, AllowInsecure: true})
				a, _, err := fc.KeyOwner(ctx, p.KeyID("alice"), false)
				if err != nil {
					t.Fatalf("key %s: %v", p.KeyID("alice"), err)
				}
				if a.ID != p.ActorID("alice") || a.Inbox == "" {
					t.Fatalf("key owner = %+v", a)
				}
				if fam.AuthorizedFetch {
					resp, err := http.Get(p.ActorID("alice"))
					if err != nil {
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusUnauthorized {
						t.Fatalf("unsigned GET of the full actor: %d, want 401", resp.StatusCode)
					}
				}
			})

			checkerGets := len(p.GetSigners()) // the documents row's GETs, signed by a checker peer
			run(mastotest.ShapeFollow, func(t *testing.T) {
				post(t, "alice", p.Activity(t, mastotest.ShapeFollow, mastotest.Vars{User: "alice", ID: "0001"}))
				if n, _ := c.store.FollowerCount(ctx); n != 1 {
					t.Fatalf("followers = %d, want 1", n)
				}
				accept := p.WaitFor(t, "Accept", 5*time.Second)
				var actor map[string]any
				json.Unmarshal(p.Doc(t, "actor.json", mastotest.Vars{User: "alice"}), &actor)
				if want := strings.TrimPrefix(actor["inbox"].(string), p.Base); accept.Path != want {
					t.Fatalf("Accept went to %s, want alice's inbox %s", accept.Path, want)
				}
			})
			reply := p.NoteID("alice", "101")
			run(mastotest.ShapeReply+"/mention", func(t *testing.T) {
				post(t, "alice", p.Activity(t, mastotest.ShapeReply, mastotest.Vars{User: "alice", ID: "101", InReplyTo: lesson, Content: "Groups taught me most.", Mention: true}))
				r := find(c.thread(t).Replies, reply)
				if r == nil || !strings.Contains(r.Content, "Groups taught me most.") {
					t.Fatalf("reply %s not in the thread: %+v", reply, c.thread(t))
				}
			})
			run(mastotest.ShapeReply+"/no-mention", func(t *testing.T) {
				id := p.NoteID("bob", "102")
				post(t, "bob", p.Activity(t, mastotest.ShapeReply, mastotest.Vars{User: "bob", ID: "102", InReplyTo: lesson, Content: "Mine was a choir."}))
				if r := find(c.thread(t).Replies, id); r == nil || !strings.Contains(r.Content, "Mine was a choir.") {
					t.Fatalf("reply %s not in the thread: %+v", id, c.thread(t))
				}
			})
			run(mastotest.ShapeUpdate, func(t *testing.T) {
				post(t, "alice", p.Activity(t, mastotest.ShapeUpdate, mastotest.Vars{User: "alice", ID: "101", InReplyTo: lesson, Content: "Groups taught me most (edited).", Mention: true}))
				if r := find(c.thread(t).Replies, reply); r == nil || !strings.Contains(r.Content, "(edited)") {
					t.Fatalf("edit not applied: %+v", r)
				}
			})
			run(mastotest.ShapeLike, func(t *testing.T) {
				post(t, "carol", p.Activity(t, mastotest.ShapeLike, mastotest.Vars{User: "carol", ID: "201", Object: lesson}))
				if th := c.thread(t); th.Likes != 1 {
					t.Fatalf("likes = %d, want 1", th.Likes)
				}
			})
			run(mastotest.ShapeAnnounce, func(t *testing.T) {
				post(t, "carol", p.Activity(t, mastotest.ShapeAnnounce, mastotest.Vars{User: "carol", ID: "202", Object: lesson}))
				if th := c.thread(t); th.Boosts != 1 {
					t.Fatalf("boosts = %d, want 1", th.Boosts)
				}
			})
			for _, shape := range []string{mastotest.ShapeDeleteTombstone, mastotest.ShapeDeleteIRI, mastotest.ShapeDeleteObject} {
				run(shape, func(t *testing.T) {
					id := p.NoteID("dave", "301")
					post(t, "dave", p.Activity(t, mastotest.ShapeReply, mastotest.Vars{User: "dave", ID: "301", InReplyTo: lesson, Content: "Soon gone.", Mention: true}))
					if find(c.thread(t).Replies, id) == nil {
						t.Fatalf("reply to delete was not stored")
					}
					post(t, "dave", p.Activity(t, shape, mastotest.Vars{User: "dave", ID: "301", InReplyTo: lesson, Content: "Soon gone."}))
					if find(c.thread(t).Replies, id) != nil {
						t.Fatalf("%s did not remove the reply", shape)
					}
				})
			}
			run(mastotest.ShapeUndoFollow, func(t *testing.T) {
				post(t, "alice", p.Activity(t, mastotest.ShapeUndoFollow, mastotest.Vars{User: "alice", ID: "0001"}))
				if n, _ := c.store.FollowerCount(ctx); n != 0 {
					t.Fatalf("followers after undo = %d, want 0", n)
				}
			})

			// What the course sent this peer (an Accept, its signed GETs)
			// passed the family's own inbox and fetch rules.
			t.Run("course-requests", func(t *testing.T) {
				if refused := p.RuleFailures(); len(refused) > 0 {
					t.Fatalf("%s refused the course's requests (rules: %+v):\n%s", fam.Name, fam.Inbox, strings.Join(refused, "\n"))
				}
			})
			if fam.AuthorizedFetchMode != "" {
				t.Run("signed-get", func(t *testing.T) {
					// The companion fetched this peer's actors with GETs signed by
					// the course's key, whose id the peer dereferenced back to the
					// course actor (mastotest's fetchKey, as the family does).
					signers := p.GetSigners()[checkerGets:]
					if len(signers) == 0 {
						t.Fatalf("the companion made no signed GET to %s (mode %s)", fam.Name, fam.AuthorizedFetchMode)
					}
					for _, k := range signers {
						if k != c.base+"/actor#main-key" {
							t.Fatalf("GET signed by %s, want the course's key %s", k, c.base+"/actor#main-key")
						}
					}
				})
			} else {
				t.Logf("%s: no authorized-fetch mode read in its source; signed GETs not checked", fam.Name)
			}
		})
	}
}

// TestCourseDocumentsPerFamily checks the course's own documents against
// what a family's source says it requires of a remote actor.
func TestCourseDocumentsPerFamily(t *testing.T) {
	c := startCompanion(t)
	req, _ := http.NewRequest(http.MethodGet, c.base+"/actor", nil)
	req.Header.Set("Accept", "application/activity+json")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var actor map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&actor); err != nil {
		t.Fatal(err)
	}
	// Every family reads these (Mastodon app/lib/activitypub/... ; GoToSocial
	// internal/ap/extract.go ExtractPublicKey; Misskey ApPersonService.ts
	// validateActor: inbox, preferredUsername, publicKey).
	pk, _ := actor["publicKey"].(map[string]any)
	if actor["inbox"] == nil || actor["preferredUsername"] == nil || pk["publicKeyPem"] == nil || pk["owner"] != actor["id"] {
		t.Fatalf("actor lacks what every family needs: %v", actor)
	}
	// GoToSocial logs errors when the actor has no `featured` collection
	// (../shared/fixtures/gotosocial/README.md).
	if actor["featured"] == nil {
		t.Errorf("actor has no featured collection: %v", actor)
	}
	// Pleroma (pleroma-social/pleroma lib/pleroma/signature.ex
	// key_id_to_actor_id) and Lemmy (LemmyNet/activitypub-federation-rust
	// src/http_signatures.rs signing_actor) drop the key id's fragment and
	// fetch what is left as the actor: it must be the actor, holding the key.
	keyID, _ := pk["id"].(string)
	if actorID, frag, ok := strings.Cut(keyID, "#"); !ok || frag == "" || actorID != actor["id"] {
		t.Errorf("key id %q is not <actor>#<fragment> of %v", keyID, actor["id"])
	}
	// GoToSocial internal/transport/dereference.go refuses a document whose
	// Content-Type internal/api/util/mime.go ASContentType does not accept.
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/activity+json") && !strings.HasPrefix(ct, "application/ld+json") {
		t.Errorf("actor served as %q, which GoToSocial refuses", ct)
	}
}
