package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/cohort-course/cohort/activitypub"
)

// The discussion as a whole, for `cohort export` and `cohort import`
// (issue 11).

var _ activitypub.Archiver = (*Store)(nil)

const (
	exportLessonsSQL   = `SELECT ` + lessonColumns + ` FROM lesson_objects ORDER BY published, object_id`
	exportRepliesSQL   = `SELECT ` + replyColumns + ` FROM replies ORDER BY published, id`
	exportReactionsSQL = `SELECT id, kind, actor, object FROM reactions ORDER BY id`
	exportFeaturesSQL  = `SELECT reply_id, lesson_id, cohort_id, position, since FROM features ORDER BY lesson_id, cohort_id, position`
	exportBlocksSQL    = `SELECT ` + blockColumns + ` FROM blocks ORDER BY target`
	exportAuditSQL     = `SELECT ` + auditColumns + ` FROM audit_log ORDER BY id`
	exportFlagsSQL     = `SELECT id, actor, content, objects, received FROM flags ORDER BY received, id`
)

// Each import statement adds a row unless one with the same key is there
// (ON CONFLICT DO NOTHING), so a second import adds nothing.
const (
	importLessonSQL   = `INSERT INTO lesson_objects (` + lessonColumns + `) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	importReplySQL    = `INSERT INTO replies (` + replyColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	importReactionSQL = `INSERT INTO reactions (id, kind, actor, object) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`
	importFeatureSQL  = `INSERT INTO features (reply_id, lesson_id, cohort_id, position, since) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	importBlockSQL    = `INSERT INTO blocks (` + blockColumns + `) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	importAuditSQL    = `INSERT INTO audit_log (` + auditColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	importFlagSQL     = `INSERT INTO flags (id, actor, content, objects, received) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
)

// ExportDiscussion implements activitypub.Archiver, reading every table in
// one read transaction, so the parts agree with each other.
func (s *Store) ExportDiscussion(ctx context.Context) (activitypub.DiscussionArchive, error) {
	var a activitypub.DiscussionArchive
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return a, fmt.Errorf("export: begin: %w", err)
	}
	defer tx.Rollback()
	each := func(what, query string, scan func(scanner) error) error {
		rows, err := tx.QueryContext(ctx, query)
		if err != nil {
			return fmt.Errorf("export %s: %w", what, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return fmt.Errorf("export %s: %w", what, err)
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("export %s: %w", what, err)
		}
		return nil
	}
	steps := []struct {
		what, query string
		scan        func(scanner) error
	}{
		{"lessons", exportLessonsSQL, func(r scanner) error {
			o, err := scanLessonObject(r)
			a.Lessons = append(a.Lessons, o)
			return err
		}},
		{"replies", exportRepliesSQL, func(r scanner) error {
			rp, err := scanReply(r)
			a.Replies = append(a.Replies, rp)
			return err
		}},
		{"reactions", exportReactionsSQL, func(r scanner) error {
			var re activitypub.Reaction
			var kind string
			err := r.Scan(&re.ID, &kind, &re.Actor, &re.Object)
			re.Kind = activitypub.ReactionKind(kind)
			a.Reactions = append(a.Reactions, re)
			return err
		}},
		{"features", exportFeaturesSQL, func(r scanner) error {
			f, err := scanFeature(r)
			a.Features = append(a.Features, f)
			return err
		}},
		{"blocks", exportBlocksSQL, func(r scanner) error {
			b, err := scanBlock(r)
			a.Blocks = append(a.Blocks, b)
			return err
		}},
		{"audit log", exportAuditSQL, func(r scanner) error {
			var e activitypub.AuditEntry
			var at int64
			err := r.Scan(&e.ID, &e.Who, &e.Action, &e.Target, &e.LessonID, &e.Reason, &at)
			e.At = fromNanos(at)
			a.Audit = append(a.Audit, e)
			return err
		}},
		{"flags", exportFlagsSQL, func(r scanner) error {
			var f activitypub.Flag
			var oj string
			var received int64
			if err := r.Scan(&f.ID, &f.Actor, &f.Content, &oj, &received); err != nil {
				return err
			}
			f.Received = fromNanos(received)
			if err := json.Unmarshal([]byte(oj), &f.Objects); err != nil {
				return fmt.Errorf("flag %s: objects: %w", f.ID, err)
			}
			a.Flags = append(a.Flags, f)
			return nil
		}},
	}
	for _, st := range steps {
		if err := each(st.what, st.query, st.scan); err != nil {
			return activitypub.DiscussionArchive{}, err
		}
	}
	return a, nil
}

// ImportDiscussion implements activitypub.Archiver, in one write.
func (s *Store) ImportDiscussion(ctx context.Context, a activitypub.DiscussionArchive) (int, error) {
	added := 0
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		added = 0
		put := func(what, id, query string, args ...any) error {
			res, err := tx.ExecContext(ctx, query, args...)
			if err != nil {
				return fmt.Errorf("import %s %s: %w", what, id, err)
			}
			n, err := res.RowsAffected()
			added += int(n)
			return err
		}
		for _, o := range a.Lessons {
			if err := put("lesson", o.ObjectID, importLessonSQL, o.LessonID, o.CohortID, o.ObjectID,
				toNanos(o.Published), toNanos(o.Updated), o.ContentHash); err != nil {
				return err
			}
		}
		for _, r := range a.Replies {
			atts := make([]attachmentJSON, 0, len(r.Attachments))
			for _, at := range r.Attachments {
				atts = append(atts, attachmentJSON(at))
			}
			aj, err := json.Marshal(atts)
			if err != nil {
				return fmt.Errorf("import reply %s: attachments: %w", r.ID, err)
			}
			state := r.State
			if state == "" {
				state = activitypub.Shown
			}
			if !state.Valid() {
				return fmt.Errorf("import reply %s: state %q", r.ID, state)
			}
			if err := put("reply", r.ID, importReplySQL, r.ID, r.LessonID, r.InReplyTo, r.Actor, r.URL, toNanos(r.Published),
				toNanos(r.Updated), r.Content, r.Summary, r.Sensitive, string(aj), string(r.Visibility), r.Deleted,
				string(state), r.CohortID); err != nil {
				return err
			}
		}
		for _, r := range a.Reactions {
			if err := put("reaction", r.ID, importReactionSQL, r.ID, string(r.Kind), r.Actor, r.Object); err != nil {
				return err
			}
		}
		for _, f := range a.Features {
			if err := put("feature", f.ReplyID, importFeatureSQL, f.ReplyID, f.LessonID, f.CohortID, f.Position, toNanos(f.Since)); err != nil {
				return err
			}
		}
		for _, b := range a.Blocks {
			if err := put("block", b.Target, importBlockSQL, b.Target, b.Domain, b.Reason, b.By, toNanos(b.Created)); err != nil {
				return err
			}
		}
		for _, e := range a.Audit {
			if err := put("audit entry", fmt.Sprint(e.ID), importAuditSQL, e.ID, e.Who, e.Action, e.Target, e.LessonID,
				e.Reason, toNanos(e.At)); err != nil {
				return err
			}
		}
		for _, f := range a.Flags {
			objects := f.Objects
			if objects == nil {
				objects = []string{}
			}
			oj, err := json.Marshal(objects)
			if err != nil {
				return fmt.Errorf("import flag %s: objects: %w", f.ID, err)
			}
			if err := put("flag", f.ID, importFlagSQL, f.ID, f.Actor, f.Content, string(oj), toNanos(f.Received)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}
