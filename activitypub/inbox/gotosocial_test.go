package inbox_test

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/inbox"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/sig"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

// The GoToSocial captures (testdata/gotosocial, copied from
// shared/fixtures/gotosocial) were sent by a real GoToSocial server at
// http://localhost:8080 to a course actor at http://127.0.0.1:8090. Their
// bodies and headers are replayed byte for byte, so the signatures are
// GoToSocial's own.
const (
	gtsOrigin   = "localhost:8080"
	gtsCourse   = "http://127.0.0.1:8090"
	gtsAlice    = "http://localhost:8080/users/alice"
	gtsLessonID = "http://127.0.0.1:8090/notes/1795360973-3"
	gtsReplyID  = "http://localhost:8080/users/alice/statuses/01M81XMRNVT6G0GKWHY5WPD03A"
)

type capture struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Host    string            `json:"host"`
	Headers map[string]string `json:"headers"`
	body    []byte
}

func readCapture(t *testing.T, name string) capture {
	t.Helper()
	dir := filepath.Join("testdata", "gotosocial")
	meta, err := os.ReadFile(filepath.Join(dir, name+".meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c capture
	if err := json.Unmarshal(meta, &c); err != nil {
		t.Fatal(err)
	}
	if c.body, err = os.ReadFile(filepath.Join(dir, name+".json")); err != nil {
		t.Fatal(err)
	}
	return c
}

// gtsServer serves alice's documents as GoToSocial does: the key id
// dereferences to a minimal Person to anyone; the full actor only to a
// signed GET (an unsigned one gets 401). It counts what it was asked.
type gtsServer struct {
	t      *testing.T
	srv    *httptest.Server
	course *sig.KeyPair
	mu     sync.Mutex
	gets   []string
}

func newGTSServer(t *testing.T, course *sig.KeyPair, now func() time.Time) *gtsServer {
	g := &gtsServer{t: t, course: course}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "gotosocial", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	minimal, full := read("actor-alice-main-key-unsigned.json"), read("actor-alice.json")
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		signed := r.Header.Get("Signature") != ""
		g.mu.Lock()
		g.gets = append(g.gets, r.URL.Path+map[bool]string{true: " signed", false: " unsigned"}[signed])
		g.mu.Unlock()
		w.Header().Set("Content-Type", `application/activity+json`)
		switch r.URL.Path {
		case "/users/alice/main-key":
			w.Write(minimal)
		case "/users/alice":
			if !signed {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			v := sig.Verifier{Host: gtsOrigin, Now: now}
			if _, err := v.Verify(r.Context(), r, nil, func(context.Context, string) (crypto.PublicKey, error) {
				return g.course.PublicKey(), nil
			}); err != nil {
				t.Errorf("the course's GET of the actor is not signed right: %v", err)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			w.Write(full)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(g.srv.Close)
	return g
}

// client dials the GoToSocial test server whenever localhost:8080 is
// asked for, so the captured ids are fetched unchanged.
func (g *gtsServer) client() *http.Client {
	addr := g.srv.Listener.Addr().String()
	tr := fetch.NewTransport(true)
	dial := tr.DialContext
	tr.DialContext = func(ctx context.Context, network, a string) (net.Conn, error) {
		if a == gtsOrigin {
			a = addr
		}
		return dial(ctx, network, a)
	}
	return &http.Client{Transport: tr, Timeout: fetch.TotalTimeout}
}

// logRecorder keeps the messages logged, to show how far a request got.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Message)
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }
func (l *logRecorder) has(msg string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if m == msg {
			return true
		}
	}
	return false
}

// TestGoToSocialCaptures replays each captured GoToSocial request through
// the real inbox, with the clock at its Date and the course at the host it
// was sent to: every signature verifies with the key GoToSocial publishes
// at its path-form key id, the reply is stored, its Delete removes it, and
// a Delete of a reply never received is acknowledged.
func TestGoToSocialCaptures(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The captured reply answers the stand-in course's note: that note is
	// one of our lessons here.
	if err := st.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: lessonID, ObjectID: gtsLessonID, ContentHash: "h"}); err != nil {
		t.Fatal(err)
	}
	courseKey := mastotest.Key(t)
	var clock atomic.Int64 // the replayed request's Date, in Unix seconds
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	g := newGTSServer(t, courseKey, now)
	urls := activitypub.URLs{Base: gtsCourse}
	logs := &logRecorder{}
	h := inbox.New(inbox.Options{
		Store: st,
		Fetch: fetch.New(fetch.Options{Store: st, KeyID: urls.KeyID(), Key: courseKey, AllowInsecure: true,
			HTTP: g.client(), Now: now}),
		URLs:   urls,
		Logger: slog.New(logs),
		Now:    now,
	})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)

	replay := func(name string) int {
		t.Helper()
		c := readCapture(t, name)
		date, err := http.ParseTime(c.Headers["Date"])
		if err != nil {
			t.Fatal(err)
		}
		clock.Store(date.Unix())
		req, err := http.NewRequestWithContext(ctx, c.Method, ts.URL+c.Path, bytes.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c.Headers {
			if k != "Content-Length" && k != "Accept-Encoding" {
				req.Header.Set(k, v)
			}
		}
		req.Host = c.Host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// The Follow names the stand-in's actor path, /users/course, which is
	// not ours (/actor): it verifies and is routed, then dropped as a
	// follow of another actor.
	if code := replay("follow"); code != http.StatusAccepted {
		t.Fatalf("follow: status %d, want 202", code)
	}
	if !logs.has("follow of another actor dropped") {
		t.Fatalf("follow did not reach routing: %q", logs.msgs)
	}
	a, err := st.ActorByKeyID(ctx, gtsAlice+"/main-key")
	if err != nil || a.ID != gtsAlice || a.Inbox != gtsAlice+"/inbox" {
		t.Fatalf("alice's verified key = %+v, %v", a, err)
	}
	g.mu.Lock()
	if got := strings.Join(g.gets, ", "); got != "/users/alice/main-key signed, /users/alice signed" {
		t.Errorf("GETs to GoToSocial = %s", got)
	}
	g.mu.Unlock()

	if code := replay("reply-create"); code != http.StatusAccepted {
		t.Fatalf("reply: status %d, want 202", code)
	}
	r, err := st.Reply(ctx, gtsReplyID)
	if err != nil {
		t.Fatalf("GoToSocial reply not stored: %v (log %q)", err, logs.msgs)
	}
	if r.LessonID != lessonID || r.Visibility != activitypub.Public || !strings.Contains(r.Content, "I hope to learn how federation works.") {
		t.Fatalf("stored reply = %+v", r)
	}

	if code := replay("delete"); code != http.StatusAccepted {
		t.Fatalf("delete: status %d, want 202", code)
	}
	th, err := st.Thread(ctx, lessonID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range th {
		if r.ID == gtsReplyID && !r.Deleted {
			t.Fatalf("deleted reply still in the thread: %+v", r)
		}
	}

	if code := replay("delete-unmentioned-reply"); code != http.StatusAccepted {
		t.Fatalf("delete of a reply never received: status %d, want 202", code)
	}
	if code := replay("undo-follow"); code != http.StatusAccepted {
		t.Fatalf("undo follow: status %d, want 202", code)
	}
	if logs.has("inbox request not handled") {
		t.Fatalf("a capture was refused: %q", logs.msgs)
	}
	// The key was fetched once and then read from the store.
	g.mu.Lock()
	if len(g.gets) != 2 {
		t.Errorf("GETs to GoToSocial = %q, want the key and the actor once", g.gets)
	}
	g.mu.Unlock()
}
