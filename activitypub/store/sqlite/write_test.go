package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// These tests drive the writer directly, so a batch's contents are chosen
// by the test rather than by scheduling.

func openInternal(t *testing.T) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, dir
}

func insertSeen(id string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO seen_activities (id, seen) VALUES (?, 1)`, id)
		return err
	}
}

// TestBatchFailingOpIsUndoneAlone: in one batch, the op that fails reports
// its own error and leaves nothing behind, even the row it wrote before
// failing; the ops around it are committed.
func TestBatchFailingOpIsUndoneAlone(t *testing.T) {
	s, _ := openInternal(t)
	ctx := context.Background()
	boom := errors.New("boom")
	batch := []op{
		{fn: insertSeen("a"), done: make(chan error, 1)},
		{fn: func(ctx context.Context, tx *sql.Tx) error {
			if err := insertSeen("half")(ctx, tx); err != nil {
				return err
			}
			return boom
		}, done: make(chan error, 1)},
		{fn: insertSeen("a"), done: make(chan error, 1)}, // a primary key clash with the first
		{fn: insertSeen("c"), done: make(chan error, 1)},
	}
	s.w.commit(batch)
	if err := <-batch[0].done; err != nil {
		t.Fatalf("first op: %v", err)
	}
	if err := <-batch[1].done; !errors.Is(err, boom) {
		t.Fatalf("failing op: err = %v, want boom", err)
	}
	if err := <-batch[2].done; err == nil {
		t.Fatal("clashing insert reported success")
	}
	if err := <-batch[3].done; err != nil {
		t.Fatalf("last op: %v", err)
	}
	for id, want := range map[string]bool{"a": true, "half": false, "c": true} {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM seen_activities WHERE id = ?`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n == 1) != want {
			t.Errorf("row %q present = %v, want %v", id, n == 1, want)
		}
	}
}

// TestBatchOfOneFailing: a lone failing op is rolled back too.
func TestBatchOfOneFailing(t *testing.T) {
	s, _ := openInternal(t)
	boom := errors.New("boom")
	o := op{fn: func(ctx context.Context, tx *sql.Tx) error {
		if err := insertSeen("x")(ctx, tx); err != nil {
			return err
		}
		return boom
	}, done: make(chan error, 1)}
	s.w.commit([]op{o})
	if err := <-o.done; !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	seen, err := s.ActivitySeen(context.Background(), "x")
	if err != nil || seen {
		t.Fatalf("the failed op's row is there: seen=%v err=%v", seen, err)
	}
}

// TestConcurrentWritesAreBatched: writers that queue while a batch is
// being committed share the next transaction, and each one's reply is
// readable through a separate pool on the same file the moment its method
// returns (committed, not merely queued).
func TestConcurrentWritesAreBatched(t *testing.T) {
	s, dir := openInternal(t)
	ctx := context.Background()
	other, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	release := make(chan struct{})
	busy := make(chan error, 1)
	go func() {
		busy <- s.write(ctx, func(context.Context, *sql.Tx) error { <-release; return nil })
	}()
	time.Sleep(20 * time.Millisecond)
	before := s.w.batches.Load()
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := activitypub.Reply{ID: fmt.Sprintf("https://m.example/s/%d", i), LessonID: "l", Actor: "a",
				Published: time.Unix(int64(i), 0), Visibility: activitypub.Public}
			if err := s.SaveReply(ctx, r); err != nil {
				t.Error(err)
				return
			}
			if _, err := other.Reply(ctx, r.ID); err != nil {
				t.Errorf("reply %d not visible to another connection after SaveReply returned: %v", i, err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the writers queue behind the busy batch
	close(release)
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	th, err := s.Thread(ctx, "l", "")
	if err != nil || len(th) != n {
		t.Fatalf("thread has %d replies (%v), want %d", len(th), err, n)
	}
	if batches := s.w.batches.Load() - before; batches > n/2 {
		t.Fatalf("%d writes took %d transactions; they were not batched", n, batches)
	} else {
		t.Logf("%d writes in %d transactions", n, batches)
	}
}

// TestConcurrentAppliesAreBatched: an Apply (seen mark, then the
// activity's changes) is one op of the group-commit writer, so a burst of
// inbound activities shares transactions as single writes do.
func TestConcurrentAppliesAreBatched(t *testing.T) {
	s, _ := openInternal(t)
	ctx := context.Background()
	release := make(chan struct{})
	busy := make(chan error, 1)
	go func() {
		busy <- s.write(ctx, func(context.Context, *sql.Tx) error { <-release; return nil })
	}()
	time.Sleep(20 * time.Millisecond)
	before := s.w.batches.Load()
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := activitypub.Reply{ID: fmt.Sprintf("https://m.example/s/%d", i), LessonID: "l", Actor: "a",
				Published: time.Unix(int64(i), 0), Visibility: activitypub.Public}
			applied, err := s.Apply(ctx, r.ID+"/activity", func(tx activitypub.Tx) error { return tx.SaveReply(r) })
			if err != nil || !applied {
				t.Errorf("Apply %d = %v, %v", i, applied, err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	th, err := s.Thread(ctx, "l", "")
	if err != nil || len(th) != n {
		t.Fatalf("thread has %d replies (%v), want %d", len(th), err, n)
	}
	if batches := s.w.batches.Load() - before; batches > n/2 {
		t.Fatalf("%d Applies took %d transactions; they were not batched", n, batches)
	} else {
		t.Logf("%d Applies in %d transactions", n, batches)
	}
}

// TestWriteCancelledBeforeTaken: a write whose context ends before the
// writer takes it never runs.
func TestWriteCancelledBeforeTaken(t *testing.T) {
	s, _ := openInternal(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Keep the writer busy so the op cannot be taken first.
	release := make(chan struct{})
	busy := make(chan error, 1)
	go func() {
		busy <- s.write(context.Background(), func(context.Context, *sql.Tx) error { <-release; return nil })
	}()
	time.Sleep(20 * time.Millisecond)
	_, err := s.Apply(ctx, "never", func(activitypub.Tx) error { return nil })
	close(release)
	if err := <-busy; err != nil {
		t.Fatal(err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	seen, err := s.ActivitySeen(context.Background(), "never")
	if err != nil || seen {
		t.Fatalf("a cancelled write ran: seen=%v err=%v", seen, err)
	}
}

// TestCloseWithWritesInFlight: writes racing Close either commit (and are
// there after a reopen) or fail with ErrClosed; none hangs.
func TestCloseWithWritesInFlight(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = s.Apply(ctx, fmt.Sprint(i), func(activitypub.Tx) error { return nil })
		}()
	}
	time.Sleep(time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, err := range results {
		seen, serr := s.ActivitySeen(ctx, fmt.Sprint(i))
		if serr != nil {
			t.Fatal(serr)
		}
		switch {
		case err == nil && !seen:
			t.Errorf("write %d returned nil but is not on disk", i)
		case errors.Is(err, ErrClosed) && seen:
			t.Errorf("write %d returned ErrClosed but is on disk", i)
		case err != nil && !errors.Is(err, ErrClosed):
			t.Errorf("write %d: %v", i, err)
		}
	}
}
