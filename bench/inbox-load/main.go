// Command inbox-load measures how many signed replies per second the real
// cohort binary accepts in its inbox, over loopback, with every request
// signed beforehand by this process: the senders' RSA signing is not on the
// server's cores, only its verifying is.
//
// It writes a one-lesson course to a temp folder, builds it and starts
// `cohort companion` (or `cohort serve`) on it; serves the sending actors
// (their key documents, and their posts, which the companion may fetch back)
// on 127.0.0.1 itself; signs N Create{Note} replies to the lesson's post from
// M actors; sends one reply per actor first (so that each key is fetched
// and stored, as it is after an account's first reply); then sends the rest
// with C at a time. It prints replies accepted per second, the server's CPU
// time per reply (utime+stime from /proc/PID/stat, before and after the
// timed part) and its resident memory.
//
// It is a developer's tool, run by hand on a quiet machine; see
// bench/README.md. Linux only (it reads /proc).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cohort-course/cohort/activitypub/sig"
)

// lessonID is the one lesson of the generated course.
const lessonID = "load-lesson"

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat: 100
// on every Linux architecture Go supports.
const clockTicks = 100

// startTimeout bounds how long the server may take to build, start and
// publish the lesson's post.
const startTimeout = 60 * time.Second

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "inbox-load:", err)
		os.Exit(1)
	}
}

