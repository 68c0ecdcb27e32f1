package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// journalTests check the reflection journals (issue 14; its own block to
// ease merging).
var journalTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"JournalOptInAndLeave", testJournalOptInAndLeave},
	{"JournalEntryEditsDeletesOwners", testJournalEntryEdits},
	{"JournalEntriesListable", testJournalEntriesListable},
	{"JournalEntriesPageForModerators", testJournalEntriesPage},
}

// journalApply runs fn in an applied activity of its own.
func journalApply(t *testing.T, s activitypub.Store, id string, fn func(tx activitypub.Tx) error) {
	t.Helper()
	if _, err := s.Apply(ctx, id, fn); err != nil {
		t.Fatalf("apply %s: %v", id, err)
	}
}

func journalEntry(n int, actor string, at time.Time) activitypub.JournalEntry {
	return activitypub.JournalEntry{
		ID: fmt.Sprintf("%s/statuses/j%d", actor, n), Actor: actor, URL: fmt.Sprintf("%s/@x/j%d", actor, n),
		Published: at, Content: fmt.Sprintf("<p>reflection %d #course</p>", n),
		Attachments: []activitypub.Attachment{{URL: "https://media.example/a.png", MediaType: "image/png", Alt: "a sketch"}},
	}
}

// testJournalOptInAndLeave: a participant is saved, found, accepted by
// the id of the course's Follow, listed; leaving removes them and every
// entry of theirs, and a second leave says ErrNotFound.
func testJournalOptInAndLeave(t *testing.T, s activitypub.Store) {
	if _, err := s.JournalParticipant(ctx, alice); !errors.Is(err, activitypub.ErrNotFound) {
		t.Fatalf("missing participant: %v, want ErrNotFound", err)
	}
	p := activitypub.JournalParticipant{ActorID: alice, Handle: "@alice@mastodon.example", Inbox: "https://mastodon.example/inbox",
		FollowID: "https://course.example.org/activities/follow/1", Joined: base}
	journalApply(t, s, "a1", func(tx activitypub.Tx) error {
		if err := tx.SaveJournalParticipant(p); err != nil {
			return err
		}
		return tx.SaveJournalEntry(journalEntry(1, alice, base.Add(time.Hour)))
	})
	got, err := s.JournalParticipant(ctx, alice)
	if err != nil || got.Accepted || got.FollowID != p.FollowID || !got.Joined.Equal(base) || got.Handle != p.Handle {
		t.Fatalf("participant = %+v, %v", got, err)
	}
	journalApply(t, s, "a2", func(tx activitypub.Tx) error {
		if _, err := tx.AcceptJournalFollow("https://course.example.org/activities/follow/other"); !errors.Is(err, activitypub.ErrNotFound) {
			return fmt.Errorf("accept of an unknown follow: %v, want ErrNotFound", err)
		}
		got, err := tx.AcceptJournalFollow(p.FollowID)
		if err != nil || got.ActorID != alice || !got.Accepted {
			return fmt.Errorf("accept = %+v, %v", got, err)
		}
		return nil
	})
	all, err := s.JournalParticipants(ctx)
	if err != nil || len(all) != 1 || !all[0].Accepted {
		t.Fatalf("participants = %+v, %v", all, err)
	}
	if es, err := s.JournalEntries(ctx, activitypub.JournalFilter{}); err != nil || len(es) != 1 {
		t.Fatalf("entries before leaving = %d, %v", len(es), err)
	}
	journalApply(t, s, "a3", func(tx activitypub.Tx) error {
		got, err := tx.RemoveJournalParticipant(alice)
		if err != nil || got.FollowID != p.FollowID {
			return fmt.Errorf("remove = %+v, %v", got, err)
		}
		if _, err := tx.RemoveJournalParticipant(alice); !errors.Is(err, activitypub.ErrNotFound) {
			return fmt.Errorf("second remove: %v, want ErrNotFound", err)
		}
		return nil
	})
	if es, err := s.JournalEntries(ctx, activitypub.JournalFilter{Actor: alice}); err != nil || len(es) != 0 {
		t.Fatalf("entries after leaving = %+v, %v", es, err)
	}
	// Coming back starts from nothing: the old entry is gone, not hidden.
	journalApply(t, s, "a4", func(tx activitypub.Tx) error { return tx.SaveJournalParticipant(p) })
	if es, err := s.JournalEntries(ctx, activitypub.JournalFilter{}); err != nil || len(es) != 0 {
		t.Fatalf("entries after coming back = %+v, %v", es, err)
	}
	// A participant marked as having left keeps the mark, and no entry of
	// theirs is listed.
	left := p
	left.Left = base.Add(2 * time.Hour)
	journalApply(t, s, "a5", func(tx activitypub.Tx) error {
		if err := tx.SaveJournalEntry(journalEntry(5, alice, base)); err != nil {
			return err
		}
		return tx.SaveJournalParticipant(left)
	})
	if got, err := s.JournalParticipant(ctx, alice); err != nil || !got.Left.Equal(left.Left) {
		t.Fatalf("participant who left = %+v, %v", got, err)
	}
	if es, err := s.JournalEntries(ctx, activitypub.JournalFilter{}); err != nil || len(es) != 0 {
		t.Fatalf("entries of a participant who left = %+v, %v", es, err)
	}
}

