package storetest

import (
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// moderationTests are the cases of the ModerationStore part of the Store.
var moderationTests = []struct {
	name string
	fn   func(t *testing.T, s activitypub.Store)
}{
	{"ReplyStateKeptOnEdit", testReplyStateKeptOnEdit},
	{"SetReplyState", testSetReplyState},
	{"RepliesFilter", testRepliesFilter},
	{"FeatureOrder", testFeatureOrder},
	{"Blocks", testBlocks},
	{"ActorByHandle", testActorByHandle},
	{"Moderators", testModerators},
	{"Sessions", testSessions},
	{"AuditLog", testAuditLog},
}

func audit(action, target string) activitypub.AuditEntry {
	return activitypub.AuditEntry{Who: "mia", Action: action, Target: target, At: base.Add(time.Hour)}
}

func threadIDs(t *testing.T, s activitypub.Store) []string {
	t.Helper()
	th, err := s.Thread(ctx, "intro", "")
	must(t, err)
	ids := []string{}
	for _, r := range th {
		ids = append(ids, r.ID)
	}
	return ids
}

func wantIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s = %q, want %q", what, got, want)
		}
	}
}

// A new reply starts in the state it is saved with (shown when empty); an
// edit keeps the state a moderator gave it; only shown replies are in the
// thread.
func testReplyStateKeptOnEdit(t *testing.T, s activitypub.Store) {
	r1, r2 := reply(1, alice), reply(2, bob)
	r2.State = activitypub.Held
	must(t, s.SaveReply(ctx, r1))
	must(t, s.SaveReply(ctx, r2))
	got, err := s.Reply(ctx, r1.ID)
	must(t, err)
	if got.State != activitypub.Shown {
		t.Fatalf("state of a reply saved without one = %q, want shown", got.State)
	}
	wantIDs(t, "thread with a held reply", threadIDs(t, s), r1.ID)
	edit := r2
	edit.State, edit.Updated, edit.Content = activitypub.Shown, r2.Published.Add(time.Hour), "<p>edited</p>"
	must(t, s.SaveReply(ctx, edit))
	got, err = s.Reply(ctx, r2.ID)
	must(t, err)
	if got.State != activitypub.Held || got.Content != "<p>edited</p>" {
		t.Fatalf("after an edit: state %q content %q, want held and the edit", got.State, got.Content)
	}
	if err := s.SaveReply(ctx, activitypub.Reply{ID: "x", State: "weird"}); err == nil {
		t.Fatal("SaveReply with an unknown state: no error")
	}
}

func testSetReplyState(t *testing.T, s activitypub.Store) {
	r := reply(1, alice)
	must(t, s.SaveReply(ctx, r))
	got, err := s.SetReplyState(ctx, r.ID, activitypub.Hidden, audit(activitypub.ActionHide, r.ID))
	must(t, err)
	if got.State != activitypub.Hidden || got.LessonID != "intro" {
		t.Fatalf("SetReplyState returned %+v", got)
	}
	wantIDs(t, "thread with the reply hidden", threadIDs(t, s))
	_, err = s.SetReplyState(ctx, r.ID, activitypub.Hidden, audit(activitypub.ActionHide, r.ID)) // again: nil, logged
	must(t, err)
	_, err = s.SetReplyState(ctx, r.ID, activitypub.Shown, audit(activitypub.ActionShow, r.ID))
	must(t, err)
	wantIDs(t, "thread with the reply shown again", threadIDs(t, s), r.ID)
	_, err = s.SetReplyState(ctx, "https://nowhere.example/1", activitypub.Hidden, audit(activitypub.ActionHide, "missing"))
	wantErr(t, "SetReplyState of a missing reply", err, activitypub.ErrNotFound)
	_, err = s.SetReplyState(ctx, r.ID, "gone", audit(activitypub.ActionHide, r.ID))
	if err == nil {
		t.Fatal("SetReplyState with an unknown state: no error")
	}
	log, err := s.AuditLog(ctx, 0, 10)
	must(t, err)
	if len(log) != 3 || log[0].Action != activitypub.ActionShow || log[0].LessonID != "intro" || log[2].Action != activitypub.ActionHide {
		t.Fatalf("audit log = %+v, want show, hide, hide (the missing reply logs nothing)", log)
	}
}

