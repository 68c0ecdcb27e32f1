package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/cohort-course/cohort/activitypub"
)

// longTests check reads that an engine may do in batches (issue 11), with
// more rows than one batch.
var longTests = []struct {
	name string
	fn   func(*testing.T, activitypub.Store)
}{
	{"RepliesToLongThread", testRepliesToLong},
}

// testRepliesToLong: 450 answers to the lesson, every seventh by a blocked
// server: each page RepliesTo gives is the same slice of what Thread
// lists, wherever it starts.
func testRepliesToLong(t *testing.T, s activitypub.Store) {
	const n = 450
	spam := "https://spam.example/users/x"
	blocked := 0
	for i := range n {
		actor := alice
		if i%7 == 3 {
			actor = spam
			blocked++
		}
		r := reply(i, actor)
		r.Published = base.Add(time.Duration(i/2) * time.Second) // pairs share a time: id decides
		must(t, s.SaveReply(ctx, r))
	}
	must(t, s.SaveBlock(ctx, activitypub.Block{Target: "spam.example", Domain: true, By: "mia"}, audit(activitypub.ActionBlock, "spam.example")))
	thread, err := s.Thread(ctx, "intro", "")
	must(t, err)
	var all []string
	for _, r := range thread {
		if r.InReplyTo == lesson {
			all = append(all, r.ID)
		}
	}
	if len(all) != n-blocked {
		t.Fatalf("thread lists %d answers, want %d", len(all), n-blocked)
	}
	for _, p := range []struct{ offset, limit int }{{0, 10}, {190, 30}, {195, 200}, {370, 100}, {385, 5}, {500, 5}} {
		got, err := s.RepliesTo(ctx, "intro", "", lesson, p.offset, p.limit)
		must(t, err)
		want := all[min(p.offset, len(all)):min(p.offset+p.limit, len(all))]
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("RepliesTo(offset %d, limit %d) = %d ids, want %d: got %.80v, want %.80v", p.offset, p.limit, len(got), len(want), got, want)
		}
	}
}