// testJournalEntryEdits: an edit replaces the text, an older copy does
// not; another actor cannot take the id; a delete by another actor is
// ErrNotFound, by the author removes it; a tombstone keeps a late Create
// out.
func testJournalEntryEdits(t *testing.T, s activitypub.Store) {
	p := activitypub.JournalParticipant{ActorID: alice, Handle: "@alice@mastodon.example", Inbox: "https://mastodon.example/inbox", FollowID: "f1"}
	e := journalEntry(1, alice, base)
	journalApply(t, s, "e1", func(tx activitypub.Tx) error {
		if err := tx.SaveJournalParticipant(p); err != nil {
			return err
		}
		return tx.SaveJournalEntry(e)
	})
	edit := e
	edit.Content, edit.Updated = "<p>edited #course</p>", base.Add(time.Hour)
	stale := e
	stale.Content = "<p>stale</p>"
	journalApply(t, s, "e2", func(tx activitypub.Tx) error {
		if err := tx.SaveJournalEntry(edit); err != nil {
			return err
		}
		if err := tx.SaveJournalEntry(stale); err != nil {
			return err
		}
		theft := edit
		theft.Actor = bob
		if err := tx.SaveJournalEntry(theft); !errors.Is(err, activitypub.ErrNotOwner) {
			return fmt.Errorf("save by another actor: %v, want ErrNotOwner", err)
		}
		return nil
	})
	es, err := s.JournalEntries(ctx, activitypub.JournalFilter{Actor: alice})
	if err != nil || len(es) != 1 || es[0].Content != edit.Content || !es[0].Updated.Equal(edit.Updated) || len(es[0].Attachments) != 1 {
		t.Fatalf("after edits = %+v, %v", es, err)
	}
	journalApply(t, s, "e3", func(tx activitypub.Tx) error {
		if err := tx.DeleteJournalEntry(e.ID, bob); !errors.Is(err, activitypub.ErrNotFound) {
			return fmt.Errorf("delete by another actor: %v, want ErrNotFound", err)
		}
		if err := tx.DeleteJournalEntry(e.ID, alice); err != nil {
			return err
		}
		late := journalEntry(2, alice, base)
		if err := tx.SaveTombstone(activitypub.Tombstone{ID: late.ID, Actor: alice}); err != nil {
			return err
		}
		return tx.SaveJournalEntry(late)
	})
	if es, err := s.JournalEntries(ctx, activitypub.JournalFilter{}); err != nil || len(es) != 0 {
		t.Fatalf("after delete and tombstone = %+v, %v", es, err)
	}
}

