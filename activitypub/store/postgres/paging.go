package postgres

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/cohort-course/cohort/activitypub"
)

// Follow limits and the moderators' paged lists (issue 10).

// hostFollowsSQL counts a host's follows. An actor id is on a host when it
// starts with scheme://host/; a range over the primary key (byte order,
// COLLATE "C") finds those ('0' follows '/'), so the count reads only that
// host's rows.
const hostFollowsSQL = `
SELECT
	(SELECT count(*) FROM followers WHERE (actor_id >= $1 AND actor_id < $2) OR (actor_id >= $3 AND actor_id < $4)),
	(SELECT count(*) FROM followers WHERE ((actor_id >= $1 AND actor_id < $2) OR (actor_id >= $3 AND actor_id < $4)) AND since >= $5),
	(SELECT count(*) FROM pending_follows WHERE (actor_id >= $1 AND actor_id < $2) OR (actor_id >= $3 AND actor_id < $4)),
	EXISTS (SELECT 1 FROM followers WHERE actor_id = $6),
	EXISTS (SELECT 1 FROM pending_follows WHERE actor_id = $6)`

// HostFollows implements activitypub.Store.
func (s *Store) HostFollows(ctx context.Context, actorID string, since time.Time) (activitypub.HostFollows, error) {
	var c activitypub.HostFollows
	u, err := url.Parse(actorID)
	if err != nil || u.Host == "" {
		return c, fmt.Errorf("host follows of %q: not an absolute URL", actorID)
	}
	https, http := "https://"+u.Host+"/", "http://"+u.Host+"/"
	end := func(prefix string) string { return prefix[:len(prefix)-1] + "0" }
	err = s.pool.QueryRow(ctx, hostFollowsSQL, https, end(https), http, end(http), since, actorID).
		Scan(&c.Followers, &c.NewFollowers, &c.Pending, &c.Following, &c.Waiting)
	if err != nil {
		return c, fmt.Errorf("host follows of %s: %w", u.Host, err)
	}
	return c, nil
}

const pendingFollowsAfterSQL = `SELECT ` + pendingColumns + ` FROM pending_follows
WHERE (requested, actor_id) > ($1, $2) ORDER BY requested, actor_id LIMIT $3`

const pendingFollowsBeforeSQL = `SELECT ` + pendingColumns + ` FROM pending_follows
WHERE (requested, actor_id) < ($1, $2) ORDER BY requested DESC, actor_id DESC LIMIT $3`

// PendingFollowsPage implements activitypub.Store.
func (s *Store) PendingFollowsPage(ctx context.Context, q activitypub.PageQuery) ([]activitypub.PendingFollow, error) {
	query, c := pendingFollowsAfterSQL, q.After
	if !q.Before.IsZero() {
		query, c = pendingFollowsBeforeSQL, q.Before
	}
	var at any = pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true} // the first page
	if !c.IsZero() {
		at = c.At
	}
	rows, err := s.pool.Query(ctx, query, at, c.ID, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("pending follows page: %w", err)
	}
	out, err := scanRows(rows, func(r pgx.Rows) (activitypub.PendingFollow, error) { return scanPendingFollow(r) })
	if err != nil {
		return nil, fmt.Errorf("pending follows page: %w", err)
	}
	if !q.Before.IsZero() {
		slices.Reverse(out)
	}
	return out, nil
}

// RepliesPage implements activitypub.Store.
func (s *Store) RepliesPage(ctx context.Context, f activitypub.ReplyFilter, q activitypub.PageQuery) ([]activitypub.Reply, error) {
	query, a := replyFilter(f)
	switch {
	case !q.Before.IsZero(): // newer than Before, nearest first, then turned round
		query += ` AND (published, id) > (` + a.add(q.Before.At) + `, ` + a.add(q.Before.ID) + `) ORDER BY published, id`
	case !q.After.IsZero(): // older than After
		query += ` AND (published, id) < (` + a.add(q.After.At) + `, ` + a.add(q.After.ID) + `) ORDER BY published DESC, id DESC`
	default:
		query += ` ORDER BY published DESC, id DESC`
	}
	query += ` LIMIT ` + a.add(q.Limit)
	out, err := s.queryReplies(ctx, query, a...)
	if err != nil {
		return nil, fmt.Errorf("replies page: %w", err)
	}
	if !q.Before.IsZero() {
		slices.Reverse(out)
	}
	return out, nil
}

// repliesToSQL lists a batch of the direct replies of a post in Thread's
// order, after a place in it, by the replies_parent index; only id and
// actor are read, for the block check.
const repliesToSQL = `
SELECT id, actor, published FROM replies
WHERE lesson_id = $1 AND cohort_id = $2 AND in_reply_to = $3 AND NOT deleted AND visibility IN ('public', 'unlisted') AND state = 'shown'
	AND (published, id) > ($4, $5)
ORDER BY published, id LIMIT $6`

// repliesToBatch is how many replies RepliesTo reads at a time: pgx reads
// a query's rows to their end, so reading stops at a batch's end rather
// than at the thread's.
const repliesToBatch = 200

// RepliesTo implements activitypub.Store. Blocks are applied as Thread
// applies them, in Go, so offset counts only the replies Thread would list.
func (s *Store) RepliesTo(ctx context.Context, lessonID, cohortID, parentID string, offset, limit int) ([]string, error) {
	blocks, err := s.Blocks(ctx)
	if err != nil {
		return nil, fmt.Errorf("replies to %s: %w", parentID, err)
	}
	out := []string{}
	var after any = pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	afterID := ""
	for len(out) < limit {
		rows, err := s.pool.Query(ctx, repliesToSQL, lessonID, cohortID, parentID, after, afterID, repliesToBatch)
		if err != nil {
			return nil, fmt.Errorf("replies to %s: %w", parentID, err)
		}
		type row struct {
			id, actor string
			published time.Time
		}
		batch, err := scanRows(rows, func(r pgx.Rows) (row, error) {
			var x row
			return x, r.Scan(&x.id, &x.actor, &x.published)
		})
		if err != nil {
			return nil, fmt.Errorf("replies to %s: %w", parentID, err)
		}
		for _, x := range batch {
			if len(out) == limit {
				break
			}
			if _, blocked := activitypub.BlockedBy(blocks, x.actor); blocked {
				continue
			}
			if offset > 0 {
				offset--
				continue
			}
			out = append(out, x.id)
		}
		if len(batch) < repliesToBatch {
			break
		}
		last := batch[len(batch)-1]
		after, afterID = last.published, last.id
	}
	return out, nil
}