type options struct {
	bin         string
	mode        string
	n, actors   int
	concurrency int
	keep        bool
	perf        string
	database    string
	procs       int
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("inbox-load", flag.ContinueOnError)
	fs.StringVar(&o.bin, "bin", "", "cohort binary to measure (default: go build ./cmd/cohort from the current folder, the repository root)")
	fs.StringVar(&o.mode, "mode", "companion", `"companion" (cohort companion) or "serve" (cohort serve: every reply also rebuilds the lesson page)`)
	fs.IntVar(&o.n, "n", 20000, "replies to send in the timed part")
	fs.IntVar(&o.actors, "actors", 50, "sending accounts")
	fs.IntVar(&o.concurrency, "c", 32, "requests in flight at once")
	fs.BoolVar(&o.keep, "keep", false, "keep the temp folder (course, database, server log)")
	fs.StringVar(&o.database, "database", "", "the companion's store, passed on as --database (e.g. postgres://…; default: its SQLite file)")
	fs.IntVar(&o.procs, "procs", 1, "companion processes on one -database (PostgreSQL), behind a round-robin proxy in this process")
	fs.StringVar(&o.perf, "perf", "", "record the server's CPU profile in the timed part with Linux perf into this file (perf record -g)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.mode != "companion" && o.mode != "serve" {
		return fmt.Errorf("-mode %q: want companion or serve", o.mode)
	}
	if o.n < 1 || o.actors < 1 || o.concurrency < 1 || o.procs < 1 {
		return errors.New("-n, -actors, -c and -procs must be positive")
	}
	if o.procs > 1 && (o.database == "" || o.mode != "companion" || o.perf != "") {
		return errors.New("-procs above 1 needs -database, -mode companion and no -perf")
	}
	dir, err := os.MkdirTemp("", "inbox-load-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Fprintln(out, "temp folder:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if o.bin == "" {
		o.bin = filepath.Join(dir, "cohort")
		fmt.Fprintln(out, "building ./cmd/cohort ...")
		if b, err := exec.Command("go", "build", "-o", o.bin, "./cmd/cohort").CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/cohort (run from the repository root, or pass -bin): %w\n%s", err, b)
		}
	}

	// The senders: one server on loopback for all M accounts.
	key, err := sig.GenerateKey()
	if err != nil {
		return err
	}
	peerLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	p := &peer{base: "http://" + peerLn.Addr().String(), key: key}
	go http.Serve(peerLn, p)
	defer peerLn.Close()

	// The server: a free port, a course for it, and the binary on it.
	addr, err := freePort()
	if err != nil {
		return err
	}
	base := "http://" + addr
	course := filepath.Join(dir, "course")
	if err := writeCourse(course, base, addr); err != nil {
		return err
	}
	srvs, err := startAll(ctx, o, course, addr, dir)
	if err != nil {
		return err
	}
	defer func() {
		for _, s := range srvs {
			s.stop()
		}
	}()
	srv := srvs[0]
	lesson := base + "/lessons/" + lessonID
	for _, s := range srvs {
		if err := waitFor(ctx, lesson, s); err != nil {
			return err
		}
	}

	// Sign everything now, before any is sent.
	fmt.Fprintf(out, "signing %d replies from %d accounts ...\n", o.n+o.actors, o.actors)
	inbox := base + "/inbox"
	warm := make([]signed, o.actors)
	for i := range warm {
		if warm[i], err = p.reply(inbox, lesson, i, i); err != nil {
			return err
		}
	}
	timed := make([]signed, o.n)
	for i := range timed {
		if timed[i], err = p.reply(inbox, lesson, i%o.actors, o.actors+i); err != nil {
			return err
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency, MaxConnsPerHost: o.concurrency,
		DisableCompression: true}, Timeout: time.Minute}

	// Warm up: every account's first reply, which fetches and stores its key.
	if res := send(ctx, client, warm, min(o.concurrency, o.actors)); res.accepted != len(warm) {
		return fmt.Errorf("warm-up: %d of %d accepted (%s); see %s", res.accepted, len(warm), res.statuses(), srv.logPath)
	}

	gets := p.gets.Load()
	var stopPerf func() error
	if o.perf != "" {
		if stopPerf, err = record(o.perf, srv.pid()); err != nil {
			return err
		}
	}
	before, err := cpuTicksAll(srvs)
	if err != nil {
		return err
	}
	start := time.Now()
	res := send(ctx, client, timed, o.concurrency)
	wall := time.Since(start)
	if stopPerf != nil {
		if err := stopPerf(); err != nil {
			return err
		}
	}
	after, err := cpuTicksAll(srvs)
	if err != nil {
		return err
	}
	var rss, peak int64
	for _, s := range srvs {
		r, p, err := memory(s.pid())
		if err != nil {
			return err
		}
		rss, peak = rss+r, peak+p
	}
	stored, err := threadCount(ctx, base)
	if err != nil {
		return err
	}

	cpu := time.Duration(after-before) * time.Second / clockTicks
	fmt.Fprintf(out, "\ncohort %s (%d process(es)), %d replies from %d accounts, %d in flight\n", o.mode, o.procs, o.n, o.actors, o.concurrency)
	fmt.Fprintf(out, "accepted           %d (%s)\n", res.accepted, res.statuses())
	fmt.Fprintf(out, "wall time          %s\n", wall.Round(time.Millisecond))
	fmt.Fprintf(out, "replies/s          %.0f\n", float64(res.accepted)/wall.Seconds())
	if res.accepted > 0 {
		fmt.Fprintf(out, "server CPU/reply   %.3f ms\n", float64(cpu)/float64(time.Millisecond)/float64(res.accepted))
	}
	fmt.Fprintf(out, "server CPU in use  %.2f cores\n", cpu.Seconds()/wall.Seconds())
	fmt.Fprintf(out, "server RSS         %d MiB now, %d MiB peak\n", rss>>20, peak>>20)
	fmt.Fprintf(out, "thread count       %d (the threads API, warm-up included)\n", stored)
	fmt.Fprintf(out, "GETs to senders    %d (fetches back of posts, collections, actors)\n", p.gets.Load()-gets)
	if res.accepted != len(timed) {
		return fmt.Errorf("%d of %d replies not accepted; see %s", len(timed)-res.accepted, len(timed), srv.logPath)
	}
	return nil
}

