package storetest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// opsTests check what the operator reads and calls (issue 11): queue
// figures, the readiness ping and the live backup.
var opsTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"DeliveryQueueStats", testDeliveryQueueStats},
	{"Ping", testPing},
	{"Backup", testBackup},
}

// testDeliveryQueueStats: the figures follow the queue as deliveries are
// queued, claimed, retried and completed.
func testDeliveryQueueStats(t *testing.T, s activitypub.Store) {
	far := time.Now().Add(24 * time.Hour) // every delivery queued below is due by then
	q, err := s.DeliveryQueueStats(ctx, far)
	must(t, err)
	if q != (activitypub.QueueStats{}) {
		t.Fatalf("empty queue = %+v, want zeros", q)
	}
	var ds []activitypub.Delivery
	for _, inbox := range []string{"https://a.example/inbox", "https://b.example/inbox", "https://c.example/inbox"} {
		d, err := s.EnqueueDelivery(ctx, activitypub.Delivery{ActivityID: lesson + "/a", Inbox: inbox, Body: []byte(`{}`)})
		must(t, err)
		ds = append(ds, d)
	}
	q, err = s.DeliveryQueueStats(ctx, far)
	must(t, err)
	if q.Depth != 3 || q.Due != 3 || !q.Oldest.Equal(ds[0].Created) {
		t.Fatalf("three queued = %+v, want depth 3, due 3, oldest %v", q, ds[0].Created)
	}
	claimed, err := s.ClaimDeliveries(ctx, far, 1)
	must(t, err)
	q, err = s.DeliveryQueueStats(ctx, far)
	must(t, err)
	if len(claimed) != 1 || q.Depth != 3 || q.Due != 2 {
		t.Fatalf("after one claim = %+v, want depth 3 with 2 due", q)
	}
	must(t, s.RetryDelivery(ctx, claimed[0].ID, far.Add(time.Hour), errors.New("503")))
	must(t, s.CompleteDelivery(ctx, ds[1].ID))
	q, err = s.DeliveryQueueStats(ctx, far)
	must(t, err)
	if q.Depth != 2 || q.Due != 1 {
		t.Fatalf("after a retry and a completion = %+v, want depth 2 with 1 due", q)
	}
}

// testPing: an open, migrated store answers; a closed one does not.
func testPing(t *testing.T, s activitypub.Store) {
	p, ok := s.(activitypub.Pinger)
	if !ok {
		t.Skipf("%T does not implement activitypub.Pinger: /readyz falls back to a query", s)
	}
	must(t, p.Ping(ctx))
	s.Close()
	if err := p.Ping(ctx); err == nil {
		t.Fatal("Ping of a closed store = nil")
	}
}

// testBackup: a backup taken while the store is open holds what was
// committed, and refuses to overwrite a file.
func testBackup(t *testing.T, s activitypub.Store) {
	b, ok := s.(activitypub.Backuper)
	if !ok {
		t.Skipf("%T does not implement activitypub.Backuper: its engine has its own tools (pg_dump)", s)
	}
	must(t, s.SaveReply(ctx, reply(1, alice)))
	path := filepath.Join(t.TempDir(), "backup.db")
	must(t, b.Backup(ctx, path))
	fi, err := os.Stat(path)
	must(t, err)
	if fi.Size() == 0 {
		t.Fatal("backup is empty")
	}
	if err := b.Backup(ctx, path); err == nil {
		t.Fatal("a second backup to the same file overwrote it")
	}
}
