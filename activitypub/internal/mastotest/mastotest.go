// Package mastotest runs a second fediverse server on loopback that behaves
// like Mastodon, for the companion's tests: it serves actors (built from a
// captured Mastodon actor), posts and their replies collections, looks the
// course up by WebFinger, signs its POSTs as Mastodon does ((request-target)
// host date digest content-type, keyId <actor>#main-key), and verifies and
// records what is delivered to its inboxes.
//
// Its activities are the payloads in testdata/ (copies of
// ../shared/fixtures/mastodon-*.json) with hosts and ids replaced. It is a
// test helper, not a Mastodon implementation: it keeps no timelines.
package mastotest

import (
	"bytes"
	"context"
	"crypto"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub/as"
	"github.com/cohort-course/cohort/activitypub/sig"
)

//go:embed testdata/*.json testdata/families/*.txtar
var fixtures embed.FS

// Hosts and ids as they are written in the fixtures.
const (
	fixtureBase   = "https://mastodon.example"
	fixtureActor  = "https://course.example.org/actor"
	fixtureLesson = "https://course.example.org/lessons/intro-to-go"
	fixtureStatus = "110186684417144088"
)

var (
	keyOnce sync.Once
	sharedK *sig.KeyPair
	keyErr  error
)

// Key returns one RSA key shared by every test server of the process: RSA
// generation is slow, and a key per server proves nothing more.
func Key(t testing.TB) *sig.KeyPair {
	t.Helper()
	keyOnce.Do(func() { sharedK, keyErr = sig.GenerateKey() })
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	return sharedK
}

// Received is one activity delivered to the server, after its signature
// verified.
type Received struct {
	Path  string // the inbox path it was posted to
	Type  string // the activity's type
	KeyID string // who signed it
	Body  []byte
}

// Server is the Mastodon-like peer.
type Server struct {
	*httptest.Server
	Base string // http://127.0.0.1:PORT
	Key  *sig.KeyPair

	// Course is the course actor's id, written where the fixtures name
	// https://course.example.org/actor.
	Course string
	// ContentType is the Content-Type of POSTs; empty means
	// application/activity+json.
	ContentType string

	mu        sync.Mutex
	received  []Received
	notify    chan struct{}
	notes     map[string][]byte // path → document
	gone      map[string]bool   // paths that answer 410
	keyPEM    map[string]string // user → PEM override (key rotation)
	inboxCode int               // status the inboxes answer; 0 is 202
	verify    bool
	gets      map[string]int // path → GETs served
	// authorized makes actors and posts answer only signed GETs.
	authorized bool
	getSigners []string // key ids of the signed GETs answered

	// A family mode (NewFamily): the family, its templates, and the users
	// whose actors were named, by actor path (with query).
	fam   *Family
	tmpl  map[string]string
	users map[string]string
	// posts are the user/id of the posts of their own (not replies) built
	// for a family with a PostPath: their ids are the post's, not a reply's.
	posts map[string]bool
	// refused lists the course's requests the family's rules turned away.
	refused []string
}

// timeNow is the clock of the Date header of family-signed requests.
var timeNow = time.Now

// New starts a server on loopback; it is closed when the test ends.
// Delivered activities are verified against the signer's key, fetched over
// HTTP like Mastodon does.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{Key: Key(t), notes: map[string][]byte{}, gone: map[string]bool{}, keyPEM: map[string]string{},
		notify: make(chan struct{}, 1), verify: true, gets: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	s.Base = s.URL
	t.Cleanup(s.Close)
	return s
}

// Host returns the server's host:port.
func (s *Server) Host() string { return strings.TrimPrefix(s.Base, "http://") }

// ActorID returns the id of user on this server (in a family mode, in
// that family's form, and the actor is served from then on).
func (s *Server) ActorID(user string) string {
	if s.fam == nil {
		return s.Base + "/users/" + user
	}
	path := s.fam.ActorPath(user)
	s.mu.Lock()
	s.users[path] = user
	s.mu.Unlock()
	return s.Base + path
}