// writeCourse writes a course of one lesson, without cohorts (so its post
// is published at once), whose site and fediverse account are served at
// base on loopback.
func writeCourse(dir, base, addr string) error {
	files := map[string]string{
		"course.toml":               fmt.Sprintf("title = \"Inbox load\"\nlanguage = \"en\"\nbase_url = %q\n\n[federation]\nhandle = \"course\"\ndomain = %q\nallow_insecure = true\n", base+"/", addr),
		"content/_index.md":         "+++\ntitle = \"Inbox load\"\n+++\nA course to measure the inbox with.\n",
		"content/01-week/_index.md": "+++\ntitle = \"Week 1\"\nweight = 10\n+++\n",
		"content/01-week/lesson.md": "+++\ntitle = \"The lesson\"\nid = \"" + lessonID + "\"\n+++\nReply to this lesson.\n",
	}
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// server is the cohort process under measurement.
type server struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop interrupts the server, as Ctrl-C would, and waits for it.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// start builds the course (companion mode) and starts the binary on addr,
// its output in dir/server.log.
func start(ctx context.Context, o options, course, addr, dir string) (*server, error) {
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	var args []string
	switch o.mode {
	case "companion":
		build := exec.CommandContext(ctx, o.bin, "build", "--source", course)
		if b, err := build.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("cohort build: %w\n%s", err, b)
		}
		args = []string{"companion", "--source", course, "--addr", addr}
	case "serve":
		args = []string{"serve", "--source", course, "--addr", addr}
	}
	if o.database != "" {
		args = append(args, "--database", o.database)
	}
	cmd := exec.Command(o.bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", o.bin, err)
	}
	s := &server{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() { cmd.Wait(); logFile.Close(); close(s.exited) }()
	return s, nil
}

// waitFor polls the lesson's post until the server publishes it.
func waitFor(ctx context.Context, lesson string, s *server) error {
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("the server stopped; see %s", s.logPath)
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, lesson, nil)
		req.Header.Set("Accept", "application/activity+json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("lesson post %s not published within %s; see %s", lesson, startTimeout, s.logPath)
}

// peer serves the sending accounts: /users/uK (the actor, with its key)
// and /users/uK/statuses/N (each reply, as their server would answer a
// fetch of it).
type peer struct {
	base  string
	key   *sig.KeyPair
	notes sync.Map // path → JSON
	gets  atomic.Int64
}

func (p *peer) actorID(k int) string { return fmt.Sprintf("%s/users/u%d", p.base, k) }

func (p *peer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.gets.Add(1)
	w.Header().Set("Content-Type", "application/activity+json")
	if doc, ok := p.notes.Load(r.URL.Path); ok {
		w.Write(doc.([]byte))
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/users/u")
	k, err := strconv.Atoi(rest)
	if !ok || err != nil {
		http.NotFound(w, r)
		return
	}
	id := p.actorID(k)
	json.NewEncoder(w).Encode(map[string]any{
		"@context":          []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
		"id":                id,
		"type":              "Person",
		"preferredUsername": fmt.Sprintf("u%d", k),
		"name":              fmt.Sprintf("Load user %d", k),
		"inbox":             id + "/inbox",
		"outbox":            id + "/outbox",
		"followers":         id + "/followers",
		"endpoints":         map[string]any{"sharedInbox": p.base + "/inbox"},
		"publicKey":         map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": p.key.PublicKeyPEM()},
	})
}

// signed is one request ready to send.
type signed struct {
	url    string
	header http.Header
	body   []byte
}

// reply signs account k's reply number n to the lesson, shaped as
// Mastodon's Create{Note} (shared/fixtures/mastodon-create-reply.json),
// and keeps the Note for GETs of it.
func (p *peer) reply(inbox, lesson string, k, n int) (signed, error) {
	actor := p.actorID(k)
	id := fmt.Sprintf("%s/statuses/%d", actor, n)
	published := time.Now().UTC().Format(time.RFC3339)
	to := []string{"https://www.w3.org/ns/activitystreams#Public"}
	cc := []string{actor + "/followers"}
	content := fmt.Sprintf(`<p>Reply %d from <a href="%s">u%d</a>: what worked in my cohort was a <strong>weekly</strong> summary.</p>`, n, actor, k)
	note := map[string]any{
		"id": id, "type": "Note", "summary": nil, "inReplyTo": lesson, "published": published,
		"url": fmt.Sprintf("%s/@u%d/%d", p.base, k, n), "attributedTo": actor, "to": to, "cc": cc,
		"sensitive": false, "content": content, "contentMap": map[string]string{"en": content},
		"attachment": []any{}, "tag": []any{},
		"replies": map[string]any{"id": id + "/replies", "type": "Collection",
			"first": map[string]any{"type": "CollectionPage", "partOf": id + "/replies", "items": []any{}}},
	}
	ctxs := []any{"https://www.w3.org/ns/activitystreams", map[string]any{"sensitive": "as:sensitive"}}
	noteDoc, err := json.Marshal(withContext(note, ctxs))
	if err != nil {
		return signed{}, err
	}
	p.notes.Store(strings.TrimPrefix(id, p.base), noteDoc)
	body, err := json.Marshal(map[string]any{
		"@context": ctxs, "id": id + "/activity", "type": "Create", "actor": actor, "published": published,
		"to": to, "cc": cc, "object": note,
	})
	if err != nil {
		return signed{}, err
	}
	req, err := http.NewRequest(http.MethodPost, inbox, nil)
	if err != nil {
		return signed{}, err
	}
	req.Header.Set("Content-Type", "application/activity+json")
	if err := (sig.Signer{}).Sign(req, actor+"#main-key", p.key.PrivateKey(), body); err != nil {
		return signed{}, err
	}
	return signed{url: inbox, header: req.Header, body: body}, nil
}

func withContext(m map[string]any, ctx any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out["@context"] = ctx
	return out
}

// result counts the answers of one send.
type result struct {
	accepted int
	mu       sync.Mutex
	byStatus map[string]int
}

func (r *result) statuses() string {
	var parts []string
	for s, n := range r.byStatus {
		parts = append(parts, fmt.Sprintf("%s: %d", s, n))
	}
	return strings.Join(parts, ", ")
}

// send posts reqs, c at a time.
func send(ctx context.Context, client *http.Client, reqs []signed, c int) *result {
	res := &result{byStatus: map[string]int{}}
	var next, accepted atomic.Int64
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(reqs) {
					return
				}
				status := post(ctx, client, reqs[i])
				if status == "202 Accepted" {
					accepted.Add(1)
				}
				res.mu.Lock()
				res.byStatus[status]++
				res.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.accepted = int(accepted.Load())
	return res
}

func post(ctx context.Context, client *http.Client, s signed) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(s.body))
	if err != nil {
		return "error: " + err.Error()
	}
	req.Header = s.header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return "error: " + err.Error()
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Status
}

