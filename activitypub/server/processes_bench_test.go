package server_test

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub/store/postgres/pgtest"
	"github.com/cohort-course/cohort/site"
)

// Size of BenchmarkFanOut, the issue's: 10,000 followers on 1,000 servers.
// COHORT_BENCH_FANOUT_HOSTS sets another number of servers (for a quick
// look on a small machine).
const (
	fanOutHosts         = 1000
	fanOutFollowersEach = 10
)

// BenchmarkFanOut measures how fast one lesson reaches every follower's
// server, with one and with two companion processes (the cohort binary) on
// one PostgreSQL: each iteration publishes a new lesson and waits until
// every server answered it. It reports deliveries/s (one per server: each
// is reached through its shared inbox) over the time from a lesson's first
// answer to its last, so the publisher's look at the manifest (every
// publish.WatchInterval) is left out; ns/op includes it. It needs
// COHORT_TEST_POSTGRES.
func BenchmarkFanOut(b *testing.B) {
	hosts := fanOutHosts
	if v := os.Getenv("COHORT_BENCH_FANOUT_HOSTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("COHORT_BENCH_FANOUT_HOSTS=%q: want a number of servers", v)
		}
		hosts = n
	}
	bin := buildCohort(b)
	for _, procs := range []int{1, 2} {
		b.Run(fmt.Sprintf("processes=%d", procs), func(b *testing.B) { benchFanOut(b, bin, procs, hosts) })
	}
}

func benchFanOut(b *testing.B, bin string, procs, hosts int) {
	dbURL := pgtest.URL(b)
	dir := b.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	domain := ln.Addr().String()
	if err := os.WriteFile(filepath.Join(dir, "course.toml"), []byte(fmt.Sprintf(courseTOML, domain)), 0o644); err != nil {
		b.Fatal(err)
	}
	in := newInboxes(b, hosts)
	seedFollowers(b, dbURL, in, fanOutFollowersEach)
	writeManifest(b, dir)
	var ps []*process
	for i := range procs {
		ps = append(ps, startProcess(b, bin, string(rune('a'+i)), dir, dbURL))
	}
	roundRobin(b, ln, ps...)

	var lessons []site.ManifestLesson
	var spent time.Duration
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("lesson-%d", i)
		lessons = append(lessons, site.ManifestLesson{ID: id, Title: "Lesson " + strconv.Itoa(i),
			URL: "https://site.example/" + id + "/", Module: "01", Order: i + 1, Hash: "h"})
		writeManifest(b, dir, lessons...)
		in.waitDelivered(b, "http://"+domain+"/lessons/"+id)
		spent += in.spanOf("http://" + domain + "/lessons/" + id)
	}
	b.ReportMetric(float64(hosts*b.N)/spent.Seconds(), "deliveries/s")
}
