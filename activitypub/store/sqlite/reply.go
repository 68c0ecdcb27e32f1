package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

const replyColumns = `id, lesson_id, in_reply_to, actor, url, published, updated, content, summary, sensitive, attachments, visibility, deleted, state, cohort_id`

// A reply is replaced only when the stored one is not a tombstone and is not
// newer (version = updated, or published when never edited).
const saveReplySQL = `
INSERT INTO replies (` + replyColumns + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
ON CONFLICT (id) DO UPDATE SET
	lesson_id = excluded.lesson_id, cohort_id = excluded.cohort_id, in_reply_to = excluded.in_reply_to, actor = excluded.actor, url = excluded.url,
	published = excluded.published, updated = excluded.updated, content = excluded.content, summary = excluded.summary,
	sensitive = excluded.sensitive, attachments = excluded.attachments, visibility = excluded.visibility
WHERE replies.deleted = 0
	AND (CASE excluded.updated WHEN 0 THEN excluded.published ELSE excluded.updated END)
	 >= (CASE replies.updated WHEN 0 THEN replies.published ELSE replies.updated END)`

const replySQL = `SELECT ` + replyColumns + ` FROM replies WHERE id = ?`

const deleteReplySQL = `UPDATE replies SET deleted = 1, content = '', summary = '', attachments = '[]' WHERE id = ?`

const threadSQL = `
SELECT ` + replyColumns + ` FROM replies
WHERE lesson_id = ? AND cohort_id = ? AND deleted = 0 AND visibility IN ('public', 'unlisted') AND state = 'shown'
ORDER BY published, id`

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
const replyActorSQL = `SELECT actor FROM replies WHERE id = ?`

// SaveReply implements activitypub.Tx. Its checks and the upsert run in one
// transaction, so nothing can slip between them.
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
	var owner string
	err = t.queryRow(replyActorSQL, r.ID).Scan(&owner)
	switch {
	case err == nil && owner != r.Actor:
		return fmt.Errorf("save reply %s by %s: %w (%s)", r.ID, r.Actor, activitypub.ErrNotOwner, owner)
	case errors.Is(err, sql.ErrNoRows):
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
	_, err = t.exec(saveReplySQL, r.ID, r.LessonID, r.InReplyTo, r.Actor, r.URL,
		toNanos(r.Published), toNanos(r.Updated), r.Content, r.Summary, r.Sensitive, string(aj), string(r.Visibility), string(state), r.CohortID)
	if err != nil {
		return fmt.Errorf("save reply %s: %w", r.ID, err)
	}
	return nil
}

// Reply implements activitypub.Store.
func (s *Store) Reply(ctx context.Context, id string) (activitypub.Reply, error) {
	return readReply(s.db.QueryRowContext(ctx, replySQL, id), id)
}

// Reply implements activitypub.Tx.
func (t *txn) Reply(id string) (activitypub.Reply, error) {
	return readReply(t.queryRow(replySQL, id), id)
}

func readReply(row *sql.Row, id string) (activitypub.Reply, error) {
	r, err := scanReply(row)
	if errors.Is(err, sql.ErrNoRows) {
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
	if err := t.changed(deleteReplySQL, id); err != nil {
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
	rows, err := s.db.QueryContext(ctx, threadSQL, lessonID, cohortID)
	if err != nil {
		return nil, fmt.Errorf("thread %s: %w", lessonID, err)
	}
	defer rows.Close()
	out := []activitypub.Reply{}
	for rows.Next() {
		r, err := scanReply(rows)
		if err != nil {
			return nil, fmt.Errorf("thread %s: %w", lessonID, err)
		}
		if _, blocked := activitypub.BlockedBy(blocks, r.Actor); blocked {
			continue
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("thread %s: %w", lessonID, err)
	}
	return out, nil
}

type scanner interface{ Scan(...any) error }

func scanReply(row scanner) (activitypub.Reply, error) {
	var (
		r                  activitypub.Reply
		published, updated int64
		atts, vis, state   string
	)
	err := row.Scan(&r.ID, &r.LessonID, &r.InReplyTo, &r.Actor, &r.URL, &published, &updated,
		&r.Content, &r.Summary, &r.Sensitive, &atts, &vis, &r.Deleted, &state, &r.CohortID)
	if err != nil {
		return r, err
	}
	r.Published, r.Updated, r.Visibility = fromNanos(published), fromNanos(updated), activitypub.Visibility(vis)
	r.State = activitypub.ReplyState(state)
	var aj []attachmentJSON
	if err := json.Unmarshal([]byte(atts), &aj); err != nil {
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
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE replies SET state = ? WHERE id = ?`, string(state), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return activitypub.ErrNotFound
		}
		if r, err = scanReply(tx.QueryRowContext(ctx, replySQL, id)); err != nil {
			return err
		}
		e.LessonID = r.LessonID
		_, err = s.audit(ctx, tx, e)
		return err
	})
	if err != nil {
		return r, fmt.Errorf("reply %s: set %s: %w", id, state, err)
	}
	return r, nil
}

// Replies implements activitypub.Store.
func (s *Store) Replies(ctx context.Context, f activitypub.ReplyFilter) ([]activitypub.Reply, error) {
	q, args := replyFilter(f)
	q += ` ORDER BY published DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return s.queryReplies(ctx, q, args...)
}

// replyFilter is the query of the replies f selects, without order or limit.
func replyFilter(f activitypub.ReplyFilter) (string, []any) {
	q := `SELECT ` + replyColumns + ` FROM replies WHERE deleted = 0 AND visibility IN ('public', 'unlisted')`
	var args []any
	if f.LessonID != "" {
		q += ` AND lesson_id = ?`
		args = append(args, f.LessonID)
		if f.CohortID != "" {
			q += ` AND cohort_id = ?`
			args = append(args, f.CohortID)
		}
	}
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, string(f.State))
	}
	if f.Actor != "" {
		q += ` AND actor = ?`
		args = append(args, f.Actor)
	}
	if !f.Since.IsZero() {
		q += ` AND published >= ?`
		args = append(args, toNanos(f.Since))
	}
	return q, args
}

func (s *Store) queryReplies(ctx context.Context, q string, args ...any) ([]activitypub.Reply, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("replies: %w", err)
	}
	defer rows.Close()
	out := []activitypub.Reply{}
	for rows.Next() {
		r, err := scanReply(rows)
		if err != nil {
			return nil, fmt.Errorf("replies: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("replies: %w", err)
	}
	return out, nil
}