// KeyID returns the key id of user, as Mastodon (or the family) writes it.
func (s *Server) KeyID(user string) string {
	if s.fam != nil {
		return s.ActorID(user) + s.fam.KeySuffix
	}
	return s.ActorID(user) + "#main-key"
}

// Gone makes path (e.g. "/users/bob") answer 410 Gone, as a deleted
// account does.
func (s *Server) Gone(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone[path] = true
}

// SetInboxStatus makes the inboxes answer code (0 restores 202).
func (s *Server) SetInboxStatus(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inboxCode = code
}

// SetVerify turns signature checks of deliveries on or off (off for load
// tests, where fetching the key is not what is measured).
func (s *Server) SetVerify(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.verify = on
}

// SetAuthorizedFetch puts the server in Mastodon's authorized-fetch
// ("secure") mode: a GET of an actor or a post is answered only when it
// carries an HTTP Signature that verifies against the signer's key
// (fetched from the signer, as Mastodon does); anything else gets 401.
func (s *Server) SetAuthorizedFetch(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authorized = on
}

// GetSigners returns the key ids that signed the GETs answered in
// authorized-fetch mode, in order.
func (s *Server) GetSigners() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.getSigners...)
}

// PublishKey makes user's actor publish pem instead of the server key (a
// rotated key).
func (s *Server) PublishKey(user, pem string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyPEM[user] = pem
}

// Fixture returns the fixture name (e.g. "mastodon-follow.json") with the
// fixture hosts replaced: the Mastodon host by this server, the course
// actor by Course, the lesson by lesson, alice by user and the status id
// by status.
func (s *Server) Fixture(t testing.TB, name, user, lesson, status string) []byte {
	t.Helper()
	data, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer(
		fixtureActor, s.Course,
		fixtureLesson, lesson,
		fixtureBase+"/users/alice", s.ActorID(user),
		fixtureBase+"/@alice", s.Base+"/@"+user,
		`"@alice@mastodon.example"`, `"@`+user+`@`+s.Host()+`"`,
		fixtureBase, s.Base,
		fixtureStatus, status,
	)
	return []byte(r.Replace(string(data)))
}

// Actor returns user's actor document: the captured Mastodon actor with
// this server's hosts and key.
func (s *Server) Actor(t testing.TB, user string) []byte {
	t.Helper()
	data := s.Fixture(t, "mastodon-actor.json", user, "", "")
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	oldPEM := m["publicKey"].(map[string]any)["publicKeyPem"].(string)
	s.mu.Lock()
	pem, ok := s.keyPEM[user]
	s.mu.Unlock()
	if !ok {
		pem = s.Key.PublicKeyPEM()
	}
	oldJS, _ := json.Marshal(oldPEM)
	newJS, _ := json.Marshal(pem)
	out := bytes.Replace(data, oldJS, newJS, 1)
	out = bytes.ReplaceAll(out, []byte(`"preferredUsername": "alice"`), []byte(`"preferredUsername": "`+user+`"`))
	out = bytes.ReplaceAll(out, []byte(`"name": "Alice"`), []byte(`"name": "`+strings.ToUpper(user[:1])+user[1:]+`"`))
	return out
}

// AddNote serves doc at the path of its id.
func (s *Server) AddNote(id string, doc []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notes[strings.TrimPrefix(id, s.Base)] = doc
}

// Note builds a public post by user with the given status id, in reply to
// inReplyTo, whose replies collection names replyIDs (as Mastodon's first
// page does), from the captured reply's Note. It returns the id and the
// document, already served.
func (s *Server) Note(t testing.TB, user, status, inReplyTo, content string, replyIDs []string) (string, []byte) {
	t.Helper()
	var create map[string]any
	if err := json.Unmarshal(s.Fixture(t, "mastodon-create-reply.json", user, inReplyTo, status), &create); err != nil {
		t.Fatal(err)
	}
	note := create["object"].(map[string]any)
	note["@context"] = create["@context"]
	note["content"] = content
	delete(note, "contentMap")
	items := []any{}
	for _, id := range replyIDs {
		items = append(items, id)
	}
	first := note["replies"].(map[string]any)["first"].(map[string]any)
	first["items"] = items
	delete(first, "next")
	doc, err := json.Marshal(note)
	if err != nil {
		t.Fatal(err)
	}
	id := note["id"].(string)
	s.AddNote(id, doc)
	return id, doc
}

