package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/discovery"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/store/postgres"
	"github.com/cohort-course/cohort/activitypub/store/postgres/pgtest"
	"github.com/cohort-course/cohort/site"
)

// Sizes of TestTwoProcesses: a course followed from many servers, each
// reached through its shared inbox as Mastodon's are.
const (
	multiHosts     = 100
	followersEach  = 10 // 1,000 followers in all
	multiReplies   = 8
	visibleWithin  = time.Second // the bound for a moderation action
	deliveredAfter = 60 * time.Second
)

// buildCohort builds cmd/cohort, the binary an organiser runs, into a
// folder of the test's.
func buildCohort(t testing.TB) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	bin := filepath.Join(t.TempDir(), "cohort")
	out, err := exec.Command(goTool, "build", "-o", bin, "github.com/cohort-course/cohort/cmd/cohort").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a companion running as its own OS process.
type process struct {
	name string
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT, straight to it
	log  *syncBuffer
}

// startProcess runs `cohort companion` on the course in dir and the store
// at dbURL, and waits until it listens.
func startProcess(t testing.TB, bin, name, dir, dbURL string) *process {
	t.Helper()
	// Its connections carry its name, so the test can tell whose claims
	// are whose.
	cmd := exec.Command(bin, "companion", "--source", dir, "--data", filepath.Join(dir, ".cohort-"+name),
		"--addr", "127.0.0.1:0", "--database", dbURL+"&application_name=cohort-"+name, "--manifest", filepath.Join(dir, "lessons.json"))
	p := &process{name: name, cmd: cmd, log: &syncBuffer{}}
	cmd.Stderr = p.log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}
		if t.Failed() {
			t.Logf("log of companion %s:\n%s", name, p.log)
		}
	})
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, addr, ok := strings.Cut(sc.Text(), " listening on "); ok {
				listening <- addr
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case p.base = <-listening:
	case <-time.After(30 * time.Second):
		t.Fatalf("companion %s did not start:\n%s", name, p.log)
	}
	return p
}

// kill ends the process with SIGKILL: no cleanup runs, its connections
// drop.
func (p *process) kill(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
}

// thread reads a lesson's whole thread from this process directly.
func (p *process) thread(t testing.TB, lesson string) discovery.Thread {
	t.Helper()
	resp, err := http.Get(p.base + "/api/threads/" + lesson + "?all=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: thread %s: status %d", p.name, lesson, resp.StatusCode)
	}
	var th discovery.Thread
	if err := json.NewDecoder(resp.Body).Decode(&th); err != nil {
		t.Fatal(err)
	}
	return th
}

// replyIDs lists the ids of a thread's replies, answers included.
func replyIDs(rs []*discovery.ThreadReply) map[string]bool {
	ids := map[string]bool{}
	var walk func([]*discovery.ThreadReply)
	walk = func(rs []*discovery.ThreadReply) {
		for _, r := range rs {
			ids[r.ID] = true
			walk(r.Replies)
		}
	}
	walk(rs)
	return ids
}

// roundRobin is the load balancer: each request goes to the next process,
// with its Host kept (signatures sign it).
func roundRobin(t testing.TB, ln net.Listener, ps ...*process) {
	t.Helper()
	var next atomic.Uint64
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		p := ps[next.Add(1)%uint64(len(ps))]
		u, _ := url.Parse(p.base)
		r.SetURL(u)
		r.Out.Host = r.In.Host
	}}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: proxy}}
	srv.Start()
	t.Cleanup(srv.Close)
}

// inboxes are the followers' servers: each counts the activities it
// answered 202 to, by activity id. While held is set, a Create of that
// activity waits once hold have been answered, until release: the requests
// of a process killed meanwhile are never answered, so never delivered.
type inboxes struct {
	servers []*httptest.Server
	mu      sync.Mutex
	got     map[string]map[string]int // activity id → host → answered
	span    map[string][2]time.Time   // activity id → first and last answer
	held    string
	hold    int
	release chan struct{}
}