func testRepliesFilter(t *testing.T, s activitypub.Store) {
	for i, st := range []activitypub.ReplyState{activitypub.Held, activitypub.Shown, activitypub.Held, activitypub.Hidden} {
		r := reply(i+1, alice)
		r.State = st
		must(t, s.SaveReply(ctx, r))
	}
	dm := reply(5, bob)
	dm.State, dm.Visibility = activitypub.Held, activitypub.Direct
	must(t, s.SaveReply(ctx, dm))
	other := reply(6, bob)
	other.LessonID = "other"
	must(t, s.SaveReply(ctx, other))
	held, err := s.Replies(ctx, activitypub.ReplyFilter{State: activitypub.Held})
	must(t, err)
	wantIDs(t, "held replies, newest first, never a direct one", ids(held), reply(3, alice).ID, reply(1, alice).ID)
	lesson, err := s.Replies(ctx, activitypub.ReplyFilter{LessonID: "intro", Limit: 2})
	must(t, err)
	wantIDs(t, "a lesson's replies, limited", ids(lesson), reply(4, alice).ID, reply(3, alice).ID)
	byBob, err := s.Replies(ctx, activitypub.ReplyFilter{Actor: bob})
	must(t, err)
	wantIDs(t, "bob's listable replies", ids(byBob), other.ID)
	recent, err := s.Replies(ctx, activitypub.ReplyFilter{LessonID: "intro", Since: reply(3, alice).Published})
	must(t, err)
	wantIDs(t, "a lesson's replies published since the third", ids(recent), reply(4, alice).ID, reply(3, alice).ID)
	none, err := s.Replies(ctx, activitypub.ReplyFilter{LessonID: "nothing"})
	must(t, err)
	if none == nil || len(none) != 0 {
		t.Fatalf("no match = %#v, want an empty list", none)
	}
}

func ids(rs []activitypub.Reply) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func testFeatureOrder(t *testing.T, s activitypub.Store) {
	var rs []activitypub.Reply
	for i := 1; i <= 3; i++ {
		r := reply(i, alice)
		if i == 3 {
			r.State = activitypub.Held
		}
		must(t, s.SaveReply(ctx, r))
		rs = append(rs, r)
	}
	for _, r := range []activitypub.Reply{rs[2], rs[0], rs[1]} {
		f, err := s.FeatureReply(ctx, r.ID, audit(activitypub.ActionFeature, r.ID))
		must(t, err)
		if f.LessonID != "intro" || f.ReplyID != r.ID || f.Since.IsZero() {
			t.Fatalf("feature = %+v", f)
		}
	}
	got, err := s.Reply(ctx, rs[2].ID)
	must(t, err)
	if got.State != activitypub.Shown {
		t.Fatalf("a featured held reply is %s, want shown", got.State)
	}
	_, err = s.FeatureReply(ctx, rs[0].ID, audit(activitypub.ActionFeature, rs[0].ID))
	wantErr(t, "featuring twice", err, activitypub.ErrDuplicate)
	_, err = s.FeatureReply(ctx, "https://nowhere.example/1", audit(activitypub.ActionFeature, "x"))
	wantErr(t, "featuring a missing reply", err, activitypub.ErrNotFound)
	fs, err := s.Features(ctx, "intro", "")
	must(t, err)
	if len(fs) != 3 || fs[0].ReplyID != rs[2].ID || fs[1].ReplyID != rs[0].ID || fs[2].ReplyID != rs[1].ID || fs[2].Position != 3 {
		t.Fatalf("features = %+v, want 3, 1, 2 in pinned order", fs)
	}
	f, err := s.UnfeatureReply(ctx, rs[0].ID, audit(activitypub.ActionUnfeature, rs[0].ID))
	must(t, err)
	if f.Position != 2 || !f.Since.Equal(fs[1].Since) {
		t.Fatalf("unfeature returned %+v, want the removed feature", f)
	}
	_, err = s.UnfeatureReply(ctx, rs[0].ID, audit(activitypub.ActionUnfeature, rs[0].ID))
	wantErr(t, "unfeaturing twice", err, activitypub.ErrNotFound)
	fs, err = s.Features(ctx, "intro", "")
	must(t, err)
	if len(fs) != 2 || fs[0].Position != 1 || fs[1].Position != 2 || fs[1].ReplyID != rs[1].ID {
		t.Fatalf("after unfeature = %+v, want the gap closed", fs)
	}
	_, err = s.FeatureReply(ctx, rs[0].ID, audit(activitypub.ActionFeature, rs[0].ID))
	must(t, err)
	fs, _ = s.Features(ctx, "intro", "")
	if fs[2].ReplyID != rs[0].ID || fs[2].Position != 3 {
		t.Fatalf("featured again = %+v, want it last", fs)
	}
	empty, err := s.Features(ctx, "nothing", "")
	must(t, err)
	if empty == nil || len(empty) != 0 {
		t.Fatalf("features of a lesson without any = %#v", empty)
	}
	log, _ := s.AuditLog(ctx, 0, 100)
	if len(log) != 5 {
		t.Fatalf("audit log has %d entries, want 5 (3 features, 1 unfeature, 1 feature)", len(log))
	}
}

