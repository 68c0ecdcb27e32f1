package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// pagingTests check the follow counts per host that limit new followers,
// and the moderators' lists read a page at a time (issue 10).
var pagingTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"HostFollows", testHostFollows},
	{"PendingFollowsPage", testPendingFollowsPage},
	{"RepliesPage", testRepliesPage},
	{"RepliesTo", testRepliesTo},
}

func testHostFollows(t *testing.T, s activitypub.Store) {
	hour := base.Add(time.Hour)
	for _, f := range []activitypub.Follower{
		{ActorID: "https://big.example/users/1", Inbox: "https://big.example/inbox", FollowID: "f1", Since: base},
		{ActorID: "https://big.example/users/2", Inbox: "https://big.example/inbox", FollowID: "f2", Since: hour},
		{ActorID: "http://big.example/users/3", Inbox: "http://big.example/inbox", FollowID: "f3", Since: hour.Add(time.Minute)},
		// Neighbours by string order must not count: another port, a longer name.
		{ActorID: "https://big.example:8443/users/4", Inbox: "https://big.example:8443/inbox", FollowID: "f4", Since: hour},
		{ActorID: "https://big.example0/users/5", Inbox: "https://big.example0/inbox", FollowID: "f5", Since: hour},
		{ActorID: "https://big.example.org/users/6", Inbox: "https://big.example.org/inbox", FollowID: "f6", Since: hour},
	} {
		must(t, s.SaveFollower(ctx, f))
	}
	must(t, s.SavePendingFollow(ctx, activitypub.PendingFollow{ActorID: "https://big.example/users/7", Inbox: "https://big.example/inbox", FollowID: "p7", Requested: hour}))
	must(t, s.SavePendingFollow(ctx, activitypub.PendingFollow{ActorID: "https://small.example/users/8", Inbox: "https://small.example/inbox", FollowID: "p8", Requested: hour}))

	tests := []struct {
		actor string
		want  activitypub.HostFollows
	}{
		{"https://big.example/users/2", activitypub.HostFollows{Followers: 3, NewFollowers: 2, Pending: 1, Following: true}},
		{"https://big.example/users/7", activitypub.HostFollows{Followers: 3, NewFollowers: 2, Pending: 1, Waiting: true}},
		{"https://big.example/users/new", activitypub.HostFollows{Followers: 3, NewFollowers: 2, Pending: 1}},
		{"https://big.example:8443/users/9", activitypub.HostFollows{Followers: 1, NewFollowers: 1}},
		{"https://nobody.example/users/1", activitypub.HostFollows{}},
	}
	for _, tt := range tests {
		got, err := s.HostFollows(ctx, tt.actor, hour)
		if err != nil || got != tt.want {
			t.Errorf("HostFollows(%s) = %+v, %v; want %+v", tt.actor, got, err, tt.want)
		}
	}
	if _, err := s.HostFollows(ctx, "not a url", hour); err == nil {
		t.Error("HostFollows of a relative id: no error")
	}
}

func testPendingFollowsPage(t *testing.T, s activitypub.Store) {
	var all []string
	for i := range 7 {
		id := fmt.Sprintf("https://a.example/users/%d", i)
		all = append(all, id)
		// Two by two at the same moment: the id breaks the tie.
		must(t, s.SavePendingFollow(ctx, activitypub.PendingFollow{ActorID: id, Inbox: "https://a.example/inbox", FollowID: id + "#f",
			Requested: base.Add(time.Duration(i/2) * time.Minute)}))
	}
	page := func(q activitypub.PageQuery) []activitypub.PendingFollow {
		t.Helper()
		ps, err := s.PendingFollowsPage(ctx, q)
		must(t, err)
		return ps
	}
	actors := func(ps []activitypub.PendingFollow) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.ActorID)
		}
		return out
	}
	cursor := func(p activitypub.PendingFollow) activitypub.Cursor {
		return activitypub.Cursor{At: p.Requested, ID: p.ActorID}
	}
	var walked []string
	q := activitypub.PageQuery{Limit: 3}
	for range 4 {
		ps := page(q)
		if len(ps) == 0 {
			break
		}
		walked = append(walked, actors(ps)...)
		q.After = cursor(ps[len(ps)-1])
	}
	if !slices.Equal(walked, all) {
		t.Fatalf("walking forward gives %v, want %v", walked, all)
	}
	last := page(activitypub.PageQuery{Limit: 3, After: cursor(activitypub.PendingFollow{ActorID: all[3], Requested: base.Add(time.Minute)})})
	back := page(activitypub.PageQuery{Limit: 3, Before: cursor(last[0])})
	if !slices.Equal(actors(back), all[1:4]) {
		t.Errorf("the page before %s is %v, want %v", last[0].ActorID, actors(back), all[1:4])
	}
	if ps := page(activitypub.PageQuery{Limit: 3, Before: cursor(back[0])}); !slices.Equal(actors(ps), all[:1]) {
		t.Errorf("the first page going back is %v, want %v", actors(ps), all[:1])
	}
}

