package server_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/metrics"
	"github.com/cohort-course/cohort/activitypub/server"
	"github.com/cohort-course/cohort/activitypub/sig"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// startOpsCompanion starts a companion on loopback as startCompanion does,
// letting the test set what an operator sets (metrics, logger) first.
func startOpsCompanion(t testing.TB, set func(*server.Config)) *companion {
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
	sc := server.Config{Course: cfg, ManifestPath: c.manifest, Store: st}
	if set != nil {
		set(&sc)
	}
	c.srv, err = server.New(ctx, sc)
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
	return c
}

func body(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHealthAndReadiness: /healthz answers while the process runs;
// /readyz answers 200 while the database does, and 503 with a short reason
// once migrations are missing or the store is closed.
func TestHealthAndReadiness(t *testing.T) {
	c := startOpsCompanion(t, nil)
	if resp := c.get(t, "/healthz", "*/*"); resp.StatusCode != http.StatusOK || body(t, resp) != "ok\n" {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	if resp := c.get(t, "/readyz", "*/*"); resp.StatusCode != http.StatusOK || body(t, resp) != "ready\n" {
		t.Fatalf("readyz of a running companion: %d", resp.StatusCode)
	}

	// Someone restored an older database under the running process.
	// It waits for the companion's own writes (publishing at start) rather
	// than failing with SQLITE_BUSY.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(filepath.Dir(c.manifest), ".cohort", sqlite.FileName)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("PRAGMA user_version = 2"); err != nil {
		t.Fatal(err)
	}
	if resp := c.get(t, "/readyz", "*/*"); resp.StatusCode != http.StatusServiceUnavailable || body(t, resp) != "database migrations not applied\n" {
		t.Fatalf("readyz with an old schema: %d", resp.StatusCode)
	}

	c.store.Close()
	resp := c.get(t, "/readyz", "*/*")
	if got := body(t, resp); resp.StatusCode != http.StatusServiceUnavailable || got != "database unreachable\n" {
		t.Fatalf("readyz with the store closed: %d %q", resp.StatusCode, got)
	}
	if resp := c.get(t, "/healthz", "*/*"); resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz with the store closed: %d; the process is alive", resp.StatusCode)
	}
}

