package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

const enqueueDeliverySQL = `
INSERT INTO deliveries (activity_id, inbox, body, attempts, next_attempt, last_error, created)
VALUES (?, ?, ?, 0, ?, '', ?)
ON CONFLICT (activity_id, inbox) DO NOTHING`

// claimDeliveriesSQL claims and returns the due deliveries in one statement,
// so two workers never claim the same one.
const claimDeliveriesSQL = `
UPDATE deliveries SET attempts = attempts + 1, next_attempt = ?, claimed = 1, claimed_by = ?
WHERE id IN (SELECT id FROM deliveries WHERE next_attempt <= ? ORDER BY next_attempt, id LIMIT ?)
RETURNING id, activity_id, inbox, body, attempts, next_attempt, last_error, created`

const completeDeliverySQL = `DELETE FROM deliveries WHERE id = ?`

const retryDeliverySQL = `UPDATE deliveries SET next_attempt = ?, last_error = ?, claimed = 0 WHERE id = ?`

// EnqueueDelivery implements activitypub.Store.
func (s *Store) EnqueueDelivery(ctx context.Context, d activitypub.Delivery) (activitypub.Delivery, error) {
	err := s.inTx(ctx, func(t *txn) error {
		var err error
		d, err = t.EnqueueDelivery(d)
		return err
	})
	return d, err
}

// EnqueueDelivery implements activitypub.Tx.
func (t *txn) EnqueueDelivery(d activitypub.Delivery) (activitypub.Delivery, error) {
	now := t.now
	if d.NextAttempt.IsZero() {
		d.NextAttempt = now
	}
	d.Created, d.Attempts, d.LastError = now, 0, ""
	res, err := t.exec(enqueueDeliverySQL, d.ActivityID, d.Inbox, d.Body, toNanos(d.NextAttempt), toNanos(now))
	if err != nil {
		return d, fmt.Errorf("enqueue %s to %s: %w", d.ActivityID, d.Inbox, err)
	}
	if res.rows == 0 {
		return d, fmt.Errorf("enqueue %s to %s: %w", d.ActivityID, d.Inbox, activitypub.ErrDuplicate)
	}
	d.ID = res.lastID
	d.NextAttempt, d.Created = fromNanos(toNanos(d.NextAttempt)), fromNanos(toNanos(now))
	return d, nil
}

// ClaimDeliveries implements activitypub.Store. The claimed deliveries come
// back in id order.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, limit int) ([]activitypub.Delivery, error) {
	var out []activitypub.Delivery
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out = []activitypub.Delivery{} // the op runs once, but start clean anyway
		rows, err := tx.QueryContext(ctx, claimDeliveriesSQL, toNanos(now.Add(activitypub.DeliveryLease)), s.instance, toNanos(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d activitypub.Delivery
			var next, created int64
			if err := rows.Scan(&d.ID, &d.ActivityID, &d.Inbox, &d.Body, &d.Attempts, &next, &d.LastError, &created); err != nil {
				return err
			}
			d.NextAttempt, d.Created = fromNanos(next), fromNanos(created)
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	slices.SortFunc(out, func(a, b activitypub.Delivery) int { return int(a.ID - b.ID) })
	return out, nil
}

// CompleteDelivery implements activitypub.Store.
func (s *Store) CompleteDelivery(ctx context.Context, id int64) error {
	if err := s.changed(ctx, completeDeliverySQL, id); err != nil {
		return fmt.Errorf("complete delivery %d: %w", id, err)
	}
	return nil
}

// RetryDelivery implements activitypub.Store.
func (s *Store) RetryDelivery(ctx context.Context, id int64, next time.Time, cause error) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	if err := s.changed(ctx, retryDeliverySQL, toNanos(next), msg, id); err != nil {
		return fmt.Errorf("retry delivery %d: %w", id, err)
	}
	return nil
}

// Giving claims back (issue 10): at start, and for a busy host.

// releaseClaimsSQL gives back every claim another Store made, uncounting
// its attempt: one process uses the file, so they are a dead process's.
const releaseClaimsSQL = `
UPDATE deliveries SET claimed = 0, attempts = max(attempts - 1, 0), next_attempt = ?
WHERE claimed = 1 AND claimed_by <> ?`

// staleClaimsSQL tells whether releaseClaimsSQL would change anything.
const staleClaimsSQL = `SELECT EXISTS (SELECT 1 FROM deliveries WHERE claimed = 1 AND claimed_by <> ?)`

// postponeDeliverySQL gives back one claim, uncounting its attempt.
const postponeDeliverySQL = `
UPDATE deliveries SET claimed = 0, attempts = max(attempts - 1, 0), next_attempt = ?
WHERE id = ? AND claimed = 1`

// ReleaseClaims implements activitypub.Store.
func (s *Store) ReleaseClaims(ctx context.Context, now time.Time) (int, error) {
	// A read first: the worker asks every few seconds, and almost always
	// there is nothing to give back, so no write transaction is needed.
	var any bool
	if err := s.db.QueryRowContext(ctx, staleClaimsSQL, s.instance).Scan(&any); err != nil {
		return 0, fmt.Errorf("release delivery claims: %w", err)
	}
	if !any {
		return 0, nil
	}
	res, err := s.exec(ctx, releaseClaimsSQL, toNanos(now), s.instance)
	if err != nil {
		return 0, fmt.Errorf("release delivery claims: %w", err)
	}
	return int(res.rows), nil
}

// PostponeDeliveries implements activitypub.Store.
func (s *Store) PostponeDeliveries(ctx context.Context, ids []int64, next time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, postponeDeliverySQL, toNanos(next), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postpone %d deliveries: %w", len(ids), err)
	}
	return nil
}

// Several processes (issue 11): SQLite has one.

// Leader implements activitypub.Store: the one process always leads, at
// once, and never loses the lock.
func (s *Store) Leader(ctx context.Context, name string) (<-chan struct{}, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("leader %s: %w", name, err)
	}
	return make(chan struct{}), func() {}, nil
}

// Watch implements activitypub.Store: no other process writes, so it waits
// for ctx.
func (s *Store) Watch(ctx context.Context, w activitypub.Watcher) error {
	<-ctx.Done()
	return nil
}
