package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
)

// withMetrics appends a [metrics] table to the course's course.toml and
// writes the scrape token beside it.
func withMetrics(t *testing.T, dir, table, token string) {
	t.Helper()
	appendFile(t, filepath.Join(dir, "course.toml"), "\n[metrics]\n"+table)
	if token != "" {
		if err := os.WriteFile(filepath.Join(dir, "metrics.token"), []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// scrapeMetric returns the value of one sample (name and labels as
// written) at url, sending token; -1 when it is absent.
func scrapeMetric(t *testing.T, url, token, sample string) (int, float64) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return resp.StatusCode, f
		}
	}
	return resp.StatusCode, -1
}

// TestServeOperator: serve with --log-format json answers the health
// checks on its origin, serves its metrics behind the token with the first
// build and a rebuild timed, and every log line is one JSON object.
func TestServeOperator(t *testing.T) {
	dir := exampleCourse(t)
	const token = "serve-scrape-token"
	withMetrics(t, dir, "enabled = true\ntoken_file = \"metrics.token\"\n", token)
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	stopped := make(chan error, 1)
	go func() {
		stopped <- run(ctx, []string{"serve", "--source", dir, "--addr", "127.0.0.1:0", "--log-format", "json", "--log-level", "debug"}, stdout, stderr)
	}()
	running := true
	t.Cleanup(func() {
		cancel()
		if running {
			<-stopped
		}
	})
	base := stdout.waitFor(t, servingLine, stopped)[1]
	if status, body := get(t, base+"healthz"); status != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", status, body)
	}
	if status, body := get(t, base+"readyz"); status != 200 || body != "ready\n" {
		t.Errorf("readyz: %d %q", status, body)
	}
	if status, _ := scrapeMetric(t, base+"metrics", "", "go_goroutines"); status != http.StatusUnauthorized {
		t.Errorf("metrics without the token: %d", status)
	}
	if status, n := scrapeMetric(t, base+"metrics", token, `cohort_build_duration_seconds_count{kind="full"}`); status != 200 || n != 1 {
		t.Errorf("first build timed: %d, count %v; want 200 and 1", status, n)
	}
	appendFile(t, filepath.Join(dir, "content/01-setting-up/onboarding.md"), "\nOne more line.\n")
	deadline := time.Now().Add(waitLimit)
	for {
		_, n := scrapeMetric(t, base+"metrics", token, `cohort_build_duration_seconds_count{kind="rebuild"}`)
		if n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rebuild timed after a save\nstdout:\n%s", stdout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	running = false
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	lines := 0
	for line := range strings.Lines(stderr.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["level"] == nil || rec["msg"] == nil {
			t.Fatalf("log line without level or msg: %q", line)
		}
		lines++
	}
	if !strings.Contains(stderr.String(), `"msg":"companion started"`) {
		t.Errorf("the companion's start is not in the log (%d lines):\n%s", lines, stderr)
	}
}

var metricsLine = regexp.MustCompile(`Metrics on (http://127\.0\.0\.1:\d+)/metrics`)
var companionLine = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

// TestCompanionMetricsListen: with [metrics] listen, the companion serves
// its metrics on that address only, never on the public one a proxy
// forwards; --log-level warn keeps the information lines out.
func TestCompanionMetricsListen(t *testing.T) {
	dir := exampleCourse(t)
	withMetrics(t, dir, "enabled = true\nlisten = \"127.0.0.1:0\"\n", "")
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	stopped := make(chan error, 1)
	go func() {
		stopped <- run(ctx, []string{"companion", "--source", dir, "--addr", "127.0.0.1:0", "--log-level", "warn"}, stdout, stderr)
	}()
	running := true
	t.Cleanup(func() {
		cancel()
		if running {
			<-stopped
		}
	})
	own := stdout.waitFor(t, metricsLine, stopped)[1]
	public := stdout.waitFor(t, companionLine, stopped)[1]
	if status, n := scrapeMetric(t, own+"/metrics", "", `cohort_delivery_queue_depth`); status != 200 || n != 0 {
		t.Errorf("metrics on their own address: %d, queue depth %v", status, n)
	}
	if status, _ := get(t, public+"/metrics"); status != http.StatusNotFound {
		t.Errorf("metrics on the public address: %d, want 404", status)
	}
	if status, _ := get(t, public+"/readyz"); status != http.StatusOK {
		t.Errorf("readyz: %d", status)
	}
	cancel()
	running = false
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr.String(), "level=INFO") {
		t.Errorf("--log-level warn let information through:\n%s", stderr)
	}
}

// TestBackupWhileServing: a backup taken while the companion runs on the
// same database (another process would do the same) holds the companion's
// key and opens as a store of its own.
func TestBackupWhileServing(t *testing.T) {
	dir := exampleCourse(t)
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	stopped := make(chan error, 1)
	go func() {
		stopped <- run(ctx, []string{"companion", "--source", dir, "--addr", "127.0.0.1:0"}, stdout, stderr)
	}()
	running := true
	t.Cleanup(func() {
		cancel()
		if running {
			<-stopped
		}
	})
	public := stdout.waitFor(t, companionLine, stopped)[1]
	backup := filepath.Join(t.TempDir(), "copy.db")
	var out, errs strings.Builder
	if err := run(context.Background(), []string{"backup", "--source", dir, "--to", backup}, &out, &errs); err != nil {
		t.Fatalf("backup: %v\n%s", err, errs.String())
	}
	if status, _ := get(t, public+"/readyz"); status != http.StatusOK {
		t.Errorf("readyz after the backup: %d", status)
	}
	cancel()
	running = false
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}

	// Restore: the copy in place of a fresh course's database.
	restored := exampleCourse(t)
	if err := os.MkdirAll(filepath.Join(restored, ".cohort"), 0o700); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(restored, ".cohort", "companion.db"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(restored, ".cohort"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	orig, err := sqlite.Open(context.Background(), filepath.Join(dir, ".cohort"))
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	actor := "https://course.example.org/actor"
	noKey := func() (activitypub.Key, error) { return activitypub.Key{}, errors.New("no key in the store") }
	want, err := orig.KeyPair(context.Background(), actor, noKey)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.KeyPair(context.Background(), actor, noKey)
	if err != nil || got.PublicPEM != want.PublicPEM {
		t.Fatalf("the restored store's key: %v; want the companion's", err)
	}
}
