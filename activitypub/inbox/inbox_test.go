package inbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

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
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, store: st}
	ts := httptest.NewUnstartedServer(nil)
	e.urls = activitypub.URLs{Base: "http://" + ts.Listener.Addr().String()}
	h := inbox.New(inbox.Options{
		Store:      st,
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
