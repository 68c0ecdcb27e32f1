package storetest

import (
	"testing"

	"github.com/cohort-course/cohort/activitypub"
)

// threadChangeTests check that a reader can learn what changed in a thread
// since it last looked (issue 11).
var threadChangeTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"ThreadChanges", testThreadChanges},
}

// changesAfter reads the intro thread's changes after n and returns them by
// reply id, failing on a number that does not grow.
func changesAfter(t *testing.T, s activitypub.Store, n int64) map[string]activitypub.ThreadChange {
	t.Helper()
	cs, err := s.ThreadChanges(ctx, "intro", "", n, 100)
	must(t, err)
	out := map[string]activitypub.ThreadChange{}
	for _, c := range cs {
		if c.Seq <= n {
			t.Errorf("change of %s numbered %d, asked for those after %d", c.ID, c.Seq, n)
		}
		n = c.Seq
		out[c.ID] = c
	}
	return out
}

func testThreadChanges(t *testing.T, s activitypub.Store) {
	seq, err := s.ThreadSeq(ctx, "intro", "")
	if err != nil || seq != 0 {
		t.Fatalf("ThreadSeq of an empty store = %d, %v; want 0", seq, err)
	}
	r1, r2, r3 := reply(1, alice), reply(2, alice), reply(3, bob)
	for _, r := range []activitypub.Reply{r1, r2, r3} {
		must(t, s.SaveReply(ctx, r))
	}
	other := reply(4, alice)
	other.CohortID = "spring"
	must(t, s.SaveReply(ctx, other))
	if n, err := s.ThreadSeq(ctx, "intro", "spring"); err != nil || n == 0 {
		t.Errorf("ThreadSeq of the spring cohort's thread = %d, %v; want its change", n, err)
	}
	got := changesAfter(t, s, 0)
	if len(got) != 3 || !got[r1.ID].Listed || !got[r3.ID].Listed || got[r1.ID].Content != r1.Content {
		t.Fatalf("changes of a new thread: %+v, want its 3 replies listed (and not the other cohort's)", got)
	}
	seq, err = s.ThreadSeq(ctx, "intro", "")
	must(t, err)
	if none := changesAfter(t, s, seq); len(none) != 0 {
		t.Errorf("changes after the newest: %+v, want none", none)
	}

	// An edit, a delete, a hidden reply, a feature and a like: each is a
	// change after seq, and only those replies changed.
	edit := r1
	edit.Updated, edit.Content = r1.Published.Add(1e9), "<p>edited</p>"
	must(t, s.SaveReply(ctx, edit))
	must(t, s.DeleteReply(ctx, r2.ID))
	_, err = s.SetReplyState(ctx, r3.ID, activitypub.Hidden, audit(activitypub.ActionHide, r3.ID))
	must(t, err)
	got = changesAfter(t, s, seq)
	if len(got) != 3 || got[r1.ID].Content != "<p>edited</p>" || !got[r1.ID].Listed || got[r2.ID].Listed || got[r3.ID].Listed {
		t.Errorf("after an edit, a delete and a hide: %+v", got)
	}
	seq, _ = s.ThreadSeq(ctx, "intro", "")
	r5 := reply(5, alice)
	must(t, s.SaveReply(ctx, r5))
	_, err = s.FeatureReply(ctx, r5.ID, audit(activitypub.ActionFeature, r5.ID))
	must(t, err)
	mid, _ := s.ThreadSeq(ctx, "intro", "")
	must(t, s.SaveReaction(ctx, activitypub.Reaction{ID: bob + "#likes/9", Kind: activitypub.Like, Actor: bob, Object: r1.ID}))
	got = changesAfter(t, s, seq)
	if len(got) != 2 || !got[r5.ID].Listed || !got[r1.ID].Listed {
		t.Errorf("after a new reply featured and a like: %+v", got)
	}
	if got := changesAfter(t, s, mid); len(got) != 1 || got[r1.ID].ID == "" {
		t.Errorf("after the feature, only the liked reply changed: %+v", got)
	}

	// A block is not numbered, but what is read after it is not listed.
	must(t, s.SaveBlock(ctx, activitypub.Block{Target: alice, By: "mia"}, audit(activitypub.ActionBlock, alice)))
	if got := changesAfter(t, s, 0); got[r1.ID].Listed || got[r5.ID].Listed {
		t.Errorf("a blocked author's replies are listed: %+v", got)
	}

	// limit bounds a page; the last number of a page asks for the next.
	cs, err := s.ThreadChanges(ctx, "intro", "", 0, 2)
	must(t, err)
	if len(cs) != 2 {
		t.Fatalf("limit 2: %d changes", len(cs))
	}
	rest, err := s.ThreadChanges(ctx, "intro", "", cs[1].Seq, 100)
	must(t, err)
	if len(rest) != 2 {
		t.Errorf("after the first page of 2: %d changes, want the other 2 of 4 replies", len(rest))
	}
}
