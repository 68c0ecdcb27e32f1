package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

const replyColumns = `id, lesson_id, in_reply_to, actor, url, published, updated, content, summary, sensitive, attachments, visibility, deleted, state, cohort_id`

// A reply is replaced only when the stored one is not a tombstone and is not
// newer (version = updated, or published when never edited).
const saveReplySQL = `
INSERT INTO replies (` + replyColumns + `)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, false, $13, $14)
ON CONFLICT (id) DO UPDATE SET
	lesson_id = excluded.lesson_id, cohort_id = excluded.cohort_id, in_reply_to = excluded.in_reply_to, actor = excluded.actor, url = excluded.url,
	published = excluded.published, updated = excluded.updated, content = excluded.content, summary = excluded.summary,
	sensitive = excluded.sensitive, attachments = excluded.attachments, visibility = excluded.visibility
WHERE NOT replies.deleted AND replies.actor = excluded.actor
	AND (CASE WHEN excluded.updated = $15 THEN excluded.published ELSE excluded.updated END)
	 >= (CASE WHEN replies.updated = $15 THEN replies.published ELSE replies.updated END)`

const replySQL = `SELECT ` + replyColumns + ` FROM replies WHERE id = $1`

const deleteReplySQL = `UPDATE replies SET deleted = true, content = '', summary = '', attachments = '[]' WHERE id = $1`

const threadSQL = `
SELECT ` + replyColumns + ` FROM replies
WHERE lesson_id = $1 AND cohort_id = $2 AND NOT deleted AND visibility IN ('public', 'unlisted') AND state = 'shown'
ORDER BY published, id`

// lockObjectSQL serializes, until the transaction ends, the writes that
// decide what one object id holds: a Create and a Delete of one post
// arriving together at two processes must not both find nothing and both
// proceed (the reply stored, and a tombstone beside it).
const lockObjectSQL = `SELECT pg_advisory_xact_lock(hashtextextended('cohort object ' || $1, 0))`

type attachmentJSON struct {
	URL       string `json:"url"`
	MediaType string `json:"media_type,omitempty"`
	Alt       string `json:"alt,omitempty"`
}

// SaveReply implements activitypub.Store.
func (s *Store) SaveReply(ctx context.Context, r activitypub.Reply) error {
	return s.inTx(ctx, func(t *txn) error { return t.SaveReply(r) })
}

// replyActorSQL reads who owns a reply id, before an insert may replace it.
const replyActorSQL = `SELECT actor FROM replies WHERE id = $1`

// lockObject takes the object lock of id (lockObjectSQL).
func (t *txn) lockObject(id string) error {
	if _, err := t.tx.Exec(t.ctx, lockObjectSQL, id); err != nil {
		return fmt.Errorf("lock %s: %w", id, err)
	}
	return nil
}

// SaveReply implements activitypub.Tx. Its checks and the upsert run in one
// transaction under the object's lock, so nothing can slip between them.
func (t *txn) SaveReply(r activitypub.Reply) error {
	if r.ID == "" {
		return errors.New("save reply: no id")
	}
	if !activitypub.DateInRange(r.Published) || !activitypub.DateInRange(r.Updated) {
		return fmt.Errorf("save reply %s: published %s or updated %s outside %d-%d", r.ID,
			r.Published.Format(time.RFC3339), r.Updated.Format(time.RFC3339), activitypub.EarliestDate.Year(), activitypub.LatestDate.Year()-1)
	}
	atts := make([]attachmentJSON, 0, len(r.Attachments))
	for _, a := range r.Attachments {
		atts = append(atts, attachmentJSON(a))
	}
	state := r.State
	if state == "" {
		state = activitypub.Shown
	}
	if !state.Valid() {
		return fmt.Errorf("save reply %s: state %q", r.ID, state)
	}
	aj, err := json.Marshal(atts)
	if err != nil {
		return fmt.Errorf("save reply %s: attachments: %w", r.ID, err)
	}
	if err := t.lockObject(r.ID); err != nil {
		return fmt.Errorf("save reply %s: %w", r.ID, err)
	}
	var owner string
	err = t.tx.QueryRow(t.ctx, replyActorSQL, r.ID).Scan(&owner)
	switch {
	case err == nil && owner != r.Actor:
		return fmt.Errorf("save reply %s by %s: %w (%s)", r.ID, r.Actor, activitypub.ErrNotOwner, owner)
	case errors.Is(err, pgx.ErrNoRows):
		tomb, err := t.tombstoned(r.ID, r.Actor)
		if err != nil {
			return fmt.Errorf("save reply %s: %w", r.ID, err)
		}
		if tomb {
			return nil // deleted before it arrived
		}
	case err != nil:
		return fmt.Errorf("save reply %s: owner: %w", r.ID, err)
	}
	_, err = t.tx.Exec(t.ctx, saveReplySQL, r.ID, r.LessonID, r.InReplyTo, r.Actor, r.URL,
		r.Published, r.Updated, r.Content, r.Summary, r.Sensitive, aj, string(r.Visibility), string(state), r.CohortID, time.Time{})
	if err != nil {
		return fmt.Errorf("save reply %s: %w", r.ID, err)
	}
	return nil
}

// Reply implements activitypub.Store.
func (s *Store) Reply(ctx context.Context, id string) (activitypub.Reply, error) {
	return readReply(s.pool.QueryRow(ctx, replySQL, id), id)
}

// Reply implements activitypub.Tx.
func (t *txn) Reply(id string) (activitypub.Reply, error) {
	return readReply(t.tx.QueryRow(t.ctx, replySQL, id), id)
}

