package storetest

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
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

// fillDiscussion gives s one of each thing a discussion holds: a lesson
// object, replies in every state and visibility (one deleted, one
// answering another), a like and a boost, a feature, a block, the audit
// entries of those moderations and a report.
func fillDiscussion(t *testing.T, s activitypub.Store) {
	t.Helper()
	must(t, s.SaveLessonObject(ctx, activitypub.LessonObject{LessonID: "intro", ObjectID: lesson, Published: base, ContentHash: "h1"}))
	r1, r2, r3, r4 := reply(1, alice), reply(2, bob), reply(3, alice), reply(4, bob)
	r2.InReplyTo = r1.ID
	r3.Visibility = activitypub.FollowersOnly
	r4.State = activitypub.Held
	for _, r := range []activitypub.Reply{r1, r2, r3, r4, reply(5, bob)} {
		must(t, s.SaveReply(ctx, r))
	}
	must(t, s.DeleteReply(ctx, reply(5, bob).ID))
	must(t, s.SaveReaction(ctx, activitypub.Reaction{ID: bob + "/likes/1", Kind: activitypub.Like, Actor: bob, Object: r1.ID}))
	must(t, s.SaveReaction(ctx, activitypub.Reaction{ID: bob + "/boosts/1", Kind: activitypub.Announce, Actor: bob, Object: r1.ID}))
	_, err := s.FeatureReply(ctx, r1.ID, audit(activitypub.ActionFeature, r1.ID))
	must(t, err)
	_, err = s.SetReplyState(ctx, r2.ID, activitypub.Hidden, audit(activitypub.ActionHide, r2.ID))
	must(t, err)
	must(t, s.SaveBlock(ctx, activitypub.Block{Target: "spam.example", Domain: true, Reason: "spam", By: "mia", Created: base},
		audit(activitypub.ActionBlock, "spam.example")))
	must(t, s.SaveFlag(ctx, activitypub.Flag{ID: "https://other.example/flags/1", Actor: bob, Content: "off topic",
		Objects: []string{r4.ID}, Received: base.Add(time.Hour)}))
}

// testArchiveRoundTrip: what one store exports, an empty store imports,
// and exports the same again; a second import adds nothing; the imported
// store shows the same thread, features and blocks.
func testArchiveRoundTrip(t *testing.T, open func(t *testing.T) activitypub.Store) {
	src, dst := open(t), open(t)
	t.Cleanup(func() { src.Close(); dst.Close() })
	from, ok := src.(activitypub.Archiver)
	if !ok {
		t.Skipf("%T does not implement activitypub.Archiver: cohort export and import cannot use it", src)
	}
	to := dst.(activitypub.Archiver)
	fillDiscussion(t, src)
	a, err := from.ExportDiscussion(ctx)
	must(t, err)
	if len(a.Lessons) != 1 || len(a.Replies) != 5 || len(a.Reactions) != 2 || len(a.Features) != 1 || len(a.Blocks) != 1 ||
		len(a.Audit) != 3 || len(a.Flags) != 1 {
		t.Fatalf("export holds %d lessons, %d replies, %d reactions, %d features, %d blocks, %d audit entries, %d flags; want 1, 5, 2, 1, 1, 3, 1",
			len(a.Lessons), len(a.Replies), len(a.Reactions), len(a.Features), len(a.Blocks), len(a.Audit), len(a.Flags))
	}
	n, err := to.ImportDiscussion(ctx, a)
	must(t, err)
	if n != a.Len() {
		t.Fatalf("import into an empty store added %d of %d items", n, a.Len())
	}
	b, err := to.ExportDiscussion(ctx)
	must(t, err)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("export of the imported store differs:\n%+v\nwant\n%+v", b, a)
	}
	if n, err := to.ImportDiscussion(ctx, a); err != nil || n != 0 {
		t.Fatalf("second import added %d, %v; want 0", n, err)
	}
	c, err := to.ExportDiscussion(ctx)
	must(t, err)
	if !reflect.DeepEqual(a, c) {
		t.Fatal("a second import changed the store")
	}
	want, err := src.Thread(ctx, "intro", "")
	must(t, err)
	got, err := dst.Thread(ctx, "intro", "")
	must(t, err)
	if len(got) != 1 || !reflect.DeepEqual(got, want) {
		t.Fatalf("imported thread = %+v, want %+v (only the shown public reply)", got, want)
	}
	if _, err := dst.Blocked(ctx, "https://spam.example/users/x"); err != nil {
		t.Fatalf("imported domain block does not cover its host: %v", err)
	}
	fs, err := dst.Features(ctx, "intro", "")
	must(t, err)
	if len(fs) != 1 || fs[0].ReplyID != reply(1, alice).ID {
		t.Fatalf("imported features = %+v", fs)
	}
	// The audit log goes on after the imported entries.
	e, err := dst.AppendAudit(ctx, audit(activitypub.ActionLogin, "mia"))
	must(t, err)
	if e.ID <= a.Audit[len(a.Audit)-1].ID {
		t.Fatalf("new audit entry id %d does not follow the imported ones (last %d)", e.ID, a.Audit[len(a.Audit)-1].ID)
	}
}
