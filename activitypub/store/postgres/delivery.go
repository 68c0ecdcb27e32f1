package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

const enqueueDeliverySQL = `
INSERT INTO deliveries (activity_id, inbox, body, attempts, next_attempt, last_error, created)
VALUES ($1, $2, $3, 0, $4, '', $5)
ON CONFLICT (activity_id, inbox) DO NOTHING
RETURNING id`

const deliveryColumns = `id, activity_id, inbox, body, attempts, next_attempt, last_error, created`

// claimDeliveriesSQL claims and returns the due deliveries in one
// statement. The rows another transaction is claiming at this moment are
// skipped, not waited for, so several processes claiming together each get
// different deliveries and none blocks behind another.
const claimDeliveriesSQL = `
WITH claimed AS (
	UPDATE deliveries d SET attempts = d.attempts + 1, next_attempt = $1, claimed = true, claimed_by = $4
	FROM (SELECT id FROM deliveries WHERE next_attempt <= $2 ORDER BY next_attempt, id LIMIT $3 FOR UPDATE SKIP LOCKED) due
	WHERE d.id = due.id
	RETURNING d.id, d.activity_id, d.inbox, d.body, d.attempts, d.next_attempt, d.last_error, d.created
)
SELECT ` + deliveryColumns + ` FROM claimed ORDER BY id`

const completeDeliverySQL = `DELETE FROM deliveries WHERE id = $1`

const retryDeliverySQL = `UPDATE deliveries SET next_attempt = $1, last_error = $2, claimed = false, claimed_by = 0 WHERE id = $3`

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
	now := dbTime(t.now)
	if d.NextAttempt.IsZero() {
		d.NextAttempt = now
	}
	d.NextAttempt = dbTime(d.NextAttempt)
	d.Created, d.Attempts, d.LastError = now, 0, ""
	body := d.Body
	if body == nil {
		body = []byte{}
	}
	err := t.tx.QueryRow(t.ctx, enqueueDeliverySQL, d.ActivityID, d.Inbox, body, d.NextAttempt, now).Scan(&d.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("enqueue %s to %s: %w", d.ActivityID, d.Inbox, activitypub.ErrDuplicate)
	}
	if err != nil {
		return d, fmt.Errorf("enqueue %s to %s: %w", d.ActivityID, d.Inbox, err)
	}
	return d, nil
}

// ClaimDeliveries implements activitypub.Store. The claimed deliveries come
// back in id order.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, limit int) ([]activitypub.Delivery, error) {
	id, err := s.instance(ctx)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	rows, err := s.pool.Query(ctx, claimDeliveriesSQL, now.Add(activitypub.DeliveryLease), now, limit, id)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	out, err := scanRows(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

func scanDelivery(r pgx.Rows) (activitypub.Delivery, error) {
	var d activitypub.Delivery
	err := r.Scan(&d.ID, &d.ActivityID, &d.Inbox, &d.Body, &d.Attempts, &d.NextAttempt, &d.LastError, &d.Created)
	d.NextAttempt, d.Created = utc(d.NextAttempt), utc(d.Created)
	return d, err
}

// CompleteDelivery implements activitypub.Store.
func (s *Store) CompleteDelivery(ctx context.Context, id int64) error {
	if err := changed(ctx, s.pool, completeDeliverySQL, id); err != nil {
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
	if err := changed(ctx, s.pool, retryDeliverySQL, next, msg, id); err != nil {
		return fmt.Errorf("retry delivery %d: %w", id, err)
	}
	return nil
}

// Giving claims back (issue 10): at start, and for a busy host.

// releaseClaimsSQL gives back, uncounting its attempt, every claim but
// this Store's ($2) whose Store is gone (processes.go): its instance lock
// is free, so this transaction takes it ($3 is the lock space) and holds it
// to the commit, so no Store can take that id and claim meanwhile. A live
// Store's lock is held, the try fails, and its claims stay. Ids outside
// int4 (none a PostgreSQL Store gives; a copied SQLite claim's) are gone.
const releaseClaimsSQL = `
WITH owners AS (SELECT DISTINCT claimed_by AS id FROM deliveries WHERE claimed AND claimed_by <> $2),
gone AS (SELECT id FROM owners
	WHERE CASE WHEN id BETWEEN 0 AND 2147483647 THEN pg_try_advisory_xact_lock($3, id::int4) ELSE true END)
UPDATE deliveries SET claimed = false, claimed_by = 0, attempts = greatest(attempts - 1, 0), next_attempt = $1
WHERE claimed AND claimed_by IN (SELECT id FROM gone)`

// postponeDeliveriesSQL gives back the claims among the ids, uncounting
// their attempt.
const postponeDeliveriesSQL = `
UPDATE deliveries SET claimed = false, claimed_by = 0, attempts = greatest(attempts - 1, 0), next_attempt = $1
WHERE id = ANY($2) AND claimed`

// ReleaseClaims implements activitypub.Store.
func (s *Store) ReleaseClaims(ctx context.Context, now time.Time) (int, error) {
	s.inst.mu.Lock()
	own := s.inst.id
	s.inst.mu.Unlock()
	tag, err := s.pool.Exec(ctx, releaseClaimsSQL, now, own, int32(instanceLockSpace))
	if err != nil {
		return 0, fmt.Errorf("release delivery claims: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// PostponeDeliveries implements activitypub.Store.
func (s *Store) PostponeDeliveries(ctx context.Context, ids []int64, next time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, postponeDeliveriesSQL, next, ids); err != nil {
		return fmt.Errorf("postpone %d deliveries: %w", len(ids), err)
	}
	return nil
}
