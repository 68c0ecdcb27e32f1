package fetch_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestRefusesPrivateAddresses proves that without allow_insecure nothing
// on loopback is reached, whether named by IP or by a host name that
// resolves to it (the check runs on the dialled IP), and that http is
// refused outright.
func TestRefusesPrivateAddresses(t *testing.T) {
	hit := false
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	defer ts.Close()
	port := ts.URL[strings.LastIndex(ts.URL, ":"):]
	c := fetch.New(fetch.Options{Store: openStore(t)})
	ctx := context.Background()
	for _, tc := range []struct {
		url  string
		want error
	}{
		{"https://127.0.0.1" + port + "/actor", fetch.ErrForbiddenAddress},
		{"https://localhost" + port + "/actor", fetch.ErrForbiddenAddress},
		{"https://[::1]" + port + "/actor", fetch.ErrForbiddenAddress},
		{"https://169.254.169.254/latest/meta-data", fetch.ErrForbiddenAddress},
		{"https://10.0.0.1/x", fetch.ErrForbiddenAddress},
		{"https://0.0.0.0" + port + "/x", fetch.ErrForbiddenAddress},
		{"http://127.0.0.1" + port + "/actor", fetch.ErrInsecure},
		{"file:///etc/passwd", fetch.ErrInsecure},
	} {
		_, err := c.Get(ctx, tc.url)
		if !errors.Is(err, tc.want) {
			t.Errorf("Get(%s) = %v, want %v", tc.url, err, tc.want)
		}
		if err := c.Post(ctx, tc.url, []byte("{}")); err == nil {
			t.Errorf("Post(%s) succeeded", tc.url)
		}
	}
	if hit {
		t.Error("a request reached the loopback server")
	}
}

// TestInsecureAllowsLoopbackButNotLinkLocal: allow_insecure is for a local
// peer; cloud metadata stays out of reach.
func TestInsecureAllowsLoopbackButNotLinkLocal(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Accept"); got != fetch.Accept {
			t.Errorf("Accept = %q", got)
		}
		w.Write([]byte(`{}`))
	}))
	defer ts.Close()
	c := fetch.New(fetch.Options{Store: openStore(t), AllowInsecure: true})
	if _, err := c.Get(context.Background(), ts.URL+"/x"); err != nil {
		t.Fatalf("loopback with allow_insecure: %v", err)
	}
	if _, err := c.Get(context.Background(), "http://169.254.169.254/latest"); !errors.Is(err, fetch.ErrForbiddenAddress) {
		t.Fatalf("link-local with allow_insecure: %v, want ErrForbiddenAddress", err)
	}
}

// TestResponseCapAndStatus: a body over MaxResponse is refused, 410 is
// ErrGone, 429 is worth a retry, and a redirect to another scheme is
// refused.
func TestResponseCapAndStatus(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			w.Write([]byte(strings.Repeat("x", fetch.MaxResponse+10)))
		case "/gone":
			http.Error(w, "gone", http.StatusGone)
		case "/busy":
			http.Error(w, "slow down", http.StatusTooManyRequests)
		case "/redirect":
			http.Redirect(w, r, "ftp://example.org/", http.StatusFound)
		}
	}))
	defer ts.Close()
	c := fetch.New(fetch.Options{Store: openStore(t), AllowInsecure: true})
	ctx := context.Background()
	if _, err := c.Get(ctx, ts.URL+"/big"); !errors.Is(err, fetch.ErrTooLarge) {
		t.Errorf("big: %v, want ErrTooLarge", err)
	}
	if _, err := c.Get(ctx, ts.URL+"/gone"); !errors.Is(err, fetch.ErrGone) {
		t.Errorf("gone: %v, want ErrGone", err)
	}
	var se *fetch.StatusError
	if _, err := c.Get(ctx, ts.URL+"/busy"); !errors.As(err, &se) || se.Permanent() {
		t.Errorf("busy: %v, want a temporary StatusError", err)
	}
	if _, err := c.Get(ctx, ts.URL+"/redirect"); !errors.Is(err, fetch.ErrInsecure) {
		t.Errorf("redirect: %v, want ErrInsecure", err)
	}
}