func testBlocks(t *testing.T, s activitypub.Store) {
	spam := "https://spam.example/users/x"
	must(t, s.SaveReply(ctx, reply(1, alice)))
	must(t, s.SaveReply(ctx, reply(2, bob)))
	must(t, s.SaveReply(ctx, reply(3, spam)))
	must(t, s.SaveReply(ctx, reply(4, "https://sub.spam.example/users/y")))
	must(t, s.SaveBlock(ctx, activitypub.Block{Target: bob, Reason: "abuse", By: "mia"}, audit(activitypub.ActionBlock, bob)))
	must(t, s.SaveBlock(ctx, activitypub.Block{Target: "spam.example", Domain: true, By: "mia"}, audit(activitypub.ActionBlock, "spam.example")))
	wantErr(t, "blocking twice", s.SaveBlock(ctx, activitypub.Block{Target: bob}, audit(activitypub.ActionBlock, bob)), activitypub.ErrDuplicate)
	wantIDs(t, "thread with bob and spam.example blocked", threadIDs(t, s), reply(1, alice).ID)

	for _, tt := range []struct {
		actor  string
		target string
	}{
		{bob, bob},
		{spam, "spam.example"},
		{"https://SUB.spam.example/users/y#main-key", "spam.example"},
		{alice, ""},
		{"https://notspam.example/users/z", ""},
	} {
		b, err := s.Blocked(ctx, tt.actor)
		if tt.target == "" {
			wantErr(t, "Blocked("+tt.actor+")", err, activitypub.ErrNotFound)
			continue
		}
		must(t, err)
		if b.Target != tt.target {
			t.Errorf("Blocked(%s) = %s, want %s", tt.actor, b.Target, tt.target)
		}
	}
	bs, err := s.Blocks(ctx)
	must(t, err)
	if len(bs) != 2 || bs[0].Target != bob || bs[0].Reason != "abuse" || bs[0].By != "mia" || bs[0].Created.IsZero() || !bs[1].Domain {
		t.Fatalf("blocks = %+v", bs)
	}
	b, err := s.RemoveBlock(ctx, bob, audit(activitypub.ActionUnblock, bob))
	must(t, err)
	if b.Target != bob {
		t.Fatalf("RemoveBlock returned %+v", b)
	}
	_, err = s.RemoveBlock(ctx, bob, audit(activitypub.ActionUnblock, bob))
	wantErr(t, "unblocking twice", err, activitypub.ErrNotFound)
	wantIDs(t, "thread after unblocking bob", threadIDs(t, s), reply(1, alice).ID, reply(2, bob).ID)
	log, _ := s.AuditLog(ctx, 0, 100)
	if len(log) != 3 {
		t.Fatalf("audit log has %d entries, want 3", len(log))
	}
}

func testActorByHandle(t *testing.T, s activitypub.Store) {
	must(t, s.SaveActor(ctx, activitypub.Actor{ID: alice, PreferredUsername: "Alice", Inbox: alice + "/inbox"}))
	must(t, s.SaveActor(ctx, activitypub.Actor{ID: "https://other.example/users/alice", PreferredUsername: "alice"}))
	a, err := s.ActorByHandle(ctx, "@alice@MASTODON.example")
	must(t, err)
	if a.ID != alice {
		t.Fatalf("ActorByHandle = %s, want %s", a.ID, alice)
	}
	_, err = s.ActorByHandle(ctx, "alice@nowhere.example")
	wantErr(t, "unknown handle", err, activitypub.ErrNotFound)
}