func testRepliesPage(t *testing.T, s activitypub.Store) {
	var newestFirst []string
	for i := range 7 {
		r := reply(i/2, alice) // two by two at the same moment
		r.ID = fmt.Sprintf("%s/statuses/p%d", alice, i)
		must(t, s.SaveReply(ctx, r))
		newestFirst = append([]string{r.ID}, newestFirst...)
	}
	other := reply(100, bob)
	other.LessonID = "other"
	must(t, s.SaveReply(ctx, other))
	f := activitypub.ReplyFilter{LessonID: "intro", Limit: 1} // Limit is ignored
	page := func(q activitypub.PageQuery) []activitypub.Reply {
		t.Helper()
		rs, err := s.RepliesPage(ctx, f, q)
		must(t, err)
		return rs
	}
	ids := func(rs []activitypub.Reply) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	cursor := func(r activitypub.Reply) activitypub.Cursor { return activitypub.Cursor{At: r.Published, ID: r.ID} }
	var walked []string
	q := activitypub.PageQuery{Limit: 3}
	var pages [][]activitypub.Reply
	for range 4 {
		rs := page(q)
		if len(rs) == 0 {
			break
		}
		pages = append(pages, rs)
		walked = append(walked, ids(rs)...)
		q.After = cursor(rs[len(rs)-1])
	}
	if !slices.Equal(walked, newestFirst) {
		t.Fatalf("walking to older replies gives %v, want %v", walked, newestFirst)
	}
	if back := page(activitypub.PageQuery{Limit: 3, Before: cursor(pages[2][0])}); !slices.Equal(ids(back), ids(pages[1])) {
		t.Errorf("the newer page before %s is %v, want %v", pages[2][0].ID, ids(back), ids(pages[1]))
	}
	if back := page(activitypub.PageQuery{Limit: 3, Before: cursor(pages[1][1])}); !slices.Equal(ids(back), newestFirst[1:4]) {
		t.Errorf("the newer page before %s is %v, want %v", pages[1][1].ID, ids(back), newestFirst[1:4])
	}
}

func testRepliesTo(t *testing.T, s activitypub.Store) {
	var direct []string
	for i := range 6 {
		r := reply(i, alice)
		must(t, s.SaveReply(ctx, r))
		direct = append(direct, r.ID)
	}
	nested := reply(10, alice)
	nested.InReplyTo = direct[0]
	hidden := reply(11, alice)
	hidden.State = activitypub.Hidden
	private := reply(12, alice)
	private.Visibility = activitypub.FollowersOnly
	blocked := reply(13, bob)
	otherCohort := reply(14, alice)
	otherCohort.CohortID = "spring"
	for _, r := range []activitypub.Reply{nested, hidden, private, blocked, otherCohort} {
		must(t, s.SaveReply(ctx, r))
	}
	must(t, s.SaveBlock(ctx, activitypub.Block{Target: bob, By: "mia"}, audit(activitypub.ActionBlock, bob)))
	deleted := reply(15, alice)
	must(t, s.SaveReply(ctx, deleted))
	must(t, s.DeleteReply(ctx, deleted.ID))

	tests := []struct {
		offset, limit int
		want          []string
	}{
		{0, 10, direct},
		{0, 4, direct[:4]},
		{4, 4, direct[4:]},
		{6, 4, []string{}},
		{2, 2, direct[2:4]},
	}
	for _, tt := range tests {
		got, err := s.RepliesTo(ctx, "intro", "", lesson, tt.offset, tt.limit)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("RepliesTo(offset %d, limit %d) = %v, %v; want %v", tt.offset, tt.limit, got, err, tt.want)
		}
	}
	if got, err := s.RepliesTo(ctx, "intro", "", direct[0], 0, 10); err != nil || !slices.Equal(got, []string{nested.ID}) {
		t.Errorf("RepliesTo a reply = %v, %v; want its one answer", got, err)
	}
}
