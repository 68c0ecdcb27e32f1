package inbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/inbox"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/sig"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

// env is a course companion's inbox on loopback with one lesson, and a
// Mastodon-like server whose accounts talk to it.
type env struct {
	t       testing.TB
	store   *sqlite.Store
	urls    activitypub.URLs
	inbox   string
	lesson  string // the lesson object's id
	m       *mastotest.Server
	mu      sync.Mutex
	changed []string
}

const lessonID = "intro"

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvWith(t, activitypub.Moderation{})
}

// newEnvWith is newEnv with moderation settings.
func newEnvWith(t testing.TB, mod activitypub.Moderation) *env {
	t.Helper()
	return newEnvStore(t, mod, nil)
}

// newEnvStore is newEnvWith whose inbox uses wrap(store) when wrap is set,
// to inject failures; e.store stays the real store underneath.
func newEnvStore(t testing.TB, mod activitypub.Moderation, wrap func(*sqlite.Store) activitypub.Store) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, store: st}
	ts := httptest.NewUnstartedServer(nil)
	e.urls = activitypub.URLs{Base: "http://" + ts.Listener.Addr().String()}
	var inboxStore activitypub.Store = st
	if wrap != nil {
		inboxStore = wrap(st)
	}
	h := inbox.New(inbox.Options{
		Store:      inboxStore,
		Fetch:      fetch.New(fetch.Options{Store: st, AllowInsecure: true}),
		URLs:       e.urls,
		Moderation: mod,
		Changed: func(l string) {
			e.mu.Lock()
			e.changed = append(e.changed, l)
			e.mu.Unlock()
		},
	})
	ts.Config.Handler = h
	ts.Start()
	t.Cleanup(ts.Close)
	e.inbox = e.urls.Inbox()
	e.lesson = e.urls.Lesson(lessonID)
	if err := st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: lessonID, ObjectID: e.lesson, ContentHash: "h"}); err != nil {
		t.Fatal(err)
	}
	e.m = mastotest.New(t)
	e.m.Course = e.urls.Actor()
	return e
}