func newInboxes(t testing.TB, n int) *inboxes {
	in := &inboxes{got: map[string]map[string]int{}, span: map[string][2]time.Time{}, release: make(chan struct{})}
	for range n {
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			in.receive(w, r, srv.Listener.Addr().String())
		}))
		t.Cleanup(srv.Close)
		in.servers = append(in.servers, srv)
	}
	return in
}

func (in *inboxes) receive(w http.ResponseWriter, r *http.Request, host string) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost || r.Header.Get("Signature") == "" {
		http.Error(w, "want a signed POST", http.StatusBadRequest)
		return
	}
	var a struct {
		ID     string `json:"id"`
		Object struct {
			ID string `json:"id"`
		} `json:"object"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	in.mu.Lock()
	if in.held != "" && a.Object.ID == in.held && count(in.got[a.ID]) >= in.hold {
		in.mu.Unlock()
		select {
		case <-in.release:
		case <-r.Context().Done():
			return // its sender died: not delivered
		}
		in.mu.Lock()
	}
	if in.got[a.ID] == nil {
		in.got[a.ID] = map[string]int{}
	}
	in.got[a.ID][host]++
	now := time.Now()
	sp := in.span[a.ID]
	if sp[0].IsZero() {
		sp[0] = now
	}
	sp[1] = now
	in.span[a.ID] = sp
	in.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func count(byHost map[string]int) int {
	n := 0
	for _, c := range byHost {
		n += c
	}
	return n
}

// delivered returns, for the activity whose object is objectID, how many
// times each inbox host answered it.
func (in *inboxes) delivered(objectPrefix string) map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := map[string]int{}
	for id, byHost := range in.got {
		if strings.HasPrefix(id, objectPrefix) {
			for h, n := range byHost {
				out[h] += n
			}
		}
	}
	return out
}

// spanOf returns how long the activities of objectPrefix took from their
// first answer to their last.
func (in *inboxes) spanOf(objectPrefix string) time.Duration {
	in.mu.Lock()
	defer in.mu.Unlock()
	var first, last time.Time
	for id, sp := range in.span {
		if !strings.HasPrefix(id, objectPrefix) {
			continue
		}
		if first.IsZero() || sp[0].Before(first) {
			first = sp[0]
		}
		if sp[1].After(last) {
			last = sp[1]
		}
	}
	return last.Sub(first)
}

// waitDelivered waits until every inbox answered the activity of
// objectPrefix, then checks that each did once.
func (in *inboxes) waitDelivered(t testing.TB, objectPrefix string) {
	t.Helper()
	deadline := time.Now().Add(deliveredAfter)
	for {
		got := in.delivered(objectPrefix)
		if len(got) == len(in.servers) {
			for _, srv := range in.servers {
				if n := got[srv.Listener.Addr().String()]; n != 1 {
					t.Fatalf("%s delivered %d times to %s, want once", objectPrefix, n, srv.URL)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s delivered to %d of %d inboxes", objectPrefix, len(got), len(in.servers))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// seedFollowers makes each inbox server's host the home of each followers,
// all reached through its shared inbox.
func seedFollowers(t testing.TB, dbURL string, in *inboxes, each int) {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, srv := range in.servers {
		for i := range each {
			actor := fmt.Sprintf("%s/users/u%d", srv.URL, i)
			if err := st.SaveFollower(ctx, activitypub.Follower{ActorID: actor, Inbox: srv.URL + "/inbox", FollowID: actor + "#follow", Since: time.Now()}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// writeManifest writes lessons.json as the build would.
func writeManifest(t testing.TB, dir string, lessons ...site.ManifestLesson) {
	t.Helper()
	data, err := json.Marshal(site.Manifest{Title: "Course", BaseURL: "https://site.example/", Language: "en", Lessons: lessons})
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "lessons.json.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "lessons.json")); err != nil {
		t.Fatal(err)
	}
}

// TestTwoProcesses runs two companion processes (the cohort binary) on one
// PostgreSQL database behind a round-robin proxy, as an organiser behind a
// load balancer would, and checks what participants and followers notice:
// a reply either process acknowledged is served by both; a moderator's
// action through the command line shows on both within a second; a lesson
// reaches each of 1,000 followers' 100 servers once, also when the process
// holding the rest of its deliveries is killed with SIGKILL halfway; and
// when the publishing process is killed, one standing by takes over.
func TestTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two companion processes and 100 servers; skipped with -short")
	}
	dbURL := pgtest.URL(t) // skips, saying why, without COHORT_TEST_POSTGRES
	ctx := context.Background()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	domain := ln.Addr().String()
	base := "http://" + domain
	if err := os.WriteFile(filepath.Join(dir, "course.toml"), []byte(fmt.Sprintf(courseTOML, domain)), 0o644); err != nil {
		t.Fatal(err)
	}

	// 1,000 followers on 100 servers, each server with its shared inbox.
	in := newInboxes(t, multiHosts)
	seedFollowers(t, dbURL, in, followersEach)

	writeManifest(t, dir, intro)
	bin := buildCohort(t)
	a := startProcess(t, bin, "a", dir, dbURL)
	b := startProcess(t, bin, "b", dir, dbURL)
	roundRobin(t, ln, a, b)

	// One of them leads and publishes the lesson: each server gets it once.
	lesson := base + "/lessons/intro"
	in.waitDelivered(t, lesson)

	// Both serve the lesson's post, the one standing by too (it reads the
	// manifest without publishing).
	for _, p := range []*process{a, b} {
		req, _ := http.NewRequest(http.MethodGet, p.base+"/lessons/intro", nil)
		req.Header.Set("Accept", "application/activity+json")
		req.Host = domain
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(doc), `"id":"`+lesson+`"`) {
			t.Fatalf("%s: lesson post: %d %s", p.name, resp.StatusCode, doc)
		}
	}

	// Replies, each acknowledged by whichever process the proxy chose, are
	// served by both; both had the thread cached before.
	for _, p := range []*process{a, b} {
		if th := p.thread(t, "intro"); len(th.Replies) != 0 {
			t.Fatalf("%s: thread before any reply = %+v", p.name, th)
		}
	}
	m := mastotest.New(t)
	m.Course = base + "/actor"
	users := []string{"alice", "bob", "carol", "dave"}
	want := map[string]bool{}
	for i := range multiReplies {
		user := users[i%len(users)]
		status := fmt.Sprint(1000 + i)
		id, _ := m.Note(t, user, status, lesson, fmt.Sprintf("<p>reply %d</p>", i), nil)
		if code, err := m.Post(ctx, user, base+"/inbox", m.Fixture(t, "mastodon-create-reply.json", user, lesson, status)); err != nil || code != http.StatusAccepted {
			t.Fatalf("reply %d: %d, %v", i, code, err)
		}
		want[id] = true
		for _, p := range []*process{a, b} {
			eventuallyWithin(t, visibleWithin, fmt.Sprintf("reply %d served by %s", i, p.name), func() bool {
				got := replyIDs(p.thread(t, "intro").Replies)
				for id := range want {
					if !got[id] {
						return false
					}
				}
				return true
			})
		}
	}

	// A moderator hides a reply from the command line, a third process on
	// the same database: both companions stop showing it.
	var hidden string
	for id := range want {
		hidden = id
		break
	}
	out, err := exec.Command(bin, "moderate", "hide", hidden, "--source", dir, "--database", dbURL, "--reason", "test").CombinedOutput()
	if err != nil {
		t.Fatalf("cohort moderate hide: %v\n%s", err, out)
	}
	for _, p := range []*process{a, b} {
		eventuallyWithin(t, visibleWithin, "the hidden reply gone from "+p.name, func() bool {
			got := replyIDs(p.thread(t, "intro").Replies)
			return !got[hidden] && len(got) == len(want)-1
		})
	}

	// A second lesson is published while the servers hold its delivery
	// halfway; the process holding the rest of it is killed; the other
	// process sends them: each server gets the lesson once.
	second := site.ManifestLesson{ID: "second", Title: "Working in pairs", Summary: "Feedback that helps.",
		URL: "https://site.example/01/second/", Module: "01", Order: 2, Hash: "h2"}
	secondID := base + "/lessons/second"
	in.mu.Lock()
	in.held, in.hold = secondID, multiHosts/2
	in.mu.Unlock()
	writeManifest(t, dir, intro, second)
	check, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close(ctx)
	// Halfway: half answered, and their completion recorded, so what the
	// killed process leaves is exactly the undelivered half.
	eventuallyWithin(t, deliveredAfter, "half of the second lesson's deliveries", func() bool {
		n, _ := queued(ctx, check)
		return len(in.delivered(secondID)) == multiHosts/2 && n == multiHosts/2
	})
	claims := claimsByProcess(t, check)
	victim, other := a, b
	if claims["cohort-b"] > claims["cohort-a"] {
		victim, other = b, a
	}
	if claims["cohort-"+victim.name] == 0 {
		t.Fatalf("no process holds the undelivered half: claims %v", claims)
	}
	wasLeader := strings.Contains(victim.log.String(), "msg=leading lock=publish")
	t.Logf("claims halfway: %v; killing %s (publish leader: %v)", claims, victim.name, wasLeader)
	victim.kill(t)
	// The other process gives back the killed one's claims by itself. By
	// then the servers have seen the killed process's connections close,
	// so what it had sent is not answered when they let requests through.
	eventuallyWithin(t, 10*time.Second, other.name+" releases the killed process's claims", func() bool {
		return strings.Contains(other.log.String(), "claims of a stopped process released")
	})
	close(in.release)
	in.waitDelivered(t, secondID)
	// The survivor leads publishing now (it did, or took over).
	eventuallyWithin(t, 10*time.Second, other.name+" leads publishing", func() bool {
		return strings.Contains(other.log.String(), "msg=leading lock=publish")
	})

	// The survivor still serves the thread, the hidden reply left out.
	if got := replyIDs(other.thread(t, "intro").Replies); got[hidden] || len(got) != len(want)-1 {
		t.Fatalf("%s after the kill serves %v", other.name, got)
	}

	// A third process stands by; the leader is killed; the third takes
	// over and publishes the next lesson, once to each server.
	c := startProcess(t, bin, "c", dir, dbURL)
	if strings.Contains(c.log.String(), "msg=leading lock=publish") {
		t.Fatal("c leads publishing while " + other.name + " does")
	}
	other.kill(t)
	eventuallyWithin(t, 10*time.Second, "c takes over publishing", func() bool {
		return strings.Contains(c.log.String(), "msg=leading lock=publish")
	})
	third := site.ManifestLesson{ID: "third", Title: "Closing well", URL: "https://site.example/01/third/", Module: "01", Order: 3, Hash: "h3"}
	writeManifest(t, dir, intro, second, third)
	in.waitDelivered(t, base+"/lessons/third")
	in.waitDelivered(t, secondID) // and nothing sent again
	in.waitDelivered(t, lesson)
}

// queued counts the deliveries in the queue.
func queued(ctx context.Context, conn *pgx.Conn) (int, error) {
	var n int
	err := conn.QueryRow(ctx, `SELECT count(*) FROM deliveries`).Scan(&n)
	return n, err
}

// claimsByProcess counts the claimed deliveries by the application name
// of the process whose instance lock their claim names.
func claimsByProcess(t testing.TB, conn *pgx.Conn) map[string]int {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT a.application_name, count(*) FROM deliveries d
		JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.objid::bigint = d.claimed_by
		JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE d.claimed GROUP BY a.application_name`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		out[name] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// eventuallyWithin polls cond until it holds, failing after within.
func eventuallyWithin(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
	}
}
