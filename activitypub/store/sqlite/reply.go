package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

const replyColumns = `id, lesson_id, in_reply_to, actor, url, published, updated, content, summary, sensitive, attachments, visibility, deleted`

// A reply is replaced only when the stored one is not a tombstone and is not
// newer (version = updated, or published when never edited).
const saveReplySQL = `
INSERT INTO replies (` + replyColumns + `)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
ON CONFLICT (id) DO UPDATE SET
	lesson_id = excluded.lesson_id, in_reply_to = excluded.in_reply_to, actor = excluded.actor, url = excluded.url,
	published = excluded.published, updated = excluded.updated, content = excluded.content, summary = excluded.summary,
	sensitive = excluded.sensitive, attachments = excluded.attachments, visibility = excluded.visibility
WHERE replies.deleted = 0
	AND (CASE excluded.updated WHEN 0 THEN excluded.published ELSE excluded.updated END)
	 >= (CASE replies.updated WHEN 0 THEN replies.published ELSE replies.updated END)`

const replySQL = `SELECT ` + replyColumns + ` FROM replies WHERE id = ?`

const deleteReplySQL = `UPDATE replies SET deleted = 1, content = '', summary = '', attachments = '[]' WHERE id = ?`

const threadSQL = `
SELECT ` + replyColumns + ` FROM replies
WHERE lesson_id = ? AND deleted = 0 AND visibility IN ('public', 'unlisted')
ORDER BY published, id`

type attachmentJSON struct {
	URL       string `json:"url"`
	MediaType string `json:"media_type,omitempty"`
	Alt       string `json:"alt,omitempty"`
}

// SaveReply implements activitypub.Store.
func (s *Store) SaveReply(ctx context.Context, r activitypub.Reply) error {
	if r.ID == "" {
		return errors.New("save reply: no id")
	}
	atts := make([]attachmentJSON, 0, len(r.Attachments))
	for _, a := range r.Attachments {
		atts = append(atts, attachmentJSON(a))
	}
	aj, err := json.Marshal(atts)
	if err != nil {
		return fmt.Errorf("save reply %s: attachments: %w", r.ID, err)
	}
	_, err = s.exec(ctx, saveReplySQL, r.ID, r.LessonID, r.InReplyTo, r.Actor, r.URL,
		toNanos(r.Published), toNanos(r.Updated), r.Content, r.Summary, r.Sensitive, string(aj), string(r.Visibility))
	if err != nil {
		return fmt.Errorf("save reply %s: %w", r.ID, err)
	}
	return nil
}

// Reply implements activitypub.Store.
func (s *Store) Reply(ctx context.Context, id string) (activitypub.Reply, error) {
	r, err := scanReply(s.db.QueryRowContext(ctx, replySQL, id))
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
	if err := s.changed(ctx, deleteReplySQL, id); err != nil {
		return fmt.Errorf("delete reply %s: %w", id, err)
	}
	return nil
}

// Thread implements activitypub.Store.
func (s *Store) Thread(ctx context.Context, lessonID string) ([]activitypub.Reply, error) {
	rows, err := s.db.QueryContext(ctx, threadSQL, lessonID)
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
		atts, vis          string
	)
	err := row.Scan(&r.ID, &r.LessonID, &r.InReplyTo, &r.Actor, &r.URL, &published, &updated,
		&r.Content, &r.Summary, &r.Sensitive, &atts, &vis, &r.Deleted)
	if err != nil {
		return r, err
	}
	r.Published, r.Updated, r.Visibility = fromNanos(published), fromNanos(updated), activitypub.Visibility(vis)
	var aj []attachmentJSON
	if err := json.Unmarshal([]byte(atts), &aj); err != nil {
		return r, fmt.Errorf("attachments: %w", err)
	}
	for _, a := range aj {
		r.Attachments = append(r.Attachments, activitypub.Attachment(a))
	}
	return r, nil
}
