package sqlite

import (
	"context"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

// Thread changes (issue 11): the seq column and the triggers that number
// every change are in migrations/0007_thread_changes.sql.

const threadSeqSQL = `SELECT coalesce(max(seq), 0) FROM replies WHERE lesson_id = ? AND cohort_id = ?`

// threadChangesSQL reads the changed replies of one thread by the
// (lesson_id, cohort_id, seq) index; listed is Thread's rule but for blocks,
// which are applied in Go as Thread applies them.
const threadChangesSQL = `
SELECT ` + replyColumns + `, seq,
	deleted = 0 AND visibility IN ('public', 'unlisted') AND state = 'shown'
FROM replies WHERE lesson_id = ? AND cohort_id = ? AND seq > ?
ORDER BY seq LIMIT ?`

// ThreadSeq implements activitypub.Store.
func (s *Store) ThreadSeq(ctx context.Context, lessonID, cohortID string) (int64, error) {
	var n int64
	if err := s.db.QueryRowContext(ctx, threadSeqSQL, lessonID, cohortID).Scan(&n); err != nil {
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
	rows, err := s.db.QueryContext(ctx, threadChangesSQL, lessonID, cohortID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("thread changes %s: %w", lessonID, err)
	}
	defer rows.Close()
	out := []activitypub.ThreadChange{}
	for rows.Next() {
		var c activitypub.ThreadChange
		if c.Reply, err = scanReply(withTail{rows, []any{&c.Seq, &c.Listed}}); err != nil {
			return nil, fmt.Errorf("thread changes %s: %w", lessonID, err)
		}
		if _, blocked := activitypub.BlockedBy(blocks, c.Actor); blocked {
			c.Listed = false
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("thread changes %s: %w", lessonID, err)
	}
	return out, nil
}

// withTail scans a row's reply columns, then the columns after them.
type withTail struct {
	row  scanner
	tail []any
}

func (w withTail) Scan(dest ...any) error { return w.row.Scan(append(dest, w.tail...)...) }
