package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cohort-course/cohort/activitypub"
)

// The reflection journals (issue 14).

const journalParticipantColumns = `actor_id, handle, inbox, follow_id, accepted, joined, left_at`

const saveJournalParticipantSQL = `
INSERT INTO journal_participants (` + journalParticipantColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (actor_id) DO UPDATE SET handle = excluded.handle, inbox = excluded.inbox,
	follow_id = excluded.follow_id, accepted = excluded.accepted, left_at = excluded.left_at`

const journalParticipantSQL = `SELECT ` + journalParticipantColumns + ` FROM journal_participants WHERE actor_id = $1`

const acceptJournalFollowSQL = `UPDATE journal_participants SET accepted = true WHERE follow_id = $1 RETURNING ` + journalParticipantColumns

const journalParticipantsSQL = `SELECT ` + journalParticipantColumns + ` FROM journal_participants ORDER BY handle, actor_id`

const removeJournalParticipantSQL = `DELETE FROM journal_participants WHERE actor_id = $1 RETURNING ` + journalParticipantColumns

const removeJournalEntriesSQL = `DELETE FROM journal_entries WHERE actor = $1`

const journalEntryColumns = `id, actor, url, published, updated, content, summary, sensitive, attachments, state`

// An entry is replaced only when the stored one is not newer; $11 is the
// zero time, which stands for "never edited".
const saveJournalEntrySQL = `
INSERT INTO journal_entries (` + journalEntryColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (id) DO UPDATE SET url = excluded.url, published = excluded.published, updated = excluded.updated,
	content = excluded.content, summary = excluded.summary, sensitive = excluded.sensitive, attachments = excluded.attachments
WHERE journal_entries.actor = excluded.actor
	AND (CASE WHEN excluded.updated = $11 THEN excluded.published ELSE excluded.updated END)
	>= (CASE WHEN journal_entries.updated = $11 THEN journal_entries.published ELSE journal_entries.updated END)`

const journalEntryActorSQL = `SELECT actor FROM journal_entries WHERE id = $1`

const deleteJournalEntrySQL = `DELETE FROM journal_entries WHERE id = $1 AND actor = $2`

// journalEntriesSQL lists the entries of participants still in the
// journal; the filter's conditions are appended.
const journalEntriesSQL = `
SELECT e.id, e.actor, e.url, e.published, e.updated, e.content, e.summary, e.sensitive, e.attachments, e.state
FROM journal_entries e JOIN journal_participants p ON p.actor_id = e.actor
WHERE e.state = 'shown' AND p.left_at = '0001-01-01 00:00:00+00'`

func scanJournalParticipant(row pgx.Row) (activitypub.JournalParticipant, error) {
	var p activitypub.JournalParticipant
	err := row.Scan(&p.ActorID, &p.Handle, &p.Inbox, &p.FollowID, &p.Accepted, &p.Joined, &p.Left)
	p.Joined, p.Left = utc(p.Joined), utc(p.Left)
	return p, err
}

func scanJournalEntry(row pgx.Row) (activitypub.JournalEntry, error) {
	var e activitypub.JournalEntry
	var atts []byte
	var state string
	if err := row.Scan(&e.ID, &e.Actor, &e.URL, &e.Published, &e.Updated, &e.Content, &e.Summary, &e.Sensitive, &atts, &state); err != nil {
		return e, err
	}
	e.Published, e.Updated, e.State = utc(e.Published), utc(e.Updated), activitypub.ReplyState(state)
	var aj []attachmentJSON
	if err := json.Unmarshal(atts, &aj); err != nil {
		return e, fmt.Errorf("attachments: %w", err)
	}
	for _, a := range aj {
		e.Attachments = append(e.Attachments, activitypub.Attachment(a))
	}
	return e, nil
}

// JournalParticipant implements activitypub.Store.
func (s *Store) JournalParticipant(ctx context.Context, actorID string) (activitypub.JournalParticipant, error) {
	return readJournalParticipant(s.pool.QueryRow(ctx, journalParticipantSQL, actorID), actorID)
}

// JournalParticipant implements activitypub.Tx.
func (t *txn) JournalParticipant(actorID string) (activitypub.JournalParticipant, error) {
	return readJournalParticipant(t.tx.QueryRow(t.ctx, journalParticipantSQL, actorID), actorID)
}

func readJournalParticipant(row pgx.Row, id string) (activitypub.JournalParticipant, error) {
	p, err := scanJournalParticipant(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("journal participant %s: %w", id, activitypub.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("journal participant %s: %w", id, err)
	}
	return p, nil
}

// JournalParticipants implements activitypub.Store.
func (s *Store) JournalParticipants(ctx context.Context) ([]activitypub.JournalParticipant, error) {
	rows, err := s.pool.Query(ctx, journalParticipantsSQL)
	if err != nil {
		return nil, fmt.Errorf("journal participants: %w", err)
	}
	out, err := scanRows(rows, func(r pgx.Rows) (activitypub.JournalParticipant, error) { return scanJournalParticipant(r) })
	if err != nil {
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
	if _, err := t.tx.Exec(t.ctx, saveJournalParticipantSQL, p.ActorID, p.Handle, p.Inbox, p.FollowID, p.Accepted, dbTime(joined), dbTime(p.Left)); err != nil {
		return fmt.Errorf("save journal participant %s: %w", p.ActorID, err)
	}
	return nil
}

// AcceptJournalFollow implements activitypub.Tx.
func (t *txn) AcceptJournalFollow(followID string) (activitypub.JournalParticipant, error) {
	p, err := scanJournalParticipant(t.tx.QueryRow(t.ctx, acceptJournalFollowSQL, followID))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("accept journal follow %s: %w", followID, activitypub.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("accept journal follow %s: %w", followID, err)
	}
	return p, nil
}

// RemoveJournalParticipant implements activitypub.Tx.
func (t *txn) RemoveJournalParticipant(actorID string) (activitypub.JournalParticipant, error) {
	if _, err := t.tx.Exec(t.ctx, removeJournalEntriesSQL, actorID); err != nil {
		return activitypub.JournalParticipant{}, fmt.Errorf("remove journal of %s: %w", actorID, err)
	}
	p, err := scanJournalParticipant(t.tx.QueryRow(t.ctx, removeJournalParticipantSQL, actorID))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("remove journal participant %s: %w", actorID, activitypub.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("remove journal participant %s: %w", actorID, err)
	}
	return p, nil
}

// SaveJournalEntry implements activitypub.Tx, under the object's lock as
// SaveReply.
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
	if err := t.lockObject(e.ID); err != nil {
		return fmt.Errorf("save journal entry %s: %w", e.ID, err)
	}
	var owner string
	err = t.tx.QueryRow(t.ctx, journalEntryActorSQL, e.ID).Scan(&owner)
	switch {
	case err == nil && owner != e.Actor:
		return fmt.Errorf("save journal entry %s by %s: %w (%s)", e.ID, e.Actor, activitypub.ErrNotOwner, owner)
	case errors.Is(err, pgx.ErrNoRows):
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
	_, err = t.tx.Exec(t.ctx, saveJournalEntrySQL, e.ID, e.Actor, e.URL, dbTime(e.Published), dbTime(e.Updated),
		e.Content, e.Summary, e.Sensitive, aj, string(state), time.Time{})
	if err != nil {
		return fmt.Errorf("save journal entry %s: %w", e.ID, err)
	}
	return nil
}

// DeleteJournalEntry implements activitypub.Tx.
func (t *txn) DeleteJournalEntry(id, actor string) error {
	if err := changed(t.ctx, t.tx, deleteJournalEntrySQL, id, actor); err != nil {
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
		args = append(args, f.Actor)
		q += fmt.Sprintf(` AND e.actor = $%d`, len(args))
	}
	if !f.From.IsZero() {
		args = append(args, f.From)
		q += fmt.Sprintf(` AND e.published >= $%d`, len(args))
	}
	if !f.To.IsZero() {
		args = append(args, f.To)
		q += fmt.Sprintf(` AND e.published < $%d`, len(args))
	}
	q += ` ORDER BY e.published, e.id`
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("journal entries: %w", err)
	}
	all, err := scanRows(rows, func(r pgx.Rows) (activitypub.JournalEntry, error) { return scanJournalEntry(r) })
	if err != nil {
		return nil, fmt.Errorf("journal entries: %w", err)
	}
	out := all[:0]
	for _, e := range all {
		if _, blocked := activitypub.BlockedBy(blocks, e.Actor); !blocked {
			out = append(out, e)
		}
	}
	return out, nil
}

// SetJournalEntryState implements activitypub.Store, in one transaction
// with the audit entry.
func (s *Store) SetJournalEntryState(ctx context.Context, id string, state activitypub.ReplyState, e activitypub.AuditEntry) (activitypub.JournalEntry, error) {
	if !state.Valid() {
		return activitypub.JournalEntry{}, fmt.Errorf("journal entry %s: state %q", id, state)
	}
	var je activitypub.JournalEntry
	err := s.inTx(ctx, func(t *txn) error {
		var err error
		je, err = scanJournalEntry(t.tx.QueryRow(ctx, `UPDATE journal_entries SET state = $1 WHERE id = $2 RETURNING `+journalEntryColumns, string(state), id))
		if errors.Is(err, pgx.ErrNoRows) {
			return activitypub.ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = s.audit(ctx, t.tx, e)
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
WHERE p.left_at = '0001-01-01 00:00:00+00'`

// JournalEntriesPage implements activitypub.Store.
func (s *Store) JournalEntriesPage(ctx context.Context, q activitypub.PageQuery) ([]activitypub.JournalEntry, error) {
	query, args := journalModerationSQL, []any{}
	switch {
	case !q.Before.IsZero(): // newer than Before, nearest first, then turned round
		args = append(args, q.Before.At, q.Before.ID)
		query += ` AND (e.published, e.id) > ($1, $2) ORDER BY e.published, e.id`
	case !q.After.IsZero(): // older than After
		args = append(args, q.After.At, q.After.ID)
		query += ` AND (e.published, e.id) < ($1, $2) ORDER BY e.published DESC, e.id DESC`
	default:
		query += ` ORDER BY e.published DESC, e.id DESC`
	}
	args = append(args, q.Limit)
	query += fmt.Sprintf(` LIMIT $%d`, len(args))
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("journal entries page: %w", err)
	}
	out, err := scanRows(rows, func(r pgx.Rows) (activitypub.JournalEntry, error) { return scanJournalEntry(r) })
	if err != nil {
		return nil, fmt.Errorf("journal entries page: %w", err)
	}
	if !q.Before.IsZero() {
		slices.Reverse(out)
	}
	return out, nil
}