// testJournalEntriesListable: entries come in published order, filtered
// by actor and week; a hidden entry, a blocked author's and one whose
// author left are not listed; hiding logs the moderator's action.
func testJournalEntriesListable(t *testing.T, s activitypub.Store) {
	carol := "https://third.example/users/carol"
	journalApply(t, s, "l1", func(tx activitypub.Tx) error {
		for i, who := range []string{alice, bob} {
			if err := tx.SaveJournalParticipant(activitypub.JournalParticipant{ActorID: who, Inbox: who + "/inbox", FollowID: fmt.Sprint("f", i)}); err != nil {
				return err
			}
		}
		for i, e := range []activitypub.JournalEntry{
			journalEntry(3, alice, base.Add(8*24*time.Hour)), // week 2
			journalEntry(1, alice, base.Add(time.Hour)),
			journalEntry(2, bob, base.Add(2*time.Hour)),
			journalEntry(4, carol, base.Add(3*time.Hour)), // not a participant
		} {
			if err := tx.SaveJournalEntry(e); err != nil {
				return fmt.Errorf("entry %d: %w", i, err)
			}
		}
		return nil
	})
	ids := func(f activitypub.JournalFilter) []string {
		t.Helper()
		es, err := s.JournalEntries(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	a1, a3, b2 := journalEntry(1, alice, base).ID, journalEntry(3, alice, base).ID, journalEntry(2, bob, base).ID
	if got := fmt.Sprint(ids(activitypub.JournalFilter{})); got != fmt.Sprint([]string{a1, b2, a3}) {
		t.Fatalf("all = %s", got)
	}
	if got := fmt.Sprint(ids(activitypub.JournalFilter{From: base, To: base.Add(7 * 24 * time.Hour)})); got != fmt.Sprint([]string{a1, b2}) {
		t.Fatalf("week 1 = %s", got)
	}
	if got := fmt.Sprint(ids(activitypub.JournalFilter{Actor: alice})); got != fmt.Sprint([]string{a1, a3}) {
		t.Fatalf("alice's = %s", got)
	}
	hidden, err := s.SetJournalEntryState(ctx, a1, activitypub.Hidden, audit(activitypub.ActionHide, a1))
	if err != nil || hidden.State != activitypub.Hidden {
		t.Fatalf("hide = %+v, %v", hidden, err)
	}
	if _, err := s.SetJournalEntryState(ctx, "https://nowhere.example/x", activitypub.Hidden, audit(activitypub.ActionHide, "x")); !errors.Is(err, activitypub.ErrNotFound) {
		t.Fatalf("hide of nothing: %v, want ErrNotFound", err)
	}
	if log, err := s.AuditLog(ctx, 0, 10); err != nil || len(log) != 1 || log[0].Target != a1 {
		t.Fatalf("audit log = %+v, %v", log, err)
	}
	must(t, s.SaveBlock(ctx, activitypub.Block{Target: bob, By: "mia"}, audit(activitypub.ActionBlock, bob)))
	if got := fmt.Sprint(ids(activitypub.JournalFilter{})); got != fmt.Sprint([]string{a3}) {
		t.Fatalf("after hide and block = %s", got)
	}
}

// testJournalEntriesPage: the moderator's list holds every entry of the
// participants still in the journal, hidden and blocked ones too, newest
// first, a page at a time both ways; a participant who left is not in it.
func testJournalEntriesPage(t *testing.T, s activitypub.Store) {
	carol := "https://third.example/users/carol"
	journalApply(t, s, "p1", func(tx activitypub.Tx) error {
		for i, who := range []string{alice, bob, carol} {
			if err := tx.SaveJournalParticipant(activitypub.JournalParticipant{ActorID: who, Inbox: who + "/inbox", FollowID: fmt.Sprint("f", i)}); err != nil {
				return err
			}
		}
		for i := range 5 {
			if err := tx.SaveJournalEntry(journalEntry(i, []string{alice, bob}[i%2], base.Add(time.Duration(i)*time.Hour))); err != nil {
				return err
			}
		}
		return tx.SaveJournalEntry(journalEntry(9, carol, base.Add(9*time.Hour)))
	})
	hidden := journalEntry(1, bob, base).ID
	if _, err := s.SetJournalEntryState(ctx, hidden, activitypub.Hidden, activitypub.AuditEntry{Who: "mod", Action: activitypub.ActionHide, Target: hidden, At: base}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveBlock(ctx, activitypub.Block{Target: alice, By: "mod", Created: base}, activitypub.AuditEntry{Who: "mod", Action: activitypub.ActionBlock, Target: alice, At: base}); err != nil {
		t.Fatal(err)
	}
	journalApply(t, s, "p2", func(tx activitypub.Tx) error {
		return tx.SaveJournalParticipant(activitypub.JournalParticipant{ActorID: carol, Inbox: carol + "/inbox", FollowID: "f2", Left: base.Add(10 * time.Hour)})
	})
	page := func(q activitypub.PageQuery) []string {
		t.Helper()
		es, err := s.JournalEntriesPage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, e := range es {
			out = append(out, fmt.Sprintf("j%d %s", int(e.Published.Sub(base)/time.Hour), e.State))
		}
		return out
	}
	first := page(activitypub.PageQuery{Limit: 3})
	if want := []string{"j4 shown", "j3 shown", "j2 shown"}; fmt.Sprint(first) != fmt.Sprint(want) {
		t.Fatalf("first page = %v, want %v", first, want)
	}
	at := func(n int) activitypub.Cursor {
		return activitypub.Cursor{At: base.Add(time.Duration(n) * time.Hour), ID: journalEntry(n, []string{alice, bob}[n%2], base).ID}
	}
	older := page(activitypub.PageQuery{Limit: 3, After: at(2)})
	if want := []string{"j1 hidden", "j0 shown"}; fmt.Sprint(older) != fmt.Sprint(want) {
		t.Fatalf("older page = %v, want %v (the hidden entry and the blocked author's are listed)", older, want)
	}
	newer := page(activitypub.PageQuery{Limit: 2, Before: at(1)})
	if want := []string{"j3 shown", "j2 shown"}; fmt.Sprint(newer) != fmt.Sprint(want) {
		t.Fatalf("newer page = %v, want %v", newer, want)
	}
}