// TestKeyOwnerFetchesOnceThenCaches: the first lookup of a Mastodon key
// fetches the actor; the second is answered from the Store.
func TestKeyOwnerFetchesOnceThenCaches(t *testing.T) {
	m := mastotest.New(t)
	st := openStore(t)
	c := fetch.New(fetch.Options{Store: st, AllowInsecure: true})
	ctx := context.Background()
	a, pub, err := c.KeyOwner(ctx, m.KeyID("alice"), false)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != m.ActorID("alice") || pub == nil || a.SharedInbox != m.Base+"/inbox" || a.Name != "Alice" {
		t.Fatalf("actor = %+v", a)
	}
	m.Gone("/users/alice")
	if _, _, err := c.KeyOwner(ctx, m.KeyID("alice"), false); err != nil {
		t.Fatalf("cached lookup fetched again: %v", err)
	}
	if _, _, err := c.KeyOwner(ctx, m.KeyID("alice"), true); !errors.Is(err, fetch.ErrGone) {
		t.Fatalf("refresh of a gone actor: %v, want ErrGone", err)
	}
}

// TestKeyIDThatIsAPath: some servers publish the key at its own URL with
// an owner; the owner's actor must publish the same key.
func TestKeyIDThatIsAPath(t *testing.T) {
	m := mastotest.New(t)
	keyID := m.ActorID("carol") + "/main-key"
	m.AddNote(keyID, []byte(`{"@context":"https://w3id.org/security/v1","id":"`+keyID+`","owner":"`+m.ActorID("carol")+`","publicKeyPem":`+quote(m.Key.PublicKeyPEM())+`}`))
	st := openStore(t)
	c := fetch.New(fetch.Options{Store: st, AllowInsecure: true})
	// carol's actor publishes #main-key, not the path: refused.
	if _, _, err := c.KeyOwner(context.Background(), keyID, false); !errors.Is(err, fetch.ErrOrigin) {
		t.Fatalf("key not published by its owner: %v, want ErrOrigin", err)
	}
	// An actor that does publish the path key is accepted.
	actor := strings.Replace(string(m.Actor(t, "carol")), m.ActorID("carol")+"#main-key", keyID, 1)
	m.AddNote(m.ActorID("carol"), []byte(actor))
	a, _, err := c.KeyOwner(context.Background(), keyID, false)
	if err != nil || a.ID != m.ActorID("carol") {
		t.Fatalf("KeyOwner = %v, %v", a.ID, err)
	}
}

// TestNoteMustComeFromItsOrigin: a document served at one id that claims
// another, or whose author is elsewhere, is refused.
func TestNoteMustComeFromItsOrigin(t *testing.T) {
	m := mastotest.New(t)
	c := fetch.New(fetch.Options{Store: openStore(t), AllowInsecure: true})
	id, _ := m.Note(t, "alice", "1", "https://course.example.org/lessons/x", "<p>hi</p>", nil)
	r, _, err := c.Note(context.Background(), id)
	if err != nil || r.ID != id || r.Visibility != activitypub.Public {
		t.Fatalf("Note = %+v, %v", r, err)
	}
	_, doc := m.Note(t, "alice", "2", "https://course.example.org/lessons/x", "<p>hi</p>", nil)
	m.AddNote(m.Base+"/users/alice/statuses/3", doc) // served at 3, claims 2
	if _, _, err := c.Note(context.Background(), m.Base+"/users/alice/statuses/3"); !errors.Is(err, fetch.ErrOrigin) {
		t.Fatalf("spoofed id: %v, want ErrOrigin", err)
	}
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "\n", `\n`) + `"`
}

