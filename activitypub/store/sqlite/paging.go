package sqlite

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// Follow limits and the moderators' paged lists (issue 10).

// hostFollowsSQL counts a host's follows. An actor id is on a host when it
// starts with scheme://host/; a range over the primary key finds those
// ('0' follows '/'), so the count reads only that host's rows.
const hostFollowsSQL = `
SELECT
	(SELECT count(*) FROM followers WHERE (actor_id >= ?1 AND actor_id < ?2) OR (actor_id >= ?3 AND actor_id < ?4)),
	(SELECT count(*) FROM followers WHERE ((actor_id >= ?1 AND actor_id < ?2) OR (actor_id >= ?3 AND actor_id < ?4)) AND since >= ?5),
	(SELECT count(*) FROM pending_follows WHERE (actor_id >= ?1 AND actor_id < ?2) OR (actor_id >= ?3 AND actor_id < ?4)),
	EXISTS (SELECT 1 FROM followers WHERE actor_id = ?6),
	EXISTS (SELECT 1 FROM pending_follows WHERE actor_id = ?6)`

// HostFollows implements activitypub.Store.
func (s *Store) HostFollows(ctx context.Context, actorID string, since time.Time) (activitypub.HostFollows, error) {
	var c activitypub.HostFollows
	u, err := url.Parse(actorID)
	if err != nil || u.Host == "" {
		return c, fmt.Errorf("host follows of %q: not an absolute URL", actorID)
	}
	https, http := "https://"+u.Host+"/", "http://"+u.Host+"/"
	end := func(prefix string) string { return prefix[:len(prefix)-1] + "0" }
	err = s.db.QueryRowContext(ctx, hostFollowsSQL, https, end(https), http, end(http), toNanos(since), actorID).
		Scan(&c.Followers, &c.NewFollowers, &c.Pending, &c.Following, &c.Waiting)
	if err != nil {
		return c, fmt.Errorf("host follows of %s: %w", u.Host, err)
	}
	return c, nil
}

const pendingFollowsAfterSQL = `SELECT actor_id, handle, inbox, follow_id, requested FROM pending_follows
WHERE (requested, actor_id) > (?, ?) ORDER BY requested, actor_id LIMIT ?`

const pendingFollowsBeforeSQL = `SELECT actor_id, handle, inbox, follow_id, requested FROM pending_follows
WHERE (requested, actor_id) < (?, ?) ORDER BY requested DESC, actor_id DESC LIMIT ?`

// PendingFollowsPage implements activitypub.Store.
func (s *Store) PendingFollowsPage(ctx context.Context, q activitypub.PageQuery) ([]activitypub.PendingFollow, error) {
	query, c := pendingFollowsAfterSQL, q.After
	if !q.Before.IsZero() {
		query, c = pendingFollowsBeforeSQL, q.Before
	}
	at := int64(-1 << 63) // before every time: the first page
	if !c.IsZero() {
		at = toNanos(c.At)
	}
	rows, err := s.db.QueryContext(ctx, query, at, c.ID, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("pending follows page: %w", err)
	}
	defer rows.Close()
	out := []activitypub.PendingFollow{}
	for rows.Next() {
		f, err := scanPendingFollow(rows)
		if err != nil {
			return nil, fmt.Errorf("pending follows page: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending follows page: %w", err)
	}
	if !q.Before.IsZero() {
		slices.Reverse(out)
	}
	return out, nil
}

// RepliesPage implements activitypub.Store.
func (s *Store) RepliesPage(ctx context.Context, f activitypub.ReplyFilter, q activitypub.PageQuery) ([]activitypub.Reply, error) {
	query, args := replyFilter(f)
	switch {
	case !q.Before.IsZero(): // newer than Before, nearest first, then turned round
		query += ` AND (published, id) > (?, ?) ORDER BY published, id LIMIT ?`
		args = append(args, toNanos(q.Before.At), q.Before.ID, q.Limit)
	case !q.After.IsZero(): // older than After
		query += ` AND (published, id) < (?, ?) ORDER BY published DESC, id DESC LIMIT ?`
		args = append(args, toNanos(q.After.At), q.After.ID, q.Limit)
	default:
		query += ` ORDER BY published DESC, id DESC LIMIT ?`
		args = append(args, q.Limit)
	}
	out, err := s.queryReplies(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("replies page: %w", err)
	}
	if !q.Before.IsZero() {
		slices.Reverse(out)
	}
	return out, nil
}

// repliesToSQL lists the direct replies of a post in Thread's order, by
// the thread's index; only id and actor are read, for the block check.
const repliesToSQL = `
SELECT id, actor FROM replies
WHERE lesson_id = ? AND cohort_id = ? AND in_reply_to = ? AND deleted = 0 AND visibility IN ('public', 'unlisted') AND state = 'shown'
ORDER BY published, id`

// RepliesTo implements activitypub.Store. Blocks are applied as Thread
// applies them, in Go, so offset counts only the replies Thread would list.
func (s *Store) RepliesTo(ctx context.Context, lessonID, cohortID, parentID string, offset, limit int) ([]string, error) {
	blocks, err := s.Blocks(ctx)
	if err != nil {
		return nil, fmt.Errorf("replies to %s: %w", parentID, err)
	}
	rows, err := s.db.QueryContext(ctx, repliesToSQL, lessonID, cohortID, parentID)
	if err != nil {
		return nil, fmt.Errorf("replies to %s: %w", parentID, err)
	}
	defer rows.Close()
	out := []string{}
	for len(out) < limit && rows.Next() {
		var id, actor string
		if err := rows.Scan(&id, &actor); err != nil {
			return nil, fmt.Errorf("replies to %s: %w", parentID, err)
		}
		if _, blocked := activitypub.BlockedBy(blocks, actor); blocked {
			continue
		}
		if offset > 0 {
			offset--
			continue
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("replies to %s: %w", parentID, err)
	}
	return out, nil
}