// record starts perf recording process pid's stacks into file; the
// function it returns stops it and waits until the file is written.
func record(file string, pid int) (func() error, error) {
	cmd := exec.Command("perf", "record", "-F", "499", "-g", "-o", file, "-p", strconv.Itoa(pid))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("perf: %w", err)
	}
	time.Sleep(500 * time.Millisecond) // perf attaches
	return func() error {
		_ = cmd.Process.Signal(os.Interrupt)
		var exit *exec.ExitError
		if err := cmd.Wait(); err != nil && !errors.As(err, &exit) { // perf may report the interrupt as its exit
			return fmt.Errorf("perf: %w", err)
		}
		if _, err := os.Stat(file); err != nil {
			return fmt.Errorf("perf wrote nothing: %w", err)
		}
		return nil
	}, nil
}

// cpuTicks returns utime+stime of process pid, in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("server CPU time: %w", err)
	}
	// The command name, field 2, is in parentheses and may hold spaces:
	// count fields after its closing one. utime and stime are fields 14
	// and 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("server CPU time: short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("server CPU time: %w", err)
	}
	return utime + stime, nil
}

// memory returns the resident set of process pid, now and at its peak, in
// bytes.
func memory(pid int) (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("server memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("server memory: %s: %w", name, err)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	return rss, peak, sc.Err()
}

// threadCount reads the lesson's reply count from the threads API.
func threadCount(ctx context.Context, base string) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/threads/"+lessonID, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("threads API: %w", err)
	}
	defer resp.Body.Close()
	var th struct {
		Count int `json:"count"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&th); err != nil {
		return 0, fmt.Errorf("threads API: %d: %w", resp.StatusCode, err)
	}
	return th.Count, nil
}

// freePort returns a loopback address nothing listens on now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startAll starts one server on addr, or, with -procs above 1, that many
// companion processes on one database, each on a port of its own, behind a
// round-robin proxy on addr (the course's public address) in this process.
func startAll(ctx context.Context, o options, course, addr, dir string) ([]*server, error) {
	if o.procs == 1 {
		s, err := start(ctx, o, course, addr, dir)
		if err != nil {
			return nil, err
		}
		return []*server{s}, nil
	}
	var srvs []*server
	var backends []*url.URL
	for i := range o.procs {
		a, err := freePort()
		if err != nil {
			return srvs, err
		}
		d := filepath.Join(dir, fmt.Sprintf("p%d", i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return srvs, err
		}
		s, err := start(ctx, o, course, a, d)
		if err != nil {
			return srvs, err
		}
		srvs = append(srvs, s)
		backends = append(backends, &url.URL{Scheme: "http", Host: a})
	}
	var next atomic.Uint64
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(backends[next.Add(1)%uint64(len(backends))])
		r.Out.Host = r.In.Host // the signed host is the public one
	}}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return srvs, err
	}
	go http.Serve(ln, proxy)
	return srvs, nil
}

// cpuTicksAll sums the CPU ticks of every server process.
func cpuTicksAll(srvs []*server) (int64, error) {
	var sum int64
	for _, s := range srvs {
		t, err := cpuTicks(s.pid())
		if err != nil {
			return 0, err
		}
		sum += t
	}
	return sum, nil
}