// TestKeyDocumentsAreSmallAndQuick: what a keyId points at is read with
// the key document cap and the key timeout, so a forged request naming a
// huge, endless or stalled document costs little: an announced length over
// the cap is refused unread, a body streaming past it is cut at the cap, a
// host that stalls is given up on after the key timeout. A post may still
// be larger.
func TestKeyDocumentsAreSmallAndQuick(t *testing.T) {
	stall := make(chan struct{})
	defer close(stall)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/announced":
			w.Header().Set("Content-Length", strconv.Itoa(fetch.MaxResponse))
			w.Write(bytes.Repeat([]byte(" "), fetch.MaxResponse))
		case "/endless":
			chunk := bytes.Repeat([]byte(" "), 4096)
			for range fetch.MaxResponse / len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		case "/stalled":
			select {
			case <-stall:
			case <-r.Context().Done():
			}
		case "/post":
			w.Write([]byte(`{"x":"` + strings.Repeat("x", fetch.MaxKeyResponse) + `"}`))
		}
	}))
	defer ts.Close()
	c := fetch.New(fetch.Options{Store: openStore(t), AllowInsecure: true, KeyTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	for _, path := range []string{"/announced", "/endless"} {
		if _, _, err := c.KeyOwner(ctx, ts.URL+path, false); !errors.Is(err, fetch.ErrTooLarge) {
			t.Errorf("key at %s: %v, want ErrTooLarge", path, err)
		}
		if _, err := c.Actor(ctx, ts.URL+path, false); !errors.Is(err, fetch.ErrTooLarge) {
			t.Errorf("actor at %s: %v, want ErrTooLarge", path, err)
		}
	}
	start := time.Now()
	if _, _, err := c.KeyOwner(ctx, ts.URL+"/stalled", false); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("stalled key host: %v, want a deadline error", err)
	}
	if d := time.Since(start); d > fetch.TotalTimeout/2 {
		t.Errorf("stalled key host held the request %s", d)
	}
	if _, err := c.Get(ctx, ts.URL+"/post"); err != nil {
		t.Errorf("a post larger than a key document: %v", err)
	}
}

// countingStore is the real Store, counting key lookups.
type countingStore struct {
	activitypub.Store
	lookups atomic.Int64
}

func (s *countingStore) ActorByKeyID(ctx context.Context, keyID string) (activitypub.Actor, error) {
	s.lookups.Add(1)
	return s.Store.ActorByKeyID(ctx, keyID)
}

// TestKeyOwnerKeepsKeysInMemory: a busy sender's key is looked up in the
// Store once per KeyCacheTTL, not once per request; a refresh goes to the
// key's URL, and a failed one forgets the key.
func TestKeyOwnerKeepsKeysInMemory(t *testing.T) {
	m := mastotest.New(t)
	st := &countingStore{Store: openStore(t)}
	var offset atomic.Int64
	c := fetch.New(fetch.Options{Store: st, AllowInsecure: true, Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	ctx := context.Background()
	for range 5 {
		if _, _, err := c.KeyOwner(ctx, m.KeyID("alice"), false); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.lookups.Load(); n != 1 {
		t.Fatalf("5 lookups read the Store %d times, want 1 (the first, which fetched)", n)
	}
	if n := m.Gets("/users/alice"); n != 1 {
		t.Fatalf("the key was fetched %d times, want 1", n)
	}
	offset.Store(int64(fetch.KeyCacheTTL + time.Second))
	if _, _, err := c.KeyOwner(ctx, m.KeyID("alice"), false); err != nil || st.lookups.Load() != 2 {
		t.Fatalf("after the TTL: %v, %d Store lookups, want 2", err, st.lookups.Load())
	}
	if _, _, err := c.KeyOwner(ctx, m.KeyID("alice"), true); err != nil || m.Gets("/users/alice") != 2 {
		t.Fatalf("refresh: %v, %d fetches, want 2", err, m.Gets("/users/alice"))
	}
	m.Gone("/users/alice")
	if _, _, err := c.KeyOwner(ctx, m.KeyID("alice"), true); !errors.Is(err, fetch.ErrGone) {
		t.Fatalf("refresh of a gone actor: %v, want ErrGone", err)
	}
	if _, _, err := c.KeyOwner(ctx, m.KeyID("alice"), false); err != nil || st.lookups.Load() != 3 {
		t.Fatalf("after a failed refresh: %v, %d Store lookups, want 3 (the key forgotten in memory, still in the Store)", err, st.lookups.Load())
	}
}