func readReply(row pgx.Row, id string) (activitypub.Reply, error) {
	r, err := scanReply(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("reply %s: %w", id, activitypub.ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("reply %s: %w", id, err)
	}
	return r, nil
}

// DeleteReply implements activitypub.Store.
func (s *Store) DeleteReply(ctx context.Context, id string) error {
	return s.inTx(ctx, func(t *txn) error { return t.DeleteReply(id) })
}

// DeleteReply implements activitypub.Tx.
func (t *txn) DeleteReply(id string) error {
	if err := t.lockObject(id); err != nil {
		return fmt.Errorf("delete reply %s: %w", id, err)
	}
	if err := changed(t.ctx, t.tx, deleteReplySQL, id); err != nil {
		return fmt.Errorf("delete reply %s: %w", id, err)
	}
	return nil
}

// Thread implements activitypub.Store. Blocks are few, so the replies of
// blocked authors are left out here rather than in SQL.
func (s *Store) Thread(ctx context.Context, lessonID, cohortID string) ([]activitypub.Reply, error) {
	blocks, err := s.Blocks(ctx)
	if err != nil {
		return nil, fmt.Errorf("thread %s: %w", lessonID, err)
	}
	rows, err := s.pool.Query(ctx, threadSQL, lessonID, cohortID)
	if err != nil {
		return nil, fmt.Errorf("thread %s: %w", lessonID, err)
	}
	all, err := scanRows(rows, func(r pgx.Rows) (activitypub.Reply, error) { return scanReply(r) })
	if err != nil {
		return nil, fmt.Errorf("thread %s: %w", lessonID, err)
	}
	out := all[:0]
	for _, r := range all {
		if _, blocked := activitypub.BlockedBy(blocks, r.Actor); !blocked {
			out = append(out, r)
		}
	}
	return out, nil
}

func scanReply(row pgx.Row) (activitypub.Reply, error) {
	var (
		r          activitypub.Reply
		atts       []byte
		vis, state string
	)
	err := row.Scan(&r.ID, &r.LessonID, &r.InReplyTo, &r.Actor, &r.URL, &r.Published, &r.Updated,
		&r.Content, &r.Summary, &r.Sensitive, &atts, &vis, &r.Deleted, &state, &r.CohortID)
	if err != nil {
		return r, err
	}
	r.Published, r.Updated, r.Visibility = utc(r.Published), utc(r.Updated), activitypub.Visibility(vis)
	r.State = activitypub.ReplyState(state)
	var aj []attachmentJSON
	if err := json.Unmarshal(atts, &aj); err != nil {
		return r, fmt.Errorf("attachments: %w", err)
	}
	for _, a := range aj {
		r.Attachments = append(r.Attachments, activitypub.Attachment(a))
	}
	return r, nil
}

// SetReplyState implements activitypub.Store, in one transaction with the
// audit entry.
func (s *Store) SetReplyState(ctx context.Context, id string, state activitypub.ReplyState, e activitypub.AuditEntry) (activitypub.Reply, error) {
	if !state.Valid() {
		return activitypub.Reply{}, fmt.Errorf("reply %s: state %q", id, state)
	}
	var r activitypub.Reply
	err := s.inTx(ctx, func(t *txn) error {
		var err error
		r, err = scanReply(t.tx.QueryRow(ctx, `UPDATE replies SET state = $1 WHERE id = $2 RETURNING `+replyColumns, string(state), id))
		if errors.Is(err, pgx.ErrNoRows) {
			return activitypub.ErrNotFound
		}
		if err != nil {
			return err
		}
		e.LessonID = r.LessonID
		_, err = s.audit(ctx, t.tx, e)
		return err
	})
	if err != nil {
		return r, fmt.Errorf("reply %s: set %s: %w", id, state, err)
	}
	return r, nil
}

// Replies implements activitypub.Store.
func (s *Store) Replies(ctx context.Context, f activitypub.ReplyFilter) ([]activitypub.Reply, error) {
	q, a := replyFilter(f)
	q += ` ORDER BY published DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + a.add(f.Limit)
	}
	return s.queryReplies(ctx, q, a...)
}

// replyFilter is the query of the replies f selects, without order or limit.
func replyFilter(f activitypub.ReplyFilter) (string, args) {
	q := `SELECT ` + replyColumns + ` FROM replies WHERE NOT deleted AND visibility IN ('public', 'unlisted')`
	var a args
	if f.LessonID != "" {
		q += ` AND lesson_id = ` + a.add(f.LessonID)
		if f.CohortID != "" {
			q += ` AND cohort_id = ` + a.add(f.CohortID)
		}
	}
	if f.State != "" {
		q += ` AND state = ` + a.add(string(f.State))
	}
	if f.Actor != "" {
		q += ` AND actor = ` + a.add(f.Actor)
	}
	if !f.Since.IsZero() {
		q += ` AND published >= ` + a.add(f.Since)
	}
	return q, a
}

func (s *Store) queryReplies(ctx context.Context, q string, a ...any) ([]activitypub.Reply, error) {
	rows, err := s.pool.Query(ctx, q, a...)
	if err != nil {
		return nil, fmt.Errorf("replies: %w", err)
	}
	out, err := scanRows(rows, func(r pgx.Rows) (activitypub.Reply, error) { return scanReply(r) })
	if err != nil {
		return nil, fmt.Errorf("replies: %w", err)
	}
	return out, nil
}