// fixture returns a fixture as user with status id, in reply to inReplyTo
// (the lesson when empty), changed by edit.
func (e *env) fixture(name, user, status, inReplyTo string, edit func(act, note map[string]any)) []byte {
	e.t.Helper()
	if inReplyTo == "" {
		inReplyTo = e.lesson
	}
	data := e.m.Fixture(e.t, name, user, inReplyTo, status)
	if edit == nil {
		return data
	}
	var act map[string]any
	if err := json.Unmarshal(data, &act); err != nil {
		e.t.Fatal(err)
	}
	note, _ := act["object"].(map[string]any)
	edit(act, note)
	out, err := json.Marshal(act)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func (e *env) post(user string, body []byte) int {
	e.t.Helper()
	code, err := e.m.Post(context.Background(), user, e.inbox, body)
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

func (e *env) thread() []activitypub.Reply {
	e.t.Helper()
	th, err := e.store.Thread(context.Background(), lessonID, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return th
}

func (e *env) reply(id string) (activitypub.Reply, bool) {
	e.t.Helper()
	r, err := e.store.Reply(context.Background(), id)
	if errors.Is(err, activitypub.ErrNotFound) {
		return r, false
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return r, true
}

func (e *env) counts() activitypub.Counts {
	e.t.Helper()
	c, err := e.store.Counts(context.Background(), []string{e.lesson})
	if err != nil {
		e.t.Fatal(err)
	}
	return c[e.lesson]
}

func (e *env) status(user, id string) string { return e.m.ActorID(user) + "/statuses/" + id }

var (
	otherKeyOnce sync.Once
	otherKey     *sig.KeyPair
)

func forgeryKey(t testing.TB) *sig.KeyPair {
	otherKeyOnce.Do(func() {
		var err error
		if otherKey, err = sig.GenerateKey(); err != nil {
			t.Fatal(err)
		}
	})
	return otherKey
}

// TestHostileInputs: one row per rule of the inbox, with what a sender
// sees (the status) and what the course keeps (the check).
func TestHostileInputs(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		send  func(e *env) int
		want  int
		check func(t *testing.T, e *env)
	}{
		{
			name: "a public Mastodon reply is stored and listed",
			send: func(e *env) int {
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				th := e.thread()
				if len(th) != 1 || th[0].ID != e.status("alice", "1") || th[0].LessonID != lessonID || th[0].InReplyTo != e.lesson {
					t.Fatalf("thread = %+v", th)
				}
				if !strings.Contains(th[0].Content, `rel="nofollow noopener ugc"`) {
					t.Errorf("links not rewritten: %s", th[0].Content)
				}
			},
		},
		{
			name: "forged signature is refused",
			send: func(e *env) int {
				code, _ := e.m.PostAs(ctx, e.m.KeyID("alice"), forgeryKey(t), e.inbox,
					e.fixture("mastodon-create-reply.json", "alice", "1", "", nil), nil)
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "missing signature is refused",
			send: func(e *env) int {
				code, _ := e.m.PostAs(ctx, "", nil, e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil), nil)
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "body changed after signing (digest) is refused",
			send: func(e *env) int {
				body := e.fixture("mastodon-create-reply.json", "alice", "1", "", nil)
				code, _ := e.m.PostAs(ctx, e.m.KeyID("alice"), e.m.Key, e.inbox, body, func(r *http.Request) {
					evil := bytes.Replace(body, []byte("Terraform"), []byte("Malware!!"), 1)
					r.Body = io.NopCloser(bytes.NewReader(evil))
					r.ContentLength = int64(len(evil))
				})
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name:  "key of another actor than the activity's is refused",
			send:  func(e *env) int { return e.post("bob", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil)) },
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "spoofed object origin: the object is taken from its origin, which does not have it",
			send: func(e *env) int {
				other := mastotest.New(t)
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", func(act, note map[string]any) {
					note["id"] = other.Base + "/users/carol/statuses/9"
					note["attributedTo"] = other.ActorID("carol")
				}))
			},
			want:  http.StatusAccepted,
			check: nothingStored,
		},
		{
			name: "spoofed object origin: the origin's copy is stored, not the claimed text",
			send: func(e *env) int {
				other := mastotest.New(t)
				other.Course = e.m.Course
				id, _ := other.Note(t, "carol", "9", e.lesson, "<p>what carol really wrote</p>", nil)
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", func(act, note map[string]any) {
					note["id"] = id
					note["content"] = "<p>words put in carol's mouth</p>"
				}))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				th := e.thread()
				if len(th) != 1 || !strings.Contains(th[0].Content, "what carol really wrote") || !strings.Contains(th[0].Actor, "/users/carol") {
					t.Fatalf("thread = %+v", th)
				}
			},
		},
		{
			name: "a replayed Undo changes nothing",
			send: func(e *env) int {
				like := func(id string) []byte {
					return e.fixture("mastodon-like.json", "alice", "", "", func(act, _ map[string]any) {
						act["id"] = e.m.ActorID("alice") + "#likes/" + id
						act["object"] = e.lesson
					})
				}
				e.post("alice", like("1"))
				undo := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + e.m.ActorID("alice") + `#likes/1/undo","type":"Undo","actor":"` + e.m.ActorID("alice") + `","object":` + string(like("1")) + `}`)
				e.post("alice", undo)
				e.post("alice", like("2"))
				return e.post("alice", undo)
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if c := e.counts(); c.Likes != 1 {
					t.Fatalf("likes = %d, want 1 (the replayed Undo must not remove the second like)", c.Likes)
				}
			},
		},
		{
			name: "oversized body is refused",
			send: func(e *env) int {
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", func(_, note map[string]any) {
					note["content"] = strings.Repeat("a", inbox.BodyLimit)
				}))
			},
			want:  http.StatusRequestEntityTooLarge,
			check: nothingStored,
		},
		{
			name: "script and style in content are removed before storing",
			send: func(e *env) int {
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", func(_, note map[string]any) {
					note["content"] = `<p onclick="x()">Hi<script>alert(1)</script><style>body{display:none}</style> <a href="javascript:alert(1)">x</a> <img src=x onerror=alert(1)></p>`
				}))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				r, ok := e.reply(e.status("alice", "1"))
				if !ok {
					t.Fatal("not stored")
				}
				for _, bad := range []string{"script", "style", "onclick", "javascript", "onerror", "<img", "alert"} {
					if strings.Contains(r.Content, bad) {
						t.Errorf("stored content has %q: %s", bad, r.Content)
					}
				}
			},
		},
		{
			name: "a reply to an object that is not ours is dropped",
			send: func(e *env) int {
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", e.m.Base+"/users/zed/statuses/404", nil))
			},
			want:  http.StatusAccepted,
			check: nothingStored,
		},
		{
			name: "a direct reply is stored but not listed",
			send: func(e *env) int {
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", func(act, note map[string]any) {
					for _, m := range []map[string]any{act, note} {
						m["to"] = []any{e.urls.Actor()}
						m["cc"] = []any{}
					}
				}))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				r, ok := e.reply(e.status("alice", "1"))
				if !ok || r.Visibility != activitypub.Direct {
					t.Fatalf("stored = %v, %+v", ok, r)
				}
				if th := e.thread(); len(th) != 0 {
					t.Fatalf("a direct reply is listed: %+v", th)
				}
			},
		},
		{
			name: "a followers-only reply is stored but not listed",
			send: func(e *env) int {
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", func(act, note map[string]any) {
					for _, m := range []map[string]any{act, note} {
						m["to"] = []any{e.m.ActorID("alice") + "/followers"}
						m["cc"] = []any{e.urls.Actor()}
					}
				}))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				r, ok := e.reply(e.status("alice", "1"))
				if !ok || r.Visibility != activitypub.FollowersOnly {
					t.Fatalf("stored = %v, %+v", ok, r)
				}
				if th := e.thread(); len(th) != 0 {
					t.Fatalf("a followers-only reply is listed: %+v", th)
				}
			},
		},
		{
			name: "a reply to the author's followers collection is followers-only whatever its URL",
			send: func(e *env) int {
				fans := e.m.Base + "/social/erin/fans" // not ".../followers": the suffix rule would say direct
				e.m.AddNote(e.m.ActorID("erin"), actorWith(t, e, "erin", func(a map[string]any) { a["followers"] = fans }))
				return e.post("erin", e.fixture("mastodon-create-reply.json", "erin", "1", "", func(act, note map[string]any) {
					for _, m := range []map[string]any{act, note} {
						m["to"] = []any{fans}
						m["cc"] = []any{e.urls.Actor()}
					}
				}))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if r, ok := e.reply(e.status("erin", "1")); !ok || r.Visibility != activitypub.FollowersOnly {
					t.Fatalf("stored = %v, %+v", ok, r)
				}
				if th := e.thread(); len(th) != 0 {
					t.Fatalf("listed: %+v", th)
				}
			},
		},
		{
			name: "a reply to someone else's followers collection is direct, not followers-only",
			send: func(e *env) int {
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", func(act, note map[string]any) {
					for _, m := range []map[string]any{act, note} {
						m["to"] = []any{e.m.ActorID("bob") + "/followers"}
						m["cc"] = []any{e.urls.Actor()}
					}
				}))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if r, ok := e.reply(e.status("alice", "1")); !ok || r.Visibility != activitypub.Direct {
					t.Fatalf("stored = %v, %+v", ok, r)
				}
			},
		},
		{
			name: "an author whose actor names no followers collection falls back to the /followers suffix",
			send: func(e *env) int {
				e.m.AddNote(e.m.ActorID("frank"), actorWith(t, e, "frank", func(a map[string]any) { delete(a, "followers") }))
				return e.post("frank", e.fixture("mastodon-create-reply.json", "frank", "1", "", func(act, note map[string]any) {
					for _, m := range []map[string]any{act, note} {
						m["to"] = []any{e.m.ActorID("frank") + "/followers"}
						m["cc"] = []any{e.urls.Actor()}
					}
				}))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if r, ok := e.reply(e.status("frank", "1")); !ok || r.Visibility != activitypub.FollowersOnly {
					t.Fatalf("stored = %v, %+v", ok, r)
				}
			},
		},
		{
			name: "a Delete of a reply never received is acknowledged and changes nothing",
			send: func(e *env) int {
				return e.post("alice", e.fixture("mastodon-delete-note.json", "alice", "77", "", nil))
			},
			want:  http.StatusAccepted,
			check: nothingStored,
		},
		{
			name: "a Delete whose object is a bare id removes the reply",
			send: func(e *env) int {
				e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil))
				return e.post("alice", e.fixture("mastodon-delete-note.json", "alice", "1", "", func(act, _ map[string]any) {
					act["object"] = e.status("alice", "1")
				}))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if r, _ := e.reply(e.status("alice", "1")); !r.Deleted {
					t.Fatalf("reply not deleted: %+v", r)
				}
			},
		},
		{
			name: "a Delete by another actor is refused",
			send: func(e *env) int {
				e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil))
				return e.post("bob", e.fixture("mastodon-delete-note.json", "bob", "1", "", func(act, _ map[string]any) {
					act["object"] = e.status("alice", "1")
				}))
			},
			want: http.StatusForbidden,
			check: func(t *testing.T, e *env) {
				if len(e.thread()) != 1 {
					t.Fatal("reply gone")
				}
			},
		},
		{
			name: "a replayed Create changes nothing, even after an edit that kept its version",
			send: func(e *env) int {
				create := e.fixture("mastodon-create-reply.json", "alice", "1", "", nil)
				if code := e.post("alice", create); code != http.StatusAccepted {
					return code
				}
				// An edit from a server that sends no "updated": the version
				// stays the published time, so only the activity id tells the
				// replayed Create apart.
				edit := e.fixture("mastodon-update-note.json", "alice", "1", "", func(act, note map[string]any) {
					delete(note, "updated")
					note["content"] = "<p>edited</p>"
					delete(note, "contentMap")
				})
				if code := e.post("alice", edit); code != http.StatusAccepted {
					return code
				}
				return e.post("alice", create)
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				r, ok := e.reply(e.status("alice", "1"))
				if !ok || r.Content != "<p>edited</p>" {
					t.Fatalf("after the replay: %+v (stored %v), want the edit kept", r, ok)
				}
				e.mu.Lock()
				defer e.mu.Unlock()
				if len(e.changed) != 2 {
					t.Fatalf("thread changed %d times (%v), want 2: the replay must not signal a change", len(e.changed), e.changed)
				}
			},
		},
		{
			name: "a replayed Update changes nothing",
			send: func(e *env) int {
				e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil))
				edit := e.fixture("mastodon-update-note.json", "alice", "1", "", nil)
				e.post("alice", edit)
				return e.post("alice", edit)
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				e.mu.Lock()
				defer e.mu.Unlock()
				if len(e.changed) != 2 {
					t.Fatalf("thread changed %d times (%v), want 2", len(e.changed), e.changed)
				}
			},
		},
		{
			name: "application/ld+json with the ActivityStreams profile is accepted",
			send: func(e *env) int {
				e.m.ContentType = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if len(e.thread()) != 1 {
					t.Fatal("not stored")
				}
			},
		},
		{
			name: "plain text is not an activity",
			send: func(e *env) int {
				body := e.fixture("mastodon-create-reply.json", "alice", "1", "", nil)
				req, _ := http.NewRequest(http.MethodPost, e.inbox, bytes.NewReader(body))
				req.Header.Set("Content-Type", "text/plain")
				if err := (sig.Signer{}).Sign(req, e.m.KeyID("alice"), e.m.Key.PrivateKey(), body); err != nil {
					t.Fatal(err)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			},
			want:  http.StatusUnsupportedMediaType,
			check: nothingStored,
		},
		{
			name: "single-valued to, cc and tag are read",
			send: func(e *env) int {
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", func(act, note map[string]any) {
					for _, m := range []map[string]any{act, note} {
						m["to"] = activitypub.PublicCollection
						m["cc"] = e.urls.Actor()
					}
					note["tag"] = map[string]any{"type": "Mention", "href": e.urls.Actor(), "name": "@course"}
				}))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if th := e.thread(); len(th) != 1 || th[0].Visibility != activitypub.Public {
					t.Fatalf("thread = %+v", th)
				}
			},
		},
		{
			name: "hs2019 as the algorithm name is accepted",
			send: func(e *env) int {
				code, _ := e.m.PostAs(ctx, e.m.KeyID("alice"), e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil), func(r *http.Request) {
					r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="rsa-sha256"`, `algorithm="hs2019"`, 1))
				})
				return code
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if len(e.thread()) != 1 {
					t.Fatal("not stored")
				}
			},
		},
		{
			name: "a key id that is a path is followed to its owner",
			send: func(e *env) int {
				keyID := e.m.ActorID("dave") + "/main-key"
				pem, _ := json.Marshal(e.m.Key.PublicKeyPEM())
				e.m.AddNote(keyID, []byte(`{"@context":"https://w3id.org/security/v1","id":"`+keyID+`","owner":"`+e.m.ActorID("dave")+`","publicKeyPem":`+string(pem)+`}`))
				e.m.AddNote(e.m.ActorID("dave"), []byte(strings.Replace(string(e.m.Actor(t, "dave")), e.m.KeyID("dave"), keyID, 1)))
				code, _ := e.m.PostAs(ctx, keyID, e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "dave", "1", "", nil), nil)
				return code
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if th := e.thread(); len(th) != 1 || th[0].Actor != e.m.ActorID("dave") {
					t.Fatalf("thread = %+v", th)
				}
			},
		},
		// Key forms and key ownership. Each form is one a server family
		// really sends (see activitypub/as/key.go for the sources); each
		// refusal is a way to borrow a key that is not the signer's.
		{
			name: "a key id whose document is a minimal Person with no inbox (GoToSocial) is followed to the full actor",
			send: func(e *env) int {
				keyID := e.m.ActorID("dave") + "/main-key"
				e.m.AddNote(keyID, minimalKeyPerson(e.m.ActorID("dave"), keyID, e.m.Key.PublicKeyPEM()))
				e.m.AddNote(e.m.ActorID("dave"), []byte(strings.Replace(string(e.m.Actor(t, "dave")), e.m.KeyID("dave"), keyID, 1)))
				code, _ := e.m.PostAs(ctx, keyID, e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "dave", "1", "", nil), nil)
				return code
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if th := e.thread(); len(th) != 1 || th[0].Actor != e.m.ActorID("dave") {
					t.Fatalf("thread = %+v", th)
				}
				a, err := e.store.ActorByKeyID(ctx, e.m.ActorID("dave")+"/main-key")
				if err != nil || a.Inbox == "" {
					t.Fatalf("owner stored without its full actor: %+v, %v", a, err)
				}
			},
		},
		{
			name: "a bare key object of type CryptographicKey is followed to its owner",
			send: func(e *env) int {
				keyID := e.m.ActorID("dave") + "/key"
				pem, _ := json.Marshal(e.m.Key.PublicKeyPEM())
				e.m.AddNote(keyID, []byte(`{"@context":"https://w3id.org/security/v1","type":"CryptographicKey","id":"`+keyID+`","owner":"`+e.m.ActorID("dave")+`","publicKeyPem":`+string(pem)+`}`))
				e.m.AddNote(e.m.ActorID("dave"), []byte(strings.Replace(string(e.m.Actor(t, "dave")), e.m.KeyID("dave"), keyID, 1)))
				code, _ := e.m.PostAs(ctx, keyID, e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "dave", "1", "", nil), nil)
				return code
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if len(e.thread()) != 1 {
					t.Fatal("not stored")
				}
			},
		},
		{
			name: "a key document whose owner's actor does not list that key is refused",
			send: func(e *env) int {
				keyID := e.m.ActorID("alice") + "/main-key" // alice's actor lists only #main-key
				e.m.AddNote(keyID, minimalKeyPerson(e.m.ActorID("alice"), keyID, e.m.Key.PublicKeyPEM()))
				code, _ := e.m.PostAs(ctx, keyID, e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil), nil)
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "an owner that lists the key id with other key material is refused",
			send: func(e *env) int {
				keyID := e.m.ActorID("alice") + "/main-key"
				e.m.AddNote(keyID, minimalKeyPerson(e.m.ActorID("alice"), keyID, forgeryKey(t).PublicKeyPEM()))
				e.m.AddNote(e.m.ActorID("alice"), []byte(strings.Replace(string(e.m.Actor(t, "alice")), e.m.KeyID("alice"), keyID, 1)))
				code, _ := e.m.PostAs(ctx, keyID, forgeryKey(t), e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil), nil)
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "a key document that names an owner on another host is refused",
			send: func(e *env) int {
				other := mastotest.New(t)
				keyID := e.m.ActorID("alice") + "/main-key"
				e.m.AddNote(keyID, minimalKeyPerson(other.ActorID("alice"), keyID, e.m.Key.PublicKeyPEM()))
				other.AddNote(other.ActorID("alice"), []byte(strings.Replace(string(other.Actor(t, "alice")), other.KeyID("alice"), keyID, 1)))
				body := bytes.ReplaceAll(e.fixture("mastodon-create-reply.json", "alice", "1", "", nil), []byte(e.m.Base), []byte(other.Base))
				code, _ := e.m.PostAs(ctx, keyID, e.m.Key, e.inbox, body, nil)
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "an actor that claims another host's key id cannot sign with it",
			send: func(e *env) int {
				evil := mastotest.New(t)
				// mallory's document claims alice's key id, on alice's host.
				evil.AddNote(evil.ActorID("mallory"), []byte(strings.Replace(string(evil.Actor(t, "mallory")), evil.KeyID("mallory"), e.m.KeyID("alice"), 1)))
				body := e.fixture("mastodon-create-reply.json", "alice", "1", "", nil)
				body = bytes.ReplaceAll(body, []byte(e.m.ActorID("alice")), []byte(evil.ActorID("mallory")))
				code, _ := evil.PostAs(ctx, e.m.KeyID("alice"), forgeryKey(t), e.inbox, body, nil)
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "a key id that is not an http(s) URL is refused without a fetch",
			send: func(e *env) int {
				code, _ := e.m.PostAs(ctx, "urn:uuid:2f1c0a3e-0000-4000-8000-000000000000", e.m.Key, e.inbox,
					e.fixture("mastodon-create-reply.json", "alice", "1", "", nil), nil)
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "a key id whose document is a Note, not a key, is refused",
			send: func(e *env) int {
				keyID := e.m.ActorID("alice") + "/statuses/9"
				pem, _ := json.Marshal(e.m.Key.PublicKeyPEM())
				e.m.AddNote(keyID, []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Note","id":"`+keyID+`","owner":"`+e.m.ActorID("alice")+`","publicKeyPem":`+string(pem)+`}`))
				code, _ := e.m.PostAs(ctx, keyID, e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil), nil)
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "a key id on a host that does not answer is refused",
			send: func(e *env) int {
				dead := httptest.NewServer(http.NotFoundHandler())
				keyID := dead.URL + "/users/alice#main-key"
				dead.Close() // nothing listens there now
				code, _ := e.m.PostAs(ctx, keyID, e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil), nil)
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "a key id whose document is larger than any key is refused",
			send: func(e *env) int {
				keyID := e.m.ActorID("alice") + "/huge-key"
				e.m.AddNote(keyID, append([]byte(`{"id":"`+keyID+`","padding":"`), append(bytes.Repeat([]byte("A"), 2<<20), []byte(`"}`)...)...))
				code, _ := e.m.PostAs(ctx, keyID, e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil), nil)
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "a request dated outside Mastodon's 12-hour window is refused before any fetch",
			send: func(e *env) int {
				code, _ := e.m.PostAs(ctx, e.m.KeyID("alice"), e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil),
					func(r *http.Request) {
						r.Header.Set("Date", time.Now().Add(-13*time.Hour).UTC().Format(http.TimeFormat))
					})
				if n := e.m.Gets("/users/alice"); n != 0 {
					t.Errorf("the key was fetched %d times for a stale request", n)
				}
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "an algorithm other than rsa-sha256 or hs2019 is refused",
			send: func(e *env) int {
				code, _ := e.m.PostAs(ctx, e.m.KeyID("alice"), e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil),
					func(r *http.Request) {
						r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="rsa-sha256"`, `algorithm="hmac-sha256"`, 1))
					})
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "a Signature header that names keyId twice is refused",
			send: func(e *env) int {
				code, _ := e.m.PostAs(ctx, e.m.KeyID("alice"), e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil),
					func(r *http.Request) {
						r.Header.Set("Signature", r.Header.Get("Signature")+`,keyId="`+e.m.KeyID("bob")+`"`)
					})
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "a signature that leaves the digest out is refused",
			send: func(e *env) int {
				code, _ := e.m.PostAs(ctx, e.m.KeyID("alice"), e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil),
					func(r *http.Request) {
						r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), " digest", "", 1))
						r.Header.Del("Digest")
					})
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "a rotated key is refetched once",
			send: func(e *env) int {
				e.post("alice", e.fixture("mastodon-like.json", "alice", "", "", nil)) // caches the old key
				e.m.PublishKey("alice", forgeryKey(t).PublicKeyPEM())
				code, _ := e.m.PostAs(ctx, e.m.KeyID("alice"), forgeryKey(t), e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil), nil)
				return code
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if len(e.thread()) != 1 {
					t.Fatal("not stored")
				}
			},
		},
		{
			name: "an unknown activity type is acknowledged and dropped",
			send: func(e *env) int {
				return e.post("alice", []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"`+e.m.ActorID("alice")+`#reacts/1","type":"EmojiReact","actor":"`+e.m.ActorID("alice")+`","object":"`+e.lesson+`","content":"🔥"}`))
			},
			want:  http.StatusAccepted,
			check: nothingStored,
		},
		// Ownership: Update, Create, Delete and Undo act only on what the
		// sending actor owns, even when it is on the same server.
		{
			name: "an Update by another actor of the same server reusing a reply's id is refused, the reply kept",
			send: func(e *env) int {
				e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil))
				return e.post("bob", e.fixture("mastodon-update-note.json", "bob", "1", "", func(_, note map[string]any) {
					note["id"] = e.status("alice", "1")
					note["content"] = "<p>words put in alice's mouth</p>"
					delete(note, "contentMap")
				}))
			},
			want: http.StatusForbidden,
			check: func(t *testing.T, e *env) {
				r, ok := e.reply(e.status("alice", "1"))
				if !ok || r.Actor != e.m.ActorID("alice") || strings.Contains(r.Content, "mouth") {
					t.Fatalf("alice's reply = %+v (stored %v), want it unchanged", r, ok)
				}
			},
		},
		{
			name: "a Create by another actor of the same server reusing a reply's id is refused, the reply kept",
			send: func(e *env) int {
				e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil))
				return e.post("bob", e.fixture("mastodon-create-reply.json", "bob", "2", "", func(_, note map[string]any) {
					note["id"] = e.status("alice", "1")
					note["content"] = "<p>hijacked</p>"
					delete(note, "contentMap")
				}))
			},
			want: http.StatusForbidden,
			check: func(t *testing.T, e *env) {
				if th := e.thread(); len(th) != 1 || th[0].Actor != e.m.ActorID("alice") || strings.Contains(th[0].Content, "hijacked") {
					t.Fatalf("thread = %+v, want alice's reply unchanged", th)
				}
			},
		},
		{
			name: "an Undo naming another actor's Like by its bare id leaves the like",
			send: func(e *env) int {
				likeID := e.m.ActorID("alice") + "#likes/1"
				e.post("alice", e.fixture("mastodon-like.json", "alice", "", "", func(act, _ map[string]any) {
					act["id"], act["object"] = likeID, e.lesson
				}))
				return e.post("bob", []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"`+e.m.ActorID("bob")+`#undo/1","type":"Undo","actor":"`+e.m.ActorID("bob")+`","object":"`+likeID+`"}`))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if c := e.counts(); c.Likes != 1 {
					t.Fatalf("likes = %d, want alice's like kept", c.Likes)
				}
			},
		},
		{
			name: "an Undo of another actor's Like id dressed as the undoer's own leaves the like",
			send: func(e *env) int {
				likeID := e.m.ActorID("alice") + "#likes/1"
				e.post("alice", e.fixture("mastodon-like.json", "alice", "", "", func(act, _ map[string]any) {
					act["id"], act["object"] = likeID, e.lesson
				}))
				bob := e.m.ActorID("bob")
				return e.post("bob", []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"`+bob+`#undo/1","type":"Undo","actor":"`+bob+`",
					"object":{"id":"`+likeID+`","type":"Like","actor":"`+bob+`","object":"`+e.lesson+`"}}`))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if c := e.counts(); c.Likes != 1 {
					t.Fatalf("likes = %d, want alice's like kept", c.Likes)
				}
			},
		},
		// Tombstones: a Delete that arrives first wins.
		{
			name: "a Delete before its Create leaves a tombstone: the late Create stores nothing",
			send: func(e *env) int {
				e.post("alice", e.fixture("mastodon-delete-note.json", "alice", "1", "", func(act, _ map[string]any) {
					act["object"] = e.status("alice", "1") // a bare IRI, as GoToSocial sends for replies it never delivered
				}))
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil))
			},
			want:  http.StatusAccepted,
			check: nothingStored,
		},
		{
			name: "a parent deleted before it reached us is not fetched back by a reply to it",
			send: func(e *env) int {
				parent, _ := e.m.Note(t, "alice", "1", e.lesson, "<p>alice's deleted answer</p>", nil) // its origin still serves it
				e.post("alice", e.fixture("mastodon-delete-note.json", "alice", "1", "", func(act, _ map[string]any) { act["object"] = parent }))
				return e.post("bob", e.fixture("mastodon-create-reply.json", "bob", "2", parent, nil))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if _, ok := e.reply(e.status("alice", "1")); ok {
					t.Fatal("the deleted parent was stored")
				}
				if _, ok := e.reply(e.status("bob", "2")); !ok {
					t.Fatal("the reply to it was not stored")
				}
			},
		},
		{
			name: "a Delete naming a post on another server leaves no tombstone for it",
			send: func(e *env) int {
				other := mastotest.New(t)
				other.Course = e.m.Course
				id, _ := other.Note(t, "carol", "9", e.lesson, "<p>carol replies</p>", nil)
				e.post("alice", e.fixture("mastodon-delete-note.json", "alice", "1", "", func(act, _ map[string]any) { act["object"] = id }))
				// alice then forwards carol's post: taken from its origin, stored.
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", func(_, note map[string]any) { note["id"] = id }))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if th := e.thread(); len(th) != 1 || !strings.Contains(th[0].Content, "carol replies") {
					t.Fatalf("thread = %+v, want carol's reply", th)
				}
			},
		},
		// Dates outside 1970-2200 are refused, never wrapped.
		{
			name: "a reply published in the year 9999 is refused",
			send: func(e *env) int {
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", func(_, note map[string]any) {
					note["published"] = "9999-12-31T23:59:59Z"
				}))
			},
			want:  http.StatusBadRequest,
			check: nothingStored,
		},
		{
			name: "an edit updated in the year 0001 is refused, the reply kept",
			send: func(e *env) int {
				e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil))
				return e.post("alice", e.fixture("mastodon-update-note.json", "alice", "1", "", func(_, note map[string]any) {
					note["updated"] = "0001-01-02T00:00:00Z"
					note["content"] = "<p>from the past</p>"
					delete(note, "contentMap")
				}))
			},
			want: http.StatusBadRequest,
			check: func(t *testing.T, e *env) {
				if r, ok := e.reply(e.status("alice", "1")); !ok || strings.Contains(r.Content, "the past") || !r.Updated.IsZero() {
					t.Fatalf("reply = %+v (stored %v), want the original", r, ok)
				}
			},
		},
		// Reports.
		{
			name: "a Flag from a Mastodon instance actor about a reply lands in the moderation queue with its comment",
			send: func(e *env) int {
				e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", nil))
				return e.postFlag(t, "Off topic and rude", e.m.ActorID("alice"), e.status("alice", "1"))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				fs, err := e.store.Flags(ctx, 10)
				if err != nil || len(fs) != 1 {
					t.Fatalf("flags = %+v, %v", fs, err)
				}
				if f := fs[0]; f.Actor != e.m.Base+"/actor" || f.Content != "Off topic and rude" || len(f.Objects) != 2 || f.Objects[1] != e.status("alice", "1") {
					t.Fatalf("flag = %+v", f)
				}
			},
		},
		{
			name: "a Flag about nothing of ours is dropped",
			send: func(e *env) int {
				return e.postFlag(t, "spam", e.m.ActorID("zed"), e.m.ActorID("zed")+"/statuses/5")
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if fs, _ := e.store.Flags(ctx, 10); len(fs) != 0 {
					t.Fatalf("flags = %+v, want none", fs)
				}
			},
		},
		{
			name: "a follow past its server's new followers this hour waits for a moderator",
			send: func(e *env) int {
				e.addFollowers(e.m.Base, inbox.NewFollowersPerHostPerHour, time.Now().Add(-30*time.Minute))
				return e.post("alice", e.fixture("mastodon-follow.json", "alice", "", "", nil))
			},
			want:  http.StatusAccepted,
			check: followHeld,
		},
		{
			name: "a follow past its server's follower cap waits for a moderator",
			send: func(e *env) int {
				e.addFollowers(e.m.Base, inbox.MaxFollowersPerHost, time.Now().AddDate(0, -1, 0))
				return e.post("alice", e.fixture("mastodon-follow.json", "alice", "", "", nil))
			},
			want:  http.StatusAccepted,
			check: followHeld,
		},
		{
			name: "a follow past its server's pending follows is refused, to be retried",
			send: func(e *env) int {
				e.addFollowers(e.m.Base, inbox.NewFollowersPerHostPerHour, time.Now())
				for i := range inbox.MaxPendingPerHost {
					id := fmt.Sprintf("%s/users/waiting%d", e.m.Base, i)
					if err := e.store.SavePendingFollow(ctx, activitypub.PendingFollow{ActorID: id, Inbox: id + "/inbox", FollowID: id + "#f"}); err != nil {
						t.Fatal(err)
					}
				}
				return e.post("alice", e.fixture("mastodon-follow.json", "alice", "", "", nil))
			},
			want: http.StatusTooManyRequests,
			check: func(t *testing.T, e *env) {
				if e.following("alice") || e.waiting("alice") {
					t.Fatal("a refused follow was stored")
				}
				var follow struct{ ID string }
				if err := json.Unmarshal(e.fixture("mastodon-follow.json", "alice", "", "", nil), &follow); err != nil {
					t.Fatal(err)
				}
				if seen, _ := e.store.ActivitySeen(ctx, follow.ID); seen {
					t.Error("a refused follow is marked seen: its retry would be dropped")
				}
			},
		},
		{
			name: "a follower's re-sent follow is accepted whatever its server's count",
			send: func(e *env) int {
				e.addFollowers(e.m.Base, inbox.NewFollowersPerHostPerHour, time.Now())
				if err := e.store.SaveFollower(ctx, activitypub.Follower{ActorID: e.m.ActorID("alice"), Inbox: e.m.Base + "/inbox", FollowID: "old"}); err != nil {
					t.Fatal(err)
				}
				return e.post("alice", e.fixture("mastodon-follow.json", "alice", "", "", nil))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if !e.following("alice") || e.waiting("alice") || len(e.accepts()) != 1 {
					t.Fatal("a re-sent follow of a follower was not accepted again")
				}
			},
		},
		{
			name: "followers on other servers do not count against a server's limits",
			send: func(e *env) int {
				e.addFollowers("https://crowd.example", inbox.MaxFollowersPerHost, time.Now())
				return e.post("alice", e.fixture("mastodon-follow.json", "alice", "", "", nil))
			},
			want: http.StatusAccepted,
			check: func(t *testing.T, e *env) {
				if !e.following("alice") || len(e.accepts()) != 1 {
					t.Fatal("a follow within its own server's limits was not accepted")
				}
			},
		},
		{
			name: "a forged request naming a key never seen fetches it once",
			send: func(e *env) int {
				code, _ := e.m.PostAs(ctx, e.m.KeyID("bob"), forgeryKey(t), e.inbox, e.fixture("mastodon-create-reply.json", "bob", "1", "", nil), nil)
				return code
			},
			want: http.StatusUnauthorized,
			check: func(t *testing.T, e *env) {
				if n := e.m.Gets("/users/bob"); n != 1 {
					t.Fatalf("the key was fetched %d times, want 1", n)
				}
				nothingStored(t, e)
			},
		},
		{
			name: "a keyId pointing at a document nested past the limit is refused",
			send: func(e *env) int {
				e.m.AddNote(e.m.Base+"/deep", []byte(strings.Repeat("[", 40<<10)))
				code, _ := e.m.PostAs(ctx, e.m.Base+"/deep#k", forgeryKey(t), e.inbox, e.fixture("mastodon-create-reply.json", "alice", "1", "", nil), nil)
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "a keyId pointing at a document over 64 KiB is refused",
			send: func(e *env) int {
				doc := actorWith(t, e, "carol", func(a map[string]any) { a["summary"] = strings.Repeat("x", 64<<10) })
				e.m.AddNote(e.m.ActorID("carol"), doc)
				code, _ := e.m.PostAs(ctx, e.m.KeyID("carol"), e.m.Key, e.inbox, e.fixture("mastodon-create-reply.json", "carol", "1", "", nil), nil)
				return code
			},
			want:  http.StatusUnauthorized,
			check: nothingStored,
		},
		{
			name: "a signed activity nested past the limit is refused before it is decoded",
			send: func(e *env) int {
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", func(act, note map[string]any) {
					var v any = "x"
					for range 40 {
						v = []any{v}
					}
					note["junk"] = v
				}))
			},
			want:  http.StatusBadRequest,
			check: nothingStored,
		},
		{
			name: "a signed activity with an array over the limit is refused before it is decoded",
			send: func(e *env) int {
				return e.post("alice", e.fixture("mastodon-create-reply.json", "alice", "1", "", func(act, note map[string]any) {
					note["junk"] = make([]any, 5000)
				}))
			},
			want:  http.StatusBadRequest,
			check: nothingStored,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			got := tc.send(e)
			if got != tc.want {
				t.Fatalf("status = %d, want %d", got, tc.want)
			}
			if tc.check != nil {
				tc.check(t, e)
			}
		})
	}
}

