package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

// Thread changes (issue 11): the seq column, its counter and the deferred
// triggers that number every change in commit order are in
// migrations/0002_thread_changes.sql.

const threadSeqSQL = `SELECT coalesce(max(seq), 0) FROM replies WHERE lesson_id = $1 AND cohort_id = $2`

// threadChangesSQL reads the changed replies of one thread by the
// (lesson_id, cohort_id, seq) index; listed is Thread's rule but for blocks,
// which are applied in Go as Thread applies them.
const threadChangesSQL = `
SELECT ` + replyColumns + `, seq,
	NOT deleted AND visibility IN ('public', 'unlisted') AND state = 'shown'
FROM replies WHERE lesson_id = $1 AND cohort_id = $2 AND seq > $3
ORDER BY seq LIMIT $4`

// ThreadSeq implements activitypub.Store.
func (s *Store) ThreadSeq(ctx context.Context, lessonID, cohortID string) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, threadSeqSQL, lessonID, cohortID).Scan(&n); err != nil {
		return 0, fmt.Errorf("thread seq %s: %w", lessonID, err)
	}
	return n, nil
}

// ThreadChanges implements activitypub.Store.
func (s *Store) ThreadChanges(ctx context.Context, lessonID, cohortID string, after int64, limit int) ([]activitypub.ThreadChange, error) {
	blocks, err := s.Blocks(ctx)
	if err != nil {
		return nil, fmt.Errorf("thread changes %s: %w", lessonID, err)
	}
	rows, err := s.pool.Query(ctx, threadChangesSQL, lessonID, cohortID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("thread changes %s: %w", lessonID, err)
	}
	out, err := scanRows(rows, func(r pgx.Rows) (activitypub.ThreadChange, error) {
		var c activitypub.ThreadChange
		var err error
		c.Reply, err = scanReply(withTail{r, []any{&c.Seq, &c.Listed}})
		if _, blocked := activitypub.BlockedBy(blocks, c.Actor); blocked {
			c.Listed = false
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("thread changes %s: %w", lessonID, err)
	}
	return out, nil
}

// withTail scans a row's reply columns, then the columns after them.
type withTail struct {
	row  pgx.Row
	tail []any
}

func (w withTail) Scan(dest ...any) error { return w.row.Scan(append(dest, w.tail...)...) }
