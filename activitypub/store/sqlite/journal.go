package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// The reflection journals (issue 14).

const journalParticipantColumns = `actor_id, handle, inbox, follow_id, accepted, joined, left_at`

const saveJournalParticipantSQL = `
INSERT INTO journal_participants (` + journalParticipantColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (actor_id) DO UPDATE SET handle = excluded.handle, inbox = excluded.inbox,
	follow_id = excluded.follow_id, accepted = excluded.accepted, left_at = excluded.left_at`

const journalParticipantSQL = `SELECT ` + journalParticipantColumns + ` FROM journal_participants WHERE actor_id = ?`

const journalParticipantByFollowSQL = `SELECT ` + journalParticipantColumns + ` FROM journal_participants WHERE follow_id = ?`

const acceptJournalFollowSQL = `UPDATE journal_participants SET accepted = 1 WHERE follow_id = ?`

const journalParticipantsSQL = `SELECT ` + journalParticipantColumns + ` FROM journal_participants ORDER BY handle, actor_id`

const removeJournalParticipantSQL = `DELETE FROM journal_participants WHERE actor_id = ?`

const removeJournalEntriesSQL = `DELETE FROM journal_entries WHERE actor = ?`

const journalEntryColumns = `id, actor, url, published, updated, content, summary, sensitive, attachments, state`

// An entry is replaced only when the stored one is not newer.
const saveJournalEntrySQL = `
INSERT INTO journal_entries (` + journalEntryColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET url = excluded.url, published = excluded.published, updated = excluded.updated,
	content = excluded.content, summary = excluded.summary, sensitive = excluded.sensitive, attachments = excluded.attachments
WHERE (CASE excluded.updated WHEN 0 THEN excluded.published ELSE excluded.updated END)
	>= (CASE journal_entries.updated WHEN 0 THEN journal_entries.published ELSE journal_entries.updated END)`

const journalEntryActorSQL = `SELECT actor FROM journal_entries WHERE id = ?`

const deleteJournalEntrySQL = `DELETE FROM journal_entries WHERE id = ? AND actor = ?`

const journalEntrySQL = `SELECT ` + journalEntryColumns + ` FROM journal_entries WHERE id = ?`

// journalEntriesSQL lists the entries of participants still in the
// journal; the filter's conditions are appended.
const journalEntriesSQL = `
SELECT e.id, e.actor, e.url, e.published, e.updated, e.content, e.summary, e.sensitive, e.attachments, e.state
FROM journal_entries e JOIN journal_participants p ON p.actor_id = e.actor
WHERE e.state = 'shown' AND p.left_at = 0`

func scanJournalParticipant(row scanner) (activitypub.JournalParticipant, error) {
	var p activitypub.JournalParticipant
	var joined, left int64
	err := row.Scan(&p.ActorID, &p.Handle, &p.Inbox, &p.FollowID, &p.Accepted, &joined, &left)
	p.Joined, p.Left = fromNanos(joined), fromNanos(left)
	return p, err
}

func scanJournalEntry(row scanner) (activitypub.JournalEntry, error) {
	var e activitypub.JournalEntry
	var published, updated int64
	var atts, state string
	if err := row.Scan(&e.ID, &e.Actor, &e.URL, &published, &updated, &e.Content, &e.Summary, &e.Sensitive, &atts, &state); err != nil {
		return e, err
	}
	e.Published, e.State = fromNanos(published), activitypub.ReplyState(state)
	if updated != 0 {
		e.Updated = fromNanos(updated)
	}
	var aj []attachmentJSON
	if err := json.Unmarshal([]byte(atts), &aj); err != nil {
		return e, fmt.Errorf("attachments: %w", err)
	}
	for _, a := range aj {
		e.Attachments = append(e.Attachments, activitypub.Attachment(a))
	}
	return e, nil
}

// JournalParticipant implements activitypub.Store.
func (s *Store) JournalParticipant(ctx context.Context, actorID string) (activitypub.JournalParticipant, error) {
	return readJournalParticipant(s.db.QueryRowContext(ctx, journalParticipantSQL, actorID), actorID)
}

// JournalParticipant implements activitypub.Tx.
func (t *txn) JournalParticipant(actorID string) (activitypub.JournalParticipant, error) {
	return readJournalParticipant(t.queryRow(journalParticipantSQL, actorID), actorID)
}

func readJournalParticipant(row *sql.Row, id string) (activitypub.JournalParticipant, error) {
	p, err := scanJournalParticipant(row)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("journal participant %s: %w", id, activitypub.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("journal participant %s: %w", id, err)
	}
	return p, nil
}

// JournalParticipants implements activitypub.Store.
func (s *Store) JournalParticipants(ctx context.Context) ([]activitypub.JournalParticipant, error) {
	rows, err := s.db.QueryContext(ctx, journalParticipantsSQL)
	if err != nil {
		return nil, fmt.Errorf("journal participants: %w", err)
	}
	defer rows.Close()
	out := []activitypub.JournalParticipant{}
	for rows.Next() {
		p, err := scanJournalParticipant(rows)
		if err != nil {
			return nil, fmt.Errorf("journal participants: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal participants: %w", err)
	}
	return out, nil
}

// SaveJournalParticipant implements activitypub.Tx. Joined is kept from
// the first opt-in; a zero Joined means now.
func (t *txn) SaveJournalParticipant(p activitypub.JournalParticipant) error {
	joined := p.Joined
	if joined.IsZero() {
		joined = t.now
	}
	if _, err := t.exec(saveJournalParticipantSQL, p.ActorID, p.Handle, p.Inbox, p.FollowID, p.Accepted, toNanos(joined), toNanos(p.Left)); err != nil {
		return fmt.Errorf("save journal participant %s: %w", p.ActorID, err)
	}
	return nil
}

// AcceptJournalFollow implements activitypub.Tx.
func (t *txn) AcceptJournalFollow(followID string) (activitypub.JournalParticipant, error) {
	if err := t.changed(acceptJournalFollowSQL, followID); err != nil {
		return activitypub.JournalParticipant{}, fmt.Errorf("accept journal follow %s: %w", followID, err)
	}
	p, err := scanJournalParticipant(t.queryRow(journalParticipantByFollowSQL, followID))
	if err != nil {
		return p, fmt.Errorf("accept journal follow %s: %w", followID, err)
	}
	return p, nil
}

// RemoveJournalParticipant implements activitypub.Tx.
func (t *txn) RemoveJournalParticipant(actorID string) (activitypub.JournalParticipant, error) {
	if _, err := t.exec(removeJournalEntriesSQL, actorID); err != nil {
		return activitypub.JournalParticipant{}, fmt.Errorf("remove journal of %s: %w", actorID, err)
	}
	p, err := t.JournalParticipant(actorID)
	if err != nil {
		return p, fmt.Errorf("remove journal: %w", err)
	}
	if _, err := t.exec(removeJournalParticipantSQL, actorID); err != nil {
		return p, fmt.Errorf("remove journal participant %s: %w", actorID, err)
	}
	return p, nil
}

// SaveJournalEntry implements activitypub.Tx.
func (t *txn) SaveJournalEntry(e activitypub.JournalEntry) error {
	if e.ID == "" {
		return errors.New("save journal entry: no id")
	}
	if !activitypub.DateInRange(e.Published) || !activitypub.DateInRange(e.Updated) {
		return fmt.Errorf("save journal entry %s: published %s or updated %s outside %d-%d", e.ID,
			e.Published.Format(time.RFC3339), e.Updated.Format(time.RFC3339), activitypub.EarliestDate.Year(), activitypub.LatestDate.Year()-1)
	}
	state := e.State
	if state == "" {
		state = activitypub.Shown
	}
	if !state.Valid() {
		return fmt.Errorf("save journal entry %s: state %q", e.ID, state)
	}
	atts := make([]attachmentJSON, 0, len(e.Attachments))
	for _, a := range e.Attachments {
		atts = append(atts, attachmentJSON(a))
	}
	aj, err := json.Marshal(atts)
	if err != nil {
		return fmt.Errorf("save journal entry %s: attachments: %w", e.ID, err)
	}
	var owner string
	err = t.queryRow(journalEntryActorSQL, e.ID).Scan(&owner)
	switch {
	case err == nil && owner != e.Actor:
		return fmt.Errorf("save journal entry %s by %s: %w (%s)", e.ID, e.Actor, activitypub.ErrNotOwner, owner)
	case errors.Is(err, sql.ErrNoRows):
		tomb, err := t.tombstoned(e.ID, e.Actor)
		if err != nil {
			return fmt.Errorf("save journal entry %s: %w", e.ID, err)
		}
		if tomb {
			return nil // deleted before it arrived
		}
	case err != nil:
		return fmt.Errorf("save journal entry %s: owner: %w", e.ID, err)
	}
	_, err = t.exec(saveJournalEntrySQL, e.ID, e.Actor, e.URL, toNanos(e.Published), toNanos(e.Updated),
		e.Content, e.Summary, e.Sensitive, string(aj), string(state))
	if err != nil {
		return fmt.Errorf("save journal entry %s: %w", e.ID, err)
	}
	return nil
}

// DeleteJournalEntry implements activitypub.Tx.
func (t *txn) DeleteJournalEntry(id, actor string) error {
	if err := t.changed(deleteJournalEntrySQL, id, actor); err != nil {
		return fmt.Errorf("delete journal entry %s: %w", id, err)
	}
	return nil
}

// JournalEntries implements activitypub.Store.
func (s *Store) JournalEntries(ctx context.Context, f activitypub.JournalFilter) ([]activitypub.JournalEntry, error) {
	blocks, err := s.Blocks(ctx)
	if err != nil {
		return nil, fmt.Errorf("journal entries: %w", err)
	}
	q, args := journalEntriesSQL, []any{}
	if f.Actor != "" {
		q += ` AND e.actor = ?`
		args = append(args, f.Actor)
	}
	if !f.From.IsZero() {
		q += ` AND e.published >= ?`
		args = append(args, toNanos(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND e.published < ?`
		args = append(args, toNanos(f.To))
	}
	q += ` ORDER BY e.published, e.id`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("journal entries: %w", err)
	}
	defer rows.Close()
	out := []activitypub.JournalEntry{}
	for rows.Next() {
		e, err := scanJournalEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("journal entries: %w", err)
		}
		if _, blocked := activitypub.BlockedBy(blocks, e.Actor); blocked {
			continue
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal entries: %w", err)
	}
	return out, nil
}

// SetJournalEntryState implements activitypub.Store.
func (s *Store) SetJournalEntryState(ctx context.Context, id string, state activitypub.ReplyState, e activitypub.AuditEntry) (activitypub.JournalEntry, error) {
	if !state.Valid() {
		return activitypub.JournalEntry{}, fmt.Errorf("journal entry %s: state %q", id, state)
	}
	var je activitypub.JournalEntry
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE journal_entries SET state = ? WHERE id = ?`, string(state), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return activitypub.ErrNotFound
		}
		if je, err = scanJournalEntry(tx.QueryRowContext(ctx, journalEntrySQL, id)); err != nil {
			return err
		}
		_, err = s.audit(ctx, tx, e)
		return err
	})
	if err != nil {
		return je, fmt.Errorf("journal entry %s: set %s: %w", id, state, err)
	}
	return je, nil
}

// journalModerationSQL lists the entries of participants still in the
// journal whatever their state, for the moderator; the page's order and
// bounds are appended.
const journalModerationSQL = `
SELECT e.id, e.actor, e.url, e.published, e.updated, e.content, e.summary, e.sensitive, e.attachments, e.state
FROM journal_entries e JOIN journal_participants p ON p.actor_id = e.actor
WHERE p.left_at = 0`

// JournalEntriesPage implements activitypub.Store.
func (s *Store) JournalEntriesPage(ctx context.Context, q activitypub.PageQuery) ([]activitypub.JournalEntry, error) {
	query, args := journalModerationSQL, []any{}
	switch {
	case !q.Before.IsZero(): // newer than Before, nearest first, then turned round
		query += ` AND (e.published, e.id) > (?, ?) ORDER BY e.published, e.id LIMIT ?`
		args = append(args, toNanos(q.Before.At), q.Before.ID, q.Limit)
	case !q.After.IsZero(): // older than After
		query += ` AND (e.published, e.id) < (?, ?) ORDER BY e.published DESC, e.id DESC LIMIT ?`
		args = append(args, toNanos(q.After.At), q.After.ID, q.Limit)
	default:
		query += ` ORDER BY e.published DESC, e.id DESC LIMIT ?`
		args = append(args, q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("journal entries page: %w", err)
	}
	defer rows.Close()
	out := []activitypub.JournalEntry{}
	for rows.Next() {
		e, err := scanJournalEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("journal entries page: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal entries page: %w", err)
	}
	if !q.Before.IsZero() {
		slices.Reverse(out)
	}
	return out, nil
}