// Received returns what was delivered so far.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// WaitFor waits until an activity of type typ has been delivered, and
// returns the latest one, or fails the test after timeout.
func (s *Server) WaitFor(t testing.TB, typ string, timeout time.Duration) Received {
	t.Helper()
	deadline := time.After(timeout)
	for {
		rs := s.Received()
		for i := len(rs) - 1; i >= 0; i-- {
			if rs[i].Type == typ {
				return rs[i]
			}
		}
		select {
		case <-s.notify:
		case <-deadline:
			t.Fatalf("no %s delivered within %s; got %d other activities", typ, timeout, len(rs))
		}
	}
}

// Post signs body as user the way Mastodon's delivery worker does and POSTs
// it to inbox, returning the status.
func (s *Server) Post(ctx context.Context, user, inbox string, body []byte) (int, error) {
	if s.fam != nil {
		return s.PostFamily(ctx, user, inbox, body)
	}
	return s.PostAs(ctx, s.KeyID(user), s.Key, inbox, body, nil)
}

// PostAs signs body with key under keyID and POSTs it; edit, when not nil,
// changes the request after signing (to forge or strip things).
func (s *Server) PostAs(ctx context.Context, keyID string, key *sig.KeyPair, inbox string, body []byte, edit func(*http.Request)) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	ct := s.ContentType
	if ct == "" {
		ct = "application/activity+json"
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", "http.rb/5.1.1 (Mastodon/4.3.0; +"+s.Base+"/)")
	if key != nil {
		if err := (sig.Signer{}).Sign(req, keyID, key.PrivateKey(), body); err != nil {
			return 0, err
		}
	}
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// Lookup finds an account the way Mastodon's search does: WebFinger on the
// account's domain, then the actor document from the self link. It returns
// the actor's id and inbox (the shared inbox when there is one).
func (s *Server) Lookup(ctx context.Context, handle, domain string) (id, inbox string, err error) {
	wf, err := get(ctx, "http://"+domain+"/.well-known/webfinger?resource=acct:"+handle+"@"+domain, "application/jrd+json")
	if err != nil {
		return "", "", fmt.Errorf("webfinger: %w", err)
	}
	id, err = as.WebFingerActor(wf)
	if err != nil {
		return "", "", err
	}
	doc, err := get(ctx, id, `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
	if err != nil {
		return "", "", fmt.Errorf("actor: %w", err)
	}
	a, err := as.ParseActor(ctx, doc)
	if err != nil {
		return "", "", err
	}
	return a.ID, a.DeliveryInbox(), nil
}

func get(ctx context.Context, url, accept string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return body, nil
}

// Gets returns how many GETs of path (e.g. "/users/alice") were answered.
func (s *Server) Gets(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets[path]
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.fam != nil {
		s.serveFamily(w, r)
		return
	}
	s.mu.Lock()
	if r.Method == http.MethodGet {
		s.gets[r.URL.Path]++
	}
	gone := s.gone[r.URL.Path]
	note, isNote := s.notes[r.URL.Path]
	authorized := s.authorized
	s.mu.Unlock()
	isActor := strings.HasPrefix(r.URL.Path, "/users/") && !strings.Contains(strings.TrimPrefix(r.URL.Path, "/users/"), "/")
	if authorized && r.Method == http.MethodGet && (isNote || isActor) && !s.signedGet(w, r) {
		return
	}
	switch {
	case gone:
		http.Error(w, "gone", http.StatusGone)
	case r.Method == http.MethodPost && (r.URL.Path == "/inbox" || strings.HasSuffix(r.URL.Path, "/inbox")):
		s.inbox(w, r)
	case isNote:
		w.Header().Set("Content-Type", "application/activity+json; charset=utf-8")
		w.Write(note)
	case isActor:
		w.Header().Set("Content-Type", "application/activity+json; charset=utf-8")
		w.Write(s.Actor(nopT{}, strings.TrimPrefix(r.URL.Path, "/users/")))
	default:
		http.NotFound(w, r)
	}
}

// signedGet checks the signature of a GET in authorized-fetch mode and
// records its signer; it answers 401 and reports false when it fails.
func (s *Server) signedGet(w http.ResponseWriter, r *http.Request) bool {
	if s.fam != nil && r.Header.Get("Signature") != "" {
		if err := s.fam.Inbox.check(r, nil, s.Host(), timeNow()); err != nil {
			s.refuse(r, err)
			http.Error(w, "signature: "+err.Error(), http.StatusUnauthorized)
			return false
		}
	}
	keyID, err := (sig.Verifier{}).Verify(r.Context(), r, nil, s.fetchKey)
	if err != nil {
		http.Error(w, "Request not signed", http.StatusUnauthorized)
		return false
	}
	s.mu.Lock()
	s.getSigners = append(s.getSigners, keyID)
	s.mu.Unlock()
	return true
}

func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "body", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	code, verify := s.inboxCode, s.verify
	s.mu.Unlock()
	keyID := ""
	if verify && s.fam != nil {
		if err := s.fam.Inbox.check(r, body, s.Host(), timeNow()); err != nil {
			s.refuse(r, err)
			http.Error(w, "signature: "+err.Error(), http.StatusUnauthorized)
			return
		}
	}
	if verify {
		v := sig.Verifier{}
		keyID, err = v.Verify(r.Context(), r, body, s.fetchKey)
		if err != nil {
			http.Error(w, "signature: "+err.Error(), http.StatusUnauthorized)
			return
		}
	}
	if code != 0 {
		http.Error(w, "failing on purpose", code)
		return
	}
	var head struct {
		Type string `json:"type"`
	}
	_ = json.Unmarshal(body, &head)
	s.mu.Lock()
	s.received = append(s.received, Received{Path: r.URL.Path, Type: head.Type, KeyID: keyID, Body: body})
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusAccepted)
}

// fetchKey fetches a signer's key as Mastodon does: the key id's document,
// read with as.ParseKey. A family that finds the key through the actor
// (InboxRules.KeyIDFragment: Pleroma, Lemmy) fetches the key id without its
// fragment, which must be the actor naming that key.
func (s *Server) fetchKey(ctx context.Context, keyID string) (crypto.PublicKey, error) {
	u, err := sig.KeyURL(keyID)
	if err != nil {
		return nil, err
	}
	if s.fam != nil && s.fam.Inbox.KeyIDFragment {
		u, _, _ = strings.Cut(keyID, "#")
	}
	doc, err := get(ctx, u, "application/activity+json")
	if err != nil {
		return nil, err
	}
	k, err := as.ParseKey(ctx, doc, keyID)
	if err != nil {
		return nil, err
	}
	return sig.ParsePublicKeyPEM(k.PEM)
}

// nopT lets the server build documents outside a test's goroutine: the
// embedded fixtures always read, so Fatal is never reached.
type nopT struct{ testing.TB }

func (nopT) Helper()           {}
func (nopT) Fatal(args ...any) { panic(fmt.Sprint(args...)) }

// GetPaths returns how many GETs each path was answered, for tests that
// check what the companion fetched and how often.
func (s *Server) GetPaths() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.gets)
}

// GetSigned GETs rawURL as ActivityStreams JSON, signed with user's key as
// Mastodon signs its fetches ((request-target) host date), and returns the
// status and body.
func (s *Server) GetSigned(ctx context.Context, user, rawURL string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/activity+json")
	if err := (sig.Signer{}).Sign(req, s.KeyID(user), s.Key.PrivateKey(), nil); err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}
