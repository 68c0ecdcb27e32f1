package postgres

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

// Several companion processes on one database (issue 11).
//
// Three things rest on connections of their own, outside the pool, each
// kept open as long as what it stands for:
//
//   - A Store's instance lock. A Store that claims deliveries first takes
//     a session advisory lock on (instanceLockSpace, its instance id) and
//     writes its id into every claim. The lock lives exactly as long as its
//     connection: when the process dies, even by SIGKILL, the server sees
//     the socket close and drops the lock. ReleaseClaims gives back the
//     claims whose id's lock it can take itself, for its transaction, so
//     another process sends them within its next sweep instead of after
//     DeliveryLease. Taking the lock, rather than reading pg_locks, makes
//     the check and the release one step: while the releaser holds the
//     id, no new Store can take it and claim. No heartbeat table is
//     written and no clock compared: PostgreSQL's own locks say who is
//     alive.
//   - Leader locks, the same kind of lock keyed by the schema and a name,
//     held by one process at a time; the others wait in pg_advisory_lock and
//     the server grants the lock to one of them when its holder's
//     connection goes.
//   - The LISTEN connection of Watch, which hears the NOTIFY that
//     migration 0003's triggers send as a thread change, or a queued
//     delivery, commits.
//
// A connection that breaks while its process lives (a restarted server, a
// network cut) loses its lock: the leader's lost channel closes within
// pingInterval, and the next claim takes the instance lock again under the
// same id. Meanwhile another process may lead (both may publish for up to
// pingInterval) and may give back and send claims made before: a delivery
// is at least once, and receivers drop a repeated activity id.

// instanceLockSpace is the first key of instance locks (the two-int4 form
// of pg_advisory_lock, which pg_locks shows as classid and objid). Leader
// locks use the one-bigint form, a separate key space.
const instanceLockSpace = 0x636f68 // "coh"

// pingInterval is how often a held lock's connection is checked, so that a
// leader learns it lost its lock within about this long.
const pingInterval = time.Second

// rewatchDelay is how long Watch waits before it connects again
// after its connection broke.
const rewatchDelay = time.Second

// The channels migration 0003's triggers notify on, each message
// "<schema>\t<detail>": a thread changed (detail its lesson id), or
// deliveries were queued (no detail).
const (
	threadsChannel = "cohort_threads"
	queuedChannel  = "cohort_queued"
)

// lockConn is a connection of its own that holds session locks, checked
// every pingInterval; lost closes when a check fails.
type lockConn struct {
	conn *pgx.Conn
	lost chan struct{}
	stop chan struct{}
	done chan struct{}
}

// dial opens a connection outside the pool, with the pool's settings
// (search_path among them).
func (s *Store) dial(ctx context.Context) (*pgx.Conn, error) {
	return pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
}

// holdLock opens a connection, runs lockSQL on it (which takes a session
// lock and returns whether it did) and keeps the connection until release.
// It returns ok false, with nothing held, when the lock was not taken.
func (s *Store) holdLock(ctx context.Context, lockSQL string, args ...any) (lc *lockConn, ok bool, err error) {
	conn, err := s.dial(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("connect: %w", err)
	}
	if err := conn.QueryRow(ctx, lockSQL, args...).Scan(&ok); err != nil || !ok {
		conn.Close(context.WithoutCancel(ctx))
		return nil, false, err
	}
	lc = &lockConn{conn: conn, lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go lc.watch()
	return lc, true, nil
}

// watch checks the connection until stop, closing lost when it fails.
func (lc *lockConn) watch() {
	defer close(lc.done)
	t := time.NewTicker(pingInterval)
	defer t.Stop()
	for {
		select {
		case <-lc.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), pingInterval)
		err := lc.conn.Ping(ctx)
		cancel()
		if err != nil {
			close(lc.lost)
			return
		}
	}
}

// release stops the checks, gives up the connection's locks and closes
// it. The unlock is explicit so that the locks are free when release
// returns: a closed connection's server process lets them go a moment
// later.
func (lc *lockConn) release() {
	close(lc.stop)
	<-lc.done
	ctx, cancel := context.WithTimeout(context.Background(), pingInterval)
	defer cancel()
	lc.conn.Exec(ctx, `SELECT pg_advisory_unlock_all()`) // on failure the close below frees them anyway
	lc.conn.Close(ctx)
}

// isLost reports whether lc's connection failed a check.
func (lc *lockConn) isLost() bool {
	select {
	case <-lc.lost:
		return true
	default:
		return false
	}
}