// scrape reads /metrics as Prometheus does and returns each sample by its
// name and labels as written, e.g. `cohort_inbox_refused_total{reason="key"}`.
func scrape(t testing.TB, c *companion, token string) map[string]float64 {
	t.Helper()
	resp := c.get(t, "/metrics", "text/plain", "Authorization", "Bearer "+token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("scrape: %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// forger returns a key of its own, not the one mastotest's servers publish.
func forger(t testing.TB) *sig.KeyPair {
	t.Helper()
	k, err := sig.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestMetrics: a scrape without the token is refused; with it, the
// counters move as signed requests are accepted and refused, the lesson
// is delivered, a failing inbox shows in the queue gauges, and outbound
// requests are timed.
func TestMetrics(t *testing.T) {
	ctx := context.Background()
	const token = "s3cret-scrape-token"
	reg := metrics.NewRegistry()
	c := startOpsCompanion(t, func(sc *server.Config) {
		sc.Metrics = metrics.New(reg)
		sc.MetricsHandler = metrics.Handler(reg, token)
	})
	if resp := c.get(t, "/metrics", "text/plain"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("scrape without a token: %d", resp.StatusCode)
	}
	if resp := c.get(t, "/metrics", "text/plain", "Authorization", "Bearer wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("scrape with a wrong token: %d", resp.StatusCode)
	}
	before := scrape(t, c, token)
	for _, name := range []string{`cohort_inbox_accepted_total`, `cohort_inbox_refused_total{reason="signature"}`,
		`cohort_deliveries_total{outcome="delivered"}`, `cohort_delivery_queue_depth`, `go_goroutines`} {
		if _, ok := before[name]; !ok {
			t.Errorf("%s missing from the first scrape", name)
		}
	}

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
	lesson := c.base + "/lessons/intro"
	reply := m.Fixture(t, "mastodon-create-reply.json", "bob", lesson, "7")
	// A forger signs bob's reply with a key of its own.
	if code, _ := m.PostAs(ctx, m.KeyID("bob"), forger(t), inbox, reply, nil); code != http.StatusUnauthorized {
		t.Fatalf("forged reply: %d", code)
	}
	// An unsigned request.
	if code, _ := m.PostAs(ctx, "", nil, inbox, reply, nil); code != http.StatusUnauthorized {
		t.Fatalf("unsigned reply: %d", code)
	}
	// A body over the limit.
	if code, _ := m.Post(ctx, "bob", inbox, bytes.Repeat([]byte(" "), 300<<10)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("huge body: %d", code)
	}
	// A blocked actor's reply is acknowledged and dropped.
	carol := m.ActorID("carol")
	if err := c.store.SaveBlock(ctx, activitypub.Block{Target: carol, By: "mia"},
		activitypub.AuditEntry{Who: "mia", Action: activitypub.ActionBlock, Target: carol}); err != nil {
		t.Fatal(err)
	}
	if code, _ := m.Post(ctx, "carol", inbox, m.Fixture(t, "mastodon-create-reply.json", "carol", lesson, "8")); code != http.StatusAccepted {
		t.Fatalf("blocked reply: %d", code)
	}
	if _, err := c.store.RemoveBlock(ctx, carol, activitypub.AuditEntry{Who: "mia", Action: activitypub.ActionUnblock, Target: carol}); err != nil {
		t.Fatal(err)
	}

	c.writeManifest(t, intro)
	m.WaitFor(t, "Create", 5*time.Second)
	eventually(t, "the Create counted as delivered", func() bool {
		return scrape(t, c, token)[`cohort_deliveries_total{outcome="delivered"}`] >= 2 // the Accept and the Create
	})

	after := scrape(t, c, token)
	for name, want := range map[string]float64{
		`cohort_inbox_accepted_total`:                        1, // the follow
		`cohort_inbox_refused_total{reason="signature"}`:     2, // forged, unsigned
		`cohort_inbox_refused_total{reason="too_large"}`:     1,
		`cohort_inbox_refused_total{reason="blocked"}`:       1,
		`cohort_inbox_refused_total{reason="parse"}`:         0,
		`cohort_deliveries_total{outcome="given_up"}`:        0,
		`cohort_fetch_duration_seconds_count{method="POST"}`: 2,
	} {
		if got := after[name] - before[name]; got != want {
			t.Errorf("%s moved by %v, want %v", name, got, want)
		}
	}
	if after[`cohort_fetch_duration_seconds_count{method="GET"}`] < 1 {
		t.Errorf("no GET timed; the companion fetched alice's key")
	}

	// alice's server fails: the next lesson waits in the queue for its
	// retry, and the gauges show it.
	m.SetInboxStatus(http.StatusServiceUnavailable)
	second := intro
	second.ID, second.URL, second.Hash = "groups", "https://site.example/01/groups/", "h2"
	c.writeManifest(t, intro, second)
	eventually(t, "a retried delivery", func() bool {
		return scrape(t, c, token)[`cohort_deliveries_total{outcome="retried"}`] >= 1
	})
	got := scrape(t, c, token)
	if got[`cohort_delivery_queue_depth`] != 1 || got[`cohort_delivery_queue_due`] != 0 || got[`cohort_delivery_queue_up`] != 1 {
		t.Errorf("queue after a failed delivery: depth %v, due %v, up %v; want 1, 0 (waiting for its retry), 1",
			got[`cohort_delivery_queue_depth`], got[`cohort_delivery_queue_due`], got[`cohort_delivery_queue_up`])
	}
	if got[`cohort_delivery_queue_oldest_age_seconds`] <= 0 {
		t.Errorf("oldest age = %v, want above 0", got[`cohort_delivery_queue_oldest_age_seconds`])
	}
}

// syncBuffer is a log sink the companion's goroutines write to while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogsKeepSecrets: a moderator logs in and works, and signed requests
// come in, one refused; the debug log says what happened, with the
// refusal's reason, and never holds the password, the session cookie or
// the course's private key.
func TestLogsKeepSecrets(t *testing.T) {
	ctx := context.Background()
	var logs syncBuffer
	c := startOpsCompanion(t, func(sc *server.Config) {
		sc.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	const password = "correct horse battery staple"
	hash, _ := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err := c.store.AddModerator(ctx, activitypub.Moderator{Name: "mia", Handle: "@mia@site.example", PasswordHash: string(hash)}); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	login := func(password string) *http.Response {
		form := url.Values{"name": {"mia"}, "password": {password}}
		req, _ := http.NewRequest("POST", c.base+"/moderate/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", c.base)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	const wrong = "wrong horse battery staple"
	login(wrong)
	resp := login(password)
	var cookie string
	for _, ck := range resp.Cookies() {
		cookie = ck.Value
	}
	if resp.StatusCode != http.StatusSeeOther || cookie == "" {
		t.Fatalf("login: %d, cookie %q", resp.StatusCode, cookie)
	}
	if resp, err := client.Get(c.base + "/moderate/"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("queue page: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

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
	lesson := c.base + "/lessons/intro"
	if code, _ := m.PostAs(ctx, m.KeyID("bob"), forger(t), inbox, m.Fixture(t, "mastodon-create-reply.json", "bob", lesson, "7"), nil); code != http.StatusUnauthorized {
		t.Fatalf("forged reply: %d", code)
	}

	key, err := c.store.KeyPair(ctx, c.srv.URLs().Actor(), nil)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := sig.ParsePrivateKeyPEM(key.PrivatePEM)
	if err != nil {
		t.Fatal(err)
	}
	log := logs.String()
	refused := false
	for line := range strings.Lines(log) {
		refused = refused || strings.Contains(line, `"msg":"inbox request not handled"`) && strings.Contains(line, `"reason":"signature"`) &&
			strings.Contains(line, `"level":"WARN"`)
	}
	if !refused {
		t.Errorf("the forged reply's refusal is not logged with its reason:\n%s", log)
	}
	if !strings.Contains(log, `"msg":"companion started"`) {
		t.Errorf("no start line; is the log empty?\n%s", log)
	}
	for what, secret := range map[string]string{
		"the password":          password,
		"the wrong password":    wrong,
		"the session cookie":    cookie,
		"the private key":       strings.TrimSpace(strings.Split(key.PrivatePEM, "\n")[1]),
		"the private key (PEM)": string(priv.PrivateKeyPEM()[:60]),
	} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %s", what)
		}
	}
}