// actorWith returns user's actor document on the peer, changed by edit.
func actorWith(t *testing.T, e *env, user string, edit func(map[string]any)) []byte {
	t.Helper()
	var a map[string]any
	if err := json.Unmarshal(e.m.Actor(t, user), &a); err != nil {
		t.Fatal(err)
	}
	edit(a)
	doc, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// minimalKeyPerson is what GoToSocial serves at a path-form key id: a
// Person with id, preferredUsername and publicKey only, no inbox
// (shared/fixtures/gotosocial/actor-alice-main-key-unsigned.json).
func minimalKeyPerson(actorID, keyID, pem string) []byte {
	doc, _ := json.Marshal(map[string]any{
		"@context":          []string{"https://w3id.org/security/v1", "https://www.w3.org/ns/activitystreams"},
		"id":                actorID,
		"preferredUsername": "x",
		"type":              "Person",
		"publicKey":         map[string]any{"id": keyID, "owner": actorID, "publicKeyPem": pem},
	})
	return doc
}

func nothingStored(t *testing.T, e *env) {
	t.Helper()
	if th := e.thread(); len(th) != 0 {
		t.Fatalf("thread = %+v, want nothing", th)
	}
	if _, ok := e.reply(e.status("alice", "1")); ok {
		t.Fatal("reply stored")
	}
	if c := e.counts(); c != (activitypub.Counts{}) {
		t.Fatalf("counts = %+v", c)
	}
}

// postFlag sends a report as Mastodon does: a Flag from the instance actor
// (/actor), whose object is the reported account then its statuses and
// whose content is the comment (mastodon/mastodon
// app/serializers/activitypub/flag_serializer.rb,
// app/services/report_forwarding_service.rb).
func (e *env) postFlag(t *testing.T, comment string, objects ...string) int {
	t.Helper()
	instance := e.m.Base + "/actor"
	e.m.AddNote(instance, actorWith(t, e, "alice", func(a map[string]any) {
		a["id"], a["type"], a["preferredUsername"] = instance, "Application", e.m.Host()
		a["inbox"], a["outbox"] = instance+"/inbox", instance+"/outbox"
		key := a["publicKey"].(map[string]any)
		key["id"], key["owner"] = instance+"#main-key", instance
	}))
	flag, err := json.Marshal(map[string]any{
		"@context": "https://www.w3.org/ns/activitystreams",
		"id":       e.m.Base + "/5b3c9f1e-4a3e-4d7a-9b0e-2f1c3d4e5f60",
		"type":     "Flag",
		"actor":    instance,
		"content":  comment,
		"object":   objects,
	})
	if err != nil {
		t.Fatal(err)
	}
	code, err := e.m.PostAs(context.Background(), instance+"#main-key", e.m.Key, e.inbox, flag, nil)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// addFollowers adds n followers on the server at base, following since.
func (e *env) addFollowers(base string, n int, since time.Time) {
	e.t.Helper()
	for i := range n {
		id := fmt.Sprintf("%s/users/crowd%d", base, i)
		if err := e.store.SaveFollower(context.Background(), activitypub.Follower{ActorID: id, Inbox: base + "/inbox", FollowID: id + "#f", Since: since}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// following reports whether user of the peer follows the course.
func (e *env) following(user string) bool {
	e.t.Helper()
	c, err := e.store.HostFollows(context.Background(), e.m.ActorID(user), time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Following
}

// waiting reports whether user of the peer has a pending follow.
func (e *env) waiting(user string) bool {
	e.t.Helper()
	c, err := e.store.HostFollows(context.Background(), e.m.ActorID(user), time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Waiting
}

// accepts returns the Accepts queued.
func (e *env) accepts() []activitypub.Delivery {
	e.t.Helper()
	ds, err := e.store.ClaimDeliveries(context.Background(), time.Now().Add(time.Hour), 100)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []activitypub.Delivery
	for _, d := range ds {
		if bytes.Contains(d.Body, []byte(`"type":"Accept"`)) {
			out = append(out, d)
		}
	}
	return out
}

// followHeld checks that alice's follow waits for a moderator: pending, not
// a follower, and not accepted.
func followHeld(t *testing.T, e *env) {
	t.Helper()
	if e.following("alice") || !e.waiting("alice") {
		t.Fatalf("following=%v waiting=%v; want a pending follow", e.following("alice"), e.waiting("alice"))
	}
	if n := len(e.accepts()); n != 0 {
		t.Fatalf("%d Accepts queued for a held follow", n)
	}
}