// instance returns the id this Store writes into its claims, taking its
// instance lock first if it does not hold it (the first claim, or after
// its connection broke).
func (s *Store) instance(ctx context.Context) (int64, error) {
	s.inst.mu.Lock()
	defer s.inst.mu.Unlock()
	if s.inst.closed {
		return 0, errors.New("store closed")
	}
	if s.inst.lock != nil && !s.inst.lock.isLost() {
		return s.inst.id, nil
	}
	if s.inst.lock != nil {
		s.inst.lock.release()
		s.inst.lock = nil
	}
	for range 10 { // a taken id is a one-in-2^31 coincidence; ten is plenty
		if s.inst.id == 0 {
			s.inst.id = newInstanceID()
		}
		lc, ok, err := s.holdLock(ctx, `SELECT pg_try_advisory_lock($1, $2)`, int32(instanceLockSpace), int32(s.inst.id))
		if err != nil {
			return 0, fmt.Errorf("instance lock: %w", err)
		}
		if ok {
			s.inst.lock = lc
			return s.inst.id, nil
		}
		s.inst.id = 0 // another live Store has it
	}
	return 0, errors.New("instance lock: no free instance id")
}

// newInstanceID returns a random id in [1, 2^31): pg_locks shows the
// second key of a lock as an oid, so ids stay positive int4s.
func newInstanceID() int64 {
	var b [4]byte
	rand.Read(b[:])
	return int64(binary.BigEndian.Uint32(b[:])>>1) | 1
}

// closeInstance gives up the instance lock for good, at Close: the claims
// this Store still holds become another process's to give back.
func (s *Store) closeInstance() {
	s.inst.mu.Lock()
	defer s.inst.mu.Unlock()
	s.inst.closed = true
	if s.inst.lock != nil {
		s.inst.lock.release()
		s.inst.lock = nil
	}
}

// logger returns the Store's Logger, or one that discards.
func (s *Store) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// instanceState is a Store's instance id and the lock that keeps it.
type instanceState struct {
	mu     sync.Mutex
	id     int64
	lock   *lockConn
	closed bool
}

// Leader implements activitypub.Store. The lock is a session advisory lock
// keyed by the schema and name, on a connection of its own; waiting for it
// is PostgreSQL's queue of pg_advisory_lock, so the first process waiting
// gets it as soon as the holder's connection goes.
func (s *Store) Leader(ctx context.Context, name string) (<-chan struct{}, func(), error) {
	lc, ok, err := s.holdLock(ctx, `SELECT true FROM (SELECT pg_advisory_lock(hashtextextended(current_schema() || ':' || $1, 0))) l`, name)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, nil, fmt.Errorf("leader %s: %w", name, err)
	}
	if !ok {
		return nil, nil, fmt.Errorf("leader %s: lock not taken", name)
	}
	var once sync.Once
	return lc.lost, func() { once.Do(lc.release) }, nil
}

// Watch implements activitypub.Store: it LISTENs on a connection of its
// own to the NOTIFY of migration 0003's triggers, keeps the ones of its
// schema sent by other Stores' connections (this Store's writer told its
// own hooks), and connects again after a break, then telling w that it may
// have missed some.
func (s *Store) Watch(ctx context.Context, w activitypub.Watcher) error {
	ww := watcher(w)
	missed := false
	for ctx.Err() == nil {
		err := s.listen(ctx, func() {
			if missed {
				ww.thread("")
				ww.queued()
			}
		}, ww)
		if ctx.Err() != nil {
			break
		}
		s.logger().Warn("changes of other processes not heard; connecting again", "error", err)
		missed = true
		select {
		case <-ctx.Done():
		case <-time.After(rewatchDelay):
		}
	}
	return nil
}

// watcher calls a Watcher's fields that are set.
type watcher activitypub.Watcher

func (w watcher) thread(lessonID string) {
	if w.Thread != nil {
		w.Thread(lessonID)
	}
}

func (w watcher) queued() {
	if w.Queued != nil {
		w.Queued()
	}
}

// listen runs one LISTEN connection until it fails or ctx ends. ready is
// called once it listens.
func (s *Store) listen(ctx context.Context, ready func(), w watcher) error {
	conn, err := s.dial(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	for _, ch := range []string{threadsChannel, queuedChannel} {
		if _, err := conn.Exec(ctx, "LISTEN "+ch); err != nil {
			return fmt.Errorf("listen %s: %w", ch, err)
		}
	}
	ready()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait: %w", err)
		}
		if _, mine := s.own.Load(n.PID); mine {
			continue // committed through this Store: its caller told its hooks
		}
		sch, rest, _ := strings.Cut(n.Payload, "\t")
		if sch != schema {
			continue
		}
		switch n.Channel {
		case threadsChannel:
			w.thread(rest)
		case queuedChannel:
			w.queued()
		}
	}
}