func testModerators(t *testing.T, s activitypub.Store) {
	m := activitypub.Moderator{Name: "mia", Handle: "@mia@mastodon.example", PasswordHash: "$2a$10$hash"}
	must(t, s.AddModerator(ctx, m))
	wantErr(t, "adding a moderator twice", s.AddModerator(ctx, m), activitypub.ErrDuplicate)
	got, err := s.Moderator(ctx, "mia")
	must(t, err)
	if got.Handle != m.Handle || got.PasswordHash != m.PasswordHash || got.Created.IsZero() {
		t.Fatalf("moderator = %+v", got)
	}
	_, err = s.Moderator(ctx, "nobody")
	wantErr(t, "missing moderator", err, activitypub.ErrNotFound)
	must(t, s.AddModerator(ctx, activitypub.Moderator{Name: "ann", Handle: "@ann@x.example", PasswordHash: "h"}))
	all, err := s.Moderators(ctx)
	must(t, err)
	if len(all) != 2 || all[0].Name != "ann" {
		t.Fatalf("moderators = %v", all)
	}
	must(t, s.CreateSession(ctx, activitypub.Session{IDHash: "s1", Moderator: "mia", Expires: base.Add(time.Hour)}))
	must(t, s.SetModeratorPassword(ctx, "mia", "$2a$10$new"))
	got, _ = s.Moderator(ctx, "mia")
	if got.PasswordHash != "$2a$10$new" {
		t.Fatalf("password hash not replaced: %s", got.PasswordHash)
	}
	_, err = s.Session(ctx, "s1")
	wantErr(t, "session after a password change", err, activitypub.ErrNotFound)
	wantErr(t, "password of a missing moderator", s.SetModeratorPassword(ctx, "nobody", "h"), activitypub.ErrNotFound)

	must(t, s.CreateSession(ctx, activitypub.Session{IDHash: "s2", Moderator: "ann", Expires: base.Add(time.Hour)}))
	must(t, s.RemoveModerator(ctx, "ann"))
	_, err = s.Moderator(ctx, "ann")
	wantErr(t, "a removed moderator", err, activitypub.ErrNotFound)
	_, err = s.Session(ctx, "s2")
	wantErr(t, "a removed moderator's session", err, activitypub.ErrNotFound)
	wantErr(t, "removing a moderator twice", s.RemoveModerator(ctx, "ann"), activitypub.ErrNotFound)
}

func testSessions(t *testing.T, s activitypub.Store) {
	must(t, s.AddModerator(ctx, activitypub.Moderator{Name: "mia", Handle: "@mia@mastodon.example", PasswordHash: "h"}))
	se := activitypub.Session{IDHash: "abc", Moderator: "mia", Created: base, Expires: base.Add(12 * time.Hour)}
	must(t, s.CreateSession(ctx, se))
	wantErr(t, "a session id twice", s.CreateSession(ctx, se), activitypub.ErrDuplicate)
	wantErr(t, "a session of a missing moderator",
		s.CreateSession(ctx, activitypub.Session{IDHash: "x", Moderator: "nobody", Expires: base}), activitypub.ErrNotFound)
	got, err := s.Session(ctx, "abc")
	must(t, err)
	if got.Moderator != "mia" || !got.Expires.Equal(se.Expires) || !got.Created.Equal(base) {
		t.Fatalf("session = %+v", got)
	}
	must(t, s.CreateSession(ctx, activitypub.Session{IDHash: "old", Moderator: "mia", Created: base, Expires: base.Add(time.Minute)}))
	must(t, s.DeleteSessionsBefore(ctx, base.Add(time.Hour)))
	_, err = s.Session(ctx, "old")
	wantErr(t, "an expired session after DeleteSessionsBefore", err, activitypub.ErrNotFound)
	must(t, s.DeleteSession(ctx, "abc"))
	wantErr(t, "deleting a session twice", s.DeleteSession(ctx, "abc"), activitypub.ErrNotFound)
	_, err = s.Session(ctx, "abc")
	wantErr(t, "a deleted session", err, activitypub.ErrNotFound)
}

func testAuditLog(t *testing.T, s activitypub.Store) {
	for i, a := range []string{activitypub.ActionLogin, activitypub.ActionHide, activitypub.ActionLogout} {
		e, err := s.AppendAudit(ctx, activitypub.AuditEntry{Who: "mia", Action: a, Target: "t", Reason: "r", At: base.Add(time.Duration(i) * time.Minute)})
		must(t, err)
		if e.ID == 0 {
			t.Fatal("AppendAudit gave no id")
		}
	}
	e, err := s.AppendAudit(ctx, activitypub.AuditEntry{Who: "cli:root", Action: activitypub.ActionShow})
	must(t, err)
	if e.At.IsZero() {
		t.Fatal("an entry without a time did not get one")
	}
	newest, err := s.AuditLog(ctx, 0, 2)
	must(t, err)
	if len(newest) != 2 || newest[0].Who != "cli:root" || newest[1].Action != activitypub.ActionLogout {
		t.Fatalf("newest = %+v", newest)
	}
	older, err := s.AuditLog(ctx, newest[1].ID, 10)
	must(t, err)
	if len(older) != 2 || older[0].Action != activitypub.ActionHide || older[1].Action != activitypub.ActionLogin ||
		older[1].Reason != "r" || older[1].Target != "t" || !older[1].At.Equal(base) {
		t.Fatalf("older = %+v", older)
	}
	since, err := s.AuditSince(ctx, older[1].ID, 2)
	must(t, err)
	if len(since) != 2 || since[0].Action != activitypub.ActionHide || since[1].Action != activitypub.ActionLogout {
		t.Fatalf("since = %+v", since)
	}
	if rest, _ := s.AuditSince(ctx, e.ID, 10); len(rest) != 0 {
		t.Fatalf("since the last = %+v", rest)
	}
}
