package inbox_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub/fetch"
	"github.com/cohort-course/cohort/activitypub/inbox"
	"github.com/cohort-course/cohort/activitypub/sig"
)

// benchKeyTimeout replaces fetch.KeyTimeout in BenchmarkForgedRequest, so
// that the stalled-host case runs many iterations in a second; what it
// measures there is the CPU and memory spent waiting, not the wait.
const benchKeyTimeout = 50 * time.Millisecond

// attacker is a loopback server run by whoever forges requests: each path
// is one kind of document a keyId can point at.
type attacker struct {
	*httptest.Server
	actor []byte // a valid actor document whose id is actorIDPlaceholder
	deep  []byte // nested far past as.KeyLimits.Depth, under 64 KiB
	wide  []byte // a flat array of far more values than as.KeyLimits.Nodes, under 64 KiB
	gets  atomic.Int64
}

const actorIDPlaceholder = "https://placeholder.invalid/actor"

func newAttacker(tb testing.TB, actorTemplate []byte) *attacker {
	a := &attacker{actor: actorTemplate}
	a.deep = bytes.Repeat([]byte("["), 60<<10)
	a.wide = append([]byte("["), bytes.Repeat([]byte("0,"), 30<<10)...)
	a.wide[len(a.wide)-1] = ']'
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	tb.Cleanup(a.Close)
	return a
}

func (a *attacker) serve(w http.ResponseWriter, r *http.Request) {
	a.gets.Add(1)
	kind, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	w.Header().Set("Content-Type", "application/activity+json")
	switch kind {
	case "actor": // a real actor whose key is not the forger's
		w.Write(bytes.ReplaceAll(a.actor, []byte(actorIDPlaceholder), []byte(a.URL+r.URL.Path)))
	case "announced": // says 100 MiB up front
		w.Header().Set("Content-Length", strconv.Itoa(100<<20))
		w.WriteHeader(http.StatusOK)
	case "endless": // streams spaces until the reader stops
		chunk := bytes.Repeat([]byte(" "), 16<<10)
		for range 100 << 20 / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case "deep":
		w.Write(a.deep)
	case "wide":
		w.Write(a.wide)
	case "stalled": // answers nothing until the client gives up
		<-r.Context().Done()
	case "redirect": // to itself, for ever
		http.Redirect(w, r, "/redirect/"+strconv.Itoa(int(a.gets.Load())), http.StatusFound)
	case "gone":
		http.Error(w, "gone", http.StatusGone)
	default:
		http.NotFound(w, r)
	}
}

// closedPort returns a loopback address where nothing listens: a keyId on
// a host that does not answer.
func closedPort(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkForgedRequest measures what a request with a bad signature
// costs the companion before it is refused, for each kind of document its
// keyId can point at, served by real loopback servers. Each iteration is
// one forged Create whose keyId the inbox has not seen (except "cached
// key", a real account's stored key, and "fresh actor", whose key is
// fetched once per iteration as a new account's would be). ns/op is wall
// time (the stalled host waits benchKeyTimeout); cpu-ns/op is the
// process's CPU time per request, the attacker's servers included, so an
// upper bound; B/op and allocs/op count both sides too.
func BenchmarkForgedRequest(b *testing.B) {
	e := newEnv(b)
	atk := newAttacker(b, bytes.ReplaceAll(e.m.Actor(b, "mallory"), []byte(e.m.ActorID("mallory")), []byte(actorIDPlaceholder)))
	refused := closedPort(b)
	h := inbox.New(inbox.Options{Store: e.store, URLs: e.urls,
		Fetch: fetch.New(fetch.Options{Store: e.store, AllowInsecure: true, KeyTimeout: benchKeyTimeout,
			// Every keyId here is on one loopback host; lift the per-host
			// limit, as if each forgery named another host, so that every
			// iteration does fetch.
			HostRate: 1e9, HostBurst: 1 << 30})})
	ctx := context.Background()
	if _, _, err := fetch.New(fetch.Options{Store: e.store, AllowInsecure: true}).KeyOwner(ctx, e.m.KeyID("alice"), false); err != nil {
		b.Fatal(err)
	}
	// One request signed with a key nobody publishes; each iteration names
	// another keyId in its Signature header, which leaves it just as
	// forged.
	body := e.fixture("mastodon-create-reply.json", "alice", "1", "", nil)
	signed := httptest.NewRequest(http.MethodPost, e.inbox, nil)
	signed.Header.Set("Content-Type", "application/activity+json")
	const keyIDMark = "KEYID-TO-REPLACE"
	if err := (sig.Signer{}).Sign(signed, keyIDMark, forgeryKey(b).PrivateKey(), body); err != nil {
		b.Fatal(err)
	}
	kinds := []struct {
		name  string
		keyID func(i int) string
		want  int
	}{
		{"cached key", func(int) string { return e.m.KeyID("alice") }, http.StatusUnauthorized},
		{"fresh actor", func(i int) string { return fmt.Sprintf("%s/actor/%d#main-key", atk.URL, i) }, http.StatusUnauthorized},
		{"announced 100 MiB", func(i int) string { return fmt.Sprintf("%s/announced/%d#k", atk.URL, i) }, http.StatusUnauthorized},
		{"endless body", func(i int) string { return fmt.Sprintf("%s/endless/%d#k", atk.URL, i) }, http.StatusUnauthorized},
		{"deeply nested", func(i int) string { return fmt.Sprintf("%s/deep/%d#k", atk.URL, i) }, http.StatusUnauthorized},
		{"many values", func(i int) string { return fmt.Sprintf("%s/wide/%d#k", atk.URL, i) }, http.StatusUnauthorized},
		{"stalled host", func(i int) string { return fmt.Sprintf("%s/stalled/%d#k", atk.URL, i) }, http.StatusUnauthorized},
		{"redirect loop", func(i int) string { return fmt.Sprintf("%s/redirect/%d#k", atk.URL, i) }, http.StatusUnauthorized},
		{"gone", func(i int) string { return fmt.Sprintf("%s/gone/%d#k", atk.URL, i) }, http.StatusAccepted},
		{"host not answering", func(i int) string { return fmt.Sprintf("http://%s/users/%d#k", refused, i) }, http.StatusUnauthorized},
	}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			reqs := make([]*http.Request, b.N)
			for i := range reqs {
				r := httptest.NewRequest(http.MethodPost, e.inbox, bytes.NewReader(body))
				r.Header = signed.Header.Clone()
				r.Header.Set("Signature", strings.Replace(signed.Header.Get("Signature"), keyIDMark, k.keyID(i), 1))
				reqs[i] = r
			}
			b.ReportAllocs()
			cpu := cpuTime(b)
			b.ResetTimer()
			for i := range b.N {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, reqs[i])
				if w.Code != k.want {
					b.Fatalf("forged request %d: status %d, want %d: %s", i, w.Code, k.want, w.Body)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuTime(b)-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
	if len(e.thread()) != 0 {
		b.Fatal("a forged reply was stored")
	}
}
