package server_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
	"github.com/cohort-course/cohort/activitypub/internal/mastotest"
	"github.com/cohort-course/cohort/activitypub/server"
	"github.com/cohort-course/cohort/activitypub/store/sqlite"
	"github.com/cohort-course/cohort/site"
)

// TestClaimsOfAStoppedProcessAreReleased: a companion claimed a delivery
// and stopped before sending it (its lease has minutes to run). The next
// companion on the same database sends it as soon as it starts.
func TestClaimsOfAStoppedProcessAreReleased(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	stopped, err := sqlite.Open(ctx, filepath.Join(dir, ".cohort")) // the process that stopped
	if err != nil {
		t.Fatal(err)
	}
	m := mastotest.New(t)
	m.SetVerify(false) // the course's key is not served here; the signature is not what is tested
	activity := "https://course.example/activities/create/1"
	if _, err := stopped.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: activity, Inbox: m.Base + "/inbox",
		Body: []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"` + activity + `","type":"Create"}`)}); err != nil {
		t.Fatal(err)
	}
	if claimed, err := stopped.ClaimDeliveries(ctx, time.Now(), 10); err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %v, %v", claimed, err)
	}
	stopped.Close()
	st, err := sqlite.Open(ctx, filepath.Join(dir, ".cohort")) // the next process
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	cfg, err := site.ParseConfig("course.toml", []byte(fmt.Sprintf(courseTOML, "127.0.0.1:1")))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, server.Config{Course: cfg, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Wait()
	defer cancel()
	got := m.WaitFor(t, "Create", 10*time.Second)
	if !strings.Contains(string(got.Body), activity) {
		t.Fatalf("delivered %s", got.Body)
	}
}
